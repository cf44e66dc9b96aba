"""The ledger file: an append-only, hash-chained SQLite log of record revisions.

Every change is a new row in `entries` (a create, an amendment or a retraction);
rows are never updated or deleted (triggers refuse it). Each entry's hash covers
its content and the previous entry's hash, so any later edit breaks the chain.
Writes take the write lock up front (BEGIN IMMEDIATE) and read the chain head
inside that transaction, so concurrent writers queue instead of forking the chain.
"""

import hashlib
import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from protestlog.dates import utcnow
from protestlog.errors import LedgerError
from protestlog.records import FIELDS, LATER_FIELDS, fingerprint
from protestlog.victim_schema import SCHEMA as VICTIM_SCHEMA

APPLICATION_ID = 0x706C6F67  # 'plog': marks a SQLite file as a protestlog ledger
SCHEMA_VERSION = 6
GENESIS = "0" * 64
SQLITE_HEADER = b"SQLite format 3\x00"
ENTRY_META = ("seq", "record_id", "revision", "action", "recorded_at", "recorded_by", "reason")
DEFAULT_MILESTONES = (("2022-12-07", "Protests begin"), ("2022-12-15", "State of emergency declared"))

# date(x, '+0 days') normalises 2023-02-30 to 2023-03-02, so only real calendar days equal themselves.
ISO_DAY_CHECK = ("({c} IS NULL OR ({c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' "
                 "AND date({c}, '+0 days') = {c}))")


def _count_check(c: str) -> str:
    return f"({c} IS NULL OR (typeof({c}) = 'integer' AND {c} >= 0))"


SCHEMA_V1 = f"""
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL CHECK (record_id > 0),
    revision INTEGER NOT NULL CHECK (revision > 0),
    action TEXT NOT NULL CHECK (action IN ('create', 'amend', 'retract')),
    recorded_at TEXT NOT NULL CHECK (recorded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'),
    recorded_by TEXT NOT NULL,
    reason TEXT,
    date TEXT NOT NULL CHECK {ISO_DAY_CHECK.format(c='date')},
    end_date TEXT CHECK ({ISO_DAY_CHECK.format(c='end_date')} AND (end_date IS NULL OR end_date > date)),
    date_precision TEXT NOT NULL DEFAULT 'day' CHECK (date_precision IN ('day', 'week', 'month')),
    region TEXT NOT NULL,
    province TEXT,
    place TEXT,
    killed INTEGER NOT NULL CHECK {_count_check('killed')},
    killed_low INTEGER CHECK ({_count_check('killed_low')} AND (killed_low IS NULL OR killed_low <= killed)),
    killed_high INTEGER CHECK ({_count_check('killed_high')} AND (killed_high IS NULL OR killed_high >= killed)),
    killed_reported TEXT,
    injured INTEGER CHECK {_count_check('injured')},
    injured_low INTEGER CHECK ({_count_check('injured_low')} AND (injured_low IS NULL OR injured_low <= injured)),
    injured_high INTEGER CHECK ({_count_check('injured_high')} AND (injured_high IS NULL OR injured_high >= injured)),
    injured_reported TEXT,
    detained INTEGER CHECK {_count_check('detained')},
    minors INTEGER CHECK ({_count_check('minors')} AND (minors IS NULL OR minors <= killed)),
    "group" TEXT NOT NULL CHECK ("group" IN ('civilian', 'police', 'military', 'unknown')),
    circumstance TEXT CHECK (circumstance IS NULL OR circumstance IN
        ('clash with security forces', 'blockade-related accident', 'other')),
    cause TEXT NOT NULL CHECK (cause IN
        ('firearm', 'pellets', 'tear gas', 'blunt force', 'burns', 'vehicle', 'other', 'unknown')),
    confidence TEXT NOT NULL CHECK (confidence IN ('confirmed', 'probable', 'unverified', 'contested')),
    sources TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources) AND json_type(sources) = 'array'),
    note TEXT,
    external_id TEXT,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    UNIQUE (record_id, revision)
);
CREATE INDEX entries_record ON entries (record_id, seq);
CREATE INDEX entries_recorded_at ON entries (recorded_at);
CREATE INDEX entries_date ON entries (date);
CREATE INDEX entries_external_id ON entries (external_id) WHERE external_id IS NOT NULL;
CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: entries cannot be changed'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: entries cannot be deleted'); END;

CREATE TABLE milestones (
    id INTEGER PRIMARY KEY,
    date TEXT NOT NULL CHECK {ISO_DAY_CHECK.format(c='date')},
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TRIGGER milestones_append_only_update BEFORE UPDATE ON milestones
    BEGIN SELECT RAISE(ABORT, 'milestones are append-only'); END;
CREATE TRIGGER milestones_append_only_delete BEFORE DELETE ON milestones
    BEGIN SELECT RAISE(ABORT, 'milestones are append-only'); END;
"""

