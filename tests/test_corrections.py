"""Corrections are new entries: amend, retract, add a source; totals follow, history stays."""

import sqlite3


from conftest import snapshot


def totals(cli, *args):
    result = cli("summary", "--since", "2022-12-01", "--until", "2023-01-31", "--json", *args)
    assert result.exit_code == 0, result
    return result.json()["totals"]


def entry_count(db):
    return sqlite3.connect(db).execute("SELECT COUNT(*) FROM entries").fetchone()[0]


def test_amend_changes_totals_and_keeps_the_old_revision(cli, add, db):
    ayacucho = add(date="2022-12-15", region="Ayacucho", killed=7, injured=52)
    add(date="2022-12-11", region="Apurímac", killed=2)
    assert totals(cli)["killed"] == 9
    result = cli("amend", ayacucho, "--killed", "10", "--injured", "61", "--reason", "HRW report", "--json")
    assert result.exit_code == 0, result
    assert result.json()["revision"] == 2 and result.json()["reason"] == "HRW report"
    assert totals(cli)["killed"] == 12 and totals(cli)["injured"] == 61
    history = cli("show", ayacucho, "--json").json()["history"]
    assert [(h["revision"], h["action"], h["reason"]) for h in history] == [(1, "create", None),
                                                                           (2, "amend", "HRW report")]
    assert history[1]["changes"] == {"killed": [7, 10], "injured": [52, 61]}
    assert history[1]["recorded_by"] == "tester"
    assert entry_count(db) == 3  # two creates and one amendment, nothing overwritten


def test_amend_by_external_id_and_clearing_a_field(cli, add, db):
    add(date="2022-12-15", region="Ayacucho", killed=7, injured=52, external_id="aya-1")
    assert cli("amend", "aya-1", "--injured", "", "--reason", "figure withdrawn").exit_code == 0
    assert cli("show", "aya-1", "--json").json()["record"]["injured"] is None


def test_amend_is_validated_as_a_whole(cli, add, db):
    rid = add(date="2022-12-15", region="Ayacucho", killed=3, minors=2)
    before = snapshot(db)
    result = cli("amend", rid, "--killed", "1", "--reason", "recount")
    assert result.exit_code == 1 and "minors=" in result.stderr
    assert cli("amend", rid, "--killed", "3", "--reason", "same").exit_code == 1  # nothing would change
    assert cli("amend", rid, "--killed", "4").exit_code == 2  # no reason, and no terminal to ask for one
    assert cli("amend", rid, "--reason", "nothing").exit_code == 2  # no field
    assert cli("amend", 99, "--killed", "4", "--reason", "x").exit_code == 1  # no such record
    assert snapshot(db) == before


def test_retracted_record_leaves_totals_but_stays_in_show(cli, add, db):
    keep = add(date="2022-12-11", region="Apurímac", killed=2)
    dup = add(date="2022-12-11", region="Apurímac", killed=2)
    assert totals(cli)["killed"] == 4
    assert cli("retract", dup, "--reason", "same deaths as record 1").exit_code == 0
    assert totals(cli)["killed"] == 2
    assert [r["id"] for r in cli("list", "--json").json()] == [keep]
    shown = cli("show", dup, "--json").json()
    assert shown["status"] == "retracted" and shown["record"]["killed"] == 2
    assert shown["history"][-1]["action"] == "retract"
    assert cli("retract", dup, "--reason", "again").exit_code == 1
    # A retraction made in error is undone by a new entry, not by deleting the old one.
    assert cli("amend", dup, "--note", "not a duplicate after all", "--reason", "checked").exit_code == 0
    assert totals(cli)["killed"] == 4
    assert entry_count(db) == 4


def test_sources_are_listed_and_added_later(cli, add, db):
    rid = add(date="2022-12-15", region="Ayacucho", killed=7, source="teleSUR", url="https://example.org/t")
    bare = add(date="2022-12-16", region="Junín", killed=1)
    result = cli("source", "add", rid, "--name", "Human Rights Watch", "--url", "https://example.org/hrw",
                 "--accessed", "2023-05-01")
    assert result.exit_code == 0, result
    listed = cli("sources", rid, "--json").json()
    assert [(s["name"], s["accessed"]) for s in listed] == [("teleSUR", "2023-06-01"),
                                                            ("Human Rights Watch", "2023-05-01")]
    assert cli("show", rid, "--json").json()["history"][-1]["reason"] == "source added: Human Rights Watch"
    counts = {r["id"]: r["sources_count"] for r in cli("list", "--json").json()}
    assert counts == {rid: 2, bare: 0}
    assert [r["id"] for r in cli("list", "--unsourced", "--json").json()] == [bare]
    assert totals(cli)["sources"] == 2 and totals(cli)["unsourced_records"] == 1
    assert cli("source", "add", rid, "--name", "Human Rights Watch", "--url", "https://example.org/hrw",
               "--accessed", "2023-05-01").exit_code == 1  # the same source twice


def test_who_recorded_each_entry(cli, add, db, monkeypatch):
    rid = add(date="2022-12-15", region="Ayacucho", killed=7)
    assert cli("amend", rid, "--killed", "8", "--reason", "r", "--by", "ana").exit_code == 0
    monkeypatch.delenv("PROTESTLOG_USER")
    assert cli("amend", rid, "--killed", "9", "--reason", "r").exit_code == 0
    import getpass

    by = [h["recorded_by"] for h in cli("show", rid, "--json").json()["history"]]
    assert by == ["tester", "ana", getpass.getuser()]
