"""Charts of the ledger: a timeline (in the terminal, or as an SVG/PNG file) and a bar chart by region.

The data a chart plots is taken from `reports.summary` and nothing else, so a chart can never
show a figure that `summary` would not. Image files need matplotlib, an optional extra
(`pip install 'protestlog[charts]'`); the terminal chart needs only rich.
"""

import datetime as dt

from protestlog.errors import LedgerError

NOUNS = {"killed": "People killed", "injured": "People injured", "detained": "People detained"}
IMAGE_FORMATS = ("svg", "png")
NO_DATA = "no data"


class MissingExtra(LedgerError):
    """An optional dependency is not installed: say exactly what to install."""


def timeline(s: dict, milestones: list[dict], *, metric: str = "killed", cumulative: bool = False) -> dict:
    """The points, labels and provenance of a timeline chart, from a summary result.

    `milestones` are all milestones inside the range, both ends included (the summary itself
    compares only those after --since).
    """
    r, t = s["range"], s["totals"]
    key = f"cumulative_{metric}" if cumulative else metric
    reported_in = t["records"] if metric == "killed" else t[f"{metric}_reported_in"]
    per = "cumulative" if cumulative else f"per {r['by']}"
    total = "unknown (no record gives it)" if t[metric] is None else t[metric]
    return {
        "title": f"{NOUNS[metric]}, {per}, {r['since']} to {r['until']} (both days included): total {total}",
        "metric": metric, "cumulative": cumulative, "range": r, "as_of": s["as_of"], "ledger": s["ledger"],
        "total": t[metric], "records": t["records"], "sources": t["distinct_sources"],
        "reported_in": reported_in,
        # value is null where no record in the period (or, cumulative, up to it) gives the figure: no data.
        "points": [{"start": p["start"], "end": p["end"], "clipped_start": p["clipped_start"],
                    "clipped_end": p["clipped_end"], "value": p[key],
                    "reported_in": p["records"] if metric == "killed" else p[f"{metric}_reported_in"]}
                   for p in s["series"]],
        "milestones": [{"date": m["date"], "label": m["label"]} for m in milestones
                       if r["since"] <= m["date"] <= r["until"]],
        "source_line": source_line(t["records"], t["distinct_sources"]),
    }


def source_line(records: int, sources: int) -> str:
    return (f"Data: protestlog ledger, {records} record{'s' * (records != 1)}, "
            f"{sources} source{'s' * (sources != 1)}")


def coverage_note(data: dict) -> str | None:
    """Unknown is not zero: say when only some records give the figure plotted."""
    if data["reported_in"] == data["records"]:
        return None
    return (f"{data['metric']} is given in {data['reported_in']} of {data['records']} records; "
            f"the bars add up only those, and a period where no record gives it shows no data")


def _milestones_in(point: dict, milestones: list[dict]) -> list[dict]:
    return [m for m in milestones if point["start"] <= m["date"] <= point["end"]]


def render_terminal(env, data: dict):
    """Bars in a table: one row per period, with the milestones that fall in it named on that row.

    At a terminal the bars are Rich bars that fit the width; piped, they are '#' runs and
    the text carries no colour or box drawing, so it diffs and greps cleanly. Runs of three or
    more periods without a record (and without a milestone) are one row: the JSON keeps them all.
    """
    from rich.bar import Bar
    from rich.table import Table
    from rich.text import Text

    from protestlog.layout import fold
    from protestlog.output import prose_width
    from protestlog.tables import print_fitted

    console = env.console()
    width = console.width if env.stdout_tty else 80
    by = data["range"]["by"]
    labels = {p["start"]: "; ".join(f"<- {m['date']} {m['label']}" for m in _milestones_in(p, data["milestones"]))
              for p in data["points"]}
    rows = []
    for entry in fold(data["points"], lambda p: not p["reported_in"], keep=lambda p: labels[p["start"]]):
        if entry[0] == "one":
            p = entry[1]
            shown = NO_DATA if p["value"] is None else str(p["value"])
            rows.append((p["clipped_start"], p["value"], shown, labels[p["start"]]))
        else:  # worded as summary's folded row: first day to last day, how many periods, no records
            first, last, count = entry[1:]
            empty = "no records" if data["metric"] == "killed" else NO_DATA
            rows.append((first["clipped_start"], None, "", f"to {last['clipped_end']}: {count} {by}s, {empty}"))
    period_width = max((len(r[0]) for r in rows), default=10)
    value_width = max((len(r[2]) for r in rows), default=1)
    label_width = min(48, max((len(r[3]) for r in rows), default=0))
    bar_width = max(10, min(60, width - period_width - value_width - label_width - 6))
    top = max((r[1] or 0 for r in rows), default=0) or 1

    table = Table(box=None, pad_edge=False, show_header=False, show_edge=False)
    table.add_column("period", no_wrap=True)
    table.add_column("bar", width=bar_width, no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("milestone", overflow="fold")
    for period, value, shown, label in rows:
        if not value:
            bar = Text("")
        elif env.stdout_tty:
            bar = Bar(top, 0, value, width=bar_width, color="red")
        else:
            bar = Text("#" * round(value / top * bar_width))
        table.add_row(period, bar, shown, label)
    note = coverage_note(data)
    title = data["title"]
    if len(title) > (width if env.stdout_tty else prose_width(env)):  # the total whole, on a line of its own
        title = title.replace(": total ", ":\ntotal ", 1)
    print_fitted(env, console, Text(title), table, Text(data["source_line"]),
                 *([Text(f"Note: {note}.")] if note else []))


# ---- image files (matplotlib, optional) ---------------------------------------------


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise MissingExtra("image charts need matplotlib, which is not installed: "
                           "pip install 'protestlog[charts]'") from None
    matplotlib.use("Agg")  # no display needed; must precede pyplot
    # Labels and titles are drawn as written: '$5 to $10' keeps its dollars, 'Curfew $\\foo$' is not math.
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    # Text stays text in SVG (searchable, and labels can be checked); ids are stable between runs.
    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "protestlog", "font.size": 9})
    return plt


