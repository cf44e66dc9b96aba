"""Counting people: --count-by, minors from ages, splits over victims, and the check rules."""

import pytest

from test_victims import add_victim


def series(summary: dict) -> dict:
    return {row["start"]: row["killed"] for row in summary["series"] if row["killed"]}


@pytest.fixture
def juliaca(cli, add):
    """Juliaca, 9 January: 2 killed; one died that day, a teenager shot that day died on 12 January."""
    rid = add(date="2023-01-09", region="puno", killed=2, group="civilian", circumstance="clash",
              responsible="police", external_id="juliaca")
    add_victim(cli, "--name", "Marco Antonio Samillán", "--age", "29", "--sex", "male", "--incident", rid,
               "--date-of-death", "2023-01-09", "--responsible", "police", "--cause", "firearm", "--role", "bystander")
    add_victim(cli, "--name", "Brayan Apaza Jumpiri", "--age", "15", "--sex", "male", "--incident", rid,
               "--date-injured", "2023-01-09", "--date-of-death", "2023-01-12", "--responsible", "police",
               "--cause", "firearm", "--role", "protester")
    return rid


def test_count_by_incident_counts_on_the_incident_day(cli, juliaca):
    s = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--json").json()
    assert s["count_by"] == "incident" and s["moved_by_date_of_death"] is None
    assert series(s) == {"2023-01-09": 2}


def test_count_by_death_counts_each_victim_on_their_date_of_death(cli, juliaca):
    s = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--count-by", "death", "--json").json()
    assert s["count_by"] == "death"
    assert series(s) == {"2023-01-09": 1, "2023-01-12": 1}
    assert s["totals"]["killed"] == 2 and s["totals"]["records"] == 1
    assert s["moved_by_date_of_death"] == {"victims": 1, "into_range": 0, "out_of_range": 0}


def test_count_by_death_moves_deaths_across_the_range_bounds(cli, juliaca):
    after = ["summary", "--since", "2023-01-10", "--until", "2023-01-31", "--json"]
    assert cli(*after).json()["totals"]["killed"] == 0
    s = cli(*after, "--count-by", "death").json()
    assert s["totals"]["killed"] == 1 and s["moved_by_date_of_death"]["into_range"] == 1
    before = cli("summary", "--since", "2023-01-01", "--until", "2023-01-10", "--count-by", "death", "--json").json()
    assert before["totals"]["killed"] == 1 and before["moved_by_date_of_death"]["out_of_range"] == 1


def test_count_by_death_shifts_the_milestone_comparison(cli, juliaca):
    cli("milestone", "add", "2023-01-11", "Curfew")
    by_incident = cli("summary", "--since", "2023-01-07", "--until", "2023-01-14", "--json").json()["milestones"][0]
    by_death = cli("summary", "--since", "2023-01-07", "--until", "2023-01-14", "--count-by", "death",
                   "--json").json()["milestones"][0]
    assert (by_incident["before"]["killed"], by_incident["after"]["killed"]) == (2, 0)
    assert (by_death["before"]["killed"], by_death["after"]["killed"]) == (1, 1)


def test_a_withdrawn_person_never_adds_a_death(cli, add):
    rid = add(date="2022-12-12", region="apurimac", killed=1, killed_high=2)
    add_victim(cli, "--name", "Robert Medina", "--incident", rid, "--date-of-death", "2022-12-12")
    add_victim(cli, "--name", "Jonathan Lloclla", "--incident", rid, "--date-of-death", "2022-12-13",
               "--confidence", "contested")
    s = cli("summary", "--since", "2022-12-01", "--until", "2022-12-31", "--count-by", "death", "--json").json()
    assert series(s) == {"2022-12-12": 1}  # only `killed` (1) victims move, contested ones last


def test_count_by_rejects_other_values(cli, juliaca):
    result = cli("summary", "--count-by", "person")
    assert result.exit_code == 2 and "count-by" in result.stderr


