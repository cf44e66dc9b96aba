"""Rough edges a tester found at an 80-column terminal, each checked as a user meets it.

The chart's title and first bar, verify's head, milestones a range cannot compare, piped prose that
ignored the terminal's width, and figures only some records give. Expected values come from the
shipped CSV or the same command's JSON, never from the text renderer itself.
"""

import csv
import fcntl
import json
import os
import re
import struct
import subprocess
import termios
from collections import defaultdict

import pytest

from conftest import CORRECTIONS_CSV, DATA_CSV, VICTIMS_CSV, protestlog_exe, run_exe
from ptyterm import run_in_terminal

LATE = "2026-11-30"
ENV = {"PROTESTLOG_TODAY": LATE}


@pytest.fixture(scope="module")
def incidents(tmp_path_factory):
    """The shipped incidents as the CSV gives them, read on LATE (figures checkable against the file)."""
    db = tmp_path_factory.mktemp("incidents") / "ledger.db"
    assert run_exe("import", DATA_CSV, db=db, env=ENV).returncode == 0
    return db


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The ledger `make demo` builds: incidents, victims, then corrections."""
    db = tmp_path_factory.mktemp("demo") / "ledger.db"
    for args in (("import", DATA_CSV), ("victim", "import", VICTIMS_CSV), ("apply-corrections", CORRECTIONS_CSV)):
        result = run_exe(*args, db=db, env=ENV)
        assert result.returncode == 0, result.stderr
    return db


def shipped() -> list[dict]:
    with open(DATA_CSV, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def terminal(db, *args, cols=80, env=None) -> list[str]:
    code, text, _ = run_in_terminal(*args, db=db, cols=cols, env={**ENV, **(env or {})})
    assert code == 0, text
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def cell(header: str, line: str, column: str) -> str:
    """The value of a right-aligned column on a table row: the word that ends under its heading's end."""
    end = header.index(column) + len(column)
    return "" if len(line) < end or line[end - 1] == " " else line[:end].split()[-1]


# ---- F12: chart and verify at 80 columns ----------------------------------------------------

def test_chart_title_keeps_total_with_its_number_and_bars_start_where_the_range_does(demo):
    lines = terminal(demo, "chart", "--since", "2022-12-07")
    total = json.loads(run_exe("chart", "--since", "2022-12-07", "--json", db=demo, env=ENV).stdout)["total"]
    assert any(re.search(rf"\btotal {total}$", line) for line in lines), lines[:3]
    assert not any(line.endswith("total") for line in lines)
    bars = [line for line in lines if re.match(r"\d{4}-\d{2}-\d{2}  ", line)]
    assert bars[0].startswith("2022-12-07  "), bars[0]  # not 2022-12-01, a day before the range
    # the folded row is worded as summary's: first day, last day of the range, how many periods
    series = terminal(demo, "summary", "--since", "2022-12-07")
    folded = next(line for line in series if line.endswith("months"))
    first, last, months = folded.split()[0], folded.split()[1], " ".join(folded.split()[-2:])
    assert last == LATE
    assert any(line.startswith(first) and f"to {last}: {months}, no records" in line for line in bars), bars


def test_verify_fits_80_columns_and_keeps_the_whole_head_as_the_last_word(demo):
    head = json.loads(run_exe("verify", "--json", db=demo, env=ENV).stdout)["head_hash"]
    lines = terminal(demo, "verify")
    assert max(map(len, lines)) <= 80, lines
    stdout_words = " ".join(line for line in lines if not line.startswith("head also")).split()
    assert stdout_words[-1] == head and any(line.endswith(head) for line in lines)
    piped = run_exe("verify", db=demo, env=ENV).stdout  # scripts: one line, the head its last word, as before
    assert piped == f"OK 38 entries, head {head}\n"


# ---- F14: milestones a range cannot compare ---------------------------------------------------

def test_milestones_outside_the_range_are_named_not_dropped(demo, tmp_path):
    db = tmp_path / "m.db"
    db.write_bytes(demo.read_bytes())
    assert run_exe("milestone", "add", "2023-03-20", "Late talks", db=db, env=ENV).returncode == 0
    args = ("summary", "--since", "2022-12-07", "--until", "2023-03-10")
    data = json.loads(run_exe(*args, "--json", db=db, env=ENV).stdout)
    assert [m["date"] for m in data["milestones"]] == ["2022-12-15"]
    skipped = {m["date"]: m for m in data["milestones_not_compared"]}
    assert skipped["2022-12-07"]["label"] == "Protests begin" and skipped["2022-12-07"]["side"] == "before"
    assert skipped["2023-03-20"]["side"] == "after" and "--until" in skipped["2023-03-20"]["reason"]
    text = terminal(db, *args)
    assert "Not compared: 2022-12-07 Protests begin (no day before it; earlier --since)." in text
    assert "Not compared: 2023-03-20 Late talks (after the range; later --until)." in text
    long = list(csv.DictReader(run_exe(*args, "--format", "csv", db=db, env=ENV).stdout.splitlines()))
    assert {(r["key"], r["field"]) for r in long if r["section"] == "milestone_not_compared"} == {
        ("2022-12-07 Protests begin", "before"), ("2023-03-20 Late talks", "after")}
    markdown = run_exe(*args, "--format", "markdown", db=db, env=ENV).stdout
    assert "Not compared: 2022-12-07 Protests begin (no days before it in the range" in markdown


