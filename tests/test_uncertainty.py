"""Ranges, confidence grades, date spans and vague counts."""

import random

import pytest


def summary(cli, *extra):
    r = cli("summary", "--since", "2022-12-07", "--until", "2023-01-31", "--json", *extra)
    assert r.exit_code == 0, r
    return r.json()


def test_low_high_ranges_add_up(cli, add):
    rng = random.Random(11)
    low = best = high = 0
    for _ in range(20):
        k = rng.randint(0, 10)
        fields = {"date": "2022-12-20", "region": "Puno", "killed": k}
        lo, hi = k, k
        if rng.random() < 0.5:
            lo = fields["killed_low"] = rng.randint(0, k)
        if rng.random() < 0.5:
            hi = fields["killed_high"] = k + rng.randint(0, 5)
        add(**fields)
        low, best, high = low + lo, best + k, high + hi
    t = summary(cli)["totals"]
    assert t["killed"] == best and t["killed_range"] == [low, high]
    assert t["injured_range"] is None  # no record gives an injured range


def test_min_confidence_filters(cli, add):
    grades = {"confirmed": 5, "probable": 3, "unverified": 2, "contested": 1}
    for grade, killed in grades.items():
        add(date="2022-12-20", region="Puno", killed=killed, confidence=grade)
    assert summary(cli)["totals"]["killed"] == 11
    assert summary(cli, "--min-confidence", "confirmed")["totals"]["killed"] == 5
    assert summary(cli, "--min-confidence", "probable")["totals"]["killed"] == 8
    assert summary(cli, "--min-confidence", "unverified")["totals"]["killed"] == 10
    assert [r["killed"] for r in cli("list", "--min-confidence", "probable", "--json").json()] == [5, 3]
    assert cli("summary", "--min-confidence", "certain").exit_code == 1


def test_spans_count_at_their_start_and_are_flagged_when_they_straddle(cli, add):
    add(date="2022-12-11", end_date="2022-12-15", precision="week", region="Huancavelica", killed=1)
    add(date="2022-12-12", end_date="2022-12-14", region="La Libertad", killed=3)  # ends before the milestone
    add(date="2022-12-16", region="Junín", killed=3)
    s = summary(cli, "--by", "day")
    series = {p["start"]: p["killed"] for p in s["series"]}
    assert series["2022-12-11"] == 1 and series["2022-12-15"] == 0
    (m,) = [m for m in s["milestones"] if m["date"] == "2022-12-15"]
    assert m["before"]["killed"] == 4 and m["after"]["killed"] == 3
    assert m["straddling"] == {"records": 1, "killed": 1}


@pytest.mark.parametrize("wording, coded", [("dozens", 12), ("tens", 10), ("hundreds", 100), ("Several", 3)])
def test_vague_counts_follow_the_coding_rule(cli, wording, coded):
    r = cli("add", "--date", "2022-12-20", "--region", "Puno", "--killed", "1", "--injured", wording, "--json")
    assert r.exit_code == 0, r
    assert (r.json()["injured"], r.json()["injured_reported"]) == (coded, wording)
