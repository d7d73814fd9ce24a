#!/bin/sh
# aas-apply: a record that already has apply passes byte for byte; a
# repair attempt replaces its failed attempt's branch by compare-and-swap
# from the commit its last history entry names, and nothing else.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 14

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
head=$(git -C "$R" rev-parse HEAD)
refs() { git -C "$R" for-each-ref --format='%(refname) %(objectname)' refs/heads/aas; }

# round one
mkin H-1 '[{"path":"notes.txt","op":"write","content":"one\n"}]'
run aas-apply --repo "$R" <"$T/in"
c1=$(git -C "$R" rev-parse aas/H-1)
cp "$T/out" "$T/r1"
before=$(refs)
check_run "applied record: untouched" 0 "$(cat "$T/r1")" "" \
    -- aas-apply --repo "$R" <"$T/r1"
is "$(refs)" "$before" "applied record: no branch moved"
check_run "applied record: untouched with --force and -v too" 0 "$(cat "$T/r1")" "" \
    -- aas-apply --repo "$R" --force -v <"$T/r1"
# an apply key of any shape is left alone, even a dry run's
printf '%s\n' '{"id":"H-9","plan":{"edits":[{"path":"x","op":"write","content":"x\n"}]},"apply":{"dry_run":true, "commit":null}}' >"$T/dry"
check_run "a dry run's record: untouched, no branch written" 0 "$(cat "$T/dry")" "" \
    -- aas-apply --repo "$R" <"$T/dry"
is "$(refs)" "$before" "dry run's record: no branch written"

# round two: history names the branch's tip; the new commit replaces it
h1="{\"attempt\":1,\"stage\":\"qa\",\"code\":\"qa_failed\",\"message\":\"m\",\"checks\":[\"tests\"],\"branch\":\"aas/H-1\",\"commit\":\"$c1\",\"model\":\"m\",\"usd\":0.0012}"
mkin H-1 '[{"path":"notes.txt","op":"write","content":"two\n"}]' \
    "{\"attempt\":2,\"history\":[$h1]}"
applied "history names the tip: the branch is replaced" H-1 \
    '[{"path":"notes.txt","op":"write","match":"exact"}]' ""
c2=$(git -C "$R" rev-parse aas/H-1)
is "$(git -C "$R" rev-parse aas/H-1^):$(git -C "$R" show aas/H-1:notes.txt)" \
    "$head:two" "replaced: the new commit is on the base, not on the failed one"
is "$(git -C "$R" reflog show --format=%H refs/heads/aas/H-1 | tr '\n' ' ')" \
    "$c2 $c1 " "replaced: a move from the failed commit, not a re-creation"

# the same record again: the branch is at c2 now, which history does not name
m1='branch aas/H-1 already exists (--force replaces it)'
refused "history names another commit: branch_exists" branch_exists "$m1"

# only the last entry counts: an older attempt's commit is not enough
h2='{"attempt":2,"stage":"apply","code":"no_match","message":"m","checks":[],"branch":"aas/H-1","commit":null,"model":"m","usd":0}'
mkin H-1 '[{"path":"notes.txt","op":"write","content":"three\n"}]' \
    "{\"attempt\":3,\"history\":[{\"commit\":\"$c2\"},$h2]}"
refused "last history entry's commit null: branch_exists" branch_exists "$m1"

# no history at all
mkin H-1 '[{"path":"notes.txt","op":"write","content":"three\n"}]' '{"history":[]}'
refused "empty history: branch_exists" branch_exists "$m1"
done_testing
