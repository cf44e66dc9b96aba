"""A read-only copy of the ledger for Datasette, with the metadata that says what it is.

`datasette DIR/ledger.db -m DIR/metadata.json` then serves the views, the full-text
search and canned queries (totals since a date, deaths by region and by week, before and
after a milestone) that answer the usual questions with the same figures as `summary`.
The copy is made only from a ledger that passes `verify`, and names the verified head hash
and the as-of time, so anyone can check a served figure against the ledger it came from.
"""

import json
import os
import re
import sqlite3
import tempfile
from pathlib import Path

from protestlog.errors import FieldError, LedgerError

DB_NAME = "ledger.db"
DEFAULT_LICENSE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")

# What --redact removes from the copy: free text that may name victims, and who recorded what.
# Victims' names become 'victim N' (redaction.py scrubs them from source titles and URLs too).
REDACT = {
    "entries": {"note": None, "reason": None, "recorded_by": "'redacted'", "fingerprint": None},
    "milestones": {"recorded_by": "'redacted'"},
    "imports": {"recorded_by": "'redacted'", "file": "'redacted'"},
    "settings": {"recorded_by": "'redacted'"},
    "search_text": {"note": None, "victims": None},
    "victim_entries": {"name": "CASE WHEN name IS NULL THEN NULL ELSE 'victim ' || victim_id END",
                       "other_names": "'[]'", "description": "CASE WHEN description IS NULL THEN NULL ELSE "
                                                             "'unidentified' END",
                       "note": None, "reason": None, "recorded_by": "'redacted'", "fingerprint": None},
}

RANGE = "date >= :since AND (:until = '' OR date <= :until)"
QUERIES = {
    "totals_since": {
        "title": "Totals since a date",
        "description": "Records, killed (with the low-high range), injured, detained and minors killed from "
                       ":since to :until (both included; leave :until empty for no end). Optional figures "
                       "come with how many records give them: unknown is not zero.",
        "sql": "SELECT :since AS since, :until AS until, count(*) AS records, sum(killed) AS killed, "
               "sum(coalesce(killed_low, killed)) AS killed_low, sum(coalesce(killed_high, killed)) AS killed_high, "
               "sum(injured) AS injured, count(injured) AS injured_reported_in, sum(detained) AS detained, "
               "count(detained) AS detained_reported_in, sum(minors) AS minors_killed, "
               f"count(minors) AS minors_reported_in FROM records WHERE {RANGE}",
    },
    "deaths_by_region": {
        "title": "Deaths by region",
        "description": "Killed per region from :since to :until (both included), most first.",
        "sql": "SELECT region, count(*) AS records, sum(killed) AS killed, sum(injured) AS injured, "
               f"count(injured) AS injured_reported_in FROM records WHERE {RANGE} "
               "GROUP BY region ORDER BY killed DESC, region",
    },
    "deaths_by_week": {
        "title": "Deaths by week",
        "description": "Killed per ISO week (starting Monday) from :since to :until, counted at each record's "
                       "start date, with the running total. Weeks without records are not listed.",
        "sql": "SELECT week_start, records, killed, sum(killed) OVER (ORDER BY week_start) AS cumulative_killed "
               "FROM (SELECT date(date, '-' || ((CAST(strftime('%w', date) AS INTEGER) + 6) % 7) || ' days') "
               f"AS week_start, count(*) AS records, sum(killed) AS killed FROM records WHERE {RANGE} "
               "GROUP BY week_start) ORDER BY week_start",
    },
    "before_after_milestone": {
        "title": "Before and after a milestone",
        "description": "Killed in the :days days before :milestone and in the :days days from it (the "
                       "milestone day counts after), as in summary --window.",
        "sql": "SELECT :milestone AS milestone, (SELECT label FROM milestones WHERE date = :milestone "
               "ORDER BY id LIMIT 1) AS label, CAST(:days AS INTEGER) AS window_days, "
               "coalesce(sum(CASE WHEN date >= date(:milestone, '-' || CAST(:days AS INTEGER) || ' days') "
               "AND date < :milestone THEN killed END), 0) AS killed_before, "
               "coalesce(sum(CASE WHEN date >= :milestone AND date < date(:milestone, '+' || "
               "CAST(:days AS INTEGER) || ' days') THEN killed END), 0) AS killed_after FROM records",
    },
}

