"""Where a ledger file lives: can this process write there, and building a new ledger aside.

A new ledger made by `import` is built as `.NAME.protestlog-new-PID` beside its path and linked
into place at its first commit, so a rejected or interrupted import leaves no empty ledger.
"""

import os
from pathlib import Path


def writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent if str(path.parent) else ".", os.W_OK)


ASIDE = ".protestlog-new-"


def aside(final: Path) -> Path:
    """Where a new ledger is built until its first commit; stale ones of killed runs are removed."""
    for stale in final.parent.glob(f".{final.name}{ASIDE}*"):
        pid = stale.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not alive(int(pid)) and not stale.name.endswith(("-wal", "-shm")):
            remove_aside(stale)
    return final.parent / f".{final.name}{ASIDE}{os.getpid()}"


def alive(pid: int) -> bool:
    """Whether a process still runs (a temp file named after a dead one is left over from a kill)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_aside(path: Path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{path}{suffix}")
        except OSError:
            pass
