"""Victim records: the `victim` command group on real ledgers, append-only like incidents."""

import sqlite3

import pytest

from conftest import snapshot, run_exe


@pytest.fixture
def juliaca(add):
    """The 9 January 2023 incident in Juliaca, with an external id to link victims by."""
    return add(date="2023-01-09", region="puno", place="Juliaca", killed=17, killed_high=18, group="civilian",
               external_id="pe-2023-01-09-juliaca")


def add_victim(cli, *args):
    result = cli("victim", "add", *args)
    assert result.exit_code == 0, result
    return int(result.stdout.strip())


def test_add_stores_a_person_and_show_prints_it_back(cli, juliaca):
    vid = add_victim(cli, "--name", "Brayan Apaza Jumpiri", "--other-name", "Brayan Apaza Jumpuri",
                     "--other-name", "B.A.J.", "--age", "15", "--sex", "male", "--date-injured", "2023-01-09",
                     "--date-of-death", "12 Jan 2023", "--cause", "firearm", "--role", "bystander",
                     "--direct", "direct", "--responsible", "police", "--unit", "DIROES",
                     "--confidence", "confirmed", "--source", "La República", "--url", "https://larepublica.pe/x",
                     "--source", "Amnesty International", "--incident", "pe-2023-01-09-juliaca",
                     "--external-id", "v-1", "--note", "shot on 9 January")
    shown = cli("victim", "show", vid, "--json").json()
    v = shown["victim"]
    assert shown["status"] == "current"
    assert (v["name"], v["age"], v["sex"], v["minor"]) == ("Brayan Apaza Jumpiri", "15", "male", None)
    assert v["other_names"] == "Brayan Apaza Jumpuri;B.A.J."
    assert (v["date_injured"], v["date_of_death"]) == ("2023-01-09", "2023-01-12")
    assert (v["incident"], v["incident_external_id"]) == (juliaca, "pe-2023-01-09-juliaca")
    assert v["region"] == "Puno"  # taken from the incident
    assert [s["name"] for s in v["sources"]] == ["La República", "Amnesty International"]
    assert v["sources"][0]["url"] == "https://larepublica.pe/x" and "url" not in v["sources"][1]
    assert (v["responsible"], v["unit"], v["role"], v["direct"]) == ("police", "DIROES", "bystander", "direct")
    assert shown["history"][0]["recorded_by"] == "tester"


def test_an_unidentified_person_needs_a_description(cli):
    assert cli("victim", "add", "--age", "30").exit_code == 1
    vid = add_victim(cli, "--description", "adult man found near the bridge", "--region", "cusco",
                     "--date-of-death", "2023-01-11")
    v = cli("victim", "show", vid, "--json").json()["victim"]
    assert v["name"] is None and v["description"] == "adult man found near the bridge"


def test_unnamed_in_the_name_column_becomes_a_description(cli):
    vid = add_victim(cli, "--name", "unnamed premature newborn", "--minor", "--region", "la libertad")
    v = cli("victim", "show", vid, "--json").json()["victim"]
    assert v["name"] is None and v["description"] == "unnamed premature newborn" and v["minor"] == "yes"


@pytest.mark.parametrize("args, field", [
    (["--age", "-3"], "age"), (["--age", "200"], "age"), (["--age", "30-20"], "age"), (["--age", "about 20"], "age"),
    (["--sex", "x"], "sex"), (["--role", "looter"], "role"), (["--responsible", "aliens"], "responsible"),
    (["--direct", "maybe"], "direct"), (["--cause", "magic"], "cause"), (["--date-of-death", "2023-02-30"],
                                                                        "date_of_death"),
    (["--date-injured", "2023-01-12", "--date-of-death", "2023-01-09"], "date_of_death"),
    (["--age", "30", "--minor"], "minor"), (["--age", "12", "--adult"], "minor"),
    (["--incident", "999"], "incident"), (["--incident", "no-such-id"], "incident"),
    (["--region", "atlantis"], "region"), (["--date-of-death", "2030-01-01"], "date_of_death"),
    (["--url", "javascript:alert(1)"], "url"), (["--age", "9" * 5000], "age"), (["--age", "٣"], "age"),
])
def test_bad_values_are_refused_in_one_line_and_nothing_is_written(cli, db, juliaca, args, field):
    before = snapshot(db)
    result = cli("victim", "add", "--name", "Test Person", *args)
    assert result.exit_code == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"protestlog: error: {field}="), lines
    assert snapshot(db) == before


