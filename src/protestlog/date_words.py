"""Dates as people in Peru write them: day first, in Spanish or English, never guessed.

`09/01/2023` is the 9th of January (day first, as in Peru); `01/13/2023` is refused, not read
month first. A two-digit year is refused (is `23` 1923 or 2023?). Month names may be Spanish or
English, full or abbreviated (`ene`, `set`/`setiembre`, `Jan`), with or without `de` and a weekday.
"""

import datetime as dt
import re
import unicodedata

from protestlog.errors import FieldError

MONTHS = {
    1: ("enero", "ene", "january", "jan"),
    2: ("febrero", "feb", "february"),
    3: ("marzo", "mar", "march"),
    4: ("abril", "abr", "april", "apr"),
    5: ("mayo", "may"),
    6: ("junio", "jun", "june"),
    7: ("julio", "jul", "july"),
    8: ("agosto", "ago", "august", "aug"),
    9: ("setiembre", "septiembre", "set", "sep", "sept", "september"),
    10: ("octubre", "oct", "october"),
    11: ("noviembre", "nov", "november"),
    12: ("diciembre", "dic", "december", "dec"),
}
MONTH = {name: number for number, names in MONTHS.items() for name in names}
WEEKDAYS = {name: i for i, names in enumerate((
    ("lunes", "monday", "mon"), ("martes", "tuesday", "tue", "tues"), ("miercoles", "wednesday", "wed"),
    ("jueves", "thursday", "thu", "thurs"), ("viernes", "friday", "fri"), ("sabado", "saturday", "sat"),
    ("domingo", "sunday", "sun"))) for name in names}
FILLER = {"de", "del", "of", "the", "el"}
ORDINAL = re.compile(r"^([0-9]+)(?:st|nd|rd|th|ro|er|o|a)?$")
HELP = "use YYYY-MM-DD, or day first: 09/01/2023, 9 Jan 2023, 9 de enero de 2023"


def _fold(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return bare.casefold()


def read_day(text: str, field: str = "date") -> dt.date:
    """One calendar day from free text, or FieldError saying why it cannot be read safely."""
    if "\x00" in text or len(text) > 64:
        raise FieldError(field, text, "cannot be read as a date")
    if ":" in text:
        raise FieldError(field, text, "give a day, not a time")
    folded = _fold(re.sub(r"\.?[º°ª]", "", text))  # 1.º, 1º, 1° de enero
    tokens = [t for t in re.split(r"[\s/.,\-]+", folded) if t and t not in FILLER]
    weekday = WEEKDAYS.get(tokens[0]) if tokens else None
    if weekday is not None:
        tokens = tokens[1:]
    numbers, words = [], []
    shape = ""
    for token in tokens:
        ordinal = ORDINAL.match(token)
        if ordinal:
            numbers.append(ordinal.group(1))
            shape += "n"
        elif token in MONTH:
            words.append(MONTH[token])
            shape += "m"
        else:
            raise FieldError(field, text, f"cannot be read as a date ({HELP})")
    if shape == "nnn":
        if len(numbers[0]) == 4:  # year first is never ambiguous: 2023/01/09, 2023-1-9
            year, month, day = numbers
        else:
            day, month, year = numbers
            if int(month) > 12:
                raise FieldError(field, text, f"dates are read day first (day/month/year) and there is no "
                                              f"month {int(month)}")
    elif shape == "nmn":  # 9 ene 2023, 09-ene-2023, 2023-Jan-09
        (first, last), month = numbers, words[0]
        day, year = (last, first) if len(first) == 4 else (first, last)
    elif shape == "mnn":  # Jan 9 2023, January 9, 2023
        (day, year), month = numbers, words[0]
    elif shape in ("mn", "nm", "nn", "n", "m"):
        raise FieldError(field, text, "needs a day, month and year")
    else:
        raise FieldError(field, text, f"cannot be read as a date ({HELP})")
    if len(str(year)) != 4:
        raise FieldError(field, text, "the year needs four digits (e.g. 2023, not 23)")
    try:
        day = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise FieldError(field, text, "not a real calendar date") from None
    if weekday is not None and day.weekday() != weekday:
        raise FieldError(field, text, f"{day.isoformat()} was a {day.strftime('%A')}")
    return day
