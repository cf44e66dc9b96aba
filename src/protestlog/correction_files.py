"""A file of corrections, applied as amend/retract entries: the public record's own revisions kept as history.

A published count changes after the fact (a victim withdrawn, a figure revised). Shipping the data as
first reported plus a file of the corrections that followed, each with its date, reason and source,
lets `show` tell the story instead of hiding it in a final figure. Applying is all or nothing, and
idempotent: a correction whose result the record already shows is counted as already applied.
"""

import csv
import json
from pathlib import Path

from protestlog.corrections import find_record, latest
from protestlog.dates import parse_day
from protestlog.errors import FieldError, LedgerError
from protestlog.external_ids import keep_stored_spelling
from protestlog.ledger import Ledger
from protestlog.records import FIELDS, make_source, parse_sources, validate
from protestlog.victims import VICTIM_FIELDS

COLUMNS = ("external_id", "action", "announced", "changes", "reason", "source", "url", "accessed", "sources",
           "record")
ACTIONS = ("amend", "retract")
RECORDS = ("incident", "victim")  # what the external id names; incident when the column is absent or blank


class CorrectionsRejected(LedgerError):
    """Some correction could not be applied; nothing was written."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        if len(errors) == 1:
            super().__init__(errors[0] + " (nothing was applied)")
        else:  # the CLI prints each problem first, in file order; this line closes the list
            super().__init__(f"{len(errors)} problems in the corrections file; nothing was applied")


def read_corrections(path: str | Path, *, today) -> list[dict]:
    """Parse and check every row; raise CorrectionsRejected listing each bad line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in ("external_id", "action", "announced", "reason", "source") if c not in header]
            unknown = [c for c in header if c not in COLUMNS]
            if missing or unknown:
                problem = f"missing columns {missing}" if missing else f"unknown columns {unknown}"
                raise LedgerError(f"{path}: {problem}; expected {', '.join(COLUMNS)}")
            rows, errors = [], []
            for line, raw in enumerate(reader, start=2):
                if None in raw or any(v is None for v in raw.values()):
                    errors.append(f"line {line}: the row has a different number of cells from the header")
                    continue
                try:
                    rows.append(_parse(raw, line, today))
                except FieldError as exc:
                    errors.append(f"line {line}: {exc}")
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LedgerError(f"{path} is not a UTF-8 CSV file: {exc}") from None
    if errors:
        raise CorrectionsRejected(errors)
    return rows


def _parse(raw: dict, line: int, today) -> dict:
    raw = {k.strip(): (v or "").strip() for k, v in raw.items()}
    record = (raw.get("record") or "incident").lower()
    if record not in RECORDS:
        raise FieldError("record", raw["record"], "must be one of: " + ", ".join(RECORDS))
    action = raw["action"].lower()
    if action not in ACTIONS:
        raise FieldError("action", raw["action"], "must be one of: " + ", ".join(ACTIONS))
    if not raw["external_id"]:
        raise FieldError("external_id", "", "is required")
    if not raw["reason"]:
        raise FieldError("reason", "", "a correction needs a reason")
    announced = parse_day(raw["announced"], "announced", today=today).isoformat()
    changes = {}
    if action == "amend":
        try:
            changes = json.loads(raw.get("changes") or "")
        except ValueError:
            raise FieldError("changes", raw.get("changes"), "must be a JSON object of field: value") from None
        if not isinstance(changes, dict) or not changes:
            raise FieldError("changes", raw.get("changes"), "must be a non-empty JSON object of field: value")
        allowed = set(FIELDS) if record == "incident" else set(VICTIM_FIELDS) - {"incident_id"}
        allowed |= {"age"} if record == "victim" else set()
        bad = sorted(set(changes) - allowed | ({"sources", "external_id"} & set(changes)))
        if bad:
            raise FieldError("changes", bad[0], "is not a field a correction may change")
    elif raw.get("changes"):
        raise FieldError("changes", raw["changes"], "a retraction changes no fields")
    sources = [make_source(raw["source"], raw.get("url"), raw.get("accessed") or None, today=today)]
    sources += parse_sources(raw.get("sources"), today=today)
    reason = f"{announced}: {raw['reason']}"
    if action == "retract":  # a retraction adds no source to the record, so its reason names it
        reason += f" (source: {sources[0]['name']}" + (f", {sources[0]['url']})" if sources[0].get("url") else ")")
    return {"line": line, "record": record, "external_id": raw["external_id"], "action": action,
            "announced": announced, "changes": changes, "reason": reason, "sources": sources}


