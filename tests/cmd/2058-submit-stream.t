#!/bin/sh
# 2058-submit-stream: aas-submit --dry-run and --jsonl write their records
# in blocks, but a record reaches the next stage before aas-submit waits
# for more input: with the writer of its input still open, the first
# record's line is out while aas-submit runs.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 10
setup_repo
gen 2 >in.jsonl
rec1=$(sed -n 1p in.jsonl)
rec2=$(sed -n 2p in.jsonl)
aas-submit -q --dry-run <in.jsonl >whole.out 2>whole.err
is "$?:$(wc -l <whole.out | tr -d ' ')" "0:2" "the two records in one run"
for mode in --dry-run "--jsonl $T/req.jsonl"; do
	rm -f in out
	mkfifo in
	# out exists before the shell opens it for aas-submit (which waits
	# for the fifo's writer first)
	: >out
	aas-submit -q $mode <in >out 2>err &
	pid=$!
	exec 3>in
	printf '%s\n' "$rec1" >&3
	# wait for the line (a bound only against a hang, not a timing check)
	i=0
	while [ "$(wc -l <out)" -lt 1 ] && [ $i -lt 1200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	is "$(cat out)" "$(sed -n 1p whole.out)" \
	    "${mode%% *}: the first record is out while its input stays open"
	kill -0 $pid 2>/dev/null
	ok $? "${mode%% *}: aas-submit still runs, waiting for input"
	printf '%s\n' "$rec2" >&3
	exec 3>&-
	wait $pid
	is $? 0 "${mode%% *}: exit 0 once the input ends"
	is "$(sed -n 2p out)" "$(sed -n 2p whole.out)" \
	    "${mode%% *}: the second record follows"
done
is "$(cat err)" "" "nothing on standard error"
done_testing
