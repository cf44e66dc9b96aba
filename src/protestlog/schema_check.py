"""The parts of a ledger the hash chain does not cover, checked against the code that makes them.

The views (records, history, victims), the triggers (append-only guards, the search index's
feeders), the tables' definitions and the FTS5 index are derived from code, not hashed: anyone
with the file could replace `records` by a view that hides rows, drop a guard, or edit the
search index, and every hash would still hold. So `verify` builds an empty ledger in memory with
the one code path that makes every ledger's schema (migrations.upgrade), compares each object's SQL
with the file's (normalised: case, quoting and spacing aside), runs FTS5's own integrity check
(SQLite's integrity_check does not look inside FTS5), and checks that every row of the search
index holds the text its entry gives.
"""

import re
import sqlite3

FTS_TABLE = "search_text_fts"
SEARCH_TABLE = "search_text"

# One SQL token: a comment, a string literal, a quoted identifier ("x", [x], `x`), a word, a number, a symbol.
# Spacing is SQLite's own (space, tab, newline, form feed, return), not Unicode's: SQLite reads a
# no-break space as part of a name, so `entries\u00a0` is another table, not `entries` spaced out.
_SPACE = " \t\n\f\r"
_TOKEN = re.compile(r"""[ \t\n\f\r]+|--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|"(?:[^"]|"")*"|\[[^\]]*\]|`(?:[^`]|``)*`"""
                    r"""|[A-Za-z_][A-Za-z0-9_$]*|[0-9]+(?:\.[0-9]*)?|.""", re.S)


def normalised(sql: str | None) -> tuple[str, ...]:
    """The statement's tokens with spacing and comments dropped, identifiers unquoted and keywords
    and identifiers lower-cased (SQLite reads them without regard to case); string literals are kept
    exactly. So sqlite-utils quoting [x] in one release and "x" in another is the same definition."""
    tokens = []
    for token in _TOKEN.findall(sql or ""):
        first = token[0]
        if first in _SPACE or token.startswith("--") or token.startswith("/*"):
            continue
        if first == "'":
            tokens.append(token)
        elif first in "\"`":
            tokens.append(_fold(token[1:-1].replace(first * 2, first)))
        elif first == "[":
            tokens.append(_fold(token[1:-1]))
        else:
            tokens.append(_fold(token))
    return tuple(tokens)


def _fold(text: str) -> str:
    """SQLite ignores the case of ASCII letters only (the Kelvin sign is not a k to it)."""
    return "".join(c.lower() if c.isascii() else c for c in text)


def _objects(db: sqlite3.Connection) -> dict[tuple[bool, str], tuple[str, str, str | None]]:
    """{(is a trigger, lower-case name): (type, name, sql)}; tables, views and indexes share one
    namespace and triggers another. SQLite's own objects (autoindexes, statistics) are left out."""
    found = {}
    # Only SQLite's own names: a trigger named sqlite_x (planted through writable_schema) is checked.
    for kind, name, sql in db.execute("SELECT type, name, sql FROM sqlite_master WHERE NOT (name LIKE "
                                      "'sqlite\\_autoindex\\_%' ESCAPE '\\' OR name LIKE 'sqlite\\_stat%' ESCAPE '\\' "
                                      "OR name = 'sqlite_sequence')"):
        found[(kind == "trigger", _fold(name))] = (kind, name, sql)
    return found


def _fts_config(db: sqlite3.Connection) -> list[tuple] | None:
    try:
        return sorted(tuple(r) for r in db.execute(f'SELECT k, v FROM "{FTS_TABLE}_config"'))
    except sqlite3.Error:
        return None


_expected: dict[int, tuple[dict, list | None]] = {}


def expected_schema() -> tuple[dict, list | None]:
    """The objects of an empty ledger made by this code, and its search index's configuration rows."""
    from protestlog import ledger

    version = ledger.SCHEMA_VERSION
    if version not in _expected:
        fresh = sqlite3.connect(":memory:", isolation_level=None)
        try:
            fresh.row_factory = sqlite3.Row
            fresh.execute("BEGIN")
            ledger.upgrade(fresh, 0)
            fresh.execute("COMMIT")
            _expected[version] = (_objects(fresh), _fts_config(fresh))
        finally:
            fresh.close()
    return _expected[version]


