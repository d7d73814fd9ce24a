#!/bin/sh
# Every command in a man page's EXAMPLES section runs, as written, in a
# scratch copy of the example project with the API emulator standing in
# for the provider.  A command is a rendered line starting with "$ " (a
# trailing backslash continues it).  It must exit 0, or the status named
# by a trailing "# exits N" comment.
. "${AAS_SRC:-.}/tests/lib.sh"

pages=$(ls "$AAS_SRC"/man/*.[157] 2>/dev/null)
# extract PAGE: print one command per line
extract() {
	mandoc -Tascii "$1" | col -b | awk '
	/^[A-Z][A-Z ]*$/ { insec = ($0 == "EXAMPLES"); next }
	!insec { next }
	{
		line = $0
		sub(/^[ \t]+/, "", line)
		if (cont != "") {
			if (line ~ /\\$/) { cont = cont " " substr(line, 1, length(line) - 1); next }
			print cont " " line; cont = ""; next
		}
		if (line !~ /^\$ /) next
		line = substr(line, 3)
		if (line ~ /\\$/) { cont = substr(line, 1, length(line) - 1); next }
		print line
	}'
}

n=0
for p in $pages; do
	n=$((n + $(extract "$p" | wc -l)))
done
plan "$n"
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
	extract "$p" >"$T/$name/cmds"
	i=0
	while IFS= read -r cmd; do
		i=$((i + 1))
		want=0
		case "$cmd" in
		*"# exits "*) want=${cmd##*# exits }; want=${want%% *} ;;
		esac
		rc=0
		(cd "$repo" && sh -c "$cmd") </dev/null >"$T/$name/out.$i" \
		    2>"$T/$name/err.$i" || rc=$?
		if [ "$rc" -eq "$want" ] &&
		    ! grep -q 'Sanitizer\|runtime error' "$T/$name/err.$i"; then
			ok 0 "$name example $i: $cmd"
		else
			ok 1 "$name example $i: $cmd"
			echo "#   exit $rc, want $want"
			sed 's/^/#   /' "$T/$name/err.$i" | head -20
		fi
	done <"$T/$name/cmds"
done
done_testing
