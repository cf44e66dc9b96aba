"""How `query` results are shown: JSON arrays as arrays, and tables people can read in bounded time.

A table is laid out in memory before it is printed (its widths depend on every row), so it shows
at most TABLE_ROWS rows (or --limit) of at most TABLE_CELL characters per value, and says what
it left out; the machine formats stream every row whole. At a narrow terminal the table keeps the
columns people came for (ids, dates, places, figures) and leaves out bookkeeping columns first.
"""

import json
import math

from protestlog.sql_query import Query, Stopped

TABLE_ROWS = 200  # rows a table shows without --limit: more would take seconds to lay out
TABLE_CELL = 500  # characters of one value a table shows (a note is rarely longer)
COUNT_MORE = 100_000  # rows past the table that are counted for its note; past that, "more than"

# Ledger columns worth the least on a narrow screen, left out first (in this order).
LOW_VALUE = ["hash", "prev_hash", "batch_id", "seq", "recorded_by", "recorded_at", "sources", "sources_count",
             "other_names", "description", "note", "reason", "external_id", "incident_external_id",
             "killed_reported", "injured_reported", "killed_low", "killed_high", "injured_low", "injured_high",
             "age_low", "age_high", "date_precision", "end_date", "revision", "province"]
# Columns kept while anything else can go: what a record is, where, and its figures.
KEPT = {"id", "date", "region", "place", "killed", "injured", "name", "date_of_death"}


class Shown:
    """The rows a table shows, and what it left out (`more` rows, `cut` values)."""

    def __init__(self, rows: list[dict], more: int, counted: bool, cut: int):
        self.rows, self.more, self.counted, self.cut = rows, more, counted, cut

    def note(self) -> str | None:
        notes = []
        if self.more > COUNT_MORE:
            notes.append(f"More than {COUNT_MORE:,} more rows: use --limit or --format csv.")
        elif self.more:
            count = f"{self.more:,}" if self.counted else f"At least {self.more:,}"
            stop = "" if self.counted else " (counting stopped at --timeout)"
            notes.append(f"{count} more {'row' if self.more == 1 else 'rows'}{stop}: use --limit or --format csv.")
        if self.cut:
            notes.append(f"{self.cut:,} {'value' if self.cut == 1 else 'values'} longer than {TABLE_CELL} characters "
                         f"cut short: --format csv or json gives them whole.")
        return " ".join(notes) or None


def for_people(q: Query, limit: int | None = None) -> Shown:
    """The first rows for a table (`limit`, else TABLE_ROWS), long values cut short; the rest are only
    counted (within the time limit), never kept."""
    cap = limit or TABLE_ROWS
    shown, more, cut, counted = [], 0, 0, True
    rows = q.rows(limit)
    try:
        for row in rows:
            if len(shown) == cap:
                more += 1
                if more > COUNT_MORE:
                    break
                continue
            values = []
            for v in row:
                if v.__class__ is str and len(v) > TABLE_CELL:
                    v = f"{v[:TABLE_CELL]}… ({len(v) - TABLE_CELL:,} more characters)"
                    cut += 1
                values.append(v)
            shown.append(dict(zip(q.columns, values)))
    except Stopped:
        if len(shown) < cap:  # the time ran out before the table was full: that is the error
            raise
        counted = False  # full, and still counting what it leaves out: say so
    return Shown(shown, more, counted, cut)


def layout(columns: list[str], rows: list[dict]) -> tuple[set, list, set]:
    """(numeric columns, columns to leave out first at a narrow terminal, free-text columns to wrap).

    Figures (columns of numbers) stay longest; bookkeeping columns of the ledger go first, then other
    text from the right, then other figures from the right. What is still too wide goes from the right.
    """
    numeric = {c for c in columns
               if any(row[c] is not None for row in rows)
               and all(row[c] is None or row[c].__class__ in (int, float) for row in rows)}
    rest = [c for c in reversed(columns[1:]) if c not in KEPT and c not in LOW_VALUE]
    drop = [c for c in LOW_VALUE if c in columns] + [c for c in rest if c not in numeric] + [
        c for c in rest if c in numeric]
    # Text longer than a date or a name (group_concat(place), printf(...)) wraps rather than being cut.
    wrap = {c for c in columns if any(row[c].__class__ is str and len(row[c]) > 40 for row in rows)}
    return numeric, drop, wrap


def json_rows(columns: list[str], rows):
    """Rows for JSON: the ledger's JSON columns (sources, other_names) as arrays, as `search` gives them,
    and SQLite's infinities (1e999) as the text 'inf' and '-inf' (JSON has no infinity)."""
    from protestlog.victim_store import JSON_FIELDS

    arrays = [c for c in columns if c in JSON_FIELDS]
    for row in rows:
        record = dict(zip(columns, row))
        for c in arrays:
            value = record[c]
            if value.__class__ is str and value.startswith("["):
                try:
                    record[c] = json.loads(value)
                except ValueError:
                    pass  # not JSON after all (a column named sources in someone's own SELECT): left as text
        for c, value in record.items():
            if value.__class__ is float and not math.isfinite(value):
                record[c] = "inf" if value > 0 else "-inf"
        yield record
