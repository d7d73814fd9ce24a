#!/bin/sh
# 2040-submit-crash: kill -9 aas-submit and aas-fetch at random moments,
# many times, then run both to the end: every task comes out of aas-fetch
# (none lost), no task was ever in two batches (none sent twice), and a
# task is written twice only when aas-fetch was killed right after
# writing it (at most one per kill).
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

iters=${CRASH_ITERATIONS:-50}
plan 6
setup_repo
# a slow emulator widens the windows between upload, create and journal
printf '{"default":{"content":"ok"},"faults":[{"kind":"slow","delay_ms":1,"every":2,"path":"/v1/*"}]}' >"$T/s.json"
emu_start "$T/s.json" || exit 1

# a random delay in ms, 0..$1
rnd() { awk -v m="$1" -v s="$(od -An -N4 -tu4 /dev/urandom)" 'BEGIN { srand(s); print int(rand() * m) }'; }
killer() {	# killer MS CMD...: run CMD, kill -9 it after MS ms
	_ms=$1
	shift
	"$@" &
	_pid=$!
	sleep "$(awk -v m="$_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	kill -9 "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
}

: >all.jsonl
: >fetched.jsonl
kills=0
i=1
while [ "$i" -le "$iters" ]; do
	gen 20 "K$i" >"in$i.jsonl"
	cat "in$i.jsonl" >>all.jsonl
	killer "$(rnd 400)" sh -c 'exec aas-submit -q --max-requests 5 <"$1" >/dev/null 2>&1' sh "in$i.jsonl"
	if [ $((i % 3)) -eq 0 ]; then
		killer "$(rnd 300)" sh -c 'exec aas-fetch -q >>fetched.jsonl 2>/dev/null'
		kills=$((kills + 1))
	fi
	i=$((i + 1))
done
# the re-runs: everything not yet sent is sent, then everything fetched.
# Tasks already fetched with a response are done: like aas-scan --new,
# leave them out (aas-submit sends a finished task again if given it).
jq -r 'select(.response) | .id' fetched.jsonl | sort -u >done
jq -c --rawfile d done '($d | split("\n")) as $done | select(.id as $i | $done | index($i) | not)' all.jsonl >rerun.jsonl
run aas-submit -q --max-requests 5 <rerun.jsonl
is "$rc $(wc -l <"$T/out")" "0 $(wc -l <rerun.jsonl)" "re-run of aas-submit: every record out"
run aas-fetch -q --wait --interval 0.05
is "$rc" 0 "aas-fetch --wait: exit 0"
cat "$T/out" >>fetched.jsonl
jq -r .id all.jsonl | sort -u >want
jq -r .id fetched.jsonl | sort -u >got
cmp_file got want "nothing lost: every task fetched"
dups=$(($(wc -l <fetched.jsonl) - $(wc -l <got)))
ok $([ "$dups" -le "$kills" ] && echo 0 || echo 1) "written twice only across a kill ($dups for $kills fetch kills)"
is "$(emu_stats | jq .duplicate_custom_ids_across_batches)" 0 "no task in two batches"
run aas-fetch -q
is "$rc $(wc -l <"$T/out")" "0 0" "a further aas-fetch writes nothing"
done_testing
