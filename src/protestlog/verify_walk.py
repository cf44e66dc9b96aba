"""verify's fast pass over incident entries: SQLite builds each entry's canonical JSON, Python
checks and hashes it in one tight loop over batches of rows (no per-row objects or calls beyond
the hash and the sources' parse). A row that does not pass here goes to verify's exact path
(read_row, canonical_problem, _entry_holds), which alone decides what is wrong, so this can only
make a good ledger verify sooner: it accepts a row only if the exact path would.
"""

import datetime as dt
import hashlib
import json
import json.encoder
import re

from protestlog import chain

STORED_INSTANT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$")
INTEGER_COLUMNS = {"seq", "record_id", "revision", "killed", "killed_low", "killed_high", "injured", "injured_low",
                   "injured_high", "detained", "minors", "batch_id"}


def instant(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def _canonical_checker():
    """is_canonical(text): text == canonical_json(json.loads(text)), with the C scanner and encoder
    built once (json.loads and JSONEncoder.encode rebuild them on every call: most of their cost)."""
    scan = json.JSONDecoder().scan_once
    template = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    make = json.encoder.c_make_encoder
    if make is None:  # no C accelerator: the plain, slower path
        def is_canonical(text):
            try:
                return chain.canonical_json(json.loads(text)) == text
            except (ValueError, TypeError, RecursionError):
                return False
        return is_canonical
    encode = make(None, template.default, json.encoder.encode_basestring, None, template.key_separator,
                  template.item_separator, True, False, True)
    join = "".join

    def is_canonical(text):
        try:
            value, end = scan(text, 0)  # leading or trailing space is not canonical: both fail here
            return end == len(text) and join(encode(value, 0)) == text
        except (StopIteration, ValueError, TypeError, RecursionError):
            return False

    return is_canonical


_parse_and_compare = _canonical_checker()

# The common shape of stored sources, in canonical form: a list of objects with the keys protestlog
# writes, in sorted order, each at most once, whose strings hold nothing Python's encoder escapes
# (no quote, backslash or control character) and so no escape either. Text that matches this
# reads and re-encodes to itself; anything else is parsed and compared.
_PLAIN = r'"[^"\\\x00-\x1f]*"'
_SOURCE = rf'\{{(?:"accessed":{_PLAIN}(?=[,}}]),?)?(?:"name":{_PLAIN}(?=[,}}]),?)?(?:"url":{_PLAIN})?(?<!,)\}}'
_CANONICAL_SOURCES = re.compile(rf"\[(?:{_SOURCE}(?:,{_SOURCE})*)?\]").fullmatch


def sources_canonical(text) -> bool:
    """text == canonical_json(json.loads(text)): a regular expression settles the common shape."""
    return (isinstance(text, str) and _CANONICAL_SOURCES(text) is not None) or _parse_and_compare(text)


class EntryWalk:
    """SQLite reads the chain and its entries in one pass and builds each entry's canonical JSON
    (`select`, NULL unless every column holds the type protestlog writes); `advance` takes rows
    while they pass every check."""

    BATCH = 4096

    def __init__(self, db):
        info = [(r[1], bool(r[3])) for r in db.execute("PRAGMA table_info(entries)")]
        hashed = sorted(c for c, _ in info if c not in ("prev_hash", "hash"))
        required = {c for c, not_null in info if not_null}
        # Each column must hold the type protestlog writes, or NULL. Not tested here, as their
        # checks fail on any other type: seq (the rowid: always an integer), prev_hash and hash (compared
        # with the chain's text in Python) and sources (parsed as text in Python).
        types = " AND ".join(f"""typeof(e."{c}") IN ('{"integer" if c in INTEGER_COLUMNS else "text"}', 'null')"""
                             for c, _ in info if c not in ("seq", "prev_hash", "hash", "sources"))

        def part(c, first):
            # Once the types hold, an integer needs no quoting and a NULL integer makes the part NULL, which
            # printf writes as nothing; a text is quoted by json_quote, as Python's encoder does. A column
            # declared NOT NULL is not tested for NULL: were it NULL it would come out as "c":null, which
            # no canonical JSON holds, and the row would go to the exact path.
            key = f'"{c}":' if first else f',"{c}":'
            if c in INTEGER_COLUMNS:
                return f"""'{key}' || e.\"{c}\""""
            if c in required:
                return f"""'{key}' || json_quote(e."{c}")"""
            return f"""CASE WHEN e."{c}" IS NOT NULL THEN '{key}' || json_quote(e."{c}") END"""

        # The first key is written without its comma: a row where it is NULL comes out wrong and goes to
        # the exact path (protestlog never writes one: it is `action`, NOT NULL).
        parts = ", ".join(part(c, i == 0) for i, c in enumerate(hashed))
        content = f"""printf('{{{"%s" * len(hashed)}}}', {parts})"""
        self.select = (f"e.seq, e.prev_hash, e.hash, e.record_id, e.revision, e.recorded_at, e.sources, "
                       f"CASE WHEN e.seq IS NOT NULL AND e.recorded_at IS NOT NULL AND {types} THEN {content} END "
                       f"AS content")
        self.stamps: set[str] = set()  # recording times already found canonical (an import shares one)

    def advance(self, rows: list, start: int, prev: str, expected_pos: int, revisions: dict, clock, expect):
        """Take rows (pos, kind, ref, prev_hash, hash, *select) from `start` while each is the next link
        and an entry that passes every check (links, order and clock, revision, sources, hash). Returns (index of the first row not taken,
        the head after the taken ones, the next position, (pos, seq) where `expect` was met or None)."""
        sha256, canonical, stamps = hashlib.sha256, sources_canonical, self.stamps
        get = revisions.get
        limit, anchor = clock.limit, clock.anchor
        last_entries, last_others = clock.last["entries"], clock.last["others"]
        found, i, end = None, start, len(rows)
        while i < end:
            (pos, _, ref, link_prev, link_hash, _, entry_prev, entry_hash, record_id, revision, stamp, sources,
             content) = rows[i]
            if (content is None or pos != expected_pos or link_prev != prev or entry_prev != prev
                    or entry_hash != link_hash or stamp > limit):
                break
            if pos < anchor:  # before the one-time re-anchoring entries keep their own order (see Clock)
                if stamp < last_entries:
                    break
                new_others = last_others
            elif stamp < last_entries or stamp < last_others:
                break
            else:
                new_others = stamp
            if stamp not in stamps:
                if not (STORED_INSTANT.match(stamp) and instant(stamp)):
                    break
                stamps.add(stamp)
            if (revision != get(record_id, 0) + 1 or not canonical(sources)
                    or sha256((prev + "\n" + content).encode()).hexdigest() != link_hash):
                break
            revisions[record_id] = revision
            last_entries, last_others = stamp, new_others
            prev, expected_pos = link_hash, pos + 1
            if expect is not None and link_hash == expect:
                found = (pos, ref)
            i += 1
        clock.last = {"entries": last_entries, "others": last_others}
        return i, prev, expected_pos, found


def undecodable_text(path) -> tuple[str, int, str] | None:
    """(kind, ref, column) of the first chained row holding text that is not valid UTF-8, or None.

    SQLite stores whatever bytes it is given as TEXT; Python cannot read such a row, so the walk
    stops with a decoding error that names neither the row nor the column. Read as bytes here, on
    a connection of its own, only after that error."""
    import sqlite3
    from pathlib import Path
    from urllib.parse import quote

    con = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)
    try:
        tables = {kind: (table, key, [r[1] for r in con.execute(f"PRAGMA table_info({table})")])
                  for kind, (table, key) in chain.KINDS.items()}
        con.text_factory = bytes
        for kind, (table, key, columns) in tables.items():
            listed = ", ".join(f'"{c}"' for c in columns)  # "group" is a column
            for row in con.execute(f"SELECT {key}, {listed} FROM {table} ORDER BY {key}"):
                for name, value in zip(columns, row[1:]):
                    if value.__class__ is bytes:
                        try:
                            value.decode("utf-8")
                        except UnicodeDecodeError:
                            return kind, row[0], name
    except sqlite3.Error:
        return None
    finally:
        con.close()
    return None
