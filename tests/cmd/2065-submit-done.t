#!/bin/sh
# 2065-submit-done: a task the board says is Done whose branch exists is
# not sent again (no request, no cost) unless --force; its record goes
# through marked, and aas-notify leaves the board as it is.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 7
setup_repo
printf '| ID | Title | Status |\n| --- | --- | --- |\n| D-1 | one | Done |\n| D-2 | two | Done |\n' >ACTIVE_TASKS.md
git add ACTIVE_TASKS.md && git commit -qm board
git branch aas/D-1
emu_start || exit 1
aas-scan --all >in.jsonl
run aas-submit --sync <in.jsonl
is "$rc $(jq -r '.id + ":" + (.request.skipped // "sent") + ":" + (has("response") | tostring)' "$T/out" | tr '\n' ' ')" \
    "0 D-1:done:false D-2:sent:true " "Done with its branch: skipped; Done with no branch: sent"
is "$(cat "$T/err")" "aas-submit: D-1: Done, and branch aas/D-1 exists: skipped (--force sends it again)" "one line says so"
is "$(emu_stats | jq .sync_requests)" 1 "one call only"
grep '"D-1"' "$T/out" | jq -c .request | sed 's/"custom_id":"[^"]*"/"custom_id":"C"/' >"$T/req"
is "$(cat "$T/req")" '{"custom_id":"C","skipped":"done","branch":"aas/D-1"}' "the mark"
grep '"D-1"' "$T/out" | aas-plan 2>/dev/null | aas-apply 2>/dev/null | aas-qa 2>/dev/null |
    aas-notify --board >/dev/null 2>&1
is "$(sed -n 3p ACTIVE_TASKS.md)" "| D-1 | one | Done |" "through the pipeline: the board still says Done"
rm -rf .aas
run aas-submit -q <in.jsonl
is "$rc $(jq -r '.id + ":" + (.request.skipped // "sent")' "$T/out" | tr '\n' ' ')" "0 D-1:done D-2:sent " "batch mode: the same"
run aas-submit -q --sync --keep-order --force <in.jsonl
is "$rc $(jq -r '.id + ":" + (has("response") | tostring)' "$T/out" | tr '\n' ' ')" "0 D-1:true D-2:true " "--force: sent"
done_testing
