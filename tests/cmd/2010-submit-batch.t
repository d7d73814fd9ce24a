#!/bin/sh
# 2010-submit-batch: batches against the emulator: journal, skip, --force,
# splitting, --max-batches, budget, STOP, -v
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 25
setup_repo
emu_start || exit 1
gen 5 >in.jsonl

run aas-submit <in.jsonl
is "$rc $(wc -l <"$T/out") $(cat "$T/err")" "0 5 " "5 tasks submitted, quiet"
norm "$T/out" | head -n 1 >"$T/got"
is "$(cat "$T/got")" '{"id":"T-1","title":"Task 1","status":"Queued","body":"Do thing 1.","deps":[],"fields":{},"source":{"path":"ACTIVE_TASKS.md","line":1,"sha":"0000000000000000000000000000000000000000000000000000000000000001"},"request":{"custom_id":"T-1-000000000000","model":"gpt-4.1-mini","endpoint":"/v1/chat/completions","template":"implement","est_tokens":1356,"est_usd":0.0008712,"prompt_bytes":743},"batch":{"provider":"openai","id":"BATCH","input_file_id":"FILE","submitted_at":"T"}}' \
    "record: request and batch"
is "$(jq -r .batch.id "$T/out" | sort -u | wc -l)" 1 "one batch"
is "$(norm .aas/batches.jsonl | jq -c '[.ev, .n, .id]')" '["intent",5,null]
["file",null,null]
["batch",null,"BATCH"]' "journal: intent, file, batch"
is "$(jq -c '[.kind, .usd]' .aas/ledger.jsonl)" '["estimate",0.004356]' "ledger: the estimate"
is "$(emu_log | jq -r 'select(.path == "/v1/batches" and .method == "POST") | .custom_ids.count')" 5 "the emulator got 5 requests"
meta=$(curl -sS "$EMU_URL/v1/batches" -H "Authorization: Bearer $OPENAI_API_KEY" | jq -r '.data[0].metadata.aas_run')
is "$meta" "$(jq -r 'select(.ev == "intent") | .run' .aas/batches.jsonl)" "metadata aas_run is the journal's run id"
is "$(ls .aas/runs | sed -E 's/^[^.]*//' | tr '\n' ' ')" ".jsonl .tasks " "the run's input file and tasks kept"

# again: every task is in flight and skipped, with its batch key
gen 6 >in6.jsonl
run aas-submit <in6.jsonl
is "$rc $(wc -l <"$T/out")" "0 6" "re-run: 6 out for 6 in"
is "$(norm "$T/err")" "aas-submit: T-1: already in batch BATCH, skipped (--force submits it again)
aas-submit: T-2: already in batch BATCH, skipped (--force submits it again)
aas-submit: T-3: already in batch BATCH, skipped (--force submits it again)
aas-submit: T-4: already in batch BATCH, skipped (--force submits it again)
aas-submit: T-5: already in batch BATCH, skipped (--force submits it again)" "one line per skipped task"
is "$(jq -c '[.id, has("request"), .batch.id != null]' "$T/out" | tr '\n' ' ')" \
    '["T-1",false,true] ["T-2",false,true] ["T-3",false,true] ["T-4",false,true] ["T-5",false,true] ["T-6",true,true] ' "skipped keep their batch key, T-6 is new"
is "$(emu_stats | jq -c '[.batches_created, .duplicate_custom_ids_across_batches]')" '[2,0]' "no task in two batches"
run aas-submit -q --force <in.jsonl
is "$rc $(cat "$T/err") $(emu_stats | jq -c '[.batches_created, .duplicate_custom_ids_across_batches]')" "0  [3,5]" "--force submits again"

# splitting by count and bytes
rm -rf .aas
gen 25 A >a.jsonl
run aas-submit --max-requests 10 <a.jsonl
is "$rc $(jq -r .batch.id "$T/out" | sort | uniq -c | awk '{print $1}' | sort -n | tr '\n' ' ')" "0 5 10 10 " "--max-requests 10: 10+10+5"
rm -rf .aas
gen 25 B >b.jsonl
printf 'batch:\n  max_bytes: 10000\n' >.aas.yml
run aas-submit <b.jsonl
n=$(jq -r .batch.id "$T/out" | sort -u | wc -l)
big=$(for f in .aas/runs/*.jsonl; do wc -c <"$f"; done | sort -n | tail -n 1)
is "$rc $([ "$n" -gt 2 ] && echo split) $([ "$big" -le 10000 ] && echo small)" "0 split small" "batch.max_bytes: split, files under 10,000 bytes"
rm .aas.yml

# --max-batches: the tasks beyond get error max_batches, exit 75
rm -rf .aas
gen 25 C >c.jsonl
run aas-submit --max-requests 10 --max-batches 2 <c.jsonl
is "$rc $(jq -r '.error.code // "ok"' "$T/out" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')" \
    "75  5 max_batches  20 ok " "--max-batches 2: 20 submitted, 5 refused, exit 75"
is "$(head -n 1 "$T/err")" "aas-submit: C-21: 2 batches in flight, the most --max-batches allows" "max_batches message"

# budget across runs: --max-cost, then config budget
rm -rf .aas
gen 10 D >d.jsonl
run aas-submit --max-cost 0.005 <d.jsonl
is "$rc $(jq -r '.error.code // "ok"' "$T/out" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')" \
    "75  5 budget  5 ok " "--max-cost: the first 5 fit, the rest get budget"
is "$(sed -n 1p "$T/err")" "aas-submit: D-6: budget reached: 0.0044 USD spent or committed, this task's 0.0009 would pass the limit of 0.005" "budget message: the limit as given"
gen 2 E >e.jsonl
printf 'budget: 0.005\n' >.aas.yml
run aas-submit -q <e.jsonl
is "$rc $(jq -r '.error.code' "$T/out" | tr '\n' ' ')" "75 budget budget " "config budget counts the earlier run"
rm .aas.yml

# STOP: nothing read, exit 75
touch .aas/STOP
run aas-submit <e.jsonl
is "$rc $(wc -l <"$T/out")" "75 0" "STOP file: exit 75 before reading"
rm .aas/STOP

# -v: a trace on stderr, the key redacted
rm -rf .aas
gen 1 F >f.jsonl
run aas-submit -v <f.jsonl
is "$rc $(grep -c 'Authorization: \[redacted\]' "$T/err" | awk '$1 > 0 {print "yes"}')" "0 yes" "-v: trace with the key redacted"
grep -q "$OPENAI_API_KEY" "$T/err"
ok $((! $?)) "-v: the key is not in the trace"

# Anthropic
rm -rf .aas
run aas-submit --provider anthropic --model claude-haiku-4-5 <f.jsonl
is "$rc $(norm "$T/out" | jq -c '.batch')" '0 {"provider":"anthropic","id":"BATCH","submitted_at":"T"}' "anthropic: a message batch"

# a rejected upload: the tasks get the error, the run is abandoned
rm -rf .aas
OPENAI_API_KEY=wrong run aas-submit <f.jsonl
is "$rc $(jq -r .error.code "$T/out") $(jq -r .ev .aas/batches.jsonl | tr '\n' ' ')" "2  intent abandon " "401: an error of the run: exit 2, no record, run abandoned"
done_testing
