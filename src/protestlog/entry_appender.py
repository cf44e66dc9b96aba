"""Appending incident entries: each one hashed onto the chain and indexed for search, in the
caller's transaction (`Ledger.writing()`); an import's chunk goes in with one statement."""

import hashlib
import operator
import sqlite3

from protestlog import catalog, chain
from protestlog.bulk import insert_many
from protestlog.chain import GENESIS, canonical_json
from protestlog.errors import LedgerError
from protestlog.json_text import sources_text
from protestlog.records import LATER_FIELDS, fingerprint

ENTRY_META = ("seq", "record_id", "revision", "action", "recorded_at", "recorded_by", "reason")


def make_appender(ledger, *, by: str | None, fields: tuple):
    """An `append(record, ...)` function that keeps the chain head in memory.

    `append.many(items, batch_id=...)` appends many new records at once (an import's chunk):
    one statement instead of one per record; the hashes chain exactly as one by one.
    """
    from protestlog.ledger import who

    last = ledger.last_entry()
    top = chain.head(ledger.db)
    state = {
        "seq": last["seq"] if last else 0,
        "hash": top["hash"] if top else GENESIS,
        "next_id": (ledger.db.execute("SELECT COALESCE(MAX(record_id), 0) FROM entries").fetchone()[0] + 1),
    }
    # Recording times never go backwards along the chain, so "as of T" is always a prefix of it.
    stamp = chain.now(ledger.db)
    recorder = who(by)
    # Fields added by a later schema are written only where the table has them (a ledger being
    # written at an older version, as tests of migrations do); a value for a missing one is refused.
    stored = {r[1] for r in ledger.db.execute("PRAGMA table_info(entries)")}
    columns = tuple(c for c in ENTRY_META + fields + ("batch_id", "fingerprint", "prev_hash", "hash")
                    if c in stored or c not in LATER_FIELDS)
    names, marks = ", ".join(_q(c) for c in columns), ", ".join("?" for _ in columns)
    sql = f"INSERT INTO entries ({names}) VALUES ({marks})"
    index = catalog.entry_indexer(ledger.db)  # the search index, in the same transaction
    hashed = chain.entry_hasher(ENTRY_META + fields + ("batch_id", "fingerprint"))
    missing = tuple(f for f in fields if f not in columns)  # fields this ledger's schema lacks

    def build(record: dict, *, action: str, record_id: int | None, revision: int, reason: str | None,
              batch_id: int | None, print_: str | None) -> dict:
        """The next entry with its hash, and the chain head moved on to it."""
        new_id = record_id is None
        if new_id:
            record_id = state["next_id"]
        entry = {"seq": state["seq"] + 1, "record_id": record_id, "revision": revision, "action": action,
                 "recorded_at": stamp, "recorded_by": recorder, "reason": reason}
        entry.update(zip(fields, map(record.get, fields)))
        for f in missing:
            if entry[f] is not None:
                raise LedgerError(f"this ledger's schema has no {f} column; open it with this protestlog "
                                  f"to migrate it first")
        entry["sources"] = canonical_json(record.get("sources") or [])
        entry["batch_id"] = batch_id
        entry["fingerprint"] = None if action == "retract" else (print_ or fingerprint(record))
        entry["prev_hash"] = state["hash"]
        entry["hash"] = hashed(state["hash"], entry)
        if new_id:
            state["next_id"] += 1
        state["seq"], state["hash"] = entry["seq"], entry["hash"]
        return entry

    def append(record: dict, *, action: str = "create", record_id: int | None = None,
               revision: int = 1, reason: str | None = None, batch_id: int | None = None,
               print_: str | None = None) -> dict:
        """Append one entry."""
        before = dict(state)
        entry = build(record, action=action, record_id=record_id, revision=revision, reason=reason,
                      batch_id=batch_id, print_=print_)
        try:
            ledger.db.execute(sql, [entry[c] for c in columns])
            chain.link(ledger.db, "entry", entry["seq"], entry["prev_hash"], entry["hash"])
            if index:
                index(entry["seq"], entry["seq"])
        except sqlite3.IntegrityError as exc:
            state.update(before)
            raise LedgerError(f"the ledger refused record {entry['record_id']}: {exc}") from None
        entry["sources"] = record.get("sources") or []
        return entry

    hashed_keys = ENTRY_META + fields + ("batch_id", "fingerprint")
    record_values = operator.itemgetter(*fields)
    sources_at = hashed_keys.index("sources")
    kept = [i for i, c in enumerate(hashed_keys + ("prev_hash", "hash")) if c in columns]  # the stored columns
    all_kept = columns == hashed_keys + ("prev_hash", "hash")
    missing_at = [hashed_keys.index(f) for f in missing]

    def many(items, *, batch_id: int | None = None) -> list[int]:
        """Append new records, each given as (record, fingerprint); returns their record ids.
        One loop builds each row in column order, its canonical JSON and its hash (no entry dict)."""
        rows, links = [], []
        seq, record_id, prev = state["seq"], state["next_id"], state["hash"]
        text, sha256 = hashed.text, hashlib.sha256
        for record, print_ in items:
            seq += 1
            try:
                values = record_values(record)
            except KeyError:  # a record without some field: it counts as None
                values = [record.get(f) for f in fields]
            row = [seq, record_id, 1, "create", stamp, recorder, None, *values, batch_id,
                   print_ or fingerprint(record)]
            row[sources_at] = sources_text(row[sources_at] or [])
            for i in missing_at:
                if row[i] is not None:
                    raise LedgerError(f"this ledger's schema has no {hashed_keys[i]} column; open it with this "
                                      f"protestlog to migrate it first")
            digest = sha256((prev + "\n" + text(row)).encode("utf-8")).hexdigest()
            row += (prev, digest)
            rows.append(row if all_kept else [row[i] for i in kept])
            links.append((seq, prev, digest))
            prev = digest
            record_id += 1
        if not rows:
            return []
        state["seq"], state["next_id"], state["hash"] = seq, record_id, prev
        try:
            insert_many(ledger.db, f"INSERT INTO entries ({names}) VALUES", f"({marks})", rows)
            chain.link_many(ledger.db, links)
            if index:
                index(links[0][0], links[-1][0])
        except sqlite3.IntegrityError as exc:  # the caller rolls the whole transaction back
            raise LedgerError(f"the ledger refused a record of this batch: {exc}") from None
        return list(range(rows[0][1], record_id))

    append.many = many
    return append


def _q(column: str) -> str:
    return f'"{column}"'
