"""The victim tables' schema (a forward migration of the ledger), kept apart so ledger.py can
load it without importing the victim logic. Like `entries`, victim entries enforce their own
invariants with CHECK constraints: vocabularies, ages, real calendar days, death not before injury.
"""

from protestlog import vocab

ROLES = ("protester", "bystander", "police", "soldier", "other", "unknown")
DIRECTNESS = ("direct", "indirect", "unknown")
SEXES = ("male", "female", "unknown")
ISO_DAY_CHECK = ("({c} IS NULL OR ({c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' "
                 "AND date({c}, '+0 days') = {c}))")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _age(c: str) -> str:
    return f"({c} IS NULL OR (typeof({c}) = 'integer' AND {c} BETWEEN 0 AND 130))"


SCHEMA = f"""
CREATE TABLE victim_entries (
    seq INTEGER PRIMARY KEY,
    victim_id INTEGER NOT NULL CHECK (victim_id > 0),
    revision INTEGER NOT NULL CHECK (revision > 0),
    action TEXT NOT NULL CHECK (action IN ('create', 'amend', 'retract', 'restore')),
    recorded_at TEXT NOT NULL CHECK (recorded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'),
    recorded_by TEXT NOT NULL,
    reason TEXT,
    external_id TEXT,
    incident_id INTEGER CHECK (incident_id IS NULL OR (typeof(incident_id) = 'integer' AND incident_id > 0)),
    name TEXT,
    other_names TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(other_names) AND json_type(other_names) = 'array'),
    description TEXT,
    age_low INTEGER CHECK {_age('age_low')},
    age_high INTEGER CHECK ({_age('age_high')} AND (age_high IS NULL) = (age_low IS NULL)
                            AND (age_high IS NULL OR age_high >= age_low)),
    sex TEXT NOT NULL CHECK ({_in('sex', SEXES)}),
    minor INTEGER CHECK (minor IS NULL OR minor IN (0, 1)),
    date_injured TEXT CHECK {ISO_DAY_CHECK.format(c='date_injured')},
    date_of_death TEXT CHECK ({ISO_DAY_CHECK.format(c='date_of_death')} AND (date_of_death IS NULL
                              OR date_injured IS NULL OR date_of_death >= date_injured)),
    region TEXT,
    place TEXT,
    cause TEXT NOT NULL CHECK ({_in('cause', vocab.CAUSES)}),
    role TEXT NOT NULL CHECK ({_in('role', ROLES)}),
    direct TEXT NOT NULL CHECK ({_in('direct', DIRECTNESS)}),
    responsible TEXT NOT NULL CHECK ({_in('responsible', vocab.RESPONSIBLE)}),
    unit TEXT,
    confidence TEXT NOT NULL CHECK ({_in('confidence', vocab.CONFIDENCE)}),
    sources TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources) AND json_type(sources) = 'array'),
    note TEXT,
    batch_id INTEGER,
    fingerprint TEXT,
    CHECK (name IS NOT NULL OR description IS NOT NULL),
    UNIQUE (victim_id, revision)
);
CREATE INDEX victim_entries_victim ON victim_entries (victim_id, seq);
CREATE INDEX victim_entries_incident ON victim_entries (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX victim_entries_external_id ON victim_entries (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX victim_entries_fingerprint ON victim_entries (fingerprint) WHERE fingerprint IS NOT NULL;
CREATE TRIGGER victim_entries_append_only_update BEFORE UPDATE ON victim_entries
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: victim entries cannot be changed'); END;
CREATE TRIGGER victim_entries_append_only_delete BEFORE DELETE ON victim_entries
    BEGIN SELECT RAISE(ABORT, 'protestlog ledger is append-only: victim entries cannot be deleted'); END;
ALTER TABLE entries ADD COLUMN responsible TEXT CHECK (responsible IS NULL OR {_in('responsible', vocab.RESPONSIBLE)});
"""

# The current victims, for other tools. Schema 5 as first released (b022e63 to 28d4e7c) lacked it;
# the next migration creates it when missing (migrations._victim_search), so such a ledger verifies.
VICTIMS_VIEW = """CREATE VIEW victims AS SELECT victim_id AS id, revision, external_id, incident_id, name, other_names, description,
    age_low, age_high, sex, minor, date_injured, date_of_death, region, place, cause, role, direct, responsible,
    unit, confidence, sources, note, recorded_at, recorded_by, seq FROM victim_entries
    WHERE action != 'retract' AND seq IN (SELECT MAX(seq) FROM victim_entries GROUP BY victim_id)
"""
SCHEMA += VICTIMS_VIEW
