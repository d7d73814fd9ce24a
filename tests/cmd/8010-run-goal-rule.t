#!/bin/sh
# 8010-run-goal-rule: aas-notify --board settles the goals of the tasks it
# reports: a goal whose sub-tasks are all Done becomes Done, one with a
# Failed sub-task Failed, a goal of goals in turn; nothing else moves.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

plan 9
git_repo "$T/repo"
cd "$T/repo" || exit 1
cat >ACTIVE_TASKS.md <<'EOB'
# board

| ID  | Title | Status | Depends | Parent |
|-----|-------|--------|---------|--------|
| G-1 | goal one | Blocked | | |
| G-1-1 | first | Done | | G-1 |
| G-1-2 | second | Queued | G-1-1 | G-1 |
| G-2 | goal two | Blocked | | |
| G-2-1 | first | Queued | | G-2 |
| G-2-2 | second | Queued | | G-2 |
| G-3 | goal of goals | Blocked | | |
| G-3-1 | a goal | Blocked | | G-3 |
| G-3-1-1 | leaf | Queued | | G-3-1 |

## H-1: heading goal
- Status: Blocked

## H-1-1: no Parent field, known by its id
- Status: Queued
EOB
cp ACTIVE_TASKS.md before.md

check_run "a goal's last sub-task Done: the goal Done" 0 \
    '{"id":"G-1-2","qa":{"ok":true},"notify":{"board":{"path":"ACTIVE_TASKS.md","status":"Done","changed":true},"targets":[{"kind":"board","ok":true,"detail":"Queued -> Done"}]}}' \
    'aas-notify: goal G-1: Blocked -> Done' -- \
    sh -c 'echo "{\"id\":\"G-1-2\",\"qa\":{\"ok\":true}}" | aas-notify --board'
is "$(aas-scan --id G-1 | jq -r .status)" Done "G-1 is Done on the board"

run sh -c 'echo "{\"id\":\"G-2-1\",\"qa\":{\"ok\":true}}" | aas-notify --board'
is "$rc $(cat "$T/err")$(aas-scan --id G-2 | jq -r .status)" "0 Blocked" \
    "one sub-task Done of two: the goal stays"
run sh -c 'echo "{\"id\":\"G-2-2\",\"error\":{\"stage\":\"qa\",\"code\":\"qa_failed\",\"message\":\"m\"}}" | aas-notify --board -q'
is "$(aas-scan --id G-2 | jq -r .status)" Failed "a sub-task Failed: the goal Failed"

run sh -c 'echo "{\"id\":\"G-3-1-1\",\"qa\":{\"ok\":true}}" | aas-notify --board'
is "$(cat "$T/err")" "aas-notify: goal G-3-1: Blocked -> Done
aas-notify: goal G-3: Blocked -> Done" "a goal of goals follows in turn"
is "$(aas-scan --all | jq -r '.id + " " + .status' | tr '\n' ,)" \
    "G-1 Done,G-1-1 Done,G-1-2 Done,G-2 Failed,G-2-1 Done,G-2-2 Failed,G-3 Done,G-3-1 Done,G-3-1-1 Done,H-1 Blocked,H-1-1 Queued," \
    "the board"

run sh -c 'echo "{\"id\":\"H-1-1\",\"qa\":{\"ok\":true}}" | aas-notify --board --dry-run'
is "$(aas-scan --id H-1 | jq -r .status)" Blocked "--dry-run settles nothing"
run sh -c 'echo "{\"id\":\"H-1-1\",\"qa\":{\"ok\":true}}" | aas-notify --board'
is "$(cat "$T/err") $(aas-scan --id H-1 | jq -r .status)" \
    "aas-notify: goal H-1: Blocked -> Done Done" "a sub-task known by its id"
diff before.md ACTIVE_TASKS.md | grep -c '^>' >n
is "$(cat n)" 10 "only status bytes changed (ten lines)"
done_testing
