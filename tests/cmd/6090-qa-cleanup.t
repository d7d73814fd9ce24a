#!/bin/sh
# aas-qa removes a worktree whose check locked folders (chmod 000), and
# the state folder it makes is ignored by git.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/qa/qa.sh"
plan 7

cd "$T"
qa_repo "$T/repo"
S="--state $T/state"

# root ignores modes: drop the capabilities that let it, so the test
# sees what a user sees.
AS_USER=
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip_all "root without setpriv"
	AS_USER="setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-dac_override,-dac_read_search"
fi

cat >lock.yml <<'YML'
qa:
  builtin: false
  checks:
    - name: lock
      run: |
        mkdir -p a/b/c d && touch a/b/c/f d/g && chmod 000 a/b/c &&
        chmod 500 a/b && chmod 000 a d && chmod 000 .
YML
qa_task T-1 x.txt hello >in
run $AS_USER "$AAS_BUILD/bin/aas-qa" -q -c lock.yml $S <in
is "$rc $(jq -c '.qa.checks[0] | [.ok, .exit]' out)" "0 [true,0]" \
    "the locking check passed"
is "$(cat err)" "" "nothing on stderr"
is "$(ls -A state/qa)" ".gitignore" "the worktree is gone, chmod 000 or not"

# Twice more: nothing piles up.
run $AS_USER "$AAS_BUILD/bin/aas-qa" -q -c lock.yml $S <in
run $AS_USER "$AAS_BUILD/bin/aas-qa" -q -c lock.yml $S <in
is "$(ls -A state/qa)" ".gitignore" "nothing piles up"

# A link in the tree to a folder outside is not followed: its mode stays.
mkdir outside
chmod 000 outside
cat >link.yml <<YML
qa:
  builtin: false
  checks:
    - name: link
      run: ln -s "$T/outside" out && mkdir z && chmod 000 z
YML
run $AS_USER "$AAS_BUILD/bin/aas-qa" -q -c link.yml $S <in
is "$(stat -c %a outside) $(ls -A state/qa)" "0 .gitignore" \
    "a link is not followed; the worktree is gone"
chmod 700 outside

# The state folder in the repository ignores itself.
printf 'qa:\n  builtin: false\n  checks:\n    - name: t\n      run: "true"\n' >t.yml
(cd repo && aas-qa -q --keep -c ../t.yml <../in >../out 2>../err)
is "$(jq -r '.qa.worktree | test("/repo/.aas/qa/T-1[.]")' out)" true \
    "--keep: the worktree is in the repository's .aas/qa"
is "$(git -C repo status --porcelain)" "" "git status shows nothing of .aas"

done_testing
