"""Before/after a milestone: deaths and incidents, the exact and a clustering-aware interval, caveats.

Deaths come in clusters (one day in Juliaca killed 18), so the comparison reports incidents
beside deaths, an interval that treats incidents as the independent events beside the exact
Poisson one, the dispersion of daily deaths, and plain caveats when the figures are fragile.
"""

import datetime as dt

from protestlog.stats import compound_poisson, pearson_dispersion, quasi_poisson, rate_ratio, sig_round
from protestlog.vocab import CONFIDENCE

SPAN_RULES = ("start", "end", "spread")  # where a record with a date span is counted
DISPERSION_HIGH = 1.5
FEW_DEATHS, FEW_INCIDENTS = 5, 3
LAG_GAP = 0.2  # verification lag: the filter removed shares of records differing by more than this


UNIT_SUMS = ("records", "fatal", "killed", "killed_sq", "injured_n")


def units_from(groups: list[dict]) -> list[dict]:
    """Records in scope grouped by (date, end date, confidence), with what the comparison needs,
    added up from the summary's groups (reports._scan), which are finer and not yet filtered by
    confidence: the filter is applied later, so one read serves every --min-confidence level of
    the sensitivity view and shows what the filter removed from each side."""
    units: dict[tuple, dict] = {}
    for g in groups:
        key = (g["date"], g["end_date"], g["confidence"])
        unit = units.get(key)
        if unit is None:
            units[key] = {"date": g["date"], "end_date": g["end_date"], "confidence": g["confidence"],
                          "killed_max": g["killed_max"], "injured": g["injured"]} | {k: g[k] for k in UNIT_SUMS}
            continue
        for k in UNIT_SUMS:
            unit[k] += g[k]
        unit["killed_max"] = max(unit["killed_max"], g["killed_max"])
        if g["injured"] is not None:  # unknown stays null only while no record gives a figure
            unit["injured"] = (unit["injured"] or 0) + g["injured"]
    # In the order SQL's GROUP BY gave them (nulls first), so sums over units add up in the same order.
    return sorted(units.values(), key=lambda u: (u["date"], u["end_date"] is not None, u["end_date"] or "",
                                                 u["confidence"] is not None, u["confidence"] or ""))


def allowed(confidence: str | None, min_confidence: str | None) -> bool:
    if not min_confidence:
        return True
    return confidence in CONFIDENCE[: CONFIDENCE.index(min_confidence) + 1]


def _share(unit: dict, lo: str, hi: str, rule: str) -> float:
    """The part of a unit's deaths counted in [lo, hi] under a span rule."""
    start, end = unit["date"], unit["end_date"] or unit["date"]
    if rule == "start" or end <= start or None in (_day(start), _day(end)):  # a damaged span counts at its start
        return 1.0 if lo <= start <= hi else 0.0
    if rule == "end":
        return 1.0 if lo <= end <= hi else 0.0
    first, last = max(start, lo), min(end, hi)
    if first > last:
        return 0.0
    return ((_day(last) - _day(first)).days + 1) / ((_day(end) - _day(start)).days + 1)


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def tally(units: list[dict], lo: dt.date, hi: dt.date, rule: str = "start", min_confidence: str | None = None) -> dict:
    """Deaths, incidents (records) and cluster sizes counted in [lo, hi]."""
    out = {"killed": 0, "killed_sq": 0, "killed_max": 0, "records": 0, "fatal": 0, "injured": 0, "injured_n": 0}
    lo_s, hi_s = lo.isoformat(), hi.isoformat()
    for u in units:
        if not allowed(u["confidence"], min_confidence):
            continue
        part = _share(u, lo_s, hi_s, rule)
        if part <= 0:
            continue
        whole = part == 1.0  # whole records keep integer counts
        out["killed"] += (u["killed"] or 0) if whole else (u["killed"] or 0) * part
        out["killed_sq"] += (u["killed_sq"] or 0) if whole else (u["killed_sq"] or 0) * part * part
        out["killed_max"] = max(out["killed_max"], (u["killed_max"] or 0) if whole else (u["killed_max"] or 0) * part)
        out["records"] += u["records"]
        out["fatal"] += u["fatal"] or 0
        out["injured"] += u["injured"] or 0
        out["injured_n"] += u["injured_n"]
    return out


