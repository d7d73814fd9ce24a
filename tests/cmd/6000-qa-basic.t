#!/bin/sh
# aas-qa: options, config errors, pass, fail, pass-through, environment,
# no injection through task data, when, advisory checks, --keep, --tmp.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 26

U='usage: aas-qa [-qv] [-j N] [--keep-order] [--shard I/N] [--rollback] [--pick] [--fail-fast] [--keep] [--tmp] [--sandbox] [--no-builtin] [--integrate] [-c FILE] [--state DIR]'
check_run "--help" 0 "$U" "" -- aas-qa --help
check_run "--version" 0 "aas-qa 0.1.0" "" -- aas-qa --version
check_run "bad option" 2 "" "aas-qa: unknown option --nope
$U" -- aas-qa --nope
check_run "bad -j" 2 "" "aas-qa: -j: expected a number from 1 to 1024: 0
$U" -- aas-qa -j 0
check_run "operand" 2 "" "aas-qa: unexpected operand: x
$U" -- aas-qa x

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"

cat >bad.yml <<'YML'
qa:
  checks:
    - name: build
      run: make
      timeout: soon
YML
check_run "config: bad timeout names file:line" 2 "" \
    "aas-qa: bad.yml:5:16: qa.checks.0.timeout: expected a number, not 'soon'" \
    -- aas-qa -c bad.yml $S </dev/null
printf 'qa:\n  checks:\n    - name: x\n' >bad2.yml
check_run "config: a check without a command" 2 "" \
    "aas-qa: bad2.yml:3:7: qa.checks.0: a check needs either run or argv" \
    -- aas-qa -c bad2.yml $S </dev/null
printf 'qa:\n  checks:\n    - name: x\n      run: exit 0\n      colour: red\n' >bad3.yml
check_run "config: unknown key" 2 "" \
    "aas-qa: bad3.yml:5:7: qa.checks.0.colour: unknown key" \
    -- aas-qa -c bad3.yml $S </dev/null

cat >qa.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: found
      run: test -f x.txt && echo found
YML
R1=$(qa_task T-1 x.txt hello)
QA1='"qa":{"ok":true,"checks":[{"name":"found","cmd":"test -f x.txt && echo found","required":true,"ok":true,"exit":0,"signal":0,"ms":N,"bytes":6,"tail":"found\n"}]}'
printf '%s\n' "$R1" >in
qa_check "pass" 0 "${R1%\}},$QA1}" "aas-qa: 1 passed, 0 failed, 0 skipped in Ns" \
    -- aas-qa -c qa.yml $S <in
is "$(ls "$T/state/qa")" "" "worktree removed"
qa_check "pass -v: a line for the task" 0 "${R1%\}},$QA1}" "aas-qa: T-1: passed
aas-qa: 1 passed, 0 failed, 0 skipped in Ns" -- aas-qa -v -c qa.yml $S <in
is "$(git -C repo status --porcelain; git -C repo symbolic-ref HEAD)" \
    "refs/heads/main" "user's checkout untouched"

R2=$(qa_task T-2 y.txt hello)
QA2='"qa":{"ok":false,"checks":[{"name":"found","cmd":"test -f x.txt && echo found","required":true,"ok":false,"exit":1,"signal":0,"ms":N,"bytes":0,"tail":""}]}'
ERR2='"error":{"stage":"qa","code":"qa_failed","message":"check found failed: exit 1"}'
printf '%s\n' "$R2" >in
qa_check "fail: qa, error, one stderr line" 1 "${R2%\}},$QA2,$ERR2}" \
    "aas-qa: T-2: check found failed: exit 1
aas-qa: 0 passed, 1 failed, 0 skipped in Ns" -- aas-qa -c qa.yml $S <in
qa_check "fail -q: silent" 1 "${R2%\}},$QA2,$ERR2}" "" \
    -- aas-qa -q -c qa.yml $S <in

