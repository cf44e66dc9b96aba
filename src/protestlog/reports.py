"""Questions people ask of the ledger: the register with running totals, and the summary.

Everything is aggregated in SQL over the current revisions, so memory does not grow
with the number of records. Date bounds are inclusive at both ends everywhere.
"""

import datetime as dt
import json
from itertools import chain

from protestlog import comparison
from protestlog.ledger import Ledger
from protestlog.records import FIELDS
from protestlog.vocab import CONFIDENCE


# What each split (by group, circumstance, region) adds up; the unknown stays out of the sums.
SPLIT_SUMS = ("records", "killed", "killed_low", "killed_high", "minors", "injured", "detained")
SPLIT_GIVEN = ("minors_n", "injured_n", "detained_n")  # how many records give each optional figure


class Filters:
    """The record filters shared by list, summary and export. Bounds are inclusive."""

    def __init__(self, since=None, until=None, region=None, group=None, circumstance=None,
                 min_confidence=None, unsourced=False, batch=None):
        self.since, self.until = since, until
        self.region, self.group, self.circumstance = region, group, circumstance
        self.min_confidence, self.unsourced, self.batch = min_confidence, unsourced, batch

    def where(self) -> tuple[str, list]:
        clauses, params = [], []
        for column, value, op in (("date", self.since, ">="), ("date", self.until, "<="),
                                  ("region", self.region, "="), ('"group"', self.group, "="),
                                  ("circumstance", self.circumstance, "=")):
            if value is not None:
                clauses.append(f"{column} {op} ?")
                params.append(value.isoformat() if isinstance(value, dt.date) else value)
        if self.min_confidence:
            allowed = CONFIDENCE[: CONFIDENCE.index(self.min_confidence) + 1]
            clauses.append(f"confidence IN ({', '.join('?' for _ in allowed)})")
            params.extend(allowed)
        if self.unsourced:
            clauses.append("json_array_length(sources) = 0")
        if self.batch is not None:  # records an import batch created (indexed by batch_id)
            clauses.append("record_id IN (SELECT record_id FROM entries WHERE batch_id = ?)")
            params.append(self.batch)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


# The register's columns in the order its rows carry them (public_record's order, then the extras).
REGISTER_KEYS = ("id", "revision") + FIELDS + ("recorded_at", "recorded_by")
_REGISTER_SELECT = ", ".join(["record_id", "revision"] + [f'"{f}"' for f in FIELDS] + ["recorded_at", "recorded_by"])


def register(ledger: Ledger, filters: Filters, *, as_of: str | None = None):
    """Current records in date order with running totals of killed and injured, from the first row shown.

    Streams: only the columns shown are read, as plain tuples, and the running totals are added
    up here rather than by a window function (a third of the query's time at a million rows).
    """
    base, params = ledger.current_sql(ledger.cut(as_of))
    where, fparams = filters.where()
    sql = f"SELECT {_REGISTER_SELECT} FROM ({base}){where} ORDER BY date, record_id"
    victims = victims_per_incident(ledger, as_of)
    cursor = ledger.db.cursor()
    cursor.row_factory = None  # tuples: a Row per record costs more than the dict built from it
    keys, loads = REGISTER_KEYS, json.loads
    killed = 0
    injured = None  # unknown until a record gives a figure, not 0
    for row in cursor.execute(sql, params + fparams):
        out = dict(zip(keys, row))
        sources = out["sources"] = loads(out["sources"])
        killed += out["killed"]
        if out["injured"] is not None:
            injured = out["injured"] + (injured or 0)
        out["sources_count"], out["victims"] = len(sources), victims.get(out["id"], 0)
        out["running_killed"], out["running_injured"] = killed, injured
        yield out


COMPUTED = ("running_killed", "running_injured", "victims")  # added while streaming, after the stored columns


def register_tuples(ledger: Ledger, filters: Filters, columns: list[str], *, as_of: str | None = None):
    """The register as tuples in `columns` order (the COMPUTED ones last), `sources` as the JSON text
    the ledger stores: what a CSV writer takes as it is, with no object built per record."""
    stored = [c for c in columns if c not in COMPUTED]
    tail = list(columns[len(stored):])
    assert set(tail) <= set(COMPUTED), "running totals and victims come last"
    pick = [COMPUTED.index(c) for c in tail]
    expression = {"id": "record_id", "sources_count": "json_array_length(sources)"}
    select = ", ".join([expression.get(c, f'"{c}"') for c in stored] + ["killed", "injured", "record_id"])
    base, params = ledger.current_sql(ledger.cut(as_of))
    where, fparams = filters.where()
    victims = victims_per_incident(ledger, as_of) if "victims" in tail else {}
    cursor = ledger.db.cursor()
    cursor.row_factory = None
    killed, injured, width = 0, None, len(stored)
    for row in cursor.execute(f"SELECT {select} FROM ({base}){where} ORDER BY date, record_id", params + fparams):
        killed += row[width]
        if row[width + 1] is not None:
            injured = row[width + 1] + (injured or 0)
        computed = (killed, injured, victims.get(row[width + 2], 0))
        yield row[:width] + tuple([computed[i] for i in pick])


