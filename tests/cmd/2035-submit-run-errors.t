#!/bin/sh
# 2035-submit-run-errors: errors of the run (a wrong key, a forbidden
# account, an unknown model, no quota) stop aas-submit and aas-fetch
# with exit 2 and write no record that would fail the tasks; an error of
# one task still fails only that task.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 11
setup_repo
errbody() { printf '{"error":{"message":"%s","type":"%s","param":null,"code":"%s"}}' "$@"; }
script() {	# script STATUS BODY: that answer for R-2, the default for the rest
	printf '{"answers":[{"match":"*R-2*","status":%s,"error_body":%s}],"default":{"content":"ok"}}' "$1" "$2" >"$T/s.json"
	emu_script "$T/s.json" >/dev/null
}
emu_start || exit 1
gen 3 R >in.jsonl

OPENAI_API_KEY=wrong run aas-submit <in.jsonl
is "$rc $(wc -l <"$T/out") $(jq -r .ev .aas/batches.jsonl | tr '\n' ' ')" "2 0 intent abandon " \
    "batch, a wrong key: exit 2, no record, the run abandoned"
is "$(norm "$T/err")" "aas-submit: GET /v1/files?purpose=batch&order=desc&limit=100: http 401: Incorrect API key provided. (request REQ)" "batch, a wrong key: one message"
rm -rf .aas
OPENAI_API_KEY=wrong run aas-submit --sync <in.jsonl
is "$rc $(wc -l <"$T/out") $(norm "$T/err")" "2 0 aas-submit: POST /v1/chat/completions: http 401: Incorrect API key provided. (request REQ)" \
    "--sync, a wrong key: exit 2, no record, one message"

for c in "403 permission_error unsupported_country_region_territory" \
    "400 invalid_request_error model_not_found" "404 invalid_request_error model_not_found" \
    "429 insufficient_quota insufficient_quota"; do
	set -- $c
	script "$1" "$(errbody "refused: $3" "$2" "$3")"
	rm -rf .aas
	run aas-submit -j 1 --sync <in.jsonl
	tries=; [ "$1" = 429 ] && tries=" (after 5 tries)"	# http.c retries a 429
	is "$rc $(jq -r '.id + ":" + (has("response") | tostring)' "$T/out" | tr '\n' ' ')$(norm "$T/err")" \
	    "2 R-1:true aas-submit: POST /v1/chat/completions: http $1: refused: $3 (request REQ)$tries" \
	    "--sync, $1 $3: the answer before is written, then exit 2, R-2 and R-3 not"
done

script 400 "$(errbody "bad prompt" invalid_request_error invalid_prompt)"
rm -rf .aas
run aas-submit -q -j 1 --sync <in.jsonl
is "$rc $(jq -r '.id + ":" + (.error.code // "ok")' "$T/out" | tr '\n' ' ')" "1 R-1:ok R-2:http_400 R-3:ok " \
    "an error of one task fails that task only"

# aas-fetch: a wrong key stops it before anything is written
rm -rf .aas
script 200 null
aas-submit -q <in.jsonl >/dev/null
OPENAI_API_KEY=wrong run aas-fetch --wait --interval 0.01
is "$rc $(wc -l <"$T/out") $(norm "$T/err")" "2 0 aas-fetch: BATCH: GET /v1/batches/BATCH: http 401: Incorrect API key provided. (request REQ)" \
    "aas-fetch, a wrong key: exit 2, nothing written"
run aas-fetch -q --wait --interval 0.01
is "$rc $(wc -l <"$T/out")" "0 3" "aas-fetch with the right key: every task"

# Anthropic: a wrong key at batch create
rm -rf .aas
ANTHROPIC_API_KEY=wrong run aas-submit --provider anthropic --model claude-haiku-4-5 <in.jsonl
is "$rc $(wc -l <"$T/out") $(jq -r .ev .aas/batches.jsonl | tr '\n' ' ')" "2 0 intent abandon " \
    "anthropic, a wrong key: exit 2, no record"
done_testing