# Version 2: import batches, and a content fingerprint so re-imports add nothing twice.
SCHEMA_V2 = """
ALTER TABLE entries ADD COLUMN batch_id INTEGER;
ALTER TABLE entries ADD COLUMN fingerprint TEXT;
CREATE INDEX entries_fingerprint ON entries (fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX entries_batch ON entries (batch_id) WHERE batch_id IS NOT NULL;
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    format TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    rows INTEGER NOT NULL CHECK (rows >= 0),
    added INTEGER NOT NULL CHECK (added >= 0),
    already_present INTEGER NOT NULL CHECK (already_present >= 0)
);
CREATE TRIGGER imports_append_only_update BEFORE UPDATE ON imports
    BEGIN SELECT RAISE(ABORT, 'import batches are append-only'); END;
CREATE TRIGGER imports_append_only_delete BEFORE DELETE ON imports
    BEGIN SELECT RAISE(ABORT, 'import batches are append-only'); END;
"""

# Version 3: an index of later revisions, so "which entries are superseded" is read from a few
# index entries instead of grouping the whole table (reports on a million records in one pass).
SCHEMA_V3 = """
CREATE INDEX entries_later_revisions ON entries (record_id, revision) WHERE revision > 1;
"""



def _catalog(db):
    """Views for other tools and the full-text index (catalog.py; built with sqlite-utils)."""
    from protestlog.catalog import migrate

    migrate(db)


def _victims(db):
    """Version 5: victim records and each incident's alleged responsible force (victim_schema.py);
    the catalog's views are rebuilt so they show the new column."""
    for statement in VICTIM_SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    from protestlog.catalog import create_views

    create_views(db)


# Forward migrations: MIGRATIONS[n] takes a ledger from user_version n to n + 1 (SQL text, or a
# function of the connection for steps built with sqlite-utils).
def _victim_search(db):
    """Version 6: victims' names in the full-text index (catalog.py)."""
    from protestlog.catalog import index_victims

    index_victims(db)


