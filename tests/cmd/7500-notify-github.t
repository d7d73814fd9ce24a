#!/bin/sh
# aas-notify --github against emu-forge: the branch pushed over smart HTTP
# with the token (and nowhere else), one pull request per task across
# re-runs, its body rewritten for a new outcome, a draft while QA fails,
# labels from the configuration, adoption on 422 and after a reset, rate
# limits waited out, dry runs and configuration errors.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/fixtures/forge/lib.sh"

plan 49
TOKEN=ghp_t0kenThatMustNotLeak42
export EMU_GH_TOKEN=$TOKEN
forge_work
cp .git/config "$T/config.before"

# rec ID OK: a record of aas-qa for the task on its branch
rec() {
	printf '{"id":"%s","title":"Task %s","apply":{"branch":"aas/%s","commit":"%s","files":[{"path":"%s.txt","op":"write"}]},"plan":{"summary":"Adds %s.txt."},"qa":{"ok":%s,"checks":[{"name":"build","ok":%s,"exit":%s,"ms":1500}]},"request":{"model":"gpt-4.1-mini"},"response":{"usage":{"input":100,"output":20},"usd":0.0125}}\n' \
	    "$1" "$1" "$1" "$(git rev-parse "aas/$1")" "$1" "$1" "$2" "$2" \
	    "$([ "$2" = true ] && echo 0 || echo 2)"
}
gh() {	# gh: the github entry of the record on stdout
	notified github
}
pulls() {	# pulls JQ: over the emulator's pull requests of owner/repo
	curl -sS "$FORGE_URL/_emu/pulls" | jq -c ".github[\"owner/repo\"] | $1"
}
count() {	# count METHOD PATH-GLOB-AS-JQ-REGEX
	forge_log | jq -s "[.[] | select(.method == \"$1\" and (.path | test(\"$2\")))] | length"
}
P=$FORGE_URL/owner/repo/pull

c1=$(branch T-1)
rec T-1 true >r1
run aas-notify --github <r1
is "$rc $(gh)" "0 [true,\"$P/1\"]" "a pull request opened; its URL is the detail"
is "$(git -C "$FORGE_GIT/owner/repo.git" rev-parse aas/T-1)" "$c1" \
    "the commit landed in the bare repository behind git http-backend"
is "$(pulls '.[0] | [.head.ref, .base.ref, .draft, .title, .state]')" \
    '["aas/T-1","main",false,"T-1: Task T-1","open"]' \
    "head, base (the default branch), not a draft, the title"
pulls '.[0].body' | jq -j . >body1
cat >want1 <<'W'
<!-- aas-notify: T-1 -->
**T-1**: Task T-1

Status: **Done**

### Summary

Adds T-1.txt.

### Files changed (1)

- `T-1.txt` (write)

### Checks

| Check | Result | Exit | Time |
| --- | --- | --- | --- |
| build | passed | 0 | 1.5 s |

### Run

