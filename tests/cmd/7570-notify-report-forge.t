#!/bin/sh
# The reports of a run that also opened pull requests (emu-forge): the
# summary links each task's pull request instead of its branch, JUnit
# names it, the page links it; a task with none shows its branch.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-forge/forge.sh"
command -v python3 >/dev/null || skip_all "no python3"
[ -x /usr/lib/git-core/git-http-backend ] || skip_all "no git-http-backend"

plan 5
export EMU_GH_TOKEN=ghp_t0kenThatMustNotLeak42
forge_start || exit 1
forge_clone "$T/w"
cd "$T/w" || exit 1
export AAS_HTTP_BACKOFF_MS=10 AAS_NOW=1796148000

git checkout -q -b aas/T-1 main
echo T-1 >T-1.txt
git add T-1.txt
git commit -q -m T-1
git checkout -q main
printf '{"id":"T-1","title":"Task one","apply":{"branch":"aas/T-1","commit":"%s"},"qa":{"ok":true,"checks":[{"name":"build","ok":true,"exit":0,"ms":1500}]},"request":{"model":"gpt-4.1-mini"},"response":{"usage":{"input":100,"output":20},"usd":0.0125}}\n' \
    "$(git rev-parse aas/T-1)" >in
# no such local branch: nothing pushed, no pull request
printf '{"id":"T-2","title":"Task two","apply":{"branch":"aas/T-2","commit":"%s"},"qa":{"ok":true}}\n' \
    "$(git rev-parse main)" >>in
run aas-notify --github --summary=s.md --junit=j.xml --html=r.html <in
P=$FORGE_URL/owner/repo/pull
is "$rc:$(cat "$T/err")" 0: "one pull request opened; none for a task without its branch"
grep -qxF "| **T-1** Task one | ✅ Done | 1 | gpt-4.1-mini | 100 + 20 | \$0.0125 | [#1]($P/1) |" s.md
ok $? "the summary links the pull request"
grep -qxF '| **T-2** Task two | ✅ Done | 1 | — | — | — | `aas/T-2` |' s.md
ok $? "without one, the branch"
grep -qF "<property name=\"pull_request\" value=\"$P/1\"/>" j.xml
ok $? "JUnit names the pull request"
grep -qF "<a href=\"$P/1\">#1</a>" r.html
ok $? "the page links it"
done_testing
