"""Start-up stays light: heavy modules load only in the commands that use them (timed in bench/)."""

import subprocess
import sys

import pytest


HEAVY = ("rich.table", "rich.console", "dateutil.parser", "sqlite_utils", "pydantic")


def modules_loaded(*args) -> set[str]:
    code = ("import sys, runpy; sys.argv = ['protestlog', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('protestlog', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                         env={"PROTESTLOG_DB": "/nonexistent/ledger.db", "PATH": "/usr/bin:/bin"})
    return set(out.stderr.split())


@pytest.mark.parametrize("args", [["--help"], ["add", "--help"], ["summary", "--help"]])
def test_help_imports_no_heavy_module(args):
    loaded = modules_loaded(*args)
    assert "protestlog.cli" in loaded  # the probe really ran the CLI
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    assert "sqlite3" not in loaded


def test_an_iso_date_needs_no_date_parser(tmp_path):
    """`add --date 2023-01-09` (what scripts send) loads no date-word tables; '9 Jan 2023' does, and
    no date needs dateutil (its guesses read 2023/01/09 as 1 September)."""
    code = ("import sys, datetime as dt\nfrom protestlog.dates import parse_day\n"
            "parse_day(sys.argv[1], today=dt.date(2023, 6, 1))\n"
            "print('protestlog.date_words' in sys.modules, 'dateutil.parser' in sys.modules)")
    iso = subprocess.run([sys.executable, "-c", code, "2023-01-09"], capture_output=True, text=True, timeout=60)
    human = subprocess.run([sys.executable, "-c", code, "9 Jan 2023"], capture_output=True, text=True, timeout=60)
    assert (iso.stdout.strip(), human.stdout.strip()) == ("False False", "True False")
