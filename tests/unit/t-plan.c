/* t-plan.c: lib/plan.c, the parsers and checks one by one. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "plan.h"
#include "tap.h"
#include "banned.h"


static char got[8192];

/* The path check: the normalised path or "code: message". */
static const char *
path(const char *p)
{
	struct aas_err e;
	char *n = aas_plan_check_path(p, strlen(p), &e);

	if (n == NULL)
		snprintf(got, sizeof(got), "%s: %s", e.code, e.msg);
	else
		snprintf(got, sizeof(got), "%s", n);
	free(n);
	return got;
}

/* Run a per-format parser: "N:edits-json" or "-1:code: message". */
static const char *
parse(int (*fn)(const char *, size_t, json_t *, struct aas_err *),
    const char *text)
{
	struct aas_err e;
	json_t *edits = json_array();
	char *s;
	int n;

	n = fn(text, strlen(text), edits, &e);
	if (n < 0) {
		snprintf(got, sizeof(got), "-1:%s: %s", e.code, e.msg);
	} else {
		s = json_dumps(edits, JSON_COMPACT);
		snprintf(got, sizeof(got), "%d:%s", n, s);
		free(s);
	}
	json_decref(edits);
	return got;
}

/* The whole parse: the plan (compact) or "code: message". */
static const char *
whole(const char *text, const struct aas_plan_opts *o)
{
	struct aas_err e;
	json_t *plan;
	char *s;

	if (aas_plan_parse(text, strlen(text), o, &plan, &e) == -1) {
		snprintf(got, sizeof(got), "%s: %s", e.code, e.msg);
		return got;
	}
	s = json_dumps(plan, JSON_COMPACT);
	snprintf(got, sizeof(got), "%s", s);
	free(s);
	json_decref(plan);
	return got;
}

static const char *
subtasks(const char *text, size_t max)
{
	struct aas_err e;
	json_t *s = aas_plan_parse_subtasks(text, strlen(text), max, &e);
	char *d;

	if (s == NULL) {
		snprintf(got, sizeof(got), "%s: %s", e.code, e.msg);
		return got;
	}
	d = json_dumps(s, JSON_COMPACT);
	snprintf(got, sizeof(got), "%s", d);
	free(d);
	json_decref(s);
	return got;
}

