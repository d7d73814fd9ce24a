#!/bin/sh
# 0520-emu-faults: every fault kind of aas-emu's script
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$AAS_SRC/tests/emu/emu.sh"

plan 43

script() {	# script JSON: install it
	printf '%s\n' "$1" >"$T/s.json"
	emu_script "$T/s.json"
}
line() {
	printf '{"custom_id":"%s","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"%s"}]}}\n' "$1" "$2"
}
upload() {
	emu_req POST /v1/files -F purpose=batch -F "file=@$1;filename=in.jsonl"
	fid=$(emu_body .id)
}
create() {
	emu_req POST /v1/batches -H 'Content-Type: application/json' \
	    -d "{\"input_file_id\":\"$1\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
	bid=$(emu_body .id)
}
codes() {	# codes N METHOD PATH: the statuses of N calls, space-separated
	_n=$1 _out=
	while [ "$_n" -gt 0 ]; do
		emu_req "$2" "$3"
		_out="$_out$EMU_CODE "
		_n=$((_n - 1))
	done
	echo "$_out"
}

emu_start
ok $? "emu_start"
i=1
: >"$T/in.jsonl"
while [ $i -le 4 ]; do line "F-$i" "text number $i" >>"$T/in.jsonl"; i=$((i + 1)); done
upload "$T/in.jsonl"
in_fid=$fid

# 429 with retry_after, count 1
script '{"faults":[{"path":"/v1/files","method":"GET","kind":429,"retry_after":7,"count":1}]}'
emu_req GET /v1/files
is "$EMU_CODE $(emu_header retry-after) $(emu_body .error.code)" "429 7 rate_limit_exceeded" "429 with retry-after"
emu_req GET /v1/files
is "$EMU_CODE" 200 "count 1: fires once"
emu_log | tail -n 2 | head -n 1 >"$T/l"
is "$(jq -c '[.status, .fault]' "$T/l")" '[429,"429"]' "log names the fault"
script '{"faults":[{"path":"/v1/files","kind":"429","retry_after_ms":250}]}'
emu_req GET /v1/files
is "$EMU_CODE $(emu_header retry-after-ms) $(emu_header retry-after)" "429 250 " "429 with retry-after-ms only"
script '{"faults":[{"path":"/v1/messages","kind":"429"}]}'
emu_areq POST /v1/messages -H 'Content-Type: application/json' \
    -d '{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"x"}]}'
is "$EMU_CODE $(emu_body -c '[.type, .error.type]') $(emu_header retry-after)" \
    '429 ["error","rate_limit_error"] ' "Anthropic 429 without retry-after"

# 5xx with every / after
script '{"faults":[{"path":"/v1/files","method":"GET","kind":"500","every":2}]}'
is "$(codes 4 GET /v1/files)" "200 500 200 500 " "500 every 2nd request"
emu_req GET /v1/files
emu_req GET /v1/files
is "$(emu_body -c '.error | [.type, .param, .code]')" '["server_error",null,null]' "500 body: server_error"
script '{"faults":[{"path":"/v1/files","kind":"502","after":2,"count":2}]}'
is "$(codes 5 GET /v1/files)" "200 200 502 502 200 " "502 after 2, twice"
script '{"faults":[{"path":"/v1/files*","kind":"503","method":"POST"}]}'
is "$(codes 1 GET /v1/files) $(codes 1 POST /v1/files)" "200  503 " "503 only on its method"
script '{"faults":[{"path":"/v1/messages","kind":"503"}]}'
emu_areq POST /v1/messages -d '{}'
is "$EMU_CODE $(emu_body .error.type) $(emu_header request-id | cut -c1-4)" "503 overloaded_error req_" "Anthropic 503: overloaded_error"

# a fault before the work: nothing is created
script '{"faults":[{"path":"/v1/batches","method":"POST","kind":"500","count":1}]}'
before=$(emu_stats | jq .batches_created)
create "$in_fid"
is "$EMU_CODE $(emu_stats | jq .batches_created)" "500 $before" "500 on create: no batch created"

# commit_then_reset: the batch exists, the client never hears of it
script '{"faults":[{"path":"/v1/batches","method":"POST","kind":"commit_then_reset","count":1}]}'
create "$in_fid"
is "$EMU_RC $EMU_CODE" "52 000" "commit_then_reset: empty reply (curl 52)"
is "$(emu_stats | jq .batches_created)" "$((before + 1))" "commit_then_reset: the batch was created"
emu_log | tail -n 1 >"$T/l"
is "$(jq -c '[.path, .fault, (.created | startswith("batch_")), .custom_ids.count]' "$T/l")" \
    '["/v1/batches","commit_then_reset",true,4]' "log: created id of the lost answer"
