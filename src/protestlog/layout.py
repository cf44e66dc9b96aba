"""How long views read at a terminal: a period that fits the span, empty runs folded into one line,
and the summary laid out with what matters first.

Only the people's formats are shaped here; JSON, CSV and NDJSON keep every period.
"""

import datetime as dt

from protestlog.output import Env, plural

DAY_SPAN, WEEK_SPAN = 42, 366  # up to six weeks by day, up to a year by week, beyond by month
FOLD_AT = 3  # a run of this many empty periods or more reads as one line


def default_period(since: dt.date, until: dt.date) -> str:
    """The series period that keeps a span readable: day up to ~6 weeks, week up to a year, else month."""
    days = (until - since).days + 1
    return "day" if days <= DAY_SPAN else "week" if days <= WEEK_SPAN else "month"


def fold(items: list, empty, *, keep=lambda item: False, at: int = FOLD_AT) -> list[tuple]:
    """[("one", item)] for each item, except runs of `at` or more empty items (that `keep` does not
    protect), which become one ("run", first, last, count)."""
    out, run = [], []

    def flush():
        if len(run) >= at:
            out.append(("run", run[0], run[-1], len(run)))
        else:
            out.extend(("one", item) for item in run)
        run.clear()

    for item in items:
        if empty(item) and not keep(item):
            run.append(item)
        else:
            flush()
            out.append(("one", item))
    flush()
    return out


def partly(value, given: int, records: int):
    """A figure only some records give, marked `*` (unknown is not zero: the sum is of those that do);
    blank when none gives it."""
    if value is None or not given:
        return None
    return f"{value}*" if given < records else value


PARTLY_NOTE = "Blank: no record gives it (unknown, not zero); *: only some records there do."


def folded_series(s: dict) -> list[dict]:
    """The summary's series for people: clipped periods, a figure only some records give marked `*`, and
    runs of periods without records as one row (no deaths shown there: the ledger does not cover them)."""
    rows = []
    for entry in fold(s["series"], lambda p: p["records"] == 0):
        if entry[0] == "one":
            p = entry[1]
            rows.append(p | {"start": p["clipped_start"], "end": p["clipped_end"],
                             "injured": partly(p["injured"], p["injured_reported_in"], p["records"]),
                             "killed": p["killed"] if p["records"] else None}
                        | ({} if p["records"] else {"no records": f"1 {s['range']['by']}"}))
        else:
            first, last, count = entry[1:]
            rows.append(last | {"start": first["clipped_start"], "end": last["clipped_end"], "records": 0,
                                "killed": None, "injured": None, "detained": None,
                                "no records": f"{count} {s['range']['by']}s"})
    return rows


# ---- the summary at a terminal --------------------------------------------------------------

SPLIT_TITLES = (("by_group", "group"), ("by_circumstance", "circumstance"), ("by_region", "region"),
                ("by_responsible", "alleged force"))
REGIONS_SHOWN = 5


def totals_lines(t: dict, rows: list[dict]) -> list[str]:
    """The figures one per line; the record and source counts share the last line."""
    figures = [r for r in rows if r["measure"] in ("killed", "of whom minors", "injured", "detained")]
    width = max(len(r["measure"]) for r in figures)
    sources = (f"{t['records']} records citing {t['sources']} sources ({t['distinct_sources']} distinct); "
               f"{t['unsourced_records']} without a source")
    return [f"  {r['measure']:<{width}}  {r['total']}" for r in figures] + [f"  {sources}"]


def split_rows(s: dict) -> list[dict]:
    """Victim group, circumstance and region in one table; the longest list (regions) cut to the top few."""
    rows = []
    for key, title in SPLIT_TITLES:
        items = s.get(key) or []
        if len(items) == 1 and items[0]["name"] in ("unknown", "not stated"):
            continue  # one bucket of the unknown says nothing a total does not
        shown = items if key != "by_region" or len(items) <= REGIONS_SHOWN + 1 else items[:REGIONS_SHOWN]
        for i, item in enumerate(shown):
            rows.append({"split": title if i == 0 else "", "name": item["name"], "records": item["records"],
                         "killed": item["killed"]}
                        | {k: partly(item[k], item[f"{k}_reported_in"], item["records"])
                           for k in ("injured", "detained")})
        if len(shown) < len(items):
            rest = items[len(shown):]
            rows.append({"split": "", "name": f"{len(rest)} more", "records": sum(r["records"] for r in rest),
                         "killed": sum(r["killed"] for r in rest), "injured": None, "detained": None})
    return rows


