#!/bin/sh
# Many writers on one board at once, and writers killed with SIGKILL
# mid-write: no change is lost, the board always parses, no task is lost.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 9
cd "$T"
{
	echo "| ID | Title | Status |"
	echo "|----|-------|--------|"
	i=1
	while [ $i -le 400 ]; do
		echo "| C-$i | task $i | Queued |"
		i=$((i + 1))
	done
	echo
	echo "## C-401: a heading task"
	echo "- Status: Queued"
} >board.md

# 8 processes, each setting the status of 50 different tasks; records
# are fed a few at a time so each process makes many locked updates.
p=0
while [ $p -lt 8 ]; do
	k=1
	while [ $k -le 50 ]; do
		echo "{\"id\":\"C-$((p * 50 + k))\"}"
		[ $((k % 5)) -eq 0 ] && sleep 0.01
		k=$((k + 1))
	done | aas-notify -q --board board.md --status Done >/dev/null ||
	    echo "writer $p failed" >>fail &
	p=$((p + 1))
done
wait
is "$(cat fail 2>/dev/null)" "" "every writer succeeded"
is "$(aas-scan --status Done board.md | wc -l)" 400 "all 400 changes present"
check_run "the board is well-formed" 0 "" "" -- aas-scan --check board.md
is "$(aas-scan --all board.md | wc -l)" 401 "no task lost"

# appends: 4 processes add 10 tasks each, under the lock
p=0
while [ $p -lt 4 ]; do
	( k=0; while [ $k -lt 10 ]; do
		aas-scan -q --add "added by $p" board.md >/dev/null || echo x >>fail2
		k=$((k + 1)); done ) &
	p=$((p + 1))
done
wait
is "$(aas-scan --all board.md | jq -r .id | sort -u | wc -l)" 441 \
    "40 appends, 40 new unique ids"

# kill -9 during writes, many times: the board always parses to the same
# tasks.  Each round starts a writer flipping every status and kills it
# after a short random delay.  The release build, when there is one,
# keeps the loop short.
rounds=${AAS_KILL_ROUNDS:-300}
bin=
[ -x "$AAS_SRC/build/bin/aas-notify" ] && [ -x "$AAS_SRC/build/bin/aas-scan" ] &&
    bin="$AAS_SRC/build/bin/"
aas-scan --all board.md >recs
jq -r .id recs >ids.want
bad=0 killed=0 i=0
while [ $i -lt "$rounds" ]; do
	st=Done
	[ $((i % 2)) -eq 0 ] && st=Failed
	"${bin}aas-notify" -q --board board.md --status $st <recs >/dev/null 2>&1 &
	pid=$!
	sleep 0.00$(( (i * 7919) % 10 ))	# 0 to 9 ms
	kill -9 $pid 2>/dev/null && killed=$((killed + 1))
	wait $pid 2>/dev/null
	"${bin}aas-scan" --all board.md >got 2>goterr
	if [ $? -ne 0 ] || [ "$(wc -l <got)" -ne 441 ] ||
	    { [ $((i % 20)) -eq 0 ] && ! jq -r .id got | cmp -s - ids.want; }; then
		bad=$((bad + 1))
		cp board.md "bad.$i.md"
		echo "# round $i: $(head -c 200 goterr)"
	fi
	i=$((i + 1))
done
is "$bad" 0 "after $rounds kills the board parsed with every task each time"
ok "$([ "$killed" -gt 0 ] && echo 0 || echo 1)" "writers were killed ($killed)"
check_run "well-formed after the kills" 0 "" "" -- aas-scan --check board.md
# a kill in the write leaves the temporary file to the next writer, which
# removes it under the lock (aas-board(5)): the last round's kill may have
"${bin}aas-notify" -q --board board.md --status Done <recs >/dev/null 2>&1
is "$(ls | grep -c 'board.md.tmp')" 0 "no temporary files left behind"
done_testing