def image_format(path: str) -> str:
    from pathlib import Path

    from protestlog.errors import UsageProblem

    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in IMAGE_FORMATS:
        raise UsageProblem(f"output={path!r}: the file name must end in .svg or .png")
    return ext


def _metadata(fmt: str, title: str, description: str) -> dict:
    """No creation date, so the same ledger state always gives the same file."""
    if fmt == "svg":
        return {"Title": title, "Description": description, "Date": None, "Creator": "protestlog"}
    return {"Title": title, "Description": description, "Software": "protestlog"}


def _footer(data: dict) -> str:
    head = (data["ledger"]["head_hash"] or "-")[:16]
    as_of = f", as of {data['as_of']}" if data["as_of"] else ""
    return f"{data['source_line']} (ledger head {head}{as_of})"


def draw_timeline(data: dict, fmt: str):
    """The timeline as SVG text or PNG bytes: bars per period (of running totals when cumulative)."""
    plt = _pyplot()
    import matplotlib.dates as mdates

    def day(text):
        return dt.date.fromisoformat(text)

    fig, ax = plt.subplots(figsize=(9, 4.6), dpi=110)
    since, until = day(data["range"]["since"]), day(data["range"]["until"])
    # Each bar covers only the days of its period inside the range, as the counts do.
    starts = [max(day(p["start"]), since) for p in data["points"]]
    widths = [(min(day(p["end"]), until) - start).days + 1 for p, start in zip(data["points"], starts)]
    values = [p["value"] for p in data["points"]]
    known = [i for i, v in enumerate(values) if v is not None]
    ax.bar([starts[i] for i in known], [values[i] for i in known],
           width=[widths[i] * 0.9 if widths[i] > 1 else 0.8 for i in known], align="edge",
           color="#d6604d" if data["cumulative"] else "#b2182b")
    top = max((v for v in values if v is not None), default=0) or 1
    for i, v in enumerate(values):  # unknown is not zero: a hatched "no data" band, not an empty bar
        if v is None:
            ax.axvspan(starts[i], starts[i] + dt.timedelta(days=widths[i]), facecolor="#f2f2f2", hatch="///",
                       edgecolor="#c8c8c8", linewidth=0.5, label=NO_DATA if i == values.index(None) else None)
    if None in values:
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    for i, m in enumerate(data["milestones"]):
        x = day(m["date"])
        ax.axvline(x, color="#333333", linestyle="--", linewidth=1)
        ax.text(x, top * (1.02 - 0.09 * (i % 3)), f" {m['label']} ({m['date']})", rotation=0, va="bottom",
                ha="left", fontsize=8, color="#333333")
    ax.set_ylim(0, top * 1.25)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    fig.autofmt_xdate(rotation=30)
    ax.set_ylabel(NOUNS[data["metric"]].lower() + (" (cumulative)" if data["cumulative"]
                                                    else f" per {data['range']['by']}"))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(data["title"], fontsize=10, loc="left")
    footer = _footer(data)
    note = coverage_note(data)
    fig.text(0.01, 0.01, footer + (f"\nNote: {note}." if note else ""), fontsize=7, color="#555555",
             va="bottom")
    fig.subplots_adjust(bottom=0.24 if note else 0.2)
    labels = "; ".join(f"{m['date']} {m['label']}" for m in data["milestones"])
    return _save(plt, fig, fmt, data["title"], f"{footer}. Milestones: {labels or 'none'}.")


def draw_regions(s: dict, fmt: str):
    """Deaths by region, largest first, as SVG text or PNG bytes."""
    plt = _pyplot()
    rows = [r for r in s["by_region"] if r["killed"] > 0]
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(rows), 2) + 1.4), dpi=110)
    names = [r["name"] for r in rows][::-1]
    values = [r["killed"] for r in rows][::-1]
    bars = ax.barh(names, values, color="#b2182b")
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    r, t = s["range"], s["totals"]
    title = f"People killed by region, {r['since']} to {r['until']} (both days included): total {t['killed']}"
    ax.set_title(title, fontsize=10, loc="left")
    line = source_line(t["records"], t["distinct_sources"])
    fig.text(0.01, 0.01, line, fontsize=7, color="#555555", va="bottom")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _save(plt, fig, fmt, title, line)


def _save(plt, fig, fmt: str, title: str, description: str):
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, metadata=_metadata(fmt, title, description))
    plt.close(fig)
    return buffer.getvalue().decode("utf-8") if fmt == "svg" else buffer.getvalue()
