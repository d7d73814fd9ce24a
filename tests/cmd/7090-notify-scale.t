#!/bin/sh
# aas-notify on a board of thousands of tasks (the edits of a batch wait
# and are applied in one pass): every status is written as one edit at a
# time would write it, the rest of the file stays byte for byte, a task
# set twice in one batch reads its first change, and the emoji style is
# copied from a task changed earlier in the same batch.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 5
cd "$T"

NT=2000 NH=1500 NE=100
# the board: an aligned table, heading blocks (every 4th without a
# Status line: Queued all the same), emoji statuses
awk -v nt=$NT -v nh=$NH -v ne=$NE 'BEGIN {
	print "# Big board"; print ""
	print "| ID | Title | Status |"; print "|----|-------|--------|"
	for (i = 1; i <= nt; i++) printf "| T-%d | task %d | Queued |\n", i, i
	print ""
	for (i = 1; i <= nh; i++) {
		printf "## H-%d: heading %d\n- Owner: ann\n", i, i
		if (i % 4) print "- Status: Queued"
		printf "\nBody %d | with a pipe.\n\n", i
	}
	print "## E-1: red"; print "- Status: \360\237\224\264 Failed"; print ""
	for (i = 2; i <= ne; i++)
		printf "## E-%d: emoji %d\n- Status: \342\217\263 Queued\n\n", i, i
	print "Trailing notes."
}' >b.md

# the records, and what each is expected to come out as
awk -v nt=$NT -v nh=$NH -v ne=$NE '
function rec(r) { print r >"in" }
function out(r, st, ch, ok, d) {
	if (st == "null") s = "null"; else s = "\"" st "\""
	sub(/}$/, "", r)
	printf "%s,\"notify\":{\"board\":{\"path\":\"b.md\",\"status\":%s,\"changed\":%s},\"targets\":[{\"kind\":\"board\",\"ok\":%s,\"detail\":\"%s\"}]}%s\n",
	    r, s, ch, ok, d, ok == "false" ? "" : "}" >"want.out"
}
BEGIN {
	for (i = 1; i <= nt; i++) {
		if (i % 3 == 0) {
			r = "{\"id\":\"T-" i "\",\"qa\":{\"ok\":true}}"
			rec(r); out(r, "Done", "true", "true", "Queued -> Done")
		} else if (i % 3 == 1) {
			r = "{\"id\":\"T-" i "\",\"qa\":{\"ok\":false}}"
			rec(r); out(r, "Failed", "true", "true", "Queued -> Failed")
		} else {
			r = "{\"id\":\"T-" i "\"}"
			rec(r); out(r, "Queued", "false", "true", "no status to set (Queued)")
		}
	}
	for (i = 1; i <= nh; i++) {
		if (i % 2 == 0) {
			r = "{\"id\":\"H-" i "\",\"qa\":{\"ok\":true}}"
			rec(r); out(r, "Done", "true", "true", "Queued -> Done")
		} else {
			r = "{\"id\":\"H-" i "\",\"apply\":{\"branch\":\"aas/H-" i "\"}}"
			rec(r); out(r, "Review", "true", "true", "Queued -> Review")
		}
		if (i == 5) {
			r = "{\"id\":\"H-5\",\"error\":{\"stage\":\"qa\",\"code\":\"check_failed\",\"message\":\"x\"}}"
			rec(r); out(r, "Failed", "true", "true", "Review -> Failed")
		}
	}
	for (i = 2; i <= ne; i++) {
		if (i % 2 == 0) {
			r = "{\"id\":\"E-" i "\",\"qa\":{\"ok\":true}}"
			rec(r); out(r, "Done", "true", "true", "Queued -> Done")
		} else {
			r = "{\"id\":\"E-" i "\",\"qa\":{\"ok\":false}}"
			rec(r); out(r, "Failed", "true", "true", "Queued -> Failed")
		}
	}
	r = "{\"id\":\"Z-1\"}"
	rec(r)
	printf "{\"id\":\"Z-1\",\"notify\":{\"board\":{\"path\":\"b.md\",\"status\":null,\"changed\":false},\"targets\":[{\"kind\":\"board\",\"ok\":false,\"detail\":\"no task Z-1 on the board b.md\"}]},\"error\":{\"stage\":\"notify\",\"code\":\"unknown_id\",\"message\":\"no task Z-1 on the board b.md\"}}\n" >"want.out"
}'

# the board as one edit at a time writes it: aligned cells keep their
# width, a missing Status line goes after the field list, the emoji of
# a status another task already wears is copied
awk -v nt=$NT '
/^\| T-[0-9]+ / {
	split($2, p, "-"); i = p[2]
	if (i % 3 == 0) sub(/\| Queued \|$/, "| Done   |")
	else if (i % 3 == 1) sub(/\| Queued \|$/, "| Failed |")
}
/^## H-/ { split($2, p, "[-:]"); h = p[2] }
/^## E-/ { split($2, p, "[-:]"); h = ""; e = p[2] }
/^- Owner: ann$/ && h % 4 == 0 {
	print; print "- Status: " (h % 2 ? "Review" : "Done"); next
}
/^- Status: Queued$/ && h != "" {
	print "- Status: " (h == 5 ? "Failed" : h % 2 ? "Review" : "Done"); next
}
/^- Status: \342\217\263 Queued$/ {
	print "- Status: " (e % 2 ? "\360\237\224\264 Failed" : "\342\234\205 Done"); next
}
{ print }' b.md >want.md

run aas-notify --board b.md <in
is "$rc" 1 "exit 1: one unknown id"
is "$(cat err)" "aas-notify: Z-1: no task Z-1 on the board b.md" "stderr"
cmp_file out want.out "every record with its outcome, in order"
cmp_file b.md want.md "every status written, the rest byte for byte"
run aas-notify -q --board b.md <in
cmp_file b.md want.md "a second run leaves the board as it was"
done_testing
