#!/bin/sh
# aas-qa --pick: per task the first candidate in number order that passes
# wins: its commit becomes aas/<id>, every aas/<id>.c<k> goes, one record
# per task comes out with every candidate's outcome; with none good the
# task fails with all of them; candidates of tasks interleave (-j); a task
# whose candidates do not all arrive fails at the end of the input.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 25

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
# cand ID K N FILE: candidate K of N of task ID, on aas/ID.cK, writing FILE
cand() {
	QA_ID=$1 qa_task "$1.c$2" "$4" x | jq -c ". + {candidate: {k: $2, n: $3}}"
	cp "$T/last_commit" "$T/c.$1.$2"
}
c() { cat "$T/c.$1.$2"; }
ok_entry() { printf '{"k":%d,"ok":true,"branch":"aas/%s.c%d","commit":"%s"}' "$2" "$1" "$2" "$(c "$1" "$2")"; }
bad_entry() { printf '{"k":%d,"ok":false,"branch":"aas/%s.c%d","commit":"%s","stage":"qa","code":"qa_failed","checks":["good"]}' "$2" "$1" "$2" "$(c "$1" "$2")"; }
QOK='"qa":{"ok":true,"checks":[{"name":"good","cmd":"test ! -e bad","required":true,"ok":true,"exit":0,"signal":0,"ms":N,"bytes":0,"tail":""}]}'
QBAD='"qa":{"ok":false,"checks":[{"name":"good","cmd":"test ! -e bad","required":true,"ok":false,"exit":1,"signal":0,"ms":N,"bytes":0,"tail":""}]},"error":{"stage":"qa","code":"qa_failed","message":"check good failed: exit 1"}'

# one good of three: the second
cand A-1 1 3 bad >in
cand A-1 2 3 ok.txt >>in
cand A-1 3 3 bad >>in
want=$(sed -n 2p in | sed -e 's/,"candidate":{"k":2,"n":3}}$//' -e 's/"branch":"aas\/A-1.c2"/"branch":"aas\/A-1"/')
qa_check "one good of three: the good one's record, all outcomes" 0 \
    "$want,$QOK,\"candidates\":[$(bad_entry A-1 1),$(ok_entry A-1 2),$(bad_entry A-1 3)]}" \
    "aas-qa: A-1: check good failed: exit 1
aas-qa: A-1: check good failed: exit 1
aas-qa: 1 passed, 2 failed, 0 skipped in Ns" -- aas-qa --pick -c qa.yml $S <in
is "$(branches)" "aas/A-1 " "one good of three: the candidate branches are gone"
is "$(git -C repo rev-parse aas/A-1)" "$(c A-1 2)" "one good of three: aas/A-1 is the winner's commit"

# two good: the first in number order wins, whatever the input order
cand B-1 2 2 ok.txt >in
cand B-1 1 2 ok2.txt >>in
run aas-qa -q --pick -j 2 -c qa.yml $S <in
is "$rc:$(jq -c '[.apply.branch, [.candidates[].ok], has("candidate")]' out)" \
    '0:["aas/B-1",[true,true],false]' "two good: one record, the outcomes in number order"
is "$(git -C repo rev-parse aas/B-1):$(branches)" "$(c B-1 1):aas/A-1 aas/B-1 " \
    "two good: candidate 1 wins, both candidate branches gone"

# none good: the first candidate's record, its own error, all outcomes
cand N-1 1 3 bad >in
cand N-1 2 3 bad >>in
cand N-1 3 3 bad >>in
want=$(sed -n 1p in | sed -e 's/,"candidate":{"k":1,"n":3}}$//')
qa_check "none good: the task fails with all three outcomes" 1 \
    "$want,$QBAD,\"candidates\":[$(bad_entry N-1 1),$(bad_entry N-1 2),$(bad_entry N-1 3)]}" \
    "aas-qa: N-1: check good failed: exit 1
