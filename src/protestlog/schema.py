"""The ledger's tables, versions 1 to 3, as SQL (versions 4 and 5 live in catalog.py and chain.py).

Kept apart from ledger.py so the storage logic reads on one screen; every CHECK here repeats a
rule of records.validate, so a row written around protestlog still cannot break the basics.
"""


# date(x, '+0 days') normalises 2023-02-30 to 2023-03-02, so only real calendar days equal themselves.
ISO_DAY_CHECK = ("({c} IS NULL OR ({c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' "
                 "AND date({c}, '+0 days') = {c}))")


def _count_check(c: str) -> str:
    return f"({c} IS NULL OR (typeof({c}) = 'integer' AND {c} >= 0))"


SCHEMA_V1 = f"""
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL CHECK (record_id > 0),
    revision INTEGER NOT NULL CHECK (revision > 0),
    action TEXT NOT NULL CHECK (action IN ('create', 'amend', 'retract')),
    recorded_at TEXT NOT NULL CHECK (recorded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'),
    recorded_by TEXT NOT NULL,
    reason TEXT,
    date TEXT NOT NULL CHECK {ISO_DAY_CHECK.format(c='date')},
    end_date TEXT CHECK ({ISO_DAY_CHECK.format(c='end_date')} AND (end_date IS NULL OR end_date > date)),
    date_precision TEXT NOT NULL DEFAULT 'day' CHECK (date_precision IN ('day', 'week', 'month')),
    region TEXT NOT NULL,
    province TEXT,
    place TEXT,
    killed INTEGER NOT NULL CHECK {_count_check('killed')},
    killed_low INTEGER CHECK ({_count_check('killed_low')} AND (killed_low IS NULL OR killed_low <= killed)),
    killed_high INTEGER CHECK ({_count_check('killed_high')} AND (killed_high IS NULL OR killed_high >= killed)),
    killed_reported TEXT,
    injured INTEGER CHECK {_count_check('injured')},
    injured_low INTEGER CHECK ({_count_check('injured_low')} AND (injured_low IS NULL OR injured_low <= injured)),
    injured_high INTEGER CHECK ({_count_check('injured_high')} AND (injured_high IS NULL OR injured_high >= injured)),
    injured_reported TEXT,
    detained INTEGER CHECK {_count_check('detained')},
    minors INTEGER CHECK ({_count_check('minors')} AND (minors IS NULL OR minors <= killed)),
    "group" TEXT NOT NULL CHECK ("group" IN ('civilian', 'police', 'military', 'unknown')),
    circumstance TEXT CHECK (circumstance IS NULL OR circumstance IN
        ('clash with security forces', 'blockade-related accident', 'other')),
    cause TEXT NOT NULL CHECK (cause IN
        ('firearm', 'pellets', 'tear gas', 'blunt force', 'burns', 'vehicle', 'other', 'unknown')),
    confidence TEXT NOT NULL CHECK (confidence IN ('confirmed', 'probable', 'unverified', 'contested')),
    sources TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources) AND json_type(sources) = 'array'),
    note TEXT,
    external_id TEXT,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    UNIQUE (record_id, revision)
);
CREATE INDEX entries_record ON entries (record_id, seq);
CREATE INDEX entries_recorded_at ON entries (recorded_at);
CREATE INDEX entries_date ON entries (date);
CREATE INDEX entries_external_id ON entries (external_id) WHERE external_id IS NOT NULL;
CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: entries cannot be changed'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: entries cannot be deleted'); END;

CREATE TABLE milestones (
    id INTEGER PRIMARY KEY,
    date TEXT NOT NULL CHECK {ISO_DAY_CHECK.format(c='date')},
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TRIGGER milestones_append_only_update BEFORE UPDATE ON milestones
    BEGIN SELECT RAISE(ABORT, 'milestones are append-only'); END;
CREATE TRIGGER milestones_append_only_delete BEFORE DELETE ON milestones
    BEGIN SELECT RAISE(ABORT, 'milestones are append-only'); END;
"""

# Version 2: import batches, and a content fingerprint so re-imports add nothing twice.
SCHEMA_V2 = """
ALTER TABLE entries ADD COLUMN batch_id INTEGER;
ALTER TABLE entries ADD COLUMN fingerprint TEXT;
CREATE INDEX entries_fingerprint ON entries (fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX entries_batch ON entries (batch_id) WHERE batch_id IS NOT NULL;
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    format TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    rows INTEGER NOT NULL CHECK (rows >= 0),
    added INTEGER NOT NULL CHECK (added >= 0),
    already_present INTEGER NOT NULL CHECK (already_present >= 0)
);
CREATE TRIGGER imports_append_only_update BEFORE UPDATE ON imports
    BEGIN SELECT RAISE(ABORT, 'import batches are append-only'); END;
CREATE TRIGGER imports_append_only_delete BEFORE DELETE ON imports
    BEGIN SELECT RAISE(ABORT, 'import batches are append-only'); END;
"""

# Version 3: an index of later revisions, so "which entries are superseded" is read from a few
# index entries instead of grouping the whole table (reports on a million records in one pass).
SCHEMA_V3 = """
CREATE INDEX entries_later_revisions ON entries (record_id, revision) WHERE revision > 1;
"""
