"""`apply-corrections`: a file of amend/retract entries, all or nothing, safe to re-run."""

import pytest

from conftest import snapshot

HEADER = "external_id,action,announced,changes,reason,source,url,accessed,sources\n"


def ledger_with_two(cli):
    for eid, killed in (("a-1", "2"), ("b-2", "3")):
        assert cli("add", "--date", "2022-12-12", "--region", "Apurímac", "--killed", killed,
                   "--external-id", eid, "--source", "First report", "--url", "https://example.org/1").exit_code == 0


def write(tmp_path, *lines) -> str:
    path = tmp_path / "corrections.csv"
    path.write_text(HEADER + "".join(line + "\n" for line in lines), "utf-8")
    return str(path)


AMEND = ('a-1,amend,2022-12-13,"{""killed"": 1, ""killed_high"": 2}",One person withdrawn: no registry record,'
         'Defensoría communiqué,https://example.org/2,2023-05-01,')
RETRACT = "b-2,retract,2023-01-05,,Same deaths as record a-1,Ombudsman,https://example.org/3,2023-05-01,"


def test_amend_and_retract_become_entries_citing_their_source(cli, db, tmp_path):
    ledger_with_two(cli)
    result = cli("apply-corrections", write(tmp_path, AMEND, RETRACT), "--json")
    assert result.exit_code == 0, result
    assert result.json()["applied"] == 2 and result.json()["already_applied"] == 0
    shown = cli("show", "a-1", "--json").json()
    assert shown["record"]["killed"] == 1 and shown["record"]["killed_high"] == 2
    assert [s["url"] for s in shown["record"]["sources"]] == ["https://example.org/1", "https://example.org/2"]
    last = shown["history"][-1]
    assert last["action"] == "amend" and last["reason"] == "2022-12-13: One person withdrawn: no registry record"
    assert last["changes"]["killed"] == [2, 1]
    assert cli("show", "b-2", "--json").json()["status"] == "retracted"
    assert cli("summary", "--since", "2022-12-01", "--until", "2022-12-31", "--json").json()["totals"]["killed"] == 1


def test_re_running_adds_nothing(cli, db, tmp_path):
    ledger_with_two(cli)
    path = write(tmp_path, AMEND, RETRACT)
    assert cli("apply-corrections", path).exit_code == 0
    before = snapshot(db)
    again = cli("apply-corrections", path, "--json")
    assert again.exit_code == 0 and again.json()["applied"] == 0 and again.json()["already_applied"] == 2
    assert snapshot(db) == before


def test_dry_run_writes_nothing(cli, db, tmp_path):
    ledger_with_two(cli)
    before = snapshot(db)
    result = cli("apply-corrections", write(tmp_path, AMEND), "--dry-run")
    assert result.exit_code == 0 and "would apply 1" in result.stderr
    assert snapshot(db) == before


@pytest.mark.parametrize("bad, words", [
    ("zz-9,retract,2023-01-05,,gone,Ombudsman,https://example.org/3,,", "line 3: no record"),
    ('a-1,amend,2022-12-13,"{""killed"": -1}",bad,Src,https://example.org/2,,', "killed"),
    ('a-1,amend,2022-12-13,"{""minors"": 5}",bad,Src,https://example.org/2,,', "minors"),
    ('a-1,amend,2022-12-13,"{""colour"": 1}",bad,Src,https://example.org/2,,', "changes='colour'"),
    ("a-1,amend,2022-12-13,not json,bad,Src,https://example.org/2,,", "JSON object"),
    ("a-1,delete,2022-12-13,,bad,Src,https://example.org/2,,", "action='delete'"),
    ("a-1,retract,2022-02-30,,bad,Src,https://example.org/2,,", "announced"),
    ("a-1,retract,2022-12-13,,,Src,https://example.org/2,,", "reason"),
    ("a-1,retract,2022-12-13,,why,Src,javascript:alert(1),,", "url"),
])
def test_any_bad_row_rejects_the_whole_file(cli, db, tmp_path, bad, words):
    ledger_with_two(cli)
    before = snapshot(db)
    result = cli("apply-corrections", write(tmp_path, RETRACT, bad))
    assert result.exit_code == 1 and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert snapshot(db) == before


