"""Two external ids a person cannot tell apart are one id, or refused (findings F4 and F4b).

New ids are put in Unicode NFC and may not hold a format or control character or a space other
than the plain one; ids an older release stored are never rewritten and are still found.
"""

import datetime as dt
import json
import sqlite3
import unicodedata

import pytest

from conftest import snapshot
from test_interop import ACLED_HEADER, ACLED_ROWS, UCDP_HEADER, UCDP_ROWS, write_csv

NFC = unicodedata.normalize("NFC", "pe-José")
NFD = unicodedata.normalize("NFD", "pe-José")
ADD = ("add", "--date", "2023-01-09", "--region", "Puno", "--killed", "1", "--source", "S",
       "--url", "https://example.org/1", "--yes")
CSV_HEADER = "external_id,date,region,place,killed,group,cause,confidence,source,url\n"


def csv_row(external_id: str, killed: int) -> str:
    return f"{external_id},2023-01-09,Puno,Juliaca,{killed},civilian,firearm,confirmed,S,https://a.b/1\n"


def stored_ids(db) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT external_id FROM entries ORDER BY seq")]
    finally:
        con.close()


def test_nfc_and_nfd_spellings_are_one_id(cli, db):
    assert NFC != NFD
    assert cli(*ADD, "--external-id", NFD).exit_code == 0
    assert stored_ids(db) == [NFC]  # stored in NFC
    result = cli(*ADD[:-1], "--place", "Ilave", "--external-id", NFC, "--yes")
    assert result.exit_code == 1 and "is already record 1" in result.stderr, result
    shown = cli("show", NFD, "--json")
    assert shown.exit_code == 0 and shown.json()["record"]["id"] == 1, shown


HIDDEN = [("X-1\u200b", "U+200B"), ("X\u200d-1", "U+200D"), ("\ufeffX-1", "U+FEFF"), ("X\u00ad-1", "U+00AD"),
          ("X-1\u200e", "U+200E"), ("X\u00a01", "U+00A0"), ("X\u30001", "U+3000"), ("X\u202e1-", "U+202E"),
          ("X-1\ufe0f", "U+FE0F"), ("X-\u31641", "U+3164"), ("X\u2800Y", "U+2800")]


@pytest.mark.parametrize("value, code", HIDDEN)
def test_the_gate_refuses_hidden_characters_in_a_new_id(value, code):
    from protestlog.errors import FieldError
    from protestlog.records import parse_external_id

    with pytest.raises(FieldError, match=code.replace("+", r"\+")):
        parse_external_id(value)


@pytest.mark.parametrize("value, code", [HIDDEN[0], HIDDEN[5]])
def test_add_amend_and_victims_refuse_hidden_characters_in_a_new_id(cli, db, value, code):
    assert cli(*ADD, "--external-id", "X-1").exit_code == 0
    before = snapshot(db)
    for args in ((*ADD, "--external-id", value), ("amend", "1", "--external-id", value, "--reason", "r"),
                 ("victim", "add", "--name", "Ana", "--external-id", value)):
        result = cli(*args)
        assert result.exit_code == 1, (args, result)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "external_id=" in lines[0] and code in lines[0], (args, result)
        assert snapshot(db) == before


@pytest.mark.parametrize("lookup", [("show", "X-1\u200b"), ("amend", "X-1\u200b", "--killed", "2", "--reason", "r"),
                                    ("victim", "show", "X-1\u200b")])
