"""The ledger's time zone: what "today" means for it, the same on every machine.

A ledger records its zone when it is created (PROTESTLOG_TZ, else the machine's zone, else
UTC) as a chained setting. "today", `yesterday` and the future-date check use it, so a
recorder in Lima and a reviewer in Kiritimati agree on which days are in the future.
"""

import datetime as dt
import os
from pathlib import Path

from protestlog.errors import FieldError, UsageProblem


def zone(name: str):
    """A ZoneInfo for an IANA name; FieldError for anything else."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = str(name).strip()
    if not text or len(text) > 64 or text.startswith(("/", ".")) or ".." in text or "\x00" in text:
        raise FieldError("time zone", name, "is not a time zone name (e.g. America/Lima or UTC)")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise FieldError("time zone", name, "is not a time zone name (e.g. America/Lima or UTC)") from None


def is_zone(name: str) -> bool:
    try:
        zone(name)
    except FieldError:
        return False
    return True


def machine_zone() -> str:
    """This machine's IANA zone name: $TZ, else /etc/localtime's link, else /etc/timezone, else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":").strip()
    if tz and is_zone(tz):
        return tz
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
            if is_zone(name):
                return name
    except OSError:
        pass
    try:
        name = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        if is_zone(name):
            return name
    except (OSError, UnicodeDecodeError):
        pass
    return "UTC"


def default_zone() -> str:
    """The zone a new ledger gets: PROTESTLOG_TZ (refused if it names no zone), else the machine's."""
    chosen = os.environ.get("PROTESTLOG_TZ")
    if chosen is not None and chosen.strip():
        if not is_zone(chosen):
            raise UsageProblem(f"PROTESTLOG_TZ={chosen!r} is not a time zone name (e.g. America/Lima or UTC)")
        return chosen.strip()
    return machine_zone()


def today_in(name: str) -> dt.date:
    """The calendar day now in a zone."""
    return dt.datetime.now(zone(name)).date()
