#!/bin/sh
# aas-qa --integrate: a task that passed moves the integration branch by
# compare-and-swap: a fast-forward when it was built on the tip, a merge
# of its change (libgit2, in memory) when another task landed meanwhile,
# merge_conflict with the hunks when the two clash; two aas-qa processes
# racing both land; the checkout, index and HEAD are never touched.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 27

mkdir -p "$T/src"
seq 1 12 | sed 's/^/line /' >"$T/src/lines.txt"
git_repo "$T/r" "$T/src/lines.txt"
R=$(cd "$T/r" && pwd -P)
head=$(git -C "$R" rev-parse HEAD)
snap "$R" >"$T/snap.before"
cd "$T" || exit 1
printf 'qa:\n  builtin: false\n  checks:\n    - name: lines\n      run: test -f lines.txt\n' >qa.yml
QA="aas-qa -q -c $T/qa.yml --state $T/state"
AP="aas-apply -q --repo $R -c $T/qa.yml --state $T/state"

# replace ID OLD NEW: a plan record replacing one line of lines.txt
replace() {
	mkin "$1" "[{\"path\":\"lines.txt\",\"op\":\"replace\",\"search\":\"$2\\n\",\"replace\":\"$3\\n\"}]"
	cat "$T/in"
}

# one wave: A-1 and A-2 both applied on the same tip, compatible places
{ replace A-1 "line 2" "line two"; replace A-2 "line 11" "line eleven"; } >wave1
$AP --integrate <wave1 >wave1.ap
is "$(jq -r '[.apply.base, .apply.integration] | join(" ")' wave1.ap | sort -u)" \
    "$head aas/integration" "apply --integrate: both built on the tip"
is "$(git -C "$R" rev-parse aas/integration)" "$head" \
    "apply --integrate: the branch made at the base"
c1=$(jq -r 'select(.id == "A-1") | .apply.commit' wave1.ap)
c2=$(jq -r 'select(.id == "A-2") | .apply.commit' wave1.ap)

jq -c 'select(.id == "A-1")' wave1.ap >a1.ap
run $QA --integrate <a1.ap
is "$rc $(jq -c .qa.integrated "$T/out")" \
    "0 {\"branch\":\"aas/integration\",\"commit\":\"$c1\",\"merged\":false}" \
    "first to land: a fast-forward to its commit"
is "$(git -C "$R" rev-parse aas/integration)" "$c1" "the branch is its commit"

jq -c 'select(.id == "A-2")' wave1.ap >a2.ap
run $QA --integrate <a2.ap
m=$(git -C "$R" rev-parse aas/integration)
is "$rc $(jq -c .qa.integrated "$T/out")" \
    "0 {\"branch\":\"aas/integration\",\"commit\":\"$m\",\"merged\":true}" \
    "second: merged onto the new tip"
is "$(git -C "$R" rev-parse "$m^1") $(git -C "$R" rev-list --count "$m")" \
    "$c1 3" "the merge is one commit whose parent is the tip"
is "$(git -C "$R" show aas/integration:lines.txt | sed -n '2p;11p' | tr '\n' '|')" \
    "line two|line eleven|" "both changes are on the branch"
is "$(git -C "$R" log -1 --format='%an|%s' "$m")" "Test User|A-2: t" \
    "the merge keeps the task's author and message"
is "$(git -C "$R" rev-parse aas/A-1 aas/A-2 | tr '\n' ' ')" "$c1 $c2 " \
    "the task branches stay as they were"
is "$(jq -c 'del(.qa)' "$T/out")" "$(cat a2.ap)" "the record: every other key as it was"
is "$(jq -c '.qa | [.ok, (.checks | map(.name)), (keys | contains(["integrated"]))]' "$T/out")" \
    '[true,["lines"],true]' "the record: qa with the checks and integrated"

# the same record again: already in the branch, nothing moves
run $QA --integrate <a2.ap
is "$rc $(jq -c .qa.integrated "$T/out") $(git -C "$R" rev-parse aas/integration)" \
    "0 {\"branch\":\"aas/integration\",\"commit\":\"$m\",\"merged\":true} $m" \
    "landing the same change again moves nothing"
run $QA --integrate <a1.ap
is "$rc $(jq -c .qa.integrated "$T/out")" \
    "0 {\"branch\":\"aas/integration\",\"commit\":\"$m\",\"merged\":false}" \
    "a commit already in the history: the tip, no merge"

# conflicting places: B-1 and B-2 both change line 6
tip=$m
{ replace B-1 "line 6" "line six"; replace B-2 "line 6" "line VI"; } >wave2
$AP --integrate <wave2 >wave2.ap
jq -c 'select(.id == "B-1")' wave2.ap >b1.ap
jq -c 'select(.id == "B-2")' wave2.ap >b2.ap
run $QA --integrate <b1.ap
is "$rc $(jq -c .qa.integrated.merged "$T/out")" "0 false" "B-1 lands"
tip=$(git -C "$R" rev-parse aas/integration)
cb2=$(jq -r .apply.commit b2.ap)
hunks='@@ line 6 @@
<<<<<<< aas/integration
line six
||||||| base
line 6
=======
line VI
>>>>>>> aas/B-2'
run aas-qa -c "$T/qa.yml" --state "$T/state" --integrate <b2.ap
is "$rc" 1 "merge_conflict: exit 1"
is "$(jq -c '.error | [.stage, .code, .message]' "$T/out")" \
    '["qa","merge_conflict","merging onto aas/integration conflicts in lines.txt"]' \
    "merge_conflict: stage, code, message"
