"""`protestlog search`: full-text search through sqlite-utils over FTS5, kept in step with every append."""

import json
import sqlite3

import pytest

from conftest import DATA_CSV, fts_tokens, shipped_rows_as_imported


def ids(cli, *args):
    r = cli("search", *args, "--json")
    assert r.exit_code == 0, r
    return [row["id"] for row in r.json()]


@pytest.fixture
def shipped(cli):
    assert cli("import", DATA_CSV, env={"PROTESTLOG_TODAY": "2027-01-01"}).exit_code == 0  # sources read in 2026


def expected(word: str, prefix: bool = False) -> list[int]:
    """Record numbers (file order) of the shipped rows holding the word, predicted from the CSV text."""
    rows = shipped_rows_as_imported()
    return [i for i, row in enumerate(rows, start=1)
            if any(t == word or (prefix and t.startswith(word)) for t in fts_tokens(row))]


def test_accent_and_case_insensitive(cli, shipped):
    juliaca = expected("juliaca")
    assert len(juliaca) >= 2
    assert sorted(ids(cli, "JULIACA")) == sorted(ids(cli, "juliaca")) == juliaca
    assert sorted(ids(cli, "andahuaylas")) == expected("andahuaylas")
    assert sorted(ids(cli, "Apurimac")) == sorted(ids(cli, "APURÍMAC")) == expected("apurimac")
    assert sorted(ids(cli, "juli*")) == expected("juli", prefix=True)


def test_notes_and_source_names_are_searched_but_not_urls(cli, add):
    a = add(date="2022-12-15", region="Ayacucho", killed=1, note="Named victim: Edgar Prado Arango")
    b = add(date="2022-12-16", region="Junín", killed=1, source="Defensoría del Pueblo",
            url="https://example.org/huamanga")
    assert ids(cli, "prado") == [a]
    assert ids(cli, "defensoria") == [b]
    assert ids(cli, "huamanga") == []  # the URL is not indexed
    assert ids(cli, "example") == []


def test_every_word_must_match_in_any_field(cli, add):
    a = add(date="2022-12-15", region="Ayacucho", place="Huamanga", killed=1, note="airport")
    add(date="2022-12-16", region="Ayacucho", place="Huanta", killed=1, note="plaza")
    assert ids(cli, "ayacucho airport") == [a]
    assert ids(cli, "airport plaza") == []


def test_ranked_best_first(cli, add):
    # 'Juliaca' in the place, a short note and the source name beats one mention in a long note.
    for day in ("2022-12-11", "2022-12-12", "2022-12-15"):  # records without the word give it weight (IDF)
        add(date=day, region="Ayacucho", killed=1, note="Huamanga")
    weak = add(date="2023-01-09", region="Puno", killed=1,
               note="A long note about many things " * 10 + "and once Juliaca.")
    strong = add(date="2023-01-09", region="Puno", place="Juliaca", killed=1, note="Juliaca airport",
                 source="Radio Juliaca")
    rows = cli("search", "juliaca", "--json").json()
    assert [r["id"] for r in rows] == [strong, weak]
    assert [r["rank"] for r in rows] == [1, 2]
    assert rows[0]["score"] > rows[1]["score"]


def test_kept_in_step_with_amend_retract_and_import(cli, add, tmp_path):
    a = add(date="2022-12-15", region="Ayacucho", killed=1, note="first report: Quinua")
    assert ids(cli, "quinua") == [a]
    assert cli("amend", a, "--note", "corrected: Huamanga", "--reason", "new source").exit_code == 0
    assert ids(cli, "quinua") == []  # only the current revision is searched
    assert ids(cli, "huamanga") == [a]
    assert cli("retract", a, "--reason", "duplicate").exit_code == 0
    assert ids(cli, "huamanga") == []
    f = tmp_path / "new.csv"
    f.write_text("date,region,killed,place\n2023-01-09,Puno,2,Ilave\n", encoding="utf-8")
    assert cli("import", f).exit_code == 0
    assert len(ids(cli, "ilave")) == 1


def test_as_of_and_filters(cli, add, db):
    a = add(date="2022-12-15", region="Ayacucho", killed=1, note="Quinua")
    then = sqlite3.connect(db).execute("SELECT MAX(recorded_at) FROM entries").fetchone()[0]
    assert cli("amend", a, "--note", "Huamanga", "--reason", "new source").exit_code == 0
    b = add(date="2023-01-09", region="Puno", killed=2, note="Quinua too")
    assert ids(cli, "quinua", "--as-of", then) == [a]
    assert ids(cli, "quinua") == [b]
    assert ids(cli, "quinua", "--region", "puno") == [b]
    assert ids(cli, "quinua", "--since", "2023-01-10") == []
    assert ids(cli, "quinua", "--until", "2022-12-31") == []


