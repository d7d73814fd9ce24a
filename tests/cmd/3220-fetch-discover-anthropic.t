#!/bin/sh
# 3220-fetch-discover-anthropic: Anthropic batches carry no metadata: a
# fresh clone takes an ended batch as this project's when every custom_id
# in its results is a task of its board (or a candidate of one), fetches
# it once, and leaves another repository's alone; running batches wait.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 9
emu_start || exit 1
mkdir "$T/src"
printf '## R-1: One\nDo one.\n\n## R-2: Two\nDo two.\n\n## R-3: Three\nDo three.\n' >"$T/src/ACTIVE_TASKS.md"
printf 'provider: anthropic\nmodel: claude-haiku-4-5\n' >"$T/src/.aas.yml"
git_repo "$T/a" "$T/src/ACTIVE_TASKS.md" "$T/src/.aas.yml"
git clone -q "$T/a" "$T/b"
git_repo "$T/c" "$T/src/.aas.yml"
printf '## S-1: Other\nElsewhere.\n' >"$T/c/ACTIVE_TASKS.md"

cd "$T/a" || exit 1
aas-scan --all | jq -c 'select(.id != "R-3")' | aas-submit -q >/dev/null
aas-scan --all | jq -c 'select(.id == "R-3")' | aas-submit -q --candidates 2 >/dev/null
(cd "$T/c" && aas-scan --all | aas-submit -q >/dev/null)
is "$(emu_stats | jq .batches_created)" 3 "three Anthropic batches: two of this project, one of another"

cd "$T/b" || exit 1
run aas-fetch
is "$rc $(wc -l <"$T/out") $(cat "$T/err")" \
    "0 0 aas-fetch: 3 anthropic batches still running: anthropic batches carry no metadata, so one of this project's is found only once it has ended" \
    "running: none can be told apart yet"
emu_advance >/dev/null
run aas-fetch
is "$rc" 0 "ended: exit 0"
is "$(norm "$T/err")" "aas-fetch: BATCH: this project's batch (its tasks are this board's), 2 tasks, found at the provider
aas-fetch: BATCH: this project's batch (its tasks are this board's), 2 tasks, found at the provider" \
    "this project's two batches found, the other left"
is "$(jq -c '[.id, .candidate, .request.custom_id, .response.status]' "$T/out" | sort | tr '\n' ' ')" \
    "$(printf '%s ' "[\"R-1\",null,\"$(cd "$T/a" && aas-scan --id R-1 | jq -r .source.sha | sed 's/^\(.\{12\}\).*/R-1-\1/')\",200]" \
    "[\"R-2\",null,\"$(cd "$T/a" && aas-scan --id R-2 | jq -r .source.sha | sed 's/^\(.\{12\}\).*/R-2-\1/')\",200]" \
    "[\"R-3\",{\"k\":1,\"n\":2},\"$(cd "$T/a" && aas-scan --id R-3 | jq -r .source.sha | sed 's/^\(.\{12\}\).*/R-3-\1/')\",200]" \
    "[\"R-3\",{\"k\":2,\"n\":2},\"$(cd "$T/a" && aas-scan --id R-3 | jq -r .source.sha | sed 's/^\(.\{12\}\).*/R-3-\1-c2/')\",200]")" \
    "each task once, the candidates numbered, from the board's records"
is "$(jq -c '[.title, .request.model, .request.endpoint, .request.template]' "$T/out" | sort -u | tr '\n' ' ')" \
    '["One","claude-haiku-4-5","/v1/messages","implement"] ["Three","claude-haiku-4-5","/v1/messages","implement"] ["Two","claude-haiku-4-5","/v1/messages","implement"] ' \
    "the request rebuilt: model from the answers, the configured template"
run aas-fetch
is "$rc $(wc -l <"$T/out")" "0 0" "fetched again: nothing twice"
is "$(emu_log | jq -r 'select(.method == "GET" and (.path | endswith("/results"))) | .path' | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" \
    "1 1 1 " "each batch's results read once (the other repository's to tell)"
run sh -c 'aas-scan --all --new | aas-submit'
is "$rc $(wc -l <"$T/out") $(emu_stats | jq .batches_created)" "0 0 3" "nothing sent again"
