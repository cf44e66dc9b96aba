"""The Typer app, global options and helpers every command group shares. Nothing else lives here.

Exit codes (see README): 0 success, 1 a data or ledger problem, 2 a usage problem.
Every error is one line on stderr naming the field and the value; never a traceback.
"""

import sys
from enum import Enum
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from protestlog import dates, output
from protestlog.errors import ExitStatus, FieldError, LedgerError
from protestlog.output import Env


def interruption() -> str:
    """What Ctrl-C left: nothing; output cut short (a reading command streaming rows); or (when it
    came after a commit) the change, written whole."""
    ledger = sys.modules.get("protestlog.ledger")  # not imported: nothing was opened, let alone written
    written = sorted(set(ledger.COMMITTED)) if ledger else []
    if not written and output.STREAMED:
        return "interrupted: the output is incomplete (cut off where Ctrl-C stopped it); the ledger was not changed"
    if not written:
        return "interrupted: the command stopped and wrote nothing"
    return (f"interrupted after the change was written to {', '.join(written)} (whole: each write is one "
            f"transaction); see 'protestlog imports' or 'protestlog list', and 'protestlog verify'")


class LedgerGroup(TyperGroup):
    """Turns every library and usage error into one stderr line and a documented exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Typer would turn Ctrl-C into a silent exit 130; say what happened to the ledger.
            raise Interrupted(interruption()) from None
        except typer.Abort:  # a prompt met the end of its input
            raise Interrupted("no answer to the prompt: nothing was written") from None
        except BrokenPipeError:  # Click would exit 1, as if the data were wrong
            reader_left()

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        if "protestlog.ledger" in sys.modules:  # one process may run many commands (tests, a Python caller)
            sys.modules["protestlog.ledger"].COMMITTED.clear()
        output.STREAMED.clear()
        try:
            show_completion(args)
            args = hoist_global_options(self, args)
            code = super().main(args=args, prog_name=prog_name or "protestlog", complete_var=complete_var,
                                standalone_mode=False, **extra)
            sys.stdout.flush()  # inside the try: a reader that left shows up here, not at exit
        except LedgerError as exc:
            fail(str(exc), exc.exit_status)
        except KeyboardInterrupt:
            fail(interruption(), 130)
        except BrokenPipeError:
            reader_left()
        except Exception as exc:
            # Click's exceptions (Typer may vendor its own Click): usage errors carry exit_code 2.
            if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
                fail(exc.format_message(), exc.exit_code)
            sqlite3 = sys.modules.get("sqlite3")  # not imported at start-up: --help never needs it
            if sqlite3 and isinstance(exc, sqlite3.DatabaseError):
                fail(f"ledger error: {exc}", ExitStatus.ERROR)
            if isinstance(exc, UnicodeError):  # bytes in an argument that are not UTF-8 (lone surrogates)
                fail("an argument is not valid UTF-8 text", ExitStatus.USAGE)
            # Never a traceback: one line, and any write was rolled back (writing() rolls back on errors).
            fail(f"internal error ({type(exc).__name__}: {exc}); nothing was written; please report this",
                 ExitStatus.ERROR)
        sys.exit(code or 0)


    def get_params(self, ctx):
        """Typer's completion options say 'the current shell'; ours also take a shell name."""
        params = super().get_params(ctx)
        for param in params:
            if param.name == "show_completion":
                param.help = ("Print the completion script for the current shell, or for SHELL given "
                              "after it: bash, zsh, fish, powershell.")
        return params


GLOBAL_OPTIONS = ("--db", "--lock-timeout")
SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def show_completion(args: list[str]):
    """`--show-completion zsh` prints zsh's script (Typer's flag takes no value and printed bash's)."""
    for i, token in enumerate(args):
        if not token.startswith("-"):
            return  # a command: the option belongs before it
        shell = token.partition("=")[2] if token.startswith("--show-completion=") else (
            args[i + 1] if token == "--show-completion" and i + 1 < len(args) and not args[i + 1].startswith("-")
            else None)
        if shell is None:
            continue
        if shell not in SHELLS:
            from protestlog.errors import UsageProblem

            raise UsageProblem(f"--show-completion: {shell!r} is not a shell protestlog completes "
                               f"({', '.join(SHELLS)})")
        from typer._completion_shared import get_completion_script

        print(get_completion_script(prog_name="protestlog", complete_var="_PROTESTLOG_COMPLETE", shell=shell))
        sys.exit(0)


