#!/bin/sh
# 2200-repair-pipeline: three tasks through the whole pipeline and then
# through repair rounds (aas-submit --sync --repair and the same stages
# again): FIX-1 fails its check in round one and passes in round two (the
# emulator answers right only when the prompt quotes the check's output);
# DUP-1 is refused as ambiguous and fixed (right only when the prompt shows
# the matches); NEV-1 never passes and stops at max_attempts with its
# history.  A record a round has nothing to do for crosses it byte for byte.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/repair/lib.sh"

plan 17
repair_repo
repair_script
emu_start "$T/script.json" || exit 1

outcome() { jq -r '[.id, (.attempt // 1), (.error.code // "ok"), (.history // [] | length)] | join(" ")' "$1" | tr '\n' ,; }
stages() { aas-plan -q | aas-apply -q | aas-qa -q --rollback; }

aas-scan | aas-submit -q --sync --keep-order | stages >r1.jsonl
is "$? $(outcome r1.jsonl)" "1 FIX-1 1 qa_failed 0,DUP-1 1 ambiguous 0,NEV-1 1 qa_failed 0," \
    "round one: a failed check, an ambiguous edit, a failed check"
C1=$(jq -r 'select(.id == "FIX-1") | .apply.commit' r1.jsonl)

aas-submit -q --sync --keep-order --repair <r1.jsonl >s2.jsonl
is "$? $(outcome s2.jsonl)" "0 FIX-1 2 ok 1,DUP-1 2 ok 1,NEV-1 2 ok 1," \
    "round two's aas-submit: every failed task on attempt 2"
is "$(jq -c 'select(.id == "FIX-1") | .history' s2.jsonl)" \
    "[{\"attempt\":1,\"stage\":\"qa\",\"code\":\"qa_failed\",\"message\":\"check value failed: exit 1\",\"checks\":[\"value\"],\"branch\":\"aas/FIX-1\",\"commit\":\"$C1\",\"model\":\"gpt-4.1-mini\",\"usd\":$(jq 'select(.id == "FIX-1") | .response.usd' r1.jsonl)}]" \
    "FIX-1's history: the failed check, its branch and commit, its cost"
is "$(jq -c 'select(.id == "DUP-1") | .history[0] | [.stage, .code, .checks, .branch, .commit]' s2.jsonl)" \
    '["apply","ambiguous",[],null,null]' "DUP-1's history: refused, never applied"
is "$(jq -c '[keys_unsorted[]] | join(" ")' s2.jsonl | sort -u)" \
    '"id title status body deps parent fields source history attempt request response"' \
    "the old stage keys are gone, the task's own keys kept in place"
jq -c 'del(.history, .attempt, .request, .response)' s2.jsonl >a
jq -c 'del(.request, .response, .plan, .apply, .qa, .error)' r1.jsonl >b
cmp_file a b "every other key as it was"
is "$(jq -r '.request | [.custom_id, .template] | join(" ")' s2.jsonl | sed 's/-r2-[0-9a-f]*/-r2-SHA/' | tr '\n' ,)" \
    "FIX-1-r2-SHA repair,DUP-1-r2-SHA repair,NEV-1-r2-SHA repair," \
    "attempt 2 has its own custom_id, from the repair template"

stages <s2.jsonl >r2.jsonl
is "$? $(outcome r2.jsonl)" "1 FIX-1 2 ok 1,DUP-1 2 ok 1,NEV-1 2 qa_failed 1," \
    "round two: FIX-1 and DUP-1 fixed, NEV-1 fails again"
is "$(git show aas/FIX-1:value.txt)|$(git show aas/DUP-1:dup.c | tr '\n' ' ')|$(git branch --list 'aas/*' | tr -d ' ' | tr '\n' ,)" \
    "2|x = 1; y = 3; x = 1; |aas/DUP-1,aas/FIX-1," "the fixed branches hold the fix; NEV-1's is rolled back"

aas-submit -q --sync --keep-order --repair <r2.jsonl | stages >r3.jsonl
is "$? $(outcome r3.jsonl)" "1 FIX-1 2 ok 1,DUP-1 2 ok 1,NEV-1 3 qa_failed 2," "round three: only NEV-1 tried again"
grep -v NEV-1 r2.jsonl >a
grep -v NEV-1 r3.jsonl >b
cmp_file b a "the fixed tasks cross round three byte for byte"
is "$(jq -c 'select(.id == "NEV-1") | [.history[] | [.attempt, .stage, .code, .checks, .branch]]' r3.jsonl)" \
    '[[1,"qa","qa_failed",["never"],"aas/NEV-1"],[2,"qa","qa_failed",["never"],"aas/NEV-1"]]' \
    "NEV-1 keeps the history of both failed attempts"

check_run "round four: NEV-1 is at the bound, nothing to do" 0 "$(cat r3.jsonl)" \
    "aas-submit: NEV-1: attempt 3 of 3 failed: no more repairs" \
    -- aas-submit --sync --keep-order --repair <r3.jsonl
aas-submit -q --sync --keep-order --repair <r3.jsonl | stages >r4.jsonl
cmp_file r4.jsonl r3.jsonl "round four: every record byte for byte, NEV-1 with its failure"
is "$(emu_stats | jq .sync_requests)" 7 "seven calls: three, three, one, none"
is "$(jq -r 'select(.kind == "sync") | .custom_id' .aas/ledger.jsonl | sed 's/-[0-9a-f]*$//' | sort | tr '\n' ' ')" \
    "DUP-1 DUP-1-r2 FIX-1 FIX-1-r2 NEV-1 NEV-1-r2 NEV-1-r3 " "each attempt's cost in the ledger once"
check_run "--max-attempts 4 gives NEV-1 one more" 0 "NEV-1 4 2" "" \
    -- sh -c 'aas-submit -q --dry-run --repair --max-attempts 4 <r3.jsonl 2>/dev/null | jq -r "select(.attempt == 4) | [.id, .attempt, .request.custom_id == \"NEV-1-r4-\" + (.source.sha[0:9])] | map(tostring) | join(\" \")" | sed "s/true/2/"'
done_testing