def victims_per_incident(ledger: Ledger, as_of: str | None = None) -> dict[int, int]:
    """How many current victim records each incident has linked (victim lists are small)."""
    from protestlog.victim_store import current_victims_sql, has_victims_table, victim_cut

    if not has_victims_table(ledger.db):
        return {}
    base, params = current_victims_sql(victim_cut(ledger, as_of))
    return dict(ledger.db.execute(f"SELECT incident_id, COUNT(*) FROM ({base}) WHERE incident_id IS NOT NULL "
                                  f"GROUP BY incident_id", params).fetchall())


def _period_start(day: dt.date, by: str) -> dt.date:
    if by == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    if by == "month":
        return day.replace(day=1)
    return day


def _next_period(start: dt.date, by: str) -> dt.date:
    if by == "week":
        return start + dt.timedelta(days=7)
    if by == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


def summary(ledger: Ledger, *, since: dt.date, until: dt.date, by: str = "day", window: int | None = None,
            filters: Filters | None = None, as_of: str | None = None, sensitivity: bool = False,
            count_by: str = "incident") -> dict:
    """Totals, splits, a series with running totals, and before/after comparisons around milestones.

    One aggregate query reads the records once, grouped by day, span end, region, victim group
    and circumstance; everything else is added up from those few groups in Python, so time is
    one pass and memory does not grow with the number of records.
    """
    filters = filters or Filters()
    # An --until the user gave vouches for the days up to it, as --since does; the default (today)
    # does not, so the comparison's windows then stop at the last record.
    until_given = filters.until is not None
    filters.since, filters.until = since, until
    cut = ledger.cut(as_of)
    base, params = ledger.current_sql(cut)
    scanned = _scan(ledger, cut, filters)
    # The confidence filter applies here, not in SQL, so the same read also serves the milestone
    # comparison's view of what that filter removed (comparison.units_from).
    groups = [g for g in scanned if comparison.allowed(g["confidence"], filters.min_confidence)]
    # Citations count a source once per record; distinct sources count each outlet or document once.
    cited = set(chain.from_iterable(json.loads(f"[{g['source_keys']}]") for g in groups if g["source_keys"]))
    cited.discard(None)
    # Victim records: deaths moved to their dates of death (count_by='death'), minors from ages.
    from protestlog.victim_reports import summary_adjustments

    shifted, shifted_units, victim_keys = summary_adjustments(ledger, filters, since=since, until=until, count_by=count_by,
                                               as_of=as_of)
    groups += shifted

    def add(rows, key):
        return sum(r[key] or 0 for r in rows)

    totals = {"records": add(groups, "records"), "killed": add(groups, "killed"), "injured": add(groups, "injured"),
              "detained": add(groups, "detained"), "minors_killed": add(groups, "minors"),
              "sources": add(groups, "sources"), "unsourced_records": add(groups, "unsourced")}
    totals["distinct_sources"] = len(cited)
    # Unknown is not zero: say how many records gave each optional figure at all, and when none did
    # the figure is null.
    for field, key, total in (("injured", "injured_n", "injured"), ("detained", "detained_n", "detained"),
                              ("minors", "minors_n", "minors_killed")):
        totals[f"{field}_reported_in"] = add(groups, key)
        if not totals[f"{field}_reported_in"]:
            totals[total] = None
    # A range is reported only where some record carries one; otherwise low = best = high says nothing.
    totals["killed_range"] = ([add(groups, "killed_low"), add(groups, "killed_high")]
                              if add(groups, "killed_ranged") else None)
    totals["injured_range"] = ([add(groups, "injured_low"), add(groups, "injured_high")]
                               if add(groups, "injured_ranged") else None)

    def split(key: str) -> list[dict]:
        out: dict = {}
        for r in groups:
            name = r[key] if r[key] is not None else "not stated"
            acc = out.setdefault(name, {"name": name} | dict.fromkeys(SPLIT_SUMS + SPLIT_GIVEN, 0))
            for k in SPLIT_SUMS + SPLIT_GIVEN:
                acc[k] += r[k] or 0
        for acc in out.values():  # a figure no record in the split gives is unknown (null), not 0
            for given in SPLIT_GIVEN:
                acc[f"{given[:-2]}_reported_in"] = acc.pop(given)
                if not acc[f"{given[:-2]}_reported_in"]:
                    acc[given[:-2]] = None
        return sorted(out.values(), key=lambda x: (-x["killed"], x["name"]))

    daily: dict[str, list[int]] = {}
    for r in groups:
        day = daily.setdefault(r["date"], [0, 0, 0, 0, 0, 0])
        day[0] += r["killed"] or 0
        day[1] += r["injured"] or 0
        day[2] += r["records"]
        day[3] += r["detained"] or 0
        day[4] += r["injured_n"]
        day[5] += r["detained_n"]

    series = list(_series(daily, since, until, by))
    all_milestones = ledger.milestones(as_of)
    in_range = [m for m in all_milestones if since < dt.date.fromisoformat(m["date"]) <= until]
    units = comparison.units_from(scanned) + shifted_units if in_range else []
    last_day = _last_record_day(ledger, base, params) if in_range and not until_given else None
    milestones = [comparison.compare(m, since=since, until=until, window=window, units=units,
                                     min_confidence=filters.min_confidence, last_record=last_day) for m in in_range]
    last = ledger.last_entry()
    extra = {}
    if sensitivity:
        extra["sensitivity"] = [row for m in in_range for row in comparison.sensitivity(
            m, since=since, until=until, window=window, units=units, min_confidence=filters.min_confidence,
            last_record=last_day)]
    return {
        "range": {"since": since.isoformat(), "until": until.isoformat(), "inclusive": True, "by": by},
        "as_of": as_of,
        "ledger": {"entries": cut if cut is not None else (last["seq"] if last else 0),
                   "head_hash": ledger.head_at(as_of)},
        "totals": totals,
        "by_group": split("grp"),
        "by_circumstance": split("circumstance"),
        "by_region": split("region"),
        "series": series,
        "milestones": milestones,
        "milestones_not_compared": not_compared(all_milestones, since, until),
    } | extra | {"by_responsible": split("responsible")} | victim_keys