def hoist_global_options(group, args: list[str]) -> list[str]:
    """`protestlog summary --db x.db` means `protestlog --db x.db summary`: global options given after
    the command are moved before it (never an option's value, and nothing after `--`)."""
    i, front = 0, []
    while i < len(args) and args[i].startswith("-"):
        front.append(args[i])
        i += 1
        if front[-1] in GLOBAL_OPTIONS and i < len(args):
            front.append(args[i])
            i += 1
    command, path = group, []
    while i < len(args) and args[i] in getattr(command, "commands", {}):
        command = command.commands[args[i]]
        path.append(args[i])
        i += 1
    if not path or not any(a.partition("=")[0] in GLOBAL_OPTIONS for a in args[i:]):
        return args
    takes_value = {name for p in command.params if p.param_type_name == "option" and not p.is_flag
                   for name in p.opts + p.secondary_opts}
    moved, rest = [], []
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        if token.partition("=")[0] in GLOBAL_OPTIONS:
            if "=" not in token and i + 1 >= len(args):
                from protestlog.errors import UsageProblem

                raise UsageProblem(f"{token} needs a value (e.g. protestlog {token} VALUE {' '.join(path)} …)")
            moved.extend([token] if "=" in token else args[i:i + 2])
            i += 1 if "=" in token else 2
            continue
        rest.append(token)
        i += 1
        if token in takes_value and i < len(args):
            rest.append(args[i])
            i += 1
    return front + moved + path + rest


def reader_left():
    """`protestlog … | head`: the reader went away. Stop quietly with SIGPIPE's usual status (141)."""
    from protestlog.output import _reader_left

    _reader_left()


class Interrupted(LedgerError):
    exit_status = 130


def fail(message: str, code: int):
    first_line = " ".join(str(message).split("\n")[0].split()) or "error"
    print(f"protestlog: error: {first_line}", file=sys.stderr)
    sys.exit(int(code))


app = typer.Typer(cls=LedgerGroup, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
                  help="An append-only casualty ledger: record incidents, list them with running totals, "
                       "summarize since a date and around milestones. Global options (--db, --lock-timeout) "
                       "come before the command.\n\n\b\nExamples:\n"
                       "  protestlog --db demo.db import data/peru_2022_2023.csv\n"
                       "  protestlog --db demo.db summary --since 2022-12-07\n"
                       "  protestlog --db demo.db add          (at a terminal: asks for each field)")
milestone_app = typer.Typer(cls=LedgerGroup, no_args_is_help=True, rich_markup_mode=None,
                            help="Dates that mark a change (a declaration, a curfew), compared before and after."
                                 "\n\n\b\nExamples:\n  protestlog milestone add 2023-01-10 \"Curfew in Puno\"\n"
                                 "  protestlog milestone list")
app.add_typer(milestone_app, name="milestone")


class Settings:
    """Global options, resolved once per invocation."""

    def __init__(self, db: str, lock_timeout: float, env: Env):
        self.db, self.lock_timeout, self.env = db, lock_timeout, env


MAX_LOCK_TIMEOUT = 86_400  # a day: SQLite takes milliseconds as a C int


def _finite(name: str, value: float) -> float:
    import math

    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a number of seconds", param_hint=name)
    return value


@app.callback()
def main_options(
    ctx: typer.Context,
    db: str = typer.Option("protestlog.db", "--db", envvar="PROTESTLOG_DB", metavar="PATH",
                           help="Ledger file (else $PROTESTLOG_DB, else ./protestlog.db). Created on first write."),
    lock_timeout: float = typer.Option(10.0, "--lock-timeout", min=0, max=MAX_LOCK_TIMEOUT, metavar="SECONDS",
                                       callback=lambda v: _finite("--lock-timeout", v),
                                       help="How long a write waits for another writer before giving up."),
):
    ctx.obj = Settings(db=db, lock_timeout=lock_timeout, env=Env.detect())


def settings(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj


def open_ledger(ctx: typer.Context, *, create: bool = False, aside: bool = False, spot_check: bool = True):
    """The ledger at --db, as a context manager that reads one snapshot (see Ledger.__enter__).

    An existing ledger whose chain tip does not hold gets one warning line on stderr (chain.tip_problem:
    a few reads, so figures from a forged ledger never pass unremarked); commands that run the full
    `verify` themselves, and those that may create the ledger (add, import), skip it."""
    from protestlog.ledger import Ledger

    s = settings(ctx)
    ledger = Ledger(s.db, create=create, lock_timeout=s.lock_timeout, aside=aside)
    if spot_check and not create:
        warn_if_tampered(s.env, ledger)
    return ledger


def warn_if_tampered(env: Env, ledger, *, schema: bool = False) -> None:
    """One warning line when the chain's tip does not hold; with `schema`, also when a view, trigger or
    table is not what protestlog creates (schema_check.py; it needs sqlite-utils to know the expected
    definitions, so only `search`, which loads it anyway, asks for it)."""
    import sqlite3

    from protestlog.chain import tip_problem

    try:
        problem = tip_problem(ledger.db)
        if not problem and schema:
            from protestlog.schema_check import schema_problems

            found = schema_problems(ledger.db)
            problem = found[0][1] + (f" (and {len(found) - 1} more)" if len(found) > 1 else "") if found else None
    except sqlite3.DatabaseError as exc:
        problem = f"it cannot be read ({exc})"
    if problem:
        env.say(f"protestlog: warning: the ledger fails verification: {problem}; run protestlog verify")


class Format(str, Enum):
    table = "table"
    json = "json"
    ndjson = "ndjson"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format: table (for people), json, "
                                                                  "ndjson, csv, tsv, markdown.")]
