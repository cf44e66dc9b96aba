"""Data in and out: import, import batches, export."""

from enum import Enum
from typing import Optional

import typer

from protestlog.errors import LedgerError, UsageProblem
from protestlog.output import Env, plural, write_json, write_rows

from protestlog.cli.app import (
    Format, FormatOpt, JsonShort, LedgerGroup, app, chosen_format, ledger_today, make_filters, open_ledger,
    parse_as_of, settings,
)
from protestlog.cli.reading import LIST_COLUMNS
from protestlog.cli.options import (
    AsOfOpt, ByOpt, CountsJsonFlag, DryRunOpt, ExportFormatOpt, FileFormat, ImportFileArg, ImportFormatOpt, RawOpt,
    ReasonOpt,
)

# ---- import, batches, export -------------------------------------------------------


class Interop(str, Enum):
    acled = "acled"
    ucdp = "ucdp"


@app.command("import")
def import_(
    ctx: typer.Context,
    file: ImportFileArg,
    fmt: ImportFormatOpt = None,
    dry_run: DryRunOpt = False,
    by: ByOpt = None,
    as_json: CountsJsonFlag = False,
    source_format: Optional[Interop] = typer.Option(None, "--from", help="Read an ACLED export or a UCDP GED "
                                                                          "file (CSV/TSV) in its own columns."),
    country: Optional[str] = typer.Option(None, "--country", help="With --from: keep only this country's rows "
                                                                  "(others are counted as skipped)."),
):
    """Import incident records from a file: idempotent, and all rows or none.

    Columns are named like the 'add' options (date, region, killed, group, source, url, ...).
    A row whose external_id, or else whose content, is already in the ledger is counted as
    already present and not added again. Any invalid row rejects the whole file: each is
    reported with its line and field, and the ledger is unchanged. Every import is recorded
    as a batch ('protestlog imports'). Dates are read day first; Spanish terms are accepted.
    A victim list (name, date_of_death, incident_external_id, ...) is recognised by its columns
    and imported as 'protestlog victim import' would.

    \b
    Examples:
      protestlog import data/peru_2022_2023.csv
      protestlog import reports.csv --dry-run
      protestlog import - --format ndjson < feed.ndjson
      protestlog import --from acled acled-export.csv --country Peru
    """
    from protestlog.duplicates import capped_note, scan
    from protestlog.importer import ImportRejected, import_file

    if file == "-" and fmt is None and source_format is None:
        raise UsageProblem("--format is required when reading standard input")
    if country is not None and source_format is None:
        raise UsageProblem("--country goes with --from acled|ucdp")
    reader, fmt_name = None, fmt.value if fmt else None
    if source_format is not None:
        from protestlog import interop

        reader = interop.reader(source_format.value, today=ledger_today(ctx), country=country,
                                delimiter=interop.delimiter_for(file, fmt_name))
        fmt_name = source_format.value
    if file != "-" and source_format is None:  # a victim list (external_id, name, ...): 'victim import'
        from protestlog.importer import detect_format
        from protestlog.victim_io import looks_like_victims

        victim_fmt = detect_format(file, fmt_name)
        if looks_like_victims(file, victim_fmt):
            from protestlog.cli.victims import run_victim_import

            return run_victim_import(ctx, file, victim_fmt, dry_run, by, as_json)
    env = settings(ctx).env
    with open_ledger(ctx, create=True, aside=True) as ledger, import_progress(env) as progress:
        before = ledger.last_entry()
        try:
            result = import_file(ledger, file, fmt=fmt_name, today=ledger.today(), by=by,
                                 dry_run=dry_run, progress=progress, reader=reader)
        except ImportRejected as exc:
            if as_json:
                write_json(env, exc.result)
            errors = exc.result["errors"]
            if len(errors) == 1:
                raise
            for message in errors[:-1]:  # in line order; the last one ends the run with the count
                env.say(f"protestlog: error: {message}")
            unshown = exc.problems - len(errors)  # a row can have several problems
            raise LedgerError(f"{errors[-1]} ({plural(exc.result['rejected'], 'row')} rejected"
                              + (f", {plural(unshown, 'more problem')} not shown" if unshown else "")
                              + "; nothing was imported)") from None
        # Pair-wise comparison grows with the square of a region-day's records: for a bulk load,
        # leave it to 'protestlog duplicates' rather than make the import wait.
        found = {"pairs": [], "capped": []} if dry_run or not 0 < result["added"] <= LOOKALIKE_LIMIT else scan(
            ledger, newer_than_seq=before["seq"] if before else 0)
    lookalikes = result["likely_duplicates"] = found["pairs"]
    if found["capped"]:
        env.say(f"protestlog: note: {capped_note(found['capped'])}")
    if result["added"] > LOOKALIKE_LIMIT and not dry_run:
        env.say(f"protestlog: note: {result['added']} rows added; run 'protestlog duplicates' to look for "
                f"records that report the same deaths")
    for d in result["retracted"]:
        env.say(f"protestlog: warning: line {d['line']}: this row is record {d['record']}, which was retracted; "
                f"not imported again (to bring it back: 'protestlog restore {d['record']}')")
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
        skipped = f", skipped {result['skipped']} of other countries" if result.get("skipped") else ""
        env.say(f"{file}: {verb} {result['added']}, already present {result['already_present']}, "
                f"rejected {result['rejected']}{skipped}{batch}")


