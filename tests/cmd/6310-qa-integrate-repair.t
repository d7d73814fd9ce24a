#!/bin/sh
# 6310: two tasks of one wave change the same line.  The first lands on the
# integration branch; the second passes its checks but its change clashes
# with the new tip (merge_conflict, the hunks in the record).  A repair
# round sends it back with the conflict, its prompt showing the file as on
# the integration tip, and the new answer lands there (a fast-forward).
# The first task crosses the second round byte for byte; the checkout is
# never touched.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/repair/lib.sh"

plan 11
mkdir -p "$T/src"
seq 1 4 | sed 's/^/line /' >"$T/src/lines.txt"
cat >"$T/src/ACTIVE_TASKS.md" <<'MD'
# Tasks

## CON-1: Spell the second line out
- Status: Queued
- Files: lines.txt

The second line of lines.txt reads "line two".

## CON-2: Mark the second line as checked
- Status: Queued
- Files: lines.txt

Append " (checked)" to the second line of lines.txt.
MD
cat >"$T/src/.aas.yml" <<'YML'
model: gpt-4.1-mini
qa:
  builtin: false
  checks:
    - name: lines
      run: test "$(wc -l <lines.txt)" -eq 4
YML
git_repo "$T/repo" "$T/src/lines.txt" "$T/src/ACTIVE_TASKS.md" "$T/src/.aas.yml"
cd "$T/repo" || exit 1
HEAD0=$(git rev-parse HEAD)

# CON-2's first answer edits line 2 as on the base; its repair, asked only
# when the prompt names the conflict, edits the line as on the tip
jq -cn --argjson a "$(rplan lines.txt 'line 2
' 'line two
')" --argjson b1 "$(rplan lines.txt 'line 2
' 'line 2 (checked)
')" --argjson b2 "$(rplan lines.txt 'line two
' 'line two (checked)
')" '{answers: [
    {match: "CON-1*", content: $a},
    {match: "CON-2*", prompt: "*merge_conflict*", content: $b2},
    {match: "CON-2*", content: $b1}]}' >"$T/script.json"
emu_start "$T/script.json" || exit 1

outcome() { jq -r '[.id, (.attempt // 1), (.error.code // "ok")] | join(" ")' "$1" | tr '\n' ,; }
stages() { aas-plan -q | aas-apply -q --integrate | aas-qa -q --integrate --rollback; }

aas-scan | aas-submit -q --sync --keep-order --integrate | stages >r1.jsonl
is "$? $(outcome r1.jsonl)" "1 CON-1 1 ok,CON-2 1 merge_conflict," \
    "round one: CON-1 lands, CON-2 clashes with it"
C1=$(jq -r 'select(.id == "CON-1") | .apply.commit' r1.jsonl)
is "$(git rev-parse aas/integration)" "$C1" "the integration branch is CON-1's commit"
is "$(jq -c 'select(.id == "CON-2") | .error.data | [.branch, .tip, (.files | map(.path))]' r1.jsonl)" \
    "[\"aas/integration\",\"$C1\",[\"lines.txt\"]]" "the conflict names the branch, the tip and the file"
is "$(jq -r 'select(.id == "CON-2") | .error.data.files[0].hunks' r1.jsonl | grep -c -e '^line two$' -e '^line 2 (checked)$')" 2 \
    "its hunks hold both sides"

aas-submit -q --sync --keep-order --integrate --repair <r1.jsonl >s2.jsonl
is "$? $(outcome s2.jsonl)" "0 CON-1 1 ok,CON-2 2 ok," "the repair round: CON-2 on attempt 2"
is "$(jq -c 'select(.id == "CON-2") | .history | map([.stage, .code])' s2.jsonl)" \
    '[["qa","merge_conflict"]]' "its history: the conflict"
stages <s2.jsonl >r2.jsonl
is "$? $(outcome r2.jsonl)" "0 CON-1 1 ok,CON-2 2 ok," "round two: CON-2 lands"
C2=$(jq -r 'select(.id == "CON-2") | .apply.commit' r2.jsonl)
is "$(jq -c 'select(.id == "CON-2") | [.apply.base, .qa.integrated]' r2.jsonl)" \
    "[\"$C1\",{\"branch\":\"aas/integration\",\"commit\":\"$C2\",\"merged\":false}]" \
    "built on the tip (it saw CON-1's line), landed by a fast-forward"
is "$(git show aas/integration:lines.txt | tr '\n' '|') $(git rev-list --count aas/integration)" \
    "line 1|line two (checked)|line 3|line 4| 3" "the branch: both tasks, in order"
is "$(grep CON-1 r2.jsonl)" "$(grep CON-1 r1.jsonl)" "CON-1 crosses round two byte for byte"
is "$(git rev-parse HEAD) $(git status --porcelain --untracked-files=no | wc -l) $(emu_stats | jq .sync_requests)" \
    "$HEAD0 0 3" "the checkout untouched; three calls in all"
emu_stop
done_testing
