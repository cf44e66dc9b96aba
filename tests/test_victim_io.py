"""Victim lists in and out: the published list's columns, idempotence, all or nothing, redaction."""

import csv
import io
import unicodedata
from pathlib import Path

import pytest

from conftest import REPO, snapshot

HEADER = ("external_id,incident_external_id,name,other_names,age,sex,minor,date_injured,date_of_death,region,place,"
          "cause,role,direct,responsible,unit,confidence,source,url,accessed,note")
ROWS = [
    'v-1,inc-juliaca,Brayan Apaza Jumpiri,Brayan Apaza Jumpuri;B.A.J.,15,male,,2023-01-09,2023-01-12,Puno,Juliaca,'
    'firearm,bystander,direct,police,,confirmed,La República,https://larepublica.pe/2023/01/12/brayan-apaza-jumpiri,'
    '2023-05-01,"Shot on 9 January, died on 12 January."',
    'v-2,inc-juliaca,Marco Antonio Samillán Sanga,Marco Samillán,29,male,,,2023-01-09,Puno,Juliaca,firearm,other,'
    'direct,police,,confirmed,"Amnesty International on the death of Marco Antonio Samillán",https://amnesty.org/x,'
    '2023-05-01,Medical intern helping the wounded.',
    'v-3,inc-juliaca,unnamed premature newborn,,,unknown,yes,,2023-01-09,Puno,Chucuito,other,other,indirect,'
    'civilians,,probable,EFE,https://efe.com/y,2023-05-01,Ambulance held at a blockade.',
    'v-4,,Rosa Quispe Mamani,,20-25,female,,,2023-01-20,Puno,Ilave,unknown,unknown,unknown,unknown,"Ejército, '
    'cuartel Pachacútec",unverified,EFE,,2023-05-01,',
]


def write(tmp_path: Path, rows, name="victims.csv", header=HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def juliaca(add):
    return add(date="2023-01-09", region="puno", place="Juliaca", killed=17, killed_high=18,
               external_id="inc-juliaca", note="Victims included Brayan Apaza Jumpiri and Marco Samillán.",
               source="Amnesty International: Marco Antonio Samillán Sanga killed", url="https://amnesty.org/x")


def test_the_published_list_columns_import_exactly(cli, juliaca, tmp_path):
    result = cli("victim", "import", write(tmp_path, ROWS), "--json")
    assert result.exit_code == 0, result
    counts = result.json()
    assert (counts["rows"], counts["added"], counts["already_present"], counts["rejected"]) == (4, 4, 0, 0)
    rows = {r["external_id"]: r for r in cli("victim", "list", "--json").json()}
    assert rows["v-1"]["incident"] == juliaca and rows["v-1"]["other_names"] == "Brayan Apaza Jumpuri;B.A.J."
    assert rows["v-1"]["sources"] == [{"name": "La República", "accessed": "2023-05-01",
                                       "url": "https://larepublica.pe/2023/01/12/brayan-apaza-jumpiri"}]
    assert rows["v-3"]["name"] is None and rows["v-3"]["description"] == "unnamed premature newborn"
    assert rows["v-3"]["minor"] == "yes" and rows["v-3"]["direct"] == "indirect"
    assert rows["v-4"]["incident"] is None and rows["v-4"]["age"] == "20-25"
    assert rows["v-4"]["unit"] == "Ejército, cuartel Pachacútec"


def test_protestlog_import_recognises_a_victim_list(cli, juliaca, tmp_path):
    result = cli("import", write(tmp_path, ROWS))
    assert result.exit_code == 0, result
    assert "victims added 4" in result.stderr
    assert len(cli("victim", "list", "--json").json()) == 4
    assert cli("list", "--json").json()[0]["victims"] == 3


def test_reimport_is_idempotent_by_external_id_and_warns_on_changes(cli, juliaca, tmp_path):
    path = write(tmp_path, ROWS)
    cli("victim", "import", path)
    again = cli("victim", "import", path, "--json").json()
    assert (again["added"], again["already_present"]) == (0, 4)
    changed = write(tmp_path, [ROWS[0].replace(",15,male,", ",16,male,")], name="changed.csv")
    result = cli("victim", "import", changed)
    assert result.exit_code == 0 and "already victim 1 with different content" in result.stderr
    assert len(cli("victim", "list", "--json").json()) == 4


def test_rows_without_external_id_are_matched_by_content(cli, juliaca, tmp_path):
    rows = [",".join([""] + r.split(",", 1)[1:]) for r in ROWS[:2]]
    path = write(tmp_path, rows)
    assert cli("victim", "import", path, "--json").json()["added"] == 2
    assert cli("victim", "import", path, "--json").json()["already_present"] == 2


@pytest.mark.parametrize("bad, message", [
    ("v-9,no-such-incident,Ana,,30,female,,,2023-01-09,Puno,,,,,,,,,,,", "line 3: incident_external_id="),
    ("v-9,,Ana,,300,female,,,2023-01-09,Puno,,,,,,,,,,,", "line 3: age="),
    ("v-9,,Ana,,30,female,,,2023-01-09,Puno,,,protester,direct,marines,,,,,,", "line 3: responsible="),
    ("v-9,,,,30,female,,,2023-01-09,Puno,,,,,,,,,,,", "line 3: name="),
])
def test_one_bad_row_rejects_the_whole_file(cli, db, juliaca, tmp_path, bad, message):
    before = snapshot(db)
    result = cli("victim", "import", write(tmp_path, [ROWS[0], bad, ROWS[1]]))
    assert result.exit_code == 1
    assert message in result.stderr and "nothing was imported" in result.stderr
    assert snapshot(db) == before


def test_an_unknown_column_is_refused(cli, juliaca, tmp_path):
    result = cli("victim", "import", write(tmp_path, ["x"], header="external_id,nickname"))
    assert result.exit_code == 1 and "nickname" in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "ndjson"])
