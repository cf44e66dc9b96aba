"""The `victim` command group: add, list, show, amend, retract, restore, import, export."""

from typing import Annotated, List, Optional

import typer

from protestlog.errors import FieldError, LedgerError
from protestlog.output import Env, write_json, write_rows

from protestlog.cli.app import (
    Format, FormatOpt, JsonShort, LedgerGroup, app, chosen_format, day_option, open_ledger, parse_as_of, settings,
)
from protestlog.cli.options import (
    AsOfOpt, ByOpt, CountsJsonFlag, DryRunOpt, ExportFormatOpt, FileFormat, ImportFileArg, ImportFormatOpt, JsonFlag,
    NoteOpt, RawOpt, ReasonOpt, Text,
)

victim_app = typer.Typer(cls=LedgerGroup, no_args_is_help=True, rich_markup_mode=None,
                         help="People, not just counts: victim records linked to incidents, append-only "
                              "like them.\n\n\b\nExamples:\n  protestlog victim add --name 'Rosa Quispe' "
                              "--age 20 --incident 3\n  protestlog victim list --responsible police")
app.add_typer(victim_app, name="victim")

NameOpt = Annotated[Text, typer.Option("--name", help="Name as published; leave out for an unidentified person.")]
OtherNameOpt = Annotated[Optional[List[str]], typer.Option("--other-name", help="Another published spelling "
                                                                               "(repeat for several).")]
DescriptionOpt = Annotated[Text, typer.Option("--description", help="Who the person is, when unidentified.")]
AgeOpt = Annotated[Text, typer.Option("--age", help="Whole years (17) or a range (20-25).")]
SexOpt = Annotated[Text, typer.Option("--sex", help="male, female, unknown (default).")]
MinorOpt = Annotated[Optional[bool], typer.Option("--minor/--adult", help="When only that is known.")]
InjuredOpt = Annotated[Text, typer.Option("--date-injured", help="Day the person was injured.")]
DeathOpt = Annotated[Text, typer.Option("--date-of-death", help="Day the person died (may be days after injury).")]
RegionOpt = Annotated[Text, typer.Option("--region", help="Region of Peru (default: the incident's).")]
PlaceOpt = Annotated[Text, typer.Option("--place", help="Where the person was injured or died.")]
CauseOpt = Annotated[Text, typer.Option("--cause", help="firearm, pellets, tear gas, blunt force, burns, vehicle, "
                                                        "other, unknown.")]
RoleOpt = Annotated[Text, typer.Option("--role", help="protester, bystander, police, soldier, other, unknown.")]
DirectOpt = Annotated[Text, typer.Option("--direct", help="direct, or indirect (e.g. a blockade-related death), "
                                                          "unknown.")]
ResponsibleOpt = Annotated[Text, typer.Option("--responsible", help="Alleged responsible force: police, army, navy, "
                                                                    "'other state', civilians, unknown.")]
UnitOpt = Annotated[Text, typer.Option("--unit", help="Free text: the unit alleged responsible.")]
ConfidenceOpt = Annotated[Text, typer.Option("--confidence", help="confirmed, probable, unverified, contested.")]
SourceOpt = Annotated[Optional[List[str]], typer.Option("--source", help="Who reported it (repeat for several).")]
UrlOpt = Annotated[Optional[List[str]], typer.Option("--url", help="Link for the --source in the same position.")]
IncidentOpt = Annotated[Text, typer.Option("--incident", help="The incident: record id or external id.")]
ExternalIdOpt = Annotated[Text, typer.Option("--external-id", help="The victim's id in another list.")]
VictimArg = Annotated[str, typer.Argument(metavar="VICTIM", help="Victim id, or its external id.")]


def victim_fields(name, other_names, description, age, sex, minor, date_injured, date_of_death, region, place,
                  cause, role, direct, responsible, unit, confidence, note, incident, external_id) -> dict:
    return {"name": name, "other_names": other_names, "description": description, "age": age, "sex": sex,
            "minor": minor, "date_injured": date_injured, "date_of_death": date_of_death, "region": region,
            "place": place, "cause": cause, "role": role, "direct": direct, "responsible": responsible,
            "unit": unit, "confidence": confidence, "note": note, "incident": incident, "external_id": external_id}


def paired_sources(names: list[str] | None, urls: list[str] | None) -> list[dict]:
    names, urls = list(names or []), list(urls or [])
    if len(urls) > len(names) and names:
        raise FieldError("url", urls[len(names)], "each --url goes with the --source given in the same position")
    return [{"name": n or None, "url": urls[i] if i < len(urls) else None} for i, n in enumerate(names)] or \
        [{"name": None, "url": u} for u in urls]


