"""What the hash chain does not cover: the views, triggers, tables and search index other tools and
`search` read. Each is tampered with in a real file via sqlite3 and the real CLI must notice: `verify`
names the object, `publish` refuses, `search` says one line, reading commands warn. The commands run
in-process (run_cli: the same app, environment and result as the executable), as what is tested is
what they find in the file; the template ledger is written by the installed executable."""

import json
import shutil
import sqlite3

import pytest

from conftest import run_cli, run_exe

RECORDS = [("2022-12-11", "Apurímac", "Andahuaylas", 2, "Shot near the airport"),
           ("2022-12-15", "Ayacucho", "Huamanga", 7, "Clash at the airport"),
           ("2023-01-09", "Puno", "Juliaca", 17, "Avenida Independencia")]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A small ledger with every kind of row: incidents (one amended), a linked victim, a milestone."""
    db = tmp_path_factory.mktemp("template") / "ledger.db"
    for day, region, place, killed, note in RECORDS:
        r = run_exe("add", "--date", day, "--region", region, "--place", place, "--killed", killed, "--note", note,
                    "--source", "Defensoría", "--url", "https://example.org/r", db=db)
        assert r.returncode == 0, r.stderr
    for args in (("amend", "2", "--killed", "8", "--reason", "recount"),
                 ("victim", "add", "--name", "Brayan Apaza", "--incident", "3"),
                 ("milestone", "add", "2023-01-10", "Curfew")):
        r = run_exe(*args, db=db)
        assert r.returncode == 0, r.stderr
    return db


@pytest.fixture
def ledger(template, tmp_path):
    db = tmp_path / "ledger.db"
    shutil.copy(template, db)
    return db


def sql(db, script: str):
    con = sqlite3.connect(db)
    con.executescript(script)
    con.close()


def stored_sql(db, name: str) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    finally:
        con.close()


def behind_the_guard(db, trigger: str, script: str):
    """Drop an append-only trigger, run the edit, put the very same trigger back: only the edit remains."""
    definition = stored_sql(db, trigger)
    sql(db, f'DROP TRIGGER "{trigger}"; {script}; {definition};')


def verify_fails_naming(db, words: str):
    r = run_cli("verify", db=db)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    return r


def test_a_fresh_ledger_passes(ledger):
    r = run_cli("verify", "--json", db=ledger)
    assert r.returncode == 0 and json.loads(r.stdout)["ok"], r.stderr
    assert json.loads(r.stdout)["warnings"] == [] and r.stderr == ""


@pytest.mark.parametrize("script, words", [
    # F7: a view that hides every record, and one that is no longer the history
    ("DROP VIEW records; CREATE VIEW records AS SELECT * FROM entries WHERE 0",
     "view records differs from the one protestlog creates"),
    ("DROP VIEW history; CREATE VIEW history AS SELECT 1 AS x", "view history differs from the one protestlog creates"),
    ("DROP VIEW records", "view records, which protestlog creates, is missing"),
    ("DROP VIEW victims", "view victims, which protestlog creates, is missing"),
    ("DROP VIEW victims; CREATE TABLE victims (id)", "victims is a table, not the view protestlog creates"),
    # a column the chain's hash leaves out (null values are not hashed), and a table's constraints
    ("ALTER TABLE milestones ADD COLUMN shifted_by INTEGER",
     "table milestones differs from the one protestlog creates"),
    # F16: the search index and the triggers that feed and guard it
    ("DROP TABLE search_text_fts", "table search_text_fts, which protestlog creates, is missing"),
    ("DROP TABLE search_text_fts_idx", "table search_text_fts_idx, which protestlog creates, is missing"),
    ("DROP TRIGGER search_text_au", "trigger search_text_au, which protestlog creates, is missing"),
    ("DROP TRIGGER search_text_ai", "trigger search_text_ai, which protestlog creates, is missing"),
    ("DROP TRIGGER victim_entries_search_text", "trigger victim_entries_search_text, which protestlog creates"),
    ("DROP TRIGGER search_text_append_only_update; CREATE TRIGGER search_text_append_only_update BEFORE UPDATE "
     "ON search_text BEGIN SELECT 1; END", "trigger search_text_append_only_update differs from the one"),
    ("DROP TRIGGER chain_append_only_delete", "trigger chain_append_only_delete, which protestlog creates, is missing"),
    ("DROP TRIGGER milestones_append_only_update", "trigger milestones_append_only_update, which protestlog creates"),
    # a trigger protestlog never made: it would silently drop every new entry
    ("CREATE TRIGGER swallow BEFORE INSERT ON entries BEGIN SELECT RAISE(IGNORE); END",
     "trigger swallow is not one protestlog creates (it runs on changes to entries)"),
    ("INSERT INTO search_text_fts_config VALUES ('rank', 'bm25(100.0)')",
     "the search index's settings (search_text_fts_config) differ from the ones protestlog creates"),
])
def test_verify_names_a_changed_or_dropped_schema_object(ledger, script, words):
    sql(ledger, script)
    r = verify_fails_naming(ledger, words)
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr  # one line per problem; a dropped FTS table is one
    report = json.loads(run_cli("verify", "--json", db=ledger).stdout)
    assert report["ok"] is False and any(words in p["message"] for p in report["problems"])


def test_quoting_that_another_sqlite_utils_release_writes_is_the_same_definition(ledger):
    """sqlite-utils 3 quoted [names] where 4 quotes "names": definitions are compared token by token."""
    import re

    for name in ("search_text_ai", "search_text_ad", "search_text_fts"):
        written = stored_sql(ledger, name)
        old_style = " ".join(re.sub(r'"([^"]*)"', r"[\1]", written).split())
        assert old_style != written
        if name == "search_text_fts":  # a virtual table cannot be recreated in place: rewrite its stored SQL
            con = sqlite3.connect(ledger)
            con.execute("PRAGMA writable_schema = ON")
            con.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (old_style, name))
            con.commit()
            con.close()
        else:
            sql(ledger, f'DROP TRIGGER "{name}"; {old_style}')
        assert stored_sql(ledger, name) == old_style
    r = run_cli("verify", db=ledger)
    assert r.returncode == 0, r.stderr
    assert run_cli("search", "juliaca", db=ledger).returncode == 0


def test_a_literal_in_a_definition_is_compared_exactly(ledger):
    definition = stored_sql(ledger, "entries_append_only_update")
    sql(ledger, f"DROP TRIGGER entries_append_only_update; {definition.replace('append-only', 'Append-only')}")
    verify_fails_naming(ledger, "trigger entries_append_only_update differs")


def test_a_damaged_full_text_index_fails_verify(ledger):
    """PRAGMA integrity_check does not look inside FTS5: its own integrity-check command does."""
    sql(ledger, "DELETE FROM search_text_fts_data WHERE id > 10")
    verify_fails_naming(ledger, "the search index (search_text_fts) fails FTS5's integrity check")


def test_an_edited_search_row_fails_verify(ledger):
    """F9: with the guard put back, only the text differs, and `search massacre` found record 1."""
    assert "Andahuaylas" in run_cli("search", "andahuaylas", db=ledger).stdout
    behind_the_guard(ledger, "search_text_append_only_update",
                     "UPDATE search_text SET place = 'Massacre Lima', note = 'police confessed' WHERE id = 1")
    assert '"id": 1' in run_cli("search", "massacre", "--json", db=ledger).stdout  # the false hit exists
    verify_fails_naming(ledger, "entry 1 does not match its row in the search index")


def test_a_deleted_search_row_fails_verify(ledger):
    behind_the_guard(ledger, "search_text_append_only_delete", "DELETE FROM search_text WHERE id = 3")
    verify_fails_naming(ledger, "entry 3 has no row in the search index")


def test_an_added_search_row_fails_verify(ledger):
    sql(ledger, "INSERT INTO search_text (id, kind, ref, record_id, place) VALUES (999, 'entry', 999, 1, 'Atlantis')")
    verify_fails_naming(ledger, "search_text row 999 belongs to no entry")


def test_an_index_left_behind_by_a_dropped_trigger_fails_verify(ledger):
    """F16: with sqlite-utils' trigger gone, an amended place never reaches FTS5 and the record drops out
    of search; the trigger put back afterwards does not bring it back."""
    definition = stored_sql(ledger, "search_text_ai")
    sql(ledger, "DROP TRIGGER search_text_ai")
    assert run_cli("amend", "1", "--place", "Zzyzx plaza", "--reason", "t", db=ledger).returncode == 0
    assert "Zzyzx" not in run_cli("search", "zzyzx", db=ledger).stdout
    sql(ledger, definition)
    verify_fails_naming(ledger, "the search index (search_text_fts) fails FTS5's integrity check")


@pytest.mark.parametrize("script", ["DROP VIEW records; CREATE VIEW records AS SELECT * FROM entries WHERE 0",
                                    "DROP TABLE search_text_fts", "DELETE FROM search_text_fts_data WHERE id > 10"])
def test_publish_refuses_a_ledger_whose_schema_or_index_was_tampered_with(ledger, tmp_path, script):
    sql(ledger, script)
    out = tmp_path / "site"
    r = run_cli("publish", "--datasette", out, db=ledger)
    assert r.returncode == 1 and "does not pass 'protestlog verify'" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (out / "ledger.db").exists() and not (out / "metadata.json").exists()


@pytest.mark.parametrize("script", ["DROP TABLE search_text_fts", "DELETE FROM search_text_fts_data WHERE id > 10",
                                    "DROP TABLE search_text_fts_idx", "DROP TABLE search_text"])
def test_search_on_a_broken_index_is_one_line_pointing_to_verify(ledger, script):
    sql(ledger, script)
    r = run_cli("search", "juliaca", db=ledger)
    assert r.returncode == 1 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "search index" in lines[0] and "run protestlog verify" in lines[0], r.stderr


def test_search_warns_when_a_trigger_was_dropped(ledger, template):
    """F16: without the trigger that keeps FTS5 in step, later index rows are never searchable."""
    clean = run_cli("search", "juliaca", "--json", db=template)
    sql(ledger, "DROP TRIGGER search_text_ai")
    r = run_cli("search", "juliaca", "--json", db=ledger)
    assert r.returncode == 0 and json.loads(r.stdout) == json.loads(clean.stdout)
    assert r.stderr.strip() == ("protestlog: warning: the ledger fails verification: trigger search_text_ai, "
                                "which protestlog creates, is missing (dropped?); run protestlog verify")


READERS = [("summary", "--json"), ("list", "--json"), ("show", "3", "--json"), ("milestone", "list", "--json"),
           ("export", "--format", "json"), ("query", "select count(*) from history", "--json")]


@pytest.mark.parametrize("args", READERS)
def test_reading_a_clean_ledger_gives_no_warning(ledger, args):
    r = run_cli(*args, db=ledger)
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


@pytest.mark.parametrize("script, words", [
    ("UPDATE entries SET killed = killed + 5 WHERE seq = (SELECT MAX(seq) FROM entries)",
     "entry 4 does not match its hash"),
    ("INSERT INTO milestones (date, label, recorded_at, recorded_by) VALUES ('2023-01-01', 'Moved', "
     "'2023-02-01T00:00:00.000000Z', 'x')", "milestone 4 is not in the hash chain"),
    ("UPDATE victim_entries SET name = 'Someone else'", "victim 1 does not match its hash"),
])
@pytest.mark.parametrize("args", READERS)
def test_reading_a_ledger_whose_newest_rows_were_changed_warns_on_stderr_only(ledger, tmp_path, script, words, args):
    """F10: summary printed forged totals with exit 0 and no hint. Now one warning line; stdout is what the
    file holds, the same as without the check (the JSON contract does not change)."""
    before = run_cli(*args, db=ledger)
    table = script.split()[1] if script.startswith("UPDATE") else None
    if table:
        behind_the_guard(ledger, f"{table}_append_only_update", script)
    else:
        sql(ledger, script)
    r = run_cli(*args, db=ledger)
    assert r.returncode == 0
    assert r.stderr.strip() == (f"protestlog: warning: the ledger fails verification: {words} (changed after it was "
                                f"written); run protestlog verify" if "hash chain" not in words else
                                f"protestlog: warning: the ledger fails verification: {words} (added around "
                                f"protestlog?); run protestlog verify"), r.stderr
    json.loads(r.stdout)  # still the command's JSON, nothing else on stdout
    if args[0] == "query":
        assert r.stdout == before.stdout  # a figure the edit does not touch: exactly the same output


def test_an_empty_ledger_is_published_in_verifys_words(tmp_path):
    """F17: an empty chain was published as 'head None' with 'verify --expect None'."""
    db = tmp_path / "empty.db"
    assert run_cli("milestone", "add", "2023-01-10", "Curfew", db=db).returncode == 0
    con = sqlite3.connect(db)
    guards = [r[0] for r in con.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
                                        "'%append_only%' AND tbl_name IN ('chain', 'milestones', 'settings', "
                                        "'imports')")]
    con.close()
    sql(db, "".join(f'DROP TRIGGER "{name}";' for name in
                    ("chain_append_only_delete", "milestones_append_only_delete", "settings_append_only_delete",
                     "imports_append_only_delete"))
        + "DELETE FROM chain; DELETE FROM milestones; DELETE FROM settings; DELETE FROM imports;"
        + "".join(g + ";" for g in guards if "_delete" in g.split()[2]))
    verified = run_cli("verify", db=db)
    assert verified.returncode == 0 and "head (none: empty ledger)" in verified.stdout, verified.stderr
    out = tmp_path / "site"
    r = run_cli("publish", "--datasette", out, db=db)
    assert r.returncode == 0, r.stderr
    assert "head (none: empty ledger)" in r.stderr and "None" not in r.stderr
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    text = json.dumps(meta)
    assert "None" not in text and "--expect" not in text and "(none: empty ledger)" in meta["description"]
    assert meta["head_hash"] is None and meta["entries"] == 0


@pytest.mark.parametrize("args, option", [
    (("--license-url", "javascript:alert(1)"), "license-url"),  # F16: was replaced by CC BY's link, exit 0
    (("--license", "CC0", "--license-url", "javascript:alert(1)"), "license-url"),
    (("--source", "Desk", "--source-url", "javascript:alert(1)"), "source-url"),
    (("--license-url", "https://example.org/licence"), "license-url"),  # a link without the licence's name
])
def test_publish_refuses_links_it_would_drop_or_datasette_would_run(ledger, tmp_path, args, option):
    out = tmp_path / "site"
    r = run_cli("publish", "--datasette", out, *args, db=ledger)
    assert r.returncode == 1 and r.stderr.startswith(f"protestlog: error: {option}="), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (out / "metadata.json").exists()


def test_publish_keeps_a_licence_link_given_with_its_name(ledger, tmp_path):
    out = tmp_path / "site"
    url = "https://creativecommons.org/publicdomain/zero/1.0/"
    assert run_cli("publish", "--datasette", out, "--license", "CC0", "--license-url", url, db=ledger).returncode == 0
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert (meta["license"], meta["license_url"]) == ("CC0", url)


def rewrite_schema(db, name: str, new_sql: str, *, insert: tuple | None = None):
    """Edit sqlite_master directly (writable_schema), as someone with the file can."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA writable_schema = ON")
    if insert:
        con.execute("INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES (?, ?, ?, 0, ?)", insert)
    else:
        con.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (new_sql, name))
    con.close()


