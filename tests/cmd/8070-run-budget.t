#!/bin/sh
# 8070-run-budget: --max-cost stops aas-run with exit 75 before the
# request that would pass it; the tasks it did not send stay Queued (not
# Failed), and a run with more budget goes on, sending nothing twice.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/run/lib.sh"

plan 5
run_repo "$T/repo"
cd "$T/repo" || exit 1
run_script "$T/script.json"
emu_start "$T/script.json" || exit 1

# estimates: about 0.0017 USD a request (1,000 output tokens are assumed)
run aas-run -q --sync --goal G-1 --max-cost 0.002
is "$rc $(tail -n 1 "$T/err" | sed 's/[0-9.]* USD$/USD/')" \
    "75 aas-run: 1 done, 0 failed, 5 left, USD" "the budget: exit 75"
is "$(run_outcome)" "G-1 Blocked,G-1-1 Done,G-1-2 Queued,G-1-3 Queued,G-1-4 Queued,G-1-5 Queued," \
    "what the budget stopped stays Queued"
run aas-run -q --sync --goal G-1 --max-cost 0.002
is "$rc $(emu_stats | jq .sync_requests)" "75 2" "run again under the same budget: nothing sent, exit 75"
run aas-run -q --sync --goal G-1 --max-cost 1
is "$rc $(run_outcome)" "0 G-1 Done,G-1-1 Done,G-1-2 Done,G-1-3 Done,G-1-4 Done,G-1-5 Done," \
    "more budget: the rest goes through"
is "$(emu_stats | jq .sync_requests)" 6 "each request once: the goal and five tasks"
done_testing
