#!/bin/sh
# 2250-submit-candidates: --candidates N: one request with n choices
# (OpenAI, --sync and batch), N requests with their own custom_ids
# (Anthropic), one record per candidate, each answer attached once, each
# request's cost counted once
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 25
setup_repo
cat >script.json <<'EOF'
{"answers": [
  {"match": "*-c2", "content": "anthropic second"},
  {"match": "*", "content": "one",
   "choices": [{"content": "first"}, {"content": "second"},
               {"content": "third", "finish_reason": "length"}]}]}
EOF
emu_start script.json || exit 1
gen 2 >in.jsonl

check_run "--candidates 0 refused" 2 "" "aas-submit: --candidates: 0 is out of range (1 to 100)
usage: $(aas-submit --help | head -n 1 | sed 's/^usage: //')
       aas-submit --sync [-j N] [--keep-order] [--rpm N] [--tpm N] [options]
       aas-submit --dry-run | --jsonl FILE [options]
       aas-submit --repair [--max-attempts N] [options]" -- aas-submit --candidates 0

# the estimate: one prompt, three outputs (OpenAI: one request)
run aas-submit --dry-run <in.jsonl
one=$(jq -r .request.est_usd "$T/out" | head -n 1)
run aas-submit --dry-run --candidates 3 <in.jsonl
is "$rc $(wc -l <"$T/out")" "0 6" "--dry-run: three records a task"
is "$(jq -c '[.id, .candidate, .request.n, .request.est_tokens]' "$T/out" | tr '\n' ' ')" \
    '["T-1",{"k":1,"n":3},3,1118] ["T-1",{"k":2,"n":3},3,1118] ["T-1",{"k":3,"n":3},3,1118] ["T-2",{"k":1,"n":3},3,1118] ["T-2",{"k":2,"n":3},3,1118] ["T-2",{"k":3,"n":3},3,1118] ' \
    "candidate keys; each a third of 356 prompt + 3 x 1000 output tokens"
is "$(tail -n 1 "$T/err")" "aas-submit: dry run: 2 tasks, 6712 tokens, 0.0049 USD estimated" "the total counts three outputs a task"
is "$one $(jq -r .request.est_usd "$T/out" | head -n 1)" "0.0008712 0.00082373" \
    "est_usd at half price: 356 in + 1000 out alone; (356 in + 3000 out) / 3 a candidate"

# --sync: one call a task asking for three choices
run aas-submit --sync --keep-order --candidates 3 <in.jsonl
is "$rc $(cat "$T/err")" "0 " "--sync: exit 0"
is "$(jq -c '[.id, .candidate.k, .response.text, .response.finish_reason, .response.usage.output, .response.usd]' "$T/out" | tr '\n' ' ')" \
    '["T-1",1,"first","stop",6,2.8e-05] ["T-1",2,"second","stop",6,2.8e-05] ["T-1",3,"third","length",6,2.8e-05] ["T-2",1,"first","stop",6,2.8e-05] ["T-2",2,"second","stop",6,2.8e-05] ["T-2",3,"third","length",6,2.8e-05] ' \
    "each candidate its choice; usage of the whole request, a third of its cost"
is "$(emu_log | jq -c 'select(.path == "/v1/chat/completions") | .status' | tr '\n' ' ')" "200 200 " "two calls for six candidates"
is "$(jq -c '[.kind, .custom_id, .usd]' .aas/ledger.jsonl | sort | tr '\n' ' ')" \
    '["sync","T-1-000000000000",8.4e-05] ["sync","T-2-000000000000",8.4e-05] ' "the ledger: each call's cost once"
is "$(jq -r .c .aas/fetched.jsonl | sort | tr '\n' ' ')" \
    "T-1-000000000000 T-1-000000000000-c2 T-1-000000000000-c3 T-2-000000000000 T-2-000000000000-c2 T-2-000000000000-c3 " \
    "every candidate known to the ledger by its own id"

# batch: the candidates at submit time, one input line a task with n 3
rm -rf .aas
run aas-submit --candidates 3 <in.jsonl
is "$rc $(wc -l <"$T/out")" "0 6" "batch: six records at submit time"
is "$(norm "$T/out" | jq -c '[.id, .candidate.k, .request.custom_id, .batch.id]' | tr '\n' ' ')" \
    '["T-1",1,"T-1-000000000000","BATCH"] ["T-1",2,"T-1-000000000000","BATCH"] ["T-1",3,"T-1-000000000000","BATCH"] ["T-2",1,"T-2-000000000000","BATCH"] ["T-2",2,"T-2-000000000000","BATCH"] ["T-2",3,"T-2-000000000000","BATCH"] ' \
    "each with the one request's custom_id and the batch key"
