#!/bin/sh
# Candidates through the stages: three answers to one task go through
# aas-plan | aas-apply | aas-qa --pick; the good one lands on aas/<id>,
# the candidate branches are gone, one record comes out; a second round
# passes it byte for byte.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 5

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"
cat >qa.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: good
      run: test ! -e bad.txt
YML
branches() { git -C repo branch --list 'aas/*' --format='%(refname:short)' | tr '\n' ' '; }
answer() {	# answer K FILE: candidate K of 3, an answer that writes FILE
	sr="\`\`\`\\n### $2\\n<<<<<<< SEARCH\\n=======\\nx\\n>>>>>>> REPLACE\\n\`\`\`\\n"
	printf '{"id":"Z-1","title":"t","candidate":{"k":%d,"n":3},"response":{"text":"%s","finish_reason":"stop"}}\n' "$1" "$sr"
}
{ answer 3 bad.txt; answer 1 bad.txt; answer 2 ok.txt; } >in
(cd repo && aas-plan -q | aas-apply -q | aas-qa -q -j 2 --pick -c ../qa.yml $S) <in >out
is "$(grep -c . out)" 1 "one record for three candidates"
is "$(jq -c '[.apply.branch, .error, [.candidates[] | [.k, .ok, .branch]]]' out)" \
    '["aas/Z-1",null,[[1,false,"aas/Z-1.c1"],[2,true,"aas/Z-1.c2"],[3,false,"aas/Z-1.c3"]]]' \
    "the good one wins, every outcome in candidate order"
is "$(branches)" "aas/Z-1 " "the candidate branches are gone"
is "$(git -C repo show aas/Z-1:ok.txt):$(git -C repo log -1 --format=%B aas/Z-1 | grep Aas-Candidate)" \
    "x:Aas-Candidate: 2/3" "aas/Z-1 is the winning candidate's commit"
cp out r1
(cd repo && aas-plan -q | aas-apply -q | aas-qa -q --pick --rollback -c ../qa.yml $S) <r1 >out
cmp_file out r1 "round two: the picked record byte for byte"
done_testing
