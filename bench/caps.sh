#!/bin/sh
# bench/caps.sh: peak memory (maximum resident set size, /usr/bin/time -v)
# of a record line over max_record_bytes and of a board over
# board_max_bytes.
# Usage: bench/caps.sh [BIN]   (BIN: build/bin)
set -eu
bin=${1:-build/bin}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
git init -q .
rss() {	# rss LABEL CMD...: the peak RSS of CMD, stdin from $in
	label=$1
	shift
	/usr/bin/time -v "$@" <"$in" >/dev/null 2>time.out || true
	printf '%-44s %8s KB  exit %s\n' "$label" \
	    "$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.out)" \
	    "$(sed -n 's/.*Exit status: //p' time.out)"
}
printf '## A-1: x\n- Status: Queued\n' >ACTIVE_TASKS.md
awk 'BEGIN { printf "{\"id\":\"A-1\",\"response\":{\"text\":\""
	for (i = 0; i < 100000; i++) printf "%01000d", 0
	print "\"}}"; print "{\"id\":\"A-1\",\"qa\":{\"ok\":true}}" }' >big.ndjson
in=big.ndjson
rss "100 MB line, aas-notify --board" "$bin/aas-notify" --board
rss "100 MB line, aas-plan" "$bin/aas-plan"
printf 'max_record_bytes: 1048576\n' >.aas.yml
rss "100 MB line, aas-notify, cap 1 MiB" "$bin/aas-notify" --board
rss "100 MB line, aas-plan, cap 1 MiB" "$bin/aas-plan"
rm -f .aas.yml big.ndjson
# a board of 4,200,000 tasks, 270 MB (over the 256 MiB default)
awk 'BEGIN { for (i = 1; i <= 4200000; i++)
	printf "## B-%d: task %d\n- Status: Queued\n\nBody text %d.\n\n", i, i, i }' \
    >ACTIVE_TASKS.md
echo '{"id":"B-1","qa":{"ok":true}}' >one.ndjson
in=one.ndjson
rss "270 MB board, aas-scan --check" "$bin/aas-scan" --check
rss "270 MB board, aas-notify --board" "$bin/aas-notify" --board
