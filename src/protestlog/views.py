"""How the summary reads to a person (table, Markdown) and to a spreadsheet (long CSV).

Every view states the resolved date range, that both ends are inclusive, and the
ledger state (entries, head hash, as-of) it was computed from.
"""

from protestlog.output import Env, plural, write_json, write_rows

SPLIT_COLUMNS = ["name", "records", "killed", "injured"]
SERIES_COLUMNS = ["start", "end", "records", "killed", "cumulative_killed", "injured", "cumulative_injured"]
NUMERIC = {"records", "killed", "injured", "cumulative_killed", "cumulative_injured", "days",
           "killed_per_day", "ratio"}


def header(s: dict, *, period: bool = True) -> str:
    r = s["range"]
    state = f"ledger of {plural(s['ledger']['entries'], 'entry')}, head {(s['ledger']['head_hash'] or '-')[:12]}"
    as_of = f", as of {s['as_of']}" if s["as_of"] else ""
    by = f", by {r['by']}" if period else ""
    return f"{r['since']} to {r['until']} (both days included){by}; {state}{as_of}"


def fmt_range(value, best):
    if best is None:
        return "unknown"
    return f"{best}" if not value else f"{best} (range {value[0]}–{value[1]})"


def given_in(t: dict, field: str, text: str) -> str:
    """Unknown is not zero: say how many records gave an optional figure, when not all did."""
    n, given = t["records"], t[f"{field}_reported_in"]
    text = "unknown" if text in (None, "None") else text
    return text if given == n else f"{text} (given in {given} of {n} records)"


def sig(x, unbounded: str = "n/a") -> str:
    """A ratio or bound with 3 significant digits; None is said in words, never as 0."""
    if x is None:
        return unbounded
    if x == 0:
        return "0"
    return f"{x:#.3g}".rstrip(".") if abs(x) < 1000 else f"{x:,.0f}"  # '#' keeps 0.210, not 0.21


def pct(x, signed: bool = False) -> str:
    """A share or change as a percentage; a small non-zero one keeps two digits instead of showing 0%."""
    if x is None:
        return ""
    sign = "+" if signed else ""
    if x == 0 or abs(x) >= 0.005:
        return f"{x:{sign}.0%}"
    return f"{x * 100:{sign}.2g}%"


def interval(lo, hi) -> str:
    return f"{sig(lo)}–{sig(hi, '∞')}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _count(x) -> str:
    return str(x) if isinstance(x, int) or float(x).is_integer() else f"{x:.3g}"


def _change(m: dict, measure: str) -> str:
    """Counts when both windows have the same days; otherwise per-day rates, and it says so."""
    b, a = m["before"], m["after"]
    key = "killed" if measure == "deaths" else "records"
    if m["change"]["basis"] == "count":
        diff = a[key] - b[key]
        rel = f" ({pct(diff / b[key], True)})" if b[key] else ""
        return f"{_count(diff) if diff < 0 else '+' + _count(diff)}{rel}"
    if not (b["days"] and a["days"]):  # a side with no observed days (cut at the last record): nothing to compare
        return "n/a"
    rate_b, rate_a = b[key] / b["days"], a[key] / a["days"]
    rel = f" ({pct(rate_a / rate_b - 1, True)})" if rate_b else ""
    return f"{rate_a - rate_b:+.3g}/day{rel}"


def milestone_rows(s: dict) -> list[dict]:
    """Two rows per milestone: deaths, then incidents, side by side."""
    rows = []
    for m in s["milestones"]:
        b, a = m["before"], m["after"]
        irr, clustered = m["incident_rate_ratio"], m["rate_ratio_clustered"]
        rows.append({"milestone": f"{m['date']} {m['label']}", "measure": "deaths",
                     "before": f"{_count(b['killed'])} in {b['days']}d", "after": f"{_count(a['killed'])} in {a['days']}d",
                     "change": _change(m, "deaths"), "ratio": sig(m["rate_ratio"]),
                     "exact CI": (interval(*m["rate_ratio_ci95"]) if a["killed"] + b["killed"] and a["days"] and b["days"]
                                  else "n/a"),
                     "clustered CI": (interval(clustered["ci_low"], clustered["ci_high"])
                                          if clustered["note"] is None else clustered["note"].split(" (")[0])})
        rows.append({"milestone": "", "measure": "incidents",
                     "before": f"{b['records']} in {b['days']}d", "after": f"{a['records']} in {a['days']}d",
                     "change": _change(m, "incidents"), "ratio": sig(irr["estimate"]),
                     "exact CI": (interval(irr["ci_low"], irr["ci_high"])
                                  if a["records"] + b["records"] and a["days"] and b["days"] else "n/a"),
                     "clustered CI": "not needed"})
    return rows


