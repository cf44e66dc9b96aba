"""The ledger's schema versions and the forward migrations between them.

`upgrade` is the one code path that makes every ledger's schema, a new one included (from 0):
verify builds an empty ledger in memory with it to know what each object should be.
"""

import sqlite3

from protestlog import catalog, chain
from protestlog.dates import utcnow
from protestlog.schema import SCHEMA_V1, SCHEMA_V2, SCHEMA_V3
from protestlog.victim_schema import SCHEMA as VICTIM_SCHEMA, VICTIMS_VIEW

APPLICATION_ID = 0x706C6F67  # 'plog': marks a SQLite file as a protestlog ledger
LATEST = 8
DEFAULT_MILESTONES = (("2022-12-07", "Protests begin"), ("2022-12-15", "State of emergency declared"))


def _catalog(db):
    """Views for other tools and the full-text index (catalog.py; built with sqlite-utils)."""
    from protestlog.catalog import migrate

    migrate(db)


def _victims(db):
    """Version 5: victim records and each incident's alleged responsible force (victim_schema.py);
    the catalog's views are rebuilt so they show the new column."""
    for statement in VICTIM_SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    from protestlog.catalog import create_views

    create_views(db)


# Forward migrations: MIGRATIONS[n] takes a ledger from user_version n to n + 1 (SQL text, or a
# function of the connection for steps built with sqlite-utils).
def _victim_search(db):
    """Version 6: victims' names in the full-text index (catalog.py)."""
    from protestlog.catalog import index_victims

    _victims_view_if_missing(db)
    index_victims(db)


def _index_by_appender(db):
    """Version 8: the appender fills the entries' search index itself, set-based per import chunk (catalog.py)."""
    _victims_view_if_missing(db)
    catalog.index_by_appender(db)


def _victims_view_if_missing(db):
    """Schema 5 as first released (b022e63 to 28d4e7c) made no victims view, and the releases of
    schemas 6 and 7 did not add it: the next step up creates it (victim_schema.VICTIMS_VIEW)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'victims'").fetchone() is None:
        db.execute(VICTIMS_VIEW)


# Version 7: the one chain and the settings table (chain.py); existing rows are chained once.
MIGRATIONS = {0: SCHEMA_V1, 1: SCHEMA_V2, 2: SCHEMA_V3, 3: _catalog, 4: _victims, 5: _victim_search,
              6: chain.SCHEMA_V7, 7: _index_by_appender}


def upgrade(db: sqlite3.Connection, version: int, target: int = LATEST) -> None:
    """Take a ledger (inside its write transaction) from schema `version` to `target`. The one
    code path that makes every ledger's schema: verify builds an empty ledger in memory with it to know
    what each view, trigger and table should be (schema_check.py)."""
    from protestlog.ledger import who  # the recorder of the default milestones and settings

    while version < target:
        step = MIGRATIONS[version]
        for statement in ([] if callable(step) else step.split(";\n")):
            if statement.strip():
                db.execute(statement)
        if callable(step):
            step(db)
        version += 1
        if version == 1:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            now, by = utcnow(), who()
            for day, label in DEFAULT_MILESTONES:
                db.execute("INSERT INTO milestones (date, label, recorded_at, recorded_by) "
                           "VALUES (?, ?, ?, ?)", (day, label, now, by))
        if version == 7:
            from protestlog.timezones import default_zone

            chain.migrate_v7(db, time_zone=default_zone(), by=who())
        db.execute(f"PRAGMA user_version = {version}")
