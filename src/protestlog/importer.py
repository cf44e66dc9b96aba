"""Reading incident files into the ledger: idempotent, and all or nothing.

Rows are streamed, validated and appended inside one write transaction. A row whose
external id, or else whose content fingerprint, is already in the ledger (or earlier in
the same file) is counted as already present and not added again, so a file can be
re-imported, or an overlapping one imported, safely. Any invalid row rejects the whole
file: every problem is reported with its line and field, and the transaction rolls back.
Memory stays flat in the size of the file: duplicates are looked up in the ledger's
indexes, which already see the rows this transaction has added.
"""

import csv
import hashlib
import io
import json
import sys
from pathlib import Path

from protestlog import chain
from protestlog.errors import FieldError, LedgerError
from protestlog.ledger import who
from protestlog.records import FIELDS, fingerprint, strict_json, validate

COLUMNS = set(FIELDS) | {"source", "url", "accessed"}
# Ledger metadata that an export carries: accepted on import and recreated, never copied.
IGNORED = {"id", "revision", "action", "recorded_at", "recorded_by", "reason", "seq", "hash", "prev_hash",
           "sources_count", "running_killed", "running_injured", "batch_id", "fingerprint", "victims"}
FORMATS = ("csv", "tsv", "json", "ndjson")
EXTENSIONS = {"csv": "csv", "tsv": "tsv", "tab": "tsv", "json": "json", "ndjson": "ndjson", "jsonl": "ndjson"}
MAX_ERRORS_SHOWN = 20
# The export guard prefixes ' to a cell starting with a formula character, and to one that starts
# with ' followed by one of those or another ' (so a text that begins with ' survives the trip).
NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r", "''")
# What a history export (`export --include-history`) carries to replay each revision.
REPLAYED = {"id", "revision", "action", "reason"}
META = "__revision__"


class ImportRejected(LedgerError):
    """The file had invalid rows; nothing was written."""

    def __init__(self, result: dict):
        self.result = result
        first = result["errors"][0]
        more = result["rejected"] - 1
        super().__init__(first + (f" (and {more} more rejected rows; nothing was imported)" if more else
                                  " (nothing was imported)"))


def column_name(header: str) -> str:
    return header.strip().lower().replace("-", "_").replace(" ", "_")


