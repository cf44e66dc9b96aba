"""Controlled vocabularies: what a record may say about who died, how and how sure we are."""

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

    key = " ".join(str(value).strip().lower().replace("_", " ").replace("-", " ").split())
    for option in allowed:
        if key == option.replace("-", " "):
            return option
    if aliases and key in aliases:
        return aliases[key]
    raise FieldError(field, value, "must be one of: " + ", ".join(allowed))
