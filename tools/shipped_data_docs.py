"""Write the README's tables about the shipped Peru data from a ledger built the way `make demo` builds it.

Three tables, each between markers in README.md:
- `shipped-summary`: `summary --since 2022-12-07 --until 2023-03-31` totals, by category, region and month;
- `checkpoints`: each published tally in data/peru_checkpoints.csv beside the ledger's count under the
  same counting rule (deaths dated up to the tally's day, in the tally's categories);
- `shipped-sources`: how many citations in the shipped files are on hosts listed in data/copy_sites.csv.
tests/test_shipped_data.py recomputes them from the CSV rows and fails when the README drifts.
Run: .venv/bin/python tools/shipped_data_docs.py [--check]
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
INCIDENTS, VICTIMS, CORRECTIONS, CHECKPOINTS = (DATA / "peru_2022_2023.csv", DATA / "peru_victims.csv",
                                                DATA / "peru_corrections.csv", DATA / "peru_checkpoints.csv")
COPY_SITES = DATA / "copy_sites.csv"
SINCE, UNTIL = "2022-12-07", "2023-03-31"
README = REPO / "README.md"
# What each checkpoint column counts, as a ledger split: (summary section, name).
CATEGORIES = {"clashes": ("by_circumstance", "clash with security forces"),
              "blockade": ("by_circumstance", "blockade-related accident"),
              "police": ("by_group", "police"), "military": ("by_group", "military")}
COMPARED = ("total", "clashes", "blockade", "police", "military")

# Why the ledger differs from a published tally by more than one death (key: date/total published).
EXPLAINED = {
    "2022-12-12/7": "A same-day count of the clash deaths of 11-12 Dec. One of the 7 (Chincheros) was withdrawn "
                    "the next day (a correction in the ledger), leaving the ledger's 6. The ledger's other 6 by "
                    "this day are blockade-related deaths the Defensoría listed later: the El Pedregal mother and "
                    "son, the Sicuani patient and the 3 unidentified Cusco and La Libertad deaths, whose days are "
                    "unknown and count from the start of their spans.",
    "2022-12-14/6": "The communiqué of 13 Dec had the 6 clash deaths of 11-12 Dec, as the ledger does. The ledger "
                    "adds 2 clash deaths of 14 Dec (Andahuaylas, Chao) and 7 blockade-related deaths (see the row "
                    "above, and Simbal on 14 Dec).",
    "2022-12-16/22": "Clashes: the Pichanaqui deaths of 16 Dec were still being added (the Defensoría had 20 the next "
                     "day). Blockade: the El Pedregal son (counted by the Defensoría only from 2 Feb 2023), the "
                     "Huancavelica child (never in its breakdown) and an unidentified death whose day is unknown.",
    "2022-12-19/25": "The Ministry of Health's count that morning. The ledger adds the Chala death of that afternoon, "
                     "the El Pedregal mother and son (Arequipa) and the Huancavelica child, none of them in Minsa's "
                     "regional list.",
    "2022-12-19/26": "EFE's total after the Chala death; La República and Convoca gave 27 (21 clashes + 6 blockade) "
                     "the same day. The ledger's 29 is those 27, the El Pedregal son and the Huancavelica child.",
    "2022-12-24/28": "The El Pedregal son (added by the Defensoría on 2 Feb 2023, backdated to 12 Dec) and the "
                     "Huancavelica child (not in the Defensoría's regional breakdown).",
    "2023-01-09/41": "An intraday count (12 dead in Juliaca at that hour); the ledger has the 17 who died that day, "
                     "the police officer killed that night, and the two December differences.",
    "2023-01-09/46": "The police officer killed on the night of 9-10 Jan (dated 9 Jan in the ledger, counted by the "
                     "Defensoría on the 10th) and the two December differences (El Pedregal son, Huancavelica child).",
    "2023-01-10/40": "Amnesty's 'at least 40' is a floor, published before the Defensoría's 47 of the same day.",
    "2023-01-10/47": "The two December differences (El Pedregal son, Huancavelica child).",
    "2023-01-11/48": "The two December differences.",
    "2023-01-12/49": "The two December differences.",
    "2023-01-18/52": "EFE's figure after the first Macusani death. The ledger adds the two December differences and "
                     "the four Haitian migrants found dead at Desaguadero on 18 Jan (linked to the blockades by "
                     "UNHCR/IOM, never counted by the Defensoría); EFE's own composition was not published.",
    "2023-01-19/54": "Given before the Añashuayco (Arequipa) death that evening; the ledger also has the two December "
                     "differences and the four Haitians.",
    "2023-01-19/55": "Published without a split. The ledger's known additions (the four Haitians, the Huancavelica "
                     "child, the El Pedregal son) are 6, one more than the gap of 5; that last death is not "
                     "reconciled.",
    "2023-01-23/57": "The IACHR report's cut-off. Its list of the dead (Annex I) was not read; the ledger's excess is "
                     "the four Haitians and the Huancavelica child, which the Defensoría series also lacks.",
    "2023-01-24/56": "Reported abroad (NTB, Norway) a day before the Defensoría's 57: the differences of the next row.",
    "2023-01-25/57": "Blockade: the four Haitians and the Huancavelica child (never counted by the Defensoría) and the "
                     "El Pedregal son (counted from 2 Feb).",
    "2023-01-28/65": "EFE's own aggregate: to the Defensoría's figures it adds a La Libertad death confirmed by police "
                     "and an unborn baby (UNICEF), which the ledger cannot identify, and the Haitians.",
    "2023-01-30/58": "The four Haitians, the Huancavelica child and the El Pedregal son (counted from 2 Feb).",
    "2023-02-02/59": "The four Haitians and the Huancavelica child (neither counted by the Defensoría).",
    "2023-02-10/60": "The four Haitians and the Huancavelica child.",
    "2023-02-10/70": "EFE's own aggregate (Defensoría, Haitians, UNICEF and press cases); the additions EFE made that "
                     "week beyond the Aymaraes death are not identified.",
    "2023-02-16/60": "The four Haitians and the Huancavelica child.",
    "2023-02-20/60": "The four Haitians and the Huancavelica child.",
    "2023-03-04/60": "The four Haitians and the Huancavelica child.",
    "2023-03-06/66": "The four Haitians and the Huancavelica child.",
    "2023-03-21/67": "The four Haitians and the Huancavelica child.",
    "2023-03-22/77": "EFE's own aggregate: it counts 16 blockade-type deaths (the Defensoría 11) and its list was "
                     "not published; the ledger also has 16 blockade-related deaths, but they need not be EFE's.",
    "2023-03-28/67": "The four Haitians and the Huancavelica child.",
    "2023-05-25/": "Amnesty's 11 blockade deaths are the Defensoría's; the ledger adds the four Haitians and the "
                   "Huancavelica child.",
    "2023-12-07/67": "The four Haitians and the Huancavelica child (the Defensoría's final split matches the ledger's "
                     "49 clash, 1 police and 6 military deaths exactly).",
}


def protestlog_exe() -> str:
    return str(Path(sys.executable).parent / "protestlog")


def run(db: Path, *args: str) -> str:
    env = {**os.environ, "PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": "2026-11-30"}
    env.pop("PROTESTLOG_TTY", None)
    done = subprocess.run([protestlog_exe(), *args], capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)
    if done.returncode:
        raise SystemExit(f"protestlog {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def build_ledger(folder: Path) -> Path:
    """The ledger `make demo` builds: the incidents as first reported, the victims, then the corrections."""
    db = folder / "shipped.db"
    run(db, "import", str(INCIDENTS))
    run(db, "victim", "import", str(VICTIMS))
    run(db, "apply-corrections", str(CORRECTIONS))
    return db


def summary(db: Path, until: str = UNTIL, by: str = "month") -> dict:
    return json.loads(run(db, "summary", "--since", SINCE, "--until", until, "--by", by, "--format", "json"))


def split(doc: dict, column: str) -> int:
    if column in ("total", "all"):
        return doc["totals"]["killed"]
    section, name = CATEGORIES[column]
    return next((row["killed"] for row in doc[section] if row["name"] == name), 0)


def checkpoints() -> list[dict]:
    with open(CHECKPOINTS, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def comparison(db: Path) -> list[dict]:
    """One row per checkpoint: the published figures and the ledger's under the same rule."""
    rows, cache = [], {}
    for cp in checkpoints():
        until = min(cp["date"], UNTIL)  # tallies published after the period are compared with its end
        doc = cache.get(until) or cache.setdefault(until, summary(db, until))
        row = {"date": cp["date"], "publisher": cp["publisher"], "url": cp["url"], "counts": cp["counts"]}
        for column in COMPARED:
            published = cp[column].strip()
            rule = cp["counts"] if column == "total" else column
            row[column] = (int(published), split(doc, rule)) if published else None
        rows.append(row)
    return rows


