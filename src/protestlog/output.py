"""Writing data out: machine formats that never change shape, and tables for people.

The environment (streams, whether stdout is a terminal, NO_COLOR) is passed in as an
`Env`, so tests can fake a terminal or a pipe. Data goes to stdout, messages to stderr.
"""

import json
import os
import re
import sys
from typing import IO, Iterable


class Env:
    """Where output goes and what kind of place it is (a plain class: dataclasses cost start-up time)."""

    def __init__(self, stdout: IO | None = None, stderr: IO | None = None, stdout_tty: bool = False,
                 stdin_tty: bool = False, stderr_tty: bool = False, no_color: bool = False, raw: bool = False):
        self.stdout = stdout or sys.stdout
        self.raw = raw  # --raw: CSV/TSV cells as stored, without the formula guard
        self.stderr = stderr or sys.stderr
        self.stdout_tty, self.stdin_tty, self.stderr_tty, self.no_color = stdout_tty, stdin_tty, stderr_tty, no_color

    @classmethod
    def detect(cls) -> "Env":
        """PROTESTLOG_TTY=1/0 overrides detection (tests, and `script`-style wrappers)."""
        forced = os.environ.get("PROTESTLOG_TTY")
        def tty(stream) -> bool:
            if forced is not None:
                return forced == "1"
            try:
                return stream.isatty()
            except (AttributeError, ValueError):
                return False

        return cls(stdout_tty=tty(sys.stdout), stdin_tty=tty(sys.stdin), stderr_tty=tty(sys.stderr),
                   no_color="NO_COLOR" in os.environ)

    def console(self, stderr: bool = False):
        """A Rich console built per command (not at import): plain, boxless text when piped.

        NO_COLOR or TERM=dumb means no escape sequence at all (Rich's own no_color still sends
        bold and italic), so no colour system is given to Rich then.
        """
        from rich.console import Console

        stream, is_tty = (self.stderr, self.stderr_tty) if stderr else (self.stdout, self.stdout_tty)
        if is_tty:
            plain = self.plain
            console = Console(file=stream, highlight=False, no_color=plain, emoji=False,
                              **({"color_system": None} if plain else {}))
        else:
            console = Console(file=stream, no_color=True, force_terminal=False, highlight=False,
                              width=piped_width(), color_system=None, emoji=False)
        console.on_broken_pipe = _reader_left
        return console

    @property
    def plain(self) -> bool:
        """NO_COLOR or TERM=dumb: no escape sequence of any kind (colour, bold, cursor movement)."""
        return self.no_color or os.environ.get("TERM") == "dumb"

    def say(self, message: str):
        print(message, file=self.stderr)