def windows(day: dt.date, w: int, since: dt.date, until: dt.date):
    """before = [M - w, M - 1], after = [M, M + w - 1], both clipped to [since, until]
    (a side wholly outside has no days)."""
    back, ahead = min(w, (day - since).days), min(w - 1, (until - day).days)  # clip first: no date overflow
    b_hi = min(day - dt.timedelta(days=1), until)
    return ((day - dt.timedelta(days=back), b_hi), (day, day + dt.timedelta(days=ahead)))


def _days(lo: dt.date, hi: dt.date) -> int:
    return max((hi - lo).days + 1, 0)


def _daily(units: list[dict], lo: dt.date, hi: dt.date, min_confidence: str | None) -> list[float]:
    """Deaths per day in [lo, hi], each record on its start date (as the comparison counts it)."""
    per = [0] * _days(lo, hi)
    for u in units:
        day = _day(u["date"])
        if allowed(u["confidence"], min_confidence) and day and lo <= day <= hi:
            per[(day - lo).days] += u["killed"] or 0
    return per


def _ci(interval: dict) -> dict:
    return interval | {"ci_low": sig_round(interval["ci_low"]), "ci_high": sig_round(interval["ci_high"])}


def figures(before: dict, after: dict, before_days: int, after_days: int) -> dict:
    """Deaths ratio with the exact and the incident-level interval, and the incidents ratio."""
    deaths = rate_ratio(after["killed"], after_days, before["killed"], before_days)
    incidents = rate_ratio(after["records"], after_days, before["records"], before_days)
    clustered = compound_poisson(after["killed"], after["killed_sq"], after["fatal"], after_days,
                                 before["killed"], before["killed_sq"], before["fatal"], before_days)
    return {"deaths": deaths, "incidents": incidents, "clustered": clustered}


def observed_end(until: dt.date, last_record: dt.date | None) -> dt.date:
    """The last day the ledger observes: --until, or the last record's day when that is earlier.
    Days after the last record are not in the ledger at all: unknown, not days without deaths."""
    return min(until, last_record) if last_record else until


def clipped_caveat(day: dt.date, w: int, until: dt.date, end: dt.date) -> str | None:
    """Say so when the after window was cut at the last record rather than at --until."""
    wanted = day + dt.timedelta(days=min(w - 1, (until - day).days))
    if end >= until or wanted <= end:
        return None
    if end < day:
        return (f"window clipped: the milestone falls after the last record ({end.isoformat()}); no day after "
                f"it is in the ledger (unknown, not zero deaths), so there is nothing to compare after it")
    return (f"window clipped: the after window would run to {wanted.isoformat()} but the last record is on "
            f"{end.isoformat()}; days after it are not in the ledger (unknown, not zero deaths), so the "
            f"after window ends there")


