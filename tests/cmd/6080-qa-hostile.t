#!/bin/sh
# aas-qa built-in checks against hostile trees: Python never imports from
# the tree it checks, the C check keeps host files out of the tail and
# has a memory limit, the YAML check bounds its nesting.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
for t in cc python3; do
	command -v $t >/dev/null || skip_all "$t is not installed"
done
plan 12

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"
: >empty.yml

# Modules python3 -m py_compile would import from the worktree if it
# were first on sys.path: each writes a marker outside the worktree.
hostile() {
	printf 'import os\nopen("%s/pwned-%s", "w").write("ran")\n' "$T" "$1"
}
qa_task P-1 py_compile.py "$(hostile py_compile)" argparse.py \
    "$(hostile argparse)" traceback.py "$(hostile traceback)" \
    good.py 'print("hi")
' >in
run aas-qa -q -c empty.yml $S <in
is "$(jq -c '.qa.checks[] | [.name, .cmd, .ok, .exit, .tail]' out)" \
    '["syntax-python","python3 -I -m py_compile FILE...",true,0,""]' \
    "python: the check passes"
is "$(ls "$T" | grep pwned)" "" "python: no module of the tree ran"
qa_task P-2 bad.py 'def f(:
' py_compile.py "$(hostile py_compile)" >in
run aas-qa -q -c empty.yml $S <in
is "$(jq -r '.qa.checks[0] | [.ok, .exit, (.tail | test("SyntaxError"))] | @text' out)" \
    '[false,1,true]' "python: a bad file still fails, by the real py_compile"

# C: a header outside the worktree and /usr withholds the output.
W="a header outside the worktree and /usr was included"
qa_task C-1 a.c 'int x;
#include "/etc/passwd"
' >in
run aas-qa -q -c empty.yml $S <in
is "$(jq -c '.qa.checks[] | [.name, .ok, .exit, .tail]' out)" \
    "[\"syntax-c\",false,1,\"$W: /etc/passwd: compiler output withheld\\n\"]" \
    "c: #include of /etc/passwd: output withheld"

qa_task C-2 b.c 'int y;
#include "../../../../../../../../../etc/hostname"
' >in
run aas-qa -q -c empty.yml $S <in
is "$(jq -c '.qa.checks[0] | [.ok, .tail]' out)" \
    "[false,\"$W: ./../../../../../../../../../etc/hostname: compiler output withheld\\n\"]" \
    "c: a climbing #include: output withheld"

# A link in the tree to a host file, included by a plain name; and a
# computed include.
git -C repo worktree add -q -b aas/C-3 "$T/wt3" "$BASE"
ln -s /etc/passwd "$T/wt3/pw.h"
printf '#include "pw.h"\n' >"$T/wt3/c.c"
printf '#define P "/etc/group"\n#include P\n' >"$T/wt3/d.c"
git -C "$T/wt3" add -A
git -C "$T/wt3" commit -q -m c3
C=$(git -C "$T/wt3" rev-parse HEAD)
printf '{"id":"C-3","apply":{"repo":"%s","commit":"%s","files":[{"path":"c.c","op":"write"}]}}\n{"id":"C-4","apply":{"repo":"%s","commit":"%s","files":[{"path":"d.c","op":"write"}]}}\n' \
    "$T/repo" "$C" "$T/repo" "$C" >in
run aas-qa -q --keep-order -c empty.yml $S <in
is "$(jq -c '.qa.checks[0] | [.ok, .tail]' out)" \
    "[false,\"$W: ./pw.h: compiler output withheld\\n\"]
[false,\"$W: /etc/group: compiler output withheld\\n\"]" \
    "c: a link to a host file, a computed include: output withheld"
is "$(grep -c 'root:' out)" 0 "c: no line of a host file in any record"

# /dev/zero: the compiler meets the memory limit instead of taking 4 GiB.
qa_task C-5 z.c '#include "/dev/zero"
' >in
run aas-qa -q -c empty.yml $S <in
is "$(jq -r '.qa.checks[0] | [.ok, .exit] | @text' out)" '[false,1]' \
    "c: /dev/zero fails"
is "$(jq -r '.qa.checks[0].tail' out | sed 's/ [0-9][0-9]* / N /g')" \
    "
cc1: out of memory allocating N bytes after a total of N bytes" \
    "c: /dev/zero: out of memory under the limit"

# Headers of the tree and of the system are fine; -H lines are not kept.
qa_task C-6 inc/x.h 'int f(void);
' e.c '#include <stdio.h>
#include "inc/x.h"
int g(void) { return f() }
' >in
run aas-qa -q -c empty.yml $S <in
is "$(jq -r '.qa.checks[0].tail' out)" "./e.c: In function 'g':
./e.c:3:25: error: expected ';' before '}' token
    3 | int g(void) { return f() }
      |                         ^~
      |                         ;" "c: system and tree headers: the diagnostics, no header list"

# YAML: nesting is bounded, so 250,000 levels fail at once.
awk 'BEGIN { for (i = 0; i < 250000; i++) printf "["; print "" }' >deep
qa_task Y-1 deep.yml "$(cat deep)" ok.yml "$(awk 'BEGIN {
    for (i = 0; i < 1000; i++) printf "["; for (i = 0; i < 1000; i++) printf "]";
    print "" }')" >in
run aas-qa -q -c empty.yml $S <in
is "$(jq -c '.qa.checks[] | [.name, .ok, .exit, .tail]' out)" \
    '["syntax-yaml",false,1,"deep.yml:1:1001: nesting deeper than 1000 levels\n"]' \
    "yaml: 250,000 levels refused at level 1001; 1000 levels pass"
is "$(jq -r '.error.message' out)" "check syntax-yaml failed: exit 1" \
    "yaml: the task fails"

done_testing
