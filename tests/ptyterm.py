"""The installed executable in a real pseudo-terminal of a given size, for tests about terminals.

Nothing is faked: stdin, stdout and stderr are the slave side of a pty, so `isatty()` is true and
Rich reads the window size from the kernel, as it would in a user's terminal.
"""

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time

from conftest import TODAY, protestlog_exe

ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[@-Z\\-_])")


class Terminal:
    def __init__(self, *args, db, cols: int = 80, rows: int = 24, env: dict | None = None):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {k: v for k, v in os.environ.items()
                    if k not in ("PROTESTLOG_TTY", "NO_COLOR", "COLUMNS", "LINES", "FORCE_COLOR", "TERM")}
        full_env.update({"PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY, "PROTESTLOG_USER": "tester",
                         "TERM": "xterm-256color"})
        full_env.update(env or {})
        self.master, self.output, self._seen = master, b"", 0
        self.process = subprocess.Popen([protestlog_exe(), *map(str, args)], stdin=slave, stdout=slave,
                                        stderr=slave, env=full_env, start_new_session=True, close_fds=True)
        os.close(slave)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def expect(self, text: str, timeout: float = 30) -> str:
        """Wait until `text` appears after what was already matched; return the screen text so far."""
        deadline = time.monotonic() + timeout
        while text not in self.text()[self._seen:]:
            got = self._read(0.2)
            exited = not got and self.process.poll() is not None and not self._read(0.2)
            if exited or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; terminal shows:\n{self.text()}")
        self._seen = self.text().index(text, self._seen) + len(text)
        return self.text()

    def send(self, line: str):
        os.write(self.master, (line + "\r").encode("utf-8"))

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05):
            pass
        code = self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        os.close(self.master)
        return code

    def raw(self) -> str:
        return self.output.decode("utf-8", "replace")

    def text(self) -> str:
        """What was printed, without escape sequences, with the terminal's \\r\\n as \\n."""
        return ESCAPE.sub("", self.raw()).replace("\r\n", "\n")


def run_in_terminal(*args, db, cols=80, rows=24, env=None) -> tuple[int, str, str]:
    """Run to the end; (exit code, text without escapes, raw bytes as text)."""
    term = Terminal(*args, db=db, cols=cols, rows=rows, env=env)
    code = term.finish()
    return code, term.text(), term.raw()
