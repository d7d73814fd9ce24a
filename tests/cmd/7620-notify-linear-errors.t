#!/bin/sh
# aas-notify --linear when things go wrong: configuration mistakes exit 2
# before anything is sent; Linear's rate-limit error (HTTP 400 RATELIMITED)
# and 5xx are waited out and retried; an error inside HTTP 200 fails the
# delivery (ok:false, the reason, exit 1) without stopping the board, and a
# re-run delivers it; a wrong key is Linear's authentication error and
# stops the target for the run; the key is in no output, record, journal,
# board, request log or argv, -v tracing included.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-linear/emu.sh"

plan 15
git_repo "$T/repo"
cd "$T/repo" || exit 1
lin_start "$FIX/linear/script.json" || exit 1
export AAS_HTTP_BACKOFF_MS=5
printf '## E-1: one\n- Status: Queued\n\n## E-2: two\n- Status: Queued\n' >ACTIVE_TASKS.md
aas-scan --all | jq -c '. + {qa: {ok: true}}' >in

# configuration mistakes: nothing sent
check_run "no team: exit 2" 2 "" \
    "aas-notify: --linear: no team: give --linear=TEAM or set linear.team" \
    -- aas-notify --linear <in
check_run "no key: exit 2" 2 "" "aas-notify: --linear: LINEAR_API_KEY is not set" \
    -- env -u LINEAR_API_KEY aas-notify --linear=ENG <in
check_run "a bad URL: exit 2" 2 "" \
    "aas-notify: --linear: LINEAR_API_URL: not an http or https URL" \
    -- env LINEAR_API_URL=file:///etc/passwd aas-notify --linear=ENG <in
printf 'linear:\n  taem: ENG\n' >.aas.yml
run aas-notify --linear <in
is "$rc $(cat "$T/err")" "2 aas-notify: $T/repo/.aas.yml:2:3: linear.taem: unknown key (did you mean 'team'?)" \
    "a mistyped config key: exit 2"
printf 'linear:\n  team: ENG\n' >.aas.yml
is "$(lin_log | wc -l)" 0 "nothing was sent"

# rate limited (Linear's HTTP 400 RATELIMITED), then a 502 and a reset
lin_fault '{"match": "issues", "action": "ratelimit", "reset_ms": 200}'
lin_fault '{"match": "teams", "action": "status", "status": 502}'
lin_fault '{"match": "issueCreate", "action": "reset"}'
run aas-notify -v --linear <in >/dev/null
cp "$T/err" verbose.err
is "$rc $(jq -c '[.notify.targets[0].ok, .notify.targets[0].detail.issue]' "$T/out" | tr '\n' ' ')" \
    '0 [true,"ENG-1"] [true,"ENG-2"] ' "rate limit, 502 and a reset waited out: delivered"
is "$(lin_calls | head -5 | tr '\n' ' ')" \
    "query:issues!ratelimit query:issues query:teams!status query:teams query:workflowStates " \
    "the rate-limited and failed calls were made again"

# an error inside HTTP 200: the delivery fails, the board does not
printf '## E-3: three\n- Status: Queued\n' >>ACTIVE_TASKS.md
aas-scan --id E-3 | jq -c '. + {qa: {ok: true}}' >in3
lin_fault '{"match": "issueCreate", "action": "error200", "message": "Something went wrong", "times": 9}'
run aas-notify --board --linear <in3
is "$rc $(jq -c '.notify.targets' "$T/out")" \
    '1 [{"kind":"board","ok":true,"detail":"Queued -> Done"},{"kind":"linear","ok":false,"detail":"linear: Something went wrong","hash":"'"$(printf 'linear\n%s\nENG' "$LINEAR_API_URL" | sha256sum | cut -c1-12)"'"}]' \
    "an error in HTTP 200: ok false with Linear's message, exit 1, the board written"
curl -sS -d '{"teams": '"$(jq -c .teams "$FIX/linear/script.json")"'}' "$LIN_URL/_emu/script" >/dev/null
run aas-notify --board --linear <in3
is "$rc $(jq -c '.notify.targets[1] | [.ok, .detail.issue, .detail.action]' "$T/out")" \
    '0 [true,"ENG-1","created"]' "the re-run delivers it"

# a wrong key: Linear's authentication error, the target stopped
aas-scan --all | jq -c '. + {qa: {ok: false}}' >inf
LINEAR_API_KEY=lin_api_wrong_0123456789 run aas-notify --linear <inf
is "$rc" 1 "a wrong key: exit 1"
is "$(jq -r '.notify.targets[0].detail' "$T/out" | head -1)" \
    "linear: ENG-1: authentication failed (HTTP 400): Authentication required, not authenticated" \
    "Linear's authentication error as the reason"
is "$(lin_log | jq -r 'select(.auth == "bad") | .fields // [] | length' | wc -l)" 1 \
    "one refused request, then the target is stopped for the run"

# the key is nowhere
mkfifo fifo
aas-notify -v --board --linear <fifo >out5 2>err5 &
pid=$!
exec 3>fifo
i=0
while ! tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null | grep -q 'aas-notify -v' &&
    [ $i -lt 250 ]; do
	sleep 0.02
	i=$((i + 1))
done
tr '\0' ' ' </proc/$pid/cmdline >argv
cat inf >&3
exec 3>&-
wait $pid
grep -q 'aas-notify -v --board --linear' argv
ok $? "argv read"
grep -q 'Authorization: \[redacted\]' verbose.err err5
ok $? "-v traces show the header redacted"
if grep -rqF "$LINEAR_API_KEY" "$T" --exclude=emu.sh 2>/dev/null ||
    grep -qF "$LINEAR_API_KEY" argv; then
	ok 1 "the key is in no output, record, journal, board, log or argv"
	grep -rlF "$LINEAR_API_KEY" "$T" | sed 's/^/# /'
else
	ok 0 "the key is in no output, record, journal, board, log or argv"
fi
