/* git.c: libgit2 wrapper: trees in memory, commits, branches by CAS. */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "aas.h"
#include "git.h"
#include "path.h"
#include "banned.h"

struct aas_git {
	git_repository *repo;
	char	*root;
	char	*common;	/* common git folder, with a trailing slash */
};

struct pending {
	char	*path;
	char	*data;
	size_t	 len;
	unsigned mode;
	int	 del;
};

struct aas_git_tree {
	struct aas_git *g;
	git_tree *base;
	struct pending *p;
	size_t	 np;
	struct aas_path_guard *own;	/* the default guard */
	const struct aas_path_guard *guard;
	json_t	*files;		/* the task's Files field, or NULL */
	char	*undone;	/* a path written, then deleted */
};

int
aas_git_fail(struct aas_err *e, const char *code, const char *what)
{
	const git_error *ge = git_error_last();

	return aas_err_set(e, code, "%s: %s", what,
	    ge != NULL && ge->message != NULL ? ge->message : "unknown error");
}

int
aas_git_open(struct aas_git **gp, const char *dir, struct aas_err *e)
{
	struct aas_git *g;
	git_repository *r;
	const char *wd;
	size_t n;

	if (git_repository_open_ext(&r, dir != NULL ? dir : ".", 0, NULL) != 0)
		return aas_err_set(e, "no_repo", "%s: not in a git repository",
		    dir != NULL ? dir : ".");
	g = aas_xcalloc(1, sizeof(*g));
	g->repo = r;
	wd = git_repository_workdir(r);
	if (wd == NULL)
		wd = git_repository_path(r);
	g->root = aas_xstrdup(wd);
	n = strlen(g->root);
	while (n > 1 && g->root[n - 1] == '/')
		g->root[--n] = '\0';
	g->common = aas_xstrdup(git_repository_commondir(r));
	*gp = g;
	return 0;
}

void
aas_git_close(struct aas_git *g)
{
	if (g == NULL)
		return;
	git_repository_free(g->repo);
	free(g->root);
	free(g->common);
	free(g);
}

const char *
aas_git_root(const struct aas_git *g)
{
	return g->root;
}

int
aas_git_resolve(struct aas_git *g, const char *rev, char out[AAS_GIT_HEX],
    struct aas_err *e)
{
	git_object *o, *c;
	int rc;

	if (git_revparse_single(&o, g->repo, rev) != 0)
		return aas_err_set(e, "bad_rev", "%s: not a commit", rev);
	rc = git_object_peel(&c, o, GIT_OBJECT_COMMIT);
	git_object_free(o);
	if (rc != 0)
		return aas_err_set(e, "bad_rev", "%s: not a commit", rev);
	git_oid_tostr(out, AAS_GIT_HEX, git_object_id(c));
	git_object_free(c);
	return 0;
}

int
aas_git_path_check(const char *path, struct aas_err *e)
{
	return aas_path_check(path, e);
}

int
aas_git_tree_open(struct aas_git *g, const char *base,
    struct aas_git_tree **tp, struct aas_err *e)
{
	struct aas_git_tree *t;
	git_commit *c;
	git_oid id;

	if (git_oid_fromstr(&id, base) != 0 ||
	    git_commit_lookup(&c, g->repo, &id) != 0)
		return aas_err_set(e, "bad_rev", "%s: not a commit", base);
	t = aas_xcalloc(1, sizeof(*t));
	t->g = g;
	if (git_commit_tree(&t->base, c) != 0) {
		git_commit_free(c);
		free(t);
		return aas_git_fail(e, "git", "reading the base tree");
	}
	git_commit_free(c);
	if (aas_path_guard_new(NULL, &t->own, e) == -1) {
		git_tree_free(t->base);
		free(t);
		return -1;
	}
	t->guard = t->own;
	*tp = t;
	return 0;
}

void
aas_git_tree_guard(struct aas_git_tree *t, const struct aas_path_guard *guard,
    json_t *fields)
{
	t->guard = guard != NULL ? guard : t->own;
	json_decref(t->files);
	t->files = json_incref(aas_path_files_field(fields));
}

void
aas_git_tree_free(struct aas_git_tree *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->np; i++) {
		free(t->p[i].path);
		free(t->p[i].data);
	}
	free(t->p);
	git_tree_free(t->base);
	aas_path_guard_free(t->own);
	json_decref(t->files);
	free(t->undone);
	free(t);
}

/*
 * Walk path through the base tree.  0: fine, *ent the final entry (or
 * NULL when absent; caller frees); -1: refused.
 */
static int
walk(struct aas_git_tree *t, const char *path, git_tree_entry **ent,
    struct aas_err *e)
{
	char *prefix;
	const char *c;
	git_tree_entry *te;
	git_filemode_t m;
	int rc;

