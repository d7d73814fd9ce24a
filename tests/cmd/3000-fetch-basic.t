#!/bin/sh
# 3000-fetch-basic: aas-fetch against the emulator: pending, --wait,
# once only, --again, --list, --cancel, stdin, --from-file, errors
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 26
setup_repo
cat >"$T/script.json" <<'EOS'
{"answers":[
  {"match":"T-2-*", "status":400,
   "error_body":{"error":{"message":"bad prompt","type":"invalid_request_error","param":null,"code":"invalid_prompt"}}},
  {"match":"T-3-*", "line_error":{"code":"request_timeout","message":"took too long"}}],
 "default":{"content":"{\"summary\":\"ok\",\"edits\":[],\"tests\":[]}"}}
EOS
emu_start "$T/script.json" || exit 1

check_run "--version" 0 "aas-fetch 0.1.0" "" -- aas-fetch --version
run aas-fetch --list --wait
is "$rc $(head -n 1 "$T/err")" "2 aas-fetch: --list, --from-file and the fetch options exclude each other" "--list with --wait refused"
check_run "nothing submitted: nothing to do" 0 "" "" -- aas-fetch
check_run "an unknown batch" 2 "" "aas-fetch: batch_x: no such batch in the journal" -- aas-fetch batch_x

gen 4 >in.jsonl
aas-submit -q <in.jsonl >sub.jsonl
t=$(jq -r 'select(.ev == "intent") | .t' .aas/batches.jsonl)
due=$(date -u -d "@$((t + 86400))" +%Y-%m-%dT%H:%M:%SZ)
check_run "pending: exit 75, how many and when due" 75 "" \
    "aas-fetch: stopped: 1 batch pending, the first due by $due" -- aas-fetch
run aas-fetch --wait --interval 0.01
is "$rc $(wc -l <"$T/out")" "1 4" "--wait: 4 tasks, 2 failed: exit 1"
# (in results-file order, which the emulator shuffles by batch id)
is "$(norm "$T/err" | sort)" "aas-fetch: T-2: bad prompt
aas-fetch: T-3: took too long" "one line per failed task"
jq -c '[.id, .response.status, .response.finish_reason, .error.code, .error.stage]' "$T/out" | sort >"$T/got"
is "$(cat "$T/got")" '["T-1",200,"stop",null,null]
["T-2",null,null,"http_400","fetch"]
["T-3",null,null,"request_timeout","fetch"]
["T-4",200,"stop",null,null]' "responses and errors"
grep '"T-1"' "$T/out" | norm >"$T/t1"
grep '"T-1"' sub.jsonl | norm | sed 's/}$//' >"$T/t1want"
case $(cat "$T/t1") in
"$(cat "$T/t1want"),\"response\":"*) ok 0 "the submitted record, byte for byte, then response" ;;
*) ok 1 "the submitted record, byte for byte, then response" ;;
esac
is "$(grep '"T-1"' "$T/out" | norm | jq -c .response)" \
    '{"status":200,"text":"{\"summary\":\"ok\",\"edits\":[],\"tests\":[]}","finish_reason":"stop","usage":{"input":186,"output":10,"cached":0},"usd":4.52e-05,"request_id":"REQ"}' "response key"
is "$(ls .aas/results | sed 's/^batch_[A-Za-z0-9]*//' | tr '\n' ' ')" ".error.jsonl .output.jsonl " "results downloaded into .aas/results"
is "$(jq -r 'select(.kind == "actual") | .usd' .aas/ledger.jsonl)" "9.04e-05" "actual cost in the ledger"
check_run "once only: a re-run writes nothing" 0 "" "" -- aas-fetch
run aas-fetch --again
is "$rc $(wc -l <"$T/out")" "1 4" "--again without a batch: the batch the last aas-fetch wrote, again"
bid=$(jq -r .batch.id sub.jsonl | head -n 1)
run aas-fetch -q --again "$bid"
is "$rc $(wc -l <"$T/out")" "1 4" "--again BATCH: written again"
run aas-fetch --list
is "$(norm "$T/out" | tr -s ' ')" "BATCH STATUS DONE/TOTAL FAILED AGE USD
BATCH fetched 2/4 2 0m 0.0000904
TOTAL 1 batch 2/4 2 0.0000904" "--list: 2 answered, 2 failed, the cost to its last digit, the total"

