"""The import's fast paths give exactly what the plain code gives: RowValidator what validate gives
(record or error, word for word), the precompiled JSON writers what the json module writes, and
the fingerprint and entry hash the digests of the straightforward definitions written out here."""

import datetime as dt
import hashlib
import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from protestlog import chain
from protestlog.entry_appender import ENTRY_META
from protestlog.errors import FieldError, each_error
from protestlog.json_text import object_writer, sources_text
from protestlog.records import FIELDS, KNOWN, LATER_FIELDS, fingerprint, validate
from protestlog.row_validator import RowValidator

SETTINGS = dict(deadline=None, derandomize=True)
TODAY = dt.date(2026, 11, 28)
SHARED = RowValidator(TODAY)  # shared by every example, so remembered values are reused across rows
COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode

AWKWARD = ["", " ", "  x  ", "\x00", "\x1b[31m", "\t", "a\nb", "\u2028", "\ud800", "\xa0", "é", "José", "Jose\u0301",
           "x\u200b", "٣", "'=1+2", "x" * 200, "x" * 201, "n" * 20001, None, 0, 3, -1, 1.5, float("nan"), True, [1], {}]
VALUES = {
    "date": ["2023-01-09", "2022-12-31", " 2023-01-09 ", "2023-02-30", "2027-01-01", "9 Jan 2023", "ayer", "today",
             "01/09/2023"],
    "end_date": ["2023-01-09", "2023-01-10", "2023-01-08", "2022-12-31"],
    "date_precision": ["day", "Week", "mes", "hour"],
    "region": ["Puno", "PUNO", "Apurímac", "apurimac", "Punno", "Lima Metropolitana", "PE-PUN"],
    "killed": ["0", "3", " 12 ", "dozens", "Decenas", "100000000", "100000001", "-2", "1e3", "٣"],
    "injured": ["0", "7", "a few", "many"],
    "killed_low": ["0", "2", "9", "100"], "killed_high": ["0", "3", "50"],
    "injured_low": ["0", "5"], "injured_high": ["9", "1"], "detained": ["4", "x"], "minors": ["0", "1", "20"],
    "killed_reported": ["about five"], "injured_reported": ["dozens"],
    "group": ["civilian", "Police", "policía", "militares", "alien"],
    "circumstance": ["clash", "blockade", "other", "bloqueo", "riot"],
    "cause": ["firearm", "arma de fuego", "tear-gas", "laser"],
    "confidence": ["confirmed", "no verificado", "sure"],
    "responsible": ["police", "pnp", "Ejército", "aliens"],
    "source": ["Defensoría", "Report 4"], "url": ["https://example.org/a", "http://x.org/b c", "ftp://x", "example.org"],
    "accessed": ["2026-11-01", "2027-01-01", "yesterday"],
    "sources": ['[{"name": "A", "url": "https://a.org"}]', "[]", "[1]", '{"name": "A"}'],
    "note": ["line one\nline two", "tab\there", "plain"],
    "external_id": ["ACLED-1", " X-2 ", "José", "Jose\u0301", "x\u200b", 12],
    "province": ["Juliaca"], "place": ["Plaza de Armas"],
}
FIELD_NAMES = sorted(VALUES)


def values_for(field):
    return st.one_of(st.sampled_from(VALUES[field]), st.sampled_from(AWKWARD), st.text(max_size=6))


@st.composite
def raw_rows(draw):
    row = {"date": draw(st.sampled_from(VALUES["date"])), "region": draw(st.sampled_from(VALUES["region"])),
           "killed": draw(st.sampled_from(VALUES["killed"]))}
    for field in draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=8, unique=True)):
        row[field] = draw(values_for(field))
    if draw(st.integers(0, 20)) == 0:
        row["colour"] = "red"  # not a field
    return row


def outcome(check, raw):
    try:
        record = check(dict(raw))
    except FieldError as exc:
        return ("error", [str(e) for e in each_error(exc)])
    return ("ok", list(record.items()))  # the same keys in the same order, with the same values