	*ent = NULL;
	if (aas_git_path_check(path, e) == -1)
		return -1;
	for (c = strchr(path, '/'); ; c = strchr(c + 1, '/')) {
		prefix = c != NULL ? aas_xstrndup(path, (size_t)(c - path)) :
		    aas_xstrdup(path);
		rc = git_tree_entry_bypath(&te, t->base, prefix);
		free(prefix);
		if (rc == GIT_ENOTFOUND)
			return 0;
		if (rc != 0)
			return aas_git_fail(e, "git", path);
		m = git_tree_entry_filemode(te);
		if (m == GIT_FILEMODE_LINK) {
			git_tree_entry_free(te);
			return aas_err_set(e, "path_symlink", "refusing path "
			    "'%s': goes through a symbolic link", path);
		}
		if (c == NULL) {
			if (m == GIT_FILEMODE_TREE || m == GIT_FILEMODE_COMMIT) {
				git_tree_entry_free(te);
				return aas_err_set(e, "path_conflict", "refusing "
				    "path '%s': a folder or submodule", path);
			}
			*ent = te;
			return 0;
		}
		git_tree_entry_free(te);
		if (m != GIT_FILEMODE_TREE)
			return aas_err_set(e, "path_conflict", "refusing path "
			    "'%s': a file is in the way", path);
	}
}

static struct pending *
find_pending(struct aas_git_tree *t, const char *path)
{
	size_t i;

	for (i = 0; i < t->np; i++)
		if (strcmp(t->p[i].path, path) == 0)
			return &t->p[i];
	return NULL;
}

int
aas_git_tree_read(struct aas_git_tree *t, const char *path, char **data,
    size_t *len, unsigned *mode, struct aas_err *e)
{
	struct pending *p;
	git_tree_entry *te;
	git_blob *b;
	size_t n;

	if (walk(t, path, &te, e) == -1)
		return -1;
	if ((p = find_pending(t, path)) != NULL) {
		git_tree_entry_free(te);
		if (p->del)
			return 1;
		*data = aas_xmalloc(p->len + 1);
		memcpy(*data, p->data, p->len);
		(*data)[p->len] = '\0';
		*len = p->len;
		*mode = p->mode;
		return 0;
	}
	if (te == NULL)
		return 1;
	if (git_blob_lookup(&b, t->g->repo, git_tree_entry_id(te)) != 0) {
		git_tree_entry_free(te);
		return aas_git_fail(e, "git", path);
	}
	n = (size_t)git_blob_rawsize(b);
	*data = aas_xmalloc(n + 1);
	memcpy(*data, git_blob_rawcontent(b), n);
	(*data)[n] = '\0';
	*len = n;
	*mode = git_tree_entry_filemode(te) == GIT_FILEMODE_BLOB_EXECUTABLE ?
	    0100755 : 0100644;
	git_blob_free(b);
	git_tree_entry_free(te);
	return 0;
}

/*
 * Would a file at path clash with one written earlier in this tree (a
 * file where a folder must go, or the other way round)?  libgit2 only
 * finds out when the tree is written, as a "D/F conflict" naming no path.
 */
static int
pending_conflict(struct aas_git_tree *t, const char *path, struct aas_err *e)
{
	size_t i, n = strlen(path), m;
	const char *q;
	char *qp, *qq;
	int rc = 0;

	for (i = 0; i < t->np && rc == 0; i++) {
		q = t->p[i].path;
		m = strlen(q);
		if (t->p[i].del || m == n)
			continue;
		if (m < n && strncmp(path, q, m) == 0 && path[m] == '/')
			rc = 1;
		else if (n < m && strncmp(q, path, n) == 0 && q[n] == '/')
			rc = 2;
	}
	if (rc == 0)
		return 0;
	qp = aas_path_quote(path);
	qq = aas_path_quote(t->p[i - 1].path);
	if (rc == 1)
		aas_err_set(e, "path_conflict", "refusing path '%s': a file is "
		    "in the way ('%s', written earlier in the plan)", qp, qq);
	else
		aas_err_set(e, "path_conflict", "refusing path '%s': a folder "
		    "now ('%s' was written earlier in the plan)", qp, qq);
	free(qp);
	free(qq);
	return -1;
}

static struct pending *
add_pending(struct aas_git_tree *t, const char *path)
{
	struct pending *p = find_pending(t, path);

	if (p != NULL) {
		free(p->data);
		p->data = NULL;
		return p;
	}
	t->p = aas_xreallocarray(t->p, t->np + 1, sizeof(*t->p));
	p = &t->p[t->np++];
	memset(p, 0, sizeof(*p));
	p->path = aas_xstrdup(path);
	return p;
}

int
aas_git_tree_put(struct aas_git_tree *t, const char *path, const char *data,
    size_t len, unsigned mode, struct aas_err *e)
{
	struct pending *p;
	git_tree_entry *te;
	unsigned m = 0100644;

	if (walk(t, path, &te, e) == -1)
		return -1;
	if (aas_path_guard_check(t->guard, t->files, path, e) == -1 ||
	    pending_conflict(t, path, e) == -1) {
		git_tree_entry_free(te);
		return -1;
	}
	if ((p = find_pending(t, path)) != NULL && !p->del)
		m = p->mode;
	else if (te != NULL && git_tree_entry_filemode(te) ==
	    GIT_FILEMODE_BLOB_EXECUTABLE)
		m = 0100755;
	git_tree_entry_free(te);
	if (mode != 0)
		m = mode;
	p = add_pending(t, path);
	p->data = aas_xmalloc(len + 1);
	memcpy(p->data, data, len);
	p->data[len] = '\0';
	p->len = len;
	p->mode = m;
	p->del = 0;
	return 0;
}

