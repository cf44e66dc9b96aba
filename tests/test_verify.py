"""`verify`: the hash chain and SQLite's integrity check catch edits made with another tool."""

import sqlite3

import pytest

from conftest import tamper


@pytest.fixture
def ledger(cli, add, db):
    for day, region, killed in [("2022-12-11", "Apurímac", 2), ("2022-12-15", "Ayacucho", 7),
                                ("2023-01-09", "Puno", 17)]:
        add(date=day, region=region, killed=killed, source="report", url="https://example.org/r")
    assert cli("amend", 2, "--killed", "10", "--reason", "HRW").exit_code == 0
    assert cli("retract", 1, "--reason", "duplicate").exit_code == 0
    return db


def test_clean_ledger_passes(cli, ledger):
    result = cli("verify")
    assert result.exit_code == 0, result
    assert result.stdout.startswith("OK 5 entries, head ")
    report = cli("verify", "--json").json()
    assert report["ok"] and report["entries"] == 5 and len(report["head_hash"]) == 64
    assert report["head_hash"] in result.stdout


@pytest.mark.parametrize("statements, bad_seq, words", [
    (["UPDATE entries SET killed = 3 WHERE seq = 2"], 2, "does not match its hash"),
    (["UPDATE entries SET note = 'x' WHERE seq = 4"], 4, "does not match its hash"),
    (["DELETE FROM entries WHERE seq = 3"], 3, "missing"),  # the chain still names it
    (["UPDATE entries SET seq = 100 WHERE seq = 2", "UPDATE entries SET seq = 2 WHERE seq = 3",
      "UPDATE entries SET seq = 3 WHERE seq = 100"], 2, "does not follow"),
    (["UPDATE entries SET recorded_by = 'someone else' WHERE seq = 5"], 5, "does not match its hash"),
])
def test_changed_deleted_or_reordered_rows_are_named(cli, ledger, statements, bad_seq, words):
    tamper(ledger, *statements)
    result = cli("verify")
    assert result.exit_code == 1
    assert f"entry {bad_seq} " in result.stderr and words in result.stderr, result.stderr
    report = cli("verify", "--json").json()
    assert report["ok"] is False and report["problems"][0]["seq"] == bad_seq


def test_a_rebuilt_chain_fails_against_a_published_head(cli, ledger):
    published = cli("verify", "--json").json()["head_hash"]
    assert cli("verify", "--expect", published).exit_code == 0
    # Someone rewrites history and recomputes every hash: the chain is valid again ...
    from protestlog.chain import read_row, row_hash

    con = sqlite3.connect(ledger)
    guards = [r[0] for r in con.execute("SELECT sql FROM sqlite_master WHERE name IN "
                                        "('entries_append_only_update', 'entries_append_only_delete', "
                                        "'chain_append_only_update')")]
    con.close()
    tamper(ledger, "UPDATE entries SET killed = 1 WHERE seq = 2")
    con = sqlite3.connect(ledger)
    con.row_factory = sqlite3.Row
    con.execute("DROP TRIGGER chain_append_only_update")
    prev = "0" * 64
    for link in list(con.execute("SELECT * FROM chain ORDER BY pos")):
        row = read_row(con, link["kind"], link["ref"])
        new = row_hash(prev, link["kind"], row)
        if link["kind"] == "entry":
            con.execute("UPDATE entries SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, new, link["ref"]))
        con.execute("UPDATE chain SET prev_hash = ?, hash = ? WHERE pos = ?", (prev, new, link["pos"]))
        prev = new
    for guard in guards:  # and puts the guards back as they were
        con.execute(guard)
    con.commit()
    con.close()
    assert cli("verify").exit_code == 0
    # ... but it no longer passes through the head hash published before the edit.
    result = cli("verify", "--expect", published)
    assert result.exit_code == 1 and "does not pass through" in result.stderr


def test_expect_needs_a_full_hash(cli, ledger):
    assert cli("verify", "--expect", "abc123").exit_code == 1


def test_integrity_check_runs(cli, ledger):
    # Corrupt a page in the middle of the file: SQLite's own check (or opening it) must fail loudly.
    data = bytearray(ledger.read_bytes())
    con = sqlite3.connect(ledger)
    page = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'entries_date'").fetchone()[0]
    con.close()
    start = (root - 1) * page
    data[start:start + 64] = b"\xa5" * 64  # the b-tree page header of an index
    ledger.write_bytes(bytes(data))
    result = cli("verify")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) >= 1 and "Traceback" not in result.stderr
