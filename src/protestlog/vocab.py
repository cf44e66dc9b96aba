"""Controlled vocabularies: what a record may say about who died, how and how sure we are."""

from functools import lru_cache

GROUPS = ("civilian", "police", "military", "unknown")
CIRCUMSTANCES = ("clash with security forces", "blockade-related accident", "other")
CAUSES = ("firearm", "pellets", "tear gas", "blunt force", "burns", "vehicle", "other", "unknown")
CONFIDENCE = ("confirmed", "probable", "unverified", "contested")  # most to least certain
PRECISIONS = ("day", "week", "month")
# Alleged responsible force, for incidents and victims alike: who is alleged to have caused the deaths.
RESPONSIBLE = ("police", "army", "navy", "other state", "civilians", "unknown")

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
    # The same words in Spanish, as Peruvian reports write them.
    "unos pocos": 3,
    "algunos": 3,
    "varios": 3,
    "decenas": 10,
    "docenas": 12,
    "una docena": 12,
    "cientos": 100,
    "centenares": 100,
}

# A short form a person may type for each circumstance.
CIRCUMSTANCE_ALIASES = {
    "clash": "clash with security forces",
    "blockade": "blockade-related accident",
}


# Spanish, as Peruvian sources and recorders write it (matched without case or accents); the
# ledger stores the canonical English term, so totals never split by language.
SPANISH = {
    GROUPS: {"civil": "civilian", "civiles": "civilian", "policia": "police", "policias": "police",
             "militar": "military", "militares": "military", "desconocido": "unknown"},
    CIRCUMSTANCES: {"enfrentamiento": "clash with security forces",
                    "enfrentamiento con fuerzas de seguridad": "clash with security forces",
                    "enfrentamiento con las fuerzas del orden": "clash with security forces",
                    "bloqueo": "blockade-related accident", "accidente por bloqueo": "blockade-related accident",
                    "otro": "other", "otra": "other"},
    CAUSES: {"arma de fuego": "firearm", "proyectil de arma de fuego": "firearm", "perdigones": "pellets",
             "perdigon": "pellets", "gas lacrimogeno": "tear gas", "bomba lacrimogena": "tear gas",
             "objeto contundente": "blunt force", "golpe": "blunt force", "quemaduras": "burns",
             "vehiculo": "vehicle", "atropello": "vehicle", "otro": "other", "otra": "other",
             "desconocido": "unknown", "desconocida": "unknown"},
    CONFIDENCE: {"confirmado": "confirmed", "confirmada": "confirmed", "probable": "probable",
                 "no verificado": "unverified", "no verificada": "unverified", "sin verificar": "unverified",
                 "disputado": "contested", "disputada": "contested", "cuestionado": "contested"},
    PRECISIONS: {"dia": "day", "semana": "week", "mes": "month"},
    RESPONSIBLE: {"policia": "police", "policia nacional": "police", "pnp": "police", "ejercito": "army",
                  "fuerzas armadas": "army", "marina": "navy", "marina de guerra": "navy",
                  "otro estatal": "other state", "otra fuerza del estado": "other state", "civiles": "civilians",
                  "civil": "civilians", "desconocido": "unknown"},
}


def choose(field: str, value: str, allowed, aliases=None):
    """Match a value against a vocabulary (case, accents, `-`/`_` ignored; Spanish accepted),
    or raise naming the choices."""
    from protestlog.errors import FieldError

    found = _match(str(value), allowed, _alias_key(aliases))
    if found is None:
        raise FieldError(field, value, "must be one of: " + ", ".join(allowed) + " (or the Spanish term)"
                         * (allowed in SPANISH))
    return found


_ALIAS_KEYS: dict[int, tuple] = {}


def _alias_key(aliases) -> tuple:
    """The aliases as a hashable key for _match's cache, built once per alias table, not per value."""
    if not aliases:
        return ()
    cached = _ALIAS_KEYS.get(id(aliases))
    if cached is None or cached[0] is not aliases:
        cached = _ALIAS_KEYS[id(aliases)] = (aliases, tuple(sorted(aliases.items())))
    return cached[1]


def fold(value: str) -> str:
    import unicodedata

    bare = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
    return " ".join(bare.casefold().replace("_", " ").replace("-", " ").split())


@lru_cache(maxsize=4096)
def _match(value: str, allowed: tuple, aliases: tuple) -> str | None:
    """Cached: an import repeats the same few values on every row."""
    key = fold(value)
    for option in allowed:
        if key == option.replace("-", " "):
            return option
    return dict(aliases).get(key) or SPANISH.get(allowed, {}).get(key)
