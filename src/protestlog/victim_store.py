"""Victim records in the ledger: an append-only table of revisions, like `entries` for incidents.

Every change to a victim (create, amend, retract, restore) is a new row of `victim_entries`;
triggers refuse UPDATE and DELETE. Each row is appended to the one chain (chain.py), so the
ledger's one published head hash pins victims too. Corrections read the latest revision and
append the next inside one write transaction, so two people correcting one victim both land.
"""

import json
import sqlite3

from protestlog import dates
from protestlog.errors import FieldError, LedgerError, UsageProblem
from protestlog.external_ids import keep_stored_spelling
from protestlog.ledger import Ledger, canonical_json, who
from protestlog.records import blank
from protestlog.victims import VICTIM_FIELDS, validate_victim

META = ("seq", "victim_id", "revision", "action", "recorded_at", "recorded_by", "reason")
JSON_FIELDS = ("other_names", "sources")


def has_victims_table(db) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'victim_entries'").fetchone() is not None


def row_to_victim(row) -> dict:
    v = dict(row)
    for field in JSON_FIELDS:
        if isinstance(v.get(field), str):
            v[field] = json.loads(v[field])
    return v


def victim_fingerprint(v: dict) -> str:
    """What makes two rows the same person record: every field but the external id and access days."""
    import hashlib

    content = {f: v.get(f) for f in VICTIM_FIELDS if f not in ("external_id", "sources")}
    content["sources"] = sorted([s.get("name") or "", s.get("url") or ""] for s in v.get("sources") or [])
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _chain(db, seq: int) -> None:
    """Append the victim entry to the one chain (chain.py: kind 'victim', table victim_entries, key seq)."""
    from protestlog import chain

    chain.append_chained(db, "victim", seq)


def _stamp(db) -> str:
    """Recording times never go backwards along the ledger, across every chained kind (chain.now)."""
    from protestlog import chain

    return chain.now(db)


class VictimAppender:
    """Appends victim entries inside one `ledger.writing()` transaction; keeps ids and time in memory."""

    def __init__(self, ledger: Ledger, *, by: str | None = None):
        self.db = ledger.db
        self.next_id = self.db.execute("SELECT COALESCE(MAX(victim_id), 0) + 1 FROM victim_entries").fetchone()[0]
        self.stamp, self.recorder = _stamp(self.db), who(by)

    def append(self, victim: dict, *, action: str = "create", victim_id: int | None = None, revision: int = 1,
               reason: str | None = None, batch_id: int | None = None) -> dict:
        new = victim_id is None
        entry = {"victim_id": self.next_id if new else victim_id, "revision": revision, "action": action,
                 "recorded_at": self.stamp, "recorded_by": self.recorder, "reason": reason}
        for f in VICTIM_FIELDS:
            entry[f] = victim.get(f)
        for f in JSON_FIELDS:
            entry[f] = canonical_json(victim.get(f) or [])
        entry["batch_id"] = batch_id
        entry["fingerprint"] = None if action == "retract" else victim_fingerprint(victim)
        columns = [c for c in entry]
        try:
            cur = self.db.execute(f"INSERT INTO victim_entries ({', '.join(columns)}) VALUES "
                                  f"({', '.join('?' for _ in columns)})", [entry[c] for c in columns])
        except sqlite3.IntegrityError as exc:
            raise LedgerError(f"the ledger refused victim {entry['victim_id']}: {exc}") from None
        entry["seq"] = cur.lastrowid
        _chain(self.db, entry["seq"])
        if new:
            self.next_id += 1
        return row_to_victim(entry)


# ---- finding things --------------------------------------------------------------------


