"""Exporting current records (or every revision) in a form `import` reads back.

CSV and TSV cells that a spreadsheet would run as a formula (starting with =, +, -, @,
tab or carriage return) are prefixed with a single quote by the one CSV/TSV writer
(output.write_delimited, for every command), as OWASP advises against CSV injection;
`import` removes that quote again, so export -> import round-trips exactly. --raw turns
the guard off. `redact=True` leaves out names and free text (notes,
reasons, who recorded) for publication, and scrubs the names of recorded victims from what is left
(source titles, URLs, places): see redaction.py.
"""

from protestlog.ledger import Ledger, row_to_entry
from protestlog.records import FIELDS
from protestlog.reports import Filters

REDACTED = ("note", "recorded_by", "reason")
HISTORY_COLUMNS = ("seq", "revision", "action", "reason", "hash")


def export_columns(*, include_history: bool, redact: bool) -> list[str]:
    columns = ["id"] + list(FIELDS) + ["recorded_at", "recorded_by"]
    if include_history:
        columns = ["seq", "id", "revision", "action", "reason"] + list(FIELDS) + ["recorded_at", "recorded_by", "hash"]
    return [c for c in columns if not (redact and c in REDACTED)]


def export_rows(ledger: Ledger, filters: Filters, *, as_of: str | None = None, include_history: bool = False,
                redact: bool = False):
    """Yield export rows: current records in date order, or every entry in ledger order."""
    cut = ledger.cut(as_of)
    where, fparams = filters.where()
    if include_history:
        bound = " AND seq <= ?" if cut is not None else ""
        sql = f"SELECT * FROM entries{where or ' WHERE 1'}{bound} ORDER BY seq"
        params = fparams + ([cut] if cut is not None else [])
    else:
        base, params = ledger.current_sql(cut)
        sql = f"SELECT * FROM ({base}){where} ORDER BY date, record_id"
        params = params + fparams
    columns = export_columns(include_history=include_history, redact=redact)
    redactor = None
    if redact:  # names of victims recorded in the ledger also leave source titles, URLs and places
        from protestlog.redaction import Redactor

        redactor = Redactor.from_ledger(ledger)
    for row in ledger.db.execute(sql, params):
        entry = row_to_entry(row)
        entry["id"] = entry["record_id"]
        out = {c: entry.get(c) for c in columns}
        if redactor:
            out = {c: redactor.scrub_sources(v) if c == "sources" else redactor.scrub(v) for c, v in out.items()}
        yield out

