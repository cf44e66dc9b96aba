"""The named dead, for the published report: the memorial is part of the record.

Every named victim dated in the report's range (by death, else injury, else incident), with
age, date and place of death and the sources that name them. Left out of redacted reports.
"""

from protestlog.victim_reports import victim_day
from protestlog.victim_store import current_victims
from protestlog.victims import age_text

COLUMNS = ["name", "age", "died", "place", "incident", "sources"]
CAPTION = ("Names as published by the sources cited; a record graded 'contested' is marked. "
           "Unidentified people are counted in the figures above but not listed here.")


def memorial_rows(ledger, filters, *, since, until, as_of=None) -> list[dict]:
    lo, hi = since.isoformat(), until.isoformat()
    rows = []
    for v in current_victims(ledger, as_of=as_of):
        day = victim_day(v)
        if not v.get("name") or day is None or not lo <= day <= hi:
            continue
        if filters.region and v.get("region") != filters.region:
            continue
        place = ", ".join(p for p in (v.get("place"), v.get("region")) if p)
        rows.append({"name": v["name"] + (" (contested)" if v["confidence"] == "contested" else ""),
                     "age": age_text(v.get("age_low"), v.get("age_high")) or "", "died": v.get("date_of_death") or "",
                     "place": place, "incident": v.get("incident_id") or "", "sources": v.get("sources") or [],
                     "day": day})
    rows.sort(key=lambda r: (r["day"], r["name"]))
    return rows


def html_section(rows: list[dict], escape, link, table) -> str:
    if not rows:
        return ""
    body = [[escape(r["name"]), escape(r["age"]), escape(r["died"]), escape(r["place"]), escape(r["incident"]),
             "<br>".join(link(s) for s in r["sources"]) or "<em>no source</em>"] for r in rows]
    return (f'<h2 id="memorial">In memory: the named dead ({len(rows)})</h2>\n'
            + table(COLUMNS, body, {"age", "incident"}, CAPTION) + "\n")


def markdown_section(rows: list[dict], text, link, table) -> str:
    if not rows:
        return ""
    body = [[text(r["name"]), text(r["age"]), text(r["died"]), text(r["place"]), text(r["incident"]),
             "<br>".join(link(s) for s in r["sources"]) or "*no source*"] for r in rows]
    return "\n".join(["", f"## In memory: the named dead ({len(rows)})", "", table(COLUMNS, body, {"age", "incident"}),
                      CAPTION, ""])
