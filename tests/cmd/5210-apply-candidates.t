#!/bin/sh
# aas-apply: a record with candidate {k, n} is applied on a branch of its
# own, aas/<id>.c<k>; a malformed candidate, or one with --onto, is
# refused.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 9

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
head=$(git -C "$R" rev-parse HEAD)

for k in 1 2 3; do
	mkin C-1 "[{\"path\":\"notes.txt\",\"op\":\"write\",\"content\":\"$k\\n\"}]" \
	    "{\"candidate\":{\"k\":$k,\"n\":3}}"
	cat "$T/in"
done >"$T/three"
run aas-apply --repo "$R" <"$T/three"
is "$rc" 0 "three candidates: exit 0"
i=0
while read -r line; do
	i=$((i + 1))
	printf '%s,"apply":{"repo":"%s","base":"%s","branch":"aas/C-1.c%d","commit":"%s","files":[{"path":"notes.txt","op":"write","match":"exact"}]}}\n' \
	    "${line%\}}" "$R" "$head" "$i" "$(git -C "$R" rev-parse "aas/C-1.c$i")"
done <"$T/three" >"$T/want"
cmp_file "$T/out" "$T/want" "three candidates: each on aas/C-1.c<k>"
is "$(git -C "$R" show aas/C-1.c1:notes.txt)$(git -C "$R" show aas/C-1.c2:notes.txt)$(git -C "$R" show aas/C-1.c3:notes.txt)" \
    "123" "three candidates: each its own edit"
is "$(git -C "$R" rev-parse -q --verify aas/C-1 || echo none)" "none" \
    "three candidates: no branch aas/C-1"
is "$(git -C "$R" log -1 --format=%B aas/C-1.c2)" "C-1: t

s

Aas-Task: C-1
Aas-Candidate: 2/3" "the commit message names the candidate"

mkin C-2 '[{"path":"notes.txt","op":"write","content":"x\n"}]' '{"candidate":{"k":4,"n":3}}'
m='candidate: expected {"k":K,"n":N} with 1 <= K <= N'
refused "k over n: bad_candidate" bad_candidate "$m"
mkin C-2 '[{"path":"notes.txt","op":"write","content":"x\n"}]' '{"candidate":{"k":"1","n":3}}'
check_run "k not a number: bad_candidate" 1 \
    "$(sed 's/}$//' "$T/in"),\"error\":{\"stage\":\"apply\",\"code\":\"bad_candidate\",\"message\":$(printf '%s' "$m" | jq -Rs .)}}" \
    "aas-apply: C-2: $m" -- aas-apply --repo "$R" <"$T/in"
mkin C-2 '[{"path":"notes.txt","op":"write","content":"x\n"}]' '{"candidate":{"k":1,"n":2}}'
check_run "--onto with a candidate: bad_candidate" 1 \
    "$(sed 's/}$//' "$T/in"),\"error\":{\"stage\":\"apply\",\"code\":\"bad_candidate\",\"message\":\"--onto stacks tasks: candidate 1 of C-2 needs a branch of its own\"}}" \
    "aas-apply: C-2: --onto stacks tasks: candidate 1 of C-2 needs a branch of its own" \
    -- aas-apply --repo "$R" --onto stack <"$T/in"
done_testing