is "$(jq -c '[.custom_id, .body.n]' .aas/runs/*.jsonl | tr '\n' ' ')" '["T-1-000000000000",3] ["T-2-000000000000",3] ' "the input file: one line a task, n 3"
is "$(jq -c 'select(.ev == "intent") | [.n, .est_usd]' .aas/batches.jsonl)" "[2,0.0049424]" "the intent: 2 requests, the estimate of 6 outputs"
run aas-submit --candidates 3 <in.jsonl
is "$rc $(emu_stats | jq .batches_created) $(jq -c '[has("request"), .batch.id != null]' "$T/out" | tr '\n' ' ')" \
    "0 1 [false,true] [false,true] " "in flight: not sent again, one record a task with its batch key"
emu_advance >/dev/null
run aas-fetch
is "$rc $(jq -c '[.id, .candidate.k, .response.text, .response.usd]' "$T/out" | sort | tr '\n' ' ')" \
    '0 ["T-1",1,"first",1.4e-05] ["T-1",2,"second",1.4e-05] ["T-1",3,"third",1.4e-05] ["T-2",1,"first",1.4e-05] ["T-2",2,"second",1.4e-05] ["T-2",3,"third",1.4e-05] ' \
    "aas-fetch: choice k to candidate k, a third of the batch price each"
is "$(jq -c 'select(.kind == "actual") | .usd' .aas/ledger.jsonl)" "8.4e-05" "the actual: each line once"
run aas-fetch
is "$rc $(wc -l <"$T/out")" "0 0" "fetched again: nothing twice"

# Anthropic: two requests a task, the second under its own custom_id
rm -rf .aas
printf 'provider: anthropic\nmodel: claude-haiku-4-5\n' >.aas.yml
run aas-submit --candidates 2 <in.jsonl
is "$rc $(jq -c '[.candidate.k, .request.custom_id, .request.n]' "$T/out" | tr '\n' ' ')" \
    '0 [1,"T-1-000000000000",null] [2,"T-1-000000000000-c2",null] [1,"T-2-000000000000",null] [2,"T-2-000000000000-c2",null] ' \
    "anthropic: one request a candidate"
is "$(emu_log | jq -c 'select(.path == "/v1/messages/batches" and .method == "POST") | .custom_ids.count')" 4 "four requests in the batch"
emu_advance >/dev/null
run aas-fetch
is "$rc $(jq -c '[.id, .candidate.k, .response.text]' "$T/out" | sort | tr '\n' ' ')" \
    '0 ["T-1",1,"one"] ["T-1",2,"anthropic second"] ["T-2",1,"one"] ["T-2",2,"anthropic second"] ' \
    "each candidate its own request's answer"

# --jsonl and aas-fetch --from-file (a vLLM-like runner that honours n)
rm -rf .aas .aas.yml
run aas-submit --jsonl req.jsonl --candidates 2 <in.jsonl
cp "$T/out" j.jsonl
is "$rc $(wc -l <j.jsonl) $(jq -c '[.custom_id, .body.n]' req.jsonl | tr '\n' ' ')" \
    '0 4 ["T-1-000000000000",2] ["T-2-000000000000",2] ' "--jsonl: one line a task with n 2, two records"
jq -c '{custom_id, response: {status_code: 200, request_id: "r", body: {model: "gpt-4.1-mini",
    choices: [{index: 1, message: {role: "assistant", content: "B"}, finish_reason: "stop"},
              {index: 0, message: {role: "assistant", content: "A"}, finish_reason: "stop"}],
    usage: {prompt_tokens: 10, completion_tokens: 4}}}, error: null}' req.jsonl >res.jsonl
run aas-fetch --from-file res.jsonl
is "$rc $(jq -c '[.id, .candidate.k, .response.text]' "$T/out" | tr '\n' ' ')" \
    '0 ["T-1",1,"A"] ["T-1",2,"B"] ["T-2",1,"A"] ["T-2",2,"B"] ' "--from-file: choice by its index to each candidate"
run aas-fetch --from-file res.jsonl --stdin <j.jsonl
is "$rc $(jq -c '[.id, .candidate.k, .response.text]' "$T/out" | tr '\n' ' ')" \
    '0 ["T-1",1,"A"] ["T-1",2,"B"] ["T-2",1,"A"] ["T-2",2,"B"] ' "--from-file --stdin: the same"
emu_stop
is $? 0 "the emulator exits cleanly"
