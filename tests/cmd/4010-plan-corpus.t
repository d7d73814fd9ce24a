#!/bin/sh
# Every real answer of the Agentless corpus is parsed into the edits its
# expected_patch shows: the same files, search texts found in the files
# (trailing white space and "..." elisions aside), every added line in
# some edit.  A case where Agentless made no patch must be an error record
# or a search text the applier will refuse.
. "${AAS_SRC:-.}/tests/lib.sh"
corpus="$SHARED/corpus/agentless"
[ -d "$corpus" ] || skip_all "no corpus in $corpus"
cat "$corpus"/*.jsonl >"$T/corpus.jsonl"
n=$(wc -l <"$T/corpus.jsonl")
plan $((n + 3))

jq -c '{id: .case, response: {text: .answer, finish_reason: "stop"}}' \
    "$T/corpus.jsonl" >"$T/in"
run aas-plan <"$T/in"
is "$rc" 0 "aas-plan exits 0 on the corpus"
is "$(wc -l <"$T/out")" "$n" "one plan per answer"
is "$(cat "$T/err")" "" "nothing on stderr"
cp "$T/out" "$T/plans"
jq -r --slurpfile plans "$T/plans" -f "$FIX/answers/corpus-check.jq" \
    "$T/corpus.jsonl" >"$T/report"
good=0
while IFS= read -r line; do
	case $line in
	"ok "*) ok 0 "${line#ok }"; good=$((good + 1)) ;;
	*) ok 1 "${line#miss }" ;;
	esac
done <"$T/report"
echo "# corpus: $good of $n answers parsed as expected_patch shows"
done_testing
