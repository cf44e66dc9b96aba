"""`protestlog add`: every option is stored as given, and every bad value is refused without a trace."""

import time

import pytest

from conftest import add_args, run_exe, snapshot
from protestlog.ledger import Ledger


def stored(db, record_id):
    with Ledger(db) as ledger:
        (entry,) = ledger.history(record_id)
    return entry


def test_add_stores_every_option(cli, db):
    result = cli(*add_args(date="2023-01-09", region="puno", province="San Román", place="Juliaca",
                           killed=17, killed_low=17, killed_high=18, injured=100, injured_low=80,
                           injured_high=120, detained=3, group="civilian", minors=2,
                           circumstance="clash", cause="firearm", confidence="confirmed",
                           source="Amnesty International", url="https://example.org/report",
                           note="Names withheld.", external_id="ext-1", end_date="2023-01-10",
                           precision="day"), "--json")
    assert result.exit_code == 0, result
    record = result.json()
    entry = stored(db, record["id"])
    expected = {"date": "2023-01-09", "end_date": "2023-01-10", "date_precision": "day", "region": "Puno",
                "province": "San Román", "place": "Juliaca", "killed": 17, "killed_low": 17, "killed_high": 18,
                "injured": 100, "injured_low": 80, "injured_high": 120, "detained": 3, "group": "civilian",
                "minors": 2, "circumstance": "clash with security forces", "cause": "firearm",
                "confidence": "confirmed", "note": "Names withheld.", "external_id": "ext-1"}
    for key, value in expected.items():
        assert entry[key] == value, key
        assert record[key] == value, key
    assert entry["sources"] == [{"name": "Amnesty International", "url": "https://example.org/report",
                                 "accessed": "2023-06-01"}]
    assert entry["recorded_by"] == "tester"
    assert entry["recorded_at"].endswith("Z") and entry["action"] == "create"


def test_add_prints_the_new_id_and_ids_are_unique(cli, add):
    first = add(date="2023-01-09", region="Puno", killed=1)
    second = add(date="2023-01-09", region="Puno", killed=1)
    assert second != first and {first, second} == {1, 2}


@pytest.mark.parametrize("typed, iso", [
    ("2023-01-09", "2023-01-09"),
    ("9 Jan 2023", "2023-01-09"),
    ("09/01/2023", "2023-01-09"),  # day first
    ("yesterday", "2023-05-31"),   # today is pinned to 2023-06-01
    ("today", "2023-06-01"),
])
def test_dates_as_people_type_them(cli, db, typed, iso):
    result = cli(*add_args(date=typed, region="Ayacucho", killed=1), "--json")
    assert result.exit_code == 0, result
    assert stored(db, result.json()["id"])["date"] == iso


@pytest.mark.parametrize("region, canonical", [("apurimac", "Apurímac"), ("APURÍMAC", "Apurímac"),
                                               ("junin", "Junín"), ("  la   libertad ", "La Libertad"),
                                               ("Cuzco", "Cusco"), ("PE-PUN", "Puno")])
def test_regions_match_without_case_or_accents(cli, db, region, canonical):
    result = cli(*add_args(date="2023-01-09", region=region, killed=1), "--json")
    assert result.exit_code == 0, result
    assert stored(db, result.json()["id"])["region"] == canonical


def test_unknown_region_suggests_the_closest(cli, add, db):
    add(date="2023-01-09", region="Puno", killed=1)
    before = snapshot(db)
    result = cli(*add_args(date="2023-01-09", region="Ayacuho", killed=1))
    assert result.exit_code == 1
    assert "region='Ayacuho'" in result.stderr and "Ayacucho" in result.stderr
    assert snapshot(db) == before


BAD = [
    ({"date": "31 Feb 2023"}, "date", "31 Feb 2023"),
    ({"date": "2023-02-30"}, "date", "2023-02-30"),
    ({"date": "0000-00-00"}, "date", "0000-00-00"),
    ({"date": "sometime"}, "date", "sometime"),
    ({"date": "Jan 2023"}, "date", "Jan 2023"),
    ({"date": "2023-06-02"}, "date", "2023-06-02"),  # the day after the pinned today
    ({"killed": "-1"}, "killed", "-1"),
    ({"injured": "-3"}, "injured", "-3"),
    ({"detained": "2.5"}, "detained", "2.5"),
    ({"killed": "NaN"}, "killed", "NaN"),
    ({"killed": "1e3"}, "killed", "1e3"),
    ({"killed": "99999999999999999999999"}, "killed", "99999999999999999999999"),
    ({"killed": "2", "minors": "3"}, "minors", "3"),
    ({"group": "protesters"}, "group", "protesters"),
    ({"circumstance": "riot"}, "circumstance", "riot"),
    ({"cause": "lightning"}, "cause", "lightning"),
    ({"confidence": "sure"}, "confidence", "sure"),
    ({"killed": "5", "killed_low": "6"}, "killed_low", "6"),
    ({"killed": "5", "killed_high": "4"}, "killed_high", "4"),
    ({"end_date": "2023-01-01"}, "end_date", "2023-01-01"),
    ({"url": "javascript:alert(1)"}, "url", "javascript:alert(1)"),
    ({"place": "a\x00b"}, "place", "a\\x00b"),
]


@pytest.mark.parametrize("override, field, value", BAD)
def test_bad_input_is_refused_and_leaves_the_ledger_unchanged(cli, add, db, override, field, value):
    add(date="2023-01-05", region="Puno", killed=1)
    before = snapshot(db)
    fields = {"date": "2023-01-09", "region": "Puno", "killed": "2"}
    fields.update(override)
    result = cli(*add_args(**fields))
    assert result.exit_code == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{field}=" in lines[0] and value in lines[0], lines[0]
    assert result.stdout == ""
    assert snapshot(db) == before


def test_a_refused_first_add_does_not_create_the_file(cli, db):
    result = cli(*add_args(date="2023-01-09", region="Puno", killed="-1"))
    assert result.exit_code == 1
    assert not db.exists()


def test_missing_field_without_terminal_exits_2_at_once(tmp_path):
    db = tmp_path / "l.db"
    started = time.monotonic()
    result = run_exe("add", "--date", "2023-01-09", "--region", "Puno", db=db, timeout=30)
    assert result.returncode == 2
    assert "--killed" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 30
    assert not db.exists()


def test_missing_fields_are_prompted_for_at_a_terminal(cli, db):
    # date, killed, then Enter past group, circumstance, cause, source and URL, then confirm
    result = cli("add", "--region", "Puno", input="9 Jan 2023\n4\n\n\n\n\n\ny\n", env={"PROTESTLOG_TTY": "1"})
    assert result.exit_code == 0, result
    entry = stored(db, 1)
    assert (entry["date"], entry["killed"], entry["region"]) == ("2023-01-09", 4, "Puno")


def test_unknown_option_is_a_usage_error(cli, db):
    result = cli("add", "--date", "2023-01-09", "--region", "Puno", "--killed", "1", "--colour", "red")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--colour" in result.stderr
    assert not db.exists()


def test_vague_wording_is_coded_and_kept(cli, db):
    result = cli(*add_args(date="2023-01-09", region="Puno", killed=1, injured="dozens"), "--json")
    assert result.exit_code == 0, result
    entry = stored(db, result.json()["id"])
    assert (entry["injured"], entry["injured_reported"]) == (12, "dozens")