def milestone_details(m: dict) -> list[str]:
    """What the table cannot hold: the windows, the dispersion, straddling spans, the caveats."""
    b, a = m["before"], m["after"]
    disp = "n/a (a side has no deaths)" if m["dispersion"] is None else f"{m['dispersion']:.3g}"
    span = lambda side: f"{side['start']} to {side['end']}" if side["days"] else "no observed days"  # noqa: E731
    lines = [f"{m['date']} {m['label']}: before {span(b)}, after {span(a)}; "
             f"dispersion of daily deaths {disp}; "
             f"{_plural(m['straddling']['killed'], 'death')} in {_plural(m['straddling']['records'], 'date span')} "
             f"counted before could fall after."]
    return lines + [f"Caveat: {c}." for c in m["caveats"]]


MILESTONE_COLUMNS = ["milestone", "measure", "before", "after", "change", "ratio", "exact CI",
                     "clustered CI"]
NOTE = ("Milestone day counts in 'after'. ratio = deaths (or incidents) per day after ÷ before: a "
        "comparison, not a measure of effect or cause. 95% intervals: the exact CI (conditional binomial) is "
        "right only if deaths were independent; the clustered CI takes incidents as the independent events "
        "(compound Poisson). change compares counts over equal windows, per-day rates (/day) otherwise.")


NO_SENSITIVITY = ("Sensitivity: no milestone to compare in this range (add one with 'protestlog milestone add "
                  "DATE LABEL', or widen --since/--until).")
UNKNOWN_CAPTION = "Blank: no record here gives the figure (unknown, not zero)."


def totals_rows(t: dict) -> list[dict]:
    return [{"measure": "killed", "total": fmt_range(t["killed_range"], t["killed"])},
            {"measure": "of whom minors", "total": given_in(t, "minors", str(t["minors_killed"]))},
            {"measure": "injured", "total": given_in(t, "injured", fmt_range(t["injured_range"], t["injured"]))},
            {"measure": "detained", "total": given_in(t, "detained", str(t["detained"]))},
            {"measure": "records", "total": t["records"]},
            {"measure": "sources cited", "total": t["sources"]},
            {"measure": "records without a source", "total": t["unsourced_records"]}]


def series_rows(s: dict) -> list[dict]:
    """Periods as people read them: only the days inside the range."""
    return [p | {"start": p["clipped_start"], "end": p["clipped_end"]} for p in s["series"]]


def series_caption(s: dict) -> str:
    t = s["totals"]
    return (f"{UNKNOWN_CAPTION} injured is given in {t['injured_reported_in']} of {t['records']} records; "
            f"Σ injured adds up only those.")


def render_summary(env: Env, s: dict, fmt: str):
    if fmt == "json":
        write_json(env, s)
    elif fmt in ("csv", "tsv", "ndjson"):
        write_rows(env, long_rows(s), ["section", "key", "field", "value"], fmt)
    elif fmt == "table":
        from protestlog.layout import render_summary_table

        render_summary_table(env, s)
    else:
        from protestlog.layout import folded_series

        env.stdout.write(f"# Casualty summary\n\n{header(s)}\n\n")
        parts = [("Totals", totals_rows(s["totals"]), ["measure", "total"], None),
                 ("By victim group", s["by_group"], SPLIT_COLUMNS, UNKNOWN_CAPTION),
                 ("By circumstance", s["by_circumstance"], SPLIT_COLUMNS, UNKNOWN_CAPTION),
                 ("By region", s["by_region"], SPLIT_COLUMNS, UNKNOWN_CAPTION),
                 (f"Series by {s['range']['by']} (running totals from {s['range']['since']}; runs of periods "
                  f"without records in one row)", folded_series(s), SERIES_COLUMNS + ["no records"],
                  series_caption(s))]
        for m in s["milestones"]:  # one narrow table per milestone, titled with it
            lines = [NOTE] + milestone_details(m)
            parts.append((f"Before and after {m['date']} {m['label']}", milestone_rows({"milestones": [m]}),
                          MILESTONE_COLUMNS[1:], ("\n\n" if fmt == "markdown" else "\n").join(lines)))
        skipped = [f"Not compared: {m['date']} {m['label']} ({m['reason']})." for m in s.get("milestones_not_compared", [])]
        if not s["milestones"]:
            parts.append(("Before and after milestones", [], MILESTONE_COLUMNS[1:],
                          "\n".join(["No milestone falls after the first day of the range."] + skipped)))
        elif skipped:
            title, rows, columns, caption = parts[-1]
            parts[-1] = (title, rows, columns, caption + ("\n\n" if fmt == "markdown" else "\n") + "\n".join(skipped))
        from protestlog import victim_views

        parts += [("By alleged responsible force", s["by_responsible"], SPLIT_COLUMNS, victim_views.counting_note(s))]
        parts += victim_views.summary_parts(s)
        for title, rows, columns, caption in parts:
            write_rows(env, rows, columns, fmt, title=title, caption=caption,
                       numeric=NUMERIC | {"total", "exact CI"})
            if fmt == "markdown":
                env.stdout.write("\n")
        if "sensitivity" in s:
            if not s["milestones"]:
                env.stdout.write(f"{NO_SENSITIVITY}\n")
            for m in s["milestones"]:
                render_sensitivity(env, s, fmt, m)


