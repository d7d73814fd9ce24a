#!/bin/sh
# Board writes change only the bytes that must change.
. "${AAS_SRC:-.}/tests/lib.sh"

B="$FIX/boards"
boards="crlf.md emoji.md fences.md headings.md lint.md mixed.md nofinal.md
nofinal-table.md pipes.md table.md"
plan 17
cd "$T"

# Every task set to the status it already has: nothing changes.
for f in $boards; do
	cp "$B/$f" "$f"
	seen=" "
	aas-scan --all "$f" | jq -c '{id, status}' | while read -r r; do
		id=$(printf '%s' "$r" | jq -r .id)
		case $seen in *" $id "*) continue ;; esac	# a duplicate id
		seen="$seen$id "
		st=$(printf '%s' "$r" | jq -r .status)
		case $st in Queued|"In Progress"|Review|Done|Failed|Blocked) ;;
		*) continue ;; esac
		printf '{"id":"%s"}\n' "$id" |
		    aas-notify -q --board "$f" --status "$st" >/dev/null
	done
	cmp_file "$f" "$B/$f" "$f: unchanged statuses written back byte-identical"
done

# Queued -> Failed: same length, so cmp -l lists exactly the six bytes of
# the status, at the status's offset.
offset() {	# offset FILE LINE COLUMN-TEXT: byte offset (1-based) of TEXT on LINE
	awk -v l="$2" -v t="$3" 'NR < l { n += length($0) + 1 }
	    NR == l { print n + index($0, t); exit }' "$1"
}
splice() {	# splice FILE START OLDLEN NEW: FILE with those bytes replaced
	head -c $(($2 - 1)) "$1"
	printf '%s' "$4"
	tail -c +$(($2 + $3)) "$1"
}
for c in "table.md T-2 8" "crlf.md C-3 7" "nofinal.md N-1 2" "mixed.md DEMO-4 8"; do
	set -- $c
	cp "$B/$1" "$1"
	start=$(offset "$1" "$3" Queued)
	echo "{\"id\":\"$2\"}" | aas-notify -q --board "$1" --status failed >/dev/null
	cmp -l "$B/$1" "$1" >"$T/cmp" || :
	splice "$B/$1" "$start" 6 Failed >"$T/want.md"
	cmp -l "$B/$1" "$T/want.md" >"$T/want" || :
	[ "$(wc -l <"$T/want")" -ge 4 ] || echo "# bad want"
	cmp_file "$T/cmp" "$T/want" "$1: $2 Queued -> Failed changes only those bytes"
done

# Queued -> In Progress: longer; everything before and after is the same.
cp "$B/table.md" t.md
start=$(offset t.md 8 Queued)
echo '{"id":"T-2"}' | aas-notify -q --board t.md --status "in progress" >/dev/null
head -c $((start - 1)) t.md >a; head -c $((start - 1)) "$B/table.md" >b
cmp_file a b "bytes before the status unchanged"
tail -c +$((start + 6)) "$B/table.md" >b; tail -c +$((start + 11)) t.md >a
cmp_file a b "bytes after the status unchanged"
is "$(tail -c +"$start" t.md | head -c 11)" "In Progress" "the new status in between"
done_testing
