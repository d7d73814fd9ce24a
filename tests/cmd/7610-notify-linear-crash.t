#!/bin/sh
# aas-notify --linear and kill -9: right after the issueCreate reached
# Linear (its answer never came back), and at random moments in a loop:
# in the end every task has exactly one issue, no comment was made twice,
# and the board and the state folder name each issue.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-linear/emu.sh"

plan 9
git_repo "$T/repo"
cd "$T/repo" || exit 1
lin_start "$FIX/linear/script.json" || exit 1
export AAS_HTTP_BACKOFF_MS=5

{
	printf '| ID | Title | Status | Linear |\n|---|---|---|---|\n'
	for i in 1 2 3 4 5 6; do printf '| K-%s | Task %s | Queued | |\n' $i $i; done
} >ACTIVE_TASKS.md
aas-scan --all | jq -c '. + {qa: {ok: true}}' >in

# the answer to the first create never comes: kill -9 while it stalls
lin_fault '{"match": "issueCreate", "action": "stall", "seconds": 20}'
aas-notify --board --linear=ENG <in >out1 2>err1 &
pid=$!
i=0
until lin_log | grep -q issueCreate; do
	i=$((i + 1))
	[ $i -gt 400 ] && break
	sleep 0.05
done
kill -9 $pid
wait $pid 2>/dev/null
is "$(lin_issues | jq '.issues | map(select(.identifier | startswith("ENG"))) | length')" 1 \
    "killed after the create reached Linear: one issue made"
is "$(jq -c '[.task, .identifier]' .aas/linear.jsonl)" '["K-1",null]' \
    "the state folder holds its id, no identifier yet"
run aas-notify --board --linear=ENG <in
is "$rc $(jq -c '.notify.targets[1].detail | [.issue, .action]' "$T/out" | head -1)" \
    '0 ["ENG-1","adopted"]' "the re-run finds it by its id and adopts it"
is "$(lin_log | jq -r 'select(.fields[0] == "issueCreate") | .variables.input.title' | tr '\n' ' ')" \
    "K-1: Task 1 K-2: Task 2 K-3: Task 3 K-4: Task 4 K-5: Task 5 K-6: Task 6 " \
    "one issueCreate per task, K-1's not sent again"
grep -c 'Done | ENG-' ACTIVE_TASKS.md >n
is "$(cat n)" 6 "every row has its status and its issue"

# kill -9 at random moments, then a last run to the end
lin_fault '{"match": "*", "action": "stall", "seconds": 0.05, "times": 1000}'
{
	printf '| ID | Title | Status | Linear |\n|---|---|---|---|\n'
	for i in 1 2 3 4 5 6 7 8; do printf '| R-%s | Random %s | Queued | |\n' $i $i; done
} >ACTIVE_TASKS.md
aas-scan --all | jq -c '. + {qa: {ok: true}}' >in
for round in 1 2 3 4 5 6 7 8 9 10; do
	aas-notify --board --linear=ENG <in >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(awk -v s="$round$$" 'BEGIN { srand(s); printf "%d", rand() * 6 }')"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
done
run aas-notify --board --linear=ENG <in
is "$rc $(jq -r '.notify.targets[1].ok' "$T/out" | sort -u)" "0 true" "the last run: every delivery ok"
is "$(lin_issues | jq -c '[.issues[] | select(.title | startswith("R-")) | .title] | (length, (unique | length))' | tr '\n' ' ')" \
    "8 8 " "exactly one issue per task after the kills"
is "$(lin_issues | jq '.comments | length')" 0 "no comment: no delivery was made twice"
is "$(grep -c 'Done | ENG-' ACTIVE_TASKS.md)" 8 "the board names every issue"
