#!/bin/sh
# Input caps: board_max_bytes (a larger board is refused, exit 2, nothing
# read or written) and max_record_bytes (a longer record line is an error
# record naming the line, with its id when it leads, and reading goes on
# after it), in the stdio reader (aas-plan) and the pipe reader
# (aas-notify).
. "${AAS_SRC:-.}/tests/lib.sh"

plan 10
git_repo "$T/repo"
cd "$T/repo" || exit 1
printf '## A-1: x\n- Status: Queued\n' >ACTIVE_TASKS.md	# 27 bytes
cp ACTIVE_TASKS.md want.md

printf 'board_max_bytes: 26\n' >.aas.yml
check_run "aas-scan: a board over the cap is refused" 2 "" \
    "aas-scan: ACTIVE_TASKS.md: the board is 27 bytes, over board_max_bytes (26)" \
    -- aas-scan --check
echo '{"id":"A-1","qa":{"ok":true}}' >in
check_run "aas-notify: refused before any record, exit 2" 2 "" \
    "aas-notify: ACTIVE_TASKS.md: the board is 27 bytes, over board_max_bytes (26)" \
    -- aas-notify --board <in
cmp_file ACTIVE_TASKS.md want.md "the board is left alone"
check_run "a board named on the command line too" 2 "" \
    "aas-notify: ACTIVE_TASKS.md: the board is 27 bytes, over board_max_bytes (26)" \
    -- aas-notify --board=ACTIVE_TASKS.md <in
printf 'board_max_bytes: 27\n' >.aas.yml
check_run "a board of exactly the cap is read" 0 "" "" -- aas-scan --check
printf 'board_max_bytes: 15\n' >.aas.yml
check_run "the cap's range" 2 "" \
    "aas-scan: $T/repo/.aas.yml:1:18: board_max_bytes: 15: out of range (16 to 4294967296)" \
    -- aas-scan --check

printf 'max_record_bytes: 40\n' >.aas.yml
pad=$(printf '%060d' 0)
{
	printf '{"id":"A-1","response":{"text":"%s"}}\n' "$pad"
	printf '{"id":"A-1","qa":{"ok":true}}\n'
	printf '{"pad":"%s","id":"A-1"}\n' "$pad"
} >in
E1='{"id":"A-1","error":{"stage":"input","code":"too_long","message":"stdin:1: a record of 95 bytes, over max_record_bytes (40): not read"}}'
E3='{"error":{"stage":"input","code":"too_long","message":"stdin:3: a record of 81 bytes, over max_record_bytes (40): not read"}}'
check_run "aas-notify: over-long lines are error records, the rest read" 1 \
    "$E1
{\"id\":\"A-1\",\"qa\":{\"ok\":true},\"notify\":{\"board\":{\"path\":\"ACTIVE_TASKS.md\",\"status\":\"Done\",\"changed\":true},\"targets\":[{\"kind\":\"board\",\"ok\":true,\"detail\":\"Queued -> Done\"}]}}
$E3" \
"aas-notify: stdin:1: a record of 95 bytes, over max_record_bytes (40): not read
aas-notify: stdin:3: a record of 81 bytes, over max_record_bytes (40): not read" \
    -- aas-notify --board <in
is "$(grep Status ACTIVE_TASKS.md)" "- Status: Done" \
    "the record after the long one reached the board"
check_run "aas-plan: the same in the stdio reader" 1 \
    "$E1
{\"id\":\"A-1\",\"qa\":{\"ok\":true}}
$E3" \
"aas-plan: stdin:1: a record of 95 bytes, over max_record_bytes (40): not read
aas-plan: stdin:3: a record of 81 bytes, over max_record_bytes (40): not read" \
    -- aas-plan <in
printf '{"id":"A-1","n":"%s"}\n' "$(printf '%019d' 0)" >in	# 40 bytes
check_run "a line of exactly the cap is read" 0 \
    "{\"id\":\"A-1\",\"n\":\"$(printf '%019d' 0)\"}" "" -- aas-plan <in
done_testing
