"""Reading incident files (CSV, JSON) into the ledger: all or nothing.

Rows are streamed, validated and appended inside one write transaction; the first bad
row raises FieldError with its line, the transaction rolls back, and the ledger is
exactly as it was. Memory stays flat in the size of the file.
"""

import csv
import io
import json
import sys
from pathlib import Path

from protestlog.errors import FieldError, LedgerError
from protestlog.records import FIELDS, validate

COLUMNS = set(FIELDS) | {"source", "url", "accessed"}
FORMATS = ("csv", "json")


def column_name(header: str) -> str:
    return header.strip().lower().replace("-", "_").replace(" ", "_")


def detect_format(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise LedgerError(f"cannot tell the format of {path!r} from its name; use --format csv|json")


def open_text(path: str):
    """Text stream that refuses non-UTF-8 bytes (with the line), and drops a leading BOM."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="strict", newline="")
    try:
        return open(path, encoding="utf-8-sig", errors="strict", newline="")
    except FileNotFoundError:
        raise LedgerError(f"no such file: {path}") from None
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None


def read_csv(stream):
    """Yield (line, raw row) pairs; raise on a header or row the ledger cannot take."""
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise LedgerError("the file is empty (expected a header row)") from None
    except csv.Error as exc:
        raise FieldError("header", "", f"is not valid CSV: {exc}", 1) from None
    names = [column_name(h) for h in header]
    seen = set()
    for name in names:
        if name in seen:
            raise FieldError("header", name, "column appears twice", 1)
        if name not in COLUMNS:
            raise FieldError("header", name, "is not a column protestlog knows (columns are named like "
                             "the 'add' options: date, region, killed, ...)", 1)
        seen.add(name)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FieldError("row", "", f"is not valid CSV: {exc}", reader.line_num) from None
        if not values or all(v.strip() == "" for v in values):
            continue  # blank lines between rows are harmless
        if len(values) != len(names):
            raise FieldError("row", ",".join(values), f"has {len(values)} fields, the header has {len(names)}",
                             reader.line_num)
        yield reader.line_num, dict(zip(names, values))


def read_json(stream):
    """A JSON array of objects; 'line' in errors is the item's position (1-based)."""
    try:
        data = json.load(stream)
    except json.JSONDecodeError as exc:
        raise FieldError("json", "", f"is not valid JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(data, list):
        raise FieldError("json", type(data).__name__, "must be an array of objects", 1)
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise FieldError("item", item, "must be an object", number)
        yield number, {column_name(k): v for k, v in item.items()}


def rows(path: str, fmt: str):
    stream = open_text(path)
    try:
        reader = read_csv(stream) if fmt == "csv" else read_json(stream)
        try:
            yield from reader
        except UnicodeDecodeError as exc:
            raise FieldError("encoding", exc.object[max(exc.start - 10, 0):exc.end + 10].decode("latin-1"),
                             "the file is not UTF-8 text") from None
    finally:
        if path != "-":
            stream.close()


def import_file(ledger, path: str, *, fmt: str | None = None, today, by: str | None = None) -> dict:
    """Append every row of a file as a new record, or nothing at all."""
    fmt = detect_format(path, fmt)
    added = 0
    with ledger.writing():
        append = ledger.appender(by=by)
        first_id = None
        for line, raw in rows(path, fmt):
            try:
                record = validate(raw, today=today)
            except FieldError as exc:
                raise exc.at_line(line) from None
            entry = append(record)
            first_id = first_id or entry["record_id"]
            added += 1
    return {"file": path, "format": fmt, "added": added,
            "ids": [first_id, first_id + added - 1] if added else []}
