"""Likely duplicate persons: spelling variants found, people who only share a surname left apart."""

import pytest

from protestlog.persons import likely_same_persons, name_similarity, pair_score


def person(victim_id, name, *, other=(), age=None, sex="male", died="2022-12-12", region="Apurímac",
           incident=None):
    return {"victim_id": victim_id, "name": name, "other_names": list(other), "age_low": age, "age_high": age,
            "sex": sex, "date_of_death": died, "date_injured": None, "incident_date": None, "region": region,
            "incident_id": incident, "description": None}


@pytest.mark.parametrize("a, b", [
    ("Jhonatan Lloclla Loayza", "Jonathan Lloclla Loayza"),          # Jh / J, th / t
    ("JONATHAN LLOCLLA LOAYZA", "jonathan lloclla loayza"),          # case
    ("Cristhian Rojas Vásquez", "Cristian Rojas Vasquez"),          # accents, silent h
    ("Beckham Quispe Garfias", "Beckham Quispe"),                    # missing second surname
    ("Quispe Garfias, Beckham", "Beckham Quispe Garfias"),           # word order, punctuation
    ("Wilfredo Lizarme Barboza", "Wilfredo Lizarme Barbosa"),        # z / s
    ("Jhancarlo Condori Arcana", "Jhan Carlos Condori Arcana"),      # one word written as two
    ("Denilson Huaraca Vílchez", "Denilson Huacara Vilchez"),        # letters swapped
    ("Leonardo Hancco Chacca", "Leonardo Hanco Chaca"),              # doubled letters
])
def test_spelling_variants_of_one_name_match(a, b):
    score, _ = name_similarity(a, b)
    assert score >= 0.9, (a, b, score)


@pytest.mark.parametrize("a, b", [
    ("David Atequipa Quispe", "Beckham Romario Quispe Garfias"),     # shared surname only
    ("Juan Quispe Mamani", "Pedro Quispe Mamani"),                   # brothers: same surnames
    ("Miguel Arcana", "Jhancarlo Condori Arcana"),                   # uncle and nephew
    ("Elvis Pari Quiso", "Elías Lupaca Inquillas"),
])
def test_different_people_who_share_a_surname_do_not_match(a, b):
    score, _ = name_similarity(a, b)
    assert score < 0.3, (a, b, score)


def test_pairs_are_found_with_reasons_and_age_and_sex_as_evidence():
    people = [person(1, "Jhonatan Lloclla Loayza", age=26, incident=6),
              person(2, "Jonathan Lloclla Loayza", age=26, incident=6),
              person(3, "Robert Medina Llanterhuay", age=16, other=["Robert Pablo Medina Yanquerhuay"], incident=6),
              person(4, "David Atequipa Quispe", age=15, died="2022-12-11"),
              person(5, "Beckham Romario Quispe Garfias", age=18, died="2022-12-11"),
              person(6, "Robert Pablo Medina Yanquerhuay", age=16, died="2022-12-13")]
    pairs = likely_same_persons(people)
    assert [(p["a"], p["b"]) for p in pairs] == [(1, 2), (3, 6)]
    top = pairs[0]
    # by hand: 0.7 (same name) + 0.15 (ages agree) + 0.05 (same sex) + 0.1 (same incident) + 0.1 (same death day)
    assert top["score"] == 1.0
    assert any("ages agree" in r for r in top["reasons"]) and any("same incident" in r for r in top["reasons"])
    # 3/6: other spelling equals the name -> 0.7, ages +0.15, sex +0.05; different days, no incident on 6
    assert pairs[1]["score"] == 0.9


def test_age_and_sex_count_against_a_match():
    a = person(1, "Jonathan Enciso Arias", age=18)
    older = person(2, "Jonathan Enciso Arias", age=45)
    woman = person(3, "Jonathan Enciso Arias", age=18, sex="female")
    assert pair_score(a, older)[0] == pytest.approx(0.7 - 0.2 + 0.05 + 0.1)
    assert pair_score(a, woman)[0] == pytest.approx(0.7 + 0.15 - 0.5 + 0.1)
    assert likely_same_persons([a, older, woman]) == []


def test_blocking_by_region_and_date_window():
    a = person(1, "Jonathan Lloclla Loayza", died="2022-12-12")
    far = person(2, "Jonathan Lloclla Loayza", died="2022-12-20")
    elsewhere = person(3, "Jonathan Lloclla Loayza", died="2022-12-12", region="Puno")
    near = person(4, "Jonathan Lloclla Loayza", died="2022-12-14", region=None)
    pairs = likely_same_persons([a, far, elsewhere, near])
    assert {(p["a"], p["b"]) for p in pairs} == {(1, 4), (3, 4)}
    assert {(p["a"], p["b"]) for p in likely_same_persons([a, far], window_days=8)} == {(1, 2)}


def test_a_person_injured_and_dead_on_different_days_is_compared_on_either_day():
    injured = person(1, "Brayan Apaza Jumpiri", died=None) | {"date_injured": "2023-01-09"}
    dead = person(2, "Brayan Apaza Jumpuri", died="2023-01-12")
    assert [(p["a"], p["b"]) for p in likely_same_persons([injured, dead], window_days=3)] == [(1, 2)]


def test_unnamed_people_are_not_paired_by_name():
    a = person(1, None) | {"description": "unidentified adult man"}
    b = person(2, None) | {"description": "unidentified adult man"}
    assert likely_same_persons([a, b]) == []
