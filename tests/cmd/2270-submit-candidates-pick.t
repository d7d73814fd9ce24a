#!/bin/sh
# 2270-submit-candidates-pick: --candidates 3 through the pipeline, with
# one good answer of three (the good one wins, the other branches are
# gone) and with none (the task fails with all three outcomes), by
# --sync and by batch.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 8
setup_repo
printf '## X-1: Make it good\nWrite a file.\n\n## Y-1: Hopeless\nNo way.\n' >ACTIVE_TASKS.md
cat >.aas.yml <<'EOF2'
qa:
  builtin: false
  checks:
    - name: good
      run: test ! -e bad
EOF2
git add -A && git commit -q -m board
plan_of() { printf '{"content":{"summary":"%s","edits":[{"path":"%s","op":"write","content":"x\\n"}],"tests":[]}}' "$1" "$1"; }
cat >script.json <<EOF2
{"answers": [
  {"match": "*No way*", "choices": [$(plan_of bad), $(plan_of bad), $(plan_of bad)]},
  {"match": "Y-1-*", "choices": [$(plan_of bad), $(plan_of bad), $(plan_of bad)]},
  {"match": "*", "choices": [$(plan_of bad), $(plan_of good.txt), $(plan_of bad)]}]}
EOF2
emu_start script.json || exit 1
branches() { git branch --list 'aas/*' --format='%(refname:short)' | tr '\n' ' '; }
outcomes() { jq -c '[.id, .apply.branch, [.candidates[] | [.k, .ok]], .error.code]' "$T/out" | sort | tr '\n' ' '; }

run sh -c 'aas-scan --all | aas-submit -q --sync --candidates 3 | aas-plan -q | aas-apply -q | aas-qa -q --pick'
is "$rc" 1 "--sync: one task passed, one failed: exit 1"
is "$(outcomes)" '["X-1","aas/X-1",[[1,false],[2,true],[3,false]],null] ["Y-1","aas/Y-1.c1",[[1,false],[2,false],[3,false]],"qa_failed"] ' \
    "one record a task: X-1 won by candidate 2, Y-1 failed (its first candidate's record) with all three outcomes"
is "$(branches)" "aas/X-1 " "only the winner's branch is left"
is "$(git show aas/X-1 --format= --name-only)" "good.txt" "aas/X-1 holds the good candidate's edit"

git branch -D -q aas/X-1
rm -rf .aas
run sh -c 'aas-scan --all | aas-submit -q --candidates 3'
is "$rc $(wc -l <"$T/out")" "0 6" "batch: six candidates submitted"
emu_advance >/dev/null
run sh -c 'aas-fetch -q | aas-plan -q | aas-apply -q | aas-qa -q --pick'
is "$rc" 1 "batch: exit 1"
is "$(outcomes)" '["X-1","aas/X-1",[[1,false],[2,true],[3,false]],null] ["Y-1","aas/Y-1.c1",[[1,false],[2,false],[3,false]],"qa_failed"] ' \
    "batch: the same outcomes"
is "$(branches)" "aas/X-1 " "batch: only the winner's branch"
