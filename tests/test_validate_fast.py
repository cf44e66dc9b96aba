"""validate's fast paths (one regex for plain text and short counts) decide exactly as the full rules:
a str subclass takes the full path, so the two are compared on the same values."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from protestlog.errors import FieldError
from protestlog.records import parse_count, parse_text


class Slow(str):
    """Not exactly `str`: parse_text and parse_count skip their fast path for it."""


def outcome(parse, field, value):
    try:
        return ("ok", parse(field, value))
    except FieldError as exc:
        return ("error", str(exc))


AWKWARD = st.sampled_from(["\x00", "\x1c", "\x1f", "\x7f", "\x85", "\x9f", "\xa0", "\u2028", "\u2029", "\u2027",
                           "\u202a", "\ud800", "\udfff", "\ue000", "\t", "\n", " ", "é", "٣", "x" * 199, "7"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(AWKWARD, st.text(max_size=4)), max_size=6).map("".join),
       st.sampled_from(["place", "province", "external_id", "url", "killed_reported"]))
@example("x" * 200, "place")
@example("x" * 201, "place")
@example(" \u2028Juliaca\u2029 ", "place")
def test_text_fast_path_decides_as_the_full_rules(text, field):
    assert outcome(parse_text, field, text) == outcome(parse_text, field, Slow(text))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.from_regex(r"\A[ ]?-?[0-9]{0,11}[ ]?\Z"), st.text(max_size=5)))
@example("99999999")
@example("100000000")
@example("100000001")
@example("000000000012")
@example("٣")
def test_count_fast_path_decides_as_the_full_rules(text):
    assert outcome(parse_count, "killed", text) == outcome(parse_count, "killed", Slow(text))