# stdin: the records name the batches; others pass through
gen 2 S >s.jsonl
aas-submit -q <s.jsonl >subs.jsonl
{ printf '{"id":"X","note":"no batch"}\n'; cat subs.jsonl; } >feed.jsonl
run aas-fetch -q --wait --interval 0.01 - <feed.jsonl
is "$rc $(jq -r '.id + ":" + (has("response") | tostring)' "$T/out" | sort | tr '\n' ' ')" \
    "0 S-1:true S-2:true X:false " "- : batches named on stdin, other records pass"

# --cancel, then --wait: the tasks come out as cancelled
gen 3 C >c.jsonl
aas-submit -q <c.jsonl >/dev/null
run aas-fetch --cancel --wait --interval 0.01
is "$rc $(jq -r .error.code "$T/out" | sort -u)" "1 cancelled" "--cancel: every task cancelled"
is "$(norm "$T/err" | head -n 1)" "aas-fetch: BATCH: cancelling" "--cancel: status on stderr"

# expired: the finished tasks with responses, the rest expired
gen 8 E >e.jsonl
aas-submit -q <e.jsonl >sube.jsonl
emu_state "$(jq -r .batch.id sube.jsonl | head -n 1)" expired '"fraction":0.25' >/dev/null
run aas-fetch -q
is "$rc $(jq -r '.error.code // "response"' "$T/out" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')" \
    "1  6 expired  2 response " "expired: 2 answered, 6 expired"

# --from-file: a vLLM results file against the journal's --jsonl run
gen 3 V >v.jsonl
aas-submit --jsonl "$T/vin.jsonl" <v.jsonl >vsub.jsonl
jq -c '{id: ("vllm-" + .custom_id), custom_id, response: {status_code: 200, request_id: "vllm-batch-1", body: {id: "x", object: "chat.completion", model: "my-llm", choices: [{index: 0, message: {role: "assistant", content: "done"}, finish_reason: "stop"}], usage: {prompt_tokens: 5, completion_tokens: 1, total_tokens: 6}}}, error: null}' "$T/vin.jsonl" | head -n 2 >"$T/vout.jsonl"
run aas-fetch --from-file "$T/vout.jsonl"
is "$rc $(jq -c '[.id, .response.text, .error.code]' "$T/out" | tr '\n' ' ')" \
    '1 ["V-1","done",null] ["V-2","done",null] ["V-3",null,"missing_result"] ' "--from-file: matched by custom_id, the missing one an error"
check_run "--from-file again: nothing new" 0 "" "" -- aas-fetch --from-file "$T/vout.jsonl"
run aas-fetch --from-file "$T/vout.jsonl" - <vsub.jsonl
is "$rc $(jq -r '.id + ":" + (.response.text // .error.code)' "$T/out" | tr '\n' ' ')" \
    "1 V-1:done V-2:done V-3:missing_result " "--from-file with records on stdin"

# Anthropic
gen 2 A >a.jsonl
aas-submit -q --provider anthropic --model claude-haiku-4-5 <a.jsonl >/dev/null
run aas-fetch -q --wait --interval 0.01
is "$rc $(jq -c '[.id, .response.status, .batch.provider]' "$T/out" | sort | tr '\n' ' ')" \
    '0 ["A-1",200,"anthropic"] ["A-2",200,"anthropic"] ' "anthropic batch fetched"

# stop file: exit 75
gen 1 P >p.jsonl
aas-submit -q <p.jsonl >/dev/null
touch .aas/STOP
run aas-fetch --wait --interval 0.01
is "$rc $(wc -l <"$T/out")" "75 0" "STOP: exit 75"
rm .aas/STOP
run aas-fetch -q --wait --interval 0.01
is "$rc $(wc -l <"$T/out")" "0 1" "after STOP: the rest"
done_testing
