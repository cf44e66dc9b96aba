"""Asking at a terminal: each answer is checked as it is typed and asked again when wrong.

Prompts and messages go to stderr, so `id=$(protestlog add …)` still captures only the id.
Nothing here runs without a terminal on stdin: the commands turn a missing value into a usage
error (exit 2) first.
"""

import sys

import typer

from protestlog import vocab
from protestlog.errors import FieldError, LedgerError
from protestlog.records import blank, check_field
from protestlog.regions import closest_region

# The fields `add` asks for when run at a terminal without them: required first, then the optional
# ones that make a record useful (Enter skips those).
QUESTIONS = {
    "date": "Date of the incident (2023-01-09, 09/01/2023, 9 ene 2023, hoy)",
    "region": "Region (e.g. Puno, Ayacucho)",
    "killed": "Number killed (a number, or wording such as 'dozens')",
    "group": "Victims were",
    "circumstance": "Circumstance",
    "cause": "Cause of death",
    "source": "Source (who reported it)",
    "url": "URL of the report (https://…)",
}
CHOICES = {"group": ", ".join(vocab.GROUPS), "circumstance": "clash (with security forces), blockade "
                                                             "(blockade-related accident), other",
           "cause": ", ".join(vocab.CAUSES)}
REQUIRED = ("date", "region", "killed")
# Fields a rule across fields can fail on (killed_low > killed, minors > killed): asked again, not lost.
ASK_AGAIN = set(QUESTIONS) | {"end_date", "province", "place", "killed_low", "killed_high", "injured",
                              "injured_low", "injured_high", "detained", "minors"}


class Declined(LedgerError):
    """The person answered no at the confirmation: nothing was written."""


def say(text: str):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def prompt(question: str) -> str:
    """One line from the terminal. (click's prompt writes its last space to stdout, which would end
    up in `id=$(protestlog add …)`.) End of input aborts: nothing is written."""
    sys.stderr.write(f"{question}: ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise typer.Abort()
    return line.rstrip("\r\n")


def yes_no(question: str, default: bool = True) -> bool:
    """y/yes/s/sí or n/no (English or Spanish); Enter takes the default."""
    while True:
        answer = prompt(f"{question} [{'Y/n' if default else 'y/N'}]").strip().casefold()
        if not answer:
            return default
        if answer in ("y", "yes", "s", "si", "sí"):
            return True
        if answer in ("n", "no"):
            return False
        say("  answer y or n")


def ask(field: str, *, today, optional: bool = False, question: str | None = None):
    """Ask until the answer passes the field's check; Enter skips an optional field (returns None)."""
    question = question or QUESTIONS.get(field) or field.replace("_", " ").capitalize()
    if optional:
        question += " (Enter to skip)"
    if field in CHOICES:
        say(f"{field.capitalize()}: {CHOICES[field]} (English or Spanish)")
    while True:
        text = prompt(question)
        if blank(text):
            if optional:
                return None
            say(f"  {field} is required")
            continue
        try:
            return check_field(field, text, today=today)
        except FieldError as exc:
            if field == "region":
                suggestion = closest_region(text)
                if suggestion and yes_no(f"  No region {text.strip()!r}. {suggestion}?"):
                    return suggestion
                if suggestion:
                    continue
            say(f"  {exc.reason}; try again")


def fill_in(raw: dict, *, today) -> None:
    """Ask for the required fields that are missing, then offer the useful optional ones not given."""
    for field in QUESTIONS:
        if blank(raw.get(field)):
            raw[field] = ask(field, today=today, optional=field not in REQUIRED)


def validate_asking(raw: dict, validate, *, today) -> dict:
    """Validate the whole record; when a rule across fields fails (minors > killed), ask that field again
    instead of losing everything typed."""
    while True:
        try:
            return validate(raw, today=today)
        except FieldError as exc:
            if exc.field not in ASK_AGAIN:
                raise
            say(f"  {exc}")
            raw[exc.field] = ask(exc.field, today=today, optional=exc.field not in REQUIRED)


def describe(record: dict) -> list[str]:
    """The record as it will be stored, one field a line, leaving out what is empty."""
    lines = []
    for field, value in record.items():
        if field == "sources":
            for source in value:
                url = f" <{source['url']}>" if source.get("url") and source["url"] != source["name"] else ""
                lines.append(f"  {'source':<15}{source['name']}{url}")
        elif not blank(value):
            lines.append(f"  {field.replace('_', ' '):<15}{value}")
    return lines


def confirm(record: dict):
    say("The record as it will be stored:")
    for line in describe(record):
        say(line)
    if not yes_no("Record it?"):
        raise Declined("not recorded: you answered no; nothing was written")


def result_line(entry: dict) -> str:
    """One line after writing: id, date, region/place, killed, group, source."""
    where = entry["region"] + (f" / {entry['place']}" if entry.get("place") else "")
    source = entry["sources"][0]["name"] if entry.get("sources") else "no source"
    more = f" (+{len(entry['sources']) - 1})" if len(entry.get("sources") or []) > 1 else ""
    verb = {"create": "Recorded", "amend": "Amended", "retract": "Retracted"}.get(entry["action"], "Wrote")
    revision = f" (revision {entry['revision']})" if entry["revision"] > 1 else ""
    return (f"{verb} {entry['record_id']}{revision}: {entry['date']}, {where}, {entry['killed']} killed, "
            f"{entry['group']}, {source}{more}")


def reason(value: str | None, env, *, what: str) -> str:
    """A correction's reason: as given, else asked at a terminal, else a usage error (exit 2)."""
    from protestlog.errors import UsageProblem

    if not blank(value):
        return value
    if not env.stdin_tty:
        raise UsageProblem(f"--reason is required for {what} (no terminal to ask for it)")
    while True:
        text = prompt(f"Reason for {what} (the new report, the error found)")
        if not blank(text):
            return text
        say("  a reason is required")