SENSITIVITY_COLUMNS = ["choice", "before", "after", "ratio", "exact CI", "clustered CI", "moved", "out"]


def _choice(r: dict, default: dict) -> str:
    """What a sensitivity row changed from the default row, in a few words."""
    if r["default"]:
        return f"default ({r['window']}d)"
    if r["window"] != default["window"]:
        return f"window {r['window']}d"
    if r["span_rule"] != default["span_rule"]:
        return f"spans at {r['span_rule']}" if r["span_rule"] == "end" else "spans spread"
    return f"≥ {r['min_confidence']}" if r["min_confidence"] else "any confidence"


def sensitivity_rows(s: dict, milestone: dict | None = None) -> list[dict]:
    """Rows of one milestone (or of all, with the milestone date leading each choice)."""
    rows, default = [], None
    for r in s.get("sensitivity", []):
        if milestone is not None and r["date"] != milestone["date"]:
            continue
        default = r if r["default"] else default
        clustered = (interval(r["ci_clustered_low"], r["ci_clustered_high"])
                     if r["ci_clustered_low"] is not None else "too few incidents")
        choice = _choice(r, default)
        rows.append({"choice": choice if milestone is not None else f"{r['date']} {choice}",
                     "before": f"{_count(r['before'])} ({r['before_incidents']}) {r['before_days']}d",
                     "after": f"{_count(r['after'])} ({r['after_incidents']}) {r['after_days']}d",
                     "ratio": sig(r["rate_ratio"]),
                     "exact CI": (interval(r["ci_low"], r["ci_high"])
                                  if r["before"] + r["after"] and r["before_days"] and r["after_days"] else "n/a"),
                     "clustered CI": clustered, "moved": r["moved"],
                     "out": f"{r['removed']['before']}/{r['removed']['after']}"})
    return rows


def sensitivity_note(s: dict, milestone: dict | None = None) -> str:
    first = next((r for r in s.get("sensitivity", []) if milestone is None or r["date"] == milestone["date"]), None)
    confidence = (first or {}).get("min_confidence") or "any confidence"
    return (f"Each row changes one choice from the default: window {first['window'] if first else '-'} days, "
            f"date spans counted at their start, {confidence}. before/after: deaths (incidents) and the days "
            f"that side really has: a window is cut at the start of the range and at the last record, so the "
            f"ratio compares deaths per day. Spread spans give fractional deaths. Intervals are 95%. moved: records counted on another side than at their "
            f"start. out: records the confidence filter took out before/after.")


SENSITIVITY_NOTE = ("Each row changes one choice from the default. before/after: deaths (incidents). moved: records "
                    "counted on another side than at their start. removed: records the confidence filter took out "
                    "before/after.")


