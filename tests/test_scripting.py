"""Scripts are first-class users: the installed executable, piped, re-run, parsed."""

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, TODAY, protestlog_exe, run_exe, snapshot

HEADER = "external_id,date,region,place,killed,group,source,url,note\n"
ROWS = [
    "a1,2022-12-11,Apurímac,Andahuaylas,2,civilian,Correo,https://example.org/1,\n",
    "a2,2022-12-12,Apurímac,Chincheros,2,civilian,Correo,https://example.org/2,\n",
    "a3,2022-12-15,Ayacucho,Huamanga,10,civilian,HRW,https://example.org/3,\n",
    "a4,2022-12-16,Junín,Pichanaqui,3,civilian,La República,https://example.org/4,\n",
]


def write(path: Path, *rows, header=HEADER) -> Path:
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def imported(db, path, *extra):
    result = run_exe("import", path, "--json", *extra, db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def total(db) -> int:
    result = run_exe("summary", "--since", "2022-01-01", "--json", db=db)
    return json.loads(result.stdout)["totals"]["killed"]


def test_importing_the_same_file_twice_adds_nothing(tmp_path):
    db, path = tmp_path / "l.db", write(tmp_path / "day.csv", *ROWS)
    first = imported(db, path)
    assert (first["added"], first["already_present"], first["rejected"]) == (4, 0, 0)
    before = total(db)
    second = imported(db, path)
    assert (second["added"], second["already_present"], second["batch"]) == (0, 4, None)
    assert total(db) == before == 17


def test_overlapping_files_add_only_new_rows(tmp_path):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "mon.csv", *ROWS[:3]))
    result = imported(db, write(tmp_path / "tue.csv", *ROWS[1:]))
    assert (result["added"], result["already_present"]) == (1, 2)
    # Without external ids the content fingerprint decides: same report, same fingerprint.
    bare = [",".join(r.split(",")[1:]) for r in ROWS]
    header = ",".join(HEADER.split(",")[1:])
    db2 = tmp_path / "l2.db"
    imported(db2, write(tmp_path / "a.csv", *bare[:2], header=header))
    result = imported(db2, write(tmp_path / "b.csv", *bare, header=header))
    assert (result["added"], result["already_present"]) == (2, 2)
    assert total(db2) == 17


def test_changed_report_with_known_external_id_is_not_imported_but_flagged(tmp_path):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "a.csv", ROWS[2]))
    result = run_exe("import", write(tmp_path / "b.csv", ROWS[2].replace(",10,", ",11,")), db=db)
    assert result.returncode == 0
    assert "a3" in result.stderr and "amend" in result.stderr
    assert total(db) == 10


def test_a_bad_row_in_the_middle_leaves_the_ledger_unchanged(tmp_path):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "first.csv", ROWS[0]))
    before = snapshot(db)
    bad = write(tmp_path / "bad.csv", ROWS[1], "b1,2022-12-13,Apurímac,X,-4,civilian,,,\n", ROWS[2],
                "b2,2022-12-14,Atlantis,Y,1,civilian,,,\n", ROWS[3])
    result = run_exe("import", bad, "--json", db=db)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["rejected"], report["added"]) == (2, 0)
    assert "line 3: killed='-4'" in result.stderr and "line 5: region='Atlantis'" in result.stderr
    assert snapshot(db) == before


def test_dry_run_reports_and_writes_nothing(tmp_path):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "first.csv", ROWS[0]))
    before = snapshot(db)
    report = imported(db, write(tmp_path / "all.csv", *ROWS), "--dry-run")
    assert (report["added"], report["already_present"], report["dry_run"]) == (3, 1, True)
    assert snapshot(db) == before


def test_tsv_ndjson_json_and_stdin(tmp_path):
    db = tmp_path / "l.db"
    tsv = tmp_path / "r.tsv"
    tsv.write_text("date\tregion\tkilled\n2022-12-11\tPuno\t1\n")
    ndjson = tmp_path / "r.ndjson"
    ndjson.write_text('{"date": "2022-12-12", "region": "Puno", "killed": 2}\n\n'
                      '{"date": "2022-12-13", "region": "Puno", "killed": 3}\n')
    assert imported(db, tsv)["added"] == 1
    assert imported(db, ndjson)["added"] == 2
    result = run_exe("import", "-", "--format", "json", "--json", db=db,
                     input='[{"date": "2022-12-14", "region": "Puno", "killed": 4}]')
    assert result.returncode == 0 and json.loads(result.stdout)["added"] == 1
    assert run_exe("import", "-", db=db, input="").returncode == 2  # stdin needs --format
    assert total(db) == 10


