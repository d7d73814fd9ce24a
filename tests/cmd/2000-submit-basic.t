#!/bin/sh
# 2000-submit-basic: options, --dry-run, --jsonl, templates, custom ids
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 24
setup_repo

check_run "--version" 0 "aas-submit 0.1.0" "" -- aas-submit --version
run aas-submit --help
is "$rc $(head -n 1 "$T/out")" "0 usage: aas-submit [-fqv] [--candidates N] [--config FILE] [--max-batches N] [--max-bytes N] [--max-cost USD] [--max-requests N] [--model MODEL] [--provider NAME] [--state DIR] [--template NAME|FILE] [--base REV | --integrate]" "--help: usage on stdout"
run aas-submit --bogus
is "$rc $(head -n 1 "$T/err")" "2 aas-submit: unknown option --bogus" "bad option: exit 2"
check_run "operand refused" 2 "" "aas-submit: unexpected operand: x
usage: aas-submit [-fqv] [--candidates N] [--config FILE] [--max-batches N] [--max-bytes N] [--max-cost USD] [--max-requests N] [--model MODEL] [--provider NAME] [--state DIR] [--template NAME|FILE] [--base REV | --integrate]
       aas-submit --sync [-j N] [--keep-order] [--rpm N] [--tpm N] [options]
       aas-submit --dry-run | --jsonl FILE [options]
       aas-submit --repair [--max-attempts N] [options]" -- aas-submit x
run aas-submit --sync --dry-run
is "$rc $(head -n 1 "$T/err")" "2 aas-submit: --sync, --jsonl and --dry-run exclude each other" "modes exclude each other"
run aas-submit --max-cost abc
is "$rc $(head -n 1 "$T/err")" "2 aas-submit: --max-cost: not a number: abc" "--max-cost checked"
printf 'provider: mistral\n' >.aas.yml
check_run "unknown provider" 2 "" "aas-submit: $T/repo/.aas.yml:1:11: provider: 'mistral': expected openai or anthropic" -- aas-submit --dry-run </dev/null
printf 'budget: [1]\n' >.aas.yml
run aas-submit --dry-run </dev/null
is "$rc" 2 "config type error: exit 2"
rm .aas.yml
check_run "missing template file" 2 "" "aas-submit: nope.tpl: No such file or directory" -- aas-submit --dry-run --template nope.tpl

gen 3 >in.jsonl
check_run "--dry-run: estimates, no state" 0 \
'{"id":"T-1","title":"Task 1","status":"Queued","body":"Do thing 1.","deps":[],"fields":{},"source":{"path":"ACTIVE_TASKS.md","line":1,"sha":"0000000000000000000000000000000000000000000000000000000000000001"},"request":{"custom_id":"T-1-000000000000","model":"gpt-4.1-mini","endpoint":"/v1/chat/completions","template":"implement","est_tokens":1356,"est_usd":0.0008712,"prompt_bytes":743}}
{"id":"T-2","title":"Task 2","status":"Queued","body":"Do thing 2.","deps":[],"fields":{},"source":{"path":"ACTIVE_TASKS.md","line":2,"sha":"0000000000000000000000000000000000000000000000000000000000000002"},"request":{"custom_id":"T-2-000000000000","model":"gpt-4.1-mini","endpoint":"/v1/chat/completions","template":"implement","est_tokens":1356,"est_usd":0.0008712,"prompt_bytes":743}}
{"id":"T-3","title":"Task 3","status":"Queued","body":"Do thing 3.","deps":[],"fields":{},"source":{"path":"ACTIVE_TASKS.md","line":3,"sha":"0000000000000000000000000000000000000000000000000000000000000003"},"request":{"custom_id":"T-3-000000000000","model":"gpt-4.1-mini","endpoint":"/v1/chat/completions","template":"implement","est_tokens":1356,"est_usd":0.0008712,"prompt_bytes":743}}' \
"aas-submit: dry run: 3 tasks, 4068 tokens, 0.0026 USD estimated" -- aas-submit --dry-run <in.jsonl
test -e .aas
ok $((! $?)) "--dry-run makes no state folder"

# errors pass, bad lines become error records, a task twice is refused
{ printf '{"id":"E-1","error":{"stage":"scan","code":"x","message":"m"}}\nnot json\n'
  gen 1; gen 1; printf '{"title":"no id"}\n'; } >mixed.jsonl
run aas-submit --dry-run --model gpt-4.1 --template decompose <mixed.jsonl
is "$rc" 1 "record errors: exit 1"
is "$(jq -c '[.id, .error.code, .request.template, .request.model]' "$T/out" | tr '\n' ' ')" \
    '["E-1","x",null,null] [null,"bad_json",null,null] ["T-1",null,"decompose","gpt-4.1"] ["T-1","duplicate",null,null] [null,"no_id",null,null] ' \
    "errors passed, bad json, duplicate and no id failed"
