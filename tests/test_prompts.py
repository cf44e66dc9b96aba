"""Prompts that help at a terminal: checked as typed, asked again, confirmed before writing.

The first test drives the installed executable through a real pseudo-terminal; the others use
PROTESTLOG_TTY=1 with the in-process CLI to cover each branch quickly.
"""

import pytest

from conftest import DATA_CSV, run_exe, snapshot
from protestlog.ledger import Ledger
from ptyterm import Terminal

TTY = {"PROTESTLOG_TTY": "1"}


def entries(db):
    if not db.exists():
        return []
    with Ledger(db) as ledger:
        return [dict(r) for r in ledger.db.execute("SELECT * FROM entries ORDER BY seq")]


def test_add_at_a_real_terminal_asks_again_and_stores_once_confirmed(db):
    term = Terminal("add", "--place", "Juliaca", db=db, cols=80)
    term.expect("Date of the incident")
    term.send("2023-02-30")                       # impossible date: asked again
    term.expect("not a real calendar date")
    term.expect("Date of the incident")
    term.send("01/13/2023")                       # month first: refused, asked again
    term.expect("no month 13")
    term.expect("Date of the incident")
    term.send("9 ene 2023")
    term.expect("Region")
    term.send("Punno")                            # close to a region: offered
    term.expect("Puno? [Y/n]")
    term.send("n")                                # declined: asked again
    term.expect("Region")
    term.send("Atlantis")                         # nothing close: told so, asked again
    term.expect("unknown region")
    term.expect("Region")
    term.send("Punno")
    term.expect("Puno? [Y/n]")
    term.send("")                                 # Enter takes the suggestion
    term.expect("Number killed")
    term.send("-3")
    term.expect("must not be negative")
    term.expect("Number killed")
    term.send("17")
    term.expect("civilian, police, military, unknown")
    term.expect("Victims were")
    term.send("civil")
    term.expect("Circumstance")
    term.send("")                                 # Enter skips
    term.expect("Cause of death")
    term.send("arma de fuego")
    term.expect("Source")
    term.send("Amnesty International")
    term.expect("URL")
    term.send("www.example.org")                  # not an http(s) URL: asked again
    term.expect("http(s) URL")
    term.expect("URL")
    term.send("https://example.org/juliaca")
    assert entries(db) == []                      # nothing written before the confirmation
    screen = term.expect("Record it? [Y/n]")
    shown = screen[screen.rindex("as it will be stored"):]
    for text in ("2023-01-09", "Puno", "Juliaca", "17", "civilian", "firearm", "Amnesty International"):
        assert text in shown, text
    term.send("y")
    term.expect("Recorded 1: 2023-01-09, Puno / Juliaca, 17 killed, civilian, Amnesty International")
    assert term.finish() == 0
    (entry,) = entries(db)
    assert (entry["date"], entry["region"], entry["killed"], entry["group"], entry["circumstance"],
            entry["cause"]) == ("2023-01-09", "Puno", 17, "civilian", None, "firearm")


def test_declining_writes_nothing(cli, db):
    result = cli("add", "--date", "2023-01-09", "--region", "Puno", input="3\n\n\n\n\n\nn\n", env=TTY)
    assert result.exit_code == 1 and "nothing was written" in result.stderr
    assert entries(db) == []


def test_end_of_input_at_a_prompt_writes_nothing(cli, db):
    result = cli("add", "--region", "Puno", input="9 Jan 2023\n", env=TTY)
    assert result.exit_code == 130 and "nothing was written" in result.stderr
    assert entries(db) == []


def test_a_rule_across_fields_asks_that_field_again(cli, db):
    # --minors 3 given, killed typed as 2: minors is asked again instead of losing the answers
    result = cli("add", "--region", "Puno", "--minors", "3", input="9 Jan 2023\n2\n\n\n\n\n\n1\ny\n", env=TTY)
    assert result.exit_code == 0, result
    assert "minors=" in result.stderr and "more than killed" in result.stderr
    (entry,) = entries(db)
    assert (entry["killed"], entry["minors"]) == (2, 1)


def test_the_result_line_at_a_terminal_and_the_id_when_piped(cli, db):
    args = ["add", "--date", "2023-01-09", "--region", "Puno", "--killed", "3", "--group", "police",
            "--source", "Defensoría del Pueblo"]
    at_terminal = cli(*args, env=TTY)
    assert at_terminal.stdout == "Recorded 1: 2023-01-09, Puno, 3 killed, police, Defensoría del Pueblo\n"
    piped = cli(*args)
    assert piped.stdout == "2\n"


