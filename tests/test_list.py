"""`protestlog list`: the register, in date order, with running totals checked independently."""

import csv
import datetime as dt
import io
import json

import pytest

from conftest import random_incidents

REGIONS = ["Puno", "Ayacucho", "Apurímac", "Cusco"]
GROUPS = ["civilian", "police", "military", "unknown"]


def random_ledger(cli, add):
    return random_incidents(add, seed=7, count=25, first_day=dt.date(2022, 12, 1), days=31, regions=REGIONS,
                            groups=GROUPS)


@pytest.fixture
def rows(cli, db, from_template):
    """Random incidents, inserted in random order; the test keeps its own copy to compute from."""
    return from_template(db, random_ledger)


def expected_register(rows, keep=lambda r: True):
    kept = sorted((r for r in rows if keep(r)), key=lambda r: (r["date"], r["id"]))
    k = i = 0
    out = []
    for r in kept:
        k, i = k + r["killed"], i + r["injured"]
        out.append((r["id"], r["date"], r["killed"], r["injured"], k, i))
    return out


def got_register(result):
    return [(r["id"], r["date"], r["killed"], r["injured"], r["running_killed"], r["running_injured"])
            for r in result.json()]


def test_running_totals_in_date_order(cli, rows):
    result = cli("list", "--json")
    assert result.exit_code == 0, result
    assert got_register(result) == expected_register(rows)


def test_filters_restart_the_running_totals(cli, rows):
    result = cli("list", "--since", "2022-12-10", "--until", "2022-12-20", "--region", "puno", "--json")
    keep = lambda r: "2022-12-10" <= r["date"] <= "2022-12-20" and r["region"] == "Puno"
    assert got_register(result) == expected_register(rows, keep)
    result = cli("list", "--group", "police", "--circumstance", "blockade", "--format", "json")
    keep = lambda r: r["group"] == "police" and r["circumstance"] == "blockade"
    assert got_register(result) == expected_register(rows, keep)


def test_machine_formats_carry_the_same_rows(cli, rows):
    as_json = got_register(cli("list", "--format", "json"))
    ndjson = [json.loads(line) for line in cli("list", "--format", "ndjson").stdout.splitlines()]
    assert [(r["id"], r["running_killed"]) for r in ndjson] == [(r[0], r[4]) for r in as_json]
    table = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv").stdout)))
    assert [(int(r["id"]), int(r["running_killed"])) for r in table] == [(r[0], r[4]) for r in as_json]


def test_table_states_its_bounds_and_has_no_colour_when_piped(cli, rows):
    result = cli("list", "--since", "2022-12-10")
    assert result.exit_code == 0
    assert "from 2022-12-10 to the last record (both included)" in result.stdout
    assert "\x1b[" not in result.stdout


def test_bad_filter_value_names_the_field(cli, rows):
    result = cli("list", "--since", "2022-13-45")
    assert result.exit_code == 1 and "since='2022-13-45'" in result.stderr
    result = cli("list", "--format", "xml")
    assert result.exit_code == 2


def test_empty_ledger_lists_nothing(cli, add):
    add(date="2023-01-09", region="Puno", killed=1)
    assert cli("list", "--since", "2023-02-01", "--json").json() == []


def test_csv_and_tsv_cells_are_the_json_values(cli, add):
    """Every cell of the CSV/TSV register is the JSON row's value: blank for unknown, sources as
    compact JSON, text with commas, quotes, tabs' neighbours and accents intact."""
    add(date="2022-12-11", region="Apurímac", killed=2, place='Andahuaylas, "centro"', source="Diario Correo",
        url="https://example.org/ñ?a=1,2")
    add(date="2022-12-12", region="Puno", killed=1, injured=4, note="línea uno; \"dos\"", province="San Román")
    add(date="2022-12-13", region="Cusco", killed=0, killed_low=0, killed_high=3, detained=7)
    rows = cli("list", "--json").json()
    assert [r["running_injured"] for r in rows] == [None, 4, 4]  # unknown until a record gives a figure
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        table = list(csv.reader(io.StringIO(cli("list", "--format", fmt).stdout), delimiter=delimiter))
        header, body = table[0], table[1:]
        assert len(body) == len(rows)
        for row, cells in zip(rows, body):
            for name, value in zip(header, cells):
                expected = row[name]
                if name == "sources":
                    assert json.loads(value) == expected
                else:
                    assert value == ("" if expected is None else str(expected)), (fmt, name)