is "$(cat "$T/err")" "aas-submit: stdin:2: '[' or '{' expected near 'not' at column 3
aas-submit: T-1: task T-1-000000000000 given twice in this input
aas-submit: line 5: record has no id
aas-submit: dry run: 1 tasks, 1220 tokens, 0.0042 USD estimated" "one stderr line per failure"

# a task twice among many (the set of ids grows past its first table)
{ gen 1500; gen 1; gen 1499 | tail -n 1; } >many.jsonl
run aas-submit -q --dry-run <many.jsonl
is "$rc $(jq -r 'select(.error.code == "duplicate") | .id' "$T/out" | tr '\n' ' ')$(jq -c 'select(.request) | .id' "$T/out" | sort -u | wc -l) $(tail -n 1 "$T/err")" \
    "1 T-1 T-1499 1500 aas-submit: dry run: 1500 tasks, 2035992 tokens, 1.3072 USD estimated" \
    "a task twice among 1,500: refused, each other counted once"

# custom ids: sanitised, capped, unique
printf '{"id":"a b","source":{"sha":"ffffffffffffffff"}}\n{"id":"a_b","source":{"sha":"ffffffffffffffff"}}\n{"id":"x"}\n' >odd.jsonl
run aas-submit -q --dry-run <odd.jsonl
is "$(jq -r .request.custom_id "$T/out" | tr '\n' ' ')" "a_b_c8687a08-ffffffffffff a_b-ffffffffffff x-01ba4719c80b " "custom ids sanitised and unique"

# unknown model: no price, est_usd null, a note on stderr
run aas-submit --dry-run --model my-llm <in.jsonl
is "$rc $(jq -r .request.est_usd "$T/out" | sort -u) $(head -n 1 "$T/err")" \
    "0 null aas-submit: no price for model my-llm: costs are not tracked (set prices.my-llm in the config)" "unknown model: no price"
printf 'prices:\n  my-llm: {input: 1000000, output: 0}\n' >.aas.yml
run aas-submit --dry-run --model my-llm <in.jsonl
is "$(jq -r .request.est_usd "$T/out" | sort -u)" "178" "prices from the config (and the batch discount)"
rm .aas.yml
gen 1 >one.jsonl
check_run "budget and an unknown price" 1 "" "aas-submit: T-1: no price for model my-llm: set prices.my-llm in the config to use a budget
aas-submit: dry run: 0 tasks, 0 tokens, 0.0000 USD estimated" -- sh -c 'aas-submit --dry-run --model my-llm --max-cost 5 <one.jsonl >/dev/null'

# --jsonl: the batch input file only, tasks journaled as a local run
check_run "--jsonl" 0 "" "" -- sh -c 'aas-submit --jsonl "$1" <in.jsonl >out.jsonl' sh "$T/batch.jsonl"
is "$(jq -c '[.custom_id, .method, .url, .body.model, (.body.messages | length), .body.response_format.json_schema.name]' "$T/batch.jsonl" | tr '\n' ' ')" \
    '["T-1-000000000000","POST","/v1/chat/completions","gpt-4.1-mini",2,"plan"] ["T-2-000000000000","POST","/v1/chat/completions","gpt-4.1-mini",2,"plan"] ["T-3-000000000000","POST","/v1/chat/completions","gpt-4.1-mini",2,"plan"] ' \
    "--jsonl: OpenAI batch lines"
is "$(jq -c '[.id, (.request | keys), has("batch")]' out.jsonl | sort -u)" \
    '["T-1",["custom_id","endpoint","est_tokens","est_usd","model","prompt_bytes","template"],false]
["T-2",["custom_id","endpoint","est_tokens","est_usd","model","prompt_bytes","template"],false]
["T-3",["custom_id","endpoint","est_tokens","est_usd","model","prompt_bytes","template"],false]' "--jsonl: records get request only"
is "$(jq -c '[.ev, .n, .file]' .aas/batches.jsonl)" "[\"local\",3,\"$T/batch.jsonl\"]" "--jsonl: a local run in the journal"
run aas-submit --jsonl "$T/a.jsonl" --provider anthropic --model claude-haiku-4-5 <in.jsonl
is "$(jq -c '[.custom_id, .params.model, (.params.max_tokens > 0), (.params | has("system"))]' "$T/a.jsonl" | head -n 1)" \
    '["T-1-000000000000","claude-haiku-4-5",true,true]' "--jsonl for Anthropic: params lines"
done_testing
