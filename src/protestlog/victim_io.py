"""Victim lists in and out: CSV, TSV, JSON and NDJSON, idempotent by external id, all or nothing.

The columns are those of a published victim list (and of `victim export`):
external_id, incident_external_id, name, other_names (';'-separated), age ('17' or '20-25'), sex,
minor (yes/no), date_injured, date_of_death, region, place, cause, role, direct, responsible,
unit, confidence, source, url, accessed, note — plus description, incident (a record id) and
sources (a JSON list), and the metadata an export carries, which is ignored.
"""

import json

from protestlog.errors import FieldError
from protestlog.external_ids import spellings
from protestlog.file_repeats import Repeats
from protestlog.importer import (
    MAX_ERRORS_SHOWN, HashingReader, Problems, Schema, detect_format, open_source, rows,
)
from protestlog.victim_store import (
    VictimAppender, current_victims, prepare, victim_fingerprint,
)
from protestlog.victims import VICTIM_FIELDS, age_text

INPUT_COLUMNS = ("external_id", "incident_external_id", "name", "other_names", "age", "sex", "minor",
                 "date_injured", "date_of_death", "region", "place", "cause", "role", "direct", "responsible",
                 "unit", "confidence", "source", "url", "accessed", "note")
EXPORT_COLUMNS = ["id", "external_id", "incident", "incident_external_id", "name", "other_names", "description",
                  "age", "sex", "minor", "date_injured", "date_of_death", "region", "place", "cause", "role",
                  "direct", "responsible", "unit", "confidence", "sources", "note", "recorded_at", "recorded_by"]
REDACTED = ("other_names", "description", "note", "recorded_by")
VICTIMS = Schema(set(INPUT_COLUMNS) | {"description", "incident", "sources", "age_low", "age_high"},
                 {"id", "revision", "action", "recorded_at", "recorded_by", "reason", "seq", "hash", "victim_id",
                  "incident_date", "status"},
                 "a victim list has external_id, incident_external_id, name, age, sex, date_of_death, ...")


def looks_like_victims(path: str, fmt: str) -> bool:
    """Whether a file holds victims rather than incidents: judged by its first header or object."""
    if path == "-":
        return False
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            if fmt in ("csv", "tsv"):
                first = f.readline()
                keys = {k.strip().strip('"').lower() for k in first.split("," if fmt == "csv" else "\t")}
            else:
                head = f.read(4096)
                keys = set(_keys_in(head))
    except OSError:
        return False
    return "killed" not in keys and bool(keys & {"incident_external_id", "date_of_death", "other_names"})


def _keys_in(text: str):
    import re

    return [k.lower() for k in re.findall(r'"([A-Za-z_ -]+)"\s*:', text)]


def import_victims(ledger, path: str, *, fmt: str | None = None, today, by: str | None = None,
                   dry_run: bool = False) -> dict:
    """Add every new victim of a file, or nothing at all. A known external id is already present;
    one given twice in the file with different content rejects the file (see file_repeats)."""
    fmt = detect_format(path, fmt)
    source = open_source(path)
    hashing = HashingReader(source)
    result = {"file": path, "format": fmt, "kind": "victims", "rows": 0, "added": 0, "already_present": 0,
              "rejected": 0, "ids": [], "differs": [], "errors": [], "dry_run": dry_run}
    find = ("SELECT victim_id, fingerprint FROM victim_entries WHERE external_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY seq DESC LIMIT 1")  # its NFC spelling, or the NFD an older release may have stored
    try:
        with ledger.writing():
            db = ledger.db
            appender = VictimAppender(ledger, by=by)
            problems, repeats = Problems(result), Repeats(db)
            for line, raw in rows(hashing, fmt, VICTIMS):
                result["rows"] += 1
                try:
                    if isinstance(raw, FieldError):
                        raise raw
                    victim = prepare(ledger, raw, today=today)
                    print_ = victim_fingerprint(victim)
                    for repeat in repeats.check([(line, victim["external_id"], print_)]):
                        raise repeat
                except FieldError as exc:
                    problems.reject(line, exc)
                    continue
                if result["rejected"]:
                    continue
                if victim["external_id"]:
                    known = db.execute(find, (json.dumps(spellings(victim["external_id"])),)).fetchone()
                else:
                    known = db.execute("SELECT victim_id, fingerprint FROM victim_entries WHERE fingerprint = ? "
                                       "LIMIT 1", (print_,)).fetchone()
                if known:
                    result["already_present"] += 1
                    if known["fingerprint"] != print_ and len(result["differs"]) < MAX_ERRORS_SHOWN:
                        result["differs"].append({"line": line, "external_id": victim["external_id"],
                                                  "victim": known["victim_id"]})
                    continue
                entry = appender.append(victim)
                result["ids"] = [result["ids"][0] if result["ids"] else entry["victim_id"], entry["victim_id"]]
                result["added"] += 1
            repeats.close()
            if result["rejected"]:
                result["added"], result["already_present"], result["ids"] = 0, 0, []
                problems.raise_rejected()
            result["sha256"] = hashing.sha.hexdigest()
            if dry_run:
                raise _DryRun()
    except _DryRun:
        result["ids"] = []
    finally:
        if path != "-":
            source.close()
    return result


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def victim_row(v: dict) -> dict:
    """A victim as a flat row: the columns a victim list uses, age as text, minor as yes/no."""
    row = {"id": v["victim_id"], "incident": v.get("incident_id"),
           "incident_external_id": v.get("incident_external_id"),
           "age": age_text(v.get("age_low"), v.get("age_high")),
           "minor": {1: "yes", 0: "no"}.get(v.get("minor"))}
    for f in VICTIM_FIELDS:
        if f not in ("incident_id", "age_low", "age_high", "minor"):
            row[f] = v.get(f)
    row["other_names"] = ";".join(v.get("other_names") or []) or None
    row["recorded_at"], row["recorded_by"] = v.get("recorded_at"), v.get("recorded_by")
    return row


def redact_row(row: dict, redactor) -> dict:
    """Names become victim ids; descriptions, notes, other spellings and recorders are dropped."""
    out = {k: v for k, v in row.items() if k not in REDACTED}
    out["name"] = f"victim {row['id']}" if row.get("name") else None
    out["sources"] = redactor.scrub_sources(row.get("sources") or [])
    for k in ("place", "unit"):
        out[k] = redactor.scrub(out.get(k))
    return out


def export_victims(ledger, *, as_of: str | None = None, redact: bool = False):
    """Current victims in date order (retracted ones left out), as rows `import` reads back."""
    redactor = None
    if redact:
        from protestlog.redaction import Redactor

        redactor = Redactor.from_ledger(ledger)
    for v in current_victims(ledger, as_of=as_of):
        row = victim_row(v)
        yield redact_row(row, redactor) if redactor else row


def export_columns(redact: bool) -> list[str]:
    return [c for c in EXPORT_COLUMNS if not (redact and c in REDACTED)]