def compare(milestone: dict, *, since: dt.date, until: dt.date, window: int | None, units: list[dict],
            min_confidence: str | None = None, last_record: dt.date | None = None) -> dict:
    """Equal windows either side of a milestone; the milestone day itself is the first day *after*.

    w defaults to the days from --since to the milestone; per-day rates use the days each side
    really has after clipping to the range and to the last record (observed_end).
    """
    day = dt.date.fromisoformat(milestone["date"])
    w = window if window is not None else (day - since).days
    end = observed_end(until, last_record)
    (b_lo, b_hi), (a_lo, a_hi) = windows(day, w, since, end)
    sides = {}
    for name, lo, hi in (("before", b_lo, b_hi), ("after", a_lo, a_hi)):
        t, everything = tally(units, lo, hi, min_confidence=min_confidence), tally(units, lo, hi)
        days = _days(lo, hi)
        sides[name] = {
            "start": lo.isoformat(), "end": hi.isoformat(), "days": days, "killed": t["killed"],
            "injured": t["injured"] if t["injured_n"] else None, "injured_reported_in": t["injured_n"],
            "records": t["records"], "incidents": t["records"], "fatal_incidents": t["fatal"],
            "largest_incident": t["killed_max"] if t["records"] else None,
            "killed_per_day": sig_round(t["killed"] / days) if days else None,
            "incidents_per_day": sig_round(t["records"] / days) if days else None,
            "removed_by_confidence": everything["records"] - t["records"],
            "_t": t, "_all": everything,
        }
    before, after = sides["before"], sides["after"]
    f = figures(before["_t"], after["_t"], before["days"], after["days"])
    dispersion = pearson_dispersion(_daily(units, b_lo, b_hi, min_confidence), _daily(units, a_lo, a_hi, min_confidence))
    quasi = quasi_poisson(after["killed"], after["days"], before["killed"], before["days"], dispersion)
    m = day.isoformat()
    # Spans counted in the before window (at their start) that end on or after the milestone:
    # counted at their end, they would move after it. Spans outside both windows are not in the comparison.
    crossing = [u for u in units if allowed(u["confidence"], min_confidence) and b_lo.isoformat() <= u["date"] < m
                and u["end_date"] and u["end_date"] >= m]
    out = {
        "date": milestone["date"], "label": milestone["label"], "window_days": w,
        "before": before, "after": after,
        "change": change(before, after),
        "rate_ratio": sig_round(f["deaths"]["rate_ratio"]),
        "rate_ratio_ci95": [sig_round(f["deaths"]["ci_low"]), sig_round(f["deaths"]["ci_high"])],
        "incident_rate_ratio": {"estimate": sig_round(f["incidents"]["rate_ratio"]),
                                "ci_low": sig_round(f["incidents"]["ci_low"]),
                                "ci_high": sig_round(f["incidents"]["ci_high"])},
        "dispersion": sig_round(dispersion),
        "rate_ratio_clustered": _ci(f["clustered"]),
        "rate_ratio_quasi_poisson": _ci(quasi),
        "straddling": {"records": sum(u["records"] for u in crossing),
                       "killed": sum(u["killed"] or 0 for u in crossing)},
        "min_confidence": min_confidence,
    }
    out["caveats"] = caveats(out, min_confidence)
    clipped = clipped_caveat(day, w, until, end)
    if clipped:
        out["caveats"].append(clipped)
    for side in (before, after):
        del side["_t"], side["_all"]
    return out


def change(before: dict, after: dict) -> dict:
    """Counts compare only over equal windows; otherwise the change is in deaths per day (basis says which)."""
    equal = before["days"] == after["days"]
    diff = after["killed"] - before["killed"]
    rate_b, rate_a = before["killed_per_day"], after["killed_per_day"]
    per_day = sig_round(after["killed"] / after["days"] - before["killed"] / before["days"]) \
        if after["days"] and before["days"] else None
    relative_per_day = (sig_round((after["killed"] / after["days"]) / (before["killed"] / before["days"]) - 1)
                        if rate_b and rate_a is not None else None)
    # Over unequal windows the relative change is of deaths per day: a count change there can
    # have the opposite sign to what happened per day.
    relative = (sig_round(diff / before["killed"]) if before["killed"] else None) if equal else relative_per_day
    return {"killed": diff,
            "relative": relative,
            "killed_per_day": per_day,
            "relative_per_day": relative_per_day,
            "incidents": after["records"] - before["records"],
            "basis": "count" if equal else "per_day"}


def caveats(m: dict, min_confidence: str | None) -> list[str]:
    """Plain sentences, each starting with a fixed tag, for the figures a reader could over-read."""
    out = []
    b, a = m["before"], m["after"]
    if b["days"] != a["days"]:
        out.append(f"unequal windows: before has {b['days']} days, after {a['days']}; compare deaths per day, "
                   f"not counts")
    if m["dispersion"] is not None and m["dispersion"] > DISPERSION_HIGH:
        out.append(f"high dispersion: daily deaths vary {m['dispersion']:.3g} times as much as independent "
                   f"(Poisson) deaths would (over {DISPERSION_HIGH}); deaths come in clusters, so the exact "
                   f"interval is too narrow: read the clustered one")
    for name, side in (("before", b), ("after", a)):
        short = ([f"fewer than {FEW_DEATHS} deaths"] if side["killed"] < FEW_DEATHS else []) + \
            ([f"fewer than {FEW_INCIDENTS} incidents"] if side["records"] < FEW_INCIDENTS else [])
        if short:
            out.append(f"few events: {name} the milestone there {'is' if side['killed'] == 1 else 'are'} "
                       f"{_plural(side['killed'], 'death')} in {_plural(side['records'], 'incident')} "
                       f"({' and '.join(short)}); any ratio is fragile")
    for name, side in (("before", b), ("after", a)):
        if side["killed"] and side["largest_incident"] and side["largest_incident"] > side["killed"] / 2:
            share = ("every death" if side["largest_incident"] == side["killed"] else
                     f"{_num(side['largest_incident'])} of the {_num(side['killed'])} deaths")
            out.append(f"dominant incident: one incident holds {share} {name} the milestone; the comparison "
                       f"mostly reflects that one event")
    if min_confidence:
        shares = []
        for side in (b, a):
            total = side["records"] + side["removed_by_confidence"]
            shares.append(side["removed_by_confidence"] / total if total else 0.0)
        if abs(shares[0] - shares[1]) > LAG_GAP:
            out.append(f"verification lag: --min-confidence {min_confidence} removed "
                       f"{b['removed_by_confidence']} of {b['records'] + b['removed_by_confidence']} records before "
                       f"and {a['removed_by_confidence']} of {a['records'] + a['removed_by_confidence']} after; "
                       f"recent incidents are often not yet confirmed, so the filter can make or hide a change")
    return out