def find_victim(ledger: Ledger, ref) -> int:
    """A victim by id, or by the external id it was recorded with."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit():
        if len(text) > 18:  # beyond SQLite's integers (and no 4,300-digit int())
            raise LedgerError(f"no victim with id {text[:20]}…")
        if ledger.db.execute("SELECT 1 FROM victim_entries WHERE victim_id = ? LIMIT 1", (int(text),)).fetchone():
            return int(text)
        raise LedgerError(f"no victim with id {int(text)}")
    from protestlog.corrections import _why_not, external_id_holders

    ids = external_id_holders(ledger, text, kind="victim")
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise LedgerError(f"no victim with id or external id {text!r}{_why_not(text)}")
    raise LedgerError(f"external id {text!r} matches victims {', '.join(map(str, ids))}; use the number")


def latest_victim(ledger: Ledger, victim_id: int) -> dict:
    row = ledger.db.execute("SELECT * FROM victim_entries WHERE victim_id = ? ORDER BY seq DESC LIMIT 1",
                            (victim_id,)).fetchone()
    if row is None:
        raise LedgerError(f"no victim with id {victim_id}")
    return row_to_victim(row)


def resolve_incident(ledger: Ledger, ref, field: str = "incident") -> int | None:
    """An incident by record id or external id; None for an empty reference (a standalone victim)."""
    if blank(ref):
        return None
    from protestlog.corrections import find_record

    try:
        return find_record(ledger, ref)
    except LedgerError as exc:
        raise FieldError(field, ref, str(exc)) from None


def victim_cut(ledger: Ledger, as_of: str | None) -> int | None:
    if as_of is None:
        return None
    return ledger.db.execute("SELECT COALESCE(MAX(seq), 0) FROM victim_entries WHERE recorded_at <= ?",
                             (as_of,)).fetchone()[0]


def current_victims_sql(cut: int | None) -> tuple[str, list]:
    """The latest revision of every victim that is not retracted, within a cut."""
    bound = " WHERE seq <= ?" if cut is not None else ""
    return (f"SELECT * FROM victim_entries WHERE action != 'retract' AND seq IN "
            f"(SELECT MAX(seq) FROM victim_entries{bound} GROUP BY victim_id)"), ([cut] if cut is not None else [])


def current_victims(ledger: Ledger, *, as_of: str | None = None, incident_id: int | None = None) -> list[dict]:
    """Current victims with their linked incident's date, region and status (for reports and checks)."""
    if not has_victims_table(ledger.db):
        return []
    base, params = current_victims_sql(victim_cut(ledger, as_of))
    where = " WHERE v.incident_id = ?" if incident_id is not None else ""
    incidents, iparams = ledger.current_sql(ledger.cut(as_of))
    sql = (f"SELECT v.*, i.date AS incident_date, i.region AS incident_region, i.external_id AS "
           f"incident_external_id FROM ({base}) v LEFT JOIN ({incidents}) i ON i.record_id = v.incident_id"
           f"{where} ORDER BY COALESCE(v.date_of_death, v.date_injured, i.date), v.victim_id")
    rows = ledger.db.execute(sql, params + iparams + ([incident_id] if incident_id is not None else []))
    return [row_to_victim(r) for r in rows]


def victim_history(ledger: Ledger, victim_id: int, *, as_of: str | None = None) -> list[dict]:
    cut = victim_cut(ledger, as_of)
    sql = "SELECT * FROM victim_entries WHERE victim_id = ?" + (" AND seq <= ?" if cut is not None else "")
    rows = ledger.db.execute(sql + " ORDER BY seq", [victim_id] + ([cut] if cut is not None else []))
    return [row_to_victim(r) for r in rows]


def victim_hash(ledger: Ledger, seq: int) -> str | None:
    """The chain hash of one victim entry (None on a ledger without the chain)."""
    try:
        row = ledger.db.execute("SELECT hash FROM chain WHERE kind = 'victim' AND ref = ?", (seq,)).fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


# ---- writing -----------------------------------------------------------------------------


