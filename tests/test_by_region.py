"""`summary --by-region`: regions ranked by deaths, figures that add up to the records listed."""

import csv
import datetime as dt
import io

import pytest

from conftest import REPO, random_incidents

RANGE = ("--since", "2022-12-01", "--until", "2023-01-31")


def random_ledger(cli, add):
    return random_incidents(add, seed=11, count=60, first_day=dt.date(2022, 11, 20), days=80,
                            regions=["Puno", "Cusco", "Lima", "Ayacucho", "Junín"], groups=["civilian", "police"],
                            details=True)


@pytest.fixture
def rows(cli, db, from_template):
    return from_template(db, random_ledger)


def test_ranked_table_matches_the_records(cli, rows):
    out = cli("summary", *RANGE, "--by-region", "--json").json()
    listed = cli("list", *RANGE, "--json").json()
    expected: dict = {}
    for r in listed:
        acc = expected.setdefault(r["region"], {"records": 0, "killed": 0, "injured": 0, "detained": 0})
        for k in ("killed", "injured", "detained"):
            acc[k] += r[k]
        acc["records"] += 1
    assert {r["region"]: {k: r[k] for k in ("records", "killed", "injured", "detained")}
            for r in out["regions"]} == expected
    killed = [r["killed"] for r in out["regions"]]
    assert killed == sorted(killed, reverse=True)
    total = sum(killed)
    assert out["totals"]["killed"] == total
    for r in out["regions"]:
        assert r["share"] == pytest.approx(r["killed"] / total, abs=1e-4)
        # Competition ranking: one more than the number of regions with strictly more deaths.
        assert r["rank"] == 1 + sum(k > r["killed"] for k in killed)
    table = csv.DictReader(io.StringIO((REPO / "data" / "peru_regions.csv").read_text("utf-8")))
    names_to_codes = {row["name"]: row["code"] for row in table}
    assert all(r["code"] == names_to_codes[r["region"]] for r in out["regions"])


def test_unknown_figures_stay_unknown(cli, add):
    add(date="2022-12-15", region="Ayacucho", killed=10, injured=61)
    add(date="2023-01-09", region="Puno", killed=17)
    regions = {r["region"]: r for r in cli("summary", *RANGE, "--by-region", "--json").json()["regions"]}
    assert regions["Puno"]["injured"] is None and regions["Ayacucho"]["injured"] == 61
    assert [r for r in regions] == ["Puno", "Ayacucho"]
    table = cli("summary", *RANGE, "--by-region").stdout
    assert "Deaths by region, 2022-12-01 to 2023-01-31 (both days included)" in table
    assert "unknown is not zero" in table


def test_ties_share_a_rank_and_csv_is_stable(cli, add):
    for region in ("Cusco", "Lima", "Puno"):
        add(date="2022-12-20", region=region, killed=3 if region != "Puno" else 5)
    text = cli("summary", *RANGE, "--by-region", "--format", "csv").stdout
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == ["rank", "region", "code", "records", "killed", "killed_low", "killed_high",
                              "share", "minors", "injured", "detained",  # columns are only ever added after
                              "minors_reported_in", "injured_reported_in", "detained_reported_in"]
    assert {(r["region"], r["injured"], r["injured_reported_in"]) for r in table} == {
        ("Puno", "", "0"), ("Cusco", "", "0"), ("Lima", "", "0")}  # unknown, and how many gave it
    assert [(r["rank"], r["region"]) for r in table] == [("1", "Puno"), ("2", "Cusco"), ("2", "Lima")]


def test_filters_apply(cli, rows):
    out = cli("summary", *RANGE, "--by-region", "--region", "puno", "--json").json()
    assert [r["region"] for r in out["regions"]] == ["Puno"]
    assert out["regions"][0]["share"] == 1.0 or out["regions"][0]["killed"] == 0
