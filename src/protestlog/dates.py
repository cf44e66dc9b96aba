"""Reading dates the way people write them, and stating bounds the way reports need them.

Incident dates are calendar days (no time zone). Recording times are UTC instants.
`today` is always passed in, so tests and reports can pin it.
"""

import datetime as dt
import os
import re

from protestlog.errors import FieldError

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RELATIVE = {"today": 0, "yesterday": -1}


def today() -> dt.date:
    """The local calendar day; PROTESTLOG_TODAY pins it (tests, reproducible reports)."""
    pinned = os.environ.get("PROTESTLOG_TODAY")
    if pinned:
        return dt.date.fromisoformat(pinned)
    return dt.date.today()


def parse_day(value, field: str = "date", *, today: dt.date, allow_future: bool = False) -> dt.date:
    """ISO `2023-01-09`, `9 Jan 2023`, `09/01/2023` (day first), `yesterday`."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        if not text:
            raise FieldError(field, value, "a date is required")
        if text.lower() in RELATIVE:
            day = today + dt.timedelta(days=RELATIVE[text.lower()])
        elif ISO_DAY.match(text):
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                raise FieldError(field, value, "not a real calendar date") from None
        else:
            day = _parse_free(text, field)
    if not allow_future and day > today:
        raise FieldError(field, value, f"is in the future (today is {today.isoformat()})")
    return day


def _parse_free(text: str, field: str) -> dt.date:
    if "\x00" in text or len(text) > 64:
        raise FieldError(field, text, "cannot be read as a date")
    from dateutil import parser  # heavy: only when someone types a non-ISO date

    # Parse twice with different defaults: a component the text lacks shows up as a difference,
    # so "Jan 2023" is refused rather than silently becoming 1 January.
    try:
        a = parser.parse(text, dayfirst=True, default=dt.datetime(2000, 1, 1))
        b = parser.parse(text, dayfirst=True, default=dt.datetime(2001, 2, 2))
    except (ValueError, OverflowError, parser.ParserError):
        raise FieldError(field, text, "cannot be read as a date (use YYYY-MM-DD)") from None
    if a.date() != b.date():
        raise FieldError(field, text, "needs a day, month and year")
    if (a.hour, a.minute, a.second) != (0, 0, 0):
        raise FieldError(field, text, "give a day, not a time")
    return a.date()


def parse_instant(value, field: str = "as-of") -> str:
    """A recording-time bound as canonical UTC text. A bare date means the end of that day (UTC)."""
    text = str(value).strip()
    try:
        if ISO_DAY.match(text):
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time.max, tzinfo=dt.timezone.utc)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise FieldError(field, value, "not an ISO date or date-time (e.g. 2023-01-10 or 2023-01-10T18:00Z)") from None
    return format_instant(moment)


def format_instant(moment: dt.datetime) -> str:
    """Fixed-width UTC text, so instants sort and compare correctly as strings in SQL."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utcnow() -> str:
    return format_instant(dt.datetime.now(dt.timezone.utc))
