#!/bin/sh
# 0510-emu-anthropic: aas-emu's Anthropic Message Batches and Messages
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$AAS_SRC/tests/emu/emu.sh"

plan 40

cat >"$T/script.json" <<'EOF'
{"answers":[
  {"match":"c2", "status":400},
  {"match":"c3", "content":"cut", "finish_reason":"length"},
  {"match":"say hello", "content":"hello!"}
 ],
 "default":{"content":"plan text"}}
EOF
emu_start "$T/script.json"
ok $? "emu_start"

req() {	# req CUSTOM_ID [TEXT]
	printf '{"custom_id":"%s","params":{"model":"claude-x","max_tokens":100,"messages":[{"role":"user","content":"%s"}]}}' \
	    "$1" "${2:-some text}"
}
create() {	# create REQUEST...: batch id in $bid
	_r=
	for _x in "$@"; do _r="$_r${_r:+,}$_x"; done
	emu_areq POST /v1/messages/batches -H 'Content-Type: application/json' \
	    -d "{\"requests\":[$_r]}"
	bid=$(emu_body .id)
}
rfc3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$'

# headers
code=$(curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -H 'anthropic-version: 2023-06-01' "$EMU_URL/v1/messages/batches")
is "$code $(jq -c '[.type, .error.type]' "$T/b")" '401 ["error","authentication_error"]' "no x-api-key: 401"
case $(grep -i '^request-id:' "$T/h") in
request-id:\ req_?*) ok 0 "request-id header" ;;
*) ok 1 "request-id header" ;;
esac
code=$(curl -s -o "$T/b" -w '%{http_code}' -H "x-api-key: $ANTHROPIC_API_KEY" "$EMU_URL/v1/messages/batches")
is "$code $(jq -r .error.type "$T/b")" "400 invalid_request_error" "no anthropic-version: 400"

# create validation
create "$(req 'bad id')"
is "$EMU_CODE $(emu_body .error.message)" \
    "400 requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}\$'" "custom_id charset"
long=$(printf '%065d' 0)
create "$(req "$long")"
is "$EMU_CODE" 400 "custom_id of 65 characters refused"
create "$(req "$(printf '%064d' 0)")"
is "$EMU_CODE" 200 "custom_id of 64 characters accepted"
create "$(req d1)" "$(req d1)"
is "$EMU_CODE $(emu_body .error.message)" "400 requests.1.custom_id: duplicate custom_id 'd1'" "duplicate custom_id"
create '{"custom_id":"m1","params":{"model":"c","messages":[{"role":"user","content":"x"}]}}'
is "$EMU_CODE $(emu_body .error.message)" "400 requests.0.params.max_tokens: Field required" "max_tokens required"
emu_areq POST /v1/messages/batches -H 'Content-Type: application/json' -d '{"requests":[]}'
is "$EMU_CODE" 400 "empty requests refused"

# lifecycle
create "$(req c1)" "$(req c2)" "$(req c3)" "$(req c4)"
is "$EMU_CODE $(emu_body -c '[.type, .processing_status, .request_counts, .results_url, .ended_at]')" \
    '200 ["message_batch","in_progress",{"processing":4,"succeeded":0,"errored":0,"canceled":0,"expired":0},null,null]' \
    "create: in_progress"
