"""The command line: parse arguments, call the library, print. One module per command group;
the logic lives in the library modules beside this package."""

from protestlog.cli.app import app
from protestlog.cli import record_cmds, reading, io_cmds, checking, milestones, ecosystem, victims  # noqa: F401,E501


def run():
    app()
