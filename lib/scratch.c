/* scratch.c: a commit's tree as plain files; guarded branch deletion. */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <git2.h>

#include "aas.h"
#include "git.h"
#include "scratch.h"
#include "banned.h"

void
aas_scratch_ignore(const char *dir)
{
	char *path = aas_xasprintf("%s/.gitignore", dir);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd != -1) {
		if (write(fd, "*\n", 2) != 2)
			unlink(path);
		close(fd);
	}
	free(path);
}

char *
aas_scratch_mkdir(const char *parent, const char *name, struct aas_err *e)
{
	struct stat sb;
	char safe[65], *path;
	size_t i;
	int fresh = stat(parent, &sb) == -1 && errno == ENOENT;

	if (aas_mkdirs(parent, 0755, e) == -1)
		return NULL;
	if (fresh)
		aas_scratch_ignore(parent);
	for (i = 0; name != NULL && name[i] != '\0' && i < sizeof(safe) - 1;
	    i++) {
		unsigned char c = (unsigned char)name[i];

		safe[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && i > 0) ? (char)c : '_';
	}
	if (i == 0)
		safe[i++] = '_';
	safe[i] = '\0';
	path = aas_xasprintf("%s/%s.XXXXXX", parent, safe);
	if (mkdtemp(path) == NULL) {
		aas_err_set(e, "scratch", "%s: cannot make folder: %s", parent,
		    strerror(errno));
		free(path);
		return NULL;
	}
	return path;
}

/* A file of the tree, written after the walk. */
struct blob_ent {
	char		*path;
	git_oid		 id;
	git_filemode_t	 mode;
};

struct walk {
	git_repository	*repo;
	const char	*dir;
	struct aas_err	*e;
	int		 failed;
	struct blob_ent	*v;		/* the files, in walk order */
	size_t		 n, cap;
};

static int
bad_name(const char *n)
{
	return *n == '\0' || strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
	    strcasecmp(n, ".git") == 0 || strchr(n, '/') != NULL;
}

static int
write_blob(git_repository *repo, const struct blob_ent *b, struct aas_err *e)
{
	git_blob *blob;
	const char *data, *path = b->path;
	char *target;
	size_t n;
	int fd, rc = 0;
	git_filemode_t mode = b->mode;

	if (git_blob_lookup(&blob, repo, &b->id) < 0)
		return aas_git_fail(e, "scratch", path);
	data = git_blob_rawcontent(blob);
	n = (size_t)git_blob_rawsize(blob);
	if (mode == GIT_FILEMODE_LINK) {
		target = aas_xstrndup(data, n);
		if (symlink(target, path) == -1)
			rc = aas_err_set(e, "scratch", "%s: %s", path,
			    strerror(errno));
		free(target);
		git_blob_free(blob);
		return rc;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
	if (fd == -1 || aas_write_all(fd, data, n) == -1)
		rc = aas_err_set(e, "scratch", "%s: %s", path,
		    strerror(errno));
	if (fd != -1 && close(fd) == -1 && rc == 0)
		rc = aas_err_set(e, "scratch", "%s: %s", path,
		    strerror(errno));
	git_blob_free(blob);
	return rc;
}

static int
walk_cb(const char *root, const git_tree_entry *te, void *arg)
{
	struct walk *w = arg;
	const char *name = git_tree_entry_name(te);
	char *path;
	int rc = 0;

	if (bad_name(name)) {
		aas_err_set(w->e, "bad_tree", "tree entry '%s%s' refused", root,
		    name);
		w->failed = 1;
		return -1;
	}
	path = aas_xasprintf("%s/%s%s", w->dir, root, name);
	switch (git_tree_entry_type(te)) {
	case GIT_OBJECT_TREE:
	case GIT_OBJECT_COMMIT:		/* a submodule: an empty folder */
		if (mkdir(path, 0755) == -1)
			rc = aas_err_set(w->e, "scratch", "%s: %s", path,
			    strerror(errno));
		break;
	case GIT_OBJECT_BLOB:
		/* written after the walk, when every folder is made */
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 256;
			w->v = aas_xreallocarray(w->v, w->cap, sizeof(*w->v));
		}
		w->v[w->n].path = path;
		git_oid_cpy(&w->v[w->n].id, git_tree_entry_id(te));
		w->v[w->n].mode = git_tree_entry_filemode(te);
		w->n++;
		path = NULL;
		break;
	default:
		break;
	}
	free(path);
	if (rc != 0) {
		w->failed = 1;
		return -1;
	}
	/* a submodule has no tree here to walk into */
	return git_tree_entry_type(te) == GIT_OBJECT_COMMIT ? 1 : 0;
}

