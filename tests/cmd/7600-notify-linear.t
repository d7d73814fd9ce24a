#!/bin/sh
# aas-notify --linear against tests/emu-linear: an issue created once for
# each task without one (client-chosen id), its identifier written back to
# the board (heading block and Linear column) byte-exactly and to the
# state folder; the same records again send nothing; a changed outcome
# comments and moves the state by type; a task that names its issue gets
# a comment and a completed-type state; Failed stays open with the failure.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-linear/emu.sh"

plan 17
git_repo "$T/repo"
cd "$T/repo" || exit 1
lin_start "$FIX/linear/script.json" || exit 1
export AAS_HTTP_BACKOFF_MS=5
printf 'linear:\n  team: ENG\n' >.aas.yml
H=$(printf 'linear\n%s\nENG' "$LINEAR_API_URL" | sha256sum | cut -c1-12)

cat >ACTIVE_TASKS.md <<'B'
# Board

| ID | Title | Status | Linear |
|----|-------|--------|--------|
| L-1 | Table task | Queued | |
| L-2 | Table, failing | Queued | |

## L-3: Heading task
- Status: Queued
- Owner: ann

Body of L-3.

## L-4: Names its issue
- Status: Queued
- Linear: OPS-70
B
aas-scan --all >scan
jq -c 'if .id == "L-2" then . + {error: {stage: "qa", code: "check_failed", message: "make failed"}} else . + {qa: {ok: true, checks: [{name: "build", ok: true, exit: 0, ms: 5}]}} end' scan >in

run aas-notify --linear <in
is "$rc $(cat "$T/err")" "0 " "exit 0, nothing on stderr"
is "$(jq -c '.notify.targets[0] | [.kind, .ok, .detail.issue, .detail.action, .detail.state, .hash]' "$T/out")" \
'["linear",true,"ENG-1","created","Shipped","'"$H"'"]
["linear",true,"ENG-2","created","Backlog","'"$H"'"]
["linear",true,"ENG-3","created","Shipped","'"$H"'"]
["linear",true,"OPS-70","commented","Closed","'"$H"'"]' \
    "notify.targets: the identifiers, what was done, the states by type"
is "$(jq -r '.notify.targets[0].detail.url' "$T/out" | head -1)" \
    "https://linear.app/emu/issue/eng-1" "detail: the issue's URL"
is "$(lin_calls | tr '\n' ' ')" \
"query:issues query:teams query:workflowStates mutation:issueCreate query:issues mutation:issueCreate query:issues mutation:issueCreate query:issue mutation:commentCreate query:workflowStates mutation:issueUpdate " \
    "Linear got: look up by id, create; the named issue commented and moved"
is "$(lin_log | jq -c 'select(.fields[0] == "issueCreate") | .variables.input | [.title, .teamId, .stateId, (.id | test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))]')" \
'["L-1: Table task","team-eng","st-shipped",true]
["L-2: Table, failing","team-eng",null,true]
["L-3: Heading task","team-eng","st-shipped",true]' \
    "issueCreate inputs: title, team, the state by type (none when failed), a v4 id"
is "$(lin_log | jq -r 'select(.fields[0] == "issueCreate" and .variables.input.title == "L-2: Table, failing") | .variables.input.description')" \
"**L-2: Failed** (aas)

**Failed** at qa (check_failed): make failed" "the failed task's description: the failure"
is "$(lin_log | jq -c 'select(.fields[0] == "issueUpdate") | .variables')" \
    '{"id":"0e9b5b8c-5a4e-4c59-9b43-8f0d0c1f7a70","input":{"stateId":"ops-done"}}' \
    "issueUpdate: the named issue to its team's completed-type state"
cat >want.md <<'W'
# Board

| ID | Title | Status | Linear |
|----|-------|--------|--------|
| L-1 | Table task | Queued | ENG-1 |
| L-2 | Table, failing | Queued | ENG-2 |

## L-3: Heading task
- Status: Queued
- Owner: ann
- Linear: ENG-3

Body of L-3.

## L-4: Names its issue
- Status: Queued
- Linear: OPS-70
W
cmp_file ACTIVE_TASKS.md want.md "the identifiers on the board: the Linear column, the heading block"
is "$(jq -c '[.task, .identifier]' .aas/linear.jsonl | tr '\n' ' ')" \
    '["L-1",null] ["L-1","ENG-1"] ["L-2",null] ["L-2","ENG-2"] ["L-3",null] ["L-3","ENG-3"] ' \
    "the state folder: each issue's id before the create, its identifier after"

# the same records again: nothing sent
n=$(lin_log | wc -l)
run aas-notify --linear <in
is "$rc $(jq -r '.notify.targets[0].detail' "$T/out" | sort -u)" "0 already delivered" \
    "the same records again: already delivered"
is "$(lin_log | wc -l)" "$n" "nothing sent the second time"

# a changed outcome: L-2 passes after a repair; its record still has no
# Linear field (scanned before), the state folder has the issue
jq -c 'select(.id == "L-2") | del(.error) | . + {qa: {ok: true}}' scan >in2
lin_log >before.log
run aas-notify --linear <in2
is "$rc $(jq -c '.notify.targets[0].detail | [.issue, .action, .state]' "$T/out")" \
    '0 ["ENG-2","commented","Shipped"]' "a changed outcome: a comment on the same issue, moved to completed"
lin_log | tail -n +$((n + 1)) | jq -r '.op + ":" + .fields[0]' >calls
is "$(tr '\n' ' ' <calls)" "query:issue mutation:commentCreate query:workflowStates mutation:issueUpdate " \
    "no second issue for L-2"
is "$(lin_issues | jq '[.issues[] | select(.identifier | startswith("ENG"))] | length')" 3 \
    "three ENG issues in all, one per task"

# a fresh scan carries the Linear field; In Progress is started-type
aas-scan --id L-3 | jq -c '. + {plan: {summary: "x"}}' >in3
run aas-notify --linear <in3
is "$rc $(jq -c '.notify.targets[0].detail | [.issue, .action, .state]' "$T/out")" \
    '0 ["ENG-3","commented","Doing"]' "the board's field: commented, moved to the first started state"
run aas-notify --linear=OPS --dry-run <in3
is "$rc $(cat "$T/err")" "0 aas-notify: linear: L-3: would comment on ENG-3 and move it to a state of type started" \
    "--dry-run: what it would send, nothing sent"
is "$(lin_log | wc -l)" "$(($(wc -l <before.log) + 8))" "--dry-run sent nothing"
