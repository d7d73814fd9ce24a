#!/bin/sh
# 2020-submit-sync: --sync -j N against the emulator: responses, errors,
# --keep-order, pacing under an RPM limit
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 10
setup_repo
cat >"$T/script.json" <<'EOS'
{"answers":[
  {"match":"Task T-3:", "status":400,
   "error_body":{"error":{"message":"bad prompt","type":"invalid_request_error","param":null,"code":"invalid_prompt"}}},
  {"match":"Task T-4:", "content":"cut", "finish_reason":"length"}],
 "default":{"content":"{\"summary\":\"ok\",\"edits\":[],\"tests\":[]}","latency_ms":20}}
EOS
emu_start "$T/script.json" || exit 1
gen 6 >in.jsonl
run aas-submit --sync -j 3 --keep-order <in.jsonl
is "$rc" 1 "a failed task: exit 1"
is "$(jq -r .id "$T/out" | tr '\n' ' ')" "T-1 T-2 T-3 T-4 T-5 T-6 " "--keep-order: input order"
is "$(norm "$T/out" | sed -n 1p | jq -c '.response')" \
    '{"status":200,"text":"{\"summary\":\"ok\",\"edits\":[],\"tests\":[]}","finish_reason":"stop","usage":{"input":186,"output":10,"cached":0},"usd":9.04e-05,"request_id":"REQ"}' \
    "response key" 
is "$(jq -c '[.id, .error.code, .response.finish_reason]' "$T/out" | sed -n '3,4p' | tr '\n' ' ')" \
    '["T-3","http_400",null] ["T-4",null,"length"] ' "per-task failure is an error record; length kept"
is "$(norm "$T/err")" "aas-submit: T-3: POST /v1/chat/completions: http 400: bad prompt (request REQ)" "one line for the failure"
is "$(jq -r 'select(.kind == "sync") | .custom_id' .aas/ledger.jsonl | sort | tr '\n' ' ')" \
    "T-1-000000000000 T-2-000000000000 T-4-000000000000 T-5-000000000000 T-6-000000000000 " "sync costs in the ledger"
test -e .aas/batches.jsonl
ok $((! $?)) "no batch journal for sync calls"

# pacing: 40 calls under 600 RPM (10 a second) with -j 8: no 429 storm
emu_stop
printf '{"rpm":600,"default":{"content":"x","latency_ms":5}}' >"$T/rpm.json"
emu_start "$T/rpm.json" || exit 1
gen 40 R >r.jsonl
run aas-submit --sync -j 8 --rpm 600 <r.jsonl
is "$rc $(grep -c '"response"' "$T/out")" "0 40" "40 answered under an RPM limit"
n429=$(emu_log | jq -s 'map(select(.status == 429)) | length')
ok $([ "$n429" -le 2 ] && echo 0 || echo 1) "at most 2 429s taken ($n429)"
run aas-submit --sync -j 1 --state "$T/st2" --max-cost 0.0019 <in.jsonl
is "$rc $(jq -r '.error.code // "ok"' "$T/out" | tr '\n' ' ')" "75 ok ok ok budget budget budget " "--sync budget: estimates, then actual costs"
done_testing
