"""Benchmarks for protestlog, each measured side by side with a reference in the same run.

    make bench                      # everything: sizes 10^4, 10^5, 10^6 and the test suite
    .venv/bin/python bench/bench.py --sizes 10000 100000 --repeat 3 --no-tests   # a quicker run

Every comparison runs the two commands alternately, `--repeat` times each, and reports the
median wall time and the ratio protestlog / reference; each ratio is printed beside its target
(issue 16). Memory is the child's peak RSS. Results are printed as Markdown and written to
bench/out/results.md. Ratios, not absolute times, are what carry from one machine to another;
run it when the machine is otherwise idle (`uptime`), since the two sides share the cores.
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
REPO = Path(__file__).resolve().parent.parent
PROTESTLOG = str(BIN / "protestlog")
SQLITE_UTILS = str(BIN / "sqlite-utils")
SQLITE3 = shutil.which("sqlite3")
REGIONS = ["Puno", "Ayacucho", "Apurímac", "Cusco", "Junín", "Lima", "Arequipa", "La Libertad"]
ENV = {**os.environ, "PROTESTLOG_USER": "bench", "PROTESTLOG_TODAY": "2026-11-28"}
SPAN = ["--since", "2022-12-01", "--until", "2023-03-31"]
FLOOR_SQL = ("SELECT date, SUM(killed), SUM(injured) FROM entries WHERE date BETWEEN '2022-12-01' "
             "AND '2023-03-31' GROUP BY date;")


def run(cmd, stdout=subprocess.DEVNULL, cwd=None):
    """Wall time and peak RSS (MiB) of one child process. `check` exits 1 when it finds likely
    duplicates, as it does on synthetic data: that is its answer, not a failure."""
    started = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                            env=ENV, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and not (code == 1 and "check" in map(str, cmd)):
        raise SystemExit(f"failed ({code}): {' '.join(map(str, cmd))}: {proc.stderr.read().decode()[-500:]}")
    proc.stderr.close()
    return elapsed, usage.ru_maxrss / 1024


def alternate(a, b, repeat, setup=None):
    """Run a and b alternately; returns (median a, median b, peak RSS of a)."""
    times_a, times_b, rss = [], [], 0.0
    for _ in range(repeat):
        for which, cmd in (("a", a), ("b", b)):
            if setup:
                setup(which)
            t, m = run(cmd)
            (times_a if which == "a" else times_b).append(t)
            if which == "a":
                rss = max(rss, m)
    return statistics.median(times_a), statistics.median(times_b), rss


def median_of(cmd, repeat):
    times, rss = [], 0.0
    for _ in range(repeat):
        t, m = run(cmd)
        times.append(t)
        rss = max(rss, m)
    return statistics.median(times), rss


def write_csv(path: Path, rows: int, seed: int = 1, prefix: str = "r"):
    """Synthetic reports: 8 regions over four months, 60% in December (a crisis month)."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        f.write("external_id,date,region,place,killed,injured,group,circumstance,source,url\n")
        for i in range(rows):
            day = f"2022-12-{rng.randint(1, 31):02d}" if rng.random() < 0.6 else f"2023-0{rng.randint(1, 3)}-{rng.randint(1, 28):02d}"
            f.write(f"{prefix}{i},{day},{rng.choice(REGIONS)},Place {rng.randint(1, 400)},{rng.randint(0, 4)},"
                    f"{rng.randint(0, 12)},{rng.choice(['civilian', 'police', 'unknown'])},"
                    f"{rng.choice(['clash', 'blockade', 'other'])},Report {rng.randint(1, 50)},"
                    f"https://example.org/{prefix}{i}\n")


def remove(db: Path):
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def build_ledger(db: Path, rows: int, tmp: Path) -> tuple[float, float]:
    """A fresh ledger of `rows` synthetic records, by `protestlog import`: (seconds, peak RSS)."""
    csv_path = tmp / f"seed-{rows}.csv"
    if not csv_path.exists():
        write_csv(csv_path, rows)
    remove(db)
    return run([PROTESTLOG, "--db", db, "import", csv_path])


class Shown(list):
    """A table's rows, each also printed to stderr as it is measured: a long run shows what it has so far."""

    def append(self, row):
        print("| " + " | ".join(str(c) for c in row) + f" |  (load {os.getloadavg()[0]:.1f})", file=sys.stderr,
              flush=True)
        super().append(row)


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def s(t: float) -> str:
    return f"{t:.3f} s" if t < 1 else f"{t:.2f} s" if t < 100 else f"{t:.0f} s"


