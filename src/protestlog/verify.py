"""Checking that the ledger is what it says it is.

`verify` walks the one chain (chain.py) in order and recomputes every hash from the row it
references, read as SQLite reads it; it fails on a chained row that is missing or changed,
on a row of any chained table that is not in the chain, on SQLite's integrity check, and on any
view, trigger, table or search index row that is not what this code makes (schema_check.py).
It proves the file is internally consistent and, with `expect`, that it still contains a
state published earlier. It cannot prove that nobody rebuilt the whole chain after editing
it (anyone who can write the file can), which is why published head hashes matter: a
rebuilt chain no longer passes through them.
"""

import datetime as dt
import json
import sqlite3
import threading

from protestlog import chain
from protestlog.chain import GENESIS
from protestlog.errors import LedgerError
from protestlog.ledger import Ledger
from protestlog.verify_walk import INTEGER_COLUMNS, STORED_INSTANT, EntryWalk  # noqa: F401  (EntryWalk: tests)
from protestlog.verify_walk import instant as _instant
from protestlog.verify_walk import undecodable_text

CLOCK_SKEW = dt.timedelta(minutes=10)  # another recorder's clock may run a little ahead of ours


def verify(ledger: Ledger, *, expect: str | None = None) -> dict:
    """{ok, entries, head_hash, problems[{seq, pos, kind, ref, message}], warnings[message], expect,
    expect_found_at, ...}."""
    result = {"ok": True, "entries": 0, "head_hash": None, "problems": [], "warnings": [], "expect": expect,
              "expect_found_at": None, "expect_found_pos": None, "chain_length": 0,
              "chained": {kind: 0 for kind in chain.KINDS}, "previous_head": None}
    db = ledger.db

    def problem(message, *, seq=None, pos=None, kind=None, ref=None):
        result["ok"] = False
        result["problems"].append({"seq": seq, "message": message, "pos": pos, "kind": kind, "ref": ref})

    integrity = IntegrityCheck(ledger)  # on the other core, while the chain is walked here
    try:
        _walk(db, result, problem, expect)
        _unchained(db, problem, result)
    except sqlite3.DatabaseError as exc:
        where = undecodable_text(ledger.path) if "decode" in str(exc) else None
        if where:
            problem(f"{where[0]} {where[1]} has {where[2]} that is not valid UTF-8 text (edited around protestlog?); "
                    "the chain is not checked past it", kind=where[0], ref=where[1],
                    seq=where[1] if where[0] == "entry" else None)
        else:
            problem(f"the ledger cannot be read: {str(exc)[:200]}")
    found = integrity.result()
    if found != ["ok"]:
        problem("SQLite integrity check failed: " + "; ".join(found[:3]))
        result["problems"].insert(0, result["problems"].pop())  # the file itself comes first
    for message in integrity.schema + integrity.index:
        problem(message)
    result["warnings"] = integrity.added  # objects someone added that cannot change a figure or a write
    previous = db.execute("SELECT value FROM settings WHERE key = 'previous_head' ORDER BY id LIMIT 1").fetchone()
    result["previous_head"] = previous[0] if previous else None
    if result["ok"] and expect and result["expect_found_pos"] is None:
        problem(f"the chain does not pass through the expected hash {expect} "
                f"(the ledger was rebuilt, or the hash belongs to another ledger)")
    return result


