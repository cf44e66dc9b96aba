"""`chart`: the terminal chart and SVG/PNG files plot exactly summary's series, with milestones marked."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import distinct_sources, random_incidents, snapshot, without_matplotlib

RANGE = ("--since", "2022-12-07", "--until", "2023-01-10")
ROW = re.compile(r"^(\d{4}-\d{2}-\d{2})  (#*) +(\d+|no data)(?:  (.*))?$")


def busy_ledger(cli, add):
    random_incidents(add, seed=7, count=40, first_day=dt.date(2022, 12, 1), days=50,
                     regions=["Puno", "Cusco", "Lima"], groups=["civilian", "police"], details=True)
    assert cli("milestone", "add", "2022-12-20", "Curfew in Puno").exit_code == 0
    assert cli("milestone", "add", "2023-03-01", "Outside the range").exit_code == 0


@pytest.fixture
def busy(cli, db, from_template):
    """Random incidents with every figure given; one more milestone besides the two a ledger starts with."""
    from_template(db, busy_ledger)


def plotted_rows(text: str) -> list[tuple[str, int, int, str]]:
    rows = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            rows.append((m[1], len(m[2]), None if m[3] == "no data" else int(m[3]), m[4] or ""))
    return rows


def unfolded(points: list[dict], milestones: list[dict]) -> list[dict]:
    """The periods a terminal chart draws one by one: runs of 3 or more periods where no record gives
    the figure, and no milestone falls, are one line of text instead."""
    def marked(p):
        return any(p["start"] <= m["date"] <= p["end"] for m in milestones)

    shown, run = [], []
    for p in points + [None]:
        if p is not None and not p["reported_in"] and not marked(p):
            run.append(p)
            continue
        shown += run if len(run) < 3 else []
        run = []
        if p is not None:
            shown.append(p)
    return shown


@pytest.mark.parametrize("by", ["day", "week", "month"])
@pytest.mark.parametrize("metric", ["killed", "injured", "detained"])
@pytest.mark.parametrize("cumulative", [False, True])
def test_chart_plots_summary_series(cli, busy, by, metric, cumulative):
    extra = ["--cumulative"] if cumulative else []
    series = cli("summary", *RANGE, "--by", by, "--json").json()["series"]
    key = f"cumulative_{metric}" if cumulative else metric
    expected = [(p["start"], p[key]) for p in series]

    data = cli("chart", *RANGE, "--by", by, "--metric", metric, *extra, "--json").json()
    assert [(p["start"], p["value"]) for p in data["points"]] == expected

    text = cli("chart", *RANGE, "--by", by, "--metric", metric, *extra)
    assert text.exit_code == 0, text
    rows = plotted_rows(text.stdout)
    shown = unfolded(data["points"], data["milestones"])
    # each bar is labelled with its first day inside the range, as summary's series is (not 2022-12-01)
    assert [(start, value) for start, _, value, _ in rows] == [(max(p["start"], RANGE[1]), p["value"]) for p in shown]
    assert len(rows) + text.stdout.count(" no records") + text.stdout.count(", no data") >= 1
    # Bars are proportional: the longest bar is the largest value, and a zero has no bar.
    longest = max(bar for _, bar, _, _ in rows)
    assert all(bar == longest for _, bar, value, _ in rows if value == max(v or 0 for _, v in expected))
    assert all(bar == 0 for _, bar, value, _ in rows if value is None)  # no data: no bar, and it says so
    assert all(bar == 0 for _, bar, value, _ in rows if value == 0)


def test_milestones_are_marked_on_their_period(cli, busy):
    rows = plotted_rows(cli("chart", *RANGE, "--by", "week").stdout)
    marks = {start: label for start, _, _, label in rows if label}
    # 7, 15 and 20 December 2022 fall in the ISO weeks starting on the 5th (cut to the 7th, where the range
    # starts), 12th and 19th.
    assert marks == {"2022-12-07": "<- 2022-12-07 Protests begin",
                     "2022-12-12": "<- 2022-12-15 State of emergency declared",
                     "2022-12-19": "<- 2022-12-20 Curfew in Puno"}
    assert "Outside the range" not in cli("chart", *RANGE).stdout


def test_header_and_source_line(cli, shipped):
    out = cli("chart", *RANGE, "--by", "week").stdout
    records = cli("list", *RANGE, "--json").json()
    killed = sum(r["killed"] for r in records)
    assert out.splitlines()[0] == (f"People killed, per week, 2022-12-07 to 2023-01-10 (both days included): "
                                   f"total {killed}")
    assert f"Data: protestlog ledger, {len(records)} records, {distinct_sources(records)} sources" in out


def test_unknown_is_not_shown_as_zero_silently(cli, shipped):
    out = cli("chart", *RANGE, "--metric", "injured").stdout
    records = cli("list", *RANGE, "--json").json()
    given = sum(r["injured"] is not None for r in records)
    assert 0 < given < len(records)
    assert f"injured is given in {given} of {len(records)} records" in out


def test_piped_is_plain_and_a_terminal_fits_80_columns(cli, shipped):
    from rich.cells import cell_len

    piped = cli("chart", *RANGE, "--by", "day").stdout
    assert "\x1b" not in piped and all(line == line.rstrip() for line in piped.splitlines())
    tty = cli("chart", *RANGE, "--by", "day", env={"PROTESTLOG_TTY": "1", "COLUMNS": "80"}).stdout
    plain = re.sub(r"\x1b\[[0-9;]*m", "", tty)
    assert "█" in plain
    assert max(cell_len(line) for line in plain.splitlines()) <= 80
    assert "State of emergency declared" in plain


def test_svg_is_valid_and_labelled(cli, shipped, tmp_path):
    path = tmp_path / "timeline.svg"
    result = cli("chart", *RANGE, "--by", "week", "--output", path)
    assert result.exit_code == 0, result
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join("".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text"))
    records = cli("list", *RANGE, "--json").json()
    for label in ("Protests begin (2022-12-07)", "State of emergency declared (2022-12-15)",
                  "2022-12-07 to 2023-01-10", f"total {sum(r['killed'] for r in records)}",
                  f"Data: protestlog ledger, {len(records)} records, {distinct_sources(records)} sources"):
        assert label in text
    assert re.search(r"20\d\d-\d\d-\d\d", text), "the x axis has date labels"
    # The same ledger state draws the same file, byte for byte.
    again = tmp_path / "again.svg"
    cli("chart", *RANGE, "--by", "week", "--output", again)
    assert again.read_bytes() == path.read_bytes()


def test_png_is_valid_and_carries_the_labels(cli, shipped, tmp_path):
    from PIL import Image

    path = tmp_path / "timeline.png"
    assert cli("chart", *RANGE, "--cumulative", "-o", path).exit_code == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.width >= 800 and image.height >= 400
        assert "2022-12-15 State of emergency declared" in image.text["Description"]
        assert "People killed, cumulative" in image.text["Title"]


@pytest.mark.parametrize("args, words", [
    (["--output", "chart.gif"], "output='chart.gif': the file name must end in .svg or .png"),
    (["--metric", "deaths"], "'deaths' is not one of"),
    (["--by", "year"], "'year' is not one of"),
    (["--since", "2023-13-01"], "since='2023-13-01'"),
])
def test_bad_options_are_named(cli, shipped, args, words, tmp_path):
    before = snapshot(shipped)
    result = cli("chart", *args)
    assert result.exit_code == 2 if "since" not in words else result.exit_code in (1, 2)
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(shipped) == before
    assert not (tmp_path / "chart.gif").exists()


def test_unwritable_output_is_one_line(cli, shipped, tmp_path):
    result = cli("chart", "-o", tmp_path / "missing" / "t.svg")
    assert result.exit_code == 1
    assert "output=" in result.stderr and "cannot write there" in result.stderr


def test_without_the_charts_extra(shipped, tmp_path):
    path = tmp_path / "t.svg"
    result = without_matplotlib("chart", "-o", path, db=shipped)
    assert result.returncode == 1
    assert result.stderr.strip() == ("protestlog: error: image charts need matplotlib, which is not installed: "
                                     "pip install 'protestlog[charts]'")
    assert not path.exists()
    # The terminal chart needs only rich.
    result = without_matplotlib("chart", *RANGE, "--by", "week", db=shipped)
    assert result.returncode == 0 and "State of emergency declared" in result.stdout


def test_as_of_draws_the_past(cli, shipped):
    before = cli("chart", *RANGE, "--json").json()
    stamp = max(r["recorded_at"] for r in cli("list", "--json").json())  # the latest entry
    assert cli("add", "--date", "2022-12-20", "--region", "Cusco", "--killed", "5").exit_code == 0
    assert cli("chart", *RANGE, "--json").json()["total"] == before["total"] + 5
    past = cli("chart", *RANGE, "--json", "--as-of", stamp).json()
    assert past["points"] == before["points"] and past["total"] == before["total"]


def test_readme_shows_what_chart_prints(cli, shipped):
    from conftest import REPO

    readme = (REPO / "README.md").read_text("utf-8")
    marker = "<!-- output: protestlog --db demo.db chart --since 2022-12-07 --until 2023-03-31 --by week -->\n```text\n"
    block = readme.split(marker, 1)[1].split("```", 1)[0]
    assert block == cli("chart", "--since", "2022-12-07", "--until", "2023-03-31", "--by", "week").stdout  # make docs
    assert block == (REPO / "docs" / "chart.txt").read_text("utf-8")
