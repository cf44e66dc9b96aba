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
    text: str = typer.Argument(..., metavar="TEXT", help="Words to find, whole words (case and accents "
                                                         "ignored); end one with * to match its start: juli*."),
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
    Words match whole: 'juli' does not find Juliaca; a * at the end matches the start of a word,
    so 'juli*' does. Text without a letter or digit ('*', '-') is a usage error.
    Takes the filters and --as-of of 'list'.

    \b
    Examples:
      protestlog search juliaca
      protestlog search "andahuay*"
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


def _timeout_option(value: float) -> float:
    """nan and inf pass Click's range check (nan would never expire): a usage error here."""
    from protestlog.errors import FieldError
    from protestlog.sql_query import check_timeout

    try:
        return check_timeout(value)
    except FieldError as exc:
        raise typer.BadParameter(f"{value:g}: {exc.reason}", param_hint="'--timeout'") from None


@app.command()
def query(
    ctx: typer.Context,
    sql: str = typer.Argument(..., metavar="SQL", help="One SELECT statement, e.g. "
                                                       "\"select region, sum(killed) from records group by region\"."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Print at most this many rows (a table "
                                                                      "shows 1000 unless given)."),
    timeout: float = typer.Option(60.0, "--timeout", metavar="SECONDS", callback=_timeout_option,
                                  help="Stop the command after this long, 0.001 to 86400: running the "
                                       "statement, fetching and writing the rows all count."),
    fmt: FormatOpt = Format.table,
    as_json: JsonShort = False, raw: RawOpt = False,
):
    """Read-only SQL over the ledger's views (records, history, victims, milestones) and tables.

    The statement runs on a read-only connection that also refuses ATTACH and setting pragmas,
    so nothing it does can change the ledger. A value may be at most 1 MB; a table shows at most
    1000 rows and 500 characters per value, and says what it left out (csv, tsv, json, ndjson
    and markdown give every row whole). JSON gives sources and other_names as arrays.

    \b
    Examples:
      protestlog query "select count(*), sum(killed) from records"
      protestlog query "select * from history where action = 'amend'" -f csv
    """
    from protestlog import query_view
    from protestlog.output import write_delimited
    from protestlog.sql_query import Query

    s = settings(ctx)
    # Refuses a missing or foreign file and migrates an older ledger so the views exist. (Comparing the
    # views with protestlog's would load sqlite-utils: +50-230 ms here; `verify` does it.)
    with open_ledger(ctx):
        pass
    fmt_name = chosen_format(fmt, as_json)
    with Query(s.db, sql, timeout=timeout) as q, q.time_limit():  # writing counts against --timeout too
        if fmt_name == "json" and not q.columns:
            write_json(s.env, [])
        elif fmt_name == "table":
            shown = query_view.for_people(q, limit)
            numeric, drop, wrap = query_view.layout(q.columns, shown.rows)
            write_rows(s.env, shown.rows, q.columns, fmt_name, caption=shown.note(), numeric=numeric, drop=drop,
                       wrap=wrap, drop_in_order=True)
        elif fmt_name in ("csv", "tsv"):
            write_delimited(s.env, q.rows(limit), q.columns, fmt_name)
        elif fmt_name in ("json", "ndjson"):
            write_rows(s.env, query_view.json_rows(q.columns, q.rows(limit)), q.columns, fmt_name)
        else:
            write_rows(s.env, (dict(zip(q.columns, row)) for row in q.rows(limit)), q.columns, fmt_name)


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
