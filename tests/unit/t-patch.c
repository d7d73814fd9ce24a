/* t-patch.c: the tolerant matcher, the diff parser and applier. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "patch.h"
#include "tap.h"

/* Replace, then compare text and step (or error code and message). */
static void
rep(const char *name, const char *text, const char *search,
    const char *replace, const char *want, const char *match)
{
	struct aas_patch_res r;
	struct aas_err e;
	char buf[1200];

	memset(&e, 0, sizeof(e));
	if (aas_patch_replace(text, strlen(text), search, replace, 1, &r,
	    &e) == -1) {
		snprintf(buf, sizeof(buf), "%s: %s", e.code, e.msg);
		is_str(buf, want, name);
		return;
	}
	is_str(r.text, want, name);
	snprintf(buf, sizeof(buf), "%s%s%s", aas_match_name(r.match),
	    r.detail ? " | " : "", r.detail ? r.detail : "");
	is_str(buf, match, name);
	aas_patch_res_free(&r);
}

static void
dif(const char *name, const char *text, const char *diff, const char *want,
    const char *match)
{
	struct aas_patch_res r;
	struct aas_err e;
	char buf[1200];

	memset(&e, 0, sizeof(e));
	if (aas_patch_diff(text, strlen(text), diff, strlen(diff), &r,
	    &e) == -1) {
		snprintf(buf, sizeof(buf), "%s: %s", e.code, e.msg);
		is_str(buf, want, name);
		return;
	}
	is_str(r.text, want, name);
	snprintf(buf, sizeof(buf), "%s%s%s", aas_match_name(r.match),
	    r.detail ? " | " : "", r.detail ? r.detail : "");
	is_str(buf, match, name);
	aas_patch_res_free(&r);
}

static int
parse(const char *s, struct aas_diff *d, struct aas_err *e)
{
	return aas_diff_parse(s, strlen(s), d, e);
}

/* n copies of s, as one owned string. */
static char *
repeat(const char *s, size_t n)
{
	size_t k = strlen(s), i;
	char *out = malloc(k * n + 1);

	for (i = 0; i < n; i++)
		memcpy(out + i * k, s, k);
	out[k * n] = '\0';
	return out;
}

/* The work budget: 2,001 lines against 100,000 copies of one line. */
static void
budget(void)
{
	char *file = repeat("x\n", 100000), *ctx = repeat(" x\n", 2001);
	char *search = repeat("x\n", 2001), *diff, *big, *hunk, *want;
	struct aas_buf b = AAS_BUF_INIT;
	size_t i;

	diff = aas_xasprintf("@@ -1,2002 +1,2002 @@\n%s-q\n+y\n", ctx);
	dif("a hunk too costly to place", file, diff,
	    "match_too_costly: hunk 1 (@@ -1,2002 +1,2002 @@): matching gave "
	    "up after 200000851 line comparisons (the limit for one edit is "
	    "200000000)", NULL);
	free(diff);
	diff = aas_xasprintf("%sq\n", search);
	rep("a search too costly to place", file, diff, "y\n",
	    "match_too_costly: search block 1: matching gave up after "
	    "200001889 line comparisons (the limit for one edit is "
	    "200000000)", NULL);
	free(diff);
	rep("many exact matches: ambiguous, found at once", file, search,
	    "y\n", "ambiguous: search block 1 matches at lines 1 and 2", NULL);

	/* a long hunk in a long file of distinct lines is cheap */
	for (i = 0; i < 100000; i++)
		aas_buf_printf(&b, "line %zu\n", i);
	big = aas_buf_detach(&b, NULL);
	for (i = 97000; i < 100000; i++)
		aas_buf_printf(&b, " line %zu\n", i);
	hunk = aas_buf_detach(&b, NULL);
	diff = aas_xasprintf("@@ -97001,3000 +97001,3001 @@\n%s+end\n", hunk);
	want = aas_xasprintf("%send\n", big);
	dif("3,000-line hunk at the end of 100,000 lines", big, diff, want,
	    "exact");
	free(want);
	free(diff);
	free(hunk);
	free(big);
	free(search);
	free(ctx);
	free(file);
}

