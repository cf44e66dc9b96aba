"""The installed executable, as a CI script would call it: no terminal, output piped."""

import csv
import json
import shutil
import subprocess

import pytest

from conftest import DATA_CSV, protestlog_exe, run_exe

REAL_TODAY = {"PROTESTLOG_TODAY": "2026-11-30"}  # the shipped sources were read on this day


def shipped_killed() -> int:
    with open(DATA_CSV, encoding="utf-8") as f:
        return sum(int(row["killed"]) for row in csv.DictReader(f))


def test_import_then_summary_json(tmp_path):
    db = tmp_path / "demo.db"
    result = run_exe("import", DATA_CSV, db=db, env=REAL_TODAY)
    assert result.returncode == 0, result.stderr
    with open(DATA_CSV, encoding="utf-8") as f:
        rows = sum(1 for _ in csv.DictReader(f))
    assert result.stdout == "" and f"added {rows}," in result.stderr  # messages on stderr, data on stdout
    result = run_exe("summary", "--since", "2022-12-07", "--format", "json", db=db, env=REAL_TODAY)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["killed"] == shipped_killed()


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_summary_pipes_into_jq(tmp_path):
    db = tmp_path / "demo.db"
    run_exe("import", DATA_CSV, db=db, env=REAL_TODAY)
    pipeline = (f"'{protestlog_exe()}' --db '{db}' summary --since 2022-12-07 --format json | jq .totals.killed")
    out = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PROTESTLOG_TODAY": "2026-11-30"}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(shipped_killed())


def test_piped_tables_have_no_escape_codes(tmp_path):
    db = tmp_path / "demo.db"
    run_exe("import", DATA_CSV, db=db, env=REAL_TODAY)
    for args in (["list"], ["summary", "--by", "week"], ["milestone", "list"]):
        result = run_exe(*args, db=db, env=REAL_TODAY)
        assert result.returncode == 0, result.stderr
        assert "\x1b[" not in result.stdout and "─" not in result.stdout
