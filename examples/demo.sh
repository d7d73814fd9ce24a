#!/bin/sh
# The demo job (make demo): the example project's board through the whole
# pipeline, against the local API emulator (no network, no key needed).
#
#   board -> aas-scan --ready -> aas-submit -> aas-fetch --wait -> aas-plan
#         -> aas-apply -> aas-qa --rollback -> aas-notify --board --webhook
# (a signed webhook to a local receiver, tests/emu-chat)
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
echo "== results fetched, planned, committed, checked, reported" >&2
aas-fetch --wait --interval 0.1 | aas-plan | aas-apply | aas-qa --rollback |
    aas-notify --board --webhook="$hook" >"$work/out.jsonl" || true
jq -c '{id, plan: (.plan.edits | length), branch: .apply.branch,
    qa: .qa.ok, error: .error.code}' "$work/out.jsonl" >&2
echo "== what the webhook receiver got" >&2
jq -c '{type: .body.type, id: .body.data.id, signed: .sig}' "$work/hook.log" >&2
echo "== a goal split into sub-tasks on the board" >&2
aas-scan --id DEMO-6 | aas-submit --sync --template decompose |
    aas-plan --decompose | jq -c '{id, title, deps}' >&2
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
if [ "$prs" != "aas/DEMO-2 false aas/DEMO-3 false " ]; then
	echo "demo: unexpected pull requests: $prs" >&2
	exit 1
fi
echo "== the board afterwards" >&2
git diff --no-index "$top/examples/project/ACTIVE_TASKS.md" ACTIVE_TASKS.md >&2 || true

# The demo checks its own outcome.
want="DEMO-2 Done
DEMO-3 Done
DEMO-4 Queued
DEMO-5 Failed
DEMO-6-1 Queued
ready: DEMO-4 DEMO-6-1"
got=$(aas-scan --all | jq -r 'select(.id != "DEMO-1" and .id != "DEMO-6") |
    "\(.id) \(.status)"' | grep -v 'DEMO-6-[23]'
    printf 'ready: %s\n' "$(aas-scan --ready | jq -r .id | tr '\n' ' ' |
    sed 's/ $//')")
if [ "$got" != "$want" ]; then
	echo "demo: unexpected outcome:" >&2
	echo "$got" >&2
	exit 1
fi
hooks=$(jq -r 'select(.sig and .status == 200) | "\(.body.data.id) \(.body.type)"' \
    "$work/hook.log" | sort | tr '\n' ,)
if [ "$hooks" != "DEMO-2 task.done,DEMO-3 task.done,DEMO-5 task.failed," ]; then
	echo "demo: unexpected webhooks: $hooks" >&2
	exit 1
fi
echo "demo: ok: DEMO-2 and DEMO-3 committed on aas/DEMO-2 and aas/DEMO-3 and passed QA; DEMO-5 failed its test and was rolled back; DEMO-6 became DEMO-6-1..3; a signed webhook for each of the three" >&2
echo "demo: ok: pull requests opened for aas/DEMO-2 and aas/DEMO-3 on the local GitHub emulator" >&2