COLUMNS = {
    "id": "The record's stable number (protestlog show ID)",
    "revision": "1 for the first report, then one more for each amendment",
    "date": "Incident date (ISO); a span starts here and is counted here",
    "end_date": "Last day of a date span, when the report gives one",
    "date_precision": "How exact the date is: day, week or month",
    "region": "Region of Peru (ISO 3166-2:PE names)",
    "province": "Province, as reported", "place": "Town, district or site, as reported",
    "killed": "Best figure of people killed",
    "killed_low": "Lowest credible figure killed (blank: none given)",
    "killed_high": "Highest credible figure killed (blank: none given)",
    "killed_reported": "The wording reported when it was vague ('dozens'), coded by ACLED's rule",
    "injured": "People injured (blank: unknown, not zero)", "detained": "People detained (blank: unknown)",
    "minors": "How many of the killed were minors (blank: unknown)",
    "group": "Who the victims were: civilian, police, military, unknown",
    "circumstance": "clash with security forces, blockade-related accident, other (blank: not stated)",
    "cause": "firearm, pellets, tear gas, blunt force, burns, vehicle, other, unknown",
    "confidence": "confirmed, probable, unverified or contested",
    "sources": "JSON list of {name, url, accessed}", "sources_count": "How many sources the record cites",
    "responsible": "Alleged responsible force: police, army, navy, other state, civilians, unknown "
                   "(blank: not stated)",
    "note": "Free text; may name victims", "external_id": "The report's id elsewhere (ACLED event id, ...)",
    "recorded_at": "When this revision was written (UTC)", "recorded_by": "Who wrote it",
    "batch_id": "The import batch that wrote it (protestlog imports)",
    "seq": "Position in the ledger's chain (in records: the entry holding the current revision)", "action": "create, amend or retract",
    "reason": "Why a correction was made", "prev_hash": "Hash of the entry before",
    "hash": "SHA-256 of this entry's content and the previous hash",
}


def publish(ledger, out_dir: str, *, redact: bool = False, title: str | None = None,
            license_name: str | None = None, license_url: str | None = None, source: str | None = None,
            source_url: str | None = None) -> dict:
    """Write DIR/ledger.db (a read-only copy, optionally redacted) and DIR/metadata.json."""
    from protestlog.verify import verify

    _check_links(license_name, license_url, source_url)

    checked = verify(ledger)
    if not checked["ok"]:
        raise LedgerError("the ledger does not pass 'protestlog verify'; nothing was published: "
                          + checked["problems"][0]["message"])
    if not str(out_dir).strip() or "\x00" in str(out_dir):
        raise FieldError("datasette", out_dir, "give the folder to publish into")
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise FieldError("datasette", out_dir, "is a file, not a folder") from None
    except OSError as exc:
        raise FieldError("datasette", out_dir, f"cannot create the folder: {exc.strerror}") from None
    target = folder / DB_NAME
    _refuse_to_overwrite(ledger, target)
    as_of = ledger.state_time()
    info = {"head_hash": checked["head_hash"], "entries": checked["entries"], "as_of": as_of, "redacted": redact}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{DB_NAME}.")
    os.close(fd)
    try:
        copy = sqlite3.connect(tmp, isolation_level=None)
        try:
            ledger.db.backup(copy)  # a consistent snapshot, even while others write
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to serve
            if redact:
                _redact(copy)
            copy.execute("VACUUM")  # no freed page keeps redacted text
        finally:
            copy.close()
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot write {target}: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    metadata = build_metadata(info, title=title, license_name=license_name, license_url=license_url,
                              source=source, source_url=source_url)
    from protestlog.output import write_file

    write_file(str(folder / "metadata.json"), json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")
    return {"database": str(target), "metadata": str(folder / "metadata.json"), **info}


WEB_LINK = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


def _check_links(license_name, license_url, source_url) -> None:
    """Datasette shows these as links on every page: only web links (a javascript: URL would run in the
    reader's browser), and a licence link only with the licence's name (it was dropped silently)."""
    for option, url in (("license-url", license_url), ("source-url", source_url)):
        if url is not None and not WEB_LINK.match(url):
            raise FieldError(option, url, "must be an http:// or https:// link")
    if license_url is not None and not license_name:
        raise FieldError("license-url", license_url, "give the licence's name with --license too (without it "
                                                     "the default, CC BY 4.0, is published with its own link)")


def _refuse_to_overwrite(ledger, target: Path) -> None:
    """A publication never replaces the working ledger (--db site/ledger.db with --datasette site/
    would swap it for a copy, redacted or not) nor any file it did not write: copies are read-only."""
    if not target.exists():
        return
    try:
        same = os.path.samefile(target, ledger.path)
    except OSError:
        same = False
    if same:
        raise FieldError("datasette", str(target.parent), "holds the ledger being published; "
                         "publish into another folder")
    if target.is_symlink() or not target.is_file() or os.stat(target).st_mode & 0o222:
        raise FieldError("datasette", str(target), "exists and is not a copy written by 'publish' (those are "
                         "read-only files); move it or publish into another folder")


def _scrub_names(copy: sqlite3.Connection, tables: set) -> None:
    """Victims' names out of source titles, URLs and places, in incidents and victims alike."""
    if "victim_entries" not in tables:
        return
    import json

    from protestlog.redaction import Redactor

    names: dict[int, set[str]] = {}
    for victim_id, name, others in copy.execute("SELECT victim_id, name, other_names FROM victim_entries"):
        names.setdefault(victim_id, set()).update(n for n in [name, *json.loads(others or "[]")] if n)
    redactor = Redactor(names)
    for table, key in (("entries", "seq"), ("victim_entries", "seq")):
        for seq, sources, place in copy.execute(f'SELECT {key}, sources, place FROM "{table}"').fetchall():
            copy.execute(f'UPDATE "{table}" SET sources = ?, place = ? WHERE {key} = ?',
                         (json.dumps(redactor.scrub_sources(sources), ensure_ascii=False), redactor.scrub(place), seq))
    if "search_text" in tables:  # the index copies source names and places as plain text
        for row_id, sources, place in copy.execute("SELECT id, sources, place FROM search_text").fetchall():
            copy.execute("UPDATE search_text SET sources = ?, place = ? WHERE id = ?",
                         (redactor.scrub(sources), redactor.scrub(place), row_id))


def _redact(copy: sqlite3.Connection) -> None:
    """Blank names and free text in the copy. Its entries then no longer match their hashes: the
    published head hash is checked against the full ledger, not against a redacted copy."""
    triggers = [r for r in copy.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
                                        "AND name LIKE '%append_only%'")]
    copy.execute("BEGIN")
    for name, _table, _sql in triggers:
        copy.execute(f'DROP TRIGGER "{name}"')
    tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    _scrub_names(copy, tables)  # before the names themselves are blanked
    for table, columns in REDACT.items():
        if table in tables:
            sets = ", ".join(f'"{c}" = {v if v is not None else "NULL"}' for c, v in columns.items())
            copy.execute(f'UPDATE "{table}" SET {sets}')
    if "search_text_fts" in tables:
        copy.execute("INSERT INTO search_text_fts (search_text_fts) VALUES ('rebuild')")
        copy.execute("INSERT INTO search_text_fts (search_text_fts) VALUES ('optimize')")
    for _name, _table, sql in triggers:
        copy.execute(sql)
    copy.execute("COMMIT")