# Records without apply, with an error, or not JSON pass through.
cat >in <<'IN'
{"id":"A-1", "n": 0.1, "n": 12345678901234567890123}
{"id":"A-2","apply":{"repo":"/nonexistent","commit":"00"},"error":{"stage":"apply","code":"x","message":"m"}}
not json
IN
qa_check "pass-through byte for byte, bad JSON made an error record" 1 \
    '{"id":"A-1", "n": 0.1, "n": 12345678901234567890123}
{"id":"A-2","apply":{"repo":"/nonexistent","commit":"00"},"error":{"stage":"apply","code":"x","message":"m"}}
{"error":{"stage":"input","code":"bad_json","message":"'"'"'['"'"' or '"'"'{'"'"' expected near '"'"'not'"'"' at column 3"},"raw":"not json"}' \
    "aas-qa: stdin:3: '[' or '{' expected near 'not' at column 3
aas-qa: 0 passed, 0 failed, 0 skipped in Ns" -- aas-qa -c qa.yml $S <in

# Task data only in the environment: an id full of shell syntax.
cat >env.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: env
      run: |
        printf '%s\n' "$AAS_ID" "$AAS_TITLE" "$AAS_BRANCH" "$AAS_FILES"
        [ "$AAS_COMMIT" = "$(cat "$T/commit")" ] && echo commit-ok
        [ "$AAS_BASE" = "$(cat "$T/base")" ] && echo base-ok
        [ "$AAS_REPO" = "$T/repo" ] && echo repo-ok
        [ "$PWD" = "$AAS_WORKTREE" ] && echo cwd-ok
        [ "$AAS_CHECK" = env ] && echo check-ok
        echo "key=${OPENAI_API_KEY-unset}"
        git rev-parse --show-toplevel 2>/dev/null || echo no-repo-above
YML
export T
ID='$(touch pwned); `touch pwned2`; '"'"'x"y'
R3=$(QA_ID=$ID qa_task T-3 'sub dir/a b.txt' hi "-x.txt" hi)
cp last_commit commit
printf '%s\n' "$BASE" >base
printf '%s\n' "$R3" >in
OPENAI_API_KEY=sk-secret-test-key run aas-qa -c env.yml $S <in
is "$rc" 0 "injection: exit 0"
is "$(jq -r '.qa.checks[0].tail' out)" "$ID
task $ID
aas/T-3
sub dir/a b.txt
-x.txt

commit-ok
base-ok
repo-ok
cwd-ok
check-ok
key=unset
no-repo-above" "injection: data arrives verbatim, secrets and the outer repository do not"
is "$(find "$T" -name 'pwned*' | wc -l | tr -d ' ')" 0 "injection: nothing ran"

# when: a check runs only for matching changed files.
cat >when.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: c-only
      run: echo ran
      when: ["*.c", "Makefile"]
    - name: advisory
      run: exit 3
      required: false
YML
R4=$(qa_task T-4 doc/readme.txt hi)
printf '%s\n' "$R4" >in
qa_check "when: skipped; advisory failure keeps ok" 0 \
    "${R4%\}},\"qa\":{\"ok\":true,\"checks\":[{\"name\":\"c-only\",\"cmd\":\"echo ran\",\"required\":true,\"ok\":true,\"skipped\":true,\"reason\":\"no changed file matches\"},{\"name\":\"advisory\",\"cmd\":\"exit 3\",\"required\":false,\"ok\":false,\"exit\":3,\"signal\":0,\"ms\":N,\"bytes\":0,\"tail\":\"\"}]}}" \
    "aas-qa: 1 passed, 0 failed, 0 skipped in Ns" -- aas-qa -c when.yml $S <in
R5=$(qa_task T-5 src/deep/Makefile hi)
printf '%s\n' "$R5" >in
run aas-qa -c when.yml $S <in
is "$(jq -c '[.qa.checks[0].tail, .qa.checks[0].skipped]' out)" '["ran\n",null]' \
    "when: a pattern without / matches the last component"

# argv checks run without a shell.
printf 'qa:\n  builtin: false\n  checks:\n    - name: argv\n      argv: [printf, "%%s|", "$HOME", "a b"]\n' >argv.yml
printf '%s\n' "$R1" >in
run aas-qa -c argv.yml $S <in
is "$(jq -r '.qa.checks[0] | .cmd + " => " + .tail' out)" 'printf %s| $HOME a b => $HOME|a b|' "argv: no shell, no expansion"

# A check that cannot start: exit 127 and the reason.
printf 'qa:\n  builtin: false\n  checks:\n    - name: nope\n      argv: [aas-no-such-tool]\n' >nope.yml
run aas-qa -c nope.yml $S <in
is "$(jq -c '.qa.checks[0] | [.ok, .exit, .tail]' out)" \
    '[false,127,"cannot run aas-no-such-tool: No such file or directory"]' \
    "missing program: exit 127"

# --keep: the worktree stays, its path in qa.worktree and on stderr.
run aas-qa --keep -c qa.yml $S <in
W=$(jq -r .qa.worktree out)
qa_norm "$T/err"
is "$(cat err)" "aas-qa: T-1: worktree kept: $W
aas-qa: 1 passed, 0 failed, 0 skipped in Ns" "--keep: path on stderr"
case $W in "$T/state/qa/T-1."??????) r=0 ;; *) r=1 ;; esac
ok $r "--keep: under the state folder's qa/"
is "$(cat "$W/x.txt")" "hello" "--keep: the tree is there"

# --tmp: under $TMPDIR instead.
mkdir "$T/tmpdir"
TMPDIR="$T/tmpdir" run aas-qa --tmp --keep -q -c qa.yml $S <in
case $(jq -r .qa.worktree out) in "$T/tmpdir/T-1."??????) r=0 ;; *) r=1 ;; esac
ok $r "--tmp: under \$TMPDIR"

done_testing
