#!/bin/sh
# 2055-submit-echo-key: an answer that echoes the API key back (in the
# text, the finish reason, an error message) has it redacted
# before the record is written: --sync and batch through aas-fetch.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 7
setup_repo
EMU_KEY=sk-test-ECHO-77c1d0e5a9
k=$EMU_KEY
cat >"$T/s.json" <<EOS
{"answers":[
  {"match":"*E-2*", "status":400,
   "error_body":{"error":{"message":"bad key $k","type":"invalid_request_error","param":null,"code":"x$k"}}}],
 "default":{"content":"your key is $k, again:$k.", "finish_reason":"stop $k"}}
EOS
emu_start "$T/s.json" --key "$k" || exit 1
gen 2 E >in.jsonl
run aas-submit -q --sync --keep-order <in.jsonl
is "$rc" 1 "--sync: E-2 failed, exit 1"
is "$(jq -c '[.id, .response.text, .response.finish_reason, .error.code, .error.message]' "$T/out" | norm)" \
'["E-1","your key is [redacted], again:[redacted].","stop [redacted]",null,null]
["E-2",null,null,"http_400","POST /v1/chat/completions: http 400: bad key [redacted] (request REQ)"]' "--sync: the key redacted in text, finish reason and error message"
rm -rf .aas
aas-submit -q <in.jsonl >/dev/null
run aas-fetch -q --wait --interval 0.01
is "$rc" 1 "batch: E-2 failed, exit 1"
jq -c '[.id, .response.text, .response.finish_reason, .error.code, .error.message]' "$T/out" | sort >"$T/got"
is "$(cat "$T/got")" \
'["E-1","your key is [redacted], again:[redacted].","stop [redacted]",null,null]
["E-2",null,null,"http_400","bad key [redacted]"]' "batch: the same through aas-fetch"
cat "$T/out" "$T/err" | grep -c -- "$k" >"$T/n"
is "$(cat "$T/n")" 0 "the key is in no record and no message"
is "$(grep -c -- "$k" .aas/fetched.jsonl .aas/ledger.jsonl .aas/batches.jsonl | tr '\n' ' ')" \
    ".aas/fetched.jsonl:0 .aas/ledger.jsonl:0 .aas/batches.jsonl:0 " "nor in the journals"
grep -rl -- "$k" .aas >"$T/hits"
is "$(cat "$T/hits") $(ls .aas/results | wc -l)" " 2" "nor in the downloaded results files"
done_testing
