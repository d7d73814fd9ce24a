#!/bin/sh
# aas-qa -j N: tasks at once, completion order or --keep-order; --fail-fast;
# the next task's worktree made while the checks run.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 12

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"
export T
# J-1 waits for J-2 to finish: J-2 completes first, and only when both
# run at once does J-1 pass.
cat >wait.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: wait
      run: |
        if [ "$AAS_ID" = J-1 ]; then
            i=0
            while [ ! -e "$T/flag" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
            test -e "$T/flag"
        else
            touch "$T/flag"
        fi
YML
qa_task J-1 x.txt x >in
sed 's/"id":"J-1"/"id":"J-2"/' in >>in
# For completion order J-1 waits for J-2's record itself, in the output
# (records are flushed one by one): J-2 has then finished, however slow
# the rest of aas-qa is (under valgrind, say).
cat >wait-out.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: wait
      run: |
        if [ "$AAS_ID" = J-1 ]; then
            i=0
            while ! grep -q '"id":"J-2"' "$T/out" && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
            grep -q '"id":"J-2"' "$T/out"
        fi
YML

rm -f flag
run aas-qa -q -j 2 -c wait-out.yml $S <in
is "$(jq -r '.id + " " + (.qa.ok | tostring)' out | tr '\n' ' ')" \
    "J-2 true J-1 true " "-j 2: both at once, completion order"
rm -f flag
run aas-qa -q -j 2 --keep-order -c wait.yml $S <in
is "$(jq -r '.id + " " + (.qa.ok | tostring)' out | tr '\n' ' ')" \
    "J-1 true J-2 true " "-j 2 --keep-order: input order"
is "$rc" 0 "-j 2: exit 0"

# --keep-order with pass-through records among the checked ones
{ echo '{"id":"P-1"}'; sed -n 1p in; echo '{"id":"P-2"}'; sed -n 2p in; echo '{"id":"P-3"}'; } >in2
rm -f flag
run aas-qa -q -j 3 --keep-order -c wait.yml $S <in2
is "$(jq -r .id out | tr '\n' ' ')" "P-1 J-1 P-2 J-2 P-3 " "--keep-order: pass-through records keep their place"

# Many tasks, 4 at once: one line out per line in.
: >in3
i=1
while [ $i -le 20 ]; do sed "s/\"id\":\"J-1\"/\"id\":\"M-$i\"/" in >>in3; i=$((i + 1)); done
sed -i '/J-2/d' in3
printf 'qa:\n  builtin: false\n  checks:\n    - name: t\n      run: sleep 0.1\n' >t.yml
run aas-qa -q -j 4 -c t.yml $S <in3
is "$(jq -r 'select(.qa.ok) | .id' out | sort -t- -k2n | tr '\n' ' ')" \
    "$(i=1; while [ $i -le 20 ]; do printf 'M-%d ' $i; i=$((i + 1)); done)" \
    "-j 4: every task checked once"
run aas-qa -q -j 4 --keep-order -c t.yml $S <in3
is "$(jq -r .id out | tr '\n' ' ')" "$(jq -r .id in3 | tr '\n' ' ')" \
    "-j 4 --keep-order: input order"

# --fail-fast: after the first failure nothing new starts; the rest are
# marked skipped.
printf 'qa:\n  builtin: false\n  checks:\n    - name: t\n      run: test "$AAS_ID" != F-1\n' >ff.yml
for id in F-1 F-2 F-3; do sed "s/\"id\":\"J-1\"/\"id\":\"$id\"/" in | sed -n 1p; done >in4
echo '{"id":"P-9"}' >>in4
qa_check "--fail-fast: the rest skipped" 1 \
    "$(sed -n 1p in4 | sed 's/}$/,"qa":{"ok":false,"checks":[{"name":"t","cmd":"test \\"$AAS_ID\\" != F-1","required":true,"ok":false,"exit":1,"signal":0,"ms":N,"bytes":0,"tail":""}]},"error":{"stage":"qa","code":"qa_failed","message":"check t failed: exit 1"}}/')
$(sed -n 2,3p in4 | sed 's/}$/,"error":{"stage":"qa","code":"skipped","message":"not checked: --fail-fast after an earlier failure"}}/')
{\"id\":\"P-9\"}" \
    "aas-qa: F-1: check t failed: exit 1
aas-qa: F-2: not checked: --fail-fast after an earlier failure
aas-qa: F-3: not checked: --fail-fast after an earlier failure
aas-qa: 0 passed, 1 failed, 2 skipped in Ns" -- aas-qa --fail-fast -c ff.yml $S <in4
run aas-qa -q -c ff.yml $S <in4
is "$(jq -r '.qa.ok' out | tr '\n' ' ')" "false true true null " \
    "without --fail-fast all are checked"
is "$rc" 1 "without --fail-fast: exit 1"
is "$(ls state/qa | wc -l | tr -d ' ')" 0 "no worktree left behind"

# -j 1: while O-1's check runs, O-2's worktree is made (O-1 passes only
# when it sees a second one), and O-2's check starts after O-1's ends.
cat >ahead.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: ahead
      run: |
        if [ "$AAS_ID" = O-1 ]; then
            i=0
            while [ "$(ls "$T/state/qa" | wc -l)" -lt 2 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
            [ "$(ls "$T/state/qa" | wc -l)" -ge 2 ] && touch "$T/o1-done"
        else
            test -e "$T/o1-done"
        fi
YML
for id in O-1 O-2; do sed "s/\"id\":\"J-1\"/\"id\":\"$id\"/" in | sed -n 1p; done >in5
run aas-qa -q -c ahead.yml $S <in5
is "$rc:$(jq -c '[.id, .qa.ok]' out | tr '\n' ' ')" '0:["O-1",true] ["O-2",true] ' \
    "-j 1: the next worktree made while a check runs, checks one after the other"
is "$(ls state/qa | wc -l | tr -d ' ')" 0 "-j 1: none left behind"

done_testing
