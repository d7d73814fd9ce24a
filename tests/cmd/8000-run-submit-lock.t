#!/bin/sh
# 8000-run-submit-lock: aas-submit takes the submit lock at the first
# record it has something to send for, not before reading, so two
# aas-submit stages in one pipeline (the loop aas-run drives, and the
# whole-loop examples of the man pages) finish instead of waiting for
# each other; a stage that only passes records on never waits for it.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 7
setup_repo
emu_start || exit 1
gen 3 >in.jsonl
mkdir -p .aas
export FIX

# two sync stages: the second gets the first one's answers
# (timeout only turns a deadlock into a failure; no run comes near it)
run timeout 120 sh -c 'aas-submit --sync <in.jsonl | aas-submit --sync'
is "$rc" 0 "aas-submit --sync | aas-submit --sync: exit 0"
is "$(jq -r .id "$T/out" | sort | tr '\n' ' ')" "T-1 T-2 T-3 " "every task out once"

# a sync stage into a batch stage
run timeout 120 sh -c 'gen() { sh "$FIX/submit/gen.sh" "$@"; }; gen 3 B |
    aas-submit --sync | aas-submit'
is "$rc $(jq -r .id "$T/out" | sort | tr '\n' ' ')" "0 B-1 B-2 B-3 " \
    "aas-submit --sync | aas-submit: exit 0"

# the lock held by someone else: records with nothing to send go through
printf '{"id":"E-1","error":{"stage":"plan","code":"x","message":"m"}}\n' >err.jsonl
flock -o .aas/submit.lock sh -c 'aas-submit --sync <err.jsonl >held.out 2>held.err; echo $? >held.rc'
is "$(cat held.rc) $(cat held.out)" \
    '0 {"id":"E-1","error":{"stage":"plan","code":"x","message":"m"}}' \
    "nothing to send: no wait for a lock held elsewhere"

# ... and a record to send waits for it
flock -o .aas/submit.lock sh -c '
	gen() { sh "$FIX/submit/gen.sh" "$@"; }
	gen 1 W | aas-submit --sync >wait.out 2>wait.err &
	pid=$!
	sleep 1
	kill -0 $pid 2>/dev/null && echo waiting >wait.state
	exit 0'
i=0
while [ ! -s wait.out ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
is "$(cat wait.state)" waiting "a record to send waits for the lock"
is "$(jq -r '.id + " " + (.response.status | tostring)' wait.out)" "W-1 200" \
    "... and is sent once the lock is free"
is "$(cat wait.err held.err)" "" "no message"
done_testing
