#!/bin/sh
# 0120-git-ignored: what a run leaves behind is ignored by git without the
# user doing anything: the state folder gets a .gitignore of its own when
# a command makes it, and the board's lock file lives inside it, so
# "git add -A" after a whole pipeline adds the board's new status and
# nothing else.
. "${AAS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$FIX/submit/lib.sh"

plan 9

mkdir -p "$T/src"
cat >"$T/src/ACTIVE_TASKS.md" <<'MD'
# tasks

| ID | Title | Status |
| --- | --- | --- |
| S-1 | Write a.txt | Queued |
MD
cat >"$T/src/.aas.yml" <<'YML'
model: gpt-4.1-mini
prices:
  gpt-4.1-mini:
    input: 0.4
    output: 1.6
qa:
  builtin: false
  checks:
    - name: ok
      run: test -f a.txt
YML
git_repo "$T/repo" "$T/src/ACTIVE_TASKS.md" "$T/src/.aas.yml"
cd "$T/repo" || exit 1
printf '%s' '{"default":{"content":"{\"summary\":\"a\",\"edits\":[{\"path\":\"a.txt\",\"op\":\"write\",\"content\":\"a\\n\"}],\"tests\":[]}"}}' >"$T/s.json"
emu_start "$T/s.json" || exit 1

aas-scan | aas-submit -q --sync | aas-plan -q | aas-apply -q | aas-qa -q |
    aas-notify -q --board >"$T/pipe.out" 2>"$T/pipe.err"
is "$? $(jq -r '.id + " " + .notify.board.status' "$T/pipe.out") $(cat "$T/pipe.err")" \
    "0 S-1 Done " "the whole pipeline ran: S-1 Done"
is "$(cat .aas/.gitignore)" "*" "the state folder ignores itself"
ok $([ -e .aas/ACTIVE_TASKS.md.lock ] && [ ! -e ACTIVE_TASKS.md.lock ] && echo 0 || echo 1) \
    "the board's lock is in the state folder, none beside the board"
git add -A
is "$(git status --porcelain | tr '\n' ,)" "M  ACTIVE_TASKS.md," \
    "git add -A after the run: the board's change and nothing else"
git commit -q -m "board"
is "$(git ls-files | tr '\n' ' ')" ".aas.yml ACTIVE_TASKS.md " "nothing of .aas committed"

# --state elsewhere: the lock goes there, and the repository stays clean
git reset -q --hard HEAD~1
rm -rf .aas
printf '{"id":"S-1","qa":{"ok":false}}\n' |
    aas-notify -q --state "$T/st" --board >/dev/null
is "$(grep -c Failed ACTIVE_TASKS.md) $(ls -A "$T/st" | tr '\n' ' ')" \
    "1 .gitignore ACTIVE_TASKS.md.lock " "--state DIR: the lock in DIR, with its .gitignore"
ok $([ ! -e .aas ] && [ ! -e ACTIVE_TASKS.md.lock ] && echo 0 || echo 1) \
    "--state DIR: nothing made in the repository"

# $AAS_STATE: the same
git checkout -q ACTIVE_TASKS.md
printf '{"id":"S-1","qa":{"ok":true}}\n' |
    AAS_STATE="$T/env" aas-notify -q --board >/dev/null
is "$(grep -c Done ACTIVE_TASKS.md) $(ls -A "$T/env" | tr '\n' ' ')" \
    "1 .gitignore ACTIVE_TASKS.md.lock " "AAS_STATE: the lock there"

# a state folder a journal write made (aas-submit in batch mode)
git checkout -q ACTIVE_TASKS.md
aas-scan | aas-submit -q >/dev/null
is "$(cat .aas/.gitignore) $(git status --porcelain | tr '\n' ,)" "* " \
    "aas-submit's state folder: ignored, the checkout clean"
done_testing
