#!/bin/sh
# aas-apply: refusals: paths out of the tree, through symlinks or into
# .git; binary and oversized files; existing and checked-out branches.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 30

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
ln -s src "$R/link"
printf 'a\000b\nline\n' >"$R/bin.dat"
git -C "$R" add link bin.dat
git -C "$R" commit -q -m "link and binary"
snap "$R" >"$T/snap.before"

mkin S-1 '[{"path":"main.c","op":"write","content":"ok\n"},{"path":"/etc/passwd","op":"write","content":"x\n"}]'
refused "absolute path" path_escape "refusing path '/etc/passwd': absolute"
mkin S-2 '[{"path":"src/../../x","op":"write","content":"x\n"}]'
refused "dot-dot" path_escape "refusing path 'src/../../x': outside the repository"
mkin S-3 '[{"path":"link/util.py","op":"replace","search":"import os\n","replace":"import sys\n"}]'
refused "through a symlink" path_symlink "refusing path 'link/util.py': goes through a symbolic link"
mkin S-4 '[{"path":"link","op":"write","content":"x\n"}]'
refused "onto a symlink" path_symlink "refusing path 'link': goes through a symbolic link"
mkin S-5 '[{"path":".git/hooks/pre-commit","op":"write","content":"#!/bin/sh\n"}]'
refused ".git" path_git "refusing path '.git/hooks/pre-commit': inside .git"
mkin S-6 '[{"path":"src/.GiT/config","op":"delete"}]'
refused ".git in any case, any component" path_git "refusing path 'src/.GiT/config': inside .git"
mkin S-7 '[{"path":"bin.dat","op":"replace","search":"line\n","replace":"LINE\n"}]'
refused "binary refused" binary "bin.dat: binary content refused (apply.allow_binary)"
printf 'apply:\n  allow_binary: true\n' >"$T/bin.yml"
applied "binary allowed by config" S-7 '[{"path":"bin.dat","op":"replace","match":"exact"}]' "" -- -c "$T/bin.yml"
show S-7 bin.dat | od -c | head -1 >"$T/od"
is "$(cat "$T/od")" "0000000   a  \\0   b  \\n   L   I   N   E  \\n" "binary edited"
printf 'apply:\n  max_file_bytes: 10\n' >"$T/small.yml"
mkin S-8 '[{"path":"big.txt","op":"write","content":"0123456789abcdef\n"}]'
refused "too large" too_large "big.txt: 17 bytes, over the limit of 10 (apply.max_file_bytes)" -- -c "$T/small.yml"
mkin S-9 '[{"path":"x","op":"write","content":"x\n"}]'
sed 's/"S-9"/"..\/up"/' "$T/in" >"$T/in2" && mv "$T/in2" "$T/in"
refused "id that cannot name a branch" bad_id "task id '../up' cannot name a branch"

# existing branch: an error unless --force (compare-and-swap on the old value)
mkin S-10 '[{"path":"main.c","op":"write","content":"one\n"}]'
applied "first" S-10 '[{"path":"main.c","op":"write","match":"exact"}]' ""
mkin S-10 '[{"path":"main.c","op":"write","content":"two\n"}]'
refused "branch exists" branch_exists "branch aas/S-10 already exists (--force replaces it)"
applied "--force" S-10 '[{"path":"main.c","op":"write","match":"exact"}]' "" -- --force
is "$(show S-10 main.c)" "two" "--force: replaced"

# checked out: in a linked work tree, or the main one (via --onto)
git -C "$R" worktree add -q "$T/wt" -b aas/S-11 2>/dev/null
mkin S-11 '[{"path":"main.c","op":"write","content":"x\n"}]'
refused "checked out in a linked work tree" branch_checked_out \
    "branch aas/S-11 is checked out ($R/.git/worktrees/wt): refusing to move it" -- --force
mkin S-12 '[{"path":"main.c","op":"write","content":"x\n"}]'
refused "checked out in the main work tree" branch_checked_out \
    "branch main is checked out ($R/.git): refusing to move it" -- --onto main
git -C "$R" worktree remove "$T/wt"

snap "$R" >"$T/snap.after"
cmp_file "$T/snap.after" "$T/snap.before" \
    "work tree, index, HEAD and status unchanged"
done_testing
