#!/bin/sh
# 2220-repair-batch: aas-submit --repair in batch mode: the repairs go out
# as one batch (the emulator answers its lines by their prompts), a re-run
# sends none of them again, aas-fetch brings them back into the rest of
# the pipeline; --dry-run; the budget stops repairs with exit 75, leaving
# the records it did not send as they came, and a re-run goes on.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/repair/lib.sh"

plan 13
repair_repo
repair_script
emu_start "$T/script.json" || exit 1
aas-scan | aas-submit -q --sync --keep-order | aas-plan -q | aas-apply -q |
    aas-qa -q --rollback >r1.jsonl

run aas-submit --dry-run --repair <r1.jsonl
is "$rc $(jq -r '[.id, .attempt, (has("request")), (has("batch"))] | map(tostring) | join(" ")' "$T/out" | tr '\n' ,)" \
    "0 FIX-1 2 true false,DUP-1 2 true false,NEV-1 2 true false," "--dry-run: the next attempt, nothing sent"
is "$(sed -E 's/[0-9]+ tokens, [0-9.]+ USD/N tokens, X USD/' "$T/err")" \
    "aas-submit: dry run: 3 tasks, N tokens, X USD estimated" "--dry-run: the estimate"
is "$(emu_stats | jq -c '[.batches_created, .sync_requests]')" "[0,3]" "--dry-run: no call"
jq -r '.request.est_usd' "$T/out" >est

run aas-submit --repair <r1.jsonl
cp "$T/out" s2.jsonl
is "$rc $(jq -r '[.id, .attempt, .request.template, .batch.provider] | map(tostring) | join(" ")' s2.jsonl | tr '\n' ,)" \
    "0 FIX-1 2 repair openai,DUP-1 2 repair openai,NEV-1 2 repair openai," "batch mode: every repair in a batch"
is "$(emu_log | jq -c 'select(.created // "" | startswith("batch_")) | [.custom_ids.count, ([.custom_ids.list[] | sub("-r2-[0-9a-f]+$"; "")] | sort)]')" \
    '[3,["DUP-1","FIX-1","NEV-1"]]' "one batch of the three attempt-2 custom_ids"

run aas-submit --repair <r1.jsonl
is "$rc $(jq -r '.batch.id' "$T/out" | sort -u | wc -l) $(emu_stats | jq -c '[.batches_created, .duplicate_custom_ids_across_batches]')" \
    "0 1 [1,0]" "a re-run: already in that batch, nothing sent again"
is "$(sed 's/batch_[A-Za-z0-9]*/BATCH/' "$T/err")" "aas-submit: FIX-1: already in batch BATCH, skipped (--force submits it again)
aas-submit: DUP-1: already in batch BATCH, skipped (--force submits it again)
aas-submit: NEV-1: already in batch BATCH, skipped (--force submits it again)" "a re-run: says so"

aas-fetch -q --wait --interval 0.05 | aas-plan -q | aas-apply -q |
    aas-qa -q --rollback --keep-order >r2.jsonl
is "$(jq -r '[.id, .attempt, (.error.code // "ok")] | map(tostring) | join(" ")' r2.jsonl | sort | tr '\n' ,)" \
    "DUP-1 2 ok,FIX-1 2 ok,NEV-1 2 qa_failed," "fetched: two fixed, NEV-1 failed again"
is "$(git show aas/FIX-1:value.txt)" 2 "FIX-1's branch holds the fix"

# the budget: room for FIX-1's repair (batch estimates) and not DUP-1's;
# a state folder and an emulator of its own
emu_stop
emu_start "$T/script.json" || exit 1
S="--state $T/st2"
cap=$(awk 'NR == 1 { a = $1 } NR == 2 { b = $1 } END { printf "%.8f", a + b / 2 }' est)
run aas-submit $S --repair --max-cost "$cap" <r1.jsonl
is "$rc $(jq -r '[.id, (.attempt // 1), has("batch")] | map(tostring) | join(" ")' "$T/out" | tr '\n' ,)" \
    "75 FIX-1 2 true,DUP-1 1 false,NEV-1 1 false," "budget: exit 75 after the repairs it allows"
sed -n '2,3p' r1.jsonl >want
sed -n '2,3p' "$T/out" >got
cmp_file got want "budget: the records not sent are as they came, failure and all"
is "$(sed -E 's/[0-9]+\.[0-9]+/N/g' "$T/err")" "aas-submit: DUP-1: budget reached: N USD spent or committed, this repair's N would pass the limit of N
aas-submit: NEV-1: budget reached: N USD spent or committed, this repair's N would pass the limit of N
aas-submit: stopped: budget reached: N USD spent or committed, limit N USD" \
    "budget: one line per repair not sent, then why it stopped"
run aas-submit $S --repair --max-cost 1 <r1.jsonl
is "$rc $(jq -r '[.id, .attempt, has("batch")] | map(tostring) | join(" ")' "$T/out" | tr '\n' ,) $(emu_stats | jq -c '[.batches_created, .duplicate_custom_ids_across_batches]')" \
    "0 FIX-1 2 true,DUP-1 2 true,NEV-1 2 true, [2,0]" "budget raised: the rest go out, FIX-1 is not sent again"
done_testing