def not_compared(milestones: list[dict], since: dt.date, until: dt.date) -> list[dict]:
    """Milestones the range leaves no before (or no after) for, with why, so none vanishes silently."""
    out = []
    for m in milestones:
        day = dt.date.fromisoformat(m["date"])
        if since < day <= until:
            continue
        if day <= since:
            side, reason = "before", "no days before it in the range; an earlier --since compares it"
        else:
            side, reason = "after", "after the end of the range; a later --until compares it"
        out.append({"date": m["date"], "label": m["label"], "side": side, "reason": reason})
    return out


def _last_record_day(ledger: Ledger, base: str, params) -> dt.date | None:
    """The last day any record in the ledger (as of the cut, whatever the filters) covers: the
    comparison's windows stop there, since later days are not observed."""
    row = ledger.db.execute(f"SELECT MAX(COALESCE(end_date, date)) FROM ({base})", params).fetchone()
    try:
        return dt.date.fromisoformat(row[0]) if row and row[0] else None
    except ValueError:
        return None


# The keys a record's sources count under in `distinct_sources` (a URL, else a name), as JSON values
# joined by commas: a lone source is read directly, more than one through json_each.
_SOURCE_KEY = "COALESCE(json_extract({0}, '{1}.url'), json_extract({0}, '{1}.name'))"
_SOURCE_KEYS = ("CASE json_array_length(sources) WHEN 0 THEN NULL "
                f"WHEN 1 THEN json_quote({_SOURCE_KEY.format('sources', '$[0]')}) "
                f"ELSE (SELECT group_concat(json_quote({_SOURCE_KEY.format('value', '$')})) FROM json_each(sources)) END")