def test_a_lookup_with_a_hidden_character_says_why_it_finds_nothing(cli, db, lookup):
    assert cli(*ADD, "--external-id", "X-1").exit_code == 0
    result = cli(*lookup)
    assert result.exit_code == 1 and "U+200B" in result.stderr, result
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_file_giving_one_id_in_both_spellings_with_different_content_is_refused(cli, db, tmp_path):
    """F4b: the rule 'one id, one content per file' holds across spellings."""
    path = tmp_path / "nf.csv"
    path.write_text(CSV_HEADER + csv_row(NFC, 3) + csv_row(NFD, 5), encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 1 and "line 3" in result.stderr and "repeats line 2" in result.stderr, result
    assert not db.exists()
    same = tmp_path / "same.csv"
    same.write_text(CSV_HEADER + csv_row(NFC, 3) + csv_row(NFD, 3), encoding="utf-8")
    imported = cli("import", same, "--json")
    assert imported.exit_code == 0 and (imported.json()["added"], imported.json()["already_present"]) == (1, 1)
    assert stored_ids(db) == [NFC]


@pytest.mark.parametrize("suffix", ["json", "ndjson"])
def test_json_imports_refuse_a_hidden_character(cli, db, tmp_path, suffix):
    row = {"external_id": "X-1\u200b", "date": "2023-01-09", "region": "Puno", "killed": 1}
    path = tmp_path / f"rows.{suffix}"
    path.write_text(json.dumps([row]) if suffix == "json" else json.dumps(row) + "\n", encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 1 and "external_id=" in result.stderr and "U+200B" in result.stderr, result
    assert not db.exists()


def test_acled_and_ucdp_ids_are_checked_under_their_own_column_names(cli, db, tmp_path):
    rows = [dict(r) for r in ACLED_ROWS[:3]]
    rows[1]["event_id_cnty"] = "PER10002\u200b"
    result = cli("import", "--from", "acled", write_csv(tmp_path / "a.csv", ACLED_HEADER, rows))
    assert result.exit_code == 1, result
    assert result.stderr.startswith("protestlog: error: line 3: event_id_cnty="), result
    assert "U+200B" in result.stderr
    ged = [dict(r) for r in UCDP_ROWS]
    ged[1]["id"] = "451235\u2060"
    result = cli("import", "--from", "ucdp", write_csv(tmp_path / "g.csv", UCDP_HEADER, ged))
    assert result.exit_code == 1 and "line 3: id=" in result.stderr and "U+2060" in result.stderr, result
    ged[1]["id"] = NFD
    ged.append(dict(ged[1], best="4", high="4"))
    ged[2]["id"] = NFC
    result = cli("import", "--from", "ucdp", write_csv(tmp_path / "g2.csv", UCDP_HEADER, ged))
    assert result.exit_code == 1 and "line 4" in result.stderr and "repeats line 3" in result.stderr, result
    assert not db.exists()


def test_victim_lists_normalise_and_refuse_like_incidents(cli, db, tmp_path):
    assert cli(*ADD, "--external-id", NFD).exit_code == 0
    header = "external_id,incident_external_id,name,date_of_death,region\n"
    path = tmp_path / "v.csv"
    path.write_text(header + f"v-{NFD},{NFD},Ana,2023-01-09,Puno\nv-{NFC},{NFC},Ana María,2023-01-09,Puno\n",
                    encoding="utf-8")
    result = cli("victim", "import", path)
    assert result.exit_code == 1 and "line 3" in result.stderr and "repeats line 2" in result.stderr, result
    path.write_text(header + f"v-{NFD},{NFD},Ana,2023-01-09,Puno\n", encoding="utf-8")
    result = cli("victim", "import", path, "--json")
    assert result.exit_code == 0 and result.json()["added"] == 1, result
    victim = cli("victim", "show", f"v-{NFC}", "--json").json()["victim"]
    assert victim["external_id"] == f"v-{NFC}" and victim["incident"] == 1
    path.write_text(header + "v-2\u200b,,Rosa,2023-01-20,Puno\n", encoding="utf-8")
    result = cli("victim", "import", path)
    assert result.exit_code == 1 and "line 2: external_id=" in result.stderr and "U+200B" in result.stderr


# ---- ids stored by earlier releases ----------------------------------------------------------------


@pytest.fixture
def older(cli, db):
    """A ledger holding what releases before this one stored as given: an NFD id (record 1) and one
    with a zero-width space (record 2), written through the appender, so the chain holds."""
    from protestlog.ledger import Ledger
    from protestlog.records import validate

    today = dt.date(2023, 6, 1)
    with Ledger(db, create=True) as ledger, ledger.writing():
        append = ledger.appender(by="older release")
        for external_id, place in ((NFD, "Juliaca"), ("X-2\u200b", "Ilave")):
            record = validate({"date": "2023-01-09", "region": "Puno", "place": place, "killed": 1, "source": "S",
                               "url": "https://example.org/1"}, today=today)
            record["external_id"] = external_id
            append(record)
    assert stored_ids(db) == [NFD, "X-2\u200b"]
    assert cli("verify").exit_code == 0
    return db


def test_ids_an_older_release_stored_are_found_and_never_respelled(cli, older, tmp_path):
    assert cli("show", NFC, "--json").json()["record"]["id"] == 1  # found by the NFC spelling
    assert cli("show", "X-2\u200b", "--json").json()["record"]["id"] == 2  # and by its exact one
    assert cli("amend", NFC, "--killed", "2", "--reason", "r").exit_code == 0
    assert cli("amend", "2", "--killed", "3", "--reason", "r").exit_code == 0  # its id is not re-checked
    assert stored_ids(older)[2:] == [NFD, "X-2\u200b"]  # the new revisions keep the stored spelling
    result = cli(*ADD, "--external-id", NFC)
    assert result.exit_code == 1 and "is already record 1" in result.stderr, result
    assert cli("amend", "1", "--external-id", NFC, "--reason", "same id").exit_code == 1  # "already says that"
    path = tmp_path / "again.csv"
    path.write_text(CSV_HEADER.replace(",source,url", "") + f"{NFC},2023-01-09,Puno,Juliaca,2,unknown,unknown,"
                    "unverified\n", encoding="utf-8")
    imported = cli("import", path, "--json")
    assert imported.exit_code == 0 and imported.json()["added"] == 0, imported
    assert cli("victim", "add", "--name", "Ana", "--incident", NFC).exit_code == 0
    corrections = tmp_path / "c.csv"
    corrections.write_text("external_id,action,announced,changes,reason,source\n"
                           f'{NFC},amend,2023-02-01,"{{""killed"": 4}}",recount,Defensoría\n', encoding="utf-8")
    applied = cli("apply-corrections", corrections)
    assert applied.exit_code == 0, applied
    assert stored_ids(older)[-1] == NFD and cli("show", "1", "--json").json()["record"]["killed"] == 4
    assert cli("verify").exit_code == 0


def test_the_length_limit_is_the_stored_spelling_s():
    """Attack finding: 150 accented letters typed in NFD (300 code points) were refused as too long,
    while the same id in NFC (150, the form stored) was accepted."""
    from protestlog.records import parse_external_id

    nfc = "\u00f3" * 150
    nfd = unicodedata.normalize("NFD", nfc)
    assert len(nfd) == 300 and len(nfc) == 150
    assert parse_external_id(nfd) == nfc == parse_external_id(nfc)


@pytest.mark.parametrize("number", [1e400, float("nan"), 1.0, -0.0, 2.5])
def test_an_id_given_as_a_fractional_or_exponent_number_is_refused(number):
    """Attack finding: a JSON 1e400 was stored as 'inf' (as was 2e400: one id), and 1.0 and 1 were two ids."""
    from protestlog.errors import FieldError
    from protestlog.records import parse_external_id

    with pytest.raises(FieldError, match="give the id as text"):
        parse_external_id(number)
    assert parse_external_id(17) == "17"


def test_a_json_file_with_an_exponent_id_is_refused_whole(cli, db, tmp_path):
    path = tmp_path / "num.json"
    path.write_text('[{"date":"2023-01-10","region":"Puno","killed":1,"external_id":1e400}]', encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 1 and "give the id as text" in result.stderr, result.stderr
    assert not db.exists() or stored_ids(db) == []
