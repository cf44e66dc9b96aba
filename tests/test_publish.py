"""`publish --datasette`: a read-only copy and metadata.json served by the real Datasette."""

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import DATA_CSV, shipped_rows_as_imported

DATASETTE = Path(sys.executable).parent / "datasette"


@pytest.fixture
def shipped(cli):
    assert cli("import", DATA_CSV, env={"PROTESTLOG_TODAY": "2027-01-01"}).exit_code == 0  # sources read in 2026


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path):
    """The real Datasette on a loopback port; `timeout` ends it even if this test dies first."""
    if not DATASETTE.exists():
        pytest.fail("datasette is not installed: make install installs the 'publish' extra")
    port = free_port()
    wrapper = [shutil.which("timeout"), "120"] if shutil.which("timeout") else []
    proc = subprocess.Popen([*wrapper, str(DATASETTE), str(folder / "ledger.db"), "-m", str(folder / "metadata.json"),
                             "-h", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("datasette did not start: " + proc.stderr.read().decode()[-500:])
            time.sleep(0.2)


def fetch(base: str, path: str):
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return json.loads(response.read())


def test_datasette_serves_canned_queries_with_summarys_figures(cli, shipped, tmp_path):
    out = tmp_path / "site"
    r = cli("publish", "--datasette", out, "--json")
    assert r.exit_code == 0, r
    summary = cli("summary", "--since", "2022-12-07", "--until", "2023-01-10", "--by", "week", "--json").json()
    proc, base = serve(out)
    try:
        totals = fetch(base, "/ledger/totals_since.json?since=2022-12-07&until=2023-01-10&_shape=array")[0]
        expected = summary["totals"]
        assert (totals["records"], totals["killed"], totals["injured"], totals["minors_killed"]) == (
            expected["records"], expected["killed"], expected["injured"], expected["minors_killed"])
        # summary says null when no record in range carries a range; then low = high = the best figure
        assert [totals["killed_low"], totals["killed_high"]] == (expected["killed_range"]
                                                                 or [expected["killed"], expected["killed"]])
        assert totals["injured_reported_in"] == expected["injured_reported_in"]
        assert totals["detained"] is None and expected["detained_reported_in"] == 0  # unknown, not zero

        regions = fetch(base, "/ledger/deaths_by_region.json?since=2022-12-07&until=2023-01-10&_shape=array")
        assert {r["region"]: r["killed"] for r in regions} == {g["name"]: g["killed"] for g in summary["by_region"]}

        weeks = fetch(base, "/ledger/deaths_by_week.json?since=2022-12-07&until=2023-01-10&_shape=array")
        from_summary = [(s["start"], s["killed"], s["cumulative_killed"]) for s in summary["series"] if s["killed"]]
        assert [(w["week_start"], w["killed"], w["cumulative_killed"]) for w in weeks] == from_summary

        emergency = [m for m in summary["milestones"] if m["date"] == "2022-12-15"][0]
        days = emergency["window_days"]
        compared = fetch(base, f"/ledger/before_after_milestone.json?milestone=2022-12-15&days={days}&_shape=array")[0]
        assert (compared["killed_before"], compared["killed_after"]) == (emergency["before"]["killed"],
                                                                          emergency["after"]["killed"])
        assert compared["label"] == "State of emergency declared"

        found = fetch(base, "/ledger/records.json?_search=juliaca&_shape=array")
        assert sorted(row["id"] for row in found) == sorted(r["id"] for r in cli("search", "juliaca", "--json").json())
        meta = fetch(base, "/-/metadata.json")
        assert meta["head_hash"] == r.json()["head_hash"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_metadata_names_the_verified_head_and_as_of(cli, shipped, db, tmp_path):
    out = tmp_path / "site"
    assert cli("publish", "--datasette", out, "--license", "CC0", "--source", "Test desk").exit_code == 0
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    verified = cli("verify", "--json").json()
    conn = sqlite3.connect(db)
    assert meta["head_hash"] == verified["head_hash"] and meta["head_hash"] in meta["description"]
    # When the ledger last changed: the latest of everything the head covers (entries, batches, settings, ...).
    assert meta["as_of"] == conn.execute("SELECT MAX(t) FROM (SELECT MAX(recorded_at) AS t FROM entries UNION ALL "
                                         "SELECT MAX(recorded_at) FROM imports UNION ALL SELECT MAX(recorded_at) "
                                         "FROM milestones UNION ALL SELECT MAX(recorded_at) FROM settings)").fetchone()[0]
    assert (meta["license"], meta["source"]) == ("CC0", "Test desk")
    assert set(meta["databases"]["ledger"]["queries"]) == {"totals_since", "deaths_by_region", "deaths_by_week",
                                                          "before_after_milestone"}
    assert meta["databases"]["ledger"]["tables"]["records"]["columns"]["killed"]
    copy = out / "ledger.db"
    assert not os.access(copy, os.W_OK) or os.geteuid() == 0
    assert oct(copy.stat().st_mode & 0o777) == "0o444"
    current = shipped_rows_as_imported()
    with sqlite3.connect(copy) as c:
        assert c.execute("select count(*), sum(killed) from records").fetchone() == (
            len(current), sum(int(r["killed"]) for r in current))
    # The unredacted copy is the ledger itself: it verifies, with the same head.
    r = cli("--db", copy, "verify", "--json")
    assert r.json()["head_hash"] == meta["head_hash"]


def test_redacted_copy_holds_no_notes_or_names(cli, shipped, db, tmp_path):
    out = tmp_path / "site"
    assert cli("publish", "--datasette", out, "--redact").exit_code == 0
    name = "Soncco"  # a victim named in the shipped notes
    assert name.encode() in Path(db).read_bytes() or name in cli("export", "--format", "json").stdout
    assert name.encode() not in (out / "ledger.db").read_bytes()
    assert not re.search(rb"\btester\b", (out / "ledger.db").read_bytes())  # the recorder ('protester' is a word)
    with sqlite3.connect(out / "ledger.db") as c:
        assert c.execute("select count(*) from entries where note is not null or reason is not null").fetchone() == (0,)
        current = shipped_rows_as_imported()
        assert c.execute("select count(*), sum(killed) from records").fetchone() == (
            len(current), sum(int(r["killed"]) for r in current))
        assert c.execute("select count(*) from search_text_fts where search_text_fts match 'soncco'").fetchone() == (0,)
    assert json.loads((out / "metadata.json").read_text(encoding="utf-8"))["redacted"] is True


def test_redacted_copy_has_no_victim_names_in_the_search_index(cli, add, tmp_path):
    a = add(date="2023-01-09", region="Puno", place="Juliaca", killed=2)
    assert cli("victim", "add", "--name", "Brayan Apaza Jumpiri", "--incident", a).exit_code == 0
    out = tmp_path / "site"
    assert cli("publish", "--datasette", out, "--redact").exit_code == 0
    with sqlite3.connect(out / "ledger.db") as c:
        assert c.execute("select count(*) from search_text_fts where search_text_fts match 'apaza'").fetchone() == (0,)
        assert c.execute("select count(*) from search_text where victims is not null").fetchone() == (0,)
    assert b"Apaza" not in (out / "ledger.db").read_bytes()


def test_publish_refuses_a_tampered_ledger_and_bad_folders(cli, shipped, db, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    r = cli("publish", "--datasette", target)
    assert r.exit_code == 1 and "is a file, not a folder" in r.stderr
    assert cli("publish", "--datasette", "").exit_code == 1 and cli("publish", "--datasette", " ").exit_code == 1
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER entries_append_only_update")
    conn.execute("UPDATE entries SET killed = 99 WHERE seq = 3")
    conn.commit()
    out = tmp_path / "site"
    r = cli("publish", "--datasette", out)
    assert r.exit_code == 1 and "does not pass 'protestlog verify'" in r.stderr
    assert not (out / "ledger.db").exists()


def test_publish_never_replaces_the_working_ledger_or_a_file_it_did_not_write(cli, shipped, db, tmp_path):
    """--db ledger.db with --datasette . once swapped the working ledger for a (redacted) copy, exit 0."""
    before = db.read_bytes()
    for folder in (tmp_path, tmp_path / "."):
        r = cli("publish", "--datasette", folder, "--redact")
        assert r.exit_code == 1 and "holds the ledger being published" in r.stderr, r.stderr
    assert db.read_bytes() == before
    assert cli("verify").exit_code == 0
    # through a symlinked folder too
    (tmp_path / "alias").symlink_to(tmp_path, target_is_directory=True)
    assert cli("publish", "--datasette", tmp_path / "alias").exit_code == 1
    assert db.read_bytes() == before
    # another writable SQLite file named ledger.db is not a publication: left alone
    other = tmp_path / "other"
    other.mkdir()
    (other / "ledger.db").write_bytes(b"someone's own work")
    r = cli("publish", "--datasette", other)
    assert r.exit_code == 1 and "not a copy written by 'publish'" in r.stderr
    assert (other / "ledger.db").read_bytes() == b"someone's own work"
    # a folder published before (read-only copy) is republished
    site = tmp_path / "site"
    assert cli("publish", "--datasette", site).exit_code == 0
    assert cli("publish", "--datasette", site).exit_code == 0
