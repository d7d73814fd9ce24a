# tests/emu-chat/emu-chat.sh: start and stop emu-chat.py from a test.
#
#   . "$AAS_SRC/tests/emu-chat/emu-chat.sh"
#   chat_start [emu-chat.py options...]
#   ... CHAT_URL, SLACK_WEBHOOK_URL, DISCORD_WEBHOOK_URL, HOOK_URL set ...
#   chat_fault "slack 429" ...   queue faults (one "SVC KIND" each)
#   chat_log                     the request log (NDJSON) on stdout
#   chat_stop                    stop it
# Source tests/lib.sh first: the files live in $T and chat_stop runs on
# exit.
CHAT_PID=
chat_start() {
	CHAT_DIR=$(mktemp -d "$T/chat.XXXXXX")
	CHAT_LOG_FILE=$CHAT_DIR/log.ndjson
	python3 "$AAS_SRC/tests/emu-chat/emu-chat.py" \
	    --port-file "$CHAT_DIR/port" --log "$CHAT_LOG_FILE" "$@" \
	    2>"$CHAT_DIR/stderr" &
	CHAT_PID=$!
	_i=0
	while [ ! -s "$CHAT_DIR/port" ]; do
		_i=$((_i + 1))
		if [ "$_i" -gt 1500 ] || ! kill -0 "$CHAT_PID" 2>/dev/null; then
			echo "chat_start: emu-chat did not start" >&2
			cat "$CHAT_DIR/stderr" >&2
			return 1
		fi
		sleep 0.02
	done
	CHAT_PORT=$(cat "$CHAT_DIR/port")
	CHAT_URL=http://127.0.0.1:$CHAT_PORT
	SLACK_WEBHOOK_URL=$CHAT_URL/services/T0001/B0001/XXXXslacktokenXXXX
	DISCORD_WEBHOOK_URL=$CHAT_URL/api/webhooks/1234567890/discordTOKENdiscordTOKEN
	HOOK_URL=$CHAT_URL/hook/a
	export SLACK_WEBHOOK_URL DISCORD_WEBHOOK_URL
	_cleanup_hook="chat_stop${_cleanup_hook:+; $_cleanup_hook}"
}
chat_fault() {
	printf '%s\n' "$@" | curl -s -o /dev/null --data-binary @- \
	    "$CHAT_URL/_emu/fault"
}
chat_log() {
	cat "$CHAT_LOG_FILE"
}
chat_stop() {
	if [ -n "$CHAT_PID" ]; then
		kill "$CHAT_PID" 2>/dev/null
		wait "$CHAT_PID" 2>/dev/null
		CHAT_PID=
	fi
	return 0
}
