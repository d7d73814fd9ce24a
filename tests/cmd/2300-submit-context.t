#!/bin/sh
# aas-submit: the files in a prompt come from the tree the task will be
# applied to (--base REV, default HEAD; --integrate: the integration
# branch's tip), never the working tree; a task that names no files gets
# a map of the repository (with ctags, and without: a plain list) and the
# files its title and body mention; request.prompt_bytes.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 17
mkdir -p "$T/src/lib" "$T/src/tools"
printf 'int\nadd(int a, int b)\n{\n\treturn a + b;\n}\n' >"$T/src/lib/calc.c"
printf 'int add(int, int);\n' >"$T/src/lib/calc.h"
printf 'def main():\n    pass\n' >"$T/src/tools/gen.py"
printf 'all:\n\ttrue\n' >"$T/src/Makefile"
git_repo "$T/repo" "$T/src/lib" "$T/src/tools" "$T/src/Makefile"
cd "$T/repo" || exit 1
printf '.aas/\n' >.git/info/exclude
head=$(git rev-parse HEAD)
# an uncommitted line in the checkout
printf '/* uncommitted */\n' >>lib/calc.c

# task ID TITLE BODY [FILES]: a task record
task() {
	if [ -n "${4:-}" ]; then f="{\"Files\":\"$4\"}"; else f='{}'; fi
	jq -nc --arg id "$1" --arg t "$2" --arg b "$3" --argjson f "$f" \
	    '{id: $id, title: $t, status: "Queued", body: $b, deps: [], fields: $f}'
}
# prompt FILE: the user message of each line of a --jsonl file
prompt() { jq -j '.body.messages[1].content' "$1"; }

check_run "--base and --integrate exclude each other" 2 "" \
"aas-submit: --base and --integrate exclude each other
$(aas-submit --help)" -- aas-submit --base HEAD --integrate
check_run "--base: a revision that is no commit" 2 "" \
    "aas-submit: --base: nope: not a commit" -- aas-submit --dry-run --base nope </dev/null

# a task with Files: the file as committed, not as in the checkout
task C-1 "Fix add" "Make add saturate." "lib/calc.c" >in1
run aas-submit -q --jsonl "$T/b1.jsonl" <in1
is "$rc" 0 "--jsonl: exit 0"
prompt "$T/b1.jsonl" >got1
cat >want1 <<'EOF2'
Task C-1: Fix add
Depends on: none

Make add saturate.

Files:
--- lib/calc.c ---
int
add(int a, int b)
{
	return a + b;
}
EOF2
cmp_file got1 want1 "Files: as in HEAD; the uncommitted line is not there"
is "$(jq -r .request.prompt_bytes "$T/out")" \
    "$(jq -j '.body.messages | map(.content) | join("")' "$T/b1.jsonl" | wc -c)" \
    "request.prompt_bytes: the bytes of the messages"

# --base REV: another commit's tree
git worktree add -q -b feature "$T/wt" "$head"
printf 'int\nadd(int a, int b)\n{\n\treturn b + a;\n}\n' >"$T/wt/lib/calc.c"
git -C "$T/wt" commit -q -am feature
git worktree remove "$T/wt"
run aas-submit -q --jsonl "$T/b2.jsonl" --base feature <in1
is "$rc $(prompt "$T/b2.jsonl" | sed -n '11p')" "0 	return b + a;" \
    "--base feature: the file as on that branch"

# --integrate: the integration tip, or the base when it does not exist
run aas-submit -q --jsonl "$T/b3.jsonl" --integrate <in1
is "$rc $(prompt "$T/b3.jsonl" | sed -n '11p')" "0 	return a + b;" \
    "--integrate, no branch yet: the base"
git worktree add -q -b aas/integration "$T/wt" "$head"
printf 'int\nadd(int a, int b)\n{\n\treturn a + b + 0;\n}\n' >"$T/wt/lib/calc.c"
git -C "$T/wt" commit -q -am landed
git worktree remove "$T/wt"
run aas-submit -q --jsonl "$T/b4.jsonl" --integrate <in1
is "$rc $(prompt "$T/b4.jsonl" | sed -n '11p')" "0 	return a + b + 0;" \
    "--integrate: the file as on the integration tip"
printf 'integration_branch: feature\n' >.aas.yml
run aas-submit -q --jsonl "$T/b5.jsonl" --integrate <in1
is "$rc $(prompt "$T/b5.jsonl" | sed -n '11p')" "0 	return b + a;" \
    "--integrate: integration_branch from the config"
rm .aas.yml

# no Files: the map (paths and definitions), and the files mentioned
task M-1 "Document the build" "Say what the Makefile does." >in2
run aas-submit -q --jsonl "$T/b6.jsonl" <in2
prompt "$T/b6.jsonl" >got6
cat >want6 <<'EOF2'
Task M-1: Document the build
Depends on: none

Say what the Makefile does.

Files:
--- Makefile ---
all:
	true

Repository map (paths and top-level definitions):
Makefile
lib/calc.c: add
lib/calc.h: add
tools/gen.py: main
EOF2
if command -v ctags >/dev/null 2>&1; then
	cmp_file got6 want6 "no Files: the file mentioned, the map with ctags"
else
	ok 0 "# SKIP ctags is not installed"
fi
# without ctags on PATH: the plain file list
PATH="$AAS_BUILD/bin" "$AAS_BUILD/bin/aas-submit" -q --jsonl "$T/b7.jsonl" <in2 >/dev/null
is "$?" 0 "PATH without ctags: exit 0"
prompt "$T/b7.jsonl" >got7
sed '12,$s/: .*//' want6 >want7
cmp_file got7 want7 "PATH without ctags: the map is the file list"

# nothing mentioned, nothing named: (none) and the map
task M-2 "Tidy up" "Make it nicer." >in3
run aas-submit -q --jsonl "$T/b8.jsonl" <in3
is "$(prompt "$T/b8.jsonl" | sed -n '6,9p')" "Files:
(none)

Repository map (paths and top-level definitions):" "nothing mentioned: (none), then the map"
is "$(prompt "$T/b8.jsonl" | grep -c uncommitted)" 0 "the map read no work-tree file"

# the budget: context.map_budget
printf 'context:\n  map_budget: 9\n' >.aas.yml
run aas-submit -q --jsonl "$T/b9.jsonl" <in3
is "$(prompt "$T/b9.jsonl" | sed -n '9,$p')" "Repository map (paths and top-level definitions):
Makefile
(3 more files)" "context.map_budget caps the map"
printf 'context:\n  map_budget: 0\n' >.aas.yml
run aas-submit -q --jsonl "$T/b10.jsonl" <in3
is "$(prompt "$T/b10.jsonl" | sed -n '6,$p')" "Files:
(none)" "context.map_budget 0: no map"
rm .aas.yml

# a task naming a file and mentioning another: only the named one
task M-3 "Touch calc.h" "Also see tools/gen.py." "lib/calc.h" >in4
run aas-submit -q --jsonl "$T/b11.jsonl" <in4
is "$(prompt "$T/b11.jsonl" | sed -n '6,$p')" "Files:
--- lib/calc.h ---
int add(int, int);" "Files named: those only, no map"
