"""ACLED (Armed Conflict Location & Event Data) exports: columns, conventions and the mapping rules.

Every rule here is in the README's ACLED table. ACLED codes events, not people: an event's
`fatalities` is one best figure, with no range, no injured and no detained; `event_type`,
`sub_event_type` and the actors tell who confronted whom.
"""

import datetime as dt
import re

from protestlog.errors import FieldError
from protestlog.interop import collect, source_names
from protestlog.records import FIELDS

NAME = "ACLED"
# ACLED's export columns, in ACLED's order (export writes all of them; import reads those mapped below).
COLUMNS = ("event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
           "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
           "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
           "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
           "fatalities", "tags", "timestamp")
REQUIRED = ("event_id_cnty", "event_date", "admin1", "fatalities")
# protestlog field -> the ACLED column an error names.
COLUMN_OF = {"external_id": "event_id_cnty", "date": "event_date", "date_precision": "time_precision",
             "region": "admin1", "province": "admin2", "place": "location", "killed": "fatalities",
             "note": "notes", "source": "source", "sources": "source", "circumstance": "sub_event_type",
             "group": "sub_event_type", "responsible": "actor1"}

PRECISION = {"1": "day", "2": "week", "3": "month"}
PRECISION_CODE = {v: k for k, v in PRECISION.items()}
EXCESSIVE_FORCE = "excessive force against protesters"
FORCES = (("police forces of", "police"), ("military forces of", "army"))
PERU_ISO = "604"


MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
DAY_SHAPES = (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), re.compile(r"\d{1,2}[ -]([A-Za-z]+)[ -]\d{4}"))


def acled_day(value: str) -> str:
    """`09 January 2023` (ACLED's CSV export) or `2023-01-09` (its API) -> ISO day."""
    text = " ".join(value.split())
    for pattern in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    if _has_a_day_shape(text):  # '31 February 2023': ACLED's form, but no such day
        raise FieldError("event_date", value, "not a real calendar date")
    raise FieldError("event_date", value, "expected ACLED's '09 January 2023' or 2023-01-09")


def _has_a_day_shape(text: str) -> bool:
    iso, words = (shape.fullmatch(text) for shape in DAY_SHAPES)
    return bool(iso) or bool(words and any(m.startswith(words.group(1).lower()) and len(words.group(1)) >= 3
                                           for m in MONTHS))


def id_label(external_id: str) -> tuple[str, str]:
    """An external id as an ACLED file names it."""
    return "event_id_cnty", external_id


def state_force(actor: str) -> str | None:
    """ACLED names state forces 'Police Forces of Peru (2022-)', 'Military Forces of Peru (2022-)'."""
    low = actor.lower()
    for prefix, force in FORCES:
        if low.startswith(prefix):
            return "navy" if force == "army" and re.search(r"\b(navy|marina)\b", low) else force
    return None


def to_record(row: dict, problems: list) -> dict:
    """One ACLED row -> the raw fields of a protestlog record (validated by the caller). What
    cannot be mapped is added to `problems`, so the row's other columns are still checked."""
    event_type = (row.get("event_type") or "").strip().lower()
    sub_event = (row.get("sub_event_type") or "").strip().lower()
    actors = [row.get("actor1") or "", row.get("actor2") or ""]
    forces = [state_force(a) for a in actors]
    precision = (row.get("time_precision") or "").strip() or "1"
    if precision not in PRECISION:
        problems.append(FieldError("time_precision", precision, "must be ACLED's 1 (day), 2 (week) or 3 (month)"))
    record = {
        "external_id": row.get("event_id_cnty"),
        "date": collect(problems, acled_day, row.get("event_date") or ""),
        "date_precision": PRECISION.get(precision, "day"),
        "region": row.get("admin1"),
        "province": row.get("admin2") or None,
        "place": row.get("location") or row.get("admin3") or None,
        "killed": row.get("fatalities"),
        "note": row.get("notes") or None,
        "sources": [{"name": name} for name in _source_names(row.get("source") or "")],
    }
    if not (row.get("event_id_cnty") or "").strip():
        problems.append(FieldError("event_id_cnty", "", "is required (it makes re-imports idempotent)"))
    # Who died, and in what circumstance, only where ACLED's coding says so.
    if sub_event == EXCESSIVE_FORCE or (event_type in ("protests", "riots") and any(forces)):
        record["circumstance"] = "clash with security forces"
    if sub_event == EXCESSIVE_FORCE or event_type == "violence against civilians":
        record["group"] = "civilian"
        if forces[0] and "responsible" in FIELDS:  # issue 14's alleged responsible force, once it exists
            record["responsible"] = forces[0]
    return record


def _source_names(text: str) -> list[str]:
    names, seen = [], set()
    for part in text.split(";"):
        name = " ".join(part.split())
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


def from_record(record: dict, *, redact: bool = False) -> dict:
    """A protestlog record -> one ACLED row (see the README for what each column holds)."""
    group, circumstance = record.get("group"), record.get("circumstance")
    responsible = record.get("responsible")
    force = {"police": "Police Forces of Peru", "army": "Military Forces of Peru",
             "navy": "Military Forces of Peru (Navy)"}.get(responsible or "", "")
    if circumstance == "clash with security forces" and group == "civilian":
        kind = ("Demonstrations", "Protests", "Excessive force against protesters", force, "Protesters (Peru)")
    elif circumstance == "clash with security forces":
        kind = ("Demonstrations", "Riots", "Violent demonstration", "Rioters (Peru)",
                force or "Police Forces of Peru")
    elif circumstance == "blockade-related accident":
        kind = ("Strategic developments", "Strategic developments", "Other", "Protesters (Peru)", "")
    else:
        kind = ("Demonstrations", "Riots", "Violent demonstration", "Rioters (Peru)", "")
    recorded = dt.datetime.fromisoformat(record["recorded_at"].replace("Z", "+00:00"))
    day = dt.date.fromisoformat(record["date"])
    return {
        "event_id_cnty": record.get("external_id") or f"protestlog-{record['id']}",
        "event_date": record["date"], "year": day.year,
        "time_precision": PRECISION_CODE[record.get("date_precision") or "day"],
        "disorder_type": kind[0], "event_type": kind[1], "sub_event_type": kind[2],
        "actor1": kind[3], "assoc_actor_1": "", "inter1": "", "actor2": kind[4], "assoc_actor_2": "",
        "inter2": "", "interaction": "", "civilian_targeting": "",
        "iso": PERU_ISO, "region": "South America", "country": "Peru",
        "admin1": record["region"], "admin2": record.get("province") or "", "admin3": "",
        "location": record.get("place") or "", "latitude": "", "longitude": "", "geo_precision": "",
        "source": "; ".join(source_names(record)),
        "source_scale": "", "notes": "" if redact else (record.get("note") or ""),
        "fatalities": record["killed"], "tags": "", "timestamp": int(recorded.timestamp()),
    }
