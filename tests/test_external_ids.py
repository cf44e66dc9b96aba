"""One external id names one record and one victim: a second would make every import, export and
correction that names it ambiguous (an export of such a ledger no longer imports)."""

import pytest

from conftest import snapshot

ADD = ("add", "--date", "2022-12-12", "--region", "Puno", "--killed", "1", "--source", "S",
       "--url", "https://example.org/1", "--yes")


def test_add_refuses_an_external_id_another_record_has(cli, db):
    assert cli(*ADD, "--external-id", "x-1").exit_code == 0
    before = snapshot(db)
    result = cli("add", "--date", "2022-12-13", "--region", "Lima", "--killed", "2", "--source", "S",
                 "--url", "https://example.org/2", "--external-id", "x-1", "--yes")
    assert result.exit_code == 1, result
    assert "'x-1' is already record 1" in result.stderr and "amend 1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert snapshot(db) == before


def test_a_retracted_record_keeps_its_external_id(cli, db):
    assert cli(*ADD, "--external-id", "x-1").exit_code == 0
    assert cli("retract", "1", "--reason", "duplicate").exit_code == 0
    result = cli(*ADD[:-1], "--place", "Juliaca", "--external-id", "x-1", "--yes")
    assert result.exit_code == 1 and "(retracted)" in result.stderr and "restore 1" in result.stderr


def test_amend_refuses_to_take_another_records_id_but_keeps_its_own(cli, db):
    assert cli(*ADD, "--external-id", "x-1").exit_code == 0
    assert cli(*ADD[:-1], "--place", "Juliaca", "--external-id", "x-2", "--yes").exit_code == 0
    result = cli("amend", "2", "--external-id", "x-1", "--reason", "typo")
    assert result.exit_code == 1 and "already record 1" in result.stderr
    assert cli("amend", "2", "--killed", "3", "--reason", "new report").exit_code == 0  # its own id is fine
    assert cli("amend", "1", "--external-id", "x-9", "--reason", "renamed").exit_code == 0
    assert cli(*ADD[:-1], "--place", "Ilave", "--external-id", "x-1", "--yes").exit_code == 0  # free again


@pytest.mark.parametrize("second", [["--name", "Other Person"], ["--name", "First Person", "--age", "30"]])
def test_victim_add_refuses_an_external_id_another_victim_has(cli, db, second):
    base = ("victim", "add", "--date-of-death", "2022-12-12", "--region", "Puno", "--source", "S",
            "--url", "https://example.org/1")
    assert cli(*base, "--name", "First Person", "--external-id", "v-1").exit_code == 0
    before = snapshot(db)
    result = cli(*base, *second, "--external-id", "v-1")
    assert result.exit_code == 1, result
    assert "'v-1' is already victim 1" in result.stderr and "victim amend 1" in result.stderr
    assert snapshot(db) == before