def test_export_then_import_round_trips_exact_totals(tmp_path):
    db = tmp_path / "l.db"
    env = {"PROTESTLOG_TODAY": "2026-11-30"}
    assert run_exe("import", REPO / "data" / "peru_2022_2023.csv", db=db, env=env).returncode == 0
    assert run_exe("amend", "pe-2022-12-15-ayacucho", "--killed", "11", "--reason", "test", db=db, env=env).returncode == 0
    assert run_exe("retract", "1", "--reason", "test", db=db, env=env).returncode == 0

    def summary(path):
        out = run_exe("summary", "--since", "2022-12-07", "--until", "2023-01-31", "--json", db=path, env=env)
        s = json.loads(out.stdout)
        return {k: s[k] for k in ("totals", "by_group", "by_region", "by_circumstance", "series", "milestones")}

    for fmt in ("csv", "tsv", "json", "ndjson"):
        exported = run_exe("export", "--format", fmt, db=db, env=env)
        assert exported.returncode == 0, exported.stderr
        copy = tmp_path / f"copy-{fmt}.db"
        result = run_exe("import", "-", "--format", fmt, db=copy, env=env, input=exported.stdout)
        assert result.returncode == 0, result.stderr
        assert summary(copy) == summary(db), fmt
        # and the text of every record survives, sources included
        again = run_exe("export", "--format", "json", db=copy, env=env).stdout
        strip = lambda rows: [{k: v for k, v in r.items() if k not in ("id", "recorded_at")} for r in rows]
        original = run_exe("export", "--format", "json", db=db, env=env).stdout
        assert strip(json.loads(again)) == strip(json.loads(original))


def test_csv_export_neutralises_formulas(tmp_path):
    db = tmp_path / "l.db"
    formula = '=HYPERLINK("http://evil.example","click")'
    r = run_exe("add", "--date", "2022-12-11", "--region", "Puno", "--killed", "1", "--note", formula,
                "--place", "+51 Juliaca", db=db)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(run_exe("export", db=db).stdout)))
    assert rows[0]["note"] == "'" + formula and rows[0]["place"] == "'+51 Juliaca"
    raw = list(csv.DictReader(io.StringIO(run_exe("export", "--raw", db=db).stdout)))
    assert raw[0]["note"] == formula
    tsv = list(csv.DictReader(io.StringIO(run_exe("export", "--format", "tsv", db=db).stdout), delimiter="\t"))
    assert tsv[0]["note"] == "'" + formula
    copy = tmp_path / "copy.db"
    run_exe("import", "-", "--format", "csv", db=copy, input=run_exe("export", db=db).stdout)
    assert json.loads(run_exe("export", "--json", db=copy).stdout)[0]["note"] == formula


def test_export_filters_history_and_redaction(tmp_path):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "a.csv", *ROWS))
    run_exe("amend", "3", "--killed", "9", "--reason", "recount", "--note", "Named: A. B.", db=db)
    assert [r["id"] for r in json.loads(run_exe("export", "--json", "--since", "2022-12-12", "--until",
                                                "2022-12-15", db=db).stdout)] == [2, 3]
    history = json.loads(run_exe("export", "--json", "--include-history", db=db).stdout)
    assert [(h["id"], h["revision"], h["action"]) for h in history][-1] == (3, 2, "amend")
    assert len(history) == 5 and history[-1]["reason"] == "recount"
    redacted = json.loads(run_exe("export", "--json", "--redact", db=db).stdout)
    assert all("note" not in r and "recorded_by" not in r for r in redacted)
    assert "Named" not in run_exe("export", "--redact", "--include-history", db=db).stdout


