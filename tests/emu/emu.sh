# tests/emu/emu.sh: start and stop aas-emu from a test.  POSIX sh.
#
#   . "$AAS_SRC/tests/emu/emu.sh"
#   emu_start [SCRIPT.json [aas-emu options...]]
#   ... OPENAI_BASE_URL, ANTHROPIC_BASE_URL, EMU_URL and the keys are set ...
#   emu_log              the request log (NDJSON) on stdout
#   emu_script FILE      replace the script
#   emu_stop             stop it; status 0 when it exited cleanly
#
# The binary is $AAS_EMU, else $AAS_BUILD/tests/emu/aas-emu (AAS_BUILD
# defaults to build/asan).  When tests/lib.sh was sourced first, the
# emulator's files live in its $T and emu_stop runs on exit.

: "${AAS_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${AAS_BUILD:=$AAS_SRC/build/asan}"
: "${AAS_EMU:=$AAS_BUILD/tests/emu/aas-emu}"
EMU_PID=
EMU_DIR=

emu_start() {
	_emu_script=${1:-}
	[ $# -gt 0 ] && shift
	if [ ! -x "$AAS_EMU" ]; then
		echo "emu_start: $AAS_EMU: not built" >&2
		return 1
	fi
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		EMU_DIR=$(mktemp -d "$T/emu.XXXXXX")
	else
		EMU_DIR=$(mktemp -d "${TMPDIR:-/tmp}/aas-emu-sh.XXXXXX")
	fi
	EMU_LOG_FILE=$EMU_DIR/log.ndjson
	if [ -n "$_emu_script" ]; then
		"$AAS_EMU" --port-file "$EMU_DIR/port" --log "$EMU_LOG_FILE" \
		    --state-dir "$EMU_DIR/state" --script "$_emu_script" "$@" \
		    2>"$EMU_DIR/stderr" &
	else
		"$AAS_EMU" --port-file "$EMU_DIR/port" --log "$EMU_LOG_FILE" \
		    --state-dir "$EMU_DIR/state" "$@" 2>"$EMU_DIR/stderr" &
	fi
	EMU_PID=$!
	_emu_i=0
	while [ ! -s "$EMU_DIR/port" ]; do
		if ! kill -0 "$EMU_PID" 2>/dev/null; then
			wait "$EMU_PID" 2>/dev/null
			echo "emu_start: aas-emu exited" >&2
			cat "$EMU_DIR/stderr" >&2
			EMU_PID=
			return 1
		fi
		_emu_i=$((_emu_i + 1))
		if [ "$_emu_i" -gt 400 ]; then
			echo "emu_start: no port after 20 s" >&2
			return 1
		fi
		sleep 0.05
	done
	EMU_PORT=$(cat "$EMU_DIR/port")
	EMU_URL=http://127.0.0.1:$EMU_PORT
	OPENAI_BASE_URL=$EMU_URL/v1
	ANTHROPIC_BASE_URL=$EMU_URL
	OPENAI_API_KEY=${EMU_KEY:-sk-test}
	ANTHROPIC_API_KEY=${EMU_ANTHROPIC_KEY:-sk-ant-test}
	export EMU_PID EMU_DIR EMU_PORT EMU_URL EMU_LOG_FILE OPENAI_BASE_URL \
	    ANTHROPIC_BASE_URL OPENAI_API_KEY ANTHROPIC_API_KEY
	if command -v _cleanup >/dev/null 2>&1; then
		case "${_cleanup_hook:-}" in
		*emu_stop*) ;;
		*) _cleanup_hook="emu_stop >/dev/null 2>&1; ${_cleanup_hook:-}" ;;
		esac
	else
		# without tests/lib.sh: stop it on exit ourselves
		trap 'emu_stop >/dev/null 2>&1' EXIT
	fi
	return 0
}

# emu_stop: SIGTERM, wait, and report an unclean exit (a sanitizer
# report, say) on stderr with a nonzero status.
emu_stop() {
	[ -n "$EMU_PID" ] || return 0
	kill -TERM "$EMU_PID" 2>/dev/null
	_emu_rc=0
	wait "$EMU_PID" || _emu_rc=$?
	EMU_PID=
	if [ "$_emu_rc" -ne 0 ]; then
		echo "emu_stop: aas-emu exited with status $_emu_rc" >&2
		sed 's/^/# emu: /' "$EMU_DIR/stderr" >&2
	fi
	if [ -z "${T:-}" ] && [ -n "$EMU_DIR" ]; then
		rm -rf "$EMU_DIR"
	fi
	return "$_emu_rc"
}

emu_log() {
	curl -sS "$EMU_URL/_emu/log"
}

emu_script() {
	curl -sS -f -X POST --data-binary @"$1" "$EMU_URL/_emu/script" \
	    >/dev/null
}

emu_stats() {
	curl -sS "$EMU_URL/_emu/stats"
}

emu_advance() {
	curl -sS -f -X POST "$EMU_URL/_emu/advance" >/dev/null
}

# emu_release: let every held sync call (an answer with "hold": true) go
emu_release() {
	curl -sS -f -X POST "$EMU_URL/_emu/release" >/dev/null
}

# emu_state ID STATUS [EXTRA-JSON-MEMBERS]: force a batch's state
emu_state() {
	curl -sS -f -X POST -d "{\"status\":\"$2\"${3:+,$3}}" \
	    "$EMU_URL/_emu/batches/$1/state"
}

# emu_req METHOD PATH [curl options...]: an OpenAI call with the test key.
# The body lands in $EMU_DIR/body, the headers in $EMU_DIR/headers, the
# HTTP status in $EMU_CODE and curl's exit status in $EMU_RC.
emu_req() {
	_emu_m=$1 _emu_p=$2
	shift 2
	EMU_RC=0
	EMU_CODE=$(curl -sS -X "$_emu_m" -o "$EMU_DIR/body" \
	    -D "$EMU_DIR/headers" -w '%{http_code}' \
	    -H "Authorization: Bearer $OPENAI_API_KEY" "$@" \
	    "$EMU_URL$_emu_p" 2>"$EMU_DIR/curl.err") || EMU_RC=$?
}

# emu_areq METHOD PATH [curl options...]: the same for Anthropic
emu_areq() {
	_emu_m=$1 _emu_p=$2
	shift 2
	EMU_RC=0
	EMU_CODE=$(curl -sS -X "$_emu_m" -o "$EMU_DIR/body" \
	    -D "$EMU_DIR/headers" -w '%{http_code}' \
	    -H "x-api-key: $ANTHROPIC_API_KEY" \
	    -H "anthropic-version: 2023-06-01" "$@" \
	    "$EMU_URL$_emu_p" 2>"$EMU_DIR/curl.err") || EMU_RC=$?
}

# emu_body [JQ-FILTER]: the last body, or a jq filter applied to it
emu_body() {
	if [ $# -eq 0 ]; then
		cat "$EMU_DIR/body"
	else
		jq -r "$@" "$EMU_DIR/body"
	fi
}

# emu_header NAME: the value of a header of the last reply
emu_header() {
	grep -i "^$1:" "$EMU_DIR/headers" | tail -n 1 | cut -d' ' -f2- |
	    tr -d '\r'
}
