"""Hostile input for victims: any value is stored exactly or refused in one line, the ledger unchanged.

Derandomized Hypothesis (60 examples for `victim add`, 40 for `victim import`), as in
test_hostile_input.py; and tampering with victim entries in sqlite3.
"""

import csv
import io
import json
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import snapshot
from test_hostile_input import DATES, REGIONS, SETTINGS, WEIRD_TEXT, invoke

AGES = st.one_of(st.integers(min_value=-2, max_value=140).map(str),
                 st.sampled_from(["20-25", "25-20", "20–25", "1.5", "NaN", "", "diez", "17 ", "0", "130", "131"]))
VOCAB = st.sampled_from(["police", "army", "navy", "other state", "civilians", "unknown", "Ejército", "aliens", "",
                         "protester", "bystander", "soldier", "male", "female", "mujer", "direct", "indirect"])
OPTIONS = {"name": WEIRD_TEXT, "other-name": WEIRD_TEXT, "description": WEIRD_TEXT, "age": AGES, "sex": VOCAB,
           "date-injured": DATES, "date-of-death": DATES, "region": REGIONS, "place": WEIRD_TEXT, "role": VOCAB,
           "direct": VOCAB, "responsible": VOCAB, "unit": WEIRD_TEXT, "note": WEIRD_TEXT, "source": WEIRD_TEXT}


@settings(max_examples=60, **SETTINGS)
@given(st.dictionaries(st.sampled_from(sorted(OPTIONS)), st.none(), min_size=1).flatmap(
    lambda keys: st.fixed_dictionaries({k: OPTIONS[k] for k in keys})))
def test_victim_add_stores_exactly_or_refuses_cleanly(values):
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "l.db"
        assert invoke(db, ["milestone", "list"]).exit_code in (0, 1)
        invoke(db, ["add", "--date", "2022-12-15", "--region", "puno", "--killed", "1"])
        before = snapshot(db)
        args = ["victim", "add"]
        for k, v in values.items():
            args += [f"--{k}", v]
        result = invoke(db, args)
        if result.exit_code == 0:
            shown = invoke(db, ["victim", "show", result.stdout.strip(), "--json"])
            v = json.loads(shown.stdout)["victim"]
            for field in ("place", "unit", "note"):
                if field in values:
                    assert v[field] == (values[field].strip() or None), field
            if values.get("name", "").strip() and not v["name"]:
                assert v["description"]  # 'unnamed …' is kept as a description
        else:
            assert result.exit_code in (1, 2), result.output
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("protestlog: error:"), lines
            assert snapshot(db) == before


@settings(max_examples=40, **SETTINGS)
@given(st.lists(st.fixed_dictionaries({"external_id": WEIRD_TEXT, "name": WEIRD_TEXT, "age": AGES,
                                       "date_of_death": DATES, "responsible": VOCAB}), min_size=1, max_size=4))
def test_victim_import_is_all_or_nothing_for_any_rows(rows):
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "l.db"
        invoke(db, ["add", "--date", "2022-12-15", "--region", "puno", "--killed", "1"])
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path = Path(tmp) / "v.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        before = snapshot(db)
        result = invoke(db, ["victim", "import", str(path)])
        if result.exit_code != 0:
            assert result.exit_code == 1 and "protestlog: error:" in result.stderr
            assert snapshot(db) == before


def test_sqlite_tampering_with_victim_entries_is_refused_or_caught(cli, db, add):
    add(date="2023-01-09", region="puno", killed=1)
    assert cli("victim", "add", "--name", "Rosa Quispe", "--age", "40", "--incident", "1").exit_code == 0
    con = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError):
        con.execute("UPDATE victim_entries SET age_low = 41")
    for bad in ("INSERT INTO victim_entries (victim_id, revision, action, recorded_at, recorded_by, sex, cause, role, "
                "direct, responsible, confidence, name, age_low, age_high) VALUES (9, 1, 'create', "
                "'2023-01-01T00:00:00Z', 'x', 'male', 'unknown', 'unknown', 'unknown', 'unknown', 'unverified', "
                "'X', 30, 20)",
                "INSERT INTO victim_entries (victim_id, revision, action, recorded_at, recorded_by, sex, cause, role, "
                "direct, responsible, confidence) VALUES (9, 1, 'create', '2023-01-01T00:00:00Z', 'x', 'male', "
                "'unknown', 'unknown', 'unknown', 'unknown', 'unverified')",
                "INSERT INTO victim_entries (victim_id, revision, action, recorded_at, recorded_by, sex, cause, role, "
                "direct, responsible, confidence, name) VALUES (9, 1, 'create', '2023-01-01T00:00:00Z', 'x', 'it', "
                "'unknown', 'unknown', 'unknown', 'unknown', 'unverified', 'X')"):
        with pytest.raises(sqlite3.IntegrityError):
            con.execute(bad)
    con.close()