def test_export_round_trips_through_import(cli, juliaca, tmp_path, fmt, monkeypatch):
    cli("victim", "import", write(tmp_path, ROWS))
    exported = cli("victim", "export", "--format", fmt)
    assert exported.exit_code == 0, exported
    before = cli("victim", "list", "--json").json()
    path = tmp_path / f"out.{fmt}"
    path.write_text(exported.stdout, encoding="utf-8")
    monkeypatch.setenv("PROTESTLOG_DB", str(tmp_path / "fresh.db"))
    cli("add", "--date", "2023-01-09", "--region", "puno", "--killed", "17", "--external-id", "inc-juliaca")
    result = cli("victim", "import", path)
    assert result.exit_code == 0, result
    after = cli("victim", "list", "--json").json()
    keep = ("external_id", "name", "other_names", "description", "age", "sex", "minor", "date_injured",
            "date_of_death", "region", "place", "cause", "role", "direct", "responsible", "unit", "confidence",
            "sources", "note", "incident_external_id")
    assert [{k: r[k] for k in keep} for r in after] == [{k: r[k] for k in keep} for r in before]


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def names_in(rows) -> set[str]:
    names = set()
    for r in csv.DictReader(io.StringIO("\n".join([HEADER] + rows))):
        if r["name"] and not r["name"].startswith("unnamed"):
            names.add(r["name"])
        names.update(n for n in r["other_names"].split(";") if len(n) > 6)
    return names


def test_redaction_removes_every_name_from_both_exports(cli, juliaca, tmp_path):
    cli("victim", "import", write(tmp_path, ROWS))
    names = names_in(ROWS)
    plain = cli("victim", "export", "--format", "json").stdout + cli("export", "--format", "json").stdout
    assert all(fold(n) in fold(plain) for n in ["Brayan Apaza Jumpiri", "Marco Antonio Samillán Sanga"])
    for fmt in ("csv", "json"):
        out = cli("victim", "export", "--redact", "--format", fmt).stdout + \
            cli("export", "--redact", "--format", fmt).stdout
        leaked = [n for n in names if fold(n) in fold(out) or fold(n).replace(" ", "-") in fold(out)]
        assert leaked == [], (fmt, leaked)
    redacted = {r["external_id"]: r for r in cli("victim", "export", "--redact", "--format", "json").json()}
    assert [redacted[k]["name"] for k in ("v-1", "v-2", "v-3")] == ["victim 1", "victim 2", None]
    assert all("note" not in r and "description" not in r and "other_names" not in r for r in redacted.values())
    assert redacted["v-1"]["sources"][0]["url"] == "https://larepublica.pe/[redacted]"
    incident = cli("export", "--redact", "--format", "json").json()[0]
    assert incident["sources"][0]["name"] == "Amnesty International: [victim 2] killed"


SHIPPED = sorted(REPO.glob("data/*victims*.csv"))


@pytest.mark.skipif(not SHIPPED, reason="no shipped victim list in data/")
def test_shipped_victim_lists_import_and_redact_every_name(cli, tmp_path):
    for incidents in sorted(REPO.glob("data/*.csv")):
        if incidents in SHIPPED or "regions" in incidents.name:
            continue
        result = cli("import", incidents, env={"PROTESTLOG_TODAY": "2026-12-31"})
        if result.exit_code and "header=" in result.stderr:
            continue  # another kind of table (e.g. dated tallies), not incidents
        assert result.exit_code == 0, (incidents, result)
    names = set()
    for path in SHIPPED:
        result = cli("import", path, env={"PROTESTLOG_TODAY": "2026-12-31"})
        assert result.exit_code == 0, result
        with open(path, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                if r["name"] and not r["name"].lower().startswith("unnamed"):
                    names.add(r["name"])
    out = "".join(cli(*args).stdout for args in (("victim", "export", "--redact"), ("export", "--redact"),
                                                ("victim", "export", "--redact", "--format", "json")))
    assert [n for n in names if fold(n) in fold(out)] == []


def test_published_redacted_copy_holds_no_victim_names(cli, juliaca, tmp_path):
    cli("victim", "import", write(tmp_path, ROWS))
    out = tmp_path / "site"
    result = cli("publish", "--datasette", out, "--redact")
    assert result.exit_code == 0, result
    data = (out / "ledger.db").read_bytes().decode("utf-8", "replace")
    assert "Brayan" in (tmp_path / "ledger.db").read_bytes().decode("utf-8", "replace")
    leaked = [n for n in names_in(ROWS) if fold(n) in fold(data) or fold(n).replace(" ", "-") in fold(data)]
    assert leaked == []
