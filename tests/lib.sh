# tests/lib.sh: TAP helpers for command tests.  Source it first thing:
#   . "${AAS_SRC:-.}/tests/lib.sh"
# It provides plan, ok, is, run (stdout, stderr and status captured
# separately), check_run (exact stdout, stderr and status), cmp_file, a
# per-test temporary folder $T removed on exit, and fixtures under $FIX.
set -u
: "${AAS_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${AAS_BUILD:=$AAS_SRC/build/asan}"
export AAS_SRC AAS_BUILD
case ":$PATH:" in *":$AAS_BUILD/bin:"*) ;; *) PATH="$AAS_BUILD/bin:$PATH" ;; esac
export PATH
FIX="$AAS_SRC/tests/fixtures"
SHARED="${AAS_SHARED:-$AAS_SRC/../shared}"
export LC_ALL=C TZ=UTC
# Keep the user's own config and state out of the tests.
T=$(mktemp -d "${TMPDIR:-/tmp}/aas-test.XXXXXX")
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config"
mkdir -p "$HOME"
unset AAS_STATE AAS_CONFIG AAS_MODEL AAS_PROVIDER AAS_BOARD AAS_BUDGET \
    OPENAI_API_KEY OPENAI_BASE_URL ANTHROPIC_API_KEY ANTHROPIC_BASE_URL
_tap_n=0
_tap_failed=0
_cleanup() {
	[ -n "${_cleanup_hook:-}" ] && eval "$_cleanup_hook"
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 129' HUP INT TERM

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

ok() {	# ok STATUS NAME: STATUS 0 passes
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

is() {	# is GOT WANT NAME
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2" | sed '3,$s/^/#         /'
	fi
}

# run CMD...: stdout to $T/out, stderr to $T/err, status in $rc
run() {
	rc=0
	"$@" >"$T/out" 2>"$T/err" || rc=$?
}

# cmp_file GOT WANT NAME: byte compare, diff -u shown on failure
cmp_file() {
	if cmp -s "$1" "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diff -u "$2" "$1" | head -40 | sed 's/^/# /'
	fi
}

# check_run NAME STATUS STDOUT STDERR -- CMD...: exact outcome.  STDOUT and
# STDERR are the expected texts (a final newline is added when not empty).
check_run() {
	_name=$1 _want_rc=$2 _want_out=$3 _want_err=$4
	shift 4
	[ "$1" = "--" ] && shift
	run "$@"
	if [ -n "$_want_out" ]; then printf '%s\n' "$_want_out"; fi >"$T/want.out"
	if [ -n "$_want_err" ]; then printf '%s\n' "$_want_err"; fi >"$T/want.err"
	if [ "$rc" = "$_want_rc" ] && cmp -s "$T/out" "$T/want.out" &&
	    cmp -s "$T/err" "$T/want.err"; then
		ok 0 "$_name"
	else
		ok 1 "$_name"
		echo "#   status: got $rc, want $_want_rc"
		diff -u "$T/want.out" "$T/out" | sed 's/^/# out /' | head -30
		diff -u "$T/want.err" "$T/err" | sed 's/^/# err /' | head -30
	fi
}

# A fresh git repository in $1 with one commit of the files given after it
# (copied from the fixture paths), committed as a fixed author and date.
git_repo() {
	_d=$1
	shift
	mkdir -p "$_d"
	git -C "$_d" init -q -b main
	git -C "$_d" config user.name "Test User"
	git -C "$_d" config user.email "test@example.invalid"
	for _f in "$@"; do cp -R "$_f" "$_d/"; done
	git -C "$_d" add -A
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
	    git -C "$_d" commit -q --allow-empty -m "base"
}

done_testing() {
	[ "$_tap_failed" -eq 0 ]
}
