#!/bin/sh
# bench/notify.sh: time aas-notify setting N statuses on an N-task board.
# Usage: [LAYOUTS='table head'] bench/notify.sh [BIN] [N...]
# (BIN: build/bin; N: 1000 4000 20000)
# Both layouts: a table of N rows and N "## ID: Title" blocks.  Each run
# gets N records (one per task, qa.ok true: Queued -> Done) on stdin from
# a file, so the records come in batches of 256.  NOTIFY_RECORDS=M sends
# M records instead, spread evenly over the board (M status changes).
set -eu
bin=${1:-build/bin}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
shift || true
[ $# -gt 0 ] || set -- 1000 4000 20000
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
git init -q .
for n in "$@"; do
	awk -v n="$n" 'BEGIN {
		print "| ID | Title | Status |"; print "|----|-------|--------|"
		for (i = 1; i <= n; i++) printf "| B-%d | task %d | Queued |\n", i, i
	}' >table.md
	awk -v n="$n" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "## B-%d: task %d\n- Status: Queued\n\nBody %d.\n\n", i, i, i
	}' >head.md
	m=${NOTIFY_RECORDS:-$n}
	awk -v n="$n" -v m="$m" 'BEGIN {
		for (i = 1; i <= m; i++)
			printf "{\"id\":\"B-%d\",\"qa\":{\"ok\":true}}\n", int((i - 1) * n / m) + 1
	}' >in.ndjson
	for b in ${LAYOUTS:-table head}; do
		cp $b.md board.md
		s=$(date +%s.%N)
		"$bin/aas-notify" -q --board board.md <in.ndjson >out.ndjson
		t=$(date +%s.%N)
		done=$(grep -c '| Done \|^- Status: Done' board.md || true)
		printf '%-6s %6d tasks, %6d records: %8.2f s  (%d Done)\n' $b "$n" "$m" \
		    "$(echo "$t - $s" | bc)" "$done"
	done
done
