"""Commands that write or show one record: add, amend, retract, show, sources, source add."""

from typing import Annotated

import typer

from protestlog.errors import LedgerError, UsageProblem
from protestlog.output import Env, write_json, write_rows

from protestlog.cli.app import (
    Format, FormatOpt, JsonShort, LedgerGroup, app, chosen_format, ledger_today, open_ledger, parse_as_of,
    settings,
)
from protestlog.cli.options import (
    AsOfOpt, ByOpt, CauseOpt, CircumstanceOpt, ConfidenceOpt, DateOpt, DetainedOpt, EndDateOpt,
    ExternalIdOpt, GroupOpt, InjuredHighOpt, InjuredLowOpt, InjuredOpt, JsonFlag, KilledHighOpt,
    KilledLowOpt, KilledOpt, MinorsOpt, NoteOpt, PlaceOpt, PrecisionOpt, ProvinceOpt, RawOpt, ReasonOpt, RegionOpt,
    ResponsibleOpt,
    Text, record_fields,
)

@app.command()
def add(
    ctx: typer.Context, date: DateOpt = None, end_date: EndDateOpt = None, precision: PrecisionOpt = None,
    region: RegionOpt = None, province: ProvinceOpt = None, place: PlaceOpt = None, killed: KilledOpt = None,
    killed_low: KilledLowOpt = None, killed_high: KilledHighOpt = None, injured: InjuredOpt = None,
    injured_low: InjuredLowOpt = None, injured_high: InjuredHighOpt = None, detained: DetainedOpt = None,
    group: GroupOpt = None, minors: MinorsOpt = None, circumstance: CircumstanceOpt = None,
    cause: CauseOpt = None, confidence: ConfidenceOpt = None, responsible: ResponsibleOpt = None,
    source: Annotated[Text, typer.Option("--source", help="Who reported it (e.g. 'Defensoría del Pueblo').")] = None,
    url: Annotated[Text, typer.Option("--url", help="Public link to the report.")] = None,
    note: NoteOpt = None, external_id: ExternalIdOpt = None, by: ByOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="At a terminal, write without asking to confirm.")] = False,
    as_json: JsonFlag = False,
):
    """Record one incident report. Prints the new record's id.

    At a terminal, a missing date, region or killed figure is asked for, each answer checked as
    it is typed; victim group, circumstance, cause, source and URL are offered (Enter skips), and
    the record is shown for confirmation before it is written. In a script a missing field is an
    error (exit 2), never a prompt that waits.

    \b
    Examples:
      protestlog add --date 2023-01-09 --region Puno --place Juliaca \\
        --killed 17 --group civilian --source "Amnesty International"
      protestlog add --date "9 de enero de 2023" --region puno --killed 17
      protestlog add          (at a terminal: asks for each field)
    """
    from protestlog.cli import prompts
    from protestlog.records import blank, validate

    raw = record_fields(date, end_date, precision, region, province, place, killed, killed_low, killed_high,
                        injured, injured_low, injured_high, detained, group, minors, circumstance, cause,
                        confidence, note, external_id)
    raw.update({"source": source, "url": url, "responsible": responsible})
    env, today = settings(ctx).env, ledger_today(ctx)
    missing = [f for f in prompts.REQUIRED if blank(raw[f])]
    if missing and not env.stdin_tty:
        raise UsageProblem(f"--{missing[0]} is required (no terminal to ask for it)")
    if missing:
        prompts.fill_in(raw, today=today)
        record = prompts.validate_asking(raw, validate, today=today)
        if not yes:
            prompts.confirm(record)
    else:
        record = validate(raw, today=today)
    with open_ledger(ctx, create=True) as ledger:
        entry = ledger.add(record, by=by)
    print_entry(env, entry, as_json)


