"""What one incident record holds, and the rules it must pass before it reaches the ledger.

`validate` is the single gate for every way in (add, import, amend): it takes what a
person or a file said and returns the normalised record, or raises FieldError naming
the field and the value. The database's CHECK constraints repeat the essentials, so
a record that slipped past Python still could not be stored.
"""

import datetime as dt
import hashlib
import json
import math
import operator
import re
from json.encoder import encode_basestring as json_string

from protestlog import external_ids, vocab
from protestlog.dates import parse_day
from protestlog.errors import FieldError, raise_any
from protestlog.json_text import object_writer
from protestlog.regions import canonical_region

MAX_COUNT = 100_000_000  # more than any plausible casualty figure; guards against typos and overflow
RANGED = ("killed", "injured")
LIMITS = {"province": 200, "place": 200, "external_id": 200, "note": 20_000,
          "killed_reported": 200, "injured_reported": 200,
          "source": 500, "url": 2_000}

# Every field a record can carry, in the order exports and imports use.
FIELDS = (
    "date", "end_date", "date_precision",
    "region", "province", "place",
    "killed", "killed_low", "killed_high", "killed_reported",
    "injured", "injured_low", "injured_high", "injured_reported",
    "detained", "minors",
    "group", "circumstance", "cause", "confidence",
    "sources", "note", "external_id", "responsible",
)
# Fields added after records were first fingerprinted: left out of the fingerprint while empty, so a
# file imported before they existed is still recognised when it is imported again.
LATER_FIELDS = ("responsible",)
REQUIRED = ("date", "region", "killed")
KNOWN = frozenset(FIELDS) | {"source", "url", "accessed"}
DEFAULTS = {"date_precision": "day", "group": "unknown", "cause": "unknown", "confidence": "unverified"}
INTEGER = re.compile(r"^[0-9]+$")  # ASCII digits only: '٣' is not quietly stored as 3
# Every character str.splitlines() breaks at: a single-line field holds none of them.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
MAX_JSON_DIGITS = 30


def strict_json(text: str, field: str = "json"):
    """JSON as SQLite's JSON functions read it: a repeated key is refused (Python would keep the
    last, SQLite reads the first), and so are numbers of more than 30 digits and deep nesting."""
    def pairs(items):
        seen = set()
        for key, _ in items:
            if key in seen:
                raise FieldError(field, key, "this key appears twice in one object")
            seen.add(key)
        return dict(items)

    def number(digits: str):
        if len(digits.lstrip("-")) > MAX_JSON_DIGITS:
            raise FieldError(field, digits, f"is a number of more than {MAX_JSON_DIGITS} digits")
        return int(digits)

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_int=number)
    except RecursionError:
        raise FieldError(field, text, "is nested too deeply") from None


# C0 and C1 control characters and DEL: a value holding ESC or BEL could drive the terminal of whoever
# lists it later. Free text over several lines (notes, reasons) may still hold tab and line breaks.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def refuse_control(field: str, value, text: str, *, multiline: bool = False) -> None:
    """Raise FieldError if `text` holds a control character (tab and line breaks only where multiline)."""
    found = (CONTROL_MULTILINE if multiline else CONTROL).search(text)
    if found:
        allowed = "; only tab and line breaks are allowed" if multiline else ""
        raise FieldError(field, value, f"contains control character U+{ord(found.group()):04X}{allowed}")


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


# Text with nothing to refuse in it (no control character, line break, surrogate or NUL): the common
# case, settled by one regex match instead of a check per rule (an import runs this on every field).
PLAIN_LINE = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\U0010ffff]*")
SHORT_COUNT = re.compile("[0-9]{1,8}")  # at most 99,999,999: under MAX_COUNT, so no further check


