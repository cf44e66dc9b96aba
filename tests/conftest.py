"""Shared fixtures: a real ledger file in a temporary folder, and the real CLI."""

import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner

from protestlog.cli import app

TODAY = "2023-06-01"  # pinned "today" so future-date rules and defaults are reproducible
REPO = Path(__file__).resolve().parent.parent
DATA_CSV = REPO / "data" / "peru_2022_2023.csv"
CORRECTIONS_CSV = REPO / "data" / "peru_corrections.csv"
VICTIMS_CSV = REPO / "data" / "peru_victims.csv"


def _command_built_once(typer_app, _built={}):
    """Typer's CliRunner rebuilds the whole Click command tree (every option of every command, ~15 ms)
    on each invoke: most of an in-process `add`. The executable builds it once per process; so do the
    tests, once per test process (Click commands keep no state between invocations)."""
    if typer_app not in _built:
        _built[typer_app] = typer.main.get_command(typer_app)
    return _built[typer_app]


if hasattr(typer.testing, "_get_command"):  # every CliRunner in the tests, also those built in test modules
    typer.testing._get_command = _command_built_once


# The longest tests run first. `make test` runs xdist with --dist worksteal: each worker gets a share
# of the tests in this order, and an idle worker takes queued tests from a busy one, but never one
# already running. The SIGKILL test is about a minute of one core: run last, it would leave the other
# core idle that long. The others here start several processes each and fill both cores whenever they run.
SLOWEST_FIRST = (
    "test_reliability.py::test_sigkill_during_a_large_import_leaves_all_or_nothing",
    "test_reliability.py::test_eight_processes_adding_a_hundred_records_each",
    "test_search.py::test_concurrent_writers_each_get_their_index_row",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(f"{item.path.name}::{getattr(item, 'originalname', item.name)}", len(rank)))


