"""The one chain: a single hash-linked order over everything that can change a published figure.

Incident entries, milestones, import batches, settings (the ledger's time zone) and victim
entries are each one row of their own table *and* one row of `chain`. `chain.pos` is the
global order; each chain row's hash covers the previous chain hash and the referenced row
exactly as SQLite reads it back. So one published head hash pins all of them: a milestone
inserted with `sqlite3` is a row that is not in the chain, and `verify` names it.

How to chain a new kind of row (e.g. victims, issue 14):

    with ledger.writing() as db:                    # one write transaction, lock taken up front
        cur = db.execute("INSERT INTO victims (..., recorded_at, recorded_by) VALUES (...)",
                         (..., chain.now(db), who(by)))
        chain.append_chained(db, "victim", cur.lastrowid)   # -> the new head hash

Rules for a chained table (KINDS maps each kind to it): an INTEGER PRIMARY KEY, a
`recorded_at` column in the stored UTC form (take it from `now(db)`, so time never goes back
along the chain), append-only triggers, and only TEXT, INTEGER or NULL values (REAL and BLOB
values cannot be hashed canonically and are refused).
"""

import hashlib
import json
import operator
import sqlite3

from protestlog.dates import format_instant, utcnow  # noqa: F401  (format_instant: verify's clock)
from protestlog.errors import LedgerError

GENESIS = "0" * 64

# kind -> (table, primary key). The kinds the `chain.kind` CHECK allows.
KINDS = {
    "entry": ("entries", "seq"),
    "milestone": ("milestones", "id"),
    "batch": ("imports", "id"),
    "setting": ("settings", "id"),
    "victim": ("victim_entries", "seq"),
}