aas-qa: N-1: check good failed: exit 1
aas-qa: N-1: check good failed: exit 1
aas-qa: N-1: none of 3 candidates passed
aas-qa: 0 passed, 3 failed, 0 skipped in Ns" -- aas-qa --keep-order --pick -c qa.yml $S <in
is "$(branches)" "aas/A-1 aas/B-1 " "none good: every candidate branch is gone"
is "$(git -C repo cat-file -t "$(c N-1 2)")" "commit" "none good: the commits stay in the repository"

# a candidate that failed earlier (no apply) joins as a failure
cand E-1 2 2 ok.txt >in
printf '%s\n' '{"id":"E-1","title":"task E-1","candidate":{"k":1,"n":2},"error":{"stage":"apply","code":"no_match","message":"m"}}' >>in
run aas-qa -q --pick -c qa.yml $S <in
is "$rc:$(jq -c '[.apply.branch, .candidates[0], .error]' out)" \
    '0:["aas/E-1",{"k":1,"ok":false,"branch":null,"commit":null,"stage":"apply","code":"no_match","checks":[]},null]' \
    "an errored candidate: an outcome with its stage and code"

# interleaved tasks, records without candidate among them, -j 3
cand I-1 1 2 bad >i1
cand I-1 2 2 ok.txt >i2
cand J-1 1 2 ok.txt >j1
cand J-1 2 2 bad >j2
qa_task P-1 ok.txt x >p1
qa_task P-2 bad x >p2
cat i2 j1 p1 i1 p2 j2 >in
run aas-qa -q --pick -j 3 -c qa.yml $S <in
is "$rc" 1 "interleaved: exit 1 (P-2 failed)"
is "$(jq -c '[.id, .apply.branch, .qa.ok, [(.candidates // [])[].ok]]' out | LC_ALL=C sort | tr '\n' ' ')" \
    '["I-1","aas/I-1",true,[false,true]] ["J-1","aas/J-1",true,[true,false]] ["P-1","aas/P-1",true,[]] ["P-2","aas/P-2",false,[]] ' \
    "interleaved: one record per task, each task's own winner"
is "$(branches)" "aas/A-1 aas/B-1 aas/E-1 aas/I-1 aas/J-1 aas/P-1 aas/P-2 " \
    "interleaved: candidate branches gone, plain records' branches kept"
is "$(grep -c . out)" 4 "interleaved: four records for six in"

# a task whose candidates do not all arrive fails at the end of the input
cand M-1 1 3 ok.txt >in
cand M-1 3 3 ok.txt >>in
run aas-qa -q --pick -c qa.yml $S <in
is "$rc:$(jq -c '[.error, [.candidates[].k], has("candidate")]' out)" \
    '1:[{"stage":"qa","code":"missing_candidates","message":"2 of 3 candidates arrived before the input ended (1, 3)"},[1,3],false]' \
    "missing candidates: failed at the end, with what arrived"
is "$(branches)" "aas/A-1 aas/B-1 aas/E-1 aas/I-1 aas/J-1 aas/P-1 aas/P-2 " \
    "missing candidates: no task branch made, candidate branches gone"

# the task's branch holds its failed attempt (history): replaced
git -C repo branch aas/H-1 "$(c A-1 1)"
h="{\"attempt\":1,\"stage\":\"qa\",\"code\":\"qa_failed\",\"message\":\"m\",\"checks\":[\"good\"],\"branch\":\"aas/H-1\",\"commit\":\"$(c A-1 1)\",\"model\":\"m\",\"usd\":0}"
cand H-1 1 1 ok.txt | jq -c ". + {attempt: 2, history: [$h]}" >in
run aas-qa -q --pick -c qa.yml $S <in
is "$rc:$(jq -c .apply.branch out):$(git -C repo rev-parse aas/H-1)" \
    "0:\"aas/H-1\":$(c H-1 1)" "history names the task branch's tip: replaced"
