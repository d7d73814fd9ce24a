#!/bin/sh
# aas-notify --slack and --discord against emu-chat: one message a run
# (counts, failed tasks with reasons, cost, branches), nothing the second
# time, --per-task, each service's 429 honoured (Discord's retry_after
# body, Slack's Retry-After), 5xx retried, long runs cut within the limits
# with a note, an unknown webhook stops the target, a failed target does
# not stop the others and a re-run sends what was not sent, no URL exits 2,
# the URLs never shown.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-chat/emu-chat.sh"

plan 24
cd "$T"
chat_start || exit 1
export AAS_HTTP_BACKOFF_MS=5
SH=$(printf 'slack\n%s' "$SLACK_WEBHOOK_URL" | sha256sum | cut -c1-12)
DH=$(printf 'discord\n%s' "$DISCORD_WEBHOOK_URL" | sha256sum | cut -c1-12)
mkdir st
cat >in <<'IN'
{"id":"T-1","title":"Build *it*","error":{"stage":"apply","code":"path_escape","message":"refusing path '../x'"}}
{"id":"T-2","title":"Parse <it> & go","qa":{"ok":true},"apply":{"branch":"aas/T-2"},"response":{"usd":0.003}}
{"id":"T-3","title":"Review me","apply":{"branch":"aas/T-3"},"response":{"usd":0.0015}}
IN
ent() {	# ent OK DETAIL: the slack and discord entries
	printf '{"kind":"slack","ok":%s,"detail":"%s","hash":"%s"},{"kind":"discord","ok":%s,"detail":"%s","hash":"%s"}' \
	    "$1" "$2" "$SH" "$1" "$2" "$DH"
}
out() {	# out OK DETAIL: every line of in with its notify key
	sed "s/}\$/,\"notify\":{\"targets\":[$(ent "$1" "$2")]}}/" in
}
check_run "one message a run to each" 0 "$(out null "in the run's message")" "" \
    -- aas-notify --state st --slack --discord <in
