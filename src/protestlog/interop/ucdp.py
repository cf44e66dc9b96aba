"""UCDP Georeferenced Event Dataset (GED): columns, conventions and the mapping rules.

GED gives a best, low and high estimate of deaths, a date span with a precision code, and
the sides of the conflict. Every rule here is in the README's UCDP table.
"""

import datetime as dt
import re

from protestlog.errors import FieldError
from protestlog.interop import collect, source_names

NAME = "UCDP GED"
COLUMNS = ("id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
           "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id",
           "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources",
           "source_article", "source_office", "source_date", "source_headline", "source_original", "where_prec",
           "where_coordinates", "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
           "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec", "date_start",
           "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low",
           "gwnoa", "gwnob")
REQUIRED = ("id", "date_start", "adm_1", "best")
COLUMN_OF = {"external_id": "id", "date": "date_start", "end_date": "date_end", "date_precision": "date_prec",
             "region": "adm_1", "province": "adm_2", "place": "where_description", "killed": "best",
             "killed_low": "low", "killed_high": "high", "source": "source_article", "sources": "source_article",
             "group": "deaths_civilians", "circumstance": "type_of_violence"}

# GED's date_prec: 1 the day, 2 within 2-6 days, 3 the week, 4 within 8-30 days or the month,
# 5 more than a month (up to a year). protestlog keeps the span itself in end_date.
PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "month"}
PRECISION_CODE = {"day": "1", "week": "3", "month": "4"}
SUFFIX = re.compile(r"\s+(department|region|province|district|municipality)$", re.I)
PERU_GW = "135"  # Gleditsch & Ward's code for Peru, GED's country_id
SOURCE_LIMIT = 500


def ged_day(value: str, column: str) -> str:
    """GED writes `2022-12-15` or `2022-12-15 00:00:00.000`."""
    text = value.strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        if re.match(r"\d{4}-\d{2}-\d{2}( |$)", text):  # GED's form, but no such day: 2023-02-31
            raise FieldError(column, value, "not a real calendar date") from None
        raise FieldError(column, value, "expected a GED date such as 2022-12-15") from None


def id_label(external_id: str) -> tuple[str, str]:
    """An external id as a GED file names it: the bare number, without protestlog's 'ucdp:'."""
    return "id", external_id.removeprefix("ucdp:")


def _count(row: dict, column: str) -> int | None:
    value = (row.get(column) or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"\d+", value):
        raise FieldError(column, value, "must be a whole number")
    return int(value)


def to_record(row: dict, problems: list) -> dict:
    """One GED row -> the raw fields of a protestlog record (validated by the caller). What
    cannot be mapped is added to `problems`, so the row's other columns are still checked."""
    precision = (row.get("date_prec") or "").strip() or "1"
    if precision not in PRECISION:
        problems.append(FieldError("date_prec", precision, "must be GED's 1, 2, 3, 4 or 5"))
    ged_id = (row.get("id") or "").strip()
    if not ged_id:
        problems.append(FieldError("id", "", "is required (it makes re-imports idempotent)"))
    start = collect(problems, ged_day, row.get("date_start") or "", "date_start")
    end = collect(problems, ged_day, row["date_end"], "date_end") if (row.get("date_end") or "").strip() else None
    best, civilians = collect(problems, _count, row, "best"), collect(problems, _count, row, "deaths_civilians")
    if civilians is not None and best is not None and civilians > best:
        problems.append(FieldError("deaths_civilians", row["deaths_civilians"], f"is more than best ({best})"))
    government = any((row.get(s) or "").lower().startswith("government of") for s in ("side_a", "side_b"))
    record = {
        # GED ids are bare numbers: namespaced so they never meet another system's ids. A row exported
        # by protestlog already carries its own external id and keeps it.
        "external_id": f"ucdp:{ged_id}" if ged_id.isdigit() else ged_id,
        "date": start, "end_date": end if end and end != start else None,
        "date_precision": PRECISION.get(precision, "day"),
        "region": SUFFIX.sub("", (row.get("adm_1") or "").strip()),
        "province": SUFFIX.sub("", (row.get("adm_2") or "").strip()) or None,
        "place": row.get("where_description") or None,
        "killed": row.get("best"), "killed_low": row.get("low") or None, "killed_high": row.get("high") or None,
        "sources": [{"name": name} for name in _sources(row.get("source_article") or "")],
    }
    if best and civilians == best:
        record["group"] = "civilian"
    if government and (row.get("type_of_violence") or "").strip() in ("1", "3"):
        record["circumstance"] = "clash with security forces"
    return record


def _sources(text: str) -> list[str]:
    names = []
    for part in text.split(";"):
        name = " ".join(part.split())
        if len(name) > SOURCE_LIMIT:
            name = name[: SOURCE_LIMIT - 1] + "…"
        if name and name not in names:
            names.append(name)
    return names


ADM_PROVINCES = {"Callao", "Lima Metropolitana"}


def from_record(record: dict, *, redact: bool = False) -> dict:
    group, circumstance = record.get("group"), record.get("circumstance")
    killed = record["killed"]
    clash = circumstance == "clash with security forces"
    external = record.get("external_id") or f"protestlog-{record['id']}"
    region = record["region"]
    day = dt.date.fromisoformat(record["date"])
    sources = source_names(record)
    row = dict.fromkeys(COLUMNS, "")
    row.update({
        "id": external[5:] if external.startswith("ucdp:") else external,
        "year": day.year, "type_of_violence": "3" if clash else "",
        "side_a": "Government of Peru" if clash else "", "side_b": "Civilians" if clash and group == "civilian" else "",
        "number_of_sources": len(sources), "source_article": "; ".join(sources),
        "where_description": record.get("place") or "",
        "adm_1": f"{region} {'province' if region in ADM_PROVINCES else 'department'}",
        "adm_2": f"{record['province']} province" if record.get("province") else "",
        "country": "Peru", "country_id": PERU_GW, "region": "Americas",
        "date_prec": PRECISION_CODE[record.get("date_precision") or "day"],
        "date_start": record["date"], "date_end": record.get("end_date") or record["date"],
        "deaths_a": killed if group in ("police", "military") else 0, "deaths_b": 0,
        "deaths_civilians": killed if group == "civilian" else 0,
        "deaths_unknown": killed if group not in ("civilian", "police", "military") else 0,
        "best": killed, "low": record.get("killed_low") if record.get("killed_low") is not None else killed,
        "high": record.get("killed_high") if record.get("killed_high") is not None else killed,
        "gwnoa": PERU_GW if clash else "",
    })
    return row
