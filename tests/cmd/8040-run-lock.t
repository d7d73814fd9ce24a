#!/bin/sh
# 8040-run-lock: never two aas-run on one state folder (the second exits
# 75 with a message; the lock goes with its holder, and the stages it
# started hold it too); --dry-run sends nothing; the STOP file stops it;
# a goal not on the board is a usage error.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/run/lib.sh"

plan 8
run_repo "$T/repo"
cd "$T/repo" || exit 1
run_script "$T/script.json"
emu_start "$T/script.json" || exit 1
mkdir -p .aas
root=$(pwd -P)

flock -o .aas/run.lock sh -c 'aas-run -q --goal G-1 >busy.out 2>busy.err; echo $? >busy.rc'
is "$(cat busy.rc) $(cat busy.out)$(cat busy.err)" \
    "75 aas-run: $root/.aas/run.lock: another aas-run (or a stage it started) is working on this repository; try again later" \
    "a second aas-run: exit 75 and why"

check_run "--goal: an id not on the board" 2 "" \
    "aas-run: --goal G-9: no such task on ACTIVE_TASKS.md" -- aas-run --goal G-9

run aas-run --dry-run --goal G-1
is "$rc $(jq -r '.id + " " + .request.template' "$T/out")" "0 G-1 decompose" \
    "--dry-run: the decompose request it would send"
is "$(sed 's/[0-9][0-9]* tokens, [0-9.]* USD/N tokens, X USD/' "$T/err")" \
    "aas-submit: dry run: 1 tasks, N tokens, X USD estimated
aas-submit: dry run: 0 tasks, N tokens, X USD estimated" \
    "... with the estimate, then the ready tasks (none yet)"
is "$(emu_stats | jq -c '[.requests, .sync_requests]') $(ls .aas/run 2>/dev/null | wc -l)" \
    "[0,0] 0" "nothing sent, nothing kept"

touch .aas/STOP
run aas-run -q --sync --goal G-1
is "$rc $(emu_stats | jq .requests)" "75 0" "the STOP file: exit 75, nothing sent"
rm .aas/STOP
is "$(git branch --list 'aas/*' | wc -l) $(aas-scan --all | jq -r .id | tr '\n' ' ')" \
    "0 G-1 " "nothing changed"
# a stage started by aas-run holds the lock too: a stage that waits
# (here aas-scan, on the board's lock) keeps a second aas-run out
flock -o .aas/ACTIVE_TASKS.md.lock sh -c '
	aas-run -q --goal G-1 >/dev/null 2>first.err &
	pid=$!
	i=0
	# until its aas-plan --decompose waits for the board
	until ps -o comm= --ppid $pid | grep -q aas-plan || [ $i -gt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 $pid
	wait $pid 2>/dev/null
	timeout 60 aas-run -q --goal G-1 >/dev/null 2>second.err
	echo $? >second.rc'
is "$(cat second.rc) $(sed 's/:.*//' second.err)" "75 aas-run" \
    "its stage outlives a kill -9 of aas-run and keeps the lock"

done_testing