static const char *C =
    "int\n"
    "main(void)\n"
    "{\n"
    "\tint a = 1;\n"
    "\n"
    "\treturn a;\n"
    "}\n";

int
main(void)
{
	struct aas_diff d;
	struct aas_err e;

	aas_setprogname("t-patch");

	/* search/replace: exact */
	rep("exact lines", C, "\tint a = 1;\n", "\tint a = 2;\n",
	    "int\nmain(void)\n{\n\tint a = 2;\n\n\treturn a;\n}\n", "exact");
	rep("exact substring", C, "a = 1", "a = 42",
	    "int\nmain(void)\n{\n\tint a = 42;\n\n\treturn a;\n}\n", "exact");
	rep("replace without final newline", C, "{\n\tint a = 1;\n",
	    "{\n\tlong a = 1;",
	    "int\nmain(void)\n{\n\tlong a = 1;\n\n\treturn a;\n}\n", "exact");
	rep("delete lines", C, "\tint a = 1;\n\n", "",
	    "int\nmain(void)\n{\n\treturn a;\n}\n", "exact");
	rep("ambiguous", "x\ny\nx\ny\n", "x\ny\n", "z\n",
	    "ambiguous: search block 1 matches at lines 1 and 3", NULL);
	rep("empty search", C, "  \n", "x",
	    "bad_edit: search block 1 is empty", NULL);
	rep("no match", C, "nothing like this\n", "x\n",
	    "no_match: search block 1 does not match", NULL);

	/* trailing blanks and blank lines */
	rep("trailing blanks", "a  \nb\t\nc\n", "a\nb\n", "A\nB\n",
	    "A\nB\nc\n", "whitespace");
	rep("blank lines ignored", C, "\tint a = 1;\n\treturn a;\n",
	    "\tint a = 3;\n\treturn a + 1;\n",
	    "int\nmain(void)\n{\n\tint a = 3;\n\treturn a + 1;\n}\n",
	    "whitespace");

	/* indentation shift, replacement re-indented */
	rep("indent shift", "class A:\n    def f(self):\n        return 1\n",
	    "def f(self):\n    return 1\n",
	    "def f(self):\n    return 2\n\ndef g(self):\n    pass\n",
	    "class A:\n    def f(self):\n        return 2\n\n"
	    "    def g(self):\n        pass\n", "indent");
	rep("indent shift down", "x:\n  y\n", "    x:\n      y\n",
	    "    x:\n      z\n", "x:\n  z\n", "indent");

	/* elision */
	rep("elision", "def f():\n    a = 1\n    b = 2\n    c = 3\n"
	    "    return a\n",
	    "def f():\n    ...\n    return a\n",
	    "def f(x):\n    ...\n    return x\n",
	    "def f(x):\n    a = 1\n    b = 2\n    c = 3\n    return x\n",
	    "elision");
	rep("elision counts differ", "a\nb\nc\n", "a\n...\nc\n", "a\nc\n",
	    "no_match: search block 1 has 1 elision lines but its "
	    "replacement has 0", NULL);
	rep("literal ... first", "x = ...\n...\ny\n", "...\ny\n", "z\n",
	    "x = ...\nz\n", "exact");

	/* already applied */
	rep("already", "a\nnew\nc\n", "old\n", "new\n", "a\nnew\nc\n",
	    "already | search block 1 already applied");
	rep("deletion not confirmable", "a\n", "gone\n", "",
	    "no_match: search block 1 does not match", NULL);

	/* CRLF kept, new lines get CRLF, missing final newline kept */
	rep("crlf", "a\r\nb\r\nc\r\n", "b\nc\n", "B\nX\nc\n",
	    "a\r\nB\r\nX\r\nc\r\n", "exact");
	rep("crlf search", "a\r\nb\r\n", "a\r\nb\r\n", "z\r\n", "z\r\n",
	    "exact");
	rep("no final newline", "a\nb", "b", "c\nd", "a\nc\nd", "exact");
	rep("no final newline, whole lines", "a\nb  ", "a\nb\n", "x\ny\n",
	    "x\ny", "whitespace");

	/* diffs */
	dif("diff exact", C,
	    "--- a/m.c\n+++ b/m.c\n@@ -3,4 +3,4 @@\n {\n-\tint a = 1;\n"
	    "+\tint a = 5;\n \n \treturn a;\n",
	    "int\nmain(void)\n{\n\tint a = 5;\n\n\treturn a;\n}\n", "exact");
	dif("diff offset", C,
	    "@@ -30,3 +30,3 @@\n {\n-\tint a = 1;\n+\tint a = 5;\n",
	    "int\nmain(void)\n{\n\tint a = 5;\n\n\treturn a;\n}\n",
	    "offset | hunk 1: offset at line 3");
	dif("diff wrong counts", C,
	    "@@ -3,9 +3,1 @@\n {\n-\tint a = 1;\n+\tint a = 5;\n",
	    "int\nmain(void)\n{\n\tint a = 5;\n\n\treturn a;\n}\n", "exact");
	dif("diff no numbers", C, "@@ @@\n {\n-\tint a = 1;\n+\tint a = 5;\n",
	    "int\nmain(void)\n{\n\tint a = 5;\n\n\treturn a;\n}\n",
	    "offset | hunk 1: offset at line 3");
	dif("apply_patch anchor",
	    "def f():\n    x = 1\ndef g():\n    x = 1\n",
	    "*** Begin Patch\n*** Update File: a.py\n@@ def g():\n-    x = 1\n"
	    "+    x = 2\n*** End Patch\n",
	    "def f():\n    x = 1\ndef g():\n    x = 2\n",
	    "offset | hunk 1: offset at line 4");
	dif("no numbers, ambiguous", "x\ny\nx\ny\n", "@@\n x\n-y\n+z\n",
	    "ambiguous: hunk 1 (@@) matches at lines 1 and 3", NULL);
	dif("numbers pick nearest", "x\ny\nx\ny\n", "@@ -3,2 +3,2 @@\n x\n-y\n"
	    "+z\n", "x\ny\nx\nz\n", "exact");
	dif("unmarked context", C,
	    "@@ -3,4 +3,4 @@\n{\n-\tint a = 1;\n+\tint a = 5;\n",
	    "int\nmain(void)\n{\n\tint a = 5;\n\n\treturn a;\n}\n",
	    "fuzzy-hunk | hunk 1 had 1 unmarked context lines");
	dif("context with trailing blanks", C,
	    "@@ -3,2 +3,2 @@\n {   \n-\tint a = 1;  \n+\tint a = 5;\n",
	    "int\nmain(void)\n{\n\tint a = 5;\n\n\treturn a;\n}\n",
	    "whitespace | hunk 1: whitespace at line 3");
	dif("fuzz: wrong outer context", C,
	    "@@ -2,4 +2,4 @@\n main(int argc)\n {\n-\tint a = 1;\n+\tint a = 5;\n"
	    " \n",
	    "int\nmain(void)\n{\n\tint a = 5;\n\n\treturn a;\n}\n",
	    "fuzzy-hunk | hunk 1: fuzzy-hunk at line 3");
	dif("plus only by number", "a\nb\nc\n", "@@ -2,0 +3 @@\n+x\n",
	    "a\nb\nx\nc\n", "exact");
	dif("plus only, empty file", "", "--- /dev/null\n+++ b/n\n"
	    "@@ -0,0 +1,2 @@\n+one\n+two\n", "one\ntwo\n", "exact");
	dif("plus only, no numbers", "a\n", "@@\n+x\n",
	    "no_match: hunk 1 (@@) does not fit", NULL);
	dif("does not fit", C, "@@ -10,4 +10,5 @@\n foo\n-bar\n+baz\n",
	    "no_match: hunk 1 (@@ -10,4 +10,5 @@) does not fit", NULL);
	dif("already applied", "a\nb2\nc\n", "@@ -1,3 +1,3 @@\n a\n-b\n+b2\n c\n",
	    "a\nb2\nc\n", "already | hunk 1 already applied");
	dif("two hunks, delta", "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
	    "@@ -2,1 +2,2 @@\n 2\n+2b\n@@ -8,1 +9,1 @@\n-8\n+eight\n",
	    "1\n2\n2b\n3\n4\n5\n6\n7\neight\n9\n", "exact");
	dif("crlf file", "a\r\nb\r\nc\r\n", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
	    "a\r\nB\r\nc\r\n", "exact");
	dif("no newline marker", "a\nb\n",
	    "@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n",
	    "a\nc", "exact");
	dif("indent shift in diff", "class A:\n    def f():\n        pass\n",
	    "@@ -1,2 +1,3 @@\n def f():\n-    pass\n+    return 1\n",
	    "class A:\n    def f():\n        return 1\n",
	    "indent | hunk 1: indent at line 2");
	dif("blank trailing diff lines", C,
	    "@@ -3,2 +3,2 @@\n {\n-\tint a = 1;\n+\tint a = 5;\n\n\n",
	    "int\nmain(void)\n{\n\tint a = 5;\n\n\treturn a;\n}\n", "exact");

	/* found by fuzz-diff: blank context only, on an empty file */
	dif("blank context, empty file", "", "@@ @@\n \n+x\n", "x\n", "exact");
	dif("blank context, by number", "a\nb\n", "@@ -1 +1,2 @@\n \n+x\n",
	    "x\na\nb\n", "fuzzy-hunk | hunk 1: fuzzy-hunk at line 1");

	/* parser */
	ok(parse("hello\n", &d, &e) == -1 &&
	    strcmp(e.msg, "no hunk in diff") == 0, "no hunk");
	aas_diff_free(&d);
	ok(parse("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
	    "--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n", &d, &e) == -1 &&
	    strcmp(e.msg, "diff names more than one file") == 0,
	    "two files refused");
	aas_diff_free(&d);
	ok(parse("diff --git a/x b/x\n--- a/x\n+++ b/x\n"
	    "@@ -1,2 +1,2 @@ int f()\n a\n-b\n+c\n", &d, &e) == 0, "parse");
	is_str(d.old_path, "x", "old path");
	is_int(d.nhunks, 1, "one hunk");
	is_int(d.hunks[0].numbered, 1, "numbered");
	is_str(d.hunks[0].header, "@@ -1,2 +1,2 @@", "header");
	is_str(d.hunks[0].anchor, "int f()", "anchor");
	is_int(d.hunks[0].nold, 2, "old lines");
	aas_diff_free(&d);
	budget();
	{
		/* found by fuzz-patch-rules: an elided search text whose first
		 * segment is in two places says where, as other refusals do */
		struct aas_patch_ctx c = { 0, 0 };
		struct aas_patch_res r;
		struct aas_err er;
		int rc = aas_patch_replace_ctx("  a\n  a", 7, "  a\n...",
		    "...\n\n(", 1, &c, &r, &er);

		ok(rc == -1 && strcmp(er.code, "ambiguous") == 0 &&
		    r.nwhere == 2 && r.nmatch == 2 && r.where[0] == 1 &&
		    r.where[1] == 2, "elision: ambiguous, every place named");
		aas_patch_res_free(&r);
	}
	{
		struct aas_patch_ctx c = { 3, 1 };
		struct aas_patch_res r;
		struct aas_err er;
		int rc = aas_patch_replace_ctx("x\ny\nx\ny\n", 8, "x\n", "z\n",
		    2, &c, &r, &er);

		ok(rc == 0 && strcmp(r.text, "x\ny\nz\ny\n") == 0 &&
		    r.first == 2 && r.last == 3, "after: the place from line 3 "
		    "on, and the lines written");
		aas_patch_res_free(&r);
	}
	ok(aas_patch_is_elision("  # ...  ", 9), "elision marker");
	ok(!aas_patch_is_elision("x = ...", 7), "not an elision");
	return done_testing();
}
