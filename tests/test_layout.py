"""The headline commands read well at a terminal: compact, nothing cut, no escape codes when asked.

The pty tests run the installed executable in a real pseudo-terminal of 80 and 120 columns on
the shipped data, with "today" on 30 November 2026, as in the issue that asked for them: a
summary since 7 December 2022 then spans four years, almost all of it without records.
"""

import csv
import datetime as dt
import json
import re

import pytest

from conftest import CORRECTIONS_CSV, DATA_CSV, VICTIMS_CSV, run_exe
from protestlog.layout import default_period, fold
from ptyterm import run_in_terminal

LATE = "2026-11-30"  # the day the issue was filed: a long span after the last shipped record
COMMANDS = {
    "summary": ["summary", "--since", "2022-12-07"],
    "list": ["list"],
    "show": ["show", "7"],
    "chart": ["chart", "--since", "2022-12-07"],
    "by-region": ["summary", "--since", "2022-12-07", "--by-region"],
}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CUT = re.compile(r"(?<![\w/.-])(\d{4}-\d{0,2}|\d{4}-\d{2}-\d?)$")  # a date broken at the end of a line


@pytest.fixture(scope="module")
def shipped_late(tmp_path_factory):
    """The shipped incidents as first reported (what the CSV says), read on LATE."""
    db = tmp_path_factory.mktemp("late") / "ledger.db"
    result = run_exe("import", DATA_CSV, db=db, env={"PROTESTLOG_TODAY": LATE})
    assert result.returncode == 0, result.stderr
    return db


@pytest.fixture(scope="module")
def demo_late(tmp_path_factory):
    """The whole ledger `make demo` builds (incidents, victims, then corrections), read on LATE: the
    longest summary a new user sees first."""
    db = tmp_path_factory.mktemp("demo") / "ledger.db"
    for args in (("import", DATA_CSV), ("victim", "import", VICTIMS_CSV), ("apply-corrections", CORRECTIONS_CSV)):
        result = run_exe(*args, db=db, env={"PROTESTLOG_TODAY": LATE})
        assert result.returncode == 0, result.stderr
    return db


def machine(db, *args):
    result = run_exe(*args, "--json", db=db, env={"PROTESTLOG_TODAY": LATE})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def whole_tokens(db, name) -> set[str]:
    """Values that must appear whole on one line, taken from the same command's JSON."""
    if name == "list":
        rows = machine(db, "list")
        return {str(r["id"]) for r in rows} | {r["date"] for r in rows} | {r["region"] for r in rows} | {
            "Σ killed", "killed", "region", "date"}
    if name == "show":
        record = machine(db, "show", "7")["record"]
        return {record["date"], record["region"], str(record["killed"]), record["external_id"],
                record["recorded_at"], "recorded_at"}
    if name == "chart":
        data = machine(db, "chart", "--since", "2022-12-07")
        shown = {p["clipped_start"] for p in data["points"] if p["reported_in"]}
        return shown | {str(p["value"]) for p in data["points"] if p["reported_in"]} | {m["date"] for m in
                                                                                       data["milestones"]}
    if name == "by-region":
        data = machine(db, "summary", "--since", "2022-12-07", "--by-region")
        return {r["region"] for r in data["regions"]} | {f"{round(r['share'] * 100)}%" for r in data["regions"]} | {
            "rank", "region", "records", "killed", "share"}
    data = machine(db, "summary", "--since", "2022-12-07")
    tokens = {str(data["totals"]["killed"]), "2022-12-15", "State of emergency declared", "exact CI",
              "clustered CI", "measure", "before", "after", "change", "ratio"}
    return tokens | {r["name"] for r in data["by_region"][:5]} | {p["clipped_start"] for p in data["series"]
                                                                  if p["records"]}


