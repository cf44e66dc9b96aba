"""Issue 12: what is hashed is exactly what is read; inputs that used to slip through or crash."""

import json
import sqlite3

import pytest

from conftest import add_args, snapshot, tamper


def stored(db, sql, *params):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture
def ledger(cli, add, db):
    add(date="2023-01-09", region="Puno", killed=17, source="Defensoría", url="https://example.org/a")
    add(date="2022-12-15", region="Ayacucho", killed=7, source="HRW", url="https://example.org/b")
    return db


# ---- verify reads what SQLite reads --------------------------------------------------


def test_duplicate_keys_in_stored_sources_fail_verify(cli, ledger):
    """The attack: a duplicated key hashed the same (Python keeps the last) but json_extract reads the first."""
    published = cli("verify", "--json").json()["head_hash"]
    tamper(ledger, """UPDATE entries SET sources = '[{"name":"X","accessed":"2023-06-01","name":"Defensoría","url":"https://example.org/a"}]' WHERE seq = 1""")
    # Python's json keeps the last key, so the old hash still matches the parsed value ...
    row = stored(ledger, "SELECT json_extract(sources, '$[0].name') FROM entries WHERE seq = 1")
    assert row == [("X",)]  # ... but SQLite (and every report) reads the first
    result = cli("verify", "--expect", published)
    assert result.exit_code == 1 and "entry 1" in result.stderr and "canonical" in result.stderr, result


@pytest.mark.parametrize("statement, words", [
    ("UPDATE entries SET note = CAST('secret' AS BLOB) WHERE seq = 1", "blob"),
    ("UPDATE entries SET sources = '[{\"accessed\": \"2023-06-01\", \"name\": \"HRW\", \"url\": "
     "\"https://example.org/b\"}]' WHERE seq = 2", "canonical"),
    ("UPDATE entries SET sources = '[ ]' WHERE seq = 2", "canonical"),
    ("UPDATE entries SET recorded_at = '2023-01-01T00:00:00Z' WHERE seq = 2", "canonical"),
])
def test_non_canonical_or_non_text_values_fail_verify(cli, ledger, statement, words):
    tamper(ledger, statement)
    result = cli("verify")
    assert result.exit_code == 1 and words in result.stderr.lower(), result
    assert "Traceback" not in result.stderr


def test_report_on_a_blob_note_reports_corruption(cli, ledger):
    tamper(ledger, "UPDATE entries SET note = CAST('secret' AS BLOB) WHERE seq = 1")
    for args in (("report",), ("report", "--format", "markdown"), ("verify",), ("check",)):
        result = cli(*args)
        assert result.exit_code == 1 and "blob" in result.stderr + result.stdout, (args, result)
    for args in (("list",), ("export", "--format", "json"), ("show", "1", "--json"), ("summary",)):
        result = cli(*args)  # they read, but never end in a traceback
        assert result.exit_code in (0, 1) and "Traceback" not in result.stderr, (args, result)


def restamp(db, seq: int | None, stamp: str):
    """Give entry `seq` (None: the newest) another recording time and hash it again, entry and
    chain row alike: a forgery only the rules on time can catch."""
    from protestlog.chain import row_hash

    tamper(db, "DROP TRIGGER chain_append_only_update")
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    if seq is None:
        seq = con.execute("SELECT MAX(seq) FROM entries").fetchone()[0]
    con.execute("UPDATE entries SET recorded_at = ? WHERE seq = ?", (stamp, seq))
    row = dict(con.execute("SELECT * FROM entries WHERE seq = ?", (seq,)).fetchone())
    new = row_hash(row["prev_hash"], "entry", row)
    con.execute("UPDATE entries SET hash = ? WHERE seq = ?", (new, seq))
    con.execute("UPDATE chain SET hash = ? WHERE kind = 'entry' AND ref = ?", (new, seq))
    con.commit()
    con.close()


def test_time_going_backwards_fails_verify(cli, ledger, db):
    """The attack: one correctly hashed entry stamped 2000-01-01 appended at the end."""
    from protestlog.ledger import Ledger

    published = cli("verify", "--json").json()["head_hash"]
    with Ledger(db) as ledger_:
        with ledger_.writing():
            append = ledger_.appender()
            entry = append({"date": "2022-12-20", "region": "Lima", "killed": 35, "group": "civilian",
                            "cause": "unknown", "confidence": "unverified", "date_precision": "day"})
    restamp(db, entry["seq"], "2000-01-01T00:00:00.000000Z")
    result = cli("verify", "--expect", published)
    assert result.exit_code == 1 and "backwards" in result.stderr, result


def test_a_recording_time_in_the_future_fails_verify(cli, ledger, db):
    restamp(db, None, "2999-01-01T00:00:00.000000Z")
    result = cli("verify")
    assert result.exit_code == 1 and "future" in result.stderr, result


# ---- duplicate keys refused at every input ---------------------------------------------


