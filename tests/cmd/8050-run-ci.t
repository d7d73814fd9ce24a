#!/bin/sh
# 8050-run-ci: the CI examples run: the steps of examples/ci/github-actions.yml
# and examples/ci/gitlab-ci.yml (run:, script: and after_script:, in
# order, with the environment each file sets; see
# tests/fixtures/run/ci-steps.py) against the emulator, on a clone of a
# bare repository standing in for the project on the forge.  The
# scheduled job again and again until aas-run exits 0: the goal and
# every task Done on the pushed board, aas/integration pushed and passing
# make check.  The hand-started jobs (apply, a QA matrix of three shards,
# notify) again and again on a board of independent tasks: each Done,
# one of them after a repair round.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/run/lib.sh"
plan 13
# tests/deps.sh installs python3-yaml: without it this fails
python3 -c 'import yaml' 2>/dev/null
ok $? "python3 has its yaml module (tests/deps.sh)"
emu_start "$AAS_SRC/examples/demo-answers.json" || exit 1
export AAS_GIT_URL=unused CI_COMMIT_REF_NAME=main

# project NAME [SED]: $T/NAME.git (the forge's copy of the example
# project, its board edited by SED) and the workspace $T/NAME, a clone
project() {
	rm -rf "$T/src"
	cp -R "$AAS_SRC/examples/project" "$T/src"
	[ -n "${2:-}" ] && sed -i "$2" "$T/src/ACTIVE_TASKS.md"
	# a root commit of its own: another project to batch discovery
	echo "$1" >"$T/src/NAME"
	git_repo "$T/src.repo" "$T/src/." >/dev/null
	git clone -q --bare "$T/src.repo" "$T/$1.git"
	rm -rf "$T/src.repo"
	git clone -q "$T/$1.git" "$T/$1"
	export AAS_PUSH_URL="$T/$1.git"
}
# job KIND FILE JOB [SHARD]: run it in the current workspace; output in
# $T/job.out, status in $rc
job() {
	python3 "$FIX/run/ci-steps.py" "$1" "$2" "$3" "$T/job.sh" "${4:-}" ||
	    return 2
	rc=0
	bash "$T/job.sh" >"$T/job.out" 2>&1 || rc=$?
	cat "$T/job.out" >>"$T/jobs.log"
}
# pushed NAME: the statuses on the board pushed to $T/NAME.git
pushed() {
	git -C "$T/$1.git" show main:ACTIVE_TASKS.md >"$T/pushed.md"
	aas-scan --all "$T/pushed.md" | jq -r '.id + " " + .status' | tr '\n' ,
}
ALL="DEMO-1 Done,DEMO-2 Done,DEMO-3 Done,DEMO-4 Done,DEMO-5 Done,DEMO-6 Done,DEMO-6-1 Done,DEMO-6-2 Done,DEMO-6-3 Done,"

for kind in github gitlab; do
	case $kind in
	github) f=$AAS_SRC/examples/ci/github-actions.yml ;;
	gitlab) f=$AAS_SRC/examples/ci/gitlab-ci.yml ;;
	esac
	# the schedule, one pipeline after the other
	project "$kind-run"
	cd "$T/$kind-run" || exit 1
	i=0 bad=
	while [ $i -lt 40 ]; do
		i=$((i + 1))
		job $kind "$f" run
		[ "$rc" = 0 ] || bad="$bad $rc"
		grep -q '^aas-run exited 0$' "$T/job.out" && break
	done
	echo "# $kind: $i scheduled pipelines"
	is "${bad:-none} $(grep -c '^aas-run exited 0$' "$T/job.out")" "none 1" \
	    "$kind: every scheduled job passes, the last with aas-run exiting 0"
	is "$(pushed $kind-run)" "$ALL" "$kind: the pushed board: the goal and every task Done"
	make_check_on "$(git -C "$T/$kind-run.git" rev-parse aas/integration)" >/dev/null 2>&1
	ok $? "$kind: aas/integration pushed, make check passes on it"

	# by hand: apply, the QA matrix, notify; a board of independent tasks
	project "$kind-matrix" '/^| DEMO-4 /d'
	cd "$T/$kind-matrix" || exit 1
	i=0 bad=
	while [ $i -lt 20 ]; do
		i=$((i + 1))
		for j in apply "qa 1" "qa 2" "qa 3" notify; do
			set -- $j
			job $kind "$f" "$1" "${2:-}"
			[ "$rc" = 0 ] || bad="$bad $j:$rc"
		done
		case $(pushed $kind-matrix) in
		*"DEMO-2 Done,DEMO-3 Done,DEMO-5 Done,"*) break ;;
		esac
	done
	echo "# $kind: $i hand-started pipelines"
	is "${bad:-none}" none "$kind: every job of the matrix pipeline passes"
	is "$(pushed $kind-matrix)" "DEMO-1 Done,DEMO-2 Done,DEMO-3 Done,DEMO-5 Done,DEMO-6 Blocked," \
	    "$kind: the pushed board: each task Done"
	is "$(git -C "$T/$kind-matrix.git" log --format=%s aas/DEMO-5 | head -n 1)" \
	    "DEMO-5: Add str_trim" "$kind: DEMO-5's branch pushed, with its repaired commit"
done
done_testing
