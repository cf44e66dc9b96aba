"""ACLED and UCDP GED files in and out, in those datasets' own columns and conventions."""

import csv
import io
from pathlib import Path

import pytest

from conftest import DATA_CSV, shipped_rows_as_imported

# ACLED's export header, as ACLED writes it (2023 onward).
ACLED_HEADER = ("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
                "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,"
                "country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,"
                "fatalities,tags,timestamp").split(",")
UCDP_HEADER = ("id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,"
               "conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,side_b_dset_id,"
               "side_b_new_id,side_b,number_of_sources,source_article,source_office,source_date,source_headline,"
               "source_original,where_prec,where_coordinates,where_description,adm_1,adm_2,latitude,longitude,"
               "geom_wkt,priogrid_gid,country,country_id,region,event_clarity,date_prec,date_start,date_end,"
               "deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob").split(",")
REAL_TODAY = {"PROTESTLOG_TODAY": "2027-01-01"}


def acled_row(**values):
    row = dict.fromkeys(ACLED_HEADER, "")
    row.update({"iso": "604", "region": "South America", "country": "Peru", "year": "2022"})
    row.update(values)
    return row


ACLED_ROWS = [
    acled_row(event_id_cnty="PER10001", event_date="15 December 2022", time_precision="1",
              disorder_type="Political violence; Demonstrations", event_type="Protests",
              sub_event_type="Excessive force against protesters", actor1="Military Forces of Peru (2022-)",
              inter1="1", actor2="Protesters (Peru)", inter2="6", interaction="16",
              civilian_targeting="Civilian targeting", admin1="Ayacucho", admin2="Huamanga", admin3="Ayacucho",
              location="Ayacucho", latitude="-13.1631", longitude="-74.2236", geo_precision="1",
              source="La Republica; Human Rights Watch", source_scale="National-International",
              notes="On 15 December 2022, soldiers fired on protesters near the airport.", fatalities="10",
              timestamp="1672012345"),
    acled_row(event_id_cnty="PER10002", event_date="2023-01-09", year="2023", time_precision="1",
              disorder_type="Demonstrations", event_type="Riots", sub_event_type="Violent demonstration",
              actor1="Rioters (Peru)", actor2="Police Forces of Peru (2022-)", admin1="Puno", admin2="San Roman",
              admin3="Juliaca", location="Juliaca", source="Amnesty International", fatalities="17",
              timestamp="1673312345"),
    acled_row(event_id_cnty="PER10003", event_date="12 December 2022", time_precision="2",
              disorder_type="Demonstrations", event_type="Protests", sub_event_type="Peaceful protest",
              actor1="Protesters (Peru)", admin1="Apurimac", admin2="Andahuaylas", location="",
              admin3="Andahuaylas", source="Diario Correo", fatalities="0", timestamp="1670812345"),
    acled_row(event_id_cnty="BOL5001", event_date="13 January 2023", year="2023", time_precision="1",
              event_type="Protests", sub_event_type="Peaceful protest", country="Bolivia", iso="68",
              admin1="La Paz", location="El Alto", source="Pagina Siete", fatalities="0"),
]