static int
hex_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n >= 4 && n <= GIT_OID_HEXSZ && s[n] == '\0';
}

/* The repository at repo_path and the tree of its commit (a hex id):
 * 0 with *repop and *treep (caller frees both), or -1. */
static int
open_tree(const char *repo_path, const char *commit, git_repository **repop,
    git_tree **treep, struct aas_err *e)
{
	git_object *obj = NULL;
	git_commit *c = NULL;
	int rc = 0;

	*repop = NULL;
	*treep = NULL;
	if (commit == NULL || !hex_id(commit))
		return aas_err_set(e, "scratch", "commit '%s' is not a hex id",
		    commit != NULL ? commit : "");
	if (git_repository_open_ext(repop, repo_path,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return aas_git_fail(e, "scratch", repo_path);
	if (git_revparse_single(&obj, *repop, commit) < 0 ||
	    git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0 ||
	    git_commit_tree(treep, c) < 0) {
		rc = aas_git_fail(e, "scratch", commit);
		git_repository_free(*repop);
		*repop = NULL;
	}
	git_commit_free(c);
	git_object_free(obj);
	return rc;
}

/* One writer of the files: every step-th one, from first. */
struct writer {
	const char	*repo_path;
	git_repository	*repo;		/* NULL: its own is opened */
	struct walk	*w;
	size_t		 first, step;
	struct aas_err	 e;
	int		 rc;
};

static void *
write_blobs(void *arg)
{
	struct writer *wr = arg;
	git_repository *repo = wr->repo;
	size_t i;

	if (repo == NULL && git_repository_open_ext(&repo, wr->repo_path,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		wr->rc = aas_git_fail(&wr->e, "scratch", wr->repo_path);
		return NULL;
	}
	for (i = wr->first; i < wr->w->n && wr->rc == 0; i += wr->step)
		wr->rc = write_blob(repo, &wr->w->v[i], &wr->e);
	if (repo != wr->repo)
		git_repository_free(repo);
	return NULL;
}

/*
 * The files of a tree of many go out from two threads, each with its own
 * handle on the repository (libgit2's objects are not shared between
 * threads): on this machine's ext4 the checkout of 400 files was
 * nearly all of a task's set-up, and its system calls wait for the
 * disk more than for the processor.
 */
#define TWO_WRITERS	64

int
aas_scratch_checkout(const char *repo_path, const char *commit,
    const char *dir, struct aas_err *e)
{
	git_repository *repo;
	git_tree *tree;
	struct walk w;
	struct writer wr[2];
	pthread_t th;
	size_t i;
	int rc = 0, two = 0;

	if (open_tree(repo_path, commit, &repo, &tree, e) == -1)
		return -1;
	memset(&w, 0, sizeof(w));
	w.repo = repo;
	w.dir = dir;
	w.e = e;
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w) < 0)
		rc = w.failed ? -1 : aas_git_fail(e, "scratch", commit);
	git_tree_free(tree);
	memset(wr, 0, sizeof(wr));
	for (i = 0; i < 2; i++) {
		wr[i].repo_path = repo_path;
		wr[i].w = &w;
		wr[i].first = i;
		wr[i].step = 2;
	}
	wr[0].repo = repo;
	if (rc == 0 && w.n >= TWO_WRITERS &&
	    (git_libgit2_features() & GIT_FEATURE_THREADS))
		two = aas_thread_start(&th, write_blobs, &wr[1]) == 0;
	if (!two)
		wr[0].step = 1;
	if (rc == 0) {
		write_blobs(&wr[0]);
		if (two)
			pthread_join(th, NULL);
		/* the first failure of the two, as one writer would say */
		for (i = 0; i < 2 && rc == 0; i++)
			if (wr[i].rc != 0) {
				*e = wr[i].e;
				rc = -1;
			}
	}
	for (i = 0; i < w.n; i++)
		free(w.v[i].path);
	free(w.v);
	git_repository_free(repo);
	return rc;
}

/* Deepest folder given its mode back; one descriptor per level. */
#define UNLOCK_DEPTH	256

/* Give the folder name (in the folder dfd) mode 0700, through an O_PATH
 * descriptor so that a link swapped in is never followed, then the same
 * for the folders in it. */
static void
unlock(int dfd, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	char proc[64];
	int fd;

	fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (chmod(proc, 0700) == -1 && errno == ENOENT)
		(void)fchmodat(dfd, name, 0700, 0);
	close(fd);
	if (depth >= UNLOCK_DEPTH)
		return;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
			unlock(dirfd(d), de->d_name, depth + 1);
	}
	closedir(d);
}

