"""The shipped Peru record: sourced, linked, and what the ledger says is what the CSV rows say.

Expected figures are counted here straight from the CSV rows (with the corrections file applied by
hand), never taken from protestlog's own output.
"""

import csv
import json
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import REPO, run_exe, shipped_incidents

DATA = REPO / "data"
INCIDENTS, VICTIMS = DATA / "peru_2022_2023.csv", DATA / "peru_victims.csv"
CHECKPOINTS, CORRECTIONS = DATA / "peru_checkpoints.csv", DATA / "peru_corrections.csv"
SINCE, UNTIL = "2022-12-07", "2023-03-31"
# Hosts that copy, mirror or summarise other outlets' pages, each with why: data/copy_sites.csv.
COPY_SITES = DATA / "copy_sites.csv"

sys.path.insert(0, str(REPO / "tools"))
import shipped_data_docs as docs  # noqa: E402


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def corrected_incidents() -> list[dict]:
    """The incident rows with each correction applied by hand, as `make demo` should end up."""
    return shipped_incidents()


def every_citation():
    """(file, row key, source name, url) for every source any shipped row cites."""
    for path in (INCIDENTS, VICTIMS, CORRECTIONS):
        for row in rows(path):
            key = row.get("external_id")
            yield path.name, key, row["source"], row["url"]
            for extra in json.loads(row.get("sources") or "[]"):
                yield path.name, key, extra.get("name"), extra.get("url")
    for row in rows(CHECKPOINTS):
        yield CHECKPOINTS.name, row["date"], row["publisher"], row["url"]


def test_every_row_has_a_source_and_a_web_address():
    for file, key, name, url in every_citation():
        assert name and name.strip(), f"{file} {key}: a source without a name"
        assert url and url.startswith(("https://", "http://")) and " " not in url, f"{file} {key}: bad URL {url!r}"


def copy_site(url: str) -> dict | None:
    """The data/copy_sites.csv row whose site is this URL's host or a parent domain of it."""
    host = (urlparse(url).hostname or "").lower()
    return next((s for s in rows(COPY_SITES) if host == s["site"] or host.endswith("." + s["site"])), None)


def test_the_copy_site_list_says_why():
    sites = rows(COPY_SITES)
    assert len({s["site"] for s in sites}) == len(sites)
    for s in sites:
        assert s["kind"] in ("copy", "summary") and s["why"].strip(), s
        assert s["site"] == s["site"].strip().lower() and "/" not in s["site"], s


def test_copies_say_whose_page_they_are():
    """A page on a copy site names the copy's host: "(copy at HOST)"; a second-hand summary says so."""
    unlabelled = []
    for file, key, name, url in every_citation():
        site = copy_site(url)
        if site is None:
            continue
        said = name.split("copy at ", 1)[1] if "copy at " in name else ""
        labelled = site["site"] in said if site["kind"] == "copy" else "summar" in name.lower()
        if not labelled:
            unlabelled.append((file, key, name, url))
    assert unlabelled == []


def test_copy_site_matching_is_by_host():
    """A copy site's name in a path or query, or a look-alike host, is not that site."""
    assert copy_site("https://hch.tv/2023/01/12/x")["site"] == "hch.tv"
    assert copy_site("https://elcomercio-diariocorreo-prod.cdn.arcpublishing.com/edicion/x")["kind"] == "copy"
    assert copy_site("https://larepublica.pe/sociedad/hch.tv/x") is None
    assert copy_site("https://nothch.tv/x") is None
    assert copy_site("https://www.hrw.org/report/2023/04/26/deadly-decline") is None


