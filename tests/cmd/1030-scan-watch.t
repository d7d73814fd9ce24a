#!/bin/sh
# aas-scan --watch: tasks as they become ready or change; STOP and
# signals end it with 75.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 6
cd "$T"
mkdir .aas
printf '| ID | Title | Status | Depends |\n|---|---|---|---|\n| W-1 | one | Done | |\n| W-2 | two | Queued | W-3 |\n| W-3 | three | Queued | |\n' >board.md

wait_lines() {	# wait_lines N: until out holds N lines (10 s at most)
	_i=0
	while [ "$(wc -l <out)" -lt "$1" ] && [ $_i -lt 200 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
}
# out exists before the watcher starts: the background job's redirection
# happens in the child, and wait_lines must not read a missing file
: >out
aas-scan --watch 0.05 --ready --state .aas board.md >out 2>err &
pid=$!
wait_lines 1
echo '{"id":"W-3"}' | aas-notify -q --board board.md --status done >/dev/null
wait_lines 2
printf '| W-4 | four | Queued | W-3 |\n' >>board.md
wait_lines 3
touch .aas/STOP
rc=0
wait $pid || rc=$?
is "$rc" 75 "STOP ends the watch with 75"
is "$(jq -r .id out | tr '\n' ' ')" "W-3 W-2 W-4 " \
    "W-3 ready at once, W-2 once W-3 was done, W-4 when it was added"
is "$(cat err)" "aas-scan: stopped: STOP file .aas/STOP" "on stderr only why it stopped"

rm .aas/STOP
: >out
aas-scan --watch 0.05 --all --state .aas board.md >out 2>err &
pid=$!
wait_lines 4
sed 's/| one |/| one, renamed |/' board.md >b2 && cat b2 >board.md
wait_lines 5
kill -TERM $pid
rc=0
wait $pid || rc=$?
is "$rc" 75 "SIGTERM ends the watch with 75"
is "$(jq -r '.id + " " + .title' out | tr '\n' ',')" \
    "W-1 one,W-2 two,W-3 three,W-4 four,W-1 one, renamed," \
    "a changed task (new sha) is emitted again"
is "$(cat err)" "aas-scan: stopped: signal SIGTERM" "on stderr only why it stopped"
done_testing