int
aas_git_tree_remove(struct aas_git_tree *t, const char *path,
    struct aas_err *e)
{
	struct pending *p;
	git_tree_entry *te;

	if (walk(t, path, &te, e) == -1)
		return -1;
	if (aas_path_guard_check(t->guard, t->files, path, e) == -1) {
		git_tree_entry_free(te);
		return -1;
	}
	p = find_pending(t, path);
	if ((p != NULL && p->del) || (p == NULL && te == NULL)) {
		git_tree_entry_free(te);
		return 1;
	}
	if (te == NULL) {
		/* written earlier in this task only: forget it */
		if (t->undone == NULL)
			t->undone = aas_xstrdup(path);
		free(p->path);
		free(p->data);
		*p = t->p[--t->np];
		return 0;
	}
	git_tree_entry_free(te);
	p = add_pending(t, path);
	p->del = 1;
	return 0;
}

struct findname {
	const char *name;
	char	*first;
	int	 n;
};

static int
find_cb(const char *path, unsigned mode, void *arg)
{
	struct findname *f = arg;
	const char *base = strrchr(path, '/');

	(void)mode;
	if (strcmp(base != NULL ? base + 1 : path, f->name) == 0 &&
	    f->n++ == 0)
		f->first = aas_xstrdup(path);
	return 0;
}

int
aas_git_tree_find_name(struct aas_git_tree *t, const char *name,
    char **path, struct aas_err *e)
{
	struct findname f = { name, NULL, 0 };

	if (aas_git_tree_files(t, find_cb, &f, e) != 0) {
		free(f.first);
		return -1;
	}
	if (f.n == 0)
		return 1;
	*path = f.first;
	return f.n == 1 ? 0 : 2;
}

int
aas_git_tree_write(struct aas_git_tree *t, char out[AAS_GIT_HEX],
    struct aas_err *e)
{
	git_tree_update *u;
	git_oid *ids, tid;
	size_t i;
	int rc = -1;

	u = aas_xcalloc(t->np + 1, sizeof(*u));
	ids = aas_xcalloc(t->np + 1, sizeof(*ids));
	for (i = 0; i < t->np; i++) {
		u[i].path = t->p[i].path;
		if (t->p[i].del) {
			u[i].action = GIT_TREE_UPDATE_REMOVE;
			continue;
		}
		if (git_blob_create_from_buffer(&ids[i], t->g->repo,
		    t->p[i].data, t->p[i].len) != 0) {
			aas_git_fail(e, "git", t->p[i].path);
			goto out;
		}
		u[i].action = GIT_TREE_UPDATE_UPSERT;
		u[i].id = ids[i];
		u[i].filemode = t->p[i].mode == 0100755 ?
		    GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
	}
	if (git_tree_create_updated(&tid, t->g->repo, t->base, t->np, u) != 0) {
		aas_git_fail(e, "git", "writing the tree");
		goto out;
	}
	if (git_oid_equal(&tid, git_tree_id(t->base))) {
		char *q = t->undone != NULL ? aas_path_quote(t->undone) : NULL;

		if (q != NULL)
			aas_err_set(e, "empty_change", "no change to commit: "
			    "'%s' is written and then deleted, and no other "
			    "file changes", q);
		else
			aas_err_set(e, "empty_change", "no change to commit: "
			    "every file is as it is in the base");
		free(q);
		goto out;
	}
	git_oid_tostr(out, AAS_GIT_HEX, &tid);
	rc = 0;
out:
	free(u);
	free(ids);
	return rc;
}

/* "Name <email>" into its parts (caller frees); -1 when malformed. */
static int
split_ident(const char *s, char **name, char **email)
{
	const char *lt = strchr(s, '<'), *gt;
	size_t n;

	if (lt == NULL || (gt = strchr(lt, '>')) == NULL || gt[1] != '\0')
		return -1;
	n = (size_t)(lt - s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	if (n == 0 || gt == lt + 1 || memchr(lt + 1, '<', (size_t)(gt - lt - 1)))
		return -1;
	*name = aas_xstrndup(s, n);
	*email = aas_xstrndup(lt + 1, (size_t)(gt - lt - 1));
	return 0;
}

int
aas_git_ident_check(const char *ident, struct aas_err *e)
{
	char *n, *m;

	if (split_ident(ident, &n, &m) == -1)
		return aas_err_set(e, "config", "'%s': not \"Name <email>\"",
		    ident);
	free(n);
	free(m);
	return 0;
}

static int
parse_tz(const char *s, int *minutes)
{
	int sign, h, m;

	while (*s == ' ')
		s++;
	if (*s == 'Z' && s[1] == '\0') {
		*minutes = 0;
		return 0;
	}
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s == '-' ? -1 : 1;
	s++;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	s += 2;
	if (*s == ':')
		s++;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != '\0')
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	*minutes = sign * (h * 60 + m);
	return 0;
}