@victim_app.command("add")
def victim_add(
    ctx: typer.Context, name: NameOpt = None, other_name: OtherNameOpt = None, description: DescriptionOpt = None,
    age: AgeOpt = None, sex: SexOpt = None, minor: MinorOpt = None, date_injured: InjuredOpt = None,
    date_of_death: DeathOpt = None, region: RegionOpt = None, place: PlaceOpt = None, cause: CauseOpt = None,
    role: RoleOpt = None, direct: DirectOpt = None, responsible: ResponsibleOpt = None, unit: UnitOpt = None,
    confidence: ConfidenceOpt = None, source: SourceOpt = None, url: UrlOpt = None, note: NoteOpt = None,
    incident: IncidentOpt = None, external_id: ExternalIdOpt = None, by: ByOpt = None, as_json: JsonFlag = False,
):
    """Record one person: who they were, what happened to them, who is alleged responsible, and sources.

    Prints the new victim's id. A victim may stand alone until linked to an incident with
    'victim amend ID --incident ID'.

    \b
    Example:
      protestlog victim add --name "Brayan Apaza Jumpiri" --age 15 --sex male
        --date-injured 2023-01-09 --date-of-death 2023-01-12 --cause firearm
        --responsible police --incident pe-2023-01-09-juliaca
    """
    from protestlog.victim_store import add_victim

    raw = victim_fields(name, other_name, description, age, sex, minor, date_injured, date_of_death, region, place,
                        cause, role, direct, responsible, unit, confidence, note, incident, external_id)
    raw["sources"] = paired_sources(source, url)
    with open_ledger(ctx, create=True, aside=True) as ledger:  # a refused victim leaves no new ledger
        entry = add_victim(ledger, raw, today=ledger.today(), by=by)
    print_victim(settings(ctx).env, entry, as_json)


def print_victim(env: Env, entry: dict, as_json: bool):
    from protestlog.victim_io import victim_row

    if as_json:
        write_json(env, victim_row(entry) | {"revision": entry["revision"], "action": entry["action"],
                                             "reason": entry["reason"]})
    else:
        print(entry["victim_id"], file=env.stdout)


@victim_app.command("amend")
def victim_amend(
    ctx: typer.Context, victim: VictimArg, reason: ReasonOpt = None, name: NameOpt = None,
    other_name: OtherNameOpt = None, description: DescriptionOpt = None, age: AgeOpt = None, sex: SexOpt = None,
    minor: MinorOpt = None, date_injured: InjuredOpt = None, date_of_death: DeathOpt = None,
    region: RegionOpt = None, place: PlaceOpt = None, cause: CauseOpt = None, role: RoleOpt = None,
    direct: DirectOpt = None, responsible: ResponsibleOpt = None, unit: UnitOpt = None,
    confidence: ConfidenceOpt = None, source: SourceOpt = None, url: UrlOpt = None, note: NoteOpt = None,
    incident: IncidentOpt = None, external_id: ExternalIdOpt = None, by: ByOpt = None, as_json: JsonFlag = False,
):
    """Correct a victim record with a new revision (the old one stays in 'victim show').

    Give only what changes; '' clears an optional field. --other-name replaces the list of
    other spellings; --source adds sources. --incident links the victim (or '' unlinks).

    \b
    Example:
      protestlog victim amend 12 --age 16 --reason "birth certificate"
    """
    from protestlog.victim_store import amend_victim, latest_victim, find_victim

    changes = victim_fields(name, other_name, description, age, sex, minor, date_injured, date_of_death, region,
                            place, cause, role, direct, responsible, unit, confidence, note, incident, external_id)
    if other_name == [""]:
        changes["other_names"] = ""
    elif not other_name:
        changes["other_names"] = None
    with open_ledger(ctx) as ledger:
        if source or url:
            current = latest_victim(ledger, find_victim(ledger, victim))
            changes["sources"] = current["sources"] + paired_sources(source, url)
        entry = amend_victim(ledger, victim, changes, reason=reason, today=ledger.today(), by=by)
    print_victim(settings(ctx).env, entry, as_json)


@victim_app.command("retract")
def victim_retract(ctx: typer.Context, victim: VictimArg, reason: ReasonOpt = None, by: ByOpt = None,
                   as_json: JsonFlag = False):
    """Withdraw a victim record (the same person recorded twice, a person who does not exist).

    It leaves every count from then on and stays in 'victim show' and in '--as-of' an earlier time.

    \b
    Example:
      protestlog victim retract 7 --reason "same person as victim 6"
    """
    from protestlog.victim_store import retract_victim

    with open_ledger(ctx) as ledger:
        entry = retract_victim(ledger, victim, reason=reason, by=by)
    print_victim(settings(ctx).env, entry, as_json)


