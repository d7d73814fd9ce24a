#!/bin/sh
# The same messages from every command on the driver: a bad short option
# (alone and in a cluster), a bad long option (with and without a value),
# a long option given a value it takes none, a missing option argument
# (short and long), an unexpected operand, and a .aas.yml or -c file that
# does not parse: one line naming the command and exactly the culprit,
# then the usage (as --help prints it) for usage errors; status 2, no
# output.  A command joins by adding its name to cmds.
. "${AAS_SRC:-.}/tests/lib.sh"
cmds="aas-scan aas-notify aas-plan aas-apply aas-qa aas-fetch aas-submit aas-run"
n=0
for c in $cmds; do
	case $c in aas-scan|aas-notify|aas-fetch) n=$((n + 9)) ;; *) n=$((n + 10)) ;; esac
done
plan $n
git_repo "$T/repo"
cd "$T/repo" || exit 1
root=$(pwd -P)

# args CMD: what CMD needs on top to get as far as its configuration
args() {
	case $1 in aas-notify) echo --board ;; esac
}

for c in $cmds; do
	$c --help >usage
	u=$(cat usage)
	check_run "$c: a bad short option" 2 "" "$c: unknown option -x
$u" -- $c -x
	check_run "$c: a bad short option in a cluster is named alone" 2 "" \
	    "$c: unknown option -x
$u" -- $c -qx
	check_run "$c: a bad long option" 2 "" "$c: unknown option --bogus
$u" -- $c --bogus
	check_run "$c: a bad long option with a value, after a cluster" 2 "" \
	    "$c: unknown option --bogus
$u" -- $c -qv --bogus=1
	check_run "$c: a value for an option that takes none" 2 "" \
	    "$c: option --quiet takes no argument
$u" -- $c --quiet=1
	check_run "$c: a short option without its argument" 2 "" \
	    "$c: option -c needs an argument
$u" -- $c -q -c
	check_run "$c: a long option without its argument" 2 "" \
	    "$c: option --state needs an argument
$u" -- $c --verbose --state
	case $c in
	aas-scan|aas-notify|aas-fetch) ;;	# these take operands
	*)
		check_run "$c: an unexpected operand" 2 "" \
		    "$c: unexpected operand: extra
$u" -- $c -q extra </dev/null
		;;
	esac
	printf 'a: [1, 2\nb: 3\n' >.aas.yml
	check_run "$c: a .aas.yml that does not parse" 2 "" \
	    "$c: $root/.aas.yml:2: did not find expected ',' or ']'" \
	    -- $c $(args $c) </dev/null
	rm .aas.yml
	printf 'x: "open\n' >bad.yml
	check_run "$c: a -c file that does not parse" 2 "" \
	    "$c: bad.yml:2: found unexpected end of stream" \
	    -- $c -c bad.yml $(args $c) </dev/null
	rm bad.yml
done
done_testing
