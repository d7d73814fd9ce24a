#!/bin/sh
# aas-apply: a SEARCH block with nothing to find makes a new file; over a
# file that exists with other text it is refused (empty_search), never a
# whole-file write that throws the file away.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 5

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
snap "$R" >"$T/snap.before"
n=$(wc -l <"$R/main.c")

answer() {	# answer ID PATH TEXT: one empty SEARCH block through aas-plan
	jq -nc --arg id "$1" --arg t "$(printf '%s\n```\n<<<<<<< SEARCH\n=======\n%s\n>>>>>>> REPLACE\n```\n' "$2" "$3")" \
	    '{id: $id, title: "t", response: {text: $t}}' | aas-plan >"$T/in"
}

answer E-1 main.c 'int added(void);'
refused "over a file that exists" empty_search \
    "main.c: a SEARCH block with nothing to find makes a new file, but main.c exists ($n lines): search for the text the new lines go after"
is "$(git -C "$R" for-each-ref 'refs/heads/aas/E-1' | wc -l)" 0 \
    "no branch for the refused task"

answer E-2 src/fresh.c 'int fresh(void);'
applied "a new file" E-2 '[{"path":"src/fresh.c","op":"write","match":"exact"}]' ""

snap "$R" >"$T/snap.after"
cmp_file "$T/snap.after" "$T/snap.before" "work tree, index, HEAD unchanged"
done_testing
