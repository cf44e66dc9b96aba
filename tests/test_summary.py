"""`protestlog summary`: totals, splits, series and milestone comparisons, each checked against
figures the test computes itself from the rows it inserted."""

import csv
import datetime as dt
import io
import math
from collections import defaultdict

import pytest

from conftest import distinct_sources, random_incidents
from protestlog.ledger import Ledger
from protestlog.reports import _most_entries

SINCE = dt.date(2022, 12, 7)
UNTIL = dt.date(2023, 1, 20)
REGIONS = ["Puno", "Ayacucho", "Apurímac", "Junín"]


def random_ledger(cli, add):
    # 56 days from 1 December: some before SINCE, some after UNTIL.
    return random_incidents(add, seed=2022, count=40, first_day=dt.date(2022, 12, 1), days=56, regions=REGIONS,
                            groups=["civilian", "police", "military"], details=True)


@pytest.fixture
def rows(cli, db, from_template):
    return from_template(db, random_ledger)


def in_range(rows, lo=SINCE, hi=UNTIL):
    return [r for r in rows if lo.isoformat() <= r["date"] <= hi.isoformat()]


def summary_json(cli, *args):
    result = cli("summary", "--since", SINCE, "--until", UNTIL, *args, "--format", "json")
    assert result.exit_code == 0, result
    return result.json()


def test_totals_and_splits(cli, rows):
    s = summary_json(cli)
    kept = in_range(rows)
    for field in ("killed", "injured", "detained"):
        assert s["totals"][field] == sum(r[field] for r in kept)
    assert s["totals"]["minors_killed"] == sum(r["minors"] for r in kept)
    assert s["totals"]["records"] == len(kept)
    for key, split in (("group", "by_group"), ("region", "by_region")):
        expected = defaultdict(int)
        for r in kept:
            expected[r[key]] += r["killed"]
        assert {row["name"]: row["killed"] for row in s[split]} == dict(expected)
    circumstances = {"clash": "clash with security forces", "blockade": "blockade-related accident", "other": "other"}
    expected = defaultdict(int)
    for r in kept:
        expected[circumstances[r["circumstance"]]] += r["killed"]
    assert {row["name"]: row["killed"] for row in s["by_circumstance"]} == dict(expected)


@pytest.mark.parametrize("by", ["day", "week", "month"])
def test_series_and_running_totals(cli, rows, by):
    s = summary_json(cli, "--by", by)

    def start_of(day):
        if by == "week":
            return day - dt.timedelta(days=day.weekday())
        if by == "month":
            return day.replace(day=1)
        return day

    per_period = defaultdict(int)
    for r in in_range(rows):
        per_period[start_of(dt.date.fromisoformat(r["date"])).isoformat()] += r["killed"]
    starts = sorted({start_of(SINCE + dt.timedelta(days=n)).isoformat() for n in range((UNTIL - SINCE).days + 1)})
    assert [p["start"] for p in s["series"]] == starts
    running = 0
    for period in s["series"]:
        running += per_period[period["start"]]
        assert period["killed"] == per_period[period["start"]]
        assert period["cumulative_killed"] == running
    assert s["series"][-1]["cumulative_killed"] == s["totals"]["killed"]


def window_sum(rows, lo, hi):
    return sum(r["killed"] for r in rows if lo.isoformat() <= r["date"] <= hi.isoformat())


def test_milestone_comparison_default_window(cli, rows):
    s = summary_json(cli)
    emergency = dt.date(2022, 12, 15)
    (m,) = [m for m in s["milestones"] if m["date"] == "2022-12-15"]
    w = (emergency - SINCE).days  # 8 days: the default window is --since to the milestone
    before = window_sum(rows, emergency - dt.timedelta(days=w), emergency - dt.timedelta(days=1))
    after = window_sum(rows, emergency, emergency + dt.timedelta(days=w - 1))  # the milestone day is "after"
    assert m["label"] == "State of emergency declared" and m["window_days"] == w
    assert (m["before"]["killed"], m["after"]["killed"]) == (before, after)
    assert (m["before"]["start"], m["before"]["end"]) == ("2022-12-07", "2022-12-14")
    assert (m["after"]["start"], m["after"]["end"]) == ("2022-12-15", "2022-12-22")
    assert m["change"]["killed"] == after - before
    assert m["before"]["killed_per_day"] == round(before / w, 4)
    if before:
        assert m["rate_ratio"] == pytest.approx((after / w) / (before / w), abs=1e-4)
        assert m["change"]["relative"] == pytest.approx((after - before) / before, abs=1e-4)
    # "Protests begin" is on --since itself: nothing before it inside the range, so it is not compared.
    assert [m["date"] for m in s["milestones"]] == ["2022-12-15"]


def test_milestone_day_falls_after(cli, add):
    add(date="2022-12-15", region="Ayacucho", killed=10)
    add(date="2022-12-14", region="Ayacucho", killed=1)
    (m,) = summary_json(cli, "--window", 3)["milestones"]
    assert (m["before"]["killed"], m["after"]["killed"]) == (1, 10)
    assert (m["before"]["start"], m["after"]["end"]) == ("2022-12-12", "2022-12-17")