def test_ids_are_unique_and_every_victim_and_correction_links_to_an_incident():
    incidents = rows(INCIDENTS)
    ids = [r["external_id"] for r in incidents]
    assert len(ids) == len(set(ids)) and all(i.startswith(f"pe-{r['date']}") for i, r in zip(ids, incidents))
    victims = rows(VICTIMS)
    assert len({v["external_id"] for v in victims}) == len(victims)
    assert [v["external_id"] for v in victims if v["incident_external_id"] not in ids] == []
    victim_ids = {v["external_id"] for v in victims}
    assert [c["external_id"] for c in rows(CORRECTIONS)
            if c["external_id"] not in (victim_ids if c["record"] == "victim" else set(ids))] == []
    # No incident has more named or described victims than its high figure allows.
    linked = Counter(v["incident_external_id"] for v in victims)
    for r in corrected_incidents():
        assert linked[r["external_id"]] <= int(r["killed_high"] or r["killed"]), r["external_id"]


def test_readme_counts_the_files_it_describes():
    readme = (REPO / "README.md").read_text("utf-8")
    assert f"{len(rows(INCIDENTS))} incident records (a place and a day" in readme
    assert f"{len(rows(VICTIMS))} people, by name" in readme
    assert f"{len(rows(CHECKPOINTS))} dated public tallies" in readme


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory) -> Path:
    """The ledger `make demo` builds: the incidents as first reported, then the corrections."""
    db = tmp_path_factory.mktemp("shipped") / "demo.db"
    for args in (("import", INCIDENTS), ("victim", "import", VICTIMS), ("apply-corrections", CORRECTIONS)):
        result = run_exe(*args, db=db, env={"PROTESTLOG_TODAY": "2026-11-30"})
        assert result.returncode == 0, result.stderr
    return db


@pytest.fixture(scope="module")
def comparison(demo_ledger) -> list[dict]:
    """The checkpoints beside the ledger's figures (a summary per checkpoint date, each a run of the
    executable), computed once for the two tests that read the same table."""
    return docs.comparison(demo_ledger)


