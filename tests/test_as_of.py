"""`--as-of`: any read reproduces exactly what the ledger said at an earlier recording time."""

import datetime as dt
import sqlite3
import time


def stamp_after_last_entry(db) -> str:
    """A recording time strictly between the last entry so far and the next one."""
    last = sqlite3.connect(db).execute("SELECT MAX(recorded_at) FROM entries").fetchone()[0]
    time.sleep(0.01)
    return last


def test_as_of_reproduces_totals_before_an_amendment(cli, add, db):
    rows = [("2022-12-11", "Apurímac", 2), ("2022-12-15", "Ayacucho", 7), ("2023-01-09", "Puno", 17)]
    ids = [add(date=d, region=r, killed=k) for d, r, k in rows]
    then = stamp_after_last_entry(db)
    assert cli("amend", ids[1], "--killed", "10", "--reason", "HRW count").exit_code == 0
    assert cli("retract", ids[0], "--reason", "duplicate").exit_code == 0
    add(date="2023-01-10", region="Puno", killed=1)

    def summary(*extra):
        r = cli("summary", "--since", "2022-12-07", "--until", "2023-01-31", "--json", *extra)
        assert r.exit_code == 0, r
        return r.json()

    # Independently: what the rows said when first recorded, and after the corrections.
    assert summary("--as-of", then)["totals"]["killed"] == sum(k for _, _, k in rows)
    assert summary()["totals"]["killed"] == 10 + 17 + 1
    old = summary("--as-of", then)
    emergency = [m for m in old["milestones"] if m["date"] == "2022-12-15"][0]
    assert (emergency["before"]["killed"], emergency["after"]["killed"]) == (2, 7)
    assert old["ledger"]["entries"] == 3 and old["as_of"] == then
    listed = cli("list", "--as-of", then, "--json").json()
    assert [(r["id"], r["killed"], r["running_killed"]) for r in listed] == [(ids[0], 2, 2), (ids[1], 7, 9),
                                                                            (ids[2], 17, 26)]
    assert cli("show", ids[1], "--as-of", then, "--json").json()["record"]["killed"] == 7
    assert cli("show", ids[0], "--as-of", then, "--json").json()["status"] == "current"


def test_as_of_a_date_means_the_end_of_that_day(cli, add, db):
    add(date="2022-12-11", region="Apurímac", killed=2)
    today_utc = dt.datetime.now(dt.timezone.utc).date()
    yesterday = (today_utc - dt.timedelta(days=1)).isoformat()
    r = cli("summary", "--since", "2022-12-07", "--until", "2023-01-31", "--json", "--as-of", yesterday)
    assert r.json()["totals"]["killed"] == 0
    r = cli("summary", "--since", "2022-12-07", "--until", "2023-01-31", "--json", "--as-of", today_utc.isoformat())
    assert r.json()["totals"]["killed"] == 2
    assert cli("list", "--as-of", "last tuesday").exit_code == 2  # a usage error (issue 12)


def test_milestones_as_of(cli, add, db):
    add(date="2022-12-11", region="Apurímac", killed=2)
    then = stamp_after_last_entry(db)
    cli("milestone", "add", "2023-01-09", "Juliaca")
    assert len(cli("milestone", "list", "--json", "--as-of", then).json()) == 2
    assert len(cli("milestone", "list", "--json").json()) == 3
