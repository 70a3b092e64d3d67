#!/usr/bin/env bash
# The structure's measurable rules (docs/architecture.md, "Rules"), each printed with what was measured;
# exits non-zero if one is broken. scripts/test.sh runs it after the type-check.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=0
check() { # check NAME OK MEASURED
  if [ "$2" = 0 ]; then printf 'ok    %-58s %s\n' "$1" "$3"; else printf 'FAIL  %-58s %s\n' "$1" "$3"; failed=1; fi
}

# 1. Server files stay small: no file under src/server over 300 lines.
largest=$(find src/server -name '*.ts' -exec wc -l {} + | grep -v ' total$' | sort -n | tail -1)
over=$(find src/server -name '*.ts' -exec wc -l {} + | grep -v ' total$' | awk '$1 > 300 { print $2 " (" $1 ")" }')
check "no file under src/server over 300 lines" "$([ -z "$over" ]; echo $?)" "largest: $(echo $largest)${over:+; over: $(echo $over)}"

# 2. The pilot reads as a loop: pilot.ts at most 250 lines.
pilot=$(wc -l < src/pilot/pilot.ts)
check "src/pilot/pilot.ts at most 250 lines" "$([ "$pilot" -le 250 ]; echo $?)" "$pilot lines"

# 3. The HTTP contract is declared once: "/api/v1" appears in code only in src/api (and in tests). Only the
# files git does not ignore: what a benchmark wrote (bench/results) is data, and names the routes it measured.
paths=$(git ls-files -z --cached --others --exclude-standard src monitor bench examples scripts templates python | xargs -0 grep -lF '/api/v1' 2>/dev/null | grep -v '^src/api/' | grep -v '\.test\.tsx\?$' | grep -v '^scripts/structure-report.sh$' || true)
check '"/api/v1" only in src/api and tests' "$([ -z "$paths" ]; echo $?)" "${paths:-none elsewhere}"

# 4. Status columns carry the core unions: no casts to a state type in src/store.
states='JobState|TaskStatus|WorkflowStatus|WorkflowMode|PilotStatus|WorkerStatus|WorkerBatchState|TaskKind|FinalJobState|ReportedAttemptState|EndedAttemptState|ResultVia'
casts=$(grep -rnE "as ($states)\b" src/store || true)
check "no status casts in src/store" "$([ -z "$casts" ]; echo $?)" "$(printf '%s' "$casts" | grep -c . || true) casts"

# 5 and 6. Code loads where it runs, and eslint refuses a folder-boundary violation and an import cycle:
# the unit tests that check them (src/entry-points.test.ts records the modules a bare SDK import, a pilot
# and an executor load; src/folder-rules.test.ts feeds eslint a violation and a cycle).
while IFS='|' read -r t name; do
  out=$(npx vitest run --project unit "$t" 2>&1)
  check "$name" "$?" "$t: $(printf '%s' "$out" | sed -n 's/\x1b\[[0-9;]*m//g; s/^ *Tests *//p' | head -1)"
done <<'TESTS'
src/entry-points.test.ts|the SDK, a pilot and an executor load only what they need
src/folder-rules.test.ts|eslint refuses a folder-boundary violation and a cycle
TESTS

exit $failed
