/* t-edit.c: the plan interpreter: each op on a git tree, and its refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "aas.h"
#include "edit.h"
#include "git.h"
#include "tap.h"

static char dir[] = "/tmp/t-edit.XXXXXX";
static struct aas_git *g;
static char base[AAS_GIT_HEX];
static const struct aas_edit_limits lim = { 1024, 0 };

/* The base commit: a.txt, crlf.txt, dir/b.c, dir/gone.c. */
static void
make_repo(void)
{
	git_repository *r;
	git_treebuilder *tb, *sub;
	git_oid a, crlf, b, gone, subid, tid, cid;
	git_signature *sig;
	git_tree *t;

	git_repository_init(&r, dir, 0);
	git_blob_create_from_buffer(&a, r, "one\ntwo\nthree\n", 14);
	git_blob_create_from_buffer(&crlf, r, "x\r\ny\r\n", 6);
	git_blob_create_from_buffer(&b, r, "int b;\n", 7);
	git_blob_create_from_buffer(&gone, r, "old\n", 4);
	git_treebuilder_new(&sub, r, NULL);
	git_treebuilder_insert(NULL, sub, "b.c", &b, GIT_FILEMODE_BLOB);
	git_treebuilder_insert(NULL, sub, "gone.c", &gone, GIT_FILEMODE_BLOB);
	git_treebuilder_write(&subid, sub);
	git_treebuilder_free(sub);
	git_treebuilder_new(&tb, r, NULL);
	git_treebuilder_insert(NULL, tb, "a.txt", &a, GIT_FILEMODE_BLOB);
	git_treebuilder_insert(NULL, tb, "crlf.txt", &crlf, GIT_FILEMODE_BLOB);
	git_treebuilder_insert(NULL, tb, "dir", &subid, GIT_FILEMODE_TREE);
	git_treebuilder_write(&tid, tb);
	git_treebuilder_free(tb);
	git_tree_lookup(&t, r, &tid);
	git_signature_new(&sig, "T", "t@example.invalid", 1767225600, 0);
	git_commit_create(&cid, r, "refs/heads/main", sig, sig, NULL, "base\n",
	    t, 0, NULL);
	git_repository_set_head(r, "refs/heads/main");
	git_signature_free(sig);
	git_tree_free(t);
	git_repository_free(r);
}

/*
 * Apply the edits in json (an array) to a fresh tree of the base commit.
 * Returns the files array as compact text, or "error CODE: MESSAGE"; with
 * path, *content gets that file afterwards ("(none)" when absent).
 */
static char *
apply(const char *json, const struct aas_edit_limits *l, const char *path,
    char **content)
{
	struct aas_git_tree *t;
	struct aas_err e;
	json_t *edits, *files = (json_t *)1;
	json_error_t je;
	char *out, *data;
	size_t len;
	unsigned mode;
	int rc;

	memset(&e, 0, sizeof(e));
	edits = json_loads(json, JSON_ALLOW_NUL, &je);
	if (edits == NULL) {
		fprintf(stderr, "bad test json: %s: %s\n", json, je.text);
		exit(1);
	}
	if (aas_git_tree_open(g, base, &t, &e) == -1) {
		fprintf(stderr, "tree: %s\n", e.msg);
		exit(1);
	}
	rc = aas_edit_apply(t, edits, l != NULL ? l : &lim, "T-1", &files, &e);
	if (rc == -1)
		out = aas_xasprintf("error %s: %s%s", e.code, e.msg,
		    files == NULL ? "" : " (files not NULL)");
	else
		out = json_dumps(files, JSON_COMPACT);
	if (path != NULL) {
		rc = aas_git_tree_read(t, path, &data, &len, &mode, &e);
		*content = rc == 0 ? data : aas_xstrdup(rc == 1 ? "(none)" :
		    "(error)");
	}
	json_decref(files == (json_t *)1 ? NULL : files);
	json_decref(edits);
	aas_git_tree_free(t);
	return out;
}