def test_age_ranges_and_the_minor_flag(cli):
    a = add_victim(cli, "--name", "Ana Ríos", "--age", "20–25")
    b = add_victim(cli, "--name", "Luis Mamani", "--minor")
    assert cli("victim", "show", a, "--json").json()["victim"]["age"] == "20-25"
    rows = cli("victim", "list", "--minors", "--json").json()
    assert [r["id"] for r in rows] == [b]


def test_amend_retract_restore_are_new_entries_with_history(cli, db, juliaca):
    vid = add_victim(cli, "--name", "Jhonatan Lloclla Loayza", "--age", "26", "--region", "apurimac")
    assert cli("victim", "amend", vid, "--age", "27").exit_code == 1  # a reason is required
    result = cli("victim", "amend", vid, "--age", "25-27", "--incident", juliaca, "--reason", "second source")
    assert result.exit_code == 0, result
    assert cli("victim", "retract", vid, "--reason", "RENIEC has no such person").exit_code == 0
    assert cli("victim", "list", "--json").json() == []
    assert cli("victim", "retract", vid, "--reason", "again").exit_code == 1
    assert cli("victim", "amend", vid, "--age", "30", "--reason", "x").exit_code == 1  # restore first
    assert cli("victim", "restore", vid, "--reason", "retracted in error").exit_code == 0
    assert cli("victim", "restore", vid, "--reason", "again").exit_code == 1
    shown = cli("victim", "show", vid, "--json").json()
    assert [h["action"] for h in shown["history"]] == ["create", "amend", "retract", "restore"]
    assert shown["history"][1]["changes"] == {"incident_id": [None, juliaca], "age_low": [26, 25],
                                              "age_high": [26, 27]}
    assert shown["history"][2]["reason"] == "RENIEC has no such person"
    assert shown["status"] == "current"
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM victim_entries").fetchone()[0] == 4
    with pytest.raises(sqlite3.DatabaseError):
        con.execute("UPDATE victim_entries SET name = 'x'")
    with pytest.raises(sqlite3.DatabaseError):
        con.execute("DELETE FROM victim_entries")


def test_amend_can_unlink_and_clear_a_field(cli, juliaca):
    vid = add_victim(cli, "--name", "Rosa Quispe", "--age", "40", "--incident", juliaca)
    assert cli("victim", "amend", vid, "--incident", "", "--age", "", "--reason", "wrong incident").exit_code == 0
    v = cli("victim", "show", vid, "--json").json()["victim"]
    assert v["incident"] is None and v["age"] is None
    assert cli("victim", "list", "--unlinked", "--json").json()[0]["id"] == vid


def test_as_of_shows_the_victim_as_it_stood(cli, juliaca, monkeypatch):
    vid = add_victim(cli, "--name", "Rosa Quispe", "--age", "40")
    first = cli("victim", "show", vid, "--json").json()["history"][0]["recorded_at"]
    cli("victim", "amend", vid, "--age", "41", "--reason", "birth certificate")
    assert cli("victim", "show", vid, "--as-of", first, "--json").json()["victim"]["age"] == "40"
    assert cli("victim", "list", "--as-of", first, "--json").json()[0]["age"] == "40"
    assert cli("victim", "show", vid, "--as-of", "2020-01-01").exit_code == 1


def test_list_filters_and_every_format(cli, juliaca):
    add_victim(cli, "--name", "A Uno", "--date-of-death", "2023-01-09", "--incident", juliaca, "--role", "protester",
               "--responsible", "police")
    add_victim(cli, "--name", "B Dos", "--date-of-death", "2023-01-12", "--incident", juliaca, "--role", "bystander")
    add_victim(cli, "--description", "unidentified", "--region", "cusco", "--date-of-death", "2023-01-11")
    assert len(cli("victim", "list", "--json").json()) == 3
    assert [r["name"] for r in cli("victim", "list", "--since", "2023-01-10", "--region", "puno", "--json").json()] \
        == ["B Dos"]
    assert [r["name"] for r in cli("victim", "list", "--responsible", "police", "--json").json()] == ["A Uno"]
    assert [r["name"] for r in cli("victim", "list", "--role", "bystander", "--json").json()] == ["B Dos"]
    assert len(cli("victim", "list", "--unnamed", "--json").json()) == 1
    assert len(cli("victim", "list", "--incident", "pe-2023-01-09-juliaca", "--json").json()) == 2
    for fmt in ("table", "csv", "tsv", "ndjson", "markdown"):
        result = cli("victim", "list", "--format", fmt)
        assert result.exit_code == 0 and "B Dos" in result.stdout, (fmt, result)
    assert cli("victim", "list", "--format", "xml").exit_code == 2


