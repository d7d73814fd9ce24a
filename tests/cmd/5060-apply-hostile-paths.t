#!/bin/sh
# aas-apply: paths that some file system reads as .git (HFS+, NTFS),
# lookalikes of .git, control, bidirectional and invisible characters,
# NTFS short names, over-long components; and what libgit2 used to refuse
# with the bare code "git": D/F conflicts, GIT~1, a branch ending in
# .lock; a plan whose edits cancel out (no empty commit).
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 46

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
snap "$R" >"$T/snap.before"

# hostile PATH (printf escapes), refused with CODE and MESSAGE
hostile() {
	_p=$(printf "$1")
	mkin "$2" "$(jq -nc --arg p "$_p" '[{path: "main.c", op: "write",
	    content: "ok\n"}, {path: $p, op: "write", content: "x\n"}]')"
	refused "$3" "$4" "$5"
}

hostile '.g\342\200\214it/config' H-1 "HFS+ ignores U+200C" path_git \
    "refusing path '.g\\u200cit/config': HFS+ reads it as .git (it ignores U+200C)"
hostile '.git\357\273\277/hooks/post-checkout' H-2 "HFS+ ignores U+FEFF" path_git \
    "refusing path '.git\\ufeff/hooks/post-checkout': HFS+ reads it as .git (it ignores U+FEFF)"
hostile '.git./config' H-3 "NTFS drops a trailing dot" path_git \
    "refusing path '.git./config': NTFS reads it as .git (it drops trailing dots and spaces and a :stream)"
hostile '.git::$INDEX_ALLOCATION/config' H-4 "NTFS stream of .git" path_git \
    "refusing path '.git::\$INDEX_ALLOCATION/config': NTFS reads it as .git (it drops trailing dots and spaces and a :stream)"
hostile 'GIT~1/config' H-5 "NTFS short name GIT~1 (libgit2 said only 'git')" path_git \
    "refusing path 'GIT~1/config': NTFS reads it as .git (its short name GIT~1)"
hostile '.git\342\200\213/config' H-6 "zero width space: looks like .git" path_git \
    "refusing path '.git\\u200b/config': looks like .git"
hostile '.git\302\240/config' H-7 "no-break space: looks like .git" path_git \
    "refusing path '.git\\u00a0/config': looks like .git"
hostile '.\357\275\207\357\275\211\357\275\224/config' H-8 "fullwidth .git" path_git \
    "refusing path '.ｇｉｔ/config': looks like .git"
hostile '.g\304\261t/config' H-9 "dotless i" path_git \
    "refusing path '.gıt/config': looks like .git"
hostile 'src/x\302\205y.c' H-10 "U+0085 next line" path_control \
    "refusing path 'src/x\\u0085y.c': a control character (U+0085)"
hostile 'a\342\200\250b.c' H-11 "U+2028 line separator" path_control \
    "refusing path 'a\\u2028b.c': a control character (U+2028)"
hostile 'a\nb.c' H-12 "a newline" path_control \
    "refusing path 'a\\u000ab.c': a control character (U+000A)"
hostile 'src/evil\342\200\256cod.js' H-13 "right-to-left override" path_bidi \
    "refusing path 'src/evil\\u202ecod.js': a bidirectional formatting character (U+202E)"
hostile 'src/a\342\201\247b.c' H-14 "first strong isolate" path_bidi \
    "refusing path 'src/a\\u2067b.c': a bidirectional formatting character (U+2067)"
hostile 'ma\342\200\213in.c' H-15 "zero width space in a name" path_invisible \
    "refusing path 'ma\\u200bin.c': an invisible character (U+200B)"
hostile 'GITHUB~1/WORKFL~1/ci.yml' H-16 "NTFS short name" path_ntfs \
    "refusing path 'GITHUB~1/WORKFL~1/ci.yml': 'GITHUB~1' is an NTFS short name, which can stand for another file"

# a 300-byte component: refused here, not committed to fail in aas-qa
long=$(printf 'd%.0s' $(seq 300))
mkin H-17 "$(jq -nc --arg p "src/$long.c" '[{path: $p, op: "write", content: "x\n"}]')"
refused "a 302-byte component" path_too_long \
    "refusing path 'src/$(printf 'd%.0s' $(seq 196))...': a component of 302 bytes, over 255"

# D/F conflicts within one plan (libgit2 said "D/F conflict when updating tree")
mkin H-18 '[{"path":"a","op":"write","content":"x\n"},{"path":"a/b","op":"write","content":"x\n"}]'
refused "a file, then a file below it" path_conflict \
    "refusing path 'a/b': a file is in the way ('a', written earlier in the plan)"
mkin H-19 '[{"path":"a/b","op":"write","content":"x\n"},{"path":"a","op":"write","content":"x\n"}]'
refused "a file, then its folder as a file" path_conflict \
    "refusing path 'a': a folder now ('a/b' was written earlier in the plan)"

# a branch name git refuses (libgit2's message named only the reference)
mkin H-20.lock '[{"path":"main.c","op":"write","content":"x\n"}]'
refused "a task id ending in .lock" bad_branch \
    "branch name 'aas/H-20.lock' is not valid: a component ends in .lock"

# a write then a delete of one path: no empty commit
mkin H-21 '[{"path":"tmp.txt","op":"write","content":"x\n"},{"path":"tmp.txt","op":"delete"}]'
refused "written, then deleted" empty_change \
    "no change to commit: 'tmp.txt' is written and then deleted, and no other file changes"
mkin H-22 '[{"path":"main.c","op":"write","content":"x\n"},{"path":"tmp.txt","op":"write","content":"x\n"},{"path":"tmp.txt","op":"delete"}]'
applied "written and deleted beside a real change" H-22 \
    '[{"path":"main.c","op":"write","match":"exact"},{"path":"tmp.txt","op":"write","match":"exact"},{"path":"tmp.txt","op":"delete","match":"exact"}]' ""
is "$(git -C "$R" diff --name-only HEAD aas/H-22)" "main.c" "only main.c changed"

# what stays allowed
mkin H-23 '[{"path":"docs/açıklama.md","op":"write","content":"x\n"},{"path":"notes~ok/a b.txt","op":"write","content":"x\n"},{"path":"lib/.gitignore","op":"write","content":"x\n"}]'
applied "Turkish letters, a tilde, a space, .gitignore" H-23 \
    '[{"path":"docs/açıklama.md","op":"write","match":"exact"},{"path":"notes~ok/a b.txt","op":"write","match":"exact"},{"path":"lib/.gitignore","op":"write","match":"exact"}]' ""

snap "$R" >"$T/snap.after"
cmp_file "$T/snap.after" "$T/snap.before" \
    "work tree, index, HEAD and status unchanged"
done_testing
