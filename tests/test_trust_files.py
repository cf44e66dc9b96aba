"""Issue 12: files the ledger writes and reads, exports that round-trip, reports that publish safely."""

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import add_args, protestlog_exe, snapshot


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def ledger(cli, add, db):
    add(date="2023-01-09", region="Puno", killed=17, source="Defensoría", url="https://example.org/a",
        note="names a minor")
    add(date="2022-12-15", region="Ayacucho", killed=7)
    return db


# ---- file modes ---------------------------------------------------------------------------


def run(*args, db, env=None, cwd=None, umask=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith("PROTESTLOG_")}
    full.update({"PROTESTLOG_DB": str(db), "PROTESTLOG_USER": "tester", "PROTESTLOG_TODAY": "2023-06-01"})
    full.update(env or {})
    pre = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run([protestlog_exe(), *map(str, args)], capture_output=True, text=True, env=full,
                          cwd=cwd, timeout=60, stdin=subprocess.DEVNULL, preexec_fn=pre)


def test_a_symlinked_ledger_path_creates_a_private_target(tmp_path):
    target = tmp_path / "real" / "ledger.db"
    target.parent.mkdir()
    link = tmp_path / "link.db"
    link.symlink_to(target)
    result = run(*add_args(date="2023-01-09", region="Puno", killed=1), db=link, umask=0o022)
    assert result.returncode == 0, result.stderr
    assert mode(target) == 0o600
    for suffix in ("-wal", "-shm"):
        for base in (target, link):
            extra = Path(str(base) + suffix)
            if extra.exists():
                assert mode(extra) == 0o600, extra


def test_wal_and_shm_are_private_whatever_the_umask(tmp_path):
    db = tmp_path / "ledger.db"
    assert run(*add_args(date="2023-01-09", region="Puno", killed=1), db=db, umask=0).returncode == 0
    # Keep a reader open so the -wal and -shm files exist while we look at them.
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("BEGIN")
    con.execute("SELECT count(*) FROM entries").fetchone()
    try:
        assert run(*add_args(date="2023-01-10", region="Puno", killed=1), db=db, umask=0).returncode == 0
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert path.exists() and mode(path) == 0o600, path
    finally:
        con.close()


# ---- reading where nothing can be written ---------------------------------------------------


def as_nobody():
    os.setgid(65534)
    os.setuid(65534)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the reader as another user")