def key(row: dict) -> str:
    total = row["total"][0] if row["total"] else ""
    return f"{row['date']}/{total}"


def largest_gap(row: dict) -> int:
    return max((abs(a - b) for a, b in (row[c] for c in COMPARED if row[c])), default=0)


def short(publisher: str) -> str:
    return publisher.split(",")[0].split(" (")[0].replace(" del Pueblo", "")


def checkpoint_table(rows: list[dict]) -> str:
    def cell(pair):
        return "" if pair is None else f"{pair[0]} / {pair[1]}" + (" ≠" if abs(pair[0] - pair[1]) > 1 else "")

    lines = ["| date | published by | counts | total | clashes | blockade | police | military | why they differ |",
             "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        why = EXPLAINED.get(key(row), "") if largest_gap(row) > 1 else ""
        lines.append(f"| {row['date']} | [{short(row['publisher'])}]({row['url']}) | {row['counts']} | "
                     + " | ".join(cell(row[c]) for c in COMPARED) + f" | {why} |")
    return "\n".join(lines) + "\n"


def summary_tables(doc: dict) -> str:
    t = doc["totals"]
    low, high = t["killed_range"] or (t["killed"], t["killed"])
    out = [f"Incident records: **{t['records']}**; people killed: **{t['killed']}** (range {low}–{high}); "
           f"of whom minors: {t['minors_killed']} (given in {t['minors_reported_in']} of {t['records']} records).", "",
           "| by category | records | killed | range |", "|---|---:|---:|---|"]
    for section in ("by_circumstance", "by_group"):
        for row in doc[section]:
            out.append(f"| {row['name']} | {row['records']} | {row['killed']} | "
                       f"{row['killed_low']}–{row['killed_high']} |")
    out += ["", "| alleged responsible force | records | killed | range |", "|---|---:|---:|---|"]
    for row in doc["by_responsible"]:
        out.append(f"| {row['name']} | {row['records']} | {row['killed']} | {row['killed_low']}–{row['killed_high']} |")
    out += ["", "| region | records | killed | range |", "|---|---:|---:|---|"]
    for row in sorted(doc["by_region"], key=lambda r: (-r["killed"], r["name"])):
        out.append(f"| {row['name']} | {row['records']} | {row['killed']} | {row['killed_low']}–{row['killed_high']} |")
    out += ["", "| month | killed | running total |", "|---|---:|---:|"]
    for period in doc["series"]:
        out.append(f"| {period['start'][:7]} | {period['killed']} | {period['cumulative_killed']} |")
    return "\n".join(out) + "\n"


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def citations() -> list[tuple[str, str]]:
    """(source name, URL) for every citation in the shipped files: main sources, further sources, tallies."""
    out = []
    for path in (INCIDENTS, VICTIMS, CORRECTIONS):
        for row in read_rows(path):
            out.append((row["source"], row["url"]))
            out += [(extra["name"], extra["url"]) for extra in json.loads(row.get("sources") or "[]")]
    out += [(row["publisher"], row["url"]) for row in read_rows(CHECKPOINTS)]
    return out


def copy_host(url: str, sites: list[dict]) -> dict | None:
    host = (urlparse(url).hostname or "").lower()
    return next((s for s in sites if host == s["site"] or host.endswith("." + s["site"])), None)


def source_table() -> str:
    """Citations on copy and summary hosts, per host, with why the host is listed."""
    sites, cited = read_rows(COPY_SITES), citations()
    per_site: dict[str, list[str]] = {}
    for _, url in cited:
        site = copy_host(url, sites)
        if site:
            per_site.setdefault(site["site"], []).append(url)
    on_copies = sum(len(urls) for urls in per_site.values())
    kinds = {s["site"]: s for s in sites}
    out = [f"{len(cited)} citations ({len({u for _, u in cited})} distinct URLs) in the four shipped files; "
           f"{on_copies} of them ({len({u for urls in per_site.values() for u in urls})} distinct URLs) are on "
           f"{len(per_site)} hosts listed in `data/copy_sites.csv`, each labelled in its source name.", "",
           "| host | kind | citations | why it is listed |", "|---|---|---:|---|"]
    for site in sorted(per_site, key=lambda s: (-len(per_site[s]), s)):
        out.append(f"| {site} | {kinds[site]['kind']} | {len(per_site[site])} | {kinds[site]['why']} |")
    return "\n".join(out) + "\n"


def render(db: Path) -> dict[str, str]:
    return {"shipped-summary": summary_tables(summary(db)), "checkpoints": checkpoint_table(comparison(db)),
            "shipped-sources": source_table()}


def replace_block(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name} -->\n", f"<!-- /{name} -->"
    if start not in text or end not in text:
        raise SystemExit(f"README.md has no {start.strip()} … {end} block")
    head, rest = text.split(start, 1)
    return head + start + body + end + rest.split(end, 1)[1]


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        blocks = render(build_ledger(Path(folder)))
    text = README.read_text("utf-8")
    new = text
    for name, body in blocks.items():
        new = replace_block(new, name, body)
    if "--check" in argv:
        return 0 if new == text else 1
    README.write_text(new, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
