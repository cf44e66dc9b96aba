"""Reading commands: list (the register), summary, chart, report."""

from enum import Enum
from typing import Annotated, Optional

import typer

from protestlog.output import (
    check_output_path, plural, streaming, write_file, write_json, write_rows, write_tuples,
)

from protestlog.cli.app import (
    Format, FormatOpt, JsonShort, Period, app, bounds_text, chosen_format, make_filters, open_ledger,
    parse_as_of, resolve_range, settings, summarize,
)
from protestlog.cli.options import (
    AsOfOpt, CircumstanceFilterOpt, GroupFilterOpt, MinConfidenceOpt, RawOpt, RegionFilterOpt,
)

# ---- list --------------------------------------------------------------------

LIST_COLUMNS = ["id", "date", "region", "place", "group", "circumstance", "killed", "injured", "victims",
                "sources_count", "running_killed", "running_injured"]
LIST_DROP = ["sources_count", "victims", "running_injured", "circumstance", "group", "injured", "place"]  # narrow terminals


@app.command("list")
def list_records(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, help="First incident date shown (included)."),
    until: Optional[str] = typer.Option(None, help="Last incident date shown (included)."),
    region: RegionFilterOpt = None,
    group: GroupFilterOpt = None,
    circumstance: CircumstanceFilterOpt = None,
    min_confidence: MinConfidenceOpt = None,
    unsourced: Annotated[bool, typer.Option("--unsourced", help="Only records that cite no source.")] = False,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False, raw: RawOpt = False,
):
    """The register: current records in date order with running totals of killed and injured.

    --since and --until are both included. Running totals start at the first row shown, so with --since
    they count from that date, not from the start of the ledger.

    \b
    Examples:
      protestlog list --since 2022-12-15 --region Puno
      protestlog list --group policía --format csv > police.csv
    """
    from protestlog.reports import register

    fmt_name = chosen_format(fmt, as_json)
    env = settings(ctx).env
    as_of = parse_as_of(as_of)
    with open_ledger(ctx) as ledger:
        filters = make_filters(since, until, region, group, circumstance, min_confidence, today=ledger.today())
        filters.unsourced = unsourced
        rows = register(ledger, filters, as_of=as_of)
        if fmt_name in ("table", "markdown"):
            title = (f"Register {bounds_text(filters)}; running totals from the first row shown"
                     + (f"; as of {as_of}" if as_of else ""))
            write_rows(env, rows, LIST_COLUMNS, fmt_name, title=title,
                       numeric={"id", "killed", "injured", "victims", "sources_count", "running_killed",
                                "running_injured"}, drop=LIST_DROP)
        else:
            from protestlog.reports import RECORD_COLUMNS, register_tuples

            columns = list(RECORD_COLUMNS) + ["revision", "recorded_at", "recorded_by", "sources_count",
                                              "running_killed", "running_injured", "victims"]
            if fmt_name in ("csv", "tsv"):  # sources as stored (canonical JSON): no object per record
                write_tuples(env, register_tuples(ledger, filters, columns, as_of=as_of), columns, fmt_name)
            else:
                write_rows(env, rows, columns, fmt_name)



# ---- summary -----------------------------------------------------------------


class CountBy(str, Enum):
    incident = "incident"
    death = "death"


