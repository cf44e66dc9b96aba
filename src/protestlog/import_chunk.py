"""Deciding and writing an import's valid rows: a chunk at a time, or replayed revision by revision.

Split from importer.py, which reads the file and holds the transaction these run in.
"""

import json

from protestlog.errors import FieldError
from protestlog.external_ids import normal, spellings

MAX_ERRORS_SHOWN = 20
EARLIER_ROW = {"record_id": None, "action": "create", "fingerprint": None}  # matched within the chunk


class Chunk:
    """Valid rows waiting to be decided and written together.

    A row with an external id is already present when an entry has that id; a row without one
    when an entry has its content fingerprint; in both cases also when an earlier row of the file
    was added with it (an id repeated with other content rejects the file: see file_repeats). The ledger is asked once per chunk (the entries written by earlier chunks
    of this transaction included), the chunk's own rows are matched here, and the new rows go in
    with one executemany, chained in file order.

    `written()` is called as each chunk's insert ends (the progress counter).
    """

    BY_EXTERNAL_ID = ("SELECT external_id, record_id, fingerprint, action FROM entries WHERE external_id IS NOT NULL "
                      "AND external_id IN (SELECT value FROM json_each(?)) ORDER BY seq")
    # A row matched by content: is the record it matches retracted now? (Its latest entry says.)
    BY_CONTENT = ("SELECT fingerprint, record_id, (SELECT action FROM entries AS l WHERE l.record_id = e.record_id "
                  "ORDER BY l.seq DESC LIMIT 1) AS action FROM entries AS e WHERE fingerprint IS NOT NULL "
                  "AND fingerprint IN (SELECT value FROM json_each(?)) ORDER BY seq DESC")

    def __init__(self, db, append, batch: int, result: dict, written=None, repeats=None, problems=None):
        self.db, self.append, self.batch, self.result, self.written = db, append, batch, result, written
        self.repeats, self.problems = repeats, problems  # file_repeats.Repeats; importer.Problems
        self.rows: list[tuple[int, dict, str]] = []  # (line, record, fingerprint)

    def write(self) -> list[int]:
        """Decide every waiting row, write the new ones, and return their record ids. Once the file
        is rejected, only look for contradictory repeats (the rows are never written)."""
        if not self.rows:
            return []
        if self.repeats is not None:
            for error in self.repeats.check([(line, r["external_id"], p) for line, r, p in self.rows]):
                self.problems.reject(error.line, error)
        if self.result["rejected"]:
            self.rows = []
            return []
        by_id, by_content = self._known()
        new: list[tuple[dict, str]] = []
        new_ids: set[str] = set()
        new_prints: set[str] = set()
        for line, record, print_ in self.rows:
            external = record["external_id"]
            # An id or content an earlier row of this chunk brings: the same report again (a repeated
            # id with other content was refused above).
            if external:
                known = by_id.get(external) or (EARLIER_ROW if external in new_ids else None)
            else:
                known = by_content.get(print_) or (EARLIER_ROW if print_ in new_prints else None)
            if known is None:
                if external:
                    new_ids.add(external)
                new_prints.add(print_)
                new.append((record, print_))
            else:
                self._already_present(line, record, print_, known)
        # One thread: the insert once ran on a second one, and Python 3.11's Thread.join(), interrupted
        # by Ctrl-C, could mark it stopped while it ran on; the rollback then left a row behind.
        ids = self.append.many(new, batch_id=self.batch) if new else []
        if new and self.written:
            self.written()
        self.result["added"] += len(ids)
        self.rows = []
        return ids

    def _known(self) -> tuple[dict, dict]:
        """What the ledger already holds of this chunk: latest entry by external id, first by content."""
        externals = {r["external_id"] for _, r, _ in self.rows if r["external_id"]}
        if not all(e.isascii() for e in externals):  # an id stored in NFD by an older release is the same id
            externals = {form for e in externals for form in spellings(e)}
        prints = sorted({p for _, r, p in self.rows if not r["external_id"]})
        by_id = {normal(row["external_id"]): dict(row) for row in
                 self.db.execute(self.BY_EXTERNAL_ID, (json.dumps(sorted(externals)),))} if externals else {}
        by_content = {row["fingerprint"]: dict(row) for row in
                      self.db.execute(self.BY_CONTENT, (json.dumps(prints),))} if prints else {}
        return by_id, by_content  # later rows overwrite earlier: the latest by id, the first by content

    def _already_present(self, line: int, record: dict, print_: str, known: dict):
        """Count a known row; say when it is a retracted record, or an external id with other content."""
        self.result["already_present"] += 1
        if known is EARLIER_ROW:
            return
        if known["action"] == "retract":
            target = self.result["retracted"]
        elif record["external_id"] and known["fingerprint"] != print_:
            target = self.result["differs"]
        else:
            return
        if len(target) < MAX_ERRORS_SHOWN:
            target.append({"line": line, "external_id": record["external_id"], "record": known["record_id"]})


class Replay:
    """Rows of a history export (`export --include-history`): each revision is replayed in order,
    so amendments stay amendments and retractions stay retracted. Only into an empty ledger: its
    record ids are mapped to new ones, and mixing them with existing records would be a merge."""

    def __init__(self, append, batch: int, *, empty: bool):
        self.append, self.batch, self.empty = append, batch, empty
        self.ids: dict[str, int] = {}
        self.revisions: dict[str, int] = {}
        self.entries = 0

    def row(self, record: dict, meta: dict) -> dict | None:
        action, old = str(meta.get("action")).strip(), str(meta.get("id", "")).strip()
        if not self.empty:
            raise FieldError("action", action, "a history export (export --include-history) can only be replayed "
                                               "into an empty ledger; import a plain export to add current records")
        if action not in ("create", "amend", "retract"):
            raise FieldError("action", action, "must be create, amend or retract")
        if not old:
            raise FieldError("id", old, "a history row needs the record's id")
        if action == "create":
            if old in self.ids:
                raise FieldError("id", old, "is created twice in this history")
            entry = self.append(record, batch_id=self.batch)
            self.ids[old], self.revisions[old] = entry["record_id"], 1
        else:
            if old not in self.ids:
                raise FieldError("id", old, f"is {action}ed before it is created")
            self.revisions[old] += 1
            reason = str(meta.get("reason") or "").strip() or "replayed from a history export"
            entry = self.append(record, action=action, record_id=self.ids[old], revision=self.revisions[old],
                                reason=reason, batch_id=self.batch)
        self.entries += 1
        return entry if action == "create" else None
