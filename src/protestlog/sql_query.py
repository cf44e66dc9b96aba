"""Read-only SQL over the ledger's views and tables, for the questions no command covers.

A query can do nothing to the ledger (read-only connection, `query_only`, an authorizer that
allows only reads), and it is bounded, because anyone can type a runaway statement:
- in time: `timeout` seconds cover the whole run, SQLite's steps (a progress handler) and the
  fetching and writing of every row (checked per row by `rows()`);
- in memory: SQLite refuses to build a text or blob over MAX_VALUE_BYTES or a result over
  MAX_COLUMNS columns, and rows are streamed one at a time, never all held (see query_view.py
  for the tables people read, which show at most TABLE_ROWS rows of TABLE_CELL characters).
Ctrl-C stops the statement too, and is reported as an interruption, not as the time running out.
"""

import math
import re
import sqlite3
import time

from protestlog.errors import FieldError, LedgerError, OptionError

MAX_TIMEOUT = 86_400  # seconds (a day): longer is a typing slip, and SQLite's clock would not care
MAX_VALUE_BYTES = 1_000_000  # the longest text or blob a query may build or return (SQLITE_LIMIT_LENGTH)
MAX_COLUMNS = 200  # the most columns a result may have (SQLITE_LIMIT_COLUMN): a row is at most 200 MB
_SCHEMA_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"}
_READ_ACTIONS = None


def _authorizer(action, arg1, arg2, dbname, source):
    """Refuse anything but reading: no ATTACH (another file), no writing PRAGMA, no schema change."""
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg2 is None or arg1 in _SCHEMA_PRAGMAS):
        return sqlite3.SQLITE_OK  # reading a pragma (PRAGMA table_info(records)) is harmless; setting one is not
    return sqlite3.SQLITE_DENY


def _connect_search_index(conn: sqlite3.Connection) -> None:
    """Open the FTS5 table before the authorizer is set, so `query` can read it.

    FTS5's constructor makes SQLite report an UPDATE of sqlite_master to the authorizer, which
    refuses it ("vtable constructor failed"). Connected once by this fixed statement, the table
    stays open for the connection; writing to it is still refused, and the connection is
    read-only and `query_only` anyway. A missing or damaged index is left for the user's
    statement to report.
    """
    try:
        found = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'search_text_fts' AND type = 'table'").fetchone()
        if found and _FTS5_TABLE.match(found[0] or ""):  # only FTS5's own table: nothing else is opened unchecked
            conn.execute("SELECT 1 FROM search_text_fts LIMIT 0").fetchall()
    except sqlite3.Error:
        pass


_FTS5_TABLE = re.compile(r"\s*CREATE\s+VIRTUAL\s+TABLE\s+(\[search_text_fts\]|\"search_text_fts\"|`search_text_fts`|search_text_fts)"
                         r"\s+USING\s+FTS5\s*\(", re.IGNORECASE)


def check_timeout(seconds: float) -> float:
    """A number of seconds between 0.001 and MAX_TIMEOUT: nan would never expire, inf neither."""
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or not 0.001 <= seconds <= MAX_TIMEOUT:
        raise FieldError("timeout", seconds, f"must be a number of seconds from 0.001 to {MAX_TIMEOUT}")
    return seconds


class Deadline:
    """When the query must stop; `passed` tells a timeout from Ctrl-C (both interrupt SQLite)."""

    def __init__(self, seconds: float | None):
        self.seconds, self.passed = seconds, False
        self.at = None if seconds is None else time.monotonic() + seconds

    def expired(self) -> bool:
        if not self.passed and self.at is not None and time.monotonic() > self.at:
            self.passed = True
        return self.passed


class Stopped(FieldError):
    """The time limit passed (raised from `rows()`, so a caller can still use what it has)."""


