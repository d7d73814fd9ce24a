#!/bin/sh
# aas-qa built-in syntax checks: C, Python, shell, JavaScript (external
# tools, when installed), JSON and YAML (in process).
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
for t in cc python3 sh node; do
	command -v $t >/dev/null || skip_all "$t is not installed"
done
plan 12

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"
: >empty.yml

qa_task G-1 src/good.c 'int f(void) { return 1; }
' good.py 'print("hi")
' tools/good.sh 'for x in a b; do echo "$x"; done
' good.js 'const f = (x) => x + 1;
' data/good.json '{"a": [1, 2.5, null]}
' ci.yml 'base: &b {x: 1}
job: *b
---
second: doc
' >in
run aas-qa -c empty.yml $S <in
is "$(jq -c '[.qa.ok, [.qa.checks[] | [.name, .ok, .exit]]]' out)" \
    '[true,[["syntax-c",true,0],["syntax-python",true,0],["syntax-sh",true,0],["syntax-js",true,0],["syntax-json",true,0],["syntax-yaml",true,0]]]' \
    "good files: every built-in ran and passed"
is "$(jq -c '[.qa.checks[].cmd]' out)" \
    '["cc -fsyntax-only -H -I. FILE...","python3 -I -m py_compile FILE...","sh -n FILE","node --check FILE","(built-in JSON parser)","(built-in YAML parser)"]' \
    "built-in commands named"

qa_task B-1 bad.c 'int f(void) { return 1 }
' bad.py 'def f(:
' bad.sh 'if then fi
' bad.js 'const = 1;
' bad.json '{"a": }
' bad.yaml 'a: [1, 2
' >in
run aas-qa -c empty.yml $S <in
is "$(jq -c '[.qa.ok, [.qa.checks[] | [.name, .ok, .exit]]]' out)" \
    '[false,[["syntax-c",false,1],["syntax-python",false,1],["syntax-sh",false,1],["syntax-js",false,1],["syntax-json",false,1],["syntax-yaml",false,1]]]' \
    "bad files: every built-in failed"
is "$(jq -r '[.qa.checks[0:4][] | .tail | test("bad\\.(c|py|sh|js)")] | all' out)" "true" \
    "external checkers name the file in their output"
is "$(jq -r '.qa.checks[4].tail, .qa.checks[5].tail' out)" \
    "bad.json:1:7: unexpected token near '}'

bad.yaml:2:1: did not find expected ',' or ']' while parsing a flow sequence" \
    "JSON and YAML errors with file:line:column"
is "$(sed 's/ in [0-9.]*s$//' err)" "aas-qa: B-1: check syntax-c failed: exit 1
aas-qa: 0 passed, 1 failed, 0 skipped" "one stderr line for the task"

# Deleted files and links are not checked.
qa_task D-1 link.c 'x' >in
git -C repo worktree add -q -b aas/D-2 "$T/wt2" "$BASE"
ln -s /etc/passwd "$T/wt2/pw.json"
git -C "$T/wt2" rm -q ok.c
git -C "$T/wt2" add -A
git -C "$T/wt2" commit -q -m d2
C=$(git -C "$T/wt2" rev-parse HEAD)
printf '{"id":"D-2","apply":{"repo":"%s","commit":"%s","files":[{"path":"ok.c","op":"delete"},{"path":"pw.json","op":"write"}]}}\n' "$T/repo" "$C" >in
run aas-qa -q -c empty.yml $S <in
is "$(jq -c '.qa' out)" '{"ok":true,"checks":[]}' "deleted files and links are not checked"

# A missing tool: the check is recorded as skipped, silently.
mkdir bin
ln -s "$(command -v sh)" bin/sh
qa_task N-1 a.js 'const = 1;
' >in
run env PATH="$T/bin" "$AAS_BUILD/bin/aas-qa" -q -c empty.yml $S <in
is "$(jq -c '.qa' out)" '{"ok":true,"checks":[{"name":"syntax-js","cmd":"node --check FILE","required":true,"ok":true,"skipped":true,"reason":"node not found"}]}' \
    "missing node: skipped"
is "$(cat err)" "" "missing node: nothing on stderr"

# Turned off by --no-builtin or qa.builtin: false.
qa_task B-2 bad.c 'int f(void) { return 1 }
' >in
run aas-qa -q --no-builtin -c empty.yml $S <in
is "$(jq -c '.qa' out)" '{"ok":true,"checks":[]}' "--no-builtin"
printf 'qa:\n  builtin: false\n' >off.yml
run aas-qa -q -c off.yml $S <in
is "$(jq -c '.qa' out)" '{"ok":true,"checks":[]}' "qa.builtin: false"
printf 'qa:\n  builtin: maybe\n' >bad.yml
check_run "qa.builtin: not a boolean" 2 "" \
    "aas-qa: bad.yml:2:12: qa.builtin: expected true or false, not a string" -- aas-qa -c bad.yml $S <in

done_testing