/* A git date: "@secs [tz]", "secs tz", "YYYY-MM-DD[T ]HH:MM:SS[tz]". */
static int
parse_date(const char *s, git_time_t *when, int *offset)
{
	struct tm tm;
	char *end;
	long long v;
	const char *p;

	*offset = 0;
	while (*s == ' ')
		s++;
	if (*s == '@' || isdigit((unsigned char)*s)) {
		p = *s == '@' ? s + 1 : s;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno == 0 && end != p && (*end == '\0' || *end == ' ') &&
		    (*s == '@' || *end == ' ')) {
			*when = (git_time_t)v;
			while (*end == ' ')
				end++;
			return *end == '\0' ? 0 : parse_tz(end, offset);
		}
	}
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday) != 3 || strlen(s) < 19 || (s[10] != 'T' &&
	    s[10] != ' ') || sscanf(s + 11, "%2d:%2d:%2d", &tm.tm_hour,
	    &tm.tm_min, &tm.tm_sec) != 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*when = (git_time_t)timegm(&tm);
	if (s[19] == '\0')
		return 0;
	if (parse_tz(s + 19, offset) == -1)
		return -1;
	*when -= (git_time_t)*offset * 60;
	return 0;
}

static int
make_sig(struct aas_git *g, const char *ident, const char *datevar,
    git_signature **out, struct aas_err *e)
{
	git_signature *def = NULL;
	char *name = NULL, *email = NULL;
	const char *date = getenv(datevar);
	git_time_t when;
	int off, rc;

	if (ident != NULL) {
		if (split_ident(ident, &name, &email) == -1)
			return aas_err_set(e, "config", "'%s': not \"Name "
			    "<email>\"", ident);
	} else if (git_signature_default(&def, g->repo) == 0) {
		name = aas_xstrdup(def->name);
		email = aas_xstrdup(def->email);
		git_signature_free(def);
	} else {
		name = aas_xstrdup("aas");
		email = aas_xstrdup("aas@localhost");
	}
	if (date != NULL && *date != '\0') {
		if (parse_date(date, &when, &off) == -1) {
			free(name);
			free(email);
			return aas_err_set(e, "config", "$%s: bad date '%s'",
			    datevar, date);
		}
		rc = git_signature_new(out, name, email, when, off);
	} else
		rc = git_signature_now(out, name, email);
	free(name);
	free(email);
	if (rc != 0)
		return aas_git_fail(e, "git", "signature");
	return 0;
}

/* Write a commit of tree with parent (may be NULL); out gets its id. */
static int
write_commit(struct aas_git *g, const git_signature *author,
    const git_signature *committer, const char *encoding, const char *message,
    git_tree *tree, const git_commit *parent, char out[AAS_GIT_HEX],
    struct aas_err *e)
{
	const git_commit *parents[1] = { parent };
	git_oid id;

	if (git_commit_create(&id, g->repo, NULL, author, committer, encoding,
	    message, tree, parent != NULL ? 1 : 0, parents) != 0)
		return aas_git_fail(e, "git", "writing the commit");
	git_oid_tostr(out, AAS_GIT_HEX, &id);
	return 0;
}

int
aas_git_commit(struct aas_git *g, const char *tree, const char *parent,
    const char *message, const char *author, const char *committer,
    char out[AAS_GIT_HEX], struct aas_err *e)
{
	git_signature *a = NULL, *c = NULL;
	git_tree *t = NULL;
	git_commit *p = NULL;
	git_oid id;
	int rc = -1;

	if (make_sig(g, author, "GIT_AUTHOR_DATE", &a, e) == -1 ||
	    make_sig(g, committer, "GIT_COMMITTER_DATE", &c, e) == -1)
		goto out;
	if (git_oid_fromstr(&id, tree) != 0 ||
	    git_tree_lookup(&t, g->repo, &id) != 0) {
		aas_git_fail(e, "git", "tree");
		goto out;
	}
	if (parent != NULL && (git_oid_fromstr(&id, parent) != 0 ||
	    git_commit_lookup(&p, g->repo, &id) != 0)) {
		aas_err_set(e, "bad_rev", "%s: not a commit", parent);
		goto out;
	}
	rc = write_commit(g, a, c, NULL, message, t, p, out, e);
out:
	git_signature_free(a);
	git_signature_free(c);
	git_tree_free(t);
	git_commit_free(p);
	return rc;
}

static char *
refname(const char *name)
{
	return aas_xasprintf("refs/heads/%s", name);
}

/* May name be a branch?  libgit2's refusal names only the reference. */
static int
branch_name_check(const char *name, struct aas_err *e)
{
	char *rn = refname(name);
	const char *p, *c, *why = "git refuses it as a reference name";
	size_t n;
	int valid = 0;

	if (git_reference_name_is_valid(&valid, rn) != 0)
		valid = 0;
	free(rn);
	if (valid)
		return 0;
	for (p = name; ; p = c + 1) {
		c = strchr(p, '/');
		n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (n >= 5 && strncmp(p + n - 5, ".lock", 5) == 0)
			why = "a component ends in .lock";
		if (c == NULL)
			break;
	}
	return aas_err_set(e, "bad_branch", "branch name '%s' is not valid: "
	    "%s", name, why);
}