- Model: gpt-4.1-mini
- Cost: $0.0125 (100 input and 20 output tokens)
W
printf -- '- Commit: %s\n\n<sub>Written by aas-notify; rewritten on each run that reports a new outcome.</sub>\n' "$c1" >>want1
cmp_file body1 want1 "the body: task, summary, files, checks, model, cost"
is "$(forge_log | jq -r 'select(.service == "git") | "\(.method) \(.status) \(.user // "-")"' | tr '\n' ,)" \
    "GET 401 -,GET 200 x-access-token,POST 200 x-access-token," \
    "the push: asked for credentials, then Basic auth x-access-token"
is "$(forge_log | jq -r 'select(.service == "github") | "\(.method) \(.path) \(.ua)"' | tr '\n' ,)" \
    "GET /repos/owner/repo/pulls aas/0.1.0,GET /repos/owner/repo aas/0.1.0,POST /repos/owner/repo/pulls aas/0.1.0," \
    "looked for an open one, read the default branch, created"

n=$(forge_log | wc -l)
run aas-notify --github <r1
is "$rc $(gh) $(forge_log | wc -l)" "0 [true,\"already delivered\"] $n" \
    "the same record again: nothing sent at all"

# a repair made it fail, then a new commit: the body is rewritten
rec T-1 false >r1b
run aas-notify --github <r1b
is "$rc $(gh)" "0 [true,\"$P/1\"]" "a new outcome: the same pull request"
is "$(count POST '/pulls$') $(count PATCH '/pulls/1$')" "1 1" \
    "one create in the log, one update"
is "$(pulls '.[0].body' | jq -r . | grep -c '^| build | \*\*failed\*\* | 2 | 1.5 s |$')" 1 \
    "the body shows the failed check"
is "$(pulls 'length')" 1 "one pull request for the task"
is "$(pulls '.[0].draft') $(forge_log | jq -r 'select(.path == "/graphql") | .body.query | scan("convertPullRequestToDraft|markPullRequestReadyForReview")')" \
    "true convertPullRequestToDraft" "now failing: made a draft through GraphQL"

# QA failed with the branch kept: a draft
branch T-2 >/dev/null
rec T-2 false >r2
run aas-notify --github <r2
is "$rc $(gh) $(pulls '.[1] | [.draft, .head.ref]')" \
    "0 [true,\"$P/2\"] [true,\"aas/T-2\"]" "QA failed: opened as a draft"

# labels from the configuration, added once
printf 'github:\n  labels: [aas, bot]\n' >.aas.yml
branch T-3 >/dev/null
rec T-3 true >r3
run aas-notify --github <r3
is "$rc $(pulls '.[2].labels | map(.name)')" '0 ["aas","bot"]' \
    "labels from github.labels"
rm .aas.yml

# someone opened one meanwhile, and a stale list hid it: 422, adopted
branch T-4 >/dev/null
curl -sS -X POST -d '{"repo":"owner/repo","head":"aas/T-4","base":"main","title":"by hand","body":"old"}' \
    "$FORGE_URL/_emu/pulls" >/dev/null
faults <<'S'
{"faults": [{"path": "/repos/owner/repo/pulls", "method": "GET", "kind": "empty_list", "count": 1}]}
S
m=$(forge_log | wc -l)
rec T-4 true >r4
run aas-notify --github <r4
is "$rc $(gh)" "0 [true,\"$P/4\"]" "422 already exists: the open one adopted"
is "$(calls github $m)" \
    "GET 200 empty_list,GET 200 -,POST 422 -,GET 200 -,PATCH 200 -," \
    "listed (stale), created (422), listed again, updated"
is "$(pulls '[.[] | select(.head.ref == "aas/T-4")] | [length, .[0].title]')" \
    '[1,"T-4: Task T-4"]' "still one for the branch, its title and body ours"

# the create is made but the connection drops: looked up, not made twice
branch T-5 >/dev/null
faults <<'S'
{"faults": [{"path": "/repos/owner/repo/pulls", "method": "POST", "kind": "commit_then_reset", "count": 1}]}
S
rec T-5 true >r5
run aas-notify --github <r5
is "$rc $(gh)" "0 [true,\"$P/5\"]" "a reset after the create: the new one found"
is "$(pulls '[.[] | select(.head.ref == "aas/T-5")] | length')" 1 \
    "one pull request, not two"

# rate limits: a secondary limit with retry-after, a primary limit until
# its reset, a 429; the emulator answers 403 again to any call made before
# the limit is over, so none may appear
branch T-6 >/dev/null
faults <<'S'
{"faults": [
 {"path": "/repos/owner/repo/pulls", "method": "GET", "kind": "primary", "reset_in": 1, "count": 1},
 {"path": "/repos/owner/repo/pulls", "method": "POST", "kind": "secondary", "retry_after": 1, "count": 1},
 {"path": "/repos/owner/repo/issues/*/labels", "kind": "429", "retry_after": 1, "count": 1}
]}
S
printf 'github:\n  labels: ci\n' >.aas.yml
m=$(forge_log | wc -l)
rec T-6 true >r6
run aas-notify --github <r6
is "$rc $(gh)" "0 [true,\"$P/6\"]" "rate limited three ways: delivered"
is "$(calls github $m)" \
    "GET 403 primary,GET 200 -,GET 200 -,POST 403 secondary,POST 201 -,POST 429 429,POST 200 -," \
    "each limit waited out: no call inside a limit"
is "$(forge_log | tail -n +$((m + 1)) | jq -s '[.[] | select(.service == "github")] | (.[1].t_ms - .[0].t_ms >= 900) and (.[4].t_ms - .[3].t_ms >= 900)')" \
    true "the waits lasted as asked"
is "$(pulls '.[5].labels | map(.name)')" '["ci"]' "labels as one string"
rm .aas.yml

# an answer that leaves no requests: the next call waits for the reset
branch T-12 >/dev/null
faults <<'S'
{"faults": [{"path": "/repos/owner/repo/pulls", "method": "GET", "kind": "exhaust", "reset_in": 1, "count": 1}]}
S
m=$(forge_log | wc -l)
rec T-12 true >r12
run aas-notify --github <r12
is "$rc $(gh)" "0 [true,\"$P/7\"]" "remaining 0: delivered"
is "$(calls github $m)" \
    "GET 200 exhaust,GET 200 -,POST 201 -," "the call after it waited for the reset"

# a limit longer than aas waits: not sent, a re-run delivers
branch T-7 >/dev/null
faults <<'S'
{"faults": [{"path": "/repos/owner/repo/pulls", "method": "GET", "kind": "secondary", "retry_after": 3600, "count": 1}]}
S
rec T-7 true >r7
run aas-notify --github <r7
is "$rc $(jq -c '.notify.targets[0].ok' "$T/out")" "1 false" \
    "a limit of an hour: ok false, exit 1"
is "$(grep -c 'T-7: github .*rate limited' "$T/err")" 1 "and it says why"
curl -sS -X POST -d '{"faults":[]}' "$FORGE_URL/_emu/script" >/dev/null
run aas-notify --github <r7
is "$rc $(gh)" "0 [true,\"$P/8\"]" "the limit over: a re-run delivers it"

# a 502 on the create: looked up, not there, sent again
branch T-13 >/dev/null
faults <<'S'
{"faults": [{"path": "/repos/owner/repo/pulls", "method": "POST", "kind": "502", "count": 1}]}
S
m=$(forge_log | wc -l)
rec T-13 true >r13
run aas-notify --github <r13
is "$rc $(calls github $m)" \
    "0 GET 200 -,GET 200 -,POST 502 502,GET 200 -,POST 201 -," \
    "a 502 on the create: listed, nothing there, created once"
is "$(pulls '[.[] | select(.head.ref == "aas/T-13")] | length')" 1 \
    "one pull request for it"

# a 403 that is no rate limit (the token may not do this): not retried
branch T-14 >/dev/null
faults <<'S'
{"faults": [{"path": "/repos/owner/repo/pulls", "method": "POST", "kind": "forbidden"}]}
S
m=$(forge_log | wc -l)
rec T-14 true >r14
run aas-notify --github <r14
is "$rc $(jq -c '.notify.targets[0] | [.ok, .detail]' "$T/out")" \
    '1 [false,"POST /repos/owner/repo/pulls: http 403: Resource not accessible by integration"]' \
    "a permission 403: ok false with GitHub's message"
is "$(forge_log | tail -n +$((m + 1)) | jq -r 'select(.service == "github") | "\(.method) \(.status)"' | tr '\n' ,)" \
    "GET 200,GET 200,POST 403," "sent once, not retried"
curl -sS -X POST -d '{"faults":[]}' "$FORGE_URL/_emu/script" >/dev/null

# a wrong token: the push is refused, nothing opened
branch T-8 >/dev/null
rec T-8 true >r8
run env GITHUB_TOKEN=ghp_wrongWrongWrong aas-notify --github <r8
is "$rc $(jq -c '.notify.targets[0] | [.ok, .detail]' "$T/out")" \
    "1 [false,\"github: push to $FORGE_URL/owner/repo.git: the token was refused\"]" \
    "a refused token: ok false with the reason"
is "$(git -C "$FORGE_GIT/owner/repo.git" rev-parse -q --verify aas/T-8)" "" \
    "nothing pushed"

# dry run: said, not sent
n=$(forge_log | wc -l)
branch T-9 >/dev/null
rec T-9 true >r9
run aas-notify --dry-run --github <r9
is "$rc $(forge_log | wc -l)" "0 $n" "--dry-run sends nothing"
is "$(grep -c "github: T-9: would push aas/T-9 ([0-9a-f]*) to $FORGE_URL/owner/repo.git and open or update its pull request on owner/repo: T-9: Task T-9" "$T/err")" \
    1 "--dry-run says what it would do"

run env -u GITHUB_TOKEN GH_TOKEN="$TOKEN" aas-notify --dry-run --github <r9
is "$rc $(grep -c 'github: T-9: would push' "$T/err")" "0 1" "GH_TOKEN serves as well"

# no branch: nothing to open
printf '{"id":"T-10","error":{"stage":"plan","code":"no_plan","message":"x"}}\n' >r10
run aas-notify --github <r10
is "$rc $(gh)" '0 [true,"no branch to push"]' "a task without a branch"

# a branch with nothing new: GitHub's 422 reasons in the message
git branch aas/T-11 main
rec T-11 true >r11
run aas-notify --github <r11
is "$rc $(jq -c '.notify.targets[0] | [.ok, .detail]' "$T/out")" \
    '1 [false,"POST /repos/owner/repo/pulls: http 422: Validation Failed: No commits between main and aas/T-11"]' \
    "422 No commits between: ok false with GitHub's reason"

# configuration mistakes stop it before anything is read
check_run "no token" 2 "" \
    "aas-notify: --github: no token: set GITHUB_TOKEN or GH_TOKEN" \
    -- env -u GITHUB_TOKEN -u GH_TOKEN aas-notify --github </dev/null
check_run "a token with a space" 2 "" \
    "aas-notify: --github: the GitHub token has a space or a control character in it" \
    -- env GITHUB_TOKEN="ghp_a b" aas-notify --github </dev/null
check_run "GITHUB_REPOSITORY not owner/name" 2 "" \
    "aas-notify: --github: repository 'justone' is not OWNER/NAME (set GITHUB_REPOSITORY or github.repository)" \
    -- env GITHUB_REPOSITORY=justone aas-notify --github </dev/null
check_run "GITHUB_REPOSITORY with a query in it" 2 "" \
    "aas-notify: --github: repository 'o/r?x=1' is not OWNER/NAME (set GITHUB_REPOSITORY or github.repository)" \
    -- env GITHUB_REPOSITORY='o/r?x=1' aas-notify --github </dev/null
check_run "a remote that does not exist" 2 "" \
    "aas-notify: --github: no remote named 'upstream'" \
    -- sh -c 'printf "github:\n  remote: upstream\n" >c.yml; aas-notify -c c.yml --github </dev/null'

# the token is nowhere: outputs, records, journal, configs, argv
sed 's/"ms":1500/"ms":1600/' r1 >r1c
run aas-notify -v --github <r1c
is "$rc $(grep -c '^aas-notify: > Authorization: \[redacted\]$' "$T/err")" "0 3" \
    "-v traces the calls, the header redacted"
is "$(pulls '.[0].draft')" false "passing again: ready for review"
grep -rl "$TOKEN" "$T/out" "$T/err" .aas .git/config \
    "$FORGE_GIT/owner/repo.git/config" >leaks 2>/dev/null
is "$(cat leaks)" "" "no token in stdout, stderr (-v), journal or configs"
is "$(tr '\0' ' ' </proc/$FORGE_PID/cmdline | grep -c "$TOKEN")" 0 \
    "nor in the emulator's argv (it reads the environment)"
cmp_file .git/config "$T/config.before" \
    "the push made no remote and changed none"
done_testing
