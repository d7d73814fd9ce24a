#!/bin/sh
# kill -9 of aas-notify --github and --gitlab at random moments, again and
# again, then one run to the end: every branch pushed, and exactly one
# pull request and one merge request per task, each made by one create,
# whatever the kills interrupted (a push, a list, a create, its answer).
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-forge/forge.sh"
command -v python3 >/dev/null || skip_all "no python3"
[ -x /usr/lib/git-core/git-http-backend ] || skip_all "no git-http-backend"

plan 7
forge_start || exit 1
forge_clone "$T/w"
cd "$T/w" || exit 1
printf 'gitlab:\n  remote: %s/group/repo.git\n' "$FORGE_URL" >.aas.yml
export AAS_HTTP_BACKOFF_MS=5
N=6
i=1
while [ $i -le $N ]; do
	git checkout -q -b "aas/K-$i" main
	echo "$i" >"K-$i.txt"
	git add "K-$i.txt"
	git commit -q -m "K-$i"
	printf '{"id":"K-%d","title":"task %d","qa":{"ok":true},"apply":{"branch":"aas/K-%d","commit":"%s"}}\n' \
	    $i $i $i "$(git rev-parse HEAD)" >>in
	git checkout -q main
	i=$((i + 1))
done

kills=0 k=0
while [ $k -lt 20 ]; do
	aas-notify -q --github --gitlab <in >/dev/null 2>>errs &
	p=$!
	ms=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	sleep "0.$(printf '%03d' $((ms % 800)))"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	[ $? -eq 137 ] && kills=$((kills + 1))
	k=$((k + 1))
done
echo "# $kills of 20 runs killed"
run aas-notify -q --github --gitlab <in
is "$rc" 0 "the last run finishes"
is "$(jq -r '.notify.targets[] | select(.ok) | .kind' "$T/out" | sort | uniq -c | tr -s ' ' | tr '\n' ,)" \
    " $N github, $N gitlab," "every delivery ok in the end"

pushed=0
i=1
while [ $i -le $N ]; do
	c=$(git rev-parse "aas/K-$i")
	[ "$(git -C "$FORGE_GIT/owner/repo.git" rev-parse "aas/K-$i" 2>/dev/null)" = "$c" ] &&
	    [ "$(git -C "$FORGE_GIT/group/repo.git" rev-parse "aas/K-$i" 2>/dev/null)" = "$c" ] &&
	    pushed=$((pushed + 1))
	i=$((i + 1))
done
is "$pushed" "$N" "every branch pushed to both"
curl -sS "$FORGE_URL/_emu/pulls" >pulls.json
is "$(jq -r '.github["owner/repo"][] | .head.ref' pulls.json | sort | uniq -c | awk '$1 == 1' | wc -l | tr -d ' ') $(jq '.github["owner/repo"] | length' pulls.json)" \
    "$N $N" "one pull request per task"
is "$(jq -r '.gitlab["group/repo"][] | .source_branch' pulls.json | sort | uniq -c | awk '$1 == 1' | wc -l | tr -d ' ') $(jq '.gitlab["group/repo"] | length' pulls.json)" \
    "$N $N" "one merge request per task"
is "$(forge_log | jq -s '[.[] | select(.method == "POST" and (.status == 201 or .status == 0) and (.path | test("/(pulls|merge_requests)$")))] | length')" \
    $((N * 2)) "one create each in the log"
is "$(grep -c 'ghp_test\|glpat-test' errs)" 0 "no token in what the killed runs said"
done_testing
