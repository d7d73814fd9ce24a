#!/bin/sh
# 0110-stop-reasons: every command that stops early says why on standard
# error, once, even with -q: the STOP file (its path), the signal (its
# name), the budget (spent, limit), batches pending (how many, when the
# first is due).  Exit 75 each time, nothing else on standard error.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 25

mkdir -p "$T/src"
cat >"$T/src/ACTIVE_TASKS.md" <<'MD'
# tasks

| ID | Title | Status |
| --- | --- | --- |
| S-1 | Do a thing | Queued |
MD
cat >"$T/src/.aas.yml" <<'YML'
model: gpt-4.1-mini
prices:
  gpt-4.1-mini:
    input: 0.4
    output: 1.6
qa:
  builtin: false
  checks:
    - name: wait
      run: touch "$T/started"; sleep 1
YML
git_repo "$T/repo" "$T/src/ACTIVE_TASKS.md" "$T/src/.aas.yml"
cd "$T/repo" || exit 1
export T
R=$(pwd -P)
mkdir .aas
STOPF="$R/.aas/STOP"
printf '%s' '{"steps":1000,"default":{"content":"{\"summary\":\"a\",\"edits\":[{\"path\":\"a.txt\",\"op\":\"write\",\"content\":\"a\\n\"}],\"tests\":[]}"}}' >"$T/s.json"
emu_start "$T/s.json" || exit 1
aas-scan >in.jsonl
ERR='{"id":"S-1","error":{"stage":"x","code":"y","message":"z"}}'

# The STOP file: every command, before its first record
touch .aas/STOP
check_run "aas-scan --watch: the STOP file" 75 "" "aas-scan: stopped: STOP file $STOPF" \
    -- aas-scan --watch 0.05
check_run "aas-submit: the STOP file" 75 "" "aas-submit: stopped: STOP file $STOPF" \
    -- sh -c 'aas-submit <in.jsonl'
check_run "aas-submit --sync: the STOP file" 75 "" "aas-submit: stopped: STOP file $STOPF" \
    -- sh -c 'aas-submit --sync <in.jsonl'
check_run "aas-fetch: the STOP file" 75 "" "aas-fetch: stopped: STOP file $STOPF" \
    -- aas-fetch
check_run "aas-plan: the STOP file" 75 "" "aas-plan: stopped: STOP file $STOPF" \
    -- sh -c 'aas-plan <in.jsonl'
check_run "aas-apply: the STOP file" 75 "" "aas-apply: stopped: STOP file $STOPF" \
    -- sh -c 'aas-apply <in.jsonl'
check_run "aas-qa: the STOP file, then its summary" 75 "" "aas-qa: stopped: STOP file $STOPF
aas-qa: 0 passed, 0 failed, 0 skipped in 0.0s, stopped" \
    -- sh -c 'aas-qa <in.jsonl'
check_run "aas-notify: the STOP file" 75 "" "aas-notify: stopped: STOP file $STOPF" \
    -- sh -c 'aas-notify --board <in.jsonl'
check_run "aas-run: the STOP file, nothing started" 75 "" "aas-run: stopped: STOP file $STOPF" \
    -- aas-run --sync
check_run "-q: the reason all the same" 75 "" "aas-plan: stopped: STOP file $STOPF" \
    -- sh -c 'aas-plan -q <in.jsonl'
rm .aas/STOP

