#!/bin/sh
# bench/scan.sh: aas-scan --all on boards of 1k, 10k and 100k tasks.
#
# Each board is half table rows, half "## ID: Title" heading blocks with
# fields and a body, so both layouts are parsed.  For each size the
# release build (build/bin) runs $RUNS times; the best wall time and the
# peak resident memory (/usr/bin/time -v) are printed, with time and
# memory per task so linear growth shows as a flat column.  Then, in the
# same run, jq -c . re-reads aas-scan's own 100k-task output: the obvious
# comparison for "read a big structured file and print NDJSON".
set -eu
RUNS=${RUNS:-3}
# SCAN_BENCH_N: the board sizes; jq re-reads the output of the largest
SIZES=${SCAN_BENCH_N:-1000 10000 100000}
BIG=$(echo $SIZES | awk '{ print $NF }')
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN="$SRC/build/bin"
[ -x "$BIN/aas-scan" ] || make -C "$SRC" -s build/bin/aas-scan
W=$(mktemp -d "${TMPDIR:-/tmp}/aas-bench-scan.XXXXXX")
trap 'rm -rf "$W"' EXIT

board() {	# board N: a board of N tasks on stdout
	awk -v n="$1" 'BEGIN {
		h = int(n / 2)
		print "# Benchmark board\n"
		print "| ID | Title | Status | Depends | Priority | Owner |"
		print "|----|-------|--------|---------|----------|-------|"
		for (i = 1; i <= h; i++)
			printf "| B-%d | Task number %d with a title | %s | %s | P%d | user%d |\n",
			    i, i, (i % 3 ? "Queued" : "Done"),
			    (i > 1 ? "B-" (i - 1) : ""), i % 4, i % 17
		print ""
		for (i = h + 1; i <= n; i++) {
			printf "## B-%d: Heading task %d\n", i, i
			printf "- Status: %s\n- Depends: B-%d\n- Files: src/f%d.c, src/f%d.h\n\n",
			    (i % 3 ? "Queued" : "Done"), i - 1, i, i
			printf "Body text of task %d, which explains what to do\nin two lines.\n\n", i
		}
	}'
}

# best wall SECONDS, peak KB and best CPU seconds (user + system) of RUNS
# runs of a command (output to /dev/null).  CPU time is the steadier
# figure on a shared machine.
measure() {
	best= kb=0 r=0 cpu=
	while [ $r -lt "$RUNS" ]; do
		/usr/bin/time -v -o "$W/time" "$@" >/dev/null
		s=$(awk -F': ' '/Elapsed \(wall clock\)/ {
			n = split($2, p, ":"); t = 0
			for (i = 1; i <= n; i++) t = t * 60 + p[i]
			print t }' "$W/time")
		m=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$W/time")
		c=$(awk -F': ' '/User time|System time/ { t += $2 } END { print t }' "$W/time")
		if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then
			cpu=$c
		fi
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$s
		fi
		[ "$m" -gt "$kb" ] && kb=$m
		r=$((r + 1))
	done
	echo "$best $kb $cpu"
}

echo "aas-scan --all, release build, best of $RUNS"
printf '%8s %10s %9s %9s %9s %11s %9s\n' tasks bytes wall_s cpu_s peak_MB cpu_us/task KB/task
for n in $SIZES; do
	board "$n" >"$W/b$n.md"
	set -- $(measure "$BIN/aas-scan" --all "$W/b$n.md")
	printf '%8d %10d %9.3f %9.3f %9.1f %11.2f %9.3f\n' "$n" \
	    "$(wc -c <"$W/b$n.md")" "$1" "$3" "$(echo "$2" | awk '{ print $1 / 1024 }')" \
	    "$(awk -v s="$3" -v n="$n" 'BEGIN { print s * 1e6 / n }')" \
	    "$(awk -v k="$2" -v n="$n" 'BEGIN { print k / n }')"
done

"$BIN/aas-scan" --all "$W/b$BIG.md" >"$W/out.ndjson"
set -- $(measure "$BIN/aas-scan" --all "$W/b$BIG.md")
scan=$1 scancpu=$3 scankb=$2
set -- $(measure jq -c . "$W/out.ndjson")
echo
echo "$BIG tasks, same run: aas-scan --all: wall ${scan}s, cpu ${scancpu}s," \
    "peak $((scankb / 1024)) MB"
echo "jq -c . re-reading that output ($(wc -c <"$W/out.ndjson") bytes):" \
    "wall $1s, cpu $3s, peak $(($2 / 1024)) MB"
echo "jq/aas-scan: wall $(awk -v a="$1" -v b="$scan" 'BEGIN { printf "%.2f", a / b }')," \
    "cpu $(awk -v a="$3" -v b="$scancpu" 'BEGIN { printf "%.2f", a / b }')"