int
aas_git_branch_get(struct aas_git *g, const char *name,
    char out[AAS_GIT_HEX], struct aas_err *e)
{
	char *rn;
	git_oid id;
	int rc;

	if (branch_name_check(name, e) == -1)
		return -1;
	rn = refname(name);
	rc = git_reference_name_to_id(&id, g->repo, rn);
	free(rn);
	if (rc == GIT_ENOTFOUND)
		return 1;
	if (rc != 0)
		return aas_git_fail(e, "git", name);
	git_oid_tostr(out, AAS_GIT_HEX, &id);
	return 0;
}

/*
 * Ref updates of all aas processes on one repository are serialised by an
 * flock on the common git folder itself (no file is created, and the lock
 * dies with the process).  Before an update the lock files it may take
 * are listed in <common>aas-ref-update, removed after it.  So the file
 * found while holding the flock means its writer was killed mid-update:
 * the lock files it lists are stale and go, and a kill -9 never wedges a
 * branch.
 */
#define MARKER	"aas-ref-update"

static void
recover_stale(struct aas_git *g)
{
	char *m = aas_xasprintf("%s" MARKER, g->common), *data, *p, *nl, *lk;
	size_t len;

	if (aas_read_file(m, &data, &len, NULL) == 0) {
		for (p = data; *p != '\0'; p = nl + 1) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				break;
			*nl = '\0';
			if (*p != '\0' && strstr(p, "..") == NULL &&
			    strlen(p) > 5 && strcmp(p + strlen(p) - 5,
			    ".lock") == 0) {
				lk = aas_xasprintf("%s%s", g->common, p);
				unlink(lk);
				free(lk);
			}
		}
		free(data);
		unlink(m);
	}
	free(m);
}

/* Take the flock, clear what a killed writer left, note our lock files. */
static int
refs_lock(struct aas_git *g, const char *rn, int packed)
{
	int fd = open(g->common, O_RDONLY | O_DIRECTORY | O_CLOEXEC), mfd;
	char *m, *list;

	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1 && errno == EINTR)
		;
	recover_stale(g);
	m = aas_xasprintf("%s" MARKER, g->common);
	list = aas_xasprintf("%s.lock\n%s", rn, packed ?
	    "packed-refs.lock\n" : "");
	mfd = open(m, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (mfd != -1) {
		if (write(mfd, list, strlen(list)) == -1)
			unlink(m);
		close(mfd);
	}
	free(list);
	free(m);
	return fd;
}

static void
refs_unlock(struct aas_git *g, int fd)
{
	char *m = aas_xasprintf("%s" MARKER, g->common);

	unlink(m);
	free(m);
	if (fd != -1)
		close(fd);
}

static void
nap(int attempt)
{
	struct timespec ts = { 0, 5000000L * (attempt + 1) };

	nanosleep(&ts, NULL);
}

int
aas_git_branch_set(struct aas_git *g, const char *name, const char *id,
    const char *expected, const char *logmsg, struct aas_err *e)
{
	git_reference *ref;
	git_oid nid, oid;
	char *rn;
	int rc = GIT_ELOCKED, attempt, fd;

	if (branch_name_check(name, e) == -1)
		return -1;
	rn = refname(name);
	if (git_oid_fromstr(&nid, id) != 0 || (expected != NULL &&
	    git_oid_fromstr(&oid, expected) != 0)) {
		free(rn);
		return aas_err_set(e, "git", "bad object id");
	}
	fd = refs_lock(g, rn, 0);
	for (attempt = 0; attempt < 8 && rc == GIT_ELOCKED; attempt++) {
		if (attempt > 0)
			nap(attempt);
		rc = git_reference_create_matching(&ref, g->repo, rn, &nid,
		    expected != NULL, expected != NULL ? &oid : NULL, logmsg);
	}
	refs_unlock(g, fd);
	free(rn);
	if (rc == 0) {
		git_reference_free(ref);
		return 0;
	}
	if (rc == GIT_EEXISTS)
		return aas_err_set(e, "branch_exists", "branch %s already "
		    "exists", name);
	if (rc == GIT_EMODIFIED || (rc == GIT_ENOTFOUND && expected != NULL))
		return aas_err_set(e, "branch_moved", "branch %s has moved",
		    name);
	if (rc == GIT_ELOCKED)
		return aas_git_fail(e, "locked", name);
	return aas_git_fail(e, "git", name);
}

