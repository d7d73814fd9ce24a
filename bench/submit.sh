#!/bin/sh
# bench/submit.sh: aas-submit and aas-fetch against the emulator, and the
# same jobs done by a Node script on the official openai npm package.
#   (1) N tasks (5,000 and 50,000) through batch submit and fetch: time,
#       peak memory;
#   (2) 2,000 direct calls (--sync) with 50 ms latency under an RPM
#       limit: achieved rate as a share of the limit, 429s, nothing lost.
# Run from the top of the tree after `make` (make bench does both).
# SUBMIT_BENCH_N overrides the task counts, SUBMIT_BENCH_RPM the limit,
# SUBMIT_BENCH_SYNC the number of --sync calls, SUBMIT_BENCH_LATENCY their
# latency in ms, SUBMIT_BENCH_J the calls in flight and SUBMIT_BENCH_TPM
# a token limit (the emulator's own is 10,000,000); SUBMIT_BENCH_N=''
# leaves out (1), SUBMIT_BENCH_SYNC=0 leaves out (2).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
AAS_SRC=$top AAS_BUILD=$top/build
export AAS_SRC AAS_BUILD
PATH=$top/build/bin:$PATH
export PATH
W=$top/build/bench/submit
rm -rf "$W"
mkdir -p "$W/node"
# the emulator keeps the files it is sent in memory (/dev/shm) when it
# can: a service stores them on its own disks, and this machine's page
# cache writeback would otherwise be charged to whichever side runs when
# it comes due (it made the emulator's CPU vary from 0.3 to 1.2 s)
T=$(mktemp -d /dev/shm/aas-bench-emu.XXXXXX 2>/dev/null) || T=$W
. "$top/tests/emu/emu.sh"
# aas runs in a folder outside any repository, as the Node script works:
# in a repository aas-submit also looks for the repository's files in
# every task's text (see bench/submit.md)
R=$(mktemp -d "${TMPDIR:-/tmp}/aas-bench-submit.XXXXXX")
# emu_start adds its emu_stop to _cleanup_hook when _cleanup exists
_cleanup() {
	eval "${_cleanup_hook:-}"
	rm -rf "$R"
	[ "$T" = "$W" ] || rm -rf "$T"
}
trap _cleanup EXIT

