#!/bin/sh
# aas-plan --decompose: sub-tasks onto boards of both layouts (byte-exact
# boards and records), idempotence, and refusals that write nothing.
. "${AAS_SRC:-.}/tests/lib.sh"
D="$FIX/answers/decompose"
plan 32

rec() {	# rec ID ANSWER-FILE: one record with that answer
	jq -n -c --arg id "$1" --rawfile t "$D/$2" \
	    '{id: $id, response: {text: $t, finish_reason: "stop"}}'
}
cd "$T"
cp "$D"/table.md "$D"/table-cols.md "$D"/headings.md "$D"/crlf.md .

rec T-3 three.txt >in
check_run "table layout: three sub-tasks after T-3" 0 "$(cat "$D/table.out")" \
    "aas-plan: created T-3-1 T-3-2 T-3-3" -- aas-plan --decompose --board table.md <in
cmp_file table.md "$D/table.expected.md" "table layout: the board"
check_run "again: nothing new, the same records" 0 "$(cat "$D/table.out")" "" \
    -- aas-plan --decompose --board table.md <in
cmp_file table.md "$D/table.expected.md" "again: the board is unchanged"

rec G-1 cols-two.txt >in
check_run "table with Parent and Subtasks columns" 0 \
    "$(cat "$D/table-cols.out")" "aas-plan: created G-1-1 G-1-2" \
    -- aas-plan --decompose --board table-cols.md <in
cmp_file table-cols.md "$D/table-cols.expected.md" "table columns: the board"

rec H-2 heading-two.txt >in
check_run "heading layout: blocks with Parent, Depends and body" 0 \
    "$(cat "$D/headings.out")" "aas-plan: created H-2-1 H-2-2" \
    -- aas-plan --decompose --board headings.md <in
cmp_file headings.md "$D/headings.expected.md" "heading layout: the board"
check_run "heading layout again: nothing new" 0 "$(cat "$D/headings.out")" "" \
    -- aas-plan --decompose --board headings.md <in
cmp_file headings.md "$D/headings.expected.md" "heading layout again: unchanged"

rec C-1 crlf-one.txt >in
check_run "CRLF board" 0 "$(cat "$D/crlf.out")" "aas-plan: created C-1-1" \
    -- aas-plan --decompose --board crlf.md <in
cmp_file crlf.md "$D/crlf.expected.md" "CRLF board: CRLF kept"

# refusals: an error record, exit 1, the board not touched
cp "$D/table.md" table.md
refuse() {	# refuse ANSWER CODE MESSAGE
	rec T-3 "$1" >in
	run aas-plan --decompose --board table.md <in
	is "$rc:$(jq -c .error "$T/out"):$(cat "$T/err")" \
	    "1:{\"stage\":\"plan\",\"code\":\"$2\",\"message\":\"$3\"}:aas-plan: T-3: $3" \
	    "$1: $2"
	cmp_file table.md "$D/table.md" "$1: nothing written"
}
refuse cycle.txt cycle "sub-tasks depend on each other in a cycle: 1 -> 3 -> 2 -> 1"
refuse range.txt unknown_dep "sub-task 1 depends on sub-task 4, of 1"
refuse unknown-id.txt unknown_dep "sub-task 1 depends on NOPE-9, which is not on the board"
refuse self.txt cycle "sub-task 2 depends on itself"
refuse on-parent.txt cycle "sub-task 1 depends on its parent T-3"
refuse dup.txt dup_title "sub-tasks 1 and 2 have the same title"

printf 'plan:\n  max_subtasks: 2\n' >max.yml
rec T-3 three-plain.txt >in
run aas-plan --decompose --board table.md -c max.yml <in
is "$rc:$(jq -r .error.code "$T/out")" "1:too_many" "plan.max_subtasks: too_many"
cmp_file table.md "$D/table.md" "too_many: nothing written"

rec T-99 three-plain.txt >in
run aas-plan --decompose --board table.md <in
is "$rc:$(jq -r .error.code "$T/out")" "1:unknown_id" "a parent not on the board"

# default board: ACTIVE_TASKS.md at the repository root, or config board
mkdir -p repo/.git repo/sub
cp "$D/table.md" repo/ACTIVE_TASKS.md
rec T-3 three-plain.txt >in
(cd repo/sub && aas-plan --decompose <../../in >../../out 2>../../err)
is "$?:$(cat err):$(jq -r .id out | tr '\n' ' ')" \
    "0:aas-plan: created T-3-1 T-3-2 T-3-3:T-3-1 T-3-2 T-3-3 " \
    "default board ACTIVE_TASKS.md at the repository root"
mv repo/ACTIVE_TASKS.md repo/tasks.md
printf 'board: tasks.md\n' >repo/.aas.yml
printf '%s\n' '{"id":"T-3","response":{"text":"{\"subtasks\":[{\"title\":\"A\"},{\"title\":\"D\"}]}"}}' >in
(cd repo && aas-plan --decompose <../in >../out 2>../err)
is "$?:$(cat err):$(jq -r .id out | tr '\n' ' ')" \
    "0:aas-plan: created T-3-4:T-3-1 T-3-4 " \
    "config board; an existing title maps to its child, a new one is added"

# two goals decomposed at the same time on one board: both kept
cp "$D/headings.md" a.md
cp "$D/headings.md" seq.md
printf '%s\n' '{"id":"H-1","response":{"text":"{\"subtasks\":[{\"title\":\"X\"}]}"}}' >in1
printf '%s\n' '{"id":"H-3","response":{"text":"{\"subtasks\":[{\"title\":\"Y\"}]}"}}' >in3
aas-plan -q --decompose --board seq.md <in1 >/dev/null
aas-plan -q --decompose --board seq.md <in3 >/dev/null
i=0
while [ $i -lt 5 ]; do
	cp "$D/headings.md" a.md
	aas-plan -q --decompose --board a.md <in1 >/dev/null &
	aas-plan -q --decompose --board a.md <in3 >/dev/null
	wait
	cmp -s a.md seq.md || break
	i=$((i + 1))
done
is "$i" 5 "concurrent decompositions of two goals: neither is lost"

# records without a response pass through
printf '%s\n' '{"id":"T-3","note":1}' >in
check_run "no response: unchanged" 0 '{"id":"T-3","note":1}' "" \
    -- aas-plan --decompose --board table.md <in
check_run "--board without --decompose" 2 "" \
"aas-plan: --board needs --decompose
usage: aas-plan [-qv] [--require-tests] [--max-file-bytes N] [-c FILE] [--state DIR]
       aas-plan --decompose [-qv] [--board FILE] [-c FILE] [--state DIR]" \
    -- aas-plan --board x.md
done_testing
