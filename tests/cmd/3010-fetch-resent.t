#!/bin/sh
# 3010-fetch-resent: a task sent to the batch API again (a new run, same
# id and sha) has its new answer written once; the first answer is not
# written again.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 5
setup_repo
emu_start || exit 1
gen 2 R >in.jsonl
aas-submit -q <in.jsonl >/dev/null
run aas-fetch -q --wait --interval 0.01
is "$rc $(jq -r .id "$T/out" | sort | tr '\n' ' ')" "0 R-1 R-2 " "first run: both answered"
jq -c 'select(.id == "R-1")' in.jsonl | aas-submit -q >sub2.jsonl
is "$(jq -r '.id + " " + (has("batch") | tostring)' sub2.jsonl)" "R-1 true" "R-1 sent again: a new batch"
run aas-fetch --wait --interval 0.01
is "$rc $(jq -r '.id + " " + (has("response") | tostring)' "$T/out" | tr '\n' ' ')$(cat "$T/err")" \
    "0 R-1 true " "the new answer is written, once, and the old run's task not again"
check_run "a second aas-fetch writes nothing" 0 "" "" -- aas-fetch
is "$(jq -r 'select(.ok == 1) | .c[0:3]' .aas/fetched.jsonl | sort | tr '\n' ' ')" \
    "R-1 R-1 R-2 " "fetched journal: each run's answer once"
done_testing
