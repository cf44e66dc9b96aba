"""A file is imported a chunk of rows at a time, all in one transaction: the chunk size changes
neither what is added nor what is reported, and a run killed between chunks leaves nothing."""

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from conftest import TODAY, run_exe, snapshot
from protestlog.corrections import retract
from protestlog.importer import import_file
from protestlog.ledger import Ledger

HEADER = "external_id,date,region,place,killed,group,source,url\n"
BASE = [
    "a1,2022-12-11,Apurímac,Andahuaylas,2,civilian,Correo,https://example.org/a1\n",  # record 1
    ",2022-12-12,Apurímac,Chincheros,2,civilian,Correo,https://example.org/c1\n",  # record 2, no external id
    "a2,2022-12-15,Ayacucho,Huamanga,10,civilian,HRW,https://example.org/a2\n",  # record 3, retracted below
]
# Each row's fate is written beside it, worked out by hand from the rules in the README.
ROWS = [
    "a1,2022-12-11,Apurímac,Andahuaylas,3,civilian,Correo,https://example.org/a1\n",  # line 2: present, differs from 1
    "n1,2023-01-09,Puno,Juliaca,17,civilian,Amnesty,https://example.org/n1\n",  # 3: added as record 4
    "n1,2023-01-09,Puno,Juliaca,17,civilian,Amnesty,https://example.org/n1\n",  # 4: present (line 3 again)
    ",2022-12-12,Apurímac,Chincheros,2,civilian,Correo,https://example.org/c1\n",  # 5: present (content of 2)
    ",2023-01-10,Puno,Juliaca,1,police,Radio,https://example.org/y\n",  # 6: added as record 5
    ",2023-01-10,Puno,Juliaca,1,police,Radio,https://example.org/y\n",  # 7: present (content of line 6)
    "a2,2022-12-15,Ayacucho,Huamanga,10,civilian,HRW,https://example.org/a2\n",  # 8: present, record 3 retracted
    "n2,2023-01-10,Puno,Juliaca,1,police,Radio,https://example.org/y\n",  # 9: added as record 6 (its id decides)
    ",2023-01-09,Puno,Juliaca,17,civilian,Amnesty,https://example.org/n1\n",  # 10: present (content of line 3)
]
EXPECTED = {"rows": 9, "added": 3, "already_present": 6, "ids": [4, 6],
            "differs": [{"line": 2, "external_id": "a1", "record": 1}],
            "retracted": [{"line": 8, "external_id": "a2", "record": 3}]}


def base_ledger(tmp_path, name):
    db = tmp_path / f"{name}.db"
    (tmp_path / "base.csv").write_text(HEADER + "".join(BASE), encoding="utf-8")
    assert run_exe("import", tmp_path / "base.csv", db=db).returncode == 0
    with Ledger(db) as ledger:
        retract(ledger, 3, reason="duplicate report", by="tester")
    return db


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 4, 2000])
def test_the_chunk_size_changes_nothing_that_is_added_or_reported(tmp_path, chunk_rows):
    db = base_ledger(tmp_path, f"c{chunk_rows}")
    path = tmp_path / "day.csv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    with Ledger(db) as ledger:
        result = import_file(ledger, str(path), today=dt.date.fromisoformat(TODAY), by="tester",
                             chunk_rows=chunk_rows)
    assert {k: result[k] for k in EXPECTED} == EXPECTED
    records = json.loads(run_exe("list", "--json", db=db).stdout)
    assert sorted((r["id"], r["external_id"], r["killed"]) for r in records) == [
        (1, "a1", 2), (2, None, 2), (4, "n1", 17), (5, None, 1), (6, "n2", 1)]
    assert json.loads(run_exe("verify", "--json", db=db).stdout)["ok"]
    again = json.loads(run_exe("import", path, "--json", db=db).stdout)
    assert (again["added"], again["already_present"]) == (0, 9)


def test_a_chunked_import_killed_between_chunks_leaves_nothing(tmp_path):
    """The child writes two chunks of 500 rows inside its transaction, says how many entries it
    then sees, and is killed with SIGKILL before the third: the ledger is as it was."""
    db = tmp_path / "l.db"
    assert run_exe("add", "--date", "2022-12-01", "--region", "Lima", "--killed", "0", db=db).returncode == 0
    assert run_exe("verify", db=db).returncode == 0  # checkpointed: the WAL holds nothing yet
    before = snapshot(db)
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "".join(f"k{i},2022-12-{1 + i % 28:02d},Puno,Place {i},1,civilian,R,"
                                     f"https://example.org/{i}\n" for i in range(3000)), encoding="utf-8")
    seen = tmp_path / "seen.txt"
    child = f"""
import datetime as dt, os, signal, sys
from protestlog.importer import import_file
from protestlog.ledger import Ledger
ledger = Ledger({str(db)!r})
def progress(rows, _bytes):
    written = ledger.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    if written >= 1001:  # the first entry, and two chunks of this import
        open({str(seen)!r}, "w").write(str(written))
        os.kill(os.getpid(), signal.SIGKILL)
import_file(ledger, {str(path)!r}, today=dt.date(2023, 6, 1), by="tester", progress=progress, chunk_rows=500)
"""
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert int(seen.read_text()) == 1001  # two chunks were written inside the transaction...
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 1  # ...and none of them stayed
    assert con.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 0
    con.close()
    report = json.loads(run_exe("verify", "--json", db=db).stdout)
    assert report["ok"] and report["entries"] == 1
    assert snapshot(db)[0] == before[0]
    assert os.path.getsize(db) == len(before[0])
