#!/bin/sh
# tests/emu-linear is as strict as Linear: POST application/json only,
# the key verbatim in Authorization (Linear's error body otherwise),
# queries validated against the schema, complexity and size limits,
# input errors inside HTTP 200, the rate-limit error, a request log.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$AAS_SRC/tests/emu-linear/emu.sh"

plan 11
cd "$T"
lin_start "$FIX/linear/script.json" || exit 1

q() {	# q BODY [curl options]: status and body of a GraphQL POST
	_b=$1
	shift
	curl -sS -o body -w '%{http_code}' -H "Authorization: $LIN_KEY" \
	    -H 'Content-Type: application/json' "$@" -d "$_b" "$LINEAR_API_URL"
	printf ' '
	cat body
}
is "$(q '{"query": "{ teams { nodes { key } } }"}')" \
    '200 {"data": {"teams": {"nodes": [{"key": "ENG"}, {"key": "OPS"}]}}}' "a query"
is "$(curl -sS -w ' %{http_code}' -H 'Content-Type: application/json' -d '{"query": "{ teams { nodes { key } } }"}' "$LINEAR_API_URL")" \
    '{"errors": [{"message": "Authentication required, not authenticated", "extensions": {"type": "authentication error", "code": "AUTHENTICATION_ERROR", "statusCode": 401, "userError": true, "userPresentableMessage": "You need to authenticate to access this operation."}}]} 400' \
    "no key: Linear's authentication error"
is "$(curl -sS -w '%{http_code} ' -o body -H "Authorization: Bearer $LIN_KEY" -H 'Content-Type: application/json' -d '{"query": "{ teams { nodes { key } } }"}' "$LINEAR_API_URL"; cut -c1-56 body)" \
    '400 {"errors": [{"message": "Authentication required, not au' "a personal key with Bearer: refused"
is "$(curl -sS -w '%{http_code} ' -o body -H "Authorization: $LIN_KEY" -H 'Content-Type: text/plain' -d '{"query": "{ teams { nodes { key } } }"}' "$LINEAR_API_URL"; cut -c1-37 body)" \
    '400 {"errors": [{"message": "POST body mi' "not application/json: 400"
is "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: $LIN_KEY" "$LINEAR_API_URL?query=%7Bteams%7Bnodes%7Bkey%7D%7D%7D")" \
    400 "GET: 400"
is "$(q '{"query": "{ issue(id: \"OPS-70\") { identifier colour } }"}')" \
    '400 {"errors": [{"message": "Cannot query field \"colour\" on type \"Issue\".", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}' \
    "an unknown field: graphql-js's message"
is "$(q '{"query": "query($x: String!) { issue(id: $x) { id } }"}' | cut -c1-92)" \
    '400 {"errors": [{"message": "Variable \"$x\" of required type \"String!\" was not provided."' \
    "a missing variable"
big=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
	big="$big i$i: issues { nodes { id identifier url title description number team { id key name } state { id name type position } } }"
done
is "$(q "{\"query\": \"{$big }\"}" | cut -c1-70)" \
    '400 {"errors": [{"message": "Query too complex: 10528 points, the limi' \
    "over the complexity limit: refused"
head -c 1100000 /dev/zero | tr '\0' a >big
is "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: $LIN_KEY" -H 'Content-Type: application/json' --data-binary @big "$LINEAR_API_URL")" \
    413 "a body over 1 MiB: 413"
is "$(q '{"query": "{ issue(id: \"ENG-999\") { id } }"}')" \
    '200 {"data": null, "errors": [{"message": "Entity not found: Issue", "path": ["issue"], "extensions": {"type": "invalid input", "code": "INPUT_ERROR", "userError": true, "userPresentableMessage": "Could not find referenced Issue."}}]}' \
    "an unknown issue: an error inside HTTP 200"
lin_fault '{"match": "teams", "action": "ratelimit"}'
is "$(q '{"query": "{ teams { nodes { key } } }"}' -D hdr | cut -c1-111) $(grep -ci '^x-ratelimit-requests-remaining: 0' hdr)" \
    '400 {"errors": [{"message": "Rate limit exceeded", "extensions": {"type": "ratelimited", "code": "RATELIMITED", 1' \
    "the rate-limit error: HTTP 400 RATELIMITED, remaining 0"
