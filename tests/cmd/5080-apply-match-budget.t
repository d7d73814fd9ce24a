#!/bin/sh
# aas-apply: the matcher's work budget.  A long hunk against a file of one
# repeated line costs file lines times hunk lines; past the budget the
# task fails with match_too_costly instead of running for minutes.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 4

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
yes x | head -100000 >"$R/same.txt"
git -C "$R" add same.txt
git -C "$R" commit -q -m "a file of one repeated line"

ctx=$(yes ' x' | head -2001 | tr '\n' '|')
mkin B-1 "$(jq -nc --arg c "$ctx" '[{path: "same.txt", op: "patch",
    diff: ("@@ -1,2002 +1,2002 @@\n" + ($c | gsub("\\|"; "\n")) + "-q\n+y\n")}]')"
refused "a hunk too costly to place" match_too_costly \
    "same.txt: hunk 1 (@@ -1,2002 +1,2002 @@): matching gave up after 200000851 line comparisons (the limit for one edit is 200000000)"

# the same hunk where it fits, on a file of distinct lines, still applies
seq 1 100000 >"$R/lines.txt"
git -C "$R" add lines.txt
git -C "$R" commit -q -m "a file of distinct lines"
ctx=$(seq 97001 100000 | sed 's/^/ /' | tr '\n' '|')
mkin B-2 "$(jq -nc --arg c "$ctx" '[{path: "lines.txt", op: "patch",
    diff: ("@@ -97001,3000 +97001,3001 @@\n" + ($c | gsub("\\|"; "\n")) + "+end\n")}]')"
applied "a 3,000-line hunk in 100,000 distinct lines" B-2 \
    '[{"path":"lines.txt","op":"patch","match":"exact"}]' ""
is "$(show B-2 lines.txt | tail -2 | tr '\n' ' ')" "100000 end " \
    "the line added at the end"
done_testing
