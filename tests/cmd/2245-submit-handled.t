#!/bin/sh
# 2245-submit-handled: a record aas-submit has already handled for its
# attempt (it has a response, or a request under the custom_id it would be
# sent with) crosses it byte for byte and costs nothing, in every mode;
# --force sends it again.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/repair/lib.sh"

plan 6
repair_repo
repair_script
emu_start "$T/script.json" || exit 1
aas-scan >t.jsonl
aas-submit -q --sync --keep-order <t.jsonl >r.jsonl
aas-submit -q --dry-run <t.jsonl >d.jsonl 2>/dev/null
check_run "--sync: answered records pass" 0 "$(cat r.jsonl)" "" \
    -- aas-submit --sync --keep-order <r.jsonl
check_run "batch mode: answered records pass" 0 "$(cat r.jsonl)" "" \
    -- aas-submit <r.jsonl
check_run "a request for this attempt passes" 0 "$(cat d.jsonl)" "" \
    -- aas-submit --sync --keep-order <d.jsonl
is "$(emu_stats | jq -c '[.sync_requests, .batches_created]')" "[3,0]" "nothing sent"
run aas-submit -q --sync --force --keep-order <r.jsonl
is "$rc $(emu_stats | jq .sync_requests)" "0 6" "--force sends them again"
jq -c '.request.custom_id = "other"' d.jsonl >o.jsonl
run aas-submit -q --sync --keep-order <o.jsonl
is "$rc $(jq -r .request.custom_id "$T/out" | grep -c other) $(emu_stats | jq .sync_requests)" \
    "0 0 9" "a request of another attempt does not count"
done_testing
