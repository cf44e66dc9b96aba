"""How the summary's victim figures read to a person (table, Markdown) and to a spreadsheet."""

SPLITS = (("by_responsible", "Victims by alleged responsible force"), ("by_cause", "Victims by cause"),
          ("by_role", "Victims by role"), ("by_sex", "Victims by sex"), ("by_age_band", "Victims by age band"))
COUNTS = ("records", "named", "unnamed", "linked", "unlinked", "minors", "adults", "age_unknown", "contested")


def counting_note(s: dict) -> str:
    """One line: which counting rule was used, and where minors came from victims' ages."""
    parts = [f"Deaths counted by {'date of death of linked victims' if s.get('count_by') == 'death' else 'incident date'}"]
    moved = s.get("moved_by_date_of_death")
    if moved:
        parts.append(f"{moved['victims']} victims counted on their date of death ({moved['into_range']} into the "
                     f"range, {moved['out_of_range']} out of it)")
    done = (s.get("minors_from_victims") or {}).get("records")
    if done:
        parts.append(f"minors from linked victims' ages in record{'s' if len(done) > 1 else ''} "
                     f"{', '.join(map(str, done))}")
    return "; ".join(parts) + "."


def summary_parts(s: dict) -> list[tuple]:
    """(title, rows, columns, caption) for the victim table; nothing when no victim is recorded."""
    v = s.get("victims")
    if not v or not v["records"]:
        return []
    rows = [{"split": "people", "name": k.replace("_", " "), "victims": v[k]} for k in COUNTS]
    for key, _ in SPLITS:
        rows += [{"split": key[3:], "name": r["name"], "victims": r["victims"]} for r in v[key]]
    return [("Victims: people dated in the range (by death, else injury, else incident)", rows,
             ["split", "name", "victims"], "'unknown' is a category of its own, never zero.")]


def long_rows(s: dict):
    yield {"section": "count_by", "key": "", "field": "count_by", "value": s.get("count_by")}
    v = s.get("victims")
    if not v:
        return
    for k in COUNTS:
        yield {"section": "victims", "key": "", "field": k, "value": v[k]}
    for key, _ in SPLITS:
        for row in v[key]:
            yield {"section": f"victims_{key}", "key": row["name"], "field": "victims", "value": row["victims"]}
