"""What an import of N rows costs at the least, phase by phase, beside `sqlite-utils insert --csv`.

    .venv/bin/python bench/floor.py --rows 100000
    .venv/bin/python bench/floor.py --rows 100000 --cpu            # CPU seconds: on a machine others share
    .venv/bin/python bench/floor.py --rows 100000 --cpu --detail   # and what the SQLite part is made of

Each phase runs on the whole file, one after the other, through the code the importer uses and the
way it uses it: reading the file (importer.rows), validating every field (RowValidator), the
content fingerprint, building and chaining the entries (the bulk appender, its statements held
back), then SQLite, chunk by chunk as the importer does: the idempotency lookups (the ids and
fingerprints of the chunk in the ledger and earlier in the file), the entries' multi-row INSERTs,
the chain, the full-text index of the chunk, and the commit. The phases' sum is what a one-thread
import costs without the streaming glue; the SQLite phase alone is the floor no Python change can
go under. --detail runs the SQLite phase again without each part of the schema in turn (CHECK
constraints, the secondary indexes of entries, the search index): what each guarantee costs.
Run it on an idle machine, or with --cpu, which counts CPU seconds (of this process for the phases,
of each child for the two commands) instead of wall time: other jobs on the cores change it far less.
"""

import argparse
import datetime as dt
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ENV, PROTESTLOG, SQLITE_UTILS, remove, write_csv  # noqa: E402

from protestlog.file_repeats import Repeats  # noqa: E402
from protestlog.import_chunk import Chunk  # noqa: E402
from protestlog.importer import CHUNK_ROWS, rows  # noqa: E402
from protestlog.ledger import Ledger  # noqa: E402
from protestlog.records import fingerprint  # noqa: E402
from protestlog.row_validator import RowValidator  # noqa: E402

CLOCK = time.perf_counter  # time.process_time with --cpu
SECONDARY = ("entries_record", "entries_recorded_at", "entries_date", "entries_external_id", "entries_fingerprint",
             "entries_batch", "entries_later_revisions")


def wall(cmd) -> float:
    """The command's wall time, or with --cpu its user + system CPU time."""
    started = CLOCK()
    proc = subprocess.Popen([str(c) for c in cmd], env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}")
    return usage.ru_utime + usage.ru_stime if CLOCK is time.process_time else CLOCK() - started


class Deferred:
    """A connection whose writes are recorded, to be run later: separates building rows from inserting them."""

    def __init__(self, db):
        self.db, self.pending = db, []

    def execute(self, sql, params=()):
        if sql.lstrip().upper().startswith("INSERT"):
            self.pending.append((sql, list(params)))
            return None
        return self.db.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self.db, name)


def build(path: Path, db: Path) -> tuple[dict, list, list]:
    """The Python phases; returns their times, the chunks of (line, record, fingerprint) and each
    chunk's held-back INSERT statements."""
    out = {}
    # Every row is held at once here (the import streams them): Python's cycle collector would rescan
    # them all again and again, a cost the import never has. Nothing here makes cycles.
    gc.disable()
    started = CLOCK()
    with open(path, "rb") as raw:
        read = list(rows(raw, "csv"))
    out["read the CSV (importer.rows)"] = CLOCK() - started
    started = CLOCK()
    validate = RowValidator(dt.date(2026, 11, 28))
    records = [(line, validate(row)) for line, row in read]
    out["validate every field"] = CLOCK() - started
    started = CLOCK()
    prints = [fingerprint(record) for _, record in records]
    out["content fingerprint (SHA-256)"] = CLOCK() - started
    chunks = [[(line, record, print_) for (line, record), print_ in zip(records[i:i + CHUNK_ROWS],
                                                                      prints[i:i + CHUNK_ROWS])]
              for i in range(0, len(records), CHUNK_ROWS)]
    statements = []
    with Ledger(db, create=True) as ledger:
        with ledger.writing():
            held = Deferred(ledger.db)
            real, ledger.db = ledger.db, held  # the appender builds its rows, the statements wait
            started = CLOCK()
            try:
                append = ledger.appender(by="bench")
                for chunk in chunks:
                    append.many([(record, print_) for _, record, print_ in chunk], batch_id=1)
                    statements.append(held.pending)
                    held.pending = []
            finally:
                ledger.db = real
            out["build and chain the entries (SHA-256)"] = CLOCK() - started
    gc.enable()
    remove(db)
    return out, chunks, statements


