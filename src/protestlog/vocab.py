"""Controlled vocabularies: what a record may say about who died, how and how sure we are."""

from functools import lru_cache

GROUPS = ("civilian", "police", "military", "unknown")
CIRCUMSTANCES = ("clash with security forces", "blockade-related accident", "other")
CAUSES = ("firearm", "pellets", "tear gas", "blunt force", "burns", "vehicle", "other", "unknown")
CONFIDENCE = ("confirmed", "probable", "unverified", "contested")  # most to least certain
PRECISIONS = ("day", "week", "month")

# ACLED's coding rule for vague counts (ACLED Codebook, "Fatalities"): the number
# coded is the lowest the wording allows. Kept beside the reported wording, never instead of it.
VAGUE_COUNTS = {
    "a few": 3,
    "several": 3,
    "tens": 10,
    "dozens": 12,
    "a dozen": 12,
    "scores": 20,
    "hundreds": 100,
}

# A short form a person may type for each circumstance.
CIRCUMSTANCE_ALIASES = {
    "clash": "clash with security forces",
    "blockade": "blockade-related accident",
}


def choose(field: str, value: str, allowed, aliases=None):
    """Match a value case-insensitively against a vocabulary, or raise naming the choices."""
    from protestlog.errors import FieldError

    found = _match(str(value), allowed, tuple(sorted(aliases.items())) if aliases else ())
    if found is None:
        raise FieldError(field, value, "must be one of: " + ", ".join(allowed))
    return found


@lru_cache(maxsize=4096)
def _match(value: str, allowed: tuple, aliases: tuple) -> str | None:
    """Cached: an import repeats the same few values on every row."""
    key = " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
    for option in allowed:
        if key == option.replace("-", " "):
            return option
    return dict(aliases).get(key)