def victims_line(s: dict) -> str | None:
    """Victim records in one line (the splits are in --format markdown/json and 'victim list')."""
    v = s.get("victims")
    if not v or not v.get("records"):
        return None
    return (f"Victims in the range: {v['records']} ({v['named']} named, {v['minors']} minors, "
            f"{v['contested']} contested; see 'victim list')")


def not_compared_lines(s: dict) -> list[str]:
    """One line per milestone the range cannot compare, so none is dropped without a word."""
    short = {"before": "no day before it; earlier --since", "after": "after the range; later --until"}
    return [f"Not compared: {m['date']} {m['label']} ({short[m['side']]})."
            for m in s.get("milestones_not_compared", [])]


# The terminal's short form of views.NOTE (the Markdown and the report keep the long one).
SHORT_NOTE = ("Milestone day counts in 'after'. ratio: deaths (incidents) per day after ÷ before; a comparison, "
              "not a measure of cause. Exact CI: deaths independent; clustered CI: incidents independent. "
              "change: counts, or /day if windows differ.")


def render_summary_table(env: Env, s: dict):
    """Header, totals and every milestone comparison first; then the series (empty runs folded)
    and the splits in one table. Fits 80 columns (about 60 lines on the shipped data); nothing is cut."""
    from rich.text import Text

    from protestlog import views
    from protestlog.tables import print_fitted
    from protestlog.output import write_rows

    console = env.console()
    r = s["range"]
    auto = " (fits the span)" if r.get("by_auto") else ""
    state = (f"Ledger: {plural(s['ledger']['entries'], 'entry')}, head {(s['ledger']['head_hash'] or '-')[:12]}"
             + (f", as of {s['as_of']}" if s["as_of"] else ""))
    lines = [f"Summary {r['since']} to {r['until']} (both days included), by {r['by']}{auto}", state, "",
             "Totals", *totals_lines(s["totals"], views.totals_rows(s["totals"]))]
    from protestlog.victim_views import counting_note

    note = counting_note(s).removeprefix("Deaths counted by incident date; ")
    if note != "Deaths counted by incident date.":  # say so only when victims changed how deaths count
        lines.append(f"  {note}")
    victims = victims_line(s)
    if victims:
        lines.append(f"  {victims}")
    print_fitted(env, console, *[Text(line) for line in lines])
    numeric = views.NUMERIC | {"detained"}
    for m in s["milestones"]:
        rows = views.milestone_rows(dict(s, milestones=[m]))
        print_fitted(env, console, Text(""), Text(f"Before and after {m['date']} {m['label']}"))
        write_rows(env, rows, views.MILESTONE_COLUMNS[1:], "table", numeric={"ratio"})
        details = views.milestone_details(m)
        details[0] = details[0].removeprefix(f"{m['date']} {m['label']}: ")  # the title names it
        print_fitted(env, console, *[Text(line) for line in details])
    if s["milestones"]:
        print_fitted(env, console, Text(SHORT_NOTE))
    print_fitted(env, console, *[Text(line) for line in not_compared_lines(s)], Text(""))
    series = folded_series(s)
    columns = ["start", "end", "records", "killed", "cumulative_killed", "injured"]
    if any(row.get("no records") for row in series):
        columns.append("no records")
    partial = any(isinstance(row.get("injured"), str) for row in series)
    write_rows(env, series, columns, "table", numeric=numeric,
               title=f"Series by {r['by']} (Σ killed: running total from {r['since']})",
               caption=PARTLY_NOTE if partial else None, drop=["no records", "injured"])
    print_fitted(env, console, Text(""))
    write_rows(env, split_rows(s), ["split", "name", "records", "killed", "injured", "detained"], "table",
               numeric=numeric, title="Splits", drop=["detained", "injured"],
               caption=None if partial else PARTLY_NOTE)
    if "sensitivity" in s:
        if not s["milestones"]:
            print_fitted(env, console, Text(""), Text(views.NO_SENSITIVITY))
        for m in s["milestones"]:
            print_fitted(env, console, Text(""))
            views.render_sensitivity(env, s, "table", m)