@pytest.mark.parametrize("space", ["\u00a0", "\u2003", "\u3000"])
def test_a_view_pointed_at_a_lookalike_table_fails_verify(ledger, space):
    """To SQLite `entries` followed by a no-break space is another table, not `entries` spaced out:
    a records view reading a forged copy with ten times the deaths passed verify."""
    fake = "entries" + space
    sql(ledger, f'CREATE TABLE "{fake}" AS SELECT * FROM entries; UPDATE "{fake}" SET killed = killed * 10')
    original = stored_sql(ledger, "records")
    assert " FROM entries" in original
    rewrite_schema(ledger, "records", original.replace(" FROM entries", f" FROM {fake}", 1))
    forged = run_cli("query", "select sum(killed) from records", "-f", "csv", db=ledger)
    assert forged.stdout.splitlines()[1] == str(10 * (2 + 8 + 17))  # the forgery is live...
    verify_fails_naming(ledger, "view records differs")  # ...and verify names it


def test_a_trigger_named_like_sqlites_own_fails_verify(ledger):
    """Only SQLite's own objects (autoindexes, statistics, sqlite_sequence) are left out of the check;
    a trigger planted as sqlite_x through writable_schema runs on protestlog's next write."""
    rewrite_schema(ledger, "", "", insert=("trigger", "sqlite_evil", "search_text",
                                          "CREATE TRIGGER sqlite_evil AFTER INSERT ON search_text BEGIN "
                                          "SELECT 1; END"))
    verify_fails_naming(ledger, "sqlite_evil")