def summary(db: Path, until: str = UNTIL) -> dict:
    result = run_exe("summary", "--since", SINCE, "--until", until, "--by", "month", "--format", "json", db=db,
                     env={"PROTESTLOG_TODAY": "2026-11-30"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def in_period(r: dict, until: str = UNTIL) -> bool:
    return SINCE <= r["date"] <= until


def test_summary_of_the_period_matches_a_count_of_the_rows(demo_ledger):
    doc = summary(demo_ledger)
    mine = [r for r in corrected_incidents() if in_period(r)]
    killed = sum(int(r["killed"]) for r in mine)
    low = sum(int(r["killed_low"] or r["killed"]) for r in mine)
    high = sum(int(r["killed_high"] or r["killed"]) for r in mine)
    assert (doc["totals"]["records"], doc["totals"]["killed"]) == (len(mine), killed)
    assert doc["totals"]["killed_range"] == [low, high]

    def by(field):
        counted = Counter()
        for r in mine:
            counted[r[field]] += int(r["killed"])
        return counted

    for section, field in (("by_region", "region"), ("by_circumstance", "circumstance"), ("by_group", "group"),
                           ("by_responsible", "responsible")):
        assert {s["name"]: s["killed"] for s in doc[section]} == dict(by(field)), section
    months = Counter()
    for r in mine:
        months[r["date"][:7]] += int(r["killed"])
    assert {p["start"][:7]: p["killed"] for p in doc["series"]} == dict(months)
    # The corrected Chincheros record: the withdrawn person is the high figure, not the count.
    assert doc["totals"]["killed"] == sum(int(r["killed"]) for r in rows(INCIDENTS) if in_period(r)) - 1


def test_readme_summary_is_the_generated_one(demo_ledger):
    readme = (REPO / "README.md").read_text("utf-8")
    block = readme.split("<!-- shipped-summary -->\n", 1)[1].split("<!-- /shipped-summary -->", 1)[0]
    assert block == docs.summary_tables(summary(demo_ledger)), "README drifted: run `make docs`"
    expected = sum(int(r["killed"]) for r in corrected_incidents() if in_period(r))
    assert f"people killed: **{expected}**" in block


def independent(checkpoint: dict, column: str) -> int:
    """The ledger's figure under a checkpoint's rule, counted from the rows."""
    until = min(checkpoint["date"], UNTIL)
    rule = checkpoint["counts"] if column == "total" else column
    keep = {"all": lambda r: True,
            "clashes": lambda r: r["circumstance"] == "clash with security forces",
            "blockade": lambda r: r["circumstance"] == "blockade-related accident",
            "police": lambda r: r["group"] == "police",
            "military": lambda r: r["group"] == "military"}[rule]
    return sum(int(r["killed"]) for r in corrected_incidents() if in_period(r, until) and keep(r))


def test_checkpoints_beside_the_ledger(comparison, capsys):
    table = comparison
    cps = rows(CHECKPOINTS)
    assert len(table) == len(cps)
    with capsys.disabled():
        print(f"\n{'date':10}  {'publisher':42} " + " ".join(f"{c:>15}" for c in docs.COMPARED))
        for row in table:
            cells = [f"{p[0]:>6} / {p[1]:<6}" if p else " " * 15 for p in (row[c] for c in docs.COMPARED)]
            print(f"{row['date']:10}  {docs.short(row['publisher'])[:42]:42} " + " ".join(cells))
    for cp, row in zip(cps, table):
        for column in docs.COMPARED:
            if cp[column].strip():
                assert row[column] == (int(cp[column]), independent(cp, column)), (cp["date"], column)
            else:
                assert row[column] is None
        if docs.largest_gap(row) > 1:
            assert docs.EXPLAINED.get(docs.key(row)), f"no explanation for {docs.key(row)}"
    # The Defensoría's final split (49 clash, 1 police, 6 military) is matched exactly.
    final = table[-1]
    assert final["clashes"][0] == final["clashes"][1] == 49
    assert final["police"] == (1, 1) and final["military"] == (6, 6)


def test_readme_comparison_table_is_the_generated_one(comparison):
    readme = (REPO / "README.md").read_text("utf-8")
    block = readme.split("<!-- checkpoints -->\n", 1)[1].split("<!-- /checkpoints -->", 1)[0]
    assert block == docs.checkpoint_table(comparison), "README drifted: run `make docs`"


def test_victims_in_the_demo_ledger(demo_ledger):
    """Every victim row is imported and linked; the person the Defensoría withdrew is retracted."""
    result = run_exe("victim", "list", "--json", db=demo_ledger, env={"PROTESTLOG_TODAY": "2026-11-30"})
    assert result.returncode == 0, result.stderr
    listed = {v["external_id"] for v in json.loads(result.stdout)}
    withdrawn = {c["external_id"] for c in rows(CORRECTIONS) if c["record"] == "victim" and c["action"] == "retract"}
    assert withdrawn == {"v-pe-2022-12-12-chincheros-2"}
    assert listed == {v["external_id"] for v in rows(VICTIMS)} - withdrawn
    shown = run_exe("victim", "show", "v-pe-2022-12-12-chincheros-2", "--json", db=demo_ledger,
                    env={"PROTESTLOG_TODAY": "2026-11-30"})
    assert json.loads(shown.stdout)["status"] == "retracted"


def test_readme_source_table_is_the_generated_one():
    """README's count of citations on copy hosts is the generated one, and agrees with a count made here."""
    readme = (REPO / "README.md").read_text("utf-8")
    block = readme.split("<!-- shipped-sources -->\n", 1)[1].split("<!-- /shipped-sources -->", 1)[0]
    assert block == docs.source_table(), "README drifted: run `make docs`"
    cited = list(every_citation())
    on_copies = [url for _, _, _, url in cited if copy_site(url)]
    hosts = {copy_site(url)["site"] for url in on_copies}
    assert block.startswith(f"{len(cited)} citations ({len({c[3] for c in cited})} distinct URLs) ")
    assert f"; {len(on_copies)} of them ({len(set(on_copies))} distinct URLs) are on {len(hosts)} hosts" in block
    assert block.count("\n| ") == len(hosts) + 1  # header row + one row per host
