"""The one chain: one head hash pins entries, milestones, import batches and settings (issue 12)."""

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import add_args, protestlog_exe
from protestlog.ledger import SCHEMA_VERSION

V3_LEDGER = Path(__file__).parent / "data" / "ledger_v3.db"
# `protestlog verify` of the release before the chain (schema 3) printed this head for tests/data/ledger_v3.db:
# 3 records added, one amended, one retracted, a milestone, an import batch of 2 rows.
V3_HEAD = "5afd31fe2a96220923c0b16333a66e907abe034822bc4a0d963339447bd75d53"


@pytest.fixture
def v3(db):
    shutil.copy(V3_LEDGER, db)
    return db


def sql(db, *statements):
    con = sqlite3.connect(db)
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


@pytest.fixture
def ledger(cli, add, db):
    add(date="2023-01-09", region="Puno", killed=17)
    add(date="2022-12-15", region="Ayacucho", killed=7)
    assert cli("milestone", "add", "2023-01-01", "New year").exit_code == 0
    return db


def test_a_release_3_ledger_migrates_and_its_old_head_is_still_passed_through(cli, v3):
    result = cli("verify", "--json")
    assert result.exit_code == 0, result
    report = result.json()
    assert report["entries"] == 7 and report["previous_head"] == V3_HEAD and report["head_hash"] != V3_HEAD
    # 7 entries, 3 milestones (2 defaults + 1), 1 batch, then the previous head and the time zone.
    assert report["chained"] == {"entry": 7, "milestone": 3, "batch": 1, "setting": 2, "victim": 0}
    through = cli("verify", "--expect", V3_HEAD)
    assert through.exit_code == 0 and "at entry 7" in through.stdout
    assert report["head_hash"] in through.stdout and V3_HEAD in through.stderr  # both heads printed
    assert through.stdout.count("\n") == 1  # stdout stays one line: scripts take its last word as the head
    # The figures did not move: 10 (amended) + 17 + 1 + 2 killed; record 1 stays retracted.
    totals = cli("summary", "--since", "2022-12-01", "--until", "2023-03-01", "--json").json()["totals"]
    assert totals["killed"] == 30 and totals["records"] == 4
    assert sqlite3.connect(v3).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_migration_runs_once_and_the_head_then_only_moves_forward(cli, v3):
    head = cli("verify", "--json").json()["head_hash"]
    assert cli("verify", "--json").json()["head_hash"] == head
    assert cli(*add_args(date="2023-02-02", region="Tacna", killed=1)).exit_code == 0
    after = cli("verify", "--json").json()
    assert after["ok"] and after["head_hash"] != head and after["chain_length"] == 14
    assert cli("verify", "--expect", head).exit_code == 0


@pytest.mark.parametrize("statement", [
    # The attack of issue 12: a milestone added around protestlog changes a report's comparisons.
    "INSERT INTO milestones (date, label, recorded_at, recorded_by) "
    "VALUES ('2023-01-05', 'Fake', '2023-01-05T00:00:00.000000Z', 'x')",
    "INSERT INTO imports (file, sha256, format, recorded_at, recorded_by, rows, added, already_present) "
    "VALUES ('f.csv', '" + "a" * 64 + "', 'csv', '2023-01-05T00:00:00.000000Z', 'x', 1, 1, 0)",
    "INSERT INTO settings (key, value, recorded_at, recorded_by) "
    "VALUES ('time_zone', 'Pacific/Kiritimati', '2099-01-01T00:00:00.000000Z', 'x')",
])
def test_a_row_added_around_protestlog_fails_verify(cli, ledger, statement):
    published = cli("verify", "--json").json()["head_hash"]
    sql(ledger, statement)
    result = cli("verify", "--expect", published)
    assert result.exit_code == 1 and "not in the hash chain" in result.stderr, result


@pytest.mark.parametrize("table, trigger, statement", [
    ("milestones", "milestones_append_only_update", "UPDATE milestones SET date = '2022-12-20' WHERE label = 'New year'"),
    ("milestones", "milestones_append_only_delete", "DELETE FROM milestones WHERE label = 'New year'"),
    ("settings", "settings_append_only_update", "UPDATE settings SET value = 'Asia/Tokyo'"),
])
def test_a_chained_row_changed_or_deleted_fails_verify(cli, ledger, table, trigger, statement):
    sql(ledger, f"DROP TRIGGER {trigger}", statement)
    result = cli("verify")
    assert result.exit_code == 1, result
    assert "does not match its hash" in result.stderr or "missing" in result.stderr, result.stderr


