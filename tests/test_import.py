"""`protestlog import`: whole files or nothing, with the line and field of the first bad row."""

import csv
import json

import pytest

from conftest import DATA_CSV, snapshot
from protestlog.ledger import Ledger

HEADER = "date,region,place,killed,injured,group,minors,circumstance,cause,source,url\n"
GOOD = [
    "2022-12-11,Apurímac,Andahuaylas,2,5,civilian,1,clash,firearm,Correo,https://example.org/a\n",
    "2022-12-15,ayacucho,Huamanga,10,61,civilian,0,clash,firearm,HRW,https://example.org/b\n",
    "2023-01-09,PUNO,Juliaca,17,,civilian,,clash,firearm,Amnesty,https://example.org/c\n",
]


def count(db):
    with Ledger(db) as ledger:
        return ledger.db.execute("SELECT COUNT(*), SUM(killed) FROM entries").fetchone()


def test_csv_import_adds_every_row(cli, db, tmp_path):
    path = tmp_path / "reports.csv"
    path.write_text(HEADER + "".join(GOOD), encoding="utf-8")
    result = cli("import", path, "--json")
    assert result.exit_code == 0, result
    assert result.json()["added"] == 3
    assert tuple(count(db)) == (3, 29)


def test_json_import_adds_every_row(cli, db, tmp_path):
    path = tmp_path / "reports.json"
    path.write_text(json.dumps([{"date": "2022-12-11", "region": "Apurímac", "killed": 2, "minors": 1},
                                {"date": "2022-12-15", "region": "Ayacucho", "killed": 10,
                                 "sources": [{"name": "HRW", "url": "https://example.org/b"}]}]))
    result = cli("import", path)
    assert result.exit_code == 0, result
    assert tuple(count(db)) == (2, 12)


@pytest.mark.parametrize("bad_row, line, field", [
    ("2022-12-12,Chincheros,,2,,civilian,,clash,firearm,,\n", 3, "region"),
    ("2022-12-12,Apurímac,,-2,,civilian,,clash,firearm,,\n", 3, "killed"),
    ("2022-12-12,Apurímac,,2,,civilian,3,clash,firearm,,\n", 3, "minors"),
    ("2022-12-32,Apurímac,,2,,civilian,,clash,firearm,,\n", 3, "date"),
    ("2099-12-12,Apurímac,,2,,civilian,,clash,firearm,,\n", 3, "date"),
    ("2022-12-12,Apurímac,,2,,students,,clash,firearm,,\n", 3, "group"),
    ("2022-12-12,Apurímac,,2\n", 3, "row"),
])
def test_a_bad_row_in_the_middle_rejects_the_whole_file(cli, db, tmp_path, bad_row, line, field):
    cli("add", "--date", "2022-12-01", "--region", "Lima", "--killed", "0")
    before = snapshot(db)
    path = tmp_path / "reports.csv"
    path.write_text(HEADER + GOOD[0] + bad_row + GOOD[1] + GOOD[2], encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 1, result
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert f"line {line}:" in message and f"{field}=" in message, message
    assert snapshot(db) == before


def test_unknown_or_duplicate_columns_are_refused(cli, db, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("date,region,killed,deaths\n2022-12-11,Puno,1,1\n")
    result = cli("import", path)
    assert result.exit_code == 1 and "header='deaths'" in result.stderr
    path.write_text("date,region,killed,killed\n2022-12-11,Puno,1,1\n")
    result = cli("import", path)
    assert result.exit_code == 1 and "twice" in result.stderr
    assert not db.exists() or count(db)[0] == 0


def test_bom_and_hyphenated_headers_are_read(cli, db, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffdate,region,killed,killed-high\r\n2022-12-11,Puno,1,2\r\n".encode("utf-8"))
    assert cli("import", path).exit_code == 0
    with Ledger(db) as ledger:
        assert ledger.db.execute("SELECT killed_high FROM entries").fetchone()[0] == 2


def test_wrong_encoding_is_refused(cli, db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("date,region,killed,place\n2022-12-11,Puno,1,Juliaca Ñ\n".encode("latin-1"))
    result = cli("import", path)
    assert result.exit_code == 1 and "UTF-8" in result.stderr


def test_unknown_extension_needs_format(cli, tmp_path):
    path = tmp_path / "reports.txt"
    path.write_text(HEADER + GOOD[0])
    assert cli("import", path).exit_code == 1
    assert cli("import", path, "--format", "csv").exit_code == 0


def test_shipped_data_imports_and_every_row_is_sourced(cli, db):
    result = cli("import", DATA_CSV, "--json", env={"PROTESTLOG_TODAY": None})  # sources were read in 2026
    assert result.exit_code == 0, result
    with open(DATA_CSV, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert result.json()["added"] == len(rows)
    assert all(r["source"] and r["url"].startswith("https://") for r in rows)
    assert cli("list", "--json").json()[-1]["running_killed"] == sum(int(r["killed"]) for r in rows)
