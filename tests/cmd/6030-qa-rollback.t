#!/bin/sh
# aas-qa --rollback: a failed task's branch is deleted if it still points
# at the task's commit; errored records are cleaned up the same way.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 11

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"
cat >qa.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: good
      run: test ! -e bad
YML
branches() { git -C repo branch --list 'aas/*' --format='%(refname:short)' | tr '\n' ' '; }

qa_task T-1 ok.txt x >in
qa_task T-2 bad x >>in
C2=$(cat last_commit)
run aas-qa -q -c qa.yml $S <in
is "$(branches)" "aas/T-1 aas/T-2 " "without --rollback: branches kept"

qa_check "--rollback: failed branch deleted, qa.rolled_back" 1 \
    "$(sed -n 1p in | sed 's/}$/,"qa":{"ok":true,"checks":[{"name":"good","cmd":"test ! -e bad","required":true,"ok":true,"exit":0,"signal":0,"ms":N,"bytes":0,"tail":""}]}}/')
$(sed -n 2p in | sed 's/}$/,"qa":{"ok":false,"checks":[{"name":"good","cmd":"test ! -e bad","required":true,"ok":false,"exit":1,"signal":0,"ms":N,"bytes":0,"tail":""}],"rolled_back":true},"error":{"stage":"qa","code":"qa_failed","message":"check good failed: exit 1"}}/')" \
    "aas-qa: T-2: check good failed: exit 1
aas-qa: 1 passed, 1 failed, 0 skipped in Ns" -- aas-qa --keep-order --rollback -c qa.yml $S <in
is "$(branches)" "aas/T-1 " "only the failed branch is gone"
is "$(git -C repo cat-file -t "$C2")" "commit" "the failed commit is still in the repository"

# A branch that moved since is kept, with a warning.
qa_task T-3 bad x >in3
git -C repo branch -f aas/T-3 "$BASE"
run aas-qa --rollback -c qa.yml $S <in3
is "$(jq -c .qa.rolled_back out)" "false" "moved branch: rolled_back false"
is "$(cat err | sed 's/ in [0-9.]*s$//')" "aas-qa: T-3: rollback: branch aas/T-3 is at $BASE, not $(cat last_commit)
aas-qa: T-3: check good failed: exit 1
aas-qa: 0 passed, 1 failed, 0 skipped" "moved branch: warned"
is "$(branches)" "aas/T-1 aas/T-3 " "moved branch kept"

# Errored records from earlier stages: cleaned up with --rollback only.
qa_task T-4 x.txt x >r4
sed 's/}$/,"error":{"stage":"apply","code":"conflict","message":"m"}}/' r4 >in4
check_run "errored record untouched without --rollback" 0 "$(cat in4)" "" \
    -- aas-qa -q -c qa.yml $S <in4
is "$(branches)" "aas/T-1 aas/T-3 aas/T-4 " "errored record: branch kept"
check_run "--rollback cleans up an errored record" 0 \
    "$(sed 's/}$/,"qa":{"rolled_back":true}}/' in4)" "" \
    -- aas-qa -q --rollback -c qa.yml $S <in4
is "$(branches)" "aas/T-1 aas/T-3 " "errored record: branch deleted"

done_testing
