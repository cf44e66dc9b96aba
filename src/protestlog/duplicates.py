"""Likely duplicates: the same deaths reported twice by different outlets.

Two current records are compared only when they are in the same region and at most one
day apart. The score adds evidence:

    same day +0.4, or one day apart +0.2
    same place +0.3; one place name inside the other +0.2; two different places -0.2;
      no place match but the same province +0.1
    same number killed +0.25, or overlapping low-high ranges +0.1
    same victim group +0.05

A pair scoring at least the threshold (default 0.75) is listed for a person to decide;
protestlog never merges or retracts on its own.

How it scales: the records to compare are copied once into a temporary table (place and
province folded for comparison) indexed by region and day, so each record meets only the
records of its block (its region, the day before, the day itself and the day after), and
SQLite scores the pairs. Work grows with records times block size, not with all pairs. A
region-day holding more than BLOCK_CAP records (a bulk feed, not one day's reporting) would
make its blocks quadratic: there, only records that name the same place are compared, and
the result says which region-days were capped.
"""

import math
from functools import lru_cache

from protestlog.ledger import Ledger
from protestlog.regions import fold

DEFAULT_THRESHOLD = 0.75
BLOCK_CAP = 100  # records in one region-day beyond which only same-place pairs are compared

# The score in hundredths, so it is exact: same day 40 / next day 20; place equal 30, one inside
# the other 20, different -20; province +10 when the places did not match; killed equal 25, or
# ranges overlapping 10; group equal 5; clamped to 0..100.
SCORE_SQL = """
  (CASE WHEN a.day = b.day THEN 40 ELSE 20 END)
+ (CASE WHEN a.place_key = '' OR b.place_key = '' THEN 0
        WHEN a.place_key = b.place_key THEN 30
        WHEN instr(a.place_key, b.place_key) OR instr(b.place_key, a.place_key) THEN 20 ELSE -20 END)
+ (CASE WHEN a.place_key != '' AND b.place_key != ''
             AND (instr(a.place_key, b.place_key) OR instr(b.place_key, a.place_key)) THEN 0
        WHEN a.province_key != '' AND a.province_key = b.province_key THEN 10 ELSE 0 END)
+ (CASE WHEN a.killed = b.killed THEN 25 WHEN a.lo <= b.hi AND b.lo <= a.hi THEN 10 ELSE 0 END)
+ (CASE WHEN a.grp = b.grp THEN 5 ELSE 0 END)"""

# An upper bound of SCORE_SQL from cheap comparisons (place matched 30, else at most 20 with a province;
# killed ranges overlapping at most 25, else 0; group at most 5), tested first so most pairs of a
# crowded block are dismissed without the string work of the full score.
BOUND_SQL = """
  (CASE WHEN a.day = b.day THEN 40 ELSE 20 END)
+ (CASE WHEN a.place_key = b.place_key AND a.place_key != '' THEN 30 ELSE 20 END)
+ (CASE WHEN a.lo <= b.hi AND b.lo <= a.hi THEN 25 ELSE 0 END) + 5"""
# A pair a day apart that does not name the same place scores at most 20 + 20 + 25 + 5: above that
# threshold, such pairs are looked up by place rather than by day.
APART_WITHOUT_PLACE = 70

COLUMNS = ("record_id INTEGER PRIMARY KEY, seq INTEGER, region TEXT, day INTEGER, date TEXT, place TEXT, "
           "place_key TEXT, province_key TEXT, killed INTEGER, lo INTEGER, hi INTEGER, grp TEXT, "
           "new INTEGER, capped INTEGER NOT NULL DEFAULT 0")


@lru_cache(maxsize=65536)
def _key(text: str | None) -> str:
    """Folded place or province ('' for none); cached, since a ledger names few places many times."""
    return fold(text) if text else ""


def likely_duplicates(ledger: Ledger, *, threshold: float = DEFAULT_THRESHOLD, newer_than_seq: int | None = None,
                      as_of: str | None = None) -> list[dict]:
    """Pairs of current records that probably describe the same deaths, best first (see `scan`)."""
    return scan(ledger, threshold=threshold, newer_than_seq=newer_than_seq, as_of=as_of)["pairs"]


def scan(ledger: Ledger, *, threshold: float = DEFAULT_THRESHOLD, newer_than_seq: int | None = None,
         as_of: str | None = None, cap: int = BLOCK_CAP) -> dict:
    """{"pairs": [...best first], "capped": [{"region", "date", "records"}]}.

    With `newer_than_seq`, only pairs in which one record was written after that entry (what an
    import just added) are returned, and only the records near those are read.
    """
    db = ledger.db
    db.create_function("protestlog_key", 1, _key, deterministic=True)
    db.execute("DROP TABLE IF EXISTS temp.dup_records")
    db.execute(f"CREATE TEMP TABLE dup_records ({COLUMNS})")
    try:
        _fill(ledger, newer_than_seq, as_of)
        db.execute("CREATE INDEX temp.dup_block ON dup_records (region, capped, day)")
        db.execute("CREATE INDEX temp.dup_place ON dup_records (region, place_key, day) WHERE place_key != ''")
        capped = [{"region": r[0], "date": r[1], "records": r[2]} for r in db.execute(
            "SELECT region, date, COUNT(*) FROM temp.dup_records GROUP BY region, day HAVING COUNT(*) > ? "
            "ORDER BY region, day", (cap,))]
        if capped:
            db.execute("UPDATE temp.dup_records SET capped = 1 WHERE (region, day) IN (SELECT region, day FROM "
                       "temp.dup_records GROUP BY region, day HAVING COUNT(*) > ?)", (cap,))
        at_least = math.ceil(threshold * 100 - 1e-9)
        sql = _pairs_sql(newer_than_seq is not None, bool(capped), at_least)
        pairs = [_pair(row) for row in db.execute(sql, {"at_least": at_least})]
    finally:
        db.execute("DROP TABLE IF EXISTS temp.dup_records")
    pairs.sort(key=lambda p: (-p["score"], p["a"], p["b"]))
    return {"pairs": pairs, "capped": capped}


