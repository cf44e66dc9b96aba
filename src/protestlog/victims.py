"""What one victim record holds, and the rules it must pass before it reaches the ledger.

A victim is a person, not a count: a name as published (or none, with a description, for
someone unidentified), other spellings, age (exact or a range), sex, what happened to them
and when (injury and death may be days apart), who is alleged responsible, and sources.
`validate_victim` is the single gate for add, import and amend, like `records.validate`.
"""

import datetime as dt
import re

from protestlog import vocab
from protestlog.dates import parse_day
from protestlog.errors import FieldError
from protestlog.records import blank, make_source, parse_external_id, parse_sources, parse_text
from protestlog.regions import canonical_region

from protestlog.victim_schema import DIRECTNESS, ROLES, SEXES
from protestlog.vocab import RESPONSIBLE
# Short forms and Spanish, as Peruvian lists write them (matched without case or accents).
ALIASES = {
    "sex": {"m": "male", "f": "female", "man": "male", "woman": "female", "boy": "male", "girl": "female",
            "hombre": "male", "masculino": "male", "varon": "male", "mujer": "female", "femenino": "female",
            "desconocido": "unknown"},
    "role": {"manifestante": "protester", "transeunte": "bystander", "policia": "police", "soldado": "soldier",
             "militar": "soldier", "otro": "other", "otra": "other", "desconocido": "unknown"},
    "direct": {"directa": "direct", "directo": "direct", "indirecta": "indirect", "indirecto": "indirect",
               "desconocido": "unknown"},
}
ADULT_AGE = 18
MAX_AGE = 130

# Every field a victim record carries, in the order exports and imports use.
VICTIM_FIELDS = (
    "external_id", "incident_id", "name", "other_names", "description",
    "age_low", "age_high", "sex", "minor",
    "date_injured", "date_of_death", "region", "place",
    "cause", "role", "direct", "responsible", "unit",
    "confidence", "sources", "note",
)
DEFAULTS = {"sex": "unknown", "cause": "unknown", "role": "unknown", "direct": "unknown",
            "responsible": "unknown", "confidence": "unverified"}
# What a file or a person may say beyond the stored fields; turned into stored fields by validate.
INPUT_ONLY = {"age", "incident", "incident_external_id", "source", "url", "accessed"}
LIMITS = {"name": 200, "description": 500, "unit": 200, "place": 200, "external_id": 200}
# A published list names an unidentified person by what is known ("unnamed child (Huancavelica)").
UNNAMED = re.compile(r"^(unnamed|unidentified|unknown|sin nombre|no identificad[oa]|nn)\b", re.IGNORECASE)
AGE_RANGE = re.compile(r"^([0-9]{1,3})\s*(?:-|–|—|to|a)\s*([0-9]{1,3})$")
YES = {"yes", "y", "true", "1", "si", "sí", "minor"}
NO = {"no", "n", "false", "0", "adult"}


def parse_age(value) -> tuple[int | None, int | None]:
    """'17' -> (17, 17); '20-25' or '20–25' -> (20, 25); '' -> unknown (None, None)."""
    if blank(value):
        return None, None
    if isinstance(value, bool):
        raise FieldError("age", value, "must be whole years, or a range such as 20-25")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > 20:
        raise FieldError("age", value, "must be whole years, or a range such as 20-25")
    if text.isascii() and text.isdigit():
        low = high = int(text)
    else:
        match = AGE_RANGE.match(text)
        if not match:
            raise FieldError("age", value, "must be whole years, or a range such as 20-25")
        low, high = int(match.group(1)), int(match.group(2))
        if low > high:
            raise FieldError("age", value, "the range must go from the lower age to the higher")
    if high > MAX_AGE:
        raise FieldError("age", value, f"is more than {MAX_AGE} years")
    return low, high


def age_text(low: int | None, high: int | None) -> str | None:
    if low is None:
        return None
    return str(low) if low == high else f"{low}-{high}"


def parse_flag(field: str, value) -> int | None:
    """--minor: yes/no/blank, stored as 1, 0 or unknown (None)."""
    if blank(value):
        return None
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip().lower()
    if text in YES:
        return 1
    if text in NO:
        return 0
    raise FieldError(field, value, "must be yes or no (or empty when unknown)")


def parse_other_names(value) -> list[str]:
    """Other published spellings: a list, or one text separated by ';'."""
    if blank(value):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            try:
                value = json.loads(text)
            except ValueError:
                raise FieldError("other_names", value, "must be names separated by ';' or a JSON list") from None
        else:
            value = text.split(";")
    if not isinstance(value, list):
        raise FieldError("other_names", value, "must be names separated by ';' or a list")
    names = []
    for item in value:
        name = parse_text("name", item) if isinstance(item, str) else None
        if name is None and not blank(item):
            raise FieldError("other_names", item, "each other name must be text")
        if name and name not in names:
            names.append(name)
    return names


def choose(field: str, value, allowed) -> str:
    return vocab.choose(field, value if not blank(value) else DEFAULTS[field], allowed, ALIASES.get(field))


