#!/bin/sh
# 0545-emu-lines: the emulator reads batch input lines exactly as
# json_loadb does, whether its fast path (tests/emu/line.c) or jansson
# reads them: escapes, repeated keys, content parts, numbers, \u
# escapes, UTF-8 and every kind of broken line.  The expected figures
# are those of the jansson-only reader the fast path stands in for.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$AAS_SRC/tests/emu/emu.sh"

plan 9

upload() {	# upload FILE: file id in $fid
	emu_req POST /v1/files -F purpose=batch -F "file=@$1;filename=in.jsonl"
	fid=$(emu_body .id)
}
create() {	# create FILE-ID: batch id in $bid
	emu_req POST /v1/batches -H 'Content-Type: application/json' \
	    -d "{\"input_file_id\":\"$1\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
	bid=$(emu_body .id)
}
# results FILE: custom_id, prompt tokens, choices and the first answer,
# one line per request, sorted
results() {
	emu_advance
	emu_req GET "/v1/batches/$bid"
	emu_req GET "/v1/files/$(emu_body .output_file_id)/content"
	jq -c '[.custom_id, .response.body.usage.prompt_tokens,
	    (.response.body.choices | length),
	    .response.body.choices[0].message.content]' "$EMU_DIR/body" |
	    sort >"$1"
}