def prepare(ledger: Ledger, raw: dict, *, today) -> dict:
    """Validate a victim from what a person or a file said, resolving the incident reference."""
    raw = dict(raw)
    ref = raw.pop("incident", None)
    ext = raw.pop("incident_external_id", None)
    if blank(raw.get("incident_id")):
        # An export carries both the id and the external id: the external id travels between ledgers.
        raw["incident_id"] = (resolve_incident(ledger, ext, "incident_external_id") if not blank(ext)
                              else resolve_incident(ledger, ref, "incident"))
    v = validate_victim(raw, today=today)
    if v["incident_id"] is not None and v["region"] is None:
        v["region"] = ledger.db.execute("SELECT region FROM entries WHERE record_id = ? ORDER BY seq DESC LIMIT 1",
                                        (v["incident_id"],)).fetchone()[0]
    return v


def add_victim(ledger: Ledger, raw: dict, *, today, by: str | None = None) -> dict:
    from protestlog.corrections import refuse_reused_external_id

    with ledger.writing():
        victim = prepare(ledger, raw, today=today)
        refuse_reused_external_id(ledger, victim.get("external_id"), kind="victim")
        return VictimAppender(ledger, by=by).append(victim)


def _reason(reason: str | None) -> str:
    from protestlog.corrections import _require_reason

    return _require_reason(reason)


def amend_victim(ledger: Ledger, ref, changes: dict, *, reason: str, today, by: str | None = None) -> dict:
    """A new revision with some fields changed; '' clears an optional field. Validated whole again."""
    reason = _reason(reason)
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise UsageProblem("give at least one field to change (e.g. --age 17)")
    with ledger.writing():
        victim_id = find_victim(ledger, ref)
        current = latest_victim(ledger, victim_id)
        if current["action"] == "retract":
            raise LedgerError(f"victim {victim_id} is retracted; 'victim restore {victim_id}' first")
        raw = {f: current[f] for f in VICTIM_FIELDS}
        if "age" in changes:
            raw.pop("age_low"), raw.pop("age_high")
        if "incident" in changes or "incident_external_id" in changes:
            raw.pop("incident_id")
        raw.update(changes)
        if "external_id" not in changes:
            raw["external_id"] = None  # kept as stored (external_ids.keep_stored_spelling)
        victim = prepare(ledger, raw, today=today)
        keep_stored_spelling(victim, current, changes)
        from protestlog.corrections import refuse_reused_external_id

        refuse_reused_external_id(ledger, victim.get("external_id"), kind="victim", own_id=victim_id)
        if all(victim[f] == current[f] for f in VICTIM_FIELDS):
            raise LedgerError(f"victim {victim_id} already says that; nothing to change")
        return VictimAppender(ledger, by=by).append(victim, action="amend", victim_id=victim_id,
                                                    revision=current["revision"] + 1, reason=reason)


def retract_victim(ledger: Ledger, ref, *, reason: str, by: str | None = None) -> dict:
    """Withdraw a victim record (a duplicate person, a person who does not exist); history stays."""
    reason = _reason(reason)
    with ledger.writing():
        victim_id = find_victim(ledger, ref)
        current = latest_victim(ledger, victim_id)
        if current["action"] == "retract":
            raise LedgerError(f"victim {victim_id} is already retracted")
        return VictimAppender(ledger, by=by).append({f: current[f] for f in VICTIM_FIELDS}, action="retract",
                                                    victim_id=victim_id, revision=current["revision"] + 1,
                                                    reason=reason)


def restore_victim(ledger: Ledger, ref, *, reason: str, by: str | None = None) -> dict:
    """Undo a retraction made in error, as a new entry (both stay in the history)."""
    reason = _reason(reason)
    with ledger.writing():
        victim_id = find_victim(ledger, ref)
        current = latest_victim(ledger, victim_id)
        if current["action"] != "retract":
            raise LedgerError(f"victim {victim_id} is not retracted; nothing to restore")
        return VictimAppender(ledger, by=by).append({f: current[f] for f in VICTIM_FIELDS}, action="restore",
                                                    victim_id=victim_id, revision=current["revision"] + 1,
                                                    reason=reason)


def victim_changes(old: dict | None, new: dict) -> dict:
    if old is None:
        return {}
    return {f: [old.get(f), new.get(f)] for f in VICTIM_FIELDS if old.get(f) != new.get(f)}