@pytest.mark.parametrize("fmt, body", [
    ("json", '[{"date": "2023-01-09", "region": "Puno", "killed": 1, "killed": 9}]'),
    ("ndjson", '{"date": "2023-01-09", "region": "Puno", "region": "Lima", "killed": 1}\n'),
    ("json", '[{"date": "2023-01-09", "region": "Puno", "killed": 1, '
             '"sources": [{"name": "A", "name": "B", "url": "https://example.org/x"}]}]'),
    ("csv", 'date,region,killed,sources\n2023-01-09,Puno,1,"[{""name"": ""A"", ""name"": ""B""}]"\n'),
])
def test_repeated_json_keys_are_refused(cli, db, tmp_path, fmt, body):
    path = tmp_path / f"rows.{fmt}"
    path.write_text(body, encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 1 and "twice" in result.stderr, result
    assert not db.exists()  # a rejected import leaves no new, empty ledger behind


# ---- text and numbers ------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\u0085"])
@pytest.mark.parametrize("field", ["place", "province", "source", "external-id"])
def test_line_separators_are_refused_in_single_line_fields(cli, db, char, field):
    result = cli(*add_args(date="2023-01-09", region="Puno", killed=1, **{field.replace("-", "_"): f"a{char}b"}))
    assert result.exit_code == 1 and "single line" in result.stderr, result


@pytest.mark.parametrize("count", ["٣", "３", "௩", "1\u0663"])
def test_counts_take_ascii_digits_only(cli, db, count):
    result = cli(*add_args(date="2023-01-09", region="Puno", killed=count))
    assert result.exit_code == 1 and "killed" in result.stderr, result


def test_a_number_of_thousands_of_digits_is_one_line(cli, db, tmp_path):
    big = "9" * 5000
    result = cli(*add_args(date="2023-01-09", region="Puno", killed=big))
    assert result.exit_code == 1 and "too large" in result.stderr
    for fmt, body in (("csv", f"date,region,killed\n2023-01-09,Puno,{big}\n"),
                      ("json", f'[{{"date": "2023-01-09", "region": "Puno", "killed": {big}}}]'),
                      ("ndjson", f'{{"date": "2023-01-09", "region": "Puno", "killed": {big}}}\n')):
        path = tmp_path / f"big.{fmt}"
        path.write_text(body, encoding="utf-8")
        result = cli("import", path)
        assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1, (fmt, result)


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_deeply_nested_json_is_one_line(cli, db, tmp_path, fmt):
    deep = "[" * 100_000 + "]" * 100_000
    body = deep if fmt == "json" else deep + "\n"
    path = tmp_path / f"deep.{fmt}"
    path.write_text(body, encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result
    nested_sources = json.dumps([{"date": "2023-01-09", "region": "Puno", "killed": 1}])[:-2] + \
        ', "sources": "' + "[" * 100_000 + "]" * 100_000 + '"}]'
    path.write_text(nested_sources, encoding="utf-8")
    result = cli("import", path, "--format", "json")
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result


def test_deeply_nested_json_on_stdin_is_one_line(cli, db):
    result = cli("import", "-", "--format", "json", input="[" * 100_000)
    assert result.exit_code == 1, result


def test_a_lone_surrogate_is_refused(cli, db, tmp_path):
    path = tmp_path / "s.json"
    path.write_text('[{"date": "2023-01-09", "region": "Puno", "killed": 1, "place": "\\ud800"}]', encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 1 and "place" in result.stderr, result
    result = cli(*add_args(date="2023-01-09", region="Puno", killed=1, note="a\udcffb"))
    assert result.exit_code in (1, 2) and "note" in result.stderr, result


@pytest.mark.parametrize("text", ["1/1/1", "9/1/23", "09/01/23", "9 Jan 23", "23-01-09"])
def test_short_years_are_refused(cli, db, text):
    result = cli(*add_args(date=text, region="Puno", killed=1))
    assert result.exit_code == 1 and "year" in result.stderr, result


# ---- as-of bounds --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0999-12-31", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-12:00",
                                   "10000-01-01", "2023-13-01", "٢٠٢٣-٠١-٠١", "2023-01-01T25:00"])
def test_as_of_out_of_range_or_unreadable_is_a_usage_error(cli, ledger, value):
    for command in (("summary",), ("list",), ("export",), ("milestone", "list"), ("show", "1")):
        result = cli(*command, "--as-of", value)
        assert result.exit_code == 2 and "as-of" in result.stderr, (command, value, result)


def test_as_of_is_normalised_to_the_stored_utc_form(cli, ledger):
    from protestlog.dates import parse_instant

    assert parse_instant("2023-01-10T18:00:00-05:00") == "2023-01-10T23:00:00.000000Z"
    assert parse_instant("2023-01-10") == "2023-01-10T23:59:59.999999Z"
    a = cli("summary", "--json", "--as-of", "2030-01-01T00:00:00+00:00").json()
    b = cli("summary", "--json", "--as-of", "2029-12-31T19:00:00-05:00").json()
    assert a["as_of"] == b["as_of"] == "2030-01-01T00:00:00.000000Z"


# ---- options that crashed ----------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("--lock-timeout", "nan", "add", "--date", "2023-01-09", "--region", "Puno", "--killed", "1"),
    ("--lock-timeout", "inf", "add", "--date", "2023-01-09", "--region", "Puno", "--killed", "1"),
    ("summary", "--window", "999999999"),
    ("summary", "--until", "9999-12-20", "--by", "week"),
    ("summary", "--until", "9999-12-31", "--by", "month"),
    ("chart", "--until", "9999-12-31", "--by", "week"),
])
def test_options_that_crashed_are_one_line(cli, ledger, args):
    before = snapshot(ledger)
    result = cli(*args)
    assert result.exit_code in (0, 1, 2) and "Traceback" not in result.stderr, result
    if result.exit_code:
        assert len(result.stderr.strip().splitlines()) == 1, result
    assert snapshot(ledger) == before
