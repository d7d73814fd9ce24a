#!/bin/sh
# aas-notify --gitlab against emu-forge: the branch pushed, one merge
# request per task (409 adopted), "Draft: " while QA fails and dropped when
# it passes, labels, the project from CI_PROJECT_ID or the remote's path,
# a 429 waited out, no token anywhere.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/fixtures/forge/lib.sh"

plan 16
TOKEN=glpat-t0kenThatMustNotLeak42
export EMU_GL_TOKEN=$TOKEN
forge_work
printf 'gitlab:\n  remote: %s/group/repo.git\n  labels: [aas, bot]\n' \
    "$FORGE_URL" >.aas.yml

rec() {
	printf '{"id":"%s","title":"Task %s","apply":{"branch":"aas/%s","commit":"%s","files":[{"path":"%s.txt","op":"write"}]},"qa":{"ok":%s,"checks":[{"name":"build","ok":%s,"exit":0,"ms":10}]}}\n' \
	    "$1" "$1" "$1" "$(git rev-parse "aas/$1")" "$1" "$2" "$2"
}
gl() {
	notified gitlab
}
mrs() {
	curl -sS "$FORGE_URL/_emu/pulls" | jq -c ".gitlab[\"group/repo\"] | $1"
}
M=$FORGE_URL/group/repo/-/merge_requests

c1=$(branch T-1)
rec T-1 false >r1
run aas-notify --gitlab <r1
is "$rc $(gl)" "0 [true,\"$M/1\"]" "a merge request opened; its URL is the detail"
is "$(git -C "$FORGE_GIT/group/repo.git" rev-parse aas/T-1)" "$c1" \
    "the commit landed in the project's repository"
is "$(mrs '.[0] | [.source_branch, .target_branch, .title, .draft, .labels]')" \
    '["aas/T-1","main","Draft: T-1: Task T-1",true,["aas","bot"]]' \
    "QA failed: a Draft: title; target the default branch; labels"
is "$(mrs '.[0].description' | jq -r . | grep -c '^| build | \*\*failed\*\* | 0 | 0.0 s |$')" 1 \
    "the description has the checks"
is "$(forge_log | jq -r 'select(.service == "git") | .user // "-"' | tr '\n' ,)" \
    "-,oauth2,oauth2," "pushed with Basic auth oauth2 and the token"

# passes after a repair: the same request, Draft: dropped
git checkout -q aas/T-1 && echo more >>T-1.txt && git commit -q -am more &&
    git checkout -q main
c2=$(git rev-parse aas/T-1)
rec T-1 true >r1b
run aas-notify --gitlab <r1b
is "$rc $(gl)" "0 [true,\"$M/1\"]" "a new outcome: the same merge request"
is "$(mrs '.[0] | [.title, .draft]') $(mrs 'length')" \
    '["T-1: Task T-1",false] 1' "its title without Draft:, still one"
is "$(git -C "$FORGE_GIT/group/repo.git" rev-parse aas/T-1)" "$c2" \
    "the new commit pushed"
is "$(forge_log | jq -s '[.[] | select(.method == "POST" and .service == "gitlab")] | length') $(forge_log | jq -s '[.[] | select(.method == "PUT")] | length')" \
    "1 1" "one create, one update in the log"

# one made elsewhere and hidden by a stale list: 409, adopted
branch T-2 >/dev/null
curl -sS -X POST -d '{"service":"gitlab","repo":"group/repo","head":"aas/T-2","base":"main","title":"by hand"}' \
    "$FORGE_URL/_emu/pulls" >/dev/null
faults <<'S'
{"faults": [{"path": "/api/v4/projects/7/merge_requests", "method": "GET", "kind": "empty_list", "count": 1},
            {"path": "/api/v4/projects/7/merge_requests", "method": "POST", "kind": "429", "retry_after": 1, "count": 1}]}
S
m=$(forge_log | wc -l)
rec T-2 true >r2
run aas-notify --gitlab <r2
is "$rc $(gl)" "0 [true,\"$M/2\"]" "409 already exists: adopted"
is "$(calls gitlab $m)" \
    "GET 200 empty_list,GET 200 -,POST 429 429,POST 409 -,GET 200 -,PUT 200 -," \
    "listed (stale), a 429 waited out, 409, listed again, updated"
is "$(mrs '[.[] | select(.source_branch == "aas/T-2")] | [length, .[0].title, .[0].labels]')" \
    '[1,"T-2: Task T-2",["aas","bot"]]' "one for the branch, ours now, the labels added"

# the project from the remote's path when CI_PROJECT_ID is unset
branch T-3 >/dev/null
rec T-3 true >r3
run env -u CI_PROJECT_ID aas-notify --gitlab <r3
is "$rc $(gl)" "0 [true,\"$M/3\"]" "project group/repo from the remote URL"
is "$(forge_log | jq -r 'select(.method == "POST" and .service == "gitlab") | .path' | tail -n 1)" \
    "/api/v4/projects/group%2Frepo/merge_requests" "its path escaped"

check_run "no token" 2 "" "aas-notify: --gitlab: no token: set GITLAB_TOKEN" \
    -- env -u GITLAB_TOKEN aas-notify --gitlab </dev/null

grep -rl "$TOKEN" "$T/out" "$T/err" .aas .git/config \
    "$FORGE_GIT/group/repo.git/config" >leaks 2>/dev/null
is "$(cat leaks)" "" "no token in outputs, journal or configs"
done_testing
