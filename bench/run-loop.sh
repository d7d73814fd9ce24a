#!/bin/sh
# bench/run-loop.sh: aas-run --sync over a board of 200 tasks in 20
# dependency levels (10 a level, each task depending on two of the level
# before it) against the emulator: the wall time, and how much of it is
# aas's own work rather than waiting for the model.  Two runs: the
# emulator answering at once (all of the wall time is aas, git and the
# QA check), then after RUN_BENCH_LATENCY ms a call (default 500, a
# stand-in for a model; -j 8).  Each answer writes one new file and QA is
# one cheap check, so what is measured is the loop, not the project.
# Run from the top of the tree after `make` (make bench does both).
# RUN_BENCH_N (tasks, a multiple of RUN_BENCH_LEVELS) and
# RUN_BENCH_LEVELS override the board.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
AAS_SRC=$top AAS_BUILD=$top/build
export AAS_SRC AAS_BUILD
PATH=$top/build/bin:$PATH
export PATH
N=${RUN_BENCH_N:-200}
LEVELS=${RUN_BENCH_LEVELS:-20}
LATENCY=${RUN_BENCH_LATENCY:-500}
W=$top/build/bench/run
rm -rf "$W"
mkdir -p "$W"
T=$W
. "$top/tests/emu/emu.sh"
trap 'emu_stop >/dev/null 2>&1 || :' EXIT
export LC_ALL=C HOME="$W/home" XDG_CONFIG_HOME="$W/home/.config"
mkdir -p "$HOME"

# the board, the .aas.yml and the emulator's answers (LATENCY_MS filled in)
python3 - "$W" "$N" "$LEVELS" <<'PY'
import json, sys
w, n, levels = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per = n // levels
board = ["# bench board", ""]
answers = []
for i in range(n):
    lv, k = divmod(i, per)
    tid = "B-%d" % (i + 1)
    board.append("## %s: task %d" % (tid, i + 1))
    board.append("- Status: Queued")
    if lv > 0:
        deps = sorted({(lv - 1) * per + k % per + 1,
                       (lv - 1) * per + (k + 1) % per + 1})
        board.append("- Depends: " + ", ".join("B-%d" % d for d in deps))
    board += ["", "Write t/%s.txt." % tid, ""]
    plan = {"summary": "write t/%s.txt" % tid, "tests": [],
            "edits": [{"path": "t/%s.txt" % tid, "op": "write",
                       "content": "%s\n" % tid, "search": None,
                       "replace": None, "diff": None}]}
    answers.append({"match": "Task %s:*" % tid, "content": json.dumps(plan),
                    "latency_ms": "LATENCY_MS"})
open(w + "/ACTIVE_TASKS.md", "w").write("\n".join(board))
open(w + "/answers.json", "w").write(json.dumps({"answers": answers}))
PY
cat >"$W/aas.yml" <<'YML'
model: gpt-4.1-mini
prices:
  gpt-4.1-mini:
    input: 0.4
    output: 1.6
qa:
  builtin: false
  checks:
    - name: files
      run: test -d t
YML

# once LAT: a fresh repository, the emulator answering after LAT ms;
# prints "wall user sys" (user and sys of aas-run and every process it
# waited for: the stages, git, the checks)
once() {
	rm -rf "$W/repo" "$W/emu"*
	mkdir -p "$W/repo/t"
	cp "$W/ACTIVE_TASKS.md" "$W/repo/"
	cp "$W/aas.yml" "$W/repo/.aas.yml"
	: >"$W/repo/t/.keep"
	(cd "$W/repo" && git init -q -b main && git add -A &&
	    git -c user.name=b -c user.email=b@example.invalid commit -q -m base)
	git -C "$W/repo" config user.name bench
	git -C "$W/repo" config user.email bench@example.invalid
	sed "s/\"LATENCY_MS\"/$1/g" "$W/answers.json" >"$W/script.json"
	emu_start "$W/script.json" >/dev/null
	(cd "$W/repo" && /usr/bin/time -f '%e %U %S' -o "$W/time" \
	    aas-run -q --sync -j 8 --max-attempts 1 2>"$W/run.err")
	emu_stop >/dev/null
	done_n=$(cd "$W/repo" && aas-scan --status done | wc -l)
	if [ "$done_n" != "$N" ]; then
		echo "bench/run-loop.sh: $done_n of $N tasks Done" >&2
		cat "$W/run.err" >&2
		exit 1
	fi
	cat "$W/time"
}

set -- $(once 0)
w0=$1 u0=$2 s0=$3
set -- $(once "$LATENCY")
wl=$1 ul=$2 sl=$3
awk -v n="$N" -v lv="$LEVELS" -v lat="$LATENCY" -v w0="$w0" -v u0="$u0" \
    -v s0="$s0" -v wl="$wl" -v ul="$ul" -v sl="$sl" 'BEGIN {
	printf "aas-run --sync -j 8: %d tasks, %d levels, all Done\n", n, lv
	printf "  answers at once:      %6.1f s wall, %6.1f s cpu (user+sys)\n", w0, u0 + s0
	printf "  answers after %d ms: %6.1f s wall, %6.1f s cpu\n", lat, wl, ul + sl
	printf "  with latency, aas (everything but the wait for answers): %.1f s of %.1f s = %.0f %%\n", w0, wl, 100 * w0 / wl
	printf "  the wait the latency alone forces (20 levels x 2 rounds of 8 calls): %.1f s\n", lv * int((n / lv + 7) / 8) * lat / 1000
}'
