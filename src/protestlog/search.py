"""Full-text search over the current records.

Search runs through sqlite-utils (`Table.search`) on the FTS5 index that catalog.py keeps
in step with every append. Only the current revision of each record is searched, as of
`--as-of` and within the usual filters, so an amended-away note no longer finds a record.
"""

import re
import sqlite3

from protestlog.errors import FieldError, LedgerError, OptionError
from protestlog.ledger import Ledger, public_record, row_to_entry

MAX_QUERY = 500
NO_WORDS = "give at least one word (letters or digits) to search for; 'juli*' finds words starting with juli"
_POSITIONAL = re.compile(r"\?")


def _named(sql: str, params: list) -> tuple[str, dict]:
    """sqlite-utils binds the search text as :query, so the filters' ? marks become :p0, :p1, ..."""
    counter = iter(range(len(params)))
    named = _POSITIONAL.sub(lambda _m: f":p{next(counter)}", sql)
    return named, {f"p{i}": value for i, value in enumerate(params)}


def search(ledger: Ledger, text: str, filters, *, as_of: str | None = None, limit: int | None = None) -> list[dict]:
    """Current records whose place, province, region, notes, source names or linked victims' names
    match `text`, best first.

    Words are matched whole, in any order, ignoring case and accents (`Apurimac` finds Apurímac):
    `juli` does not find Juliaca, `juli*` does. Punctuation is not a word: text without a letter or
    digit (`*`, `"`, `-`) is a usage error (OptionError), and such tokens among words are ignored.
    Each result carries its position (`rank`) and FTS5's BM25 relevance (`score`, higher is better).
    """
    from protestlog.catalog import database

    text = (text or "").strip()
    if len(text) > MAX_QUERY or "\x00" in text:
        raise OptionError("text", text, f"must be at most {MAX_QUERY} characters, without NUL bytes")
    words = [w for w in text.replace('"', " ").split() if any(c.isalnum() for c in w)]
    if not words:  # '*', '"', '-' alone: nothing the index holds could match (FTS5 keeps letters and digits)
        raise OptionError("text", text, NO_WORDS)
    base, params = ledger.current_sql(ledger.cut(as_of))
    where, fparams = filters.where()
    records = f"SELECT record_id FROM ({base}){where}"
    clause, values = f"(kind = 'entry' AND ref IN (SELECT seq FROM ({base}){where}))", params + fparams
    if _has_victims(ledger.db):  # a victim's name finds the current record the victim is linked to
        from protestlog.victim_store import current_victims_sql, victim_cut

        victims, vparams = current_victims_sql(victim_cut(ledger, as_of))
        # A victim row is current when its entry is the victim's current revision (which then links to
        # exactly this record), and it counts only if that record is itself current and passes the filters.
        clause += f" OR (kind = 'victim' AND ref IN (SELECT seq FROM ({victims})) AND record_id IN ({records}))"
        values += vparams + params + fparams
    current, args = _named(clause, values)
    prefix = [w for w in words if w.endswith("*") and len(w) > 1]
    query = " ".join(database(ledger.db).quote_fts(w.rstrip("*")) + ("*" if w in prefix else "") for w in words)
    table = database(ledger.db)["search_text"]
    try:
        hits = list(table.search(query, columns=["record_id"], where=current, where_args=args,
                                 include_rank=True, order_by='rank, "original".rowid'))
    except sqlite3.OperationalError as exc:
        if str(exc).startswith("fts5:"):  # FTS5's own complaint about the words searched for
            raise FieldError("text", text, f"cannot be searched: {exc}") from None
        raise _damaged(ledger, exc) from None
    except (sqlite3.DatabaseError, ValueError) as exc:  # sqlite-utils: "Full-text search is not configured"
        raise _damaged(ledger, exc) from None
    best: dict[int, float] = {}
    for hit in hits:  # a record found through its text and a victim's name is listed once, at its best
        best.setdefault(hit["record_id"], hit["rank"])
    ranked = list(best.items())[:limit] if limit else list(best.items())
    if not ranked:
        return []
    ids = [record_id for record_id, _ in ranked]
    rows = {r["record_id"]: row_to_entry(r) for r in ledger.db.execute(
        f"SELECT * FROM ({base}) WHERE record_id IN ({', '.join('?' for _ in ids)})", params + ids)}
    if set(ids) - set(rows):  # an index row pointing at a record its entry does not belong to
        raise _damaged(ledger, f"it names record {min(set(ids) - set(rows))}, which its entry does not hold")
    out = []
    for position, (record_id, rank) in enumerate(ranked, start=1):
        entry = rows[record_id]
        record = {"rank": position, "score": float(f"{-rank:.6g}")}
        record.update(public_record(entry))
        record["sources_count"] = len(entry["sources"])
        out.append(record)
    return out


def _has_victims(db) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'victim_entries'").fetchone() is not None


def _damaged(ledger: Ledger, why) -> LedgerError:
    return LedgerError(f"the search index of {ledger.path} is missing or damaged ({why}); run protestlog verify")
