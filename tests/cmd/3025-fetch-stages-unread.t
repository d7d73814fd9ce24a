#!/bin/sh
# 3025-fetch-stages-unread: every stage after aas-fetch (and aas-submit,
# aas-fetch --stdin) that stops on a configuration error exits 2 without
# reading a byte of its input, so the records are still there for the
# next one (here: cat) and nothing was consumed.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 7
setup_repo
printf 'qa:\n  chekcs: []\n' >"$T/bad.yml"
OPENAI_API_KEY=sk-unused
export OPENAI_API_KEY
for c in "aas-submit" "aas-submit --sync" "aas-fetch --stdin" "aas-plan" "aas-apply" "aas-qa" "aas-notify --board"; do
	got=$(printf '{"id":"A-1"}\n{"id":"A-2"}\n' | { $c -c "$T/bad.yml" >"$T/out" 2>"$T/err"; echo "rc=$?"; cat; })
	name=${c%% *}
	is "$(echo "$got" | tr '\n' ' ')$(wc -c <"$T/out") $(cat "$T/err")" \
	    "rc=2 {\"id\":\"A-1\"} {\"id\":\"A-2\"} 0 $name: $T/bad.yml:2:3: qa.chekcs: unknown key (did you mean 'checks'?)" \
	    "$c: exit 2, its input unread"
done
done_testing
