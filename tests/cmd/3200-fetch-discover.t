#!/bin/sh
# 3200-fetch-discover: past one machine.  A clone with no state folder
# finds the batches another clone of the same repository submitted (by
# the project id in their metadata: the root commit), fetches each task
# once, rebuilds its record from the batch input and the board, and
# leaves another repository's batches alone; aas-submit then sends
# nothing again.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 16
emu_start || exit 1
mkdir "$T/src"
cat >"$T/src/ACTIVE_TASKS.md" <<'EOF'
## P-1: First
Do one.

## P-2: Second
Do two.

## P-3: Third
Do three.
EOF
git_repo "$T/a" "$T/src/ACTIVE_TASKS.md"
git clone -q "$T/a" "$T/b"
root=$(git -C "$T/a" rev-list --max-parents=0 HEAD)
# another repository (another root commit), the same emulator
printf '## P-1: First\nDo one.\n' >"$T/src/other.md"
git_repo "$T/c"
cp "$T/src/other.md" "$T/c/ACTIVE_TASKS.md"
git -C "$T/c" add -A
git -C "$T/c" commit -q -m other

cd "$T/a" || exit 1
aas-scan --all | jq -c 'select(.id != "P-3")' >first.jsonl
aas-scan --all | jq -c 'select(.id == "P-3")' >third.jsonl
run aas-submit <first.jsonl
b1=$(jq -r .batch.id "$T/out" | head -n 1)
run aas-submit --candidates 2 <third.jsonl
b2=$(jq -r .batch.id "$T/out" | head -n 1)
md=$(curl -sS "$EMU_URL/v1/batches/$b1" -H "Authorization: Bearer $OPENAI_API_KEY" | jq -c '.metadata | del(.aas_run)')
is "$md" "{\"aas_project\":\"$root\",\"aas_template\":\"implement\"}" "metadata: the root commit as project, the template"
(cd "$T/c" && aas-scan --all | aas-submit -q >/dev/null)
is "$(emu_stats | jq .batches_created)" 3 "three batches: two of this project, one of another"
emu_state "$b1" completed >/dev/null

# the fresh clone: no .aas, the first batch done, the second pending
cd "$T/b" || exit 1
run aas-fetch
is "$rc" 75 "a batch still pending: exit 75"
is "$(norm "$T/err" | sed -E 's/due by [0-9]{4}-[0-9-]+T[0-9:]+Z$/due by T/')" "aas-fetch: BATCH: this project's batch (run RUN), 2 tasks, found at the provider
aas-fetch: BATCH: this project's batch (run RUN), 1 tasks, found at the provider
aas-fetch: stopped: 1 batch pending, the first due by T" "both of this project's batches found, oldest first"
is "$(jq -c '[.id, .response.status, .batch.id == "'"$b1"'"]' "$T/out" | sort | tr '\n' ' ')" \
    '["P-1",200,true] ["P-2",200,true] ' "the finished batch's tasks written"
cp "$T/out" b-first.jsonl
is "$(jq -r 'select(.ev == "intent") | .project' .aas/batches.jsonl | sort -u)" "$root" "the journal learnt them as this project's"
run aas-fetch
is "$rc $(wc -l <"$T/out") $(sed -E 's/due by [0-9]{4}-[0-9-]+T[0-9:]+Z$/due by T/' "$T/err")" "75 0 aas-fetch: stopped: 1 batch pending, the first due by T" "again: nothing twice"
emu_advance >/dev/null
run aas-fetch
is "$rc $(jq -c '[.id, .candidate, .response.status]' "$T/out" | sort | tr '\n' ' ')" \
    '0 ["P-3",{"k":1,"n":2},200] ["P-3",{"k":2,"n":2},200] ' "the second batch: both candidates, once"
run aas-fetch
is "$rc $(wc -l <"$T/out")" "0 0" "and nothing after"

# the records are the first clone's, but for the estimate
cd "$T/a" || exit 1
run aas-fetch
jq -cS 'del(.request.est_tokens, .request.est_usd)' "$T/out" | sort >a.jsonl
cd "$T/b" || exit 1
jq -cS . b-first.jsonl | sort >b.jsonl
is "$(jq -c 'select(.candidate == null)' "$T/a/a.jsonl" | sort)" \
    "$(sort b.jsonl)" "rebuilt records: the same keys and values as the submitting clone's"
is "$(emu_log | jq -r 'select(.method == "GET" and (.path | test("^/v1/files/.*/content$"))) | .path' | sort | uniq -c | awk '{print $1}' | sort | uniq -c | tr -s ' ' | tr '\n' ' ')" \
    " 2 1  2 2 " \
    "downloads: each input file once (the fresh clone), each output file once per clone"

# nothing is sent again for those tasks
run sh -c 'aas-scan --all --new | aas-submit'
is "$rc $(wc -l <"$T/out") $(emu_stats | jq .batches_created)" "0 0 3" "aas-scan --new | aas-submit: nothing sent"
run aas-submit <"$T/a/first.jsonl"
is "$rc $(jq -c 'has("batch")' "$T/out" | tr '\n' ' ')" "0 true true " \
    "a task already answered is sent only when given again on purpose"

# another repository's clone finds only its own
git clone -q "$T/c" "$T/d"
cd "$T/d" || exit 1
emu_advance >/dev/null
run aas-fetch
is "$rc $(jq -r .id "$T/out" | tr '\n' ' ')" "0 P-1 " "the other repository's clone: its one task"
# a project key names the batches instead of the root commit
cd "$T/b" || exit 1
rm -rf .aas
printf 'project: elsewhere\n' >.aas.yml
run aas-fetch
is "$rc $(wc -l <"$T/out") $(cat "$T/err")" "0 0 " "another project name: none of these batches"
emu_stop
is $? 0 "the emulator exits cleanly"
