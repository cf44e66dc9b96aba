"""How the summary reads to a person (table, Markdown) and to a spreadsheet (long CSV).

Every view states the resolved date range, that both ends are inclusive, and the
ledger state (entries, head hash, as-of) it was computed from.
"""

from protestlog.output import Env, write_json, write_rows

SPLIT_COLUMNS = ["name", "records", "killed", "injured"]
SERIES_COLUMNS = ["start", "end", "killed", "cumulative_killed", "injured", "cumulative_injured"]
NUMERIC = {"records", "killed", "injured", "cumulative_killed", "cumulative_injured", "days",
           "killed_per_day"}


def header(s: dict, *, period: bool = True) -> str:
    r = s["range"]
    state = f"ledger of {s['ledger']['entries']} entries, head {(s['ledger']['head_hash'] or '-')[:12]}"
    as_of = f", as of {s['as_of']}" if s["as_of"] else ""
    by = f", by {r['by']}" if period else ""
    return f"{r['since']} to {r['until']} (both days included){by}; {state}{as_of}"


def fmt_range(value, best):
    return f"{best}" if not value else f"{best} (range {value[0]}–{value[1]})"


def given_in(t: dict, field: str, text: str) -> str:
    """Unknown is not zero: say how many records gave an optional figure, when not all did."""
    n, given = t["records"], t[f"{field}_reported_in"]
    return text if given == n else f"{text} (given in {given} of {n} records)"


def milestone_rows(s: dict) -> list[dict]:
    rows = []
    for m in s["milestones"]:
        lo, hi = m["rate_ratio_ci95"]
        rows.append({
            "date": m["date"], "label": m["label"],
            "before": f"{m['before']['killed']} in {m['before']['days']}d ({m['before']['start']}–{m['before']['end']})",
            "after": f"{m['after']['killed']} in {m['after']['days']}d ({m['after']['start']}–{m['after']['end']})",
            "change": f"{m['change']['killed']:+d}" + (f" ({m['change']['relative']:+.0%})"
                                                       if m["change"]["relative"] is not None else ""),
            "rate_ratio": "n/a" if m["rate_ratio"] is None else f"{m['rate_ratio']:.2f}",
            "95% CI": f"{'n/a' if lo is None else f'{lo:.2f}'}–{'∞' if hi is None else f'{hi:.2f}'}",
            "straddling": m["straddling"]["killed"],
        })
    return rows


MILESTONE_COLUMNS = ["date", "label", "before", "after", "change", "rate_ratio", "95% CI", "straddling"]
NOTE = ("Milestone day counts in 'after'. Rate ratio = after/before deaths per day, exact 95% CI "
        "(conditional binomial). 'straddling' = deaths in date spans that cross the milestone.")


def render_summary(env: Env, s: dict, fmt: str):
    if fmt == "json":
        write_json(env, s)
    elif fmt in ("csv", "tsv", "ndjson"):
        write_rows(env, long_rows(s), ["section", "key", "field", "value"], fmt)
    else:
        t = s["totals"]
        totals = [{"measure": "killed", "total": fmt_range(t["killed_range"], t["killed"])},
                  {"measure": "of whom minors", "total": given_in(t, "minors", str(t["minors_killed"]))},
                  {"measure": "injured", "total": given_in(t, "injured", fmt_range(t["injured_range"], t["injured"]))},
                  {"measure": "detained", "total": given_in(t, "detained", str(t["detained"]))},
                  {"measure": "records", "total": t["records"]},
                  {"measure": "sources cited", "total": t["sources"]},
                  {"measure": "records without a source", "total": t["unsourced_records"]}]
        if fmt == "markdown":
            env.stdout.write(f"# Casualty summary\n\n{header(s)}\n\n")
        else:
            env.console().print(f"Summary {header(s)}")
        parts = [("Totals", totals, ["measure", "total"], None),
                 ("By victim group", s["by_group"], SPLIT_COLUMNS, None),
                 ("By circumstance", s["by_circumstance"], SPLIT_COLUMNS, None),
                 ("By region", s["by_region"], SPLIT_COLUMNS, None),
                 (f"Series by {s['range']['by']} (running totals from {s['range']['since']})", s["series"],
                  SERIES_COLUMNS, None),
                 ("Before and after milestones", milestone_rows(s), MILESTONE_COLUMNS, NOTE)]
        for title, rows, columns, caption in parts:
            write_rows(env, rows, columns, fmt, title=title, caption=caption, numeric=NUMERIC | {"total"})
            if fmt == "markdown":
                env.stdout.write("\n")


