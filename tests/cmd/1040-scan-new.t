#!/bin/sh
# aas-scan --new leaves out tasks already in a live batch or answered, by
# id and sha: a task whose text changed is new again.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu/emu.sh"
plan 7
emu_start "$AAS_SRC/examples/demo-answers.json"
git_repo "$T/repo" "$AAS_SRC/examples/project/."
cd "$T/repo" || exit 1
ids() { jq -r .id "$T/out" | tr '\n' ' '; }

run aas-scan --ready --new
is "$rc:$(ids)" "0:DEMO-2 DEMO-3 DEMO-5 " "nothing submitted: every ready task is new"
aas-scan --id DEMO-2 | aas-submit >/dev/null 2>&1
run aas-scan --ready --new
is "$rc:$(ids)" "0:DEMO-3 DEMO-5 " "a task in a live batch is left out"
run aas-scan --ready
is "$(ids)" "DEMO-2 DEMO-3 DEMO-5 " "without --new it is listed"
aas-fetch --wait --interval 0.05 >/dev/null 2>&1
run aas-scan --ready --new
is "$rc:$(ids)" "0:DEMO-3 DEMO-5 " "an answered task stays out"
sed 's/^`char \*str_upper/`char *str_upper/; s/and returns `s`\.  Declare/and returns `s`. Declare/' \
    ACTIVE_TASKS.md >board.new && mv board.new ACTIVE_TASKS.md
run aas-scan --ready --new
is "$rc:$(ids)" "0:DEMO-2 DEMO-3 DEMO-5 " "a task whose text changed is new again"
aas-scan --id DEMO-3 | aas-submit --sync >/dev/null 2>&1
run aas-scan --ready --new
is "$rc:$(ids)" "0:DEMO-2 DEMO-5 " "a task answered by --sync stays out too"
check_run "--new with --check is a usage error" 2 "" \
"aas-scan: --check and --add take no selection
usage: aas-scan [-qv] [--all | --ready | --next | --status S] [--id ID] [--new] [FILE ...]
       aas-scan [-qv] --watch SECONDS [--ready | --status S] [--new] [FILE ...]
       aas-scan [-q] --check [FILE ...]
       aas-scan [-q] --add TITLE [FILE]" -- aas-scan --check --new
done_testing
