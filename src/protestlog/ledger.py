"""The ledger file: an append-only, hash-chained SQLite log of record revisions.

Every change is a new row in `entries` (a create, an amendment or a retraction);
rows are never updated or deleted (triggers refuse it). Entries, milestones, import
batches and settings are all links of one hash chain (chain.py), so any later edit
breaks it and one head hash pins every figure. Writes take the write lock up front
(BEGIN IMMEDIATE) and read the chain head inside that transaction, so concurrent
writers queue instead of forking the chain.
"""

import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from protestlog import chain, ledger_files, migrations
from protestlog.chain import GENESIS, canonical_json, entry_hash  # noqa: F401  (the ledger's public API)
from protestlog.errors import LedgerError
from protestlog.migrations import APPLICATION_ID, MIGRATIONS, _victim_search  # noqa: F401  (tests read them)
from protestlog.records import FIELDS

SCHEMA_VERSION = migrations.LATEST  # a module global: tests of older schemas lower it
# The ledgers this process has committed a write to: Ctrl-C after a commit must not be reported
# as "wrote nothing" (the CLI's interruption message reads it).
COMMITTED: list[str] = []
SQLITE_HEADER = b"SQLite format 3\x00"


def who(explicit: str | None = None) -> str:
    """Who is recording: --by, else PROTESTLOG_USER, else the login name."""
    if explicit and explicit.strip():
        return explicit.strip()
    if os.environ.get("PROTESTLOG_USER", "").strip():
        return os.environ["PROTESTLOG_USER"].strip()
    import getpass  # only when neither --by nor PROTESTLOG_USER says

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


