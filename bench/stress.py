"""Stress: writers and readers on one ledger for a set time; operations per second and errors.

Not run in CI. Each writer is a separate process appending one record per transaction
through the library (BEGIN IMMEDIATE, hash chain, synchronous=FULL); each reader runs the
summary query. At the end the chain is verified and the record count compared with the
writes that reported success.

    .venv/bin/python bench/stress.py --writers 4 --readers 2 --seconds 20
"""

import argparse
import datetime as dt
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from protestlog.ledger import Ledger  # noqa: E402
from protestlog.records import validate  # noqa: E402
from protestlog.reports import summary  # noqa: E402
from protestlog.verify import verify  # noqa: E402

TODAY = dt.date(2023, 6, 1)


def writer(path: str, seconds: float, n: int, out):
    ok = errors = 0
    record = validate({"date": "2022-12-15", "region": "Ayacucho", "killed": "1", "note": f"writer {n}"},
                      today=TODAY)
    deadline = time.monotonic() + seconds
    with Ledger(path, lock_timeout=30) as ledger:
        while time.monotonic() < deadline:
            try:
                ledger.add(record, by=f"writer{n}")
                ok += 1
            except Exception as exc:  # counted, never hidden
                errors += 1
                print(f"writer {n}: {exc}", file=sys.stderr)
    out.put(("write", ok, errors))


def reader(path: str, seconds: float, out):
    ok = errors = 0
    deadline = time.monotonic() + seconds
    with Ledger(path, lock_timeout=30) as ledger:
        while time.monotonic() < deadline:
            try:
                summary(ledger, since=dt.date(2022, 12, 7), until=dt.date(2023, 1, 31), by="week")
                ok += 1
            except Exception as exc:
                errors += 1
                print(f"reader: {exc}", file=sys.stderr)
    out.put(("read", ok, errors))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "stress.db")
        Ledger(path, create=True).close()
        out = mp.Queue()
        procs = [mp.Process(target=writer, args=(path, args.seconds, n, out)) for n in range(args.writers)]
        procs += [mp.Process(target=reader, args=(path, args.seconds, out)) for _ in range(args.readers)]
        started = time.monotonic()
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.monotonic() - started
        writes = sum(r[1] for r in results if r[0] == "write")
        reads = sum(r[1] for r in results if r[0] == "read")
        errors = sum(r[2] for r in results)
        with Ledger(path) as ledger:
            report = verify(ledger)
            stored = ledger.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
        print(f"{args.writers} writers, {args.readers} readers, {elapsed:.1f} s on {os.cpu_count()} cores")
        print(f"writes: {writes} ({writes / elapsed:.0f}/s)   reads (summary): {reads} ({reads / elapsed:.1f}/s)")
        print(f"errors: {errors}   records stored: {stored} (== successful writes: {stored == writes})   "
              f"verify: {'OK' if report['ok'] else report['problems'][0]['message']}")
        return 0 if errors == 0 and stored == writes and report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
