"""Where `verify`'s time goes: each of its checks run alone, one after the other, in CPU seconds.

    .venv/bin/python bench/verify_phases.py LEDGER.db

Older code can be measured the same way with its src/ first on PYTHONPATH. Builds nothing: point it
at a ledger (bench/cpu_targets.py or bench/bench.py build them; a
ledger of 10^6 entries takes about 2 minutes to import). Prints one row per check with its CPU
(user + system of this process) and wall time, then `verify` itself, whose threads run the
integrity check and the schema checks beside the chain walk, so its wall time is less than the
sum of the rows.
"""

import argparse
import os
import resource
import sqlite3
import time


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(rows, name, fn):
    c, w = cpu(), time.perf_counter()
    out = fn()
    rows.append((name, cpu() - c, time.perf_counter() - w))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ledger")
    path = parser.parse_args().ledger
    from protestlog import chain
    from protestlog import verify as v
    from protestlog.ledger import Ledger
    from protestlog.schema_check import _fts_integrity, _search_text, schema_problems

    rows = []
    with Ledger(path) as ledger:
        result = {"ok": True, "entries": 0, "head_hash": None, "problems": [], "chain_length": 0,
                  "chained": {kind: 0 for kind in chain.KINDS}, "expect_found_pos": None, "expect_found_at": None}

        def problem(message, **_):
            result["ok"] = False
            result["problems"].append(message)

        timed(rows, "chain walk (main thread)", lambda: v._walk(ledger.db, result, problem, None))
        try:  # older code (to compare with, on PYTHONPATH) took no result
            timed(rows, "entries not in the chain (main thread)", lambda: v._unchained(ledger.db, problem, result))
        except TypeError:
            timed(rows, "entries not in the chain (main thread)", lambda: v._unchained(ledger.db, problem))
        con = sqlite3.connect(path, isolation_level=None)
        con.execute(f"PRAGMA mmap_size = {getattr(v.IntegrityCheck, 'MMAP_BYTES', 0)}")
        timed(rows, "PRAGMA integrity_check (thread 2)", lambda: con.execute("PRAGMA integrity_check").fetchall())
        con.close()
        con = sqlite3.connect(path, isolation_level=None)
        timed(rows, "schema against the code (thread 3)", lambda: schema_problems(con))
        timed(rows, "FTS5 integrity-check (thread 3)", lambda: _fts_integrity(con))
        timed(rows, "search_text against the entries (thread 3)", lambda: _search_text(con))
        con.close()
        whole = timed(rows, "verify() (all of the above, threaded)", lambda: v.verify(ledger))
    print(f"{result['entries']:,} entries; checks {'passed' if result['ok'] and whole['ok'] else 'FAILED'}; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| check | CPU s | wall s |\n|---|---|---|")
    for name, c, w in rows:
        print(f"| {name} | {c:.2f} | {w:.2f} |")


if __name__ == "__main__":
    main()
