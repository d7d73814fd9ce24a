#!/bin/sh
# The record stream contract, for every stage that passes records it has
# no work for: keys it does not own go through byte for byte; a line that
# is not a JSON object becomes a bad_json error record (status 1); a full
# disk is fatal with one message even under -q (status 3); the STOP file stops before
# the next record (status 75); --version and --help on every command.
. "${AAS_SRC:-.}/tests/lib.sh"
filters="aas-plan aas-apply aas-qa"
all="aas-scan aas-submit aas-fetch aas-plan aas-apply aas-qa aas-notify"
plan $((5 * 3 + 2 * 7))
git_repo "$T/repo" "$AAS_SRC/examples/project/."
cd "$T/repo" || exit 1

# Reals, a duplicate key, an integer past 64 bits, unicode and escapes:
# what jansson would reprint or drop if a stage re-serialised the record.
rec='{"id":"X-1","n":0.10,"k":1,"k":2,"big":123456789012345678901234567890,"u":"\u00e9\/","z":{"a":[1.0e3, true ,null]}}'
printf '%s\n' "$rec" >in.jsonl
printf '%s\nnot json\n[1]\n' "$rec" >bad.jsonl
for c in $filters; do
	check_run "$c: a record it has no work for passes byte for byte" 0 \
	    "$rec" "" -- $c -q <in.jsonl
	run $c -q <bad.jsonl
	is "$rc:$(sed -n 2p "$T/out" | jq -c '[.error.code, .raw]')" \
	    '1:["bad_json","not json"]' "$c: bad line becomes an error record"
	is "$(sed -n 3p "$T/out" | jq -r .raw)" "[1]" \
	    "$c: a JSON value that is not an object too"
	run sh -c "$c -q <in.jsonl >/dev/full"
	is "$rc:$(cat "$T/err")" "3:$c: write error: No space left on device" \
	    "$c: full disk is fatal, one message"
	mkdir -p .aas && touch .aas/STOP
	run $c <in.jsonl
	rm .aas/STOP
	is "$rc:$(wc -c <"$T/out" | tr -d ' ')" "75:0" \
	    "$c: STOP file: nothing read, status 75"
done
for c in $all; do
	check_run "$c --version" 0 "$c 0.1.0" "" -- $c --version
	run $c --help
	is "$rc:$(head -c 7 "$T/out"):$(wc -c <"$T/err" | tr -d ' ')" \
	    "0:usage: :0" "$c --help: usage on stdout, status 0"
done
done_testing
