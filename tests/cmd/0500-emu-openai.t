#!/bin/sh
# 0500-emu-openai: aas-emu's OpenAI Files, Batches and Chat Completions
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$AAS_SRC/tests/emu/emu.sh"

plan 68

line() {	# line CUSTOM_ID TEXT [MODEL] [URL]
	printf '{"custom_id":"%s","method":"POST","url":"%s","body":{"model":"%s","messages":[{"role":"user","content":"%s"}]}}\n' \
	    "$1" "${4:-/v1/chat/completions}" "${3:-gpt-4.1-mini}" "$2"
}
upload() {	# upload FILE [NAME]: file id in $fid
	emu_req POST /v1/files -F purpose=batch \
	    -F "file=@$1;filename=${2:-input.jsonl}"
	fid=$(emu_body .id)
}
create() {	# create FILE-ID: batch id in $bid
	emu_req POST /v1/batches -H 'Content-Type: application/json' \
	    -d "{\"input_file_id\":\"$1\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"${2:+,$2}}"
	bid=$(emu_body .id)
}
poll() {	# poll BATCH-ID: status in $st
	emu_req GET "/v1/batches/$1"
	st=$(emu_body .status)
}

cat >"$T/script.json" <<'EOF'
{"answers":[
  {"match":"AAS-2", "status":400,
   "error_body":{"error":{"message":"bad prompt","type":"invalid_request_error","param":"messages","code":"invalid_prompt"}}},
  {"match":"AAS-3", "line_error":{"code":"request_timeout","message":"took too long"}},
  {"match":"AAS-9*", "content":"nine", "finish_reason":"length"},
  {"match":"please say hi", "content":"hi there"}
 ],
 "default":{"content":"default answer"}}
EOF
emu_start "$T/script.json"
ok $? "emu_start"
case $EMU_PORT in
''|*[!0-9]*) ok 1 "port file holds a number" ;;
*) ok 0 "port file holds a number" ;;
esac
hexport=$(printf '%04X' "$EMU_PORT")
listen=$(awk -v p=":$hexport" '$4 == "0A" && substr($2, length($2) - 4) == p { print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
is "$listen" "0100007F:$hexport" "listens on 127.0.0.1 only"

# auth
EMU_SAVED_KEY=$OPENAI_API_KEY
OPENAI_API_KEY=wrong
emu_req GET /v1/files
is "$EMU_CODE $(emu_body .error.code)" '401 invalid_api_key' "wrong key: 401 invalid_api_key"
OPENAI_API_KEY=$EMU_SAVED_KEY
code=$(curl -s -o "$T/b" -w '%{http_code}' "$EMU_URL/v1/files")
is "$code $(jq -c '.error | [.type, .param, .code]' "$T/b")" \
    '401 ["invalid_request_error",null,null]' "no key: 401"
emu_req GET /v1/files
is "$EMU_CODE" 200 "right key: 200"
case $(emu_header x-request-id) in
req_?*) ok 0 "x-request-id header" ;;
*) ok 1 "x-request-id header" ;;
esac

# files
{ line AAS-1 "hello world"; line AAS-2 "two"; line AAS-3 "three"; } >"$T/in.jsonl"
emu_req POST /v1/files -F purpose=batch -F "file=@$T/in.jsonl;filename=in.txt"
is "$EMU_CODE $(emu_body .error.message)" \
    "400 Invalid file format for Batch API. Must be .jsonl" "non-.jsonl batch upload refused"
emu_req POST /v1/files -F "file=@$T/in.jsonl"
is "$EMU_CODE $(emu_body .error.param)" "400 purpose" "upload without purpose refused"
upload "$T/in.jsonl"
is "$EMU_CODE" 200 "upload: 200"
is "$(emu_body -c '[.object, .bytes, .filename, .purpose, .status]')" \
    "[\"file\",$(wc -c <"$T/in.jsonl"),\"input.jsonl\",\"batch\",\"processed\"]" "upload: file object"
case $fid in file-?*) ok 0 "file id" ;; *) ok 1 "file id" ;; esac
emu_req GET "/v1/files/$fid"
is "$(emu_body -c '[.id, .bytes]')" "[\"$fid\",$(wc -c <"$T/in.jsonl")]" "GET file"
emu_req GET "/v1/files/$fid/content"
cmp_file "$EMU_DIR/body" "$T/in.jsonl" "content is the upload"
emu_req GET "/v1/files/$fid/content" -H 'Range: bytes=10-'
is "$EMU_CODE $(emu_header content-range)" \
    "206 bytes 10-$(($(wc -c <"$T/in.jsonl") - 1))/$(wc -c <"$T/in.jsonl")" "Range: 206 and Content-Range"
