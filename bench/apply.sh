#!/bin/sh
# bench/apply.sh: aas-apply against the obvious git CLI loop.
#
# A repository of $FILES files (in 60 folders) and $TASKS plans of 1-3
# search/replace edits each.  aas-apply (release build, build/bin) writes
# one commit and branch per plan without a checkout; the alternative does
# the same edits per task with `git worktree add`, `git apply`,
# `git commit -a`, `git worktree remove`.  hyperfine times both (the
# branches are deleted before every run); tasks per second and the ratio
# are printed at the end.
set -eu
TASKS=${TASKS:-440}
FILES=${FILES:-3000}
RUNS=${RUNS:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN="$SRC/build/bin"
[ -x "$BIN/aas-apply" ] || make -C "$SRC" -s build/bin/aas-apply
W=$(mktemp -d "${TMPDIR:-/tmp}/aas-bench-apply.XXXXXX")
trap 'rm -rf "$W"' EXIT
R="$W/repo"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

# the repository: line 20 of file i is "int v_i = 0;"
mkdir -p "$R"
awk -v n="$FILES" -v r="$R" 'BEGIN {
	for (i = 1; i <= n; i++) {
		d = sprintf("%s/src/d%02d", r, i % 60)
		f = sprintf("%s/f%04d.c", d, i)
		if (i <= 60) system("mkdir -p " d)
		for (l = 1; l <= 40; l++)
			if (l == 20) printf "int v_%d = 0;\n", i > f
			else printf "/* file %d, line %d */\n", i, l > f
		close(f)
	}
}'
git -C "$R" init -q -b main
git -C "$R" config user.name Bench
git -C "$R" config user.email bench@example.invalid
git -C "$R" add -A
git -C "$R" commit -q -m base

# the plans, and the same edits as patch files for the git loop
mkdir "$W/patches"
awk -v n="$TASKS" -v files="$FILES" -v w="$W" 'BEGIN {
	srand(42)
	for (t = 1; t <= n; t++) {
		k = 1 + (t % 3)
		printf "{\"id\":\"B-%d\",\"title\":\"bench %d\",\"plan\":{\"summary\":\"s\",\"edits\":[", t, t > (w "/plans.jsonl")
		p = sprintf("%s/patches/B-%d.diff", w, t)
		printf "" > p
		for (e = 0; e < k; e++) {
			i = 1 + ((t * 7 + e * 1009) % files)
			path = sprintf("src/d%02d/f%04d.c", i % 60, i)
			printf "%s{\"path\":\"%s\",\"op\":\"replace\",\"search\":\"int v_%d = 0;\\n\",\"replace\":\"int v_%d = %d;\\n\"}", e ? "," : "", path, i, i, t > (w "/plans.jsonl")
			printf "--- a/%s\n+++ b/%s\n@@ -17,7 +17,7 @@\n", path, path > p
			for (l = 17; l <= 19; l++)
				printf " /* file %d, line %d */\n", i, l > p
			printf "-int v_%d = 0;\n+int v_%d = %d;\n", i, i, t > p
			for (l = 21; l <= 23; l++)
				printf " /* file %d, line %d */\n", i, l > p
		}
		printf "]}}\n" > (w "/plans.jsonl")
		close(p)
	}
}'

cat >"$W/git-loop.sh" <<'LOOP'
#!/bin/sh
# one task at a time through the git CLI
set -e
R=$1 W=$2
for p in "$W"/patches/*.diff; do
	id=$(basename "$p" .diff)
	git -C "$R" worktree add -q -b "cli/$id" "$W/wt" main
	git -C "$W/wt" apply "$p"
	git -C "$W/wt" commit -q -a -m "$id: bench"
	git -C "$R" worktree remove --force "$W/wt"
done
LOOP

cat >"$W/reset.sh" <<'RESET'
#!/bin/sh
git -C "$1" for-each-ref --format='delete %(refname)' refs/heads/aas refs/heads/cli |
    git -C "$1" update-ref --stdin
git -C "$1" worktree prune
RESET

hyperfine --runs "$RUNS" --export-json "$W/h.json" \
    --prepare "sh $W/reset.sh $R" \
    -n aas-apply "$BIN/aas-apply --repo $R < $W/plans.jsonl > /dev/null" \
    -n git-cli "sh $W/git-loop.sh $R $W"

# check both did the work: the git loop's branches from its last run are
# still there (each --prepare deletes them before a run, not after)
"$BIN/aas-apply" --repo "$R" --force <"$W/plans.jsonl" >"$W/out"
bad=0
for t in 1 2 3 $TASKS; do
	[ "$(git -C "$R" rev-parse "aas/B-$t^{tree}")" = \
	    "$(git -C "$R" rev-parse "cli/B-$t^{tree}")" ] || bad=$((bad + 1))
done
echo "same trees from both (sampled): $([ $bad = 0 ] && echo yes || echo NO)"
jq -r --argjson n "$TASKS" '.results[] | "\(.command): \(.mean | . * 1000 | round / 1000) s mean, \($n / .mean | . * 10 | round / 10) tasks/s"' "$W/h.json"
jq -r '(.results[0].mean) as $a | (.results[1].mean) as $g | "ratio: aas-apply is \($g / $a | . * 10 | round / 10) times faster"' "$W/h.json"
