"""Likely duplicates: the same deaths reported twice by different outlets.

Two current records are compared only when they are in the same region and at most one
day apart (an index lookup, not a scan of all pairs). The score adds evidence:

    same day +0.4, or one day apart +0.2
    same place +0.3; one place name inside the other +0.2; two different places -0.2;
      no place match but the same province +0.1
    same number killed +0.25, or overlapping low-high ranges +0.1
    same victim group +0.05

A pair scoring at least the threshold (default 0.75) is listed for a person to decide;
protestlog never merges or retracts on its own.
"""

from protestlog.ledger import Ledger
from protestlog.regions import fold

DEFAULT_THRESHOLD = 0.75


def _score(a, b) -> float:
    score = 0.4 if a["date"] == b["date"] else 0.2
    place_a, place_b = fold(a["place"] or ""), fold(b["place"] or "")
    if place_a and place_b:
        if place_a == place_b:
            score += 0.3
        elif place_a in place_b or place_b in place_a:
            score += 0.2
        else:
            score -= 0.2
    if not (place_a and place_b and (place_a in place_b or place_b in place_a)):
        if a["province"] and b["province"] and fold(a["province"]) == fold(b["province"]):
            score += 0.1
    if a["killed"] == b["killed"]:
        score += 0.25
    elif _lo(a) <= _hi(b) and _lo(b) <= _hi(a):
        score += 0.1
    if a["group"] == b["group"]:
        score += 0.05
    return round(max(min(score, 1.0), 0.0), 2)


def _lo(r) -> int:
    return r["killed_low"] if r["killed_low"] is not None else r["killed"]


def _hi(r) -> int:
    return r["killed_high"] if r["killed_high"] is not None else r["killed"]


def likely_duplicates(ledger: Ledger, *, threshold: float = DEFAULT_THRESHOLD, newer_than_seq: int | None = None,
                      as_of: str | None = None) -> list[dict]:
    """Pairs of current records that probably describe the same deaths, best first.

    With `newer_than_seq`, only pairs in which one record was written after that entry
    (what an import just added) are returned.
    """
    cut = ledger.cut(as_of)
    bound = " AND n.seq <= ?" if cut is not None else ""
    superseded = ("SELECT p.seq FROM entries n JOIN entries p ON p.record_id = n.record_id "
                  f"AND p.revision = n.revision - 1 WHERE n.revision > 1{bound}")
    live = "{t}.action != 'retract' AND {t}.seq NOT IN (" + superseded + ")" + (" AND {t}.seq <= ?" if cut else "")
    # Each record `a` looks up its neighbours `b` through the date index (three days, same region),
    # so the work grows with the records examined times a region-day's records, not with all pairs.
    if newer_than_seq is None:  # every pair once
        outer, order, newer = "", "b.record_id > a.record_id", []
    else:  # pairs with at least one new record, once: `a` is new, `b` old or a later new one
        outer, order, newer = " AND a.seq > ?", "(b.seq <= ? OR b.record_id > a.record_id)", [newer_than_seq]
    sql = ("SELECT a.record_id AS a_id, b.record_id AS b_id, "
           + ", ".join(f'a."{c}" AS a_{c}, b."{c}" AS b_{c}' for c in
                       ("date", "region", "province", "place", "killed", "killed_low", "killed_high", "group"))
           + " FROM entries a JOIN entries b ON b.date BETWEEN date(a.date, '-1 day') AND date(a.date, '+1 day') "
             f"AND b.region = a.region AND b.record_id != a.record_id AND {order} "
             f"WHERE {live.format(t='a')}{outer} AND {live.format(t='b')}")
    cut_args = ([cut] if cut is not None else []) * 2  # NOT IN's bound, then the seq bound
    args = newer + cut_args + newer + cut_args  # in the order the placeholders appear
    pairs = []
    for row in ledger.db.execute(sql, args):
        side = {p: {k: row[f"{p}_{k}"] for k in ("date", "region", "province", "place", "killed", "killed_low",
                                                  "killed_high")} | {"group": row[f"{p}_group"]}
                for p in ("a", "b")}
        score = _score(side["a"], side["b"])
        if score >= threshold:
            pairs.append({"a": row["a_id"], "b": row["b_id"], "score": score, "region": side["a"]["region"],
                          "a_date": side["a"]["date"], "b_date": side["b"]["date"],
                          "a_killed": side["a"]["killed"], "b_killed": side["b"]["killed"],
                          "a_place": side["a"]["place"], "b_place": side["b"]["place"]})
    pairs.sort(key=lambda p: (-p["score"], p["a"], p["b"]))
    return pairs
