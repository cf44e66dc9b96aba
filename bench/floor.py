"""What an import of N rows costs at the least, phase by phase, beside `sqlite-utils insert --csv`.

    .venv/bin/python bench/floor.py --rows 100000
    .venv/bin/python bench/floor.py --rows 100000 --cpu   # CPU seconds: on a machine others share

Each phase runs on the whole file in memory, one after the other, through the code the importer
uses: reading the CSV, validating every field, the content fingerprint, building and hashing the
chained entries, and SQLite inserting them into a fresh ledger (every CHECK, index and trigger,
the full-text index filled per chunk, multi-row INSERTs, one transaction). The sum is what a one-thread import
costs; the insert alone is the floor no Python change can go under. Run it on an idle machine,
or with --cpu, which counts CPU seconds (of this process for the phases, of each child for the two
commands) instead of wall time: other jobs on the cores then change the figures far less.
"""

import argparse
import csv
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ENV, PROTESTLOG, SQLITE_UTILS, remove, write_csv  # noqa: E402

from protestlog.ledger import Ledger  # noqa: E402
from protestlog.records import fingerprint, validate  # noqa: E402


CLOCK = time.perf_counter  # time.process_time with --cpu


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

    def run(self):
        for sql, params in self.pending:
            self.db.execute(sql, params)


def phases(path: Path, db: Path) -> dict:
    today = dt.date(2026, 11, 28)
    out = {}
    started = CLOCK()
    with open(path, encoding="utf-8", newline="") as f:
        raw = list(csv.DictReader(f))
    out["read the CSV"] = CLOCK() - started
    started = CLOCK()
    records = [validate(r, today=today) for r in raw]
    out["validate every field"] = CLOCK() - started
    started = CLOCK()
    prints = [fingerprint(r) for r in records]
    out["content fingerprint (SHA-256)"] = CLOCK() - started
    with Ledger(db, create=True) as ledger:
        ledger.db.execute("PRAGMA cache_size = -65536")
        with ledger.writing():
            statements = Deferred(ledger.db)
            real, ledger.db = ledger.db, statements  # the appender builds its rows, the statements wait
            started = CLOCK()
            try:
                ledger.appender(by="bench").many(list(zip(records, prints)), batch_id=1)
            finally:
                ledger.db = real
            out["build and chain the entries (SHA-256)"] = CLOCK() - started
            started = CLOCK()
            statements.run()
        out["SQLite: insert, index, chain, commit"] = CLOCK() - started
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cpu", action="store_true", help="CPU seconds instead of wall time")
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
        parts = phases(path, db)
        remove(db)
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


if __name__ == "__main__":
    main()
