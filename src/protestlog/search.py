"""Full-text search over the current records, and read-only SQL for questions no command covers.

Search runs through sqlite-utils (`Table.search`) on the FTS5 index that catalog.py keeps
in step with every append. Only the current revision of each record is searched, as of
`--as-of` and within the usual filters, so an amended-away note no longer finds a record.
"""

import re
import sqlite3

from protestlog.errors import FieldError, LedgerError
from protestlog.ledger import Ledger, public_record, row_to_entry

MAX_QUERY = 500
_POSITIONAL = re.compile(r"\?")


def _named(sql: str, params: list) -> tuple[str, dict]:
    """sqlite-utils binds the search text as :query, so the filters' ? marks become :p0, :p1, ..."""
    counter = iter(range(len(params)))
    named = _POSITIONAL.sub(lambda _m: f":p{next(counter)}", sql)
    return named, {f"p{i}": value for i, value in enumerate(params)}


def search(ledger: Ledger, text: str, filters, *, as_of: str | None = None, limit: int | None = None) -> list[dict]:
    """Current records whose place, province, region, notes or source names match `text`, best first.

    Words are matched whole, in any order, ignoring case and accents (`Apurimac` finds Apurímac);
    `juli*` matches a prefix. Each result carries its position (`rank`) and FTS5's BM25 relevance
    (`score`, higher is better).
    """
    from protestlog.catalog import database

    text = (text or "").strip()
    if not text:
        raise FieldError("text", text, "give at least one word to search for")
    if len(text) > MAX_QUERY or "\x00" in text:
        raise FieldError("text", text, f"must be at most {MAX_QUERY} characters, without NUL bytes")
    base, params = ledger.current_sql(ledger.cut(as_of))
    where, fparams = filters.where()
    current, args = _named(f"kind = 'entry' AND ref IN (SELECT seq FROM ({base}){where})", params + fparams)
    words = [w for w in text.replace('"', " ").split() if w.strip("*")]
    if not words:
        raise FieldError("text", text, "give at least one word to search for")
    prefix = [w for w in words if w.endswith("*") and len(w) > 1]
    query = " ".join(database(ledger.db).quote_fts(w.rstrip("*")) + ("*" if w in prefix else "") for w in words)
    table = database(ledger.db)["search_text"]
    try:
        hits = list(table.search(query, columns=["record_id", "ref"], where=current, where_args=args,
                                 include_rank=True, order_by='rank, "original".rowid', limit=limit))
    except sqlite3.OperationalError as exc:
        raise FieldError("text", text, f"cannot be searched: {exc}") from None
    if not hits:
        return []
    seqs = [h["ref"] for h in hits]
    rows = {r["seq"]: row_to_entry(r) for r in ledger.db.execute(
        f"SELECT * FROM entries WHERE seq IN ({', '.join('?' for _ in seqs)})", seqs)}
    out = []
    for position, hit in enumerate(hits, start=1):
        entry = rows[hit["ref"]]
        record = {"rank": position, "score": float(f"{-hit['rank']:.6g}")}
        record.update(public_record(entry))
        record["sources_count"] = len(entry["sources"])
        out.append(record)
    return out


# ---- read-only SQL ---------------------------------------------------------------

# Statements the read-only connection may run; everything else is refused before it runs.
_READ_ACTIONS = None
_SCHEMA_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"}


def _authorizer(action, arg1, arg2, dbname, source):
    """Refuse anything but reading: no ATTACH (another file), no writing PRAGMA, no schema change."""
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg2 is None or arg1 in _SCHEMA_PRAGMAS):
        return sqlite3.SQLITE_OK  # reading a pragma (PRAGMA table_info(records)) is harmless; setting one is not
    return sqlite3.SQLITE_DENY


def query(path, sql: str, *, limit: int | None = None, timeout: float | None = None):
    """Run one SQL statement on a read-only connection; return (columns, rows).

    The connection is opened read-only (mode=ro), with `query_only` on and an authorizer that
    allows only reads, so no statement can change the ledger, attach another file or load code.
    A statement still running after `timeout` seconds is stopped (a runaway recursive query).
    """
    global _READ_ACTIONS
    if _READ_ACTIONS is None:
        _READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                         getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
    sql = (sql or "").strip()
    if not sql:
        raise FieldError("sql", sql, "give one SQL statement, e.g. 'select * from records'")
    from pathlib import Path
    from urllib.parse import quote

    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot open ledger {path} read-only: {exc}") from None
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.set_authorizer(_authorizer)
        if timeout is not None:
            import time

            deadline = time.monotonic() + timeout
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            cursor = conn.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchmany(limit) if limit is not None else cursor.fetchall()
        except (sqlite3.Warning, sqlite3.ProgrammingError):  # more than one statement
            raise FieldError("sql", sql, "give one statement at a time") from None
        except sqlite3.DatabaseError as exc:
            message = str(exc)
            if message == "interrupted":
                message = f"stopped after {timeout:g}s (raise --timeout)"
            elif "not authorized" in message or "readonly" in message or "query_only" in message:
                message = "the query is read-only: only SELECT statements over the ledger can run"
            raise FieldError("sql", sql, message) from None
    finally:
        conn.close()
    return columns, [dict(zip(columns, row)) for row in rows]