JsonShort = Annotated[bool, typer.Option("--json", help="Short for --format json.")]


class Period(str, Enum):
    day = "day"
    week = "week"
    month = "month"


def chosen_format(fmt: Enum, as_json: bool) -> str:
    return "json" if as_json else fmt.value


def day_option(value: Optional[str], field: str, today):
    """A --since/--until day. Years 1000-9998: a period (week, month) must still end in a real year."""
    if value is None:
        return None
    day = dates.parse_day(value, field, today=today, allow_future=True)
    if not 1000 <= day.year <= 9998:
        raise FieldError(field, value, "must be between the years 1000 and 9998")
    return day


def ledger_today(ctx: typer.Context):
    """Today in the time zone of the ledger at --db, or in the zone a new ledger would get (for
    checking a record before the ledger file is created)."""
    import os

    path = settings(ctx).db
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open_ledger(ctx, spot_check=False) as ledger:  # the command's own opening warns, once
            return ledger.today()
    from protestlog.timezones import default_zone

    return dates.today(default_zone())




def check_hash(expect: str | None):
    if expect is not None and (len(expect) != 64 or any(c not in "0123456789abcdef" for c in expect.lower())):
        raise FieldError("expect", expect, "must be a full 64-character hex hash as printed by verify")


def parse_as_of(value):
    return dates.parse_instant(value) if value else None



def make_filters(since, until, region, group, circumstance, min_confidence=None, *, today):
    """Filters from the command's options; `today` is the ledger's (`ledger.today()`)."""
    from protestlog import vocab
    from protestlog.regions import canonical_region
    from protestlog.reports import Filters

    return Filters(
        since=day_option(since, "since", today), until=day_option(until, "until", today),
        region=canonical_region(region) if region else None,
        group=vocab.choose("group", group, vocab.GROUPS) if group else None,
        circumstance=(vocab.choose("circumstance", circumstance, vocab.CIRCUMSTANCES, vocab.CIRCUMSTANCE_ALIASES)
                      if circumstance else None),
        min_confidence=vocab.choose("min-confidence", min_confidence, vocab.CONFIDENCE) if min_confidence else None)


def bounds_text(filters) -> str:
    lo = filters.since.isoformat() if filters.since else "the first record"
    hi = filters.until.isoformat() if filters.until else "the last record"
    return f"from {lo} to {hi} (both included)"



def summarize(ledger, filters, *, by: str | None, as_of: str | None, window: int | None = None,
              sensitivity: bool = False, count_by: str = "incident") -> dict:
    """The summary over the resolved range (see resolve_range); without --by, a period that fits the span."""
    from protestlog import reports
    from protestlog.layout import default_period

    start, end = resolve_range(ledger, filters)
    result = reports.summary(ledger, since=start, until=end, by=by or default_period(start, end), window=window,
                             filters=filters, as_of=as_of, sensitivity=sensitivity, count_by=count_by)
    result["range"]["by_auto"] = by is None
    return result


def resolve_range(ledger, filters, *, until_last_record: bool = False):
    """--since defaults to the first record, --until to today (or, for a report, the last record's
    day, so its timeline ends where the data does); both are included."""
    start = filters.since or earliest(ledger)
    end = filters.until or (max(start, last_record_day(ledger)) if until_last_record else ledger.today())
    if end < start:
        raise FieldError("until", end.isoformat(), f"is before since ({start.isoformat()})")
    return start, end


def last_record_day(ledger):
    import datetime as dt

    base, params = ledger.current_sql(None)
    row = ledger.db.execute(f"SELECT MAX(COALESCE(end_date, date)) FROM ({base})", params).fetchone()
    return min(dt.date.fromisoformat(row[0]), ledger.today()) if row[0] else ledger.today()


def earliest(ledger):
    import datetime as dt

    base, params = ledger.current_sql(None)
    row = ledger.db.execute(f"SELECT MIN(date) FROM ({base})", params).fetchone()
    return dt.date.fromisoformat(row[0]) if row[0] else ledger.today()
