# tests/emu-forge/forge.sh: start and stop emu-forge from a test.  POSIX sh;
# source after tests/lib.sh.
#
#   forge_start [SCRIPT.json]   bare repositories $FORGE_GIT/owner/repo.git
#                               (GitHub) and $FORGE_GIT/group/repo.git
#                               (GitLab) with a main branch, the emulator
#                               on 127.0.0.1; exports FORGE_URL,
#                               GITHUB_API_URL, GITHUB_TOKEN, CI_API_V4_URL,
#                               CI_PROJECT_ID, GITLAB_TOKEN
#   forge_clone DIR             a work repository at DIR whose origin is
#                               the GitHub repository (its main pushed)
#   forge_log                   the request log, NDJSON
#   forge_script FILE           replace the scripted faults
#   forge_stop                  stop it; 0 when it exited cleanly
FORGE_PID=
FORGE_DIR=

forge_start() {
	FORGE_DIR=$(mktemp -d "$T/forge.XXXXXX")
	FORGE_GIT=$FORGE_DIR/git
	for _r in owner/repo group/repo; do
		mkdir -p "$FORGE_GIT/$_r.git"
		git init -q --bare -b main "$FORGE_GIT/$_r.git"
		git -C "$FORGE_GIT/$_r.git" config http.receivepack true
	done
	set -- --port-file "$FORGE_DIR/port" --log "$FORGE_DIR/log.ndjson" \
	    --git-root "$FORGE_GIT" ${1:+--script "$1"}
	python3 "$AAS_SRC/tests/emu-forge/emu-forge.py" "$@" \
	    2>"$FORGE_DIR/stderr" &
	FORGE_PID=$!
	_i=0
	while [ ! -s "$FORGE_DIR/port" ]; do
		if ! kill -0 "$FORGE_PID" 2>/dev/null; then
			cat "$FORGE_DIR/stderr" >&2
			FORGE_PID=
			return 1
		fi
		_i=$((_i + 1))
		[ "$_i" -gt 400 ] && return 1
		sleep 0.05
	done
	FORGE_URL=http://127.0.0.1:$(cat "$FORGE_DIR/port")
	GITHUB_API_URL=$FORGE_URL
	GITHUB_TOKEN=${EMU_GH_TOKEN:-ghp_test}
	CI_API_V4_URL=$FORGE_URL/api/v4
	CI_PROJECT_ID=7
	GITLAB_TOKEN=${EMU_GL_TOKEN:-glpat-test}
	export FORGE_URL FORGE_GIT GITHUB_API_URL GITHUB_TOKEN CI_API_V4_URL \
	    CI_PROJECT_ID GITLAB_TOKEN
	unset GH_TOKEN GITHUB_REPOSITORY
	_cleanup_hook="forge_stop >/dev/null 2>&1; ${_cleanup_hook:-}"
}

forge_stop() {
	[ -n "$FORGE_PID" ] || return 0
	kill -TERM "$FORGE_PID" 2>/dev/null
	_rc=0
	wait "$FORGE_PID" || _rc=$?
	FORGE_PID=
	[ "$_rc" -eq 0 ] || sed 's/^/# emu-forge: /' "$FORGE_DIR/stderr" >&2
	return "$_rc"
}

forge_clone() {
	git_repo "$1" "$FIX/boards/table.md"
	git -C "$1" remote add origin "$FORGE_URL/owner/repo.git"
	git -C "$FORGE_GIT/owner/repo.git" fetch -q "$1" main:main
	git -C "$FORGE_GIT/group/repo.git" fetch -q "$1" main:main
}

forge_log() {
	curl -sS "$FORGE_URL/_emu/log"
}

forge_script() {
	curl -sS -f -X POST --data-binary @"$1" "$FORGE_URL/_emu/script" \
	    >/dev/null
}