def test_wrong_columns_and_missing_file(cli, db, tmp_path):
    ledger_with_two(cli)
    path = tmp_path / "c.csv"
    path.write_text("external_id,action,colour\na-1,retract,red\n", "utf-8")
    result = cli("apply-corrections", path)
    assert result.exit_code == 1 and "missing columns" in result.stderr
    result = cli("apply-corrections", tmp_path / "nope.csv")
    assert result.exit_code == 1 and "cannot read" in result.stderr


def test_the_shipped_correction_keeps_the_first_report(cli, shipped):
    shown = cli("show", "pe-2022-12-12-chincheros", "--json").json()
    first, last = shown["history"][0], shown["history"][-1]
    assert first["action"] == "create" and last["action"] == "amend"
    assert last["changes"]["killed"] == [2, 1] and last["reason"].startswith("2022-12-13: ")
    assert "RENIEC" in last["reason"]
    cited = [source["url"] for source in shown["record"]["sources"]]
    assert sum("noticiaspiura30.pe/" in url for url in cited) == 1  # the correction's source, cited once


def test_a_victim_withdrawn_by_a_correction(cli, db, tmp_path):
    ledger_with_two(cli)
    assert cli("victim", "add", "--name", "Jonathan Example", "--incident", "a-1", "--external-id", "v-a-1-2",
               "--source", "First report", "--url", "https://example.org/1").exit_code == 0
    row = ("v-a-1-2,retract,2022-12-13,,No such person in the identity registry,Ombudsman,"
           "https://example.org/4,2023-05-01,,victim")
    path = tmp_path / "c.csv"
    path.write_text(HEADER.rstrip("\n") + ",record\n" + row + "\n", "utf-8")
    result = cli("apply-corrections", path, "--json")
    assert result.exit_code == 0, result
    assert result.json()["victims"] and result.json()["applied"] == 1
    shown = cli("victim", "show", "v-a-1-2", "--json").json()
    assert shown["status"] == "retracted"
    reason = shown["history"][-1]["reason"]
    assert reason.startswith("2022-12-13: No such person") and "https://example.org/4" in reason
    assert cli("apply-corrections", path, "--json").json()["already_applied"] == 1


def test_a_victim_correction_needs_the_victim_list_imported(cli, db, tmp_path):
    ledger_with_two(cli)
    before = snapshot(db)
    path = tmp_path / "c.csv"
    path.write_text(HEADER.rstrip("\n") + ",record\n"
                    "v-zz,retract,2022-12-13,,gone,Ombudsman,https://example.org/4,2023-05-01,,victim\n", "utf-8")
    result = cli("apply-corrections", path)
    assert result.exit_code == 1 and "import the victim list" in result.stderr
    assert snapshot(db) == before
    path.write_text(HEADER.rstrip("\n") + ",record\n"
                    "a-1,retract,2022-12-13,,gone,Ombudsman,https://example.org/4,2023-05-01,,person\n", "utf-8")
    assert "record='person'" in cli("apply-corrections", path).stderr


def test_several_bad_rows_are_listed_in_file_order_then_counted(cli, db, tmp_path):
    ledger_with_two(cli)
    before = snapshot(db)
    result = cli("apply-corrections", write(tmp_path, "zz-8,retract,2023-01-05,,gone,Src,https://example.org/3,,",
                                            "zz-9,retract,2023-01-05,,gone,Src,https://example.org/3,,"))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert [("line 2" in x, "line 3" in x) for x in lines[:2]] == [(True, False), (False, True)], lines
    assert len(lines) == 3 and "2 problems" in lines[2] and "nothing was applied" in lines[2]
    assert snapshot(db) == before
