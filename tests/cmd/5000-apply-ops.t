#!/bin/sh
# aas-apply: every op, modes, the commit, dry runs, pass-through, and the
# user's checkout left exactly as it was.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 29

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
snap "$R" >"$T/snap.before"

mkin T-1 '[{"path":"main.c","op":"replace","search":"\tint a = 1;\n","replace":"\tint a = 2;\n"}]'
applied "replace" T-1 '[{"path":"main.c","op":"replace","match":"exact"}]' ""
is "$(show T-1 main.c | sed -n 4p)" "	int a = 2;" "replace: new content"

mkin T-2 '[{"path":"run.sh","op":"patch","diff":"--- a/run.sh\n+++ b/run.sh\n@@ -1,3 +1,3 @@\n #!/bin/sh\n-echo hello\n+echo bye\n exit 0\n"}]'
applied "patch" T-2 '[{"path":"run.sh","op":"patch","match":"exact"}]' ""
is "$(git -C "$R" ls-tree aas/T-2 run.sh | cut -c1-6)" "100755" \
    "patch: executable stays executable"

mkin T-3 '[{"path":"doc/new.md","op":"write","content":"# New\n"},{"path":"run.sh","op":"write","content":"#!/bin/sh\nexit 1\n"}]'
applied "write" T-3 '[{"path":"doc/new.md","op":"write","match":"exact"},{"path":"run.sh","op":"write","match":"exact"}]' ""
is "$(git -C "$R" ls-tree -r aas/T-3 doc/new.md run.sh | cut -c1-6 | tr '\n' ' ')" \
    "100644 100755 " "write: new file 100644, rewritten executable keeps 100755"
is "$(show T-3 doc/new.md)" "# New" "write: content"

mkin T-4 '[{"path":"gone.txt","op":"delete"},{"path":"never.txt","op":"delete"}]'
applied "delete" T-4 '[{"path":"gone.txt","op":"delete","match":"exact"},{"path":"never.txt","op":"delete","match":"already"}]' ""
is "$(git -C "$R" ls-tree aas/T-4 gone.txt)" "" "delete: file gone from the commit"

# the commit: message, trailers, identity, parent, reproducible id
mkin T-5 '[{"path":"main.c","op":"replace","search":"return a;","replace":"return 0;"}]' \
    '{"request":{"model":"gpt-4.1-mini"},"batch":{"id":"batch_42"}}'
applied "trailers" T-5 '[{"path":"main.c","op":"replace","match":"exact"}]' ""
printf 'T-5: t\n\ns\n\nAas-Task: T-5\nAas-Model: gpt-4.1-mini\nAas-Batch: batch_42\n' >"$T/want.msg"
git -C "$R" log -1 --format=%B aas/T-5 | sed '$d' >"$T/got.msg"
cmp_file "$T/got.msg" "$T/want.msg" "commit message: title, summary, trailers"
is "$(git -C "$R" log -1 --format='%an <%ae> %ad|%cn <%ce> %cd' --date=iso-strict aas/T-5)" \
    "Test User <test@example.invalid> 2026-01-02T03:04:05+00:00|Test User <test@example.invalid> 2026-01-02T03:04:05+00:00" \
    "identity from the repository, dates from GIT_*_DATE"
is "$(git -C "$R" rev-parse aas/T-5^)" "$(git -C "$R" rev-parse HEAD)" \
    "parent is the base"
c5=$(git -C "$R" rev-parse aas/T-5)
run aas-apply --repo "$R" --force <"$T/in"
is "$rc:$(git -C "$R" rev-parse aas/T-5)" "0:$c5" \
    "same plan, same dates: same commit id"

