"""Issue 12: every command, every option, hostile values: an exit code, one line, never a traceback.

Hypothesis picks a command of the real Typer app (walked from the app itself, so a new command
is covered the day it is added) and fills its options and arguments with hostile values. Each
run must end with exit 0, 1, 2 or 130, no traceback and no 'internal error' on stderr, and a
ledger byte-identical to before unless the command is one that writes.
"""

import os
import shutil

import pytest
import typer
from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from conftest import TODAY, snapshot
from protestlog.cli import app

SETTINGS = dict(deadline=None, derandomize=True, max_examples=400,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
WRITERS = {"add", "amend", "retract", "restore", "source add", "import", "imports retract", "milestone add"}
HOSTILE = st.one_of(
    st.text(max_size=24),
    st.sampled_from([
        "", " ", "0", "-1", "1", "2", "nan", "inf", "-inf", "1e308", "999999999", "9" * 5000, "٣", "３",
        "0999-12-31", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-12:00", "9999-12-31", "10000-01-01",
        "2023-02-30", "1/1/1", "09/01/23", "yesterday", "2023-01-10T18:00Z", "\u2028", "\u0085", "a\x00b",
        "'=cmd", "$\\foo$", "$5 to $10", "a|b\\", "[" * 50, '{"a": 1, "a": 2}', "\udcff", "\ud800",
        "json", "csv", "week", "month", "day", "html", "markdown", "acled", "ucdp", "killed", "Puno",
    ]),
)


def all_commands():
    root = typer.main.get_command(app)
    found = []

    def walk(command, path):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            if getattr(command, "invoke_without_command", False) and path:
                found.append((path, command))
            for name, sub in sorted(subcommands.items()):
                walk(sub, path + [name])
        elif path:
            found.append((path, command))

    walk(root, [])
    return found


COMMANDS = all_commands()


@st.composite
def invocations(draw, sandbox):
    path, command = draw(st.sampled_from(COMMANDS))
    args = list(path)
    for param in command.params:
        if param.name in ("help", "install_completion", "show_completion"):
            continue
        if param.param_type_name == "argument":
            if draw(st.booleans()) or param.required:
                args.append(draw(HOSTILE) if param.name != "file" else draw(st.sampled_from(
                    ["-", str(sandbox / "missing.csv"), str(sandbox), str(sandbox / "rows.csv")])))
            continue
        if not draw(st.booleans()):
            continue
        name = param.opts[0]
        if param.is_flag:
            args.append(name)
        elif param.name in ("output", "datasette"):  # never let a fuzzer write outside the sandbox
            args += [name, draw(st.sampled_from([str(sandbox / "out.svg"), str(sandbox / "out.md"), str(sandbox),
                                                 str(sandbox / "o.html"), str(sandbox / "site")]))]
        else:
            args += [name, draw(HOSTILE)]
    return path, args


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def prepared(sandbox):
    """A small real ledger made through the CLI, copied fresh for every example."""
    db = sandbox / "template.db"
    env = {"PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY, "PROTESTLOG_USER": "tester",
           "PROTESTLOG_TZ": "America/Lima"}
    runner = CliRunner()
    for args in (["add", "--date", "2023-01-09", "--region", "Puno", "--killed", "17", "--note", "n"],
                 ["add", "--date", "2022-12-15", "--region", "Ayacucho", "--killed", "7", "--source", "HRW"],
                 ["amend", "2", "--killed", "10", "--reason", "HRW"],
                 ["milestone", "add", "2023-01-01", "New year"]):
        assert runner.invoke(app, args, env=env).exit_code == 0
    (sandbox / "rows.csv").write_text("date,region,killed\n2023-01-20,Lima,1\n", encoding="utf-8")
    return db


@settings(**SETTINGS)
@given(data=st.data())
def test_every_command_survives_hostile_options(sandbox, prepared, data, monkeypatch):
    db = sandbox / "ledger.db"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{db}{suffix}"):
            os.unlink(f"{db}{suffix}")
    shutil.copy(prepared, db)
    monkeypatch.chdir(sandbox)
    path, args = data.draw(invocations(sandbox))
    env = {"PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY, "PROTESTLOG_USER": "tester", "PROTESTLOG_TTY": "0"}
    before = snapshot(db)
    result = CliRunner().invoke(app, args, env=env, input="")
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert result.exit_code in (0, 1, 2, 130), (args, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, (args, result.stderr)
    if result.exit_code and path != ["check"]:  # check lists its problems on stdout
        assert (result.stderr + result.stdout).strip(), args
    if " ".join(path) not in WRITERS:
        assert snapshot(db)[0] == before[0], args