lost=$(jq -r .created "$T/l")
emu_req GET '/v1/batches?limit=1'
is "$(emu_body '.data[0].id')" "$lost" "the lost batch is listed"
create "$in_fid"
is "$EMU_CODE $(emu_stats | jq .duplicate_custom_ids_across_batches)" "200 4" "a blind retry duplicates 4 custom_ids"
script '{"faults":[{"path":"/v1/files","method":"POST","kind":"commit_then_reset"}]}'
nf=$(emu_stats | jq .files_created)
upload "$T/in.jsonl"
is "$EMU_RC $(emu_stats | jq .files_created)" "52 $((nf + 1))" "commit_then_reset on upload: the file was stored"

# transport faults on a download
script '{}'
big=$T/big.jsonl
i=1
: >"$big"
while [ $i -le 200 ]; do line "B-$i" "some longer text for line number $i" >>"$big"; i=$((i + 1)); done
size=$(wc -c <"$big")
upload "$big"
bigid=$fid
script '{"faults":[{"path":"/v1/files/*/content","kind":"reset"}]}'
emu_req GET "/v1/files/$bigid/content"
is "$EMU_RC $EMU_CODE $(wc -c <"$EMU_DIR/body") $(emu_header content-length)" \
    "18 200 $((size / 2)) $size" "reset: headers, half the body, then closed"
script '{"faults":[{"path":"/v1/files/*/content","kind":"reset","bytes":100}]}'
emu_req GET "/v1/files/$bigid/content"
is "$EMU_RC $(wc -c <"$EMU_DIR/body")" "18 100" "reset: bytes"
head -c 100 "$big" >"$T/h100"
cmp_file "$EMU_DIR/body" "$T/h100" "reset: the bytes sent are the file's"
script '{"faults":[{"path":"/v1/files/*/content","kind":"truncate","bytes":1000}]}'
emu_req GET "/v1/files/$bigid/content"
is "$EMU_RC $(emu_header content-length) $(wc -c <"$EMU_DIR/body")" "18 $size 1000" "truncate: Content-Length promises more"
emu_req GET "/v1/files/$bigid/content" -H 'Range: bytes=1000-'
is "$EMU_RC $EMU_CODE $(emu_header content-length) $(wc -c <"$EMU_DIR/body")" \
    "18 206 $((size - 1000)) 1000" "truncate applies to a range too"
script '{"faults":[{"path":"/v1/files/*/content","kind":"truncate","count":1}]}'
emu_req GET "/v1/files/$bigid/content"
got=$(wc -c <"$EMU_DIR/body")
is "$EMU_RC $got" "18 $((size - size / 10))" "truncate: default 90%"
emu_req GET "/v1/files/$bigid/content" -H "Range: bytes=$got-"
cat "$EMU_DIR/body" >>"$T/resumed"
head -c "$got" "$big" >"$T/resumed0"
cat "$T/resumed" >>"$T/resumed0"
cmp_file "$T/resumed0" "$big" "resume with Range after a truncated download"
script '{"faults":[{"path":"/v1/files/*/content","kind":"slow","chunk":2000,"delay_ms":100}]}'
t0=$(date +%s%N)
emu_req GET "/v1/files/$bigid/content"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
cmp_file "$EMU_DIR/body" "$big" "slow: the whole body"
chunks=$(( (size + 1999) / 2000 ))
if [ "$ms" -ge $(( (chunks - 1) * 100 - 50 )) ]; then ok 0 "slow: took $ms ms for $chunks chunks"; else ok 1 "slow: took $ms ms for $chunks chunks"; fi
script '{"faults":[{"path":"/v1/files","method":"GET","kind":"malformed"}]}'
emu_req GET /v1/files
if jq . "$EMU_DIR/body" >/dev/null 2>&1; then r=1; else r=0; fi
is "$EMU_CODE $r" "200 0" "malformed: 200 with invalid JSON"
script '{"faults":[{"path":"/v1/batches/*","method":"GET","kind":"reset"}]}'
create "$in_fid"
emu_req GET "/v1/batches/$bid"
is "$EMU_RC" 18 "reset on a JSON reply"

