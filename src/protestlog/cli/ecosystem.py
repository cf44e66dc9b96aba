"""Commands for the tools around the ledger: full-text search, read-only SQL, Datasette publishing."""

from typing import Optional

import typer

from protestlog.output import write_json, write_rows

from protestlog.cli.app import (
    Format, FormatOpt, JsonShort, app, chosen_format, make_filters, open_ledger, parse_as_of, settings,
    warn_if_tampered,
)
from protestlog.cli.options import (
    AsOfOpt, CircumstanceFilterOpt, GroupFilterOpt, MinConfidenceOpt, RawOpt, RegionFilterOpt,
)

SEARCH_COLUMNS = ["rank", "id", "date", "region", "place", "killed", "injured", "sources_count"]


@app.command()
def search(
    ctx: typer.Context,
    text: str = typer.Argument(..., metavar="TEXT", help="Words to find; case and accents ignored, 'juli*' "
                                                         "matches a prefix."),
    since: Optional[str] = typer.Option(None, help="First incident date (included)."),
    until: Optional[str] = typer.Option(None, help="Last incident date (included)."),
    region: RegionFilterOpt = None,
    group: GroupFilterOpt = None,
    circumstance: CircumstanceFilterOpt = None,
    min_confidence: MinConfidenceOpt = None,
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Show at most this many records."),
    as_of: AsOfOpt = None,
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False, raw: RawOpt = False,
):
    """Full-text search of current records: place, province, region, notes and source names, best match first.

    Every word must match (in any field); case and accents are ignored, so 'apurimac' finds Apurímac.
    Takes the filters and --as-of of 'list'.

    \b
    Examples:
      protestlog search juliaca
      protestlog search "apurimac pellets" --since 2022-12-07 --json
    """
    from protestlog.search import search as run_search

    fmt_name = chosen_format(fmt, as_json)
    env = settings(ctx).env
    with open_ledger(ctx, spot_check=False) as ledger:
        filters = make_filters(since, until, region, group, circumstance, min_confidence, today=ledger.today())
        rows = run_search(ledger, text, filters, as_of=parse_as_of(as_of), limit=limit)
        # After the search: an index it could not read is already its one error line.
        warn_if_tampered(env, ledger, schema=True)
    if fmt_name in ("table", "markdown"):
        write_rows(env, rows, SEARCH_COLUMNS, fmt_name, title=f"Records matching {text!r}, best first "
                   f"({len(rows)} found)", numeric={"rank", "id", "killed", "injured", "sources_count"})
    else:
        from protestlog.reports import RECORD_COLUMNS

        write_rows(env, rows, ["rank", "score"] + list(RECORD_COLUMNS) + ["revision", "recorded_at", "recorded_by",
                                                                          "sources_count"], fmt_name)


@app.command()
def query(
    ctx: typer.Context,
    sql: str = typer.Argument(..., metavar="SQL", help="One SELECT statement, e.g. "
                                                       "\"select region, sum(killed) from records group by region\"."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Print at most this many rows."),
    timeout: float = typer.Option(60.0, "--timeout", min=0.001, metavar="SECONDS",
                                  help="Stop a statement still running after this long."),
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False, raw: RawOpt = False,
):
    """Read-only SQL over the ledger's views (records, history, milestones) and tables.

    The statement runs on a read-only connection that also refuses ATTACH and setting pragmas,
    so nothing it does can change the ledger.

    \b
    Examples:
      protestlog query "select count(*), sum(killed) from records"
      protestlog query "select * from history where action = 'amend'" -f csv
    """
    from protestlog.sql_query import query as run_query

    s = settings(ctx)
    # Refuses a missing or foreign file and migrates an older ledger so the views exist. (Comparing the
    # views with protestlog's would load sqlite-utils: +50-230 ms here; `verify` does it.)
    with open_ledger(ctx):
        pass
    columns, rows = run_query(s.db, sql, limit=limit, timeout=timeout)
    fmt_name = chosen_format(fmt, as_json)
    if fmt_name == "json" and not columns:
        write_json(s.env, [])
        return
    write_rows(s.env, rows, columns, fmt_name)


@app.command()
def publish(
    ctx: typer.Context,
    datasette: str = typer.Option(..., "--datasette", metavar="DIR", help="Folder to write ledger.db and "
                                                                          "metadata.json into."),
    redact: bool = typer.Option(False, "--redact", help="Blank notes (which may name victims), reasons and "
                                                        "who recorded, in the copy."),
    title: Optional[str] = typer.Option(None, "--title", help="Title Datasette shows."),
    license_name: Optional[str] = typer.Option(None, "--license", help="Licence of the data (default CC BY 4.0)."),
    license_url: Optional[str] = typer.Option(None, "--license-url", help="Link to the licence text."),
    source: Optional[str] = typer.Option(None, "--source", help="Who compiled the data."),
    source_url: Optional[str] = typer.Option(None, "--source-url", help="Link to the source."),
    as_json: bool = typer.Option(False, "--json", help="Print what was written as JSON."),
):
    """Publish a read-only copy of the ledger for Datasette, with metadata.json and canned queries.

    The ledger must pass 'verify'; the metadata names its head hash and as-of time. Serve it with
    'datasette DIR/ledger.db -m DIR/metadata.json' (pip install 'protestlog[publish]').

    \b
    Examples:
      protestlog publish --datasette site/
      protestlog publish --datasette site/ --redact --license "CC BY 4.0"
    """
    from protestlog.publish import publish as run_publish

    with open_ledger(ctx, spot_check=False) as ledger:  # publish runs verify itself
        result = run_publish(ledger, datasette, redact=redact, title=title, license_name=license_name,
                             license_url=license_url, source=source, source_url=source_url)
    env = settings(ctx).env
    if as_json:
        write_json(env, result)
    else:
        as_of = f", as of {result['as_of']}" if result["as_of"] else ""
        env.say(f"wrote {result['database']} and {result['metadata']} ({result['entries']} entries, head "
                f"{result['head_hash'] or '(none: empty ledger)'}{as_of}{', redacted' if redact else ''}); serve with: "
                f"datasette {result['database']} -m {result['metadata']}")
