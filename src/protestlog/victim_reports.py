"""What victim records add to the summary: counting rules and splits over people.

- `--count-by incident` (default): a death counts on its incident's date, as always.
- `--count-by death`: a victim linked to an incident counts on their own date of death. Their
  incident gives up one death on its date and the victim's death day gains one (same region,
  group, circumstance), so totals, series and milestone windows move together. At most the
  incident's `killed` victims move (contested ones last), so a withdrawn person never adds a death.
- Minors: an incident that gives no minors figure takes it from its linked victims aged under
  18 (or marked minor) — when some are minors, or when every death is a linked victim of known
  age (then 0 is known). The summary says which incidents were completed this way.
- Splits over victims (responsible force, cause, role, sex and age band, named or not) count
  people dated in the range by date of death, else of injury, else their incident's date.
  'unknown' is a category of its own, never folded into zero.
"""

import copy
import json
from collections import Counter

from protestlog.victim_store import current_victims, has_victims_table
from protestlog.victims import age_band, is_minor
from protestlog import vocab

COUNT_BY = ("incident", "death")


class VictimFilters:
    def __init__(self, since=None, until=None, region=None, role=None, responsible=None, unnamed=False,
                 minors=False, unlinked=False, incident=None):
        self.since, self.until, self.region, self.role, self.responsible = since, until, region, role, responsible
        self.unnamed, self.minors, self.unlinked, self.incident = unnamed, minors, unlinked, incident

    @classmethod
    def parse(cls, *, region=None, role=None, responsible=None, **rest) -> "VictimFilters":
        from protestlog.regions import canonical_region
        from protestlog.victims import RESPONSIBLE, ROLES

        return cls(region=canonical_region(region) if region else None,
                   role=vocab.choose("role", role, ROLES) if role else None,
                   responsible=vocab.choose("responsible", responsible, RESPONSIBLE) if responsible else None, **rest)

    def keep(self, v: dict) -> bool:
        day = victim_day(v)
        if self.since and (day is None or day < self.since.isoformat()):
            return False
        if self.until and (day is None or day > self.until.isoformat()):
            return False
        return ((self.region is None or v.get("region") == self.region)
                and (self.role is None or v["role"] == self.role)
                and (self.responsible is None or v["responsible"] == self.responsible)
                and (not self.unnamed or not v.get("name"))
                and (not self.minors or is_minor(v) is True)
                and (not self.unlinked or v.get("incident_id") is None)
                and (self.incident is None or v.get("incident_id") == self.incident))


def victim_day(v: dict) -> str | None:
    """The day a victim counts on in lists and splits: death, else injury, else the incident."""
    return v.get("date_of_death") or v.get("date_injured") or v.get("incident_date")


def filtered_victims(ledger, filters: VictimFilters, *, as_of=None) -> list[dict]:
    return [v for v in current_victims(ledger, as_of=as_of) if filters.keep(v)]


def _incidents(ledger, filters, as_of, wanted: list[int]) -> dict[int, dict]:
    """Those of the `wanted` current incidents (the ones victims link to) that pass every filter but
    the date bounds and confidence, by record id. Only they are read: a million-record ledger with
    73 linked incidents reads 73 rows here, not a million.

    Confidence is checked per use: the milestone comparison filters its units itself.
    """
    if not wanted:
        return {}
    undated = copy.copy(filters)
    undated.since = undated.until = undated.min_confidence = None
    base, params = ledger.current_sql(ledger.cut(as_of))
    where, fparams = undated.where()
    where = (where + " AND" if where else " WHERE") + " record_id IN (SELECT value FROM json_each(?))"
    sql = (f"SELECT record_id, date, end_date, region, \"group\" AS grp, circumstance, responsible, confidence, "
           f"killed, minors FROM ({base}){where}")
    return {r["record_id"]: dict(r) for r in ledger.db.execute(sql, params + fparams + [json.dumps(wanted)])}


def _adjustment(incident: dict, date: str, *, killed: int = 0, minors: int | None = None) -> dict:
    """A row shaped like one of summary()'s groups that shifts a death or supplies a minors figure."""
    return {"date": date, "end_date": None if date != incident["date"] else incident["end_date"],
            "region": incident["region"], "grp": incident["grp"], "circumstance": incident["circumstance"],
            "responsible": incident["responsible"], "records": 0, "killed": killed, "killed_low": killed,
            "killed_high": killed, "injured": None, "injured_low": None, "injured_high": None, "detained": None,
            "minors": minors, "injured_n": 0, "detained_n": 0, "minors_n": 1 if minors is not None else 0,
            "killed_ranged": 0, "injured_ranged": 0, "sources": 0, "unsourced": 0}


def _unit(date: str, end_date, confidence: str, *, killed: int, killed_sq: int, fatal: int) -> dict:
    """A row shaped like comparison.units_from()'s: the milestone windows see deaths moved too."""
    return {"date": date, "end_date": end_date, "confidence": confidence, "records": 0, "fatal": fatal,
            "killed": killed, "killed_sq": killed_sq, "killed_max": max(killed, 0), "injured": None, "injured_n": 0}