def build_metadata(info: dict, *, title=None, license_name=None, license_url=None, source=None,
                   source_url=None) -> dict:
    head, as_of = info["head_hash"], info["as_of"]
    if head is None:  # in verify's words; there is no hash to check against
        state = "Ledger head (none: empty ledger), 0 entries" + (f", as of {as_of} (UTC)" if as_of else "")
    else:
        state = (f"Ledger head hash {head} ({info['entries']} entries), as of {as_of} (UTC). Check that a ledger "
                 f"still contains this state with: protestlog verify --expect {head}")
    if info["redacted"]:
        state += (". Redacted copy: notes, reasons and recorder names are blank, so its entries no longer match "
                  "their hashes; verify against the full ledger")
    lic = (license_name, license_url) if license_name else DEFAULT_LICENSE
    columns = dict(COLUMNS)
    return {
        "title": title or "protestlog casualty ledger",
        "description": ("An append-only, sourced, hash-chained record of deaths in protests. 'records' holds "
                        "each record's current state (retracted ones left out), 'history' every entry. "
                        + state + "."),
        "license": lic[0], "license_url": lic[1] or "",
        "source": source or "protestlog ledger", "source_url": source_url or "",
        "about": "protestlog", "about_url": "",
        "head_hash": head, "as_of": as_of, "entries": info["entries"], "redacted": info["redacted"],
        "databases": {
            DB_NAME.removesuffix(".db"): {
                "description": state,
                "tables": {
                    "records": {"description": "Each record's current revision; retracted records left out. "
                                               "The rows 'protestlog list' shows.",
                                "fts_table": "search_text_fts", "fts_pk": "seq",
                                "columns": {c: columns[c] for c in columns if c not in
                                            ("action", "reason", "prev_hash", "hash")}},
                    "history": {"description": "Every entry in ledger order: creations, amendments, "
                                               "retractions, with who, when and why.", "columns": columns},
                    "milestones": {"description": "Dates compared before and after (a declaration, a curfew).",
                                   "columns": {"date": "The milestone's day (counts in 'after')",
                                               "label": "What happened", "recorded_at": "When it was added",
                                               "recorded_by": "Who added it"}},
                    "entries": {"description": "The append-only table the views read; hashes chain each "
                                               "entry to the one before.", "columns": columns},
                    "victims": {"description": "Each victim's current revision, retracted ones left out, linked "
                                               "to an incident by incident_id. Names are personal data about "
                                               "people who cannot consent; a redacted copy shows 'victim N'."},
                    "search_text": {"hidden": True}, "imports": {"description": "Import batches"},
                },
                "queries": QUERIES,
            }
        },
    }
