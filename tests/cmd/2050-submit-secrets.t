#!/bin/sh
# 2050-submit-secrets: the API key is in no output, journal, result file,
# log line or argument list, whatever the command does (-v included).
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 7
setup_repo
EMU_KEY=sk-test-SECRET-4f9a1c77e2
printf '{"faults":[{"kind":"500","count":2}],"default":{"content":"fine","latency_ms":200}}' >"$T/s.json"
emu_start "$T/s.json" --key "$EMU_KEY" || exit 1
key=$OPENAI_API_KEY
gen 30 >in.jsonl
# watch the process list while the commands run
( while :; do ps -eo args >>"$T/ps"; sleep 0.05; done ) &
watcher=$!
aas-submit -v --max-requests 10 <in.jsonl >"$T/o1" 2>"$T/e1"
aas-submit -v --sync -j 4 <in.jsonl >"$T/o2" 2>"$T/e2"
aas-fetch -v --wait --interval 0.05 >"$T/o3" 2>"$T/e3"
aas-fetch --list >"$T/o4" 2>"$T/e4"
kill "$watcher"
wait "$watcher" 2>/dev/null
is "$(wc -l <"$T/o1") $(wc -l <"$T/o2") $(wc -l <"$T/o3")" "30 30 30" "the commands ran"
ok $([ -s "$T/e1" ] && grep -q 'Authorization: \[redacted\]' "$T/e1" && echo 0 || echo 1) "-v traced the requests"
grep -rl -- "$key" .aas >"$T/hits"
is "$(cat "$T/hits")" "" "the key is nowhere in .aas/"
cat "$T"/o? | grep -c -- "$key" >"$T/n"
is "$(cat "$T/n")" 0 "the key is in no stdout"
cat "$T"/e? | grep -c -- "$key" >"$T/n"
is "$(cat "$T/n")" 0 "the key is in no stderr, -v included"
ok $(grep -q '^aas-submit' "$T/ps" && grep aas-emu "$T/ps" | grep -q -- "$key" && echo 0 || echo 1) \
    "the watcher saw aas-submit, and the key in the emulator's arguments"
grep -v aas-emu "$T/ps" | grep -c -- "$key" >"$T/n"
is "$(cat "$T/n")" 0 "the key is in no aas process's arguments (the emulator's own aside)"
done_testing