@pytest.mark.parametrize("cols", [80, 120])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_headline_commands_fit_the_terminal_without_cutting_data(demo_late, name, cols):
    shipped_late = demo_late  # the tokens below come from the same ledger's JSON
    code, text, raw = run_in_terminal(*COMMANDS[name], db=demo_late, cols=cols, rows=24,
                                      env={"PROTESTLOG_TODAY": LATE})
    assert code == 0, text
    lines = text.rstrip("\n").split("\n")
    assert max(len(line) for line in lines) <= cols, max(lines, key=len)
    for token in whole_tokens(shipped_late, name):
        assert any(token in line for line in lines), f"{token!r} is not whole on any line:\n{text}"
    for line in lines:
        assert not CUT.search(line.rstrip()), f"a date is cut: {line!r}"
    assert not re.search(r"\b(None|True|False)\b", text), text
    if name == "summary":
        assert len(lines) <= 60, f"{len(lines)} lines"
        # nothing people need was dropped to get there: every total, the milestone that cannot be
        # compared, each caveat of the one that can, and the folded series
        data = machine(demo_late, "summary", "--since", "2022-12-07")
        flat = " ".join(text.split())
        for m in data["milestones"]:
            for caveat in m["caveats"]:
                assert f"Caveat: {caveat}." in flat, caveat
        assert "Not compared: 2022-12-07 Protests begin" in flat
        for measure in ("killed", "of whom minors", "injured", "detained"):
            assert re.search(rf"^  {measure} +\S", text, re.M), measure
        assert "44 months" in text
        # totals and the milestone comparison come before the series and the splits
        assert text.index("Totals") < text.index("Before and after 2022-12-15") < text.index("Series by month")
        assert "by month" in lines[0]


@pytest.mark.parametrize("variable", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_escape_sequences_when_colour_is_off(shipped_late, name, variable):
    code, text, raw = run_in_terminal(*COMMANDS[name], db=shipped_late, cols=80,
                                      env={"PROTESTLOG_TODAY": LATE, **variable})
    assert code == 0, text
    assert "\x1b" not in raw, repr(raw[:300])


def test_colour_is_used_at_a_terminal_otherwise(shipped_late):
    code, text, raw = run_in_terminal(*COMMANDS["list"], db=shipped_late, cols=120, env={"PROTESTLOG_TODAY": LATE})
    assert "\x1b[" in raw  # the test above could fail: the headings are bold here


PEOPLE_COMMANDS = [
    ["summary", "--since", "2022-12-07"], ["summary", "--since", "2022-12-07", "--by-region"], ["list"], ["show", "7"],
    ["chart", "--since", "2022-12-07"], ["sources", "7"], ["milestone", "list"], ["imports"], ["verify"],
    ["duplicates", "--min-score", "0"], ["imports", "show", "1"],
]


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "tsv", "ndjson"])
@pytest.mark.parametrize("args", PEOPLE_COMMANDS, ids=lambda a: " ".join(a))
def test_piped_output_has_no_trailing_spaces_and_no_python_values(shipped_late, args, fmt):
    if args[0] in ("chart",) and fmt != "table":
        pytest.skip("chart has no --format")
    extra = [] if fmt == "table" else ["--format", fmt]
    result = run_exe(*args, *extra, db=shipped_late, env={"PROTESTLOG_TODAY": LATE})
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        assert line == line.rstrip(" "), f"trailing space: {line!r}"  # (a TSV may end in an empty field)
    assert not re.search(r"\b(None|True|False)\b", result.stdout), result.stdout[:500]


def test_summary_csv_says_true_as_csv_does(shipped_late):
    result = run_exe("summary", "--since", "2022-12-07", "--format", "csv", db=shipped_late,
                     env={"PROTESTLOG_TODAY": LATE})
    assert "range,,inclusive,true" in result.stdout


def test_json_keeps_the_full_series_and_states_the_period(shipped_late):
    data = machine(shipped_late, "summary", "--since", "2022-12-07")
    assert (data["range"]["since"], data["range"]["until"], data["range"]["by"]) == ("2022-12-07", LATE, "month")
    assert data["range"]["by_auto"] is True
    assert len(data["series"]) == 48  # December 2022 to November 2026, every month, none folded
    chosen = machine(shipped_late, "summary", "--since", "2022-12-07", "--by", "week")
    assert chosen["range"]["by"] == "week" and chosen["range"]["by_auto"] is False
    chart = machine(shipped_late, "chart", "--since", "2022-12-07")
    assert len(chart["points"]) == 48


