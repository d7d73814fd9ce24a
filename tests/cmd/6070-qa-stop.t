#!/bin/sh
# aas-qa stops safely: SIGTERM kills the checks in hand and writes their
# records untouched; the STOP file lets them finish; the task set up next
# (its worktree made while they ran) starts no checks and is written
# untouched; a closed stdout kills the checks before aas-qa dies of
# SIGPIPE.  Exit 75, no process left.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 11

cd "$T"
qa_repo "$T/repo"
mkdir state
S="--state $T/state"
MARK=95$$
export T MARK
cat >slow.yml <<'YML'
qa:
  builtin: false
  kill_grace: 0.5
  checks:
    - name: slow
      run: |
        [ "$AAS_ID" = Q-1 ] || exit 0
        sleep $MARK & sh -c 'sleep $MARK' & touch "$T/started"; wait
YML
qa_task Q-1 x.txt x >in
sed 's/"id":"Q-1"/"id":"Q-2"/' in >>in
cp in want

aas-qa -c slow.yml $S <in >out 2>err &
PID=$!
i=0
while [ ! -e started ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $PID
rc=0
wait $PID || rc=$?
is "$rc" 75 "SIGTERM: exit 75"
cmp_file out want "SIGTERM: the record in hand and the one set up next written untouched"
qa_norm err
is "$(cat err)" "aas-qa: stopped: signal SIGTERM
aas-qa: 0 passed, 0 failed, 0 skipped in Ns, stopped" "SIGTERM: why, then the summary"
is "$(pgrep -f "sleep $MARK" | wc -l | tr -d ' ')" 0 "SIGTERM: no process left"
is "$(ls state/qa)" "" "SIGTERM: worktree removed"

# The STOP file: the check in hand finishes and is written with its qa.
cat >stop.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: stopper
      run: touch "$T/state/STOP"
YML
run aas-qa -c stop.yml $S <in
is "$rc" 75 "STOP file: exit 75"
is "$(jq -c '[.id, .qa.ok]' out)" '["Q-1",true]
["Q-2",null]' "STOP file: the task in hand finished, the one set up next untouched"
rm -f state/STOP

# stdout closed: the running check is killed, then SIGPIPE.
cat >pipe.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: slow
      run: |
        if [ "$AAS_ID" = Q-1 ]; then sleep 0.3; exit 0; fi
        sleep $MARK & sleep $MARK
      timeout: 30
YML
rm -f started
( aas-qa -q -j 2 -c pipe.yml $S <in 2>err; echo $? >rc ) | true
is "$(cat rc)" 141 "closed stdout: death by SIGPIPE"
is "$(cat err)" "" "closed stdout: quietly"
is "$(pgrep -f "sleep $MARK" | wc -l | tr -d ' ')" 0 "closed stdout: no process left"
is "$(ls state/qa)" "" "closed stdout: worktrees removed"

done_testing