int
aas_scratch_remove(const char *dir, struct aas_err *e)
{
	if (aas_rmtree(dir, e) == 0)
		return 0;
	unlock(AT_FDCWD, dir, 0);
	return aas_rmtree(dir, e);
}

int
aas_scratch_branch_delete(const char *repo_path, const char *branch,
    const char *commit, struct aas_err *e)
{
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	const git_oid *at;
	git_oid want;
	char *name, have[GIT_OID_HEXSZ + 1];
	int rc = -1, valid = 0, err;

	if (commit == NULL || strlen(commit) != GIT_OID_HEXSZ ||
	    !hex_id(commit) || git_oid_fromstr(&want, commit) < 0)
		return aas_err_set(e, "scratch", "commit '%s' is not a full "
		    "hex id", commit != NULL ? commit : "");
	name = aas_xasprintf("refs/heads/%s", branch);
	if (git_reference_name_is_valid(&valid, name) < 0 || !valid) {
		aas_err_set(e, "scratch", "'%s' is not a valid branch name",
		    branch);
		free(name);
		return -1;
	}
	if (git_repository_open_ext(&repo, repo_path,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		free(name);
		return aas_git_fail(e, "scratch", repo_path);
	}
	err = git_reference_lookup(&ref, repo, name);
	if (err == GIT_ENOTFOUND) {
		aas_err_set(e, "branch_missing", "branch %s does not exist",
		    branch);
		rc = 1;
		goto out;
	}
	if (err < 0) {
		aas_git_fail(e, "scratch", branch);
		goto out;
	}
	at = git_reference_target(ref);
	if (at == NULL || !git_oid_equal(at, &want)) {
		if (at != NULL)
			git_oid_tostr(have, sizeof(have), at);
		aas_err_set(e, "branch_moved", "branch %s is at %s, not %s",
		    branch, at != NULL ? have : "a symbolic target", commit);
		rc = 1;
		goto out;
	}
	if (git_branch_is_checked_out(ref) == 1) {
		aas_err_set(e, "branch_checked_out", "branch %s is checked out",
		    branch);
		rc = 1;
		goto out;
	}
	err = git_reference_delete(ref);
	if (err == GIT_EMODIFIED) {
		aas_err_set(e, "branch_moved", "branch %s moved meanwhile",
		    branch);
		rc = 1;
	} else if (err < 0)
		aas_git_fail(e, "scratch", branch);
	else
		rc = 0;
out:
	git_reference_free(ref);
	git_repository_free(repo);
	free(name);
	return rc;
}

/* Open (making it, or replacing a file or link in its place) the folder
 * name in dfd, never through a link.  -1 with errno set. */
static int
overlay_dir(int dfd, const char *name)
{
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) != -1)
		return fd;
	if (errno == ENOTDIR || errno == ELOOP) {
		if (unlinkat(dfd, name, 0) == -1)
			return -1;
	} else if (errno != ENOENT)
		return -1;
	if (mkdirat(dfd, name, 0755) == -1)
		return -1;
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/* Write the blob of te as the entry name of the folder dfd. */
static int
overlay_blob(git_repository *repo, const git_tree_entry *te, int dfd,
    const char *name, const char *path, struct aas_err *e)
{
	git_blob *blob;
	git_filemode_t mode = git_tree_entry_filemode(te);
	char *target;
	int fd, rc = 0;

	if (git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0)
		return aas_git_fail(e, "scratch", path);
	if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT) {
		rc = aas_err_set(e, "scratch", "%s: %s", path,
		    strerror(errno));
	} else if (mode == GIT_FILEMODE_LINK) {
		target = aas_xstrndup(git_blob_rawcontent(blob),
		    (size_t)git_blob_rawsize(blob));
		if (symlinkat(target, dfd, name) == -1)
			rc = aas_err_set(e, "scratch", "%s: %s", path,
			    strerror(errno));
		free(target);
	} else {
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC,
		    mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
		if (fd == -1 || aas_write_all(fd, git_blob_rawcontent(blob),
		    (size_t)git_blob_rawsize(blob)) == -1)
			rc = aas_err_set(e, "scratch", "%s: %s", path,
			    strerror(errno));
		if (fd != -1 && close(fd) == -1 && rc == 0)
			rc = aas_err_set(e, "scratch", "%s: %s", path,
			    strerror(errno));
	}
	git_blob_free(blob);
	return rc;
}

