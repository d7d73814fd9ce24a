#!/bin/sh
# 3020-fetch-again: a later stage that stops on a configuration error
# (exit 2) strands nothing: it consumed no record, and after the fix one
# command, aas-fetch --again, writes the last fetch's answers again and
# the pipeline completes.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 6
setup_repo
printf 'base\n' >README && git add README && git commit -qm base
cat >"$T/s.json" <<'EOS'
{"default":{"content":{"summary":"s","edits":[{"path":"a.txt","op":"write","content":"x\n"}],"tests":[]}}}
EOS
emu_start "$T/s.json" || exit 1
printf 'qa:\n  chekcs: []\n' >"$T/bad.yml"
gen 2 G >in.jsonl
aas-submit -q <in.jsonl >/dev/null
aas-fetch -q --wait --interval 0.01 | aas-plan -q | aas-apply -q >"$T/applied"
aas-qa -q -c "$T/bad.yml" <"$T/applied" >"$T/out" 2>"$T/err"
is "$? $(wc -l <"$T/out")" "2 0" "aas-qa: a configuration error, exit 2, nothing written"
is "$(wc -l <"$T/applied") $(git branch --list 'aas/*' | tr -d ' ' | tr '\n' ' ')" "2 aas/G-1 aas/G-2 " \
    "the answers were applied before it"
run aas-fetch
is "$rc $(wc -l <"$T/out")" "0 0" "a plain aas-fetch: already written, nothing"
aas-fetch -q --again | aas-plan -q | aas-apply -q --force | aas-qa -q >"$T/out" 2>"$T/err"
is "$? $(jq -r '.id + ":" + (.qa.ok | tostring)' "$T/out" | sort | tr '\n' ' ')$(cat "$T/err")" "0 G-1:true G-2:true " \
    "config fixed: aas-fetch --again, and the pipeline completes"
aas-fetch -q --again >"$T/out2"
is "$? $(jq -r .id "$T/out2" | sort | tr '\n' ' ')" "0 G-1 G-2 " "--again again: the same batch (the last aas-fetch was --again)"
check_run "and a plain aas-fetch still writes nothing" 0 "" "" -- aas-fetch
done_testing
