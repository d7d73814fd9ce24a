#!/bin/sh
# 2056-submit-core: a core dump of aas-submit would hold the API key: with
# ulimit -c unlimited and core_pattern "core", SIGABRT during a call makes
# no core file, and the key is in no file of the folder.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
case $pattern in
core|core.*) ;;
*) echo "1..0 # SKIP core_pattern is '$pattern', not a file in the current folder"; exit 0 ;;
esac
plan 3
setup_repo
EMU_KEY=sk-test-CORE-9b2e41d07c
printf '{"default":{"content":"fine","latency_ms":20000}}' >"$T/s.json"
emu_start "$T/s.json" --key "$EMU_KEY" || exit 1
gen 1 >in.jsonl
# ASan would turn core files off by itself: allow them, so that only
# aas-submit's own doing can keep them away
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0"
export ASAN_OPTIONS
ulimit -c unlimited
aas-submit -q --sync <in.jsonl >"$T/out" 2>"$T/err" &
pid=$!
n=0
while [ "$(emu_stats | jq .sync_requests)" != 1 ] && [ $n -lt 400 ]; do
	sleep 0.05
	n=$((n + 1))
done
is "$(emu_stats | jq .sync_requests)" 1 "the call is in flight"
kill -ABRT "$pid"
wait "$pid" 2>/dev/null
rc=$?
is "$rc $(ls | grep '^core' | tr '\n' ' ')" "134 " "SIGABRT with the key in memory: no core file"
grep -rl -- "$EMU_KEY" . >"$T/hits" 2>/dev/null
is "$(cat "$T/hits")" "" "the key is in no file of the folder"
done_testing
