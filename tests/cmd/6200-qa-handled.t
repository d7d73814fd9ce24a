#!/bin/sh
# aas-qa: a record that already has qa passes byte for byte, with or
# without --rollback, and keeps its branch; a passed task crosses a second
# round of aas-plan | aas-apply | aas-qa --rollback unchanged.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 9

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
# the checks fail now, whatever the tree: a re-check would show
printf 'qa:\n  builtin: false\n  checks:\n    - name: no\n      run: exit 3\n' >fail.yml
branches() { git -C repo branch --list 'aas/*' --format='%(refname:short)' | tr '\n' ' '; }

qa_task T-1 ok.txt x >in
qa_task T-2 bad x >>in
aas-qa -q --keep-order -c qa.yml $S <in >r1
is "$(jq -c '[.id, .qa.ok, .error.code]' r1 | tr '\n' ' ')" \
    '["T-1",true,null] ["T-2",false,"qa_failed"] ' "round one: T-1 passed, T-2 failed"
check_run "checked records: untouched, not checked again" 0 "$(cat r1)" \
    "aas-qa: 0 passed, 0 failed, 0 skipped in Ns" \
    -- sh -c "aas-qa --keep-order -c fail.yml $S <r1 2>&1 >$T/o | sed 's/ in [0-9.]*s$/ in Ns/' >&2; cat $T/o"
check_run "--rollback: untouched, the failed branch kept too" 0 "$(cat r1)" "" \
    -- aas-qa -q --keep-order --rollback -c fail.yml $S <r1
is "$(branches)" "aas/T-1 aas/T-2 " "--rollback on checked records: no branch deleted"
# a qa key of any shape counts, a rolled-back one too
printf '%s\n' "{\"id\":\"T-3\",\"apply\":{\"repo\":\"$T/repo\",\"commit\":\"$BASE\"},\"qa\":{\"rolled_back\":true}, \"n\":0.10}" >r3
check_run "a rolled-back record: untouched" 0 "$(cat r3)" "" \
    -- aas-qa -q --rollback -c fail.yml $S <r3

# the whole second round: plan, apply, qa --rollback
sr='```\n### ok.txt\n<<<<<<< SEARCH\n=======\nfine\n>>>>>>> REPLACE\n```\n'
printf '%s\n' "{\"id\":\"P-1\",\"title\":\"t\",\"response\":{\"text\":\"$sr\",\"finish_reason\":\"stop\"}}" >p
(cd repo && aas-plan -q | aas-apply -q | aas-qa -q --rollback -c ../qa.yml $S) <p >p1
is "$(jq -c '[.apply.branch, .qa.ok, .error]' p1)" '["aas/P-1",true,null]' \
    "round one of the pipeline: P-1 passed"
tip=$(git -C repo rev-parse aas/P-1)
run sh -c "cd repo && aas-plan -q | aas-apply -q | aas-qa -q --rollback -c ../fail.yml $S" <p1
is "$rc" 0 "round two: exit 0"
cmp_file "$T/out" p1 "round two: the passed record byte for byte"
is "$(git -C repo rev-parse aas/P-1)" "$tip" "round two: the branch kept"
done_testing
