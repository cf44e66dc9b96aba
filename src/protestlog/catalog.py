"""Views and the full-text index that make the ledger readable by other tools.

`sqlite3 ledger.db 'select * from records'`, `sqlite-utils rows ledger.db records` and
Datasette see what `list` sees, without knowing how revisions supersede each other.
Everything here is derived from `entries`; nothing in it is part of the hash chain.

The search index is one row per entry in `search_text` (kind 'entry'; and kind 'victim' for
each victim entry linked to an incident, with negative ids clear of entry numbers), whose id is the entry's
`seq` (so Datasette can search the `records` view through it). The ledger's appender fills it
(`index_entries`) in the same transaction as the entries, so an interrupted import leaves neither:
one set-based INSERT per import chunk, since a per-row trigger doubled the cost of every insert
(until schema 8 a trigger did it; victims' rows still come by trigger). sqlite-utils builds the FTS5 table and its triggers
(`enable_fts`) and runs the searches (`search`). `search_text` is append-only like the
entries it mirrors. sqlite-utils is imported only here, so start-up never loads it.
"""

from protestlog.records import FIELDS

# The tokenizer folds case and strips accents: 'Apurimac' finds 'Apurímac', 'JULIACA' finds 'Juliaca'.
TOKENIZER = "unicode61 remove_diacritics 2"
SEARCH_COLUMNS = ("region", "province", "place", "note", "sources", "victims")

# The record fields as they stood at schema version 4. A view names its columns when it is created, so
# a later migration that adds a field recreates the views (`create_views`) rather than editing this list.
V4_FIELDS = ("date", "end_date", "date_precision", "region", "province", "place", "killed", "killed_low",
             "killed_high", "killed_reported", "injured", "injured_low", "injured_high", "injured_reported",
             "detained", "minors", "group", "circumstance", "cause", "confidence", "sources", "note",
             "external_id")


def view_sql(fields) -> dict[str, str]:
    """The views' SELECTs for the given record fields."""
    listed = ", ".join(f'"{f}"' for f in fields)
    return {
        # Each record's current revision, retracted records left out: the rows `list` shows.
        "records": (
            f"SELECT record_id AS id, revision, {listed}, json_array_length(sources) AS sources_count, "
            f"recorded_at, recorded_by, batch_id, seq FROM entries WHERE action != 'retract' AND seq NOT IN "
            f"(SELECT p.seq FROM entries n JOIN entries p ON p.record_id = n.record_id "
            f"AND p.revision = n.revision - 1 WHERE n.revision > 1)"),
        # Every entry in ledger order, with what it did and why: what `show` and `export --include-history` give.
        "history": (
            f"SELECT seq, record_id AS id, revision, action, reason, recorded_at, recorded_by, {listed}, "
            f"batch_id, prev_hash, hash FROM entries"),
    }


VIEWS = view_sql(FIELDS)  # the views as the current schema has them (a later migration recreates these)


def create_views(conn, fields=FIELDS) -> None:
    """(Re)create the views with sqlite-utils; a migration that adds a record field calls this again."""
    db = database(conn)
    for name, sql in view_sql(fields).items():
        db.create_view(name, sql, replace=True)


# Source names only (not URLs): 'Amnesty' should find the record, 'https' should not find every record.
_SOURCE_NAMES = "(SELECT group_concat(json_extract(s.value, '$.name'), ' ; ') FROM json_each(new.sources) AS s)"
# Schema 4 to 7 filled the entries' rows by this trigger; version 8 drops it (see entry_indexer).
ENTRY_TEXT_TRIGGER = (
    "CREATE TRIGGER entries_search_text AFTER INSERT ON entries BEGIN "
    "INSERT INTO search_text (id, kind, ref, record_id, region, province, place, note, sources) "
    f"VALUES (new.seq, 'entry', new.seq, new.record_id, new.region, new.province, new.place, new.note, {_SOURCE_NAMES}); "
    "END"
)
# The entries' rows of the index, as one SELECT over a range of entries (appender and migration share it).
ENTRY_TEXT_COLUMNS = "(id, kind, ref, record_id, region, province, place, note, sources)"
ENTRY_TEXT_SELECT = ("SELECT seq, 'entry', seq, record_id, region, province, place, note, "
                     + _SOURCE_NAMES.replace("new.", "entries.") + " FROM entries")


def entry_indexer(db):
    """How the appender keeps the index in step: a function(first_seq, last_seq) that indexes those
    entries, or None when the ledger has no index yet (schema < 4) or a trigger of schema 4-7 still
    fills it (a ledger being written at an older version, as migration tests do)."""
    found = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE name IN ('search_text', "
                                      "'entries_search_text')")}
    if "search_text" not in found or "entries_search_text" in found:
        return None
    sql = f"INSERT INTO search_text {ENTRY_TEXT_COLUMNS} {ENTRY_TEXT_SELECT} WHERE seq BETWEEN ? AND ? ORDER BY seq"

    def index(first: int, last: int) -> None:
        db.execute(sql, (first, last))

    return index


