"""Unknown is never shown as zero: one test per place a figure no record gives used to print 0.

Each test adds records that leave a figure out, and checks that the output says null/blank/unknown
and how many records gave the figure, in every format that shows it.
"""

import csv
import io
import re

import pytest

RANGE = ("--since", "2022-12-07", "--until", "2022-12-22")


@pytest.fixture
def sparse(add):
    """Deaths everywhere; injured only after the 15 December milestone; detained and minors never."""
    add(date="2022-12-10", region="Apurímac", killed=2)
    add(date="2022-12-12", region="Arequipa", killed=1)
    add(date="2022-12-15", region="Ayacucho", killed=10, injured=61)
    add(date="2022-12-16", region="Junín", killed=3, injured=52)


def summary(cli, *extra, fmt="json"):
    result = cli("summary", *RANGE, *extra, "--format", fmt)
    assert result.exit_code == 0, result
    return result.json() if fmt == "json" else result.stdout


def long_csv(cli, *extra) -> dict:
    rows = csv.DictReader(io.StringIO(summary(cli, *extra, fmt="csv")))
    return {(r["section"], r["key"], r["field"]): r["value"] for r in rows}


def test_totals_are_null_when_no_record_gives_them(cli, sparse):
    t = summary(cli)["totals"]
    assert (t["detained"], t["detained_reported_in"]) == (None, 0)
    assert (t["minors_killed"], t["minors_reported_in"]) == (None, 0)
    assert (t["injured"], t["injured_reported_in"]) == (113, 2)  # known in 2 of 4: summed, and said so
    table = " ".join(summary(cli, fmt="table").split())
    assert "unknown (given in 0 of 4 records)" in table
    assert "113 (given in 2 of 4 records)" in table
    md = summary(cli, fmt="markdown")
    assert "| detained | unknown (given in 0 of 4 records) |" in md
    flat = long_csv(cli)
    assert flat[("totals", "", "detained")] == "" and flat[("totals", "", "detained_reported_in")] == "0"


def test_report_headline_never_says_zero_for_unknown(cli, sparse, tmp_path):
    for name in ("r.md", "r.html"):
        out = tmp_path / name
        assert cli("report", *RANGE, "--output", out).exit_code == 0
        text = out.read_text()
        assert "unknown (given in 0 of 4 records)" in text  # detained and minors
        assert "People detained | 0" not in text and "People detained</td><td class=num>0<" not in text


def test_milestone_window_without_injury_figures_is_null(cli, sparse):
    (m,) = summary(cli)["milestones"]
    assert (m["before"]["injured"], m["before"]["injured_reported_in"]) == (None, 0)
    assert (m["after"]["injured"], m["after"]["injured_reported_in"]) == (113, 2)
    flat = long_csv(cli)
    key = "2022-12-15 State of emergency declared"
    assert flat[("milestone", key, "before.injured")] == ""
    assert flat[("milestone", key, "before.injured_reported_in")] == "0"


def test_series_periods_without_figures_are_null_and_running_totals_wait(cli, sparse):
    series = {p["start"]: p for p in summary(cli, "--by", "day")["series"]}
    assert series["2022-12-10"]["killed"] == 2  # killed is required on every record: a known count
    assert (series["2022-12-10"]["injured"], series["2022-12-10"]["injured_reported_in"]) == (None, 0)
    assert series["2022-12-10"]["cumulative_injured"] is None  # nothing known yet
    assert (series["2022-12-15"]["injured"], series["2022-12-15"]["injured_reported_in"]) == (61, 1)
    assert series["2022-12-17"]["injured"] is None and series["2022-12-17"]["cumulative_injured"] == 113
    assert all(p["detained"] is None and p["cumulative_detained"] is None for p in series.values())
    flat = long_csv(cli, "--by", "day")
    assert flat[("series", "2022-12-10", "injured")] == "" and flat[("series", "2022-12-10", "killed")] == "2"
    table = " ".join(summary(cli, "--by", "day", fmt="table").split())  # captions wrap
    assert re.search(r"injured \d+ \(given in 2 of 4 records\)", table), table
    assert "Blank: no record gives it (unknown, not zero)" in table


def test_splits_and_regions_leave_unknown_blank(cli, sparse):
    s = summary(cli)
    regions = {r["name"]: r for r in s["by_region"]}
    assert regions["Apurímac"]["injured"] is None and regions["Ayacucho"]["injured"] == 61
    assert all(r["detained"] is None and r["minors"] is None for r in s["by_region"])
    rows = list(csv.DictReader(io.StringIO(cli("summary", *RANGE, "--by-region", "--format", "csv").stdout)))
    apurimac = next(r for r in rows if r["region"] == "Apurímac")
    assert (apurimac["injured"], apurimac["detained"], apurimac["minors"]) == ("", "", "")
    assert "unknown, not zero" in " ".join(summary(cli, fmt="table").split())


def test_chart_draws_no_data_where_no_record_gives_the_figure(cli, sparse, tmp_path):
    data = cli("chart", *RANGE, "--metric", "injured", "--json").json()
    points = {p["start"]: p for p in data["points"]}
    assert points["2022-12-10"]["value"] is None and points["2022-12-10"]["reported_in"] == 0
    assert points["2022-12-15"]["value"] == 61
    text = cli("chart", *RANGE, "--metric", "injured").stdout
    # 8-14 December give no injured figure: one line says so (runs of 3 or more are folded), no bar
    line = next(line for line in text.splitlines() if line.startswith("2022-12-08"))
    assert "2022-12-14: 7 days, no data" in line and "#" not in line
    assert "injured is given in 2 of 4 records" in text
    # piped text is laid out $COLUMNS wide: pin it, so the title is one line whatever the worker inherited
    detained = cli("chart", *RANGE, "--metric", "detained", env={"COLUMNS": "200"}).stdout
    assert detained.splitlines()[0].endswith("total unknown (no record gives it)")
    svg = tmp_path / "injured.svg"
    assert cli("chart", *RANGE, "--by", "day", "--metric", "injured", "--output", svg).exit_code == 0
    assert ">no data<" in svg.read_text()