# Version 7 of the schema (see migrations.MIGRATIONS): the chain, and the ledger's settings.
SCHEMA_V7 = """
CREATE TABLE chain (
    pos INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('entry', 'milestone', 'batch', 'setting', 'victim')),
    ref INTEGER NOT NULL,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    UNIQUE (kind, ref)
);
CREATE TRIGGER chain_append_only_update BEFORE UPDATE ON chain
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: the chain cannot be changed'); END;
CREATE TRIGGER chain_append_only_delete BEFORE DELETE ON chain
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: the chain cannot be changed'); END;
CREATE TABLE settings (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL CHECK (typeof(key) = 'text' AND length(key) BETWEEN 1 AND 64),
    value TEXT NOT NULL CHECK (typeof(value) = 'text' AND length(value) BETWEEN 1 AND 200),
    recorded_at TEXT NOT NULL CHECK (recorded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'),
    recorded_by TEXT NOT NULL
);
CREATE INDEX settings_key ON settings (key, id);
CREATE TRIGGER settings_append_only_update BEFORE UPDATE ON settings
    BEGIN SELECT RAISE(ABORT, 'settings are append-only: record a new value instead'); END;
CREATE TRIGGER settings_append_only_delete BEFORE DELETE ON settings
    BEGIN SELECT RAISE(ABORT, 'settings are append-only: record a new value instead'); END;
"""


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(value) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the text every hash covers (one encoder, built once)."""
    return _CANONICAL(value)


def entry_hasher(keys: tuple):
    """entry_hash for entries with these keys whose sources are already canonical JSON text (as the
    appender stores them): the keys are sorted once rather than for every entry, the sources are
    not parsed and re-encoded, and the text is written by one precompiled writer (json_text).
    Gives exactly entry_hash's digest. `hashed.text(values)` is the hashed text of the values in
    `keys` order (the bulk appender's rows)."""
    from protestlog.json_text import object_writer

    text = object_writer(tuple(keys), order=tuple(sorted(keys)), omit_none=True)
    values = operator.itemgetter(*keys)

    def hashed(prev_hash: str, entry: dict) -> str:
        return hashlib.sha256((prev_hash + "\n" + text(values(entry))).encode("utf-8")).hexdigest()

    hashed.text = text
    return hashed


def link_many(db: sqlite3.Connection, links: list[tuple[int, str, str]]) -> None:
    """Chain many entries at once, each (seq, prev_hash, hash) as the bulk appender computed them."""
    if has_chain(db):
        from protestlog.bulk import insert_many

        insert_many(db, "INSERT INTO chain (kind, ref, prev_hash, hash) VALUES", "('entry', ?, ?, ?)", links)


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


def row_hash(prev_hash: str, kind: str, row: dict) -> str:
    """The chain hash of one row. Entries keep their historical `entry_hash`, so every head a
    ledger ever had stays a hash the chain passes through; other kinds hash
    sha256(prev + "\\n" + canonical_json({"kind": kind, **row})), null columns left out."""
    if kind == "entry":
        return entry_hash(prev_hash, row)
    content = {k: v for k, v in row.items() if v is not None and k not in ("hash", "prev_hash")}
    for column, value in content.items():
        if not isinstance(value, (str, int)):
            raise LedgerError(f"{kind} {row.get(KINDS[kind][1])}: column {column} holds a "
                              f"{type(value).__name__}, which cannot be chained (text or integer only)")
    content["kind"] = kind
    return hashlib.sha256((prev_hash + "\n" + canonical_json(content)).encode("utf-8")).hexdigest()


def head(db: sqlite3.Connection) -> sqlite3.Row | None:
    """The last chain row (pos, kind, ref, hash), or None for a ledger with nothing in it."""
    if not has_chain(db):  # before the chain: the last entry was the head
        return db.execute("SELECT seq AS pos, 'entry' AS kind, seq AS ref, hash FROM entries "
                          "ORDER BY seq DESC LIMIT 1").fetchone()
    return db.execute("SELECT pos, kind, ref, hash FROM chain ORDER BY pos DESC LIMIT 1").fetchone()


def head_hash(db: sqlite3.Connection) -> str:
    row = head(db)
    return row["hash"] if row else GENESIS


def read_row(db: sqlite3.Connection, kind: str, ref: int) -> dict | None:
    """The referenced row as SQLite reads it (the values that are hashed), or None if it is gone."""
    table, key = KINDS[kind]
    row = db.execute(f'SELECT * FROM "{table}" WHERE "{key}" = ?', (ref,)).fetchone()
    return dict(row) if row is not None else None


def link(db: sqlite3.Connection, kind: str, ref: int, prev_hash: str, hash_: str) -> None:
    """Insert one chain row whose hash the caller computed (the bulk entry appender does)."""
    if not has_chain(db):
        return
    db.execute("INSERT INTO chain (kind, ref, prev_hash, hash) VALUES (?, ?, ?, ?)", (kind, ref, prev_hash, hash_))


def append_chained(db: sqlite3.Connection, kind: str, ref: int) -> str:
    """Chain the row `ref` of kind `kind` (already inserted, same transaction) after the head.

    Call inside `Ledger.writing()` (the write lock is held, so the head read here is still
    the head). The row is read back from its table and hashed as stored, so what is hashed is
    exactly what every report reads. Returns the new head hash.
    """
    if kind not in KINDS or kind == "entry":
        raise ValueError(f"append_chained: unknown kind {kind!r} (entries are chained by Ledger.appender)")
    if not db.in_transaction:
        raise RuntimeError("append_chained must run inside Ledger.writing()")
    if not has_chain(db):
        return None  # a ledger still being written at a schema before the chain (migration tests)
    row = read_row(db, kind, ref)
    if row is None:
        raise LedgerError(f"cannot chain {kind} {ref}: no such row")
    prev = head_hash(db)
    new = row_hash(prev, kind, row)
    link(db, kind, ref, prev, new)
    return new


def has_chain(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain'").fetchone() is not None


def tables(db: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """The chained kinds whose table exists in this ledger (victims arrive with a later schema)."""
    present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {kind: tk for kind, tk in KINDS.items() if tk[0] in present}


def latest_time(db: sqlite3.Connection) -> str | None:
    """When the ledger last changed: the latest recorded_at of any chained row."""
    parts = [f'SELECT MAX(recorded_at) AS t FROM "{table}"' for table, _ in tables(db).values()]
    return db.execute(f"SELECT MAX(t) FROM ({' UNION ALL '.join(parts)})").fetchone()[0]


def now(db: sqlite3.Connection) -> str:
    """The recording time for a new chained row: the clock, but never before what is already
    recorded, so recording times never go backwards along the chain ("as of T" is a prefix)."""
    current, last = utcnow(), latest_time(db)
    return max(current, last) if last else current


def head_at(db: sqlite3.Connection, as_of: str | None) -> str | None:
    """The chain hash as of a recording time (None: nothing recorded by then)."""
    if as_of is None:
        row = head(db)
        return row["hash"] if row else None
    if not has_chain(db):
        row = db.execute("SELECT hash FROM entries WHERE recorded_at <= ? ORDER BY seq DESC LIMIT 1", (as_of,)).fetchone()
        return row[0] if row else None
    best = 0
    for kind, (table, key) in tables(db).items():
        pos = db.execute(f'SELECT MAX(c.pos) FROM chain c JOIN "{table}" t ON t."{key}" = c.ref '
                         f"WHERE c.kind = ? AND t.recorded_at <= ?", (kind, as_of)).fetchone()[0]
        best = max(best, pos or 0)
    if not best:
        return None
    return db.execute("SELECT hash FROM chain WHERE pos = ?", (best,)).fetchone()[0]


def migrate_v7(db: sqlite3.Connection, *, time_zone: str, by: str) -> None:
    """Put an existing ledger on the one chain (inside the migration's write transaction).

    Entries keep their hashes and order (they are already a valid chain, so every old head
    is still passed through); then milestones, import batches and victim entries follow in
    recording order,
    then the settings: the head the ledger had before (if any) and its time zone.
    """
    old_head = db.execute("SELECT hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
    db.execute("INSERT INTO chain (kind, ref, prev_hash, hash) "
               "SELECT 'entry', seq, prev_hash, hash FROM entries ORDER BY seq")
    parts = [f"SELECT '{kind}' AS kind, \"{key}\" AS ref, recorded_at FROM \"{table}\""
             for kind, (table, key) in tables(db).items() if kind != "entry" and kind != "setting"]
    others = db.execute(" UNION ALL ".join(parts) + " ORDER BY recorded_at, kind, ref").fetchall()
    for kind, ref, _ in others:
        append_chained(db, kind, ref)
    stamp = now(db)
    if old_head:
        cur = db.execute("INSERT INTO settings (key, value, recorded_at, recorded_by) VALUES "
                         "('previous_head', ?, ?, ?)", (old_head[0], stamp, by))
        append_chained(db, "setting", cur.lastrowid)
    cur = db.execute("INSERT INTO settings (key, value, recorded_at, recorded_by) VALUES ('time_zone', ?, ?, ?)",
                     (time_zone, stamp, by))
    append_chained(db, "setting", cur.lastrowid)


def tip_problem(db: sqlite3.Connection) -> str | None:
    """A quick look at the chain's tip, for reading commands to warn about a ledger that fails
    verification: the head row is there and follows the link before it, and the newest row of each
    chained table is chained and still matches its hash. A few indexed reads whatever the ledger's
    size (a full `verify` reads everything); an edit further back is found only by `verify`."""
    if not has_chain(db):
        return None
    top = db.execute("SELECT pos, kind, ref, prev_hash, hash FROM chain ORDER BY pos DESC LIMIT 1").fetchone()
    if top is None:
        return None
    before = db.execute("SELECT hash FROM chain WHERE pos = ?", (top[0] - 1,)).fetchone()
    if top[3] != (before[0] if before else GENESIS):
        return f"the head (chain position {top[0]}) does not follow the link before it"
    if top[1] not in KINDS or read_row(db, top[1], top[2]) is None:
        return f"the head ({top[1]} {top[2]}) is missing (deleted?)"
    for kind, (table, key) in tables(db).items():
        ref = db.execute(f'SELECT MAX("{key}") FROM "{table}"').fetchone()[0]
        if ref is None:
            continue
        link = db.execute("SELECT prev_hash, hash FROM chain WHERE kind = ? AND ref = ?", (kind, ref)).fetchone()
        if link is None:
            return f"{kind} {ref} is not in the hash chain (added around protestlog?)"
        row = read_row(db, kind, ref)
        try:
            holds = (row_hash(link[0], kind, row) == link[1] and
                     (kind != "entry" or (row["prev_hash"], row["hash"]) == (link[0], link[1])))
        except (LedgerError, ValueError, TypeError, RecursionError):
            holds = False
        if not holds:
            return f"{kind} {ref} does not match its hash (changed after it was written)"
    return None