@settings(max_examples=300, **SETTINGS)
@given(raw_rows())
@example({"date": "2023-01-09", "region": "Puno", "killed": "3", "killed_low": "4"})
@example({"date": "2023-01-09", "region": "Puno", "killed": "3", "minors": "4"})
@example({"date": "2023-01-09", "region": "Puno", "killed": "3", "injured_high": "4"})
@example({"date": "2023-01-09", "region": "Puno", "killed": "3", "end_date": "2023-01-09"})
@example({"date": "2023-01-09", "region": "Puno", "killed": "3", "source": " ", "url": ""})
@example({"date": "2023-01-09", "region": "Puno", "killed": "dozens", "killed_reported": " "})
@example({"date": "2023-01-09", "region": "Puno", "killed": "1", "place": "x" * 201})
@example({"date": "2023-01-09", "region": "Puno", "killed": "1", "source": "x" * 501})
@example({"date": "2023-01-09", "region": "Puno", "killed": "1", "note": "n" * 20001})
@example({"date": "2023-01-09", "region": "Puno", "killed": "1", "external_id": "x" * 201})
@example({"date": "2023-01-09", "region": "Puno", "killed": "1", "url": "https://a.org/x\u3000y"})
def test_row_validator_decides_as_validate(raw):
    assert outcome(SHARED, raw) == outcome(lambda r: validate(r, today=TODAY), raw)


def test_row_validator_remembers_a_bounded_number_of_values():
    validator = RowValidator(TODAY)
    for n in range(6000):
        validator({"date": "2023-01-09", "region": "Puno", "killed": "1", "detained": str(n)})
    assert len(validator.counts) == 4096


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                       max_size=3), max_leaves=6)
KEYS = ["a", "b", "é", 'q"', "z", "\n"]


@settings(max_examples=150, **SETTINGS)
@given(st.lists(JSON_VALUES, min_size=len(KEYS), max_size=len(KEYS)), st.permutations(KEYS),
       st.lists(st.sampled_from(KEYS), unique=True))
def test_object_writer_writes_what_the_json_module_writes(values, order, omit):
    content = dict(zip(KEYS, values))
    expected = COMPACT({k: content[k] for k in order if not (k in omit and content[k] is None)})
    assert object_writer(tuple(KEYS), order=tuple(order), omit_none=omit)(values) == expected


SOURCE = st.dictionaries(st.sampled_from(["name", "accessed", "url", "other"]), st.none() | st.text(max_size=4) |
                         st.integers(), max_size=4)


@settings(max_examples=150, **SETTINGS)
@given(st.lists(st.one_of(SOURCE, st.fixed_dictionaries({"name": st.text(max_size=5), "accessed": st.text(max_size=3),
                                                         "url": st.text(max_size=5)})), max_size=3))
def test_sources_text_is_the_canonical_json(sources):
    assert sources_text(sources) == CANONICAL(sources)


def fingerprint_as_defined(record: dict) -> str:
    """Every field but the external id, keys sorted, a later field left out while None; the sources as
    sorted [name, url] pairs."""
    content = {}
    for field in sorted(f for f in FIELDS if f != "external_id"):
        if field == "sources":
            content[field] = sorted([s.get("name") or "", s.get("url") or ""] for s in record.get("sources") or [])
        elif field not in LATER_FIELDS or record.get(field) is not None:
            content[field] = record.get(field)
    return hashlib.sha256(COMPACT(content).encode("utf-8")).hexdigest()


@settings(max_examples=200, **SETTINGS)
@given(raw_rows(), st.lists(st.fixed_dictionaries({"name": st.text(max_size=4), "url": st.none() | st.text(max_size=4)}),
                            max_size=3))
def test_fingerprint_and_entry_hash_are_the_defined_digests(raw, more_sources):
    try:
        record = SHARED(raw)
    except FieldError:
        return
    record["sources"] = record["sources"] + more_sources
    assert fingerprint(record) == fingerprint_as_defined(record)
    entry = {**dict.fromkeys(ENTRY_META), **record, "seq": 7, "record_id": 3, "revision": 1, "action": "create",
             "recorded_at": "2026-11-28T10:00:00Z", "recorded_by": "me", "batch_id": None,
             "fingerprint": fingerprint(record), "sources": CANONICAL(record["sources"])}
    keys = ENTRY_META + FIELDS + ("batch_id", "fingerprint")
    assert chain.entry_hasher(keys)("f" * 64, entry) == chain.entry_hash("f" * 64, entry)


def test_every_field_is_exercised():
    assert set(VALUES) | {"sources"} >= KNOWN - {"external_id"} - {"source", "url", "accessed"}