int
aas_git_branch_delete(struct aas_git *g, const char *name,
    const char *expected, struct aas_err *e)
{
	git_reference *ref;
	git_oid oid;
	char *rn;
	int rc, attempt, fd;

	if (branch_name_check(name, e) == -1)
		return -1;
	rn = refname(name);
	if (git_oid_fromstr(&oid, expected) != 0) {
		free(rn);
		return aas_err_set(e, "git", "bad object id");
	}
	fd = refs_lock(g, rn, 1);
	rc = git_reference_lookup(&ref, g->repo, rn);
	if (rc == GIT_ENOTFOUND) {
		refs_unlock(g, fd);
		free(rn);
		return 1;
	}
	if (rc != 0 || git_reference_type(ref) != GIT_REFERENCE_DIRECT ||
	    !git_oid_equal(git_reference_target(ref), &oid)) {
		if (rc == 0)
			git_reference_free(ref);
		refs_unlock(g, fd);
		free(rn);
		return aas_err_set(e, "branch_moved", "branch %s has moved",
		    name);
	}
	rc = GIT_ELOCKED;
	for (attempt = 0; attempt < 8 && rc == GIT_ELOCKED; attempt++) {
		if (attempt > 0)
			nap(attempt);
		rc = git_reference_delete(ref);
	}
	git_reference_free(ref);
	refs_unlock(g, fd);
	free(rn);
	if (rc == 0)
		return 0;
	if (rc == GIT_EMODIFIED)
		return aas_err_set(e, "branch_moved", "branch %s has moved",
		    name);
	if (rc == GIT_ELOCKED)
		return aas_git_fail(e, "locked", name);
	return aas_git_fail(e, "git", name);
}

/* Does the HEAD file at path name refs/heads/<name>? */
static int
head_is(const char *path, const char *rn)
{
	char buf[4096];
	FILE *f = fopen(path, "re");
	size_t n;
	int hit = 0;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (strncmp(buf, "ref:", 4) == 0) {
		const char *t = buf + 4;

		while (*t == ' ')
			t++;
		hit = strcmp(t, rn) == 0;
	}
	return hit;
}

int
aas_git_branch_checked_out(struct aas_git *g, const char *name,
    char **where, struct aas_err *e)
{
	char *rn = refname(name), *p, *wt;
	struct dirent *de;
	DIR *d;

	(void)e;
	p = aas_xasprintf("%sHEAD", g->common);
	if (head_is(p, rn)) {
		free(rn);
		*where = aas_xstrdup(g->common);
		free(p);
		return 1;
	}
	free(p);
	wt = aas_xasprintf("%sworktrees", g->common);
	d = opendir(wt);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		p = aas_xasprintf("%s/%s/HEAD", wt, de->d_name);
		if (head_is(p, rn)) {
			free(p);
			*where = aas_xasprintf("%s/%s", wt, de->d_name);
			closedir(d);
			free(wt);
			free(rn);
			return 1;
		}
		free(p);
	}
	if (d != NULL)
		closedir(d);
	free(wt);
	free(rn);
	return 0;
}

struct export {
	struct aas_git *g;
	const char *dir;
	struct aas_err *e;
	int	 failed;
};

static int
write_blob(struct export *x, const git_tree_entry *te, const char *path,
    int exec)
{
	git_blob *b;
	const char *p;
	size_t n;
	ssize_t w;
	int fd;

	if (git_blob_lookup(&b, x->g->repo, git_tree_entry_id(te)) != 0)
		return aas_git_fail(x->e, "git", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    exec ? 0755 : 0644);
	if (fd == -1) {
		git_blob_free(b);
		return aas_err_set(x->e, "io", "%s: %s", path, strerror(errno));
	}
	p = git_blob_rawcontent(b);
	n = (size_t)git_blob_rawsize(b);
	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			aas_err_set(x->e, "io", "%s: %s", path,
			    strerror(errno));
			close(fd);
			git_blob_free(b);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	git_blob_free(b);
	if (close(fd) == -1)
		return aas_err_set(x->e, "io", "%s: %s", path, strerror(errno));
	return 0;
}

static int
export_cb(const char *root, const git_tree_entry *te, void *arg)
{
	struct export *x = arg;
	const char *nm = git_tree_entry_name(te);
	git_filemode_t m = git_tree_entry_filemode(te);
	git_blob *b;
	char *path, *target;
	int rc = 0;

	if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 ||
	    strchr(nm, '/') != NULL || strcasecmp(nm, ".git") == 0) {
		aas_err_set(x->e, "path_git", "refusing tree entry '%s%s'",
		    root, nm);
		x->failed = 1;
		return -1;
	}
	path = aas_xasprintf("%s/%s%s", x->dir, root, nm);
	switch (m) {
	case GIT_FILEMODE_TREE:
	case GIT_FILEMODE_COMMIT:
		if (mkdir(path, 0755) == -1)
			rc = aas_err_set(x->e, "io", "%s: %s", path,
			    strerror(errno));
		break;
	case GIT_FILEMODE_LINK:
		if (git_blob_lookup(&b, x->g->repo, git_tree_entry_id(te))
		    != 0) {
			rc = aas_git_fail(x->e, "git", path);
			break;
		}
		target = aas_xstrndup(git_blob_rawcontent(b),
		    (size_t)git_blob_rawsize(b));
		git_blob_free(b);
		if (symlink(target, path) == -1)
			rc = aas_err_set(x->e, "io", "%s: %s", path,
			    strerror(errno));
		free(target);
		break;
	default:
		rc = write_blob(x, te, path, m == GIT_FILEMODE_BLOB_EXECUTABLE);
		break;
	}
	free(path);
	if (rc == -1) {
		x->failed = 1;
		return -1;
	}
	return m == GIT_FILEMODE_COMMIT ? 1 : 0;
}

