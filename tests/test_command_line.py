"""The command line forgives where it safely can: global options after the command, plurals, order."""

import pytest

from conftest import run_exe


@pytest.mark.parametrize("args", [
    ["summary", "--db", "{db}", "--json"],
    ["summary", "--json", "--db={db}"],
    ["summary", "--since", "2022-12-07", "--db", "{db}", "--lock-timeout", "3", "--json"],
    ["milestone", "list", "--db", "{db}", "--json"],
])
def test_a_global_option_after_the_command_works(tmp_path, args):
    db = tmp_path / "elsewhere.db"
    assert run_exe("add", "--date", "2023-01-09", "--region", "Puno", "--killed", "3", db=db).returncode == 0
    other = tmp_path / "default.db"  # $PROTESTLOG_DB points here; --db after the command must win
    result = run_exe(*[a.replace("{db}", str(db)) for a in args], db=other)
    assert result.returncode == 0, result.stderr
    assert not other.exists()
    if args[0] == "summary":
        assert '"killed": 3' in result.stdout


def test_an_option_value_that_looks_like_a_global_option_is_left_alone(tmp_path):
    db = tmp_path / "l.db"
    result = run_exe("add", "--date", "2023-01-09", "--region", "Puno", "--killed", "1", "--note", "--db", db=db)
    assert result.returncode == 0, result.stderr
    show = run_exe("show", "1", "--json", db=db)
    assert '"note": "--db"' in show.stdout


def test_check_says_one_record_not_one_records(cli, add):
    add(date="2023-01-09", region="Puno", killed=1)
    result = cli("check", "--max-unverified", "0")
    assert result.exit_code == 1
    assert "1 record is unverified" in result.stdout
    add(date="2023-01-10", region="Puno", killed=1)
    assert "2 records are unverified" in cli("check", "--max-unverified", "0").stdout


def test_verify_of_an_empty_ledger_prints_no_python_value(cli, db):
    assert cli("milestone", "add", "2023-01-01", "A day").exit_code == 0
    result = cli("verify")
    assert result.exit_code == 0 and "None" not in result.stdout
    assert result.stdout.startswith("OK 0 entries")
    assert cli("add", "--date", "2023-01-09", "--region", "Puno", "--killed", "1").exit_code == 0
    assert cli("verify").stdout.startswith("OK 1 entry,")


def test_import_errors_are_listed_in_line_order(cli, db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,region,killed\n2023-01-01,Puno,-1\n2023-01-01,Punno,1\n2023-01-02,Puno,1\n"
                    "2023-13-01,Puno,1\n", encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split("line ")[1].split(":")[0] for line in lines] == ["2", "3", "5"]
    assert "3 rows rejected; nothing was imported" in lines[-1]


def test_a_global_option_without_its_value_says_so(cli):
    result = cli("summary", "--db")
    assert result.exit_code == 2 and "--db needs a value" in result.stderr