/* The edits, then "files-json" or "error CODE: MESSAGE why-json". */
static char *
apply_why(const char *json)
{
	struct aas_git_tree *t;
	struct aas_err e;
	json_t *edits, *files, *why;
	char *out, *w;

	memset(&e, 0, sizeof(e));
	edits = json_loads(json, 0, NULL);
	if (edits == NULL || aas_git_tree_open(g, base, &t, &e) == -1) {
		fprintf(stderr, "bad test: %s\n", json);
		exit(1);
	}
	if (aas_edit_apply_why(t, edits, &lim, "T-1", &files, &why,
	    &e) == -1) {
		w = why != NULL ? json_dumps(why, JSON_COMPACT) : NULL;
		out = aas_xasprintf("error %s: %s %s", e.code, e.msg,
		    w != NULL ? w : "(no why)");
		free(w);
		json_decref(why);
	} else {
		out = json_dumps(files, JSON_COMPACT);
		json_decref(files);
	}
	json_decref(edits);
	aas_git_tree_free(t);
	return out;
}

static void
check_why(const char *name, const char *json, const char *want)
{
	char *got = apply_why(json);

	is_str(got, want, name);
	free(got);
}

static void
check(const char *name, const char *json, const char *want, const char *path,
    const char *want_content)
{
	char *got, *content = NULL, buf[256];

	got = apply(json, NULL, path, &content);
	is_str(got, want, name);
	snprintf(buf, sizeof(buf), "%s: %s", name, path != NULL ? path : "");
	if (path != NULL)
		is_str(content, want_content, buf);
	free(got);
	free(content);
}

