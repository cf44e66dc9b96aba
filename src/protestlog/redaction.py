"""Taking victims' names out of what is published.

Names and ages of the dead are personal data about people who cannot consent (Every Casualty
standards): `--redact` replaces each name with the victim's id. Names also leak through other
text — a source titled "prosecutor's case over Robert Medina Llanterhuay", a URL slug
"…/sonia-aguilar-quispe…" — so a Redactor built from every name and spelling the ledger has ever
held (retracted victims and old revisions included) scrubs any text, insensitive to case,
accents and separators.
"""

import json
import re

from protestlog.regions import fold

WORD = re.compile(r"[a-z0-9]+")


class Redactor:
    def __init__(self, names_by_victim: dict[int, set[str]]):
        patterns = []
        for victim_id, names in names_by_victim.items():
            for name in names:
                words = WORD.findall(fold(name))
                if len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 4 and len(names) == 1):
                    patterns.append((words, victim_id))
                # a given name with a surname, or two surnames, often stand alone in a headline
                for a, b in zip(words, words[1:]):
                    if len(a) >= 3 and len(b) >= 3:
                        patterns.append(([a, b], victim_id))
        patterns.sort(key=lambda p: -sum(len(w) for w in p[0]))
        self.patterns = patterns
        self.compiled = [(re.compile(r"(?<![a-z0-9])" + r"[^a-z0-9]{1,3}".join(map(re.escape, words))
                                     + r"(?![a-z0-9])"), victim_id) for words, victim_id in patterns]

    @classmethod
    def from_ledger(cls, ledger) -> "Redactor":
        from protestlog.victim_store import has_victims_table

        names: dict[int, set[str]] = {}
        if has_victims_table(ledger.db):
            for victim_id, name, others in ledger.db.execute(
                    "SELECT victim_id, name, other_names FROM victim_entries"):
                bucket = names.setdefault(victim_id, set())
                bucket.update(n for n in [name, *json.loads(others or "[]")] if n)
        return cls(names)

    def scrub(self, text):
        """The text with every known name replaced by [victim N]; other values pass through."""
        if not isinstance(text, str) or not self.compiled or not text:
            return text
        folded, mapping = _fold_with_map(text)
        hits = []
        for pattern, victim_id in self.compiled:
            for m in pattern.finditer(folded):
                hits.append((m.start(), m.end(), victim_id))
        if not hits:
            return text
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out, pos = [], 0
        for start, end, victim_id in hits:
            if start < pos:
                continue
            out.append(text[pos:mapping[start]])
            out.append(f"[victim {victim_id}]")
            pos = mapping[end - 1] + 1
        out.append(text[pos:])
        return "".join(out)

    def scrub_url(self, url):
        """A URL that names a victim keeps only its site: a broken slug would still name them."""
        if not isinstance(url, str) or self.scrub(url) == url:
            return url
        match = re.match(r"^(https?://[^/?#]+)", url, re.I)
        return (match.group(1) + "/[redacted]") if match else "[redacted]"

    def scrub_sources(self, sources):
        if isinstance(sources, str):
            sources = json.loads(sources)
        return [{k: (self.scrub_url(v) if k == "url" else self.scrub(v)) for k, v in s.items()} for s in sources]


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """Case- and accent-folded text with, for each folded character, its index in the original."""
    out, mapping = [], []
    for i, ch in enumerate(text):
        f = fold(ch) if not ch.isspace() else " "
        for c in f or "":
            out.append(c)
            mapping.append(i)
    return "".join(out), mapping
