#!/usr/bin/env bash
# A nightly CI job: import the day's reports, check the ledger, publish a Markdown summary
# and, if a third path is given, the HTML report (needs the charts extra).
#
#   PROTESTLOG_DB=ledger.db examples/ci-daily.sh reports/2023-01-10.csv public/summary.md public/report.html
#
# Re-running it on the same reports file adds nothing (imports are idempotent). It stops,
# with exit code 1 and one line per problem, before publishing anything if a report is
# malformed or the ledger fails its checks.
set -euo pipefail

reports="${1:?usage: ci-daily.sh REPORTS_FILE [SUMMARY.md]}"
summary="${2:-summary.md}"
report="${3:-}"
since="${PROTESTLOG_SINCE:-2022-12-07}"

protestlog import "$reports"                      # counts go to stderr, for the CI log
protestlog check --require-source                 # silent when clean
head_hash=$(protestlog verify | awk '{print $NF}')

{
  protestlog summary --since "$since" --format markdown   # by week or month, to fit the span
  echo
  echo "Ledger head hash: \`$head_hash\` — check it later with \`protestlog verify --expect $head_hash\`."
} > "$summary.tmp"
mv "$summary.tmp" "$summary"                      # publish whole or not at all
echo "wrote $summary" >&2
if [[ -n "$report" ]]; then
  protestlog report --since "$since" --output "$report"   # verified, traceable; written whole or not at all
fi
