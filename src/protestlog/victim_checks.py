"""Reconciling people with counts: the `check` rules over victim records.

- `victims`: an incident with more linked victims than its killed figure (or its high figure);
- `victim-link`: a victim linked to a retracted incident, or to an incident that does not exist;
- `victim-dates`: a victim whose date of death is before the incident's date;
- `duplicate-person`: two victim records that probably describe one person (persons.py).
Each is silent on clean data. A person decides what to retract or relink.
"""

from protestlog.persons import DEFAULT_THRESHOLD, likely_same_persons
from protestlog.victim_store import current_victims, has_victims_table


def victim_problems(ledger, *, person_threshold: float = DEFAULT_THRESHOLD) -> list[dict]:
    if not has_victims_table(ledger.db):
        return []
    problems: list[dict] = []

    def problem(rule, message, record=None):
        problems.append({"rule": rule, "record": record, "message": message})

    db = ledger.db
    victims = current_victims(ledger)
    latest = {r[0]: (r[1], r[2], r[3], r[4]) for r in db.execute(
        "SELECT record_id, action, date, killed, killed_high FROM entries WHERE seq IN "
        "(SELECT MAX(seq) FROM entries GROUP BY record_id)")}
    linked: dict[int, list[dict]] = {}
    for v in victims:
        if v["incident_id"] is None:
            continue
        state = latest.get(v["incident_id"])
        if state is None:
            problem("victim-link", f"victim {v['victim_id']} is linked to incident {v['incident_id']}, which does not "
                                   f"exist", v["incident_id"])
            continue
        action, date, _, _ = state
        if action == "retract":
            problem("victim-link", f"victim {v['victim_id']} is linked to incident {v['incident_id']}, which is "
                                   f"retracted; relink or retract the victim", v["incident_id"])
            continue
        linked.setdefault(v["incident_id"], []).append(v)
        if v["date_of_death"] and v["date_of_death"] < date:
            problem("victim-dates", f"victim {v['victim_id']} died on {v['date_of_death']}, before the date of "
                                    f"incident {v['incident_id']} ({date})", v["incident_id"])
    for record_id, people in sorted(linked.items()):
        _, _, killed, high = latest[record_id]
        limit = max(killed, high or 0)
        if len(people) > limit:
            problem("victims", f"incident {record_id} has {len(people)} victims linked but records {killed} killed"
                               + (f" (high {high})" if high is not None else ""), record_id)
    for pair in likely_same_persons(victims, threshold=person_threshold):
        problem("duplicate-person", f"victims {pair['a']} and {pair['b']} look like the same person "
                                    f"({pair['a_name']} / {pair['b_name']}, score {pair['score']}); retract one "
                                    f"if so", None)
    return problems