tail -c +11 "$T/in.jsonl" >"$T/tail"
cmp_file "$EMU_DIR/body" "$T/tail" "Range: the rest of the file"
emu_req GET "/v1/files/$fid/content" -H 'Range: bytes=99999-'
is "$EMU_CODE" 416 "Range past the end: 416"
emu_req GET "/v1/files?purpose=batch"
is "$(emu_body -c '[.object, (.data | length), .first_id == .last_id, .has_more]')" \
    '["list",1,true,false]' "list files"
emu_req GET /v1/files/file-nope
is "$EMU_CODE $(emu_body .error.message)" "404 No such File object: file-nope" "unknown file: 404"

# a batch through its lifecycle, one step per GET
create "$fid" '"metadata":{"run":"r1"}'
is "$EMU_CODE $(emu_body -c '[.object, .status, .request_counts.total, .metadata.run, .completion_window, .output_file_id]')" \
    '200 ["batch","validating",0,"r1","24h",null]' "create: validating"
case $bid in batch_?*) ok 0 "batch id" ;; *) ok 1 "batch id" ;; esac
emu_log | tail -n 1 >"$T/lastlog"
is "$(jq -c '[.method, .path, .status, .created, .custom_ids.count, .custom_ids.list]' "$T/lastlog")" \
    "[\"POST\",\"/v1/batches\",200,\"$bid\",3,[\"AAS-1\",\"AAS-2\",\"AAS-3\"]]" "log: created and custom_ids"
poll "$bid"
is "$st $(emu_body -c .request_counts)" 'in_progress {"total":3,"completed":0,"failed":0}' "poll 1: in_progress"
poll "$bid"
is "$st $(emu_body -c '[.request_counts, .output_file_id]')" \
    'finalizing [{"total":3,"completed":1,"failed":2},null]' "poll 2: finalizing, no file yet"
poll "$bid"
is "$st" completed "poll 3: completed"
out=$(emu_body .output_file_id)
err=$(emu_body .error_file_id)
is "$(emu_body -c '[.usage.input_tokens, .usage.output_tokens, .usage.total_tokens, (.completed_at > 0)]')" \
    '[3,4,7,true]' "usage summed over successes"
poll "$bid"
is "$st" completed "completed stays completed"
emu_req GET "/v1/files/$out"
is "$(emu_body -c '[.purpose, .object]')" '["batch_output","file"]' "output file: batch_output"
emu_req GET "/v1/files/$out/content"
cp "$EMU_DIR/body" "$T/out.jsonl"
is "$(jq -c '[.custom_id, .response.status_code, .error, (.id | startswith("batch_req_"))]' "$T/out.jsonl")" \
    '["AAS-1",200,null,true]' "output line envelope"
is "$(jq -c '.response.body | [.object, .model, .choices[0].index, .choices[0].message.role, .choices[0].message.content, .choices[0].finish_reason]' "$T/out.jsonl")" \
    '["chat.completion","gpt-4.1-mini",0,"assistant","default answer","stop"]' "output body: chat.completion"
is "$(jq -c '.response.body.usage | [.prompt_tokens, .completion_tokens, .total_tokens, .prompt_tokens_details.cached_tokens]' "$T/out.jsonl")" \
    '[3,4,7,0]' "tokens: bytes/4 rounded up"
emu_req GET "/v1/files/$err/content"
cp "$EMU_DIR/body" "$T/err.jsonl"
is "$(jq -sc 'sort_by(.custom_id) | map([.custom_id, .response.status_code, .response.body.error.code, .error]) ' "$T/err.jsonl")" \
    '[["AAS-2",400,"invalid_prompt",null],["AAS-3",null,null,{"code":"request_timeout","message":"took too long"}]]' \
    "error file: HTTP failure with error null, and a line error"

