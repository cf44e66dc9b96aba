"""Options shared by several commands, declared once."""

from enum import Enum
from typing import Annotated, Optional

import typer

Text = Optional[str]
DateOpt = Annotated[Text, typer.Option("--date", help="Incident date: 2023-01-09, 09/01/2023 (day first), "
                                                      "'9 de enero de 2023', '9 ene 2023', '9 Jan 2023', hoy, "
                                                      "ayer. Not in the future.")]
EndDateOpt = Annotated[Text, typer.Option("--end-date", help="Last day, when a report gives a span.")]
PrecisionOpt = Annotated[Text, typer.Option("--precision", help="How exact the date is: day, week, month.")]
RegionOpt = Annotated[Text, typer.Option("--region", help="Region of Peru; case and accents ignored (apurimac).")]
ProvinceOpt = Annotated[Text, typer.Option("--province", help="Province (free text, one line).")]
PlaceOpt = Annotated[Text, typer.Option("--place", help="Town, district or site.")]
KilledOpt = Annotated[Text, typer.Option("--killed", help="Best figure of people killed (or wording: 'dozens').")]
KilledLowOpt = Annotated[Text, typer.Option("--killed-low", help="Lowest credible figure killed.")]
KilledHighOpt = Annotated[Text, typer.Option("--killed-high", help="Highest credible figure killed.")]
InjuredOpt = Annotated[Text, typer.Option("--injured", help="People injured; leave out when unknown.")]
InjuredLowOpt = Annotated[Text, typer.Option("--injured-low", help="Lowest credible figure injured.")]
InjuredHighOpt = Annotated[Text, typer.Option("--injured-high", help="Highest credible figure injured.")]
DetainedOpt = Annotated[Text, typer.Option("--detained", help="People detained; leave out when unknown.")]
GroupOpt = Annotated[Text, typer.Option("--group", help="Who the victims were: civilian, police, military, "
                                                        "unknown.")]
MinorsOpt = Annotated[Text, typer.Option("--minors", help="How many of the killed were minors (never more than "
                                                          "killed).")]
CircumstanceOpt = Annotated[Text, typer.Option(
    "--circumstance", help="'clash with security forces' (clash), 'blockade-related accident' (blockade), other.")]
CauseOpt = Annotated[Text, typer.Option(
    "--cause", help="firearm, pellets, tear gas, blunt force, burns, vehicle, other, unknown.")]
ConfidenceOpt = Annotated[Text, typer.Option("--confidence", help="confirmed, probable, unverified (default), "
                                                                  "contested.")]
ResponsibleOpt = Annotated[Text, typer.Option(
    "--responsible", help="Alleged responsible force: police, army, navy, 'other state', civilians, unknown.")]
NoteOpt = Annotated[Text, typer.Option("--note", help="Free text: names, context, doubts.")]
ExternalIdOpt = Annotated[Text, typer.Option("--external-id", help="The report's id in another system.")]
ByOpt = Annotated[Text, typer.Option("--by", help="Who records this (else $PROTESTLOG_USER, else login name).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
AsOfOpt = Annotated[Text, typer.Option("--as-of", metavar="DATETIME",
                                       help="Show the ledger as it stood at this recording time (UTC; a bare "
                                            "date means the end of that day).")]


def record_fields(date, end_date, precision, region, province, place, killed, killed_low, killed_high, injured,
                  injured_low, injured_high, detained, group, minors, circumstance, cause, confidence, note,
                  external_id) -> dict:
    return {"date": date, "end_date": end_date, "date_precision": precision, "region": region,
            "province": province, "place": place, "killed": killed, "killed_low": killed_low,
            "killed_high": killed_high, "injured": injured, "injured_low": injured_low,
            "injured_high": injured_high, "detained": detained, "group": group, "minors": minors,
            "circumstance": circumstance, "cause": cause, "confidence": confidence, "note": note,
            "external_id": external_id}


RegionFilterOpt = Annotated[Text, typer.Option("--region", help="Only this region (case and accents ignored).")]
GroupFilterOpt = Annotated[Text, typer.Option("--group", help="Only this victim group: civilian, police, military, "
                                                              "unknown (or in Spanish).")]
CircumstanceFilterOpt = Annotated[Text, typer.Option("--circumstance", help="Only this circumstance: clash, "
                                                                            "blockade, other (or in Spanish).")]
MinConfidenceOpt = Annotated[Text, typer.Option(
    "--min-confidence", help="Only records at least this certain: confirmed > probable > unverified > contested.")]



ReasonOpt = Annotated[Text, typer.Option("--reason", help="Why (required): the new report, the error found.")]


class FileFormat(str, Enum):
    """The file formats import reads and export writes (incidents and victims alike)."""

    csv = "csv"
    tsv = "tsv"
    json = "json"
    ndjson = "ndjson"


# `import` and `victim import` take the same file, format and dry-run options.
ImportFileArg = Annotated[str, typer.Argument(metavar="FILE", help="CSV, TSV, JSON array or NDJSON file "
                                                                   "('-': standard input).")]
ImportFormatOpt = Annotated[Optional[FileFormat], typer.Option("--format", "-f",
                                                               help="File format (default: by extension).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Validate and report; write nothing.")]
CountsJsonFlag = Annotated[bool, typer.Option("--json", help="Print the counts as JSON on stdout.")]
ExportFormatOpt = Annotated[FileFormat, typer.Option("--format", "-f", help="csv, tsv, json or ndjson.")]


def _raw_cells(ctx: typer.Context, value: bool) -> bool:
    """--raw reaches the one CSV/TSV writer through the command's output Env (see output.write_delimited)."""
    if value and ctx.find_root().obj is not None:
        ctx.find_root().obj.env.raw = True
    return value


RawOpt = Annotated[bool, typer.Option("--raw", callback=_raw_cells,
                                      help="In CSV/TSV, leave text starting with = + - @ as it is: no leading ' "
                                           "(which stops a spreadsheet running =HYPERLINK(...) as a formula).")]