# batch-level faults
script '{"faults":[{"kind":"expire","fraction":0.5}]}'
create "$in_fid"
emu_log | tail -n 1 | jq -r '.fault // "none"' >"$T/f"
is "$(cat "$T/f")" none "a batch-level fault is not a transport fault"
emu_req GET "/v1/batches/$bid"
is "$(emu_body .status)" in_progress "expire: in_progress first"
emu_req GET "/v1/batches/$bid"
is "$(emu_body -c '[.status, .request_counts, (.expired_at > 0), (.output_file_id | type)]')" \
    '["expired",{"total":4,"completed":2,"failed":2},true,"string"]' "expire: expired, half done"
emu_req GET "/v1/files/$(emu_body .error_file_id)/content"
is "$(jq -sc 'map([.response, .error.code]) | unique' "$EMU_DIR/body")" '[[null,"batch_expired"]]' \
    "expire: the rest are batch_expired"
script '{"faults":[{"kind":"fail_batch","code":"token_limit_exceeded","message":"Enqueued token limit reached for m"}]}'
create "$in_fid"
emu_req GET "/v1/batches/$bid"
is "$(emu_body -c '[.status, .errors.data[0].code, .errors.data[0].message, .output_file_id, .error_file_id]')" \
    '["failed","token_limit_exceeded","Enqueued token limit reached for m",null,null]' "fail_batch: failed with the code"
emu_log | grep "\"created\":\"$bid\"" | jq -r .batch_fault >"$T/f"
is "$(cat "$T/f")" fail_batch "log: batch_fault on the creating request"
script '{"faults":[{"kind":"fail_batch","code":"overloaded_error","path":"/v1/messages/batches"}]}'
emu_areq POST /v1/messages/batches -H 'Content-Type: application/json' \
    -d '{"requests":[{"custom_id":"f1","params":{"model":"c","max_tokens":5,"messages":[{"role":"user","content":"x"}]}}]}'
fbid=$(emu_body .id)
emu_areq GET "/v1/messages/batches/$fbid/results"
is "$EMU_CODE" 400 "fail_batch on Anthropic: results not ready before the end"
emu_areq GET "/v1/messages/batches/$fbid"
emu_areq GET "/v1/messages/batches/$fbid/results"
is "$(emu_body -c '[.custom_id, .result.type, .result.error.error.type]')" '["f1","errored","overloaded_error"]' \
    "fail_batch on Anthropic: every request errored"
script '{"faults":[{"kind":"expire","fraction":0.25}]}'
emu_areq POST /v1/messages/batches -H 'Content-Type: application/json' \
    -d '{"requests":[{"custom_id":"a1","params":{"model":"c","max_tokens":5,"messages":[{"role":"user","content":"x"}]}},{"custom_id":"a2","params":{"model":"c","max_tokens":5,"messages":[{"role":"user","content":"x"}]}},{"custom_id":"a3","params":{"model":"c","max_tokens":5,"messages":[{"role":"user","content":"x"}]}},{"custom_id":"a4","params":{"model":"c","max_tokens":5,"messages":[{"role":"user","content":"x"}]}}]}'
abid=$(emu_body .id)
emu_areq GET "/v1/messages/batches/$abid"
is "$(emu_body -c '[.processing_status, .request_counts]')" \
    '["ended",{"processing":0,"succeeded":1,"errored":0,"canceled":0,"expired":3}]' "expire on an Anthropic batch"

# steps: two GETs per transition
script '{"steps":2}'
create "$in_fid"
s=
for i in 1 2 3 4 5 6; do emu_req GET "/v1/batches/$bid"; s="$s$(emu_body .status) "; done
is "$s" "validating in_progress in_progress finalizing finalizing completed " "steps 2: two polls per transition"

# a bad script is refused and the old one stays
printf '{"faults":[{"kind":"nope"}]}' >"$T/bad.json"
code=$(curl -s -o "$T/b" -w '%{http_code}' --data-binary @"$T/bad.json" "$EMU_URL/_emu/script")
is "$code $(jq -r .error "$T/b")" "400 faults[0]: unknown kind nope" "unknown fault kind refused"
is "$(curl -s "$EMU_URL/_emu/script" | jq -c .)" '{"steps":2}' "the old script stays"
is "$(emu_stats | jq '.faults_fired > 10')" true "stats count fired faults"
emu_stop
ok $? "emulator exits cleanly"
done_testing