def validate_victim(raw: dict, *, today: dt.date) -> dict:
    """Normalise one victim; raise FieldError at the first field that is wrong.

    The incident link arrives resolved as `incident_id` (an incident record id) or not at all:
    looking an incident up is the ledger's job (victim_store.resolve_incident).
    """
    unknown = set(raw) - set(VICTIM_FIELDS) - INPUT_ONLY
    if unknown:
        field = sorted(unknown)[0]
        raise FieldError(field, raw[field], "is not a victim field protestlog knows")
    v: dict = {}
    v["external_id"] = parse_external_id(raw.get("external_id"))
    v["incident_id"] = raw.get("incident_id")
    name = parse_text("name", raw.get("name"))
    description = parse_text("description", raw.get("description"))
    if name and UNNAMED.match(name):  # "unnamed child": a description, not a name
        description = description or name
        name = None
    v["name"], v["description"] = name, description
    v["other_names"] = [n for n in parse_other_names(raw.get("other_names")) if n != name]
    if "age" in raw and not blank(raw.get("age")):
        if not blank(raw.get("age_low")) or not blank(raw.get("age_high")):
            raise FieldError("age", raw["age"], "give age, or age_low and age_high, not both")
        v["age_low"], v["age_high"] = parse_age(raw["age"])
    else:
        v["age_low"], v["age_high"] = _age_bounds(raw.get("age_low"), raw.get("age_high"))
    v["sex"] = choose("sex", raw.get("sex"), SEXES)
    v["minor"] = parse_flag("minor", raw.get("minor"))
    if v["minor"] == 1 and v["age_low"] is not None and v["age_low"] >= ADULT_AGE:
        raise FieldError("minor", raw.get("minor"), f"contradicts age {age_text(v['age_low'], v['age_high'])}")
    if v["minor"] == 0 and v["age_high"] is not None and v["age_high"] < ADULT_AGE:
        raise FieldError("minor", raw.get("minor"), f"contradicts age {age_text(v['age_low'], v['age_high'])}")
    for field in ("date_injured", "date_of_death"):
        v[field] = None if blank(raw.get(field)) else parse_day(raw[field], field, today=today).isoformat()
    if v["date_injured"] and v["date_of_death"] and v["date_of_death"] < v["date_injured"]:
        raise FieldError("date_of_death", raw.get("date_of_death"), f"is before date_injured {v['date_injured']}")
    v["region"] = None if blank(raw.get("region")) else canonical_region(raw["region"])
    v["place"] = parse_text("place", raw.get("place"))
    v["cause"] = choose("cause", raw.get("cause"), vocab.CAUSES)
    v["role"] = choose("role", raw.get("role"), ROLES)
    v["direct"] = choose("direct", raw.get("direct"), DIRECTNESS)
    v["responsible"] = choose("responsible", raw.get("responsible"), RESPONSIBLE)
    v["unit"] = parse_text("unit", raw.get("unit"))
    v["confidence"] = choose("confidence", raw.get("confidence"), vocab.CONFIDENCE)
    sources = parse_sources(raw.get("sources"), today=today)
    if not blank(raw.get("source")) or not blank(raw.get("url")):
        source = make_source(raw.get("source"), raw.get("url"), raw.get("accessed"), today=today)
        if source not in sources:
            sources.append(source)
    v["sources"] = sources
    v["note"] = parse_text("note", raw.get("note"), multiline=True)
    if not (v["name"] or v["description"]):
        raise FieldError("name", raw.get("name"), "a victim needs a name, or a description when unidentified")
    return v


def _age_bounds(low, high) -> tuple[int | None, int | None]:
    from protestlog.records import parse_count

    low, high = parse_count("age_low", low), parse_count("age_high", high)
    if low is None and high is None:
        return None, None
    low = low if low is not None else high
    high = high if high is not None else low
    if low > high:
        raise FieldError("age_low", low, f"is more than age_high ({high})")
    if high > MAX_AGE:
        raise FieldError("age_high", high, f"is more than {MAX_AGE} years")
    return low, high


def is_minor(v: dict) -> bool | None:
    """True, False, or None when neither the age nor the minor flag says."""
    if v.get("minor") is not None:
        return bool(v["minor"])
    if v.get("age_high") is not None and v["age_high"] < ADULT_AGE:
        return True
    if v.get("age_low") is not None and v["age_low"] >= ADULT_AGE:
        return False
    return None


AGE_BANDS = ((0, 17, "under 18"), (18, 29, "18-29"), (30, 44, "30-44"), (45, 59, "45-59"), (60, MAX_AGE, "60+"))


def age_band(v: dict) -> str:
    """The band the whole age range falls in; 'unknown' when the range spans two bands or is missing."""
    low, high = v.get("age_low"), v.get("age_high")
    if low is None:
        return "under 18" if v.get("minor") == 1 else "unknown"
    for lo, hi, label in AGE_BANDS:
        if lo <= low and high <= hi:
            return label
    return "under 18" if high < ADULT_AGE else "unknown"


def display_name(v: dict) -> str:
    return v.get("name") or f"unidentified ({v.get('description') or 'no description'})"
