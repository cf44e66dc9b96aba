"""`duplicates` and `check` compare records block by block: the same pairs as comparing every
pair, and a region-day too crowded to compare fully is capped and said so."""

import datetime as dt
import itertools
import json
import random
import unicodedata

import pytest

from conftest import run_cli

HEADER = "external_id,date,region,province,place,killed,killed_low,killed_high,group,source,url\n"
PLACES = ["Juliaca", "juliaca", "JULIACA centro", "Juli", "Ilave", "Ílave", "Puno", "Huamanga", "", ""]
PROVINCES = ["San Román", "San Roman", "Huamanga", ""]


def key(text: str) -> str:
    """Case- and accent-free comparison key, as the README describes (written here independently)."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def expected_score(a: dict, b: dict) -> float:
    """The README's scoring rule, computed pair by pair."""
    days = abs((dt.date.fromisoformat(a["date"]) - dt.date.fromisoformat(b["date"])).days)
    score = 40 if days == 0 else 20
    pa, pb = key(a["place"] or ""), key(b["place"] or "")
    matched = bool(pa and pb and (pa in pb or pb in pa))
    if pa and pb:
        score += 30 if pa == pb else 20 if matched else -20
    if not matched and key(a["province"] or "") and key(a["province"] or "") == key(b["province"] or ""):
        score += 10
    lo = lambda r: r["killed"] if r["killed_low"] is None else r["killed_low"]  # noqa: E731
    hi = lambda r: r["killed"] if r["killed_high"] is None else r["killed_high"]  # noqa: E731
    if a["killed"] == b["killed"]:
        score += 25
    elif lo(a) <= hi(b) and lo(b) <= hi(a):
        score += 10
    if a["group"] == b["group"]:
        score += 5
    return max(min(score, 100), 0) / 100


def all_pairs(records: list[dict], threshold: float) -> set[tuple]:
    """Every pair of current records in one region at most a day apart, scored: the brute force."""
    found = set()
    for a, b in itertools.combinations(sorted(records, key=lambda r: r["id"]), 2):
        days = abs((dt.date.fromisoformat(a["date"]) - dt.date.fromisoformat(b["date"])).days)
        if a["region"] == b["region"] and days <= 1:
            score = expected_score(a, b)
            if score >= threshold:
                found.add((a["id"], b["id"], score))
    return found


def random_file(path, *, seed: int, rows: int, days: int = 4):
    rng = random.Random(seed)
    lines = []
    for i in range(rows):
        killed = rng.randint(0, 4)
        low, high = (killed - rng.randint(0, killed), killed + rng.randint(0, 2)) if rng.random() < 0.3 else ("", "")
        lines.append(f"e{i},2022-12-{10 + rng.randint(0, days - 1):02d},{rng.choice(['Puno', 'Ayacucho'])},"
                     f"{rng.choice(PROVINCES)},{rng.choice(PLACES)},{killed},{low},{high},"
                     f"{rng.choice(['civilian', 'police'])},Report {i},https://example.org/{i}\n")
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def current(db) -> list[dict]:
    return json.loads(run_cli("list", "--json", db=db).stdout)


@pytest.mark.parametrize("threshold", [0.3, 0.55, 0.7, 0.71, 0.75, 0.9])
def test_duplicates_are_exactly_the_pairs_a_brute_force_finds(tmp_path, threshold):
    db = tmp_path / "l.db"
    assert run_cli("import", random_file(tmp_path / "a.csv", seed=4, rows=90), db=db).returncode == 0
    # Superseded and retracted entries are not compared: only current records are.
    assert run_cli("amend", "3", "--killed", "9", "--reason", "recount", db=db).returncode == 0
    assert run_cli("retract", "5", "--reason", "duplicate", db=db).returncode == 0
    records = current(db)
    assert {r["id"] for r in records} == set(range(1, 91)) - {5}
    out = run_cli("duplicates", "--min-score", str(threshold), "--json", db=db)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    pairs = json.loads(out.stdout)
    assert {(p["a"], p["b"], p["score"]) for p in pairs} == all_pairs(records, threshold)
    assert [p["score"] for p in pairs] == sorted((p["score"] for p in pairs), reverse=True)