def write_csv(path: Path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def records(cli):
    r = cli("export", "--format", "json")
    assert r.exit_code == 0, r
    return {row["external_id"]: row for row in r.json()}


def test_acled_field_by_field(cli, tmp_path):
    f = write_csv(tmp_path / "acled.csv", ACLED_HEADER, ACLED_ROWS)
    r = cli("import", "--from", "acled", f, "--country", "Peru", "--json")
    assert r.exit_code == 0, r
    assert (r.json()["added"], r.json()["skipped"], r.json()["format"]) == (3, 1, "acled")
    got = records(cli)
    assert set(got) == {"PER10001", "PER10002", "PER10003"}
    a = got["PER10001"]
    assert (a["date"], a["date_precision"], a["region"], a["province"], a["place"], a["killed"]) == (
        "2022-12-15", "day", "Ayacucho", "Huamanga", "Ayacucho", 10)
    assert (a["group"], a["circumstance"]) == ("civilian", "clash with security forces")
    assert a["responsible"] == "army"  # actor1 'Military Forces of Peru (2022-)' fired on the protesters
    assert [s["name"] for s in a["sources"]] == ["La Republica", "Human Rights Watch"]
    assert a["note"] == "On 15 December 2022, soldiers fired on protesters near the airport."
    assert (a["injured"], a["killed_low"], a["killed_high"]) == (None, None, None)  # ACLED has none of these
    b = got["PER10002"]  # a riot against the police: a clash, but ACLED does not say who died
    assert (b["date"], b["region"], b["province"], b["place"], b["killed"]) == (
        "2023-01-09", "Puno", "San Roman", "Juliaca", 17)
    assert (b["group"], b["circumstance"], b["responsible"]) == ("unknown", "clash with security forces", None)
    c = got["PER10003"]  # week precision, admin1 without its accent, location empty -> admin3
    assert (c["date"], c["date_precision"], c["region"], c["place"], c["killed"]) == (
        "2022-12-12", "week", "Apurímac", "Andahuaylas", 0)
    assert (c["group"], c["circumstance"]) == ("unknown", None)


def test_acled_other_countries_are_refused_without_country(cli, tmp_path, db):
    f = write_csv(tmp_path / "acled.csv", ACLED_HEADER, ACLED_ROWS)
    r = cli("import", "--from", "acled", f)
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == ("protestlog: error: line 5: country='Bolivia': is not Peru, the country "
                                        "this ledger's regions belong to; pass --country Peru to keep only Peru's "
                                        "rows (nothing was imported)")


def test_acled_reimport_is_idempotent_and_a_revision_is_reported(cli, tmp_path):
    f = write_csv(tmp_path / "acled.csv", ACLED_HEADER, ACLED_ROWS[:3])
    assert cli("import", "--from", "acled", f).exit_code == 0
    again = cli("import", "--from", "acled", f, "--json").json()
    assert (again["added"], again["already_present"]) == (0, 3)
    revised = [dict(r) for r in ACLED_ROWS[:3]]
    revised[1]["fatalities"] = "18"  # ACLED's weekly update revised the Juliaca figure
    refreshed = cli("import", "--from", "acled", write_csv(tmp_path / "week2.csv", ACLED_HEADER, revised), "--json")
    assert refreshed.exit_code == 0
    body = refreshed.json()
    juliaca = records(cli)["PER10002"]
    assert body["differs"] == [{"line": 3, "external_id": "PER10002", "record": juliaca["id"]}]
    assert juliaca["killed"] == 17  # reported for 'amend', never changed silently
    assert "use 'protestlog amend" in refreshed.stderr


@pytest.mark.parametrize("column,value,message", [
    ("admin1", "Atlantis", "line 3: admin1='Atlantis': unknown region"),
    ("fatalities", "many", "line 3: fatalities='many': must be a whole number"),
    ("fatalities", "-2", "line 3: fatalities='-2': must not be negative"),
    ("event_date", "January 2023", "line 3: event_date='January 2023': expected ACLED's"),
    ("time_precision", "7", "line 3: time_precision='7': must be ACLED's 1"),
    ("event_id_cnty", "", "line 3: event_id_cnty='': is required"),
    ("event_date", "09 January 2099", "line 3: event_date='09 January 2099': is in the future"),
    ("event_date", "31 February 2023", "line 3: event_date='31 February 2023': not a real calendar date"),
    ("event_date", "2023-02-29", "line 3: event_date='2023-02-29': not a real calendar date"),
])
def test_acled_bad_rows_name_line_and_column(cli, tmp_path, db, column, value, message):
    rows = [dict(r) for r in ACLED_ROWS[:3]]
    rows[1][column] = value
    f = write_csv(tmp_path / "bad.csv", ACLED_HEADER, rows)
    r = cli("import", "--from", "acled", f)
    assert r.exit_code == 1
    assert r.stderr.startswith("protestlog: error: " + message), r.stderr
    assert not db.exists()  # all or nothing: a rejected import into no ledger leaves none (issue 12)


def test_acled_header_without_its_key_columns_is_refused(cli, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("event_date,admin1\n2023-01-09,Puno\n", encoding="utf-8")
    r = cli("import", "--from", "acled", f)
    assert r.exit_code == 1 and "lacks ACLED's column(s) event_id_cnty, fatalities" in r.stderr


def test_export_to_acled_then_import_keeps_totals(cli, tmp_path, monkeypatch):
    assert cli("import", DATA_CSV, env=REAL_TODAY).exit_code == 0
    out = cli("export", "--to", "acled")
    assert out.exit_code == 0
    header = out.stdout.splitlines()[0].split(",")
    assert header == ACLED_HEADER
    exported = list(csv.DictReader(io.StringIO(out.stdout)))
    juliaca = [r for r in exported if r["event_id_cnty"] == "pe-2023-01-09-juliaca"][0]
    row = [r for r in shipped_rows_as_imported() if r["external_id"] == "pe-2023-01-09-juliaca"][0]
    assert (juliaca["event_date"], juliaca["admin1"], juliaca["location"], juliaca["fatalities"]) == (
        row["date"], row["region"], row["place"], row["killed"])
    assert (juliaca["event_type"], juliaca["sub_event_type"], juliaca["country"], juliaca["iso"]) == (
        "Protests", "Excessive force against protesters", "Peru", "604")
    before = cli("summary", "--json").json()
    f = tmp_path / "acled.csv"
    f.write_text(out.stdout, encoding="utf-8")
    monkeypatch.setenv("PROTESTLOG_DB", str(tmp_path / "fresh.db"))
    assert cli("import", "--from", "acled", f, env=REAL_TODAY).exit_code == 0
    after = cli("summary", "--json").json()
    for key in ("records", "killed", "sources"):
        assert after["totals"][key] == before["totals"][key], key
    assert [(g["name"], g["killed"]) for g in after["by_region"]] == [(g["name"], g["killed"])
                                                                       for g in before["by_region"]]
    assert [s["killed"] for s in after["series"]] == [s["killed"] for s in before["series"]]
    again = cli("import", "--from", "acled", f, "--json", env=REAL_TODAY).json()
    assert (again["added"], again["already_present"]) == (0, len(shipped_rows_as_imported()))


def ucdp_row(**values):
    row = dict.fromkeys(UCDP_HEADER, "")
    row.update({"country": "Peru", "country_id": "135", "region": "Americas", "event_clarity": "1"})
    row.update(values)
    return row


UCDP_ROWS = [
    ucdp_row(id="451234", relid="PER-2022-1-1234-5", year="2022", active_year="1", code_status="Clear",
             type_of_violence="3", side_a="Government of Peru", side_b="Civilians", number_of_sources="2",
             source_article='"La República,2022-12-16,Masacre en Ayacucho";"HRW,2023-04-26,Deadly Decline"',
             where_prec="1", where_description="Ayacucho town", adm_1="Ayacucho department",
             adm_2="Huamanga province", latitude="-13.16", longitude="-74.22", date_prec="1",
             date_start="2022-12-15 00:00:00.000", date_end="2022-12-15 00:00:00.000", deaths_a="0", deaths_b="0",
             deaths_civilians="10", deaths_unknown="0", best="10", high="11", low="10", gwnoa="135"),
    ucdp_row(id="451235", year="2022", type_of_violence="2", side_a="Rioters", side_b="Civilians",
             source_article="Diario Correo", where_description="Andahuaylas", adm_1="Apurimac department",
             adm_2="Andahuaylas province", date_prec="2", date_start="2022-12-11", date_end="2022-12-14",
             deaths_unknown="3", best="3", high="4", low="2"),
]


def test_ucdp_field_by_field(cli, tmp_path):
    f = write_csv(tmp_path / "ged.csv", UCDP_HEADER, UCDP_ROWS)
    r = cli("import", "--from", "ucdp", f, "--json")
    assert r.exit_code == 0, r
    got = records(cli)
    a = got["ucdp:451234"]
    assert (a["date"], a["end_date"], a["date_precision"], a["region"], a["province"], a["place"]) == (
        "2022-12-15", None, "day", "Ayacucho", "Huamanga", "Ayacucho town")
    assert (a["killed"], a["killed_low"], a["killed_high"], a["group"], a["circumstance"]) == (
        10, 10, 11, "civilian", "clash with security forces")
    assert [s["name"] for s in a["sources"]] == ['"La República,2022-12-16,Masacre en Ayacucho"',
                                                '"HRW,2023-04-26,Deadly Decline"']
    b = got["ucdp:451235"]
    assert (b["date"], b["end_date"], b["date_precision"], b["region"], b["killed"], b["killed_low"],
            b["killed_high"], b["group"], b["circumstance"]) == (
        "2022-12-11", "2022-12-14", "week", "Apurímac", 3, 2, 4, "unknown", None)
    again = cli("import", "--from", "ucdp", f, "--json").json()
    assert (again["added"], again["already_present"]) == (0, 2)


@pytest.mark.parametrize("column,value,message", [
    ("best", "x", "line 3: best='x': must be a whole number"),
    ("low", "5", "line 3: low='5': is more than killed (3)"),
    ("adm_1", "Atlantis department", "line 3: adm_1='Atlantis department': unknown region"),
    ("date_start", "15/12/2022", "line 3: date_start='15/12/2022': expected a GED date"),
    ("date_prec", "9", "line 3: date_prec='9': must be GED's"),
    ("date_start", "2023-02-31", "line 3: date_start='2023-02-31': not a real calendar date"),
    ("deaths_civilians", "5", "line 3: deaths_civilians='5': is more than best (3)"),
])
def test_ucdp_bad_rows_name_line_and_column(cli, tmp_path, column, value, message):
    rows = [dict(r) for r in UCDP_ROWS]
    rows[1][column] = value
    r = cli("import", "--from", "ucdp", write_csv(tmp_path / "bad.csv", UCDP_HEADER, rows))
    assert r.exit_code == 1
    assert r.stderr.startswith("protestlog: error: " + message), r.stderr


def test_export_to_ucdp_then_import_keeps_totals_and_ranges(cli, tmp_path, monkeypatch):
    assert cli("import", DATA_CSV, env=REAL_TODAY).exit_code == 0
    out = cli("export", "--to", "ucdp", "--format", "tsv")
    assert out.exit_code == 0 and out.stdout.splitlines()[0].split("\t") == UCDP_HEADER
    before = cli("summary", "--json").json()
    f = tmp_path / "ged.tsv"
    f.write_text(out.stdout, encoding="utf-8")
    monkeypatch.setenv("PROTESTLOG_DB", str(tmp_path / "fresh.db"))
    assert cli("import", "--from", "ucdp", f, env=REAL_TODAY).exit_code == 0
    after = cli("summary", "--json").json()
    for key in ("records", "killed", "killed_range", "sources"):
        assert after["totals"][key] == before["totals"][key], key
    assert [m["straddling"] for m in after["milestones"]] == [m["straddling"] for m in before["milestones"]]


def test_export_redact_leaves_out_notes(cli, add):
    add(date="2023-01-09", region="Puno", killed=1, note="Named victim: Jane Doe")
    assert "Jane Doe" in cli("export", "--to", "acled").stdout
    assert "Jane Doe" not in cli("export", "--to", "acled", "--redact").stdout


def test_usage_errors(cli, tmp_path, add):
    add(date="2023-01-09", region="Puno", killed=1)
    f = write_csv(tmp_path / "a.csv", ACLED_HEADER, ACLED_ROWS[:1])
    assert cli("import", f, "--country", "Peru").exit_code == 2
    assert cli("import", "--from", "gdelt", f).exit_code == 2
    assert cli("export", "--to", "acled", "--include-history").exit_code == 2
    assert cli("import", "--from", "acled", f, "--format", "json").exit_code == 1


def test_the_alleged_responsible_force_survives_an_acled_round_trip(cli, add, tmp_path, monkeypatch):
    add(date="2023-01-09", region="Puno", place="Juliaca", killed=17, group="civilian", circumstance="clash",
        responsible="police")
    add(date="2022-12-15", region="Ayacucho", killed=10, group="civilian", circumstance="clash",
        responsible="army")
    out = cli("export", "--to", "acled")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["actor1"], r["actor2"]) for r in rows] == [("Military Forces of Peru", "Protesters (Peru)"),
                                                          ("Police Forces of Peru", "Protesters (Peru)")]
    f = tmp_path / "acled.csv"
    f.write_text(out.stdout, encoding="utf-8")
    monkeypatch.setenv("PROTESTLOG_DB", str(tmp_path / "fresh.db"))
    assert cli("import", "--from", "acled", f).exit_code == 0
    assert sorted(r["responsible"] for r in records(cli).values()) == ["army", "police"]


