#!/bin/sh
# bench/plan.sh: aas-plan's plans per second on a 10,000-answer stream,
# against `jq -c .` on the same stream as a floor (jq parses and prints
# every record; aas-plan also parses each answer and splices the plan in).
#
# The stream cycles through the Agentless corpus answers (real
# SEARCH/REPLACE replies) and the fixture answers in every format, each
# wrapped in a record shaped like aas-fetch's output.  The error fixtures
# make aas-plan exit 1 (-i lets hyperfine time it anyway).
set -eu
N=${N:-10000}
RUNS=${RUNS:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${AAS_SHARED:-$SRC/../shared}
BIN="$SRC/build/bin"
make -C "$SRC" -s build/bin/aas-plan
W=$(mktemp -d "${TMPDIR:-/tmp}/aas-bench-plan.XXXXXX")
trap 'rm -rf "$W"' EXIT

{
	cat "$SHARED"/corpus/agentless/*.jsonl | jq -c '.answer'
	for f in "$SRC"/tests/fixtures/answers/*.txt; do
		jq -Rs -c . "$f"
	done
} >"$W/answers"
jq -c -n --argjson n "$N" --slurpfile a "$W/answers" '
    range($n) as $i | $a[$i % ($a | length)] as $t |
    {id: "B-\($i)", title: "bench task \($i)", status: "Queued",
     body: "Fix the thing.", deps: [], parent: null, fields: {},
     source: {path: "ACTIVE_TASKS.md", line: ($i + 3),
              sha: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
     request: {custom_id: "B-\($i)", model: "gpt-4.1-mini",
               endpoint: "/v1/chat/completions", template: "implement",
               est_tokens: 1800, est_usd: 0.00072},
     response: {status: 200, text: $t, finish_reason: "stop",
                usage: {input: 1500, output: 300, cached: 0},
                usd: 0.00108, request_id: "req_\($i)"}}' >"$W/stream"
echo "stream: $(wc -l <"$W/stream") records, $(wc -c <"$W/stream") bytes"
"$BIN/aas-plan" -q <"$W/stream" >"$W/out" || true
echo "plans: $(jq -r '.plan.format // ("error " + .error.code)' "$W/out" |
    sort | uniq -c | tr -s ' ' | tr '\n' ';')"

hyperfine -i --warmup 1 --runs "$RUNS" --export-json "$W/h.json" \
    -n aas-plan "$BIN/aas-plan -q <$W/stream >/dev/null" \
    -n 'jq -c .' "jq -c . <$W/stream >/dev/null" >&2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
jq -r --argjson n "$N" '
    .results as $r | ($r[0].mean) as $a | ($r[1].mean) as $j |
    ($r[0].user) as $au | ($r[1].user) as $ju |
    "aas-plan: \($a * 1000 | floor) ms wall (\($au * 1000 | floor) ms user), \($n / $a | floor) plans/s wall, \($n / $au | floor) per CPU second",
    "jq -c . : \($j * 1000 | floor) ms wall (\($ju * 1000 | floor) ms user), \($n / $j | floor) records/s wall, \($n / $ju | floor) per CPU second",
    "ratio   : aas-plan / jq -c . = \($a / $j * 100 | floor / 100) wall, \($au / $ju * 100 | floor / 100) user CPU"' "$W/h.json"