def test_minors_come_from_victims_where_the_incident_gives_none(cli, add, juliaca):
    given = add(date="2023-01-09", region="puno", killed=1, minors=0)
    add_victim(cli, "--name", "Niño Uno", "--age", "12", "--incident", given)  # the incident's own 0 wins
    s = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--json").json()
    t = s["totals"]
    # Juliaca gives no minors figure: its victims (15 and 29) supply 1; the other record says 0 itself.
    assert t["minors_killed"] == 1 and t["minors_reported_in"] == 2
    assert s["minors_from_victims"] == {"records": [juliaca], "minors": 1}
    table = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31").stdout
    assert f"minors from linked victims' ages in record {juliaca}" in " ".join(table.split())


def test_minors_stay_unknown_when_victims_do_not_settle_it(cli, add):
    rid = add(date="2023-01-09", region="puno", killed=3)
    add_victim(cli, "--name", "Adulto Uno", "--age", "40", "--incident", rid)  # 2 deaths not linked: unknown
    t = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--json").json()["totals"]
    assert t["minors_reported_in"] == 0
    rid2 = add(date="2023-01-10", region="puno", killed=1)
    add_victim(cli, "--name", "Adulta Dos", "--age", "30", "--incident", rid2)  # every death known: 0 minors
    s = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--json").json()
    assert s["totals"]["minors_reported_in"] == 1 and s["totals"]["minors_killed"] == 0
    assert s["minors_from_victims"] == {"records": [rid2], "minors": 0}


def test_splits_over_victims_with_unknown_as_its_own_category(cli, juliaca):
    add_victim(cli, "--description", "unidentified woman", "--sex", "female", "--region", "puno",
               "--date-of-death", "2023-01-10")
    v = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--json").json()["victims"]
    assert (v["records"], v["named"], v["unnamed"], v["linked"], v["unlinked"]) == (3, 2, 1, 2, 1)
    assert (v["minors"], v["adults"], v["age_unknown"]) == (1, 1, 1)
    assert {r["name"]: r["victims"] for r in v["by_responsible"]} == {"police": 2, "unknown": 1}
    assert {r["name"]: r["victims"] for r in v["by_cause"]} == {"firearm": 2, "unknown": 1}
    assert {r["name"]: r["victims"] for r in v["by_role"]} == {"bystander": 1, "protester": 1, "unknown": 1}
    assert {r["name"]: r["victims"] for r in v["by_sex"]} == {"male": 2, "female": 1}
    assert {r["name"]: r["victims"] for r in v["by_age_band"]} == {"under 18": 1, "18-29": 1, "unknown": 1}
    assert {(r["sex"], r["age_band"]): r["victims"] for r in v["by_sex_and_age_band"]} == {
        ("male", "under 18"): 1, ("male", "18-29"): 1, ("female", "unknown"): 1}


def test_incident_split_by_responsible_force(cli, add):
    add(date="2022-12-15", region="ayacucho", killed=10, responsible="army")
    add(date="2023-01-09", region="puno", killed=17, responsible="police")
    add(date="2023-01-10", region="puno", killed=1)
    split = cli("summary", "--since", "2022-12-01", "--until", "2023-01-31", "--json").json()["by_responsible"]
    assert {r["name"]: r["killed"] for r in split} == {"army": 10, "police": 17, "not stated": 1}


def test_summary_without_victims_says_so_and_prints_in_every_format(cli, add):
    add(date="2023-01-09", region="puno", killed=1)
    s = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--json").json()
    assert s["victims"]["records"] == 0 and s["minors_from_victims"] == {"records": [], "minors": 0}
    for fmt in ("table", "csv", "markdown", "ndjson"):
        assert cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--format", fmt).exit_code == 0


# ---- check ---------------------------------------------------------------------------------


def problems(cli, rule):
    result = cli("check", "--json")
    return [p for p in result.json()["problems"] if p["rule"] == rule]


def test_check_is_silent_on_clean_victim_data(cli, juliaca):
    result = cli("check")
    assert result.exit_code == 0 and result.stdout == ""


def test_check_more_victims_than_killed(cli, juliaca):
    add_victim(cli, "--name", "Tercera Persona", "--incident", juliaca)
    found = problems(cli, "victims")
    assert len(found) == 1 and "3 victims linked but records 2 killed" in found[0]["message"]
    assert cli("check").exit_code == 1


