#!/bin/sh
# aas-apply --integrate: each task is built on the integration branch's
# tip as it is when the task is applied (created at the base the first
# time); a task applied after its dependency landed sees its code; the
# checkout, index and HEAD are never touched.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 13

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
head=$(git -C "$R" rev-parse HEAD)
snap "$R" >"$T/snap.before"
cd "$T" || exit 1
printf 'qa:\n  builtin: false\n' >c.yml
AP="aas-apply --repo $R -c $T/c.yml --state $T/state"
QA="aas-qa -q -c $T/c.yml --state $T/state"

check_run "--integrate and --onto exclude each other" 2 "" \
"aas-apply: --integrate excludes --onto and --undo
usage: aas-apply [-fnqv] [--base REV] [--integrate | --onto BRANCH] [--repo DIR] [-c FILE] [--state DIR]
       aas-apply --undo [-qv] [--repo DIR] [-c FILE] [--state DIR]" -- \
    $AP --integrate --onto x

# a dry run builds on the base and makes no branch
mkin D-1 '[{"path":"lib.c","op":"write","content":"int lib(void) { return 1; }\n"}]'
run $AP --integrate -n <"$T/in"
is "$rc $(jq -c '[.apply.base, .apply.integration, .apply.dry_run]' "$T/out")" \
    "0 [\"$head\",\"aas/integration\",true]" "dry run: the base, the branch named"
is "$(git -C "$R" rev-parse -q --verify aas/integration || echo none)" "none" \
    "dry run: no branch made"

# D-1 creates lib.c; the branch is made at the base the first time
run $AP --integrate <"$T/in"
c1=$(git -C "$R" rev-parse aas/D-1)
in=$(cat "$T/in")
is "$rc $(cat "$T/out")" \
    "0 ${in%\}},\"apply\":{\"repo\":\"$R\",\"base\":\"$head\",\"branch\":\"aas/D-1\",\"integration\":\"aas/integration\",\"commit\":\"$c1\",\"files\":[{\"path\":\"lib.c\",\"op\":\"write\",\"match\":\"exact\"}]}}" \
    "the record: base the tip, integration the branch"
is "$(git -C "$R" rev-parse aas/integration)" "$head" "the branch made at the base"
cp "$T/out" d1.ap
run $QA --integrate <d1.ap
is "$rc $(git -C "$R" rev-parse aas/integration)" "0 $c1" "D-1 lands"

# D-2 depends on D-1: it edits the code only D-1 created
mkin D-2 '[{"path":"lib.c","op":"replace","search":"return 1;","replace":"return 2;"}]' '{"deps":["D-1"]}'
run $AP --integrate <"$T/in"
c2=$(git -C "$R" rev-parse aas/D-2)
is "$rc $(jq -r .apply.base "$T/out")" "0 $c1" "D-2 built on the tip with D-1"
git -C "$R" merge-base --is-ancestor aas/D-1 aas/D-2
ok $? "git merge-base --is-ancestor aas/D-1 aas/D-2"
is "$(git -C "$R" show aas/D-2:lib.c)" "int lib(void) { return 2; }" \
    "D-2's edit applies to D-1's code"
# without --integrate the same edit has nothing to apply to
jq -c ".id = \"D-9\"" "$T/in" >d9.in
run $AP <d9.in
is "$rc $(jq -r .error.code "$T/out")" "1 no_match" "without --integrate: built on HEAD, where D-1's code is not"

# integration_branch from the config
printf 'qa:\n  builtin: false\nintegration_branch: team/int\n' >c2.yml
mkin D-3 '[{"path":"other.txt","op":"write","content":"x\n"}]'
run aas-apply --repo "$R" -c c2.yml --state "$T/state" --integrate <"$T/in"
is "$rc $(jq -c '[.apply.base, .apply.integration]' "$T/out")" \
    "0 [\"$head\",\"team/int\"]" "integration_branch names the branch"
cp "$T/out" d3.ap
run aas-qa -q -c c2.yml --state "$T/state" --integrate <d3.ap
is "$rc $(jq -r .qa.integrated.branch "$T/out") $(git -C "$R" rev-parse team/int)" \
    "0 team/int $(git -C "$R" rev-parse aas/D-3)" "aas-qa lands on apply.integration"

snap "$R" >"$T/snap.after"
cmp_file "$T/snap.after" "$T/snap.before" \
    "checkout, index and HEAD untouched"
