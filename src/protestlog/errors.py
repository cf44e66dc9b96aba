"""Library exceptions and the exit codes they map to at the CLI edge.

The library raises these; only the CLI turns them into exit codes, so the
Python API and the command line agree on what counts as whose fault.
"""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1  # bad data, a ledger problem, a failed check
    USAGE = 2  # the command line itself was wrong


class LedgerError(Exception):
    """A data or ledger problem: exit 1, ledger unchanged."""

    exit_status = ExitStatus.ERROR


class FieldError(LedgerError):
    """One field of one record is invalid; names the field, the value and, for files, the line."""

    def __init__(self, field: str, value, reason: str, line: int | None = None):
        self.field, self.value, self.reason, self.line = field, value, reason, line
        super().__init__(self._message())

    def _message(self) -> str:
        shown = repr(value_preview(self.value))
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.field}={shown}: {self.reason}"

    def at_line(self, line: int) -> "FieldError":
        return FieldError(self.field, self.value, self.reason, line)


class FieldErrors(FieldError):
    """Several fields of one record are wrong. Reads as the first, so a command that shows one
    still can; carries them all, so an import reports every problem of a row at once."""

    def __init__(self, errors: list):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.field, first.value, first.reason, first.line)

    def at_line(self, line: int) -> "FieldErrors":
        return FieldErrors([e.at_line(line) for e in self.errors])


def raise_any(errors: list):
    """Raise what was found: nothing, the one FieldError, or FieldErrors for several."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)


def each_error(exc: FieldError) -> list:
    """Every problem an error stands for, in the order found."""
    return exc.errors if isinstance(exc, FieldErrors) else [exc]


class OptionError(FieldError):
    """A command-line option value that cannot be used (an --as-of out of range): exit 2."""

    exit_status = ExitStatus.USAGE


class UsageProblem(LedgerError):
    """Wrong use of a command that Click could not catch itself (e.g. a missing field with no terminal)."""

    exit_status = ExitStatus.USAGE


def value_preview(value, limit: int = 60):
    """Keep error lines to one short line even for a 1 MB note (repr() escapes NUL and newlines)."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value
