"""verify's single pass: SQLite writes each entry's canonical JSON exactly as Python would, so
ordinary and awkward entries pass at once; a changed entry falls to the exact check, which names it."""

import json

from conftest import run_exe, tamper
from protestlog.ledger import Ledger
from protestlog.verify import Clock, EntryWalk

AWKWARD = ['quote " and backslash \\ and slash /', "tab\tand more",
           "accents áéíóú ñ, Ayacucho’s “quotes”", "line\u2028separator and emoji 🕯", "línea uno\nlínea dos"]


def awkward_ledger(tmp_path):
    db = tmp_path / "l.db"
    for i, note in enumerate(AWKWARD):
        result = run_exe("add", "--date", f"2022-12-{11 + i}", "--region", "Puno", "--killed", str(i), "--note", note,
                         "--source", f"Radio “{i}” Ñ", "--url", f"https://example.org/{i}?q=a&b=ñ", db=db)
        assert result.returncode == 0, result.stderr
    assert run_exe("amend", "2", "--killed", "7", "--reason", "recount \"x\"", db=db).returncode == 0
    return db


def test_every_entry_passes_the_single_pass(tmp_path):
    """No entry needs the row-by-row check: SQLite's JSON and Python's agree on every character."""
    db = awkward_ledger(tmp_path)
    with Ledger(db) as ledger:
        walk = EntryWalk(ledger.db)
        cursor = ledger.db.cursor()
        cursor.row_factory = None
        rows = cursor.execute(f"SELECT c.hash, c.pos, {walk.select} FROM chain AS c JOIN entries AS e "
                              f"ON c.kind = 'entry' AND e.seq = c.ref ORDER BY c.pos").fetchall()
        clock, revisions = Clock(ledger.db), {}
        passed = [walk.holds(tuple(part), part[1], link_hash, revisions, clock, pos)
                  for link_hash, pos, *part in rows]
    assert len(passed) == len(AWKWARD) + 1 and all(passed)
    assert json.loads(run_exe("verify", "--json", db=db).stdout)["ok"]


def test_a_changed_entry_is_named_by_the_exact_check(tmp_path):
    db = awkward_ledger(tmp_path)
    tamper(db, "UPDATE entries SET note = 'línea uno' WHERE seq = 5")
    result = run_exe("verify", "--json", db=db)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and not report["ok"]
    assert report["problems"][0]["seq"] == 5 and "does not match its hash" in report["problems"][0]["message"]
