#!/bin/sh
# 3210-fetch-discover-pages: a fresh clone finds its project's batch past
# the first page of the provider's list, after a crash that left an
# adoption's files behind; a batch whose run id is not one aas-submit
# makes is left alone.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 10
emu_start || exit 1
mkdir "$T/src"
printf '## Q-1: One\nDo one.\n\n## Q-2: Two\nDo two.\n' >"$T/src/ACTIVE_TASKS.md"
git_repo "$T/a" "$T/src/ACTIVE_TASKS.md"
git clone -q "$T/a" "$T/b"
root=$(git -C "$T/a" rev-list --max-parents=0 HEAD)
cd "$T/a" || exit 1
aas-scan --all | aas-submit -q >sub.jsonl
run=$(jq -r 'select(.ev == "intent") | .run' .aas/batches.jsonl)

# 120 newer batches of other projects, and one of this project whose
# run id would climb out of the state folder
printf '{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"x"}]}}\n' >x.jsonl
fid=$(curl -sS "$EMU_URL/v1/files" -H "Authorization: Bearer $OPENAI_API_KEY" \
    -F purpose=batch -F "file=@x.jsonl" | jq -r .id)
create() {
	curl -sS -o /dev/null -w '%{http_code}\n' "$EMU_URL/v1/batches" \
	    -H "Authorization: Bearer $OPENAI_API_KEY" -H 'Content-Type: application/json' \
	    -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":$1}"
}
i=0
while [ $i -lt 120 ]; do
	create "{\"aas_run\":\"other-$i\",\"aas_project\":\"someone-else\"}"
	i=$((i + 1))
done | sort | uniq -c | tr -s ' ' >codes
is "$(cat codes)" " 120 200" "120 batches of another project"
create "{\"aas_run\":\"../../x\",\"aas_project\":\"$root\"}" >/dev/null
emu_advance >/dev/null

cd "$T/b" || exit 1
# the STOP file: nothing asked of the provider
mkdir -p .aas/runs
touch .aas/STOP
before=$(emu_stats | jq .requests)
run aas-fetch
is "$rc $(wc -l <"$T/out") $(($(emu_stats | jq .requests) - before))" "75 0 0" "STOP: exit 75, the list not read"
rm .aas/STOP
# an adoption cut short: its tasks file, never journaled
echo garbage >".aas/runs/$run.tasks"
run aas-fetch
is "$rc" 0 "exit 0"
is "$(norm "$T/err" | sed -E 's/\(run [^)]*\)/(run R)/')" "aas-fetch: BATCH: this project's batch (run R), 2 tasks, found at the provider
aas-fetch: BATCH: this project's batch, but its run id is not one aas-submit makes: left alone" \
    "found past the first page (oldest first); the strange one left alone"
is "$(jq -r .id "$T/out" | sort | tr '\n' ' ')" "Q-1 Q-2 " "its two tasks, once"
is "$(jq -r 'select(.ev == "intent") | .run' .aas/batches.jsonl)" "$run" "journaled under the submitting clone's run id"
is "$(emu_log | jq -r 'select(.method == "GET" and .path == "/v1/batches") | .path' | wc -l | tr -d ' ')" 2 \
    "two pages of the list read"
run aas-fetch --list
is "$rc $(norm "$T/out" | awk 'NR == 2 { print $1, $2, $3 }')" "0 BATCH fetched 2/2" "--list shows it as fetched"

# Anthropic, no batch there: nothing to say
cd "$T" && git clone -q "$T/a" "$T/c" && cd "$T/c" || exit 1
printf 'provider: anthropic\n' >.aas.yml
check_run "anthropic: no batch, nothing found, nothing said" 0 "" "" -- aas-fetch
emu_stop
is $? 0 "the emulator exits cleanly"