def test_incident_list_and_show_count_linked_victims(cli, juliaca, add):
    other = add(date="2023-01-10", region="puno", killed=1)
    add_victim(cli, "--name", "A Uno", "--incident", juliaca)
    retracted = add_victim(cli, "--name", "B Dos", "--incident", juliaca)
    cli("victim", "retract", retracted, "--reason", "duplicate")
    rows = {r["id"]: r for r in cli("list", "--json").json()}
    assert (rows[juliaca]["victims"], rows[other]["victims"]) == (1, 0)
    shown = cli("show", juliaca, "--json").json()
    assert [v["name"] for v in shown["victims"]] == ["A Uno"]
    assert "victims" in cli("list", "--format", "csv").stdout.splitlines()[0]
    assert "A Uno" in cli("show", juliaca).stdout


def test_incidents_take_an_alleged_responsible_force(cli, add):
    rid = add(date="2022-12-15", region="ayacucho", killed=10, responsible="army")
    assert cli("show", rid, "--json").json()["record"]["responsible"] == "army"
    assert cli("add", "--date", "2022-12-15", "--region", "ayacucho", "--killed", "1",
               "--responsible", "aliens").exit_code == 1
    assert cli("amend", rid, "--responsible", "other state", "--reason", "prosecutors").exit_code == 0
    assert cli("show", rid, "--json").json()["record"]["responsible"] == "other state"


