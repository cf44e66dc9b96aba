"""Benchmarks for protestlog, each measured side by side with a reference in the same run.

    make bench                      # sizes 10^4, 10^5, 10^6 (about 15 minutes on 2 cores)
    .venv/bin/python bench/bench.py --sizes 10000 100000 --repeat 5

Every comparison runs the two commands alternately, `--repeat` times each, and reports the
median wall time and the ratio protestlog / reference. Memory is the child's peak RSS.
Results are printed as Markdown and written to bench/out/results.md.
"""

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PROTESTLOG = str(BIN / "protestlog")
SQLITE_UTILS = str(BIN / "sqlite-utils")
SQLITE3 = shutil.which("sqlite3")
REGIONS = ["Puno", "Ayacucho", "Apurímac", "Cusco", "Junín", "Lima", "Arequipa", "La Libertad"]
ENV = {**os.environ, "PROTESTLOG_USER": "bench", "PROTESTLOG_TODAY": "2026-11-28"}


def run(cmd, stdin=None, stdout=subprocess.DEVNULL):
    """Wall time and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin or subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}: {proc.stderr.read().decode()[:500]}")
    return elapsed, usage.ru_maxrss / 1024


def alternate(a, b, repeat, setup=None):
    """Run a and b alternately; returns (median a, median b, peak RSS of a)."""
    times_a, times_b, rss = [], [], 0.0
    for _ in range(repeat):
        for which, cmd in (("a", a), ("b", b)):
            if setup:
                setup(which)
            t, m = run(cmd() if callable(cmd) else cmd)
            (times_a if which == "a" else times_b).append(t)
            if which == "a":
                rss = max(rss, m)
    return statistics.median(times_a), statistics.median(times_b), rss


def write_csv(path: Path, rows: int, seed: int = 1, prefix: str = "r"):
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        f.write("external_id,date,region,place,killed,injured,group,circumstance,source,url\n")
        for i in range(rows):
            day = f"2022-12-{rng.randint(1, 31):02d}" if rng.random() < 0.6 else f"2023-0{rng.randint(1, 3)}-{rng.randint(1, 28):02d}"
            f.write(f"{prefix}{i},{day},{rng.choice(REGIONS)},Place {rng.randint(1, 400)},{rng.randint(0, 4)},"
                    f"{rng.randint(0, 12)},{rng.choice(['civilian', 'police', 'unknown'])},"
                    f"{rng.choice(['clash', 'blockade', 'other'])},Report {rng.randint(1, 50)},"
                    f"https://example.org/{prefix}{i}\n")


def build_ledger(db: Path, rows: int, tmp: Path) -> float:
    csv_path = tmp / f"seed-{rows}.csv"
    write_csv(csv_path, rows)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    t, _ = run([PROTESTLOG, "--db", db, "import", csv_path])
    return t


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description="protestlog benchmarks")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="protestlog-bench-"))
    report = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"SQLite {__import__('sqlite3').sqlite_version}, {platform.platform()}; "
              f"medians of {args.repeat} alternating runs.\n"]
    try:
        # ---- start-up ---------------------------------------------------------------
        db = tmp / "startup.db"
        build_ledger(db, 1000, tmp)
        su_db = tmp / "startup-su.db"
        record = tmp / "record.json"
        record.write_text(json.dumps({"date": "2022-12-15", "region": "Ayacucho", "killed": 1}))
        run([SQLITE_UTILS, "insert", su_db, "incidents", record])
        add = [PROTESTLOG, "--db", db, "add", "--date", "2022-12-15", "--region", "Ayacucho", "--killed", "1"]
        su_insert = [SQLITE_UTILS, "insert", su_db, "incidents", record]
        floor = [sys.executable, "-c", "import sqlite3"]
        t_add, t_su, _ = alternate(add, su_insert, args.repeat * 2)
        t_help, t_su_help, _ = alternate([PROTESTLOG, "--help"], [SQLITE_UTILS, "--help"], args.repeat * 2)
        t_floor, _, _ = alternate(floor, floor, args.repeat)
        report.append("## Start-up\n")
        report.append(md_table(["command", "protestlog", "reference", "ratio", "target"], [
            ["`add` one record vs `sqlite-utils insert`", f"{t_add:.3f} s", f"{t_su:.3f} s", f"{t_add / t_su:.2f}",
             "≤ 0.6"],
            ["`--help` vs `sqlite-utils --help`", f"{t_help:.3f} s", f"{t_su_help:.3f} s",
             f"{t_help / t_su_help:.2f}", "≤ 0.5"],
            ["`add` vs `python -c 'import sqlite3'` (floor)", f"{t_add:.3f} s", f"{t_floor:.3f} s",
             f"{t_add / t_floor:.1f}", "-"],
        ]))

        # ---- bulk import --------------------------------------------------------------
        n = args.import_rows
        big = tmp / "import.csv"
        write_csv(big, n, seed=7, prefix="i")
        small = tmp / "import-small.csv"
        write_csv(small, n // 10, seed=7, prefix="i")
        target_db, su_target = tmp / "import.db", tmp / "import-su.db"

        def fresh(_which):
            for p in (target_db, su_target):
                for suffix in ("", "-wal", "-shm"):
                    Path(str(p) + suffix).unlink(missing_ok=True)

        repeat_import = max(2, args.repeat // 2)
        t_imp, t_su_imp, rss_big = alternate([PROTESTLOG, "--db", target_db, "import", big],
                                             [SQLITE_UTILS, "insert", su_target, "incidents", big, "--csv"],
                                             repeat_import, setup=fresh)
        fresh(None)
        _, rss_small = run([PROTESTLOG, "--db", target_db, "import", small])
        report.append(f"\n## Bulk import of {n:,} CSV rows\n")
        report.append(md_table(["protestlog import", "sqlite-utils insert --csv", "ratio", "target",
                                f"peak RSS {n // 10:,} rows", f"peak RSS {n:,} rows"], [
            [f"{t_imp:.2f} s ({n / t_imp:,.0f} rows/s)", f"{t_su_imp:.2f} s", f"{t_imp / t_su_imp:.2f}", "≤ 1.0",
             f"{rss_small:.0f} MiB", f"{rss_big:.0f} MiB"]]))

        # ---- growth and reports at scale --------------------------------------------------
        growth, scale, visuals = [], [], []
        for size in args.sizes:
            db = tmp / f"ledger-{size}.db"
            t_build = build_ledger(db, size, tmp)
            extra = tmp / "extra.csv"
            write_csv(extra, 1000, seed=size, prefix=f"x{size}-")
            summary = [PROTESTLOG, "--db", db, "summary", "--since", "2022-12-01", "--until", "2023-03-31",
                       "--by", "day", "--format", "json"]
            floor_sql = ("SELECT date, SUM(killed), SUM(injured) FROM entries WHERE date BETWEEN '2022-12-01' "
                         "AND '2023-03-31' GROUP BY date;")
            t_sum, t_sql, rss_sum = alternate(summary, [SQLITE3, db, floor_sql], args.repeat)
            t_list, _, rss_list = alternate([PROTESTLOG, "--db", db, "list", "--format", "ndjson"],
                                            [SQLITE3, db, "SELECT 1;"], max(2, args.repeat // 2))
            t_verify, _ = run([PROTESTLOG, "--db", db, "verify"])
            span = ["--since", "2022-12-01", "--until", "2023-03-31"]
            t_chart, _ = run([PROTESTLOG, "--db", db, "chart", *span])
            t_svg, _ = run([PROTESTLOG, "--db", db, "chart", *span, "--output", tmp / "chart.svg"])
            t_report, rss_report = run([PROTESTLOG, "--db", db, "report", *span, "--output", tmp / "report.html"])
            visuals.append([f"{size:,}", f"{t_sum:.2f} s", f"{t_chart:.2f} s", f"{t_svg:.2f} s",
                            f"{t_report:.2f} s", f"{t_report / t_sum:.1f}", f"{rss_report:.0f} MiB",
                            f"{(tmp / 'report.html').stat().st_size / 2**20:.1f} MiB"])
            adds = [run([PROTESTLOG, "--db", db, "add", "--date", "2022-12-15", "--region", "Puno", "--killed",
                         "1"])[0] for _ in range(args.repeat)]
            t_more, _ = run([PROTESTLOG, "--db", db, "import", extra])
            growth.append([f"{size:,}", f"{statistics.median(adds):.3f} s", f"{t_more:.2f} s",
                           f"{t_build:.1f} s", f"{t_sum:.2f} s", f"{t_verify:.2f} s"])
            scale.append([f"{size:,}", f"{t_sum:.2f} s", f"{t_sql:.2f} s", f"{t_sum / t_sql:.2f}",
                          f"{rss_sum:.0f} MiB", f"{t_list:.2f} s", f"{rss_list:.0f} MiB"])
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
        report.append("\n## Reports at scale\n")
        report.append("`summary --by day` against one `sqlite3` shell query (`SELECT date, SUM(killed), "
                      "SUM(injured) … GROUP BY date`, the floor); target ratio ≤ 3.\n")
        report.append(md_table(["records", "summary", "sqlite3 floor", "ratio", "summary peak RSS",
                                "list --format ndjson", "list peak RSS"], scale))
        report.append("\n## Charts and the report\n")
        report.append("Against `summary --by day --format json` on the same ledger (the report also runs "
                      "`verify` and lists every incident).\n")
        report.append(md_table(["records", "summary", "chart (terminal)", "chart --output svg", "report html",
                                "report / summary", "report peak RSS", "report size"], visuals))
        report.append("\n## Growth\n")
        report.append(md_table(["records", "add one record", "import 1,000 more rows", "import the whole ledger",
                                "summary --by day", "verify"], growth))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = "\n".join(report) + "\n"
    print(text)
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "results.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