def _plural(n, noun: str) -> str:
    return f"{_num(n)} {noun}{'' if n == 1 else 's'}"


def _num(x) -> str:
    return f"{x:.3g}" if isinstance(x, float) and not x.is_integer() else str(int(x))


SENSITIVITY_WINDOWS = (3, 7, 14)


def sensitivity(milestone: dict, *, since: dt.date, until: dt.date, window: int | None, units: list[dict],
                min_confidence: str | None = None, last_record: dt.date | None = None) -> list[dict]:
    """The deaths ratio with both intervals, changing one choice at a time from the default:
    the window length, where date spans are counted, and the confidence level. Windows are clipped
    as in compare; before_days/after_days say how many days each side really has, and the ratio
    is of deaths per day."""
    day = dt.date.fromisoformat(milestone["date"])
    default = window if window is not None else (day - since).days
    choices = [(default, "start", min_confidence)]
    choices += [(w, "start", min_confidence) for w in SENSITIVITY_WINDOWS if w != default]
    choices += [(default, rule, min_confidence) for rule in SPAN_RULES if rule != "start"]
    choices += [(default, "start", level) for level in (None,) + tuple(CONFIDENCE) if level != min_confidence]
    rows, end = [], observed_end(until, last_record)
    for w, rule, level in choices:
        (b_lo, b_hi), (a_lo, a_hi) = windows(day, w, since, end)
        b_days, a_days = _days(b_lo, b_hi), _days(a_lo, a_hi)
        before, after = tally(units, b_lo, b_hi, rule, level), tally(units, a_lo, a_hi, rule, level)
        f = figures(before, after, b_days, a_days)
        moved = sum(u["records"] for u in units if allowed(u["confidence"], level) and
                    _placement(u, (b_lo, b_hi), (a_lo, a_hi), rule) != _placement(u, (b_lo, b_hi), (a_lo, a_hi)))
        rows.append({
            "date": milestone["date"], "label": milestone["label"], "window": w, "default": len(rows) == 0,
            "span_rule": rule, "min_confidence": level, "before_days": b_days, "after_days": a_days,
            "clipped": {"before": b_days < w, "after": a_days < w},
            "before": _whole(before["killed"]), "after": _whole(after["killed"]),
            "before_incidents": before["records"], "after_incidents": after["records"],
            "rate_ratio": sig_round(f["deaths"]["rate_ratio"]),
            "ci_low": sig_round(f["deaths"]["ci_low"]), "ci_high": sig_round(f["deaths"]["ci_high"]),
            "ci_clustered_low": sig_round(f["clustered"]["ci_low"]),
            "ci_clustered_high": sig_round(f["clustered"]["ci_high"]),
            "clustered_note": f["clustered"]["note"],
            "moved": moved,
            "removed": {"before": tally(units, b_lo, b_hi, rule)["records"] - before["records"],
                        "after": tally(units, a_lo, a_hi, rule)["records"] - after["records"]},
        })
    return rows


def _placement(unit: dict, before: tuple, after: tuple, rule: str = "start") -> tuple[float, float]:
    """How much of a unit falls before and after, under a span rule."""
    return tuple(_share(unit, lo.isoformat(), hi.isoformat(), rule) for lo, hi in (before, after))


def _whole(x: float):
    return int(x) if float(x).is_integer() else sig_round(x)
