"""Views for other tools (records, history, milestones) and `protestlog query`, read-only SQL."""

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA_CSV, shipped_rows_as_imported


@pytest.fixture
def shipped(cli):
    assert cli("import", DATA_CSV, env={"PROTESTLOG_TODAY": "2027-01-01"}).exit_code == 0  # sources read in 2026


def test_records_view_equals_summary_on_the_shipped_data(cli, shipped, db):
    # Independently: the shipped CSV's own rows.
    with open(DATA_CSV, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = (len(rows), sum(int(r["killed"]) for r in rows))
    assert sqlite3.connect(db).execute("select count(*), sum(killed) from records").fetchone() == expected
    totals = cli("summary", "--json").json()["totals"]
    assert (totals["records"], totals["killed"]) == expected


def test_the_sqlite3_shell_sees_the_views(shipped, db):
    out = subprocess.run(["sqlite3", str(db), "select count(*), sum(killed) from records"], capture_output=True,
                         text=True)
    if out.returncode == 127 or "not found" in out.stderr:
        pytest.skip("no sqlite3 shell")
    rows = shipped_rows_as_imported()
    assert out.stdout.strip() == f"{len(rows)}|{sum(int(r['killed']) for r in rows)}"


def test_records_view_follows_amendments_and_retractions(cli, add, db):
    a = add(date="2022-12-15", region="Ayacucho", killed=7)
    b = add(date="2022-12-16", region="Junín", killed=3)
    c = add(date="2023-01-09", region="Puno", killed=17)
    assert cli("amend", a, "--killed", "10", "--reason", "HRW").exit_code == 0
    assert cli("retract", b, "--reason", "duplicate").exit_code == 0
    conn = sqlite3.connect(db)
    assert conn.execute("select id, killed, revision from records order by id").fetchall() == [(a, 10, 2), (c, 17, 1)]
    listed = cli("list", "--json").json()
    assert [(r["id"], r["killed"]) for r in listed] == [(a, 10), (c, 17)]
    history = conn.execute("select seq, id, revision, action, reason from history order by seq").fetchall()
    assert history == [(1, a, 1, "create", None), (2, b, 1, "create", None), (3, c, 1, "create", None),
                       (4, a, 2, "amend", "HRW"), (5, b, 2, "retract", "duplicate")]
    assert conn.execute("select date, label from milestones order by date").fetchall() == [
        ("2022-12-07", "Protests begin"), ("2022-12-15", "State of emergency declared")]


def test_sqlite_utils_rows_reads_the_records_view(shipped, db):
    exe = Path(sys.executable).parent / "sqlite-utils"
    out = subprocess.run([str(exe), "rows", str(db), "records"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    shipped_rows = shipped_rows_as_imported()
    assert len(rows) == len(shipped_rows) and sum(r["killed"] for r in rows) == sum(int(r["killed"])
                                                                                   for r in shipped_rows)


def test_query_formats(cli, shipped):
    r = cli("query", "select region, sum(killed) as killed from records group by region order by killed desc, "
                     "region", "--json")
    assert r.exit_code == 0, r
    rows = shipped_rows_as_imported()
    by_region = {}
    for row in rows:
        by_region[row["region"]] = by_region.get(row["region"], 0) + int(row["killed"])
    top = max(by_region.items(), key=lambda kv: kv[1])
    assert r.json()[0] == {"region": top[0], "killed": top[1]}
    c = cli("query", "select id, place from records where id = 9", "--format", "csv")
    assert list(csv.reader(c.stdout.splitlines())) == [["id", "place"], ["9", rows[8]["place"]]]
    assert len(cli("query", "select * from history", "--format", "ndjson").stdout.splitlines()) == len(rows)
    assert len(cli("query", "select * from records", "--limit", "3", "--json").json()) == 3
    assert rows[8]["place"] in " ".join(cli("query", "select place from records where id = 9").stdout.split())


@pytest.mark.parametrize("sql", [
    "delete from entries", "insert into milestones (date, label, recorded_at, recorded_by) values "
    "('2023-01-01', 'x', 'x', 'x')", "drop view records", "create table t (x)", "attach 'x.db' as x",
    "pragma user_version = 9", "pragma journal_mode = delete", "update search_text set note = ''",
    "select 1; delete from entries", "vacuum", "select load_extension('x')", "selec",
])
def test_query_cannot_write_and_errors_are_one_line(cli, shipped, db, sql, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = Path(db).read_bytes()
    r = cli("query", sql)
    assert r.exit_code == 1, r
    assert r.stderr.startswith("protestlog: error: sql=") and len(r.stderr.strip().splitlines()) == 1
    assert Path(db).read_bytes() == before
    assert not (tmp_path / "x.db").exists()


def test_query_needs_a_ledger(cli, db):
    r = cli("query", "select 1")
    assert r.exit_code == 1 and "no ledger" in r.stderr
    assert not Path(db).exists()


def test_a_runaway_query_is_stopped(cli, shipped):
    r = cli("query", "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c",
            "--timeout", "0.5")
    assert r.exit_code == 1 and "stopped after 0.5s" in r.stderr
