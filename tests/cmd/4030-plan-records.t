#!/bin/sh
# Records in and out: other keys byte for byte, pass-through, errors
# untouched, truncated answers, limits, --require-tests, config, usage.
. "${AAS_SRC:-.}/tests/lib.sh"
plan 20

sr='```python\n### a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n'
p='{"summary":"","format":"search_replace","edits":[{"path":"a.py","op":"replace","search":"x = 1\n","replace":"x = 2\n"}],"tests":[]}'

# users' keys keep their bytes: 0.10, a duplicate key, spacing, big ints
printf '%s\n' "{\"id\":\"A-1\", \"n\":0.10,\"n\":1e2,\"big\":123456789012345678901234567890,\"response\":{\"text\":\"$sr\",\"finish_reason\":\"stop\"}}" >"$T/in"
check_run "plan spliced in, other keys byte for byte" 0 \
    "{\"id\":\"A-1\", \"n\":0.10,\"n\":1e2,\"big\":123456789012345678901234567890,\"response\":{\"text\":\"$sr\",\"finish_reason\":\"stop\"},\"plan\":$p}" "" \
    -- aas-plan <"$T/in"

# -v: one progress line per planned record
check_run "-v: format and edit count on stderr" 0 "$(cat "$T/out")" \
    "aas-plan: A-1: search_replace, 1 edit" -- aas-plan -v <"$T/in"

# re-run replaces the plan in place
cp "$T/out" "$T/in2"
check_run "re-run replaces the plan key in place" 0 "$(cat "$T/in2")" "" \
    -- aas-plan <"$T/in2"

printf '%s\n' '{"id":"A-2","title":"no response yet"}' \
    '{"id":"A-3","error":{"stage":"fetch","code":"http_500","message":"x"},"response":{"text":"junk"}}' \
    'not json' >"$T/in"
