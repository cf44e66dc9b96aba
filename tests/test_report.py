"""`report`: a self-contained HTML or Markdown page, traceable to one verified ledger state."""

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from conftest import distinct_sources, snapshot, tamper, without_matplotlib

RANGE = ("--since", "2022-12-07", "--until", "2023-01-10")


class Page(HTMLParser):
    """Collects what a browser would act on: links, scripts, anything loaded, and the visible text."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.loads, self.tags, self.text, self.svgs = [], [], [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "a":
            self.hrefs.append(attrs.get("href"))
        if tag == "svg":
            self.svgs += 1
        for name in ("src", "srcset", "data", "action"):
            if name in attrs:
                self.loads.append(attrs[name])
        if tag == "link" or any(k.startswith("on") for k in attrs):
            self.loads.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    page.text = " ".join(" ".join(page.text).split())
    return page


@pytest.fixture
def html(cli, shipped, tmp_path):
    path = tmp_path / "report.html"
    result = cli("report", *RANGE, "--output", path)
    assert result.exit_code == 0, result
    return path.read_text("utf-8")


def test_html_has_totals_links_and_head_hash(cli, html, db):
    page = parse(html)
    summary = cli("summary", *RANGE, "--json").json()
    records = cli("list", *RANGE, "--json").json()
    head = cli("verify", "--json").json()["head_hash"]
    t = summary["totals"]
    assert f"People killed {t['killed']} (range {t['killed_range'][0]}–{t['killed_range'][1]})" in page.text
    assert f"Incident records {len(records)}" in page.text
    assert f"Distinct sources {distinct_sources(records)}" in page.text
    urls = {s["url"] for r in records for s in r["sources"]}
    assert urls and urls <= set(page.hrefs)
    assert head in page.text and f"verify --expect {head}" in page.text
    import sqlite3

    # The ledger's last change: any chained row (an entry, a victim entry, an import batch, a setting).
    as_of = sqlite3.connect(db).execute("SELECT MAX(t) FROM (SELECT MAX(recorded_at) AS t FROM entries UNION ALL "
                                        "SELECT MAX(recorded_at) FROM victim_entries UNION ALL SELECT MAX(recorded_at) "
                                        "FROM imports UNION ALL SELECT MAX(recorded_at) FROM milestones UNION ALL "
                                        "SELECT MAX(recorded_at) FROM settings)").fetchone()[0]
    assert as_of >= max(r["recorded_at"] for r in records)
    assert f"as of (UTC): {as_of}" in page.text
    # Before/after the state of emergency, as summary computes it.
    m = summary["milestones"][0]
    assert f"{m['before']['killed']} in {m['before']['days']}d" in page.text
    assert f"{m['after']['killed']} in {m['after']['days']}d" in page.text
    # Every incident appears, and the regions are ranked.
    assert f"Incidents ({len(records)})" in page.text
    assert all(r["external_id"] is None or r["place"] is None or r["place"] in page.text for r in records)
    assert page.text.index("1 Puno PE-PUN") < page.text.index("2 Ayacucho PE-AYA")


def test_html_is_self_contained(html):
    page = parse(html)
    assert "script" not in page.tags and page.loads == []
    assert all(h.startswith(("https://", "http://")) for h in page.hrefs)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert page.svgs == 2  # the timeline and the regions
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        ET.fromstring(svg)  # each chart is well-formed XML
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "two charts on one page must not share ids"
    assert "State of emergency declared (2022-12-15)" in html


def test_same_state_same_bytes_and_the_footer_reproduces_it(cli, shipped, tmp_path):
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    cli("report", *RANGE, "-o", first)
    cli("report", *RANGE, "-o", second)
    assert first.read_bytes() == second.read_bytes()
    command = re.search(r"Reproduce this report: <code>protestlog report (.*?)</code>", first.read_text()).group(1)
    # The ledger grows; the published report can still be rebuilt from the command in its footer.
    assert cli("add", "--date", "2022-12-20", "--region", "Cusco", "--killed", "4").exit_code == 0
    assert cli("milestone", "add", "2022-12-21", "Later milestone").exit_code == 0
    now = tmp_path / "now.html"
    cli("report", *RANGE, "-o", now)
    assert now.read_bytes() != first.read_bytes()
    rebuilt = tmp_path / "rebuilt.html"
    assert cli("report", *command.split(), "-o", rebuilt).exit_code == 0
    assert rebuilt.read_bytes() == first.read_bytes()


def test_markdown_report(cli, shipped, tmp_path):
    path = tmp_path / "report.md"
    assert cli("report", *RANGE, "-o", path).exit_code == 0  # .md chooses markdown
    text = path.read_text("utf-8")
    assert text == cli("report", *RANGE, "--format", "markdown").stdout
    records = cli("list", *RANGE, "--json").json()
    for r in records:
        for s in r["sources"]:
            assert f"(<{s['url']}>)" in text
    assert f"| People killed | {sum(r['killed'] for r in records)} (range" in text
    assert cli("verify", "--json").json()["head_hash"] in text
    assert "<- 2022-12-15 State of emergency declared" in text  # the timeline as a text chart
    assert "| 1 | Puno | PE-PUN |" in text


def test_hostile_text_is_escaped(cli, tmp_path):
    assert cli("add", "--date", "2022-12-20", "--region", "Cusco", "--killed", "1",
               "--place", "<script>alert(1)</script>", "--note", "a | b ](x)",
               "--source", "<img src=x onerror=alert(1)>", "--url",
               'https://example.org/a"onmouseover="alert(1)').exit_code == 0
    html = cli("report", *RANGE).stdout
    page = parse(html)
    assert "script" not in page.tags and "img" not in page.tags and page.loads == []
    assert "<script>alert(1)</script>" in page.text  # shown as text, not run
    assert page.hrefs == []  # a URL that could break out of its attribute is not made a link
    md = cli("report", *RANGE, "--format", "markdown").stdout
    row = next(line for line in md.splitlines() if "alert" in line)
    assert "<script>" not in row and row.count(" | ") == 8  # nine cells: the note's '|' did not add one


def test_a_tampered_ledger_gets_no_report(cli, shipped, tmp_path):
    tamper(shipped, "UPDATE entries SET killed = killed + 1 WHERE seq = 9")
    path = tmp_path / "r.html"
    before = snapshot(shipped)
    result = cli("report", *RANGE, "-o", path)
    assert result.exit_code == 1
    assert "fails verification" in result.stderr and "entry 9" in result.stderr
    assert not path.exists() and snapshot(shipped) == before


def test_empty_range_and_empty_ledger(cli, shipped, tmp_path, db):
    out = cli("report", "--since", "2021-01-01", "--until", "2021-01-31").stdout
    assert "Incidents (0)" in out and "People killed</td><td class=num>0<" in out
    result = cli("--db", tmp_path / "none.db", "report")
    assert result.exit_code == 1 and "no ledger at" in result.stderr
    empty = tmp_path / "empty.db"
    assert cli("--db", empty, "milestone", "add", "2023-01-01", "A milestone, no records").exit_code == 0
    result = cli("--db", empty, "report")
    assert result.exit_code == 1 and "the ledger is empty" in result.stderr
    result = cli("report", "--as-of", "2001-01-01")  # before anything was recorded: no hash to cite
    assert result.exit_code == 1 and "nothing was recorded yet as of 2001-01-01" in result.stderr


def test_html_without_the_charts_extra(shipped, tmp_path):
    result = without_matplotlib("report", *RANGE, "-o", tmp_path / "r.html", db=shipped)
    assert result.returncode == 1 and "pip install 'protestlog[charts]'" in result.stderr
    assert not (tmp_path / "r.html").exists()
    result = without_matplotlib("report", *RANGE, "--format", "markdown", db=shipped)
    assert result.returncode == 0 and "# Casualty report" in result.stdout