def test_sensitivity_without_a_milestone_says_why(demo):
    args = ("summary", "--since", "2022-12-16", "--sensitivity")  # both shipped milestones fall before
    text = " ".join(terminal(demo, *args))
    assert "Sensitivity: no milestone to compare in this range" in text
    assert "Not compared: 2022-12-15 State of emergency declared" in text
    assert json.loads(run_exe(*args, "--json", db=demo, env=ENV).stdout)["sensitivity"] == []


# ---- F15: piped output follows the terminal the reader looks at -------------------------------

def run_piped_at_terminal(db, *args, cols: int, controlling: bool):
    """stdout a pipe (`protestlog … | less`); stderr the pty, or (controlling) only /dev/tty is."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "PROTESTLOG_TTY", "NO_COLOR")}
    env.update({"PROTESTLOG_DB": str(db), "PROTESTLOG_USER": "tester", **ENV})

    def take_terminal():  # a session of its own whose controlling terminal is the pty, as a shell's child has
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # stdin is the pty

    try:
        result = subprocess.run([protestlog_exe(), *args], stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE if controlling else slave, env=env, text=True,
                                preexec_fn=take_terminal if controlling else os.setsid, timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert result.returncode == 0, result.stderr
    return result.stdout


SENSITIVITY_ROW = re.compile(r"^(choice|default|window|spans|≥ |any confidence)")


@pytest.mark.parametrize("controlling", [False, True], ids=["stderr-is-the-terminal", "only-dev-tty"])
def test_piped_prose_wraps_at_the_terminal_and_tables_stay_whole(demo, controlling):
    args = ("summary", "--since", "2022-12-07", "--sensitivity")
    out = run_piped_at_terminal(demo, *args, cols=80, controlling=controlling)
    wide = run_exe(*args, db=demo, env={**ENV, "COLUMNS": "200"}).stdout  # what a 200-column layout gives
    for line in out.splitlines():
        if len(line) > 80:  # only data tables may be wider than the terminal, and then exactly as laid out wide
            assert SENSITIVITY_ROW.match(line) and line in wide.splitlines(), line
    assert any(len(line) > 80 for line in out.splitlines())  # the sensitivity table was not cut or dropped
    caveats = json.loads(run_exe(*args, "--json", db=demo, env=ENV).stdout)["milestones"][0]["caveats"]
    for caveat in caveats:
        assert f"Caveat: {caveat}." in " ".join(out.split())
    narrow = run_piped_at_terminal(demo, *args, cols=60, controlling=controlling)
    assert max(len(line) for line in narrow.splitlines() if line.startswith("Caveat")) <= 60


def test_piped_prose_without_any_terminal_wraps_at_80(demo):
    # COLUMNS empty: as unset (a worker may have inherited one); run_exe attaches no terminal at all
    out = run_exe("summary", "--since", "2022-12-07", db=demo, env={**ENV, "COLUMNS": ""}).stdout
    assert max(map(len, out.splitlines())) <= 80


# ---- F20: figures only some records give ----------------------------------------------------

def expected_mark(total: int, given: int, records: int) -> str:
    return "" if not given else f"{total}*" if given < records else str(total)


def test_by_region_marks_figures_only_some_records_give(incidents):
    per = defaultdict(lambda: {"records": 0} | {f: [0, 0] for f in ("minors", "injured", "detained")})
    for row in shipped():
        if row["date"] >= "2022-12-07":
            region = per[row["region"]]
            region["records"] += 1
            for field in ("minors", "injured", "detained"):
                if row[field].strip():
                    region[field][0] += int(row[field])
                    region[field][1] += 1
    lines = terminal(incidents, "summary", "--since", "2022-12-07", "--by-region")
    header = next(line for line in lines if line.lstrip().startswith("rank"))
    partial = 0
    for region, figures in per.items():
        line = next(line for line in lines if re.match(rf"\s*\d+  {re.escape(region)}  ", line))
        for field in ("minors", "injured", "detained"):
            total, given = figures[field]
            assert cell(header, line, field) == expected_mark(total, given, figures["records"]), (region, field)
            partial += 0 < given < figures["records"]
    assert partial  # the shipped data has such cells: the test could fail
    assert "*: only some of its records do" in " ".join(lines)


def test_series_marks_partial_periods_and_leaves_uncovered_months_blank(incidents):
    months = defaultdict(lambda: [0, 0, 0, 0])  # records, killed, injured sum, injured given
    for row in shipped():
        if row["date"] >= "2022-12-07":
            m = months[row["date"][:7]]
            m[0] += 1
            m[1] += int(row["killed"])
            if row["injured"].strip():
                m[2] += int(row["injured"])
                m[3] += 1
    lines = terminal(incidents, "summary", "--since", "2022-12-07")
    header = next(line for line in lines if line.startswith("start"))
    rows = [line for line in lines if re.match(r"\d{4}-\d{2}-\d{2}  \d{4}-\d{2}-\d{2} ", line)]
    assert any(0 < m[3] < m[0] for m in months.values())
    for line in rows[:-1]:
        records, killed, injured, given = months[line[:7]]
        assert (cell(header, line, "records"), cell(header, line, "killed")) == (str(records), str(killed))
        assert cell(header, line, "injured") == expected_mark(injured, given, records), line
    folded = rows[-1]
    assert folded.split()[1] == LATE and folded.endswith("months")
    assert cell(header, folded, "records") == "0" and cell(header, folded, "killed") == ""  # not "0 killed"
    assert "Blank: no record gives it (unknown, not zero); *: only some records there do." in lines