def _moved(people: list[dict], incident: dict) -> list[dict]:
    """The linked victims counted on their own date of death: at most `killed`, contested ones last."""
    ordered = sorted((v for v in people if v["date_of_death"]),
                     key=lambda v: (v["confidence"] == "contested", v["victim_id"]))
    return [v for v in ordered[: incident["killed"]] if v["date_of_death"] != incident["date"]]


def summary_adjustments(ledger, filters, *, since, until, count_by: str,
                        as_of=None) -> tuple[list[dict], list[dict], dict]:
    """Rows to add to summary()'s groups and to the comparison's units, and keys saying what and why."""
    from protestlog.comparison import allowed

    if count_by not in COUNT_BY:
        raise ValueError(count_by)
    keys = {"count_by": count_by}
    if not has_victims_table(ledger.db):
        return [], [], keys | {"moved_by_date_of_death": None, "minors_from_victims": None, "victims": None}
    lo, hi = since.isoformat(), until.isoformat()
    victims = current_victims(ledger, as_of=as_of)
    incidents = _incidents(ledger, filters, as_of, sorted({v["incident_id"] for v in victims
                                                           if v["incident_id"] is not None}))
    linked: dict[int, list[dict]] = {}
    for v in victims:
        if v["incident_id"] in incidents:
            linked.setdefault(v["incident_id"], []).append(v)
    extra: list[dict] = []
    units: list[dict] = []
    moved = {"victims": 0, "into_range": 0, "out_of_range": 0}
    completed = {"records": [], "minors": 0}
    for record_id, people in sorted(linked.items()):
        incident = incidents[record_id]
        counted_here = allowed(incident["confidence"], filters.min_confidence)
        in_range = lo <= incident["date"] <= hi
        if incident["minors"] is None and in_range and counted_here:
            minors = [v for v in people if is_minor(v) is True]
            counted = [v for v in people if v["confidence"] != "contested"]
            all_known = len(counted) >= incident["killed"] and all(is_minor(v) is not None for v in counted)
            if minors or all_known:
                n = min(len(minors), incident["killed"])
                extra.append(_adjustment(incident, incident["date"], minors=n))
                completed["records"].append(record_id)
                completed["minors"] += n
        if count_by != "death":
            continue
        shifted = _moved(people, incident)
        if shifted:
            k, m = incident["killed"], len(shifted)
            units.append(_unit(incident["date"], incident["end_date"], incident["confidence"], killed=-m,
                               killed_sq=(k - m) ** 2 - k * k, fatal=-1 if m == k else 0))
        for v in shifted:
            units.append(_unit(v["date_of_death"], None, incident["confidence"], killed=1, killed_sq=1, fatal=1))
            if not counted_here:
                continue
            moved["victims"] += 1
            died_in_range = lo <= v["date_of_death"] <= hi
            if in_range:
                extra.append(_adjustment(incident, incident["date"], killed=-1))
            if died_in_range:
                extra.append(_adjustment(incident, v["date_of_death"], killed=1))
            moved["out_of_range"] += in_range and not died_in_range
            moved["into_range"] += died_in_range and not in_range
    keys["moved_by_date_of_death"] = moved if count_by == "death" else None
    keys["minors_from_victims"] = completed
    region = getattr(filters, "region", None)
    narrowed = bool(getattr(filters, "group", None) or getattr(filters, "circumstance", None)
                    or getattr(filters, "min_confidence", None))
    in_scope = [v for v in victims
                if ((v["incident_id"] in incidents and allowed(incidents[v["incident_id"]]["confidence"],
                                                              filters.min_confidence))
                    or (v["incident_id"] is None and not narrowed))
                and (region is None or v.get("region") == region)
                and victim_day(v) is not None and lo <= victim_day(v) <= hi]
    keys["victims"] = victim_splits(in_scope)
    return extra, units, keys


def _split(counter: Counter, order=()) -> list[dict]:
    rank = {name: i for i, name in enumerate(order)}
    return [{"name": k, "victims": n} for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], rank.get(kv[0], 99),
                                                                                        kv[0]))]


def victim_splits(victims: list[dict]) -> dict:
    """Counts of people by responsible force, cause, role, sex, age band, named or not."""
    named = sum(1 for v in victims if v.get("name"))
    minors = Counter(is_minor(v) for v in victims)
    return {
        "records": len(victims),
        "linked": sum(1 for v in victims if v.get("incident_id") is not None),
        "unlinked": sum(1 for v in victims if v.get("incident_id") is None),
        "named": named, "unnamed": len(victims) - named,
        "minors": minors[True], "adults": minors[False], "age_unknown": minors[None],
        "contested": sum(1 for v in victims if v["confidence"] == "contested"),
        "by_responsible": _split(Counter(v["responsible"] for v in victims)),
        "by_cause": _split(Counter(v["cause"] for v in victims)),
        "by_role": _split(Counter(v["role"] for v in victims)),
        "by_direct": _split(Counter(v["direct"] for v in victims)),
        "by_sex": _split(Counter(v["sex"] for v in victims)),
        "by_age_band": _split(Counter(age_band(v) for v in victims)),
        "by_sex_and_age_band": [{"sex": s, "age_band": b, "victims": n} for (s, b), n in
                                sorted(Counter((v["sex"], age_band(v)) for v in victims).items())],
    }
