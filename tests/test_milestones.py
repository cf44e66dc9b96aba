"""Milestones: the two Peru defaults on a new ledger, and more added by hand."""


def test_new_ledger_starts_with_the_peru_milestones(cli, add):
    add(date="2023-01-09", region="Puno", killed=1)
    rows = cli("milestone", "list", "--json").json()
    assert [(r["date"], r["label"]) for r in rows] == [("2022-12-07", "Protests begin"),
                                                       ("2022-12-15", "State of emergency declared")]


def test_added_milestones_are_listed_in_date_order(cli):
    assert cli("milestone", "add", "9 Jan 2023", "Juliaca").exit_code == 0
    assert cli("milestone", "add", "2022-12-10", "Curfew").exit_code == 0
    rows = cli("milestone", "list", "--json").json()
    assert [r["date"] for r in rows] == ["2022-12-07", "2022-12-10", "2022-12-15", "2023-01-09"]
    assert all(r["recorded_by"] == "tester" for r in rows)


def test_bad_milestones_are_refused(cli, db):
    assert cli("milestone", "add", "2023-02-30", "X").exit_code == 1
    result = cli("milestone", "add", "2023-01-01", "  ")
    assert result.exit_code == 1 and "label" in result.stderr
    assert cli("milestone", "add", "2023-01-01").exit_code == 2


def test_the_same_milestone_twice_is_added_once(cli):
    first = cli("milestone", "add", "2023-01-10", "Curfew in Puno")
    again = cli("milestone", "add", "10 Jan 2023", "Curfew in Puno")
    assert first.exit_code == again.exit_code == 0
    assert first.stdout == again.stdout
    assert "already has this date and label; nothing added" in again.stderr
    labels = [r["label"] for r in cli("milestone", "list", "--json").json()]
    assert labels.count("Curfew in Puno") == 1
    # A different label on the same day is a different milestone.
    assert cli("milestone", "add", "2023-01-10", "Curfew in Cusco").stdout != first.stdout