case $bid in msgbatch_?*) ok 0 "msgbatch_ id" ;; *) ok 1 "msgbatch_ id" ;; esac
is "$(emu_body -c "[(.created_at | test(\"$rfc3339\")), (.expires_at | test(\"$rfc3339\")),
    ((.expires_at | sub(\"\\\\.[0-9]+Z\$\"; \"Z\") | fromdate) - (.created_at | sub(\"\\\\.[0-9]+Z\$\"; \"Z\") | fromdate))]")" \
    '[true,true,86400]' "RFC 3339 times, expires 24 h after creation"
emu_log | tail -n 1 >"$T/l"
is "$(jq -c '[.created, .custom_ids.list]' "$T/l")" "[\"$bid\",[\"c1\",\"c2\",\"c3\",\"c4\"]]" "log: created and custom_ids"
emu_areq GET "/v1/messages/batches/$bid/results"
is "$EMU_CODE" 400 "results before the end: 400"
emu_areq GET "/v1/messages/batches/$bid"
is "$(emu_body -c '[.processing_status, .request_counts, (.ended_at | type), .results_url]')" \
    "[\"ended\",{\"processing\":0,\"succeeded\":3,\"errored\":1,\"canceled\":0,\"expired\":0},\"string\",\"$EMU_URL/v1/messages/batches/$bid/results\"]" \
    "one poll: ended with counts and results_url"
emu_areq GET "/v1/messages/batches/$bid/results"
cp "$EMU_DIR/body" "$T/res.jsonl"
is "$EMU_CODE $(wc -l <"$T/res.jsonl")" "200 4" "results: 4 lines"
if [ "$(jq -r .custom_id "$T/res.jsonl" | tr '\n' ' ')" = "c1 c2 c3 c4 " ]; then ok 1 "results are not in input order"; else ok 0 "results are not in input order"; fi
is "$(jq -c 'select(.custom_id == "c1") | .result | [.type, .message.type, .message.role, .message.content, .message.stop_reason, .message.stop_sequence, .message.model]' "$T/res.jsonl")" \
    '["succeeded","message","assistant",[{"type":"text","text":"plan text"}],"end_turn",null,"claude-x"]' "succeeded: a Message"
is "$(jq -c 'select(.custom_id == "c1") | .result.message.usage | [.input_tokens, .output_tokens, .service_tier]' "$T/res.jsonl")" \
    '[3,3,"batch"]' "usage: bytes/4 rounded up"
is "$(jq -c 'select(.custom_id == "c2") | .result | [.type, .error.type, .error.error.type]' "$T/res.jsonl")" \
    '["errored","error","invalid_request_error"]' "errored: an ErrorResponse"
is "$(jq -r 'select(.custom_id == "c3") | .result.message.stop_reason' "$T/res.jsonl")" max_tokens "finish_reason length: max_tokens"
emu_areq GET "/v1/messages/batches/$bid/results" -H 'Range: bytes=5-'
is "$EMU_CODE" 206 "results support Range"

# cancel
create "$(req x1)" "$(req x2)"
cbid=$bid
emu_areq POST "/v1/messages/batches/$bid/cancel"
is "$EMU_CODE $(emu_body -c '[.processing_status, (.cancel_initiated_at | type)]')" '200 ["canceling","string"]' "cancel: canceling"
emu_areq DELETE "/v1/messages/batches/$bid"
is "$EMU_CODE" 400 "delete while processing: 400"
emu_areq GET "/v1/messages/batches/$bid"
is "$(emu_body -c '[.processing_status, .request_counts.canceled]')" '["ended",2]' "then ended, all canceled"
emu_areq GET "/v1/messages/batches/$bid/results"
is "$(jq -sc 'map(.result) | unique' "$EMU_DIR/body")" '[{"type":"canceled"}]' "canceled results"
emu_areq POST "/v1/messages/batches/$bid/cancel"
is "$EMU_CODE $(emu_body .processing_status)" "200 ended" "cancel an ended batch: unchanged"

# list: newest first
create "$(req y1)"
newest=$bid
emu_areq GET '/v1/messages/batches?limit=2'
is "$(emu_body -c '[(.data | length), .has_more, .first_id, .last_id]')" \
    "[2,true,\"$newest\",\"$cbid\"]" "list: newest first, has_more"
emu_areq GET "/v1/messages/batches?limit=20&after_id=$cbid"
is "$(emu_body -c '[(.data | map(.id)), .has_more]')" "[[\"$(jq -r .created "$T/l")\",$(
    emu_log | jq -sc '[.[] | select(.path == "/v1/messages/batches" and .method == "POST" and .status == 200)][0].created')],false]" \
    "list: after_id"
emu_areq GET "/v1/messages/batches?limit=1&before_id=$cbid"
is "$(emu_body -c '[(.data | map(.id)), .has_more]')" "[[\"$newest\"],false]" "list: before_id"

# delete
emu_areq DELETE "/v1/messages/batches/$cbid"
is "$EMU_CODE $(emu_body -c .)" "200 {\"id\":\"$cbid\",\"type\":\"message_batch_deleted\"}" "delete an ended batch"
emu_areq GET "/v1/messages/batches/$cbid"
is "$EMU_CODE $(emu_body .error.type)" "404 not_found_error" "deleted: 404"

# advance
create "$(req z1)"
curl -s -X POST "$EMU_URL/_emu/advance" >/dev/null
emu_areq GET "/v1/messages/batches/$bid"
is "$(emu_body .processing_status)" ended "/_emu/advance ends it"

# sync Messages
msg() {
	emu_areq POST /v1/messages -H 'Content-Type: application/json' -d "$1"
}
msg '{"model":"claude-x","max_tokens":50,"system":"be brief","messages":[{"role":"user","content":[{"type":"text","text":"please say hello"}]}]}'
is "$EMU_CODE $(emu_body -c '[.type, .role, .content[0].text, .stop_reason, .usage.input_tokens, .usage.output_tokens, .usage.service_tier]')" \
    '200 ["message","assistant","hello!","end_turn",6,2,"standard"]' "messages: matched answer"
case $(emu_body .id) in msg_?*) ok 0 "messages: msg_ id" ;; *) ok 1 "messages: msg_ id" ;; esac
case $(emu_header anthropic-ratelimit-requests-reset) in
[0-9][0-9][0-9][0-9]-*Z) ok 0 "rate-limit reset in RFC 3339" ;;
*) ok 1 "rate-limit reset in RFC 3339" ;;
esac
msg '{"model":"claude-x","max_tokens":50,"metadata":{"custom_id":"c2"},"messages":[{"role":"user","content":"x"}]}'
is "$EMU_CODE $(emu_body -c '[.type, .error.type]')" '400 ["error","invalid_request_error"]' "messages: scripted status"
msg '{"model":"claude-x","messages":[{"role":"user","content":"x"}]}'
is "$EMU_CODE $(emu_body .error.message)" "400 max_tokens: Field required" "messages: max_tokens required"
emu_stop
ok $? "emulator exits cleanly"
done_testing
