#!/bin/sh
# 8060-run-resume: what a kill leaves in .aas/run/ is taken up by the next
# aas-run, each task once: an inbox with a line written twice and a torn
# last line (aas-fetch or aas-submit --sync killed while writing); a job
# whose inbox was cleaned into it but not yet removed; a pipeline cut
# short after aas-apply made its branches (run again with --force); a
# goal's decompose answer written before aas-plan --decompose ran.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/run/lib.sh"

plan 10
run_script "$T/script.json"
emu_start "$T/script.json" || exit 1
ALL="G-1 Done,G-1-1 Done,G-1-2 Done,G-1-3 Done,G-1-4 Done,G-1-5 Done,"

# start REPO: the goal decomposed and the first level answered by hand
# (answers.jsonl), as an aas-run killed after those calls would leave
start() {
	run_repo "$1"
	cd "$1" || exit 1
	aas-scan --id G-1 | aas-submit -q --sync --integrate --template decompose |
	    aas-plan -q --decompose >/dev/null
	aas-scan --ready | aas-submit -q --sync --integrate >answers.jsonl
	mkdir -p .aas/run/job
}

start "$T/a"
n0=$(emu_stats | jq .sync_requests)
{ sed -n 1p answers.jsonl; cat answers.jsonl; sed -n 2p answers.jsonl | cut -c1-40 | tr -d '\n'; } \
    >.aas/run/inbox.jsonl
run aas-run -q --sync --goal G-1
is "$rc $(run_outcome)" "0 $ALL" "an inbox with a line twice and a torn one: every task Done"
is "$(integration_order)" "G-1-1 G-1-2 G-1-3 G-1-4 G-1-5 " "each task landed once"
is "$(($(emu_stats | jq .sync_requests) - n0))" 3 "only the three tasks not answered were sent"
is "$(ls -A .aas/run)" "" "nothing left in the run folder"

start "$T/b"
n0=$(emu_stats | jq .sync_requests)
# the interrupted job: cleaned into 0.jsonl, the raw inbox not yet gone,
# and its first pipeline (aas-plan | aas-apply) cut short after the
# branches were made
cp answers.jsonl .aas/run/job/0.jsonl
cp answers.jsonl .aas/run/job/in.raw
aas-plan -q <answers.jsonl | aas-apply -q --integrate >/dev/null
: >.aas/run/job/0.run
printf '{"id":"G-1-1","torn' >.aas/run/job/1.jsonl.tmp
run aas-run -q --sync --goal G-1
is "$rc $(run_outcome)" "0 $ALL" "an interrupted job: every task Done"
is "$(integration_order)" "G-1-1 G-1-2 G-1-3 G-1-4 G-1-5 " "each task landed once"
is "$(($(emu_stats | jq .sync_requests) - n0))" 3 "only the three tasks not answered were sent"
make_check_on aas/integration >/dev/null 2>&1
ok $? "make check passes on aas/integration"

run_repo "$T/c"
cd "$T/c" || exit 1
mkdir -p .aas/run
aas-scan --id G-1 | aas-submit -q --sync --integrate --template decompose \
    >.aas/run/goal-G-1.jsonl
n0=$(emu_stats | jq .sync_requests)
run aas-run -q --sync --goal G-1
is "$rc $(run_outcome)" "0 $ALL" "a decompose answer kept: every task Done"
is "$(($(emu_stats | jq .sync_requests) - n0))" 5 "the goal not asked again, its five tasks once"
done_testing
