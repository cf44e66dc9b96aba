"""Every command explains itself, and the README documents it."""

import pytest

from conftest import REPO
from protestlog.cli import app
from typer.main import get_command

COMMANDS = sorted(get_command(app).commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(cli, name):
    result = cli(name, "--help")
    assert result.exit_code == 0
    command = get_command(app).commands[name]
    assert command.help and len(command.help.strip()) > 20, f"{name} has no help text"
    assert f"protestlog {name}" in (REPO / "README.md").read_text(encoding="utf-8"), f"{name} not in README"


def test_report_commands_state_inclusive_bounds():
    for name in ("list", "summary"):
        assert "included" in get_command(app).commands[name].help


def walk(command, path=()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, path + (name,))


EVERY = [path for path, _ in walk(get_command(app))]


@pytest.mark.parametrize("path", EVERY, ids=lambda p: " ".join(p) or "protestlog")
def test_every_command_shows_an_example_and_explains_every_option(cli, path):
    command = dict(walk(get_command(app)))[path]
    result = cli(*path, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result
    text = result.stdout
    assert "Example" in text, f"{' '.join(path)} --help shows no example"
    examples = text[text.index("Example"):]
    shown = [line.strip() for line in examples.splitlines() if line.strip().startswith("protestlog ")]
    assert shown, f"{' '.join(path)} --help: no example command line"
    assert any(" ".join(path) in line for line in shown), shown  # the example uses this command
    unexplained = [p.opts[0] for p in command.params
                   if p.param_type_name in ("option", "argument") and p.name != "help" and not getattr(p, "help", "")]
    assert not unexplained, f"{' '.join(path)}: options without help: {unexplained}"
    for line in text.splitlines():  # no help line cut after "e.g." or in an open parenthesis
        assert not line.rstrip().endswith("(e.g."), line
        assert len(line) <= 80, line


@pytest.mark.parametrize("shell, marker", [("zsh", "#compdef protestlog"), ("fish", "complete --command protestlog"),
                                           ("bash", "complete -o default -F _protestlog_completion protestlog")])
def test_show_completion_prints_the_script_of_the_shell_asked_for(shell, marker, tmp_path):
    from conftest import run_exe

    for args in (["--show-completion", shell], [f"--show-completion={shell}"]):
        result = run_exe(*args, db=tmp_path / "l.db")
        assert result.returncode == 0, result.stderr
        assert marker in result.stdout, result.stdout[:200]


def test_completion_scripts_complete_commands(tmp_path):
    """What the zsh and fish scripts run returns the commands that match what was typed."""
    from conftest import run_exe

    zsh = run_exe(db=tmp_path / "l.db", env={"_PROTESTLOG_COMPLETE": "complete_zsh",
                                             "_TYPER_COMPLETE_ARGS": "protestlog su"})
    assert "summary" in zsh.stdout and "add" not in zsh.stdout
    fish = run_exe(db=tmp_path / "l.db", env={"_PROTESTLOG_COMPLETE": "complete_fish",
                                              "_TYPER_COMPLETE_FISH_ACTION": "get-args",
                                              "_TYPER_COMPLETE_ARGS": "protestlog milestone "})
    assert "add" in fish.stdout and "list" in fish.stdout


def test_an_unknown_shell_is_a_usage_error(cli):
    result = cli("--show-completion", "tcsh")
    assert result.exit_code == 2 and "tcsh" in result.stderr and "zsh" in result.stderr


def test_import_and_victim_import_explain_their_shared_options_alike(cli):
    """FILE, --format and --dry-run are declared once (cli/options.py): both imports say the same."""
    def option_lines(*path):
        text = cli(*path, "--help", env={"COLUMNS": "100"}).stdout
        return [line for line in text.splitlines() if line.strip().startswith(("FILE", "-f, --format", "--dry-run"))]

    shared = option_lines("import")
    assert len(shared) == 3 and "NDJSON file ('-': standard input)" in shared[0], shared
    assert option_lines("victim", "import") == shared
    assert "<csv|tsv|json|ndjson>" in shared[1]
