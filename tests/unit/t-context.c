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

/*
 * The search before the mention index (strstr per path), kept as the
 * reference the index must agree with.
 */
static int
ref_name_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '/' ||
	    (unsigned char)ch >= 0x80;
}

static int
ref_stands_alone(const char *text, const char *word)
{
	const char *s = text;
	size_t n = strlen(word);

	while ((s = strstr(s, word)) != NULL) {
		const char *end = s + n;

		if ((s == text || (!ref_name_char((unsigned char)s[-1]) &&
		    s[-1] != '.')) && !ref_name_char((unsigned char)*end) &&
		    !(*end == '.' && ref_name_char((unsigned char)end[1])))
			return 1;
		s++;
	}
	return 0;
}

/* "a;b;" of the paths (tree order) text mentions, at most max. */
static char *
ref_mentioned(char **paths, size_t np, const char *text, size_t max)
{
	struct aas_buf b = AAS_BUF_INIT;
	const char *base;
	size_t i, k = 0;

	for (i = 0; i < np && k < max; i++) {
		base = strrchr(paths[i], '/');
		base = base != NULL ? base + 1 : paths[i];
		if (ref_stands_alone(text, paths[i]) ||
		    (strlen(base) >= 3 && ref_stands_alone(text, base))) {
			aas_buf_printf(&b, "%s;", paths[i]);
			k++;
		}
	}
	return b.s != NULL ? aas_buf_detach(&b, NULL) : aas_xstrdup("");
}

static unsigned long rnd_state = 16;

static size_t
rnd(size_t n)
{
	rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
	return (size_t)(rnd_state >> 33) % n;
}

/* Bytes paths are made of: token bytes, '.', and a few others. */
static const char path_bytes[] = "abc.-_+ ~\xc3";
/* What a text puts between words. */
static const char text_bytes[] = "abc.-_+ ~\xc3/,()\n:";

static void
rnd_word(struct aas_buf *b, const char *alpha, size_t max)
{
	size_t i, n = 1 + rnd(max);

	for (i = 0; i < n; i++)
		aas_buf_printf(b, "%c", alpha[rnd(strlen(alpha))]);
}

/* Is p a path git takes (no "." or ".." component), and neither a folder
 * of nor in a folder that is one of the n paths in added? */
static int
path_fits(const char *p, char **added, size_t n)
{
	const char *q;
	size_t i, l, la;

	for (q = p; *q != '\0'; q += l + (q[l] == '/')) {
		l = strcspn(q, "/");
		if ((l == 1 && q[0] == '.') || (l == 2 && q[0] == '.' &&
		    q[1] == '.'))
			return 0;
	}
	l = strlen(p);
	for (i = 0; i < n; i++) {
		la = strlen(added[i]);
		if (strcmp(added[i], p) == 0 ||
		    (la < l && strncmp(added[i], p, la) == 0 && p[la] == '/') ||
		    (l < la && strncmp(added[i], p, l) == 0 &&
		    added[i][l] == '/'))
			return 0;
	}
	return 1;
}

/*
 * A repository of random paths at dir (up to n tries; a path git
 * refuses is left out), its file list in tree order (the map), and
 * texts that quote those paths, their base names and parts of them
 * among random bytes: the index and the reference must agree on each.
 * Returns the mismatches; *hits counts the files found.
 */