def test_every_problem_of_a_ucdp_row_is_reported(cli, tmp_path, db):
    """Finding F6: low above best and high below it, an end before the start and more civilian
    deaths than deaths: one line each, in the file's column order; the row counts once."""
    rows = [dict(r) for r in UCDP_ROWS]
    rows[1].update(date_start="2022-12-14", date_end="2022-12-11", best="3", low="5", high="2", deaths_civilians="4")
    r = cli("import", "--from", "ucdp", write_csv(tmp_path / "bad.csv", UCDP_HEADER, rows))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "protestlog: error: line 3: date_end='2022-12-11': is before date 2022-12-14",
        "protestlog: error: line 3: deaths_civilians='4': is more than best (3)",
        "protestlog: error: line 3: high='2': is less than killed (3)",
        "protestlog: error: line 3: low='5': is more than killed (3) (1 row rejected; nothing was imported)"]
    assert not db.exists()


def test_every_problem_of_an_acled_row_is_reported(cli, tmp_path):
    rows = [dict(r) for r in ACLED_ROWS[:3]]
    rows[1].update(event_id_cnty="", event_date="30 February 2023", time_precision="7", admin1="Atlantis",
                   fatalities="many")
    r = cli("import", "--from", "acled", write_csv(tmp_path / "bad.csv", ACLED_HEADER, rows))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "protestlog: error: line 3: event_id_cnty='': is required (it makes re-imports idempotent)",
        "protestlog: error: line 3: event_date='30 February 2023': not a real calendar date",
        "protestlog: error: line 3: time_precision='7': must be ACLED's 1 (day), 2 (week) or 3 (month)",
        "protestlog: error: line 3: admin1='Atlantis': unknown region; not a region of Peru (see data/peru_regions.csv)",
        "protestlog: error: line 3: fatalities='many': must be a whole number (1 row rejected; nothing was imported)"]


