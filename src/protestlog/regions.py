"""Peru's first-level regions, matched the way a person types them.

The list ships inside the package (data/peru_regions.csv links to it): the 24
departments plus Callao and Lima Metropolitana, with their ISO 3166-2:PE codes.
"""

import csv
import unicodedata
from functools import lru_cache
from pathlib import Path

from protestlog.errors import FieldError


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'APURIMAC' and 'Apurímac' meet here."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], tuple[str, ...]]:
    lookup: dict[str, str] = {}
    names = []
    text = (Path(__file__).parent / "peru_regions.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        name = row["name"]
        names.append(name)
        for alias in [name, row["code"], *filter(None, (row["aliases"] or "").split(";"))]:
            lookup[fold(alias)] = name
    return lookup, tuple(names)


@lru_cache(maxsize=4096)
def _known(value: str) -> str | None:
    return _index()[0].get(fold(value))


@lru_cache(maxsize=1)
def region_codes() -> dict[str, str]:
    """Canonical name -> ISO 3166-2:PE code, for tables and maps keyed by code."""
    text = (Path(__file__).parent / "peru_regions.csv").read_text("utf-8")
    return {row["name"]: row["code"] for row in csv.DictReader(text.splitlines())}


def region_names() -> tuple[str, ...]:
    return _index()[1]


def canonical_region(value: str, field: str = "region") -> str:
    """Return the canonical spelling, or raise suggesting the closest region."""
    found = _known(str(value))
    if found is not None:
        return found
    close = closest_region(str(value))
    hint = f"did you mean {close!r}?" if close else "not a region of Peru (see data/peru_regions.csv)"
    raise FieldError(field, value, f"unknown region; {hint}")


def closest_region(value: str) -> str | None:
    """The region a mistyped name most likely meant ('Punno' -> 'Puno'), or None."""
    import difflib  # only when a name is wrong

    lookup = _index()[0]
    close = difflib.get_close_matches(fold(value), list(lookup), n=1, cutoff=0.6)
    return lookup[close[0]] if close else None
