#!/bin/sh
# The library's layering (issue 9): no object in lib/ calls into one that
# calls back into it, as nm shows, and lib/ never includes from cmd/.
# Edge A B: A.o needs a symbol that B.o defines.  tsort(1) refuses a loop.
. "${AAS_SRC:-.}/tests/lib.sh"
plan 4

L="$AAS_BUILD/lib"
for o in "$L"/*.o; do
	n=$(basename "$o" .o)
	nm --defined-only "$o" | awk -v n="$n" '$2 ~ /^[TDRB]$/ {print $3, n}'
done | sort >"$T/defs"
for o in "$L"/*.o; do
	n=$(basename "$o" .o)
	nm -u "$o" | awk -v n="$n" '{print $2, n}'
done | sort >"$T/uses"
join "$T/uses" "$T/defs" | awk '$2 != $3 {print $2, $3}' | sort -u >"$T/edges"
nobj=$(ls "$L"/*.o | wc -l)
nedges=$(wc -l <"$T/edges")
ok $([ "$nobj" -ge 30 ] && [ "$nedges" -ge 50 ] && echo 0 || echo 1) \
    "the graph is read ($nobj objects, $nedges edges)"
tsort "$T/edges" >/dev/null 2>"$T/loop"
is "$?:$(cat "$T/loop")" "0:" "no call cycle among lib/ objects"

# a loop is seen: the check itself can fail
{ cat "$T/edges"; echo "util openai"; } | tsort >/dev/null 2>&1
ok $([ $? -ne 0 ] && echo 0 || echo 1) "an added back edge is reported as a loop"

grep -l '#include "\.\./cmd\|#include "cmd/' "$AAS_SRC"/lib/*.[ch] >"$T/inc"
is "$(cat "$T/inc")" "" "lib/ includes nothing from cmd/"
done_testing