def sqlite_phase(db: Path, chunks: list, statements: list, drop=(), no_checks=False) -> tuple[float, float]:
    """SQLite's part, as the importer runs it: per chunk, the idempotency lookups and the held-back
    INSERTs; then the commit. Returns (lookups, inserts and commit). `drop`/`no_checks` take away
    parts of the schema, to see what each costs (--detail)."""
    lookups = inserts = 0.0
    with Ledger(db, create=True) as ledger:
        ledger.db.execute("PRAGMA cache_size = -65536")  # as the importer sets it
        for index in drop:
            if index != "search":  # the search index: its statements are skipped below
                ledger.db.execute(f"DROP INDEX {index}")
        if no_checks:
            ledger.db.execute("PRAGMA ignore_check_constraints = ON")
        with ledger.writing():
            result = {"added": 0, "already_present": 0, "rejected": 0, "retracted": [], "differs": []}
            repeats = Repeats(ledger.db)
            chunker = Chunk(ledger.db, None, 1, result, repeats=repeats)
            for chunk, pending in zip(chunks, statements):
                started = CLOCK()
                repeats.check([(line, record["external_id"], print_) for line, record, print_ in chunk])
                chunker.rows = chunk
                chunker._known()
                lookups += CLOCK() - started
                started = CLOCK()
                for sql, params in pending:
                    if "search" in drop and sql.startswith("INSERT INTO search_text"):
                        continue
                    ledger.db.execute(sql, params)
                inserts += CLOCK() - started
            repeats.close()
            started = CLOCK()
        inserts += CLOCK() - started  # the commit
    remove(db)
    return lookups, inserts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cpu", action="store_true", help="CPU seconds instead of wall time")
    parser.add_argument("--detail", action="store_true", help="the SQLite phase without each part of the schema")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    with tempfile.TemporaryDirectory(prefix="protestlog-floor-") as tmp:
        tmp = Path(tmp)
        path = tmp / "import.csv"
        write_csv(path, args.rows, seed=7, prefix="i")
        su_db, db, real = tmp / "su.db", tmp / "floor.db", tmp / "import.db"
        t_su = wall([SQLITE_UTILS, "insert", su_db, "incidents", path, "--csv"])
        t_import = wall([PROTESTLOG, "--db", real, "import", path])
        parts, chunks, statements = build(path, db)
        lookups, inserts = sqlite_phase(db, chunks, statements)
        parts["SQLite: idempotency lookups (per chunk, in the ledger and the file)"] = lookups
        parts["SQLite: insert, index, chain, search index, commit"] = inserts
        detail = {}
        if args.detail:
            for label, kwargs in (("without the CHECK constraints", {"no_checks": True}),
                                  ("without the 7 secondary indexes of entries", {"drop": SECONDARY}),
                                  ("without the fingerprint index alone", {"drop": ("entries_fingerprint",)}),
                                  ("without the full-text index", {"drop": ("search",)})):
                detail[label] = sqlite_phase(db, chunks, statements, **kwargs)[1]
    total = sum(parts.values())
    unit = "CPU seconds" if args.cpu else "seconds"
    print(f"{args.rows:,} rows; load average {os.getloadavg()[0]:.1f}\n")
    print(f"| phase | {unit} | share of sqlite-utils |\n|---|---|---|")
    for name, t in parts.items():
        print(f"| {name} | {t:.2f} | {t / t_su:.2f} |")
    print(f"| all phases, one after the other | {total:.2f} | {total / t_su:.2f} |")
    print(f"| `protestlog import` (streamed in chunks, plus start-up) | {t_import:.2f} | "
          f"{t_import / t_su:.2f} |")
    print(f"| `sqlite-utils insert --csv` | {t_su:.2f} | 1.00 |")
    if detail:
        print(f"\n| the SQLite insert phase ({inserts:.2f}) | {unit} | saved |\n|---|---|---|")
        for name, t in detail.items():
            print(f"| {name} | {t:.2f} | {inserts - t:.2f} |")


if __name__ == "__main__":
    main()