def test_sqlites_own_statistics_pass(ledger):
    sql(ledger, "ANALYZE")
    assert run_cli("verify", db=ledger).returncode == 0


@pytest.mark.parametrize("script, why", [
    # F6: a partial UNIQUE index let the next record in and refused the one after, while verify said OK
    ("CREATE UNIQUE INDEX evil ON entries (recorded_by) WHERE seq > 4", "UNIQUE"),
    ("CREATE INDEX evil ON milestones (label) WHERE label IS NOT NULL", "partial"),
    ("CREATE INDEX evil ON victim_entries (json_extract(note, '$.x'))", "on an expression"),
])
def test_an_added_index_that_can_refuse_writes_fails_verify(ledger, script, why):
    sql(ledger, script)
    r = verify_fails_naming(ledger, "index evil on")
    assert why in r.stderr and "can refuse protestlog's writes" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    if why == "UNIQUE":
        check = run_cli("check", db=ledger)
        assert check.returncode == 1 and "index evil" in check.stdout, (check.stdout, check.stderr)


def test_the_index_of_f6_really_refuses_a_write(ledger):
    """Why it is a problem and not a warning: protestlog's second add after it is refused."""
    sql(ledger, "CREATE UNIQUE INDEX evil ON entries (recorded_by) WHERE seq > 4")
    args = ("add", "--date", "2023-01-10", "--region", "Puno", "--killed", "1")
    assert run_cli(*args, db=ledger).returncode == 0
    refused = run_cli(*args, db=ledger)
    assert refused.returncode == 1 and "UNIQUE constraint failed" in refused.stderr


