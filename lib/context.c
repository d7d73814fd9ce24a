/* context.c: a commit's files, map and mentions for a prompt. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "child.h"
#include "config.h"
#include "context.h"
#include "git.h"
#include "integrate.h"
#include "banned.h"

/* Files larger than this are listed but not given to ctags. */
#define CTAGS_FILE_MAX	(1024 * 1024)
#define CTAGS_TIMEOUT_MS	60000
/* Room for the map's last line, "(N more files)". */
#define MORE_MAX	24

struct file {
	char	*path;
	char	*defs;		/* " foo bar" from ctags, or NULL */
	size_t	 depth;		/* the folders above it */
	int	 show;		/* 0 not in the map, 1 its path, 2 with defs */
};

/*
 * The mention index: every path and base name (3 bytes or more) made
 * only of token bytes (name_char or '.') is a key of an open-addressing
 * hash table; a key lists the files it names (postings).  The other
 * words, which a token cannot hold, are searched with strstr.  A stamp
 * (gen) marks what one call has already counted.
 */
struct mkey {
	const char *s;
	size_t	 len;
	uint64_t h;
	size_t	 head;		/* first posting + 1; 0: none */
	unsigned seen;
};

struct mpost {
	size_t	 file;
	size_t	 next;		/* next posting + 1; 0: none */
};

struct modd {
	size_t	 file;
	const char *w;
};

struct mindex {
	int	 built;
	struct mkey *k;
	size_t	 nk;
	struct mpost *p;
	size_t	 np;
	size_t	*tab;		/* key + 1; 0: empty */
	size_t	 mask;
	size_t	 maxlen;
	struct modd *odd;
	size_t	 nodd;
	unsigned *fseen;
	unsigned gen;
	size_t	*hit;
};

struct aas_context {
	struct aas_git *g, *own;
	struct aas_git_tree *t;
	char	 commit[AAS_GIT_HEX];
	long	 budget;
	char	*ctags;
	char	*tmpdir;
	struct file *f;
	size_t	 nf;
	int	 listed;
	char	*map;
	struct mindex mi;
};

int
aas_context_open(struct aas_context **cp, struct aas_git *g, const char *rev,
    const struct aas_context_opts *o, struct aas_err *e)
{
	struct aas_context *c;

	c = aas_xcalloc(1, sizeof(*c));
	c->g = g;
	if (aas_git_resolve(g, rev, c->commit, e) == -1 ||
	    aas_git_tree_open(g, c->commit, &c->t, e) == -1) {
		free(c);
		return -1;
	}
	c->budget = o != NULL ? o->map_budget : AAS_CONTEXT_MAP_BUDGET;
	c->ctags = aas_xstrdup(o != NULL && o->ctags != NULL ? o->ctags :
	    "ctags");
	if (o != NULL && o->tmpdir != NULL)
		c->tmpdir = aas_xstrdup(o->tmpdir);
	*cp = c;
	return 0;
}

int
aas_context_setup(struct aas_context **cp, const char *root,
    const struct aas_config *cf, const char *base, int integrate,
    struct aas_err *e)
{
	struct aas_context_opts o = { AAS_CONTEXT_MAP_BUDGET, NULL, NULL };
	struct aas_git *g;
	const char *rev = "HEAD", *name;
	char tip[AAS_GIT_HEX];
	long long v;
	int asked = base != NULL || integrate, rc;

	*cp = NULL;
	if ((rc = aas_config_int(cf, "context.map_budget", &v, e)) == -1)
		return -1;
	if (rc == 0)
		o.map_budget = (long)v;
	if (base == NULL && aas_config_str(cf, "apply.base", &base, e) == -1)
		return -1;
	if (base != NULL)
		rev = base;
	if (integrate && aas_integrate_name(cf, &name, e) == -1)
		return -1;
	if (root == NULL || aas_git_open(&g, root, e) == -1) {
		if (!asked)
			return 0;
		if (root == NULL)
			aas_err_set(e, "no_repo", "not in a git repository");
		return -1;
	}
	if (aas_git_resolve(g, rev, tip, e) == -1 || (integrate &&
	    aas_integrate_tip(g, name, tip, 0, tip, e) == -1)) {
		aas_git_close(g);
		if (!asked)
			return 0;
		aas_err_prefix(e, integrate ? "--integrate" : "--base");
		return -1;
	}
	if (aas_context_open(cp, g, tip, &o, e) == -1) {
		aas_git_close(g);
		return -1;
	}
	(*cp)->own = g;
	return 0;
}