def long_rows(s: dict):
    """The whole summary as (section, key, field, value) rows: one shape a spreadsheet can pivot."""
    for k, v in s["range"].items():
        yield {"section": "range", "key": "", "field": k, "value": v}
    yield {"section": "ledger", "key": "", "field": "as_of", "value": s["as_of"]}
    for k, v in s["ledger"].items():
        yield {"section": "ledger", "key": "", "field": k, "value": v}
    for k, v in s["totals"].items():
        yield {"section": "totals", "key": "", "field": k, "value": v}
    for section in ("by_group", "by_circumstance", "by_region"):
        for row in s[section]:
            for k in ("records", "killed", "injured"):
                yield {"section": section, "key": row["name"], "field": k, "value": row[k]}
    for row in s["series"]:
        for k in ("killed", "cumulative_killed", "injured", "cumulative_injured"):
            yield {"section": "series", "key": row["start"], "field": k, "value": row[k]}
    for m in s["milestones"]:
        key = f"{m['date']} {m['label']}"
        for side in ("before", "after"):
            for k in ("start", "end", "days", "killed", "killed_per_day"):
                yield {"section": "milestone", "key": key, "field": f"{side}.{k}", "value": m[side][k]}
        yield {"section": "milestone", "key": key, "field": "rate_ratio", "value": m["rate_ratio"]}
        yield {"section": "milestone", "key": key, "field": "ci95_low", "value": m["rate_ratio_ci95"][0]}
        yield {"section": "milestone", "key": key, "field": "ci95_high", "value": m["rate_ratio_ci95"][1]}
        yield {"section": "milestone", "key": key, "field": "straddling_killed", "value": m["straddling"]["killed"]}


REGION_COLUMNS = ["rank", "region", "code", "records", "killed", "killed_low", "killed_high", "share",
                  "minors", "injured", "detained"]


def region_rows(s: dict) -> list[dict]:
    """Regions ranked by deaths (ties share a rank), with each region's share of all deaths."""
    from protestlog.regions import region_codes

    codes, total, rows = region_codes(), s["totals"]["killed"], []
    for i, r in enumerate(s["by_region"]):
        rank = rows[-1]["rank"] if rows and rows[-1]["killed"] == r["killed"] else i + 1
        rows.append({"rank": rank, "region": r["name"], "code": codes.get(r["name"], ""), "records": r["records"],
                     "killed": r["killed"], "killed_low": r["killed_low"], "killed_high": r["killed_high"],
                     "share": round(r["killed"] / total, 4) if total else None, "minors": r["minors"],
                     "injured": r["injured"], "detained": r["detained"]})
    return rows


def render_regions(env: Env, s: dict, fmt: str):
    rows = region_rows(s)
    if fmt == "json":
        write_json(env, {k: s[k] for k in ("range", "as_of", "ledger", "totals")} | {"regions": rows})
        return
    if fmt in ("csv", "tsv", "ndjson"):
        write_rows(env, rows, REGION_COLUMNS, fmt)
        return
    people = [r | {"share": "" if r["share"] is None else f"{r['share']:.0%}",
                   "killed": fmt_range([r["killed_low"], r["killed_high"]]
                                        if r["killed_low"] != r["killed_high"] else None, r["killed"])}
              for r in rows]
    columns = ["rank", "region", "code", "records", "killed", "share", "minors", "injured", "detained"]
    title = f"Deaths by region, {header(s, period=False)}"
    caption = ("Ranked by best estimate of deaths. minors, injured and detained add up only the records "
               "that give them; unknown is not zero.")
    if fmt == "markdown":
        env.stdout.write("# Deaths by region\n\n")
    write_rows(env, people, columns, fmt, title=title, caption=caption,
               numeric={"rank", "records", "killed", "share", "minors", "injured", "detained"})