class Result:
    def __init__(self, raw):
        self.raw = raw
        self.exit_code = raw.exit_code
        self.stdout = raw.stdout
        self.stderr = raw.stderr

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return f"<exit {self.exit_code} stdout={self.stdout[:300]!r} stderr={self.stderr[:300]!r}>"


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def cli(db, monkeypatch):
    """Run the real Typer app in-process; fail the test on any traceback."""
    monkeypatch.setenv("PROTESTLOG_DB", str(db))
    monkeypatch.setenv("PROTESTLOG_TODAY", TODAY)
    monkeypatch.setenv("PROTESTLOG_USER", "tester")
    monkeypatch.delenv("PROTESTLOG_TTY", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    runner = CliRunner()

    def invoke(*args, input=None, env=None):
        raw = runner.invoke(app, [str(a) for a in args], input=input, env=env)
        if raw.exception is not None and not isinstance(raw.exception, SystemExit):
            raise AssertionError(f"traceback from {args}: {raw.exception!r}") from raw.exception
        return Result(raw)

    return invoke


def add_args(**fields):
    """Options for `add` from keyword fields (underscores become dashes)."""
    args = ["add"]
    for key, value in fields.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    return args


def adder(cli):
    """`add` through a `cli`: the new record's id."""
    def _add(**fields):
        result = cli(*add_args(**fields))
        assert result.exit_code == 0, result
        return int(result.stdout.strip())

    return _add


@pytest.fixture
def add(cli):
    return adder(cli)


def cli_for(db: Path):
    """A `cli` on the ledger at `db` with the `cli` fixture's environment, given to each command rather
    than set for a whole test: for ledgers that `from_template` builds once and copies."""
    runner = CliRunner()
    base = {"PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY, "PROTESTLOG_USER": "tester",
            "PROTESTLOG_TTY": None, "NO_COLOR": None}

    def invoke(*args, input=None, env=None):
        raw = runner.invoke(app, [str(a) for a in args], input=input, env={**base, **(env or {})})
        if raw.exception is not None and not isinstance(raw.exception, SystemExit):
            raise AssertionError(f"traceback from {args}: {raw.exception!r}") from raw.exception
        return Result(raw)

    return invoke


@pytest.fixture(scope="session")
def from_template(tmp_path_factory):
    """`from_template(db, build)`: put at `db` a copy of the ledger `build(cli, add)` makes, and return a
    copy of what build returned. Each build runs once per test process (a fixture adding 25-60 records
    before every test of a module spent most of the module's time there); every test gets its own file."""
    import copy

    built = {}

    def copy_into(db: Path, build):
        if build not in built:
            path = tmp_path_factory.mktemp("template") / "ledger.db"
            cli = cli_for(path)
            value = build(cli, adder(cli))
            con = sqlite3.connect(path)  # every command has closed the ledger: fold any WAL into the file
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
            built[build] = (path, value)
        path, value = built[build]
        for suffix in ("", "-wal"):
            if Path(f"{path}{suffix}").exists():
                shutil.copyfile(f"{path}{suffix}", f"{db}{suffix}")
        return copy.deepcopy(value)

    return copy_into


def random_incidents(add, *, seed: int, count: int, first_day: dt.date, days: int, regions, groups,
                     details: bool = False) -> list[dict]:
    """Random incidents added through the CLI; the test keeps the rows to compute expected figures from."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        killed = rng.randint(0, 9)
        row = {"date": (first_day + dt.timedelta(days=rng.randint(0, days - 1))).isoformat(),
               "region": rng.choice(regions), "killed": killed, "injured": rng.randint(0, 30),
               "group": rng.choice(groups), "circumstance": rng.choice(["clash", "blockade", "other"])}
        if details:
            row.update(detained=rng.randint(0, 5), minors=rng.randint(0, killed))
        row["id"] = add(**row)
        made.append(row)
    return made


def tamper(db, *statements):
    """Edit the file as someone with the sqlite3 module would: drop the guards, then change rows."""
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER entries_append_only_update")
    con.execute("DROP TRIGGER entries_append_only_delete")
    for sql in statements:
        con.execute(sql)
    con.commit()
    con.close()


def snapshot(path: Path) -> tuple:
    """Everything on disk that makes up the ledger, to prove a failed command changed nothing."""
    parts = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        parts.append(p.read_bytes() if p.exists() else None)
    return tuple(parts)


def protestlog_exe() -> str:
    exe = Path(sys.executable).parent / "protestlog"
    if exe.exists():
        return str(exe)
    found = shutil.which("protestlog")
    assert found, "the protestlog executable is not installed"
    return found


def run_exe(*args, db: Path, input: str | None = None, env: dict | None = None, timeout: float = 60):
    """Run the installed executable in a subprocess, with no terminal attached."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("PROTESTLOG_TTY", "NO_COLOR")}
    full_env.update({"PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY, "PROTESTLOG_USER": "tester"})
    full_env.update(env or {})
    return subprocess.run([protestlog_exe(), *map(str, args)], input=input, capture_output=True, text=True,
                          env=full_env, timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)


def run_cli(*args, db: Path, input: str | None = None, env: dict | None = None):
    """The command run_exe runs, with the same environment and the same result (returncode, stdout,
    stderr), but by the Typer app in this process: for tests about what a command does with a ledger,
    not about the executable, a pipe, a terminal or signals. A start-up of the executable costs 0.1-0.2 s
    of CPU; this a few milliseconds. A traceback fails the test, as it would show on the executable's stderr."""
    full_env = {"PROTESTLOG_TTY": None, "NO_COLOR": None, "PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY,
                "PROTESTLOG_USER": "tester", **(env or {})}
    raw = CliRunner().invoke(app, [str(a) for a in args], input=input, env=full_env)
    if raw.exception is not None and not isinstance(raw.exception, SystemExit):
        raise AssertionError(f"traceback from {args}: {raw.exception!r}") from raw.exception
    return subprocess.CompletedProcess([str(a) for a in args], raw.exit_code, raw.stdout, raw.stderr)


def shipped_rows_as_imported() -> list[dict]:
    """The shipped incident rows as the file holds them (first reports, no corrections): record N is row N."""
    import csv

    with open(DATA_CSV, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fts_tokens(row: dict) -> set:
    """The words `search` indexes for a shipped row (region, province, place, note, source names), folded the
    way FTS5's unicode61 tokenizer with remove_diacritics folds them: for tests that predict search hits."""
    import json
    import re
    import unicodedata

    names = [row.get("source") or ""] + [s.get("name") or "" for s in json.loads(row.get("sources") or "[]")]
    text = " ".join([row.get("region") or "", row.get("province") or "", row.get("place") or "",
                     row.get("note") or ""] + names)
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return set(re.findall(r"\w+", folded))


def shipped_incidents() -> list[dict]:
    """The shipped incident rows with data/peru_corrections.csv applied by hand (what `make demo` ends with),
    for tests that count the shipped data independently of protestlog."""
    import csv
    import json

    with open(DATA_CSV, newline="", encoding="utf-8") as f:
        incidents = {r["external_id"]: r for r in csv.DictReader(f)}
    with open(CORRECTIONS_CSV, newline="", encoding="utf-8") as f:
        for c in csv.DictReader(f):
            if c.get("record") == "victim":
                continue
            if c["action"] == "retract":
                del incidents[c["external_id"]]
            else:
                incidents[c["external_id"]].update({k: str(v) for k, v in json.loads(c["changes"]).items()})
    return list(incidents.values())


def shipped_ledger(cli, add):
    for args in (("import", DATA_CSV), ("victim", "import", VICTIMS_CSV), ("apply-corrections", CORRECTIONS_CSV)):
        result = cli(*args, env={"PROTESTLOG_TODAY": "2026-11-30"})  # sources were read in 2026
        assert result.exit_code == 0, result


@pytest.fixture
def shipped(cli, db, from_template) -> Path:
    """A ledger holding the shipped Peru data as `make demo` builds it: incidents, victims, then corrections."""
    from_template(db, shipped_ledger)
    return db


def without_matplotlib(*args, db: Path, timeout: float = 60):
    """Run the CLI in a Python where `import matplotlib` fails, as it does without the charts extra."""
    code = ("import sys; sys.modules['matplotlib'] = None; from protestlog.cli import run; "
            f"sys.argv = ['protestlog', *{list(map(str, args))!r}]; run()")
    env = {k: v for k, v in os.environ.items() if k not in ("PROTESTLOG_TTY", "NO_COLOR")}
    env.update({"PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY, "PROTESTLOG_USER": "tester"})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def distinct_sources(records: list[dict]) -> int:
    """Counted here from `list --json`, independently of the report code."""
    return len({s.get("url") or s.get("name") for r in records for s in r["sources"]})