def test_check_accepts_victims_up_to_the_high_figure(cli, add):
    rid = add(date="2023-01-09", region="puno", killed=1, killed_high=2)
    add_victim(cli, "--name", "Una Persona", "--incident", rid)
    add_victim(cli, "--name", "Otra Gente", "--incident", rid)
    assert problems(cli, "victims") == []


def test_check_victim_linked_to_a_retracted_incident(cli, juliaca):
    cli("retract", juliaca, "--reason", "duplicate")
    found = problems(cli, "victim-link")
    assert len(found) == 2 and "retracted" in found[0]["message"]


def test_check_date_of_death_before_the_incident(cli, juliaca):
    add_victim(cli, "--name", "Persona Temprana", "--incident", juliaca, "--date-of-death", "2023-01-08")
    found = problems(cli, "victim-dates")
    assert len(found) == 1 and "2023-01-08" in found[0]["message"]


def test_check_and_duplicates_find_the_same_person_twice(cli, juliaca):
    add_victim(cli, "--name", "Brayan Apaza Jumpuri", "--age", "15", "--sex", "male", "--region", "puno",
               "--date-of-death", "2023-01-12")
    add_victim(cli, "--name", "Marco Samillán Sanga", "--age", "52", "--region", "puno",
               "--date-of-death", "2023-01-09")  # shares words with victim 1 but not the same person
    found = problems(cli, "duplicate-person")
    assert len(found) == 1 and "victims 2 and 3" in found[0]["message"]
    pairs = cli("duplicates", "--victims", "--json").json()
    assert [(p["a"], p["b"]) for p in pairs] == [(2, 3)]
    assert pairs[0]["reasons"][0].startswith("names ")
    assert "Apaza" in cli("duplicates", "--victims").stdout
    cli("victim", "retract", "3", "--reason", "same person as victim 2")
    assert cli("check").exit_code == 0


def test_duplicates_victims_options_are_checked(cli, juliaca):
    assert cli("duplicates", "--victims", "--min-score", "2").exit_code == 2
    assert cli("duplicates", "--victims", "--window", "-1").exit_code == 2
    assert cli("duplicates", "--victims", "--min-score", "0", "--format", "csv").exit_code == 0


# ---- report --------------------------------------------------------------------------------


def test_report_lists_the_named_dead_with_their_sources(cli, juliaca, tmp_path):
    add_victim(cli, "--description", "unidentified man", "--region", "puno", "--date-of-death", "2023-01-09")
    md = cli("report", "--since", "2023-01-01", "--until", "2023-01-31", "--format", "markdown")
    assert md.exit_code == 0, md
    memorial = md.stdout.split("## In memory: the named dead (2)")[1]
    assert memorial.index("Marco Antonio Samillán") < memorial.index("Brayan Apaza Jumpiri")  # by date of death
    assert "unidentified man" not in memorial
    out = tmp_path / "r.html"
    assert cli("report", "--since", "2023-01-01", "--until", "2023-01-31", "--output", out).exit_code == 0
    page = out.read_text()
    assert 'id="memorial"' in page and "Brayan Apaza Jumpiri" in page


def test_report_without_named_victims_has_no_memorial(cli, add):
    add(date="2023-01-09", region="puno", killed=1)
    md = cli("report", "--since", "2023-01-01", "--until", "2023-01-31", "--format", "markdown").stdout
    assert "In memory" not in md


def test_summary_as_of_ignores_victims_recorded_later(cli, add):
    rid = add(date="2023-01-09", region="puno", killed=1)
    before = cli("show", rid, "--json").json()["history"][0]["recorded_at"]
    add_victim(cli, "--name", "Niña Uno", "--age", "12", "--incident", rid, "--date-of-death", "2023-01-12")
    then = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--as-of", before, "--count-by", "death",
               "--json").json()
    assert then["victims"]["records"] == 0 and then["totals"]["minors_killed"] is None
    assert series(then) == {"2023-01-09": 1}
    now = cli("summary", "--since", "2023-01-01", "--until", "2023-01-31", "--count-by", "death", "--json").json()
    assert now["totals"]["minors_killed"] == 1 and series(now) == {"2023-01-12": 1}