# order: shuffled, deterministic
i=1
: >"$T/big.jsonl"
while [ $i -le 20 ]; do line "K-$i" "text $i" >>"$T/big.jsonl"; i=$((i + 1)); done
upload "$T/big.jsonl"
create "$fid"
b1=$bid
curl -sS -X POST "$EMU_URL/_emu/advance" >/dev/null
poll "$b1"
emu_req GET "/v1/files/$(emu_body .output_file_id)/content"
jq -r .custom_id "$EMU_DIR/body" >"$T/order"
jq -r .custom_id "$T/big.jsonl" >"$T/inorder"
if cmp -s "$T/order" "$T/inorder"; then ok 1 "output order is not input order"; else ok 0 "output order is not input order"; fi
is "$(sort "$T/order" | tr '\n' ' ')" "$(sort "$T/inorder" | tr '\n' ' ')" "every custom_id once"
is "$(emu_stats | jq .duplicate_custom_ids_across_batches)" 0 "no duplicates yet"
create "$fid"
b2=$bid
is "$(emu_stats | jq -c '[.duplicate_custom_ids_across_batches, .batches_created]')" '[20,3]' \
    "resubmission: 20 duplicate custom_ids across batches"

# all lines fail: completed with output_file_id null
{ line AAS-2 a; } >"$T/allbad.jsonl"
upload "$T/allbad.jsonl"
create "$fid"
curl -sS -X POST "$EMU_URL/_emu/advance" >/dev/null
poll "$bid"
is "$(emu_body -c '[.status, .output_file_id, (.error_file_id | type), .request_counts]')" \
    '["completed",null,"string",{"total":1,"completed":0,"failed":1}]' "every line failed: completed, output_file_id null"

# validation
{ line V-1 a; line V-1 b; printf 'not json\n'; line V-3 c gpt-4o; line V-4 d gpt-4.1-mini /v1/embeddings;
  printf '{"custom_id":"V-5","method":"GET","url":"/v1/chat/completions","body":{"model":"gpt-4.1-mini"}}\n'; } >"$T/bad.jsonl"
upload "$T/bad.jsonl"
create "$fid"
is "$EMU_CODE $(emu_body .status)" "200 validating" "bad input: create still 200"
poll "$bid"
is "$(emu_body -c '[.status, (.failed_at > 0), .request_counts.total]')" '["failed",true,0]' "bad input: failed"
is "$(emu_body -c '[.errors.object, (.errors.data | map([.code, .line]))]')" \
    '["list",[["duplicate_custom_id",2],["invalid_json_line",3],["model_mismatch",4],["url_mismatch",5],["invalid_method",6]]]' \
    "errors.data: code and line of each bad line"
: >"$T/empty.jsonl"
upload "$T/empty.jsonl"
create "$fid"
poll "$bid"
is "$(emu_body -c '[.status, .errors.data[0].code]')" '["failed","empty_file"]' "empty file: failed"
emu_req POST /v1/batches -H 'Content-Type: application/json' \
    -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"1h\"}"
is "$EMU_CODE $(emu_body .error.param)" "400 completion_window" "completion_window must be 24h"
emu_req POST /v1/batches -H 'Content-Type: application/json' \
    -d "{\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
is "$EMU_CODE $(emu_body -c '[.error.param, .error.code]')" '400 ["input_file_id","missing_required_parameter"]' "input_file_id required"
md=$(jq -nc '[range(17)] | map({key: "k\(.)", value: "v"}) | from_entries')
create "$fid" "\"metadata\":$md"
is "$EMU_CODE $(emu_body .error.param)" "400 metadata" "metadata: at most 16 pairs"
emu_req POST /v1/batches -H 'Content-Type: application/json' \
    -d '{"input_file_id":"file-nope","endpoint":"/v1/chat/completions","completion_window":"24h"}'
is "$EMU_CODE" 404 "unknown input file: 404"

# cancel
upload "$T/in.jsonl"
create "$fid"
emu_req POST "/v1/batches/$bid/cancel"
is "$EMU_CODE $(emu_body -c '[.status, (.cancelling_at > 0)]')" '200 ["cancelling",true]' "cancel: cancelling"
poll "$bid"
is "$(emu_body -c '[.status, .output_file_id, .request_counts]')" \
    '["cancelled",null,{"total":3,"completed":0,"failed":3}]' "then cancelled"
