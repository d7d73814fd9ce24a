#!/bin/sh
# aas-qa: a fail_to_pass check runs first on the base tree with only the
# plan's test files added, where it must fail, then on the commit, where
# it must pass; a plan whose test passes on the base is refused
# (f2p_passed_on_base), a plan without tests too (f2p_no_tests).
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
    - name: tests
      run: sh tests/t.sh
      fail_to_pass: true
YML
# ftask ID TEST-SCRIPT [PATH CONTENT...]: a task whose plan names tests/t.sh
ftask() {
	_i=$1 _t=$2
	shift 2
	qa_task "$_i" tests/t.sh "$_t" "$@" | jq -c '. + {plan: {tests: ["tests/t.sh"]}}'
}
E='"exit":0,"signal":0,"ms":N,"bytes":0,"tail":""'

# the test fails on the base (val.txt is not there), passes after
ftask F-1 'echo ran; test "$(cat val.txt 2>/dev/null)" = 2
' val.txt 2 >in
qa_check "fails on the base, passes after: accepted" 0 \
    "$(sed 's/}$//' in),\"qa\":{\"ok\":true,\"checks\":[{\"name\":\"tests\",\"cmd\":\"sh tests/t.sh\",\"required\":true,\"ok\":true,\"exit\":0,\"signal\":0,\"ms\":N,\"bytes\":4,\"tail\":\"ran\\n\",\"fail_to_pass\":true,\"base\":{\"exit\":1,\"signal\":0,\"ms\":N,\"bytes\":4,\"tail\":\"ran\\n\"}}]}}" \
    "" -- aas-qa -q -c qa.yml $S <in
is "$(ls state/qa)" "" "accepted: both worktrees removed"

# the test passes on the base too: it tests nothing new
ftask F-2 'test -e ok.c
' val.txt 2 >in
qa_check "passes on the base: refused, f2p_passed_on_base" 1 \
    "$(sed 's/}$//' in),\"qa\":{\"ok\":false,\"checks\":[{\"name\":\"tests\",\"cmd\":\"sh tests/t.sh\",\"required\":true,\"ok\":false,$E,\"fail_to_pass\":true,\"code\":\"f2p_passed_on_base\"}]},\"error\":{\"stage\":\"qa\",\"code\":\"f2p_passed_on_base\",\"message\":\"check tests passed on the base with only the plan's tests (fail_to_pass)\"}}" \
    "aas-qa: F-2: check tests passed on the base with only the plan's tests (fail_to_pass)
aas-qa: 0 passed, 1 failed, 0 skipped in Ns" \
    -- aas-qa -c qa.yml $S <in
is "$(ls state/qa)" "" "refused: both worktrees removed"

# fails on the base and after: the usual failure, with the base run
ftask F-3 'exit 4
' >in
run aas-qa -q -c qa.yml $S <in
is "$rc:$(jq -c '[.error.code, .qa.checks[0].exit, .qa.checks[0].base.exit]' out)" \
    '1:["qa_failed",4,4]' "fails on the base and after: qa_failed"

# no test in the plan, or one the commit does not have
qa_task F-4 val.txt 2 | jq -c '. + {plan: {tests: []}}' >in
qa_task F-5 val.txt 2 | jq -c '. + {plan: {tests: ["tests/t.sh"]}}' >>in
want=$(while read -r l; do printf '%s,"qa":{"ok":false,"checks":[{"name":"tests","cmd":"sh tests/t.sh","required":true,"ok":false,"fail_to_pass":true,"code":"f2p_no_tests","reason":"the plan names no test file of the commit"}]},"error":{"stage":"qa","code":"f2p_no_tests","message":"check tests is fail_to_pass, but the plan names no test file of the commit"}}\n' "${l%\}}"; done <in)
qa_check "no test of the commit in the plan: f2p_no_tests" 1 "$want" "" \
    -- aas-qa -q --keep-order -c qa.yml $S <in

# a test the record lists but the commit's tree does not hold as a file
qa_task F-8 val.txt 2 | jq -c '.apply.files += [{path: "tests/t.sh", op: "write"}] | . + {plan: {tests: ["tests/t.sh"]}}' >in8
run aas-qa -q -c qa.yml $S <in8
is "$rc:$(jq -c '[.error.code, .qa.checks[0].code]' out):$(ls state/qa)" \
    '1:["f2p_no_tests","f2p_no_tests"]:' "a listed test the commit lacks: f2p_no_tests, no folder left"

# when: a check that does not apply needs no tests
printf 'qa:\n  builtin: false\n  checks:\n    - name: tests\n      run: exit 1\n      fail_to_pass: true\n      when: "*.py"\n' >when.yml
run aas-qa -q -c when.yml $S <in
is "$rc:$(jq -c '[.qa.ok, .qa.checks[0].skipped]' out | tr '\n' ' ')" \
    '0:[true,true] [true,true] ' "when not matched: skipped, no tests needed"

# the base tree has a link where the test folder goes: replaced, never
# followed
mkdir outside
git -C repo checkout -q -b linkbase
ln -s "$T/outside" repo/tests
git -C repo add tests && git -C repo commit -q -m link
OLDBASE=$BASE BASE=$(git -C repo rev-parse HEAD)
git -C repo checkout -q main
_wt="$T/wt.link"
git -C repo worktree add -q -b aas/F-6 "$_wt" "$BASE"
git -C "$_wt" rm -q tests
mkdir "$_wt/tests"
printf 'echo ran; test -e val.txt\n' >"$_wt/tests/t.sh"
printf '2' >"$_wt/val.txt"
git -C "$_wt" add -A && git -C "$_wt" commit -q -m F-6
C6=$(git -C "$_wt" rev-parse HEAD)
git -C repo worktree remove --force "$_wt"
jq -nc --arg repo "$T/repo" --arg base "$BASE" --arg c "$C6" \
    '{id:"F-6",apply:{repo:$repo,base:$base,branch:"aas/F-6",commit:$c,files:[{path:"tests/t.sh",op:"write"},{path:"val.txt",op:"write"}]},plan:{tests:["tests/t.sh"]}}' >in
run aas-qa -q -c qa.yml $S <in
is "$rc:$(jq -c '[.qa.ok, .qa.checks[0].base.tail, .qa.checks[0].base.exit]' out)" \
    '0:[true,"ran\n",1]' "a link in the base: the test ran on the base, failed there"
is "$(ls -A outside)" "" "a link in the base: nothing written through it"

# --keep keeps both worktrees and names them
BASE=$OLDBASE
ftask F-7 'test -e val.txt
' val.txt 2 >in
run aas-qa -q --keep -c qa.yml $S <in
bw=$(jq -r .qa.base_worktree out)
is "$rc:$(ls "$bw" | tr '\n' ' '):$(ls "$(jq -r .qa.worktree out)" | tr '\n' ' ')" \
    "0:data.json ok.c tests :data.json ok.c tests val.txt " \
    "--keep: the base worktree holds the base and the test only"
done_testing