def test_formats_and_hostile_queries(cli, shipped):
    csv = cli("search", "juliaca", "--format", "csv")
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("rank,score,id,date")
    assert len(cli("search", "juliaca", "--format", "ndjson").stdout.splitlines()) == len(expected("juliaca"))
    (best,) = ids(cli, "juliaca", "--limit", "1")
    assert best == ids(cli, "juliaca")[0] and best in expected("juliaca")
    for text in ['NOT', 'a OR', "juliaca) OR (x", "NEAR(", "'; drop table entries; --"]:
        r = cli("search", text, "--json")
        assert r.exit_code in (0, 1), (text, r)
        assert "Traceback" not in r.stderr
        if r.exit_code == 1:
            assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("protestlog: error: text=")
    assert cli("search", "x" * 600).exit_code == 2  # a usage error (test_unusable_text_is_a_usage_error_like_the_rest)


def test_the_index_is_append_only_and_the_chain_still_verifies(cli, shipped, db):
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM search_text").fetchone()[0] == len(shipped_rows_as_imported())
    for sql in ("DELETE FROM search_text", "UPDATE search_text SET note = 'x'"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    r = cli("verify", "--json")
    assert r.exit_code == 0 and r.json()["ok"], r


def test_a_rejected_import_adds_nothing_to_the_index(cli, shipped, db, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("date,region,killed,place\n2023-01-09,Puno,2,Ilave\n2023-01-09,Puno,-1,Ilave\n", encoding="utf-8")
    assert cli("import", f).exit_code == 1
    assert sqlite3.connect(db).execute("SELECT count(*) FROM search_text").fetchone()[0] == len(
        shipped_rows_as_imported())
    assert ids(cli, "ilave") == expected("ilave")  # the shipped Ilave records, and nothing from the rejected file


def test_an_older_ledger_is_migrated_and_its_entries_indexed(cli, db):
    import shutil

    from test_chain import V3_HEAD, V3_LEDGER

    shutil.copy(V3_LEDGER, db)  # written by the release before the index (schema 3)
    old = sqlite3.connect(db)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 3
    assert not old.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_text'").fetchone()
    old.close()
    assert ids(cli, "puno") == [3]
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] >= 4
    r = cli("verify", "--expect", V3_HEAD)
    assert r.exit_code == 0, r


# ---- the index under the reliability conditions of the ledger --------------------------------

def index_matches_entries(db) -> int:
    conn = sqlite3.connect(db)
    try:
        entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM search_text").fetchone()[0] == entries
        conn.execute("INSERT INTO search_text_fts (search_text_fts) VALUES ('integrity-check')")
        return entries
    finally:
        conn.close()


def test_sigkill_mid_import_leaves_index_and_entries_together(tmp_path):
    import signal
    import subprocess
    import time

    from conftest import protestlog_exe, run_exe
    from test_reliability import env_for, verified

    rows = 8000
    path = tmp_path / "reports.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("external_id,date,region,place,killed,note\n")
        for i in range(rows):
            f.write(f"r{i},2022-12-{1 + i % 31:02d},Puno,Place {i % 50},{i % 6},marker{i % 3}\n")
    full = tmp_path / "full.db"
    started = time.monotonic()
    assert run_exe("import", path, db=full, timeout=600).returncode == 0
    duration = time.monotonic() - started
    assert index_matches_entries(full) == rows
    for fraction in (0.3, 0.7):
        db = tmp_path / f"killed-{fraction}.db"
        run_exe("add", "--date", "2022-12-01", "--region", "Lima", "--killed", "0", "--note", "marker0", db=db)
        proc = subprocess.Popen([protestlog_exe(), "import", str(path)], env=env_for(db), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert index_matches_entries(db) - 1 in (0, rows)
        verified(db)


def test_concurrent_writers_each_get_their_index_row(tmp_path):
    import subprocess

    from conftest import protestlog_exe, run_exe
    from test_reliability import env_for

    db = tmp_path / "shared.db"
    exe = protestlog_exe()
    loop = (f'for i in $(seq 1 25); do "{exe}" add --date 2022-12-15 --region Ayacucho --killed 1 '
            f'--note "worker$W entry$i" > /dev/null || exit 1; done')
    workers = [subprocess.Popen(["bash", "-c", loop], env={**env_for(db), "W": str(w)}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for w in range(4)]
    assert all(w.wait(timeout=600) == 0 for w in workers)
    assert index_matches_entries(db) == 100
    found = json.loads(run_exe("search", "worker2", "--json", db=db).stdout)
    assert len(found) == 25


# ---- victims' names (issue 14) --------------------------------------------------------------

def test_a_linked_victims_name_finds_the_record(cli, add, db):
    juliaca = add(date="2023-01-09", region="Puno", place="Juliaca", killed=2)
    other = add(date="2022-12-15", region="Ayacucho", killed=1)
    assert cli("victim", "add", "--name", "Brayan Apaza Jumpiri", "--other-name", "Brayan Apasa",
               "--incident", juliaca).exit_code == 0
    then = sqlite3.connect(db).execute("SELECT MAX(recorded_at) FROM victim_entries").fetchone()[0]
    assert cli("victim", "add", "--name", "Gabriel Omar López Amanqui").exit_code == 0  # not linked yet
    assert ids(cli, "apaza") == ids(cli, "APASA") == ids(cli, "brayan jumpiri") == [juliaca]
    assert ids(cli, "lopez") == []  # a victim who stands alone has no record to show
    assert ids(cli, "apaza", "--region", "ayacucho") == []
    assert cli("victim", "amend", "2", "--incident", other, "--reason", "linked").exit_code == 0
    assert ids(cli, "lopez") == [other]
    assert ids(cli, "lopez", "--as-of", then) == []
    assert cli("victim", "retract", "1", "--reason", "duplicate person").exit_code == 0
    assert ids(cli, "apaza") == []
    assert cli("retract", other, "--reason", "duplicate").exit_code == 0
    assert ids(cli, "lopez") == []


def test_a_record_found_twice_is_listed_once(cli, add):
    a = add(date="2023-01-09", region="Puno", place="Juliaca", killed=2, note="Juliaca airport")
    assert cli("victim", "add", "--name", "Juliaca Quispe", "--incident", a).exit_code == 0
    rows = cli("search", "juliaca", "--json").json()
    assert [r["id"] for r in rows] == [a]


def test_victims_already_recorded_are_indexed_by_the_migration(cli, add, db, monkeypatch):
    from protestlog import ledger as ledger_module

    current = ledger_module.SCHEMA_VERSION
    before = next(v for v, step in ledger_module.MIGRATIONS.items() if step is ledger_module._victim_search)
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", before)
    a = add(date="2023-01-09", region="Puno", place="Juliaca", killed=2)
    assert cli("victim", "add", "--name", "Brayan Apaza Jumpiri", "--incident", a).exit_code == 0
    assert sqlite3.connect(db).execute("SELECT count(*) FROM search_text WHERE kind = 'victim'").fetchone() == (0,)
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", current)
    assert ids(cli, "apaza") == [a]
    assert cli("verify").exit_code == 0


@pytest.mark.parametrize("text", ["*", '"', "-", "", "--", "* - \""])
def test_text_without_a_word_is_a_usage_error(cli, shipped, text):
    """'*' and '"' gave exit 1 and '-' gave 0 records found: all three are the same mistake (exit 2)."""
    r = cli("search", "--", text)
    assert r.exit_code == 2, r
    assert len(r.stderr.strip().splitlines()) == 1 and "give at least one word" in r.stderr and r.stdout == ""


def test_punctuation_among_words_is_ignored_and_help_explains_prefixes(cli, shipped):
    assert ids(cli, "juliaca -") == ids(cli, "juliaca") != []
    # whole words only: 'juliac' is no word of the data, so only 'juliac*' finds the Juliaca records
    assert ids(cli, "juliac") == expected("juliac") == []
    assert sorted(ids(cli, "juliac*")) == expected("juliac", prefix=True) != []
    help_text = " ".join(cli("search", "--help").stdout.split())
    assert "'juli' does not find Juliaca" in help_text and "'juli*' does" in help_text


@pytest.mark.parametrize("command", [["search", "a" * 501], ["search", "jul\x00iaca"], ["query", ""], ["query", "   "]])
def test_unusable_text_is_a_usage_error_like_the_rest(cli, shipped, command):
    """Over-long or NUL-bearing search text and an empty query are mistakes in the command line (exit 2),
    as text without a word is; they exited 1, the code for a problem with the ledger or a file."""
    r = cli(*command)
    assert r.exit_code == 2, r
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == "" and "Traceback" not in r.stderr