emu_req GET "/v1/files/$(emu_body .error_file_id)/content"
is "$(jq -sc 'map(.error.code) | unique' "$EMU_DIR/body")" '["batch_cancelled"]' "cancelled lines: batch_cancelled"
emu_req POST "/v1/batches/$bid/cancel"
is "$EMU_CODE" 400 "cancel a cancelled batch: 400"

# forced states
upload "$T/big.jsonl"
create "$fid"
emu_state "$bid" expired '"fraction":0.25' >"$T/b"
is "$(jq -c '[.status, .request_counts, (.output_file_id | type), (.expired_at > 0)]' "$T/b")" \
    '["expired",{"total":20,"completed":5,"failed":15},"string",true]' "control: force expired, a quarter done"
emu_req GET "/v1/files/$(jq -r .error_file_id "$T/b")/content"
is "$(jq -sc 'map(.error.code) | unique' "$EMU_DIR/body")" '["batch_expired"]' "expired lines: batch_expired"

# list
emu_req GET '/v1/batches?limit=2'
is "$(emu_body -c '[.object, (.data | length), .has_more, .first_id == .data[0].id, .data[0].id]')" \
    "[\"list\",2,true,true,\"$bid\"]" "list batches: newest first, has_more"
last=$(emu_body .last_id)
emu_req GET "/v1/batches?limit=100&after=$last"
n=$(emu_body '.data | length')
is "$n $(emu_body .has_more)" "6 false" "list batches after last_id"
emu_req GET '/v1/batches?limit=0'
is "$EMU_CODE" 400 "list limit 0: 400"

# delete
emu_req DELETE "/v1/files/$fid"
is "$(emu_body -c .)" "{\"id\":\"$fid\",\"object\":\"file\",\"deleted\":true}" "delete file"
emu_req GET "/v1/files/$fid"
is "$EMU_CODE" 404 "deleted file: 404"

# chat completions (sync)
chat() {
	emu_req POST /v1/chat/completions -H 'Content-Type: application/json' -d "$1"
}
chat '{"model":"gpt-4.1","messages":[{"role":"system","content":"sys"},{"role":"user","content":"now please say hi to me"}]}'
is "$EMU_CODE $(emu_body -c '[.object, .model, .choices[0].message.content, .choices[0].finish_reason, .usage.prompt_tokens, .usage.completion_tokens]')" \
    '200 ["chat.completion","gpt-4.1","hi there","stop",7,2]' "chat: matched on the last user message"
case $(emu_body .id) in chatcmpl-?*) ok 0 "chat: chatcmpl- id" ;; *) ok 1 "chat: chatcmpl- id" ;; esac
chat '{"model":"gpt-4.1","metadata":{"custom_id":"AAS-99"},"messages":[{"role":"user","content":"please say hi"}]}'
is "$(emu_body -c '[.choices[0].message.content, .choices[0].finish_reason]')" '["nine","length"]' "chat: metadata.custom_id wins"
chat '{"model":"gpt-4.1","metadata":{"custom_id":"AAS-2"},"messages":[{"role":"user","content":"x"}]}'
is "$EMU_CODE $(emu_body .error.code)" "400 invalid_prompt" "chat: scripted status"
chat '{"model":"gpt-4.1","messages":[]}'
is "$EMU_CODE $(emu_body .error.param)" "400 messages" "chat: messages required"
is "$(emu_header x-ratelimit-limit-requests)" "" "no rate-limit headers on a 400 before the limiter"
chat '{"model":"gpt-4.1","messages":[{"role":"user","content":"zzz"}]}'
is "$(emu_body '.choices[0].message.content') $(emu_header x-ratelimit-remaining-requests)" \
    "default answer 9996" "chat: default answer and rate-limit headers"

emu_req GET /v1/nothing
is "$EMU_CODE" 404 "unknown path: 404"
emu_log >"$T/log.http"
cmp_file "$EMU_LOG_FILE" "$T/log.http" "--log FILE holds the same lines as /_emu/log"
emu_stop
ok $? "emulator exits cleanly on SIGTERM"

# --max-requests
emu_start "" --max-requests 2
{ line M-1 a; line M-2 b; line M-3 c; } >"$T/three.jsonl"
upload "$T/three.jsonl"
create "$fid"
poll "$bid"
is "$(emu_body -c '[.status, (.errors.data | map([.code, .line]))]')" \
    '["failed",[["too_many_tasks",null]]]' "--max-requests 2: three lines fail the batch"
emu_stop
ok $? "stop"
done_testing
