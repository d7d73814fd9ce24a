#!/bin/sh
# 0041-config-values: values of the wrong type or out of range are refused
# at load with file:line:column (issue 10, items 1, 12, 31), a plain
# scalar of a string key is the text it was written as, and a record
# holding a NUL character is refused with a clear message that keeps its
# id (item 13).
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"
. "$FIX/qa/qa.sh"

plan 10
setup_repo
gen 2 >in.jsonl

printf 'template_file_max: 99999999999999\n' >.aas.yml
echo hello >f.c
sed 's/"fields":{}/"fields":{"Files":"f.c"}/' in.jsonl >files.jsonl
check_run "a huge template_file_max: refused, no allocation" 2 "" \
    "aas-submit: $T/repo/.aas.yml:1:20: template_file_max: 99999999999999: out of range (1 to 16777216)" \
    -- aas-submit --dry-run <files.jsonl
printf 'budget: 1e309\n' >.aas.yml
check_run "budget past a double: out of range" 2 "" \
    "aas-submit: $T/repo/.aas.yml:1:9: budget: 1e309: out of range (0 to 1000000000)" \
    -- aas-submit --dry-run <in.jsonl
printf 'budget: -1\n' >.aas.yml
check_run "a negative budget" 2 "" \
    "aas-submit: $T/repo/.aas.yml:1:9: budget: -1: out of range (0 to 1000000000)" \
    -- aas-submit --dry-run <in.jsonl
printf 'budjet: 0.000001\n' >.aas.yml
check_run "budjet: a typo is not 'no budget'" 2 "" \
    "aas-submit: $T/repo/.aas.yml:1:1: budjet: unknown key (did you mean 'budget'?)" \
    -- aas-submit --dry-run <in.jsonl
rm .aas.yml
check_run "\$AAS_BUDGET checked too" 2 "" \
    "aas-submit: \$AAS_BUDGET: budget: -1: out of range (0 to 1000000000)" \
    -- env AAS_BUDGET=-1 aas-submit --dry-run <in.jsonl
check_run "\$AAS_PROVIDER checked too" 2 "" \
    "aas-submit: \$AAS_PROVIDER: provider: 'mistral': expected openai or anthropic" \
    -- env AAS_PROVIDER=mistral aas-submit --dry-run <in.jsonl

# run: true is the command true(1); argv items are strings as written
cd "$T" || exit 1
qa_repo "$T/qa"
cat >qa.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: t
      run: true
    - name: 10
      argv: [test, 5, -eq, 5]
YML
printf '%s\n' "$(qa_task T-1 x.txt hello)" >in
run aas-qa -c qa.yml --state "$T/state" <in
is "$rc $(jq -c '[.qa.ok, [.qa.checks[] | .name, .cmd, .exit]]' "$T/out")" \
    '0 [true,["t","true",0,"10","test 5 -eq 5",0]]' \
    "run: true runs true; a check named 10; argv [test, 5, -eq, 5]"

# a NUL in a record: a clear message naming the line, the id kept
printf '{"id":"A-1","title":"x"}\n{"id":"A-2","title":"a\\u0000b"}\n' >nul.jsonl
run aas-plan <nul.jsonl
is "$rc" 1 "a record with a NUL character: exit 1"
is "$(sed -n 2p "$T/out")" \
    '{"id":"A-2","error":{"stage":"input","code":"bad_json","message":"the string ending at column 30 holds a NUL character (\\u0000)"},"raw":"{\"id\":\"A-2\",\"title\":\"a\\u0000b\"}"}' \
    "the error record keeps the id"
is "$(cat "$T/err")" \
    "aas-plan: stdin:2: the string ending at column 30 holds a NUL character (\\u0000)" \
    "the message names the line and the character"
