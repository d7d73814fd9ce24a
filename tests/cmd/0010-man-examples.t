#!/bin/sh
# Every command in a man page's EXAMPLES section runs, as written, in a
# scratch copy of the example project with the API emulator standing in
# for the provider, under bash -o pipefail (so a pipeline succeeds only
# when every stage does).  A command is a rendered line starting with "$ "
# (a trailing backslash continues it).  It must exit 0, or the status
# named by a trailing "# exits N" comment.  Where the page shows output (the
# lines after the command, up to a blank line, a line indented less or the
# next "$ "), its standard output must be exactly those lines.
. "${AAS_SRC:-.}/tests/lib.sh"

pages=$(ls "$AAS_SRC"/man/*.[157] 2>/dev/null)
# extract PAGE: the EXAMPLES section as "C<tab>command" lines, each followed
# by the "O<tab>line" lines of the output the page shows for it (if any)
extract() {
	mandoc -Tutf8 "$1" | col -bx | awk '
	/^[A-Z][A-Z ]*$/ { insec = ($0 == "EXAMPLES"); out = 0; next }
	!insec { next }
	{
		raw = $0
		line = raw
		sub(/^ +/, "", line)
		ind = length(raw) - length(line)
		if (cont != "") {
			if (line ~ /\\$/) { cont = cont " " substr(line, 1, length(line) - 1); next }
			print "C\t" cont " " line; cont = ""; out = 1; next
		}
		if (line ~ /^\$ /) {
			cmdind = ind
			line = substr(line, 3)
			if (line ~ /\\$/) { cont = substr(line, 1, length(line) - 1); out = 0; next }
			print "C\t" line; out = 1; next
		}
		if (out && line != "" && ind >= cmdind) { print "O\t" substr(raw, cmdind + 1); next }
		out = 0
	}'
}

# try DIR CMD WANT-STATUS [WANT-OUT-FILE]: 0 when CMD, run in DIR, exits
# WANT-STATUS with no sanitizer report and, given WANT-OUT-FILE, prints
# exactly it; else 1, with the difference as # lines
try() {
	_rc=0
	(cd "$1" && bash -o pipefail -c "$2") </dev/null >"$T/try.out" 2>"$T/try.err" || _rc=$?
	_bad=0
	if [ "$_rc" -ne "$3" ]; then
		echo "#   exit $_rc, want $3"
		_bad=1
	fi
	if grep -q 'Sanitizer\|runtime error' "$T/try.err"; then
		_bad=1
	fi
	if [ -n "${4:-}" ] && ! cmp -s "$T/try.out" "$4"; then
		diff -u "$4" "$T/try.out" | sed 's/^/#   out /' | head -20
		_bad=1
	fi
	[ "$_bad" -eq 0 ] || sed 's/^/#   err /' "$T/try.err" | head -20
	return "$_bad"
}

# run_page PAGE REPO: run PAGE's examples in REPO, one line per command:
# "STATUS<tab>name" (STATUS 0 passed, 1 failed), its diagnostics after it
run_page() {
	_d=$(mktemp -d "$T/page.XXXXXX")
	extract "$1" >"$_d/spec"
	# one "cmd" file and, when the page shows output, one "want" file each
	awk -v d="$_d" '
	/^C\t/ { i++; f = d "/cmd." i; print substr($0, 3) >f; close(f); next }
	/^O\t/ { f = d "/want." i; print substr($0, 3) >>f; close(f) }
	' "$_d/spec"
	_i=1
	while [ -f "$_d/cmd.$_i" ]; do
		_cmd=$(cat "$_d/cmd.$_i")
		_want=0
		case "$_cmd" in
		*"# exits "*) _want=${_cmd##*# exits }; _want=${_want%% *} ;;
		esac
		_shown=
		[ -f "$_d/want.$_i" ] && _shown="$_d/want.$_i"
		_st=0
		try "$2" "$_cmd" "$_want" $_shown >"$_d/diag" || _st=1
		printf '%s\t%s example %s%s: %s\n' "$_st" "$(basename "$1")" \
		    "$_i" "${_shown:+ (and its output)}" "$_cmd"
		cat "$_d/diag"
		_i=$((_i + 1))
	done
}

# report RESULTS-FILE: the lines of run_page as TAP
report() {
	while IFS= read -r _l; do
		case "$_l" in
		"#"*) echo "$_l" ;;
		*) ok "${_l%%	*}" "${_l#*	}" ;;
		esac
	done <"$1"
}

n=0
for p in $pages; do
	n=$((n + $(extract "$p" | grep -c '^C')))
done
plan $((n + 2))

# the runner itself: a page showing output is held to it
cat >"$T/self.1" <<'MAN'
.Dd January 1, 2026
.Dt SELF 1
.Os
.Sh NAME
.Nm self
.Nd the example runner's own test
.Sh EXAMPLES
.Bd -literal -offset indent
$ printf 'a\enb\en'
a
b
$ printf 'a\en'
b
$ printf 'c\en'
$ exit 3 # exits 3
$ exit 3
.Ed
MAN
extract "$T/self.1" >"$T/self.spec"
is "$(cat "$T/self.spec")" "$(printf 'C\tprintf '\''a\\nb\\n'\''\nO\ta\nO\tb\nC\tprintf '\''a\\n'\''\nO\tb\nC\tprintf '\''c\\n'\''\nC\texit 3 # exits 3\nC\texit 3')" \
    "runner: commands and the output shown after them"
run_page "$T/self.1" "$T" >"$T/self.res"
is "$(grep -v '^#' "$T/self.res" | cut -f1 | tr '\n' ' ')" "0 1 0 0 1 " \
    "runner: output as shown passes, other output fails, none shown is not checked, the exit status is"
[ "$n" -eq 0 ] && exit 0

. "$AAS_SRC/tests/emu/emu.sh"
emu_start "$AAS_SRC/examples/demo-answers.json"

for p in $pages; do
	name=$(basename "$p")
	repo="$T/$name/repo"
	mkdir -p "$T/$name"
	cp -R "$AAS_SRC/examples/project" "$repo"
	(cd "$repo" && git init -q -b main && git add -A &&
	    git -c user.name=t -c user.email=t@example.invalid commit -q -m base &&
	    git config user.name "Test User" &&
	    git config user.email test@example.invalid)
	run_page "$p" "$repo" >"$T/$name/res"
	report "$T/$name/res"
done
done_testing