static int
random_round(const char *rdir, size_t n, size_t ntexts, size_t *hits)
{
	git_repository *r;
	git_index *ix;
	git_oid tid, cid;
	git_signature *sig;
	git_tree *t;
	struct aas_git *g;
	struct aas_context *c;
	struct aas_err e;
	char **paths = NULL, *map, *line, *save, **list, **added = NULL;
	size_t np = 0, i, j, max, nadded = 0;
	int bad = 0;

	git_repository_init(&r, rdir, 0);
	git_repository_index(&ix, r);
	for (i = 0; i < n; i++) {
		struct aas_buf pb = AAS_BUF_INIT;
		git_index_entry ie;
		size_t d = rnd(3);

		for (j = 0; j <= d; j++) {
			if (j > 0)
				aas_buf_printf(&pb, "/");
			rnd_word(&pb, path_bytes, 6);
		}
		if (!path_fits(pb.s, added, nadded)) {
			free(pb.s);
			continue;
		}
		added = aas_xreallocarray(added, nadded + 1, sizeof(*added));
		added[nadded++] = aas_xstrdup(pb.s);
		memset(&ie, 0, sizeof(ie));
		ie.mode = GIT_FILEMODE_BLOB;
		ie.path = pb.s;
		if (git_index_add_from_buffer(ix, &ie, "x\n", 2) != 0)
			bad++;
		free(pb.s);
	}
	for (i = 0; i < nadded; i++)
		free(added[i]);
	free(added);
	if (bad > 0 || git_index_write_tree(&tid, ix) != 0)
		return -1;
	git_index_free(ix);
	git_tree_lookup(&t, r, &tid);
	git_signature_new(&sig, "T", "t@example.invalid", 1767225600, 0);
	git_commit_create(&cid, r, "refs/heads/main", sig, sig, NULL, "r\n",
	    t, 0, NULL);
	git_repository_set_head(r, "refs/heads/main");
	git_signature_free(sig);
	git_tree_free(t);
	git_repository_free(r);

	if (aas_git_open(&g, rdir, &e) == -1)
		return -1;
	map = map_of(g, 1L << 30, "aas-no-such-ctags");
	for (line = strtok_r(map, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		paths = aas_xreallocarray(paths, np + 1, sizeof(*paths));
		paths[np++] = line;
	}
	if (aas_context_open(&c, g, "HEAD", NULL, &e) == -1)
		return -1;
	for (i = 0; i < ntexts; i++) {
		struct aas_buf tb = AAS_BUF_INIT, gb = AAS_BUF_INIT;
		size_t nw = rnd(12);
		char *want;

		aas_buf_printf(&tb, "%s", "");
		for (j = 0; j < nw; j++) {
			const char *p = np > 0 ? paths[rnd(np)] : "abc";
			const char *base = strrchr(p, '/');
			size_t a, l;

			switch (rnd(5)) {
			case 0:
				aas_buf_printf(&tb, "%s", p);
				break;
			case 1:
				aas_buf_printf(&tb, "%s",
				    base != NULL ? base + 1 : p);
				break;
			case 2:
				a = rnd(strlen(p));
				l = 1 + rnd(strlen(p) - a);
				aas_buf_printf(&tb, "%.*s", (int)l, p + a);
				break;
			default:
				rnd_word(&tb, text_bytes, 4);
				break;
			}
			if (rnd(2))
				rnd_word(&tb, text_bytes, 2);
		}
		max = rnd(3) == 0 ? 1 + rnd(3) : 1000;
		want = ref_mentioned(paths, np, tb.s, max);
		list = aas_context_mentioned(c, tb.s, max);
		for (j = 0; list[j] != NULL; j++) {
			aas_buf_printf(&gb, "%s;", list[j]);
			free(list[j]);
			(*hits)++;
		}
		free(list);
		if (strcmp(gb.s != NULL ? gb.s : "", want) != 0) {
			if (bad++ == 0) {
				diag(tb.s);
				diag(want);
				diag(gb.s != NULL ? gb.s : "");
			}
		}
		free(want);
		free(gb.s);
		free(tb.s);
	}
	aas_context_free(c);
	aas_git_close(g);
	free(paths);
	free(map);
	return bad;
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

	plan(15);
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

	{
		size_t hits = 0, round;
		int bad = 0;

		for (round = 0; round < 24 && bad == 0; round++) {
			char *rdir = aas_xasprintf("%s/r%zu", dir, round);

			bad = random_round(rdir, 1 + rnd(60), 200, &hits);
			free(rdir);
		}
		is_int(bad, 0, "mentioned: random paths and texts, the same "
		    "list as the strstr search");
		ok(hits > 1000, "mentioned: the random texts do mention files");
	}

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
