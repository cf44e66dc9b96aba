"""Nothing lost, nothing half-written: concurrent writers, killed runs, bad ledger files.

These run the installed executable in subprocesses, as terminal users and CI jobs do.
"""

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import TODAY, protestlog_exe, run_exe, snapshot


def count(db) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    finally:
        con.close()


def verified(db) -> dict:
    result = run_exe("verify", "--json", db=db, timeout=300)
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["ok"], result.stdout + result.stderr
    return report


def env_for(db) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PROTESTLOG_TTY", "NO_COLOR")}
    env.update({"PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY, "PROTESTLOG_USER": "tester"})
    return env


# ---- concurrency ----------------------------------------------------------------------


def test_eight_processes_adding_a_hundred_records_each(tmp_path):
    """8 shell loops, each calling `protestlog add` 100 times, all on one ledger at once."""
    db = tmp_path / "shared.db"
    exe = protestlog_exe()
    loop = (f'for i in $(seq 1 100); do "{exe}" add --date 2022-12-15 --region Ayacucho --killed 1 '
            f'--note "worker $W record $i" --by "worker$W" > /dev/null || exit 1; done')
    workers = [subprocess.Popen(["bash", "-c", loop], env={**env_for(db), "W": str(w)}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(8)]
    outcomes = [(w.wait(timeout=900), w.stderr.read()) for w in workers]
    assert all(code == 0 for code, _ in outcomes), outcomes
    assert count(db) == 800
    report = verified(db)
    assert report["entries"] == 800
    rows = json.loads(run_exe("list", "--json", db=db).stdout)
    assert len(rows) == 800 and len({r["id"] for r in rows}) == 800
    assert {r["note"] for r in rows} == {f"worker {w} record {i}" for w in range(8) for i in range(1, 101)}


def test_a_held_lock_gives_a_clear_error_not_a_hang(tmp_path):
    db = tmp_path / "l.db"
    assert run_exe("add", "--date", "2022-12-15", "--region", "Puno", "--killed", "1", db=db).returncode == 0
    before = count(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        started = time.monotonic()
        result = run_exe("--lock-timeout", "0.5", "add", "--date", "2022-12-15", "--region", "Puno",
                         "--killed", "2", db=db)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "locked" in result.stderr and "--lock-timeout" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert waited < 30
    assert count(db) == before
    assert run_exe("add", "--date", "2022-12-15", "--region", "Puno", "--killed", "2", db=db).returncode == 0


def test_readers_do_not_block_writers(tmp_path):
    db = tmp_path / "l.db"
    assert run_exe("add", "--date", "2022-12-15", "--region", "Puno", "--killed", "1", db=db).returncode == 0
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 1  # a long read is open
    try:
        result = run_exe("--lock-timeout", "2", "add", "--date", "2022-12-16", "--region", "Puno",
                         "--killed", "1", db=db)
        assert result.returncode == 0, result.stderr
        assert reader.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 1  # its snapshot holds
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert count(db) == 2


def test_durability_settings(tmp_path):
    """WAL with synchronous=FULL on every connection protestlog opens."""
    from protestlog.ledger import Ledger

    with Ledger(tmp_path / "l.db", create=True) as ledger:
        assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ledger.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert ledger.db.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000


# ---- killed runs ----------------------------------------------------------------------


ROWS = 100_000


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "reports.csv"
    regions = ["Puno", "Ayacucho", "Apurímac", "Cusco", "Junín", "Lima", "Arequipa"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("external_id,date,region,place,killed,injured,group,source,url\n")
        for i in range(ROWS):
            f.write(f"r{i},2022-12-{1 + i % 31:02d},{regions[i % 7]},Place {i % 50},{i % 6},{i % 10},civilian,"
                    f"Report {i % 7},https://example.org/{i}\n")
    return path


def default_sigint():
    """A job started in the background by a non-interactive shell (as CI may run us) inherits
    SIGINT ignored, and Python then never raises KeyboardInterrupt: give the child the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_import(db, path):
    return subprocess.Popen([protestlog_exe(), "import", str(path)], env=env_for(db), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)


def test_sigkill_during_a_large_import_leaves_all_or_nothing(tmp_path, big_csv):
    full = tmp_path / "full.db"
    started = time.monotonic()
    done = start_import(full, big_csv)
    assert done.wait(timeout=900) == 0, done.stderr.read()
    duration = time.monotonic() - started
    assert count(full) == ROWS
    verified(full)
    for fraction in (0.15, 0.5, 0.85, 0.97):
        db = tmp_path / f"killed-{fraction}.db"
        run_exe("add", "--date", "2022-12-01", "--region", "Lima", "--killed", "0", db=db)  # a ledger with history
        proc = start_import(db, big_csv)
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert count(db) - 1 in (0, ROWS), fraction
        verified(db)


def test_sigkill_during_amendments_never_breaks_the_chain(tmp_path):
    db = tmp_path / "l.db"
    assert run_exe("add", "--date", "2022-12-15", "--region", "Ayacucho", "--killed", "7", db=db).returncode == 0
    for attempt in range(6):
        proc = subprocess.Popen([protestlog_exe(), "amend", "1", "--killed", str(8 + attempt), "--reason", "recount"],
                                env=env_for(db), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        time.sleep(0.05 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        report = verified(db)
        history = json.loads(run_exe("show", "1", "--json", db=db).stdout)["history"]
        assert [h["revision"] for h in history] == list(range(1, report["entries"] + 1))


def test_ctrl_c_stops_an_import_cleanly(tmp_path, big_csv):
    db = tmp_path / "l.db"
    run_exe("add", "--date", "2022-12-01", "--region", "Lima", "--killed", "0", db=db)
    before = snapshot(db)
    proc = start_import(db, big_csv)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "nothing" in err and "Traceback" not in err
    assert count(db) == 1
    assert snapshot(db) == before
    verified(db)


# ---- bad ledger files -------------------------------------------------------------------


def seeded(tmp_path) -> Path:
    db = tmp_path / "l.db"
    for day in ("2022-12-11", "2022-12-12", "2022-12-15"):
        assert run_exe("add", "--date", day, "--region", "Apurímac", "--killed", "2", "--note", "x" * 3000,
                       db=db).returncode == 0
    return db


def test_a_truncated_ledger_is_refused_and_left_alone(tmp_path):
    db = seeded(tmp_path)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    before = snapshot(db)
    for args in (["list"], ["add", "--date", "2022-12-20", "--region", "Puno", "--killed", "1"], ["verify"]):
        result = run_exe(*args, db=db)
        assert result.returncode == 1, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) >= 1 and "Traceback" not in result.stderr
    assert snapshot(db)[0] == before[0]


def test_a_garbage_page_is_reported_by_verify(tmp_path):
    db = seeded(tmp_path)
    data = bytearray(db.read_bytes())
    data[4096 + 8: 4096 + 400] = os.urandom(392)
    db.write_bytes(bytes(data))
    result = run_exe("verify", db=db)
    assert result.returncode == 1 and "Traceback" not in result.stderr


def without_file_permission_override(args):
    """Root ignores file modes; drop that capability (when root) so a read-only file is read-only."""
    if os.geteuid() != 0:
        return args
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv: cannot make a file read-only for this process")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps",
            "-dac_override,-dac_read_search", "--", *args]


def run_restricted(db, *args):
    return subprocess.run(without_file_permission_override([protestlog_exe(), *args]), env=env_for(db),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_read_only_ledger_file(tmp_path):
    db = seeded(tmp_path)
    before = db.read_bytes()
    db.chmod(0o444)
    try:
        assert run_restricted(db, "list", "--json").returncode == 0  # reading still works
        result = run_restricted(db, "add", "--date", "2022-12-20", "--region", "Puno", "--killed", "1")
        assert result.returncode == 1 and "read-only" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    finally:
        db.chmod(0o600)
    assert db.read_bytes() == before


def test_read_only_folder(tmp_path):
    db = seeded(tmp_path)
    before = db.read_bytes()
    tmp_path.chmod(0o555)
    try:
        result = run_restricted(db, "add", "--date", "2022-12-20", "--region", "Puno", "--killed", "1")
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        fresh = run_restricted(tmp_path / "new.db", "add", "--date", "2022-12-20", "--region", "Puno",
                               "--killed", "1")
        assert fresh.returncode == 1 and "cannot create ledger" in fresh.stderr, fresh.stderr
    finally:
        tmp_path.chmod(0o755)
    assert db.read_bytes() == before


def test_full_disk(tmp_path, big_csv):
    """A file-size limit stands in for a full disk: the import fails whole, the ledger is unchanged."""
    db = seeded(tmp_path)
    run_exe("verify", db=db)  # checkpoint: the WAL is folded back and removed
    before = snapshot(db)
    limit = db.stat().st_size + 256 * 1024

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run([protestlog_exe(), "import", str(big_csv)], env=env_for(db), capture_output=True,
                            text=True, timeout=600, stdin=subprocess.DEVNULL, preexec_fn=small_disk)
    assert result.returncode == 1, result.stderr
    assert "disk" in result.stderr and "Traceback" not in result.stderr
    assert count(db) == 3
    assert snapshot(db)[0] == before[0]
    verified(db)


@pytest.mark.parametrize("when, written", [("before the commit", False), ("after the commit", True)])
def test_ctrl_c_says_whether_the_change_was_written(tmp_path, when, written):
    """Ctrl-C in the instant after an import commits (while the result line is printed) said
    "wrote nothing" with every row in the ledger. The child interrupts itself at a fixed point, on
    either side of the commit, through the real CLI entry point."""
    db = tmp_path / "l.db"
    assert run_exe("add", "--date", "2022-12-01", "--region", "Lima", "--killed", "0", db=db).returncode == 0
    path = tmp_path / "r.csv"
    path.write_text("date,region,killed,source,url\n2022-12-02,Puno,3,S,https://example.org/1\n", encoding="utf-8")
    child = f"""
import sys
import protestlog.importer as importer
real = importer.import_file
def interrupted(ledger, *args, **kwargs):
    if {not written}:
        raise KeyboardInterrupt  # before anything is written
    result = real(ledger, *args, **kwargs)
    raise KeyboardInterrupt  # committed: only the result line is lost
importer.import_file = interrupted
sys.argv = ["protestlog", "--db", {str(db)!r}, "import", {str(path)!r}]
from protestlog.cli import run
run()
"""
    env = env_for(db)
    proc = subprocess.run([str(Path(protestlog_exe()).parent / "python"), "-c", child], capture_output=True,
                          text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 130, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert count(db) == (2 if written else 1)
    if written:
        assert "after the change was written" in proc.stderr and "wrote nothing" not in proc.stderr
    else:
        assert "wrote nothing" in proc.stderr
