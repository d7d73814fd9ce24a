/* t-context.c: a commit's files for prompts: the map, with and without
 * ctags, its budget, and the files a text mentions. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "aas.h"
#include "child.h"
#include "context.h"
#include "git.h"
#include "tap.h"

static char dir[] = "/tmp/t-context.XXXXXX";

static void
blob(git_repository *r, git_treebuilder *tb, const char *name,
    const char *text, git_filemode_t mode)
{
	git_oid id;

	git_blob_create_from_buffer(&id, r, text, strlen(text));
	git_treebuilder_insert(NULL, tb, name, &id, mode);
}

static void
subtree(git_repository *r, git_treebuilder *tb, const char *name,
    const char *f1, const char *t1, const char *f2, const char *t2)
{
	git_treebuilder *sub;
	git_oid id;

	git_treebuilder_new(&sub, r, NULL);
	blob(r, sub, f1, t1, GIT_FILEMODE_BLOB);
	if (f2 != NULL)
		blob(r, sub, f2, t2, GIT_FILEMODE_BLOB);
	git_treebuilder_write(&id, sub);
	git_treebuilder_free(sub);
	git_treebuilder_insert(NULL, tb, name, &id, GIT_FILEMODE_TREE);
}

/* Makefile, README, a/b/deep.txt, lib/x.c, lib/x.h, link -> lib,
 * tools/gen.py; the
 * work tree also has extra.c, never committed. */
static void
make_repo(void)
{
	git_repository *r;
	git_treebuilder *tb;
	git_oid tid, cid;
	git_signature *sig;
	git_tree *t;
	char *p;
	FILE *f;

	git_repository_init(&r, dir, 0);
	git_treebuilder_new(&tb, r, NULL);
	{
		git_treebuilder *a, *ab;
		git_oid id;

		git_treebuilder_new(&ab, r, NULL);
		blob(r, ab, "deep.txt", "deep\n", GIT_FILEMODE_BLOB);
		git_treebuilder_write(&id, ab);
		git_treebuilder_free(ab);
		git_treebuilder_new(&a, r, NULL);
		git_treebuilder_insert(NULL, a, "b", &id, GIT_FILEMODE_TREE);
		git_treebuilder_write(&id, a);
		git_treebuilder_free(a);
		git_treebuilder_insert(NULL, tb, "a", &id, GIT_FILEMODE_TREE);
	}
	blob(r, tb, "Makefile", "all:\n\ttrue\n", GIT_FILEMODE_BLOB);
	blob(r, tb, "README", "hello\n", GIT_FILEMODE_BLOB);
	subtree(r, tb, "lib", "x.c", "int\nf(void)\n{\n\treturn 0;\n}\n"
	    "static int g(void) { return 1; }\nstruct s { int m; };\n"
	    "enum { E1 } e;\n", "x.h",
	    "int f(void);\n");
	blob(r, tb, "link", "lib", GIT_FILEMODE_LINK);
	subtree(r, tb, "tools", "gen.py", "class Gen:\n    def run(self):\n"
	    "        pass\n\ndef main():\n    pass\n", NULL, NULL);
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
	p = aas_xasprintf("%s/extra.c", dir);
	f = fopen(p, "w");
	fputs("int extra(void) { return 0; }\n", f);
	fclose(f);
	free(p);
}

static char *
map_of(struct aas_git *g, long budget, const char *ctags)
{
	struct aas_context_opts o = { budget, ctags, NULL };
	struct aas_context *c;
	struct aas_err e;
	char *s;

	if (aas_context_open(&c, g, "HEAD", &o, &e) == -1)
		return aas_xstrdup(e.msg);
	s = aas_xstrdup(aas_context_map(c));
	aas_context_free(c);
	return s;
}