_SCAN_SELECT = ", ".join([
    'date, end_date, region, "group" AS grp, circumstance, responsible, confidence',
    "COUNT(*) AS records", "SUM(killed) AS killed", "SUM(COALESCE(killed_low, killed)) AS killed_low",
    "SUM(COALESCE(killed_high, killed)) AS killed_high", "SUM(injured) AS injured",
    "SUM(COALESCE(injured_low, injured)) AS injured_low", "SUM(COALESCE(injured_high, injured)) AS injured_high",
    "SUM(detained) AS detained", "SUM(minors) AS minors",
    "COUNT(injured) AS injured_n", "COUNT(detained) AS detained_n", "COUNT(minors) AS minors_n",
    "SUM(killed_low IS NOT NULL OR killed_high IS NOT NULL) AS killed_ranged",
    "SUM(injured_low IS NOT NULL OR injured_high IS NOT NULL) AS injured_ranged",
    "SUM(killed > 0) AS fatal", "SUM(killed * killed) AS killed_sq", "MAX(killed) AS killed_max",
    "SUM(json_array_length(sources)) AS sources", "SUM(json_array_length(sources) = 0) AS unsourced",
    f"group_concat({_SOURCE_KEYS}) AS source_keys",
])


def _scan(ledger: Ledger, cut: int | None, filters: Filters) -> list[dict]:
    """Every figure the summary needs, in one read of the records in scope: grouped by day, span
    end, region, victim group, circumstance, responsible force and confidence, with the keys of
    the sources each group cites (`source_keys`, JSON values joined by commas, repeats kept).

    The confidence filter is left to the caller, which needs both sides of it. One read instead of
    three (groups, distinct sources, milestone units) is what keeps summary near one plain
    aggregate query; when the dates hold most entries it reads the table in order rather than
    through the date index, which would fetch each row from a random page.
    """
    unfiltered = Filters(since=filters.since, until=filters.until, region=filters.region, group=filters.group,
                         circumstance=filters.circumstance, unsourced=filters.unsourced, batch=filters.batch)
    base, params = ledger.current_sql(cut, full_scan=_most_entries(ledger, filters.since, filters.until))
    where, fparams = unfiltered.where()
    sql = (f"SELECT {_SCAN_SELECT} FROM ({base}){where} "
           f'GROUP BY date, end_date, region, "group", circumstance, responsible, confidence')
    return [dict(row) for row in ledger.db.execute(sql, params + fparams)]


def _most_entries(ledger: Ledger, since: dt.date | None, until: dt.date | None) -> bool:
    """Whether more than a fifth of all entries are dated since..until: then one pass over the table
    costs less than reading them through the date index. Counted in the index, unless the range
    covers every entry's date (both ends of the index)."""
    (total,) = ledger.db.execute("SELECT MAX(seq) FROM entries").fetchone()
    if not total or since is None or until is None:
        return True
    lo, hi = since.isoformat(), until.isoformat()
    first, last = [ledger.db.execute(f"SELECT {end}(date) FROM entries").fetchone()[0] for end in ("MIN", "MAX")]
    if lo <= first and last <= hi:
        return True
    (dated,) = ledger.db.execute("SELECT COUNT(*) FROM entries WHERE date BETWEEN ? AND ?", (lo, hi)).fetchone()
    return dated * 5 > total


def _series(daily: dict, since: dt.date, until: dt.date, by: str):
    """One row per calendar period with its days inside the range (clipped_start..clipped_end).

    injured and detained are null in a period where no record gives them, and their running
    totals stay null until some record has; killed is required on every record, so 0 is known.
    """
    running = [0, None, None]
    start = _period_start(since, by)
    while start <= until:
        end = _next_period(start, by) - dt.timedelta(days=1)
        first, last = max(start, since), min(end, until)
        killed = injured = detained = injured_n = detained_n = records = 0
        day = first
        while day <= last:
            k, i, n, d, i_n, d_n = daily.get(day.isoformat(), (0, 0, 0, 0, 0, 0))
            killed, injured, detained, records = killed + k, injured + i, detained + d, records + n
            injured_n, detained_n = injured_n + i_n, detained_n + d_n
            day += dt.timedelta(days=1)
        running[0] += killed
        if injured_n:
            running[1] = (running[1] or 0) + injured
        if detained_n:
            running[2] = (running[2] or 0) + detained
        yield {"start": start.isoformat(), "end": end.isoformat(), "killed": killed,
               "cumulative_killed": running[0], "injured": injured if injured_n else None,
               "cumulative_injured": running[1], "detained": detained if detained_n else None,
               "cumulative_detained": running[2], "clipped_start": first.isoformat(),
               "clipped_end": last.isoformat(), "days": (last - first).days + 1, "records": records,
               "injured_reported_in": injured_n, "detained_reported_in": detained_n}
        start = _next_period(start, by)


RECORD_COLUMNS = ("id",) + FIELDS
