#!/bin/sh
# bench/qa.sh: aas-qa throughput with -j, and the cost of a scratch
# worktree against `git worktree add` + `git worktree remove`.
# Release build: make && sh bench/qa.sh   (about 3.5 minutes)
# QA_BENCH_TASKS (default 100), QA_BENCH_SLEEP (default 1) and
# QA_BENCH_SETUP (tasks per set-up run, default 20) shrink it.  Worktrees
# go under $TMPDIR (--tmp); the set-up comparison runs there and, when
# it exists, on the tmpfs /dev/shm too.  QA_BENCH_JTMP puts the -j runs'
# worktrees elsewhere (QA_BENCH_JTMP=/dev/shm leaves the disk out).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$SRC/build/bin/aas-qa
[ -x "$BIN" ] || { echo "bench/qa.sh: build first: make" >&2; exit 1; }
N=${QA_BENCH_TASKS:-100}
M=${QA_BENCH_SETUP:-20}
SLEEP=${QA_BENCH_SLEEP:-1}
W=$(mktemp -d "${TMPDIR:-/tmp}/aas-bench-qa.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

# A repository of 400 files (20 folders of 20 files, about 2 KiB each).
git init -q -b main repo
d=0
while [ $d -lt 20 ]; do
	mkdir -p repo/src/d$d
	f=0
	while [ $f -lt 20 ]; do
		head -c 1500 /dev/urandom | base64 >repo/src/d$d/f$f.txt
		f=$((f + 1))
	done
	d=$((d + 1))
done
git -C repo add -A
git -C repo -c user.name=b -c user.email=b@example.invalid commit -q -m base
C=$(git -C repo rev-parse HEAD)
i=1
while [ $i -le "$N" ]; do
	printf '{"id":"B-%d","apply":{"repo":"%s/repo","commit":"%s","files":[{"path":"src/d0/f0.txt","op":"write"}]}}\n' \
	    $i "$W" "$C"
	i=$((i + 1))
done >tasks.jsonl

JTMP=${QA_BENCH_JTMP:-${TMPDIR:-/tmp}}
echo "## aas-qa -j: $N tasks, each with one 'sleep $SLEEP' check, worktrees in $JTMP"
printf 'qa:\n  builtin: false\n  checks:\n    - name: sleep\n      run: sleep %s\n' \
    "$SLEEP" >sleep.yml
for j in 1 2 4; do
	t0=$(date +%s.%N)
	TMPDIR=$JTMP "$BIN" -q -j $j --tmp -c sleep.yml --state "$W/state" \
	    <tasks.jsonl >out.jsonl
	t1=$(date +%s.%N)
	ideal=$(echo "$N * $SLEEP / $j" | bc -l)
	echo "-j $j: $(wc -l <out.jsonl) records, $(grep -c '"ok":true' out.jsonl) passed," \
	    "wall $(printf '%.1f' "$(echo "$t1 - $t0" | bc -l)") s," \
	    "ideal $(printf '%.1f' "$ideal") s," \
	    "overhead $(printf '%.1f' "$(echo "($t1 - $t0 - $ideal) * 1000 / $N" | bc -l)") ms/task"
done

echo
setup() {	# setup FOLDER LABEL
	cat >git-worktrees.sh <<SH
i=0
while [ \$i -lt $M ]; do
	git -C "$W/repo" worktree add -q --detach "$1/wt" $C
	git -C "$W/repo" worktree remove --force "$1/wt"
	i=\$((i + 1))
done
SH
	echo
	echo "## worktree set-up and removal in $1 ($2): $M tasks a run, 400-file repository"
	TMPDIR=$1 hyperfine --warmup 1 --runs 3 --export-json hf.json --style basic \
	    -n "aas-qa (scratch checkout + removal)" \
	    "$BIN -q --tmp -c $W/none.yml --state $W/state <$W/setup.jsonl >/dev/null" \
	    -n "git worktree add + remove" "sh $W/git-worktrees.sh" |
	    grep -E 'Benchmark|Time'
	jq -r --argjson n "$M" '.results | "per task: aas-qa \(.[0].mean * 1000 / $n | round) ms, git worktree \(.[1].mean * 1000 / $n | round) ms; git worktree / aas-qa = \(.[1].mean / .[0].mean | . * 100 | round / 100)"' hf.json
}
printf 'qa:\n  builtin: false\n' >none.yml
head -n "$M" tasks.jsonl >setup.jsonl
setup "$W" "$(df -T "$W" | awk 'NR == 2 { print $2 }')"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	S=$(mktemp -d /dev/shm/aas-bench-qa.XXXXXX)
	trap 'rm -rf "$W" "$S"' EXIT
	setup "$S" tmpfs
fi
