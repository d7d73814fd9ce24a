#!/bin/sh
# An Anthropic batch carries no metadata, so a submission killed after the
# create POST reached the server but before its answer was journaled is
# settled by matching: the one batch created since the intent, with the
# run's request count, that no other run claims.  Nothing is lost and
# nothing is submitted twice.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/submit/lib.sh"
plan 10
cat >"$T/slow.json" <<'JSON'
{"faults":[{"path":"/v1/messages/batches","method":"POST","kind":"slow",
  "chunk":1,"delay_ms":1000}]}
JSON
emu_start "$T/slow.json"
setup_repo
gen 20 >tasks.jsonl

# The create answer dribbles out a byte a second: kill -9 once the batch
# exists on the server.
aas-submit --provider anthropic --model claude-haiku-4-5 <tasks.jsonl \
    >/dev/null 2>&1 &
pid=$!
i=0
until [ "$(emu_stats | jq .batches_created)" = 1 ] || [ $i -gt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
kill -9 $pid
wait $pid 2>/dev/null
is "$(jq -r .ev .aas/batches.jsonl | tr '\n' ' ')" "intent " \
    "killed between create and journal: only the intent is written"
emu_script /dev/stdin <<'JSON'
{"faults":[]}
JSON

run aas-submit --provider anthropic --model claude-haiku-4-5 <tasks.jsonl
is "$rc:$(emu_stats | jq .batches_created)" "0:1" \
    "aas-submit settles the run and skips its tasks: nothing created"
found=$(jq -r 'select(.ev == "batch") | .id' .aas/batches.jsonl)
is "$(jq -r '.batch.id' "$T/out" | sort -u):${found%%_*}" "$found:msgbatch" \
    "they are reported in the batch that was found"
run aas-fetch --wait --interval 0.1
is "$rc" 0 "aas-fetch collects the batch"
is "$(jq -r .id "$T/out" | sort | uniq | wc -l | tr -d ' '):$(wc -l <"$T/out" | tr -d ' ')" \
    "20:20" "every task out exactly once"
is "$(jq -r '.response.text | length > 0' "$T/out" | sort -u)" "true" \
    "each with its answer"
is "$(emu_stats | jq .batches_created)" 1 "no second batch created"

# Ambiguity: another client's batch of the same size appears in the same
# minutes.  Nothing is guessed; the tasks stay in flight, nothing is sent.
emu_script "$T/slow.json"
gen 20 U >u.jsonl
aas-submit --provider anthropic --model claude-haiku-4-5 <u.jsonl \
    >/dev/null 2>&1 &
pid=$!
i=0
until [ "$(emu_stats | jq .batches_created)" = 2 ] || [ $i -gt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
kill -9 $pid
wait $pid 2>/dev/null
emu_script /dev/stdin <<'JSON'
{"faults":[]}
JSON
jq -c '{custom_id: ("other-" + .id), params: {model: "claude-haiku-4-5",
    max_tokens: 10, messages: [{role: "user", content: .title}]}}' u.jsonl |
    jq -s -c '{requests: .}' >other.json
emu_areq POST /v1/messages/batches -H 'content-type: application/json' \
    --data-binary @other.json
is "$EMU_CODE:$(emu_stats | jq .batches_created)" "200:3" \
    "another client's batch of the same size"
run aas-submit --provider anthropic --model claude-haiku-4-5 <u.jsonl
is "$(emu_stats | jq .batches_created)" 3 "ambiguous: nothing created"
is "$(grep -c 'cannot tell which is ours' "$T/err")" 1 "and it says why"
done_testing
