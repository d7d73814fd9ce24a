#!/bin/sh
# The README's main job, examples/demo.sh, under the sanitizer build: the
# example board through every stage against the emulator, checked by the
# demo itself (DEMO-2 and DEMO-3 Done on their branches, DEMO-5 rolled
# back and Failed), then the record stream checked here.
. "${AAS_SRC:-.}/tests/lib.sh"
plan 5
run env KEEP=1 TMPDIR="$T" AAS_BUILD="$AAS_BUILD" sh "$AAS_SRC/examples/demo.sh"
is "$rc" 0 "demo exits 0"
work=$(ls -d "$T"/aas-demo.* | head -n 1)
is "$(grep -c 'Sanitizer\|runtime error' "$T/err")" 0 "no sanitizer report"
is "$(jq -r '[.id, (.qa.ok|tostring), (.error.code // "-")] | join(" ")' \
    "$work/out.jsonl" | sort | tr '\n' ',')" \
    "DEMO-2 true -,DEMO-3 true -,DEMO-5 false qa_failed," \
    "every task out once with its outcome"
is "$(git -C "$work/repo" branch --list 'aas/*' | tr -d ' ' | tr '\n' ,)" \
    "aas/DEMO-2,aas/DEMO-3," "passing branches kept, the failed one rolled back"
is "$(git -C "$work/repo" status --porcelain | tr '\n' ,)" \
    " M ACTIVE_TASKS.md," "checkout untouched but for the board"
done_testing
