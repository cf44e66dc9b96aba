"""Compact JSON objects of fixed keys, written the way the json module writes them, at import speed.

Every record's fingerprint and every entry's hash cover a JSON object of known keys. Built as a
dict and given to `json.JSONEncoder`, one object costs about 8 µs (the encoder is set up again on
every call and collects a piece per key): most of what hashing 100,000 rows costs. `object_writer`
writes the Python code for one set of keys once — one line per key, no loop, no dict — and that
function gives exactly the encoder's text (tests/test_json_text.py compares them on every kind of value).
"""

import json
from json.encoder import encode_basestring as _string  # what JSONEncoder(ensure_ascii=False) writes a str as

_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode  # chain.canonical_json


def object_writer(keys: tuple, *, order: tuple | None = None, omit_none=(), verbatim=()):
    """A function(values) -> the JSON object of `keys` (values given in that order), written in
    `order` (default: as given); a key of `omit_none` is left out while None (True: every key); a
    value of a key in `verbatim` is JSON text already and goes in as is. The text equals
    JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode of the same dict, for any value."""
    order = tuple(keys) if order is None else tuple(order)
    if sorted(order) != sorted(keys) or len(set(keys)) != len(keys):
        raise ValueError("order must hold the same keys, each once")
    position = {key: i for i, key in enumerate(keys)}
    lines = [f"def write(values):", f"    ({''.join(f'v{i}, ' for i in range(len(keys)))}) = values",
             "    out = []", "    add = out.append"]
    for key in order:
        v = f"v{position[key]}"
        text = v if key in verbatim else (f"('null' if {v} is None else _string({v}) if type({v}) is str "
                                          f"else str({v}) if type({v}) is int else _encode({v}))")
        line = f"add({_string(key) + ':'!r} + {text})"
        lines.append(f"    if {v} is not None: {line}" if omit_none is True or key in omit_none else f"    {line}")
    lines.append("    return '{' + ','.join(out) + '}'")
    namespace = {"_string": _string, "_encode": _COMPACT}
    exec("\n".join(lines), namespace)  # noqa: S102 - the code is built from the keys above, never from data
    return namespace["write"]


_NAME_ACCESSED_URL, _NAME_ACCESSED = {"name", "accessed", "url"}, {"name", "accessed"}


def sources_text(sources: list) -> str:
    """chain.canonical_json of a record's sources ({name, accessed[, url]} each, as validate makes
    them), written directly; any other shape goes to the encoder itself."""
    parts = []
    try:
        for source in sources:
            keys = source.keys()
            if keys == _NAME_ACCESSED_URL:
                parts.append('{"accessed":' + _string(source["accessed"]) + ',"name":' + _string(source["name"])
                             + ',"url":' + _string(source["url"]) + "}")
            elif keys == _NAME_ACCESSED:
                parts.append('{"accessed":' + _string(source["accessed"]) + ',"name":' + _string(source["name"]) + "}")
            else:
                return _CANONICAL(sources)
    except (AttributeError, TypeError):  # not a dict, or a value that is not text
        return _CANONICAL(sources)
    return "[" + ",".join(parts) + "]"