@pytest.mark.parametrize("where", ["folder", "file"])
def test_a_ledger_the_reader_cannot_write_can_be_read(where):
    """Issue 12: 'attempt to write a readonly database' for a ledger in a folder the reader cannot write."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="protestlog-ro-"))
    try:
        db = folder / "ledger.db"
        assert run(*add_args(date="2023-01-09", region="Puno", killed=4), db=db).returncode == 0
        os.chmod(db, 0o644)  # shared read-only with another user
        os.chmod(folder, 0o755 if where == "folder" else 0o777)
        before = sorted(p.name for p in folder.iterdir())
        full = {k: v for k, v in os.environ.items() if not k.startswith("PROTESTLOG_")}
        full.update({"PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": "2023-06-01", "HOME": str(folder)})
        for args in (["summary", "--json"], ["verify"], ["list", "--json"]):
            try:
                subprocess.run([protestlog_exe(), "--help"], capture_output=True, preexec_fn=as_nobody, cwd="/")
            except PermissionError:
                pytest.skip("the installed executable cannot be run by another user here")
            result = subprocess.run([protestlog_exe(), *args], capture_output=True, text=True, env=full,
                                    timeout=60, stdin=subprocess.DEVNULL, preexec_fn=as_nobody, cwd="/")
            assert result.returncode == 0, (args, result.stderr)
        assert json.loads(subprocess.run([protestlog_exe(), "summary", "--json", "--since", "2023-01-01",
                                          "--until", "2023-01-31"], capture_output=True, text=True, env=full,
                                         timeout=60, preexec_fn=as_nobody, cwd="/").stdout)["totals"]["killed"] == 4
        assert sorted(p.name for p in folder.iterdir()) == before  # no file left behind
        write = subprocess.run([protestlog_exe(), *add_args(date="2023-01-09", region="Puno", killed=1)],
                               capture_output=True, text=True, env=full, timeout=60, preexec_fn=as_nobody, cwd="/")
        assert write.returncode == 1 and "read-only" in write.stderr and "Traceback" not in write.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_read_only_opens_write_nothing(tmp_path):
    """The read-only mode the CLI takes by itself where it cannot write (root can write anywhere, so
    the library's switch is tested here): no -wal/-shm created, reads work, writes are refused."""
    from protestlog.errors import LedgerError
    from protestlog.ledger import Ledger

    db = tmp_path / "ledger.db"
    assert run(*add_args(date="2023-01-09", region="Puno", killed=4), db=db).returncode == 0
    before = sorted(p.name for p in tmp_path.iterdir())
    with Ledger(db, read_only=True) as ledger:
        assert ledger.db.execute("SELECT sum(killed) FROM entries").fetchone()[0] == 4
        assert sorted(p.name for p in tmp_path.iterdir()) == before
        with pytest.raises(LedgerError, match="read-only"):
            ledger.add({"date": "2023-01-09", "region": "Puno", "killed": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# ---- output files ---------------------------------------------------------------------------


def test_export_output_is_written_atomically_and_privately(cli, ledger, tmp_path):
    out = tmp_path / "out.csv"
    result = cli("export", "--output", out)
    assert result.exit_code == 0, result
    assert "names a minor" in out.read_text(encoding="utf-8")
    assert mode(out) == 0o600  # it holds notes, so it gets the ledger's privacy
    redacted = tmp_path / "public.csv"
    assert cli("export", "--redact", "--output", redacted).exit_code == 0
    assert "names a minor" not in redacted.read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if "protestlog-tmp" in p.name]


def test_stale_temp_files_of_a_killed_run_are_removed(cli, ledger, tmp_path):
    out = tmp_path / "out.csv"
    stale = tmp_path / ".out.csv.protestlog-tmp-999999999"
    stale.write_text("half", encoding="utf-8")
    assert cli("export", "--output", out).exit_code == 0
    assert not stale.exists()


@pytest.mark.parametrize("kind", ["dir", "fifo", "device"])
@pytest.mark.parametrize("command", [("export",), ("report", "--format", "markdown"), ("chart",)])
def test_output_refuses_folders_fifos_and_devices(cli, ledger, tmp_path, kind, command):
    if kind == "dir":
        target = tmp_path / "folder.svg"
        target.mkdir()
    elif kind == "fifo":
        target = tmp_path / "pipe.svg"
        os.mkfifo(target)
    else:  # a character device of our own (never /dev/null: an old build replaced it with a file)
        target = tmp_path / "device"
        try:
            os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("cannot make a device node here")
    before = snapshot(ledger)
    result = cli(*command, "--output", target)
    assert result.exit_code in (1, 2) and len(result.stderr.strip().splitlines()) == 1, result
    assert "output" in result.stderr
    assert snapshot(ledger) == before


# ---- report --redact and literal labels --------------------------------------------------------


def test_report_redact_leaves_out_notes(cli, ledger):
    full = cli("report", "--format", "markdown")
    assert full.exit_code == 0
    redacted = cli("report", "--format", "markdown", "--redact")
    assert redacted.exit_code == 0, redacted
    # The incident table shows no note column today; the redacted report must never carry notes or recorders.
    assert "names a minor" not in redacted.stdout and "tester" not in redacted.stdout


@pytest.mark.parametrize("label", ["Curfew $\\foo$", "$5 to $10", "a $x^2$ b"])
def test_dollar_signs_in_labels_are_drawn_literally(cli, ledger, tmp_path, label):
    pytest.importorskip("matplotlib")
    assert cli("milestone", "add", "2023-01-01", label).exit_code == 0
    out = tmp_path / "chart.svg"
    result = cli("chart", "--since", "2022-12-01", "--until", "2023-01-31", "--output", out)
    assert result.exit_code == 0, result
    assert label.replace("<", "&lt;") in out.read_text(encoding="utf-8")
    report = cli("report", "--since", "2022-12-01", "--until", "2023-01-31")
    assert report.exit_code == 0, report
    assert label in report.stdout


# ---- Markdown escaping -----------------------------------------------------------------------


def test_markdown_escapes_pipes_and_trailing_backslashes(cli, db, add, tmp_path):
    add(date="2023-01-09", region="Puno", killed=1, place="a|b\\", source="x|y\\",
        url="https://example.org/a|b\\")
    listing = cli("list", "--format", "markdown")
    rows = [line for line in listing.stdout.splitlines() if line.startswith("| 1 ")]
    assert rows and _cells(rows[0]) == len(_cells_header(listing.stdout)), listing.stdout
    report = cli("report", "--format", "markdown")
    assert report.exit_code == 0
    incident = [line for line in report.stdout.splitlines() if line.startswith("| 1 | 2023-01-09 |")]
    assert incident and _cells(incident[0]) == 9, incident


def _cells(line: str) -> int:
    """Cells of a GFM table row: split on pipes not escaped by an odd number of backslashes."""
    count, i, escaped = 0, 0, False
    for ch in line.strip()[1:-1]:
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if ch == "|" and not escaped:
            count += 1
        escaped = False
    return count + 1


def _cells_header(text: str) -> list[str]:
    header = next(line for line in text.splitlines() if line.startswith("| id"))
    return header.strip()[1:-1].split("|")