@victim_app.command("restore")
def victim_restore(ctx: typer.Context, victim: VictimArg, reason: ReasonOpt = None, by: ByOpt = None,
                   as_json: JsonFlag = False):
    """Undo a retraction made in error, with a new entry (both stay in the history).

    \b
    Example:
      protestlog victim restore 7 --reason "retracted in error"
    """
    from protestlog.victim_store import restore_victim

    with open_ledger(ctx) as ledger:
        entry = restore_victim(ledger, victim, reason=reason, by=by)
    print_victim(settings(ctx).env, entry, as_json)


# For people at 80 columns: the rest is in 'victim show' and in the machine formats.
LIST_COLUMNS = ["id", "name", "age", "died", "region", "incident", "responsible"]


@victim_app.command("list")
def victim_list(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, help="First date of death (else of injury) shown, included."),
    until: Optional[str] = typer.Option(None, help="Last date of death (else of injury) shown, included."),
    region: Optional[str] = typer.Option(None, help="Only victims of this region."), incident: IncidentOpt = None,
    role: Optional[str] = typer.Option(None, help="Only this role (protester, bystander, ...)."),
    responsible: Optional[str] = typer.Option(None, help="Only this alleged responsible force."),
    unnamed: bool = typer.Option(False, "--unnamed", help="Only unidentified people."),
    minors: bool = typer.Option(False, "--minors", help="Only minors (by age, or marked minor)."),
    unlinked: bool = typer.Option(False, "--unlinked", help="Only victims not linked to an incident."),
    as_of: AsOfOpt = None, fmt: FormatOpt = Format.table, as_json: JsonShort = False, raw: RawOpt = False,
):
    """Current victim records (retracted ones left out) by date of death, else of injury.

    --since and --until are both included.

    \b
    Examples:
      protestlog victim list --since 2023-01-01 --region puno
      protestlog victim list --incident pe-2023-01-09-juliaca --json
    """
    from protestlog.victim_reports import VictimFilters, filtered_victims
    from protestlog.victim_io import EXPORT_COLUMNS, victim_row

    fmt_name = chosen_format(fmt, as_json)
    with open_ledger(ctx) as ledger:
        today = ledger.today()
        filters = VictimFilters.parse(since=day_option(since, "since", today), until=day_option(until, "until", today),
                                      region=region, role=role, responsible=responsible, unnamed=unnamed,
                                      minors=minors, unlinked=unlinked)
        if incident is not None:
            from protestlog.victim_store import resolve_incident

            filters.incident = resolve_incident(ledger, incident)
        rows = [victim_row(v) for v in filtered_victims(ledger, filters, as_of=parse_as_of(as_of))]
    if fmt_name in ("table", "markdown"):
        shown = [r | {"name": (r["name"] or f"({r['description']})")
                      + (" (contested)" if r["confidence"] == "contested" else ""),
                      "died": r["date_of_death"] or (f"injured {r['date_injured']}" if r["date_injured"] else "")}
                 for r in rows]
        write_rows(settings(ctx).env, shown, LIST_COLUMNS, fmt_name, title=f"Victims ({len(rows)})",
                   numeric={"id", "incident"})
    else:
        write_rows(settings(ctx).env, rows, EXPORT_COLUMNS, fmt_name)