int
aas_git_export(struct aas_git *g, const char *rev, const char *dir,
    struct aas_err *e)
{
	struct export x = { g, dir, e, 0 };
	git_object *o;
	git_tree *t;
	int rc;

	if (git_revparse_single(&o, g->repo, rev) != 0)
		return aas_err_set(e, "bad_rev", "%s: not a commit", rev);
	rc = git_object_peel((git_object **)&t, o, GIT_OBJECT_TREE);
	git_object_free(o);
	if (rc != 0)
		return aas_err_set(e, "bad_rev", "%s: not a commit", rev);
	if (aas_mkdirs(dir, 0755, e) == -1) {
		git_tree_free(t);
		return -1;
	}
	rc = git_tree_walk(t, GIT_TREEWALK_PRE, export_cb, &x);
	git_tree_free(t);
	if (x.failed)
		return -1;
	if (rc != 0)
		return aas_git_fail(e, "git", "export");
	return 0;
}

static int
diff_line_cb(const git_diff_delta *d, const git_diff_hunk *h,
    const git_diff_line *l, void *arg)
{
	struct aas_buf *b = arg;

	(void)d, (void)h;
	if (l->origin == GIT_DIFF_LINE_CONTEXT ||
	    l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		aas_buf_addc(b, l->origin);
	aas_buf_add(b, l->content, l->content_len);
	return 0;
}

int
aas_git_diff(struct aas_git *g, const char *from, const char *to, char **out,
    size_t *lenp, struct aas_err *e)
{
	git_object *o[2] = { NULL, NULL };
	git_tree *t[2] = { NULL, NULL };
	git_diff *d = NULL;
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	struct aas_buf b = AAS_BUF_INIT;
	const char *rev[2] = { from, to };
	int i, rc = -1;

	for (i = 0; i < 2; i++) {
		if (git_revparse_single(&o[i], g->repo, rev[i]) != 0 ||
		    git_object_peel((git_object **)&t[i], o[i],
		    GIT_OBJECT_TREE) != 0) {
			aas_err_set(e, "bad_rev", "%s: not a commit", rev[i]);
			goto out;
		}
	}
	if (git_diff_tree_to_tree(&d, g->repo, t[0], t[1], &opts) != 0 ||
	    git_diff_print(d, GIT_DIFF_FORMAT_PATCH, diff_line_cb,
	    &b) != 0) {
		aas_git_fail(e, "git", "diff");
		goto out;
	}
	if (b.s == NULL)
		aas_buf_adds(&b, "");
	*out = aas_buf_detach(&b, lenp);
	rc = 0;
out:
	aas_buf_free(&b);
	git_diff_free(d);
	for (i = 0; i < 2; i++) {
		git_tree_free(t[i]);
		git_object_free(o[i]);
	}
	return rc;
}

int
aas_git_descends(struct aas_git *g, const char *id, const char *anc,
    struct aas_err *e)
{
	git_oid a, b;
	int rc;

	if (git_oid_fromstr(&a, id) != 0 || git_oid_fromstr(&b, anc) != 0)
		return aas_err_set(e, "git", "bad object id");
	if (git_oid_equal(&a, &b))
		return 1;
	rc = git_graph_descendant_of(g->repo, &a, &b);
	if (rc < 0)
		return aas_git_fail(e, "git", "history");
	return rc;
}

/* The conflicting regions of a merged text, each after "@@ line N @@". */
static void
conflict_hunks(struct aas_buf *b, const char *s, size_t n, size_t cap)
{
	const char *p = s, *end = s + n, *nl;
	size_t line = 1, start = b->len, len;
	int in = 0;

	for (; p < end; p = nl, line++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		len = (size_t)(nl - p);
		if (!in && len >= 8 && strncmp(p, "<<<<<<< ", 8) == 0) {
			in = 1;
			aas_buf_printf(b, "@@ line %zu @@\n", line);
		}
		if (in) {
			if (b->len - start + len + 6 > cap) {
				aas_buf_adds(b, "(cut)\n");
				return;
			}
			aas_buf_add(b, p, len);
			if (nl == end && p[len - 1] != '\n')
				aas_buf_addc(b, '\n');
		}
		if (in && len >= 8 && strncmp(p, ">>>>>>> ", 8) == 0)
			in = 0;
	}
}

/* One conflicting file: {"path", "hunks"}. */
static json_t *
conflict_entry(struct aas_git *g, const git_index_entry *anc,
    const git_index_entry *ours, const git_index_entry *theirs,
    const char *ours_label, const char *theirs_label, size_t cap)
{
	git_merge_file_options fo = GIT_MERGE_FILE_OPTIONS_INIT;
	git_merge_file_result r;
	struct aas_buf b = AAS_BUF_INIT;
	const char *path = ours != NULL ? ours->path : theirs != NULL ?
	    theirs->path : anc->path;
	json_t *o;
	char *s;

	memset(&r, 0, sizeof(r));
	if (ours == NULL)
		aas_buf_printf(&b, "deleted on %s, changed by %s\n",
		    ours_label, theirs_label);
	else if (theirs == NULL)
		aas_buf_printf(&b, "changed on %s, deleted by %s\n",
		    ours_label, theirs_label);
	else {
		fo.ancestor_label = "base";
		fo.our_label = ours_label;
		fo.their_label = theirs_label;
		fo.flags = GIT_MERGE_FILE_STYLE_DIFF3;
		if (git_merge_file_from_index(&r, g->repo, anc, ours, theirs,
		    &fo) != 0 || r.ptr == NULL)
			aas_buf_adds(&b, "(no text to show: binary, or a "
			    "change of mode or type)\n");
		else
			conflict_hunks(&b, r.ptr, r.len, cap);
		if (b.len == 0)
			aas_buf_adds(&b, "(both sides changed it: no text "
			    "region conflicts, a change of mode or type)\n");
		git_merge_file_result_free(&r);
	}
	s = aas_buf_detach(&b, NULL);
	o = json_pack("{s:s, s:s}", "path", path, "hunks", s);
	free(s);
	return o;
}

static json_t *
conflict_list(struct aas_git *g, git_index *idx, const char *ours_label,
    const char *theirs_label, size_t cap)
{
	git_index_conflict_iterator *it;
	const git_index_entry *a, *o, *t;
	json_t *list = json_array();

	if (git_index_conflict_iterator_new(&it, idx) != 0)
		return list;
	while (json_array_size(list) < AAS_GIT_CONFLICT_FILES &&
	    git_index_conflict_next(&a, &o, &t, it) == 0)
		json_array_append_new(list, conflict_entry(g, a, o, t,
		    ours_label, theirs_label, cap));
	git_index_conflict_iterator_free(it);
	return list;
}

int
aas_git_pick(struct aas_git *g, const char *commit, const char *onto,
    const char *committer, const char *ours_label, const char *theirs_label,
    size_t cap, json_t **conflicts, char out[AAS_GIT_HEX], struct aas_err *e)
{
	git_commit *c = NULL, *o = NULL;
	git_index *idx = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_oid id, tid;
	int rc = -1;

	*conflicts = NULL;
	if (git_oid_fromstr(&id, commit) != 0 ||
	    git_commit_lookup(&c, g->repo, &id) != 0)
		return aas_err_set(e, "bad_rev", "%s: not a commit", commit);
	if (git_oid_fromstr(&id, onto) != 0 ||
	    git_commit_lookup(&o, g->repo, &id) != 0) {
		aas_err_set(e, "bad_rev", "%s: not a commit", onto);
		goto out;
	}
	if (git_cherrypick_commit(&idx, g->repo, c, o, 0, NULL) != 0) {
		aas_git_fail(e, "git", "merging");
		goto out;
	}
	if (git_index_has_conflicts(idx)) {
		*conflicts = conflict_list(g, idx, ours_label, theirs_label,
		    cap);
		rc = 1;
		goto out;
	}
	if (git_index_write_tree_to(&tid, idx, g->repo) != 0) {
		aas_git_fail(e, "git", "writing the merged tree");
		goto out;
	}
	if (git_oid_equal(&tid, git_commit_tree_id(o))) {
		memcpy(out, onto, AAS_GIT_HEX);
		rc = 2;
		goto out;
	}
	if (make_sig(g, committer, "GIT_COMMITTER_DATE", &sig, e) == -1)
		goto out;
	if (git_tree_lookup(&tree, g->repo, &tid) != 0) {
		aas_git_fail(e, "git", "tree");
		goto out;
	}
	rc = write_commit(g, git_commit_author(c), sig,
	    git_commit_message_encoding(c), git_commit_message(c), tree, o, out,
	    e);
out:
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(idx);
	git_commit_free(o);
	git_commit_free(c);
	return rc;
}

struct files_walk {
	int	(*cb)(const char *, unsigned, void *);
	void	*arg;
	int	 rc;
};

static int
files_cb(const char *root, const git_tree_entry *te, void *arg)
{
	struct files_walk *w = arg;
	git_filemode_t m = git_tree_entry_filemode(te);
	char *path;

	if (m == GIT_FILEMODE_COMMIT)
		return 1;
	if (m != GIT_FILEMODE_BLOB && m != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0;
	path = aas_xasprintf("%s%s", root, git_tree_entry_name(te));
	w->rc = w->cb(path, m == GIT_FILEMODE_BLOB_EXECUTABLE ? 0100755 :
	    0100644, w->arg);
	free(path);
	return w->rc != 0 ? -1 : 0;
}

int
aas_git_tree_files(struct aas_git_tree *t,
    int (*cb)(const char *path, unsigned mode, void *arg), void *arg,
    struct aas_err *e)
{
	struct files_walk w = { cb, arg, 0 };
	int rc;

	rc = git_tree_walk(t->base, GIT_TREEWALK_PRE, files_cb, &w);
	if (w.rc != 0)
		return w.rc;
	if (rc != 0)
		return aas_git_fail(e, "git", "walking the tree");
	return 0;
}
