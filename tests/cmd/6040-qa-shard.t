#!/bin/sh
# aas-qa --shard I/N: every task is checked in exactly one shard; the
# others pass through untouched, so shards compose.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 16

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"
printf 'qa:\n  builtin: false\n  checks:\n    - name: t\n      run: exit 0\n' >qa.yml
qa_task T-1 x.txt x >one
i=1
while [ $i -le 30 ]; do
	sed "s/\"id\":\"T-1\"/\"id\":\"S-$i\"/" one
	i=$((i + 1))
done >in

for n in 2 3 5; do
	: >checked
	good=0
	i=1
	while [ $i -le $n ]; do
		aas-qa -q --shard $i/$n -c qa.yml $S <in >out.$i || good=1
		[ "$(wc -l <out.$i)" -eq 30 ] || good=1
		jq -r 'select(.qa) | .id' out.$i >>checked
		# the others are byte for byte the input
		jq -c 'select(.qa == null)' out.$i >rest
		grep -Fxv -f in rest >/dev/null && good=1
		i=$((i + 1))
	done
	ok $good "N=$n: every shard writes every record"
	is "$(sort checked | uniq -d | wc -l | tr -d ' ')" 0 "N=$n: no task in two shards"
	is "$(sort -u checked | wc -l | tr -d ' ')" 30 "N=$n: every task in a shard"
done

aas-qa -q --shard 1/2 -c qa.yml $S <in | aas-qa -q --shard 2/2 -c qa.yml $S >out
is "$(jq -r 'select(.qa) | .id' out | wc -l | tr -d ' ')" 30 "shards compose"

# Stable: FNV-1a of the id, the same on every machine and run.
aas-qa -q --shard 1/3 -c qa.yml $S <in >out
is "$(jq -r 'select(.qa) | .id' out | tr '\n' ' ')" \
    "S-7 S-9 S-12 S-14 S-17 S-18 S-23 S-25 S-26 S-28 S-30 " \
    "shard 1/3 is a fixed set (FNV-1a 64 mod 3)"

CI_NODE_INDEX=1 CI_NODE_TOTAL=3 aas-qa -q -c qa.yml $S <in >out2
qa_norm out
qa_norm out2
cmp_file out2 out "CI_NODE_INDEX/CI_NODE_TOTAL as the default"

U='usage: aas-qa [-qv] [-j N] [--keep-order] [--shard I/N] [--rollback] [--pick] [--fail-fast] [--keep] [--tmp] [--sandbox] [--no-builtin] [--integrate] [-c FILE] [--state DIR]'
check_run "--shard 0/2" 2 "" "aas-qa: --shard: expected I/N with 1 <= I <= N: 0/2
$U" -- aas-qa --shard 0/2 </dev/null
check_run "--shard 3/2" 2 "" "aas-qa: --shard: expected I/N with 1 <= I <= N: 3/2
$U" -- aas-qa --shard 3/2 </dev/null
check_run "--shard x" 2 "" "aas-qa: --shard: expected I/N with 1 <= I <= N: x
$U" -- aas-qa --shard x </dev/null
CI_NODE_INDEX=4 CI_NODE_TOTAL=3 check_run "bad CI_NODE_INDEX" 2 "" \
    'aas-qa: $CI_NODE_INDEX/$CI_NODE_TOTAL: expected I/N with 1 <= I <= N: 4/3' \
    -- aas-qa </dev/null

done_testing
