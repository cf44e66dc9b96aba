"""`check`: the rules a CI job runs before it publishes anything from the ledger.

Always: the hash chain and SQLite integrity (verify), minors never more than killed,
low <= best <= high, and likely duplicates. Rules a team opts into: every record cites a
source (`require_source`), at most N records graded unverified (`max_unverified`), the
chain still passes through a published head (`expect`).
"""

from protestlog.duplicates import DEFAULT_THRESHOLD, scan
from protestlog.ledger import Ledger
from protestlog.verify import verify


def run_checks(ledger: Ledger, *, require_source: bool = False, max_unverified: int | None = None,
               duplicate_threshold: float = DEFAULT_THRESHOLD, expect: str | None = None) -> dict:
    problems: list[dict] = []

    def problem(rule: str, message: str, record=None):
        problems.append({"rule": rule, "record": record, "message": message})

    chain = verify(ledger, expect=expect)
    for p in chain["problems"]:
        problem("verify", p["message"])
    if not chain["ok"]:
        # A broken ledger's records cannot be trusted enough to check further.
        return {"ok": False, "entries": chain["entries"], "head_hash": chain["head_hash"], "problems": problems,
                "duplicates_capped": None, "warnings": chain["warnings"]}

    base, params = ledger.current_sql(None)
    db = ledger.db
    for r in db.execute(f"SELECT record_id, minors, killed FROM ({base}) WHERE minors > killed", params):
        problem("minors", f"record {r[0]}: minors ({r[1]}) is more than killed ({r[2]})", r[0])
    for r in db.execute(f"SELECT record_id FROM ({base}) WHERE killed_low > killed OR killed_high < killed "
                        f"OR injured_low > injured OR injured_high < injured", params):
        problem("range", f"record {r[0]}: a low or high figure is on the wrong side of the best figure", r[0])
    duplicates = scan(ledger, threshold=duplicate_threshold)
    for pair in duplicates["pairs"]:
        problem("duplicate", f"records {pair['a']} and {pair['b']} look like the same incident "
                             f"({pair['region']}, {pair['a_date']}/{pair['b_date']}, score {pair['score']}); "
                             f"retract one if so", pair["a"])
    from protestlog.victim_checks import victim_problems

    problems.extend(victim_problems(ledger))
    if require_source:
        for r in db.execute(f"SELECT record_id FROM ({base}) WHERE json_array_length(sources) = 0 "
                            f"ORDER BY record_id", params):
            problem("source", f"record {r[0]} cites no source", r[0])
    if max_unverified is not None:
        count = db.execute(f"SELECT COUNT(*) FROM ({base}) WHERE confidence = 'unverified'", params).fetchone()[0]
        if count > max_unverified:
            problem("unverified", f"{count} {'record is' if count == 1 else 'records are'} unverified "
                                  f"(at most {max_unverified} allowed)")
    return {"ok": not problems, "entries": chain["entries"], "head_hash": chain["head_hash"], "problems": problems,
            "duplicates_capped": duplicates["capped"], "warnings": chain["warnings"]}
