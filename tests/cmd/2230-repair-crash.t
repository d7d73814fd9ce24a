#!/bin/sh
# 2230-repair-crash: kill -9 in the middle of a --sync repair round (two
# repairs answered, the third held by the emulator), then a re-run of the
# same input: every task comes out once with its attempt-2 answer, the two
# answered ones are taken from what the killed run kept (not asked again:
# the emulator counts the calls), each attempt's cost is in the ledger once,
# and the round goes on through the pipeline.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/repair/lib.sh"

plan 9
repair_repo
repair_script
emu_start "$T/script.json" || exit 1
aas-scan | aas-submit -q --sync --keep-order | aas-plan -q | aas-apply -q |
    aas-qa -q --rollback >r1.jsonl

# NEV-1's repair is held until released
jq -c '.answers |= [(.[] | select(.match == "NEV-1*") | .prompt = "*never is 5*" | .hold = true)] + .' \
    "$T/script.json" >"$T/hold.json"
emu_script "$T/hold.json"
aas-submit --sync --repair -j 1 --keep-order <r1.jsonl >k1.jsonl 2>k1.err &
pid=$!
i=0
while [ "$(emu_stats | jq .held)" != 1 ] && [ $i -lt 600 ]; do
	sleep 0.05
	i=$((i + 1))
done
is "$(emu_stats | jq .held)" 1 "the third repair is in flight"
kill -9 "$pid"
wait "$pid" 2>/dev/null
emu_script "$T/script.json"
emu_release >/dev/null
is "$(jq -r .id k1.jsonl | tr '\n' ,)" "FIX-1,DUP-1," "the killed run wrote the two answered repairs"

run aas-submit --sync --repair --keep-order <r1.jsonl
cp "$T/out" k2.jsonl
is "$rc $(jq -r '[.id, .attempt, (.response.status | tostring)] | join(" ")' k2.jsonl | tr '\n' ,)" \
    "0 FIX-1 2 200,DUP-1 2 200,NEV-1 2 200," "the re-run: every task once, each with its answer"
is "$(cat "$T/err")" "aas-submit: FIX-1: attempt 2 answered in an earlier run: not asked again
aas-submit: DUP-1: attempt 2 answered in an earlier run: not asked again" "the re-run says which answers it had"
head -n 2 k2.jsonl >a
cmp_file a k1.jsonl "those records exactly as the killed run wrote them"
is "$(emu_stats | jq .sync_requests)" 7 "calls: 3 in round one, 3 before the kill (one never answered), 1 after"
is "$(jq -r 'select(.kind == "sync") | .custom_id' .aas/ledger.jsonl | grep -- -r2- | sed 's/-r2-.*//' | sort | tr '\n' ' ')" \
    "DUP-1 FIX-1 NEV-1 " "each repair's cost in the ledger once"

aas-plan -q <k2.jsonl | aas-apply -q | aas-qa -q --rollback >r2.jsonl
is "$(jq -r '[.id, .attempt, (.error.code // "ok")] | map(tostring) | join(" ")' r2.jsonl | tr '\n' ,)" \
    "FIX-1 2 ok,DUP-1 2 ok,NEV-1 2 qa_failed," "the round goes on: two fixed"
run aas-submit --sync --repair --keep-order <r1.jsonl
is "$rc $(emu_stats | jq .sync_requests)" "0 7" "a third run of the same input asks nothing"
done_testing