def test_every_chained_kind_moves_the_head(cli, ledger, tmp_path):
    heads = [cli("verify", "--json").json()["head_hash"]]
    assert cli("milestone", "add", "2023-01-15", "Curfew").exit_code == 0
    heads.append(cli("verify", "--json").json()["head_hash"])
    (tmp_path / "b.csv").write_text("date,region,killed\n2023-01-20,Lima,1\n", encoding="utf-8")
    assert cli("import", tmp_path / "b.csv").exit_code == 0
    heads.append(cli("verify", "--json").json()["head_hash"])
    assert len(set(heads)) == 3
    for h in heads:
        assert cli("verify", "--expect", h).exit_code == 0
    # The report prints the chain head, so publishing it pins the milestone comparisons too.
    summary = cli("summary", "--since", "2022-12-01", "--until", "2023-02-01", "--json").json()
    assert summary["ledger"]["head_hash"] == heads[-1]


def test_append_chained_is_the_api_for_new_kinds(db, monkeypatch):
    """What helper 'victims' and future kinds use: insert the row, chain it, in one write."""
    from protestlog import chain
    from protestlog.ledger import Ledger
    from protestlog.verify import verify

    monkeypatch.setenv("PROTESTLOG_TZ", "America/Lima")
    with Ledger(db, create=True) as ledger:
        before = ledger.head()["hash"]
        with ledger.writing() as con:
            cur = con.execute("INSERT INTO settings (key, value, recorded_at, recorded_by) VALUES (?, ?, ?, ?)",
                              ("time_zone", "Asia/Tokyo", chain.now(con), "tester"))
            new = chain.append_chained(con, "setting", cur.lastrowid)
        assert ledger.head()["hash"] == new != before
        assert ledger.time_zone == "Asia/Tokyo"
        assert verify(ledger, expect=before)["ok"]
        with pytest.raises(RuntimeError):
            chain.append_chained(ledger.db, "setting", cur.lastrowid)  # outside writing()


# ---- the ledger's time zone ------------------------------------------------------------


def run(db, *args, env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("PROTESTLOG_")}
    full.update({"PROTESTLOG_DB": str(db), "PROTESTLOG_USER": "tester"}, **env)
    return subprocess.run([protestlog_exe(), *args], capture_output=True, text=True, env=full, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_the_time_zone_is_chosen_at_creation_and_shown(cli, db):
    assert cli(*add_args(date="2023-01-09", region="Puno", killed=1), env={"PROTESTLOG_TZ": "America/Lima"}).exit_code == 0
    shown = cli("settings", "--json", env={"PROTESTLOG_TZ": "Asia/Tokyo"})  # only creation reads it
    assert shown.exit_code == 0 and shown.json()["time_zone"] == "America/Lima"
    assert shown.json()["settings"][-1]["key"] == "time_zone"
    table = cli("settings")
    assert "America/Lima" in table.stdout


def test_an_unknown_time_zone_is_refused_at_creation(cli, db):
    result = cli(*add_args(date="2023-01-09", region="Puno", killed=1), env={"PROTESTLOG_TZ": "Mars/Olympus"})
    assert result.exit_code == 2 and "PROTESTLOG_TZ" in result.stderr
    assert not db.exists()


# UTC+14 and UTC-12 are always on different calendar days (26 hours apart), whatever the time of the run.
AHEAD, BEHIND = "Etc/GMT-14", "Etc/GMT+12"


def test_today_is_the_ledgers_not_the_machines(db):
    """Issue 12: under TZ=Pacific/Kiritimati a date that is tomorrow in Lima was accepted."""
    assert run(db, "milestone", "add", "2023-01-01", "x", env={"PROTESTLOG_TZ": BEHIND}).returncode == 0
    ahead_today = dt.datetime.now(ZoneInfo(AHEAD)).date()
    behind_today = dt.datetime.now(ZoneInfo(BEHIND)).date()
    assert ahead_today > behind_today
    result = run(db, *add_args(date=ahead_today.isoformat(), region="Puno", killed=1), env={"TZ": AHEAD})
    assert result.returncode == 1 and "future" in result.stderr, result
    ok = run(db, *add_args(date="yesterday", region="Puno", killed=1), "--json", env={"TZ": AHEAD})
    assert ok.returncode == 0, ok
    import json

    assert json.loads(ok.stdout)["date"] == (behind_today - dt.timedelta(days=1)).isoformat()
    # The default end of a summary is the ledger's today, on every machine.
    for machine in (AHEAD, BEHIND, "UTC"):
        s = run(db, "summary", "--json", env={"TZ": machine})
        assert json.loads(s.stdout)["range"]["until"] == behind_today.isoformat(), machine


def test_verify_says_what_else_the_head_covers_in_plain_grammar(tmp_path):
    """One import batch is '1 import batch', not '1 import batches'."""
    from conftest import run_exe

    db = tmp_path / "l.db"
    csv = tmp_path / "r.csv"
    csv.write_text("date,region,killed\n2023-01-09,Puno,1\n")
    assert run_exe("import", csv, db=db).returncode == 0
    out = run_exe("verify", db=db)
    assert out.returncode == 0
    assert "covers 2 milestones, 1 import batch and 1 setting\n" in out.stderr, out.stderr
