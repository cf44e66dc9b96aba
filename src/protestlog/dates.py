"""Reading dates the way people write them, and stating bounds the way reports need them.

Incident dates are calendar days (no time zone). Recording times are UTC instants.
`today` is always passed in, so tests and reports can pin it.
"""

import datetime as dt
import os
import re

from protestlog.errors import FieldError

ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # ASCII digits: \d also matches other scripts' digits
RELATIVE = {"today": 0, "hoy": 0, "yesterday": -1, "ayer": -1, "anteayer": -2}


def today(zone: str | None = None) -> dt.date:
    """The calendar day in the ledger's time zone (`Ledger.today()` passes it; None: the machine's);
    PROTESTLOG_TODAY pins it (tests, reproducible reports)."""
    pinned = os.environ.get("PROTESTLOG_TODAY")
    if pinned:
        return dt.date.fromisoformat(pinned)
    if zone:
        from protestlog.timezones import today_in

        return today_in(zone)
    return dt.date.today()


def parse_day(value, field: str = "date", *, today: dt.date, allow_future: bool = False) -> dt.date:
    """ISO `2023-01-09`; day first `09/01/2023`, `9 Jan 2023`, `9 de enero de 2023`, `09-ene-2023`;
    `today`/`hoy`, `yesterday`/`ayer`. Never month first, never a two-digit year: a date that could
    be read two ways is refused rather than guessed."""
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
            from protestlog.date_words import read_day  # only when someone types a non-ISO date

            day = read_day(text, field)
    if not allow_future and day > today:
        raise FieldError(field, value, f"is in the future (today is {today.isoformat()})")
    return day


def parse_instant(value, field: str = "as-of") -> str:
    """A recording-time bound as the stored UTC text (so it compares correctly in SQL). A bare date
    means the end of that day (UTC). Years 1000-9999 only, before and after conversion to UTC:
    stored times are fixed-width text, and '0999-...' would sort after every real time."""
    from protestlog.errors import OptionError

    text = str(value).strip()
    hint = "not an ISO date or date-time (e.g. 2023-01-10 or 2023-01-10T18:00Z)"
    if not text.isascii() or not re.match(r"^[0-9]{4}-", text):
        raise OptionError(field, value, hint)
    try:
        if ISO_DAY.match(text):
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time.max, tzinfo=dt.timezone.utc)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
        utc = moment.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise OptionError(field, value, hint) from None
    if not (1000 <= moment.year <= 9999 and 1000 <= utc.year <= 9999):
        raise OptionError(field, value, "must be between the years 1000 and 9999 (UTC)")
    return format_instant(utc)


def format_instant(moment: dt.datetime) -> str:
    """Fixed-width UTC text, so instants sort and compare correctly as strings in SQL."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utcnow() -> str:
    return format_instant(dt.datetime.now(dt.timezone.utc))
