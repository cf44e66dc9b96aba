"""One external id on two rows of the same file: harmless when the rows agree, a contradiction when not.

File order cannot decide which of two contradictory rows is right, and the second is not
"already present" (the ledger did not hold it before), so such a file is refused whole, naming
both lines. A repeat with the same content stays already present. The ids seen so far wait in a
temporary table, asked once per chunk, so memory stays flat however long the file is; it lives
in the import's transaction and goes with it.
"""

import json

from protestlog.bulk import insert_many
from protestlog.errors import FieldError

TABLE = "temp.file_external_ids"


class Repeats:
    """The first line and content fingerprint of every external id read so far from one file.

    `label(external_id)` gives the column and value an error names: the file's own (ACLED's
    event_id_cnty, UCDP's bare id), else external_id as stored."""

    def __init__(self, db, label=None):
        self.db, self.label = db, label or (lambda external: ("external_id", external))
        # Keyed by the id alone (WITHOUT ROWID: one b-tree, a third faster to fill than with a rowid).
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {TABLE.split('.')[1]} "
                   "(external_id TEXT PRIMARY KEY, line INTEGER NOT NULL, fingerprint TEXT NOT NULL) WITHOUT ROWID")
        db.execute(f"DELETE FROM {TABLE}")

    def check(self, rows) -> list[FieldError]:
        """(line, external id or None, fingerprint) rows in file order: a FieldError for each row whose
        id an earlier row gave other content, naming that row's line. Remembers each new id."""
        externals = sorted({external for _, external, _ in rows if external})
        if not externals:
            return []
        seen = {row[0]: (row[1], row[2]) for row in self.db.execute(
            f"SELECT external_id, line, fingerprint FROM {TABLE} WHERE external_id IN "
            "(SELECT value FROM json_each(?))", (json.dumps(externals),))}
        new, errors = [], []
        for line, external, print_ in rows:
            if not external:
                continue
            first = seen.get(external)
            if first is None:
                seen[external] = (line, print_)
                new.append((external, line, print_))
            elif first[1] != print_:
                column, value = self.label(external)
                errors.append(FieldError(column, value, f"repeats line {first[0]} with different content", line))
        if new:
            insert_many(self.db, f"INSERT INTO {TABLE} (external_id, line, fingerprint) VALUES", "(?, ?, ?)", new)
        return errors

    def close(self):
        self.db.execute(f"DROP TABLE IF EXISTS {TABLE}")