# identity from the configuration
printf 'apply:\n  author: "Ann Author <ann@example.invalid>"\n  committer: "Cy Committer <cy@example.invalid>"\n' >"$T/cfg.yml"
mkin T-6 '[{"path":"main.c","op":"replace","search":"return a;","replace":"return 6;"}]'
applied "configured identity" T-6 '[{"path":"main.c","op":"replace","match":"exact"}]' "" -- -c "$T/cfg.yml"
is "$(git -C "$R" log -1 --format='%an <%ae>|%cn <%ce>' aas/T-6)" \
    "Ann Author <ann@example.invalid>|Cy Committer <cy@example.invalid>" \
    "apply.author and apply.committer"
printf 'apply:\n  author: nobody\n' >"$T/bad.yml"
check_run "bad identity in config: exit 2 before any record" 2 "" \
    "aas-apply: $T/bad.yml:2:11: apply.author: 'nobody': not \"Name <email>\"" -- \
    aas-apply --repo "$R" -c "$T/bad.yml" <"$T/in"

# --base
mkin T-7 '[{"path":"doc/more.md","op":"write","content":"more\n"}]'
BASE=$(git -C "$R" rev-parse aas/T-3) applied "--base REV" T-7 \
    '[{"path":"doc/more.md","op":"write","match":"exact"}]' "" -- --base aas/T-3
is "$(show T-7 doc/new.md)" "# New" "--base: built on that commit"

# dry run: nothing written
nobj=$(find "$R/.git/objects" -type f | wc -l)
mkin T-8 '[{"path":"main.c","op":"replace","search":"return a;","replace":"return 8;"}]'
in=$(cat "$T/in")
check_run "dry run" 0 \
    "${in%\}},\"apply\":{\"repo\":\"$R\",\"base\":\"$(git -C "$R" rev-parse HEAD)\",\"branch\":\"aas/T-8\",\"commit\":null,\"files\":[{\"path\":\"main.c\",\"op\":\"replace\",\"match\":\"exact\"}],\"dry_run\":true}}" \
    "" -- aas-apply --repo "$R" --dry-run <"$T/in"
is "$(find "$R/.git/objects" -type f | wc -l):$(git -C "$R" rev-parse -q --verify aas/T-8 || echo none)" \
    "$nobj:none" "dry run: no object, no branch"

# records without a plan, with an error, and bad lines pass as the loop says
printf '%s\n' '{"id":"T-9","x":0.10}' \
    '{"id":"T-10","error":{"stage":"plan","code":"x","message":"m"},"plan":{"edits":[]}}' \
    'not json' >"$T/in"
check_run "pass-through" 1 \
    '{"id":"T-9","x":0.10}
{"id":"T-10","error":{"stage":"plan","code":"x","message":"m"},"plan":{"edits":[]}}
{"error":{"stage":"input","code":"bad_json","message":"'"'"'['"'"' or '"'"'{'"'"' expected near '"'"'not'"'"' at column 3"},"raw":"not json"}' \
    "aas-apply: stdin:3: '[' or '{' expected near 'not' at column 3" -- \
    aas-apply --repo "$R" <"$T/in"

# a plan with no edits, an unknown op
mkin T-11 '[]'
refused "empty plan" bad_plan "plan has no edits"
mkin T-12 '[{"path":"a","op":"chmod"}]'
refused "unknown op" bad_plan "a: unknown op 'chmod'"

# from inside the repository, without --repo
mkin T-13 '[{"path":"main.c","op":"replace","search":"return a;","replace":"return 13;"}]'
(cd "$R/src" && aas-apply <"$T/in" >"$T/out13" 2>"$T/err13")
is "$?:$(jq -r .apply.branch "$T/out13")" "0:aas/T-13" \
    "repository found from the current folder"

check_run "usage error" 2 "" "aas-apply: unknown option --bogus
usage: aas-apply [-fnqv] [--base REV] [--integrate | --onto BRANCH] [--repo DIR] [-c FILE] [--state DIR]
       aas-apply --undo [-qv] [--repo DIR] [-c FILE] [--state DIR]" -- \
    aas-apply --bogus

snap "$R" >"$T/snap.after"
cmp_file "$T/snap.after" "$T/snap.before" \
    "work tree, index, HEAD and status unchanged"
done_testing
