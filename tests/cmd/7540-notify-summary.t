#!/bin/sh
# aas-notify --summary: the Markdown job summary of a fixed run, byte for
# byte (a fixed clock through AAS_NOW); --summary alone appends to
# GITHUB_STEP_SUMMARY; the 1 MiB cut and its note; the option's mistakes;
# a summary that cannot be written.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 18
cd "$T"
R="$FIX/report"
export AAS_NOW=1796148000	# 2026-12-01T18:00:00Z
U="usage: aas-notify --board[=FILE] [-qv] [--status STATUS] [--config FILE] [--state DIR] [FILE]"
BAD="aas-notify: stdin:5: '[' or '{' expected near 'not' at column 3"

# the records go on as they came, each with its notify key; the bad
# line as its error record
F=$(printf '\357\277\275')
sed 's/}$/,"notify":{"targets":[]}}/' "$R/run.ndjson" |
    sed '5s/.*/{"error":{"stage":"input","code":"bad_json","message":"'"'"'['"'"' or '"'"'{'"'"' expected near '"'"'not'"'"' at column 3"},"raw":"not json '"$F$F"' at all"}/' \
    >want.out
run aas-notify --summary=s.md <"$R/run.ndjson"
is "$rc:$(cat err)" "1:$BAD" "a fixed run: exit 1 (a bad line), its one message"
cmp_file out want.out "every record passed on, the notify key added"
cmp_file s.md "$R/summary.md" "the summary, byte for byte"

# what the summary says, in the words a reader looks for
grep -q '^## aas run: 1 done, 3 failed, 2 left$' s.md
ok $? "the headline counts done, failed and left"
grep -q '| \*\*T-1\*\* Add the parser | .* | \$0.0000456 |' s.md
ok $? "a small cost keeps its digits (\$0.0000456, not 0.0000)"
grep -q '^| \*\*Total\*\* | | 9 | | 23,320 + 4,234 | \$0.06807 | |$' s.md
ok $? "the total: attempts, tokens and cost over every attempt"

# GITHUB_STEP_SUMMARY: appended to, never replaced
printf '# an earlier step\n\n' >gh.md
cat gh.md "$R/summary.md" >want.md
GITHUB_STEP_SUMMARY="$T/gh.md" run aas-notify --summary <"$R/run.ndjson"
is "$rc:$(cat err)" "1:$BAD" "--summary with GITHUB_STEP_SUMMARY set"
cmp_file gh.md want.md "the summary appended to GITHUB_STEP_SUMMARY"
GITHUB_STEP_SUMMARY="$T/gh.md" run aas-notify --summary=own.md \
    <"$R/run.ndjson"
cmp_file gh.md want.md "--summary=FILE leaves GITHUB_STEP_SUMMARY alone"

# the option's mistakes: exit 2 before any record
unset GITHUB_STEP_SUMMARY
check_run "--summary without a FILE or GITHUB_STEP_SUMMARY" 2 "" \
"aas-notify: --summary without a FILE and GITHUB_STEP_SUMMARY is not set
$U" -- aas-notify --summary <"$R/run.ndjson"
check_run "--summary FILE (a space, not '=')" 2 "" \
"aas-notify: --summary takes its file after '=': --summary=s2.md
$U" -- aas-notify --summary s2.md <"$R/run.ndjson"
ok $([ ! -e s2.md ] && echo 0 || echo 1) "nothing written after a usage error"

# a summary that cannot be written: the records still go on, exit 1
check_run "an unwritable summary: one message, exit 1" 1 \
    '{"id":"X-1","qa":{"ok":true},"notify":{"targets":[]}}' \
    "aas-notify: --summary: $T/no/s.md: cannot create temporary file: No such file or directory" \
    -- aas-notify --summary="$T/no/s.md" <<'IN'
{"id":"X-1","qa":{"ok":true}}
IN

# a stop: the summary of what came through, saying it stopped
mkdir -p st/.aas && touch st/.aas/STOP
cd st
run aas-notify --state .aas --summary=s.md <"$R/run.ndjson"
cd "$T"
is "$rc:$(cat out)" "75:" "the STOP file: exit 75, no record"
printf '%s\n' "## aas run: 0 done, 0 failed, 0 left" "" \
    "**0 tasks** · **\$0.00** spent · no checks ran · 2026-12-01 18:00 UTC" "" \
    "> **Stopped early:** the records not yet read are not in this summary." \
    "" >want.md
cmp_file st/s.md want.md "the summary says the run stopped early"

# over 1 MiB: task rows and failures are cut, and a note says how many
awk 'BEGIN {
	t = "x"; for (i = 0; i < 12; i++) t = t t	# 4096 bytes
	for (i = 1; i <= 400; i++)
		printf "{\"id\":\"B-%d\",\"qa\":{\"ok\":false,\"checks\":[{\"name\":\"tests\",\"ok\":false,\"exit\":1,\"ms\":5,\"tail\":\"%s\"}]}}\n", i, t
}' >big.ndjson
run aas-notify --summary=big.md <big.ndjson
size=$(wc -c <big.md)
ok $([ "$rc" = 0 ] && [ "$size" -le 1048576 ] && [ "$size" -gt 1000000 ] &&
    echo 0 || echo 1) "400 failures of 4 KiB: cut to $size bytes, under 1 MiB"
is "$(tail -2 big.md)" "> **Cut to stay under 1 MiB** (GitHub's job summary limit): 0 of 400 task rows and 157 of 400 failures are not shown." "the note at the end: how many rows and failures are left out"
is "$(grep -c '^| \*\*B-' big.md):$(grep -c '^<details>' big.md)" "400:243" \
    "every row kept; the failures that fit"
done_testing
