#!/bin/sh
# aas-notify --webhook against emu-chat's Standard Webhooks receiver: the
# exact deliveries (signed, one per task), the same record twice sends
# nothing, a changed outcome is a new delivery, 5xx/429/resets retried with
# one webhook-id, other 4xx and redirects not, 410 stops the target for
# the run, a failed target does not stop the board, a re-run delivers,
# config mistakes exit 2 before anything is sent, --dry-run sends nothing.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-chat/emu-chat.sh"

plan 33
cd "$T"
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
chat_start --webhook-secret "$SECRET" || exit 1
export AAS_WEBHOOK_SECRET=$SECRET AAS_HTTP_BACKOFF_MS=5
H=$(printf 'webhook\n%s' "$HOOK_URL" | sha256sum | cut -c1-12)
mkdir st

cat >in <<'IN'
{"id":"T-1","title":"Build it","attempt":2,"qa":{"ok":false,"checks":[{"name":"build","cmd":"make","ok":false,"exit":2,"ms":5,"tail":"x"}]},"apply":{"branch":"aas/T-1","commit":"c1","base":"main","files":["a.c"]}}
{"id":"T-2","title":"Parse","qa":{"ok":true},"response":{"usage":{"input":10,"output":20,"cached":0},"usd":0.25},"request":{"model":"gpt-x"}}
IN
e() {	# e DETAIL [OK]: one webhook entry
	printf '{"kind":"webhook","ok":%s,"detail":"%s","hash":"%s"}' \
	    "${2:-true}" "$1" "$H"
}
out() {	# out LINE DETAIL [OK]: a line of in with its notify key
	sed -n "$1p" in | sed "s/}\$/,\"notify\":{\"targets\":[$(e "$2" "${3:-true}")]}}/"
}
check_run "two records, two signed deliveries" 0 "$(out 1 "http 200")
$(out 2 "http 200")" "" -- aas-notify --state st --webhook="$HOOK_URL" <in
chat_log | jq -c 'select(.svc == "webhook") | .body | del(.timestamp)' >got
cat >want <<'W'
{"type":"task.failed","data":{"id":"T-1","title":"Build it","status":"Failed","branch":"aas/T-1","commit":"c1","base":"main","files":["a.c"],"checks":[{"name":"build","ok":false,"exit":2,"ms":5}],"summary":null,"attempts":2,"model":null,"usage":null,"usd":null,"fields":null}}
{"type":"task.done","data":{"id":"T-2","title":"Parse","status":"Done","branch":null,"commit":null,"base":null,"files":null,"checks":null,"summary":null,"attempts":1,"model":"gpt-x","usage":{"input":10,"output":20},"usd":0.25,"fields":null}}
W
cmp_file got want "the receiver got each outcome"
is "$(chat_log | jq -r '[.sig, .dup, .status, (.headers["webhook-id"] | test("^msg_[0-9a-f]{24}$")), (.headers["webhook-timestamp"] | test("^[0-9]+$")), .headers["content-type"]] | @tsv' | sort -u)" \
    "true	false	200	true	true	application/json" \
    "signed, a webhook-id and a timestamp on each, none seen twice"
chat_log | jq -r '.body.timestamp' >ts
is "$(grep -c '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$' ts)" 2 \
    "the payload's timestamp is RFC 3339 UTC"
chat_log | jq -r '.headers["webhook-id"]' >ids1

check_run "the same records again: nothing sent" 0 "$(out 1 "already delivered")
$(out 2 "already delivered")" "" -- aas-notify --state st --webhook="$HOOK_URL" <in
is "$(chat_log | wc -l | tr -d ' ')" 2 "the receiver got nothing more"

sed -n 2p in | sed 's/"ok":true/"ok":false/' >in2
run aas-notify --state st --webhook="$HOOK_URL" <in2
is "$rc $(chat_log | wc -l | tr -d ' ') $(chat_log | tail -1 | jq -r .body.type)" \
    "0 3 task.failed" "a changed outcome is a new delivery"
ok $(grep -qx "$(chat_log | tail -1 | jq -r '.headers["webhook-id"]')" ids1 && echo 1 || echo 0) \
    "with a new webhook-id"

# retried: 503, 502, reset, 429 (Retry-After: 1), all with one id
printf '{"id":"R-1"}\n' >r1
chat_fault "webhook 503" "webhook 502" "webhook reset" "webhook 429"
check_run "5xx, a reset and 429 retried" 0 \
    "{\"id\":\"R-1\",\"notify\":{\"targets\":[$(e "http 200")]}}" "" \
    -- aas-notify --state st --webhook="$HOOK_URL" --status done <r1
is "$(chat_log | tail -5 | jq -r '.status' | tr '\n' ' ')" "503 502 0 429 200 " \
    "five attempts"
is "$(chat_log | tail -5 | jq -r '.headers["webhook-id"]' | sort -u | wc -l | tr -d ' ')" 1 \
    "every attempt with the same webhook-id"

# not retried: 400, 409, a redirect; the next run delivers
for st in 400 409 302; do
	printf '{"id":"N-%s"}\n' $st >n
	chat_fault "webhook $st"
	case $st in
	302) why="http 302: a redirect, not followed" ;;
	*) why="http $st: error $st" ;;
	esac
	check_run "http $st: not retried, ok false" 1 \
	    "{\"id\":\"N-$st\",\"notify\":{\"targets\":[$(e "$HOOK_URL: $why" false)]}}" \
	    "aas-notify: N-$st: webhook $H: $HOOK_URL: $why" \
	    -- aas-notify --state st --webhook="$HOOK_URL" --status done <n
	is "$(chat_log | tail -1 | jq -r .status)" "$st" "http $st: one attempt"
