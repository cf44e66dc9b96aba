"""Checks of the ledger: verify, duplicates, check."""

from typing import Annotated, Optional

import typer

from protestlog.errors import ExitStatus
from protestlog.output import plural, write_json, write_rows

from protestlog.cli.app import (
    Format, FormatOpt, JsonShort, app, check_hash, chosen_format, open_ledger, parse_as_of, settings,
)
from protestlog.cli.options import AsOfOpt, RawOpt, Text

@app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    expect: Annotated[Text, typer.Option("--expect", metavar="HASH",
                                         help="A head hash published earlier: the chain must still pass "
                                              "through it.")] = None,
    fmt: FormatOpt = Format.table, as_json: JsonShort = False, raw: RawOpt = False,
):
    """Recompute the hash chain and run SQLite's integrity check.

    Prints OK with the entry count and head hash, or names the first entry that does not
    match and exits 1. See the README for what this proves and what it does not.

    \b
    Examples:
      protestlog verify
      protestlog verify --expect HASH     (the full 64-character head published)
    """
    from protestlog.verify import verify

    check_hash(expect)
    with open_ledger(ctx, spot_check=False) as ledger:
        result = verify(ledger, expect=expect.lower() if expect else None)
    env, fmt_name = settings(ctx).env, chosen_format(fmt, as_json)
    if fmt_name == "json":
        write_json(env, result)
    elif fmt_name != "table":
        write_rows(env, result["problems"], ["seq", "message"], fmt_name, title="Verification problems")
    elif result["ok"]:
        # stdout keeps its one-line shape (scripts take the head as the last word); the rest is for people.
        line = verified_line(result, expect)
        if env.stdout_tty and len(line) > env.console().width:  # at a narrow terminal: the head whole, still last
            line = verified_line(result, expect, head_apart=True)
        print(line, file=env.stdout)
        env.say(coverage_line(result))
        if result["previous_head"]:
            env.say(f"re-anchored once when the chain came to cover milestones, import batches and settings "
                    f"(schema 7); the head before was {result['previous_head']}, which the chain still passes "
                    f"through")
    else:
        for p in result["problems"]:
            env.say(f"protestlog: verify: {p['message']}")
    say_warnings(env, result, fmt_name)
    if not result["ok"]:
        raise typer.Exit(ExitStatus.ERROR)


def say_warnings(env, result: dict, fmt_name: str) -> None:
    """Added objects that change no figure and refuse no write (schema_check.added_objects): on stderr,
    except in JSON, which carries them under `warnings`."""
    if fmt_name != "json":
        for warning in result["warnings"]:
            env.say(f"protestlog: warning: {warning}")



def verified_line(result: dict, expect: str | None, *, head_apart: bool = False) -> str:
    """`OK N entries, head H`; `head_apart` puts the head on a line of its own (a narrow terminal)."""
    through = ""
    if expect:
        at = (f"entry {result['expect_found_at']}" if result["expect_found_at"] is not None
              else f"chain position {result['expect_found_pos']}")
        through = f", passes through {expect[:12]}… at {at}"
    head = result['head_hash'] or '(none: empty ledger)'
    if head_apart:
        return f"OK {plural(result['entries'], 'entry')}{through}\nhead {head}"
    return f"OK {plural(result['entries'], 'entry')}, head {head}{through}"


def coverage_line(result: dict) -> str:
    c = result["chained"]
    parts = [counted(c["milestone"], "milestone", "milestones"), counted(c["batch"], "import batch", "import batches"),
             counted(c["setting"], "setting", "settings")] + ([counted(c["victim"], "victim entry", "victim entries")]
                                                  if c.get("victim") else [])
    return "head also covers " + ", ".join(parts[:-1]) + " and " + parts[-1]


def counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"



@app.command()
def duplicates(
    ctx: typer.Context,
    min_score: Optional[float] = typer.Option(None, "--min-score", min=0, max=1,
                                              help="Lowest score listed (0–1). Default 0.75, with --victims 0.7."),
    victims: bool = typer.Option(False, "--victims", help="Pairs of victim records that look like the same "
                                                          "person, with the reasons."),
    window: int = typer.Option(3, "--window", min=0, max=366, metavar="DAYS",
                               help="With --victims: compare people whose dates are this close."),
    as_of: AsOfOpt = None, fmt: FormatOpt = Format.table, as_json: JsonShort = False, raw: RawOpt = False,
):
    """Pairs of current records that probably report the same deaths, with a score.

    Same region, at most one day apart, and evidence from place, counts and victim group (the
    README gives the scoring). A person decides; retract one of a pair with 'protestlog retract'.

    \b
    Example:
      protestlog duplicates --min-score 0.6
    """
    from protestlog.duplicates import capped_note, scan

    if victims:
        return duplicate_persons(ctx, min_score, window, as_of, chosen_format(fmt, as_json))
    with open_ledger(ctx) as ledger:
        found = scan(ledger, threshold=0.75 if min_score is None else min_score, as_of=parse_as_of(as_of))
    env = settings(ctx).env
    if found["capped"]:
        env.say(f"protestlog: note: {capped_note(found['capped'])}")
    write_rows(env, found["pairs"], ["a", "b", "score", "region", "a_date", "b_date", "a_killed", "b_killed",
                                     "a_place", "b_place"], chosen_format(fmt, as_json),
               title="Likely duplicates", numeric={"a", "b", "score", "a_killed", "b_killed"})


