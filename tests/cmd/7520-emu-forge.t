#!/bin/sh
# emu-forge itself: as strict as the services on auth, headers and body
# limits, so the notify tests mean something.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-forge/forge.sh"
command -v python3 >/dev/null || skip_all "no python3"
[ -x /usr/lib/git-core/git-http-backend ] || skip_all "no git-http-backend"

plan 16
forge_start || exit 1
forge_clone "$T/w"
cd "$T" || exit 1

# req EXPECTED-STATUS NAME CURL-ARGS...: status and body
req() {
	_want=$1 _name=$2
	shift 2
	_got=$(curl -sS -o "$T/body" -w '%{http_code}' "$@")
	is "$_got $(cat "$T/body")" "$_want" "$_name"
}
A='Accept: application/vnd.github+json'
V='X-GitHub-Api-Version: 2022-11-28'
K="Authorization: Bearer $GITHUB_TOKEN"
U=$FORGE_URL/repos/owner/repo

req '401 {"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest", "status": "401"}' \
    "GitHub: no token" -H "$A" -H "$V" "$U/pulls"
req '401 {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}' \
    "GitHub: a wrong token" -H "$A" -H "$V" -H "Authorization: Bearer ghp_no" "$U/pulls"
req '403 Request forbidden by administrative rules. Please make sure your request has a User-Agent header.' \
    "GitHub: no User-Agent" -A '' -H "$A" -H "$V" -H "$K" "$U/pulls"
req '415 {"message": "emulator: Accept must be application/vnd.github+json", "documentation_url": "https://docs.github.com/rest"}' \
    "GitHub: no Accept" -H "$V" -H "$K" "$U/pulls"
req '400 {"message": "Unsupported '"'"'X-GitHub-Api-Version'"'"' header", "documentation_url": "https://docs.github.com/rest"}' \
    "GitHub: an unknown API version" -H "$A" -H "X-GitHub-Api-Version: 1999-01-01" -H "$K" "$U/pulls"
req '200 []' "GitHub: all headers: the list" -H "$A" -H "$V" -H "$K" "$U/pulls?head=owner:x&state=open"
req '404 {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}' \
    "GitHub: an unknown repository" -H "$A" -H "$V" -H "$K" "$FORGE_URL/repos/owner/nope/pulls"
req '422 {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}], "documentation_url": "https://docs.github.com/rest"}' \
    "GitHub: a head that does not exist" -H "$A" -H "$V" -H "$K" \
    -H 'Content-Type: application/json' -d '{"title":"t","head":"nope","base":"main"}' "$U/pulls"
python3 -c 'import json; print(json.dumps({"title": "t", "head": "main", "base": "main", "body": "x" * 65537}))' >big.json
req '422 {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"}]}' \
    "GitHub: a body over 65536 characters" -H "$A" -H "$V" -H "$K" \
    -H 'Content-Type: application/json' --data-binary @big.json "$U/pulls"
python3 -c 'print("[" + "1," * 600000 + "1]")' >huge.json
req '413 {"message": "Request body too large"}' "a request over 1 MiB" \
    -H "$A" -H "$V" -H "$K" -H 'Content-Type: application/json' \
    --data-binary @huge.json "$U/pulls"
req '400 {"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/rest"}' \
    "GitHub: a body that is not JSON" -H "$A" -H "$V" -H "$K" \
    -H 'Content-Type: application/json' -d '{nope' "$U/pulls"
req '401 {"message": "401 Unauthorized"}' "GitLab: no token" \
    "$FORGE_URL/api/v4/projects/7"
curl -sS -o "$T/body" -H "PRIVATE-TOKEN: $GITLAB_TOKEN" \
    "$FORGE_URL/api/v4/projects/group%2Frepo"
is "$(jq -c '[.id, .path_with_namespace, .default_branch]' "$T/body")" \
    '[7,"group/repo","main"]' "GitLab: the project by its escaped path"
is "$(curl -s -o /dev/null -w '%{http_code}' "$FORGE_URL/owner/repo.git/info/refs?service=git-receive-pack")" \
    401 "git: 401 without Basic auth"
is "$(curl -s -o /dev/null -w '%{http_code}' -u "x-access-token:$GITHUB_TOKEN" \
    "$FORGE_URL/owner/repo.git/info/refs?service=git-receive-pack")" 200 \
    "git: 200 with the token as the password"
forge_stop
is "$?" 0 "SIGTERM stops it cleanly"
done_testing
