#!/bin/sh
# 2030-submit-faults: the fault matrix.  For each fault, 1,000 tasks go
# through aas-submit (4 batches) and aas-fetch --wait: every task comes
# out of aas-fetch exactly once, with a response or an error, and the
# emulator never saw a batch created twice or a task in two batches.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

faults=${FAULTS:-"429 500 502 503 reset slow truncate malformed commit_then_reset expire fail_batch"}
plan 33
setup_repo
gen 1000 >in.jsonl
jq -r .id in.jsonl | sort >ids
for kind in $faults; do
	rm -rf .aas
	case $kind in
	expire|fail_batch) f="{\"kind\":\"$kind\",\"count\":2,\"fraction\":0.4}" ;;
	*) f="{\"kind\":\"$kind\",\"every\":3,\"count\":8}" ;;
	esac
	printf '{"faults":[%s]}' "$f" >"$T/s.json"
	emu_start "$T/s.json" || exit 1
	aas-submit -q --max-requests 250 <in.jsonl >sub.out 2>sub.err
	src=$?
	aas-fetch -q --wait --interval 0.05 >fetch.out 2>fetch.err
	frc=$?
	case $kind in expire|fail_batch) want=1 ;; *) want=0 ;; esac
	is "$src $frc $(wc -l <sub.out) $(cat sub.err fetch.err | head -n 3)" "0 $want 1000 " "$kind: exit statuses, nothing on stderr"
	jq -r .id fetch.out | sort >got
	cmp_file got ids "$kind: every task out of aas-fetch exactly once"
	is "$(emu_stats | jq -c '[.batches_created, .duplicate_custom_ids_across_batches]')" "[4,0]" \
	    "$kind: 4 batches, no task in two"
	emu_stop
done
done_testing
