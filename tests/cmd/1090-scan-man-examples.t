#!/bin/sh
# The EXAMPLES of aas-scan(1), aas-notify(1) and aas-board(5), run as
# written in a copy of the example project, with their exact output.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 17
repo="$T/project"
cp -R "$AAS_SRC/examples/project" "$repo"
git -C "$repo" init -q -b main
cd "$repo"
ex() {	# ex PAGE COMMAND: the command must appear in the page as "$ COMMAND"
	mandoc -Tascii "$AAS_SRC/man/$1" | col -b | grep -qxF "      \$ $2" ||
	    mandoc -Tascii "$AAS_SRC/man/$1" | col -b | grep -qF "\$ $2"
	ok $? "$1 has: $2"
}

c='aas-scan --ready | jq -r .id'
ex aas-scan.1 "$c"
check_run "$c" 0 "DEMO-2
DEMO-3
DEMO-5" "" -- sh -c "$c"
c="aas-scan --next | jq -r '.id + \" \" + .fields.Priority'"
ex aas-scan.1 "$c"
check_run "$c" 0 "DEMO-3 P0" "" -- sh -c "$c"
c='aas-scan --check'
ex aas-scan.1 "$c"
check_run "$c" 0 "" "" -- sh -c "$c"
c='aas-scan --status done | jq -r .title'
ex aas-scan.1 "$c"
check_run "$c" 0 "Reverse a string in place" "" -- sh -c "$c"
c="aas-scan --all | jq -r '[.id, .status] | @tsv'"
ex aas-board.5 "$c"
check_run "$c" 0 "$(printf 'DEMO-1\tDone\nDEMO-2\tQueued\nDEMO-3\tQueued\nDEMO-4\tQueued\nDEMO-5\tQueued\nDEMO-6\tBlocked')" \
    "" -- sh -c "$c"
c="aas-scan --add 'Add str_reverse_words' | aas-notify --board --status 'In Progress' | jq -c .notify.board"
ex aas-scan.1 "$c"
check_run "$c" 0 '{"path":"ACTIVE_TASKS.md","status":"In Progress","changed":true}' \
    "" -- sh -c "$c"
is "$(grep -A1 DEMO-7 ACTIVE_TASKS.md)" "## DEMO-7: Add str_reverse_words
- Status: In Progress" "the new task, in the layout of the board's last task"
c="aas-scan --id DEMO-2 | aas-notify --board --status 'In Progress' | jq -c .notify"
ex aas-notify.1 "$c"
check_run "$c" 0 '{"board":{"path":"ACTIVE_TASKS.md","status":"In Progress","changed":true},"targets":[{"kind":"board","ok":true,"detail":"Queued -> In Progress"}]}' \
    "" -- sh -c "$c"
c="aas-scan --id DEMO-3 | jq -c '. + {qa: {ok: true}}' | aas-notify --board | jq -r .notify.targets[0].detail"
ex aas-notify.1 "$c"
check_run "$c" 0 "Queued -> Done" "" -- sh -c "$c"
done_testing
