#!/bin/sh
# aas-apply: --onto stacking, --undo, two processes at once, kill -9 with
# no lock left behind, the STOP file.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 18

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
snap "$R" >"$T/snap.before"
head=$(git -C "$R" rev-parse HEAD)

# --onto: each task's commit on top of the previous one
mkin O-1 '[{"path":"notes.txt","op":"write","content":"one\n"}]'; cp "$T/in" "$T/stack"
mkin O-2 '[{"path":"notes.txt","op":"replace","search":"one\n","replace":"one\ntwo\n"}]'; cat "$T/in" >>"$T/stack"
mkin O-3 '[{"path":"notes.txt","op":"patch","diff":"@@ -2 +2,2 @@\n two\n+three\n"}]'; cat "$T/in" >>"$T/stack"
run aas-apply --repo "$R" --onto stack <"$T/stack"
c1=$(git -C "$R" rev-parse stack~2) c2=$(git -C "$R" rev-parse stack~1) c3=$(git -C "$R" rev-parse stack)
i=0
while read -r line; do
	i=$((i + 1))
	case $i in
	1) b=$head c=$c1 f='{"path":"notes.txt","op":"write","match":"exact"}' cr=true ;;
	2) b=$c1 c=$c2 f='{"path":"notes.txt","op":"replace","match":"exact"}' cr=false ;;
	3) b=$c2 c=$c3 f='{"path":"notes.txt","op":"patch","match":"exact"}' cr=false ;;
	esac
	printf '%s,"apply":{"repo":"%s","base":"%s","branch":"stack","commit":"%s","files":[%s],"onto":true,"created":%s}}\n' \
	    "${line%\}}" "$R" "$b" "$c" "$f" "$cr"
done <"$T/stack" >"$T/stack.want"
is "$rc" 0 "--onto: exit 0"
cmp_file "$T/out" "$T/stack.want" "--onto: records name the stacked commits"
is "$(git -C "$R" show stack:notes.txt | tr '\n' ' ')" "one two three " \
    "--onto: edits build on each other"
is "$(git -C "$R" rev-parse stack~3)" "$head" "--onto: stack starts at the base"
cp "$T/out" "$T/stack.out"

# --undo, last first: the stack unwinds, then the branch goes
tac "$T/stack.out" >"$T/undo.in"
sed 's/}}$/,"undone":true}}/' "$T/undo.in" >"$T/undo.want"
run aas-apply --repo "$R" --undo <"$T/undo.in"
is "$rc" 0 "--undo stack: exit 0"
cmp_file "$T/out" "$T/undo.want" "--undo stack: records marked undone"
is "$(git -C "$R" rev-parse -q --verify stack || echo gone)" "gone" \
    "--undo stack: branch deleted"

# --undo leaves a branch that moved since
mkin U-1 '[{"path":"main.c","op":"write","content":"u\n"}]'
aas-apply --repo "$R" <"$T/in" >"$T/u1"
c=$(jq -r .apply.commit "$T/u1")
git -C "$R" branch -f aas/U-1 "$head"
in=$(cat "$T/u1")
check_run "--undo refuses a moved branch" 1 \
    "${in%\}},\"error\":{\"stage\":\"apply\",\"code\":\"branch_moved\",\"message\":\"branch aas/U-1 no longer points at $(echo "$c" | cut -c1-12): left alone\"}}" \
    "aas-apply: U-1: branch aas/U-1 no longer points at $(echo "$c" | cut -c1-12): left alone" -- \
    aas-apply --repo "$R" --undo <"$T/u1"
is "$(git -C "$R" rev-parse aas/U-1)" "$head" "moved branch left alone"

# two processes on one repository at once
n=0
while [ $n -lt 60 ]; do
	n=$((n + 1))
	mkin "P-$n" "[{\"path\":\"c/$n.txt\",\"op\":\"write\",\"content\":\"$n\\n\"},{\"path\":\"main.c\",\"op\":\"replace\",\"search\":\"return a;\",\"replace\":\"return $n;\"}]"
	if [ $((n % 2)) = 0 ]; then cat "$T/in" >>"$T/even"; else cat "$T/in" >>"$T/odd"; fi
done
aas-apply --repo "$R" <"$T/even" >"$T/even.out" 2>&1 & p1=$!
aas-apply --repo "$R" <"$T/odd" >"$T/odd.out" 2>&1 & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
is "$r1:$r2:$(git -C "$R" for-each-ref 'refs/heads/aas/P-*' | wc -l)" "0:0:60" \
    "two processes at once: both succeed, 60 branches"
bad=0
n=0
while [ $n -lt 60 ]; do
	n=$((n + 1))
	[ "$(git -C "$R" show "aas/P-$n:c/$n.txt")" = "$n" ] || bad=$((bad + 1))
done
is "$bad" 0 "two processes at once: every commit has its own edit"

# kill -9 in the middle: a re-run (--force) finishes the job, clearing a
# ref lock the killed run may have left, and leaves no lock behind
n=0
: >"$T/many"
while [ $n -lt 600 ]; do
	n=$((n + 1))
	printf '{"id":"K-%d","plan":{"edits":[{"path":"k/%d","op":"write","content":"%d\\n"}]}}\n' $n $n $n
done >"$T/many"
# k.out exists before the job starts: the loop below never reads a file
# the background redirection has not created yet (and so never kills at
# time zero unnoticed)
: >"$T/k.out"
aas-apply --repo "$R" <"$T/many" >"$T/k.out" 2>/dev/null & pk=$!
while [ "$(wc -l <"$T/k.out")" -lt 50 ] && kill -0 $pk 2>/dev/null; do :; done
kill -9 $pk 2>/dev/null
wait $pk 2>/dev/null; st=$?
kn=$(wc -l <"$T/k.out")
is "$st:$([ "$kn" -ge 50 ] && [ "$kn" -lt 600 ] && echo mid-run)" "137:mid-run" \
    "kill -9 landed mid-run ($kn of 600 records out)"
run aas-apply --repo "$R" --force <"$T/many"
is "$rc:$(wc -l <"$T/out"):$(git -C "$R" for-each-ref 'refs/heads/aas/K-*' | wc -l)" \
    "0:600:600" "kill -9: re-run completes every task"
is "$(find "$R/.git" -name '*.lock' -o -name aas-ref-update | wc -l)" 0 \
    "kill -9: no lock file left after the re-run"
is "$(git -C "$R" fsck --connectivity-only 2>&1 | grep -c -v '^dangling')" 0 \
    "kill -9: repository consistent"

# STOP: nothing read, exit 75
mkdir -p "$R/.aas" && touch "$R/.aas/STOP"
check_run "STOP file" 75 "" "aas-apply: stopped: STOP file $R/.aas/STOP" \
    -- aas-apply --repo "$R" <"$T/many"
rm -f "$R/.aas/STOP"
rmdir "$R/.aas"
# with --repo, $AAS_STATE still comes before the repository's .aas
mkdir -p "$T/st" && touch "$T/st/STOP"
wd=$(pwd) && cd / && export AAS_STATE="$T/st"
check_run "STOP file in \$AAS_STATE, with --repo" 75 "" \
    "aas-apply: stopped: STOP file $T/st/STOP" -- \
    aas-apply --repo "$R" <"$T/many"
unset AAS_STATE && cd "$wd" && rm -r "$T/st"

snap "$R" >"$T/snap.after"
cmp_file "$T/snap.after" "$T/snap.before" \
    "work tree, index, HEAD and status unchanged"
done_testing