@victim_app.command("show")
def victim_show(ctx: typer.Context, victim: VictimArg, as_of: AsOfOpt = None, fmt: FormatOpt = Format.table,
                as_json: JsonShort = False, raw: RawOpt = False):
    """A victim record with its full history: every revision, who made it, when, why, what changed.

    \b
    Example:
      protestlog victim show 12 --json
    """
    from protestlog.victim_io import victim_row
    from protestlog.victim_store import find_victim, victim_changes, victim_hash, victim_history

    env = settings(ctx).env
    with open_ledger(ctx) as ledger:
        victim_id = find_victim(ledger, victim)
        history = victim_history(ledger, victim_id, as_of=parse_as_of(as_of))
        if not history:
            raise LedgerError(f"victim {victim_id} did not exist yet as of {as_of}")
        revisions, previous = [], None
        for entry in history:
            revisions.append({"revision": entry["revision"], "action": entry["action"],
                              "recorded_at": entry["recorded_at"], "recorded_by": entry["recorded_by"],
                              "reason": entry["reason"], "changes": victim_changes(previous, entry),
                              "hash": victim_hash(ledger, entry["seq"])})
            previous = entry
        current = history[-1]
        incident = None
        if current["incident_id"]:
            row = ledger.db.execute("SELECT external_id FROM entries WHERE record_id = ? ORDER BY seq DESC LIMIT 1",
                                    (current["incident_id"],)).fetchone()
            incident = row[0] if row else None
    record = victim_row(current | {"incident_external_id": incident})
    shown = {"victim": record, "status": "retracted" if current["action"] == "retract" else "current",
             "history": revisions}
    fmt_name = chosen_format(fmt, as_json)
    if fmt_name == "json":
        write_json(env, shown)
        return
    columns = ["revision", "action", "recorded_at", "recorded_by", "reason", "changes", "hash"]
    if fmt_name != "table":
        write_rows(env, revisions, columns, fmt_name, title=f"History of victim {victim_id}")
        return
    env.console().print(f"Victim {victim_id} ({shown['status']}, revision {current['revision']})"
                        + (f" as of {as_of}" if as_of else ""))
    fields = [{"field": k, "value": v} for k, v in record.items() if v not in (None, [], "")]
    write_rows(env, fields, ["field", "value"], "table")
    rows = [{**r, "changes": "; ".join(f"{k}: {a} → {b}" for k, (a, b) in r["changes"].items()) or "-"}
            for r in revisions]
    write_rows(env, rows, columns[:-1], "table", title="History")


@victim_app.command("import")
def victim_import(
    ctx: typer.Context,
    file: ImportFileArg, fmt: ImportFormatOpt = None, dry_run: DryRunOpt = False, by: ByOpt = None,
    as_json: CountsJsonFlag = False,
):
    """Import a victim list: idempotent by external id, and all rows or none.

    Columns: external_id, incident_external_id, name, other_names (';'), age, sex, minor,
    date_injured, date_of_death, region, place, cause, role, direct, responsible, unit,
    confidence, source, url, accessed, note. Import the incidents first.

    \b
    Example:
      protestlog victim import data/peru_victims.csv --dry-run
    """
    run_victim_import(ctx, file, fmt.value if fmt else None, dry_run, by, as_json)


def run_victim_import(ctx, file: str, fmt: str | None, dry_run: bool, by, as_json: bool):
    """Shared with 'protestlog import', which hands a victim list over to this."""
    from protestlog.errors import UsageProblem
    from protestlog.importer import ImportRejected
    from protestlog.victim_io import import_victims

    if file == "-" and fmt is None:
        raise UsageProblem("--format is required when reading standard input")
    env = settings(ctx).env
    with open_ledger(ctx, create=True, aside=True) as ledger:  # a rejected import leaves no new ledger
        try:
            result = import_victims(ledger, file, fmt=fmt, today=ledger.today(), by=by, dry_run=dry_run)
        except ImportRejected as exc:
            if as_json:
                write_json(env, exc.result)
            for message in exc.result["errors"][1:]:
                env.say(f"protestlog: error: {message}")
            raise
    for d in result["differs"]:
        env.say(f"protestlog: warning: line {d['line']}: external id {d['external_id']!r} is already victim "
                f"{d['victim']} with different content; not imported (use 'protestlog victim amend {d['victim']}')")
    if as_json:
        write_json(env, result)
    else:
        span = f" (ids {result['ids'][0]}–{result['ids'][1]})" if result["ids"] else ""
        env.say(f"{file}: victims {'would add' if dry_run else 'added'} {result['added']}, already present "
                f"{result['already_present']}, rejected {result['rejected']}{span}")


@victim_app.command("export")
def victim_export(
    ctx: typer.Context,
    fmt: ExportFormatOpt = FileFormat.csv,
    as_json: JsonShort = False, as_of: AsOfOpt = None,
    redact: bool = typer.Option(False, "--redact", help="Names become victim ids; descriptions, other spellings, "
                                                        "notes and recorders are left out: for publication."),
    raw: RawOpt = False,
):
    """Export current victims in the columns 'victim import' reads back.

    \b
    Examples:
      protestlog victim export --format csv > victims.csv
      protestlog victim export --redact --format json
    """
    from protestlog.victim_io import export_columns, export_victims

    fmt_name = "json" if as_json else fmt.value
    with open_ledger(ctx) as ledger:
        rows = export_victims(ledger, as_of=parse_as_of(as_of), redact=redact)
        write_rows(settings(ctx).env, rows, export_columns(redact), fmt_name)
