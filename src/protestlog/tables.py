"""Tables for people that fit the terminal without cutting data.

A date, an id, a number, a region, a code or a heading is never split or cut: such columns
keep their full width. Only free text (places, notes, reasons, labels) wraps, at word
boundaries. When even that does not fit, whole columns of lesser value are left out, in an
order each table gives, and the caption says which: the data is still there in every other
format. Piped, there is no box drawing and no trailing space on any line.
"""

import re
from functools import lru_cache

from protestlog.output import Env, cell

# Shorter headings and values for people; machine formats keep the field names and full terms.
LABELS = {"sources_count": "sources", "running_killed": "Σ killed", "running_injured": "Σ injured",
          "cumulative_killed": "Σ killed", "cumulative_injured": "Σ injured"}
SHORT_VALUES = {"clash with security forces": "clash", "blockade-related accident": "blockade"}
SHORT_VALUE_COLUMNS = {"circumstance", "name"}
# Free text: wrapped at spaces. Everything else is kept whole.
WRAP = {"place", "label", "note", "reason", "changes", "value", "message", "a_place", "b_place", "url", "file",
        "milestone", "caption", "total", "sources"}
COMFORT = 24  # free text this wide reads as phrases; narrower, columns of lesser value make room
WRAP_MIN = 16  # a wrapped column narrower than this reads as a list of broken words


# Control characters a ledger may already hold (an older version let them in; sqlite3 edits still can):
# shown as \x1b and the like, never sent, so stored text cannot clear or retitle the reader's terminal.
# Tab and newline stay (Rich lays them out as space and line break).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """`text` with each control character written out as its escape (ESC -> \\x1b, CR -> \\r)."""
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text) if CONTROL.search(text) else text


def width_of(text: str) -> int:
    """Terminal cells, not characters (a wide character takes two)."""
    from rich.cells import cell_len

    return cell_len(text)


def longest_word(text: str) -> int:
    return max((width_of(w) for w in text.split()), default=0)


def widest(cells: list[list[str]], i: int) -> int:
    return max((width_of(line) for row in cells for line in row[i].split("\n")), default=0)


def column_need(header: str, values: list[str], wrap: bool) -> int:
    """The narrowest a column can be without splitting a heading word or a value that must stay whole."""
    broadest = max((width_of(line) for v in values for line in v.split("\n")), default=0)
    if not wrap:
        return max(width_of(header), broadest)
    words = max((longest_word(v) for v in values), default=0)
    return max(longest_word(header), min(broadest, max(WRAP_MIN, min(words, COMFORT))))


@lru_cache(maxsize=64)
def overhead(count: int, boxed: bool) -> int:
    """Columns of padding and dividers a table of `count` columns adds (measured, not assumed)."""
    import io

    from rich.console import Console

    table = _table(boxed)
    for _ in range(count):
        table.add_column("x")
    table.add_row(*["x"] * count)
    plain = Console(file=io.StringIO(), width=10_000, color_system=None)
    with plain.capture() as captured:
        plain.print(table)
    return max(len(line) for line in captured.get().splitlines()) - count


def _table(boxed: bool):
    from rich import box
    from rich.table import Table

    # Two columns of space between cells either way: padding around the box's (blank) divider, or padding alone.
    return Table(box=box.SIMPLE_HEAD if boxed else None, show_edge=False, pad_edge=False, collapse_padding=boxed)


