"""records.validate for the many rows of an import: the same records, each distinct value decided once.

A file's rows repeat a few values per field (a region, a day, a vocabulary term, a small count), and
validate spends most of its time deciding them again on every row. `RowValidator` remembers each
value it has accepted, per field, and settles the common row — text values, one source or none —
in one pass with no error bookkeeping. Anything else (a value that fails, a JSON number, a list of
sources, a count given in words) goes to records.validate itself, which decides and words every
error: so the record returned, or the error raised, is always exactly validate's. The memory of
accepted values is capped per field, so it stays flat however long the file is.
"""

import datetime as dt

from protestlog import vocab
from protestlog.dates import parse_day
from protestlog.errors import FieldError
from protestlog.records import KNOWN, LIMITS, PLAIN_LINE, URL_START, WHITESPACE, blank, parse_count, \
    parse_count_or_wording, parse_external_id, parse_sources, parse_text, parse_url, validate
from protestlog.regions import canonical_region

MEMO_LIMIT = 4096  # accepted values remembered per field
PLACE_LIMIT, SOURCE_LIMIT, URL_LIMIT, NOTE_LIMIT, ID_LIMIT = (LIMITS[f] for f in ("place", "source", "url", "note",
                                                                               "external_id"))
DAYS = ("date", "end_date", "accessed")
VOCABULARIES = {"date_precision": (vocab.PRECISIONS, None), "group": (vocab.GROUPS, None),
                "circumstance": (vocab.CIRCUMSTANCES, vocab.CIRCUMSTANCE_ALIASES), "cause": (vocab.CAUSES, None),
                "confidence": (vocab.CONFIDENCE, None), "responsible": (vocab.RESPONSIBLE, None)}
COUNTS = ("killed_low", "killed_high", "injured_low", "injured_high", "detained", "minors")
RANGED = ("killed", "injured")


