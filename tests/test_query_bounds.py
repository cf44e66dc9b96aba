"""`protestlog query` is bounded: --timeout covers the whole command (SQLite, fetching, writing), huge values
are refused before they take memory, a table shows a bounded number of rows and says what it left out,
and Ctrl-C is an interruption, not a timeout. Also what it returns: JSON arrays as arrays, figures kept
at a narrow terminal."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import DATA_CSV, TODAY, protestlog_exe, run_exe, shipped_rows_as_imported, snapshot
from ptyterm import run_in_terminal

RECURSIVE = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
N = len(shipped_rows_as_imported())  # records in the ledger the fixture builds (record k is row k)


@pytest.fixture
def ledger(cli, db):
    assert cli("import", DATA_CSV, env={"PROTESTLOG_TODAY": "2027-01-01"}).exit_code == 0
    return db


def peak(*args, db, limit_bytes: int = 2_000_000_000, timeout: float = 60):
    """Run the executable under a 2 GB address-space limit; (result, seconds, peak resident MB)."""
    wrapper = ("import resource, subprocess, sys, json, time\n"
               f"lim = {limit_bytes}\n"
               "pre = lambda: resource.setrlimit(resource.RLIMIT_AS, (lim, lim))\n"
               "t = time.monotonic()\n"
               "r = subprocess.run(sys.argv[1:], capture_output=True, text=True, preexec_fn=pre, "
               "stdin=subprocess.DEVNULL)\n"
               "print(json.dumps([r.returncode, r.stdout[-3000:], r.stderr, time.monotonic() - t, "
               "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PROTESTLOG_TTY", "NO_COLOR")}
    env.update({"PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY, "PROTESTLOG_USER": "tester"})
    out = subprocess.run([sys.executable, "-c", wrapper, protestlog_exe(), *map(str, args)], capture_output=True,
                         text=True, env=env, timeout=timeout)
    code, stdout, stderr, seconds, megabytes = json.loads(out.stdout)
    return code, stdout, stderr, seconds, megabytes


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "86401", "0", "-1"])
def test_a_timeout_that_is_not_a_sensible_number_of_seconds_is_a_usage_error(cli, ledger, value):
    r = cli("query", "--timeout", value, "select 1")
    assert r.exit_code == 2, r
    assert len(r.stderr.strip().splitlines()) == 1 and "--timeout" in r.stderr and r.stdout == ""


def test_nan_no_longer_disables_the_timeout_and_a_runaway_query_stops(cli, ledger):
    r = cli("query", RECURSIVE, "--timeout", "0.5")
    assert r.exit_code == 1 and "stopped after 0.5s" in r.stderr


@pytest.mark.parametrize("sql", ["select zeroblob(500000000)", "select length(randomblob(200000000))",
                                 "select group_concat(zeroblob(100000)) from (select 1 from records a, records b)"])
def test_a_huge_value_is_refused_before_it_takes_memory(ledger, sql):
    code, stdout, stderr, seconds, megabytes = peak("query", "--timeout", "2", sql, db=ledger)
    assert code == 1 and "1,000,000 bytes" in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert seconds < 10 and megabytes < 200


def test_the_table_shows_a_bounded_number_of_rows_and_counts_the_rest(ledger):
    rows = N ** 3  # a three-way cross join of the records: computed here, not by protestlog
    code, stdout, stderr, seconds, megabytes = peak(
        "query", "--timeout", "30", "select a.id, b.killed from records a, records b, records c", db=ledger)
    assert code == 0, stderr
    assert stdout.strip().splitlines()[-1] == f"{rows - 200:,} more rows: use --limit or --format csv."
    assert seconds < 15 and megabytes < 200
    # --limit chooses how many; csv gives them all
    limited = run_exe("query", "select a.id from records a, records b", "--limit", "250", db=ledger)
    assert len(limited.stdout.strip().splitlines()) == 251 and "more rows" not in limited.stdout
    csv_out = run_exe("query", "select a.id, b.killed from records a, records b, records c", "-f", "csv",
                      db=ledger, timeout=120)
    assert len(csv_out.stdout.splitlines()) == rows + 1


def test_rows_past_a_hundred_thousand_are_not_counted_one_by_one(ledger):
    code, stdout, stderr, seconds, megabytes = peak(
        "query", "select a.id from records a, records b, records c, records d, records e", db=ledger)
    assert code == 0, stderr
    assert stdout.strip().splitlines()[-1] == "More than 100,000 more rows: use --limit or --format csv."
    assert seconds < 20 and megabytes < 200


def test_the_time_limit_covers_laying_out_the_table(ledger):
    """A 200-row table of 100-odd columns takes Rich a second or more to lay out, while SQLite gives the
    200 rows (LIMIT) at once: only a limit that covers the layout stops it. (With the whole 1,225-row
    result and --timeout 1 an idle machine finished inside the second: the test must not depend on load.)"""
    start = time.monotonic()
    r = run_exe("query", "--timeout", "0.2", "select * from records a, records b, records c limit 200", db=ledger)
    elapsed = time.monotonic() - start
    assert r.returncode == 1 and "stopped after 0.2s (raise --timeout)" in r.stderr, r.stderr
    assert elapsed < 10


def test_the_time_limit_covers_writing_every_row(ledger):
    start = time.monotonic()
    r = run_exe("query", "--timeout", "1", "select a.id, b.place from records a, records b, records c, records d",
                "-f", "json", db=ledger)
    assert r.returncode == 1 and "stopped after 1s" in r.stderr
    assert time.monotonic() - start < 5


def test_long_values_are_cut_in_a_table_only(cli, ledger):
    sql = "select printf('%.2000c', 'x') as long"
    table = cli("query", sql)
    assert "x" * 500 + "… (1,500 more characters)" in table.stdout.replace("\n", "")
    assert "1 value longer than 500 characters cut short" in table.stdout
    assert cli("query", sql, "-f", "csv").stdout.splitlines()[1] == "x" * 2000


def test_ctrl_c_is_an_interruption_not_a_timeout(ledger):
    env = {k: v for k, v in os.environ.items() if k not in ("PROTESTLOG_TTY", "NO_COLOR")}
    env.update({"PROTESTLOG_DB": str(ledger), "PROTESTLOG_TODAY": TODAY})
    process = subprocess.Popen([protestlog_exe(), "query", RECURSIVE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, env=env)
    time.sleep(2.5)  # started, and deep inside SQLite
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "stopped after" not in stderr and len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_ctrl_c_while_rows_stream_says_the_output_is_incomplete(ledger, fmt):
    """F3: Ctrl-C after rows had gone to stdout said "wrote nothing"."""
    env = {k: v for k, v in os.environ.items() if k not in ("PROTESTLOG_TTY", "NO_COLOR")}
    env.update({"PROTESTLOG_DB": str(ledger), "PROTESTLOG_TODAY": TODAY})
    endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select x from c"
    before = snapshot(ledger)[0]
    process = subprocess.Popen([protestlog_exe(), "query", endless, "-f", fmt], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
    first = process.stdout.readline()  # rows are on their way
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=20)
    assert first.strip() in ("x", '{"x": 1}'), (first, stderr)  # at least the header or a row went out
    assert process.returncode == 130, stderr
    assert "output is incomplete" in stderr and "ledger was not changed" in stderr, stderr
    assert "wrote nothing" not in stderr and len(stderr.strip().splitlines()) == 1
    assert snapshot(ledger)[0] == before  # the ledger file itself (a reader may leave an empty -wal)


def test_json_gives_sources_and_other_names_as_arrays(cli, ledger):
    listed = {r["id"]: r["sources"] for r in cli("list", "--json").json()}
    queried = cli("query", "select id, sources from records order by id", "--json").json()
    assert all(isinstance(r["sources"], list) for r in queried)
    assert {r["id"]: r["sources"] for r in queried} == listed
    lines = cli("query", "select id, sources from records where id = 2", "-f", "ndjson").stdout.splitlines()
    assert json.loads(lines[0])["sources"] == listed[2]
    assert cli("victim", "add", "--name", "A B", "--other-name", "A. B.", "--incident", "1").exit_code == 0
    assert cli("query", "select other_names from victims", "--json").json() == [{"other_names": ["A. B."]}]
    # a column of someone's own that only looks like JSON stays text; CSV keeps the stored text
    assert cli("query", "select '[oops' as sources", "--json").json() == [{"sources": "[oops"}]
    assert cli("query", "select sources from records where id = 2", "-f", "csv").stdout.splitlines()[1].startswith(
        '"[{')


def test_repeated_names_blobs_and_infinity_are_kept_apart_and_valid(cli, ledger):
    r = cli("query", "select a.id, b.id, x'00ff' as b, 1e999 as big from records a, records b "
                     "where a.id = 1 and b.id = 2", "--json")
    assert r.exit_code == 0, r
    assert r.json() == [{"id": 1, "id_2": 2, "b": "X'00FF'", "big": "inf"}]


def test_at_80_columns_the_table_keeps_place_and_figures(ledger):
    code, text, _ = run_in_terminal("query", "select * from records", db=ledger, cols=80, rows=50,
                                    env={"NO_COLOR": "1"})
    assert code == 0
    lines = text.splitlines()
    header = lines[0].split()
    assert header[:4] == ["id", "date", "region", "place"] and "killed" in header and "injured" in header
    assert all(len(line) <= 80 for line in lines)
    note = " ".join(text[text.index("Not shown at this width:"):].split())
    left_out = [n.strip() for n in note.split(":", 1)[1].split("(a wider")[0].split(",")]
    assert len(left_out) == len(set(left_out)) and "sources" in left_out and "sources_count" in left_out
    assert set(header) | set(left_out) >= {"killed", "place", "revision", "seq", "note"}


def test_the_search_index_can_be_read_but_not_written(cli, ledger):
    """F9: `query` gave "vtable constructor failed" on the FTS5 table that `sqlite3` reads."""
    import sqlite3

    word = "Juliaca"
    expected = [rowid for (rowid,) in sqlite3.connect(ledger).execute(
        "SELECT rowid FROM search_text_fts WHERE search_text_fts MATCH ? ORDER BY rowid", (word,))]
    assert expected  # the shipped data names Juliaca
    result = cli("query", f"select rowid from search_text_fts where search_text_fts match '{word}' order by rowid",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert [row["rowid"] for row in json.loads(result.stdout)] == expected
    before = snapshot(ledger)
    for sql in ("insert into search_text_fts(search_text_fts) values('optimize')", "delete from search_text_fts"):
        refused = cli("query", sql)
        assert refused.exit_code == 1 and "Traceback" not in refused.stderr
    assert snapshot(ledger) == before


def test_a_table_counts_as_output_only_once_it_is_printed():
    """Attack finding: Ctrl-C while a table was still being read or laid out said "the output is
    incomplete" though nothing had reached stdout (a table is printed whole, at the end)."""
    from protestlog import output

    def rows_then_ctrl_c():
        yield {"place": "Juliaca", "killed": 17}
        raise KeyboardInterrupt

    output.STREAMED.clear()
    env = output.Env(stdout=sys.stdout)
    try:
        with pytest.raises(KeyboardInterrupt):
            output.write_rows(env, rows_then_ctrl_c(), ["place", "killed"], "table")
        assert output.STREAMED == []  # nothing printed: "wrote nothing" is true
        output.write_rows(env, iter([{"place": "Juliaca", "killed": 17}]), ["place", "killed"], "table")
        assert output.STREAMED == [True]
        output.STREAMED.clear()
        with pytest.raises(KeyboardInterrupt):
            output.write_rows(env, rows_then_ctrl_c(), ["place", "killed"], "csv")
        assert output.STREAMED == [True]  # csv streams: its header went out first
    finally:
        output.STREAMED.clear()


def test_only_fts5_s_own_table_is_opened_before_the_authorizer(cli, ledger):
    """Attack finding: with search_text_fts swapped (writable_schema) for another virtual table such as
    dbstat, query's pre-connection opened it, and `query` read what it otherwise refuses."""
    import sqlite3

    assert cli("query", "select * from dbstat").exit_code == 1  # refused as such
    con = sqlite3.connect(ledger)
    con.execute("PRAGMA writable_schema = ON")
    con.execute("UPDATE sqlite_master SET sql = 'CREATE VIRTUAL TABLE search_text_fts USING dbstat' "
                "WHERE name = 'search_text_fts'")
    con.commit()
    con.close()
    result = cli("query", "select name from search_text_fts limit 1")
    assert result.exit_code == 1 and "Traceback" not in result.stderr, (result.stdout, result.stderr)
