"""Control characters (ESC, BEL, C1 codes) never reach the ledger from input, and any already stored
(older ledgers, sqlite3 edits) are shown escaped at a terminal, never sent to it (attack finding F0b)."""

import pytest

from conftest import snapshot, tamper
from ptyterm import run_in_terminal

OSC_TITLE = "X\x1b]0;pwned\x07Y"  # would retitle the reader's terminal
CLEAR = "\x1b[2J"


@pytest.fixture
def one_record(cli, db):
    assert cli("add", "--date", "2023-01-09", "--region", "Puno", "--killed", "1", "--place", "Juliaca").exit_code == 0
    return snapshot(db)


@pytest.mark.parametrize("option, value", [
    ("--place", OSC_TITLE), ("--province", "San " + CLEAR + "Román"), ("--note", "a\x07b"),
    ("--source", "HRW\x9b31m"), ("--place", "tab\there"),
])
def test_add_refuses_control_characters_naming_the_field(cli, db, one_record, option, value):
    result = cli("add", "--date", "2023-01-09", "--region", "Puno", "--killed", "1", option, value)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("protestlog: error:"), result.stderr
    assert option.lstrip("-") in lines[0] and "control character" in lines[0]
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert snapshot(db) == one_record


def test_note_keeps_tab_and_line_breaks(cli, db):
    assert cli("add", "--date", "2023-01-09", "--region", "Puno", "--killed", "1",
               "--note", "first\tline\nsecond line").exit_code == 0
    assert cli("show", "1", "--json").json()["record"]["note"] == "first\tline\nsecond line"


def test_amend_reason_and_milestone_label_refuse_control_characters(cli, db, one_record):
    amended = cli("amend", "1", "--injured", "2", "--reason", "fix" + CLEAR)
    labelled = cli("milestone", "add", "2023-01-09", "State" + CLEAR)
    assert (amended.exit_code, labelled.exit_code) == (1, 1)
    assert "reason=" in amended.stderr and "label=" in labelled.stderr
    assert snapshot(db) == one_record


def test_import_refuses_a_row_with_escape_in_note_naming_the_line(cli, db, one_record, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("date,region,killed,place,note\n2023-01-09,Puno,1,Juliaca,fine\n"
                    f"2023-01-10,Puno,2,Juliaca,\"n{CLEAR}red\"\n", encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 1
    assert "line 3" in result.stderr and "note=" in result.stderr and "control character" in result.stderr
    assert "\x1b" not in result.stderr
    assert snapshot(db) == one_record


def test_acled_location_with_escape_is_refused(cli, db, one_record, tmp_path):
    path = tmp_path / "acled.csv"
    path.write_text("event_id_cnty,event_date,admin1,admin2,location,fatalities,notes\n"
                    f"PER1,09 January 2023,Puno,San Roman,\"J{OSC_TITLE}uliaca\",1,calm\n", encoding="utf-8")
    result = cli("import", "--from", "acled", path)
    assert result.exit_code == 1, result
    assert "line 2" in result.stderr and "control character" in result.stderr
    assert snapshot(db) == one_record


@pytest.mark.parametrize("command", [["list"], ["show", "1"], ["search", "juliaca"]])
def test_control_characters_already_stored_are_shown_escaped_at_a_terminal(cli, db, one_record, command):
    tamper(db, f"UPDATE entries SET place = 'Juliaca {CLEAR}{OSC_TITLE}' WHERE record_id = 1")
    code, text, raw = run_in_terminal(*command, db=db, cols=120, env={"NO_COLOR": "1"})
    assert code == 0, text
    assert "\x1b" not in raw and "\x07" not in raw  # NO_COLOR: no escape of ours, none of the ledger's
    assert "\\x1b[2J" in text and "\\x1b]0;pwned\\x07Y" in text
    code, text, raw = run_in_terminal(*command, db=db, cols=120)
    assert code == 0 and "]0;pwned\x07" not in raw and CLEAR not in raw


def test_victim_name_with_escape_is_refused(cli, db, one_record):
    result = cli("victim", "add", "--name", "Brayan" + OSC_TITLE)
    assert result.exit_code == 1 and "name=" in result.stderr and "control character" in result.stderr
    assert snapshot(db) == one_record
