"""A publishable report (HTML or Markdown) that can be traced to one exact, verified ledger state.

The report is built only from a ledger that passes `verify`, pins an as-of time (given, or
the moment the ledger last changed), and prints the head hash of that state. It carries no
generation time, so the same ledger state and options always give the same bytes: anyone can
reproduce a published report, and `verify --expect HASH` shows the ledger still contains it.
"""

import html
import io
import re

from protestlog import charts, reports
from protestlog.errors import LedgerError
from protestlog.output import Env, markdown_text
from protestlog.verify import verify
from protestlog.views import (
    MILESTONE_COLUMNS, NOTE, SENSITIVITY_COLUMNS, fmt_range, given_in, milestone_details, milestone_rows, pct,
    region_rows, sensitivity_note, sensitivity_rows,
)

SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)  # only web links become links
INCIDENT_COLUMNS = ["id", "date", "region", "place", "killed", "group", "circumstance", "confidence", "sources"]


def build(ledger, filters, *, since, until, by: str = "week", as_of: str | None = None,
          window: int | None = None, title: str | None = None, redact: bool = False) -> dict:
    """Everything the report shows, computed from one verified ledger state. `redact` leaves out
    what `export --redact` leaves out (notes, which may name victims, reasons, who recorded)."""
    checked = verify(ledger)
    if not checked["ok"]:
        problem = checked["problems"][0]["message"]
        raise LedgerError(f"the ledger fails verification ({problem}); no report was written")
    if checked["entries"] == 0:
        raise LedgerError("the ledger is empty; there is nothing to report")
    as_of = as_of or ledger.state_time()
    s = reports.summary(ledger, since=since, until=until, by=by, window=window, filters=filters, as_of=as_of,
                        sensitivity=True)
    if not s["ledger"]["entries"]:
        raise LedgerError(f"nothing was recorded yet as of {as_of}; there is nothing to report")
    # Read lazily while the ledger is open, so memory does not grow with the incident table.
    incidents = reports.register(ledger, filters, as_of=as_of)
    if redact:  # as export --redact: no notes, reasons or recorders; victims' names scrubbed everywhere
        from protestlog.redaction import Redactor

        redactor = Redactor.from_ledger(ledger)
        incidents = ({k: redactor.scrub_sources(v) if k == "sources" else redactor.scrub(v)
                      for k, v in rec.items() if k not in ("note", "reason", "recorded_by")} for rec in incidents)
    milestones = ledger.milestones(as_of)
    timeline = charts.timeline(s, milestones, metric="killed")
    r = s["range"]
    from protestlog.memorial import memorial_rows

    memorial = [] if redact else memorial_rows(ledger, filters, since=since, until=until, as_of=as_of)
    return {"title": title or f"Casualty report, {r['since']} to {r['until']}", "summary": s,
            "timeline": timeline, "regions": region_rows(s), "incidents": incidents, "as_of": as_of,
            "memorial": memorial,
            "head_hash": s["ledger"]["head_hash"], "entries": s["ledger"]["entries"],
            "reproduce": reproduce_command(filters, s, as_of, window, redact), "redacted": redact}


def reproduce_command(filters, s: dict, as_of: str, window: int | None, redact: bool = False) -> str:
    r = s["range"]
    parts = ["protestlog report", f"--since {r['since']}", f"--until {r['until']}", f"--by {r['by']}"]
    for option, value in (("--region", filters.region), ("--min-confidence", filters.min_confidence),
                          ("--window", window)):
        if value:
            parts.append(f"{option} '{value}'")
    parts.append(f"--as-of {as_of}")
    if redact:
        parts.append("--redact")
    return " ".join(parts)


def headline(report: dict) -> list[tuple[str, str]]:
    t = report["summary"]["totals"]
    return [("People killed", fmt_range(t["killed_range"], t["killed"])),
            ("of whom minors", given_in(t, "minors", str(t["minors_killed"]))),
            ("People injured", given_in(t, "injured", fmt_range(t["injured_range"], t["injured"]))),
            ("People detained", given_in(t, "detained", str(t["detained"]))),
            ("Incident records", str(t["records"])), ("Distinct sources", str(t["distinct_sources"])),
            ("Records without a source", str(t["unsourced_records"]))]