def detect_format(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise LedgerError(f"cannot tell the format of {path!r} from its name; use --format csv|tsv|json|ndjson")


class HashingReader(io.RawIOBase):
    """Passes bytes through while hashing them, so a batch records exactly what was read."""

    def __init__(self, raw):
        self.raw, self.sha = raw, hashlib.sha256()
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        self.sha.update(data)
        self.bytes_read += len(data)
        buffer[: len(data)] = data
        return len(data)


def open_source(path: str):
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise LedgerError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise LedgerError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None


def unneutralise(value: str) -> str:
    """Undo the CSV-injection guard of `export`, so export -> import round-trips text exactly."""
    return value[1:] if value.startswith(NEUTRALISED) else value


class Schema:
    """The columns a kind of file may have: incidents by default, victims in victim_io."""

    def __init__(self, columns, ignored, hint: str):
        self.columns, self.ignored, self.hint = set(columns), set(ignored), hint


INCIDENTS = Schema(COLUMNS, IGNORED, "columns are named like the 'add' options: date, region, killed, ...")


def read_header(stream, delimiter: str):
    """A CSV/TSV reader past its header, and the header's column names (each at most once).

    The one delimited reader of every import: protestlog's own columns here, ACLED's and UCDP's
    in interop/, which each judge the names themselves."""
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise LedgerError("the file is empty (expected a header row)") from None
    except csv.Error as exc:
        raise FieldError("header", "", f"is not valid CSV: {exc}", 1) from None
    names = [column_name(h) for h in header]
    seen = set()
    for name in names:
        if name in seen and name:
            raise FieldError("header", name, "column appears twice", 1)
        seen.add(name)
    return reader, names


def data_rows(reader, width: int, delimiter: str):
    """(line, values | FieldError) for each row after the header; blank lines are skipped."""
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, FieldError("row", "", f"is not valid CSV: {exc}")
            return
        if not values or all(v.strip() == "" for v in values):
            continue  # blank lines between rows are harmless
        if len(values) != width:
            yield reader.line_num, FieldError("row", delimiter.join(values),
                                              f"has {len(values)} fields, the header has {width}")
            continue
        yield reader.line_num, values


def read_delimited(stream, delimiter: str, schema: Schema = INCIDENTS):
    """Yield (line, raw row) pairs from CSV or TSV; raise on a header the ledger cannot take."""
    reader, names = read_header(stream, delimiter)
    for name in names:
        if name not in schema.columns and name not in schema.ignored:
            raise FieldError("header", name, f"is not a column protestlog knows ({schema.hint})", 1)
    for line, values in data_rows(reader, len(names), delimiter):
        if isinstance(values, FieldError):
            yield line, values
            continue
        row = {n: unneutralise(v) for n, v in zip(names, values) if n not in schema.ignored}
        meta = {n: unneutralise(v) for n, v in zip(names, values) if n in REPLAYED and v != ""}
        if meta and schema is INCIDENTS:  # incident history exports replay; other lists keep their own rules
            row[META] = meta
        yield line, row


def _object_row(item, number, schema: Schema = INCIDENTS):
    if not isinstance(item, dict):
        return FieldError("item", item, "must be an object")
    row, meta = {}, {}
    for key, value in item.items():
        name = column_name(str(key))
        if name in row or name in meta:
            return FieldError(name, value, "this key appears twice (as spelled, or once case and dashes are ignored)")
        if name in schema.ignored:
            if name in REPLAYED and schema is INCIDENTS:
                meta[name] = value
            continue
        if name not in schema.columns:
            return FieldError(name, value, "is not a field protestlog knows")
        row[name] = value
    if meta:
        row[META] = meta
    return row


def read_json(stream, schema: Schema = INCIDENTS):
    """A JSON array of objects; 'line' in errors is the item's position (1-based)."""
    try:
        data = strict_json(stream.read())
    except json.JSONDecodeError as exc:
        raise FieldError("json", "", f"is not valid JSON: {exc.msg}", exc.lineno) from None
    except FieldError as exc:
        raise exc.at_line(1) from None
    if not isinstance(data, list):
        raise FieldError("json", type(data).__name__, "must be an array of objects", 1)
    for number, item in enumerate(data, start=1):
        yield number, _object_row(item, number, schema)


def read_ndjson(stream, schema: Schema = INCIDENTS):
    """One JSON object per line, streamed."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = strict_json(line)
        except json.JSONDecodeError as exc:
            yield number, FieldError("json", line.strip(), f"is not valid JSON: {exc.msg}")
            continue
        except FieldError as exc:
            yield number, exc
            continue
        yield number, _object_row(item, number, schema)


def rows(raw_stream, fmt: str, schema: Schema = INCIDENTS):
    """(line, row-or-FieldError) pairs; decoding problems name the line."""
    return decoded(raw_stream, {"csv": lambda text: read_delimited(text, ",", schema),
                                "tsv": lambda text: read_delimited(text, "\t", schema),
                                "json": lambda text: read_json(text, schema),
                                "ndjson": lambda text: read_ndjson(text, schema)}[fmt])


def decoded(raw_stream, read):
    """Run `read` over the bytes as UTF-8 text (a BOM dropped); a byte that is not UTF-8 is a FieldError."""
    text = io.TextIOWrapper(io.BufferedReader(raw_stream), encoding="utf-8-sig", errors="strict", newline="")
    try:
        yield from read(text)
    except UnicodeDecodeError as exc:
        raise FieldError("encoding", exc.object[max(exc.start - 10, 0):exc.end + 10].decode("latin-1"),
                         "the file is not UTF-8 text") from None


CHUNK_ROWS = 2000  # rows decided and inserted together: one set-based lookup and one executemany each


def import_file(ledger, path: str, *, fmt: str | None = None, today, by: str | None = None,
                dry_run: bool = False, progress=None, reader=None, chunk_rows: int = CHUNK_ROWS) -> dict:
    """Add every new row of a file as a record, or nothing at all. Returns the batch's counts.

    `reader(stream)` replaces the built-in formats (interop/: ACLED, UCDP); it yields the same
    (line, row or FieldError) pairs, and None for a row it skips on purpose (another country).
    Valid rows are decided and written a chunk at a time (see Chunk), all in one transaction:
    a run stopped anywhere, between chunks too, leaves the ledger as it was.
    """
    fmt = detect_format(path, fmt)
    source = open_source(path)
    hashing = HashingReader(source)
    result = {"file": path, "format": fmt, "batch": None, "rows": 0, "added": 0, "already_present": 0,
              "rejected": 0, "ids": [], "differs": [], "retracted": [], "errors": [], "dry_run": dry_run,
              "skipped": 0}
    ids: list[int] = []
    # A bulk insert touches random pages of the hash and fingerprint indexes: a 64 MiB page cache
    # halves its time (75 s -> 35 s for 100,000 rows). Memory stays bounded by it, whatever the file size.
    ledger.db.execute("PRAGMA cache_size = -65536")
    try:
        with ledger.writing():
            db = ledger.db
            batch = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM imports").fetchone()[0]
            written = (lambda: progress(result["rows"], hashing.bytes_read)) if progress else None
            append = ledger.appender(by=by)
            chunk = Chunk(db, append, batch, result, written=written)
            replay = Replay(append, batch, empty=db.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is None)
            for line, raw in (reader(hashing) if reader else rows(hashing, fmt)):
                result["rows"] += 1
                if raw is None:
                    result["skipped"] += 1
                    continue
                if progress and result["rows"] % 1000 == 0:
                    progress(result["rows"], hashing.bytes_read)
                try:
                    if isinstance(raw, FieldError):
                        raise raw
                    meta = raw.pop(META, None)
                    record = validate(raw, today=today)
                    if meta and meta.get("action") and not result["rejected"]:
                        ids += chunk.write()  # the rows before it go first: the chain follows the file
                        entry = replay.row(record, meta)
                        if entry is not None:  # a new record: counted as added
                            ids.append(entry["record_id"])
                            result["added"] += 1
                        result["replayed"] = replay.entries
                        continue
                except FieldError as exc:
                    result["rejected"] += 1
                    if len(result["errors"]) < MAX_ERRORS_SHOWN:
                        result["errors"].append(str(exc.at_line(line)))
                    continue
                if result["rejected"]:
                    continue  # the file is rejected anyway: only look for more errors
                chunk.rows.append((line, record, fingerprint(record)))
                if len(chunk.rows) >= chunk_rows:
                    ids += chunk.write()
            if result["rejected"]:
                result["added"], result["already_present"], result["ids"] = 0, 0, []  # nothing stays written
                raise ImportRejected(result)
            ids += chunk.write()
            result["sha256"] = hashing.sha.hexdigest()
            if dry_run:
                raise _DryRun()
            if result["added"]:
                db.execute("INSERT INTO imports (id, file, sha256, format, recorded_at, recorded_by, rows, added, "
                           "already_present) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (batch, path, result["sha256"], fmt, chain.now(db), who(by), result["rows"],
                            result["added"], result["already_present"]))
                chain.append_chained(db, "batch", batch)
                result["batch"] = batch
    except _DryRun:
        pass
    finally:
        if path != "-":
            source.close()
    result["ids"] = [ids[0], ids[-1]] if ids else []
    return result


class Chunk:
    """Valid rows waiting to be decided and written together.

    A row with an external id is already present when an entry has that id; a row without one
    when an entry has its content fingerprint; in both cases also when an earlier row of the file
    was added with it. The ledger is asked once per chunk (the entries written by earlier chunks
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

    def __init__(self, db, append, batch: int, result: dict, written=None):
        self.db, self.append, self.batch, self.result, self.written = db, append, batch, result, written
        self.rows: list[tuple[int, dict, str]] = []  # (line, record, fingerprint)
        self.pending_notes: list[dict] = []  # notes naming a record this chunk is about to add

    def write(self) -> list[int]:
        """Decide every waiting row, write the new ones, and return their record ids."""
        if not self.rows:
            return []
        by_id, by_content = self._known()
        new: list[tuple[dict, str]] = []
        new_ids: dict[str, int] = {}  # external id -> position in `new`
        new_prints: dict[str, int] = {}  # fingerprint -> position in `new`
        for line, record, print_ in self.rows:
            external = record["external_id"]
            if external:
                known = by_id.get(external)
                if known is None and external in new_ids:
                    known = {"record_id": None, "position": new_ids[external], "action": "create",
                             "fingerprint": new[new_ids[external]][1]}
            else:
                known = by_content.get(print_)
                if known is None and print_ in new_prints:
                    known = {"record_id": None, "position": new_prints[print_], "action": "create"}
            if known is None:
                if external:
                    new_ids[external] = len(new)
                new_prints.setdefault(print_, len(new))
                new.append((record, print_))
            else:
                self._already_present(line, record, print_, known)
        # One thread: the insert once ran on a second one, and Python 3.11's Thread.join(), interrupted
        # by Ctrl-C, could mark it stopped while it ran on; the rollback then left a row behind.
        ids = self.append.many(new, batch_id=self.batch) if new else []
        if new and self.written:
            self.written()
        for note in self.pending_notes:  # rows matched by a row of this chunk: its id is known now
            note["record"] = ids[note.pop("position")]
        self.result["added"] += len(ids)
        self.rows, self.pending_notes = [], []
        return ids

    def _known(self) -> tuple[dict, dict]:
        """What the ledger already holds of this chunk: latest entry by external id, first by content."""
        externals = sorted({r["external_id"] for _, r, _ in self.rows if r["external_id"]})
        prints = sorted({p for _, r, p in self.rows if not r["external_id"]})
        by_id = {row["external_id"]: dict(row) for row in
                 self.db.execute(self.BY_EXTERNAL_ID, (json.dumps(externals),))} if externals else {}
        by_content = {row["fingerprint"]: dict(row) for row in
                      self.db.execute(self.BY_CONTENT, (json.dumps(prints),))} if prints else {}
        return by_id, by_content  # later rows overwrite earlier: the latest by id, the first by content

    def _already_present(self, line: int, record: dict, print_: str, known: dict):
        """Count a known row; say when it is a retracted record, or an external id with other content."""
        self.result["already_present"] += 1
        note = {"line": line, "external_id": record["external_id"], "record": known["record_id"]}
        if "position" in known:
            note["position"] = known["position"]
        if known["action"] == "retract":
            target = self.result["retracted"]
        elif record["external_id"] and known["fingerprint"] != print_:
            target = self.result["differs"]
        else:
            return
        if len(target) < MAX_ERRORS_SHOWN:
            target.append(note)
            if "position" in note:
                self.pending_notes.append(note)


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


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""