def duplicate_persons(ctx, min_score, window: int, as_of, fmt_name: str):
    from protestlog.persons import DEFAULT_THRESHOLD, likely_same_persons
    from protestlog.victim_store import current_victims

    with open_ledger(ctx) as ledger:
        people = current_victims(ledger, as_of=parse_as_of(as_of))
    pairs = likely_same_persons(people, threshold=DEFAULT_THRESHOLD if min_score is None else min_score,
                                window_days=window)
    if fmt_name in ("table", "markdown", "csv", "tsv"):
        pairs = [p | {"reasons": "; ".join(p["reasons"])} for p in pairs]
    write_rows(settings(ctx).env, pairs, ["a", "b", "score", "a_name", "b_name", "region", "reasons"], fmt_name,
               title="Likely the same person (a person decides: 'protestlog victim retract')",
               numeric={"a", "b", "score"})


@app.command()
def check(
    ctx: typer.Context,
    require_source: bool = typer.Option(False, "--require-source", help="Every record must cite a source."),
    max_unverified: Optional[int] = typer.Option(None, "--max-unverified", min=0, metavar="N",
                                                 help="At most N records graded unverified."),
    duplicate_score: float = typer.Option(0.75, "--duplicate-score", min=0, max=1,
                                          help="Pairs scoring at least this are problems."),
    expect: Annotated[Text, typer.Option("--expect", metavar="HASH",
                                         help="The chain must pass through this published head hash.")] = None,
    fmt: FormatOpt = Format.table, as_json: JsonShort = False, raw: RawOpt = False,
):
    """Checks for CI: verify, minors > killed, ranges, likely duplicates, and opt-in rules.

    Silent with exit 0 when all is well; otherwise one line per problem and exit 1.

    \b
    Example:
      protestlog check --require-source --max-unverified 5
    """
    from protestlog.checks import run_checks

    check_hash(expect)
    with open_ledger(ctx, spot_check=False) as ledger:
        result = run_checks(ledger, require_source=require_source, max_unverified=max_unverified,
                            duplicate_threshold=duplicate_score, expect=expect.lower() if expect else None)
    env, fmt_name = settings(ctx).env, chosen_format(fmt, as_json)
    if result["duplicates_capped"]:
        from protestlog.duplicates import capped_note

        env.say(f"protestlog: note: {capped_note(result['duplicates_capped'])}")
    say_warnings(env, result, fmt_name)
    if fmt_name == "json":
        write_json(env, result)
    elif fmt_name == "table":
        for p in result["problems"]:
            print(f"{p['rule']}: {p['message']}", file=env.stdout)
    else:
        write_rows(env, result["problems"], ["rule", "record", "message"], fmt_name)
    if not result["ok"]:
        raise typer.Exit(ExitStatus.ERROR)


@app.command("settings")
def settings_cmd(ctx: typer.Context, fmt: FormatOpt = Format.table, as_json: JsonShort = False,
                 raw: RawOpt = False):
    """The ledger's settings, covered by its head hash: its time zone (which day is "today",
    what is in the future, what 'yesterday' means), chosen when the ledger was created from
    $PROTESTLOG_TZ, else the machine's zone. Every value ever set is listed, oldest first.

    \b
    Examples:
      protestlog settings
      protestlog settings --json
    """
    with open_ledger(ctx) as ledger:
        rows = ledger.settings()
        zone = ledger.time_zone
        today = ledger.today().isoformat()
    env, fmt_name = settings(ctx).env, chosen_format(fmt, as_json)
    if fmt_name == "json":
        write_json(env, {"time_zone": zone, "today": today, "settings": rows})
    else:
        write_rows(env, rows, ["id", "key", "value", "recorded_at", "recorded_by"], fmt_name,
                   title=f"Settings (time zone {zone}; today there is {today})", numeric={"id"})
