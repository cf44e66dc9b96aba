"""Corrections as new entries: amend, retract, add a source. Nothing is changed in place.

Each correction reads the record's latest entry and appends a new revision inside the
same write transaction, so two people correcting one record at once both land, in order.
"""

from protestlog.errors import FieldError, LedgerError, UsageProblem
from protestlog.external_ids import keep_stored_spelling, normal, refused_character, spellings
from protestlog.ledger import Ledger, row_to_entry
from protestlog.records import FIELDS, RANGED, make_source, refuse_control, validate


def find_record(ledger: Ledger, ref) -> int:
    """A record by its id, or by the external id it was imported with."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit():
        if len(text) > 18:  # beyond SQLite's integers: no such record (and no 4,300-digit int())
            raise LedgerError(f"no record with id {text[:20]}…")
        record_id = int(text)
        if ledger.db.execute("SELECT 1 FROM entries WHERE record_id = ? LIMIT 1", (record_id,)).fetchone():
            return record_id
        raise LedgerError(f"no record with id {record_id}")
    ids = external_id_holders(ledger, text)
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise LedgerError(f"no record with id or external id {text!r}{_why_not(text)}")
    raise LedgerError(f"external id {text!r} matches records {', '.join(map(str, ids))}; use the number")


def external_id_holders(ledger: Ledger, text: str, *, kind: str = "record") -> list[int]:
    """The records (or victims) whose latest entry has this external id, retracted ones included:
    an id once held and since amended away no longer names its old holder."""
    table, column = ("entries", "record_id") if kind == "record" else ("victim_entries", "victim_id")
    latest_of = _latest_of(kind)
    forms = spellings(text)  # a stored NFD spelling is the same id (external_ids.py)
    candidates = [r[0] for r in ledger.db.execute(
        f"SELECT DISTINCT {column} FROM {table} WHERE external_id IN ({', '.join('?' * len(forms))})", forms)]
    wanted = normal(text)
    return [i for i in candidates if normal(latest_of(ledger, i)["external_id"]) == wanted]


def _why_not(text: str) -> str:
    """What makes a looked-up id one no record can have: said with the 'not found' line."""
    wrong = refused_character(text)
    return f"; no external id may contain {wrong}" if wrong else ""


def refuse_reused_external_id(ledger: Ledger, external_id, *, kind: str = "record", own_id: int | None = None):
    """One external id names one record (or victim): a second one would make imports, exports and
    corrections that name it ambiguous. Retracted ones keep theirs (restore them instead)."""
    if not external_id:
        return
    taken = [i for i in external_id_holders(ledger, external_id, kind=kind) if i != own_id]
    if taken:
        other = taken[0]
        retracted = _latest_of(kind)(ledger, other)["action"] == "retract"
        command = "amend" if kind == "record" else "victim amend"
        hint = (f"restore it ('protestlog {command.replace('amend', 'restore')} {other}')" if retracted
                else f"amend it ('protestlog {command} {other}')")
        raise LedgerError(f"external id {external_id!r} is already {kind} {other}"
                          f"{' (retracted)' if retracted else ''}; {hint} or give another id")


def _latest_of(kind: str):
    if kind == "record":
        return latest
    from protestlog.victim_store import latest_victim  # victim_store imports this module

    return latest_victim


def latest(ledger: Ledger, record_id: int) -> dict:
    row = ledger.db.execute("SELECT * FROM entries WHERE record_id = ? ORDER BY seq DESC LIMIT 1",
                            (record_id,)).fetchone()
    if row is None:
        raise LedgerError(f"no record with id {record_id}")
    return row_to_entry(row)


def _require_reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise FieldError("reason", reason, "a correction needs a reason")
    if "\x00" in reason or len(reason) > 2_000:
        raise FieldError("reason", reason, "must be plain text of at most 2000 characters")
    refuse_control("reason", reason, reason, multiline=True)
    return reason.strip()


def amend(ledger: Ledger, ref, changes: dict, *, reason: str, today, by: str | None = None) -> dict:
    """A new revision with some fields changed. An empty string clears an optional field.

    The whole record is validated again, so an amendment cannot make minors exceed killed.
    Amending a retracted record restores it (the retraction stays in its history).
    """
    reason = _require_reason(reason)
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise UsageProblem("give at least one field to change (e.g. --killed 18)")
    with ledger.writing():
        record_id = find_record(ledger, ref)
        current = latest(ledger, record_id)
        raw = {f: current[f] for f in FIELDS}
        raw["sources"] = current["sources"]
        for field in RANGED:  # a new figure replaces the old wording ('dozens' no longer describes 61)
            if field in changes and f"{field}_reported" not in changes:
                raw[f"{field}_reported"] = None
        raw.update(changes)
        if "external_id" not in changes:
            raw["external_id"] = None  # kept as stored (keep_stored_spelling)
        record = validate(raw, today=today)
        keep_stored_spelling(record, current, changes)
        refuse_reused_external_id(ledger, record["external_id"], own_id=record_id)
        if all(record[f] == current[f] for f in FIELDS) and current["action"] != "retract":
            raise LedgerError(f"record {record_id} already says that; nothing to change")
        return ledger.appender(by=by)(record, action="amend", record_id=record_id,
                                      revision=current["revision"] + 1, reason=reason)


def retract(ledger: Ledger, ref, *, reason: str, by: str | None = None) -> dict:
    """Withdraw a record from totals; it stays in the ledger and in `show`."""
    reason = _require_reason(reason)
    with ledger.writing():
        record_id = find_record(ledger, ref)
        current = latest(ledger, record_id)
        if current["action"] == "retract":
            raise LedgerError(f"record {record_id} is already retracted")
        record = {f: current[f] for f in FIELDS}
        return ledger.appender(by=by)(record, action="retract", record_id=record_id,
                                      revision=current["revision"] + 1, reason=reason)


def restore(ledger: Ledger, ref, *, reason: str, by: str | None = None) -> dict:
    """Bring a retracted record back into totals, as it stood: a new revision (the retraction stays)."""
    reason = _require_reason(reason)
    with ledger.writing():
        record_id = find_record(ledger, ref)
        current = latest(ledger, record_id)
        if current["action"] != "retract":
            raise LedgerError(f"record {record_id} is not retracted; nothing to restore")
        record = {f: current[f] for f in FIELDS}
        return ledger.appender(by=by)(record, action="amend", record_id=record_id,
                                      revision=current["revision"] + 1, reason=f"restored: {reason}")


def add_source(ledger: Ledger, ref, *, name, url, accessed=None, reason: str | None = None, today,
               by: str | None = None) -> dict:
    source = make_source(name, url, accessed, today=today)
    with ledger.writing():
        record_id = find_record(ledger, ref)
        current = latest(ledger, record_id)
        if current["action"] == "retract":
            raise LedgerError(f"record {record_id} is retracted; amend it first to restore it")
        if source in current["sources"]:
            raise LedgerError(f"record {record_id} already cites that source")
        record = {f: current[f] for f in FIELDS}
        record["sources"] = current["sources"] + [source]
        return ledger.appender(by=by)(record, action="amend", record_id=record_id,
                                      revision=current["revision"] + 1,
                                      reason=(reason or "").strip() or f"source added: {source['name']}")


def changes_between(old: dict | None, new: dict) -> dict:
    """What a revision changed: {field: [old, new]}."""
    if old is None:
        return {}
    return {f: [old.get(f), new.get(f)] for f in FIELDS if old.get(f) != new.get(f)}


def retract_batch(ledger: Ledger, batch: int, *, reason: str, by: str | None = None) -> list[int]:
    """Retract every record an import batch added that is not retracted already, in one transaction."""
    reason = _require_reason(reason)
    with ledger.writing():
        if not ledger.db.execute("SELECT 1 FROM imports WHERE id = ?", (batch,)).fetchone():
            raise LedgerError(f"no import batch {batch}")
        ids = [r[0] for r in ledger.db.execute(
            "SELECT DISTINCT record_id FROM entries WHERE batch_id = ? ORDER BY record_id", (batch,))]
        append = ledger.appender(by=by)
        done = []
        for record_id in ids:
            current = latest(ledger, record_id)
            if current["action"] == "retract":
                continue
            append({f: current[f] for f in FIELDS}, action="retract", record_id=record_id,
                   revision=current["revision"] + 1, reason=f"batch {batch} retracted: {reason}")
            done.append(record_id)
    return done
