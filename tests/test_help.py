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