# A signal: SIGTERM while the command waits for its next record
# sigrun LINE CMD...: CMD reads a fifo; once LINE came out, SIGTERM
sigrun() {
	_line=$1
	shift
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	: >"$T/out"
	: >"$T/err"
	"$@" <"$T/fifo" >"$T/out" 2>"$T/err" &
	_pid=$!
	exec 3>"$T/fifo"
	[ -n "$_line" ] && printf '%s\n' "$_line" >&3
	_i=0
	while [ ! -s "$T/out" ] && [ $_i -lt 400 ]; do sleep 0.05; _i=$((_i + 1)); done
	# into its next read (a signal just before the read would wait for
	# input that never comes)
	sleep 0.3
	kill -"${SIG:-TERM}" $_pid
	rc=0
	wait $_pid || rc=$?
	exec 3>&-
}
sigrun "" aas-scan --watch 0.05
is "$rc $(jq -r .id "$T/out") $(cat "$T/err")" "75 S-1 aas-scan: stopped: signal SIGTERM" "aas-scan --watch: a signal"
sigrun "$ERR" aas-submit --sync
is "$rc $(cat "$T/err")" "75 aas-submit: stopped: signal SIGTERM" "aas-submit --sync: a signal"
sigrun "$ERR" aas-fetch --stdin
is "$rc $(cat "$T/err")" "75 aas-fetch: stopped: signal SIGTERM" "aas-fetch --stdin: a signal"
sigrun "$ERR" aas-plan
is "$rc $(cat "$T/err")" "75 aas-plan: stopped: signal SIGTERM" "aas-plan: a signal"
sigrun "$ERR" aas-apply
is "$rc $(cat "$T/err")" "75 aas-apply: stopped: signal SIGTERM" "aas-apply: a signal"
sigrun "$ERR" aas-qa
is "$rc $(sed -E 's/ in [0-9.]+s/ in Ns/' "$T/err")" "75 aas-qa: stopped: signal SIGTERM
aas-qa: 0 passed, 0 failed, 0 skipped in Ns, stopped" "aas-qa: a signal, then its summary"
sigrun '{"id":"S-1"}' aas-notify --board
is "$rc $(cat "$T/err")" "75 aas-notify: stopped: signal SIGTERM" "aas-notify: a signal"
SIG=INT
sigrun "$ERR" aas-plan
unset SIG
is "$rc $(cat "$T/err")" "75 aas-plan: stopped: signal SIGINT" "SIGINT is named too"
# aas-run: the signal while its QA stage runs; the stage finishes
aas-run -q --sync >"$T/out" 2>"$T/err" &
pid=$!
i=0
while [ ! -e "$T/started" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid
rc=0
wait $pid || rc=$?
is "$rc $(sed -E '$s/[0-9.]+ USD$/N USD/' "$T/err")" "75 aas-run: stopped: signal SIGTERM
aas-run: 0 done, 0 failed, 1 left, N USD" "aas-run: a signal, before its summary"
git checkout -q ACTIVE_TASKS.md
git branch -q -D aas/S-1 aas/integration 2>/dev/null

# The budget: aas-submit, and aas-run through it
rm -rf .aas && mkdir .aas
run aas-submit --max-cost 0.0001 <in.jsonl
is "$rc $(cat "$T/err")" "75 aas-submit: S-1: budget reached: 0.0000 USD spent or committed, this task's 0.0009 would pass the limit of 0.0001
aas-submit: stopped: budget reached: 0.00 USD spent or committed, limit 0.0001 USD" \
    "aas-submit: the budget, spent and limit, after the task's own line"
check_run "aas-submit -q: the budget all the same" 75 "" \
    "aas-submit: stopped: budget reached: 0.00 USD spent or committed, limit 0.0001 USD" \
    -- sh -c 'aas-submit -q --max-cost 0.0001 <in.jsonl >/dev/null'
run aas-run -q --max-cost 0.0001
is "$rc $(sed -E '$s/[0-9.]+ USD$/N USD/' "$T/err")" "75 aas-submit: stopped: budget reached: 0.00 USD spent or committed, limit 0.0001 USD
aas-run: stopped: budget reached: 0.00 USD spent, limit 0.0001 USD
aas-run: 0 done, 0 failed, 1 left, N USD" "aas-run: the budget its aas-submit stopped at"

# Batches pending: aas-fetch, and aas-run
rm -rf .aas && mkdir .aas
aas-submit -q <in.jsonl >sub.jsonl
t=$(jq -r 'select(.ev == "intent") | .t' .aas/batches.jsonl)
due=$(date -u -d "@$((t + 86400))" +%Y-%m-%dT%H:%M:%SZ)
check_run "aas-fetch: one batch pending, when it is due" 75 "" \
    "aas-fetch: stopped: 1 batch pending, the first due by $due" -- aas-fetch
check_run "aas-fetch -q: the same" 75 "" \
    "aas-fetch: stopped: 1 batch pending, the first due by $due" -- aas-fetch -q
run aas-run -q
is "$rc $(sed -E '$s/[0-9.]+ USD$/N USD/' "$T/err")" "75 aas-fetch: stopped: 1 batch pending, the first due by $due
aas-run: stopped: 1 batch pending, the first due by $due
aas-run: 0 done, 0 failed, 1 left, N USD" "aas-run: the batch pending, from its aas-fetch and its own"
done_testing