class IntegrityCheck:
    """SQLite's integrity check, and what the chain does not cover (schema_check.py: the views,
    triggers and tables against the code that makes them, the search index), each on a connection
    of its own in a thread of its own: SQLite releases the GIL while it works, so on a large ledger
    they share the cores with the chain walk and cost little time beside it."""

    # The integrity check reads every page and looks up every index entry: mapping the file into
    # memory saves a copy per page read (a fifth of its time at 10^6 entries). SQLite caps it.
    MMAP_BYTES = 1 << 31

    def __init__(self, ledger: Ledger):
        self.found: list[str] = []
        self.schema: list[str] = []
        self.index: list[str] = []
        self.added: list[str] = []
        args = (ledger.path, ledger.lock_timeout)
        self.threads = [threading.Thread(target=target, args=args, name=name, daemon=True)
                        for target, name in ((self._integrity, "protestlog-integrity-check"),
                                             (self._schema, "protestlog-schema-check"))]
        for thread in self.threads:
            thread.start()

    def _integrity(self, path, timeout):
        try:
            con = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            self.found = [str(exc)]
            return
        try:
            con.execute(f"PRAGMA mmap_size = {self.MMAP_BYTES}")
            self.found = [r[0] for r in con.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            self.found = [str(exc)]
        finally:
            con.close()

    def _schema(self, path, timeout):
        from protestlog.schema_check import added_objects, index_problems, schema_problems

        try:
            con = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.DatabaseError as exc:  # fail closed
            self.schema = [f"the ledger's schema could not be checked: {exc}"]
            return
        try:
            damaged = schema_problems(con)
            self.schema = [message for _, message in damaged]
            self.index = index_problems(con, {name for name, _ in damaged})
            self.added = added_objects(con)[1]
        except Exception as exc:  # fail closed: a check that could not run is a problem, never a pass
            self.schema.append(f"the ledger's schema could not be checked: {exc}")
        finally:
            con.close()

    def result(self) -> list[str]:
        for thread in self.threads:
            thread.join()
        return self.found


def _walk(db, result, problem, expect):
    """Follow the chain from the genesis; stop at the first link that does not hold.

    One query streams the chain with its entries, in batches; EntryWalk.advance takes the entries
    that pass its checks without a further query; any other row is checked by `_exact` below.
    """
    prev, expected_pos = GENESIS, 1
    revisions: dict[int, int] = {}
    present = chain.tables(db)
    clock = Clock(db)
    fast = EntryWalk(db) if "entry" in present else None
    cursor = db.cursor()
    cursor.row_factory = None
    sql = ("SELECT c.pos, c.kind, c.ref, c.prev_hash, c.hash" + (f", {fast.select}" if fast else "") +
           " FROM chain AS c" + (" LEFT JOIN entries AS e ON c.kind = 'entry' AND e.seq = c.ref" if fast else "") +
           " ORDER BY c.pos")
    cursor.execute(sql)
    size = EntryWalk.BATCH
    while rows := cursor.fetchmany(size):
        i = 0
        while i < len(rows):
            if fast:
                taken, prev, expected_pos, found = fast.advance(rows, i, prev, expected_pos, revisions, clock, expect)
                _count(result, "entry", taken - i)
                if found:
                    result["expect_found_pos"], result["expect_found_at"] = found
                i = taken
                if i == len(rows):
                    break
            pos, kind, ref, link_prev, link_hash = rows[i][:5]
            if not _exact(db, result, problem, expect, present, clock, revisions, prev, expected_pos,
                          {"pos": pos, "kind": kind, "ref": ref, "prev_hash": link_prev, "hash": link_hash}):
                cursor.close()
                return
            prev, expected_pos = link_hash, pos + 1
            i += 1
    if result["ok"]:
        result["head_hash"] = prev if result["chain_length"] else None


def _count(result, kind, links):
    result["chain_length"] += links
    result["chained"][kind] += links
    if kind == "entry":
        result["entries"] += links


def _exact(db, result, problem, expect, present, clock, revisions, prev, expected_pos, link) -> bool:
    """Check one link row by row (the exact path): False, with the problem named, when it does not hold."""
    pos, kind, ref = link["pos"], link["kind"], link["ref"]
    where = f"chain position {pos} ({kind} {ref})"
    if pos != expected_pos:
        problem(f"chain positions {expected_pos}–{pos - 1} are missing (deleted?) before {where}", pos=pos)
        return False
    if link["prev_hash"] != prev:
        problem(f"{where} does not follow the link before it (reordered or a link replaced)",
                pos=pos, kind=kind, ref=ref, seq=ref if kind == "entry" else None)
        return False
    row = chain.read_row(db, kind, ref) if kind in present else None
    if row is not None:
        wrong = canonical_problem(kind, row, before_chain=pos < clock.anchor) or clock.problem(pos, kind, row)
        if wrong:
            name = f"entry {ref}" if kind == "entry" else f"{kind} {ref}"
            problem(f"{name} {wrong}", pos=pos, kind=kind, ref=ref, seq=ref if kind == "entry" else None)
            return False
    if kind == "entry":
        if not _entry_holds(row, link, prev, revisions, problem):
            return False
    else:
        if row is None:
            problem(f"{kind} {ref} is chained at position {pos} but missing (deleted?)", pos=pos, kind=kind, ref=ref)
            return False
        try:
            recomputed = chain.row_hash(prev, kind, row)
        except LedgerError as exc:
            problem(f"{where}: {exc}", pos=pos, kind=kind, ref=ref)
            return False
        if recomputed != link["hash"]:
            problem(f"{kind} {ref} does not match its hash (changed after it was written)", pos=pos, kind=kind,
                    ref=ref)
            return False
    _count(result, kind, 1)
    if expect and link["hash"] == expect:
        result["expect_found_pos"] = pos
        result["expect_found_at"] = ref if kind == "entry" else None
    return True


def canonical_problem(kind: str, row: dict, *, before_chain: bool = False) -> str | None:
    """Why a stored row is not in the one form protestlog writes (None: it is). Only that form is
    hashed and read the same way by Python and by SQLite's JSON functions. An entry recorded before
    the ledger joined the one chain (`before_chain`) may also hold its sources as schemas 1 and 2
    wrote them (legacy_sources)."""
    for column, value in row.items():
        if value is None:
            continue
        if isinstance(value, bytes):
            return f"has a blob in {column} (stored around protestlog; not in canonical form)"
        if isinstance(value, float):
            return f"has a real number in {column} (not in canonical form)"
        integer = column in INTEGER_COLUMNS if kind == "entry" else isinstance(value, int)
        if integer and not isinstance(value, int):
            return f"has text in the integer column {column} (not in canonical form)"
        if not integer and isinstance(value, int):
            return f"has an integer in the text column {column} (not in canonical form)"
    stamp = row.get("recorded_at")
    if not isinstance(stamp, str) or not STORED_INSTANT.match(stamp) or not _instant(stamp):
        return f"has recorded_at {stamp!r}, not in canonical form (YYYY-MM-DDTHH:MM:SS.ffffffZ)"
    for column in JSON_COLUMNS.get(kind, ()):
        text = row.get(column)
        try:
            parsed = json.loads(text, object_pairs_hook=_no_repeated_keys)
        except (ValueError, TypeError, RecursionError):
            return f"has {column} that are not canonical JSON (a repeated key, or not JSON)"
        if chain.canonical_json(parsed) != text and not (before_chain and kind == "entry" and column == "sources"
                                                         and legacy_sources(parsed, text)):
            return f"has {column} that are not in canonical JSON form"
    return None


LEGACY_SOURCE_KEYS = {"name", "url", "accessed"}


def legacy_sources(parsed, text: str) -> bool:
    """True when `text` is exactly what the writer of schemas 1 and 2 stored for these sources
    (commits bc6fe21 to 74ad446: json.dumps(sources, ensure_ascii=False), so ", " and ": " between
    items and keys in the writer's order, not sorted): a list of {name, url, accessed} strings, no
    repeated key (the caller parsed it so), no other spelling of any value. That text reads the
    same to Python and to SQLite's JSON functions, and the entry's hash covers its canonical form,
    so accepting it lets nothing else through; every other non-canonical text is still refused."""
    if not isinstance(parsed, list):
        return False
    for source in parsed:
        if not (isinstance(source, dict) and source and set(source) <= LEGACY_SOURCE_KEYS
                and all(isinstance(v, str) for v in source.values())):
            return False
    return json.dumps(parsed, ensure_ascii=False) == text


# JSON text columns, per chained kind: Python and SQLite's json_extract read them alike only in canonical form.
JSON_COLUMNS = {"entry": ("sources",), "victim": ("sources", "other_names")}


def _no_repeated_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("repeated key")
    return dict(pairs)


class Clock:
    """Recording time only moves forward along the chain and never lies after the check.

    Before schema 7 only entries were chained; its migration chained the older milestones and
    batches after them, so up to that anchor (the `previous_head` setting) entries and the
    other kinds are each in order among themselves; from the anchor on, everything is.
    """

    def __init__(self, db):
        row = db.execute("SELECT MIN(c.pos) FROM chain c JOIN settings s ON c.kind = 'setting' AND c.ref = s.id "
                         "WHERE s.key = 'previous_head'").fetchone()
        self.anchor = row[0] if row and row[0] else 0
        self.last = {"entries": "", "others": ""}
        self.limit = chain.format_instant(dt.datetime.now(dt.timezone.utc) + CLOCK_SKEW)

    def problem(self, pos: int, kind: str, row: dict) -> str | None:
        stamp = row["recorded_at"]
        if stamp > self.limit:
            return f"was recorded at {stamp}, in the future (after the time of this check)"
        if pos < self.anchor:
            group = "entries" if kind == "entry" else "others"
            before = self.last[group]
        else:
            group, before = None, max(self.last.values())
        if stamp < before:
            return f"was recorded at {stamp}, before {before} earlier in the chain (time goes backwards)"
        if group:
            self.last[group] = stamp
        else:
            self.last = {"entries": stamp, "others": stamp}
        return None


def _entry_holds(entry, link, prev, revisions, problem) -> bool:
    from protestlog.ledger import row_to_entry

    seq, pos = link["ref"], link["pos"]
    if entry is None:
        problem(f"entry {seq} is missing (deleted?) at chain position {pos}", seq=seq, pos=pos, kind="entry", ref=seq)
        return False
    where = f"entry {seq} (record {entry['record_id']}, revision {entry['revision']})"
    if entry["prev_hash"] != prev:
        problem(f"{where} does not follow the entry before it (reordered or an entry replaced)", seq=seq, pos=pos,
                kind="entry", ref=seq)
        return False
    try:
        recomputed = chain.entry_hash(prev, row_to_entry(entry) | {"sources": entry["sources"]})
    except (ValueError, TypeError):
        recomputed = None
    if recomputed != entry["hash"] or entry["hash"] != link["hash"]:
        problem(f"{where} does not match its hash (changed after it was written)", seq=seq, pos=pos, kind="entry",
                ref=seq)
        return False
    if entry["revision"] != revisions.get(entry["record_id"], 0) + 1:
        problem(f"{where} breaks the record's revision sequence", seq=seq, pos=pos, kind="entry", ref=seq)
        return False
    revisions[entry["record_id"]] = entry["revision"]
    return True


def _unchained(db, problem, result):
    """A row of a chained table that is not in the chain was added around protestlog (e.g. with sqlite3).

    After a walk that held, each entry link is a distinct entry (a second link to the same entry
    would break its record's revision sequence), so as many entries as entry links leaves none out
    and the million lookups are not needed; otherwise, and for the other kinds, the rows are looked up."""
    for kind, (table, key) in chain.tables(db).items():
        if kind == "entry" and result["ok"] and db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == result["chained"][kind]:
            continue
        rows = db.execute(f'SELECT t."{key}" FROM "{table}" t WHERE NOT EXISTS (SELECT 1 FROM chain c '
                          f'WHERE c.kind = ? AND c.ref = t."{key}") ORDER BY t."{key}" LIMIT 3', (kind,)).fetchall()
        for (ref,) in rows:
            name = "entry" if kind == "entry" else kind
            problem(f"{name} {ref} is not in the hash chain (added around protestlog?)", kind=kind, ref=ref,
                    seq=ref if kind == "entry" else None)
