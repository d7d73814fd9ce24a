#!/bin/sh
# 2260-submit-model: the model of each task (--model > the task's Model >
# repair_model past attempt 1 > templates.NAME.model > model), priced per
# model, and batch mode split into one batch per model
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 14
setup_repo
emu_start || exit 1
cat >ACTIVE_TASKS.md <<'EOF'
| ID | Title | Model |
| --- | --- | --- |
| M-1 | Table task | gpt-4o |
| M-2 | Plain task | |

## M-3: Heading task
- Model: gpt-4.1-nano

Body.

## M-4: Repair task
EOF
aas-scan --all >scan.jsonl
# M-4 on its second attempt (aas-submit --repair sets the key)
jq -c 'if .id == "M-4" then . + {attempt: 2} else . end' scan.jsonl >in.jsonl
is "$(jq -c '[.id, .fields.Model]' in.jsonl | tr '\n' ' ')" \
    '["M-1","gpt-4o"] ["M-2",""] ["M-3","gpt-4.1-nano"] ["M-4",null] ' "the board's Model column and field"

models() { jq -r '[.id, .request.model] | join(" ")' "$T/out" | tr '\n' ','; }
run aas-submit --dry-run <in.jsonl
is "$rc $(models)" "0 M-1 gpt-4o,M-2 gpt-4.1-mini,M-3 gpt-4.1-nano,M-4 gpt-4.1-mini," "the task's model, else model"
printf 'repair_model: o4-mini\ntemplates:\n  implement:\n    model: gpt-4.1\n' >.aas.yml
run aas-submit --dry-run <in.jsonl
is "$rc $(models)" "0 M-1 gpt-4o,M-2 gpt-4.1,M-3 gpt-4.1-nano,M-4 o4-mini," \
    "repair_model for attempt 2, the template's model for the rest"
run aas-submit --dry-run --template decompose <in.jsonl
is "$rc $(models)" "0 M-1 gpt-4o,M-2 gpt-4.1-mini,M-3 gpt-4.1-nano,M-4 o4-mini," \
    "templates.implement.model is only implement's"
run aas-submit --dry-run --model gpt-4o-mini <in.jsonl
is "$rc $(models)" "0 M-1 gpt-4o-mini,M-2 gpt-4o-mini,M-3 gpt-4o-mini,M-4 gpt-4o-mini," "--model first"

# priced per model: the same prompt costs what its model costs
run aas-submit --dry-run <in.jsonl
is "$(jq -c '[.request.model, .request.est_tokens, .request.est_usd]' "$T/out" | tr '\n' ' ')" \
    "$(jq -c '[.request.model, .request.est_tokens, .request.est_usd]' "$T/out" | awk -F'[][,"]+' '{
	in_ = $3 - 1000
	p["gpt-4o"] = 2.50 " " 10.00; p["gpt-4.1"] = 2.00 " " 8.00
	p["gpt-4.1-nano"] = 0.10 " " 0.40; p["o4-mini"] = 1.10 " " 4.40
	split(p[$2], q, " ")
	printf "[\"%s\",%d,%.10g] ", $2, $3, (in_ * q[1] + 1000 * q[2]) / 1e6 * 0.5 }')" \
    "est_usd at each model's batch price"
run aas-submit --dry-run --max-cost 1 --model my-llm <in.jsonl
is "$rc $(jq -r .error.code "$T/out" | sort -u) $(head -n 1 "$T/err")" \
    "1 no_price aas-submit: M-1: no price for model my-llm: set prices.my-llm in the config to use a budget" \
    "a budget needs the price of the task's model"

# batch mode: one batch per model, each journaled with its model
run aas-submit <in.jsonl
is "$rc $(jq -r .batch.id "$T/out" | sort -u | wc -l)" "0 4" "four models, four batches"
is "$(jq -r 'select(.ev == "intent") | "\(.model) \(.n)"' .aas/batches.jsonl | sort | tr '\n' ',')" \
    "gpt-4.1 1,gpt-4.1-nano 1,gpt-4o 1,o4-mini 1," "each batch's intent names its model"
is "$(for f in .aas/runs/*.jsonl; do jq -r .body.model "$f" | sort -u | wc -l; done | sort -u)" 1 "one model per input file"
emu_advance >/dev/null
run aas-fetch
is "$rc $(jq -c 'select(.response.status == 200) | .id' "$T/out" | wc -l) $(emu_stats | jq -c .batches_by_status)" \
    '0 4 {"completed":4}' "every batch accepted (no model_mismatch) and fetched"
is "$(jq -r 'select(.kind == "actual") | .usd' .aas/ledger.jsonl | wc -l)" 4 "an actual per batch, priced by its model"

# a model the provider does not have: a task that named it fails alone
cat >nf.json <<'EOS'
{"answers":[{"match":"*Do thing 1.*","status":404,"error_body":{"error":{"message":"The model `no-such` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}}]}
EOS
emu_script nf.json >/dev/null
rm -rf .aas .aas.yml
gen 2 N | jq -c 'if .id == "N-1" then .fields.Model = "no-such" else . end' >nf.jsonl
run aas-submit --sync --keep-order <nf.jsonl
is "$rc $(jq -c '[.id, .request.model, .error.code, .response.status]' "$T/out" | tr '\n' ' ')" \
    '1 ["N-1","no-such","model_not_found",null] ["N-2","gpt-4.1-mini",null,200] ' \
    "the task's own model not found: that task fails, the others go on"
sed 's/\*Do thing 1\.\*/*/' nf.json >nf-all.json
emu_script nf-all.json >/dev/null
run aas-submit --sync --model no-such <nf.jsonl
is "$rc $(wc -l <"$T/out")" "2 0" "the configured model not found: the run stops, nothing written"
