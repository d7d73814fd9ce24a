#!/bin/sh
# aas-notify writes its output in blocks, but a record reaches the next
# stage before aas-notify waits for more input: with the writer of its
# input still open, the first record's line is out while aas-notify runs.
. "${AAS_SRC:-.}/tests/lib.sh"

plan 5
cd "$T"
cp "$FIX/boards/table.md" board.md
mkfifo in
# out exists before the shell opens it for aas-notify (which waits for
# the fifo's writer first)
: >out
aas-notify -q --board board.md <in >out 2>err &
pid=$!
exec 3>in
printf '{"id":"T-2","qa":{"ok":true}}\n' >&3
# wait for the line (a bound only against a hang, not a timing check)
i=0
while [ "$(wc -l <out)" -lt 1 ] && [ $i -lt 1200 ]; do
	sleep 0.05
	i=$((i + 1))
done
is "$(cat out)" '{"id":"T-2","qa":{"ok":true},"notify":{"board":{"path":"board.md","status":"Done","changed":true},"targets":[{"kind":"board","ok":true,"detail":"Queued -> Done"}]}}' \
    "the first record is out while its input stays open"
kill -0 $pid 2>/dev/null
ok $? "aas-notify still runs, waiting for input"
printf '{"id":"T-4","plan":{"summary":"x"}}\n' >&3
exec 3>&-
wait $pid
is $? 0 "exit 0 once the input ends"
is "$(sed -n 2p out)" '{"id":"T-4","plan":{"summary":"x"},"notify":{"board":{"path":"board.md","status":"In Progress","changed":true},"targets":[{"kind":"board","ok":true,"detail":"Queued -> In Progress"}]}}' \
    "the second record follows"
is "$(cat err)" "" "nothing on standard error"
