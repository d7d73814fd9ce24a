#!/bin/sh
# aas-qa --pick --integrate: of a task's candidates only the winner lands
# on the integration branch (merged onto the tip when another task landed
# first); a task with no good candidate lands nothing.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 6

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
cand() {
	QA_ID=$1 qa_task "$1.c$2" "$4" x | jq -c ". + {candidate: {k: $2, n: $3}}"
	cp "$T/last_commit" "$T/c.$1.$2"
}
c() { cat "$T/c.$1.$2"; }

# another task lands first
qa_task O-1 other.txt o >o.in
aas-qa -q -c qa.yml $S --integrate <o.in >/dev/null
o1=$(git -C repo rev-parse aas/integration)

cand P-1 1 2 bad >in
cand P-1 2 2 ok.txt >>in
run aas-qa -q --pick --integrate -c qa.yml $S <in
tip=$(git -C repo rev-parse aas/integration)
is "$rc $(jq -c '[.apply.branch, .qa.integrated.branch, .qa.integrated.merged, (.qa.integrated.commit == "'"$tip"'")]' "$T/out")" \
    '0 ["aas/P-1","aas/integration",true,true]' "the winner lands, merged onto the tip"
is "$(git -C repo rev-parse "$tip^1")" "$o1" "its parent is the tip it was merged onto"
is "$(git -C repo ls-tree --name-only aas/integration | tr '\n' ' ')" \
    "data.json ok.c ok.txt other.txt " "the winner's file, not the bad candidate's"

cand N-1 1 2 bad >in
cand N-1 2 2 bad >>in
run aas-qa -q --pick --integrate -c qa.yml $S <in
is "$rc $(jq -c '[.error.code, (.qa | has("integrated"))]' "$T/out")" \
    '1 ["qa_failed",false]' "no good candidate: nothing integrated"
is "$(git -C repo rev-parse aas/integration)" "$tip" "no good candidate: the branch stays"

# two good: only the first in number order lands
cand G-1 1 2 g1.txt >in
cand G-1 2 2 g2.txt >>in
run aas-qa -q --pick --integrate -c qa.yml $S <in
is "$rc $(git -C repo ls-tree --name-only aas/integration | grep '^g' | tr '\n' ' ')" \
    "0 g1.txt " "two good: the winner lands, the other candidate does not"
