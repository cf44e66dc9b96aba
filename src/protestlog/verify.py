"""Checking that the ledger is what it says it is.

`verify` recomputes every entry's hash along the chain and runs SQLite's own integrity
check. It proves the file is internally consistent and, with `expect`, that it still
contains a state published earlier. It cannot prove that nobody rebuilt the whole chain
after editing it (anyone who can write the file can), which is why published head
hashes matter: a rebuilt chain no longer passes through them.
"""

import sqlite3

from protestlog.ledger import GENESIS, Ledger, entry_hash, row_to_entry


def verify(ledger: Ledger, *, expect: str | None = None) -> dict:
    result = {"ok": True, "entries": 0, "head_hash": None, "problems": [], "expect": expect,
              "expect_found_at": None}

    def problem(seq, message):
        result["ok"] = False
        result["problems"].append({"seq": seq, "message": message})

    try:
        integrity = [r[0] for r in ledger.db.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        integrity = [str(exc)]
    if integrity != ["ok"]:
        problem(None, "SQLite integrity check failed: " + "; ".join(integrity[:3]))

    prev, expected_seq = GENESIS, 1
    revisions: dict[int, int] = {}
    for row in ledger.db.execute("SELECT * FROM entries ORDER BY seq"):
        entry = row_to_entry(row)
        seq = entry["seq"]
        where = f"entry {seq} (record {entry['record_id']}, revision {entry['revision']})"
        if seq != expected_seq:
            problem(seq, f"entries {expected_seq}–{seq - 1} are missing (deleted?) before {where}")
        elif entry["prev_hash"] != prev:
            problem(seq, f"{where} does not follow the entry before it (reordered or an entry replaced)")
        elif entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problem(seq, f"{where} does not match its hash (changed after it was written)")
        elif entry["revision"] != revisions.get(entry["record_id"], 0) + 1:
            problem(seq, f"{where} breaks the record's revision sequence")
        if not result["ok"]:
            break
        revisions[entry["record_id"]] = entry["revision"]
        prev, expected_seq = entry["hash"], seq + 1
        result["entries"] += 1
        if expect and entry["hash"] == expect:
            result["expect_found_at"] = seq
    result["head_hash"] = prev if result["entries"] else None
    if result["ok"] and expect and result["expect_found_at"] is None:
        problem(None, f"the chain does not pass through the expected hash {expect} "
                      f"(the ledger was rebuilt, or the hash belongs to another ledger)")
    return result