def test_batches_are_listed_shown_and_retracted(tmp_path):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "mon.csv", *ROWS[:2]))
    tue = imported(db, write(tmp_path / "tue.csv", *ROWS[2:]))
    batches = json.loads(run_exe("imports", "--json", db=db).stdout)
    assert [(b["id"], b["file"].endswith("tue.csv"), b["added"]) for b in batches] == [(1, False, 2), (2, True, 2)]
    assert len(batches[1]["sha256"]) == 64 and batches[1]["recorded_by"] == "tester"
    shown = json.loads(run_exe("imports", "show", str(tue["batch"]), "--json", db=db).stdout)
    assert [r["external_id"] for r in shown] == ["a3", "a4"]
    r = run_exe("imports", "retract", "2", "--reason", "feed sent bad figures", db=db)
    assert r.returncode == 0, r.stderr
    assert total(db) == 4
    history = json.loads(run_exe("show", "a3", "--json", db=db).stdout)["history"]
    assert history[-1]["action"] == "retract" and "feed sent bad figures" in history[-1]["reason"]
    assert run_exe("imports", "retract", "9", "--reason", "x", db=db).returncode == 1


def test_duplicates_and_check(tmp_path):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "a.csv", *ROWS))
    clean = run_exe("check", db=db)
    assert clean.returncode == 0 and clean.stdout == "" and clean.stderr == ""
    run_exe("add", "--date", "2022-12-15", "--region", "Ayacucho", "--place", "huamanga", "--killed", "10",
            "--group", "civilian", db=db)
    pairs = json.loads(run_exe("duplicates", "--json", db=db).stdout)
    assert [(p["a"], p["b"]) for p in pairs] == [(3, 5)] and pairs[0]["score"] >= 0.75
    result = run_exe("check", "--require-source", "--max-unverified", "0", db=db)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert any(l.startswith("duplicate: records 3 and 5") for l in lines)
    assert any(l.startswith("source: record 5 cites no source") for l in lines)
    assert any(l.startswith("unverified: 5 records") for l in lines)
    report = json.loads(run_exe("check", "--json", db=db).stdout)
    assert report["ok"] is False and {p["rule"] for p in report["problems"]} == {"duplicate"}
    run_exe("retract", "5", "--reason", "duplicate of 3", db=db)
    assert run_exe("check", "--require-source", db=db).returncode == 0


def test_import_warns_about_lookalikes(tmp_path):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "a.csv", ROWS[2]))
    r = run_exe("import", write(tmp_path / "b.csv", "z9,2022-12-15,Ayacucho,Huamanga,10,civilian,teleSUR,"
                                                    "https://example.org/z,\n"), db=db)
    assert r.returncode == 0 and "look like the same incident" in r.stderr


def test_no_escape_codes_or_progress_on_a_pipe(tmp_path):
    db = tmp_path / "l.db"
    big = write(tmp_path / "big.csv", *[f"x{i},2022-12-{1 + i % 28:02d},Puno,,1,civilian,,,\n" for i in range(3000)])
    result = run_exe("import", big, db=db)
    assert result.returncode == 0 and "\x1b" not in result.stderr and "rows read" not in result.stderr
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == ["protestlog", str(big)]
    commands = [["list"], ["summary", "--since", "2022-12-01"], ["milestone", "list"], ["imports"],
                ["imports", "show", "1"], ["duplicates"], ["check"], ["verify"], ["show", "1"], ["sources", "1"],
                ["export"]]
    for args in commands:
        out = run_exe(*args, db=db)
        assert out.returncode == 0, (args, out.stderr)
        assert "\x1b[" not in out.stdout + out.stderr, args
        assert not any(ch in out.stdout for ch in "─│┃━"), args


JSON_SHAPES = {
    ("list",): (list, {"id", "date", "region", "killed", "running_killed", "running_injured", "sources"}),
    ("summary", "--since", "2022-12-01"): (dict, {"range", "totals", "series", "milestones", "by_region"}),
    ("milestone", "list"): (list, {"id", "date", "label"}),
    ("imports",): (list, {"id", "file", "sha256", "added", "already_present"}),
    ("imports", "show", "1"): (list, {"id", "date", "region", "killed"}),
    ("duplicates",): (list, set()),
    ("check",): (dict, {"ok", "entries", "head_hash", "problems"}),
    ("verify",): (dict, {"ok", "entries", "head_hash", "problems"}),
    ("show", "1"): (dict, {"record", "status", "history"}),
    ("sources", "1"): (list, {"name", "url", "accessed"}),
    ("export",): (list, {"id", "date", "region", "killed", "sources", "external_id"}),
}


