#!/bin/sh
# 0100-progress-tty: the progress line of aas-submit --sync and aas-qa -j
# on a terminal (a pty from script(1)): drawn more than once in place
# ("\r", the line, clear-to-end), with done/total and an ETA, always
# cleared before any other line and at the end, then the summary; in a
# pipe nothing of it, with --progress plain lines; -q none at all.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"
. "$FIX/qa/qa.sh"

# script(1) is util-linux's (bsdutils, essential on Debian): without a
# pty this fails, it does not skip
if ! script -qfec true /dev/null >/dev/null 2>&1; then
	plan 1
	ok 1 "script(1) makes a pty"
	exit 1
fi
plan 22

# tty CMD: run CMD in a pty; what it wrote there in $T/tty, its status
# in $rc
tty() {
	rc=0
	script -qfec "$1" /dev/null >"$T/tty" </dev/null || rc=$?
}
# draws PROG TOTAL: how many times the line was drawn
draws() {
	perl -0ne 'my $n = () = /\r\Q'"$1"': \E\d+\/'"$2"' done, [^\r\n]*\e\[K/g; print $n' "$T/tty"
}
# cleared: "yes" when every drawing is followed by "\r" (a clear or the
# next drawing: nothing ever lands on the line) and the last one by the
# clear
cleared() {
	perl -0ne 'my $end = -1; my $bad = 0;
	    while (/\r[^\r\n]* done, [^\r\n]*\e\[K/g) {
		$end = pos; $bad++ if substr($_, $end, 1) ne "\r";
	    }
	    print $end >= 0 && !$bad && substr($_, $end, 4) eq "\r\e[K" ? "yes" : "no"' "$T/tty"
}
# rest: the text without the drawings and clears, lines sorted ("\r\n"
# of the pty as "\n")
rest() {
	perl -0pe 's/\r[^\r\n]* done, [^\r\n]*\e\[K//g; s/\r\e\[K//g; s/\r\n/\n/g' "$T/tty" |
	    sed -E 's/ skipped in [0-9.]+s/ skipped in Ns/' | sort
}

setup_repo
printf '%s' '{"default":{"content":"{\"summary\":\"ok\",\"edits\":[],\"tests\":[]}","latency_ms":300}}' >"$T/s.json"
emu_start "$T/s.json" || exit 1
gen 6 >in.jsonl

tty "aas-submit --sync -j 2 <in.jsonl >out"
is "$rc $(wc -l <out | tr -d ' ')" "0 6" "submit --sync in a pty: exit 0, six records"
n=$(draws aas-submit 6)
ok $([ "$n" -ge 2 ] && echo 0 || echo 1) "submit: the line drawn in place more than once ($n)"
ok $(grep -q 'aas-submit: [0-9]/6 done, [0-9.]*/s, ETA [0-9]*s, 0 failed, \$0\.' "$T/tty" && echo 0 || echo 1) \
    "submit: done/total, rate, ETA, failures and cost on the line"
is "$(cleared)" yes "submit: never written over, cleared at the end"
is "$(rest)" 'aas-submit: 6 in, 6 out, 0 failed, $0.0005424' \
    "submit: then only the summary line (the six calls' cost)"

# -v: every trace line starts on a cleared line
tty "aas-submit -v --sync -j 2 --force <in.jsonl >out"
is "$(cleared)" yes "submit -v: the HTTP trace never lands on the line"
ok $([ "$(draws aas-submit 6)" -ge 1 ] && echo 0 || echo 1) "submit -v: the line is still drawn"

# in a pipe: no line, no summary
check_run "submit in a pipe: nothing on stderr" 0 6 "" -- sh -c 'aas-submit --sync -j 2 --force <in.jsonl | wc -l | tr -d " "' 
run aas-submit --progress --sync -j 2 --force <in.jsonl
is "$(grep -c . "$T/out") $(tail -n 1 "$T/err")" '6 aas-submit: 6 in, 6 out, 0 failed, $0.0005424' \
    "--progress in a pipe: the summary at the end"
ok $(grep -q "$(printf '[\r\033]')" "$T/err" && echo 1 || echo 0) "--progress in a pipe: plain lines, no terminal codes"
tty "aas-submit -q --sync -j 2 --force <in.jsonl >out"
is "$(cat "$T/tty")" "" "submit -q in a pty: nothing at all"

# aas-qa -j 2: six checks of 0.4 s each
qa_repo "$T/qrepo"
cat >"$T/slow.yml" <<'YML'
qa:
  builtin: false
  checks:
    - name: slow
      run: sleep 0.4
YML
for i in 1 2 3 4 5 6; do qa_task Q-$i x.txt x; done >"$T/qin"
Q="-c $T/slow.yml --state $T/qstate"
tty "aas-qa -j 2 $Q <$T/qin >$T/qout"
is "$rc $(wc -l <"$T/qout" | tr -d ' ')" "0 6" "qa -j 2 in a pty: exit 0, six records"
n=$(draws aas-qa 6)
ok $([ "$n" -ge 2 ] && echo 0 || echo 1) "qa: the line drawn in place more than once ($n)"
ok $(grep -q 'aas-qa: [0-9]/6 done, [0-9.]*/s, ETA [0-9]*s, 0 failed' "$T/tty" && echo 0 || echo 1) \
    "qa: done/total, rate, ETA and failures on the line"
is "$(cleared)" yes "qa: never written over, cleared at the end"
is "$(rest | tr '\n' ,)" \
    "aas-qa: 6 passed, 0 failed, 0 skipped in Ns,aas-qa: Q-1: passed,aas-qa: Q-2: passed,aas-qa: Q-3: passed,aas-qa: Q-4: passed,aas-qa: Q-5: passed,aas-qa: Q-6: passed," \
    "qa: the lines of a terminal run, its own summary, no second one"

run aas-qa -j 2 $Q <"$T/qin"
is "$rc $(wc -l <"$T/out" | tr -d ' ') $(sed -E 's/ in [0-9.]+s/ in Ns/' "$T/err")" \
    "0 6 aas-qa: 6 passed, 0 failed, 0 skipped in Ns" "qa in a pipe: only its summary"
run aas-qa --progress -j 2 $Q <"$T/qin"
ok $(grep -q '^aas-qa: [0-9]/6 done, .*, ETA [0-9]*s, 0 failed' "$T/err" && echo 0 || echo 1) \
    "qa --progress in a pipe: plain progress lines"
ok $(grep -q "$(printf '[\r\033]')" "$T/err" && echo 1 || echo 0) "qa --progress: no terminal codes"
tty "AAS_PROGRESS=0 aas-qa -j 2 $Q <$T/qin >$T/qout"
is "$(draws aas-qa 6)" 0 "AAS_PROGRESS=0: no line even on a terminal"
export AAS_PROGRESS=1
run aas-qa -j 2 $Q <"$T/qin"
unset AAS_PROGRESS
ok $(grep -q '^aas-qa: [0-9]/6 done' "$T/err" && echo 0 || echo 1) "AAS_PROGRESS=1: as --progress"
tty "aas-qa -q -j 2 $Q <$T/qin >$T/qout"
is "$(cat "$T/tty")" "" "qa -q in a pty: nothing at all"
done_testing