void
aas_context_free(struct aas_context *c)
{
	size_t i;

	if (c == NULL)
		return;
	aas_git_tree_free(c->t);
	aas_git_close(c->own);
	for (i = 0; i < c->nf; i++) {
		free(c->f[i].path);
		free(c->f[i].defs);
	}
	free(c->f);
	free(c->ctags);
	free(c->tmpdir);
	free(c->map);
	free(c->mi.k);
	free(c->mi.p);
	free(c->mi.tab);
	free(c->mi.odd);
	free(c->mi.fseen);
	free(c->mi.hit);
	free(c);
}

const char *
aas_context_commit(const struct aas_context *c)
{
	return c->commit;
}

int
aas_context_read(struct aas_context *c, const char *path, char **data,
    size_t *len, struct aas_err *e)
{
	unsigned mode;

	return aas_git_tree_read(c->t, path, data, len, &mode, e);
}

static int
list_cb(const char *path, unsigned mode, void *arg)
{
	struct aas_context *c = arg;

	(void)mode;
	if (aas_git_path_check(path, NULL) == -1)
		return 0;	/* nothing a prompt could read anyway */
	c->f = aas_xreallocarray(c->f, c->nf + 1, sizeof(*c->f));
	memset(&c->f[c->nf], 0, sizeof(c->f[0]));
	c->f[c->nf].path = aas_xstrdup(path);
	for (; *path != '\0'; path++)
		c->f[c->nf].depth += *path == '/';
	c->nf++;
	return 0;
}

static void
list_files(struct aas_context *c)
{
	if (c->listed)
		return;
	c->listed = 1;
	(void)aas_git_tree_files(c->t, list_cb, c, NULL);
}

static struct file *
find_file(struct aas_context *c, const char *path, size_t n)
{
	size_t i;

	for (i = 0; i < c->nf; i++)
		if (strncmp(c->f[i].path, path, n) == 0 &&
		    c->f[i].path[n] == '\0')
			return &c->f[i];
	return NULL;
}

/* A top-level definition worth a line of the map. */
static int
wanted_kind(const char *k, size_t n)
{
	static const char *const kinds[] = { "function", "prototype",
	    "class", "struct", "union", "enum", "typedef", "interface",
	    "module", "namespace", "type", "subroutine", "method", "trait",
	    "implementation", NULL };
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strlen(kinds[i]) == n && strncmp(kinds[i], k, n) == 0)
			return 1;
	return 0;
}

/* One line of ctags' tags file: name, file, address;" kind, fields. */
static void
tags_line(struct aas_context *c, char *line, struct file **last)
{
	char *name = line, *file, *addr, *ext, *kind, *p, *tab;
	size_t kn;
	struct file *f;
	struct aas_buf b = AAS_BUF_INIT;

	if (strncmp(line, "!_", 2) == 0 || (file = strchr(name, '\t')) == NULL)
		return;
	*file++ = '\0';
	if ((addr = strchr(file, '\t')) == NULL)
		return;
	*addr++ = '\0';
	if ((ext = strstr(addr, ";\"\t")) == NULL)
		return;
	kind = ext + 3;
	kn = strcspn(kind, "\t");
	if (memchr(kind, ':', kn) != NULL || !wanted_kind(kind, kn))
		return;
	for (p = kind + kn; *p == '\t'; p = tab) {
		p++;
		if (strncmp(p, "scope:", 6) == 0)
			return;
		tab = p + strcspn(p, "\t");
	}
	f = *last != NULL && strcmp((*last)->path, file) == 0 ? *last :
	    find_file(c, file, strlen(file));
	if (f == NULL || *name == '\0' || strchr(name, ' ') != NULL ||
	    strncmp(name, "__anon", 6) == 0)	/* ctags' unnamed types */
		return;
	*last = f;
	if (f->defs != NULL) {
		/* the same name twice (a prototype and its function) */
		const char *s = f->defs;
		size_t n = strlen(name);

		while ((s = strstr(s, name)) != NULL) {
			if (s[-1] == ' ' && (s[n] == ' ' || s[n] == '\0'))
				return;
			s += n;
		}
		aas_buf_adds(&b, f->defs);
		free(f->defs);
	}
	aas_buf_printf(&b, " %s", name);
	f->defs = aas_buf_detach(&b, NULL);
}

