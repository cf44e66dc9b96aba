"""The command line: parse arguments, call the library, print. Nothing else lives here.

Exit codes (see README): 0 success, 1 a data or ledger problem, 2 a usage problem.
Every error is one line on stderr naming the field and the value; never a traceback.
"""

import sys
from enum import Enum
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from protestlog import dates
from protestlog.errors import ExitStatus, FieldError, LedgerError, UsageProblem
from protestlog.output import Env, write_file, write_json, write_rows


class LedgerGroup(TyperGroup):
    """Turns every library and usage error into one stderr line and a documented exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Typer would turn Ctrl-C into a silent exit 130; say what happened to the ledger.
            raise Interrupted("interrupted: the command stopped and wrote nothing") from None
        except typer.Abort:  # a prompt met the end of its input
            raise Interrupted("no answer to the prompt: nothing was written") from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args=args, prog_name=prog_name or "protestlog", complete_var=complete_var,
                                standalone_mode=False, **extra)
        except LedgerError as exc:
            fail(str(exc), exc.exit_status)
        except KeyboardInterrupt:
            fail("interrupted: the command stopped and wrote nothing", 130)
        except Exception as exc:
            # Click's exceptions (Typer may vendor its own Click): usage errors carry exit_code 2.
            if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
                fail(exc.format_message(), exc.exit_code)
            sqlite3 = sys.modules.get("sqlite3")  # not imported at start-up: --help never needs it
            if sqlite3 and isinstance(exc, sqlite3.DatabaseError):
                fail(f"ledger error: {exc}", ExitStatus.ERROR)
            raise
        sys.exit(code or 0)


class Interrupted(LedgerError):
    exit_status = 130


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


class Settings:
    """Global options, resolved once per invocation."""

    def __init__(self, db: str, lock_timeout: float, env: Env):
        self.db, self.lock_timeout, self.env = db, lock_timeout, env


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


def day_option(value: Optional[str], field: str):
    if value is None:
        return None
    return dates.parse_day(value, field, today=dates.today(), allow_future=True)


# ---- add and amend share their field options ------------------------------------

Text = Optional[str]
DateOpt = Annotated[Text, typer.Option("--date", help="Incident date: 2023-01-09, '9 Jan 2023', 09/01/2023 "
                                                      "(day first) or 'yesterday'. Not in the future.")]
EndDateOpt = Annotated[Text, typer.Option("--end-date", help="Last day, when a report gives a span.")]
PrecisionOpt = Annotated[Text, typer.Option("--precision", help="How exact the date is: day, week, month.")]
RegionOpt = Annotated[Text, typer.Option("--region", help="Region of Peru; case and accents ignored (apurimac).")]
ProvinceOpt = Annotated[Text, typer.Option("--province")]
PlaceOpt = Annotated[Text, typer.Option("--place", help="Town, district or site.")]
KilledOpt = Annotated[Text, typer.Option("--killed", help="Best figure of people killed (or wording: 'dozens').")]
KilledLowOpt = Annotated[Text, typer.Option("--killed-low", help="Lowest credible figure killed.")]
KilledHighOpt = Annotated[Text, typer.Option("--killed-high", help="Highest credible figure killed.")]
InjuredOpt = Annotated[Text, typer.Option("--injured", help="People injured; leave out when unknown.")]
InjuredLowOpt = Annotated[Text, typer.Option("--injured-low")]
InjuredHighOpt = Annotated[Text, typer.Option("--injured-high")]
DetainedOpt = Annotated[Text, typer.Option("--detained", help="People detained; leave out when unknown.")]
GroupOpt = Annotated[Text, typer.Option("--group", help="Who the victims were: civilian, police, military, "
                                                        "unknown.")]
MinorsOpt = Annotated[Text, typer.Option("--minors", help="How many of the killed were minors (never more than "
                                                          "killed).")]
CircumstanceOpt = Annotated[Text, typer.Option(
    "--circumstance", help="'clash with security forces' (clash), 'blockade-related accident' (blockade), other.")]
CauseOpt = Annotated[Text, typer.Option(
    "--cause", help="firearm, pellets, tear gas, blunt force, burns, vehicle, other, unknown.")]
ConfidenceOpt = Annotated[Text, typer.Option("--confidence", help="confirmed, probable, unverified (default), "
                                                                  "contested.")]
NoteOpt = Annotated[Text, typer.Option("--note", help="Free text: names, context, doubts.")]
ExternalIdOpt = Annotated[Text, typer.Option("--external-id", help="The report's id in another system.")]
ByOpt = Annotated[Text, typer.Option("--by", help="Who records this (else $PROTESTLOG_USER, else login name).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
AsOfOpt = Annotated[Text, typer.Option("--as-of", metavar="DATETIME",
                                       help="Show the ledger as it stood at this recording time (UTC; a bare "
                                            "date means the end of that day).")]


def record_fields(date, end_date, precision, region, province, place, killed, killed_low, killed_high, injured,
                  injured_low, injured_high, detained, group, minors, circumstance, cause, confidence, note,
                  external_id) -> dict:
    return {"date": date, "end_date": end_date, "date_precision": precision, "region": region,
            "province": province, "place": place, "killed": killed, "killed_low": killed_low,
            "killed_high": killed_high, "injured": injured, "injured_low": injured_low,
            "injured_high": injured_high, "detained": detained, "group": group, "minors": minors,
            "circumstance": circumstance, "cause": cause, "confidence": confidence, "note": note,
            "external_id": external_id}


MinConfidenceOpt = Annotated[Text, typer.Option(
    "--min-confidence", help="Only records at least this certain: confirmed > probable > unverified > contested.")]


PROMPTS = {"date": "Date of the incident (e.g. 2023-01-09 or 9 Jan 2023)", "region": "Region",
           "killed": "Number killed"}


@app.command()
def add(
    ctx: typer.Context, date: DateOpt = None, end_date: EndDateOpt = None, precision: PrecisionOpt = None,
    region: RegionOpt = None, province: ProvinceOpt = None, place: PlaceOpt = None, killed: KilledOpt = None,
    killed_low: KilledLowOpt = None, killed_high: KilledHighOpt = None, injured: InjuredOpt = None,
    injured_low: InjuredLowOpt = None, injured_high: InjuredHighOpt = None, detained: DetainedOpt = None,
    group: GroupOpt = None, minors: MinorsOpt = None, circumstance: CircumstanceOpt = None,
    cause: CauseOpt = None, confidence: ConfidenceOpt = None,
    source: Annotated[Text, typer.Option("--source", help="Who reported it (e.g. 'Defensoría del Pueblo').")] = None,
    url: Annotated[Text, typer.Option("--url", help="Public link to the report.")] = None,
    note: NoteOpt = None, external_id: ExternalIdOpt = None, by: ByOpt = None, as_json: JsonFlag = False,
):
    """Record one incident report. Prints the new record's id.

    At a terminal, a missing date, region or killed figure is asked for; in a script
    it is an error (exit 2), never a prompt that waits.
    """
    from protestlog.records import validate

    raw = record_fields(date, end_date, precision, region, province, place, killed, killed_low, killed_high,
                        injured, injured_low, injured_high, detained, group, minors, circumstance, cause,
                        confidence, note, external_id)
    raw.update({"source": source, "url": url})
    env = settings(ctx).env
    for field, question in PROMPTS.items():
        if raw[field] is None or not str(raw[field]).strip():
            if not env.stdin_tty:
                raise UsageProblem(f"--{field} is required (no terminal to ask for it)")
            raw[field] = typer.prompt(question)
    record = validate(raw, today=dates.today())
    with open_ledger(ctx, create=True) as ledger:
        entry = ledger.add(record, by=by)
    print_entry(env, entry, as_json)


def print_entry(env: Env, entry: dict, as_json: bool):
    from protestlog.ledger import public_record

    if as_json:
        write_json(env, public_record(entry) | {"action": entry["action"], "reason": entry["reason"],
                                                "hash": entry["hash"]})
    else:
        print(entry["record_id"], file=env.stdout)


ReasonOpt = Annotated[Text, typer.Option("--reason", help="Why (required): the new report, the error found.")]


@app.command()
def amend(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(metavar="ID", help="Record id, or the external id it was imported with.")],
    reason: ReasonOpt = None,
    date: DateOpt = None, end_date: EndDateOpt = None, precision: PrecisionOpt = None,
    region: RegionOpt = None, province: ProvinceOpt = None, place: PlaceOpt = None, killed: KilledOpt = None,
    killed_low: KilledLowOpt = None, killed_high: KilledHighOpt = None, injured: InjuredOpt = None,
    injured_low: InjuredLowOpt = None, injured_high: InjuredHighOpt = None, detained: DetainedOpt = None,
    group: GroupOpt = None, minors: MinorsOpt = None, circumstance: CircumstanceOpt = None,
    cause: CauseOpt = None, confidence: ConfidenceOpt = None, note: NoteOpt = None,
    external_id: ExternalIdOpt = None, by: ByOpt = None, as_json: JsonFlag = False,
):
    """Correct a record by writing a new revision that supersedes the old one.

    Give only the fields that change; an empty value ('') clears an optional field. The old
    revision stays in the ledger ('protestlog show ID'). Amending a retracted record restores it.
    Sources are added with 'protestlog source add'.
    """
    from protestlog.corrections import amend as amend_record

    changes = record_fields(date, end_date, precision, region, province, place, killed, killed_low, killed_high,
                            injured, injured_low, injured_high, detained, group, minors, circumstance, cause,
                            confidence, note, external_id)
    with open_ledger(ctx) as ledger:
        entry = amend_record(ledger, record, changes, reason=reason, today=dates.today(), by=by)
    print_entry(settings(ctx).env, entry, as_json)


@app.command()
def retract(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(metavar="ID", help="Record id, or its external id.")],
    reason: ReasonOpt = None, by: ByOpt = None, as_json: JsonFlag = False,
):
    """Withdraw a record (a duplicate, a report proven false) with a new entry.

    It leaves every total and list from then on, and stays visible with its history in
    'protestlog show ID' and in totals '--as-of' an earlier time.
    """
    from protestlog.corrections import retract as retract_record

    with open_ledger(ctx) as ledger:
        entry = retract_record(ledger, record, reason=reason, by=by)
    print_entry(settings(ctx).env, entry, as_json)


@app.command()
def show(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(metavar="ID", help="Record id, or its external id.")],
    as_of: AsOfOpt = None, fmt: FormatOpt = Format.table, as_json: JsonShort = False,
):
    """A record with its full history: every revision, who made it, when, why, and what changed.

    --format json gives the record and its history; ndjson, csv, tsv and markdown give the history rows.
    """
    from protestlog.corrections import changes_between, find_record
    from protestlog.ledger import public_record

    env = settings(ctx).env
    with open_ledger(ctx) as ledger:
        record_id = find_record(ledger, record)
        history = ledger.history(record_id, ledger.cut(parse_as_of(as_of)))
    if not history:
        raise LedgerError(f"record {record_id} did not exist yet as of {as_of}")
    revisions, previous = [], None
    for entry in history:
        revisions.append({"revision": entry["revision"], "action": entry["action"],
                          "recorded_at": entry["recorded_at"], "recorded_by": entry["recorded_by"],
                          "reason": entry["reason"], "changes": changes_between(previous, entry),
                          "hash": entry["hash"]})
        previous = entry
    current = history[-1]
    shown = {"record": public_record(current), "status": "retracted" if current["action"] == "retract" else "current",
             "history": revisions}
    fmt_name = chosen_format(fmt, as_json)
    if fmt_name == "json":
        write_json(env, shown)
        return
    if fmt_name != "table":
        write_rows(env, revisions, ["revision", "action", "recorded_at", "recorded_by", "reason", "changes", "hash"],
                   fmt_name, title=f"History of record {record_id}")
        return
    console = env.console()
    console.print(f"Record {record_id} ({shown['status']}, revision {current['revision']})"
                  + (f" as of {as_of}" if as_of else ""))
    fields = [{"field": k, "value": v} for k, v in shown["record"].items() if v not in (None, [], "")]
    write_rows(env, fields, ["field", "value"], "table")
    rows = [{**r, "changes": "; ".join(describe_change(k, a, b) for k, (a, b) in r["changes"].items()) or "-"}
            for r in revisions]
    write_rows(env, rows, ["revision", "action", "recorded_at", "recorded_by", "reason", "changes"], "table",
               title="History")


def describe_change(field: str, old, new) -> str:
    if field == "sources":
        added = [src["name"] for src in new or [] if src not in (old or [])]
        removed = [src["name"] for src in old or [] if src not in (new or [])]
        return "sources: " + ", ".join([f"+{n}" for n in added] + [f"-{n}" for n in removed])
    return f"{field}: {old} → {new}"


source_app = typer.Typer(cls=LedgerGroup, no_args_is_help=True, rich_markup_mode=None,
                         help="Add a source to a record later (a new revision).")
app.add_typer(source_app, name="source")


@app.command()
def sources(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(metavar="ID", help="Record id, or its external id.")],
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False,
):
    """List the sources a record cites (name, URL, date accessed)."""
    from protestlog.corrections import find_record

    with open_ledger(ctx) as ledger:
        record_id = find_record(ledger, record)
        history = ledger.history(record_id, ledger.cut(parse_as_of(as_of)))
    if not history:
        raise LedgerError(f"record {record_id} did not exist yet as of {as_of}")
    write_rows(settings(ctx).env, history[-1]["sources"], ["name", "url", "accessed"],
               chosen_format(fmt, as_json), title=f"Sources of record {record_id}")


@source_app.command("add")
def source_add(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(metavar="ID", help="Record id, or its external id.")],
    name: Annotated[Text, typer.Option("--name", help="Who reported it.")] = None,
    url: Annotated[Text, typer.Option("--url", help="Public link.")] = None,
    accessed: Annotated[Text, typer.Option("--accessed", help="When you read it (default today).")] = None,
    reason: Annotated[Text, typer.Option("--reason", help="Why (default: 'source added: NAME').")] = None,
    by: ByOpt = None, as_json: JsonFlag = False,
):
    """Cite one more source for a record (written as a new revision)."""
    from protestlog.corrections import add_source

    with open_ledger(ctx) as ledger:
        entry = add_source(ledger, record, name=name, url=url, accessed=accessed, reason=reason,
                           today=dates.today(), by=by)
    print_entry(settings(ctx).env, entry, as_json)


@app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    expect: Annotated[Text, typer.Option("--expect", metavar="HASH",
                                         help="A head hash published earlier: the chain must still pass "
                                              "through it.")] = None,
    fmt: FormatOpt = Format.table, as_json: JsonShort = False,
):
    """Recompute the hash chain and run SQLite's integrity check.

    Prints OK with the entry count and head hash, or names the first entry that does not
    match and exits 1. See the README for what this proves and what it does not.
    """
    from protestlog.verify import verify

    check_hash(expect)
    with open_ledger(ctx) as ledger:
        result = verify(ledger, expect=expect.lower() if expect else None)
    env, fmt_name = settings(ctx).env, chosen_format(fmt, as_json)
    if fmt_name == "json":
        write_json(env, result)
    elif fmt_name != "table":
        write_rows(env, result["problems"], ["seq", "message"], fmt_name, title="Verification problems")
    elif result["ok"]:
        through = f", passes through {expect[:12]}… at entry {result['expect_found_at']}" if expect else ""
        print(f"OK {result['entries']} entries, head {result['head_hash']}{through}", file=env.stdout)
    else:
        for p in result["problems"]:
            env.say(f"protestlog: verify: {p['message']}")
    if not result["ok"]:
        raise typer.Exit(ExitStatus.ERROR)


def check_hash(expect: str | None):
    if expect is not None and (len(expect) != 64 or any(c not in "0123456789abcdef" for c in expect.lower())):
        raise FieldError("expect", expect, "must be a full 64-character hex hash as printed by verify")


def parse_as_of(value):
    return dates.parse_instant(value) if value else None


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
    min_confidence: MinConfidenceOpt = None,
    unsourced: Annotated[bool, typer.Option("--unsourced", help="Only records that cite no source.")] = False,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False,
):
    """The register: current records in date order with running totals of killed and injured.

    --since and --until are both included. Running totals start at the first row shown, so with --since
    they count from that date, not from the start of the ledger.
    """
    from protestlog.reports import register

    filters = make_filters(since, until, region, group, circumstance, min_confidence)
    filters.unsourced = unsourced
    fmt_name = chosen_format(fmt, as_json)
    env = settings(ctx).env
    as_of = parse_as_of(as_of)
    with open_ledger(ctx) as ledger:
        rows = register(ledger, filters, as_of=as_of)
        if fmt_name in ("table", "markdown"):
            title = (f"Register {bounds_text(filters)}; running totals from the first row shown"
                     + (f"; as of {as_of}" if as_of else ""))
            write_rows(env, rows, LIST_COLUMNS, fmt_name, title=title,
                       numeric={"id", "killed", "injured", "sources_count", "running_killed", "running_injured"})
        else:
            from protestlog.reports import RECORD_COLUMNS

            columns = list(RECORD_COLUMNS) + ["revision", "recorded_at", "recorded_by", "sources_count",
                                              "running_killed", "running_injured"]
            write_rows(env, rows, columns, fmt_name)


def make_filters(since, until, region, group, circumstance, min_confidence=None):
    from protestlog import vocab
    from protestlog.regions import canonical_region
    from protestlog.reports import Filters

    return Filters(
        since=day_option(since, "since"), until=day_option(until, "until"),
        region=canonical_region(region) if region else None,
        group=vocab.choose("group", group, vocab.GROUPS) if group else None,
        circumstance=(vocab.choose("circumstance", circumstance, vocab.CIRCUMSTANCES, vocab.CIRCUMSTANCE_ALIASES)
                      if circumstance else None),
        min_confidence=vocab.choose("min-confidence", min_confidence, vocab.CONFIDENCE) if min_confidence else None)


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
    min_confidence: MinConfidenceOpt = None,
    by_region: bool = typer.Option(False, "--by-region", help="Only the regions, ranked by deaths, with each "
                                                              "region's share and ISO 3166-2 code."),
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False,
):
    """Totals, splits by group, circumstance and region, a series with running totals,
    and a before/after comparison around every milestone after --since and up to --until.

    --since and --until are both included. The milestone day itself counts in the 'after' window.
    """
    filters = make_filters(since, until, region, group, circumstance, min_confidence)
    with open_ledger(ctx) as ledger:
        result = summarize(ledger, filters, by=by.value, window=window, as_of=parse_as_of(as_of))
    from protestlog import views

    render = views.render_regions if by_region else views.render_summary
    render(settings(ctx).env, result, chosen_format(fmt, as_json))


class Metric(str, Enum):
    killed = "killed"
    injured = "injured"
    detained = "detained"


@app.command()
def chart(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, help="First day charted (included). Default: the earliest record."),
    until: Optional[str] = typer.Option(None, help="Last day charted (included). Default: today."),
    by: Period = typer.Option(Period.day, "--by", help="One bar per day, week (from Monday) or month."),
    metric: Metric = typer.Option(Metric.killed, "--metric", help="What to count: killed, injured, detained."),
    cumulative: bool = typer.Option(False, "--cumulative", help="Running total from --since instead of "
                                                                "per-period counts."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="Write an image instead: FILE.svg or FILE.png (needs "
                                              "'pip install protestlog[charts]')."),
    region: Optional[str] = typer.Option(None),
    min_confidence: MinConfidenceOpt = None,
    as_of: AsOfOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Print the plotted points, milestones and totals as JSON."),
):
    """A timeline chart with milestones marked: bars in the terminal, or an SVG/PNG file.

    The chart plots exactly the series 'summary' reports for the same options. --since and
    --until are both included; with --by week the first and last bars count only the days
    inside the range.
    """
    from protestlog import charts

    fmt = charts.image_format(output) if output else None
    filters = make_filters(since, until, region, None, None, min_confidence)
    as_of = parse_as_of(as_of)
    with open_ledger(ctx) as ledger:
        result = summarize(ledger, filters, by=by.value, as_of=as_of)
        milestones = ledger.milestones(as_of)
    data = charts.timeline(result, milestones, metric=metric.value, cumulative=cumulative)
    env = settings(ctx).env
    if output:
        write_file(output, charts.draw_timeline(data, fmt))
        env.say(f"wrote {output}: {data['title']}")
    if as_json:
        write_json(env, data)
    elif not output:
        charts.render_terminal(env, data)


class ReportFormat(str, Enum):
    html = "html"
    markdown = "markdown"


@app.command()
def report(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, help="First incident day reported (included). Default: the earliest "
                                                   "record."),
    until: Optional[str] = typer.Option(None, help="Last incident day reported (included). Default: today."),
    by: Period = typer.Option(Period.week, "--by", help="Period of the timeline chart."),
    window: Optional[int] = typer.Option(None, "--window", min=1, metavar="DAYS",
                                         help="Days on each side of a milestone (as in summary)."),
    region: Optional[str] = typer.Option(None),
    min_confidence: MinConfidenceOpt = None,
    title: Optional[str] = typer.Option(None, "--title", help="Page title. Default: 'Casualty report, SINCE to "
                                                              "UNTIL'."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="Write the report here (default: standard output)."),
    fmt: Optional[ReportFormat] = typer.Option(None, "--format", "-f",
                                               help="html (needs 'pip install protestlog[charts]') or markdown. "
                                                    "Default: from the --output extension (.md: markdown), else html."),
    as_of: AsOfOpt = None,
):
    """A publishable report: headline totals, before/after each milestone, the timeline, regions,
    and every incident with its sources as links.

    The ledger must pass 'verify' first. The footer gives the verified head hash and the as-of
    time (default: when the ledger last changed) with the command that reproduces the report
    byte for byte. HTML is one self-contained file with no scripts and nothing fetched.
    """
    from protestlog import publication

    if fmt is None:
        fmt = ReportFormat.markdown if output and output.lower().endswith((".md", ".markdown")) else ReportFormat.html
    filters = make_filters(since, until, region, None, None, min_confidence)
    with open_ledger(ctx) as ledger:
        start, end = resolve_range(ledger, filters)
        built = publication.build(ledger, filters, since=start, until=end, by=by.value, window=window,
                                  as_of=parse_as_of(as_of), title=title)
        chunks = publication.to_html(built) if fmt is ReportFormat.html else publication.to_markdown(built)
        env = settings(ctx).env
        if output:
            write_file(output, chunks)  # the incident table streams from the open ledger
            env.say(f"wrote {output}: {built['summary']['totals']['killed']} killed in "
                    f"{built['summary']['totals']['records']} records, ledger head {built['head_hash']}")
        else:
            env.stdout.writelines(chunks)


def summarize(ledger, filters, *, by: str, as_of: str | None, window: int | None = None) -> dict:
    """The summary over the resolved range (see resolve_range)."""
    from protestlog import reports

    start, end = resolve_range(ledger, filters)
    return reports.summary(ledger, since=start, until=end, by=by, window=window, filters=filters, as_of=as_of)


def resolve_range(ledger, filters):
    """--since defaults to the first record, --until to today; both are included."""
    start = filters.since or earliest(ledger)
    end = filters.until or dates.today()
    if end < start:
        raise FieldError("until", end.isoformat(), f"is before since ({start.isoformat()})")
    return start, end


def earliest(ledger):
    import datetime as dt

    base, params = ledger.current_sql(None)
    row = ledger.db.execute(f"SELECT MIN(date) FROM ({base})", params).fetchone()
    return dt.date.fromisoformat(row[0]) if row[0] else dates.today()


# ---- import, batches, export -------------------------------------------------------


class ImportFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    ndjson = "ndjson"


@app.command("import")
def import_(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE", help="CSV, TSV, JSON array or NDJSON file ('-': standard input)."),
    fmt: Optional[ImportFormat] = typer.Option(None, "--format", "-f", help="File format (default: by extension)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report; write nothing."),
    by: ByOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON on stdout."),
):
    """Import incident records from a file: idempotent, and all rows or none.

    Columns are named like the 'add' options (date, region, killed, group, source, url, ...).
    A row whose external_id, or else whose content, is already in the ledger is counted as
    already present and not added again. Any invalid row rejects the whole file: each is
    reported with its line and field, and the ledger is unchanged. Every import is recorded
    as a batch ('protestlog imports').
    """
    from protestlog.duplicates import likely_duplicates
    from protestlog.importer import ImportRejected, import_file

    if file == "-" and fmt is None:
        raise UsageProblem("--format is required when reading standard input")
    env = settings(ctx).env
    with open_ledger(ctx, create=True) as ledger, import_progress(env) as progress:
        before = ledger.head()
        try:
            result = import_file(ledger, file, fmt=fmt.value if fmt else None, today=dates.today(), by=by,
                                 dry_run=dry_run, progress=progress)
        except ImportRejected as exc:
            if as_json:
                write_json(env, exc.result)
            for message in exc.result["errors"][1:]:
                env.say(f"protestlog: error: {message}")
            raise
        # Pair-wise comparison grows with the square of a region-day's records: for a bulk load,
        # leave it to 'protestlog duplicates' rather than make the import wait.
        lookalikes = [] if dry_run or not 0 < result["added"] <= LOOKALIKE_LIMIT else likely_duplicates(
            ledger, newer_than_seq=before["seq"] if before else 0)
    result["likely_duplicates"] = lookalikes
    if result["added"] > LOOKALIKE_LIMIT and not dry_run:
        env.say(f"protestlog: note: {result['added']} rows added; run 'protestlog duplicates' to look for "
                f"records that report the same deaths")
    for d in result["differs"]:
        env.say(f"protestlog: warning: line {d['line']}: external id {d['external_id']!r} is already record "
                f"{d['record']} with different content; not imported (use 'protestlog amend {d['record']}')")
    for pair in lookalikes[:10]:
        env.say(f"protestlog: warning: records {pair['a']} and {pair['b']} look like the same incident "
                f"(score {pair['score']}); see 'protestlog duplicates'")
    if as_json:
        write_json(env, result)
    else:
        verb = "would add" if dry_run else "added"
        span = f", ids {result['ids'][0]}–{result['ids'][1]}" if result["ids"] and not dry_run else ""
        batch = f" (batch {result['batch']}{span})" if result["batch"] else ""
        env.say(f"{file}: {verb} {result['added']}, already present {result['already_present']}, "
                f"rejected {result['rejected']}{batch}")


LOOKALIKE_LIMIT = 2000


class import_progress:
    """A progress bar on stderr at a terminal for long imports; nothing at all on a pipe."""

    def __init__(self, env: Env):
        self.env, self.bar = env, None

    def __enter__(self):
        if not self.env.stderr_tty:
            return None
        from rich.progress import Progress, SpinnerColumn, TextColumn

        self.bar = Progress(SpinnerColumn(), TextColumn("importing: {task.completed:,} rows read"),
                            console=self.env.console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("import", total=None)
        return lambda rows, _bytes: self.bar.update(task, completed=rows)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()


imports_app = typer.Typer(cls=LedgerGroup, rich_markup_mode=None, invoke_without_command=True,
                          help="Import batches: what each import added, and retracting a whole batch.")
app.add_typer(imports_app, name="imports")

BATCH_COLUMNS = ["id", "file", "format", "rows", "added", "already_present", "recorded_at", "recorded_by", "sha256"]


@imports_app.callback()
def imports_list(ctx: typer.Context, fmt: FormatOpt = Format.table, as_json: JsonShort = False):
    """List import batches (file, content hash, when, who, how many rows added)."""
    if ctx.invoked_subcommand is not None:
        return
    with open_ledger(ctx) as ledger:
        rows = [dict(r) for r in ledger.db.execute("SELECT * FROM imports ORDER BY id")]
    write_rows(settings(ctx).env, rows, BATCH_COLUMNS, chosen_format(fmt, as_json), title="Import batches",
               numeric={"id", "rows", "added", "already_present"})


@imports_app.command("show")
def imports_show(ctx: typer.Context, batch: int = typer.Argument(..., metavar="BATCH"),
                 fmt: FormatOpt = Format.table, as_json: JsonShort = False):
    """The records a batch added, as they stand now."""
    from protestlog.reports import RECORD_COLUMNS, Filters, register

    with open_ledger(ctx) as ledger:
        if not ledger.db.execute("SELECT 1 FROM imports WHERE id = ?", (batch,)).fetchone():
            raise LedgerError(f"no import batch {batch}")
        fmt_name = chosen_format(fmt, as_json)
        columns = (LIST_COLUMNS[:-2] if fmt_name in ("table", "markdown")
                   else list(RECORD_COLUMNS) + ["sources_count"])
        rows = ({k: v for k, v in r.items() if not k.startswith("running_")}
                for r in register(ledger, Filters(batch=batch)))
        write_rows(settings(ctx).env, rows, columns, fmt_name,
                   title=f"Records added by batch {batch} (retracted ones not shown)")


@imports_app.command("retract")
def imports_retract(ctx: typer.Context, batch: int = typer.Argument(..., metavar="BATCH"),
                    reason: ReasonOpt = None, by: ByOpt = None, as_json: JsonShort = False):
    """Retract every record a batch added, in one transaction (new entries; nothing is deleted)."""
    from protestlog.corrections import retract_batch

    with open_ledger(ctx) as ledger:
        ids = retract_batch(ledger, batch, reason=reason, by=by)
    env = settings(ctx).env
    if as_json:
        write_json(env, {"batch": batch, "retracted": ids})
    else:
        env.say(f"retracted {len(ids)} records of batch {batch}")


class ExportFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    ndjson = "ndjson"


@app.command()
def export(
    ctx: typer.Context,
    fmt: ExportFormat = typer.Option(ExportFormat.csv, "--format", "-f", help="csv, tsv, json or ndjson."),
    as_json: JsonShort = False,
    since: Optional[str] = typer.Option(None, help="First incident date (included)."),
    until: Optional[str] = typer.Option(None, help="Last incident date (included)."),
    as_of: AsOfOpt = None,
    include_history: bool = typer.Option(False, "--include-history", help="Every revision, in ledger order."),
    redact: bool = typer.Option(False, "--redact", help="Leave out notes (which may name victims), reasons "
                                                        "and who recorded: for publication."),
    raw: bool = typer.Option(False, "--raw", help="Do not neutralise spreadsheet formulas in CSV/TSV cells."),
):
    """Export current records (retracted ones left out) in a form 'protestlog import' reads back.

    Export then import into an empty ledger gives the same totals. CSV/TSV cells starting with
    = + - @ tab or carriage return get a leading ' so a spreadsheet shows them as text.
    """
    from protestlog.export import export_columns, export_rows, spreadsheet_safe

    fmt_name = "json" if as_json else fmt.value
    filters = make_filters(since, until, None, None, None)
    with open_ledger(ctx) as ledger:
        rows = export_rows(ledger, filters, as_of=parse_as_of(as_of), include_history=include_history,
                           redact=redact)
        if fmt_name in ("csv", "tsv") and not raw:
            rows = spreadsheet_safe(rows)
        write_rows(settings(ctx).env, rows, export_columns(include_history=include_history, redact=redact),
                   fmt_name)


@app.command()
def duplicates(
    ctx: typer.Context,
    min_score: float = typer.Option(0.75, "--min-score", min=0, max=1, help="Lowest score listed (0–1)."),
    as_of: AsOfOpt = None, fmt: FormatOpt = Format.table, as_json: JsonShort = False,
):
    """Pairs of current records that probably report the same deaths, with a score.

    Same region, at most one day apart, and evidence from place, counts and victim group (the
    README gives the scoring). A person decides; retract one of a pair with 'protestlog retract'.
    """
    from protestlog.duplicates import likely_duplicates

    with open_ledger(ctx) as ledger:
        pairs = likely_duplicates(ledger, threshold=min_score, as_of=parse_as_of(as_of))
    write_rows(settings(ctx).env, pairs, ["a", "b", "score", "region", "a_date", "b_date", "a_killed", "b_killed",
                                          "a_place", "b_place"], chosen_format(fmt, as_json),
               title="Likely duplicates", numeric={"a", "b", "score", "a_killed", "b_killed"})


@app.command()
def check(
    ctx: typer.Context,
    require_source: bool = typer.Option(False, "--require-source", help="Every record must cite a source."),
    max_unverified: Optional[int] = typer.Option(None, "--max-unverified", min=0, metavar="N",
                                                 help="At most N records graded unverified."),
    duplicate_score: float = typer.Option(0.75, "--duplicate-score", min=0, max=1,
                                          help="Pairs scoring at least this are problems."),
    expect: Annotated[Text, typer.Option("--expect", metavar="HASH",
                                         help="The chain must pass through this published head hash.")] = None,
    fmt: FormatOpt = Format.table, as_json: JsonShort = False,
):
    """Checks for CI: verify, minors > killed, ranges, likely duplicates, and opt-in rules.

    Silent with exit 0 when all is well; otherwise one line per problem and exit 1.
    """
    from protestlog.checks import run_checks

    check_hash(expect)
    with open_ledger(ctx) as ledger:
        result = run_checks(ledger, require_source=require_source, max_unverified=max_unverified,
                            duplicate_threshold=duplicate_score, expect=expect.lower() if expect else None)
    env, fmt_name = settings(ctx).env, chosen_format(fmt, as_json)
    if fmt_name == "json":
        write_json(env, result)
    elif fmt_name == "table":
        for p in result["problems"]:
            print(f"{p['rule']}: {p['message']}", file=env.stdout)
    else:
        write_rows(env, result["problems"], ["rule", "record", "message"], fmt_name)
    if not result["ok"]:
        raise typer.Exit(ExitStatus.ERROR)


# ---- milestones ----------------------------------------------------------------


@milestone_app.command("add")
def milestone_add(
    ctx: typer.Context,
    date: str = typer.Argument(..., metavar="DATE"),
    label: str = typer.Argument(..., metavar="LABEL"),
    by: Optional[str] = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
):
    """Add a milestone (e.g. 2023-01-10 "Curfew in Puno"). The same date and label twice add it once."""
    from protestlog.records import parse_text

    day = dates.parse_day(date, "date", today=dates.today(), allow_future=True).isoformat()
    text = parse_text("label", label)
    if not text:
        raise FieldError("label", label, "is required")
    with open_ledger(ctx, create=True) as ledger:
        row, added = ledger.add_milestone(day, text, by=by)
    if not added:
        settings(ctx).env.say(f"milestone {row['id']} already has this date and label; nothing added")
    if as_json:
        write_json(settings(ctx).env, row)
    else:
        print(row["id"], file=settings(ctx).env.stdout)


@milestone_app.command("list")
def milestone_list(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False,
):
    """List milestones in date order."""
    with open_ledger(ctx) as ledger:
        rows = ledger.milestones(parse_as_of(as_of))
    write_rows(settings(ctx).env, rows, ["id", "date", "label", "recorded_at", "recorded_by"],
               chosen_format(fmt, as_json), title="Milestones")


def run():
    app()
