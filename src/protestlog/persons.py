"""Likely duplicate persons: the same person recorded twice, found the way HRDAG finds them.

Blocking: two victims are compared only when they are in the same region (or one region is
unknown) and some date of one (injury, death, or the linked incident's date) is within a
window of some date of the other. Within a block the score adds evidence:

    names       up to +0.7: every name and other spelling of one compared with every one of
                the other, insensitive to accents, case, word order and punctuation; words
                match when equal after Spanish spelling folds (Jhonatan = Jonathan, Yanquerhuay
                ~ Llanterhuay) or close (edit similarity >= 0.85, or
                letters swapped, five letters or more), an initial matches its word.
                All words of the shorter name matched: 0.7 (0.63 when one name lacks a word,
                such as a second surname; less for initials). A name sharing only a surname
                gives almost nothing, and two names that each keep a word the other lacks
                (Juan / Pedro Quispe Mamani) are not the same name.
    age         +0.15 when the ages overlap (1 year of tolerance), -0.2 when 4+ years apart
    sex         +0.05 the same, -0.5 different
    same linked incident +0.1, same date of death +0.1

A person decides; nothing is merged.
"""

import datetime as dt
import re
from difflib import SequenceMatcher

from protestlog.regions import fold

DEFAULT_THRESHOLD = 0.7
DEFAULT_WINDOW = 3  # days
NAME_WEIGHT = 0.7
TOKEN = re.compile(r"[a-z0-9]+")
# Spanish spellings of one sound, folded to one form (order matters: digraphs first).
SPELLING = (("jh", "j"), ("th", "t"), ("ph", "f"), ("ch", "x"), ("ll", "y"), ("qu", "k"), ("cc", "k"),
            ("ce", "se"), ("ci", "si"), ("c", "k"), ("z", "s"), ("v", "b"), ("w", "u"), ("y", "i"), ("h", ""))


def tokens(name: str) -> list[str]:
    return TOKEN.findall(fold(name))


def spelling_key(token: str) -> str:
    """A word as it sounds in Spanish: Jhonatan, Jonathan and Jonatan share the key 'jonatan'."""
    key = token
    for a, b in SPELLING:
        key = key.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", key)  # doubled letters: Hancco / Hanco


def _token_match(a: str, b: str) -> float:
    """1 for the same word, 0.5 for an initial, 0 otherwise."""
    if len(a) == 1 or len(b) == 1:
        return 0.5 if a[0] == b[0] else 0.0
    if a == b:
        return 1.0
    ka, kb = spelling_key(a), spelling_key(b)
    if ka == kb:
        return 1.0
    if min(len(ka), len(kb)) >= 5 and SequenceMatcher(None, ka, kb).ratio() >= 0.85:
        return 1.0
    if len(ka) >= 5 and ka[0] == kb[0] and sorted(ka) == sorted(kb):  # letters swapped: Huaraca / Huacara
        return 1.0
    return 0.0


def name_similarity(a: str, b: str) -> tuple[float, str]:
    """0..1 and why: all words of the shorter name found in the longer is a match."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0, ""
    ta, tb = _join_split_words(ta, tb), _join_split_words(tb, ta)
    if len(ta) > len(tb):
        ta, tb = tb, ta
    # Greedy one-to-one pairing, best matches first.
    candidates = sorted(((_token_match(x, y), i, j) for i, x in enumerate(ta) for j, y in enumerate(tb)),
                        reverse=True)
    used_a, used_b, full, initials = set(), set(), 0, 0
    for score, i, j in candidates:
        if score == 0 or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        if score == 1.0:
            full += 1
        else:
            initials += 1
    short = len(ta)
    if full + initials < short:  # each name keeps a word the other lacks: not the same name
        return round(0.3 * full / max(len(tb), 1), 3), f"only {full} of {short} words in common"
    if full >= 2:
        exact = full == short == len(tb)
        return (1.0 if exact else 0.9), ("same name" if exact else "one name lacks a word the other has")
    if full == 1 and initials:
        return 0.7, "one word and initials match"
    if full == 1:
        return 0.5, "a one-word name matches"
    return 0.5, "initials match"


def _join_split_words(words: list[str], other: list[str]) -> list[str]:
    """'Jhan Carlos' written as 'Jhancarlo' elsewhere: join two adjacent words that make one of the other's."""
    out, i = [], 0
    while i < len(words):
        if i + 1 < len(words) and len(words[i]) > 1 and len(words[i + 1]) > 1 and \
                any(_token_match(words[i] + words[i + 1], o) for o in other if len(o) > 1) and \
                not any(_token_match(words[i], o) == 1.0 for o in other):
            out.append(words[i] + words[i + 1])
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