LOOKALIKE_LIMIT = 2000


class import_progress:
    """A progress bar on stderr at a terminal for long imports; nothing at all on a pipe."""

    def __init__(self, env: Env):
        self.env, self.bar = env, None

    def __enter__(self):
        if not self.env.stderr_tty or self.env.plain:  # a spinner moves the cursor: escape sequences
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
                          help="Import batches: what each import added, and retracting a whole batch.\n\n\b\n"
                               "Examples:\n  protestlog imports\n  protestlog imports show 1\n"
                               "  protestlog imports retract 2 --reason \"the feed sent test rows\"")
app.add_typer(imports_app, name="imports")

BATCH_COLUMNS = ["id", "file", "format", "rows", "added", "already_present", "recorded_at", "recorded_by", "sha256"]


@imports_app.callback()
def imports_list(ctx: typer.Context, fmt: FormatOpt = Format.table, as_json: JsonShort = False,
                 raw: RawOpt = False):
    """List import batches (file, content hash, when, who, how many rows added)."""
    if ctx.invoked_subcommand is not None:
        return
    with open_ledger(ctx) as ledger:
        rows = [dict(r) for r in ledger.db.execute("SELECT * FROM imports ORDER BY id")]
    write_rows(settings(ctx).env, rows, BATCH_COLUMNS, chosen_format(fmt, as_json), title="Import batches",
               numeric={"id", "rows", "added", "already_present"})


@imports_app.command("show")
def imports_show(ctx: typer.Context, batch: int = typer.Argument(..., metavar="BATCH", help="Batch number "
                                                                                           "('protestlog imports')."),
                 fmt: FormatOpt = Format.table, as_json: JsonShort = False, raw: RawOpt = False):
    """The records a batch added, as they stand now.

    \b
    Example:
      protestlog imports show 1
    """
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
def imports_retract(ctx: typer.Context,
                    batch: int = typer.Argument(..., metavar="BATCH", help="Batch number ('protestlog imports')."),
                    reason: ReasonOpt = None, by: ByOpt = None, as_json: JsonShort = False):
    """Retract every record a batch added, in one transaction (new entries; nothing is deleted).

    At a terminal a missing --reason is asked for.

    \b
    Example:
      protestlog imports retract 2 --reason "the feed sent test rows"
    """
    from protestlog.cli import prompts
    from protestlog.corrections import retract_batch

    env = settings(ctx).env
    with open_ledger(ctx) as ledger:
        if reason is None or not reason.strip():
            if not ledger.db.execute("SELECT 1 FROM imports WHERE id = ?", (batch,)).fetchone():
                raise LedgerError(f"no import batch {batch}")
        reason = prompts.reason(reason, env, what=f"retracting batch {batch}")
        ids = retract_batch(ledger, batch, reason=reason, by=by)
    if as_json:
        write_json(env, {"batch": batch, "retracted": ids})
    else:
        env.say(f"retracted {plural(len(ids), 'record')} of batch {batch}")