class Query:
    """One statement on a read-only connection: `columns` at once, then `rows()` one at a time.

    `with Query(path, sql, timeout=60) as q: for row in q.rows(): ...` -- the connection closes at
    the end of the block. Names repeated in the result (`select a.id, b.id`) get a suffix (`id_2`),
    so no value hides another in JSON or a table.
    """

    def __init__(self, path, sql: str, *, timeout: float | None = None):
        global _READ_ACTIONS
        if _READ_ACTIONS is None:
            _READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                             getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
        self.sql = (sql or "").strip()
        if not self.sql:
            raise OptionError("sql", self.sql, "give one SQL statement, e.g. 'select * from records'")
        self.deadline = Deadline(None if timeout is None else check_timeout(timeout))
        from pathlib import Path
        from urllib.parse import quote

        uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
        try:
            self.conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open ledger {path} read-only: {exc}") from None
        try:
            self.conn.execute("PRAGMA query_only = ON")
            self.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
            self.conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, MAX_COLUMNS)
            _connect_search_index(self.conn)
            self.conn.set_authorizer(_authorizer)
            # Always installed: it is also how Ctrl-C reaches a statement that runs inside SQLite.
            self.conn.set_progress_handler(self.deadline.expired, 10_000)
            try:
                self.cursor = self.conn.execute(self.sql)
            except (sqlite3.Warning, sqlite3.ProgrammingError):  # more than one statement
                raise FieldError("sql", self.sql, "give one statement at a time") from None
            except sqlite3.DatabaseError as exc:
                raise self._problem(exc) from None
            self.columns = unique_names([d[0] for d in self.cursor.description or []])
        except BaseException:
            self.conn.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.conn.close()
        return False

    def rows(self, limit: int | None = None):
        """Each row as a tuple (blobs as X'hex' text), checking the time limit before each one, so the
        time spent writing the previous row counts too."""
        if not self.columns:
            return
        produced = 0
        iterator = iter(self.cursor)
        while limit is None or produced < limit:
            if self.deadline.expired():
                raise self.stopped()
            try:
                row = next(iterator)
            except StopIteration:
                return
            except sqlite3.DatabaseError as exc:
                raise self._problem(exc) from None
            produced += 1
            yield tuple(blob_text(v) if v.__class__ is bytes else v for v in row)

    def time_limit(self):
        """`with q.time_limit():` Python's own work stops at the deadline too, laying out a table included
        (Rich can take seconds over a wide one): SIGALRM interrupts it, where there is one (not on
        Windows, nor off the main thread, where the per-row checks of `rows()` still hold)."""
        import signal
        import threading
        from contextlib import nullcontext

        if (self.deadline.at is None or not hasattr(signal, "setitimer")
                or threading.current_thread() is not threading.main_thread()):
            return nullcontext()
        return _Alarm(self)

    def stopped(self) -> Stopped:
        return Stopped("sql", self.sql, f"stopped after {self.deadline.seconds:g}s (raise --timeout)")

    def _problem(self, exc) -> Exception:
        message = str(exc)
        if message == "interrupted":
            if not self.deadline.passed:  # Ctrl-C: the progress handler raised KeyboardInterrupt
                raise KeyboardInterrupt
            return self.stopped()
        if "too big" in message:
            message = (f"a value would be longer than {MAX_VALUE_BYTES:,} bytes, the most a query builds or "
                       f"returns: select substr(...) or length(...) of it instead")
        elif "too many columns" in message:
            message = f"the result would have more than {MAX_COLUMNS} columns, the most a query returns"
        elif "not authorized" in message or "readonly" in message or "query_only" in message:
            message = "the query is read-only: only SELECT statements over the ledger can run"
        return FieldError("sql", self.sql, message)


class _Alarm:
    """SIGALRM at the query's deadline raises `Stopped` in whatever Python code runs then (inside
    SQLite, at its next progress-handler call, which turns it into an interruption)."""

    def __init__(self, q: Query):
        self.q = q

    def __enter__(self):
        import signal

        remaining = self.q.deadline.at - time.monotonic()
        if remaining <= 0:
            self.q.deadline.passed = True
            raise self.q.stopped()
        self.previous = signal.signal(signal.SIGALRM, self._ring)
        signal.setitimer(signal.ITIMER_REAL, remaining)
        return self

    def _ring(self, signum, frame):
        self.q.deadline.passed = True
        raise self.q.stopped()

    def __exit__(self, *exc):
        import signal

        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return False


def blob_text(value: bytes) -> str:
    """A blob as SQL writes it (X'00FF'): text every format can carry, and lossless."""
    return "X'" + value.hex().upper() + "'"


def unique_names(columns: list[str]) -> list[str]:
    """['id', 'id'] -> ['id', 'id_2']: a dict per row must not lose a value to a repeated name."""
    taken, out = set(), []
    for name in columns:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}_{n}"
        taken.add(candidate)
        out.append(candidate)
    return out


def query(path, sql: str, *, limit: int | None = None, timeout: float | None = None):
    """Run one SQL statement on a read-only connection; return (columns, rows as dicts)."""
    with Query(path, sql, timeout=timeout) as q:
        return q.columns, [dict(zip(q.columns, row)) for row in q.rows(limit)]
