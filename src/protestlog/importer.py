"""Reading incident files into the ledger: idempotent, and all or nothing.

Rows are streamed, validated and appended inside one write transaction. A row whose
external id, or else whose content fingerprint, is already in the ledger (or earlier in
the same file) is counted as already present and not added again, so a file can be
re-imported, or an overlapping one imported, safely; one external id given two contents
in the file is a contradiction, not a duplicate (file_repeats). Any invalid row rejects the
whole file: every problem is reported with its line and field, and the transaction rolls back.
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
from protestlog.errors import FieldError, LedgerError, each_error
from protestlog.file_repeats import Repeats
from protestlog.import_chunk import MAX_ERRORS_SHOWN, Chunk, Replay
from protestlog.ledger import who
from protestlog.records import FIELDS, fingerprint, strict_json
from protestlog.row_validator import RowValidator

COLUMNS = set(FIELDS) | {"source", "url", "accessed"}
# Ledger metadata that an export carries: accepted on import and recreated, never copied.
IGNORED = {"id", "revision", "action", "recorded_at", "recorded_by", "reason", "seq", "hash", "prev_hash",
           "sources_count", "running_killed", "running_injured", "batch_id", "fingerprint", "victims"}
FORMATS = ("csv", "tsv", "json", "ndjson")
EXTENSIONS = {"csv": "csv", "tsv": "tsv", "tab": "tsv", "json": "json", "ndjson": "ndjson", "jsonl": "ndjson"}
# The export guard prefixes ' to a cell starting with a formula character, and to one that starts
# with ' followed by one of those or another ' (so a text that begins with ' survives the trip).
NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r", "''")
# What a history export (`export --include-history`) carries to replay each revision.
REPLAYED = {"id", "revision", "action", "reason"}
META = "__revision__"


class ImportRejected(LedgerError):
    """The file had invalid rows; nothing was written."""

    def __init__(self, result: dict, problems: int | None = None):
        self.result = result
        # Problems found, shown or not: a row can have several, so this can exceed result["rejected"].
        self.problems = max(problems or 0, len(result["errors"]))
        first = result["errors"][0]
        more = result["rejected"] - 1
        super().__init__(first + (f" (and {more} more rejected rows; nothing was imported)" if more > 0 else
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
    plain_header = schema.ignored.isdisjoint(names)  # no column to drop or replay
    for line, values in data_rows(reader, len(names), delimiter):
        if isinstance(values, FieldError):
            yield line, values
            continue
        if plain_header:
            joined = "\x00".join(values)
            if joined[:1] != "'" and "\x00'" not in joined:  # no cell the export guard may have touched
                yield line, dict(zip(names, values))
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
    a run stopped anywhere, between chunks too, leaves the ledger as it was. The reader may carry
    `id_label(external_id)` -> (column, value), the file's own naming of an id for errors.
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
            problems = Problems(result)
            chunk = Chunk(db, append, batch, result, written=written,
                          repeats=Repeats(db, getattr(reader, "id_label", None)), problems=problems)
            validate = RowValidator(today)
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
                    record = validate(raw)
                    if meta and meta.get("action"):
                        if result["rejected"]:
                            continue  # the file is rejected anyway: only look for more errors
                        ids += chunk.write()  # the rows before it go first: the chain follows the file
                        entry = replay.row(record, meta)
                        if entry is not None:  # a new record: counted as added
                            ids.append(entry["record_id"])
                            result["added"] += 1
                        result["replayed"] = replay.entries
                        continue
                except FieldError as exc:
                    problems.reject(line, exc)
                    continue
                # After a rejected row, rows still go to the chunk: it looks for contradictory repeats only.
                chunk.rows.append((line, record, fingerprint(record)))
                if len(chunk.rows) >= chunk_rows:
                    ids += chunk.write()
            ids += chunk.write()
            chunk.repeats.close()
            if result["rejected"]:
                result["added"], result["already_present"], result["ids"] = 0, 0, []  # nothing stays written
                problems.raise_rejected()
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


class Problems:
    """The rejected rows of a file and everything wrong with each, shown in line order (a
    contradictory repeat is found when its chunk is decided, after later rows were read)."""

    def __init__(self, result: dict):
        self.result, self.found, self.count = result, [], 0

    def reject(self, line: int, exc: FieldError):
        self.result["rejected"] += 1
        for error in each_error(exc):
            self.count += 1
            self.found.append((line, str(error.at_line(line))))
        if len(self.found) > 5 * MAX_ERRORS_SHOWN:  # keep the first lines only: memory stays flat
            self.found = self._first()

    def _first(self) -> list:
        return sorted(self.found, key=lambda found: found[0])[:MAX_ERRORS_SHOWN]  # stable: a row's own order

    def raise_rejected(self):
        self.result["errors"] = [message for _, message in self._first()]
        raise ImportRejected(self.result, self.count)


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""
