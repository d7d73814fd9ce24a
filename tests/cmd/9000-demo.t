#!/bin/sh
# The README's main job, examples/demo.sh, under the sanitizer build: the
# example board through every stage against the emulator, onto the
# integration branch, with a repair round, then aas-run taking the goal
# DEMO-6 and every ready task to Done; checked by the demo itself, then
# the record stream and the repository checked here.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/run/lib.sh"
plan 8
run env KEEP=1 TMPDIR="$T" AAS_BUILD="$AAS_BUILD" sh "$AAS_SRC/examples/demo.sh"
is "$rc" 0 "demo exits 0"
work=$(ls -d "$T"/aas-demo.* | head -n 1)
is "$(grep -c 'Sanitizer\|runtime error' "$T/err")" 0 "no sanitizer report"
is "$(jq -r '[.id, (.qa.ok|tostring), (.attempt // 1 | tostring), (.error.code // "-")] | join(" ")' \
    "$work/out.jsonl" | sort | tr '\n' ',')" \
    "DEMO-2 true 1 -,DEMO-3 true 1 -,DEMO-5 true 2 -," \
    "every task out once; DEMO-5 passed on its second attempt"
is "$(git -C "$work/repo" branch --list 'aas/*' | tr -d ' ' | tr '\n' ,)" \
    "aas/DEMO-2,aas/DEMO-3,aas/DEMO-4,aas/DEMO-5,aas/DEMO-6-1,aas/DEMO-6-2,aas/DEMO-6-3,aas/integration," \
    "a branch per task, and the integration branch"
is "$(grep '^aas-run: ' "$T/err" | sed 's/[0-9.]* USD$/USD/')" \
    "aas-run: 4 done, 0 failed, 0 left, USD" "aas-run's summary"
is "$(git -C "$work/repo" status --porcelain | tr '\n' ,)" \
    " M ACTIVE_TASKS.md," "checkout untouched but for the board"
is "$(grep -o 'DEMO-[0-9]' "$AAS_BUILD/demo-report.html" | sort -u | tr '\n' ' ')|$(grep -o 'DEMO-[0-9]' "$AAS_BUILD/demo-summary.md" | sort -u | tr '\n' ' ')" \
    "DEMO-2 DEMO-3 DEMO-5 |DEMO-2 DEMO-3 DEMO-5 " "the demo's reports: the page and the summary, its three tasks"
is "$(grep -c "^demo: the run's report: $AAS_BUILD/demo-report.html" "$T/err")" 1 "the demo says where its report is"
done_testing
