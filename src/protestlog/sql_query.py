"""Read-only SQL over the ledger's views and tables, for the questions no command covers."""

import sqlite3

from protestlog.errors import FieldError, LedgerError

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