def index_by_appender(conn) -> None:
    """Version 8: the appender fills the entries' index rows (`entry_indexer`); the trigger goes."""
    conn.execute("DROP TRIGGER IF EXISTS entries_search_text")


APPEND_ONLY = (
    "CREATE TRIGGER search_text_append_only_update BEFORE UPDATE ON search_text "
    "BEGIN SELECT RAISE(ABORT, 'the search index follows the append-only ledger: rows cannot be changed'); END",
    "CREATE TRIGGER search_text_append_only_delete BEFORE DELETE ON search_text "
    "BEGIN SELECT RAISE(ABORT, 'the search index follows the append-only ledger: rows cannot be deleted'); END",
)


# Victims' names (issue 14), as 'victim' rows pointing at the incident a victim is linked to. Their ids
# are the negated victim-entry numbers, so they never meet an entry's id.
_VICTIM_NAMES = ("trim(coalesce(new.name, '') || ' ; ' || coalesce((SELECT group_concat(o.value, ' ; ') "
                 "FROM json_each(new.other_names) AS o), ''), ' ;')")
VICTIM_TEXT_TRIGGER = (
    "CREATE TRIGGER victim_entries_search_text AFTER INSERT ON victim_entries WHEN new.incident_id IS NOT NULL "
    "BEGIN INSERT INTO search_text (id, kind, ref, record_id, victims) "
    f"VALUES (-new.seq, 'victim', new.seq, new.incident_id, {_VICTIM_NAMES}); END"
)


def expected_search_text_sql() -> str:
    """The rows `search_text` must hold, built from the entries and victim entries with the triggers'
    own expressions: verify compares the two (an edited row would make `search` find a record by text
    it never contained)."""
    sources = _SOURCE_NAMES.replace("new.", "entries.")
    names = _VICTIM_NAMES.replace("new.", "victim_entries.")
    return (f"SELECT seq AS id, 'entry' AS kind, seq AS ref, record_id, region, province, place, note, "
            f"{sources} AS sources, NULL AS victims FROM entries UNION ALL "
            f"SELECT -seq, 'victim', seq, incident_id, NULL, NULL, NULL, NULL, NULL, {names} "
            f"FROM victim_entries WHERE incident_id IS NOT NULL")


def index_victims(conn) -> None:
    """Forward migration after the victim tables: their names go into the search index, from now on by
    trigger and for every victim entry already written."""
    db = database(conn)
    db.execute(VICTIM_TEXT_TRIGGER)
    db.execute("INSERT INTO search_text (id, kind, ref, record_id, victims) SELECT -seq, 'victim', seq, incident_id, "
               + _VICTIM_NAMES.replace("new.", "victim_entries.") + " FROM victim_entries "
               "WHERE incident_id IS NOT NULL ORDER BY seq")


def database(conn):
    """sqlite-utils over protestlog's own connection (its transaction, no plugins, no pragmas)."""
    return _sqlite_utils().Database(conn, recursive_triggers=False, execute_plugins=False)


def _sqlite_utils():
    """Import sqlite-utils without the pandas and numpy it loads when they are installed (0.6 s):
    it needs them only to insert DataFrames, which protestlog never does. Others can still import them."""
    import sys

    if "sqlite_utils" in sys.modules:
        return sys.modules["sqlite_utils"]
    blocked = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # makes `import name` raise ImportError, which sqlite-utils expects
    try:
        import sqlite_utils
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return sqlite_utils


def migrate(conn) -> None:
    """Forward migration: the views, and the search index over every entry written so far.

    Runs inside the ledger's migration transaction (sqlite-utils executes statement by
    statement when a transaction is open, so nothing here commits half a schema).
    """
    create_views(conn, V4_FIELDS)
    db = database(conn)
    db["search_text"].create({"id": int, "kind": str, "ref": int, "record_id": int, "region": str,
                              "province": str, "place": str, "note": str, "sources": str, "victims": str},
                             pk="id", not_null={"kind", "ref", "record_id"})
    db.execute("CREATE UNIQUE INDEX search_text_ref ON search_text (kind, ref)")
    db.execute(ENTRY_TEXT_TRIGGER)
    db.execute(f"INSERT INTO search_text {ENTRY_TEXT_COLUMNS} {ENTRY_TEXT_SELECT} ORDER BY seq")
    db["search_text"].enable_fts(SEARCH_COLUMNS, fts_version="FTS5", create_triggers=True, tokenize=TOKENIZER)
    for statement in APPEND_ONLY:
        db.execute(statement)