cp bench/node/package.json bench/node/*.mjs "$W/node/"
(cd "$W/node" && npm install --silent --no-audit --no-fund >/dev/null 2>&1) || {
	echo "bench/submit.sh: npm install failed: no Node comparison" >&2
	nonode=1
}
: "${nonode:=0}"

gen() { sh "$top/tests/fixtures/submit/gen.sh" "$@"; }
# the Node script sends the template's prompt alone: no repository map
# for aas either (in a repository it adds up to 8 KB to every prompt)
printf 'context:\n  map_budget: 0\n' >"$W/aas.yml"

# timed NAME CMD...: run, print "seconds maxrss_kB user_s sys_s" into
# $W/NAME.time and the emulator's CPU seconds during the run into
# $W/NAME.emu
timed() {
	_n=$1
	shift
	_e0=$(emu_ticks)
	_rc=0
	/usr/bin/time -f '%e %M %U %S' -o "$W/$_n.time" "$@" || _rc=$?
	echo "$_e0 $(emu_ticks)" | awk -v hz="$hz" '{ printf "%.2f\n", ($2 - $1) / hz }' >"$W/$_n.emu"
	return "$_rc"
}
secs() { cut -d' ' -f1 "$W/$1.time"; }
rss() { awk '{ printf "%.1f", $2 / 1024 }' "$W/$1.time"; }
# cpu NAME: the client's user + system seconds; emucpu NAME: the emulator's
cpu() { awk '{ printf "%.2f", $3 + $4 }' "$W/$1.time"; }
emucpu() { cat "$W/$1.emu"; }
# emu_ticks: the emulator's utime + stime so far, in clock ticks (fields
# 14 and 15 of /proc/PID/stat, counted after the command name)
hz=$(getconf CLK_TCK)
emu_ticks() {
	sed 's/.*) //' "/proc/$EMU_PID/stat" 2>/dev/null | awk '{ print $12 + $13 } END { if (NR == 0) print 0 }'
}

printf '{"default":{"content":"{\\"summary\\":\\"ok\\",\\"edits\\":[],\\"tests\\":[]}"}}' >"$W/batch.json"
emu_start "$W/batch.json" >/dev/null
echo "# (1) batch: submit, then fetch --wait (emulator on 127.0.0.1)"
echo "# CPU seconds (user + system): the client's (sub_cpu, fetch_cpu, cpu_s),"
echo "# and the emulator's while that client ran (emu_sub, emu_fetch, emu_cpu)"
printf '%-8s %-6s %9s %9s %9s %9s %8s %8s %9s %6s %8s %9s %8s\n' tasks tool \
    submit_s fetch_s total_s peak_MB out sub_cpu fetch_cpu cpu_s emu_sub \
    emu_fetch emu_cpu
for n in ${SUBMIT_BENCH_N-5000 50000}; do
	gen "$n" >"$W/in$n.jsonl"
	st=$W/state$n
	timed sub$n sh -c 'cd "$5" && aas-submit -q -c "$4" --state "$1" <"$2" >"$3"' sh "$st" \
	    "$W/in$n.jsonl" "$W/sub$n.jsonl" "$W/aas.yml" "$R"
	timed fetch$n sh -c 'aas-fetch -q --state "$1" --wait --interval 0.05 >"$2"' \
	    sh "$st" "$W/out$n.jsonl"
	got=$(grep -c '"response"' "$W/out$n.jsonl" || :)
	total=$(echo "$(secs sub$n) $(secs fetch$n)" | awk '{ printf "%.2f", $1 + $2 }')
	peak=$(printf '%s\n%s\n' "$(rss sub$n)" "$(rss fetch$n)" | sort -n | tail -n 1)
	c=$(echo "$(cpu sub$n) $(cpu fetch$n)" | awk '{ printf "%.2f", $1 + $2 }')
	e=$(echo "$(emucpu sub$n) $(emucpu fetch$n)" | awk '{ printf "%.2f", $1 + $2 }')
	printf '%-8s %-6s %9s %9s %9s %9s %8s %8s %9s %6s %8s %9s %8s\n' "$n" \
	    aas "$(secs sub$n)" "$(secs fetch$n)" "$total" "$peak" "$got" \
	    "$(cpu sub$n)" "$(cpu fetch$n)" "$c" "$(emucpu sub$n)" \
	    "$(emucpu fetch$n)" "$e"
	echo "$n $total $peak $c $e" >>"$W/aas.batch"
	if [ "$nonode" = 0 ]; then
		timed node$n node "$W/node/batch.mjs" "$W/in$n.jsonl" "$W/node$n.jsonl"
		got=$(grep -c '"response"' "$W/node$n.jsonl" || :)
		printf '%-8s %-6s %9s %9s %9s %9s %8s %8s %9s %6s %8s %9s %8s\n' \
		    "$n" node - - "$(secs node$n)" "$(rss node$n)" "$got" - - \
		    "$(cpu node$n)" - - "$(emucpu node$n)"
		echo "$n $(secs node$n) $(rss node$n) $(cpu node$n) $(emucpu node$n)" >>"$W/node.batch"
	fi
done
if [ "$nonode" = 0 ] && [ -s "$W/aas.batch" ]; then
	echo "# ratios node/aas (time, peak memory; the clients' CPU, without and with the emulator's)"
	join "$W/aas.batch" "$W/node.batch" | awk '{
		printf "%-8s time x%.2f  memory x%.2f  cpu x%.2f  cpu+emu x%.2f\n", $1,
		    $6 / $2, $7 / $3, ($4 > 0 ? $8 / $4 : 0), ($4 + $5 > 0 ? ($8 + $9) / ($4 + $5) : 0) }'
fi
emu_stop >/dev/null

rpm=${SUBMIT_BENCH_RPM:-1500}
ncalls=${SUBMIT_BENCH_SYNC:-2000}
[ "$ncalls" -gt 0 ] || exit 0
lat=${SUBMIT_BENCH_LATENCY:-50}
jobs=${SUBMIT_BENCH_J:-32}
tpm=${SUBMIT_BENCH_TPM:-0}
printf '{"rpm":%d,"tpm":%d,"default":{"content":"ok","latency_ms":%d}}' "$rpm" "$tpm" "$lat" >"$W/sync.json"
gen "$ncalls" S >"$W/sync.jsonl"
echo "# (2) --sync: $ncalls calls, $lat ms latency, limit $rpm RPM$([ "$tpm" -gt 0 ] && echo " and $tpm TPM"), $jobs in flight"
printf '%-6s %9s %10s %8s %6s %8s %6s %8s\n' tool seconds req_per_min of_limit 429s answered cpu_s emu_cpu
sync_row() {	# sync_row TOOL OUTFILE
	r429=$(emu_stats | jq .rate_limited)
	got=$(grep -c '"response"' "$2" || :)
	awk -v t="$1" -v s="$(secs "sync-$1")" -v rpm="$rpm" -v q="$r429" -v g="$got" \
	    -v n="$ncalls" -v c="$(cpu "sync-$1")" -v e="$(emucpu "sync-$1")" \
	    'BEGIN { r = n / s * 60; printf "%-6s %9.2f %10.0f %7.0f%% %6d %8d %6s %8s\n", t, s, r, 100 * r / rpm, q, g, c, e }'
}
emu_start "$W/sync.json" >/dev/null
timed sync-aas sh -c 'cd "$6" && aas-submit -q -c "$5" --sync -j "$4" --state "$1" <"$2" >"$3"' sh \
    "$W/state-sync" "$W/sync.jsonl" "$W/sync-aas.jsonl" "$jobs" "$W/aas.yml" \
    "$R" || :
sync_row aas "$W/sync-aas.jsonl"
emu_stop >/dev/null
if [ "$nonode" = 0 ]; then
	emu_start "$W/sync.json" >/dev/null
	timed sync-node sh -c 'node "$1" "$2" "$4" >"$3"' sh "$W/node/sync.mjs" \
	    "$W/sync.jsonl" "$W/sync-node.jsonl" "$jobs" || :
	sync_row node "$W/sync-node.jsonl"
	emu_stop >/dev/null
fi