@pytest.mark.parametrize("days, period", [(1, "day"), (42, "day"), (43, "week"), (366, "week"), (367, "month")])
def test_the_default_period_fits_the_span(days, period):
    since = dt.date(2022, 12, 7)
    assert default_period(since, since + dt.timedelta(days=days - 1)) == period


def test_fold_keeps_short_runs_and_protected_items():
    items = [1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0]
    out = fold(items, lambda x: x == 0, keep=lambda x: False)
    assert out == [("one", 1), ("one", 0), ("one", 0), ("one", 2), ("run", 0, 0, 4), ("one", 3), ("run", 0, 0, 3)]
    days = list(range(6))
    assert fold(days, lambda x: True, keep=lambda x: x == 3) == [("run", 0, 2, 3), ("one", 3), ("one", 4),
                                                                  ("one", 5)]


def test_the_nightly_markdown_ends_near_the_last_record(shipped_late):
    """examples/ci-daily.sh publishes `summary --since 2022-12-07 --format markdown`."""
    assert "--by week" not in (DATA_CSV.parent.parent / "examples" / "ci-daily.sh").read_text()
    result = run_exe("summary", "--since", "2022-12-07", "--format", "markdown", db=shipped_late,
                     env={"PROTESTLOG_TODAY": LATE})
    series = result.stdout.split("**Series by")[1].split("**Before")[0]
    rows = [line for line in series.splitlines() if line.startswith("| 20")]
    # From the shipped file: one row per month up to the last record's, then the empty months to today in one row.
    with open(DATA_CSV, encoding="utf-8") as f:
        shipped = list(csv.DictReader(f))
    last = max(r["date"] for r in shipped)
    year, month = int(last[:4]), int(last[5:7])
    months_with_data = (year - 2022) * 12 + month - 12 + 1  # December 2022 to the last record's month
    assert {r["date"][:7] for r in shipped if r["date"] >= "2022-12"} >= {
        f"{2022 + (11 + k) // 12}-{(11 + k) % 12 + 1:02d}" for k in range(months_with_data)}  # none empty
    after = f"{year + month // 12}-{month % 12 + 1:02d}-01"
    empty = (2026 - int(after[:4])) * 12 + 11 - int(after[5:7]) + 1  # to November 2026 (LATE)
    total = sum(int(r["killed"]) for r in shipped)
    assert len(rows) == months_with_data + 1, rows
    assert rows[-1].startswith(f"| {after} | 2026-11-30 | 0 |  | {total} |") and f"{empty} months" in rows[-1]


def test_the_report_timeline_ends_at_the_last_record_unless_until_says_so(shipped_late):
    env = {"PROTESTLOG_TODAY": LATE}
    default = run_exe("report", "--since", "2022-12-07", "--format", "markdown", db=shipped_late, env=env)
    assert default.returncode == 0, default.stderr
    timeline = default.stdout.split("## Timeline")[1].split("```", 2)[1]
    with open(DATA_CSV, encoding="utf-8") as f:
        last = max(r["date"] for r in csv.DictReader(f))  # the last shipped record
    assert f"{last} (both days included)" in timeline
    assert max(DATE.findall(timeline)) <= last
    assert f"--until {last}" in default.stdout  # and the reproduce command says so
    explicit = run_exe("report", "--since", "2022-12-07", "--until", LATE, "--format", "markdown", db=shipped_late,
                       env=env)
    timeline = explicit.stdout.split("## Timeline")[1].split("```", 2)[1]
    assert f"to {LATE}" in timeline and "weeks, no records" in timeline


def test_tables_leave_out_columns_rather_than_cut_them(shipped_late):
    code, text, raw = run_in_terminal("list", db=shipped_late, cols=60, env={"PROTESTLOG_TODAY": LATE})
    assert code == 0
    assert "Not shown at this width:" in text
    lines = text.rstrip("\n").split("\n")
    assert max(len(line) for line in lines) <= 60
    for row in machine(shipped_late, "list"):
        assert any(row["date"] in line and row["region"] in line for line in lines), row
