"""verify's single pass: SQLite writes each entry's canonical JSON exactly as Python would, so
ordinary and awkward entries pass at once; a changed entry falls to the exact check, which names it."""

import json

from conftest import run_exe, tamper
from protestlog.chain import GENESIS
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
        rows = cursor.execute(f"SELECT c.pos, c.kind, c.ref, c.prev_hash, c.hash, {walk.select} FROM chain AS c "
                              f"LEFT JOIN entries AS e ON c.kind = 'entry' AND e.seq = c.ref ORDER BY c.pos").fetchall()
        clock, revisions = Clock(ledger.db), {}
        i, prev, expected_pos, passed = 0, GENESIS, 1, 0
        while i < len(rows):  # as verify's walk runs it
            taken, prev, expected_pos, _ = walk.advance(rows, i, prev, expected_pos, revisions, clock, None)
            passed, i = passed + taken - i, taken
            if i < len(rows):  # it stops only at a link of another kind (the exact path takes those)
                assert rows[i][1] != "entry", rows[i][:3]
                prev, expected_pos, i = rows[i][4], rows[i][0] + 1, i + 1
    assert passed == len(AWKWARD) + 1
    assert json.loads(run_exe("verify", "--json", db=db).stdout)["ok"]


def test_a_changed_entry_is_named_by_the_exact_check(tmp_path):
    db = awkward_ledger(tmp_path)
    tamper(db, "UPDATE entries SET note = 'línea uno' WHERE seq = 5")
    result = run_exe("verify", "--json", db=db)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and not report["ok"]
    assert report["problems"][0]["seq"] == 5 and "does not match its hash" in report["problems"][0]["message"]
