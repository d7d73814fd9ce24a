#!/bin/sh
# aas-plan: a record that already has a plan passes byte for byte, in both
# modes, even when its response would plan differently (aas-plan(1)).
. "${AAS_SRC:-.}/tests/lib.sh"
plan 4

sr='```python\n### a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n'
# a plan that is not what the response gives, keys and spacing of its own
old='{"summary":"kept", "format":"whole","edits":[{"path":"b.py","op":"write","content":"y = 0.10\n"}],"tests":[]}'
printf '%s\n' "{\"id\":\"A-1\", \"n\":0.10,\"response\":{\"text\":\"$sr\",\"finish_reason\":\"stop\"},\"plan\":$old}" \
    "{\"id\":\"A-2\",\"plan\":$old}" \
    "{\"id\":\"A-3\",\"response\":{\"text\":\"\",\"finish_reason\":\"length\"},\"plan\":$old}" >"$T/in"
check_run "planned records: untouched, not re-planned" 0 "$(cat "$T/in")" "" \
    -- aas-plan <"$T/in"
check_run "-v: no progress line for a planned record" 0 "$(cat "$T/in")" "" \
    -- aas-plan -v <"$T/in"

# the first round's output through a second aas-plan: the same bytes
printf '%s\n' "{\"id\":\"A-4\",\"response\":{\"text\":\"$sr\",\"finish_reason\":\"stop\"}}" >"$T/r1"
aas-plan <"$T/r1" >"$T/r1.out"
check_run "round two: a planned record crosses aas-plan byte for byte" 0 \
    "$(cat "$T/r1.out")" "" -- aas-plan <"$T/r1.out"

# --decompose: a record with a plan is not a goal to split
printf '| ID | Title | Status |\n|----|-------|--------|\n| A-1 | t | Todo |\n' >"$T/board.md"
cp "$T/board.md" "$T/board.before"
sed -n 1p "$T/in" >"$T/d"
run aas-plan --decompose --board "$T/board.md" <"$T/d"
is "$rc:$(cmp -s "$T/out" "$T/d" && echo same):$(cmp -s "$T/board.md" "$T/board.before" && echo same)" \
    "0:same:same" "--decompose: a planned record passes, the board is unchanged"
done_testing