done
check_run "a re-run delivers what failed" 0 \
    "{\"id\":\"N-302\",\"notify\":{\"targets\":[$(e "http 200")]}}" "" \
    -- aas-notify --state st --webhook="$HOOK_URL" --status done <n

# 410: gone for the rest of the run; the board is still written
printf '## G-1: one\n- Status: Queued\n\n## G-2: two\n- Status: Queued\n' >b.md
printf '{"id":"G-1"}\n{"id":"G-2"}\n' >g
chat_fault "webhook 410"
GONE="$HOOK_URL: http 410: the endpoint is gone; nothing more is sent to it in this run"
bd() { printf '"board":{"path":"b.md","status":"Done","changed":true},"targets":[{"kind":"board","ok":true,"detail":"Queued -> Done"}'; }
check_run "410: the target stops, the board does not" 1 \
    "{\"id\":\"G-1\",\"notify\":{$(bd),$(e "$GONE" false)]}}
{\"id\":\"G-2\",\"notify\":{$(bd),$(e "not sent: stopped after $GONE" false)]}}" \
    "aas-notify: G-1: webhook $H: $GONE
aas-notify: G-2: webhook $H: not sent: stopped after $GONE" \
    -- aas-notify --state st --board b.md --webhook="$HOOK_URL" --status done <g
is "$(chat_log | tail -1 | jq -r '"\(.status) \(.body.data.id)"')" "410 G-1" \
    "one request to the gone endpoint"
is "$(grep -c 'Status: Done' b.md)" 2 "the board was written"

# configuration mistakes: exit 2, nothing sent
n0=$(chat_log | wc -l)
check_run "a URL of another scheme" 2 "" \
    "aas-notify: --webhook: the webhook URL: not an http:// or https:// URL" \
    -- aas-notify --state st --webhook=ftp://127.0.0.1/x <g
U="usage: aas-notify --board[=FILE] [-qv] [--status STATUS] [--config FILE] [--state DIR] [FILE]"
check_run "a URL after --webhook without =" 2 "" \
    "aas-notify: a URL as an operand (not shown: it may be a secret): write it as --KIND=URL
$U" -- aas-notify --state st --board --webhook "$HOOK_URL" <g
check_run "no URL" 2 "" \
    "aas-notify: --webhook: no URL: give --webhook=URL or set webhook.url" \
    -- aas-notify --state st --webhook <g
check_run "a secret that is not whsec_ base64" 2 "" \
    "aas-notify: --webhook: the webhook secret is not whsec_ and the base64 of 24 to 64 bytes" \
    -- env AAS_WEBHOOK_SECRET=whsec_short aas-notify --state st --webhook="$HOOK_URL" <g
echo "$SECRET" >key
chmod 644 key
printf 'webhook:\n  url: %s\n  secret_file: key\n' "$HOOK_URL" >c.yml
check_run "a secret file others can read" 2 "" \
    "aas-notify: --webhook: $T/key: secret file has mode 0644; it must be 0600" \
    -- env -u AAS_WEBHOOK_SECRET aas-notify -c c.yml --state st --webhook <g
is "$(chat_log | wc -l)" "$n0" "nothing was sent"

# the URL and the secret file from the configuration
chmod 600 key
printf '{"id":"C-1"}\n' >c
check_run "webhook.url and webhook.secret_file" 0 \
    "{\"id\":\"C-1\",\"notify\":{\"targets\":[$(e "http 200")]}}" "" \
    -- env -u AAS_WEBHOOK_SECRET aas-notify -c c.yml --state st --webhook --status done <c
is "$(chat_log | tail -1 | jq -r '[.sig, .body.data.id] | @tsv')" "true	C-1" \
    "signed with the file's secret"

# unsigned without a secret: the receiver then checks nothing
chat_stop
chat_start || exit 1
H=$(printf 'webhook\n%s' "$HOOK_URL" | sha256sum | cut -c1-12)
printf '{"id":"U-1"}\n' >u
run env -u AAS_WEBHOOK_SECRET aas-notify --state st --webhook="$HOOK_URL" --status done <u
is "$rc $(chat_log | jq -r '.headers | has("webhook-signature")')" "0 false" \
    "no secret: no webhook-signature"

# --dry-run: what would be sent, to where; nothing sent, nothing kept
printf '{"id":"D-1"}\n' >d
run aas-notify --state st --webhook="$HOOK_URL?token=abc" --dry-run --status done <d
is "$rc $(jq -c '.notify.targets[0] | [.ok, .detail]' "$T/out")" '0 [true,"dry run: not sent"]' \
    "--dry-run: its entry"
sed 's/msg_[0-9a-f]*/ID/; s/"timestamp":"[^"]*"/"timestamp":"TS"/' "$T/err" >derr
is "$(cat derr)" "aas-notify: dry run: webhook: POST $HOOK_URL?[redacted] webhook-id ID, signed: {\"type\":\"task.done\",\"timestamp\":\"TS\",\"data\":{\"id\":\"D-1\",\"title\":null,\"status\":\"Done\",\"branch\":null,\"commit\":null,\"base\":null,\"files\":null,\"checks\":null,\"summary\":null,\"attempts\":null,\"model\":null,\"usage\":null,\"usd\":null,\"fields\":null}}" \
    "--dry-run prints the request, the query redacted"
is "$(chat_log | wc -l | tr -d ' ') $(grep -c D-1 st/notify.jsonl)" "1 0" \
    "--dry-run sent nothing and kept nothing"
done_testing
