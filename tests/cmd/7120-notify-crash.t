#!/bin/sh
# kill -9 of aas-notify at random moments, again and again, with a webhook,
# Slack a message a task and Discord a message a run; then one run to the
# end.  Every delivery arrives: each webhook exactly once after the
# receiver's dedupe on webhook-id, each chat message at least once, and a
# chat message twice only where the journal shows a send a kill cut short
# (an intent line with no done line before the next try).
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-chat/emu-chat.sh"

plan 9
cd "$T"
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
chat_start --webhook-secret "$SECRET" || exit 1
export AAS_WEBHOOK_SECRET=$SECRET AAS_HTTP_BACKOFF_MS=5
mkdir st
N=20
i=1
while [ $i -le $N ]; do
	printf '{"id":"K-%d","title":"task %d","qa":{"ok":true},"apply":{"branch":"aas/K-%d"}}\n' $i $i $i
	i=$((i + 1))
done >in

kills=0 k=0
while [ $k -lt 25 ]; do
	aas-notify -q --state st --webhook="$HOOK_URL" --slack --per-task \
	    <in >/dev/null 2>>errs &
	p1=$!
	ms=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	sleep "0.$(printf '%03d' $((ms % 400)))"
	kill -9 $p1 2>/dev/null
	wait $p1 2>/dev/null
	[ $? -eq 137 ] && kills=$((kills + 1))
	aas-notify -q --state st --discord <in >/dev/null 2>>errs &
	p2=$!
	ms=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	sleep "0.$(printf '%03d' $((ms % 100)))"
	kill -9 $p2 2>/dev/null
	wait $p2 2>/dev/null
	[ $? -eq 137 ] && kills=$((kills + 1))
	k=$((k + 1))
done
echo "# $kills of 50 runs killed"
run aas-notify -q --state st --webhook="$HOOK_URL" --slack --per-task <in
r1=$rc
run aas-notify -q --state st --discord <in
is "$r1 $rc" "0 0" "the last runs finish"

# webhooks: every task, one webhook-id each, duplicates only of that id
chat_log | jq -r 'select(.svc == "webhook" and .status == 200) | "\(.body.data.id) \(.headers["webhook-id"])"' |
    sort -u >wh
is "$(cut -d' ' -f1 wh | sort -u | wc -l | tr -d ' ') $(wc -l <wh | tr -d ' ')" "$N $N" \
    "every webhook delivered, each task under one webhook-id"
is "$(chat_log | jq -r 'select(.svc == "webhook" and .status == 200 and .dup == false) | .body.data.id' | wc -l | tr -d ' ')" \
    "$N" "after the receiver's dedupe: exactly once each"
ok $(chat_log | jq -e -s '[.[] | select(.svc == "webhook") | .sig] | all' >/dev/null && echo 0 || echo 1) \
    "every attempt signed"

# Slack, one message a task: each at least once
chat_log | jq -r 'select(.svc == "slack" and .status == 200) | .body.text' |
    sed 's/^\*\([^*]*\)\*.*/\1/' | sort | uniq -c >sl
is "$(wc -l <sl | tr -d ' ')" "$N" "every task's Slack message arrived"
# a second copy only where a kill cut a send short: the journal has more
# intent lines for that delivery than done lines
chat_log | jq -r 'select(.svc == "slack" and .status == 200) | .body.blocks[-1].elements[0].text' |
    sed 's/.*aas delivery //' | sort | uniq -c | awk '$1 > 1 { print $2, $1 }' >dups
bad=0
while read -r id n; do
	intents=$(grep -c "\"ev\":\"intent\",\"id\":\"$id\"" st/notify.jsonl)
	[ "$intents" -ge "$n" ] || { echo "# $id: $n messages, $intents intents"; bad=1; }
done <dups
ok $bad "Slack duplicates ($(wc -l <dups | tr -d ' ')) only after an interrupted send"

# Discord, one message a run: every task in some message, the same
# delivery twice only after an interrupted send
chat_log | jq -r 'select(.svc == "discord" and .status == 200) | .body.embeds[0].description' |
    grep -o '\*\*K-[0-9]*\*\*' | sort -u >dc
is "$(wc -l <dc | tr -d ' ')" "$N" "every task in a Discord message"
chat_log | jq -r 'select(.svc == "discord" and .status == 200) | .body.embeds[0].footer.text' |
    sed 's/.*aas delivery //' | sort | uniq -c | awk '$1 > 1 { print $2, $1 }' >ddups
bad=0
while read -r id n; do
	intents=$(grep -c "\"ev\":\"intent\",\"id\":\"$id\"" st/notify.jsonl)
	[ "$intents" -ge "$n" ] || { echo "# $id: $n messages, $intents intents"; bad=1; }
done <ddups
ok $bad "Discord duplicates ($(wc -l <ddups | tr -d ' ')) only after an interrupted send"
n0=$(chat_log | wc -l)
run aas-notify -q --state st --webhook="$HOOK_URL" --slack --discord --per-task <in
r1=$rc
run aas-notify -q --state st --discord <in
is "$r1 $rc $(chat_log | wc -l)" "0 0 $n0" "afterwards nothing is sent again"
done_testing