def test_prompts_never_reach_stdout(tmp_path):
    """`id=$(protestlog add)` at a terminal: the prompts are on stderr; stdout is the one result line."""
    db = tmp_path / "l.db"
    result = run_exe("add", "--region", "Puno", "--yes", db=db, input="9 Jan 2023\n4\n\n\n\n\n\n",
                     env={"PROTESTLOG_TTY": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Recorded 1:") and result.stdout.count("\n") == 1
    assert "Date of the incident" in result.stderr


def test_nothing_is_prompted_when_the_command_line_is_complete(cli, db):
    result = cli("add", "--date", "2023-01-09", "--region", "Puno", "--killed", "3", env=TTY, input="")
    assert result.exit_code == 0 and "Victims" not in result.stderr


@pytest.mark.parametrize("command", [["amend", "1", "--killed", "4"], ["retract", "1"], ["restore", "1"],
                                     ["imports", "retract", "1"]])
def test_a_missing_reason_is_a_usage_error_without_a_terminal(cli, db, command):
    assert cli("import", DATA_CSV, env={"PROTESTLOG_TODAY": "2026-11-30"}).exit_code == 0
    before = snapshot(db)
    result = cli(*command)
    assert result.exit_code == 2, result
    assert "--reason is required" in result.stderr and "None" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(db) == before
    verb = {"retract": "retracting record 1", "restore": "restoring record 1"}.get(command[0])
    if verb:  # the message names what was being done
        assert verb in result.stderr


def test_a_missing_reason_is_asked_for_at_a_terminal(cli, add, db):
    rid = add(date="2023-01-09", region="Puno", killed=3)
    result = cli("retract", rid, input="\nduplicate of record 2\n", env=TTY)
    assert result.exit_code == 0, result
    assert "a reason is required" in result.stderr  # the empty answer was refused
    assert entries(db)[-1]["reason"] == "duplicate of record 2"


def test_amending_a_figure_drops_the_old_wording(cli, add, db):
    rid = add(date="2022-12-15", region="Ayacucho", killed=10, injured="dozens")
    assert entries(db)[-1]["injured_reported"] == "dozens"
    result = cli("amend", rid, "--injured", "61", "--reason", "HRW gives 61", "--json")
    assert result.exit_code == 0, result
    assert (result.json()["injured"], result.json()["injured_reported"]) == (61, None)
    again = cli("amend", rid, "--injured", "hundreds", "--reason", "wording", "--json").json()
    assert (again["injured"], again["injured_reported"]) == (100, "hundreds")
    assert cli("show", rid).stdout.count("None") == 0


def test_restore_brings_a_retracted_record_back(cli, add, db):
    rid = add(date="2023-01-09", region="Puno", killed=3)
    add(date="2023-01-09", region="Puno", killed=2)
    assert cli("retract", rid, "--reason", "thought a duplicate").exit_code == 0
    assert cli("summary", "--json").json()["totals"]["killed"] == 2
    result = cli("restore", rid, "--reason", "a second incident", "--json")
    assert result.exit_code == 0, result
    assert result.json()["revision"] == 3 and result.json()["killed"] == 3
    assert cli("summary", "--json").json()["totals"]["killed"] == 5
    history = cli("show", rid, "--json").json()["history"]
    assert [h["action"] for h in history] == ["create", "retract", "amend"]
    assert "a second incident" in history[-1]["reason"]
    again = cli("restore", rid, "--reason", "again")
    assert again.exit_code == 1 and "not retracted" in again.stderr


def test_reimporting_a_retracted_record_says_so(cli, db, tmp_path):
    import csv

    with open(DATA_CSV, encoding="utf-8") as f:
        ids = [r["external_id"] for r in csv.DictReader(f)]
    record = ids.index("pe-2022-12-12-chincheros") + 1  # records are numbered in file order
    assert cli("import", DATA_CSV, env={"PROTESTLOG_TODAY": "2026-11-30"}).exit_code == 0
    assert cli("retract", "pe-2022-12-12-chincheros", "--reason", "withdrawn by the Defensoría").exit_code == 0
    result = cli("import", DATA_CSV, "--json", env={"PROTESTLOG_TODAY": "2026-11-30"})
    assert result.exit_code == 0
    assert "retracted" in result.stderr and f"protestlog restore {record}" in result.stderr
    assert "different content" not in result.stderr
    assert result.json()["retracted"] == [{"line": record + 1, "external_id": "pe-2022-12-12-chincheros",
                                         "record": record}]
    # a row without an external id, matched by its content
    path = tmp_path / "one.csv"
    path.write_text("date,region,killed\n2023-01-01,Puno,1\n", encoding="utf-8")
    assert cli("import", path).exit_code == 0
    assert cli("retract", len(ids) + 1, "--reason", "error").exit_code == 0
    again = cli("import", path)
    assert f"record {len(ids) + 1}, which was retracted" in again.stderr
