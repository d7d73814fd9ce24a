/* t-integrate.c: merges in memory (aas_git_pick) and landing on the
 * integration branch by compare-and-swap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "aas.h"
#include "git.h"
#include "integrate.h"
#include "tap.h"

static char dir[] = "/tmp/t-integrate.XXXXXX";

/* A commit on parent (or none) whose tree is parent's with path = text. */
static void
commit_file(struct aas_git *g, const char *parent, const char *path,
    const char *text, char out[AAS_GIT_HEX])
{
	struct aas_git_tree *t;
	struct aas_err e;
	char tree[AAS_GIT_HEX];

	if (aas_git_tree_open(g, parent, &t, &e) == -1 ||
	    aas_git_tree_put(t, path, text, strlen(text), 0, &e) == -1 ||
	    aas_git_tree_write(t, tree, &e) == -1 ||
	    aas_git_commit(g, tree, parent, path, "A <a@example.invalid>",
	    NULL, out, &e) == -1)
		diag(e.msg);
	aas_git_tree_free(t);
}

int
main(void)
{
	git_repository *r;
	git_treebuilder *tb;
	git_signature *sig;
	git_tree *tr;
	git_oid tid, cid;
	struct aas_git *g;
	struct aas_err e;
	char base[AAS_GIT_HEX], a[AAS_GIT_HEX], b[AAS_GIT_HEX];
	char c[AAS_GIT_HEX], out[AAS_GIT_HEX], tip[AAS_GIT_HEX];
	json_t *conf, *res;
	char *s;
	int rc;

	plan(14);
	aas_init();
	setenv("GIT_COMMITTER_DATE", "@1767225600 +0000", 1);
	if (mkdtemp(dir) == NULL)
		return 1;
	git_repository_init(&r, dir, 0);
	git_treebuilder_new(&tb, r, NULL);
	git_treebuilder_write(&tid, tb);
	git_treebuilder_free(tb);
	git_tree_lookup(&tr, r, &tid);
	git_signature_new(&sig, "T", "t@example.invalid", 1767225600, 0);
	git_commit_create(&cid, r, "refs/heads/main", sig, sig, NULL, "base\n",
	    tr, 0, NULL);
	git_repository_set_head(r, "refs/heads/main");
	git_signature_free(sig);
	git_tree_free(tr);
	git_repository_free(r);
	if (aas_git_open(&g, dir, &e) == -1)
		return 1;
	if (aas_git_resolve(g, "HEAD", base, &e) == -1) {
		diag(e.msg);
		aas_git_close(g);
		return 1;
	}
	commit_file(g, base, "f.txt", "1\n2\n3\n4\n5\n6\n7\n", base);
	commit_file(g, base, "f.txt", "one\n2\n3\n4\n5\n6\n7\n", a);
	commit_file(g, base, "f.txt", "1\n2\n3\n4\n5\n6\nseven\n", b);
	commit_file(g, base, "f.txt", "uno\n2\n3\n4\n5\n6\n7\n", c);

	is_int(aas_git_descends(g, a, base, &e), 1, "descends: a child");
	is_int(aas_git_descends(g, base, a, &e), 0, "descends: not a parent");
	is_int(aas_git_descends(g, a, a, &e), 1, "descends: itself");

	rc = aas_git_pick(g, b, a, NULL, "int", "task", 100, &conf, out, &e);
	is_int(rc, 0, "pick: compatible changes merge");
	s = NULL;
	{
		struct aas_git_tree *t;
		size_t len;
		unsigned mode;

		aas_git_tree_open(g, out, &t, &e);
		aas_git_tree_read(t, "f.txt", &s, &len, &mode, &e);
		aas_git_tree_free(t);
	}
	is_str(s, "one\n2\n3\n4\n5\n6\nseven\n", "pick: both changes in");
	free(s);
	rc = aas_git_pick(g, a, a, NULL, "int", "task", 100, &conf, out, &e);
	is_int(rc, 2, "pick: a change already there is 2");
	is_str(out, a, "pick: out is onto then");
	rc = aas_git_pick(g, c, a, NULL, "int", "task", 100, &conf, out, &e);
	s = json_dumps(conf, JSON_COMPACT);
	is_int(rc, 1, "pick: clashing changes conflict");
	is_str(s, "[{\"path\":\"f.txt\",\"hunks\":\"@@ line 1 @@\\n<<<<<<< int\\n"
	    "one\\n||||||| base\\n1\\n=======\\nuno\\n>>>>>>> task\\n\"}]",
	    "pick: the conflict with its three sides");
	free(s);
	json_decref(conf);
	rc = aas_git_pick(g, c, a, NULL, "int", "task", 31, &conf, out, &e);
	s = json_dumps(conf, JSON_COMPACT);
	is_str(s, "[{\"path\":\"f.txt\",\"hunks\":\"@@ line 1 @@\\n"
	    "<<<<<<< int\\n(cut)\\n\"}]", "pick: hunks capped at 31 bytes");
	free(s);
	json_decref(conf);

	/* landing: no branch yet, a fast-forward, then a merge */
	ok(aas_integrate_land(dir, "aas/int", a, "aas/A", &res, &e) == 0 &&
	    strcmp(json_string_value(json_object_get(res, "commit")), a) == 0,
	    "land: no branch yet: made at the commit");
	json_decref(res);
	ok(aas_integrate_land(dir, "aas/int", b, "aas/B", &res, &e) == 0 &&
	    json_is_true(json_object_get(res, "merged")) &&
	    aas_git_branch_get(g, "aas/int", tip, &e) == 0 &&
	    strcmp(json_string_value(json_object_get(res, "commit")),
	    tip) == 0, "land: another landed first: merged, the branch moved");
	json_decref(res);
	rc = aas_integrate_land(dir, "aas/int", c, "aas/C", &res, &e);
	ok(rc == 1 && strcmp(e.code, "merge_conflict") == 0 &&
	    strcmp(json_string_value(json_object_get(res, "tip")), tip) == 0,
	    "land: a conflict names the tip");
	json_decref(res);
	ok(aas_integrate_land("/nonexistent", "aas/int", c, NULL, &res,
	    &e) == -1 && strcmp(e.code, "no_repo") == 0 && res == NULL,
	    "land: no repository");

	aas_git_close(g);
	aas_rmtree(dir, NULL);
	return done_testing();
}