def test_pairs_with_an_import_are_found_against_the_whole_ledger(tmp_path):
    """After an import, the warning compares the new rows with every old record nearby, and new with new."""
    db = tmp_path / "l.db"
    assert run_cli("import", random_file(tmp_path / "a.csv", seed=5, rows=60), db=db).returncode == 0
    old_ids = {r["id"] for r in current(db)}
    lines = random_file(tmp_path / "b.csv", seed=6, rows=20).read_text().replace("\ne", "\nn").splitlines(True)
    (tmp_path / "b.csv").write_text("".join(lines), encoding="utf-8")
    result = json.loads(run_cli("import", tmp_path / "b.csv", "--json", db=db).stdout)
    records = current(db)
    expected = {(a, b) for a, b, _ in all_pairs(records, 0.75) if a not in old_ids or b not in old_ids}
    found = {tuple(sorted((p["a"], p["b"]))) for p in result["likely_duplicates"]}
    assert expected and found == expected


def crowded_day(path, *, extra: int):
    """101 + extra reports from Puno on one day, each from a different place, and two pairs."""
    rows = [f"c{i},2022-12-15,Puno,,Place number {i},{i % 3},,,civilian,Report,https://example.org/c{i}\n"
            for i in range(101 + extra)]
    rows += ["s1,2022-12-15,Puno,,Juliaca,7,,,civilian,Radio,https://example.org/s1\n",
             "s2,2022-12-15,Puno,,juliaca,7,,,civilian,Diario,https://example.org/s2\n",  # same place: 1.0
             "t1,2022-12-16,Puno,,Ilave,5,,,police,Radio,https://example.org/t1\n",
             "t2,2022-12-16,Puno,,Ilave centro,5,,,police,Diario,https://example.org/t2\n",  # inside: 0.9
             "q1,2022-12-20,Puno,,Ilave,5,,,police,Radio,https://example.org/q1\n",
             "q2,2022-12-20,Puno,,Ilave centro,5,,,police,Diario,https://example.org/q2\n"]  # uncrowded: 0.9
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_a_crowded_region_day_is_compared_by_place_and_said_so(tmp_path):
    db = tmp_path / "l.db"
    assert run_cli("import", crowded_day(tmp_path / "a.csv", extra=4), db=db).returncode == 0
    ids = {r["external_id"]: r["id"] for r in current(db)}
    out = run_cli("duplicates", "--json", db=db)
    assert out.returncode == 0
    pairs = {(p["a"], p["b"]): p["score"] for p in json.loads(out.stdout)}
    # 2022-12-15 holds 107 records: there only same-place pairs are compared, so "Place number 1" and
    # "Place number 10" (one inside the other, same count: 0.9) are not paired. Region-days beside it
    # are compared in full.
    assert pairs == {(ids["s1"], ids["s2"]): 1.0, (ids["t1"], ids["t2"]): 0.9, (ids["q1"], ids["q2"]): 0.9}
    assert out.stderr.count("\n") == 1
    assert "1 region-day holds more than 100 records" in out.stderr
    assert "Puno 2022-12-15, 107" in out.stderr and "same place" in out.stderr
    check = run_cli("check", "--json", db=db)
    report = json.loads(check.stdout)
    assert report["duplicates_capped"] == [{"region": "Puno", "date": "2022-12-15", "records": 107}]
    assert "same place" in check.stderr
    assert {p["record"] for p in report["problems"] if p["rule"] == "duplicate"} == {ids["s1"], ids["t1"], ids["q1"]}


def test_a_region_day_at_the_cap_is_compared_in_full(tmp_path):
    db = tmp_path / "l.db"
    assert run_cli("import", crowded_day(tmp_path / "a.csv", extra=-3), db=db).returncode == 0  # 98 + 2 = 100
    ids = {r["external_id"]: r["id"] for r in current(db)}
    out = run_cli("duplicates", "--json", db=db)
    pairs = {(p["a"], p["b"]) for p in json.loads(out.stdout)}
    assert (ids["c1"], ids["c10"]) in pairs and out.stderr == ""  # "Place number 1" inside "... 10"
    assert json.loads(run_cli("check", "--json", db=db).stdout)["duplicates_capped"] == []