class RowValidator:
    """`validator(raw)` is `records.validate(raw, today=today)`, faster on the rows files are made of."""

    def __init__(self, today: dt.date):
        self.today, self.today_text = today, today.isoformat()
        self.days: dict[str, str] = {}  # date, end_date and a source's accessed day: text -> ISO day
        self.regions: dict[str, str] = {}
        self.ranged: dict[str, tuple] = {}  # killed/injured text -> (number, wording)
        self.counts: dict[str, int | None] = {}  # the bounds, detained, minors
        self.terms = {field: {} for field in VOCABULARIES}

    def __call__(self, raw: dict) -> dict:
        try:
            record = self._plain(raw)
        except (FieldError, TypeError):  # TypeError: an unhashable JSON value, looked up as a key
            record = None
        return validate(raw, today=self.today) if record is None else record

    def _learn(self, field: str, value):
        """Decide a value not seen yet with validate's own parser (raising its FieldError), and
        remember it if it is text and the field's memory has room."""
        if field in DAYS:
            memo, found = self.days, parse_day(value, field, today=self.today).isoformat()
        elif field == "region":
            memo, found = self.regions, canonical_region(value)
        elif field in RANGED:
            memo, found = self.ranged, parse_count_or_wording(field, value)
        elif field in VOCABULARIES:
            memo, found = self.terms[field], vocab.choose(field, value, *VOCABULARIES[field])
        else:
            memo, found = self.counts, parse_count(field, value)
        if type(value) is str and len(memo) < MEMO_LIMIT:
            memo[value] = found
        return found

    def _plain(self, raw: dict) -> dict | None:
        """The record, or None (or FieldError) where validate must decide; in validate's key order.
        Each step is the one of validate with the same name; absent and empty values are settled
        before any lookup, as validate settles them."""
        if not KNOWN.issuperset(raw):
            return None
        get, days, terms, learn = raw.get, self.days, self.terms, self._learn
        value = get("date")
        if value is None:
            return None
        date = days.get(value) or learn("date", value)
        value = get("end_date")
        if value is None or value == "" or blank(value):
            end_date = None
        else:
            end_date = days.get(value) or learn("end_date", value)
            if end_date < date:
                return None
            if end_date == date:
                end_date = None
        value = get("date_precision") or "day"
        precision = terms["date_precision"].get(value) or learn("date_precision", value)
        value = get("region")
        if value is None:
            return None
        region = self.regions.get(value) or learn("region", value)
        value = get("province")
        province = None if value is None or value == "" else parse_text("province", value)
        value = get("place")
        if value is None or value == "":
            place = None
        elif not (type(value) is str and len(place := value.strip()) <= PLACE_LIMIT and PLAIN_LINE.fullmatch(place)
                  and place):
            place = parse_text("place", value)

        value = get("killed")
        if value is None or value == "":
            return None
        killed, wording = self.ranged.get(value) or learn("killed", value)
        if killed is None:
            return None
        value = get("killed_reported")
        killed_reported = (None if value is None or value == "" else parse_text("killed_reported", value)) or wording
        value = get("injured")
        injured, wording = (None, None) if value is None or value == "" else self.ranged.get(value) or learn("injured", value)
        value = get("injured_reported")
        injured_reported = (None if value is None or value == "" else parse_text("injured_reported", value)) or wording
        if raw.keys().isdisjoint(COUNTS):
            killed_low = killed_high = injured_low = injured_high = detained = minors = None
        else:
            killed_low, killed_high, injured_low, injured_high, detained, minors = [
                None if (value := get(field)) is None or value == "" else
                value if (value := self.counts.get(value, self)) is not self else learn(field, get(field))
                for field in COUNTS]
            for number, low, high in ((killed, killed_low, killed_high), (injured, injured_low, injured_high)):
                if number is None:
                    if low is not None or high is not None:
                        return None  # bounds need a best figure
                elif (low is not None and low > number) or (high is not None and high < number):
                    return None
            if minors is not None and minors > killed:
                return None

        value = get("group") or "unknown"
        group = terms["group"].get(value) or learn("group", value)
        value = get("circumstance")
        circumstance = (None if value is None or value == "" or (type(value) is str and not value.strip()) else
                        terms["circumstance"].get(value) or learn("circumstance", value))
        value = get("cause") or "unknown"
        cause = terms["cause"].get(value) or learn("cause", value)
        value = get("confidence") or "unverified"
        confidence = terms["confidence"].get(value) or learn("confidence", value)

        value = get("sources")
        sources = [] if value is None or value == "" or blank(value) else parse_sources(value, today=self.today)
        name, url = get("source"), get("url")
        if ((name is not None and not (type(name) is str and not name.strip()))
                or (url is not None and not (type(url) is str and not url.strip()))):
            if name is None or name == "":
                name = None
            elif not (type(name) is str and len(text := name.strip()) <= SOURCE_LIMIT and PLAIN_LINE.fullmatch(text)
                      and text):
                name = parse_text("source", name)
            else:
                name = text
            if url is None or url == "":
                url = None
            elif (type(url) is str and len(text := url.strip()) <= URL_LIMIT and PLAIN_LINE.fullmatch(text)
                  and URL_START.match(text) and not WHITESPACE.search(text)):
                url = text
            else:
                url = parse_url("url", url)
            if name is None and url is None:
                return None
            value = get("accessed")
            day = self.today_text if value is None or blank(value) else days.get(value) or learn("accessed", value)
            source = {"name": name or url, "accessed": day}
            if url:
                source["url"] = url
            sources.append(source)
        value = get("note")
        if value is None or value == "":
            note = None
        elif not (type(value) is str and len(note := value.strip()) <= NOTE_LIMIT and PLAIN_LINE.fullmatch(note)
                  and note):
            note = parse_text("note", value, multiline=True)
        value = get("external_id")
        if value is None or value == "":
            external_id = None
        elif not (type(value) is str and (external_id := value.strip()).isascii() and len(external_id) <= ID_LIMIT
                  and PLAIN_LINE.fullmatch(external_id) and external_id):
            external_id = parse_external_id(value)
        value = get("responsible")
        responsible = (None if value is None or value == "" or (type(value) is str and not value.strip()) else
                       terms["responsible"].get(value) or learn("responsible", value))
        return {"date": date, "end_date": end_date, "date_precision": precision, "region": region,
                "province": province, "place": place,
                "killed": killed, "killed_reported": killed_reported, "killed_low": killed_low,
                "killed_high": killed_high,
                "injured": injured, "injured_reported": injured_reported, "injured_low": injured_low,
                "injured_high": injured_high, "detained": detained, "minors": minors,
                "group": group, "circumstance": circumstance, "cause": cause, "confidence": confidence,
                "sources": sources, "note": note, "external_id": external_id, "responsible": responsible}