int
main(void)
{
	const char *globs[] = { "spec/*", "*.t" };
	struct aas_plan_opts o = { 0 };

	plan(86);

	/* paths */
	is_str(path("a/b.c"), "a/b.c", "plain path");
	is_str(path("./a//b/./c.c"), "a/b/c.c", "./ and // collapse");
	is_str(path("a/x/../b.c"), "a/b.c", ".. inside stays inside");
	is_str(path("a/.."), "bad_path: refusing path 'a/..': names the "
	    "repository itself", "a/.. is the root");
	is_str(path("../x"), "path_escape: refusing path '../x': outside "
	    "the repository", "../x climbs out");
	is_str(path("a/../../x"), "path_escape: refusing path 'a/../../x': "
	    "outside the repository", "a/../../x climbs out");
	is_str(path("/etc/passwd"), "bad_path: refusing path '/etc/passwd': "
	    "absolute", "absolute");
	is_str(path("~/x"), "bad_path: refusing path '~/x': absolute",
	    "home");
	is_str(path("C:/x"), "bad_path: refusing path 'C:/x': absolute",
	    "drive letter");
	is_str(path("a\\b"), "bad_path: refusing path 'a\\b': backslash",
	    "backslash");
	is_str(path(".git/config"), "bad_path: refusing path '.git/config': "
	    "names .git", ".git");
	is_str(path("x/.Git/hooks/pre-commit"), "bad_path: refusing path "
	    "'x/.Git/hooks/pre-commit': names .git", ".Git deeper");
	is_str(path("x/.git./y"), "bad_path: refusing path 'x/.git./y': "
	    "names .git", ".git. (trailing dot)");
	is_str(path("x/.gitignore"), "x/.gitignore", ".gitignore is fine");
	is_str(path("a\nb"), "bad_path: refusing path 'a\nb': control "
	    "character", "newline in a path");
	is_str(path(""), "bad_path: empty path", "empty");
	/* found by fuzz-plan-path: ".." used to uncover a "~" */
	is_str(path(" ../../~~"), "bad_path: refusing path ' ../../~~': a "
	    "component of dots and spaces", "' ..' is '..' to Windows");
	is_str(path("a/../~x"), "bad_path: refusing path 'a/../~x': absolute",
	    "'~' uncovered by '..'");
	is_str(path("a/.../b"), "a/.../b", "'...' is a name");
	{
		struct aas_err e;

		ok(aas_plan_check_path("a\0b", 3, &e) == NULL &&
		    strcmp(e.code, "bad_path") == 0, "NUL in a path");
	}

	/* test globs */
	ok(aas_plan_is_test("tests/t-x.c", NULL), "tests/ is a test");
	ok(aas_plan_is_test("src/pkg/tests/test_a.py", NULL),
	    "nested tests/ is a test");
	ok(aas_plan_is_test("pkg/foo_test.go", NULL), "*_test.* by basename");
	ok(aas_plan_is_test("web/a.test.js", NULL), "*.test.*");
	ok(!aas_plan_is_test("src/testing.c", NULL), "testing.c is not");
	o.test_globs = globs;
	o.ntest_globs = 2;
	ok(aas_plan_is_test("spec/a.rb", &o) && aas_plan_is_test("x/y.t", &o)
	    && !aas_plan_is_test("tests/a.c", &o), "configured globs");
	memset(&o, 0, sizeof(o));

	/* SEARCH/REPLACE */
	is_str(parse(aas_plan_parse_search_replace,
	    "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"),
	    "1:[{\"path\":\"a.py\",\"op\":\"replace\",\"search\":\"x\\n\","
	    "\"replace\":\"y\\n\"}]", "bare block, path line before");
	is_str(parse(aas_plan_parse_search_replace,
	    "```\n### a.py\n<<<<<<< SEARCH\nx\n=======\n>>>>>>> REPLACE\n```"),
	    "1:[{\"path\":\"a.py\",\"op\":\"replace\",\"search\":\"x\\n\","
	    "\"replace\":\"\"}]", "empty replacement deletes the text");
	is_str(parse(aas_plan_parse_search_replace,
	    "a.py\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n"),
	    "-1:bad_block: line 2: search block without a divider",
	    "no divider");
	is_str(parse(aas_plan_parse_search_replace,
	    "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n"),
	    "-1:bad_block: line 2: search block not closed", "not closed");
	is_str(parse(aas_plan_parse_search_replace,
	    "a.py\n<<<<<<< SEARCH\nx\n"),
	    "-1:bad_block: line 2: search block not closed",
	    "neither divider nor end");
	is_str(parse(aas_plan_parse_search_replace,
	    "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n<<<<<<< SEARCH\n"),
	    "-1:bad_block: line 2: search block not closed",
	    "a new block inside a block");
	is_str(parse(aas_plan_parse_search_replace,
	    "a.py\n<<<<<<< SEARCH\nx\n=======\n=======\n>>>>>>> REPLACE\n"),
	    "1:[{\"path\":\"a.py\",\"op\":\"replace\",\"search\":\"x\\n\","
	    "\"replace\":\"=======\\n\"}]",
	    "a divider in the replacement is text (rst headings)");
	is_str(parse(aas_plan_parse_search_replace, "no blocks\n======\n"),
	    "0:[]", "a stray divider is not a block");
	is_str(parse(aas_plan_parse_search_replace,
	    "**src/x.c**\n```c\n<<<< SEARCH\n```\n"), "0:[]",
	    "four < is not a marker");

	/* fenced */
	is_str(parse(aas_plan_parse_fenced,
	    "x.c\n```c\n\xc3\xa9 \xff \xe2\x82;\n```\n"),
	    "1:[{\"path\":\"x.c\",\"op\":\"write\",\"content\":"
	    "\"\xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd;\\n\"}]",
	    "invalid bytes become U+FFFD, valid ones stay");
	is_str(parse(aas_plan_parse_fenced, "```c x.c\nint x;\n"), "0:[]",
	    "an unclosed fence is never a file");
	is_str(parse(aas_plan_parse_fenced, "```diff x.c\n-a\n+b\n```\n"),
	    "0:[]", "a diff fence is not a file");
	/* issue 11: prose naming one file names the fence's file; the edit
	 * says so, and aas-apply refuses it when it would drop most of an
	 * existing file (t-edit) */
	is_str(parse(aas_plan_parse_fenced,
	    "The file `x.c` follows:\n```c\nint x;\n```\n"),
	    "1:[{\"path\":\"x.c\",\"op\":\"write\",\"content\":"
	    "\"int x;\\n\",\"from\":\"prose\"}]",
	    "a prose line naming one file");
	is_str(parse(aas_plan_parse_fenced,
	    "~~~ text path=\"a b/c.txt\"\nx\n~~~\n"), "0:[]",
	    "a path with a space is refused as a path");
	is_str(parse(aas_plan_parse_fenced,
	    "Makefile\n```make\nall:\n```\n"),
	    "1:[{\"path\":\"Makefile\",\"op\":\"write\",\"content\":"
	    "\"all:\\n\"}]", "Makefile is a path without a dot");
	is_str(parse(aas_plan_parse_fenced, "```c\n```\n"), "0:[]",
	    "empty fence, no path");

	/* diffs */
	is_str(parse(aas_plan_parse_diff,
	    "--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n"),
	    "1:[{\"path\":\"x.c\",\"op\":\"patch\",\"diff\":\"@@ -1 +1 @@\\n"
	    "-a\\n+b\\n\"}]", "git-style prefixes without diff --git");
	is_str(parse(aas_plan_parse_diff,
	    "--- x.c\n+++ x.c\nno hunk here\n"), "0:[]",
	    "a header with no hunk");
	is_str(parse(aas_plan_parse_diff,
	    "--- /dev/null\n+++ b/n.c\n@@ -0,0 +1,2 @@\n+a\n b\n"),
	    "1:[{\"path\":\"n.c\",\"op\":\"patch\",\"diff\":\"@@ -0,0 +1,2 @@"
	    "\\n+a\\n b\\n\"}]", "new file with context stays a patch");
	is_str(parse(aas_plan_parse_diff,
	    "--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n--- a/b.c\n+++ b/b.c\n"
	    "@@ -1 +1 @@\n-c\n+d\n"),
	    "2:[{\"path\":\"a.c\",\"op\":\"patch\",\"diff\":\"@@ -1 +1 @@\\n"
	    "-a\\n+b\\n\"},{\"path\":\"b.c\",\"op\":\"patch\",\"diff\":"
	    "\"@@ -1 +1 @@\\n-c\\n+d\\n\"}]", "two files without diff --git");

	/* apply_patch */
	is_str(parse(aas_plan_parse_apply_patch,
	    "*** Begin Patch\n*** Update File: a.py\n+only\n*** End Patch\n"),
	    "-1:bad_block: line 3: update hunk with nothing to find",
	    "an update hunk with no context");
	is_str(parse(aas_plan_parse_apply_patch,
	    "*** Begin Patch\n*** Delete File: a.py\n"),
	    "1:[{\"path\":\"a.py\",\"op\":\"delete\"}]",
	    "a missing End Patch is tolerated");
	is_str(parse(aas_plan_parse_apply_patch,
	    "*** Add File: a.py\n+x\n"), "0:[]",
	    "no Begin Patch, no envelope");

	/* the whole parse: precedence, summary, checks */
	is_str(whole("Intro line one\nline two.\n\n```python a.py\nx\n```\n"
	    "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n", NULL),
	    "{\"summary\":\"Intro line one line two.\",\"format\":\"diff\","
	    "\"edits\":[{\"path\":\"a.py\",\"op\":\"patch\",\"diff\":"
	    "\"@@ -1 +1 @@\\n-x\\n+y\\n\"}],\"tests\":[]}",
	    "a diff wins over a fenced file");
	is_str(whole("*** Begin Patch\n*** Delete File: a.py\n*** End Patch\n"
	    "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n", NULL),
	    "{\"summary\":\"\",\"format\":\"apply_patch\",\"edits\":[{\"path\":"
	    "\"a.py\",\"op\":\"delete\"}],\"tests\":[]}",
	    "apply_patch wins over search/replace");
	is_str(whole("{\"edits\": []}\n", NULL),
	    "empty_plan: no edits found in the answer", "JSON with no edits");
	is_str(whole("{\"edits\": {}}", NULL),
	    "bad_plan: \"edits\" is not an array", "edits not an array");
	is_str(whole("{\"edits\": [{\"path\": \"a\", \"op\": \"write\"}]}",
	    NULL), "bad_plan: edit 1: \"content\" is missing",
	    "write without content");
	is_str(whole("{\"edits\": [{\"path\": 1, \"op\": \"delete\"}]}", NULL),
	    "bad_plan: edit 1: \"path\" is not a string", "path not a string");
	is_str(whole("{\"summary\": \"s\", \"edits\": [{\"path\": \"a\", "
	    "\"op\": \"delete\"}], \"tests\": \"t\"}", NULL),
	    "bad_plan: \"tests\" is not an array", "tests not an array");
	o.max_file = 3;
	is_str(whole("{\"edits\":[{\"path\":\"a\",\"op\":\"write\","
	    "\"content\":\"abcd\"}]}", &o),
	    "too_large: a: content is 4 bytes, over the limit of 3",
	    "size limit");
	o.max_file = 0;
	o.require_tests = 1;
	is_str(whole("{\"edits\":[{\"path\":\"a.c\",\"op\":\"delete\"}],"
	    "\"tests\":[\"tests/a.c\"]}", &o),
	    "no_tests: the plan adds or changes no test file",
	    "naming a test without changing one is not enough");
	is_str(whole("{\"edits\":[{\"path\":\"tests/a.c\",\"op\":\"write\","
	    "\"content\":\"\"}]}", &o),
	    "{\"summary\":\"\",\"format\":\"json\",\"edits\":[{\"path\":"
	    "\"tests/a.c\",\"op\":\"write\",\"content\":\"\"}],\"tests\":"
	    "[\"tests/a.c\"]}", "a new test file passes --require-tests");
	o.require_tests = 0;
	{
		struct aas_err e;
		json_t *plan, *r = json_pack("{s:s, s:s}", "text", "x",
		    "finish_reason", "max_tokens");

		ok(aas_plan_from_response(r, NULL, &plan, &e) == -1 &&
		    strcmp(e.code, "truncated") == 0 && plan == NULL,
		    "max_tokens is truncated too");
		json_decref(r);
	}

	/* sub-tasks */
	is_str(subtasks("{\"subtasks\":[{\"title\":\" a \"},{\"title\":\"b\","
	    "\"description\":null,\"depends_on\":[1,\"X-1\"]}]}", 0),
	    "[{\"title\":\"a\",\"description\":\"\",\"depends_on\":[]},"
	    "{\"title\":\"b\",\"description\":\"\",\"depends_on\":[1,\"X-1\"]}]",
	    "sub-tasks, trimmed and defaulted");
	is_str(subtasks("no json here", 0), "bad_subtasks: no {\"subtasks\": "
	    "[...]} object in the answer", "no object");
	is_str(subtasks("{\"subtasks\":[]}", 0), "bad_subtasks: \"subtasks\" "
	    "is not a non-empty array", "empty list");
	is_str(subtasks("{\"subtasks\":[{\"title\":\"\"}]}", 0),
	    "bad_subtasks: sub-task 1: the title is empty or not one line",
	    "empty title");
	is_str(subtasks("{\"subtasks\":[{\"title\":\"a\"},{\"title\":\"b\"}]}",
	    1), "too_many: 2 sub-tasks, over the limit of 1", "too many");
	is_str(subtasks("{\"subtasks\":[{\"title\":\"a\",\"depends_on\":[0]}]}",
	    0), "unknown_dep: sub-task 1 depends on sub-task 0, of 1",
	    "position 0");
	is_str(subtasks("{\"subtasks\":[{\"title\":\"a\",\"depends_on\":"
	    "[true]}]}", 0), "bad_subtasks: sub-task 1: depends_on[0] is "
	    "neither a position nor an id", "a boolean dependency");
	is_str(subtasks("{\"subtasks\":[{\"title\":\"a\",\"depends_on\":[2]},"
	    "{\"title\":\"b\",\"depends_on\":[1]}]}", 0),
	    "cycle: sub-tasks depend on each other in a cycle: 1 -> 2 -> 1",
	    "two-task cycle");
	is_str(subtasks("{\"subtasks\":[{\"title\":\"a\"},{\"title\":\"b\","
	    "\"depends_on\":[1]},{\"title\":\"c\",\"depends_on\":[1,2]}]}", 0),
	    "[{\"title\":\"a\",\"description\":\"\",\"depends_on\":[]},"
	    "{\"title\":\"b\",\"description\":\"\",\"depends_on\":[1]},"
	    "{\"title\":\"c\",\"description\":\"\",\"depends_on\":[1,2]}]",
	    "a diamond is no cycle");

	/* the older conflict-marker blocks and <source> wrappers */
	is_str(parse(aas_plan_parse_search_replace, "x.py\n```python\n"
	    "<<<<<<< ORIGINAL\na = 1\n=======\na = 2\n>>>>>>> UPDATED\n```\n"),
	    "1:[{\"path\":\"x.py\",\"op\":\"replace\",\"search\":\"a = 1\\n\","
	    "\"replace\":\"a = 2\\n\"}]", "ORIGINAL/UPDATED block");
	is_str(parse(aas_plan_parse_search_replace, "x.py\n```\n"
	    "<<<<<<< HEAD\na = 1\n=======\na = 2\n>>>>>>> updated\n```\n"),
	    "1:[{\"path\":\"x.py\",\"op\":\"replace\",\"search\":\"a = 1\\n\","
	    "\"replace\":\"a = 2\\n\"}]", "HEAD/updated block");
	is_str(parse(aas_plan_parse_search_replace, "Change:\n\nsrc/x.py\n"
	    "<source>python\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
	    "</source>\n\nsrc/y.md\n<source>\n<<<<<<< SEARCH\nc\n=======\nd\n"
	    ">>>>>>> REPLACE\n</source>\n"),
	    "2:[{\"path\":\"src/x.py\",\"op\":\"replace\",\"search\":\"a\\n\","
	    "\"replace\":\"b\\n\"},{\"path\":\"src/y.md\",\"op\":\"replace\","
	    "\"search\":\"c\\n\",\"replace\":\"d\\n\"}]",
	    "<source> blocks, the path on the line before");
	is_str(parse(aas_plan_parse_search_replace, "<<<<<<< HEAD\nours\n"
	    "=======\ntheirs\n>>>>>>> feature\n"), "-1:bad_block: line 1: "
	    "search block without a file path",
	    "a git conflict shown in prose is no block");
	is_str(parse(aas_plan_parse_fenced, "x.txt\n<source>\nwhole\n"
	    "</source>\n"), "1:[{\"path\":\"x.txt\",\"op\":\"write\","
	    "\"content\":\"whole\\n\"}]", "a whole file in <source>");

	is_str(parse(aas_plan_parse_diff, "--- a/pom.xml\n+++ b/pom.xml\n"
	    "@@ -1,3 +1,3 @@\n <x>\n-  <source>1.7</source>\n"
	    "+  <source>1.8</source>\n <source>\n"),
	    "1:[{\"path\":\"pom.xml\",\"op\":\"patch\",\"diff\":\"@@ -1,3 +1,3 @@"
	    "\\n <x>\\n-  <source>1.7</source>\\n+  <source>1.8</source>\\n"
	    " <source>\\n\"}]", "XML <source> lines in a diff are not tags");
	/* whole files named only in the prose before the fence */
	is_str(parse(aas_plan_parse_fenced, "Here is the updated "
	    "`src/util.py`:\n\n```python\nx = 1\n```\n"),
	    "1:[{\"path\":\"src/util.py\",\"op\":\"write\","
	    "\"content\":\"x = 1\\n\",\"from\":\"prose\"}]",
	    "prose: the updated `path`:");
	is_str(parse(aas_plan_parse_fenced, "In src/x.py:\n```\ny\n```\n"),
	    "1:[{\"path\":\"src/x.py\",\"op\":\"write\","
	    "\"content\":\"y\\n\",\"from\":\"prose\"}]", "prose: In path:");
	is_str(parse(aas_plan_parse_fenced, "### Changes to src/x.py\n"
	    "```\ny\n```\n"), "1:[{\"path\":\"src/x.py\",\"op\":\"write\","
	    "\"content\":\"y\\n\",\"from\":\"prose\"}]",
	    "prose: a heading naming the file");
	is_str(parse(aas_plan_parse_fenced, "Move `a.py` into `b.py`:\n"
	    "```\ny\n```\n"), "0:[]", "prose naming two files: no path");
	is_str(parse(aas_plan_parse_fenced, "Here is an example:\n"
	    "```\ny\n```\n"), "0:[]", "prose naming no file: no path");
	is_str(parse(aas_plan_parse_fenced, "We use e.g. this:\n"
	    "```\ny\n```\n"), "0:[]", "'e.g.' is not a file");
	is_str(parse(aas_plan_parse_fenced, "```python\n# src/x.py\nimport os\n"
	    "```\n"), "1:[{\"path\":\"src/x.py\",\"op\":\"write\","
	    "\"content\":\"import os\\n\"}]", "a # path comment first");
	is_str(parse(aas_plan_parse_fenced, "```js\n// lib/a.js\nf();\n"
	    "```\n"), "1:[{\"path\":\"lib/a.js\",\"op\":\"write\","
	    "\"content\":\"f();\\n\"}]", "a // path comment first");
	is_str(parse(aas_plan_parse_fenced, "```python\n# set up the logger\n"
	    "import os\n```\n"), "0:[]", "a comment that is no path");
	is_str(parse(aas_plan_parse_fenced, "src/a.py\n```\n# src/b.py\nz\n"
	    "```\n"), "1:[{\"path\":\"src/a.py\",\"op\":\"write\","
	    "\"content\":\"# src/b.py\\nz\\n\"}]",
	    "the path line before wins over the comment");

	{
		const char *a = "x.py\n```\n=======\n```\n```c\nint x;\n```\n";
		json_t *x = aas_plan_explain(a, strlen(a));
		char *d = json_dumps(x, JSON_COMPACT);

		is_str(d, "{\"looked_for\":[\"json\",\"apply_patch\","
		    "\"search_replace\",\"diff\",\"fenced\"],\"found\":"
		    "{\"fences\":2,\"fences_without_path\":1,"
		    "\"block_markers\":0,\"dividers\":1,\"hunk_headers\":0}}",
		    "explain: what was looked for and what came close");
		free(d);
		json_decref(x);
	}
	return done_testing();
}