def test_register_running_injured_is_null_until_a_record_gives_it(cli, sparse):
    rows = cli("list", *RANGE, "--json").json()
    assert [r["running_injured"] for r in rows] == [None, None, 61, 113]
    assert [r["running_killed"] for r in rows] == [2, 3, 13, 16]


def test_splits_say_how_many_records_gave_each_figure(cli, sparse):
    s = summary(cli)
    regions = {r["name"]: r for r in s["by_region"]}
    assert (regions["Ayacucho"]["injured_reported_in"], regions["Apurímac"]["injured_reported_in"]) == (1, 0)
    (civilian,) = [g for g in s["by_group"] if g["name"] == "unknown"]
    assert (civilian["records"], civilian["injured"], civilian["injured_reported_in"]) == (4, 113, 2)
    assert (civilian["detained"], civilian["detained_reported_in"]) == (None, 0)


def test_a_tiny_share_is_not_printed_as_zero_percent(cli, add):
    add(date="2022-12-10", region="Puno", killed=299)
    add(date="2022-12-11", region="Cusco", killed=1)
    rows = {r["region"]: r for r in cli("summary", *RANGE, "--by-region", "--json").json()["regions"]}
    assert rows["Cusco"]["share"] == pytest.approx(1 / 300, rel=5e-3) and rows["Cusco"]["share"] > 0
    table = cli("summary", *RANGE, "--by-region").stdout
    line = next(line for line in table.splitlines() if "Cusco" in line)
    assert "0.33%" in line and " 0% " not in line + " "


def _milestone(s, date="2022-12-15"):
    return next(m for m in s["milestones"] if m["date"] == date)


def test_after_window_stops_at_the_last_record(cli, add):
    """Without --until the range runs to today (2023-06-01 in the tests), but the ledger's last record
    is on 18 December: a 30-day after window is cut there, not filled with days of zero deaths."""
    for day, killed in (("2022-12-08", 3), ("2022-12-10", 2), ("2022-12-16", 1), ("2022-12-18", 2)):
        add(date=day, region="Puno", killed=killed)
    s = cli("summary", "--since", "2022-12-07", "--window", "30", "--json").json()
    m = _milestone(s)
    # before 12-07..12-14 (cut at --since: 8 days, 5 deaths); after 12-15..12-18 (4 days, 3 deaths)
    assert (m["before"]["start"], m["before"]["days"], m["before"]["killed"]) == ("2022-12-07", 8, 5)
    assert (m["after"]["start"], m["after"]["end"], m["after"]["days"], m["after"]["killed"]) == (
        "2022-12-15", "2022-12-18", 4, 3)
    assert m["rate_ratio"] == pytest.approx((3 / 4) / (5 / 8), abs=1e-4)  # 1.2, not (3/30)/(5/8) = 0.16
    clipped = [c for c in m["caveats"] if c.startswith("window clipped")]
    assert len(clipped) == 1 and "2023-01-13" in clipped[0] and "2022-12-18" in clipped[0]
    assert "unknown, not zero" in clipped[0]
    rows = {r["window"]: r for r in cli("summary", "--since", "2022-12-07", "--sensitivity", "--json").json()
            ["sensitivity"] if r["date"] == "2022-12-15"}
    assert (rows[14]["before_days"], rows[14]["after_days"]) == (8, 4)
    assert rows[14]["clipped"] == {"before": True, "after": True}
    out = " ".join(cli("summary", "--since", "2022-12-07", "--window", "30").stdout.split())
    assert "3 in 4d" in out and "window clipped" in out


def test_an_explicit_until_vouches_for_the_days_up_to_it(cli, add):
    """--until, like --since, is the user's statement of the period the ledger covers: no cut, no caveat."""
    for day, killed in (("2022-12-08", 3), ("2022-12-10", 2), ("2022-12-16", 1), ("2022-12-18", 2)):
        add(date=day, region="Puno", killed=killed)
    m = _milestone(cli("summary", "--since", "2022-12-07", "--until", "2023-01-31", "--window", "30",
                       "--json").json())
    assert (m["after"]["end"], m["after"]["days"]) == ("2023-01-13", 30)
    assert not [c for c in m["caveats"] if c.startswith("window clipped")]


def test_milestone_after_the_last_record_compares_nothing(cli, add):
    add(date="2022-12-08", region="Puno", killed=3)
    assert cli("milestone", "add", "2023-01-05", "Late").exit_code == 0
    m = _milestone(cli("summary", "--since", "2022-12-07", "--json").json(), "2023-01-05")
    # before 12-07..12-08 (cut at the last record: 2 days), after none
    assert (m["before"]["days"], m["after"]["days"], m["after"]["killed"]) == (2, 0, 0)
    assert m["rate_ratio"] is None and m["change"]["relative"] is None
    assert any(c.startswith("window clipped: the milestone falls after the last record") for c in m["caveats"])
    result = cli("summary", "--since", "2022-12-07", "--sensitivity")
    assert result.exit_code == 0 and "after no observed days" in " ".join(result.stdout.split())