/* Write file i of the tree under dir for ctags; 0 or -1 (skipped). */
static int
put_copy(struct aas_context *c, const char *dir, const char *path)
{
	char *data, *full, *slash;
	size_t len;
	int fd, rc;

	if (aas_context_read(c, path, &data, &len, NULL) != 0)
		return -1;
	if (len > CTAGS_FILE_MAX) {
		free(data);
		return -1;
	}
	full = aas_xasprintf("%s/%s", dir, path);
	slash = strrchr(full, '/');
	*slash = '\0';
	rc = aas_mkdirs(full, 0700, NULL);
	*slash = '/';
	fd = rc == -1 ? -1 : open(full, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	rc = fd == -1 || aas_write_all(fd, data, len) == -1 ? -1 : 0;
	if (fd != -1 && close(fd) == -1)
		rc = -1;
	free(full);
	free(data);
	return rc;
}

/* A file's place in the map: shallower files first, then tree order. */
struct rank {
	size_t	 depth, i;
};

/*
 * ctags on copies of the first n files of ord: each file's definitions.
 * Any failure leaves the files without (the plain list).
 */
static void
run_ctags(struct aas_context *c, const struct rank *ord, size_t n)
{
	const char *tmp = c->tmpdir != NULL ? c->tmpdir : getenv("TMPDIR");
	struct aas_spawn sp;
	struct aas_spawn_res res;
	struct aas_buf list = AAS_BUF_INIT;
	struct file *last = NULL;
	char *dir, *src, *listf, *tagsf, *lf, *tags, *line, *nl, *prog;
	size_t i, len;
	int fd;

	if ((prog = aas_spawn_which(c->ctags)) == NULL)
		return;
	if (tmp == NULL || *tmp != '/')
		tmp = "/tmp";
	dir = aas_xasprintf("%s/aas-ctags.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		free(dir);
		free(prog);
		return;
	}
	src = aas_xasprintf("%s/src", dir);
	listf = aas_xasprintf("%s/files", dir);
	tagsf = aas_xasprintf("%s/tags", dir);
	if (aas_mkdirs(src, 0700, NULL) == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (put_copy(c, src, c->f[ord[i].i].path) == 0)
			aas_buf_printf(&list, "%s\n", c->f[ord[i].i].path);
	if (list.len == 0)
		goto out;
	fd = open(listf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		goto out;
	if (aas_write_all(fd, list.s, list.len) == -1) {
		close(fd);
		goto out;
	}
	close(fd);
	lf = aas_xasprintf("-L%s", listf);
	tags = aas_xasprintf("-f%s", tagsf);
	{
		char *argv[] = { prog, "--options=NONE", "--links=no",
		    "--sort=no", "--excmd=number", "--fields=+KZ",
		    "--kinds-C=+p", "--kinds-C++=+p", tags, lf, NULL };
		char *unset[] = { "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
		    NULL };

		memset(&sp, 0, sizeof(sp));
		sp.argv = argv;
		sp.cwd = src;
		sp.env_unset = unset;
		sp.timeout_ms = CTAGS_TIMEOUT_MS;
		sp.cap = 4096;
		if (aas_spawn_run(&sp, &res, NULL) == 0) {
			if (res.exit == 0 && aas_read_file(tagsf, &line, &len,
			    NULL) == 0) {
				char *s = line;

				for (; *s != '\0'; s = nl + 1) {
					nl = strchr(s, '\n');
					if (nl != NULL)
						*nl = '\0';
					tags_line(c, s, &last);
					if (nl == NULL)
						break;
				}
				free(line);
			}
			aas_spawn_res_free(&res);
		}
	}
	free(lf);
	free(tags);
out:
	(void)aas_rmtree(dir, NULL);
	aas_buf_free(&list);
	free(tagsf);
	free(listf);
	free(src);
	free(dir);
	free(prog);
}

static int
rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

const char *
aas_context_map(struct aas_context *c)
{
	struct aas_buf b = AAS_BUF_INIT;
	struct rank *ord;
	struct file *f;
	size_t budget, used = 0, i, n, *after, full, bare;

	if (c->map != NULL)
		return c->map;
	list_files(c);
	if (c->budget <= 0 || c->nf == 0) {
		c->map = aas_xstrdup("");
		return c->map;
	}
	budget = (size_t)c->budget * 4;
	ord = aas_xcalloc(c->nf, sizeof(*ord));
	for (i = 0; i < c->nf; i++) {
		ord[i].depth = c->f[i].depth;
		ord[i].i = i;
	}
	qsort(ord, c->nf, sizeof(*ord), rank_cmp);
	/* every path when they fit; else the paths that fit in half the
	 * budget, the rest for definitions and the last line */
	for (n = 0; n < c->nf; n++)
		used += strlen(c->f[n].path) + 1;
	if (used > budget) {
		used = 0;
		for (n = 0; n < c->nf; n++) {
			bare = strlen(c->f[ord[n].i].path) + 1;
			if (used + bare > budget / 2 ||
			    used + bare + MORE_MAX > budget)
				break;
			used += bare;
		}
	}
	run_ctags(c, ord, n);
	after = aas_xcalloc(n + 1, sizeof(*after));
	for (i = n; i > 0; i--)
		after[i - 1] = after[i] + strlen(c->f[ord[i - 1].i].path) + 1;
	used = 0;
	for (i = 0; i < n; i++) {
		f = &c->f[ord[i].i];
		bare = strlen(f->path) + 1;
		full = bare + (f->defs != NULL ? strlen(f->defs) + 1 : 0);
		f->show = 1;
		if (f->defs != NULL && used + full + after[i + 1] +
		    (n < c->nf ? MORE_MAX : 0) <= budget) {
			f->show = 2;
			used += full;
		} else
			used += bare;
	}
	for (i = 0; i < c->nf; i++) {
		f = &c->f[i];
		if (f->show == 2)
			aas_buf_printf(&b, "%s:%s\n", f->path, f->defs);
		else if (f->show == 1)
			aas_buf_printf(&b, "%s\n", f->path);
	}
	free(after);
	free(ord);
	if (n < c->nf)
		aas_buf_printf(&b, "(%zu more files)\n", c->nf - n);
	c->map = b.s != NULL ? aas_buf_detach(&b, NULL) : aas_xstrdup("");
	return c->map;
}

static int
name_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '/' ||
	    (unsigned char)ch >= 0x80;
}

/* Does word stand alone in text (not inside a longer name or path)? */
static int
stands_alone(const char *text, const char *word)
{
	const char *s = text;
	size_t n = strlen(word);

	while ((s = strstr(s, word)) != NULL) {
		const char *end = s + n;

		if ((s == text || (!name_char((unsigned char)s[-1]) &&
		    s[-1] != '.')) && !name_char((unsigned char)*end) &&
		    !(*end == '.' && name_char((unsigned char)end[1])))
			return 1;
		s++;
	}
	return 0;
}

static int
token_char(int ch)
{
	return ch != '\0' && (name_char(ch) || ch == '.');
}

/* FNV-1a, one byte more. */
static uint64_t
hash_step(uint64_t h, unsigned char ch)
{
	return (h ^ ch) * 0x100000001b3ULL;
}

#define HASH_INIT	0xcbf29ce484222325ULL

static struct mkey *
key_find(struct mindex *m, const char *s, size_t len, uint64_t h)
{
	size_t j, x;

	for (j = h & m->mask; (x = m->tab[j]) != 0; j = (j + 1) & m->mask) {
		struct mkey *k = &m->k[x - 1];

		if (k->h == h && k->len == len && memcmp(k->s, s, len) == 0)
			return k;
	}
	return NULL;
}

static void
index_word(struct mindex *m, size_t file, const char *w)
{
	struct mkey *k;
	uint64_t h = HASH_INIT;
	size_t len, j;

	for (len = 0; w[len] != '\0'; len++) {
		if (!token_char((unsigned char)w[len])) {
			m->odd = aas_xreallocarray(m->odd, m->nodd + 1,
			    sizeof(*m->odd));
			m->odd[m->nodd].file = file;
			m->odd[m->nodd++].w = w;
			return;
		}
		h = hash_step(h, (unsigned char)w[len]);
	}
	if ((k = key_find(m, w, len, h)) == NULL) {
		k = &m->k[m->nk++];
		k->s = w;
		k->len = len;
		k->h = h;
		for (j = h & m->mask; m->tab[j] != 0; j = (j + 1) & m->mask)
			;
		m->tab[j] = m->nk;
		if (len > m->maxlen)
			m->maxlen = len;
	}
	m->p[m->np].file = file;
	m->p[m->np].next = k->head;
	k->head = ++m->np;
}

static void
index_build(struct aas_context *c)
{
	struct mindex *m = &c->mi;
	const char *base;
	size_t i, n = 1;

	m->built = 1;
	while (n < 4 * c->nf + 4)
		n *= 2;
	m->tab = aas_xcalloc(n, sizeof(*m->tab));
	m->mask = n - 1;
	m->k = aas_xcalloc(2 * c->nf + 1, sizeof(*m->k));
	m->p = aas_xcalloc(2 * c->nf + 1, sizeof(*m->p));
	m->fseen = aas_xcalloc(c->nf + 1, sizeof(*m->fseen));
	m->hit = aas_xcalloc(c->nf + 1, sizeof(*m->hit));
	for (i = 0; i < c->nf; i++) {
		index_word(m, i, c->f[i].path);
		base = strrchr(c->f[i].path, '/');
		if (base != NULL && strlen(base + 1) >= 3)
			index_word(m, i, base + 1);
	}
}

/* A new call: stamps from earlier calls no longer count. */
static void
index_next(struct mindex *m, size_t nf)
{
	size_t i;

	if (++m->gen != 0)
		return;
	for (i = 0; i < m->nk; i++)
		m->k[i].seen = 0;
	memset(m->fseen, 0, nf * sizeof(*m->fseen));
	m->gen = 1;
}

/* The files of key k not yet counted, added to m->hit[nh...]. */
static size_t
key_hits(struct mindex *m, struct mkey *k, size_t nh)
{
	size_t i, j;

	if (k->seen == m->gen)
		return nh;
	k->seen = m->gen;
	for (j = k->head; j != 0; j = m->p[j - 1].next) {
		i = m->p[j - 1].file;
		if (m->fseen[i] != m->gen) {
			m->fseen[i] = m->gen;
			m->hit[nh++] = i;
		}
	}
	return nh;
}

static int
size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * One pass over text: a word standing alone starts a token (a run of
 * token bytes, so the byte before it is neither a name byte nor '.') and
 * ends where the old test's right edge holds; each such prefix of each
 * token is looked up.  The words with other bytes go through
 * stands_alone.  The files found are sorted into tree order.
 */
char **
aas_context_mentioned(struct aas_context *c, const char *text, size_t max)
{
	struct mindex *m = &c->mi;
	struct mkey *k;
	const unsigned char *t = (const unsigned char *)text, *s;
	char **out;
	uint64_t h;
	size_t i, j, len, nh = 0;

	list_files(c);
	out = aas_xcalloc(max + 1, sizeof(*out));
	if (text == NULL || max == 0 || c->nf == 0)
		return out;
	if (!m->built)
		index_build(c);
	index_next(m, c->nf);
	for (s = t; *s != '\0'; s++) {
		if (!token_char(*s) || (s > t && token_char(s[-1])))
			continue;
		h = HASH_INIT;
		for (len = 1; len <= m->maxlen; len++) {
			h = hash_step(h, s[len - 1]);
			if (!name_char(s[len]) &&
			    !(s[len] == '.' && name_char(s[len + 1])) &&
			    (k = key_find(m, (const char *)s, len, h)) != NULL)
				nh = key_hits(m, k, nh);
			if (!token_char(s[len]))
				break;
		}
	}
	for (j = 0; j < m->nodd; j++) {
		i = m->odd[j].file;
		if (m->fseen[i] != m->gen && stands_alone(text, m->odd[j].w)) {
			m->fseen[i] = m->gen;
			m->hit[nh++] = i;
		}
	}
	qsort(m->hit, nh, sizeof(*m->hit), size_cmp);
	for (i = 0; i < nh && i < max; i++)
		out[i] = aas_xstrdup(c->f[m->hit[i]].path);
	return out;
}