def render_sensitivity(env: Env, s: dict, fmt: str, milestone: dict):
    write_rows(env, sensitivity_rows(s, milestone), SENSITIVITY_COLUMNS, fmt,
               title=f"Sensitivity: {milestone['date']} {milestone['label']}",
               caption=sensitivity_note(s, milestone),
               numeric={"ratio", "moved", "exact CI", "out"})
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
            for k in ("records", "killed", "injured", "detained", "minors"):
                yield {"section": section, "key": row["name"], "field": k, "value": row[k]}
    for row in s["by_responsible"]:
        for k in ("records", "killed", "injured", "detained", "minors"):
            yield {"section": "by_responsible", "key": row["name"], "field": k, "value": row[k]}
    from protestlog import victim_views

    yield from victim_views.long_rows(s)
    for row in s["series"]:
        for k, v in row.items():
            if k != "start":
                yield {"section": "series", "key": row["start"], "field": k, "value": v}
    for m in s["milestones"]:
        key = f"{m['date']} {m['label']}"
        for side in ("before", "after"):
            for k, v in m[side].items():
                yield {"section": "milestone", "key": key, "field": f"{side}.{k}", "value": v}
        yield {"section": "milestone", "key": key, "field": "rate_ratio", "value": m["rate_ratio"]}
        yield {"section": "milestone", "key": key, "field": "ci95_low", "value": m["rate_ratio_ci95"][0]}
        yield {"section": "milestone", "key": key, "field": "ci95_high", "value": m["rate_ratio_ci95"][1]}
        yield {"section": "milestone", "key": key, "field": "straddling_killed", "value": m["straddling"]["killed"]}
        for k, v in m["change"].items():
            yield {"section": "milestone", "key": key, "field": f"change.{k}", "value": v}
        for group in ("incident_rate_ratio", "rate_ratio_clustered", "rate_ratio_quasi_poisson"):
            for k, v in m[group].items():
                yield {"section": "milestone", "key": key, "field": f"{group}.{k}", "value": v}
        yield {"section": "milestone", "key": key, "field": "dispersion", "value": m["dispersion"]}
        yield {"section": "milestone", "key": key, "field": "straddling_records", "value": m["straddling"]["records"]}
        for i, c in enumerate(m["caveats"]):
            yield {"section": "milestone", "key": key, "field": f"caveats.{i}", "value": c}
    for m in s.get("milestones_not_compared", []):
        yield {"section": "milestone_not_compared", "key": f"{m['date']} {m['label']}", "field": m["side"],
               "value": m["reason"]}
    for i, r in enumerate(s.get("sensitivity", [])):
        for k, v in r.items():
            yield {"section": "sensitivity", "key": str(i),
                   "field": k, "value": v if k != "removed" else f"{v['before']}/{v['after']}"}


REGION_COLUMNS = ["rank", "region", "code", "records", "killed", "killed_low", "killed_high", "share",
                  "minors", "injured", "detained", "minors_reported_in", "injured_reported_in", "detained_reported_in"]


def region_rows(s: dict) -> list[dict]:
    """Regions ranked by deaths (ties share a rank), with each region's share of all deaths."""
    from protestlog.regions import region_codes
    from protestlog.stats import sig_round

    codes, total, rows = region_codes(), s["totals"]["killed"], []
    for i, r in enumerate(s["by_region"]):
        rank = rows[-1]["rank"] if rows and rows[-1]["killed"] == r["killed"] else i + 1
        rows.append({"rank": rank, "region": r["name"], "code": codes.get(r["name"], ""), "records": r["records"],
                     "killed": r["killed"], "killed_low": r["killed_low"], "killed_high": r["killed_high"],
                     "share": sig_round(r["killed"] / total) if total else None, "minors": r["minors"],
                     "injured": r["injured"], "detained": r["detained"],
                     "minors_reported_in": r["minors_reported_in"], "injured_reported_in": r["injured_reported_in"],
                     "detained_reported_in": r["detained_reported_in"]})
    return rows


def render_regions(env: Env, s: dict, fmt: str):
    rows = region_rows(s)
    if fmt == "json":
        write_json(env, {k: s[k] for k in ("range", "as_of", "ledger", "totals")} | {"regions": rows})
        return
    if fmt in ("csv", "tsv", "ndjson"):
        write_rows(env, rows, REGION_COLUMNS, fmt)
        return
    from protestlog.layout import partly

    people = [r | {k: partly(r[k], r[f"{k}_reported_in"], r["records"]) for k in ("minors", "injured", "detained")}
              | {"share": pct(r["share"]),
                   "killed": fmt_range([r["killed_low"], r["killed_high"]]
                                        if r["killed_low"] != r["killed_high"] else None, r["killed"])}
              for r in rows]
    columns = ["rank", "region", "code", "records", "killed", "share", "minors", "injured", "detained"]
    title = f"Deaths by region, {header(s, period=False)}"
    caption = (f"Ranked by best estimate of deaths; unknown is not zero. Blank: no record in the region gives "
               f"the figure; *: only some of its records do.")
    if fmt == "markdown":
        env.stdout.write("# Deaths by region\n\n")
    else:  # a terminal: the range without the word, so the column stays narrow
        people = [p | {"killed": p["killed"].replace("(range ", "(")} for p in people]
    write_rows(env, people, columns, fmt, title=title, caption=caption,
               numeric={"rank", "records", "killed", "share", "minors", "injured", "detained"},
               drop=["code", "detained", "minors", "injured"])