cat >"$T/good.jsonl" <<'EOF'
{"custom_id":"g1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"needle one"}]}}
{"custom_id":"g2","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"system","content":"a\"b\\c\/d\n"},{"role":"user","content":"x\ty\b\f\r"}]}}
{"custom_id":"g3","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"needle"},{"text":5},{"text":"abc","text":null},"part",[1]]},7,{"content":{"text":"no"}}]}}
{"custom_id":"g4","method":"POST","url":"/v1/chat/completions","body":{"model":"m","n":2,"messages":[{"content":"first needle"}],"messages":[{"content":"second"}],"n":3}}
{"custom_id":"g5","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"caf\u00e9 needle \ud83d\ude00"}]}}
{"custom_id":"g6","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"café – needle"}]}}
{"custom_id":"g7","method":"POST","url":"/v1/chat/completions","body":{"model":"m","temperature":1e-1,"top_p":0.5,"max_tokens":-0,"n":2,"messages":[{"content":"seven"}]}}
{"custom_id":"g8","method":"POST","url":"/v1/chat/completions","body":{"model":"m","instructions":"abcd needle","input":[{"text":"efgh"},{"text":"ij"}],"system":["x",{"text":"klm"}],"messages":"not a list"}}
{"custom_id":"g9","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"nine"}],"metadata":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}
{"custom_id":"g10","method":"POST","url":"/v1/chat/completions","body":{"model":"m","n":null,"stop":[true,false,null],"messages":[{"content":"ten"}]}}
 	{"custom_id":"g11","method":"POST","url":"/v1/chat/completions","body":{ "model" : "m" , "n" : 128 , "messages" : [ { "content" : "eleven" } ] }} 
{"custom_id":"g12","method":"POST","url":"\/v1\/chat\/completions","body":{"model":"m","messages":[{"content":"twelve"}],"z":123456789012345678}}
{"custom_id":"g13","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"thirteen"}],"big":12345678901234567.25}}
{"custom_id":"g14","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]},"x":{"body":{"model":"other"}}}
{"custom_id":"g15","custom_id":"g15b","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"fifteen"}]}}
EOF
{
	printf '{"custom_id":"e1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","n":1.0,"messages":[{"content":"x"}]}}\n'
	printf '{"custom_id":"e2","method":"POST","url":"/v1/chat/completions","body":{"model":"m","n":"2","messages":[{"content":"x"}]}}\n'
	printf '{"custom_id":"e3","method":"POST",}\n'
	printf '{"custom_id":"e4","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}} x\n'
	printf '[1]\n'
	printf '{"custom_id":"e6","method":"POST","url":"/v1/chat/completions","body":{"model":"m","stream":tru}}\n'
	printf '{"custom_id":"e7","method":"POST","url":"/v1/chat/completions","body":{"model":"m","max_tokens":01}}\n'
	printf '{"custom_id":"e8","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"tab\011here"}]}}\n'
	printf '{"custom_id":"e9","method":"POST","url":"/v1/chat/completions","body":{"model":"m","max_tokens":99999999999999999999}}\n'
	printf '{"custom_id":"e10","custom_id":5,"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n'
	printf '{"custom_id":"e11","method":"POST","url":"/v1/chat/completions","body":"x"}\n'
	printf '{"custom_id":"e12","method":"GET","url":"/v1/chat/completions","body":{"model":"m"}}\n'
	printf '{"custom_id":"e13","method":"POST","url":"/v1/chat/completions","body":{"model":7}}\n'
	printf '{"custom_id":"e14","method":"POST","url":"/v1/chat/completions","body":{"model":"m","n":129}}\n'
	printf '{"custom_id":"e15","method":"POST","url":"/v1/chat/completions","body":{"model":"m","temperature":1e999}}\n'
	printf '{"custom_id":"e16","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"\377"}]}}\n'
	printf '{"custom_id":"e17","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"\134ud800"}]}}\n'
	printf '{"custom_id":"e18","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"a\134u0000b"}]}}\n'
	printf '{"custom_id":"e19","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"content":"x"}]}\n'
	printf '{"custom_id":"e20","method":"POST","url":"/v1/chat/completions","body":{"model":"m","n":0}}\n'
	printf '{"custom_id":"e21","method":"POST","url":"/v1/chat/completions","body":{"model":"m","n":true}}\n'
	printf '{"custom_id":"e22","method":"POST","url":"/v1/chat/completions","body":{"model":"m","x":.5}}\n'
	printf '{"custom_id":"e23","method":"POST","url":"/v1/chat/completions","body":{"model":"m","x":1.}}\n'
	printf '{"custom_id":"e24","method":"POST","url":"/v1/chat/completions","body":{"model":"m","x":nulls}}\n'
	printf '{"custom_id":"e25","method":"POST","url":"/v1/chat/completions","body":{"model":"m","x":"\134x"}}\n'
	printf '\n'
	printf '{"custom_id":"e27","method":"POST","url":"/v1/chat/completions","body":{"model":"m","x":[1,]}}\n'
	printf '\357\273\277{"custom_id":"e28","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n'
	printf '{"custom_id":"e29","method":"POST","url":"/v1/chat/completions","body":{"model":"m","x":-}}\n'
	printf '{"custom_id":"e30","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\000\n'
} >"$T/bad.jsonl"

cat >"$T/want" <<'EOF'
["g1",3,1,"P"]
["g10",1,1,"D"]
["g11",2,128,"D"]
["g12",2,1,"D"]
["g13",2,1,"D"]
["g14",0,1,"D"]
["g15b",2,1,"D"]
["g2",4,1,"D"]
["g3",2,1,"P"]
["g4",2,3,"D"]
["g5",5,1,"P"]
["g6",4,1,"P"]
["g7",2,2,"D"]
["g8",5,1,"P"]
["g9",1,1,"D"]
EOF

# an answer matching on the prompt: the lines' text is kept
printf '%s' '{"answers":[{"match":"*","prompt":"needle","content":"P"}],"default":{"content":"D"}}' >"$T/prompt.json"
emu_start "$T/prompt.json"
ok $? "emu_start"
upload "$T/good.jsonl"
create "$fid"
is "$EMU_CODE $(emu_body .status)" "200 validating" "good lines: created"
results "$T/got"
cmp_file "$T/got" "$T/want" "good lines: prompt tokens, choices and prompt matches"
emu_req GET "/v1/batches/$bid"
is "$(emu_body -c '[.status, .request_counts, .usage.input_tokens]')" \
    '["completed",{"total":15,"completed":15,"failed":0},37]' "good lines: completed, input tokens summed"

# no answer matching on the prompt: the same counts, every answer D
printf '%s' '{"default":{"content":"D"}}' >"$T/plain.json"
emu_script "$T/plain.json"
create "$fid"
results "$T/got2"
sed 's/"P"]$/"D"]/' "$T/want" >"$T/want2"
cmp_file "$T/got2" "$T/want2" "good lines without prompt answers: the same figures"

# broken lines: one error each, in order, with its line number
upload "$T/bad.jsonl"
create "$fid"
emu_req GET "/v1/batches/$bid"
is "$(emu_body .status)" failed "bad lines: the batch fails"
is "$(emu_body -c '[.errors.data[] | [.line, .code]]')" \
    '[[1,"invalid_body"],[2,"invalid_body"],[3,"invalid_json_line"],[4,"invalid_json_line"],[5,"invalid_json_line"],[6,"invalid_json_line"],[7,"invalid_json_line"],[8,"invalid_json_line"],[9,"invalid_json_line"],[10,"missing_required_parameter"],[11,"invalid_body"],[12,"invalid_method"],[13,"missing_required_parameter"],[14,"invalid_body"],[15,"invalid_json_line"],[16,"invalid_json_line"],[17,"invalid_json_line"],[18,"invalid_json_line"],[19,"invalid_json_line"],[20,"invalid_body"],[21,"invalid_body"],[22,"invalid_json_line"],[23,"invalid_json_line"],[24,"invalid_json_line"],[25,"invalid_json_line"],[26,"invalid_json_line"],[27,"invalid_json_line"],[28,"invalid_json_line"],[29,"invalid_json_line"],[30,"invalid_json_line"]]' \
    "bad lines: each line's error"
emu_body -c '.errors.data[] | select(.code != "invalid_json_line") | [.line, .param, .message]' >"$T/msgs"
cat >"$T/want-msgs" <<'EOF'
[1,"body.n","'n' must be a whole number from 1 to 128."]
[2,"body.n","'n' must be a whole number from 1 to 128."]
[10,"custom_id","Missing required parameter: 'custom_id'."]
[11,"body","The 'body' of each request must be a JSON object."]
[12,"method","The 'method' of each request must be 'POST'."]
[13,"body.model","Missing required parameter: 'body.model'."]
[14,"body.n","'n' must be a whole number from 1 to 128."]
[20,"body.n","'n' must be a whole number from 1 to 128."]
[21,"body.n","'n' must be a whole number from 1 to 128."]
EOF
cmp_file "$T/msgs" "$T/want-msgs" "bad lines: params and messages"
is "$(emu_body -c '[.errors.data[] | select(.code == "invalid_json_line") | [.param, .message]] | unique')" \
    '[[null,"This line is not parseable as valid JSON."]]' "bad lines: the JSON errors"