static char *
mentioned(struct aas_git *g, const char *text, size_t max)
{
	struct aas_context *c;
	struct aas_buf b = AAS_BUF_INIT;
	struct aas_err e;
	char **list;
	size_t i;

	if (aas_context_open(&c, g, "HEAD", NULL, &e) == -1)
		return aas_xstrdup(e.msg);
	list = aas_context_mentioned(c, text, max);
	for (i = 0; list[i] != NULL; i++) {
		aas_buf_printf(&b, "%s;", list[i]);
		free(list[i]);
	}
	free(list);
	aas_context_free(c);
	return b.s != NULL ? aas_buf_detach(&b, NULL) : aas_xstrdup("");
}

int
main(void)
{
	struct aas_git *g;
	struct aas_context *c;
	struct aas_err e;
	char *s, *ct;
	char *data;
	size_t len;

	plan(13);
	aas_init();
	if (mkdtemp(dir) == NULL)
		return 1;
	make_repo();
	if (aas_git_open(&g, dir, &e) == -1)
		return 1;

	s = map_of(g, 2000, "aas-no-such-ctags");
	is_str(s, "Makefile\nREADME\na/b/deep.txt\nlib/x.c\nlib/x.h\n"
	    "tools/gen.py\n", "no ctags: the committed files in tree order, "
	    "links skipped, work tree unread");
	free(s);
	s = map_of(g, 10, "aas-no-such-ctags");
	is_str(s, "Makefile\nREADME\n(4 more files)\n",
	    "a small budget: the paths that fit, the rest counted");
	free(s);
	s = map_of(g, 14, "aas-no-such-ctags");
	is_str(s, "Makefile\nREADME\nlib/x.c\n(3 more files)\n",
	    "not all fit: paths nearer the top first, in half the budget");
	free(s);
	s = map_of(g, 0, NULL);
	is_str(s, "", "budget 0: no map");
	free(s);

	ct = aas_spawn_which("ctags");
	if (ct == NULL) {
		ok(1, "# SKIP no ctags on PATH");
		ok(1, "# SKIP no ctags on PATH");
	} else {
		s = map_of(g, 2000, NULL);
		is_str(s, "Makefile\nREADME\na/b/deep.txt\nlib/x.c: f g s\n"
		    "lib/x.h: f\ntools/gen.py: Gen main\n", "ctags: top-level "
		    "definitions (no members, no methods in a class)");
		free(s);
		s = map_of(g, 18, NULL);
		is_str(s, "Makefile\nREADME\na/b/deep.txt\nlib/x.c: f g s\n"
		    "lib/x.h: f\ntools/gen.py\n", "ctags: definitions only "
		    "while the later paths still fit");
		free(s);
	}
	free(ct);

	s = mentioned(g, "Fix x.c, see tools/gen.py. The Makefile too; not "
	    "README2 nor xlib/x.h or extra.c", 10);
	is_str(s, "Makefile;lib/x.c;tools/gen.py;", "mentioned: paths and "
	    "base names standing alone, in tree order");
	free(s);
	s = mentioned(g, "Makefile and README", 1);
	is_str(s, "Makefile;", "mentioned: at most max");
	free(s);
	s = mentioned(g, "(lib/x.h)", 10);
	is_str(s, "lib/x.h;", "mentioned: in brackets");
	free(s);

	ok(aas_context_open(&c, g, "HEAD", NULL, &e) == 0, "open");
	ok(aas_context_read(c, "lib/x.c", &data, &len, &e) == 0 &&
	    strncmp(data, "int\nf(void)", 11) == 0, "read: the blob");
	free(data);
	ok(aas_context_read(c, "extra.c", &data, &len, &e) == 1,
	    "read: a work-tree file is not there");
	ok(aas_context_read(c, "link/x.c", &data, &len, &e) == -1 &&
	    strcmp(e.code, "path_symlink") == 0, "read: through a link "
	    "refused");
	aas_context_free(c);

	aas_git_close(g);
	aas_rmtree(dir, NULL);
	return done_testing();
}
