#!/bin/sh
# The demo job (make demo): the example project's board through the whole
# loop, against the local API emulator (no network, no key needed).
#
#   1. the ready tasks as one batch, each built on the integration branch
#      aas/integration and landed there when it passes, a failed one sent
#      back to the model once (a repair round), the board and a signed
#      webhook (to a local receiver, tests/emu-chat):
#        aas-scan --ready | aas-submit
#        aas-fetch --wait | aas-plan | aas-apply --integrate |
#            aas-qa --integrate --rollback | aas-submit --sync --repair |
#            aas-plan | aas-apply --integrate | aas-qa --integrate --rollback |
#            aas-notify --board --webhook
#   2. their pull requests, on a local GitHub emulator (tests/emu-forge)
#   3. aas-run --sync --goal DEMO-6: the goal split into sub-tasks and
#      every task that is ready, wave after wave, taken to Done
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${AAS_BUILD:=$top/build}"
PATH="$AAS_BUILD/bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/aas-demo.XXXXXX")
emu_pid=
forge_pid=
hook_pid=
cleanup() {
	[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null
	[ -n "$forge_pid" ] && kill "$forge_pid" 2>/dev/null
	[ -n "$hook_pid" ] && kill "$hook_pid" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A scratch copy of the example project, as a git repository.
cp -R "$top/examples/project" "$work/repo"
cd "$work/repo"
git init -q -b main
git -c user.name=demo -c user.email=demo@example.invalid add -A
git -c user.name=demo -c user.email=demo@example.invalid commit -q -m "strutil"
git config user.name "aas demo"
git config user.email "demo@example.invalid"

# wait_port FILE WHAT: until a server has written its port (5 s at most)
wait_port() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "demo: $2 did not start" >&2; exit 1; }
		sleep 0.05
	done
}

# The emulator stands in for the OpenAI API on 127.0.0.1.
"$AAS_BUILD/tests/emu/aas-emu" --port-file "$work/port" \
    --script "$top/examples/demo-answers.json" &
emu_pid=$!
wait_port "$work/port" emulator
export OPENAI_BASE_URL="http://127.0.0.1:$(cat "$work/port")/v1"
export OPENAI_API_KEY=sk-test

# A webhook receiver that checks Standard Webhooks signatures.
export AAS_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
python3 "$top/tests/emu-chat/emu-chat.py" --port-file "$work/hook.port" \
    --log "$work/hook.log" --webhook-secret "$AAS_WEBHOOK_SECRET" &
hook_pid=$!
wait_port "$work/hook.port" receiver
hook="http://127.0.0.1:$(cat "$work/hook.port")/hook/demo"

echo "== the board" >&2
cat ACTIVE_TASKS.md >&2
echo "== ready tasks, submitted as a batch" >&2
aas-scan --ready | aas-submit >"$work/submitted.jsonl"
jq -c '{id, batch: .batch.id}' "$work/submitted.jsonl" >&2
echo "== results fetched, planned, committed onto aas/integration, checked, one repair round, reported" >&2
aas-fetch --wait --interval 0.1 | aas-plan | aas-apply --integrate |
    aas-qa --integrate --rollback | aas-submit --sync --repair | aas-plan |
    aas-apply --integrate | aas-qa --integrate --rollback |
    aas-notify --board --webhook="$hook" --html "$AAS_BUILD/demo-report.html" \
    --summary="$AAS_BUILD/demo-summary.md" >"$work/out.jsonl" || true
jq -c '{id, attempt: (.attempt // 1), plan: (.plan.edits | length),
    branch: .apply.branch, qa: .qa.ok, error: .error.code,
    failed_before: [.history[]? | .code]}' "$work/out.jsonl" >&2