MIGRATIONS = {0: SCHEMA_V1, 1: SCHEMA_V2, 2: SCHEMA_V3, 3: _catalog, 4: _victims, 5: _victim_search}


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


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, entry: dict) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON (null fields left out,
    so a later schema version that adds a column keeps old hashes valid). Sources enter as
    their canonical JSON text, whether given as a list or as stored."""
    content = {k: v for k, v in entry.items() if v is not None and k not in ("hash", "prev_hash")}
    sources = content.get("sources")
    if isinstance(sources, list):
        content["sources"] = canonical_json(sources)
    elif isinstance(sources, str):
        content["sources"] = canonical_json(json.loads(sources))
    return hashlib.sha256((prev_hash + "\n" + canonical_json(content)).encode("utf-8")).hexdigest()


class Ledger:
    """One open ledger file. Reads see a consistent snapshot; writes go through `writing()`."""

    def __init__(self, path: str | os.PathLike, *, create: bool = False, lock_timeout: float = 10.0):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        exists = self.path.exists() and self.path.stat().st_size > 0
        if not exists and not create:
            raise LedgerError(f"no ledger at {self.path} (run 'protestlog add' or 'import' to create one)")
        if exists:
            self._check_header()
        elif not self.path.exists():
            self._create_private_file()
        try:
            self.db = sqlite3.connect(self.path, timeout=lock_timeout, isolation_level=None,
                                      check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute(f"PRAGMA busy_timeout = {int(lock_timeout * 1000)}")
            self._prepare(create)
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise LedgerError(f"cannot open ledger {self.path}: {exc}") from None
        except BaseException:
            self._close_quietly()  # a refused file is left exactly as it was (no stray -wal or -shm)
            raise

    def _close_quietly(self):
        db = getattr(self, "db", None)
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass

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
        mode = self.db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal" and create:
            raise LedgerError(f"cannot use write-ahead logging on {self.path} (journal mode {mode})")
        # FULL: a committed record survives power loss, not only a killed process.
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute("PRAGMA cache_size = -8192")  # 8 MiB: reports stream; imports raise it (importer.py)
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, version: int):
        with self.writing():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            while version < SCHEMA_VERSION:
                step = MIGRATIONS[version]
                for statement in ([] if callable(step) else step.split(";\n")):
                    if statement.strip():
                        self.db.execute(statement)
                if callable(step):
                    step(self.db)
                version += 1
                if version == 1:
                    self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    now, by = utcnow(), who()
                    for day, label in DEFAULT_MILESTONES:
                        self.db.execute("INSERT INTO milestones (date, label, recorded_at, recorded_by) "
                                        "VALUES (?, ?, ?, ?)", (day, label, now, by))
                self.db.execute(f"PRAGMA user_version = {version}")

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextmanager
    def writing(self):
        """One write transaction, taken up front so the chain head we read is still the head."""
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
        return self.db.execute("SELECT seq, hash, recorded_at FROM entries ORDER BY seq DESC LIMIT 1").fetchone()

    def appender(self, *, by: str | None = None):
        """An `append(record, ...)` function for use inside `writing()`; keeps the chain head in memory."""
        head = self.head()
        state = {
            "seq": head["seq"] if head else 0,
            "hash": head["hash"] if head else GENESIS,
            "next_id": (self.db.execute("SELECT COALESCE(MAX(record_id), 0) FROM entries").fetchone()[0] + 1),
        }
        # Recording times never go backwards along the chain, so "as of T" is always a prefix of it.
        now = utcnow()
        stamp = max(now, head["recorded_at"]) if head else now
        recorder = who(by)
        # Fields added by a later schema are written only where the table has them (a ledger being
        # written at an older version, as tests of migrations do); a value for a missing one is refused.
        stored = {r[1] for r in self.db.execute("PRAGMA table_info(entries)")}
        columns = tuple(c for c in ENTRY_META + FIELDS + ("batch_id", "fingerprint", "prev_hash", "hash")
                        if c in stored or c not in LATER_FIELDS)
        names, marks = ", ".join(_q(c) for c in columns), ", ".join("?" for _ in columns)
        sql = f"INSERT INTO entries ({names}) VALUES ({marks})"
        # One statement that inserts only a report the ledger does not hold yet, judged by its external
        # id when it has one, else by its content fingerprint: one index-backed statement per row.
        sql_if_new = (f"INSERT INTO entries ({names}) SELECT {marks} WHERE CASE WHEN ? IS NULL "
                      f"THEN NOT EXISTS (SELECT 1 FROM entries WHERE fingerprint = ?) "
                      f"ELSE NOT EXISTS (SELECT 1 FROM entries WHERE external_id = ?) END")

        def append(record: dict, *, action: str = "create", record_id: int | None = None,
                   revision: int = 1, reason: str | None = None, batch_id: int | None = None,
                   print_: str | None = None, only_if_new: bool = False) -> dict | None:
            """Append one entry. With only_if_new, return None (and write nothing) for a known report."""
            new_id = record_id is None
            if new_id:
                record_id = state["next_id"]
            entry = {"seq": state["seq"] + 1, "record_id": record_id, "revision": revision, "action": action,
                     "recorded_at": stamp, "recorded_by": recorder, "reason": reason}
            for f in FIELDS:
                entry[f] = record.get(f)
                if f not in columns and entry[f] is not None:
                    raise LedgerError(f"this ledger's schema has no {f} column; open it with this protestlog "
                                      f"to migrate it first")
            entry["sources"] = canonical_json(record.get("sources") or [])
            entry["batch_id"] = batch_id
            entry["fingerprint"] = None if action == "retract" else (print_ or fingerprint(record))
            entry["prev_hash"] = state["hash"]
            entry["hash"] = entry_hash(state["hash"], entry)
            row = [entry[c] for c in columns]
            try:
                if only_if_new:
                    external = entry["external_id"]
                    if self.db.execute(sql_if_new, row + [external, entry["fingerprint"], external]).rowcount == 0:
                        return None
                else:
                    self.db.execute(sql, row)
            except sqlite3.IntegrityError as exc:
                raise LedgerError(f"the ledger refused record {record_id}: {exc}") from None
            if new_id:
                state["next_id"] += 1
            state["seq"], state["hash"] = entry["seq"], entry["hash"]
            entry["sources"] = record.get("sources") or []
            return entry

        return append

    def add(self, record: dict, *, by: str | None = None) -> dict:
        with self.writing():
            return self.appender(by=by)(record)

    # ---- reading ----------------------------------------------------------

    def cut(self, as_of: str | None) -> int | None:
        """The last entry recorded at or before `as_of` (None: the whole ledger)."""
        if as_of is None:
            return None
        row = self.db.execute("SELECT MAX(seq) FROM entries WHERE recorded_at <= ?", (as_of,)).fetchone()
        return row[0] or 0

    def current_sql(self, cut: int | None) -> tuple[str, list]:
        """SQL for the current revision of every record that is not retracted, as of a chain prefix.

        An entry is superseded when a later revision of its record exists (within the cut). Later
        revisions are few and indexed, so this is one pass over the entries, not a GROUP BY.
        """
        if cut is None:
            return ("SELECT * FROM entries WHERE action != 'retract' AND seq NOT IN "
                    "(SELECT p.seq FROM entries n JOIN entries p ON p.record_id = n.record_id "
                    "AND p.revision = n.revision - 1 WHERE n.revision > 1)"), []
        return ("SELECT * FROM entries WHERE action != 'retract' AND seq <= ? AND seq NOT IN "
                "(SELECT p.seq FROM entries n JOIN entries p ON p.record_id = n.record_id "
                "AND p.revision = n.revision - 1 WHERE n.revision > 1 AND n.seq <= ?)"), [cut, cut]

    def history(self, record_id: int, cut: int | None = None) -> list[dict]:
        sql = "SELECT * FROM entries WHERE record_id = ?" + (" AND seq <= ?" if cut is not None else "")
        params = [record_id] + ([cut] if cut is not None else [])
        return [row_to_entry(r) for r in self.db.execute(sql + " ORDER BY seq", params)]

    def state_time(self) -> str | None:
        """When the ledger last changed (an entry, a milestone or a victim): 'as of' this time reproduces it."""
        return self.db.execute("SELECT MAX(t) FROM (SELECT MAX(recorded_at) AS t FROM entries "
                               "UNION ALL SELECT MAX(recorded_at) FROM milestones "
                               "UNION ALL SELECT MAX(recorded_at) FROM victim_entries)").fetchone()[0]

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
                                  (day, label, utcnow(), who(by)))
            row = self.db.execute("SELECT * FROM milestones WHERE id = ?", (cur.lastrowid,)).fetchone()
        return dict(row), True


def _explain(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "readonly" in text:
        return "the file or its folder is read-only"
    if "disk is full" in text or "disk I/O" in text:
        return f"the disk is full or failing ({text})"
    return text


def _q(column: str) -> str:
    return f'"{column}"'


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

