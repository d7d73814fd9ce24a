#!/bin/sh
# 0530-emu-ratelimit: rpm/tpm limits, their headers, and scripted latency
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$AAS_SRC/tests/emu/emu.sh"

plan 28

chat() {	# chat TEXT
	emu_req POST /v1/chat/completions -H 'Content-Type: application/json' \
	    -d "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}"
}
msg() {
	emu_areq POST /v1/messages -H 'Content-Type: application/json' \
	    -d "{\"model\":\"c\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}"
}

printf '{"rpm":3,"default":{"content":"ok"}}' >"$T/rpm.json"
emu_start "$T/rpm.json"
ok $? "emu_start"
s=
for i in 1 2 3; do chat "question $i"; s="$s$EMU_CODE/$(emu_header x-ratelimit-limit-requests)/$(emu_header x-ratelimit-remaining-requests) "; done
is "$s" "200/3/2 200/3/1 200/3/0 " "rpm 3: limit and remaining headers"
emu_header x-ratelimit-reset-requests |
    grep -Eq '^(1m0s|[1-5]?[0-9](\.[0-9]{1,3})?s)$'
ok $? "reset-requests is a duration under a minute ($(emu_header x-ratelimit-reset-requests))"
chat "question 4"
ra=$(emu_header retry-after)
is "$EMU_CODE $(emu_body -c '.error | [.type, .code]')" '429 ["requests","rate_limit_exceeded"]' "4th request in a minute: 429"
if [ "$ra" -ge 1 ] && [ "$ra" -le 60 ]; then ok 0 "retry-after $ra s"; else ok 1 "retry-after '$ra' s"; fi
emu_log | tail -n 1 >"$T/l"
is "$(jq -c '[.status, .rate_limited]' "$T/l")" '[429,true]' "log marks rate-limited requests"
msg "other provider"
is "$EMU_CODE $(emu_header anthropic-ratelimit-requests-limit) $(emu_header anthropic-ratelimit-requests-remaining)" \
    "200 3 2" "Anthropic has its own window"
case $(emu_header anthropic-ratelimit-tokens-reset) in
20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z) ok 0 "anthropic reset: RFC 3339" ;;
*) ok 1 "anthropic reset: RFC 3339" ;;
esac
emu_stop
ok $? "stop"

# tpm: 40 bytes of prompt (10 tokens) + "ok" (1 token) = 11 per call
printf '{"tpm":30,"default":{"content":"ok"}}' >"$T/tpm.json"
emu_start "$T/tpm.json"
p=0123456789012345678901234567890123456789
chat "$p"
is "$EMU_CODE $(emu_header x-ratelimit-limit-tokens) $(emu_header x-ratelimit-remaining-tokens)" "200 30 19" "tpm: remaining tokens"
chat "$p"
is "$EMU_CODE $(emu_header x-ratelimit-remaining-tokens)" "200 8" "tpm: second call"
chat "$p"
is "$EMU_CODE $(emu_header x-ratelimit-remaining-tokens)" "429 8" "tpm: third call over the limit"
msg "$p"
is "$EMU_CODE $(emu_header anthropic-ratelimit-tokens-remaining)" "200 19" "Anthropic tokens"
is "$(emu_stats | jq .rate_limited)" 1 "stats count rate-limited calls"
emu_stop
ok $? "stop"

# latency does not hold the lock: 10 calls of 400 ms at once, all answered,
# each after its latency (the log says which calls slept)
printf '{"answers":[{"match":"slow","content":"late","latency_ms":400},{"match":"wait","content":"held","hold":true}]}' >"$T/lat.json"
emu_start "$T/lat.json"
t0=$(date +%s%N)
pids=
for i in 1 2 3 4 5 6 7 8 9 10; do
	curl -s -o "$T/o$i" -H "Authorization: Bearer $OPENAI_API_KEY" \
	    -d '{"model":"m","messages":[{"role":"user","content":"be slow"}]}' \
	    "$EMU_URL/v1/chat/completions" &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
n=$(cat "$T"/o* | jq -r '.choices[0].message.content' | grep -c '^late$')
if [ "$n" -eq 10 ] && [ "$ms" -ge 400 ]; then
	ok 0 "10 concurrent calls of 400 ms: all answered, after $ms ms"
else
	ok 1 "10 concurrent calls of 400 ms: $n answered, after $ms ms"
fi
chat "fast"
emu_log >"$T/lat.log"
is "$(jq -sc '[.[] | .latency_ms] | group_by(.) | map([.[0], length])' "$T/lat.log")" \
    '[[null,1],[400,10]]' "latency slept by the 10 matched calls only, not the unmatched one"
# proof that a sleeping call holds no lock: 3 calls held at once, and
# others answered while they wait
rm -f "$T"/o*
pids=
for i in 1 2 3; do
	curl -s -o "$T/o$i" -H "Authorization: Bearer $OPENAI_API_KEY" \
	    -d '{"model":"m","messages":[{"role":"user","content":"please wait"}]}' \
	    "$EMU_URL/v1/chat/completions" &
	pids="$pids $!"
done
i=0
while [ "$(emu_stats | jq .held)" != 3 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
is "$(emu_stats | jq .held)" 3 "3 calls held at once"
chat "fast"
msg "also fast"
is "$EMU_CODE $(emu_stats | jq .held)" "200 3" "others answered while 3 are held"
emu_release
for p in $pids; do wait "$p"; done
is "$(cat "$T"/o* | jq -r '.choices[0].message.content' | sort | uniq -c | tr -s ' ')" \
    " 3 held" "released: the 3 held calls answered"
emu_log | jq -c 'select(.held) | .status' | tr '\n' ' ' >"$T/held"
is "$(cat "$T/held")" "200 200 200 " "log marks held calls"
emu_stop
ok $? "stop"

# --rate-window: a 1 s window, so the 2nd call of an rpm 1 script gets in
# once the first has left the window, and the headers count in it
printf '{"rpm":1,"default":{"content":"ok"}}' >"$T/win.json"
emu_start "$T/win.json" --rate-window 1000
chat "one"
is "$EMU_CODE $(emu_header x-ratelimit-remaining-requests) $(emu_header x-ratelimit-reset-requests)" \
    "200 0 1s" "rate window 1 s: reset in 1s"
chat "two"
is "$EMU_CODE $(emu_header retry-after)" "429 1" "rate window 1 s: retry-after 1"
sleep 1.1
chat "three"
is "$EMU_CODE $(emu_header x-ratelimit-remaining-requests)" "200 0" "rate window 1 s: the slot is free again after it"
is "$(emu_stats | jq .rate_limited)" 1 "rate window 1 s: one call limited"
emu_stop
ok $? "stop"
check_run "bad --rate-window" 2 "" "aas-emu: bad --rate-window: 0" -- "$AAS_BUILD/tests/emu/aas-emu" --rate-window 0
done_testing
