#!/bin/sh
# aas-qa: time limits kill the whole process group; huge output keeps its
# tail within the cap, in flat memory.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 9

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"
MARK=97$$
R1=$(qa_task T-1 x.txt hello)
printf '%s\n' "$R1" >in

# A check that sleeps forever and forks children, some in a subshell.
cat >slow.yml <<YML
qa:
  builtin: false
  kill_grace: 0.5
  checks:
    - name: forever
      run: sleep $MARK & sleep $MARK & sh -c 'sleep $MARK & wait' & echo started; wait
      timeout: 0.5
YML
QA='"qa":{"ok":false,"checks":[{"name":"forever","cmd":"sleep '$MARK' & sleep '$MARK' & sh -c '"'"'sleep '$MARK' & wait'"'"' & echo started; wait","required":true,"ok":false,"exit":null,"signal":15,"ms":N,"bytes":8,"timeout":true,"tail":"started\n"}]}'
ERR='"error":{"stage":"qa","code":"qa_failed","message":"check forever timed out"}'
qa_check "timeout: killed, flagged" 1 "${R1%\}},$QA,$ERR}" \
    "aas-qa: T-1: check forever timed out
aas-qa: 0 passed, 1 failed, 0 skipped in Ns" -- aas-qa -c slow.yml $S <in
is "$(pgrep -f "sleep $MARK" | wc -l | tr -d ' ')" 0 "timeout: no process left (pgrep)"

# SIGTERM ignored: SIGKILL after the grace period.
cat >stubborn.yml <<YML
qa:
  builtin: false
  kill_grace: 0.3
  checks:
    - name: stubborn
      run: trap '' TERM; sleep $MARK & sleep $MARK
      timeout: 0.3
YML
run aas-qa -q -c stubborn.yml $S <in
is "$(jq -c '.qa.checks[0] | [.exit, .signal, .timeout]' out)" '[null,9,true]' \
    "term ignored: SIGKILL"
is "$(pgrep -f "sleep $MARK" | wc -l | tr -d ' ')" 0 "term ignored: no process left"

# Huge output: 11 MB, 1 KiB kept, last 3 lines in the record.
cat >huge.yml <<'YML'
qa:
  builtin: false
  output_cap: 1024
  tail_lines: 3
  checks:
    - name: huge
      run: yes 0123456789 | head -n 1000000; echo END
YML
run aas-qa -q -c huge.yml $S <in
is "$(jq -c '.qa.checks[0] | [.ok, .bytes, .tail]' out)" \
    '[true,11000004,"0123456789\n0123456789\nEND\n"]' "huge: tail and byte count"

# Memory stays flat in the size of the output (default cap, 64 KiB).
cat >mem.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: out
      run: head -c "$SIZE" /dev/zero | tr '\0' x
YML
SIZE=1000000 /usr/bin/time -f %M -o small aas-qa -q -c mem.yml $S <in >out1
SIZE=300000000 /usr/bin/time -f %M -o big aas-qa -q -c mem.yml $S <in >out2
is "$(jq -c '.qa.checks[0] | [.bytes, (.tail | length)]' out2)" '[300000000,65536]' \
    "big: 300 MB counted, 64 KiB kept"
small=$(tail -n 1 small) big=$(tail -n 1 big)
diag_mem="small ${small} KiB, big ${big} KiB"
echo "# max RSS: $diag_mem"
[ $((big - small)) -lt 20000 ]
ok $? "memory: 300 MB of output costs under 20 MB more than 1 MB ($diag_mem)"

# Invalid UTF-8 and NUL bytes in output still make a valid record.
cat >bin.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: bin
      run: printf 'a\377b\000c\303\n'
YML
run aas-qa -q -c bin.yml $S <in
is "$(jq -c '.qa.checks[0].tail | explode' out)" '[97,65533,98,63,99,65533,10]' "binary output made valid"
is "$rc" 0 "binary output: exit 0"

done_testing