check_run "no response: unchanged; error: untouched; bad line: bad_json" 1 \
'{"id":"A-2","title":"no response yet"}
{"id":"A-3","error":{"stage":"fetch","code":"http_500","message":"x"},"response":{"text":"junk"}}
{"error":{"stage":"input","code":"bad_json","message":"'"'"'['"'"' or '"'"'{'"'"' expected near '"'"'not'"'"' at column 3"},"raw":"not json"}' \
    "aas-plan: stdin:3: '[' or '{' expected near 'not' at column 3" \
    -- aas-plan <"$T/in"

printf '%s\n' "{\"id\":\"A-4\",\"response\":{\"text\":\"$sr\",\"finish_reason\":\"length\"}}" >"$T/in"
check_run "truncated answer: error record, no plan" 1 \
    "{\"id\":\"A-4\",\"response\":{\"text\":\"$sr\",\"finish_reason\":\"length\"},\"error\":{\"stage\":\"plan\",\"code\":\"truncated\",\"message\":\"the answer was cut short (finish_reason length)\"}}" \
    "aas-plan: A-4: the answer was cut short (finish_reason length)" \
    -- aas-plan <"$T/in"
check_run "-q silences the record message" 1 \
    "{\"id\":\"A-4\",\"response\":{\"text\":\"$sr\",\"finish_reason\":\"length\"},\"error\":{\"stage\":\"plan\",\"code\":\"truncated\",\"message\":\"the answer was cut short (finish_reason length)\"}}" \
    "" -- aas-plan -q <"$T/in"

printf '%s\n' '{"id":"A-5","response":{"text":"","finish_reason":"stop"}}' >"$T/in"
check_run "empty text: empty_plan" 1 \
    '{"id":"A-5","response":{"text":"","finish_reason":"stop"},"error":{"stage":"plan","code":"empty_plan","message":"the response has no text"}}' \
    "aas-plan: A-5: the response has no text" -- aas-plan <"$T/in"

printf '%s\n' "{\"id\":\"A-6\",\"response\":{\"text\":\"$sr\"}}" >"$T/in"
check_run "--max-file-bytes: too_large" 1 \
    "{\"id\":\"A-6\",\"response\":{\"text\":\"$sr\"},\"error\":{\"stage\":\"plan\",\"code\":\"too_large\",\"message\":\"a.py: search is 6 bytes, over the limit of 5\"}}" \
    "aas-plan: A-6: a.py: search is 6 bytes, over the limit of 5" \
    -- aas-plan --max-file-bytes 5 <"$T/in"
check_run "--require-tests: no_tests" 1 \
    "{\"id\":\"A-6\",\"response\":{\"text\":\"$sr\"},\"error\":{\"stage\":\"plan\",\"code\":\"no_tests\",\"message\":\"the plan adds or changes no test file\"}}" \
    "aas-plan: A-6: the plan adds or changes no test file" \
    -- aas-plan --require-tests <"$T/in"

# config: plan.test_globs makes a.py a test; plan.require_tests on
mkdir -p "$T/repo/.git"
printf 'plan:\n  require_tests: true\n  test_globs: ["a.*"]\n' >"$T/repo/.aas.yml"
cd "$T/repo"
check_run "config plan.test_globs and plan.require_tests" 0 \
    "{\"id\":\"A-6\",\"response\":{\"text\":\"$sr\"},\"plan\":{\"summary\":\"\",\"format\":\"search_replace\",\"edits\":[{\"path\":\"a.py\",\"op\":\"replace\",\"search\":\"x = 1\n\",\"replace\":\"x = 2\n\"}],\"tests\":[\"a.py\"]}}" \
    "" -- aas-plan <"$T/in"
printf 'plan:\n  max_file_bytes: many\n' >"$T/repo/.aas.yml"
run aas-plan <"$T/in"
is "$rc:$(wc -l <"$T/out")" "2:0" "config error: exit 2 before any record"
case $(cat "$T/err") in
"aas-plan: $T/repo/.aas.yml:2:19: plan.max_file_bytes: expected a number, not 'many'") ok 0 "config error names file:line" ;;
*) ok 1 "config error names file:line"; sed 's/^/# /' "$T/err" ;;
esac
rm "$T/repo/.aas.yml"
cd "$T"

# the JSON plan's own test list is kept and checked
printf '%s\n' '{"id":"A-7","response":{"text":"{\"summary\":\"s\",\"edits\":[{\"path\":\"x.c\",\"op\":\"delete\"}],\"tests\":[\"../t.c\"]}"}}' >"$T/in"
run aas-plan <"$T/in"
is "$rc:$(jq -c .error "$T/out")" \
    '1:{"stage":"plan","code":"path_escape","message":"tests[0]: refusing path '"'"'../t.c'"'"': outside the repository"}' \
    "a bad path in tests is refused"

# usage
check_run "--version" 0 "aas-plan 0.1.0" "" -- aas-plan --version
run aas-plan -h
is "$rc:$(head -1 "$T/out")" "0:usage: aas-plan [-qv] [--require-tests] [--max-file-bytes N] [-c FILE] [--state DIR]" "-h prints usage on stdout"
run aas-plan --bogus </dev/null
is "$rc:$(head -1 "$T/err")" "2:aas-plan: unknown option --bogus" "bad option: exit 2"
run aas-plan --max-file-bytes 0 </dev/null
is "$rc:$(head -1 "$T/err")" "2:aas-plan: --max-file-bytes: not a positive number: 0" "bad number: exit 2"
run aas-plan extra </dev/null
is "$rc:$(head -1 "$T/err")" "2:aas-plan: unexpected operand: extra" "operand: exit 2"

# a STOP file stops before the next record: exit 75, nothing written
mkdir -p "$T/st"; touch "$T/st/STOP"
printf '%s\n' '{"id":"A-8"}' >"$T/in"
check_run "STOP file: exit 75, and why" 75 "" "aas-plan: stopped: STOP file $T/st/STOP" \
    -- aas-plan --state "$T/st" <"$T/in"

# a closed stdout is fatal, exit 3 (one record written before the error)
printf '%s\n' '{"id":"A-9"}' >"$T/in"
rc=0
aas-plan <"$T/in" >/dev/full 2>"$T/err" || rc=$?
is "$rc:$(head -1 "$T/err")" "3:aas-plan: write error: No space left on device" "write error: exit 3"
done_testing