def schema_problems(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """(object name, message) for every object protestlog creates that is missing or defined
    otherwise in this ledger, for triggers it does not create (they would run on its writes), for
    indexes it does not create that can refuse or break its writes (added_objects), and for a search
    index configured otherwise. Other added tables, views and indexes are left alone (added_objects
    names them as warnings)."""
    expected, config = expected_schema()
    actual = _objects(db)
    problems, gone = [], []
    for key, (kind, name, sql) in expected.items():
        if sql is None:
            continue
        found = actual.get(key)
        if found is None:
            if not any(name.lower().startswith(f"{table}_") for table in gone):  # a dropped FTS table's own tables
                problems.append((name, f"{kind} {name}, which protestlog creates, is missing (dropped?)"))
            gone.append(name.lower())
        elif found[0] != kind:
            problems.append((name, f"{name} is a {found[0]}, not the {kind} protestlog creates"))
        elif normalised(found[2]) != normalised(sql):
            problems.append((name, f"{kind} {name} differs from the one protestlog creates"))
    for key, (kind, name, sql) in actual.items():
        if kind == "trigger" and key not in expected:
            table = db.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                               (name,)).fetchone()[0]
            problems.append((name, f"trigger {name} is not one protestlog creates (it runs on changes to {table})"))
    problems += added_objects(db, expected, actual)[0]
    if (False, FTS_TABLE) in actual and _fts_config(db) != config:
        problems.append((f"{FTS_TABLE}_config", f"the search index's settings ({FTS_TABLE}_config) differ from "
                                                f"the ones protestlog creates"))
    return problems


_BUILTIN_COLLATIONS = {"binary", "nocase", "rtrim"}