def verdict(value: float, target: float) -> str:
    """Met or not, and by how much (the margin as a share of the target)."""
    if value <= target:
        return f"met ({(1 - value / target):.0%} under)"
    return f"not met ({(value / target - 1):.0%} over)"


def compile_bytecode():
    """Time protestlog as installed from a wheel: its modules' bytecode compiled. pip compiles the
    packages it installs (sqlite-utils here); an editable install leaves that to the first run, and
    with PYTHONDONTWRITEBYTECODE=1 set (as on this machine) every run compiles every module again:
    37 ms of the 157 ms an `add` took. `make install` compiles them too."""
    import compileall

    compileall.compile_dir(REPO / "src", quiet=1)


def main():
    parser = argparse.ArgumentParser(description="protestlog benchmarks")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="ledger sizes of the growth table")
    parser.add_argument("--duplicate-sizes", type=int, nargs="+", default=[30_000, 300_000],
                        help="ledger sizes for the duplicates/check targets")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--no-tests", action="store_true", help="skip timing the test suite")
    args = parser.parse_args()
    compile_bytecode()
    tmp = Path(tempfile.mkdtemp(prefix="protestlog-bench-"))
    load = os.getloadavg()[0]
    report = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"SQLite {__import__('sqlite3').sqlite_version}, {platform.platform()}; load average "
              f"{load:.1f} at the start; medians of {args.repeat} alternating runs.\n"]
    rows, growth, memory = Shown(), Shown(), Shown()
    try:
        # ---- start-up ---------------------------------------------------------------------
        db = tmp / "startup.db"
        build_ledger(db, 1000, tmp)
        su_db = tmp / "startup-su.db"
        record = tmp / "record.json"
        record.write_text(json.dumps({"date": "2022-12-15", "region": "Ayacucho", "killed": 1}))
        run([SQLITE_UTILS, "insert", su_db, "incidents", record])
        add = [PROTESTLOG, "--db", db, "add", "--date", "2022-12-15", "--region", "Ayacucho", "--killed", "1"]
        t_add, t_su, _ = alternate(add, [SQLITE_UTILS, "insert", su_db, "incidents", record], args.repeat * 3)
        t_help, t_su_help, _ = alternate([PROTESTLOG, "--help"], [SQLITE_UTILS, "--help"], args.repeat * 3)
        t_floor, _ = median_of([sys.executable, "-c", "import sqlite3"], args.repeat * 3)
        rows.append(["`add` one record", s(t_add), f"`sqlite-utils insert` {s(t_su)}", f"{t_add / t_su:.2f}",
                     "≤ 0.35", verdict(t_add / t_su, 0.35)])
        rows.append(["`--help`", s(t_help), f"`sqlite-utils --help` {s(t_su_help)}", f"{t_help / t_su_help:.2f}",
                     "≤ 0.30", verdict(t_help / t_su_help, 0.30)])
        startup_floor = [f"`python -c 'import sqlite3'` (Python's own start-up): {s(t_floor)}"]

        # ---- bulk import -------------------------------------------------------------------
        n = args.import_rows
        big = tmp / "import.csv"
        write_csv(big, n, seed=7, prefix="i")
        target_db, su_target = tmp / "import.db", tmp / "import-su.db"

        def fresh(_which):
            remove(target_db)
            remove(su_target)

        t_imp, t_su_imp, rss_imp = alternate([PROTESTLOG, "--db", target_db, "import", big],
                                             [SQLITE_UTILS, "insert", su_target, "incidents", big, "--csv"],
                                             args.repeat, setup=fresh)
        rows.append([f"import {n:,} rows", f"{s(t_imp)} ({n / t_imp:,.0f} rows/s)",
                     f"`sqlite-utils insert --csv` {s(t_su_imp)}", f"{t_imp / t_su_imp:.2f}", "≤ 0.5",
                     verdict(t_imp / t_su_imp, 0.5)])
        memory.append([f"import {n:,} rows", f"{rss_imp:.0f} MiB"])

        # ---- growth: every command at each size ----------------------------------------------
        at: dict[int, dict] = {}
        for size in args.sizes:
            db = tmp / f"ledger-{size}.db"
            t_build, rss_build = build_ledger(db, size, tmp)
            r = at[size] = {"import": t_build}
            memory.append([f"import {size:,} rows (growth)", f"{rss_build:.0f} MiB"])
            few = 1 if size >= 1_000_000 else args.repeat
            for fmt, su_flag in (("ndjson", "--nl"), ("csv", "--csv")):
                t_list, t_su_rows, rss_list = alternate([PROTESTLOG, "--db", db, "list", "--format", fmt],
                                                        [SQLITE_UTILS, "rows", db, "entries", su_flag], few)
                r[f"list {fmt}"], r[f"su rows {fmt}"] = t_list, t_su_rows
                memory.append([f"list --format {fmt}, {size:,} records", f"{rss_list:.0f} MiB"])
            r["verify"], rss_verify = median_of([PROTESTLOG, "--db", db, "verify"], few)
            memory.append([f"verify, {size:,} entries", f"{rss_verify:.0f} MiB"])
            r["duplicates"], _ = median_of([PROTESTLOG, "--db", db, "duplicates", "--format", "csv"], few)
            r["check"], _ = median_of([PROTESTLOG, "--db", db, "check"], few)
            summary = [PROTESTLOG, "--db", db, "summary", *SPAN, "--by", "day", "--format", "json"]
            r["summary"], r["floor"], rss_sum = alternate(summary, [SQLITE3, db, FLOOR_SQL], max(few, 3))
            memory.append([f"summary, {size:,} records", f"{rss_sum:.0f} MiB"])
            growth.append([f"{size:,}", s(r["import"]), s(r["list ndjson"]), s(r["list csv"]), s(r["verify"]),
                           s(r["duplicates"]), s(r["check"]), s(r["summary"]), s(r["floor"])])
            remove(db)

        # ---- the rows that come from the growth runs --------------------------------------
        mid = min(at, key=lambda k: abs(k - 100_000))
        for fmt, flag in (("ndjson", "--nl"), ("csv", "--csv")):
            ratio = at[mid][f"list {fmt}"] / at[mid][f"su rows {fmt}"]
            rows.append([f"`list --format {fmt}`, {mid:,} records", s(at[mid][f"list {fmt}"]),
                         f"`sqlite-utils rows {flag}` {s(at[mid][f'su rows {fmt}'])}", f"{ratio:.2f}", "≤ 1.0",
                         verdict(ratio, 1.0)])
        top = max(at)
        rows.append([f"`verify`, {' / '.join(f'{k:,}' for k in sorted(at))} entries",
                     " / ".join(s(at[k]["verify"]) for k in sorted(at)), "–", "–", f"≤ 15 s at {top:,}",
                     verdict(at[top]["verify"], 15) if top >= 1_000_000 else "(run with 1,000,000)"])
        ratio = at[top]["summary"] / at[top]["floor"]
        rows.append([f"`summary --by day`, {top:,} records", s(at[top]["summary"]),
                     f"one-query `sqlite3` floor {s(at[top]['floor'])}", f"{ratio:.2f}", "≤ 2",
                     verdict(ratio, 2) if top >= 1_000_000 else "(run with 1,000,000)"])

        # ---- duplicates and check at the sizes -------------------------------------------
        for size in args.duplicate_sizes:
            db = tmp / f"dup-{size}.db"
            t_build, _ = build_ledger(db, size, tmp)
            t_dup, _ = median_of([PROTESTLOG, "--db", db, "duplicates", "--format", "csv"], args.repeat)
            t_check, _ = median_of([PROTESTLOG, "--db", db, "check"], args.repeat)
            limit = 5 if size <= 30_000 else 60
            for name, t in (("duplicates", t_dup), ("check", t_check)):
                rows.append([f"`{name}`, {size:,} records", s(t), f"the import of those records {s(t_build)}",
                             f"{t / t_build:.1f}", f"≤ {limit} s", verdict(t, limit)])
            remove(db)

        # ---- the test suite ----------------------------------------------------------------------
        if not args.no_tests:
            t_tests, _ = run([sys.executable, "-m", "pytest", "-q", "-n", "auto", "-p", "no:cacheprovider"],
                             cwd=REPO)
            rows.append([f"the test suite (`make test`, {os.cpu_count()} cores)", s(t_tests), "–", "–", "≤ 240 s",
                         verdict(t_tests, 240)])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    report.append("## Targets\n")
    report.append(md_table(["work", "protestlog", "reference", "ratio", "target", "result"], rows))
    report.append("\n" + "; ".join(startup_floor) + ".\n")
    report.append("## Growth\n")
    report.append("Each command on synthetic ledgers of each size (`summary --by day` over four months, and the "
                  "one-query `sqlite3` floor it is compared with).\n")
    report.append(md_table(["records", "import", "list ndjson", "list csv", "verify", "duplicates", "check",
                            "summary", "sqlite3 floor"], growth))
    report.append("\n## Peak memory (RSS)\n")
    report.append(md_table(["command", "peak RSS"], memory))
    text = "\n".join(report) + "\n"
    print(text)
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "results.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