def render(env: Env, rows, columns: list[str], *, title=None, caption=None, numeric=(), drop=(), wrap=(),
           drop_in_order=False):
    """Print rows as a table that fits: keep every atomic value whole, wrap free text, leave out
    columns named in `drop` (first named, first left out) only when the rest cannot fit. Free text
    named in `drop` goes only after the other columns named (it can wrap narrower), unless
    `drop_in_order`."""
    from rich.text import Text

    console = env.console()
    boxed = env.stdout_tty
    width = console.width
    wrap = set(wrap) | (WRAP & set(columns))
    cells = []
    for row in rows:
        values = []
        for c in columns:
            text = visible(cell(row.get(c)))
            if c in SHORT_VALUE_COLUMNS:
                text = SHORT_VALUES.get(text, text)
            values.append(text)
        cells.append(values)
    headers = [LABELS.get(c, c) for c in columns]
    # A short label that another column already has (sources_count and sources) keeps its full name.
    headers = [h if headers.count(h) == 1 else c for h, c in zip(headers, columns)]
    needs = [column_need(headers[i], [r[i] for r in cells], columns[i] in wrap) for i in range(len(columns))]
    kept = list(range(len(columns)))
    left_out = []
    # Leave out the columns named in `drop` until the rest fits with room for free text to read
    # (COMFORT); failing that, until it fits at all; and (never wanted, but better than a cut value)
    # any column from the right.
    comfort = [max(needs[i], min(COMFORT, widest(cells, i))) if columns[i] in wrap else needs[i]
               for i in range(len(columns))]
    fallback = [c for c in reversed(columns[1:]) if c not in drop]
    first = list(drop) if drop_in_order else [c for c in drop if c not in wrap]
    for widths, names in ((comfort, first), (needs, [*drop, *fallback])):
        for name in names:
            if sum(widths[i] for i in kept) + overhead(len(kept), boxed) <= width:
                break
            if name in columns and columns.index(name) in kept and len(kept) > 1:
                kept.remove(columns.index(name))
                left_out.append(headers[columns.index(name)] or name)
        if sum(widths[i] for i in kept) + overhead(len(kept), boxed) <= width:
            break
    if left_out:
        note = (f"Not shown at this width: {', '.join(left_out)} (a wider terminal, or --format csv, shows "
                f"{'it' if len(left_out) == 1 else 'them'}).")
        caption = f"{caption}\n{note}" if caption else note
    if not boxed and PLAIN_FAST_PATH and not any("\n" in v or "\t" in v for r in cells for v in r):
        full = {i: max(width_of(headers[i]), widest(cells, i)) for i in kept}  # every value on one line
        if sum(full.values()) + overhead(len(kept), boxed) <= width:
            _print_plain(env, console, cells, headers, full, {i: columns[i] in numeric for i in kept}, title, caption)
            return
    table = _table(boxed)
    for i in kept:
        atomic = columns[i] not in wrap
        table.add_column(headers[i], justify="right" if columns[i] in numeric else "left",
                         no_wrap=atomic, overflow="fold", min_width=needs[i] if atomic else None)
    for values in cells:
        table.add_row(*[Text(values[i]) for i in kept])
    # Title and caption are printed as text, wrapped to the terminal rather than to the table's width.
    print_fitted(env, console, *([Text(visible(title))] if title else []), table,
                 *([Text(visible(caption))] if caption else []))


PLAIN_FAST_PATH = True  # tests turn it off to compare with Rich's own layout


def _print_plain(env: Env, console, cells, headers, widths: dict, right: dict, title, caption):
    """Piped, when every value fits on one line at its full width: the lines Rich would print (each
    kept column, a key of `widths`, as wide as its widest value, two spaces between, numbers to the
    right, no trailing space), written directly. Rich lays a table out cell by cell: 8.6 s for
    10,000 rows."""
    from rich.text import Text

    from protestlog.output import streaming

    def line(values) -> str:
        parts = []
        for i in widths:
            pad = " " * (widths[i] - width_of(values[i]))
            parts.append(pad + values[i] if right[i] else values[i] + pad)
        return "  ".join(parts).rstrip() + "\n"

    if title:
        print_fitted(env, console, Text(visible(title)))
    streaming(env.stdout)
    env.stdout.write(line(headers))
    env.stdout.writelines(line(values) for values in cells)
    if caption:
        print_fitted(env, console, Text(visible(caption)))


def print_fitted(env: Env, console, *renderables):
    """At a terminal, print as Rich lays it out; piped, without the padding that pads each line to the
    table's width, so the text diffs and greps cleanly, and with prose (Text) wrapped at prose_width."""
    from protestlog.output import prose_width, streaming

    if env.stdout_tty:
        streaming(env.stdout)
        for r in renderables:
            console.print(r)
        return
    from rich.text import Text

    prose = prose_width(env) if any(isinstance(r, Text) for r in renderables) else None
    with console.capture() as captured:
        for r in renderables:  # prose wraps where the reader's terminal does; tables keep their width
            console.print(r, width=min(prose, console.width) if isinstance(r, Text) else None)
    streaming(env.stdout)
    env.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