/* One path of tree into dir: 1 written, 0 not a file there, -1 error. */
static int
overlay_one(git_repository *repo, git_tree *tree, const char *dir,
    const char *path, struct aas_err *e)
{
	git_tree_entry *te = NULL;
	char *copy, *comp, *next;
	int dfd, fd, rc = -1;

	if (git_tree_entry_bypath(&te, tree, path) < 0)
		return 0;
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		git_tree_entry_free(te);
		return 0;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		git_tree_entry_free(te);
		return aas_err_set(e, "scratch", "%s: %s", dir,
		    strerror(errno));
	}
	copy = aas_xstrdup(path);
	for (comp = copy; (next = strchr(comp, '/')) != NULL;
	    comp = next + 1) {
		*next = '\0';
		if (bad_name(comp)) {
			aas_err_set(e, "bad_tree", "path '%s' refused", path);
			goto out;
		}
		if ((fd = overlay_dir(dfd, comp)) == -1) {
			aas_err_set(e, "scratch", "%s/%s: %s", dir, path,
			    strerror(errno));
			goto out;
		}
		close(dfd);
		dfd = fd;
	}
	if (bad_name(comp))
		aas_err_set(e, "bad_tree", "path '%s' refused", path);
	else if (overlay_blob(repo, te, dfd, comp, path, e) == 0)
		rc = 1;
out:
	close(dfd);
	free(copy);
	git_tree_entry_free(te);
	return rc;
}

int
aas_scratch_overlay(const char *repo_path, const char *commit,
    const char *dir, const char *const *paths, size_t n, size_t *written,
    struct aas_err *e)
{
	git_repository *repo;
	git_tree *tree;
	size_t i;
	int r = 0;

	*written = 0;
	if (open_tree(repo_path, commit, &repo, &tree, e) == -1)
		return -1;
	for (i = 0; i < n && r != -1; i++)
		if ((r = overlay_one(repo, tree, dir, paths[i], e)) != -1)
			*written += (size_t)r;
	git_tree_free(tree);
	git_repository_free(repo);
	return r == -1 ? -1 : 0;
}