def print_entry(env: Env, entry: dict, as_json: bool):
    """JSON, or at a terminal one line a person can check; piped, only the id (for scripts)."""
    from protestlog.ledger import public_record

    if as_json:
        write_json(env, public_record(entry) | {"action": entry["action"], "reason": entry["reason"],
                                                "hash": entry["hash"]})
    elif env.stdout_tty:
        from protestlog.cli.prompts import result_line

        print(result_line(entry), file=env.stdout)
    else:
        print(entry["record_id"], file=env.stdout)


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
    cause: CauseOpt = None, confidence: ConfidenceOpt = None, responsible: ResponsibleOpt = None,
    note: NoteOpt = None, external_id: ExternalIdOpt = None, by: ByOpt = None, as_json: JsonFlag = False,
):
    """Correct a record by writing a new revision that supersedes the old one.

    Give only the fields that change; an empty value ('') clears an optional field. A new
    --killed or --injured figure replaces the old wording ('dozens'). The old revision stays in
    the ledger ('protestlog show ID'). Amending a retracted record restores it. Sources are added
    with 'protestlog source add'. At a terminal a missing --reason is asked for.

    \b
    Examples:
      protestlog amend 7 --injured 61 --reason "HRW Deadly Decline gives 61"
      protestlog amend pe-2022-12-15-ayacucho --injured "" --reason "withdrawn"
    """
    from protestlog.cli import prompts
    from protestlog.corrections import amend as amend_record, find_record

    changes = record_fields(date, end_date, precision, region, province, place, killed, killed_low, killed_high,
                            injured, injured_low, injured_high, detained, group, minors, circumstance, cause,
                            confidence, note, external_id)
    changes["responsible"] = responsible
    if all(v is None for v in changes.values()):
        raise UsageProblem("give at least one field to change (e.g. --killed 18)")
    env = settings(ctx).env
    with open_ledger(ctx) as ledger:
        if reason is None or not reason.strip():
            find_record(ledger, record)  # no question about a record that does not exist
        reason = prompts.reason(reason, env, what=f"amending record {record}")
        entry = amend_record(ledger, record, changes, reason=reason, today=ledger.today(), by=by)
    print_entry(env, entry, as_json)


@app.command()
def retract(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(metavar="ID", help="Record id, or its external id.")],
    reason: ReasonOpt = None, by: ByOpt = None, as_json: JsonFlag = False,
):
    """Withdraw a record (a duplicate, a report proven false) with a new entry.

    It leaves every total and list from then on, and stays visible with its history in
    'protestlog show ID' and in totals '--as-of' an earlier time. 'protestlog restore ID' brings
    it back. At a terminal a missing --reason is asked for.

    \b
    Example:
      protestlog retract 4 --reason "same deaths as record 3"
    """
    _change_state(ctx, record, reason, by, as_json, "retract")


@app.command()
def restore(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(metavar="ID", help="Record id, or its external id.")],
    reason: ReasonOpt = None, by: ByOpt = None, as_json: JsonFlag = False,
):
    """Bring a retracted record back into every total, as it stood before the retraction.

    Written as a new revision; the retraction stays in the record's history ('protestlog show
    ID'). At a terminal a missing --reason is asked for.

    \b
    Example:
      protestlog restore 4 --reason "not a duplicate: a second incident"
    """
    _change_state(ctx, record, reason, by, as_json, "restore")


def _change_state(ctx, record: str, reason: str | None, by: str | None, as_json: bool, action: str):
    """Retract or restore: both need an existing record and a reason (asked for at a terminal)."""
    from protestlog import corrections
    from protestlog.cli import prompts

    env = settings(ctx).env
    with open_ledger(ctx) as ledger:
        if reason is None or not reason.strip():
            corrections.find_record(ledger, record)  # an unknown id fails before the prompt
        verb = {"retract": "retracting", "restore": "restoring"}[action]
        reason = prompts.reason(reason, env, what=f"{verb} record {record}")
        entry = getattr(corrections, action)(ledger, record, reason=reason, by=by)
    print_entry(env, entry, as_json)