def test_a_version_3_ledger_migrates_and_keeps_its_chain(cli, db, monkeypatch):
    """A ledger from before victims existed opens, gains the tables, and still verifies."""
    import datetime as dt

    import protestlog.ledger as ledger_module
    from protestlog.records import FIELDS, validate

    with monkeypatch.context() as old:  # protestlog as it was at schema 3: no 'responsible' column
        old.setattr(ledger_module, "SCHEMA_VERSION", 3)
        old.setattr(ledger_module, "FIELDS", tuple(f for f in FIELDS if f != "responsible"))
        with ledger_module.Ledger(db, create=True) as ledger:
            ledger.add(validate({"date": "2023-01-09", "region": "puno", "killed": 17}, today=dt.date(2023, 6, 1)))
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 3
    assert con.execute("SELECT 1 FROM sqlite_master WHERE name = 'victim_entries'").fetchone() is None
    head = con.execute("SELECT hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()[0]
    con.close()
    assert cli("verify").exit_code == 0
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == ledger_module.SCHEMA_VERSION
    assert cli("verify", "--expect", head).exit_code == 0
    add_victim(cli, "--name", "A Uno", "--incident", "1")
    assert cli("amend", "1", "--responsible", "police", "--reason", "HRW").exit_code == 0
    assert cli("verify").exit_code == 0


def test_the_installed_command_adds_and_lists_victims(tmp_path):
    db = tmp_path / "l.db"
    result = run_exe("victim", "add", "--name", "Sonia Aguilar Quispe", "--age", "35", "--sex", "f", db=db)
    assert result.returncode == 0, result.stderr
    listed = run_exe("victim", "list", "--format", "csv", db=db)
    assert "Sonia Aguilar Quispe" in listed.stdout and listed.stderr == ""


def test_vocabularies_accept_spanish_and_store_english(cli, add):
    rid = add(date="2022-12-15", region="ayacucho", killed=1, responsible="Ejército")
    assert cli("show", rid, "--json").json()["record"]["responsible"] == "army"
    vid = add_victim(cli, "--name", "Rosa Quispe", "--sex", "Mujer", "--role", "transeúnte", "--direct", "indirecta",
                     "--responsible", "Policía Nacional")
    v = cli("victim", "show", vid, "--json").json()["victim"]
    assert (v["sex"], v["role"], v["direct"], v["responsible"]) == ("female", "bystander", "indirect", "police")


def test_other_tools_see_current_victims_in_a_view(cli, db, juliaca):
    vid = add_victim(cli, "--name", "Rosa Quispe", "--age", "40", "--incident", juliaca)
    gone = add_victim(cli, "--name", "Luis Mamani")
    cli("victim", "amend", vid, "--age", "41", "--reason", "birth certificate")
    cli("victim", "retract", gone, "--reason", "duplicate")
    rows = sqlite3.connect(db).execute("SELECT id, name, age_low, incident_id FROM victims").fetchall()
    assert rows == [(vid, "Rosa Quispe", 41, juliaca)]
    assert sqlite3.connect(db).execute("SELECT responsible FROM records").fetchall() == [(None,)]


# ---- the one chain -------------------------------------------------------------------------


def test_victim_entries_are_links_of_the_one_chain(cli, db, juliaca):
    before = cli("verify", "--json").json()["head_hash"]
    vid = add_victim(cli, "--name", "Rosa Quispe", "--age", "40", "--incident", juliaca)
    after = cli("verify", "--json").json()
    assert after["ok"] and after["head_hash"] != before
    con = sqlite3.connect(db)
    kind, ref, chained = con.execute("SELECT kind, ref, hash FROM chain ORDER BY pos DESC LIMIT 1").fetchone()
    seq = con.execute("SELECT seq FROM victim_entries WHERE victim_id = ?", (vid,)).fetchone()[0]
    assert (kind, ref, chained) == ("victim", seq, after["head_hash"])
    assert cli("victim", "show", vid, "--json").json()["history"][0]["hash"] == after["head_hash"]
    assert cli("verify", "--expect", before).exit_code == 0  # the chain passes through the old head
    assert cli("victim", "retract", vid, "--reason", "duplicate").exit_code == 0
    assert cli("verify").exit_code == 0


def test_a_victim_changed_with_sqlite3_fails_verify(cli, db, juliaca):
    add_victim(cli, "--name", "Rosa Quispe", "--age", "40", "--incident", juliaca)
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER victim_entries_append_only_update")
    con.execute("UPDATE victim_entries SET age_low = 14, age_high = 14")
    con.commit()
    con.close()
    result = cli("verify")
    assert result.exit_code == 1


def test_a_victim_inserted_with_sqlite3_fails_verify(cli, db, juliaca):
    add_victim(cli, "--name", "Rosa Quispe", "--age", "40", "--incident", juliaca)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO victim_entries (victim_id, revision, action, recorded_at, recorded_by, sex, cause, role, "
                "direct, responsible, confidence, name) SELECT 2, 1, 'create', recorded_at, 'x', 'male', 'unknown', "
                "'unknown', 'unknown', 'army', 'confirmed', 'Invented Person' FROM victim_entries")
    con.commit()
    con.close()
    assert cli("verify").exit_code == 1
    assert cli("check").exit_code == 1


@pytest.mark.parametrize("column, text", [("other_names", '["Rosa Q.", "R. Quispe"]'),
                                          ("other_names", '[ "Rosa Q." ]'),
                                          ("sources", '[{"name":"A","name":"B","url":"https://a.example"}]')])
def test_a_correctly_chained_victim_with_non_canonical_json_fails_verify(cli, db, juliaca, column, text):
    """Someone with the file appends a victim entry and chains it properly: the hash is right, but its
    JSON is not in the one form protestlog writes (spacing, a repeated key that Python and SQLite read
    differently), so verify refuses it."""
    from protestlog import chain

    add_victim(cli, "--name", "Rosa Quispe", "--age", "40", "--incident", juliaca)
    assert cli("verify").exit_code == 0
    con = sqlite3.connect(db, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO victim_entries (victim_id, revision, action, recorded_at, recorded_by, sex, cause, role, "
                f"direct, responsible, confidence, name, {column}) SELECT 2, 1, 'create', recorded_at, 'x', 'male', "
                "'unknown', 'unknown', 'unknown', 'army', 'confirmed', 'Invented Person', ? FROM victim_entries",
                (text,))
    seq = con.execute("SELECT MAX(seq) FROM victim_entries").fetchone()[0]
    chain.append_chained(con, "victim", seq)
    con.execute("COMMIT")
    con.close()
    result = cli("verify")
    assert result.exit_code == 1 and f"{column} that are not" in result.stderr, result.stderr


def test_a_refused_victim_add_leaves_no_new_ledger(cli, db, tmp_path):
    """Like a rejected import (finding F6): a victim refused before anything is written creates no file."""
    r = cli("victim", "add", "--name", "Ana Mamani", "--age", "200")
    assert r.exit_code == 1 and "age='200'" in r.stderr
    assert list(tmp_path.iterdir()) == []
    assert cli("victim", "add", "--name", "Ana Mamani", "--age", "20").exit_code == 0
    assert db.exists() and cli("verify").exit_code == 0
