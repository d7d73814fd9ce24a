#!/bin/sh
# 2240-repair-anthropic: repair rounds through the Anthropic provider, as
# a batch and as direct calls (the emulator matches both on the prompt).
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/repair/lib.sh"

plan 4
repair_repo
repair_script
emu_start "$T/script.json" || exit 1
P="--provider anthropic"
aas-scan | aas-submit -q $P --sync --keep-order | aas-plan -q | aas-apply -q |
    aas-qa -q --rollback >r1.jsonl
is "$(jq -r '[.id, (.error.code // "ok")] | join(" ")' r1.jsonl | tr '\n' ,)" \
    "FIX-1 qa_failed,DUP-1 ambiguous,NEV-1 qa_failed," "round one through Anthropic"

run aas-submit -q $P --repair <r1.jsonl
is "$rc $(jq -r '[.id, .batch.provider] | join(" ")' "$T/out" | tr '\n' ,)" \
    "0 FIX-1 anthropic,DUP-1 anthropic,NEV-1 anthropic," "the repairs as an Anthropic batch"
aas-fetch -q --wait --interval 0.05 | aas-plan -q | aas-apply -q |
    aas-qa -q --rollback >r2.jsonl
is "$(jq -r '[.id, .attempt, (.error.code // "ok")] | map(tostring) | join(" ")' r2.jsonl | sort | tr '\n' ,)" \
    "DUP-1 2 ok,FIX-1 2 ok,NEV-1 2 qa_failed," "the batch lines answered by their prompts"

aas-submit -q $P --state "$T/st2" --sync --keep-order --repair <r1.jsonl |
    aas-plan -q >s2.jsonl
is "$(jq -c '[.id, .plan.edits[0].content // .plan.edits[0].replace]' s2.jsonl | tr '\n' ,)" \
    '["FIX-1","2\n"],["DUP-1","y = 3;"],["NEV-1","5\n"],' "the direct calls answered by their prompts"
done_testing
