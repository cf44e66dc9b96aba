"""Ledgers as earlier releases wrote them migrate and verify (finding F2 of the second attack round).

tests/data/ledger_v1.sql and ledger_v2.sql are dumps of files the releases at commits bc6fe21
(schema 1) and f30fae8 (schema 2) wrote with their own code: their hashes were computed by that code,
not by this one. Those releases stored sources with json.dumps' default separators; verify accepts
exactly that text, and only in entries recorded before the ledger joined the one chain.
"""

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import add_args, tamper

DATA = Path(__file__).parent / "data"
# The last entry's hash in each dump, as the release that wrote it computed it (the head it showed).
V1_HEAD = "04b990288a3dbaa65b2860a79178df28b86e92cde952818eeb7d3248a2780672"
V2_HEAD = "decf242bfdc78f2eec946ccf32868b5696ef9e5f5cb6d1673f1846dba2760b6f"
V1_SOURCES = ('[{"name": "Defensoría del Pueblo", "accessed": "2026-11-30", '
              '"url": "https://example.org/defensoria"}]')


def load(db: Path, name: str) -> None:
    con = sqlite3.connect(db)
    con.executescript((DATA / name).read_text(encoding="utf-8"))
    con.close()


def sources_of(db: Path, seq: int) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT sources FROM entries WHERE seq = ?", (seq,)).fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("dump, head, entries", [("ledger_v1.sql", V1_HEAD, 3), ("ledger_v2.sql", V2_HEAD, 5)])
def test_a_ledger_the_first_releases_wrote_migrates_and_verifies(cli, db, dump, head, entries):
    load(db, dump)
    assert sources_of(db, 1) == V1_SOURCES  # the legacy text is really there, and stays
    result = cli("verify", "--json")
    assert result.exit_code == 0, result
    assert result.json()["entries"] == entries and result.json()["previous_head"] == head
    assert cli("verify", "--expect", head).exit_code == 0
    assert sources_of(db, 1) == V1_SOURCES  # history is never rewritten
    assert cli(*add_args(date="2023-01-10", region="Puno", killed=1, source="HRW",
                         url="https://example.org/hrw")).exit_code == 0
    after = cli("verify", "--json")
    assert after.exit_code == 0 and after.json()["entries"] == entries + 1, after
    found = cli("search", "Defensoría", "--json")
    assert found.exit_code == 0 and [r["id"] for r in found.json()] == [1], found


@pytest.fixture
def migrated(cli, db):
    """The schema-1 ledger, migrated, with one entry recorded after it joined the chain (entry 4)."""
    load(db, "ledger_v1.sql")
    assert cli(*add_args(date="2023-01-10", region="Puno", killed=1, source="HRW",
                         url="https://example.org/hrw")).exit_code == 0
    assert cli("verify").exit_code == 0
    return db


def legacy_spelling(text: str) -> str:
    """What the schema-1 writer would have stored for these sources."""
    return json.dumps(json.loads(text), ensure_ascii=False)


@pytest.mark.parametrize("seq, forged", [
    # A repeated key: Python keeps the last name (so the hash still holds), SQLite reads the first.
    (1, '[{"name": "X", "accessed": "2026-11-30", "name": "Defensoría del Pueblo", '
        '"url": "https://example.org/defensoria"}]'),
    # The same value, spelt otherwise than the old writer spelt it.
    (1, '[{"name": "Defensor\\u00eda del Pueblo", "accessed": "2026-11-30", "url": "https://example.org/defensoria"}]'),
    (1, '[{"name":  "Defensoría del Pueblo", "accessed": "2026-11-30", "url": "https://example.org/defensoria"}]'),
    (1, '[{"name": "Defensoría del Pueblo", "accessed": "2026-11-30", "url": "https://example.org/defensoria"} ]'),
    # The legacy spelling itself, but in an entry recorded after the chain: only the canonical form is written then.
    (4, None),
])
def test_only_the_old_writers_own_text_and_only_before_the_chain(cli, migrated, seq, forged):
    text = forged if forged is not None else legacy_spelling(sources_of(migrated, seq))
    assert text != sources_of(migrated, seq)
    tamper(migrated, f"UPDATE entries SET sources = '{text}' WHERE seq = {seq}")
    result = cli("verify")
    assert result.exit_code == 1 and f"entry {seq}" in result.stderr and "canonical" in result.stderr, result


@pytest.mark.parametrize("version", [5, 6, 7])
def test_schema_5_as_first_released_gains_its_victims_view(cli, db, version):
    """Schema 5 at commits b022e63 to 28d4e7c made the victim tables without the `victims` view (c9c2109
    added it); that is the only difference from schema 5 as made now, so the test builds it that way.
    The releases of schemas 6 and 7 migrated such a ledger on without adding it."""
    from protestlog.migrations import upgrade

    con = sqlite3.connect(db, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("BEGIN")
    upgrade(con, 0, version)
    con.execute("DROP VIEW victims")
    con.execute("COMMIT")
    con.close()
    assert cli("victim", "add", "--name", "Ana", "--age", "30").exit_code == 0
    result = cli("verify")
    assert result.exit_code == 0, result
    rows = cli("query", "SELECT name FROM victims", "--format", "json")
    assert rows.exit_code == 0 and rows.json() == [{"name": "Ana"}], rows