def parse_count(field: str, value) -> int | None:
    """A non-negative whole number: '12' or 12; never -1, 1.5, NaN, inf, True or '1e3'."""
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        if SHORT_COUNT.fullmatch(text):
            return int(text)
    if blank(value):
        return None
    if isinstance(value, bool):
        raise FieldError(field, value, "must be a whole number, not true/false")
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise FieldError(field, value, "must be a whole number")
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if text.startswith("-") and INTEGER.match(text[1:]):
            raise FieldError(field, value, "must not be negative")
        if not INTEGER.match(text):
            raise FieldError(field, value, "must be a whole number")
        if len(text.lstrip("0")) > len(str(MAX_COUNT)):
            raise FieldError(field, value, f"is too large (limit {MAX_COUNT})")
        number = int(text)
    if number < 0:
        raise FieldError(field, value, "must not be negative")
    if number > MAX_COUNT:
        raise FieldError(field, value, f"is too large (limit {MAX_COUNT})")
    return number


def parse_text(field: str, value, *, multiline: bool = False) -> str | None:
    if type(value) is str and not multiline:
        text = value.strip()
        if not text:
            return None
        if PLAIN_LINE.fullmatch(text) and len(text) <= LIMITS.get(field, 200):
            return text
    if blank(value):
        return None
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and field == "external_id":
            value = str(value)
        else:
            raise FieldError(field, value, "must be text")
    text = value.strip()
    if "\x00" in text:
        raise FieldError(field, value, "contains a NUL byte")
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise FieldError(field, value, "is not valid Unicode text (a lone surrogate, or bytes that are not UTF-8)")
    if not multiline and not LINE_BREAKS.isdisjoint(text):
        raise FieldError(field, value, "must be a single line (no line or paragraph separator)")
    refuse_control(field, value, text, multiline=multiline)
    if len(text) > LIMITS.get(field, 200):
        raise FieldError(field, value, f"is longer than {LIMITS.get(field, 200)} characters")
    return text


def parse_external_id(value, field: str = "external_id") -> str | None:
    """An external id as stored: stripped like every text field, in NFC, nothing invisible in it
    (external_ids.py says why). The length limit applies to the NFC form, the one stored."""
    if type(value) is float:  # a JSON 1e400 would be 'inf', and 1.0 and 1 two ids
        raise FieldError(field, value, "is a number with a fraction or exponent; give the id as text")
    if type(value) is str:
        value = external_ids.normal(value)  # ASCII is returned as is
    text = parse_text(field, value)
    if text is None or text.isascii():
        return text
    wrong = external_ids.refused_character(text)
    if wrong:
        raise FieldError(field, value, f"contains {wrong}, which would make it look like another id")
    return text


URL_START = re.compile(r"^https?://[^\s/]+", re.I)
WHITESPACE = re.compile(r"\s")  # the characters str.isspace() calls space, checked all at once


def parse_url(field: str, value) -> str | None:
    text = parse_text("url", value)
    if text is None:
        return None
    if not URL_START.match(text) or WHITESPACE.search(text):
        raise FieldError(field, value, "must be an http(s) URL")
    return text


def parse_count_or_wording(field: str, value) -> tuple[int | None, str | None]:
    """'12' -> (12, None); 'dozens' -> (12, 'dozens') by ACLED's coding rule."""
    if isinstance(value, str) and not INTEGER.match(value.strip()):
        wording = " ".join(value.strip().lower().split())
        if wording in vocab.VAGUE_COUNTS:
            return vocab.VAGUE_COUNTS[wording], value.strip()
    return parse_count(field, value), None


def parse_sources(value, *, today: dt.date) -> list[dict]:
    """Sources arrive as a list of {name, url, accessed} (JSON) or as one `source`/`url` pair."""
    if blank(value):
        return []
    if isinstance(value, str):
        try:
            value = strict_json(value, "sources")
        except ValueError:
            raise FieldError("sources", value, "must be a JSON list of {name, url, accessed}") from None
    if not isinstance(value, list):
        raise FieldError("sources", value, "must be a list")
    cleaned = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"name", "url", "accessed"}:
            raise FieldError("sources", item, "each source is {name, url, accessed}")
        cleaned.append(make_source(item.get("name"), item.get("url"), item.get("accessed"), today=today))
    return cleaned