def added_objects(db: sqlite3.Connection, expected: dict | None = None,
                  actual: dict | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """Indexes and views someone added (not triggers: schema_problems reports those; nor tables: a table
    of one's own changes nothing protestlog reads or writes). An index on one of protestlog's tables is
    a problem when it can refuse or break protestlog's writes: UNIQUE (a second row with the same value
    is refused), partial or on an expression (an expression that fails for a new row fails the write),
    or with a collation this connection does not have. Anything else added is harmless to the chain and
    to every figure, and is returned as a warning: (problems as (name, message), warnings)."""
    if expected is None:
        expected = expected_schema()[0]
    if actual is None:
        actual = _objects(db)
    ours = {name for (trigger, name), (kind, _, _) in expected.items() if kind == "table" and not trigger}
    problems, warnings = [], []
    for key, (kind, name, sql) in actual.items():
        if key in expected or sql is None or kind not in ("index", "view"):
            continue
        if kind == "view":
            warnings.append(f"view {name} is not one protestlog creates (protestlog never reads it; "
                            f"it is not covered by the head hash)")
            continue
        table = db.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone()[0]
        if _fold(table) not in ours:
            continue  # an index on a table of one's own
        why = _write_risk(db, name, table)
        if why:
            problems.append((name, f"index {name} on {table} is not one protestlog creates, and it can refuse "
                                   f"protestlog's writes ({why})"))
        else:
            warnings.append(f"index {name} on {table} is not one protestlog creates (it cannot refuse a write; "
                            f"it only slows writes)")
    return problems, warnings


def _write_risk(db: sqlite3.Connection, index: str, table: str) -> str | None:
    """What makes an added index able to refuse or break a write to its table, or None."""
    listed = {row[1]: row for row in db.execute(f'PRAGMA index_list("{table.replace(chr(34), chr(34) * 2)}")')}
    row = listed.get(index)
    if row is None:
        return "SQLite cannot describe it"
    if row[2]:
        return "UNIQUE"
    if row[4]:
        return "partial: a WHERE clause is evaluated on every write"
    for column in db.execute(f'PRAGMA index_xinfo("{index.replace(chr(34), chr(34) * 2)}")'):
        _, cid, _, _, collation, key = column[:6]
        if key and cid == -2:
            return "on an expression, evaluated on every write"
        if key and (collation or "binary").lower() not in _BUILTIN_COLLATIONS:
            return f"collation {collation}, which protestlog's connection does not have"
    return None


def index_problems(db: sqlite3.Connection, damaged: set[str] = frozenset()) -> list[str]:
    """FTS5's integrity check of the search index (against search_text too), and search_text against
    the entries. Objects already reported as missing or changed (`damaged`) are not checked again."""
    names = {n.lower() for n in damaged}
    problems = []
    if not names & {FTS_TABLE, SEARCH_TABLE} and not any(n.startswith(FTS_TABLE + "_") for n in names):
        problems += _fts_integrity(db)
    if SEARCH_TABLE not in names and "entries" not in names and "victim_entries" not in names:
        problems += _search_text(db)
    return problems


def _fts_integrity(db: sqlite3.Connection) -> list[str]:
    """FTS5's 'integrity-check' command, with rank 1 so it also compares the index with search_text.
    It writes nothing but is an INSERT, so SQLite wants the write lock: a read-only ledger, or one
    another process is writing to, is checked in a copy in memory (a snapshot) rather than waited for."""
    command = f'INSERT INTO "{FTS_TABLE}" ("{FTS_TABLE}", rank) VALUES (\'integrity-check\', 1)'
    db.execute("PRAGMA busy_timeout = 200")
    try:
        db.execute(command)
    except sqlite3.OperationalError as exc:
        if not any(word in str(exc) for word in ("readonly", "locked", "busy")):
            return [_fts_failed(exc)]
        copy = sqlite3.connect(":memory:", isolation_level=None)
        try:
            db.backup(copy)
            copy.execute(command)
        except sqlite3.Error as exc2:
            return [_fts_failed(exc2)]
        finally:
            copy.close()
    except sqlite3.Error as exc:
        return [_fts_failed(exc)]
    return []


def _fts_failed(exc: sqlite3.Error) -> str:
    return f"the search index ({FTS_TABLE}) fails FTS5's integrity check: {exc}"


_COLUMNS = ("kind", "ref", "record_id", "region", "province", "place", "note", "sources", "victims")


def _search_text(db: sqlite3.Connection) -> list[str]:
    """Every search_text row holds exactly the text its entry gives (catalog.expected_search_text_sql,
    the triggers' own expressions), and there is no other row. Otherwise `search` finds records by
    text they never contained, or never finds them. One pass: the rows are compared by id, and equal
    counts then leave no room for a row that belongs to no entry."""
    import json

    from protestlog.catalog import expected_search_text_sql

    expected = expected_search_text_sql()
    differs = " OR ".join(f's."{c}" IS NOT e."{c}"' for c in _COLUMNS)
    try:
        wanted, wrong = db.execute(
            f"SELECT count(*), json_group_array(json_array(e.kind, e.ref, s.id IS NULL)) FILTER (WHERE s.id IS NULL "
            f"OR {differs}) FROM ({expected}) AS e LEFT JOIN \"{SEARCH_TABLE}\" AS s ON s.id = e.id").fetchone()
        problems = [f"{_entry_name(kind, ref)} {'has no row in' if missing else 'does not match its row in'} the "
                    f"search index ({SEARCH_TABLE}; changed around protestlog?)"
                    for kind, ref, missing in json.loads(wrong)[:3]]
        missing = sum(1 for *_, gone in json.loads(wrong) if gone)
        rows = db.execute(f'SELECT count(*) FROM "{SEARCH_TABLE}"').fetchone()[0]
        if rows != wanted - missing:
            extra = db.execute(f'SELECT id FROM "{SEARCH_TABLE}" WHERE id NOT IN (SELECT id FROM ({expected})) '
                               f"ORDER BY id LIMIT 3").fetchall()
            problems += [f"{SEARCH_TABLE} row {row_id} belongs to no entry (added around protestlog?)"
                         for (row_id,) in extra]
    except sqlite3.Error as exc:
        return [f"the search index ({SEARCH_TABLE}) cannot be compared with the entries: {exc}"]
    return problems


def _entry_name(kind: str, ref: int) -> str:
    return f"entry {ref}" if kind == "entry" else f"victim entry {ref}"
