"""Capture what `summary` (and `chart`/`report`, which use it) print for many option sets, to
prove a change to them leaves every byte as it was: run before and after, then `diff -r`.

    .venv/bin/python bench/summary_outputs.py out/before --db demo=demo.db --db big=ledger.db
    ...change the code...
    .venv/bin/python bench/summary_outputs.py out/after --db demo=demo.db --db big=ledger.db
    diff -r out/before out/after

Each file holds the command, stdout, stderr and exit code. `--as-of` variants use the newest
recording time in each ledger. Today is pinned (PROTESTLOG_TODAY, default 2026-11-30).
"""

import argparse
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

PROTESTLOG = str(Path(sys.executable).parent / "protestlog")
S = ["--since", "2022-12-07", "--until", "2023-03-31"]


def variants(as_of: str) -> list[list[str]]:
    v = [[], ["--since", "2022-12-07"], ["--until", "2022-12-31"], ["--since", "2023-01-01", "--until", "2023-01-31", "--by", "day"]]
    v += [S + ["--format", f] for f in ("table", "json", "ndjson", "csv", "tsv", "markdown")]
    v += [S + ["--by", b] for b in ("day", "week", "month")] + [S + ["--by", "day", "--json"]]
    v += [S + ["--window", "3"], S + ["--window", "10", "--json"], S + ["--region", "Puno"],
          S + ["--region", "Puno", "--json"], S + ["--group", "police", "--json"], S + ["--circumstance", "blockade"],
          S + ["--region", "Tacna", "--json"], S + ["--region", "Tacna"], S + ["--min-confidence", "probable"],
          S + ["--min-confidence", "confirmed", "--json"]]
    v += [S + ["--by-region", "--format", f] for f in ("table", "json", "csv", "markdown", "ndjson")]
    v += [S + ["--sensitivity"], S + ["--sensitivity", "--json"], S + ["--sensitivity", "--format", "markdown"],
          S + ["--sensitivity", "--format", "csv"]]
    v += [S + ["--count-by", "death"], S + ["--count-by", "death", "--json"], S + ["--count-by", "death", "--format", "csv"],
          ["--since", "2022-12-07", "--until", "2023-01-10", "--count-by", "death", "--json"],
          S + ["--count-by", "death", "--min-confidence", "confirmed", "--sensitivity", "--json"],
          S + ["--count-by", "death", "--by-region", "--json"]]
    v += [S + ["--as-of", as_of], S + ["--as-of", as_of, "--json"], S + ["--as-of", "2020-01-01", "--json"],
          S + ["--as-of", "2020-01-01"], ["--as-of", as_of, "--json"]]
    v += [["--since", "2022-12-16", "--until", "2022-12-20", "--json"], ["--since", "2023-01-09", "--until", "2023-01-09"],
          ["--since", "2024-01-01", "--until", "2024-02-01", "--json"],
          S + ["--region", "Puno", "--group", "civilian", "--circumstance", "clash", "--min-confidence", "probable", "--json"]]
    out = [["summary", *x] for x in v]
    out += [["chart", *S], ["chart", *S, "--json"], ["chart", *S, "--metric", "injured", "--cumulative", "--json"],
            ["chart", *S, "--by", "day", "--metric", "detained"], ["report", *S, "--format", "markdown"],
            ["report", *S, "--format", "markdown", "--min-confidence", "probable", "--window", "5"]]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--db", action="append", required=True, metavar="NAME=PATH", help="a ledger to read (repeat)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PROTESTLOG_TTY": "0", "COLUMNS": "80", "PROTESTLOG_USER": "bench"}
    env.setdefault("PROTESTLOG_TODAY", "2026-11-30")
    count = 0
    for item in args.db:
        name, _, path = item.partition("=")
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        (as_of,) = con.execute("SELECT MAX(recorded_at) FROM entries").fetchone()
        con.close()
        for i, command in enumerate(variants(as_of)):
            p = subprocess.run([PROTESTLOG, "--db", path, *command], env=env, capture_output=True, stdin=subprocess.DEVNULL)
            (args.out / f"{name}-{i:02d}.txt").write_bytes(
                b"$ " + " ".join(command).encode() + b"\n" + p.stdout + b"\n--- stderr\n" + p.stderr
                + f"\n--- exit {p.returncode}\n".encode())
            count += 1
    print(f"{count} outputs in {args.out}")


if __name__ == "__main__":
    main()