def make_source(name, url, accessed=None, *, today: dt.date) -> dict:
    name = parse_text("source", name)
    url = parse_url("url", url)
    if name is None and url is None:
        raise FieldError("source", name, "a source needs a name or a URL")
    day = parse_day(accessed, "accessed", today=today) if not blank(accessed) else today
    source = {"name": name or url, "accessed": day.isoformat()}
    if url:
        source["url"] = url
    return source


def validate(raw: dict, *, today: dt.date) -> dict:
    """Normalise one record; raise FieldError naming what is wrong (FieldErrors when several fields
    are: each is checked, so a file's row is reported whole; one that depends on a wrong one is not)."""
    errors: list[FieldError] = []
    failed: set[str] = set()  # fields already found wrong: checks that depend on them are skipped

    def wrong(exc: FieldError):
        errors.append(exc)
        failed.add(exc.field)

    unknown = raw.keys() - KNOWN
    for field in sorted(unknown):
        wrong(FieldError(field, raw[field], "is not a field protestlog knows"))
    for field in REQUIRED:
        if blank(raw.get(field)):
            wrong(FieldError(field, raw.get(field), "is required"))

    rec: dict = {"date": None, "end_date": None}
    try:
        if "date" not in failed:
            rec["date"] = parse_day(raw["date"], "date", today=today).isoformat()
    except FieldError as exc:
        wrong(exc)
    try:
        if not blank(raw.get("end_date")):
            end = parse_day(raw["end_date"], "end_date", today=today).isoformat()
            if rec["date"] is not None and end < rec["date"]:
                raise FieldError("end_date", raw["end_date"], f"is before date {rec['date']}")
            rec["end_date"] = end if end != rec["date"] else None
    except FieldError as exc:
        wrong(exc)
    try:
        rec["date_precision"] = vocab.choose("date_precision", raw.get("date_precision") or "day",
                                             vocab.PRECISIONS)
    except FieldError as exc:
        wrong(exc)
    try:
        if "region" not in failed:
            rec["region"] = canonical_region(raw["region"])
    except FieldError as exc:
        wrong(exc)
    for field in ("province", "place"):
        try:
            rec[field] = parse_text(field, raw.get(field))
        except FieldError as exc:
            wrong(exc)

    for field in RANGED:
        number = None
        try:
            if field not in failed:
                number, wording = parse_count_or_wording(field, raw.get(field))
                rec[field] = number
                rec[f"{field}_reported"] = parse_text(f"{field}_reported", raw.get(f"{field}_reported")) or wording
        except FieldError as exc:
            wrong(exc)
        bounds = {}
        for side in ("low", "high"):
            try:
                bounds[side] = parse_count(f"{field}_{side}", raw.get(f"{field}_{side}"))
            except FieldError as exc:
                wrong(exc)
        low, high = bounds.get("low"), bounds.get("high")
        if field in failed:
            continue  # the best figure is wrong: nothing to compare the bounds with
        if (low is not None or high is not None) and number is None:
            wrong(FieldError(f"{field}_low" if low is not None else f"{field}_high",
                             low if low is not None else high, f"needs a best figure for {field}"))
            continue
        if low is not None and low > number:
            wrong(FieldError(f"{field}_low", raw.get(f"{field}_low"), f"is more than {field} ({number})"))
        if high is not None and high < number:
            wrong(FieldError(f"{field}_high", raw.get(f"{field}_high"), f"is less than {field} ({number})"))
        rec[f"{field}_low"], rec[f"{field}_high"] = low, high
    for field in ("detained", "minors"):
        try:
            rec[field] = parse_count(field, raw.get(field))
        except FieldError as exc:
            wrong(exc)
    if rec.get("minors") is not None and "killed" not in failed and rec["minors"] > rec["killed"]:
        wrong(FieldError("minors", raw.get("minors"), f"is more than killed ({rec['killed']})"))

    for field, choices in (("group", vocab.GROUPS), ("circumstance", vocab.CIRCUMSTANCES), ("cause", vocab.CAUSES),
                           ("confidence", vocab.CONFIDENCE)):
        try:
            if field == "circumstance":
                rec[field] = (None if blank(raw.get(field)) else
                              vocab.choose(field, raw[field], choices, vocab.CIRCUMSTANCE_ALIASES))
            else:
                rec[field] = vocab.choose(field, raw.get(field) or DEFAULTS[field], choices)
        except FieldError as exc:
            wrong(exc)

    try:
        sources = parse_sources(raw.get("sources"), today=today)
        if not blank(raw.get("source")) or not blank(raw.get("url")):
            sources.append(make_source(raw.get("source"), raw.get("url"), raw.get("accessed"), today=today))
        rec["sources"] = sources
    except FieldError as exc:
        wrong(exc)
    try:
        rec["note"] = parse_text("note", raw.get("note"), multiline=True)
    except FieldError as exc:
        wrong(exc)
    try:
        rec["external_id"] = parse_external_id(raw.get("external_id"))
    except FieldError as exc:
        wrong(exc)
    try:
        rec["responsible"] = (None if blank(raw.get("responsible")) else
                              vocab.choose("responsible", raw["responsible"], vocab.RESPONSIBLE))
    except FieldError as exc:
        wrong(exc)
    raise_any(errors)
    return rec