is "$(jq -c '.error.data | [.branch, .tip, (.files | map(.path))]' "$T/out")" \
    "[\"aas/integration\",\"$tip\",[\"lines.txt\"]]" "error.data: branch, tip, files"
is "$(jq -r '.error.data.files[0].hunks' "$T/out")" "$hunks" \
    "error.data: the conflicting hunk with its three sides"
is "$(jq -c '[.qa.ok, has("qa"), (.qa | has("integrated"))]' "$T/out")" \
    "[true,true,false]" "the checks passed; nothing integrated"
is "$(sed 's/in [0-9.]*s$/in Ns/' "$T/err")" "aas-qa: B-2: merging onto aas/integration conflicts in lines.txt
aas-qa: 0 passed, 1 failed, 0 skipped in Ns" \
    "one stderr line"
is "$(git -C "$R" rev-parse aas/integration aas/B-2 | tr '\n' ' ')" "$tip $cb2 " \
    "the branch stays; the task's branch stays for review"

# a long conflict is capped
big=$(seq 1 3000 | sed 's/^/x/' | tr '\n' '#' | sed 's/#/\\n/g')
mkin C-1 "[{\"path\":\"lines.txt\",\"op\":\"replace\",\"search\":\"line 9\\n\",\"replace\":\"$big\"}]"
cp "$T/in" c1.in
mkin C-2 "[{\"path\":\"lines.txt\",\"op\":\"replace\",\"search\":\"line 9\\n\",\"replace\":\"nine\\n\"}]"
cat "$T/in" >>c1.in
$AP --integrate <c1.in >c.ap
jq -c 'select(.id == "C-2")' c.ap | $QA --integrate >/dev/null
run $QA --integrate <c.ap
h=$(jq -r 'select(.id == "C-1") | .error.data.files[0].hunks' "$T/out")
n=$(printf '%s\n' "$h" | wc -c)
is "$([ "$n" -le 4096 ] && [ "$n" -gt 4000 ] && echo capped) $(printf '%s\n' "$h" | sed -n '1p;$p' | tr '\n' '|')" \
    "capped @@ line 9 @@|(cut)|" "hunks capped at 4096 bytes"

# a file both add; a file one deletes and the other changes
mkin G-0 '[{"path":"gone.txt","op":"write","content":"x\n"}]'
$AP --integrate <"$T/in" | $QA --integrate >/dev/null
{ mkin N-1 '[{"path":"new.txt","op":"write","content":"one\n"}]'; cat "$T/in"
  mkin N-2 '[{"path":"new.txt","op":"write","content":"two\n"}]'; cat "$T/in"
  mkin G-1 '[{"path":"gone.txt","op":"delete"}]'; cat "$T/in"
  mkin G-2 '[{"path":"gone.txt","op":"write","content":"y\n"}]'; cat "$T/in"; } >n.in
$AP --integrate <n.in >n.ap
run $QA --integrate <n.ap
is "$rc $(jq -c 'select(.error) | [.id, .error.data.files]' "$T/out" | tr '\n' ' ')" \
    '1 ["N-2",[{"path":"new.txt","hunks":"@@ line 1 @@\n<<<<<<< aas/integration\none\n|||||||\n=======\ntwo\n>>>>>>> aas/N-2\n"}]] ["G-2",[{"path":"gone.txt","hunks":"deleted on aas/integration, changed by aas/G-2\n"}]] ' \
    "both add a file; one deletes what the other changes: the conflicts say so"

# two aas-qa processes racing: every task lands
: >race
for i in 1 2 3 4 5 6 7 8; do
	mkin "R-$i" "[{\"path\":\"f$i.txt\",\"op\":\"write\",\"content\":\"$i\\n\"}]"
	cat "$T/in" >>race
done
$AP --integrate <race >race.ap
head -n 4 race.ap >race1
tail -n 4 race.ap >race2
$QA --integrate -j 2 <race1 >race1.out 2>race1.err & p1=$!
$QA --integrate -j 2 <race2 >race2.out 2>race2.err & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
is "$r1 $r2 $(cat race1.out race2.out | jq -r 'select(.qa.integrated) | .id' | sort | tr '\n' ' ')" \
    "0 0 R-1 R-2 R-3 R-4 R-5 R-6 R-7 R-8 " "racing: both processes land all their tasks"
is "$(git -C "$R" ls-tree --name-only aas/integration | grep '^f' | tr '\n' ' ')" \
    "f1.txt f2.txt f3.txt f4.txt f5.txt f6.txt f7.txt f8.txt " \
    "racing: every file on the integration branch"
ok=0
for i in 1 2 3 4 5 6 7 8; do
	[ "$(git -C "$R" show "aas/integration:f$i.txt")" = "$i" ] || ok=1
done
ok $ok "racing: each file with its task's content"

snap "$R" >"$T/snap.after"
cmp_file "$T/snap.after" "$T/snap.before" \
    "checkout, index and HEAD untouched"