@app.command()
def show(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(metavar="ID", help="Record id, or its external id.")],
    as_of: AsOfOpt = None, fmt: FormatOpt = Format.table, as_json: JsonShort = False, raw: RawOpt = False,
):
    """A record with its full history: every revision, who made it, when, why, and what changed.

    --format json gives the record and its history; ndjson, csv, tsv and markdown give the history rows.

    \b
    Examples:
      protestlog show 7
      protestlog show pe-2022-12-15-ayacucho --as-of 2023-01-10 --json
    """
    from protestlog.corrections import changes_between, find_record
    from protestlog.ledger import public_record

    env = settings(ctx).env
    with open_ledger(ctx) as ledger:
        record_id = find_record(ledger, record)
        history = ledger.history(record_id, ledger.cut(parse_as_of(as_of)))
        victims = linked_victims(ledger, record_id, as_of)
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
             "history": revisions, "victims": victims}
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
    fields = [{"field": k, "value": source_lines(v) if k == "sources" else v}
              for k, v in shown["record"].items() if v not in (None, [], "")]
    write_rows(env, fields, ["field", "value"], "table")
    rows = [{**r, "changes": "; ".join(describe_change(k, a, b) for k, (a, b) in r["changes"].items()) or "-"}
            for r in revisions]
    write_rows(env, rows, ["revision", "action", "recorded_at", "recorded_by", "reason", "changes"], "table",
               title="History")
    if victims:
        write_rows(env, victims, ["id", "name", "age", "date_of_death", "confidence"], "table",
                   title=f"Victims linked ({len(victims)})")


def linked_victims(ledger, record_id: int, as_of) -> list[dict]:
    """The incident's current victim records, in short form."""
    from protestlog.victim_io import victim_row
    from protestlog.victim_store import current_victims

    return [{k: row[k] for k in ("id", "name", "description", "age", "sex", "date_injured", "date_of_death",
                                 "role", "responsible", "confidence")}
            for row in map(victim_row, current_victims(ledger, as_of=parse_as_of(as_of), incident_id=record_id))]


def source_lines(sources: list[dict]) -> str:
    """Each cited source on its own line: name, link, when it was read."""
    return "\n".join(f"{s['name']}" + (f" <{s['url']}>" if s.get("url") and s["url"] != s["name"] else "")
                     + (f" (read {s['accessed']})" if s.get("accessed") else "") for s in sources)


def describe_change(field: str, old, new) -> str:
    if field == "sources":
        added = [src["name"] for src in new or [] if src not in (old or [])]
        removed = [src["name"] for src in old or [] if src not in (new or [])]
        return "sources: " + ", ".join([f"+{n}" for n in added] + [f"-{n}" for n in removed])
    return f"{field}: {shown(old)} → {shown(new)}"


def shown(value) -> str:
    """A field's value for people: never Python's None."""
    return "(blank)" if value is None or value == "" else str(value)


source_app = typer.Typer(cls=LedgerGroup, no_args_is_help=True, rich_markup_mode=None,
                         help="Add a source to a record later (a new revision).\n\n\b\nExample:\n"
                              "  protestlog source add 7 --name HRW --url https://www.hrw.org/report/…")
app.add_typer(source_app, name="source")


@app.command()
def sources(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(metavar="ID", help="Record id, or its external id.")],
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False, raw: RawOpt = False,
):
    """List the sources a record cites (name, URL, date accessed).

    \b
    Example:
      protestlog sources 7
    """
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
    """Cite one more source for a record (written as a new revision).

    \b
    Example:
      protestlog source add 7 --name HRW --url https://www.hrw.org/report/…
    """
    from protestlog.corrections import add_source

    with open_ledger(ctx) as ledger:
        entry = add_source(ledger, record, name=name, url=url, accessed=accessed, reason=reason,
                           today=ledger.today(), by=by)
    print_entry(settings(ctx).env, entry, as_json)
