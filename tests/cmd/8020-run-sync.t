#!/bin/sh
# 8020-run-sync: aas-run --sync takes a goal to Done in one go: the goal
# becomes five sub-tasks in three dependency levels (decompose), each
# wave of ready tasks goes through submit, plan, apply onto the
# integration branch, QA and the board, and a later task's answer edits
# code only an earlier task created (so it applies only on top of it).
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/run/lib.sh"

plan 10
run_repo "$T/repo"
cd "$T/repo" || exit 1
BASE=$(git rev-parse HEAD)
run_script "$T/script.json"
emu_start "$T/script.json" || exit 1

run aas-run -q --sync --goal G-1
is "$rc" 0 "exit 0"
is "$(tail -n 1 "$T/err" | sed 's/[0-9.]* USD$/USD/')" \
    "aas-run: 5 done, 0 failed, 0 left, USD" "the summary line"
is "$(run_outcome)" "G-1 Done,G-1-1 Done,G-1-2 Done,G-1-3 Done,G-1-4 Done,G-1-5 Done," \
    "every sub-task Done, and the goal"
is "$(integration_order)" "G-1-1 G-1-2 G-1-3 G-1-4 G-1-5 " \
    "aas/integration holds every task, in dependency order"
make_check_on aas/integration >/dev/null 2>&1
ok $? "make check passes on aas/integration"
is "$(git rev-parse HEAD) $(git status --porcelain | tr '\n' ,)" \
    "$BASE  M ACTIVE_TASKS.md," \
    "the checkout untouched but for the board (its lock is in .aas, ignored)"
is "$(git branch --list 'aas/*' | tr -d ' *' | tr '\n' ,)" \
    "aas/G-1-1,aas/G-1-2,aas/G-1-3,aas/G-1-4,aas/G-1-5,aas/integration," \
    "each task's branch stays"
is "$(emu_stats | jq .sync_requests)" 6 "six calls: the goal and five tasks"
ls .aas/run >ls.out
is "$(cat ls.out)" "" "no job left in the run folder"
check_run "run again: nothing to do" 0 "" "aas-run: 0 done, 0 failed, 0 left, 0.0000 USD" \
    -- aas-run -q --sync --goal G-1
done_testing
