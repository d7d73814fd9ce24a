#!/bin/sh
# aas-apply: the matcher's steps, strict to lenient, on a real repository;
# ambiguity, misses, already-applied edits, renamed paths, CRLF files.
. "${AAS_SRC:-.}/tests/lib.sh"
. "$FIX/apply/helpers.sh"
plan 35

git_repo "$T/r" "$FIX"/apply/repo/*
R=$(cd "$T/r" && pwd -P)
snap "$R" >"$T/snap.before"
U=src/util.py

# trailing blanks and a blank line the model dropped
mkin M-1 '[{"path":"src/util.py","op":"replace","search":"    def get(self, key):   \n        if key not in self.items:\n            return None\n        return self.items[key]\n    def put(self, key, value):\n","replace":"    def get(self, key, default=None):\n        return self.items.get(key, default)\n\n    def put(self, key, value):\n"}]'
applied "whitespace" M-1 '[{"path":"src/util.py","op":"replace","match":"whitespace"}]' ""
is "$(show M-1 $U | sed -n 11,14p)" "    def get(self, key, default=None):
        return self.items.get(key, default)

    def put(self, key, value):" "whitespace: result"

# the method quoted without its class indentation: re-indented
mkin M-2 '[{"path":"src/util.py","op":"replace","search":"def put(self, key, value):\n    self.items[key] = value\n    self.flush()\n","replace":"def put(self, key, value):\n    if value is None:\n        raise ValueError(key)\n    self.items[key] = value\n    self.flush()\n"}]'
applied "indent" M-2 '[{"path":"src/util.py","op":"replace","match":"indent"}]' ""
is "$(show M-2 $U | sed -n 16,19p)" "    def put(self, key, value):
        if value is None:
            raise ValueError(key)
        self.items[key] = value" "indent: replacement re-indented"

# "..." elision keeps the middle of the file
mkin M-3 '[{"path":"src/util.py","op":"replace","search":"    def flush(self):\n        ...\n                f.write(\"%s=%s\\n\" % (k, v))\n","replace":"    def flush(self):\n        ...\n                f.write(\"%s: %s\\n\" % (k, v))\n"}]'
applied "elision" M-3 '[{"path":"src/util.py","op":"replace","match":"elision"}]' ""
show M-3 $U >"$T/m3"
sed 's/"%s=%s\\n"/"%s: %s\\n"/' "$FIX/apply/repo/$U" >"$T/m3.want"
cmp_file "$T/m3" "$T/m3.want" "elision: middle kept, ends replaced"

# diff hunk at the wrong line numbers
mkin M-4 '[{"path":"main.c","op":"patch","diff":"@@ -40,3 +40,3 @@\n {\n-\tint a = 1;\n+\tint a = 4;\n \n"}]'
applied "offset" M-4 '[{"path":"main.c","op":"patch","match":"offset","detail":"hunk 1: offset at line 3"}]' ""

# numberless hunks (Codex apply_patch), with an anchor
mkin M-5 '[{"path":"src/util.py","op":"patch","diff":"*** Begin Patch\n*** Update File: src/util.py\n@@ def flush(self):\n-        with open(self.path, \"w\") as f:\n+        with open(self.path, \"a\") as f:\n*** End Patch\n"}]'
applied "apply_patch hunk" M-5 '[{"path":"src/util.py","op":"patch","match":"offset","detail":"hunk 1: offset at line 21"}]' ""
is "$(show M-5 $U | sed -n 21p)" '        with open(self.path, "a") as f:' "apply_patch: result"

# context lines without their leading space
mkin M-6 '[{"path":"main.c","op":"patch","diff":"@@ -3,4 +3,4 @@\n{\n-\tint a = 1;\n+\tint a = 6;\n"}]'
applied "unmarked context" M-6 '[{"path":"main.c","op":"patch","match":"fuzzy-hunk","detail":"hunk 1 had 1 unmarked context lines"}]' ""

# outer context wrong: dropped like patch --fuzz
mkin M-7 '[{"path":"main.c","op":"patch","diff":"@@ -2,4 +2,4 @@\n main(int argc)\n {\n-\tint a = 1;\n+\tint a = 7;\n \n"}]'
applied "fuzz" M-7 '[{"path":"main.c","op":"patch","match":"fuzzy-hunk","detail":"hunk 1: fuzzy-hunk at line 3"}]' ""
is "$(show M-7 main.c | sed -n 4p)" "	int a = 7;" "fuzz: result"

# '+' lines only, placed by number; wrong counts
mkin M-8 '[{"path":"main.c","op":"patch","diff":"@@ -1,0 +2,9 @@\n+/* added */\n"}]'
applied "plus lines only" M-8 '[{"path":"main.c","op":"patch","match":"exact"}]' ""
is "$(show M-8 main.c | sed -n 1,2p)" "int
/* added */" "plus lines only: after line 1"

