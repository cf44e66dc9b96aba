"""The issue's absolute-time targets in CPU seconds, for a machine whose cores other jobs share.

    .venv/bin/python bench/cpu_targets.py --sizes 30000 300000 --commands duplicates check
    .venv/bin/python bench/cpu_targets.py --sizes 1000000 --commands verify summary

On a shared machine wall time mostly measures the other jobs (`protestlog check` on 100,000 records
took 28 s of wall time and 3.3 s of CPU at load 13 on 2 cores). These commands run on one core and
wait on little I/O, so their user + system CPU time is close to what they take on an idle machine.
Each command runs once on a ledger built by `protestlog import` of bench.py's synthetic file; the
wall time and load average are printed beside it. `summary` is compared with the one-query
`sqlite3` floor, as in bench.py.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ENV, FLOOR_SQL, PROTESTLOG, SPAN, SQLITE3, remove, write_csv  # noqa: E402
import subprocess  # noqa: E402

COMMANDS = {
    "verify": ["verify"],
    "duplicates": ["duplicates", "--format", "csv"],
    "check": ["check"],
    "summary": ["summary", *SPAN, "--by", "day", "--format", "json"],
}


def cpu(cmd) -> tuple[float, float]:
    """(user + system CPU seconds, wall seconds) of one child. `check` exits 1 on synthetic data's duplicates."""
    started = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1) or (code == 1 and "check" not in map(str, cmd)):
        raise SystemExit(f"failed ({code}): {' '.join(map(str, cmd))}")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 300_000])
    parser.add_argument("--commands", nargs="+", choices=sorted(COMMANDS), default=["duplicates", "check"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="protestlog-cpu-"))
    print("| records | command | CPU seconds | wall seconds | load average |\n|---|---|---|---|---|", flush=True)
    try:
        for size in args.sizes:
            path, db = tmp / f"seed-{size}.csv", tmp / f"ledger-{size}.db"
            write_csv(path, size)  # the file bench.py builds its ledgers from
            t_cpu, t_wall = cpu([PROTESTLOG, "--db", db, "import", path])
            print(f"| {size:,} | import | {t_cpu:.2f} | {t_wall:.2f} | {os.getloadavg()[0]:.1f} |", flush=True)
            for name in args.commands:
                t_cpu, t_wall = cpu([PROTESTLOG, "--db", db, *COMMANDS[name]])
                print(f"| {size:,} | {name} | {t_cpu:.2f} | {t_wall:.2f} | {os.getloadavg()[0]:.1f} |", flush=True)
                if name == "summary":
                    f_cpu, f_wall = cpu([SQLITE3, db, FLOOR_SQL])
                    print(f"| {size:,} | `sqlite3` floor of summary | {f_cpu:.2f} | {f_wall:.2f} | "
                          f"{os.getloadavg()[0]:.1f} |", flush=True)
            remove(db)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
