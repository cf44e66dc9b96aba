"""External ids: one id, one spelling.

An external id names a record across files and ledgers, so two ids a person cannot tell apart must
not be two ids. At every edge where an id comes in (add, amend, every import format, victims,
corrections files) it is put in Unicode NFC (a macOS file or some spreadsheets give "é" as "e" plus
a combining accent, NFD), and an id holding an invisible or look-alike character is refused: a
format character (Cf: zero-width space, joiners, direction marks, soft hyphen, BOM) or another
character Unicode draws as nothing (a variation selector), a control character (parse_text refuses
those), or a space other than the plain one (a no-break space). Look-alike letters of other scripts
(Cyrillic а for Latin a) and letter case are not folded: those are distinct ids. Ids already stored
are never rewritten: a lookup finds a stored id by its own spelling, its NFC or its NFD form (index
look-ups all), and compares NFC forms. (records.parse_external_id applies this.)
"""

import re

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): drawn as nothing. Most are
# format characters (Cf); these are not, and hide as well: variation selectors, the combining grapheme
# joiner, Hangul fillers, Mongolian free variation selectors, tag-like and reserved ranges.
# U+2800 (Braille pattern blank) is not default-ignorable, but is drawn as a blank all the same.
_INVISIBLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0\ufff0-\ufff8"
                        "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")


def refused_character(text: str) -> str | None:
    """The first invisible or look-alike character of `text`, named ('a format character (U+200B
    ZERO WIDTH SPACE)'), or None when it may be in an external id."""
    if text.isascii():
        return None  # parse_text refused ASCII's control characters; nothing else in ASCII hides
    import unicodedata  # only for text beyond ASCII (not on the start-up path)

    for c in text:
        category = unicodedata.category(c)
        if category in ("Cf", "Cc") or (category == "Zs" and c != " ") or _INVISIBLE.match(c):
            kind = {"Cf": "a format character", "Cc": "a control character",
                    "Zs": "a space other than the plain one"}.get(category, "an invisible character")
            name = unicodedata.name(c, "")
            return f"{kind} (U+{ord(c):04X}{' ' + name if name else ''})"
    return None


def normal(text: str | None) -> str | None:
    """The spelling ids are compared by."""
    if text is None or text.isascii():
        return text
    import unicodedata

    return unicodedata.normalize("NFC", text)


def spellings(text: str) -> list[str]:
    """The stored spellings a lookup of `text` tries through the index: as given, NFC, NFD."""
    if text.isascii():
        return [text]
    import unicodedata

    return list(dict.fromkeys([text, unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)]))


def keep_stored_spelling(new: dict, current: dict, changes: dict) -> None:
    """A new revision keeps the id as stored unless the change gives another one (compared in NFC): an
    amendment of another field neither respells an NFD id nor refuses an id an older release stored.
    The caller leaves an unchanged id out of validation (raw["external_id"] = None) for that reason."""
    if "external_id" not in changes or normal(new.get("external_id")) == normal(current.get("external_id")):
        new["external_id"] = current.get("external_id")