# The fingerprint's keys in canonical (sorted) order, written by one precompiled writer (json_text);
# the sources are a sorted list of [name, url] pairs, written beforehand.
_PRINTED = tuple(sorted(f for f in FIELDS if f != "external_id"))
_PRINTED_VALUES = operator.itemgetter(*_PRINTED)
_SOURCES_AT = _PRINTED.index("sources")
_WRITE_PRINT = object_writer(_PRINTED, omit_none=LATER_FIELDS, verbatim=("sources",))
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def fingerprint(record: dict) -> str:
    """What makes two reports the same report: every field but the external id and the day a
    source was read, so re-importing a file on another day still matches."""
    try:
        values = list(_PRINTED_VALUES(record))
    except KeyError:  # a record without some field: it counts as None
        values = [record.get(f) for f in _PRINTED]
    values[_SOURCES_AT] = _source_pairs(values[_SOURCES_AT])
    return hashlib.sha256(_WRITE_PRINT(values).encode("utf-8")).hexdigest()


def _source_pairs(sources) -> str:
    """The sources as the fingerprint has them: sorted [name, url] pairs, as JSON text."""
    if not sources:
        return "[]"
    if len(sources) == 1:  # the common case: no sorting, nothing to collect
        name, url = sources[0].get("name") or "", sources[0].get("url") or ""
        if type(name) is str and type(url) is str:
            return "[[" + json_string(name) + "," + json_string(url) + "]]"
    pairs = sorted([s.get("name") or "", s.get("url") or ""] for s in sources)
    try:
        return "[" + ",".join(["[" + json_string(name) + "," + json_string(url) + "]" for name, url in pairs]) + "]"
    except TypeError:  # a name or URL that is not text: the encoder writes it
        return _COMPACT(pairs)


VOCABULARIES = {"group": vocab.GROUPS, "cause": vocab.CAUSES, "confidence": vocab.CONFIDENCE,
                "date_precision": vocab.PRECISIONS, "circumstance": vocab.CIRCUMSTANCES}


def check_field(field: str, value, *, today: dt.date):
    """One field checked on its own (as a person types it at a prompt): the value to keep, or
    FieldError. `validate` still checks the whole record; this only lets a prompt re-ask at once."""
    if field in ("date", "end_date"):
        return parse_day(value, field, today=today).isoformat()
    if field == "region":
        return canonical_region(value)
    if field in VOCABULARIES:
        aliases = vocab.CIRCUMSTANCE_ALIASES if field == "circumstance" else None
        return vocab.choose(field, value, VOCABULARIES[field], aliases)
    if field in RANGED:
        parse_count_or_wording(field, value)
        return value.strip() if isinstance(value, str) else value
    if field in ("killed_low", "killed_high", "injured_low", "injured_high", "detained", "minors"):
        return parse_count(field, value)
    if field == "url":
        return parse_url(field, value)
    return parse_text(field, value, multiline=field == "note")