def caveat_paragraph(m: dict) -> str:
    """The caveats of one milestone as one paragraph a reader cannot miss."""
    if not m["caveats"]:
        return f"{m['date']} {m['label']}: no caveat applies (see the method notes in the README)."
    return f"{m['date']} {m['label']}: " + " ".join(c[0].upper() + c[1:] + "." for c in m["caveats"])


def killed_text(rec: dict) -> str:
    best = rec["killed"]
    low = best if rec.get("killed_low") is None else rec["killed_low"]
    high = best if rec.get("killed_high") is None else rec["killed_high"]
    return str(best) if low == high == best else f"{best} ({low}–{high})"


def date_text(rec: dict) -> str:
    return rec["date"] + (f" to {rec['end_date']}" if rec.get("end_date") else "")


def footer_lines(report: dict) -> list[tuple[str, str]]:
    """(what, exact text): the text is a hash, a time or a command, shown verbatim."""
    return [("Ledger head hash, checked by protestlog verify", report["head_hash"]),
            (f"Ledger state: {report['entries']} entries, as of (UTC)", report["as_of"]),
            ("Reproduce this report", report["reproduce"]),
            ("Check that the ledger still contains this state", f"protestlog verify --expect {report['head_hash']}")]


# ---- HTML ----------------------------------------------------------------------------


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def source_link(source: dict, escape, link) -> str:
    """A source as a link when its URL is a plain web address, else as escaped text."""
    name = escape(source.get("name") or source.get("url") or "source")
    url = source.get("url")
    if url and SAFE_URL.match(url):
        return link(name, url)
    return name + (f" ({escape(url)})" if url else "")


def _link(source: dict) -> str:
    return source_link(source, _e, lambda name, url: f'<a href="{_e(url)}" rel="noopener noreferrer">{name}</a>')


def _table_chunks(columns: list[str], rows, numeric=frozenset(), caption: str = ""):
    """An HTML table a row at a time; cells arrive already escaped."""
    head = "".join(f'<th{" class=num" if c in numeric else ""}>{_e(c)}</th>' for c in columns)
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    yield f"<table>{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n"
    for row in rows:
        yield "<tr>" + "".join(f'<td{" class=num" if c in numeric else ""}>{v}</td>'
                               for c, v in zip(columns, row, strict=True)) + "</tr>\n"
    yield "</tbody></table>"


def _table(columns: list[str], rows, numeric=frozenset(), caption: str = "") -> str:
    return "".join(_table_chunks(columns, rows, numeric, caption))


def _inline_svg(svg: str, label: str, prefix: str) -> str:
    """matplotlib's SVG without its XML prolog, labelled for screen readers.

    Two charts on one page both say id="figure_1" and may share clip-path ids, so every id and
    reference to one is prefixed per chart; otherwise one chart could clip the other's bars.
    """
    body = svg[svg.index("<svg"):]
    body = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', body)
    body = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", body)
    body = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', body)
    return f'<figure role="img" aria-label="{_e(label)}">{body}</figure>'


STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:62rem;margin:2rem auto;
padding:0 1rem;color:#1a1a1a;line-height:1.45}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{padding:.25rem .6rem;
border-bottom:1px solid #eee;text-align:left;vertical-align:top}.num{text-align:right}caption{text-align:left;
color:#555;font-size:.85rem;caption-side:bottom;padding-top:.3rem}.headline td:first-child{color:#555}
.headline td.num{font-weight:600;font-size:1.05rem}figure{margin:0}figure svg{max-width:100%;height:auto}
footer{margin-top:2.5rem;border-top:1px solid #ddd;font-size:.8rem;color:#444}code{word-break:break-all}"""


def to_html(report: dict):
    """One self-contained page, in chunks: inline CSS and SVG, no scripts, and a policy that loads nothing."""
    s = report["summary"]
    r = s["range"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<meta name=\"protestlog-head-hash\" content=\"{_e(report['head_hash'])}\">",
        f"<title>{_e(report['title'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(report['title'])}</h1>",
        f"<p>Incidents dated {_e(r['since'])} to {_e(r['until'])}, both days included; "
        f"ledger as of {_e(report['as_of'])} (UTC).</p>",
        "<h2>Headline figures</h2>",
        '<table class="headline"><tbody>' + "".join(
            f"<tr><td>{_e(k)}</td><td class=num>{_e(v)}</td></tr>" for k, v in headline(report)) + "</tbody></table>",
        "<h2>Before and after milestones</h2>",
    ]
    rows = milestone_rows(s)
    if rows:
        parts.append(_table(MILESTONE_COLUMNS, [[_e(row[c]) for c in MILESTONE_COLUMNS] for row in rows],
                         {"ratio"}, NOTE))
        parts += [f"<p>{_e(line)}</p>" for m in s["milestones"] for line in milestone_details(m)[:1]]
        parts.append("<h3>Caveats</h3>")
        parts += [f"<p>{_e(caveat_paragraph(m))}</p>" for m in s["milestones"]]
        parts.append("<h3>Sensitivity</h3>")
        for m in s["milestones"]:
            parts.append(_table(SENSITIVITY_COLUMNS, [[_e(row[c]) for c in SENSITIVITY_COLUMNS]
                                                      for row in sensitivity_rows(s, m)],
                                {"ratio", "moved"}, f"{m['date']} {m['label']}. {sensitivity_note(s, m)}"))
    else:
        parts.append("<p>No milestone falls after the first day of the range.</p>")
    t = report["timeline"]
    parts += ["<h2>Timeline</h2>", _inline_svg(charts.draw_timeline(t, "svg"), t["title"], "timeline"),
              "<details><summary>The figures plotted</summary>",
              _table(["start", "end", "records", "killed", "cumulative"],
                     [[_e(p["clipped_start"]), _e(p["clipped_end"]), _e(p["records"]), _e(p["killed"]),
                       _e(p["cumulative_killed"])] for p in s["series"]], {"records", "killed", "cumulative"}),
              "</details>",
              "<h2>By region</h2>"]
    if any(row["killed"] for row in report["regions"]):
        parts.append(_inline_svg(charts.draw_regions(s, "svg"), "People killed by region", "regions"))
    region_columns = ["rank", "region", "code", "records", "killed", "share", "injured", "detained"]
    parts.append(_table(region_columns, [[_e(row["rank"]), _e(row["region"]), _e(row["code"]), _e(row["records"]),
                                          _e(killed_text(row)),
                                          _e(pct(row["share"])),
                                          _e(row["injured"]), _e(row["detained"])] for row in report["regions"]],
                        {"rank", "records", "killed", "share", "injured", "detained"},
                        "Ranked by deaths. Blank: no record in the region gives the figure (unknown, not zero)."))
    parts.append(f"<h2>Incidents ({s['totals']['records']})</h2>")
    yield "\n".join(parts) + "\n"
    notes = not report.get("redacted")
    yield from _table_chunks(INCIDENT_COLUMNS + (["note"] if notes else []), (
        [_e(rec["id"]), _e(date_text(rec)), _e(rec["region"]), _e(rec["place"]), _e(killed_text(rec)),
         _e(rec["group"]), _e(rec["circumstance"]), _e(rec["confidence"]),
         "<br>".join(_link(src) for src in rec["sources"]) or "<em>no source</em>"] + ([_e(rec["note"])] if notes else [])
        for rec in report["incidents"]), {"id", "killed"})
    from protestlog import memorial

    yield "\n" + memorial.html_section(report.get("memorial") or [], _e, _link, _table)
    yield ("\n<footer>" + "".join(f"<p>{_e(k)}: <code>{_e(v)}</code></p>" for k, v in footer_lines(report))
           + f"<p>{_e(t['source_line'])}. Generated by protestlog.</p></footer>\n</body></html>\n")


# ---- Markdown ------------------------------------------------------------------------


_md_text = markdown_text  # one escaping for every Markdown protestlog writes (output.markdown_text)


def _md_link(source: dict) -> str:
    # In a table cell a | ends the cell even inside a link, and a trailing \ escapes what follows:
    # percent-encode both (the URL means the same).
    return source_link(source, _md_text, lambda name, url: f"[{name}](<{_md_url(url)}>)")


def _md_url(url: str) -> str:
    return url.replace("\\", "%5C").replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")


def _md_table_chunks(columns: list[str], rows, numeric=frozenset()):
    yield "| " + " | ".join(columns) + " |\n"
    yield "|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|\n"
    for row in rows:
        yield "| " + " | ".join(row) + " |\n"


def _md_table(columns: list[str], rows, numeric=frozenset()) -> str:
    return "".join(_md_table_chunks(columns, rows, numeric))


def to_markdown(report: dict):
    """The same report as Markdown, in chunks: the timeline as a text chart, links as Markdown links."""
    s = report["summary"]
    r = s["range"]
    buffer = io.StringIO()
    charts.render_terminal(Env(stdout=buffer, stdout_tty=False), report["timeline"])
    out = [f"# {_md_text(report['title'])}", "",
           f"Incidents dated {r['since']} to {r['until']}, both days included; ledger as of {report['as_of']} (UTC).",
           "", "## Headline figures", "",
           _md_table(["measure", "figure"], [[_md_text(k), _md_text(v)] for k, v in headline(report)], {"figure"}),
           "## Before and after milestones", ""]
    rows = milestone_rows(s)
    if rows:
        out += [_md_table(MILESTONE_COLUMNS, [[_md_text(row[c]) for c in MILESTONE_COLUMNS] for row in rows],
                          {"ratio"}), _md_text(NOTE), ""]
        out += [_md_text(line) + "\n" for m in s["milestones"] for line in milestone_details(m)[:1]]
        out += ["### Caveats", ""] + [_md_text(caveat_paragraph(m)) + "\n" for m in s["milestones"]]
        out += ["### Sensitivity", ""]
        for m in s["milestones"]:
            out += [f"{_md_text(m['date'] + ' ' + m['label'])}:", "",
                    _md_table(SENSITIVITY_COLUMNS, [[_md_text(row[c]) for c in SENSITIVITY_COLUMNS]
                                                    for row in sensitivity_rows(s, m)], {"ratio", "moved"}),
                    _md_text(sensitivity_note(s, m)), ""]
    else:
        out += ["No milestone falls after the first day of the range.", ""]
    out += ["## Timeline", "", "```text", buffer.getvalue().rstrip("\n"), "```", "", "## By region", "",
            _md_table(["rank", "region", "code", "records", "killed", "share", "injured", "detained"],
                      [[str(row["rank"]), _md_text(row["region"]), row["code"], str(row["records"]),
                        _md_text(killed_text(row)), pct(row["share"]),
                        _md_text(row["injured"]), _md_text(row["detained"])] for row in report["regions"]],
                      {"rank", "records", "killed", "share", "injured", "detained"}),
            "Ranked by deaths. Blank: no record in the region gives the figure (unknown, not zero).", "",
            f"## Incidents ({s['totals']['records']})", ""]
    yield "\n".join(out) + "\n"
    yield from _md_table_chunks(INCIDENT_COLUMNS, (
        [str(rec["id"]), _md_text(date_text(rec)), _md_text(rec["region"]), _md_text(rec["place"]),
         _md_text(killed_text(rec)), _md_text(rec["group"]), _md_text(rec["circumstance"]),
         _md_text(rec["confidence"]), "<br>".join(_md_link(src) for src in rec["sources"]) or "*no source*"]
        for rec in report["incidents"]), {"id", "killed"})
    from protestlog import memorial

    yield memorial.markdown_section(report.get("memorial") or [], _md_text, _md_link, _md_table)
    footer = ["", "---", ""] + [f"- {_md_text(k)}: `{v}`" for k, v in footer_lines(report)]
    yield "\n".join(footer + ["", f"{report['timeline']['source_line']}. Generated by protestlog.", ""])