echo "== what the webhook receiver got" >&2
jq -c '{type: .body.type, id: .body.data.id, signed: .sig}' "$work/hook.log" >&2
echo "== branches" >&2
git branch --list 'aas/*' >&2
echo "== pull requests on a local GitHub emulator" >&2
# emu-forge stands in for GitHub (its REST API, and git http-backend for
# the push); the token reaches it and aas-notify through the environment.
mkdir -p "$work/forge/demo"
git init -q --bare -b main "$work/forge/demo/strutil.git"
git push -q "$work/forge/demo/strutil.git" main
EMU_GH_TOKEN=ghp_demo python3 "$top/tests/emu-forge/emu-forge.py" \
    --git-root "$work/forge" --port-file "$work/forge-port" &
forge_pid=$!
wait_port "$work/forge-port" emu-forge
forge="http://127.0.0.1:$(cat "$work/forge-port")"
git remote add origin "$forge/demo/strutil.git"
GITHUB_TOKEN=ghp_demo GITHUB_API_URL=$forge aas-notify --github \
    <"$work/out.jsonl" >"$work/pr.jsonl" || true
jq -c '{id, github: (.notify.targets[] | select(.kind == "github") |
    .detail)}' "$work/pr.jsonl" >&2
prs=$(curl -sS "$forge/_emu/pulls" | jq -r '.github["demo/strutil"][] |
    "\(.head.ref) \(.draft)"' | sort | tr '\n' ' ')
if [ "$prs" != "aas/DEMO-2 false aas/DEMO-3 false aas/DEMO-5 false " ]; then
	echo "demo: unexpected pull requests: $prs" >&2
	exit 1
fi
echo "== aas-run: the goal DEMO-6 split into sub-tasks, then every ready task, wave after wave" >&2
st=0
aas-run --sync --goal DEMO-6 2>"$work/run.err" || st=$?
grep -v '^aas-qa: .*: check .* failed' "$work/run.err" >&2 || true
if [ "$st" != 0 ]; then
	echo "demo: aas-run exited $st" >&2
	exit 1
fi
echo "== aas/integration, oldest first" >&2
git log --reverse --format='%h %s' aas/integration >&2
echo "== the board afterwards" >&2
git diff --no-index "$top/examples/project/ACTIVE_TASKS.md" ACTIVE_TASKS.md >&2 || true

# The demo checks its own outcome.
want="DEMO-1 Done
DEMO-2 Done
DEMO-3 Done
DEMO-4 Done
DEMO-5 Done
DEMO-6 Done
DEMO-6-1 Done
DEMO-6-2 Done
DEMO-6-3 Done
ready: "
got=$(aas-scan --all | jq -r '"\(.id) \(.status)"'
    printf 'ready: %s\n' "$(aas-scan --ready | jq -r .id | tr '\n' ' ' |
    sed 's/ $//')")
if [ "$got" != "$want" ]; then
	echo "demo: unexpected outcome:" >&2
	echo "$got" >&2
	exit 1
fi
hooks=$(jq -r 'select(.sig and .status == 200) | "\(.body.data.id) \(.body.type)"' \
    "$work/hook.log" | sort | tr '\n' ,)
if [ "$hooks" != "DEMO-2 task.done,DEMO-3 task.done,DEMO-5 task.done," ]; then
	echo "demo: unexpected webhooks: $hooks" >&2
	exit 1
fi
rm -rf "$work/tree" && mkdir "$work/tree"
git archive aas/integration | tar -x -C "$work/tree"
if ! make -s -C "$work/tree" check >"$work/check.out" 2>&1; then
	echo "demo: make check fails on aas/integration:" >&2
	cat "$work/check.out" >&2
	exit 1
fi
echo "demo: ok: DEMO-2, DEMO-3 and DEMO-5 (after a repair round: its first answer failed its test) passed QA and landed on aas/integration; a signed webhook and a pull request for each" >&2
echo "demo: ok: aas-run split DEMO-6 into DEMO-6-1..3 and took them and DEMO-4 to Done, wave by wave; DEMO-6 is Done; make check passes on aas/integration" >&2
echo "demo: the run's report: $AAS_BUILD/demo-report.html (open it in a browser), and $AAS_BUILD/demo-summary.md" >&2
