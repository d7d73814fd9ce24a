# tests/emu-linear/emu.sh: start and stop linear-emu from a test.  POSIX sh,
# after tests/lib.sh.
#
#   lin_start SCRIPT.json   LINEAR_API_URL and LINEAR_API_KEY are set
#   lin_log                 the request log (NDJSON)
#   lin_calls               the log as "op:field" words, one a line
#   lin_fault JSON          add a scripted fault
#   lin_issues              the issues and comments it holds (JSON)
#   lin_stop                stop it
LIN_PID=
LIN_KEY=${LIN_KEY:-lin_api_tEsT_0123456789abcdef}

lin_start() {
	LIN_DIR=$(mktemp -d "$T/lin.XXXXXX")
	python3 "$AAS_SRC/tests/emu-linear/linear-emu.py" \
	    --port-file "$LIN_DIR/port" --script "$1" --key "$LIN_KEY" \
	    --log "$LIN_DIR/log.ndjson" 2>"$LIN_DIR/stderr" &
	LIN_PID=$!
	_lin_i=0
	while [ ! -s "$LIN_DIR/port" ]; do
		if ! kill -0 "$LIN_PID" 2>/dev/null; then
			cat "$LIN_DIR/stderr" >&2
			return 1
		fi
		_lin_i=$((_lin_i + 1))
		[ "$_lin_i" -gt 600 ] && return 1
		sleep 0.05
	done
	LIN_URL=http://127.0.0.1:$(cat "$LIN_DIR/port")
	LINEAR_API_URL=$LIN_URL/graphql
	LINEAR_API_KEY=$LIN_KEY
	export LINEAR_API_URL LINEAR_API_KEY
	_cleanup_hook="lin_stop; ${_cleanup_hook:-}"
}

lin_stop() {
	[ -n "$LIN_PID" ] || return 0
	kill -TERM "$LIN_PID" 2>/dev/null
	wait "$LIN_PID" 2>/dev/null
	LIN_PID=
}

lin_log() { curl -sS "$LIN_URL/_emu/log"; }
lin_calls() {
	lin_log | jq -r '.op + ":" + .fields[0] + (if .fault then "!" + .fault else "" end)'
}
lin_fault() { curl -sS -f -d "$1" "$LIN_URL/_emu/fault" >/dev/null; }
lin_issues() { curl -sS "$LIN_URL/_emu/issues"; }
