"""Milestones: dates that mark a change, compared before and after."""

import typer

from protestlog import dates
from protestlog.errors import FieldError
from protestlog.output import write_json, write_rows

from protestlog.cli.app import (
    Format, FormatOpt, JsonShort, chosen_format, ledger_today, milestone_app, open_ledger, parse_as_of, settings,
)
from protestlog.cli.options import AsOfOpt, ByOpt, JsonFlag, RawOpt

# ---- milestones ----------------------------------------------------------------


@milestone_app.command("add")
def milestone_add(
    ctx: typer.Context,
    date: str = typer.Argument(..., metavar="DATE", help="The day (2023-01-10, 10/01/2023, '10 ene 2023')."),
    label: str = typer.Argument(..., metavar="LABEL", help="What happened, one line."),
    by: ByOpt = None,
    as_json: JsonFlag = False,
):
    """Add a milestone: a date and what happened. The same date and label twice add it once.

    \b
    Example:
      protestlog milestone add 2023-01-10 "Curfew in Puno"
    """
    from protestlog.records import parse_text

    day = dates.parse_day(date, "date", today=ledger_today(ctx), allow_future=True).isoformat()
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
    as_json: JsonShort = False, raw: RawOpt = False,
):
    """List milestones in date order.

    \b
    Example:
      protestlog milestone list --json
    """
    with open_ledger(ctx) as ledger:
        rows = ledger.milestones(parse_as_of(as_of))
    write_rows(settings(ctx).env, rows, ["id", "date", "label", "recorded_at", "recorded_by"],
               chosen_format(fmt, as_json), title="Milestones")