def _names(v: dict) -> list[str]:
    return [n for n in [v.get("name"), *(v.get("other_names") or [])] if n]


def _dates(v: dict) -> list[dt.date]:
    return [dt.date.fromisoformat(d) for d in (v.get("date_of_death"), v.get("date_injured"), v.get("incident_date"))
            if d]


def pair_score(a: dict, b: dict) -> tuple[float, list[str]]:
    best, why, pair = 0.0, "", None
    for na in _names(a):
        for nb in _names(b):
            s, reason = name_similarity(na, nb)
            if s > best:
                best, why, pair = s, reason, (na, nb)
    if pair is None:
        return 0.0, []
    reasons = [f"names {pair[0]!r} / {pair[1]!r}: {why}"]
    score = NAME_WEIGHT * best
    if a.get("age_low") is not None and b.get("age_low") is not None:
        gap = max(a["age_low"] - b["age_high"], b["age_low"] - a["age_high"], 0)
        if gap <= 1:
            score += 0.15
            reasons.append("ages agree")
        elif gap >= 4:
            score -= 0.2
            reasons.append(f"ages differ by {gap} years")
    if "unknown" not in (a.get("sex"), b.get("sex")) and a.get("sex") and b.get("sex"):
        if a["sex"] == b["sex"]:
            score += 0.05
        else:
            score -= 0.5
            reasons.append("different sex")
    if a.get("incident_id") and a.get("incident_id") == b.get("incident_id"):
        score += 0.1
        reasons.append("same incident")
    if a.get("date_of_death") and a.get("date_of_death") == b.get("date_of_death"):
        score += 0.1
        reasons.append("same date of death")
    return round(max(min(score, 1.0), 0.0), 2), reasons


def likely_same_persons(victims: list[dict], *, threshold: float = DEFAULT_THRESHOLD,
                        window_days: int = DEFAULT_WINDOW) -> list[dict]:
    """Pairs of victim records that probably describe one person, best first.

    `victims` are dicts with `victim_id`, the victim fields, and `incident_date` (of the linked
    incident, or None). Blocked on region and a date window: sorted by date, each victim meets
    only those within `window_days` after it, so the work grows with a block's size, not n².
    """
    dated = []
    for v in victims:
        days = _dates(v)
        if days and _names(v):
            dated.append((min(days), max(days), v))
    dated.sort(key=lambda x: (x[0], x[2]["victim_id"]))
    window = dt.timedelta(days=window_days)
    pairs, seen = [], set()
    for i, (first_a, last_a, a) in enumerate(dated):
        for first_b, last_b, b in dated[i + 1:]:
            if first_b > last_a + window:
                break
            if a.get("region") and b.get("region") and a["region"] != b["region"]:
                continue
            if not _near(_dates(a), _dates(b), window):
                continue
            key = tuple(sorted((a["victim_id"], b["victim_id"])))
            if key in seen or key[0] == key[1]:
                continue
            seen.add(key)
            score, reasons = pair_score(a, b)
            if score >= threshold:
                pairs.append({"a": key[0], "b": key[1], "score": score, "reasons": reasons,
                              "a_name": _label(a if a["victim_id"] == key[0] else b),
                              "b_name": _label(b if a["victim_id"] == key[0] else a),
                              "region": a.get("region") or b.get("region")})
    pairs.sort(key=lambda p: (-p["score"], p["a"], p["b"]))
    return pairs


def _near(da: list, db: list, window: dt.timedelta) -> bool:
    return any(abs(x - y) <= window for x in da for y in db)


def _label(v: dict) -> str:
    return v.get("name") or v.get("description") or ""