int
main(void)
{
	struct aas_edit_limits big = { 1024, 1 }, small = { 4, 0 };
	struct aas_err e;
	char *got;

	aas_setprogname("t-edit");
	aas_quiet = 1;
	if (mkdtemp(dir) == NULL)
		return 1;
	aas_init();
	make_repo();
	memset(&e, 0, sizeof(e));
	if (aas_git_open(&g, dir, &e) == -1 ||
	    aas_git_resolve(g, "HEAD", base, &e) == -1) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	plan(47);

	/* ambiguity rules and what a refusal tells (aas-apply(1)) */
	check_why("rule: the only place after the previous block",
	    "[{\"path\":\"f\",\"op\":\"write\",\"content\":"
	    "\"a\\nret\\nb\\nret\\n\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"search\":\"b\\n\","
	    "\"replace\":\"B\\n\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"search\":\"ret\\n\","
	    "\"replace\":\"RET\\n\"}]",
	    "[{\"path\":\"f\",\"op\":\"write\",\"match\":\"exact\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"match\":\"exact\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"match\":\"exact\","
	    "\"detail\":\"search block 2 matches at 2 places: took line 4, "
	    "the only one after the file's previous block\"}]");
	check_why("rule: two places after the previous block: refused",
	    "[{\"path\":\"f\",\"op\":\"write\",\"content\":"
	    "\"a\\nret\\nret\\n\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"search\":\"a\\n\","
	    "\"replace\":\"A\\n\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"search\":\"ret\\n\","
	    "\"replace\":\"R\\n\"}]",
	    "error ambiguous: f: search block 2 matches at lines 2 and 3 "
	    "{\"edit\":3,\"path\":\"f\",\"matches\":[{\"line\":2,"
	    "\"text\":\"ret\"},{\"line\":3,\"text\":\"ret\"}],"
	    "\"count\":2}");
	check_why("rule: the first block of a file is not placed by order",
	    "[{\"path\":\"f\",\"op\":\"write\",\"content\":"
	    "\"ret\\nret\\n\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"search\":\"ret\\n\","
	    "\"replace\":\"R\\n\"}]",
	    "error ambiguous: f: search block 1 matches at lines 1 and 2 "
	    "{\"edit\":2,\"path\":\"f\",\"matches\":[{\"line\":1,"
	    "\"text\":\"ret\"},{\"line\":2,\"text\":\"ret\"}],"
	    "\"count\":2}");
	check_why("rule: as many alike blocks as places",
	    "[{\"path\":\"f\",\"op\":\"write\",\"content\":"
	    "\"x\\nq\\nx\\n\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"search\":\"x\\n\","
	    "\"replace\":\"y\\n\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"search\":\"x\\n\","
	    "\"replace\":\"y\\n\"}]",
	    "[{\"path\":\"f\",\"op\":\"write\",\"match\":\"exact\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"match\":\"exact\","
	    "\"detail\":\"search block 1 matches at 2 places: took line 1, "
	    "as many alike blocks as places\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"match\":\"exact\"}]");
	check_why("rule: alike blocks with other replacements: refused",
	    "[{\"path\":\"f\",\"op\":\"write\",\"content\":"
	    "\"x\\nq\\nx\\n\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"search\":\"x\\n\","
	    "\"replace\":\"y\\n\"},"
	    "{\"path\":\"f\",\"op\":\"replace\",\"search\":\"x\\n\","
	    "\"replace\":\"z\\n\"}]",
	    "error ambiguous: f: search block 1 matches at lines 1 and 3 "
	    "{\"edit\":2,\"path\":\"f\",\"matches\":[{\"line\":1,"
	    "\"text\":\"x\"},{\"line\":3,\"text\":\"x\"}],"
	    "\"count\":2}");
	check_why("no_match: the closest region and how it differs",
	    "[{\"path\":\"f.c\",\"op\":\"write\",\"content\":"
	    "\"#include <x.h>\\n\\nint\\nf(void)\\n{\\n\\treturn 1;\\n}\\n\"},"
	    "{\"path\":\"f.c\",\"op\":\"replace\",\"search\":"
	    "\"int\\nf(void)\\n{\\n    return 2;\\n}\\n\","
	    "\"replace\":\"int\\nf(void)\\n{\\n\\treturn 3;\\n}\\n\"}]",
	    "error no_match: f.c: search block 1 does not match "
	    "{\"edit\":2,\"path\":\"f.c\",\"closest\":{\"start\":3,"
	    "\"end\":7,\"text\":\"int\\nf(void)\\n{\\n\\treturn 1;\\n}\","
	    "\"alike\":4,\"lines\":5,"
	    "\"diff\":\"-    return 2;\\n+\\treturn 1;\\n\"}}");
	check_why("write: an elision line over an existing file refused",
	    "[{\"path\":\"a.txt\",\"op\":\"write\",\"content\":"
	    "\"one\\n# ... rest unchanged ...\\n\"}]",
	    "error elided: a.txt: line 2 of the new text ('# ... rest "
	    "unchanged ...') stands for text left out: a whole file must be "
	    "given whole, or as search/replace blocks (no why)");
	check_why("write: a file named in prose only, under half of it",
	    "[{\"path\":\"a.txt\",\"op\":\"write\",\"content\":"
	    "\"two\\n\",\"from\":\"prose\"}]",
	    "error partial_file: a.txt: the answer names the file only in "
	    "prose and gives 1 of its 3 lines: a whole file must be given "
	    "whole, or as search/replace blocks (no why)");
	check_why("write: a file named in prose, whole",
	    "[{\"path\":\"a.txt\",\"op\":\"write\",\"content\":"
	    "\"one\\n2\\nthree\\n\",\"from\":\"prose\"}]",
	    "[{\"path\":\"a.txt\",\"op\":\"write\",\"match\":\"exact\"}]");
	check_why("no_match: nothing alike, nothing added",
	    "[{\"path\":\"a.txt\",\"op\":\"replace\",\"search\":"
	    "\"zzz\\n\",\"replace\":\"y\\n\"}]",
	    "error no_match: a.txt: search block 1 does not match (no why)");

	/* write */
	check("write: a new file",
	    "[{\"path\":\"new/n.txt\",\"op\":\"write\",\"content\":\"hi\\n\"}]",
	    "[{\"path\":\"new/n.txt\",\"op\":\"write\",\"match\":\"exact\"}]",
	    "new/n.txt", "hi\n");
	check("write: the same text again is already",
	    "[{\"path\":\"a.txt\",\"op\":\"write\","
	    "\"content\":\"one\\ntwo\\nthree\\n\"}]",
	    "[{\"path\":\"a.txt\",\"op\":\"write\",\"match\":\"already\"}]",
	    "a.txt", "one\ntwo\nthree\n");
	check("write: CRLF endings of the old file kept",
	    "[{\"path\":\"crlf.txt\",\"op\":\"write\",\"content\":\"x\\nz\\n\"}]",
	    "[{\"path\":\"crlf.txt\",\"op\":\"write\",\"match\":\"exact\"}]",
	    "crlf.txt", "x\r\nz\r\n");
	check("write: no content refused",
	    "[{\"path\":\"a.txt\",\"op\":\"write\"}]",
	    "error bad_plan: a.txt: write without content", NULL, NULL);

	/* replace */
	check("replace: a search block",
	    "[{\"path\":\"a.txt\",\"op\":\"replace\",\"search\":\"two\\n\","
	    "\"replace\":\"2\\n\"}]",
	    "[{\"path\":\"a.txt\",\"op\":\"replace\",\"match\":\"exact\"}]",
	    "a.txt", "one\n2\nthree\n");
	check("replace: an empty search creates a missing file",
	    "[{\"path\":\"c.txt\",\"op\":\"replace\",\"search\":\"\","
	    "\"replace\":\"new\\n\"}]",
	    "[{\"path\":\"c.txt\",\"op\":\"replace\",\"match\":\"exact\"}]",
	    "c.txt", "new\n");
	check("replace: a missing path taken as the only file of that name",
	    "[{\"path\":\"src/b.c\",\"op\":\"replace\",\"search\":\"int b;\","
	    "\"replace\":\"long b;\"}]",
	    "[{\"path\":\"dir/b.c\",\"op\":\"replace\",\"match\":\"renamed\","
	    "\"detail\":\"no file src/b.c: applied to dir/b.c (exact)\"}]",
	    "dir/b.c", "long b;\n");
	check("replace: refused without search",
	    "[{\"path\":\"a.txt\",\"op\":\"replace\",\"replace\":\"x\"}]",
	    "error bad_plan: a.txt: replace without search and replace",
	    NULL, NULL);
	check("replace: a search that is not there",
	    "[{\"path\":\"a.txt\",\"op\":\"replace\",\"search\":\"four\","
	    "\"replace\":\"4\"}]",
	    "error no_match: a.txt: search block 1 does not match", NULL, NULL);
	check("replace: a missing file with a search",
	    "[{\"path\":\"nope.txt\",\"op\":\"replace\",\"search\":\"x\","
	    "\"replace\":\"y\"}]",
	    "error no_match: nope.txt: no such file", NULL, NULL);

	/* patch */
	check("patch: a hunk",
	    "[{\"path\":\"a.txt\",\"op\":\"patch\",\"diff\":\"--- a/a.txt\\n"
	    "+++ b/a.txt\\n@@ -1,3 +1,3 @@\\n one\\n-two\\n+TWO\\n three\\n\"}]",
	    "[{\"path\":\"a.txt\",\"op\":\"patch\",\"match\":\"exact\"}]",
	    "a.txt", "one\nTWO\nthree\n");
	check("patch: a diff of + lines creates a file",
	    "[{\"path\":\"d.txt\",\"op\":\"patch\",\"diff\":\"--- /dev/null\\n"
	    "+++ b/d.txt\\n@@ -0,0 +1,1 @@\\n+d\\n\"}]",
	    "[{\"path\":\"d.txt\",\"op\":\"patch\",\"match\":\"exact\"}]",
	    "d.txt", "d\n");
	check("patch: a diff to /dev/null deletes the file",
	    "[{\"path\":\"dir/gone.c\",\"op\":\"patch\",\"diff\":\"--- "
	    "a/dir/gone.c\\n+++ /dev/null\\n@@ -1,1 +0,0 @@\\n-old\\n\"}]",
	    "[{\"path\":\"dir/gone.c\",\"op\":\"patch\",\"match\":\"exact\","
	    "\"detail\":\"the diff deletes the file\"}]",
	    "dir/gone.c", "(none)");
	check("patch: refused without diff",
	    "[{\"path\":\"a.txt\",\"op\":\"patch\"}]",
	    "error bad_plan: a.txt: patch without diff", NULL, NULL);
	check("patch: a diff with no hunk",
	    "[{\"path\":\"a.txt\",\"op\":\"patch\",\"diff\":\"nothing\"}]",
	    "error bad_diff: a.txt: no hunk in diff", NULL, NULL);

	/* delete */
	check("delete: a file",
	    "[{\"path\":\"a.txt\",\"op\":\"delete\"}]",
	    "[{\"path\":\"a.txt\",\"op\":\"delete\",\"match\":\"exact\"}]",
	    "a.txt", "(none)");
	check("delete: a missing file is already done",
	    "[{\"path\":\"zz.txt\",\"op\":\"delete\"}]",
	    "[{\"path\":\"zz.txt\",\"op\":\"delete\",\"match\":\"already\"}]",
	    NULL, NULL);

	/* refusals common to every op */
	check("no op", "[{\"path\":\"a.txt\"}]",
	    "error bad_plan: edit 1: no path or op", NULL, NULL);
	check("unknown op", "[{\"path\":\"a.txt\",\"op\":\"chmod\"}]",
	    "error bad_plan: a.txt: unknown op 'chmod'", NULL, NULL);
	check("a path outside the repository",
	    "[{\"path\":\"../x\",\"op\":\"write\",\"content\":\"x\"}]",
	    "error path_escape: refusing path '../x': outside the repository",
	    NULL, NULL);
	check("binary content refused",
	    "[{\"path\":\"bin\",\"op\":\"write\",\"content\":\"a\\u0000b\"}]",
	    "error binary: bin: binary content refused (apply.allow_binary)",
	    NULL, NULL);
	got = apply("[{\"path\":\"bin\",\"op\":\"write\","
	    "\"content\":\"a\\u0000b\"}]", &big, NULL, NULL);
	is_str(got, "[{\"path\":\"bin\",\"op\":\"write\",\"match\":\"exact\"}]",
	    "binary content with allow_binary");
	free(got);
	got = apply("[{\"path\":\"a.txt\",\"op\":\"write\","
	    "\"content\":\"12345\"}]", &small, NULL, NULL);
	is_str(got, "error too_large: a.txt: 5 bytes, over the limit of 4 "
	    "(apply.max_file_bytes)", "too large a write");
	free(got);
	got = apply("[{\"path\":\"a.txt\",\"op\":\"replace\","
	    "\"search\":\"two\",\"replace\":\"2\"}]", &small, NULL, NULL);
	is_str(got, "error too_large: a.txt: 14 bytes, over the limit of 4 "
	    "(apply.max_file_bytes)", "too large a file to edit");
	free(got);
	check("edits apply in order, a later failure fails them all",
	    "[{\"path\":\"a.txt\",\"op\":\"delete\"},"
	    "{\"path\":\"b\",\"op\":\"write\"}]",
	    "error bad_plan: b: write without content", NULL, NULL);
	check("replace counts earlier blocks of the same path",
	    "[{\"path\":\"a.txt\",\"op\":\"replace\",\"search\":\"one\","
	    "\"replace\":\"1\"},{\"path\":\"a.txt\",\"op\":\"replace\","
	    "\"search\":\"three\",\"replace\":\"3\"}]",
	    "[{\"path\":\"a.txt\",\"op\":\"replace\",\"match\":\"exact\"},"
	    "{\"path\":\"a.txt\",\"op\":\"replace\",\"match\":\"exact\"}]",
	    "a.txt", "1\ntwo\n3\n");

	aas_git_close(g);
	aas_rmtree(dir, &e);
	aas_fini();
	return done_testing();
}
