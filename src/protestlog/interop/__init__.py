"""Files in the formats researchers already hold: ACLED exports and UCDP GED (in and out).

Each format module maps one row of its own columns to a protestlog record and back, and
says what cannot be carried across (README: "ACLED and UCDP GED"). Rows are read here,
validated with the same gate as every import, and named by line and by the format's own
column when they are refused.
"""

import csv
import io

from protestlog.errors import FieldError, LedgerError
from protestlog.records import validate
from protestlog.regions import fold

SKIP = None  # a row of another country under --country: counted, not imported


def formats():
    from protestlog.interop import acled, ucdp

    return {"acled": acled, "ucdp": ucdp}


def module(kind: str):
    try:
        return formats()[kind]
    except KeyError:
        raise FieldError("from", kind, "must be one of: acled, ucdp") from None


def delimiter_for(path: str, explicit: str | None) -> str:
    if explicit in ("csv", "tsv"):
        return "\t" if explicit == "tsv" else ","
    if explicit:
        raise FieldError("format", explicit, "ACLED and UCDP files are read as csv or tsv")
    return "\t" if str(path).lower().endswith((".tsv", ".tab")) else ","


def keep_country(row: dict, country: str | None, column: str = "country"):
    """With --country, rows of other countries are skipped; without it, only Peru's rows are accepted."""
    value = (row.get(column) or "").strip()
    if not value:
        return True
    if country:
        return fold(value) == fold(country)
    if fold(value) != "peru":
        raise FieldError(column, value, "is not Peru, the country this ledger's regions belong to; "
                                        "pass --country Peru to keep only Peru's rows")
    return True


def reader(kind: str, *, today, country: str | None = None, delimiter: str = ","):
    """A row source for importer.import_file: (line, validated record | FieldError | SKIP)."""
    fmt = module(kind)

    def read(raw_stream):
        text = io.TextIOWrapper(io.BufferedReader(raw_stream), encoding="utf-8-sig", errors="strict", newline="")
        try:
            yield from _rows(fmt, text, today=today, country=country, delimiter=delimiter)
        except UnicodeDecodeError as exc:
            raise FieldError("encoding", exc.object[max(exc.start - 10, 0):exc.end + 10].decode("latin-1"),
                             "the file is not UTF-8 text") from None

    return read


def _rows(fmt, text, *, today, country, delimiter):
    from protestlog.importer import unneutralise

    rows = csv.reader(text, delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        raise LedgerError("the file is empty (expected a header row)") from None
    except csv.Error as exc:
        raise FieldError("header", "", f"is not valid CSV: {exc}", 1) from None
    missing = [c for c in fmt.REQUIRED if c not in header]
    if missing:
        raise FieldError("header", ",".join(header)[:80], f"lacks {fmt.NAME}'s column(s) {', '.join(missing)}", 1)
    repeated = sorted({h for h in header if header.count(h) > 1 and h})
    if repeated:
        raise FieldError("header", repeated[0], "column appears twice", 1)
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield rows.line_num, FieldError("row", "", f"is not valid CSV: {exc}")
            return
        if not values or all(v.strip() == "" for v in values):
            continue
        if len(values) != len(header):
            yield rows.line_num, FieldError("row", delimiter.join(values)[:80],
                                            f"has {len(values)} fields, the header has {len(header)}")
            continue
        row = {h: unneutralise(v).strip() for h, v in zip(header, values) if h}
        try:
            if not keep_country(row, country):
                yield rows.line_num, SKIP
                continue
            mapped = fmt.to_record(row)
            yield rows.line_num, _validated(mapped, row, fmt.COLUMN_OF, today)
        except FieldError as exc:
            yield rows.line_num, exc


def _validated(mapped: dict, row: dict, column_of: dict, today) -> dict:
    """Validate with the common gate, naming the file's own column, and its value as the file wrote
    it, when a value is refused."""
    try:
        return validate(mapped, today=today)
    except FieldError as exc:
        column = column_of.get(exc.field, exc.field)
        value = row[column] if column in row and isinstance(exc.value, (str, int)) else exc.value
        raise FieldError(column, value, exc.reason) from None


def export_rows(kind: str, ledger, filters, *, as_of=None, redact: bool = False):
    """The ledger's current records as rows of the format's own columns."""
    from protestlog.reports import register

    fmt = module(kind)
    for record in register(ledger, filters, as_of=as_of):
        yield fmt.from_record(record, redact=redact)


def columns(kind: str) -> list[str]:
    return list(module(kind).COLUMNS)