def piped_width() -> int:
    """Piped text is laid out 200 columns wide (tables rarely need to wrap), or $COLUMNS when set."""
    try:
        return max(40, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        return 200


def prose_width(env: "Env") -> int:
    """The width piped prose (titles, caveats, notes) wraps at: $COLUMNS when set, else the terminal the
    user is looking at (stderr's, or /dev/tty's: `summary | less`, `> file`), else 80. Tables keep
    piped_width, so no column is left out of a file."""
    try:
        return max(40, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        pass
    if env.stderr_tty:
        try:
            return max(40, os.get_terminal_size(env.stderr.fileno()).columns)
        except (AttributeError, ValueError, OSError):
            pass
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return 80
    try:
        return max(40, os.get_terminal_size(fd).columns)
    except OSError:
        return 80
    finally:
        os.close(fd)


def _reader_left():
    """`protestlog … | head`: the reader went away. Stop quietly with SIGPIPE's usual status."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (tests capture stdout)
        pass
    raise SystemExit(141)


def plural(count, noun: str, nouns: str | None = None) -> str:
    """'1 record', '2 records', '1 entry', '3 entries'."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {nouns or (noun[:-1] + 'ies' if noun.endswith('y') else noun + 's')}"


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def cell(value) -> str:
    """A value as text for tables and CSV: never Python's None or True."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return _COMPACT(value)
    return str(value)


# Set when a command starts writing data to stdout: Ctrl-C then says the output is incomplete rather
# than "wrote nothing" (the CLI's interruption message reads it; the CLI clears it per command).
STREAMED: list[bool] = []


def streaming(out) -> None:
    """Note that data is going to stdout (not to a file written aside and renamed, which stays whole)."""
    if out is sys.stdout and not STREAMED:
        STREAMED.append(True)


def _write_batched(out, lines, batch: int = 512):
    """Write many short lines in few calls (one write per line costs as much as encoding it)."""
    pending = []
    for line in lines:
        pending.append(line)
        if len(pending) == batch:
            out.write("".join(pending))
            pending.clear()
    out.write("".join(pending))


# A CSV/TSV cell starting with one of these is run as a formula by a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_RISKY_FIRST = "=+-@\t\r'"  # the above, and a leading ' that the guard's own prefix could be mistaken for


def escapes_quote(value: str) -> bool:
    """A cell that starts with ' and a character `import` would read as the guard's prefix: it gets
    one more ', in every CSV/TSV output (--raw too), so export -> import gives back the same text."""
    return value.startswith("'") and len(value) > 1 and value[1] in FORMULA_STARTS + ("'",)


_PLAIN_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _plain_number(text: str) -> bool:
    """-3, +2.5, -1e-06: a spreadsheet reads these as numbers, never as formulas."""
    return _PLAIN_NUMBER.fullmatch(text) is not None


def neutralise(value, *, formulas: bool = True):
    """The CSV-injection guard, as OWASP advises: text a spreadsheet would run as a formula (starting
    with = + - @ tab or CR) gets a leading ', which `import` removes again. Numbers (-3 as a number,
    or text that is only a number) stay as they are; `formulas=False` (--raw) leaves formulas alone."""
    if value.__class__ is not str or not value or value[0] not in _RISKY_FIRST:
        return value
    if escapes_quote(value):
        return "'" + value
    if not formulas or value[0] == "'" or _plain_number(value):
        return value
    return "'" + value


def write_delimited(env: Env, rows: Iterable[tuple], columns: list[str], fmt: str):
    """CSV or TSV from tuples in column order (None is an empty cell): the one writer of every CSV/TSV
    output, so every one gets the formula guard (`env.raw`, from --raw, turns it off)."""
    import csv

    formulas = not env.raw
    risky = _RISKY_FIRST
    streaming(env.stdout)
    writer = csv.writer(env.stdout, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow([neutralise(c, formulas=formulas) for c in columns])
    # Most cells are numbers, None or plain text: test the first character inline, call the guard only
    # for the few that need it (a function call per cell costs as much as writing it).
    writer.writerows([v if v.__class__ is not str or not v or v[0] not in risky
                      else neutralise(v, formulas=formulas) for v in row] for row in rows)


write_tuples = write_delimited  # the name `list` uses for its fast path


_MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]<>|#&]")


def markdown_text(value) -> str:
    """Text for Markdown, as the report writes it: on one line, with every character Markdown (or the
    HTML it lets through) would read as markup escaped: `\\ ` * _ { } [ ] < > | # &`, so a place
    named <script> or [x](javascript:…) is shown as text wherever the Markdown is pasted."""
    text = "" if value is None else " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)


def markdown_cell(value) -> str:
    """A table cell: `cell()`'s text (never None or True), escaped with `markdown_text`."""
    return markdown_text(cell(value))


def write_json(env: Env, data):
    streaming(env.stdout)
    json.dump(data, env.stdout, ensure_ascii=False, indent=2)
    env.stdout.write("\n")


def write_rows(env: Env, rows: Iterable[dict], columns: list[str], fmt: str, *, title: str | None = None,
               caption: str | None = None, numeric: Iterable[str] = (), drop: Iterable[str] = (),
               wrap: Iterable[str] = (), drop_in_order: bool = False):
    """Stream rows in one of the formats; `table` and `markdown` are for people, the rest for scripts.

    For `table`, `drop` names the columns to leave out, in that order, when the terminal is too narrow
    for the rest (`drop_in_order`: free text too, in that order), and `wrap` names free-text columns
    besides the usual ones (see tables.py)."""
    out = env.stdout
    if fmt != "table":
        streaming(out)  # a table is laid out first and printed whole (tables.print_fitted notes it then)
    if fmt == "json":
        encode = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps builds anew for every call
        first = True
        out.write("[")
        for row in rows:
            out.write(("\n  " if first else ",\n  ") + encode(row))
            first = False
        out.write("]\n" if first else "\n]\n")
    elif fmt == "ndjson":
        encode = json.JSONEncoder(ensure_ascii=False).encode
        _write_batched(out, (encode(row) + "\n" for row in rows))
    elif fmt in ("csv", "tsv"):
        # The csv module writes None as an empty cell and numbers and text as str() does, as cell()
        # would: only lists, objects and true/false (never Python's True) need cell(); the rest skip it.
        structured = (list, dict, bool)
        write_delimited(env, ([v if v.__class__ not in structured else cell(v) for v in map(row.get, columns)]
                              for row in rows), columns, fmt)
    elif fmt == "markdown":
        if title:
            out.write(f"**{markdown_text(title)}**\n\n")
        out.write("| " + " | ".join(markdown_text(c) for c in columns) + " |\n")
        out.write("|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|\n")
        for row in rows:
            out.write("| " + " | ".join(markdown_cell(row.get(c)) for c in columns) + " |\n")
        if caption:
            out.write("\n" + "\n\n".join(markdown_text(p) for p in caption.split("\n\n")) + "\n")
    else:
        from protestlog.tables import render

        render(env, rows, columns, title=title, caption=caption, numeric=numeric, drop=drop, wrap=wrap,
               drop_in_order=drop_in_order)


TEMP_MARK = ".protestlog-tmp-"


def check_output_path(path: str):
    """Refuse, before any work, an --output that is a folder, a FIFO or a device: one line, exit 1."""
    import stat

    from protestlog.errors import FieldError

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise FieldError("output", path, f"cannot write there: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise FieldError("output", path, "is a folder; give a file name")
    if not stat.S_ISREG(mode):
        raise FieldError("output", path, "is a FIFO, socket or device, not a regular file")


def write_file(path: str, content, *, private: bool = False) -> None:
    """Write next to the target and rename, so a killed run never leaves half an image or report.

    `content` is text, bytes, or an iterable of text chunks (a report streamed from the ledger).
    `private` (output that holds notes, which may name victims): readable by the owner only, like
    the ledger. The temporary file is named `.NAME.protestlog-tmp-PID`, so the next run removes
    those a killed run left behind.
    """
    from pathlib import Path

    from protestlog.errors import FieldError

    check_output_path(path)
    target = Path(path)
    chunks = [content] if isinstance(content, (str, bytes)) else content
    _remove_stale(target)
    tmp = target.parent / f".{target.name}{TEMP_MARK}{os.getpid()}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        raise FieldError("output", path, f"cannot write there: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        _unlink(tmp)
        raise FieldError("output", path, f"cannot write there: {exc.strerror}") from None
    except BaseException:
        _unlink(tmp)
        raise


class atomic_output:
    """`with atomic_output(path) as stream:` text written to a temporary file beside `path` and
    renamed onto it at the end, as `write_file` does; on an error the old file stays."""

    def __init__(self, path: str, *, private: bool = False):
        from pathlib import Path

        check_output_path(path)
        self.path, self.target, self.private = path, Path(path), private

    def __enter__(self):
        from protestlog.errors import FieldError

        _remove_stale(self.target)
        self.tmp = self.target.parent / f".{self.target.name}{TEMP_MARK}{os.getpid()}"
        try:
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as exc:
            raise FieldError("output", self.path, f"cannot write there: {exc.strerror}") from None
        self.stream = os.fdopen(fd, "w", encoding="utf-8", newline="")
        return self.stream

    def __exit__(self, kind, exc, tb):
        from protestlog.errors import FieldError

        try:
            self.stream.close()
            if kind is None:
                os.chmod(self.tmp, 0o600 if self.private else 0o644)
                os.replace(self.tmp, self.target)
        except OSError as error:
            _unlink(self.tmp)
            raise FieldError("output", self.path, f"cannot write there: {error.strerror}") from None
        finally:
            if kind is not None:
                _unlink(self.tmp)
        return False


def _remove_stale(target) -> None:
    from protestlog.ledger_files import alive  # one liveness test for every temp-file sweep

    for stale in target.parent.glob(f".{target.name}{TEMP_MARK}*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not alive(int(pid)):
            _unlink(stale)


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