def apply_corrections(ledger: Ledger, corrections: list[dict], *, today, by: str | None = None,
                      dry_run: bool = False) -> dict:
    """Append one entry per correction not yet applied, inside one transaction: incidents in file
    order, then victims in file order (each kind has its own appender)."""
    result = {"corrections": len(corrections), "applied": 0, "already_applied": 0, "records": [], "victims": [],
              "dry_run": dry_run}
    errors = []
    with ledger.writing():
        append = ledger.appender(by=by)
        for c in (c for c in corrections if c["record"] == "incident"):
            try:
                record_id = find_record(ledger, c["external_id"])
            except LedgerError as exc:
                errors.append(f"line {c['line']}: {exc}")
                continue
            current = latest(ledger, record_id)
            if c["action"] == "retract":
                if current["action"] == "retract":
                    result["already_applied"] += 1
                    continue
                record = {f: current[f] for f in FIELDS}
            else:
                raw = {f: current[f] for f in FIELDS}
                raw.update(c["changes"])
                raw["sources"] = current["sources"] + [s for s in c["sources"] if not _cited(current, s)]
                raw["external_id"] = None  # a correction never changes it: kept as stored
                try:
                    record = validate(raw, today=today)
                except FieldError as exc:
                    errors.append(f"line {c['line']}: {exc}")
                    continue
                keep_stored_spelling(record, current, c["changes"])
                if current["action"] != "retract" and all(record[f] == current[f] for f in FIELDS):
                    result["already_applied"] += 1
                    continue
            if not dry_run:
                append(record, action=c["action"], record_id=record_id, revision=current["revision"] + 1,
                       reason=c["reason"])
            result["applied"] += 1
            result["records"].append(record_id)
        victims = [c for c in corrections if c["record"] == "victim"]
        if victims:
            _apply_to_victims(ledger, victims, result, errors, today=today, by=by, dry_run=dry_run)
        if errors:
            raise CorrectionsRejected(errors)  # rolls the transaction back
    return result


def _apply_to_victims(ledger: Ledger, corrections: list[dict], result: dict, errors: list, *, today, by,
                      dry_run: bool) -> None:
    """The same rules for victim records: a retraction or amendment citing its source, once."""
    from protestlog.victim_store import VictimAppender, find_victim, latest_victim, prepare

    append = None
    for c in corrections:
        try:
            victim_id = find_victim(ledger, c["external_id"])
        except LedgerError as exc:
            errors.append(f"line {c['line']}: {exc} (import the victim list before the corrections)")
            continue
        current = latest_victim(ledger, victim_id)
        if c["action"] == "retract":
            if current["action"] == "retract":
                result["already_applied"] += 1
                continue
            victim = {f: current[f] for f in VICTIM_FIELDS}
        else:
            if current["action"] == "retract":
                errors.append(f"line {c['line']}: victim {victim_id} is retracted; restore it before amending")
                continue
            raw = {f: current[f] for f in VICTIM_FIELDS}
            if "age" in c["changes"]:
                raw.pop("age_low"), raw.pop("age_high")
            raw.update(c["changes"])
            raw["sources"] = current["sources"] + [s for s in c["sources"] if not _cited(current, s)]
            raw["external_id"] = None  # a correction never changes it: kept as stored
            try:
                victim = prepare(ledger, raw, today=today)
            except FieldError as exc:
                errors.append(f"line {c['line']}: {exc}")
                continue
            keep_stored_spelling(victim, current, c["changes"])
            if all(victim[f] == current[f] for f in VICTIM_FIELDS):
                result["already_applied"] += 1
                continue
        if not dry_run:
            append = append or VictimAppender(ledger, by=by)
            append.append(victim, action=c["action"], victim_id=victim_id, revision=current["revision"] + 1,
                          reason=c["reason"])
        result["applied"] += 1
        result["victims"].append(victim_id)


def _cited(record: dict, source: dict) -> bool:
    """A source counts as cited when its name and URL are already there, whatever day it was read."""
    return any(s.get("name") == source.get("name") and s.get("url") == source.get("url")
               for s in record["sources"])