def test_problems_beyond_those_shown_are_counted_as_problems_not_rows(cli, tmp_path):
    """25 rows with two problems each: 20 lines shown, 30 problems not shown, 25 rows rejected."""
    rows = [ucdp_row(id=str(i), date_start="2022-12-11", adm_1="Puno", best="3", low="4", high="2")
            for i in range(25)]
    r = cli("import", "--from", "ucdp", write_csv(tmp_path / "bad.csv", UCDP_HEADER, rows))
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 20 and lines[0] == "protestlog: error: line 2: high='2': is less than killed (3)"
    assert lines[-1] == ("protestlog: error: line 11: low='4': is more than killed (3) "
                         "(25 rows rejected, 30 more problems not shown; nothing was imported)")


@pytest.mark.parametrize("command,content", [
    (("import", "--from", "acled"), "event_id_cnty,event_date,admin1,fatalities\nP1,31 February 2023,Puno,1\n"),
    (("import", "--from", "ucdp"), "id,date_start,adm_1,best,deaths_civilians\n1,2023-01-09,Puno,3,5\n"),
    (("import",), "date,region,killed\n2023-02-31,Puno,1\n"),
    (("victim", "import"), "external_id,name,date_of_death\nv1,Ana,2023-02-31\n"),
    (("import",), "external_id,name,date_of_death\nv1,Ana,2023-02-31\n"),  # a victim list, recognised
])
def test_a_failed_import_into_a_new_path_leaves_no_file(cli, tmp_path, db, command, content):
    f = tmp_path / "bad.csv"
    f.write_text(content, encoding="utf-8")
    r = cli(*command, f)
    assert r.exit_code == 1 and "line 2:" in r.stderr, r
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no ledger, no -wal, no aside file


@pytest.mark.parametrize("kind", ["acled", "ucdp"])
def test_a_semicolon_inside_a_source_name_stays_one_source(cli, add, tmp_path, monkeypatch, kind):
    """ACLED's source and GED's source_article separate names with ';': one inside a name is written as ','."""
    add(date="2023-01-09", region="Puno", killed=1, source="HRW report (summary; original not found)",
        external_id="pe-x")
    f = tmp_path / "out.csv"
    f.write_text(cli("export", "--to", kind).stdout, encoding="utf-8")
    monkeypatch.setenv("PROTESTLOG_DB", str(tmp_path / "fresh.db"))
    assert cli("import", "--from", kind, f).exit_code == 0
    (record,) = records(cli).values()
    assert [s["name"] for s in record["sources"]] == ["HRW report (summary, original not found)"]
