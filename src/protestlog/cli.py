"""The command line: parse arguments, call the library, print. Nothing else lives here.

Exit codes (see README): 0 success, 1 a data or ledger problem, 2 a usage problem.
Every error is one line on stderr naming the field and the value; never a traceback.
"""

import sqlite3
import sys
from dataclasses import dataclass
from enum import Enum
from typing import Optional

import typer
from typer.core import TyperGroup

from protestlog import dates
from protestlog.errors import ExitStatus, FieldError, LedgerError, UsageProblem
from protestlog.output import Env, write_json, write_rows


class LedgerGroup(TyperGroup):
    """Turns every library and usage error into one stderr line and a documented exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args=args, prog_name=prog_name or "protestlog", complete_var=complete_var,
                                standalone_mode=False, **extra)
        except typer.Abort:
            fail("interrupted: the command stopped and wrote nothing", 130)
        except LedgerError as exc:
            fail(str(exc), exc.exit_status)
        except sqlite3.DatabaseError as exc:
            fail(f"ledger error: {exc}", ExitStatus.ERROR)
        except KeyboardInterrupt:
            fail("interrupted: the command stopped and wrote nothing", 130)
        except Exception as exc:
            # Click's exceptions (Typer may vendor its own Click): usage errors carry exit_code 2.
            if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
                fail(exc.format_message(), exc.exit_code)
            raise
        sys.exit(code or 0)


def fail(message: str, code: int):
    first_line = " ".join(str(message).split("\n")[0].split()) or "error"
    print(f"protestlog: error: {first_line}", file=sys.stderr)
    sys.exit(int(code))


app = typer.Typer(cls=LedgerGroup, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
                  help="An append-only casualty ledger: record incidents, list them with running totals, "
                       "summarize since a date and around milestones.")
milestone_app = typer.Typer(cls=LedgerGroup, no_args_is_help=True, rich_markup_mode=None,
                            help="Dates that mark a change (a declaration, a curfew), compared before and after.")
app.add_typer(milestone_app, name="milestone")


@dataclass
class Settings:
    db: str
    lock_timeout: float
    env: Env


@app.callback()
def main_options(
    ctx: typer.Context,
    db: str = typer.Option("protestlog.db", "--db", envvar="PROTESTLOG_DB", metavar="PATH",
                           help="Ledger file (else $PROTESTLOG_DB, else ./protestlog.db). Created on first write."),
    lock_timeout: float = typer.Option(10.0, "--lock-timeout", min=0, metavar="SECONDS",
                                       help="How long a write waits for another writer before giving up."),
):
    ctx.obj = Settings(db=db, lock_timeout=lock_timeout, env=Env.detect())


def settings(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj


def open_ledger(ctx: typer.Context, *, create: bool = False):
    from protestlog.ledger import Ledger

    s = settings(ctx)
    return Ledger(s.db, create=create, lock_timeout=s.lock_timeout)


class ListFormat(str, Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    ndjson = "ndjson"
    markdown = "markdown"


class SummaryFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"


class Period(str, Enum):
    day = "day"
    week = "week"
    month = "month"


def chosen_format(fmt: Enum, as_json: bool) -> str:
    return "json" if as_json else fmt.value


def day_option(value: Optional[str], field: str):
    if value is None:
        return None
    return dates.parse_day(value, field, today=dates.today(), allow_future=True)


# ---- add ---------------------------------------------------------------------

PROMPTS = {"date": "Date of the incident (e.g. 2023-01-09 or 9 Jan 2023)", "region": "Region",
           "killed": "Number killed"}


@app.command()
def add(
    ctx: typer.Context,
    date: Optional[str] = typer.Option(None, help="Incident date: 2023-01-09, '9 Jan 2023', 09/01/2023 "
                                                  "(day first) or 'yesterday'. Not in the future."),
    end_date: Optional[str] = typer.Option(None, "--end-date", help="Last day, when a report gives a span."),
    precision: Optional[str] = typer.Option(None, "--precision", help="How exact the date is: day, week, month."),
    region: Optional[str] = typer.Option(None, help="Region of Peru; case and accents ignored (apurimac)."),
    province: Optional[str] = typer.Option(None),
    place: Optional[str] = typer.Option(None, help="Town, district or site."),
    killed: Optional[str] = typer.Option(None, help="Best figure of people killed (or wording: 'dozens')."),
    killed_low: Optional[str] = typer.Option(None, "--killed-low", help="Lowest credible figure killed."),
    killed_high: Optional[str] = typer.Option(None, "--killed-high", help="Highest credible figure killed."),
    injured: Optional[str] = typer.Option(None, help="People injured; leave out when unknown."),
    injured_low: Optional[str] = typer.Option(None, "--injured-low"),
    injured_high: Optional[str] = typer.Option(None, "--injured-high"),
    detained: Optional[str] = typer.Option(None, help="People detained; leave out when unknown."),
    group: Optional[str] = typer.Option(None, help="Who the victims were: civilian, police, military, unknown."),
    minors: Optional[str] = typer.Option(None, help="How many of the killed were minors (never more than killed)."),
    circumstance: Optional[str] = typer.Option(
        None, help="'clash with security forces' (clash), 'blockade-related accident' (blockade), other."),
    cause: Optional[str] = typer.Option(
        None, help="firearm, pellets, tear gas, blunt force, burns, vehicle, other, unknown."),
    confidence: Optional[str] = typer.Option(None, help="confirmed, probable, unverified (default), contested."),
    source: Optional[str] = typer.Option(None, help="Who reported it (e.g. 'Defensoría del Pueblo')."),
    url: Optional[str] = typer.Option(None, help="Public link to the report."),
    note: Optional[str] = typer.Option(None, help="Free text: names, context, doubts."),
    external_id: Optional[str] = typer.Option(None, "--external-id", help="The report's id in another system."),
    by: Optional[str] = typer.Option(None, help="Who records this (else $PROTESTLOG_USER, else login name)."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored record as JSON."),
):
    """Record one incident report. Prints the new record's id.

    At a terminal, a missing date, region or killed figure is asked for; in a script
    it is an error (exit 2), never a prompt that waits.
    """
    from protestlog.ledger import public_record
    from protestlog.records import validate

    raw = {"date": date, "end_date": end_date, "date_precision": precision, "region": region,
           "province": province, "place": place, "killed": killed, "killed_low": killed_low,
           "killed_high": killed_high, "injured": injured, "injured_low": injured_low,
           "injured_high": injured_high, "detained": detained, "group": group, "minors": minors,
           "circumstance": circumstance, "cause": cause, "confidence": confidence, "source": source,
           "url": url, "note": note, "external_id": external_id}
    env = settings(ctx).env
    for field, question in PROMPTS.items():
        if raw[field] is None or not str(raw[field]).strip():
            if not env.stdin_tty:
                raise UsageProblem(f"--{field} is required (no terminal to ask for it)")
            raw[field] = typer.prompt(question)
    record = validate(raw, today=dates.today())
    with open_ledger(ctx, create=True) as ledger:
        entry = ledger.add(record, by=by)
    if as_json:
        write_json(env, public_record(entry))
    else:
        print(entry["record_id"], file=env.stdout)


# ---- list --------------------------------------------------------------------

LIST_COLUMNS = ["id", "date", "region", "place", "group", "circumstance", "killed", "injured",
                "sources_count", "running_killed", "running_injured"]


@app.command("list")
def list_records(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, help="First incident date shown (included)."),
    until: Optional[str] = typer.Option(None, help="Last incident date shown (included)."),
    region: Optional[str] = typer.Option(None),
    group: Optional[str] = typer.Option(None),
    circumstance: Optional[str] = typer.Option(None),
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", "-f", help="Output format."),
    as_json: bool = typer.Option(False, "--json", help="Short for --format json."),
):
    """The register: current records in date order with running totals of killed and injured.

    --since and --until are both included. Running totals start at the first row shown, so with --since
    they count from that date, not from the start of the ledger.
    """
    from protestlog.reports import Filters, register

    filters = make_filters(since, until, region, group, circumstance)
    fmt_name = chosen_format(fmt, as_json)
    env = settings(ctx).env
    with open_ledger(ctx) as ledger:
        rows = register(ledger, filters)
        if fmt_name in ("table", "markdown"):
            title = f"Register {bounds_text(filters)}; running totals from the first row shown"
            write_rows(env, rows, LIST_COLUMNS, fmt_name, title=title,
                       numeric={"id", "killed", "injured", "sources_count", "running_killed", "running_injured"})
        else:
            from protestlog.reports import RECORD_COLUMNS

            columns = list(RECORD_COLUMNS) + ["revision", "recorded_at", "recorded_by", "sources_count",
                                              "running_killed", "running_injured"]
            write_rows(env, rows, columns, fmt_name)


def make_filters(since, until, region, group, circumstance):
    from protestlog import vocab
    from protestlog.regions import canonical_region
    from protestlog.reports import Filters

    return Filters(
        since=day_option(since, "since"), until=day_option(until, "until"),
        region=canonical_region(region) if region else None,
        group=vocab.choose("group", group, vocab.GROUPS) if group else None,
        circumstance=(vocab.choose("circumstance", circumstance, vocab.CIRCUMSTANCES, vocab.CIRCUMSTANCE_ALIASES)
                      if circumstance else None))


def bounds_text(filters) -> str:
    lo = filters.since.isoformat() if filters.since else "the first record"
    hi = filters.until.isoformat() if filters.until else "the last record"
    return f"from {lo} to {hi} (both included)"


# ---- summary -----------------------------------------------------------------


@app.command()
def summary(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, help="First day counted (included). Default: the earliest record."),
    until: Optional[str] = typer.Option(None, help="Last day counted (included). Default: today."),
    by: Period = typer.Option(Period.day, "--by", help="Series period; weeks start on Monday."),
    window: Optional[int] = typer.Option(None, "--window", min=1, metavar="DAYS",
                                         help="Days on each side of a milestone. Default: days from --since "
                                              "to the milestone."),
    region: Optional[str] = typer.Option(None),
    group: Optional[str] = typer.Option(None),
    circumstance: Optional[str] = typer.Option(None),
    fmt: SummaryFormat = typer.Option(SummaryFormat.table, "--format", "-f", help="Output format."),
    as_json: bool = typer.Option(False, "--json", help="Short for --format json."),
):
    """Totals, splits by group, circumstance and region, a series with running totals,
    and a before/after comparison around every milestone after --since and up to --until.

    --since and --until are both included. The milestone day itself counts in the 'after' window.
    """
    from protestlog import reports

    filters = make_filters(since, until, region, group, circumstance)
    with open_ledger(ctx) as ledger:
        start = filters.since or earliest(ledger)
        end = filters.until or dates.today()
        if end < start:
            raise FieldError("until", end.isoformat(), f"is before since ({start.isoformat()})")
        result = reports.summary(ledger, since=start, until=end, by=by.value, window=window, filters=filters)
    from protestlog.views import render_summary

    render_summary(settings(ctx).env, result, chosen_format(fmt, as_json))


def earliest(ledger):
    import datetime as dt

    base, params = ledger.current_sql(None)
    row = ledger.db.execute(f"SELECT MIN(date) FROM ({base})", params).fetchone()
    return dt.date.fromisoformat(row[0]) if row[0] else dates.today()


# ---- import ------------------------------------------------------------------


class ImportFormat(str, Enum):
    csv = "csv"
    json = "json"


@app.command("import")
def import_(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE", help="CSV or JSON file ('-' for standard input)."),
    fmt: Optional[ImportFormat] = typer.Option(None, "--format", "-f", help="File format (default: by extension)."),
    by: Optional[str] = typer.Option(None, help="Who records these (else $PROTESTLOG_USER, else login name)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
):
    """Import incident records from a file: all rows or none.

    Columns are named like the 'add' options (date, region, killed, group, source, url, ...).
    The first bad row rejects the whole file with its line and field; the ledger is unchanged.
    """
    from protestlog.importer import import_file

    if file == "-" and fmt is None:
        raise UsageProblem("--format is required when reading standard input")
    env = settings(ctx).env
    with open_ledger(ctx, create=True) as ledger:
        result = import_file(ledger, file, fmt=fmt.value if fmt else None, today=dates.today(), by=by)
    if as_json:
        write_json(env, result)
    else:
        span = f" (ids {result['ids'][0]}–{result['ids'][1]})" if result["added"] else ""
        env.say(f"imported {result['added']} records from {file}{span}")


# ---- milestones ----------------------------------------------------------------


@milestone_app.command("add")
def milestone_add(
    ctx: typer.Context,
    date: str = typer.Argument(..., metavar="DATE"),
    label: str = typer.Argument(..., metavar="LABEL"),
    by: Optional[str] = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
):
    """Add a milestone (e.g. 2023-01-10 "Curfew in Puno")."""
    from protestlog.records import parse_text

    day = dates.parse_day(date, "date", today=dates.today(), allow_future=True).isoformat()
    text = parse_text("label", label)
    if not text:
        raise FieldError("label", label, "is required")
    with open_ledger(ctx, create=True) as ledger:
        row = ledger.add_milestone(day, text, by=by)
    if as_json:
        write_json(settings(ctx).env, row)
    else:
        print(row["id"], file=settings(ctx).env.stdout)


@milestone_app.command("list")
def milestone_list(
    ctx: typer.Context,
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", "-f"),
    as_json: bool = typer.Option(False, "--json"),
):
    """List milestones in date order."""
    with open_ledger(ctx) as ledger:
        rows = ledger.milestones()
    write_rows(settings(ctx).env, rows, ["id", "date", "label", "recorded_at", "recorded_by"],
               chosen_format(fmt, as_json), title="Milestones")


def run():
    app()
