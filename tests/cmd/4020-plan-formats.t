#!/bin/sh
# Each fixture answer tests/fixtures/answers/NAME.txt becomes exactly the
# plan (or error) in NAME.plan.json, compared after jq -S -c.  An error
# fixture exits 1 with one stderr line naming the record.
. "${AAS_SRC:-.}/tests/lib.sh"
A="$FIX/answers"
n=$(ls "$A"/*.txt | wc -l)
plan $((n * 2))
for f in "$A"/*.txt; do
	name=$(basename "$f" .txt)
	jq -n -c --arg id "$name" --rawfile t "$f" \
	    '{id: $id, response: {text: $t, finish_reason: "stop"}}' >"$T/in"
	run aas-plan <"$T/in"
	jq -S -c 'del(.id, .response)' "$T/out" >"$T/got"
	cmp_file "$T/got" "$A/$name.plan.json" "$name: plan"
	msg=$(jq -r '.error.message // empty' "$A/$name.plan.json")
	if [ -n "$msg" ]; then
		want_rc=1 want_err="aas-plan: $name: $msg"
	else
		want_rc=0 want_err=
	fi
	is "$rc:$(cat "$T/err")" "$want_rc:$want_err" "$name: status and stderr"
done
done_testing