def test_window_option_and_added_milestone(cli, rows):
    assert cli("milestone", "add", "2023-01-09", "Juliaca killings").exit_code == 0
    s = summary_json(cli, "--window", 5)
    jan9 = dt.date(2023, 1, 9)
    (m,) = [m for m in s["milestones"] if m["date"] == "2023-01-09"]
    assert m["before"]["killed"] == window_sum(rows, jan9 - dt.timedelta(days=5), jan9 - dt.timedelta(days=1))
    assert m["after"]["killed"] == window_sum(rows, jan9, jan9 + dt.timedelta(days=4))
    assert m["before"]["days"] == m["after"]["days"] == 5


def binomial_tail_at_least(a, n, p):
    return sum(math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(a, n + 1))


@pytest.mark.parametrize("before, after", [(11, 13), (3, 20), (0, 4), (7, 0)])
def test_rate_ratio_interval_is_exact(cli, add, before, after):
    """At each bound the binomial tail equals 2.5%: the defining property of the exact interval."""
    if before:
        add(date="2022-12-10", region="Puno", killed=before)
    if after:
        add(date="2022-12-18", region="Puno", killed=after)
    (m,) = summary_json(cli)["milestones"]
    lo, hi = m["rate_ratio_ci95"]
    n, days = before + after, 8
    share = lambda rr: rr * days / (rr * days + days)  # equal windows
    if after == 0:
        assert lo == 0 or lo is None or lo == pytest.approx(0)
    else:
        assert binomial_tail_at_least(after, n, share(lo)) == pytest.approx(0.025, abs=2e-3)
    if before == 0:
        assert hi is None and m["rate_ratio"] is None  # unbounded: no deaths before
    else:
        assert 1 - binomial_tail_at_least(after + 1, n, share(hi)) == pytest.approx(0.025, abs=2e-3)
        assert lo <= m["rate_ratio"] <= hi


def test_json_contract_for_scripts(cli, rows):
    s = summary_json(cli)
    assert isinstance(s["totals"]["killed"], int) and isinstance(s["totals"]["injured"], int)
    for period in s["series"]:
        assert {"start", "killed", "cumulative_killed"} <= set(period)
    for m in s["milestones"]:
        assert {"date", "label"} <= set(m) and "killed" in m["before"] and "killed" in m["after"]
    # no --by: a 45-day span is shown by week, and the range says the period was chosen for it
    assert s["range"] == {"since": "2022-12-07", "until": "2023-01-20", "inclusive": True, "by": "week",
                          "by_auto": True}


def test_csv_and_markdown_carry_the_same_totals(cli, rows):
    killed = summary_json(cli)["totals"]["killed"]
    result = cli("summary", "--since", SINCE, "--until", UNTIL, "--format", "csv")
    long = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {(r["section"], r["field"]): r["value"] for r in long}[("totals", "killed")] == str(killed)
    md = cli("summary", "--since", SINCE, "--until", UNTIL, "--format", "markdown").stdout
    assert "2022-12-07 to 2023-01-20 (both days included)" in md and f"| killed | {killed} |" in md


def test_table_header_states_the_resolved_span(cli, rows):
    out = cli("summary", "--since", SINCE, "--until", UNTIL).stdout
    assert "2022-12-07 to 2023-01-20 (both days included)" in out
    assert "Milestone day counts in 'after'" in out


def test_until_before_since_is_refused(cli, rows):
    result = cli("summary", "--since", "2023-01-10", "--until", "2023-01-01")
    assert result.exit_code == 1 and "until='2023-01-01'" in result.stderr


@pytest.mark.parametrize("since, until", [("2022-12-01", "2023-03-31"),   # most entries: one pass over the table
                                          ("2023-01-11", "2023-01-12")])  # two days: read through the date index
def test_source_counts_whichever_way_the_records_are_read(cli, shipped, add, since, until):
    """Citations, unsourced records and distinct sources (URL, else name; one outlet cited by several
    records or twice by one counts once) come out the same when summary reads the whole table and when
    it reads a few days through the date index; counted here from `list --json`."""
    bare = add(date="2023-01-11", region="Puno", killed=1, group="civilian")
    named = add(date="2023-01-11", region="Puno", killed=2, group="civilian", source="Radio Onda Azul")
    for args in (["--name", "Radio Onda Azul"], ["--name", "IDL", "--url", "https://idl.org.pe/a"],
                 ["--name", "IDL again", "--url", "https://idl.org.pe/a"]):
        assert cli("source", "add", named, *args, "--accessed", "2023-01-12").exit_code == 0
    records = cli("list", "--since", since, "--until", until, "--json").json()
    assert {bare, named} <= {r["id"] for r in records}
    with Ledger(shipped) as ledger:  # the two ranges do take the two ways
        assert _most_entries(ledger, dt.date.fromisoformat(since), dt.date.fromisoformat(until)) == (since < "2023")
    for level, kept in ((None, records), ("probable", [r for r in records if r["confidence"] in ("confirmed", "probable")])):
        options = ["--min-confidence", level] if level else []
        totals = cli("summary", "--since", since, "--until", until, *options, "--json").json()["totals"]
        assert totals["records"] == len(kept)
        assert totals["sources"] == sum(len(r["sources"]) for r in kept)
        assert totals["unsourced_records"] == sum(not r["sources"] for r in kept)
        assert totals["distinct_sources"] == distinct_sources(kept)
        assert totals["killed"] == sum(r["killed"] for r in kept)