def _fill(ledger: Ledger, newer_than_seq: int | None, as_of: str | None):
    """Copy the current records to compare into the temporary table, with their comparison keys."""
    cut = ledger.cut(as_of)
    base, params = ledger.current_sql(cut)
    near, near_params = "", []
    if newer_than_seq is not None:
        # Only records within a day of a new record's day can pair with it: read those days through
        # the date index instead of the whole ledger.
        near = (" WHERE date IN (SELECT DISTINCT date(n.date, d.shift) FROM entries AS n, "
                "(SELECT '-1 day' AS shift UNION ALL SELECT '+0 days' UNION ALL SELECT '+1 day') AS d "
                "WHERE n.seq > ?)")
        near_params = [newer_than_seq]
    ledger.db.execute(
        "INSERT INTO temp.dup_records (record_id, seq, region, day, date, place, place_key, province_key, killed, "
        "lo, hi, grp, new) SELECT record_id, seq, region, CAST(julianday(date) AS INTEGER), date, place, "
        "protestlog_key(place), protestlog_key(province), killed, COALESCE(killed_low, killed), "
        "COALESCE(killed_high, killed), \"group\", seq > ? "
        f"FROM ({base}){near}", [newer_than_seq if newer_than_seq is not None else 0] + params + near_params)


def _pairs_sql(newer: bool, capped: bool, at_least: int) -> str:
    """Pairs scoring at least the threshold: within blocks below the cap, any two records; where a
    block is capped, records naming the same place. Each pair once: `a` new when asked for new.

    Uncapped blocks are read as two joins: records of the same day, and records a day apart (by
    place when the threshold is above what a pair a day apart can score without one)."""
    if newer:  # `a` is new; `b` is old, or new with a larger id
        order, outer = "(NOT b.new OR b.record_id > a.record_id)", "a.new"
    else:
        order, outer = "b.record_id > a.record_id", "1"
    select = ("SELECT a.record_id AS a_id, b.record_id AS b_id, a.region, a.date AS a_date, b.date AS b_date, "
              "a.killed AS a_killed, b.killed AS b_killed, a.place AS a_place, b.place AS b_place, "
              f"MAX(MIN({SCORE_SQL}, 100), 0) AS score ")
    passes = f"{BOUND_SQL} >= :at_least AND score >= :at_least"
    sql = (select + "FROM temp.dup_records AS a JOIN temp.dup_records AS b INDEXED BY dup_block "
           f"ON b.region = a.region AND b.capped = 0 AND b.day = a.day AND {order} "
           f"WHERE {outer} AND a.capped = 0 AND {passes}")
    if at_least > APART_WITHOUT_PLACE:
        sql += (" UNION ALL " + select + "FROM temp.dup_records AS a JOIN temp.dup_records AS b INDEXED BY dup_place "
                "ON b.region = a.region AND b.place_key = a.place_key AND b.place_key != '' "
                f"AND b.day IN (a.day - 1, a.day + 1) AND b.capped = 0 AND {order} "
                f"WHERE {outer} AND a.place_key != '' AND a.capped = 0 AND {passes}")
    else:
        sql += (" UNION ALL " + select + "FROM temp.dup_records AS a JOIN temp.dup_records AS b INDEXED BY dup_block "
                f"ON b.region = a.region AND b.capped = 0 AND b.day IN (a.day - 1, a.day + 1) AND {order} "
                f"WHERE {outer} AND a.capped = 0 AND {passes}")
    if capped:  # a pair touching a capped region-day, compared only when both name the same place
        sql += (" UNION ALL " + select + "FROM temp.dup_records AS a JOIN temp.dup_records AS b INDEXED BY dup_place "
                "ON b.region = a.region AND b.place_key = a.place_key AND b.place_key != '' "
                "AND b.day BETWEEN a.day - 1 AND a.day + 1 "
                f"AND {order} WHERE {outer} AND a.place_key != '' AND (a.capped OR b.capped) AND {passes}")
    return sql


def _pair(row) -> dict:
    return {"a": row["a_id"], "b": row["b_id"], "score": row["score"] / 100, "region": row["region"],
            "a_date": row["a_date"], "b_date": row["b_date"], "a_killed": row["a_killed"],
            "b_killed": row["b_killed"], "a_place": row["a_place"], "b_place": row["b_place"]}


def capped_note(capped: list[dict], cap: int = BLOCK_CAP) -> str:
    """One line saying where the comparison was limited to same-place pairs."""
    largest = max(capped, key=lambda c: c["records"])
    where = f"{largest['region']} {largest['date']}, {largest['records']}"
    many = (f"1 region-day holds more than {cap} records ({where})" if len(capped) == 1 else
            f"{len(capped)} region-days hold more than {cap} records each (largest: {where})")
    return f"{many}; there only records naming the same place were compared for duplicates"
