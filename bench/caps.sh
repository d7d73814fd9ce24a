#!/bin/sh
# bench/caps.sh: peak memory (maximum resident set size, /usr/bin/time -v)
# of a record line over max_record_bytes and of a board over
# board_max_bytes.
# Usage: bench/caps.sh [BIN]   (BIN: build/bin)
# CAPS_QUICK=1: a tenth of the sizes (a 10 MB line; a 27 MB board over a
# board_max_bytes of 16 MiB), for make bench-quick.
set -eu
bin=${1:-build/bin}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
git init -q .
if [ "${CAPS_QUICK:-0}" = 1 ]; then
	lines=10000 tasks=420000 lmb=10 bmb=27
	bcap='board_max_bytes: 16777216'
else
	lines=100000 tasks=4200000 lmb=100 bmb=270 bcap=
fi
rss() {	# rss LABEL CMD...: the peak RSS of CMD, stdin from $in
	label=$1
	shift
	/usr/bin/time -v "$@" <"$in" >/dev/null 2>time.out || true
	printf '%-44s %8s KB  exit %s\n' "$label" \
	    "$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.out)" \
	    "$(sed -n 's/.*Exit status: //p' time.out)"
}
printf '## A-1: x\n- Status: Queued\n' >ACTIVE_TASKS.md
awk -v n="$lines" 'BEGIN { printf "{\"id\":\"A-1\",\"response\":{\"text\":\""
	for (i = 0; i < n; i++) printf "%01000d", 0
	print "\"}}"; print "{\"id\":\"A-1\",\"qa\":{\"ok\":true}}" }' >big.ndjson
in=big.ndjson
rss "$lmb MB line, aas-notify --board" "$bin/aas-notify" --board
rss "$lmb MB line, aas-plan" "$bin/aas-plan"
printf 'max_record_bytes: 1048576\n' >.aas.yml
rss "$lmb MB line, aas-notify, cap 1 MiB" "$bin/aas-notify" --board
rss "$lmb MB line, aas-plan, cap 1 MiB" "$bin/aas-plan"
rm -f .aas.yml big.ndjson
# a board of 4,200,000 tasks, 270 MB (over the 256 MiB default)
[ -z "$bcap" ] || printf '%s\n' "$bcap" >.aas.yml
awk -v n="$tasks" 'BEGIN { for (i = 1; i <= n; i++)
	printf "## B-%d: task %d\n- Status: Queued\n\nBody text %d.\n\n", i, i, i }' \
    >ACTIVE_TASKS.md
echo '{"id":"B-1","qa":{"ok":true}}' >one.ndjson
in=one.ndjson
rss "$bmb MB board, aas-scan --check" "$bin/aas-scan" --check
rss "$bmb MB board, aas-notify --board" "$bin/aas-notify" --board