@app.command("apply-corrections")
def apply_corrections_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE", help="CSV of corrections (external_id, action, announced, "
                                                         "changes, reason, source, url, accessed, sources, record)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every correction; write nothing."),
    by: ByOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON on stdout."),
):
    """Apply a file of corrections (amend or retract, each with its date, reason and source).

    Each becomes a new entry, so 'show' keeps what was first reported. All or nothing, and
    safe to re-run: a correction the record already reflects counts as already applied.

    \b
    Example:
      protestlog apply-corrections data/peru_corrections.csv --dry-run
    """
    from protestlog import dates
    from protestlog.correction_files import CorrectionsRejected, apply_corrections, read_corrections

    env = settings(ctx).env
    today = ledger_today(ctx)  # the ledger's own zone (issue 12)
    try:
        corrections = read_corrections(file, today=today)
        with open_ledger(ctx) as ledger:
            result = apply_corrections(ledger, corrections, today=today, by=by, dry_run=dry_run)
    except CorrectionsRejected as exc:
        if len(exc.errors) > 1:
            for message in exc.errors:
                env.say(f"protestlog: error: {message}")
        raise
    result["file"] = file
    if as_json:
        write_json(env, result)
    else:
        verb = "would apply" if dry_run else "applied"
        env.say(f"{file}: {verb} {result['applied']}, already applied {result['already_applied']}")


@app.command()
def export(
    ctx: typer.Context,
    fmt: ExportFormatOpt = FileFormat.csv,
    as_json: JsonShort = False,
    since: Optional[str] = typer.Option(None, help="First incident date (included)."),
    until: Optional[str] = typer.Option(None, help="Last incident date (included)."),
    as_of: AsOfOpt = None,
    include_history: bool = typer.Option(False, "--include-history", help="Every revision, in ledger order."),
    redact: bool = typer.Option(False, "--redact", help="Leave out notes (which may name victims), reasons "
                                                        "and who recorded: for publication."),
    raw: RawOpt = False,
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="Write to FILE (atomically: a killed run leaves the old file) "
                                              "instead of standard output. Private (0600) unless --redact."),
    to: Optional[Interop] = typer.Option(None, "--to", help="Write ACLED's or UCDP GED's own columns "
                                                            "(current records; see the README for what is lost)."),
):
    """Export current records (retracted ones left out) in a form 'protestlog import' reads back.

    Export then import into an empty ledger gives the same totals. CSV/TSV cells starting with
    = + - @ tab or carriage return get a leading ' so a spreadsheet shows them as text.

    \b
    Examples:
      protestlog export --format csv > ledger.csv
      protestlog export --redact --format json > public.json
      protestlog export --to acled > peru-acled.csv
    """
    from protestlog.export import export_columns, export_rows

    fmt_name = "json" if as_json else fmt.value
    if output and to is not None:
        raise UsageProblem("--output goes with the ledger's own export, not with --to (redirect standard output)")
    if to is not None:
        if include_history:
            raise UsageProblem("--include-history cannot go with --to: ACLED and UCDP files hold current events")
        from protestlog import interop

        with open_ledger(ctx) as ledger:
            filters = make_filters(since, until, None, None, None, today=ledger.today())
            rows = interop.export_rows(to.value, ledger, filters, as_of=parse_as_of(as_of), redact=redact)
            write_rows(settings(ctx).env, rows, interop.columns(to.value), fmt_name)
        return
    from contextlib import nullcontext

    from protestlog.output import atomic_output

    env = settings(ctx).env
    target = atomic_output(output, private=not redact) if output else nullcontext(None)
    with open_ledger(ctx) as ledger:
        filters = make_filters(since, until, None, None, None, today=ledger.today())
        rows = export_rows(ledger, filters, as_of=parse_as_of(as_of), include_history=include_history,
                           redact=redact)
        with target as stream:
            write_rows(Env(stdout=stream, raw=raw) if stream else env, rows,
                       export_columns(include_history=include_history, redact=redact), fmt_name)
    if output:
        env.say(f"wrote {output}")
