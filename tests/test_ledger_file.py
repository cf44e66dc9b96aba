"""The ledger file: where it lives, what it enforces by itself, and what it refuses to open."""

import os
import sqlite3
import stat

import pytest

from conftest import add_args, run_exe, snapshot
from protestlog.ledger import SCHEMA_VERSION, Ledger


def test_db_option_beats_environment_beats_default(cli, tmp_path, monkeypatch):
    explicit, from_env = tmp_path / "explicit.db", tmp_path / "env.db"
    monkeypatch.setenv("PROTESTLOG_DB", str(from_env))
    assert cli("--db", explicit, *add_args(date="2023-01-09", region="Puno", killed=1)).exit_code == 0
    assert explicit.exists() and not from_env.exists()
    assert cli(*add_args(date="2023-01-09", region="Puno", killed=1)).exit_code == 0
    assert from_env.exists()
    monkeypatch.delenv("PROTESTLOG_DB")
    monkeypatch.chdir(tmp_path)
    assert cli(*add_args(date="2023-01-09", region="Puno", killed=1)).exit_code == 0
    assert (tmp_path / "protestlog.db").exists()


def test_reading_a_missing_ledger_is_an_error_not_a_new_file(cli, db):
    result = cli("list")
    assert result.exit_code == 1 and "no ledger" in result.stderr
    assert not db.exists()


def test_schema_is_versioned_and_private(add, db):
    add(date="2023-01-09", region="Puno", killed=1)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


@pytest.mark.parametrize("column, value", [("killed", -1), ("injured", -5), ("minors", 99), ("date", "2023-02-30"),
                                           ("date", "9 Jan 2023"), ("group", "protester"), ("killed", "many"),
                                           ("killed_low", 5), ("sources", "not json")])
def test_tables_enforce_their_own_invariants(add, db, column, value):
    """Even a tool that bypasses protestlog cannot store a negative count or a bad date."""
    add(date="2023-01-09", region="Puno", killed=2, minors=1)
    con = sqlite3.connect(db)
    row = dict(zip([d[0] for d in con.execute("SELECT * FROM entries").description],
                   con.execute("SELECT * FROM entries").fetchone()))
    row.update({"seq": 2, "revision": 2, "hash": "f" * 64, column: value})
    cols = ", ".join(f'"{c}"' for c in row)
    with pytest.raises(sqlite3.IntegrityError):
        con.execute(f"INSERT INTO entries ({cols}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def test_entries_cannot_be_updated_or_deleted(add, db):
    add(date="2023-01-09", region="Puno", killed=2)
    con = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE entries SET killed = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM entries")


def test_recorded_at_is_utc_and_never_goes_backwards(add, db):
    for _ in range(5):
        add(date="2023-01-09", region="Puno", killed=1)
    with Ledger(db) as ledger:
        stamps = [r[0] for r in ledger.db.execute("SELECT recorded_at FROM entries ORDER BY seq")]
    assert stamps == sorted(stamps)
    assert all(s.endswith("Z") and len(s) == len("2023-01-09T00:00:00.000000Z") for s in stamps)


def test_a_file_that_is_not_sqlite_is_refused_and_kept(cli, db):
    db.write_bytes(b"my thesis draft, not a ledger\n" * 10)
    before = snapshot(db)
    for args in (["list"], add_args(date="2023-01-09", region="Puno", killed=1)):
        result = cli(*args)
        assert result.exit_code == 1 and "not a SQLite file" in result.stderr, result
    assert snapshot(db) == before


def test_another_apps_sqlite_file_is_refused(cli, db):
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    result = cli(*add_args(date="2023-01-09", region="Puno", killed=1))
    assert result.exit_code == 1 and "not a protestlog ledger" in result.stderr


def test_a_ledger_from_a_newer_protestlog_is_refused(add, cli, db):
    add(date="2023-01-09", region="Puno", killed=1)
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    before = snapshot(db)
    result = cli("list")
    assert result.exit_code == 1 and "newer protestlog" in result.stderr
    assert snapshot(db) == before


def test_migrations_bring_an_empty_file_to_the_current_schema(db):
    db.touch()
    with Ledger(db, create=True) as ledger:
        assert ledger.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [m["label"] for m in ledger.milestones()] == ["Protests begin", "State of emergency declared"]


def test_usage_error_through_the_executable_is_one_line(tmp_path):
    result = run_exe("summary", "--by", "fortnight", db=tmp_path / "x.db")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "fortnight" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_version_1_ledger_is_migrated_and_still_verifies(cli, db, monkeypatch):
    """Ledgers written before import batches existed open, migrate forward, and keep their chain."""
    import json

    from protestlog import ledger as ledger_module
    from protestlog.ledger import GENESIS, entry_hash

    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", 1)
    with Ledger(db, create=True) as old:
        assert old.db.execute("PRAGMA user_version").fetchone()[0] == 1
        entry = {"seq": 1, "record_id": 1, "revision": 1, "action": "create",
                 "recorded_at": "2023-01-10T12:00:00.000000Z", "recorded_by": "early user", "date": "2023-01-09",
                 "date_precision": "day", "region": "Puno", "killed": 17, "group": "civilian", "cause": "firearm",
                 "confidence": "confirmed", "sources": []}
        digest = entry_hash(GENESIS, entry)
        columns = list(entry) + ["prev_hash", "hash"]
        values = [json.dumps(v) if k == "sources" else v for k, v in entry.items()] + [GENESIS, digest]
        old.db.execute(f"INSERT INTO entries ({', '.join(chr(34) + c + chr(34) for c in columns)}) "
                       f"VALUES ({', '.join('?' for _ in columns)})", values)
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", SCHEMA_VERSION)
    result = cli("verify", "--json")
    # Schema 4 re-anchors the head once (milestones and settings join the chain after the entries);
    # the old head is kept as a setting and the chain still passes through it.
    assert result.exit_code == 0 and result.json()["entries"] == 1 and result.json()["previous_head"] == digest
    assert result.json()["head_hash"] != digest
    assert cli("verify", "--expect", digest).exit_code == 0
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert cli(*add_args(date="2023-01-10", region="Puno", killed=1)).exit_code == 0
    assert cli("verify", "--json").json()["entries"] == 2
    assert cli("summary", "--since", "2023-01-01", "--json").json()["totals"]["killed"] == 18