class Ledger:
    """One open ledger file. Reads see a consistent snapshot; writes go through `writing()`."""

    def __init__(self, path: str | os.PathLike, *, create: bool = False, lock_timeout: float = 10.0,
                 aside: bool = False, read_only: bool = False):
        """create: make the ledger if there is none. aside (with create): build a new ledger next to
        its path and put it there only at the first commit, so a rejected or interrupted import
        leaves no empty ledger behind (two such first writers racing: the second is told to retry).
        read_only: never write, not even -wal/-shm files; taken by itself when the file or its folder
        cannot be written (a shared or mounted ledger)."""
        # A symlink at the ledger path: work on its target, so it (and its -wal/-shm) are made private.
        self.path = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
        self.lock_timeout = lock_timeout
        self.read_only = False
        self._final: Path | None = None  # a new ledger is built aside and appears at its path on first commit
        try:
            exists = self.path.exists() and self.path.stat().st_size > 0
        except OSError as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc.strerror}") from None
        if not exists and not create:
            raise LedgerError(f"no ledger at {self.path} (run 'protestlog add' or 'import' to create one)")
        if exists:
            self._check_header()
            self.read_only = read_only or (not create and not ledger_files.writable(self.path))
        elif not self.path.exists():
            if aside:
                self._final, self.path = self.path, ledger_files.aside(self.path)
            self._create_private_file()
        try:
            self._connect()
            self._prepare(create)
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise LedgerError(f"cannot open ledger {self.path}: {_explain(exc)}") from None
        except BaseException:
            self._close_quietly()  # a refused file is left exactly as it was (no stray -wal or -shm)
            raise

    def _connect(self):
        if self.read_only:
            # A folder or file the reader cannot write: read without creating -shm (immutable when
            # there is no -wal to read; SQLite reads an existing -wal read-only).
            from urllib.parse import quote

            wal = Path(f"{self.path}-wal").exists()
            uri = f"file:{quote(str(self.path))}?mode=ro" + ("" if wal else "&immutable=1")
            self.db = sqlite3.connect(uri, uri=True, timeout=self.lock_timeout, isolation_level=None,
                                      check_same_thread=False)
        else:
            self.db = sqlite3.connect(self.path, timeout=self.lock_timeout, isolation_level=None,
                                      check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute(f"PRAGMA busy_timeout = {int(self.lock_timeout * 1000)}")

    def _close_quietly(self):
        db = getattr(self, "db", None)
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass
        if self._final is not None:  # a new ledger nothing was committed to: no empty file is left
            ledger_files.remove_aside(self.path)

    def _publish(self):
        """Put a new ledger at its path after its first commit (hard link: fails if one appeared)."""
        final, aside = self._final, self.path
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()
        try:
            os.link(aside, final)
        except FileExistsError:
            raise LedgerError(f"another process created {final} at the same moment; nothing was written "
                              f"(run the command again)") from None
        except OSError as exc:
            raise LedgerError(f"cannot create ledger {final}: {exc.strerror}") from None
        finally:
            ledger_files.remove_aside(aside)
        self._final, self.path = None, final
        self._connect()
        self.db.execute("PRAGMA synchronous = FULL")

    def _create_private_file(self):
        """Casualty records name people: the file is readable by its owner only."""
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise LedgerError(f"cannot create ledger {self.path}: {exc.strerror}") from None

    def _check_header(self):
        try:
            with open(self.path, "rb") as f:
                head = f.read(16)
        except OSError as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc.strerror}") from None
        if head != SQLITE_HEADER:
            raise LedgerError(f"{self.path} is not a SQLite file, so not a protestlog ledger")

    def _prepare(self, create: bool):
        # One read transaction, so a ledger being created by another process at this moment is
        # seen either empty or complete, never with tables but without its application id.
        self.db.execute("BEGIN")
        try:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            app_id = self.db.execute("PRAGMA application_id").fetchone()[0]
            tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            self.db.execute("COMMIT")
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables):
            raise LedgerError(f"{self.path} is a SQLite file but not a protestlog ledger")
        if version > SCHEMA_VERSION:
            raise LedgerError(f"{self.path} was written by a newer protestlog (schema {version}, "
                              f"this one reads up to {SCHEMA_VERSION}); upgrade protestlog")
        if self.read_only:
            if version < SCHEMA_VERSION:
                raise LedgerError(f"{self.path} needs a one-time upgrade (schema {version} to {SCHEMA_VERSION}) "
                                  f"and cannot be written here; run any command on it once with write access")
            return
        mode = self.db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal" and create:
            raise LedgerError(f"cannot use write-ahead logging on {self.path} (journal mode {mode})")
        # FULL: a committed record survives power loss, not only a killed process.
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute("PRAGMA cache_size = -8192")  # 8 MiB: reports stream; imports raise it (importer.py)
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, version: int):
        with self.writing(publish=False):
            version = self.db.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            upgrade(self.db, version)

    def close(self):
        self._close_quietly()

    def __enter__(self):
        """`with Ledger(...) as ledger:` reads one snapshot: every figure and the head hash a command
        prints come from the same state, however many writers commit meanwhile. `writing()` ends it."""
        self.db.execute("BEGIN")
        return self

    def __exit__(self, kind, *exc):
        if kind is None and self.db.in_transaction:
            try:
                self.db.execute("COMMIT")  # ends the snapshot (and keeps any raw SQL a caller ran in it)
            except sqlite3.Error:
                self._rollback()
        else:
            self._rollback()
        self.close()

    @contextmanager
    def writing(self, *, publish: bool = True):
        """One write transaction, taken up front so the chain head we read is still the head."""
        if self.read_only:
            raise LedgerError(f"cannot write ledger {self.path}: the file or its folder is read-only")
        if self.db.in_transaction:
            self.db.execute("COMMIT")  # the read snapshot of `with Ledger(...)`: a write reads the newest state
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise LedgerError(f"ledger {self.path} is locked by another writer; gave up after "
                                  f"{self.lock_timeout:g}s (raise --lock-timeout)") from None
            raise LedgerError(f"cannot write ledger {self.path}: {_explain(exc)}") from None
        try:
            yield self.db
            self.db.execute("COMMIT")
            if publish:  # a migration (publish=False) is not the command's own change
                COMMITTED.append(str(self.path))
            if publish and self._final is not None:
                self._publish()
        except sqlite3.OperationalError as exc:
            self._rollback()
            raise LedgerError(f"cannot write ledger {self.path}: {_explain(exc)}; nothing was written") from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self):
        try:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite rolls back by itself when the connection closes

    # ---- writing entries -------------------------------------------------

    def head(self) -> sqlite3.Row | None:
        """The chain head (pos, kind, ref, hash): the hash that pins every figure; None when empty."""
        return chain.head(self.db)

    def head_at(self, as_of: str | None) -> str | None:
        """The chain head hash as it stood at a recording time (None: nothing recorded by then)."""
        return chain.head_at(self.db, as_of)

    def last_entry(self) -> sqlite3.Row | None:
        """The last incident entry (seq, hash, recorded_at)."""
        return self.db.execute("SELECT seq, hash, recorded_at FROM entries ORDER BY seq DESC LIMIT 1").fetchone()

    @property
    def time_zone(self) -> str:
        """The ledger's time zone (a chained setting): what "today" means for this ledger."""
        try:
            row = self.db.execute("SELECT value FROM settings WHERE key = 'time_zone' ORDER BY id DESC "
                                  "LIMIT 1").fetchone()
        except sqlite3.OperationalError:  # a ledger still written at a schema before settings (migration tests)
            from protestlog.timezones import default_zone

            return default_zone()
        return row[0] if row else "UTC"

    def today(self):
        """Today in the ledger's time zone (PROTESTLOG_TODAY pins it)."""
        from protestlog.dates import today

        return today(self.time_zone)

    def settings(self) -> list[dict]:
        """Every setting ever recorded, oldest first (the current value of a key is its last row)."""
        return [dict(r) for r in self.db.execute("SELECT id, key, value, recorded_at, recorded_by FROM settings "
                                                 "ORDER BY id")]

    def appender(self, *, by: str | None = None):
        """An `append(record, ...)` function for use inside `writing()` (entry_appender.py);
        `append.many(items, batch_id=...)` appends an import's chunk at once."""
        from protestlog.entry_appender import make_appender

        return make_appender(self, by=by, fields=FIELDS)  # this module's FIELDS: tests of old schemas patch it

    def add(self, record: dict, *, by: str | None = None) -> dict:
        from protestlog.corrections import refuse_reused_external_id

        with self.writing():
            refuse_reused_external_id(self, record.get("external_id"))
            return self.appender(by=by)(record)

    # ---- reading ----------------------------------------------------------

    def cut(self, as_of: str | None) -> int | None:
        """The last entry recorded at or before `as_of` (None: the whole ledger)."""
        if as_of is None:
            return None
        row = self.db.execute("SELECT MAX(seq) FROM entries WHERE recorded_at <= ?", (as_of,)).fetchone()
        return row[0] or 0

    def current_sql(self, cut: int | None, *, full_scan: bool = False) -> tuple[str, list]:
        """SQL for the current revision of every record that is not retracted, as of a chain prefix.

        An entry is superseded when a later revision of its record exists (within the cut). Later
        revisions are few and indexed, so this is one pass over the entries, not a GROUP BY.
        `full_scan` reads the table in order (no index), for a query that reads most entries.
        """
        entries = "entries NOT INDEXED" if full_scan else "entries"
        if cut is None:
            return (f"SELECT * FROM {entries} WHERE action != 'retract' AND seq NOT IN "
                    "(SELECT p.seq FROM entries n JOIN entries p ON p.record_id = n.record_id "
                    "AND p.revision = n.revision - 1 WHERE n.revision > 1)"), []
        return (f"SELECT * FROM {entries} WHERE action != 'retract' AND seq <= ? AND seq NOT IN "
                "(SELECT p.seq FROM entries n JOIN entries p ON p.record_id = n.record_id "
                "AND p.revision = n.revision - 1 WHERE n.revision > 1 AND n.seq <= ?)"), [cut, cut]

    def history(self, record_id: int, cut: int | None = None) -> list[dict]:
        sql = "SELECT * FROM entries WHERE record_id = ?" + (" AND seq <= ?" if cut is not None else "")
        params = [record_id] + ([cut] if cut is not None else [])
        return [row_to_entry(r) for r in self.db.execute(sql + " ORDER BY seq", params)]

    def state_time(self) -> str | None:
        """When the ledger last changed (any chained row): 'as of' this time reproduces it."""
        return chain.latest_time(self.db)

    def milestones(self, as_of: str | None = None) -> list[dict]:
        sql = "SELECT id, date, label, recorded_at, recorded_by FROM milestones"
        params: list = []
        if as_of is not None:
            sql += " WHERE recorded_at <= ?"
            params.append(as_of)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY date, id", params)]

    def add_milestone(self, day: str, label: str, *, by: str | None = None) -> tuple[dict, bool]:
        """Add a milestone unless the same date and label are already there (a re-run script adds nothing).

        Returns the milestone and whether it was added.
        """
        with self.writing():  # checked inside the write lock, so two racing scripts add it once
            existing = self.db.execute("SELECT * FROM milestones WHERE date = ? AND label = ? ORDER BY id LIMIT 1",
                                       (day, label)).fetchone()
            if existing:
                return dict(existing), False
            cur = self.db.execute("INSERT INTO milestones (date, label, recorded_at, recorded_by) VALUES (?, ?, ?, ?)",
                                  (day, label, chain.now(self.db), who(by)))
            chain.append_chained(self.db, "milestone", cur.lastrowid)
            row = self.db.execute("SELECT * FROM milestones WHERE id = ?", (cur.lastrowid,)).fetchone()
        return dict(row), True


def upgrade(db: sqlite3.Connection, version: int) -> None:
    """Take a ledger from schema `version` to this module's SCHEMA_VERSION (migrations.py)."""
    migrations.upgrade(db, version, SCHEMA_VERSION)


def _explain(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "readonly" in text:
        return "the file or its folder is read-only"
    if "disk is full" in text or "disk I/O" in text:
        return f"the disk is full or failing ({text})"
    return text


def row_to_entry(row: sqlite3.Row) -> dict:
    entry = dict(row)
    if isinstance(entry.get("sources"), str):
        entry["sources"] = json.loads(entry["sources"])
    return entry


def public_record(entry: dict) -> dict:
    """The record as users see it: `id` first, then its fields, then when and by whom."""
    out = {"id": entry["record_id"], "revision": entry["revision"]}
    out.update({f: entry.get(f) for f in FIELDS})
    out.update({"recorded_at": entry["recorded_at"], "recorded_by": entry["recorded_by"]})
    return out

