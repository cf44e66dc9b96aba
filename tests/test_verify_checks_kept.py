"""verify was made faster (issue 16) without dropping a check: an index that disagrees with its table
is caught by SQLite's full integrity check alone, an entry added around protestlog is still named
after a walk that held (the walk no longer looks every entry up in the chain), and the quick check
of stored sources accepts only canonical text."""

import json
import sqlite3

import pytest
from hypothesis import given, settings, strategies as st

from conftest import tamper
from protestlog.chain import canonical_json
from protestlog.verify_walk import _CANONICAL_SOURCES, sources_canonical


@pytest.fixture
def ledger(cli, add, db):
    for day, region, killed in [("2022-12-11", "Apurímac", 2), ("2022-12-15", "Ayacucho", 7),
                                ("2023-01-09", "Puno", 17)]:
        add(date=day, region=region, killed=killed, source="report", url="https://example.org/r")
    return db


def schema_sql(db, sql, *params):
    con = sqlite3.connect(db)
    con.execute("PRAGMA writable_schema = ON")
    con.execute(sql, params)
    con.commit()
    con.close()


def test_an_index_that_disagrees_with_its_table_fails_verify(cli, ledger):
    """The index on dates is rebuilt over the regions and its definition put back: every table row,
    hash and definition is as written, but `--since`/`--until` would read the index. Only
    PRAGMA integrity_check (not quick_check) compares an index with its table."""
    definition = sqlite3.connect(ledger).execute(
        "SELECT sql FROM sqlite_master WHERE name = 'entries_date'").fetchone()[0]
    schema_sql(ledger, "UPDATE sqlite_master SET sql = 'CREATE INDEX entries_date ON entries (region)' "
                       "WHERE name = 'entries_date'")
    con = sqlite3.connect(ledger)
    con.execute("REINDEX entries_date")
    con.commit()
    con.close()
    schema_sql(ledger, "UPDATE sqlite_master SET sql = ? WHERE name = 'entries_date'", definition)
    con = sqlite3.connect(ledger)
    assert con.execute("PRAGMA quick_check").fetchall() == [("ok",)]  # the cheaper check would pass it
    con.close()
    result = cli("verify")
    assert result.exit_code == 1 and "missing from index entries_date" in result.stderr, result.stderr
    report = cli("verify", "--json").json()
    assert report["problems"][0]["message"].startswith("SQLite integrity check failed")
    assert len(report["problems"]) == 1  # nothing else notices: the chain and the schema hold


@pytest.mark.parametrize("count", [1, 2])
def test_an_entry_added_around_protestlog_is_named(cli, ledger, count):
    published = cli("verify", "--json").json()["head_hash"]
    tamper(ledger, *[f"INSERT INTO entries (record_id, revision, action, recorded_at, recorded_by, date, region, "
                     f"killed, \"group\", cause, confidence, sources, prev_hash, hash) SELECT record_id + 10 + {i}, 1, "
                     "action, recorded_at, recorded_by, date, region, killed, \"group\", cause, confidence, "
                     f"sources, prev_hash, substr('x{i}' || hash, 1, 64) FROM entries WHERE seq = 3" for i in range(count)])
    result = cli("verify", "--expect", published)
    assert result.exit_code == 1 and "entry 4 is not in the hash chain" in result.stderr, result.stderr
    report = cli("verify", "--json").json()
    assert [p["seq"] for p in report["problems"] if "not in the hash chain" in p["message"]] == [4, 5][:count]


SOURCE = st.dictionaries(st.sampled_from(["accessed", "name", "url", "note"]), st.text(max_size=6), max_size=4)


def renderings(sources: list[dict]) -> list[str]:
    """The canonical text and texts that differ from it only in form: spacing, key order, a repeated key."""
    texts = [canonical_json(sources), json.dumps(sources, ensure_ascii=False), json.dumps(sources),
             json.dumps([dict(reversed(list(s.items()))) for s in sources], ensure_ascii=False, separators=(",", ":"))]
    if sources and sources[0]:
        key, value = next(iter(sources[0].items()))
        pair = canonical_json({key: value})[1:-1]
        texts.append(texts[0].replace(pair, f"{pair},{pair}", 1))
    return texts


@settings(max_examples=300, deadline=None)
@given(st.lists(SOURCE, max_size=3))
def test_the_quick_sources_check_accepts_only_canonical_text(sources):
    """verify settles the common shape of sources with a regular expression; it must never accept
    text that reading and re-encoding would change (the exact check stays the judge)."""
    for text in renderings(sources):
        exact = canonical_json(json.loads(text)) == text
        assert sources_canonical(text) == exact, text
        if _CANONICAL_SOURCES(text):
            assert exact, text
    plain = all(set(s) <= {"accessed", "name", "url"} and not any(c in v for v in s.values() for c in '"\\')
                and all(ord(c) >= 0x20 for v in s.values() for c in v) for s in sources)
    assert bool(_CANONICAL_SOURCES(canonical_json(sources))) == plain  # the quick path is the one taken


@pytest.mark.parametrize("seq, column", [(2, "note"), (3, "place")])
def test_text_that_is_not_utf8_is_named_by_entry_and_column(cli, ledger, seq, column):
    """Attack finding: bytes that are not UTF-8 in one entry stopped verify with a 245-character line
    quoting the row's JSON and naming neither the entry nor the column."""
    tamper(ledger, f"UPDATE entries SET {column} = CAST(x'41ff42' AS TEXT) WHERE seq = {seq}")
    result = cli("verify", "--format", "json")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    first = json.loads(result.stdout)["problems"][0]
    assert first["message"].startswith(f"entry {seq} has {column} that is not valid UTF-8 text"), first
    assert (first["kind"], first["ref"], first["seq"]) == ("entry", seq, seq)
    text = cli("verify")
    assert f"protestlog: verify: entry {seq} has {column} that is not valid UTF-8" in text.stderr
    assert all(len(line) < 200 for line in text.stderr.splitlines()), text.stderr
