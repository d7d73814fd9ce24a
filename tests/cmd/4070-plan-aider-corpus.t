#!/bin/sh
# The aider corpus ($SHARED/corpus/aider/answers.jsonl): each real answer
# through aas-plan | aas-apply against a repository of its "before" files,
# the branch's files compared with the files of the commit aider made.
# Outcome per case: "exact" (every expected file equal), "different"
# (committed, some file differs), "refused:CODE" (an error record).  The
# table below says the outcome of every case and, for each one that is not
# "exact", why: a flag of the case (the answer alone does not give the
# commit) or what the answer got wrong.  At the end: at least 90% of the
# cases without flags exact, and none of them committed different.
. "${AAS_SRC:-.}/tests/lib.sh"
C="$SHARED/corpus/aider/answers.jsonl"
[ -f "$C" ] || skip_all "no corpus at $C"
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=T GIT_COMMITTER_NAME=T \
    GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_EMAIL=t@example.invalid

# case outcome why (why: only where the outcome is not exact)
cat >"$T/table" <<'TABLE'
097a9ebf2 refused:no_match multi-turn: the search text is the file as an earlier turn of the chat left it, not as the case's files have it
44afdeff2 refused:path_protected the answer edits .github/workflows/release.yml, which aas refuses unless the task's Files field names it
743179a4b refused:no_match multi-turn: the search text quotes lines an earlier turn added
99be34fb6 refused:ambiguous the hunk is one context line that is in the file 20 times; aider's commit added the two lines before every one of them
4825808f8 refused:no_match the search text is a stray fence line (```) that is not in the file; aider took it for an empty search and appended
198110593 different trailing-whitespace: the commit keeps a trailing blank (line 882) that the answer's replacement line does not have
4bbeb9de6 different lint-before: the commit has a blank line after the first import (aider's linter) that the answer does not write
25e44f584 different blank-line-runs, lint-before: the commit has two blank lines before def wrap_fence where the answer has one
71ddb2799 different trailing-whitespace: the commit keeps trailing blanks on lines the answer rewrote without them
TABLE
n=$(wc -l <"$C")
plan $((n + 2))

k=0 clean=0 clean_exact=0 clean_diff=0
while IFS= read -r line; do
	k=$((k + 1))
	d="$T/c$k"
	mkdir -p "$d/r"
	printf '%s\n' "$line" >"$d/case.json"
	name=$(jq -r .case "$d/case.json")
	flags=$(jq -r '.flags | join(",")' "$d/case.json")
	jq -r '.files | keys[]' "$d/case.json" >"$d/paths"
	while IFS= read -r p; do
		mkdir -p "$d/r/$(dirname "$p")"
		jq -j --arg p "$p" '.files[$p]' "$d/case.json" >"$d/r/$p"
	done <"$d/paths"
	git -C "$d/r" init -q -b main
	git -C "$d/r" add -A
	git -C "$d/r" commit -q --allow-empty -m base
	jq -c '{id: "C-1", response: {text: .answer, finish_reason: "stop"}}' \
	    "$d/case.json" | aas-plan -q >"$d/plan"
	aas-apply -q --repo "$d/r" <"$d/plan" >"$d/apply"
	code=$(jq -r '.error.code // ""' "$d/apply")
	if [ -n "$code" ]; then
		got="refused:$code"
	else
		got=exact
		jq -r '.expected | keys[]' "$d/case.json" >"$d/exp"
		while IFS= read -r p; do
			if [ "$(jq -r --arg p "$p" '.expected[$p] == null' \
			    "$d/case.json")" = true ]; then
				git -C "$d/r" cat-file -e "aas/C-1:$p" \
				    2>/dev/null && got=different
				continue
			fi
			jq -j --arg p "$p" '.expected[$p]' "$d/case.json" >"$d/want"
			git -C "$d/r" show "aas/C-1:$p" >"$d/got" 2>/dev/null ||
			    got=different
			cmp -s "$d/got" "$d/want" || got=different
		done <"$d/exp"
	fi
	row=$(grep "^$name " "$T/table")
	want=${row#"$name "}
	want=${want%% *}
	[ -n "$row" ] || want=exact
	why=${row#"$name $want"}
	is "$got" "$want" "$name${flags:+ [$flags]}: $got${why:+ (${why# })}"
	if [ -z "$flags" ]; then
		clean=$((clean + 1))
		[ "$got" = exact ] && clean_exact=$((clean_exact + 1))
		[ "$got" = different ] && clean_diff=$((clean_diff + 1))
	fi
done <"$C"
echo "# cases without flags: $clean, exact: $clean_exact, different: $clean_diff"
ok $((clean_exact * 10 < clean * 9)) "at least 90% of the cases without flags are exact ($clean_exact of $clean)"
is "$clean_diff" 0 "no case without flags is committed different from aider's commit"
done_testing
