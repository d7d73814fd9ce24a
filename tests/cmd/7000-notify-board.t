#!/bin/sh
# aas-notify --board: the status each record implies, the notify key,
# unknown ids, records with errors, usage.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 13
cd "$T"
cp "$FIX/boards/table.md" board.md
cp "$FIX/boards/headings.md" h.md

n() {	# n PATH STATUS CHANGED OK DETAIL: the notify member text
	if [ "$2" = null ]; then s=null; else s="\"$2\""; fi
	printf '"notify":{"board":{"path":"%s","status":%s,"changed":%s},"targets":[{"kind":"board","ok":%s,"detail":"%s"}]}' \
	    "$1" "$s" "$3" "$4" "$5"
}

cat >in <<'IN'
{"id":"T-1","qa":{"ok":false},"n":0.10}
{"id":"T-2","qa":{"ok":true},"apply":{"branch":"aas/T-2"}}
{"id":"T-3","apply":{"branch":"aas/T-3"}}
{"id":"T-4","plan":{"summary":"x"}}
{"id":"T-5","batch":{"id":"b1"}}

{"id":"T-2","error":{"stage":"qa","code":"check_failed","message":"make failed"}}
{"id":"T-404"}
not json
{"id":"T-1"}
IN
check_run "statuses derived from each record" 1 \
"{\"id\":\"T-1\",\"qa\":{\"ok\":false},\"n\":0.10,$(n board.md Failed true true "Done -> Failed")}
{\"id\":\"T-2\",\"qa\":{\"ok\":true},\"apply\":{\"branch\":\"aas/T-2\"},$(n board.md Done true true "Queued -> Done")}
{\"id\":\"T-3\",\"apply\":{\"branch\":\"aas/T-3\"},$(n board.md Review true true "In Progress -> Review")}
{\"id\":\"T-4\",\"plan\":{\"summary\":\"x\"},$(n board.md "In Progress" true true "Queued -> In Progress")}
{\"id\":\"T-5\",\"batch\":{\"id\":\"b1\"},$(n board.md "In Progress" true true "Queued -> In Progress")}
{\"id\":\"T-2\",\"error\":{\"stage\":\"qa\",\"code\":\"check_failed\",\"message\":\"make failed\"},$(n board.md Failed true true "Done -> Failed")}
{\"id\":\"T-404\",$(n board.md null false false "no task T-404 on the board board.md"),\"error\":{\"stage\":\"notify\",\"code\":\"unknown_id\",\"message\":\"no task T-404 on the board board.md\"}}
{\"error\":{\"stage\":\"input\",\"code\":\"bad_json\",\"message\":\"'[' or '{' expected near 'not' at column 3\"},\"raw\":\"not json\"}
{\"id\":\"T-1\",$(n board.md Failed false true "no status to set (Failed)")}" \
"aas-notify: stdin:9: '[' or '{' expected near 'not' at column 3
aas-notify: T-404: no task T-404 on the board board.md" \
    -- aas-notify --board board.md <in
cat >want.md <<'W'
# Sprint board

Some intro text.

| ID | Title | Status | Depends | Priority | Owner |
|----|-------|--------|---------|----------|-------|
| T-1 | Set up the build | Failed | | P1 | ann |
| T-2 | Parse the config | Failed | T-1 | P2 | bob |
| T-3 | Write the parser | Review | T-1 | P1 | |
| T-4 | Add the CLI | In Progress | T-2, T-3 | P0 | ann |
| T-5 | Document it | in progress | | | |

Trailing notes.
W
cmp_file board.md want.md "the board after the run"

check_run "--status, heading layout, a Status line added" 0 \
    "{\"id\":\"H-3\",$(n h.md Blocked true true "Queued -> Blocked")}" "" \
    -- aas-notify --board=h.md --status blocked <<'IN'
{"id":"H-3"}
IN
is "$(sed -n 22,23p h.md)" "- Depends: H-1 H-2
- Status: Blocked" "the new line sits after the field list"
check_run "already so: not changed" 0 \
    "{\"id\":\"H-1\",$(n h.md Done false true "already Done")}" "" \
    -- aas-notify --board h.md --status Done <<'IN'
{"id":"H-1"}
IN
check_run "-q silences the per-record line" 1 \
    "{\"id\":\"Z-1\",$(n h.md null false false "no task Z-1 on the board h.md"),\"error\":{\"stage\":\"notify\",\"code\":\"unknown_id\",\"message\":\"no task Z-1 on the board h.md\"}}" "" \
    -- aas-notify -q --board h.md <<'IN'
{"id":"Z-1"}
IN

# the default board from the configuration
git_repo repo "$FIX/boards/mixed.md"
printf 'board: mixed.md\nstatuses:\n  Done: "Shipped"\n' >repo/.aas.yml
(cd repo && echo '{"id":"DEMO-2","qa":{"ok":true}}' | run aas-notify --board)
is "$(cat out)" "{\"id\":\"DEMO-2\",\"qa\":{\"ok\":true},$(n mixed.md Done true true "Queued -> Done")}" \
    "board and status names from .aas.yml"
is "$(grep DEMO-2 repo/mixed.md | head -1)" \
    "| DEMO-2 | Add str_upper                       | Shipped |         | P1       |" \
    "configured status text written"

printf '## A-1: x\n\377\n' >bad.md
check_run "an unparseable board is not written" 1 \
    "{\"id\":\"A-1\",\"notify\":{\"board\":{\"path\":\"bad.md\",\"status\":null,\"changed\":false},\"targets\":[{\"kind\":\"board\",\"ok\":false,\"detail\":\"bad.md:2: not valid UTF-8\"}]},\"error\":{\"stage\":\"notify\",\"code\":\"board\",\"message\":\"bad.md:2: not valid UTF-8\"}}" \
    "aas-notify: A-1: bad.md:2: not valid UTF-8" \
    -- aas-notify --board bad.md --status done <<'IN'
{"id":"A-1"}
IN
U="usage: aas-notify --board[=FILE] [-qv] [--status STATUS] [--config FILE] [--state DIR] [FILE]"
check_run "no target" 2 "" "aas-notify: no target given: use --board
$U" -- aas-notify </dev/null
check_run "bad status" 2 "" "aas-notify: --status: unknown status 'shipped'
$U" -- aas-notify --board b.md --status shipped </dev/null
check_run "--version" 0 "aas-notify 0.1.0" "" -- aas-notify --version
mkdir -p .aas && touch .aas/STOP
check_run "STOP file: exit 75 before any record, and why" 75 "" \
    "aas-notify: stopped: STOP file .aas/STOP" \
    -- aas-notify --board board.md --state .aas <in
done_testing