def test_added_views_and_plain_indexes_are_warnings(ledger):
    """They change no figure and refuse no write: verify and check say so on stderr and pass; a table of
    one's own, with any index on it, is left alone."""
    sql(ledger, "CREATE INDEX by_place ON entries (place); CREATE INDEX by_file ON imports (file COLLATE NOCASE); "
                "CREATE VIEW puno AS SELECT * FROM records WHERE region = 'Puno'; "
                "CREATE TABLE notes_of_mine (x); CREATE UNIQUE INDEX mine ON notes_of_mine (x)")
    r = run_cli("verify", db=ledger)
    assert r.returncode == 0 and r.stdout.startswith("OK "), r.stderr
    warnings = [line for line in r.stderr.splitlines() if line.startswith("protestlog: warning: ")]
    assert len(warnings) == 3, r.stderr
    for name in ("index by_place on entries", "index by_file on imports", "view puno"):
        assert any(name in w and "not one protestlog creates" in w for w in warnings), (name, warnings)
    report = json.loads(run_cli("verify", "--json", db=ledger).stdout)
    assert report["ok"] and len(report["warnings"]) == 3 and not report["problems"]
    check = run_cli("check", "--json", db=ledger)
    assert check.returncode == 0 and len(json.loads(check.stdout)["warnings"]) == 3