@pytest.mark.parametrize("args", list(JSON_SHAPES), ids=lambda a: " ".join(a))
def test_every_json_output_parses_and_has_the_documented_shape(tmp_path, args):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "a.csv", *ROWS))
    kind, keys = JSON_SHAPES[args]
    for flag in (["--json"], ["--format", "json"]):
        out = run_exe(*args, *flag, db=db)
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert isinstance(data, kind)
        item = data[0] if isinstance(data, list) and data else data
        if keys:
            assert keys <= set(item), (args, set(item))


def test_ndjson_csv_tsv_markdown_everywhere(tmp_path):
    db = tmp_path / "l.db"
    imported(db, write(tmp_path / "a.csv", *ROWS))
    for args in (["list"], ["summary", "--since", "2022-12-01"], ["milestone", "list"], ["imports"],
                 ["sources", "1"], ["duplicates"], ["check"]):
        for fmt in ("ndjson", "csv", "tsv", "markdown"):
            out = run_exe(*args, "--format", fmt, db=db)
            assert out.returncode == 0, (args, fmt, out.stderr)
            if fmt == "ndjson":
                [json.loads(line) for line in out.stdout.splitlines()]


def test_shell_completion_script_is_available(tmp_path):
    out = run_exe("--show-completion", "bash", db=tmp_path / "l.db")
    assert out.returncode == 0 and "_PROTESTLOG_COMPLETE" in out.stdout


def test_the_example_ci_script(tmp_path):
    db, summary_md = tmp_path / "ledger.db", tmp_path / "public" / "summary.md"
    report_html = tmp_path / "public" / "report.html"
    summary_md.parent.mkdir()
    env = {**os.environ, "PROTESTLOG_DB": str(db), "PROTESTLOG_TODAY": TODAY,
           "PATH": f"{Path(protestlog_exe()).parent}:{os.environ['PATH']}"}
    reports = write(tmp_path / "day.csv", *ROWS)
    script = REPO / "examples" / "ci-daily.sh"
    for _ in range(2):  # re-running the same day's job is harmless
        run = subprocess.run(["bash", script, reports, summary_md, report_html], capture_output=True, text=True,
                             env=env, timeout=120, stdin=subprocess.DEVNULL)
        assert run.returncode == 0, run.stderr
    text = summary_md.read_text(encoding="utf-8")
    assert "| killed | 17 |" in text and "Ledger head hash:" in text
    head = text.split("Ledger head hash: `")[1].split("`")[0]
    assert run_exe("verify", "--expect", head, db=db).returncode == 0
    assert f'name="protestlog-head-hash" content="{head}"' in report_html.read_text(encoding="utf-8")
    # A malformed report stops the job before anything is published.
    bad = write(tmp_path / "bad.csv", "c1,2022-12-20,Puno,,-1,civilian,x,https://example.org,\n")
    before, before_html = summary_md.read_bytes(), report_html.read_bytes()
    run = subprocess.run(["bash", script, bad, summary_md, report_html], capture_output=True, text=True, env=env,
                         timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 1 and "killed='-1'" in run.stderr
    assert summary_md.read_bytes() == before and report_html.read_bytes() == before_html


def test_external_id_decides_before_content(tmp_path):
    """Two distinct incidents described identically are both kept when their external ids differ."""
    db = tmp_path / "l.db"
    same = "2023-01-09,Puno,Juliaca,1,civilian,Amnesty,https://example.org/a,\n"
    result = imported(db, write(tmp_path / "a.csv", "v1," + same, "v2," + same))
    assert (result["added"], result["already_present"]) == (2, 0)
    result = imported(db, write(tmp_path / "b.csv", "v2," + same, "v3," + same))
    assert (result["added"], result["already_present"]) == (1, 1)