# already applied: a replace and a diff (beside an edit that changes a file)
mkin M-9 '[{"path":"main.c","op":"replace","search":"\tint a = 99;\n","replace":"\tint a = 1;\n"},{"path":"run.sh","op":"patch","diff":"@@ -1,2 +1,2 @@\n-#!/bin/bash\n+#!/bin/sh\n echo hello\n"},{"path":"new.txt","op":"write","content":"n\n"}]'
applied "already applied" M-9 '[{"path":"main.c","op":"replace","match":"already","detail":"search block 1 already applied"},{"path":"run.sh","op":"patch","match":"already","detail":"hunk 1 already applied"},{"path":"new.txt","op":"write","match":"exact"}]' ""
is "$(git -C "$R" diff --name-only HEAD aas/M-9)" "new.txt" "already applied: no change"
# every edit already applied: nothing to commit
mkin M-9b '[{"path":"main.c","op":"replace","search":"\tint a = 99;\n","replace":"\tint a = 1;\n"},{"path":"run.sh","op":"patch","diff":"@@ -1,2 +1,2 @@\n-#!/bin/bash\n+#!/bin/sh\n echo hello\n"}]'
refused "all already applied: no empty commit" empty_change \
    "no change to commit: every file is as it is in the base"

# a path the model got wrong, matched by its name
mkin M-10 '[{"path":"util.py","op":"replace","search":"import os\n","replace":"import os\nimport sys\n"}]'
applied "renamed" M-10 '[{"path":"src/util.py","op":"replace","match":"renamed","detail":"no file util.py: applied to src/util.py (exact)"}]' \
    "aas-apply: M-10: no file util.py: applied to src/util.py (exact)"

# CRLF: matched without \r, written back with the file's endings
mkin M-11 '[{"path":"crlf.txt","op":"replace","search":"second line\n","replace":"2nd line\nand more\n"},{"path":"crlf.txt","op":"patch","diff":"@@ -3 +3 @@\n-third line\n+3rd line\n"}]'
applied "crlf" M-11 '[{"path":"crlf.txt","op":"replace","match":"exact"},{"path":"crlf.txt","op":"patch","match":"offset","detail":"hunk 1: offset at line 4"}]' ""
show M-11 crlf.txt >"$T/crlf"
printf 'first line\r\n2nd line\r\nand more\r\n3rd line\r\n' >"$T/crlf.want"
cmp_file "$T/crlf" "$T/crlf.want" "crlf: endings kept"
mkin M-12 '[{"path":"crlf.txt","op":"write","content":"one\ntwo\n"}]'
applied "crlf write" M-12 '[{"path":"crlf.txt","op":"write","match":"exact"}]' ""
show M-12 crlf.txt >"$T/crlf2"
printf 'one\r\ntwo\r\n' >"$T/crlf2.want"
cmp_file "$T/crlf2" "$T/crlf2.want" "crlf write: file's endings"

# failures name the file and the block or hunk; nothing is committed
mkin M-13 '[{"path":"dup.c","op":"replace","search":"x = 1;\nreturn x;\n","replace":"x = 2;\nreturn x;\n"}]'
WHY='"edit":1,"path":"dup.c","matches":[{"line":1,"text":"x = 1;"},{"line":4,"text":"x = 1;"}],"count":2' \
refused "ambiguous" ambiguous "dup.c: search block 1 matches at lines 1 and 4"
mkin M-14 '[{"path":"main.c","op":"replace","search":"\treturn a;\n","replace":"\treturn 0;\n"},{"path":"main.c","op":"replace","search":"\tint b = 1;\n","replace":"\tint b = 2;\n"}]'
refused "no match: second block, first not kept" no_match "main.c: search block 2 does not match"
mkin M-15 '[{"path":"main.c","op":"patch","diff":"@@ -1,2 +1,2 @@\n int\n-main(void)\n+main(int argc)\n@@ -10,4 +10,5 @@\n foo\n-bar\n+baz\n"}]'
refused "hunk does not fit" no_match "main.c: hunk 2 (@@ -10,4 +10,5 @@) does not fit"
mkin M-16 '[{"path":"lib/nothere.c","op":"replace","search":"a\n","replace":"b\n"}]'
refused "missing file" no_match "lib/nothere.c: no such file"
mkin M-17 '[{"path":"new.c","op":"replace","search":"","replace":"int x;\n"}]'
applied "empty search creates" M-17 '[{"path":"new.c","op":"replace","match":"exact"}]' ""
mkin M-18 '[{"path":"main.c","op":"patch","diff":"hello\n"}]'
refused "diff without hunks" bad_diff "main.c: no hunk in diff"

snap "$R" >"$T/snap.after"
cmp_file "$T/snap.after" "$T/snap.before" \
    "work tree, index, HEAD and status unchanged"
done_testing
