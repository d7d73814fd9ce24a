#!/bin/sh
# No secret in any output, record, journal or argv: the webhook signing
# secret and the Slack and Discord webhook URLs (and their tokens), through
# deliveries, retries with -v tracing, failures, gone targets and dry runs.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-chat/emu-chat.sh"

plan 7
cd "$T"
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
chat_start --webhook-secret "$SECRET" || exit 1
export AAS_WEBHOOK_SECRET=$SECRET AAS_HTTP_BACKOFF_MS=5
mkdir st
printf '## S-1: one\n- Status: Queued\n\n## S-2: two\n- Status: Queued\n' >b.md
printf '{"id":"S-1","qa":{"ok":false}}\n{"id":"S-2","qa":{"ok":true}}\n' >in

all() {	# every target, -v
	aas-notify -v --state st --board b.md --webhook="$HOOK_URL" --slack \
	    --discord "$@"
}
chat_fault "webhook 503" "slack 429" "discord 429" "discord 500" "slack 400"
all <in >out1 2>err1
chat_fault "slack 503" "discord 404"
all --per-task <in >out2 2>err2
all --dry-run <in >out3 2>err3
DISCORD_WEBHOOK_URL=${DISCORD_WEBHOOK_URL%/*}/wrongtoken all --per-task <in >out4 2>err4
ok $([ -s err1 ] && [ -s err3 ] && [ -s st/notify.jsonl ] && echo 0 || echo 1) \
    "there was output to look at"

# argv of a running aas-notify (it waits on its input)
mkfifo fifo
exec aas-notify -v --state st --board b.md --webhook="$HOOK_URL" --slack \
    --discord --per-task <fifo >out5 2>err5 &
pid=$!
exec 3>fifo
i=0
while ! tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null | grep -q 'aas-notify -v' &&
    [ $i -lt 250 ]; do
	sleep 0.02
	i=$((i + 1))
done
tr '\0' ' ' </proc/$pid/cmdline >argv
cat in >&3
exec 3>&-
wait $pid
grep -q aas-notify argv
ok $? "argv read"

# the secrets: the whole of each, and the parts that are secret alone
found() {	# found FILE...: 0 when a secret is in one of them
	for f; do
		for s in "$SECRET" "${SECRET#whsec_}" XXXXslacktokenXXXX \
		    discordTOKENdiscordTOKEN /services/T0001 /api/webhooks/1234567890; do
			grep -qF -- "$s" "$f" && { echo "# $s in $f"; return 0; }
		done
	done
	return 1
}
! found out1 out2 out3 out4 out5
ok $? "no secret on standard output (the records)"
! found err1 err2 err3 err4 err5
ok $? "no secret on standard error, -v traces and dry runs included"
! found $(find st -type f)
ok $? "no secret in the state folder (the journal)"
! found argv
ok $? "no secret in argv"
! found b.md
ok $? "no secret on the board"
done_testing