# ... but not one it does not name
git -C repo branch aas/G-1 "$BASE"
cand G-1 1 2 bad >in
cand G-1 2 2 ok.txt >>in
run aas-qa -q --pick -c qa.yml $S <in
is "$rc:$(jq -c '[.apply.branch, .error]' out)" \
    '1:["aas/G-1.c2",{"stage":"qa","code":"branch_exists","message":"branch aas/G-1 already exists: candidate 2 kept on aas/G-1.c2"}]' \
    "task branch exists: branch_exists, the winner kept on its branch"
is "$(git -C repo rev-parse aas/G-1):$(git -C repo rev-parse aas/G-1.c2):$(git -C repo rev-parse -q --verify aas/G-1.c1 || echo gone)" \
    "$BASE:$(c G-1 2):gone" "task branch exists: left alone, the loser's branch gone"
git -C repo branch -D -q aas/G-1.c2

# malformed candidates are refused one by one
cand K-1 1 2 ok.txt >in
sed 's/"k":1/"k":0/' in >bad0
qa_check "k 0: bad_candidate" 1 \
    "$(sed 's/}$//' bad0),\"error\":{\"stage\":\"qa\",\"code\":\"bad_candidate\",\"message\":\"candidate: expected an id and {\\\"k\\\":K,\\\"n\\\":N} with 1 <= K <= N\"}}" \
    "aas-qa: K-1: candidate: expected an id and {\"k\":K,\"n\":N} with 1 <= K <= N
aas-qa: 0 passed, 0 failed, 0 skipped in Ns" \
    -- aas-qa --pick -c qa.yml $S <bad0
cat in in >twice
run aas-qa -q --keep-order --pick -c qa.yml $S <twice
is "$rc:$(sed -n 1p out | jq -c .error):$(sed -n 2p out | jq -c .error.code)" \
    '1:{"stage":"qa","code":"bad_candidate","message":"candidate 1: a candidate number already seen"}:"missing_candidates"' \
    "a candidate number twice: the second refused, the task incomplete"
sed 's/"k":1,"n":2/"k":2,"n":3/' in >n3
cat in >>n3
run aas-qa -q --keep-order --pick -c qa.yml $S <n3
is "$rc:$(jq -c '[.error.code, .error.message]' out | tr '\n' ' ')" \
    '1:["bad_candidate","candidate 1: a candidate count that differs from the task'"'"'s other candidates"] ["missing_candidates","1 of 3 candidates arrived before the input ended (2)"] ' \
    "a count that differs: refused, the first one's count holds"
# without --pick a candidate is checked like any record
cand L-1 1 2 ok.txt >in
run aas-qa -q -c qa.yml $S <in
is "$rc:$(jq -c '[.apply.branch, .qa.ok, .candidate]' out)" '0:["aas/L-1.c1",true,{"k":1,"n":2}]' \
    "without --pick: a candidate is a record like any"
# a checked record passes --pick untouched
cp out checked
check_run "--pick: a checked record untouched" 0 "$(cat checked)" "" \
    -- aas-qa -q --pick -c qa.yml $S <checked

# stopped (the STOP file) with a task open: its candidates are written as
# they came, for a re-run to check (the one held, and the one set up next)
printf 'qa:\n  builtin: false\n  checks:\n    - name: stop\n      run: touch "$T/state/STOP"\n' >stop.yml
export T
cand S-1 1 2 ok.txt >in
cand S-1 2 2 ok.txt >>in
run aas-qa -q --pick -c stop.yml $S <in
is "$rc:$(sort out)" "75:$(sort in)" "stopped: the candidates written as they came"
rm -f state/STOP
run aas-qa -q --pick -c qa.yml $S <in
is "$rc:$(jq -c '[.apply.branch, [.candidates[].ok]]' out):$(branches | grep -c S-1)" \
    '0:["aas/S-1",[true,true]]:1' "stopped: a re-run picks"
done_testing
