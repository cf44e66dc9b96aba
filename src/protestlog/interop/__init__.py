"""Files in the formats researchers already hold: ACLED exports and UCDP GED (in and out).

Each format module maps one row of its own columns to a protestlog record and back, and
says what cannot be carried across (README: "ACLED and UCDP GED"). Rows are read here,
validated with the same gate as every import, and named by line and by the format's own
column when they are refused.
"""

from protestlog.errors import FieldError, each_error, raise_any
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


def collect(problems: list, parse, *args):
    """parse(*args), or None with its FieldError added to `problems` (a row's other columns are still read)."""
    try:
        return parse(*args)
    except FieldError as exc:
        problems.append(exc)
        return None


def source_names(record: dict) -> list[str]:
    """A record's sources as names for a ';'-separated column (ACLED's source, GED's source_article):
    a ';' inside a name becomes ',', so the name comes back as one source, not two."""
    return [(s.get("name") or s.get("url") or "").replace(";", ",") for s in record.get("sources") or []]


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
    from protestlog.importer import decoded

    fmt = module(kind)

    def read(raw_stream):
        return decoded(raw_stream, lambda text: _rows(fmt, text, today=today, country=country, delimiter=delimiter))

    read.id_label = fmt.id_label  # a repeated id is named as the file writes it
    return read


def _rows(fmt, text, *, today, country, delimiter):
    from protestlog.importer import data_rows, read_header, unneutralise

    rows, header = read_header(text, delimiter)
    missing = [c for c in fmt.REQUIRED if c not in header]
    if missing:
        raise FieldError("header", ",".join(header)[:80], f"lacks {fmt.NAME}'s column(s) {', '.join(missing)}", 1)
    for line, values in data_rows(rows, len(header), delimiter):
        if isinstance(values, FieldError):
            yield line, values
            continue
        row = {h: unneutralise(v).strip() for h, v in zip(header, values) if h}
        try:
            if not keep_country(row, country):
                yield line, SKIP
                continue
            problems: list[FieldError] = []
            mapped = fmt.to_record(row, problems)
            yield line, _validated(mapped, row, fmt.COLUMN_OF, today, problems)
        except FieldError as exc:
            yield line, exc


def _validated(mapped: dict, row: dict, column_of: dict, today, problems: list) -> dict:
    """Validate with the common gate, naming the file's own column, and its value as the file wrote
    it, when a value is refused. Every problem of the row is raised together (FieldErrors), in the
    order of the file's columns; the gate's complaint about a column the mapping already refused
    (a date that is not one, then 'is required') is left out."""
    record = None
    try:
        record = validate(mapped, today=today)
    except FieldError as exc:
        refused = {problem.field for problem in problems}
        for error in each_error(exc):
            column = column_of.get(error.field, error.field)
            if column in refused:
                continue
            value = row[column] if column in row and isinstance(error.value, (str, int)) else error.value
            problems.append(FieldError(column, value, error.reason))
    if problems:
        order = {column: position for position, column in enumerate(row)}
        raise_any(sorted(problems, key=lambda problem: order.get(problem.field, len(order))))
    return record


def export_rows(kind: str, ledger, filters, *, as_of=None, redact: bool = False):
    """The ledger's current records as rows of the format's own columns."""
    from protestlog.reports import register

    fmt = module(kind)
    for record in register(ledger, filters, as_of=as_of):
        yield fmt.from_record(record, redact=redact)


def columns(kind: str) -> list[str]:
    return list(module(kind).COLUMNS)