@app.command()
def summary(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, help="First day counted (included). Default: the earliest record."),
    until: Optional[str] = typer.Option(None, help="Last day counted (included). Default: today."),
    by: Optional[Period] = typer.Option(None, "--by", help="Series period; weeks start on Monday. Default: "
                                                           "day up to 6 weeks, week up to a year, else month."),
    window: Optional[int] = typer.Option(None, "--window", min=1, metavar="DAYS",
                                         help="Days on each side of a milestone. Default: days from --since "
                                              "to the milestone."),
    region: RegionFilterOpt = None,
    group: GroupFilterOpt = None,
    circumstance: CircumstanceFilterOpt = None,
    min_confidence: MinConfidenceOpt = None,
    by_region: bool = typer.Option(False, "--by-region", help="Only the regions, ranked by deaths, with each "
                                                              "region's share and ISO 3166-2 code."),
    sensitivity: bool = typer.Option(False, "--sensitivity", help="Also the milestone ratio for other windows "
                                                                  "(3, 7, 14 days), span rules and confidence "
                                                                  "levels, one change at a time."),
    count_by: CountBy = typer.Option(CountBy.incident, "--count-by",
                                     help="Count a death on its incident's date, or (death) a linked victim on "
                                          "their own date of death."),
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False, raw: RawOpt = False,
):
    """Totals, splits by group, circumstance and region, a series with running totals,
    and a before/after comparison around every milestone after --since and up to --until.

    --since and --until are both included. The milestone day itself counts in the 'after' window.

    \b
    Examples:
      protestlog summary --since 2022-12-07
      protestlog summary --since 2022-12-07 --until 2023-01-10 --by week --json
      protestlog summary --since 2022-12-07 --by-region
    """
    with open_ledger(ctx) as ledger:
        filters = make_filters(since, until, region, group, circumstance, min_confidence, today=ledger.today())
        result = summarize(ledger, filters, by=by and by.value, window=window, as_of=parse_as_of(as_of),
                           sensitivity=sensitivity and not by_region, count_by=count_by.value)
    from protestlog import views

    if as_of and not result["ledger"]["entries"]:
        settings(ctx).env.say(f"protestlog: note: nothing was recorded yet as of {as_of} (recording time, UTC); "
                              f"every figure below is empty")
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
    by: Optional[Period] = typer.Option(None, "--by", help="One bar per day, week (from Monday) or month. "
                                                           "Default: as summary, from the span."),
    metric: Metric = typer.Option(Metric.killed, "--metric", help="What to count: killed, injured, detained."),
    cumulative: bool = typer.Option(False, "--cumulative", help="Running total from --since instead of "
                                                                "per-period counts."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="Write an image instead: FILE.svg or FILE.png (needs "
                                              "'pip install protestlog[charts]')."),
    region: RegionFilterOpt = None,
    min_confidence: MinConfidenceOpt = None,
    as_of: AsOfOpt = None,
    as_json: bool = typer.Option(False, "--json", help="Print the plotted points, milestones and totals as JSON."),
):
    """A timeline chart with milestones marked: bars in the terminal, or an SVG/PNG file.

    The chart plots exactly the series 'summary' reports for the same options. --since and
    --until are both included; with --by week the first and last bars count only the days
    inside the range.

    \b
    Examples:
      protestlog chart --since 2022-12-07 --until 2023-01-10 --by week
      protestlog chart --since 2022-12-07 --by day --output timeline.svg
    """
    from protestlog import charts

    if output:
        check_output_path(output)
    fmt = charts.image_format(output) if output else None
    as_of = parse_as_of(as_of)
    with open_ledger(ctx) as ledger:
        filters = make_filters(since, until, region, None, None, min_confidence, today=ledger.today())
        result = summarize(ledger, filters, by=by and by.value, as_of=as_of)
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
    until: Optional[str] = typer.Option(None, help="Last incident day reported (included). Default: the last "
                                                   "record's day, so the timeline ends where the data does."),
    by: Period = typer.Option(Period.week, "--by", help="Period of the timeline chart."),
    window: Optional[int] = typer.Option(None, "--window", min=1, metavar="DAYS",
                                         help="Days on each side of a milestone (as in summary)."),
    region: RegionFilterOpt = None,
    min_confidence: MinConfidenceOpt = None,
    title: Optional[str] = typer.Option(None, "--title", help="Page title. Default: 'Casualty report, SINCE to "
                                                              "UNTIL'."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="Write the report here (default: standard output)."),
    fmt: Optional[ReportFormat] = typer.Option(None, "--format", "-f",
                                               help="html (needs 'pip install protestlog[charts]') or markdown. "
                                                    "Default: from the --output extension (.md: markdown), else html."),
    as_of: AsOfOpt = None,
    redact: bool = typer.Option(False, "--redact", help="Leave out notes (which may name victims), reasons and "
                                                        "who recorded, as 'export --redact' does: for publication."),
):
    """A publishable report: headline totals, before/after each milestone, the timeline, regions,
    and every incident with its sources as links.

    The ledger must pass 'verify' first. The footer gives the verified head hash and the as-of
    time (default: when the ledger last changed) with the command that reproduces the report
    byte for byte. HTML is one self-contained file with no scripts and nothing fetched.

    \b
    Examples:
      protestlog report --since 2022-12-07 --until 2023-01-10 --output report.html
      protestlog report --since 2022-12-07 --output report.md
    """
    from protestlog import publication

    if output:
        check_output_path(output)
    if fmt is None:
        fmt = ReportFormat.markdown if output and output.lower().endswith((".md", ".markdown")) else ReportFormat.html
    with open_ledger(ctx, spot_check=False) as ledger:  # the report runs verify itself
        filters = make_filters(since, until, region, None, None, min_confidence, today=ledger.today())
        start, end = resolve_range(ledger, filters, until_last_record=True)
        built = publication.build(ledger, filters, since=start, until=end, by=by.value, window=window,
                                  as_of=parse_as_of(as_of), title=title, redact=redact)
        chunks = publication.to_html(built) if fmt is ReportFormat.html else publication.to_markdown(built)
        env = settings(ctx).env
        if output:
            # The incident table streams from the open ledger; an HTML report holds notes unless redacted.
            write_file(output, chunks, private=fmt is ReportFormat.html and not redact)
            env.say(f"wrote {output}: {built['summary']['totals']['killed']} killed in "
                    f"{plural(built['summary']['totals']['records'], 'record')}, ledger head {built['head_hash']}")
        else:
            streaming(env.stdout)
            env.stdout.writelines(chunks)
