"""Input as Peruvians write it: day-first dates read strictly, Spanish dates and vocabulary.

Expected values are written out by hand here: 9 de enero de 2023 is 2023-01-09 and so on.
"""

import pytest

from conftest import add_args, snapshot
from protestlog.ledger import Ledger

# "today" is pinned to 2023-06-01 by the cli fixture


def stored(db, record_id):
    with Ledger(db) as ledger:
        return ledger.history(record_id)[-1]


@pytest.mark.parametrize("typed, iso", [
    ("9 de enero de 2023", "2023-01-09"),
    ("9 ene 2023", "2023-01-09"),
    ("09-ene-2023", "2023-01-09"),
    ("9 ene. 2023", "2023-01-09"),
    ("9 de Enero del 2023", "2023-01-09"),
    ("lunes 9 de enero de 2023", "2023-01-09"),   # 9 January 2023 was a Monday
    ("1.º de febrero de 2023", "2023-02-01"),
    ("15 de diciembre de 2022", "2022-12-15"),
    ("15 dic 2022", "2022-12-15"),
    ("3 set 2022", "2022-09-03"),                  # Peru writes "setiembre"
    ("3 de setiembre de 2022", "2022-09-03"),
    ("3 de septiembre de 2022", "2022-09-03"),
    ("12 ABR 2023", "2023-04-12"),
    ("hoy", "2023-06-01"),
    ("Hoy", "2023-06-01"),
    ("ayer", "2023-05-31"),
    ("13/01/2023", "2023-01-13"),                  # day first
    ("9.1.2023", "2023-01-09"),
    ("9-1-2023", "2023-01-09"),
    ("2023/01/09", "2023-01-09"),                  # year first is never ambiguous
    ("9 Jan 2023", "2023-01-09"),
    ("January 9, 2023", "2023-01-09"),
])
def test_dates_as_peruvians_write_them(cli, db, typed, iso):
    result = cli(*add_args(date=typed, region="Puno", killed=1), "--json")
    assert result.exit_code == 0, result
    assert stored(db, result.json()["id"])["date"] == iso


@pytest.mark.parametrize("typed, reason", [
    ("01/13/2023", "no month 13"),       # month first is refused, not guessed
    ("12/31/2022", "no month 31"),
    ("9/1/23", "four digits"),           # a two-digit year could be 1923 or 2023
    ("09/01/23", "four digits"),
    ("9-ene-23", "four digits"),
    ("9/1/3", "four digits"),
    ("Jan 9 23", "four digits"),
    ("31/02/2023", "not a real calendar date"),
    ("30 de febrero de 2023", "not a real calendar date"),
    ("martes 9 de enero de 2023", "was a Monday"),
    ("enero de 2023", "needs a day, month and year"),
    ("9 de enero", "needs a day, month and year"),
    ("9 de enerox de 2023", "cannot be read"),
    ("2023-01-09 10:00", "not a time"),
    ("mañana", "cannot be read"),
])
def test_ambiguous_or_impossible_dates_are_refused(cli, add, db, typed, reason):
    add(date="2023-01-05", region="Puno", killed=1)
    before = snapshot(db)
    result = cli(*add_args(date=typed, region="Puno", killed=1))
    assert result.exit_code == 1, result
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"date='{typed}'" in result.stderr and reason in result.stderr, result.stderr
    assert snapshot(db) == before


def test_filters_read_spanish_dates(cli, add):
    add(date="2022-12-14", region="Puno", killed=1)
    add(date="2022-12-15", region="Puno", killed=2)
    add(date="2023-01-09", region="Puno", killed=4)
    rows = cli("list", "--since", "15 de diciembre de 2022", "--until", "31-dic-2022", "--json").json()
    assert [r["killed"] for r in rows] == [2]
    refused = cli("list", "--since", "12/15/2022")
    assert refused.exit_code == 1 and "no month 15" in refused.stderr


WORDS = [
    ("group", "civil", "civilian"), ("group", "Policía", "police"), ("group", "policia", "police"),
    ("group", "MILITAR", "military"),
    ("circumstance", "enfrentamiento", "clash with security forces"),
    ("circumstance", "bloqueo", "blockade-related accident"),
    ("cause", "arma de fuego", "firearm"), ("cause", "perdigones", "pellets"),
    ("cause", "gas lacrimógeno", "tear gas"), ("cause", "gas lacrimogeno", "tear gas"),
    ("cause", "objeto contundente", "blunt force"), ("cause", "quemaduras", "burns"),
    ("cause", "vehículo", "vehicle"), ("cause", "vehiculo", "vehicle"),
    ("confidence", "confirmado", "confirmed"), ("confidence", "probable", "probable"),
    ("confidence", "no verificado", "unverified"), ("confidence", "No Verificado", "unverified"),
    ("confidence", "disputado", "contested"),
]


@pytest.mark.parametrize("field, typed, canonical", WORDS)
def test_spanish_words_are_stored_canonically(cli, db, field, typed, canonical):
    result = cli(*add_args(date="2023-01-09", region="Puno", killed=1, **{field: typed}), "--json")
    assert result.exit_code == 0, result
    assert stored(db, result.json()["id"])[field] == canonical


def test_spanish_words_in_amend_and_filters(cli, add):
    record = add(date="2023-01-09", region="Puno", killed=1, group="civilian")
    add(date="2023-01-09", region="Puno", killed=5, group="police")
    amended = cli("amend", record, "--group", "policía", "--cause", "arma de fuego", "--reason", "nuevo informe",
                  "--json")
    assert amended.exit_code == 0, amended
    assert (amended.json()["group"], amended.json()["cause"]) == ("police", "firearm")
    rows = cli("list", "--group", "Policía", "--json").json()
    assert sorted(r["killed"] for r in rows) == [1, 5]
    summary = cli("summary", "--group", "policia", "--since", "2023-01-01", "--until", "2023-01-31", "--json").json()
    assert summary["totals"]["killed"] == 6


def test_spanish_vague_wording_is_coded_and_kept(cli, db):
    result = cli(*add_args(date="2023-01-09", region="Puno", killed=1, injured="decenas"), "--json")
    assert result.exit_code == 0, result
    entry = stored(db, result.json()["id"])
    assert (entry["injured"], entry["injured_reported"]) == (10, "decenas")


def test_import_reads_spanish_cells(cli, db, tmp_path):
    path = tmp_path / "informe.csv"
    path.write_text("date,region,killed,group,circumstance,cause,confidence\n"
                    "9 de enero de 2023,Puno,17,civil,enfrentamiento,arma de fuego,confirmado\n"
                    "15-dic-2022,Ayacucho,1,Policía,bloqueo,vehículo,no verificado\n", encoding="utf-8")
    result = cli("import", path, "--json")
    assert result.exit_code == 0, result
    first, second = stored(db, 1), stored(db, 2)
    assert (first["date"], first["group"], first["circumstance"], first["cause"], first["confidence"]) == (
        "2023-01-09", "civilian", "clash with security forces", "firearm", "confirmed")
    assert (second["date"], second["group"], second["circumstance"], second["cause"], second["confidence"]) == (
        "2022-12-15", "police", "blockade-related accident", "vehicle", "unverified")


def test_an_ambiguous_date_in_an_import_names_its_line(cli, db, tmp_path):
    path = tmp_path / "informe.csv"
    path.write_text("date,region,killed\n09/01/2023,Puno,1\n01/13/2023,Puno,1\n", encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 1
    assert "line 3" in result.stderr and "no month 13" in result.stderr
    assert not db.exists() or cli("list", "--json").json() == []
