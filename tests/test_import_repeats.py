"""One id on two rows of one file (finding F5): the same content is the same report (already
present); other content is a contradiction the file itself holds, so the file is refused whole,
naming both lines, whatever the format and however the rows fall into chunks."""

import csv
import datetime as dt
import json

import pytest

from conftest import TODAY, snapshot
from protestlog.errors import LedgerError
from protestlog.importer import import_file
from protestlog.ledger import Ledger

ROWS = [  # line 2 .. line 6 of the CSV; line 5 contradicts line 2, line 4 repeats line 3 exactly
    {"external_id": "PERD", "date": "2023-01-09", "region": "Puno", "place": "Juliaca", "killed": "1"},
    {"external_id": "PERE", "date": "2023-01-10", "region": "Puno", "place": "Ilave", "killed": "2"},
    {"external_id": "PERE", "date": "2023-01-10", "region": "Puno", "place": "Ilave", "killed": "2"},
    {"external_id": "PERD", "date": "2023-01-09", "region": "Puno", "place": "Juliaca", "killed": "5"},
    {"external_id": "PERF", "date": "2023-01-11", "region": "Cusco", "place": "Cusco", "killed": "0"},
]


def write(path, rows, fmt):
    columns = list(rows[0])
    if fmt in ("csv", "tsv"):
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns, delimiter="," if fmt == "csv" else "\t")
            writer.writeheader()
            writer.writerows(rows)
    elif fmt == "json":
        path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def seeded(cli, db):
    """A ledger with one record already (so 'unchanged' is checked on a real file)."""
    assert cli("add", "--date", "2023-01-01", "--region", "Lima", "--killed", "0").exit_code == 0
    assert cli("verify").exit_code == 0
    return snapshot(db)


@pytest.mark.parametrize("fmt,where", [("csv", (5, 2)), ("tsv", (5, 2)), ("json", (4, 1)), ("ndjson", (4, 1))])
def test_a_contradictory_repeat_rejects_the_file_naming_both_lines(cli, db, tmp_path, fmt, where):
    before = seeded(cli, db)
    path = write(tmp_path / f"reports.{fmt}", ROWS, fmt)  # JSON counts items, not lines: 4 and 1
    r = cli("import", path)
    assert r.exit_code == 1, r
    assert r.stderr == (f"protestlog: error: line {where[0]}: external_id='PERD': repeats line {where[1]} "
                        f"with different content (nothing was imported)\n")
    assert snapshot(db) == before
    r = cli("import", path, "--json")
    assert r.exit_code == 1 and (r.json()["rejected"], r.json()["added"]) == (1, 0)


def test_an_exact_repeat_stays_already_present(cli, db, tmp_path):
    path = write(tmp_path / "ok.csv", [r for i, r in enumerate(ROWS) if i != 3], "csv")
    r = cli("import", path, "--json")
    assert r.exit_code == 0, r
    assert (r.json()["added"], r.json()["already_present"], r.json()["differs"]) == (3, 1, [])


def test_a_repeat_of_a_row_the_ledger_already_held_is_still_a_contradiction(cli, db, tmp_path):
    """Line 2 matches record 1 (already present), line 3 gives that id other figures: the file
    contradicts itself, so it is refused, not reported as a revision to amend."""
    assert cli("import", write(tmp_path / "first.csv", ROWS[:1], "csv")).exit_code == 0
    before = snapshot(db)
    r = cli("import", write(tmp_path / "again.csv", [ROWS[0], ROWS[3]], "csv"))
    assert r.exit_code == 1, r
    assert "line 3: external_id='PERD': repeats line 2 with different content" in r.stderr
    assert snapshot(db) == before


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 2000])
def test_repeats_are_caught_across_chunks(tmp_path, chunk_rows):
    """The repeat and its first line fall in different chunks (or the same one): always refused,
    and the rows the earlier chunks wrote inside the transaction do not stay."""
    db = tmp_path / "l.db"
    rows = [{"external_id": f"id{i}", "date": "2023-01-09", "region": "Puno", "killed": str(i)} for i in range(6)]
    rows.append(dict(rows[1], killed="99"))  # line 8 contradicts line 3
    rows.append(dict(rows[4]))  # line 9 repeats line 6 exactly
    path = write(tmp_path / "many.csv", rows, "csv")
    today = dt.date.fromisoformat(TODAY)
    with Ledger(db, create=True) as ledger:
        with pytest.raises(LedgerError) as caught:
            import_file(ledger, str(path), today=today, by="tester", chunk_rows=chunk_rows)
        assert ledger.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 0
    assert caught.value.result["errors"] == ["line 8: external_id='id1': repeats line 3 with different content"]
    del rows[6]
    with Ledger(db, create=True) as ledger:
        result = import_file(ledger, str(write(tmp_path / "fine.csv", rows, "csv")), today=today, by="tester",
                             chunk_rows=chunk_rows)
    assert (result["added"], result["already_present"], result["differs"]) == (6, 1, [])


def test_every_contradiction_and_every_bad_row_is_reported_in_line_order(cli, db, tmp_path):
    rows = [dict(r) for r in ROWS] + [dict(ROWS[1], killed="7"), dict(ROWS[4], external_id="PERG", region="Atlantis")]
    rows[2]["killed"] = "-1"  # line 4: a bad row between them
    r = cli("import", write(tmp_path / "bad.csv", rows, "csv"))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "protestlog: error: line 4: killed='-1': must not be negative",
        "protestlog: error: line 5: external_id='PERD': repeats line 2 with different content",
        "protestlog: error: line 7: external_id='PERE': repeats line 3 with different content",
        "protestlog: error: line 8: region='Atlantis': unknown region; not a region of Peru "
        "(see data/peru_regions.csv) (4 rows rejected; nothing was imported)"]
    assert not db.exists()


def test_victim_lists_refuse_a_contradictory_repeat_too(cli, db, tmp_path):
    assert cli("import", write(tmp_path / "incidents.csv", ROWS[:1], "csv")).exit_code == 0
    victims = [{"external_id": "v1", "incident_external_id": "PERD", "name": "Ana Mamani", "age": "20",
                "date_of_death": "2023-01-09"},
               {"external_id": "v2", "incident_external_id": "PERD", "name": "Rosa Quispe", "age": "30",
                "date_of_death": "2023-01-09"}]
    before = snapshot(db)
    for command in (("victim", "import"), ("import",)):
        r = cli(*command, write(tmp_path / "victims.csv", victims + [dict(victims[0], age="21")], "csv"))
        assert r.exit_code == 1, r
        assert r.stderr == ("protestlog: error: line 4: external_id='v1': repeats line 2 with different content "
                            "(nothing was imported)\n")
        assert snapshot(db) == before
    r = cli("victim", "import", write(tmp_path / "same.csv", victims + [dict(victims[1])], "csv"), "--json")
    assert r.exit_code == 0, r
    assert (r.json()["added"], r.json()["already_present"], r.json()["differs"]) == (2, 1, [])