chat_log | jq -c .body | sed 's/msg_[0-9a-f]\{24\}/ID/' >got
cat >want <<'W'
{"text":"aas: 3 tasks, 1 Done, 1 Failed, 1 Review; cost $0.0045","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"aas: 3 tasks, 1 Done, 1 Failed, 1 Review; cost $0.0045"}},{"type":"section","text":{"type":"mrkdwn","text":"*T-1* Build *it*: failed in apply: refusing path '../x'\n*T-2* Parse &lt;it&gt; &amp; go: branch `aas/T-2`\n*T-3* Review me: branch `aas/T-3`"}},{"type":"context","elements":[{"type":"mrkdwn","text":"aas delivery ID"}]}]}
{"username":"aas","content":"aas: 3 tasks, 1 Done, 1 Failed, 1 Review; cost $0.0045","embeds":[{"description":"**T-1** Build \\*it\\*: failed in apply: refusing path '../x'\n**T-2** Parse <it> & go: branch `aas/T-2`\n**T-3** Review me: branch `aas/T-3`","color":14105161,"fields":[{"name":"Done","value":"1","inline":true},{"name":"Failed","value":"1","inline":true},{"name":"Review","value":"1","inline":true}],"footer":{"text":"aas delivery ID"}}],"allowed_mentions":{"parse":[]}}
W
cmp_file got want "what Slack and Discord received"
is "$(chat_log | jq -r '"\(.svc) \(.status) \(.headers["content-type"])"' | tr '\n' ,)" \
    "slack 200 application/json,discord 200 application/json," \
    "accepted by both, JSON"
is "$(chat_log | jq -r 'select(.svc == "discord") | .path' | sed 's/[0-9]\{5,\}/N/; s/discordTOKEN.*?/T?/')" \
    "/api/webhooks/N/T?wait=true" "Discord asked to wait for the message"
check_run "the same records again: nothing sent" 0 "$(out true "already delivered")" "" \
    -- aas-notify --state st --slack --discord <in
is "$(chat_log | wc -l | tr -d ' ')" 2 "still two messages"

# --per-task: one message each, with its checks
printf '{"id":"P-1","title":"One","qa":{"ok":false,"checks":[{"name":"build","ok":true},{"name":"tests","ok":false,"exit":1}]},"apply":{"branch":"aas/P-1"}}\n' >p
run aas-notify --state st --slack --discord --per-task <p
is "$rc $(jq -c '[.notify.targets[] | .ok]' "$T/out")" "0 [true,true]" "--per-task: sent at once"
is "$(chat_log | tail -2 | jq -c '.body | (.blocks // .embeds) | .[0:2]' | sed 's/msg_[0-9a-f]\{24\}/ID/')" \
    '[{"type":"section","text":{"type":"mrkdwn","text":"*P-1* One: Failed"}},{"type":"section","text":{"type":"mrkdwn","text":"failed checks: tests (exit 1)\nbuild ok, tests FAILED\nbranch `aas/P-1`"}}]
[{"description":"failed checks: tests (exit 1)\nbuild ok, tests FAILED\nbranch `aas/P-1`","color":14105161,"footer":{"text":"aas delivery ID"}}]' \
    "--per-task: the task, why, its checks, its branch"

# 429s: Discord's retry_after (0.25 s) before its Retry-After (1 s)
printf '{"id":"Q-1"}\n' >q
chat_fault "discord 429" "slack 429" "slack 503"
run aas-notify -v --state st --slack --discord --status done <q
is "$rc $(chat_log | tail -5 | jq -r '"\(.svc):\(.status)"' | tr '\n' ' ')" \
    "0 slack:429 slack:503 slack:200 discord:429 discord:200 " \
    "429 and 503 retried until sent"
grep -o 'retry 1 of 4 in [0-9]* ms' "$T/err" >waits
is "$(cat waits | tr '\n' ,)" "retry 1 of 4 in 1000 ms,retry 1 of 4 in 250 ms," \
    "Slack's Retry-After and Discord's retry_after honoured"
ok $(grep -q -e XXXXslacktoken -e discordTOKEN -e /services/ -e /api/webhooks "$T/err" && echo 1 || echo 0) \
    "-v tracing does not show the URLs"

# long runs: cut within the limits with a note, never refused
i=0
while [ $i -lt 700 ]; do
	printf '{"id":"L-%d","title":"%s","error":{"stage":"qa","code":"x","message":"%s"}}\n' \
	    $i "$(printf 'long title %.0s' 1 2 3 4 5 6 7 8)" "$(printf 'a long reason %.0s' 1 2 3 4 5 6 7 8 9 10)"
	i=$((i + 1))
done >long
run aas-notify --state st --slack --discord <long
is "$rc $(chat_log | tail -2 | jq -r '"\(.svc):\(.status)"' | tr '\n' ' ')" \
    "0 slack:200 discord:200 " "700 failed tasks: accepted by both"
is "$(chat_log | tail -2 | head -1 | jq '.body.blocks | length') $(chat_log | tail -2 | head -1 | jq -r '.body.blocks[-1].elements[0].text' | sed 's/msg_[0-9a-f]\{24\}/ID/')" \
    "49 183 more lines cut to keep within Slack's limits; the board has every task · aas delivery ID" \
    "Slack: the lines that fit, and a note"
is "$(chat_log | tail -1 | jq -r '.body.embeds[0].description | split("\n") | last')" \
    "685 more lines cut to keep within Discord's limits; the board has every task" \
    "Discord: the lines that fit, and a note"
is "$(chat_log | tail -1 | jq -r '.body.embeds[0].description | length')" 3876 \
    "within the description's limit"

# a failed target does not stop the others; a re-run sends the rest
printf '{"id":"F-1","qa":{"ok":true}}\n' >f
chat_fault "slack 400"
SHOWN=${SLACK_WEBHOOK_URL%%/services/*}/[redacted]
check_run "Slack refuses, Discord still gets its message" 1 \
    "{\"id\":\"F-1\",\"qa\":{\"ok\":true},\"notify\":{\"targets\":[$(ent null "in the run's message")]}}" \
    "aas-notify: slack $SH: $SHOWN: http 400: invalid_payload" \
    -- aas-notify --state st --slack --discord <f
is "$(chat_log | tail -2 | jq -r '"\(.svc):\(.status)"' | tr '\n' ' ')" "slack:400 discord:200 " \
    "one try at Slack, Discord sent"
run aas-notify --state st --slack --discord <f
is "$rc $(chat_log | tail -1 | jq -r '"\(.svc):\(.status) \(.body.text)"')" \
    "0 slack:200 *F-1*: Done" "the re-run sends Slack's message only"
is "$(chat_log | jq -r 'select(.body.text? == "*F-1*: Done" or .body.content? == "**F-1**: Done") | .svc' | tr '\n' ' ')" \
    "slack discord slack " "each service got F-1 once in the end"

# an unknown webhook stops the target
printf '{"id":"W-1"}\n{"id":"W-2"}\n' >w
BAD=${DISCORD_WEBHOOK_URL%/*}/wrongtoken
BH=$(printf 'discord\n%s' "$BAD" | sha256sum | cut -c1-12)
DSHOWN=${BAD%%/api/*}/[redacted]
check_run "Discord's unknown webhook: the target stops" 1 \
    "{\"id\":\"W-1\",\"notify\":{\"targets\":[{\"kind\":\"discord\",\"ok\":false,\"detail\":\"$DSHOWN: http 404: Unknown Webhook; nothing more is sent to it in this run\",\"hash\":\"$BH\"}]}}
{\"id\":\"W-2\",\"notify\":{\"targets\":[{\"kind\":\"discord\",\"ok\":false,\"detail\":\"not sent: stopped after $DSHOWN: http 404: Unknown Webhook; nothing more is sent to it in this run\",\"hash\":\"$BH\"}]}}" \
    "aas-notify: W-1: discord $BH: $DSHOWN: http 404: Unknown Webhook; nothing more is sent to it in this run
aas-notify: W-2: discord $BH: not sent: stopped after $DSHOWN: http 404: Unknown Webhook; nothing more is sent to it in this run" \
    -- env DISCORD_WEBHOOK_URL="$BAD" aas-notify --state st --discord --per-task --status done <w

check_run "no URL: exit 2" 2 "" "aas-notify: --slack: no URL: set SLACK_WEBHOOK_URL" \
    -- env -u SLACK_WEBHOOK_URL aas-notify --state st --slack <w
check_run "a URL that is not http" 2 "" "aas-notify: --discord: the discord webhook URL: not an http:// or https:// URL" \
    -- env DISCORD_WEBHOOK_URL=file:///etc/passwd aas-notify --state st --discord <w
n0=$(chat_log | wc -l)
run aas-notify --state st --slack --dry-run --status done <w
is "$rc $(sed 's/msg_[0-9a-f]\{24\}/ID/' "$T/err")" \
    "0 aas-notify: dry run: slack: POST $SHOWN: {\"text\":\"aas: 2 tasks, 2 Done\",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"aas: 2 tasks, 2 Done\"}},{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":\"aas delivery ID\"}]}]}" \
    "--dry-run: the message and where, the URL hidden"
is "$(chat_log | wc -l)" "$n0" "--dry-run sent nothing"
done_testing
