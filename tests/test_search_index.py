"""The search index is filled by the appender, one set-based INSERT per import chunk (schema 8), not by
a per-row trigger: every imported, added and amended entry is found, and an import stopped part-way
leaves the index exactly as it was, like the entries."""

import datetime as dt
import json
import sqlite3

import pytest

from conftest import TODAY
from protestlog import ledger as ledger_module
from protestlog.importer import import_file
from protestlog.ledger import Ledger

HEADER = "external_id,date,region,place,killed,note,source\n"
WORDS = ["quinua", "alpaca", "totora", "muña", "chuño", "ichu", "qantu", "sikus", "tarwi", "maca", "cañihua"]


def write_rows(path, words):
    """One row per word: the word is the row's place, and its note and source name say it too."""
    path.write_text(HEADER + "".join(f"x{i},2022-12-{1 + i % 28:02d},Puno,{w},{i % 3},about {w}note,{w}news\n"
                                     for i, w in enumerate(words)), encoding="utf-8")


def found(cli, word: str) -> list[int]:
    r = cli("search", word, "--json")
    assert r.exit_code == 0, r
    return sorted(row["id"] for row in r.json())


def index_rows(db) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        con.execute("INSERT INTO search_text_fts (search_text_fts) VALUES ('integrity-check')")
        return con.execute("SELECT id, kind, ref, record_id, region, province, place, note, sources, victims "
                           "FROM search_text ORDER BY id").fetchall()
    finally:
        con.close()


def entry_rows(db) -> list[tuple]:
    """The index rows each entry should have, worked out here in Python from the entries."""
    con = sqlite3.connect(db)
    try:
        out = []
        for seq, record_id, region, province, place, note, sources in con.execute(
                "SELECT seq, record_id, region, province, place, note, sources FROM entries ORDER BY seq"):
            names = " ; ".join(s["name"] for s in json.loads(sources)) or None
            out.append((seq, "entry", seq, record_id, region, province, place, note, names, None))
        return out
    finally:
        con.close()


@pytest.mark.parametrize("chunk_rows", [1, 3, 2000])
def test_every_row_of_a_chunked_import_is_found(cli, db, tmp_path, chunk_rows):
    path = tmp_path / "rows.csv"
    write_rows(path, WORDS)
    with Ledger(db, create=True) as ledger:
        result = import_file(ledger, str(path), today=dt.date.fromisoformat(TODAY), by="tester",
                             chunk_rows=chunk_rows)
    assert result["added"] == len(WORDS)
    assert index_rows(db) == entry_rows(db)
    # Record N is row N of the file: found by its place, its note and its source's name.
    assert [found(cli, w) for w in WORDS] == [[n] for n in range(1, len(WORDS) + 1)]
    assert found(cli, f"{WORDS[-1]}note") == found(cli, f"{WORDS[-1]}news") == [len(WORDS)]
    assert found(cli, "puno") == list(range(1, len(WORDS) + 1))


def test_add_and_amend_stay_in_step_with_the_index(cli, add, db):
    a = add(date="2023-01-09", region="Puno", place="Juliaca", killed=2, note="first wording")
    assert cli("amend", a, "--note", "second wording", "--reason", "corrected").exit_code == 0
    assert index_rows(db) == entry_rows(db)
    assert found(cli, "second") == [a] and found(cli, "first") == []  # only the current revision is searched
    assert cli("retract", a, "--reason", "duplicate").exit_code == 0
    assert index_rows(db) == entry_rows(db) and found(cli, "juliaca") == []


def test_an_import_interrupted_between_chunks_leaves_the_index_as_it_was(cli, db, tmp_path):
    """Ctrl-C (KeyboardInterrupt) after two chunks were written and indexed inside the transaction."""
    first = tmp_path / "first.csv"
    write_rows(first, WORDS[:2])
    with Ledger(db, create=True) as ledger:
        import_file(ledger, str(first), today=dt.date.fromisoformat(TODAY), by="tester")
    before = index_rows(db)
    path = tmp_path / "more.csv"
    path.write_text(HEADER + "".join(f"y{i},2022-12-{1 + i % 28:02d},Puno,Stopped{i},1,stoppednote,paper\n"
                                     for i in range(3000)), encoding="utf-8")
    indexed = []

    def progress(_rows, _bytes):
        indexed.append(ledger.db.execute("SELECT count(*) FROM search_text").fetchone()[0])
        if indexed[-1] >= 2 + 2 * 500:
            raise KeyboardInterrupt

    with Ledger(db) as ledger, pytest.raises(KeyboardInterrupt):
        import_file(ledger, str(path), today=dt.date.fromisoformat(TODAY), by="tester", progress=progress,
                    chunk_rows=500)
    assert indexed[-1] == 2 + 2 * 500  # the index had the two chunks inside the transaction...
    assert index_rows(db) == before == entry_rows(db)  # ...and none of it stayed
    assert found(cli, "stoppednote") == [] and found(cli, "quinua") == [1]


def test_schema_8_drops_the_trigger_and_keeps_an_older_ledgers_index(cli, db, tmp_path, monkeypatch):
    """A ledger written at schema 7 (index filled by trigger) is migrated: the trigger goes, the rows it
    wrote stay, and entries appended afterwards are indexed once each."""
    current = ledger_module.SCHEMA_VERSION
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", 7)
    old = tmp_path / "old.csv"
    write_rows(old, WORDS[:4])
    with Ledger(db, create=True) as ledger:
        import_file(ledger, str(old), today=dt.date.fromisoformat(TODAY), by="tester", chunk_rows=2)
    con = sqlite3.connect(db)
    assert con.execute("SELECT 1 FROM sqlite_master WHERE name = 'entries_search_text'").fetchone()
    con.close()
    assert index_rows(db) == entry_rows(db)
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", current)
    new = tmp_path / "new.csv"
    write_rows(new, WORDS)  # the first four are already present
    with Ledger(db) as ledger:
        result = import_file(ledger, str(new), today=dt.date.fromisoformat(TODAY), by="tester", chunk_rows=3)
    assert (result["added"], result["already_present"]) == (len(WORDS) - 4, 4)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == current >= 8
    assert not con.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%ON entries %' "
                           "AND sql LIKE '%search_text%'").fetchone()
    con.close()
    assert index_rows(db) == entry_rows(db)
    assert [found(cli, w) for w in WORDS] == [[n] for n in range(1, len(WORDS) + 1)]
