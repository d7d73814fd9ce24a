/* state.c: the .aas/ folder, STOP, journals, locks. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "scratch.h"
#include "state.h"
#include "banned.h"

struct aas_state {
	char	*dir;
	char	*root;
	int	 existed;	/* the folder was there at open */
};

char *
aas_find_repo_root(const char *dir)
{
	char *p, *probe, *slash;
	struct stat st;

	p = realpath(dir, NULL);
	if (p == NULL)
		return NULL;
	for (;;) {
		probe = aas_xasprintf("%s/.git", strcmp(p, "/") ? p : "");
		if (lstat(probe, &st) == 0) {
			free(probe);
			return p;
		}
		free(probe);
		slash = strrchr(p, '/');
		if (slash == NULL || slash == p)
			break;
		*slash = '\0';
	}
	free(p);
	return NULL;
}

int
aas_state_open(struct aas_state **stp, const char *override, int create,
    struct aas_err *e)
{
	struct aas_state *st;
	const char *env = getenv("AAS_STATE");
	char cwd[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return aas_err_set(e, "state", "cannot get current folder: %s",
		    strerror(errno));
	st = aas_xcalloc(1, sizeof(*st));
	st->root = aas_find_repo_root(cwd);
	if (st->root == NULL)
		st->root = aas_xstrdup(cwd);
	if (override != NULL && *override != '\0')
		st->dir = aas_xstrdup(override);
	else if (env != NULL && *env != '\0')
		st->dir = aas_xstrdup(env);
	else
		st->dir = aas_xasprintf("%s/.aas", st->root);
	st->existed = access(st->dir, F_OK) == 0;
	if (create && aas_state_mkdir(st->dir, e) == -1) {
		aas_err_prefix(e, "state folder");
		aas_state_close(st);
		return -1;
	}
	*stp = st;
	return 0;
}

int
aas_state_mkdir(const char *dir, struct aas_err *e)
{
	struct stat sb;

	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	if (aas_mkdirs(dir, 0755, e) == -1)
		return -1;
	/* the state folder ignores itself in git */
	aas_scratch_ignore(dir);
	return 0;
}

char *
aas_state_dir_for(const char *path)
{
	const char *env = getenv("AAS_STATE");
	char *dir, *slash, *root;

	if (env != NULL && *env != '\0')
		return aas_xstrdup(env);
	dir = aas_xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = aas_xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	root = aas_find_repo_root(dir);
	if (root == NULL)
		root = realpath(dir, NULL);
	free(dir);
	if (root == NULL)
		return NULL;
	dir = aas_xasprintf("%s/.aas", strcmp(root, "/") ? root : "");
	free(root);
	return dir;
}

void
aas_state_close(struct aas_state *st)
{
	if (st == NULL)
		return;
	/* made on the way by a module that wrote below it */
	if (!st->existed && access(st->dir, F_OK) == 0)
		aas_scratch_ignore(st->dir);
	free(st->dir);
	free(st->root);
	free(st);
}

const char *
aas_state_dir(const struct aas_state *st)
{
	return st->dir;
}

const char *
aas_state_root(const struct aas_state *st)
{
	return st->root;
}

char *
aas_state_path(const struct aas_state *st, const char *name)
{
	return aas_xasprintf("%s/%s", st->dir, name);
}

int
aas_state_stop_requested(const struct aas_state *st)
{
	char *p;
	int stop;

	if (aas_stop_flag)
		return 1;
	if (st == NULL)
		return 0;
	p = aas_state_path(st, "STOP");
	stop = access(p, F_OK) == 0;
	free(p);
	return stop;
}

int
aas_state_stop_poll(const struct aas_state *st)
{
	static int64_t next;
	int64_t now;

	if (aas_stop_flag)
		return 1;
	now = aas_now_ms();
	if (now < next)
		return 0;
	next = now + 200;
	return aas_state_stop_requested(st);
}

int
aas_state_sleep(const struct aas_state *st, int64_t ms)
{
	int64_t end = aas_now_ms() + ms, left;
	struct timespec ts;

	for (;;) {
		if (aas_state_stop_requested(st))
			return -1;
		if ((left = end - aas_now_ms()) <= 0)
			return 0;
		if (left > 50)
			left = 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

int
aas_lock(const char *path, int exclusive, struct aas_err *e)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return aas_err_set(e, "lock", "%s: %s", path, strerror(errno));
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) == -1) {
		if (errno == EINTR)
			continue;
		aas_err_set(e, "lock", "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
aas_lock_try(const char *path, struct aas_err *e)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return aas_err_set(e, "lock", "%s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			aas_err_set(e, "busy", "%s: held by another process",
			    path);
		else
			aas_err_set(e, "lock", "%s: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
aas_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int
aas_journal_append(struct aas_state *st, const char *name, json_t *obj,
    struct aas_err *e)
{
	char *path, *line;
	size_t len, off = 0;
	ssize_t n;
	int fd, rc = 0;

	if (aas_state_mkdir(st->dir, e) == -1)
		return -1;
	path = aas_xasprintf("%s/%s.jsonl", st->dir, name);
	line = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (line == NULL) {
		free(path);
		return aas_err_set(e, "journal", "%s: unencodable entry", name);
	}
	len = strlen(line);
	line = aas_xrealloc(line, len + 2);
	line[len++] = '\n';
	line[len] = '\0';
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		rc = aas_err_set(e, "journal", "%s: %s", path, strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) == -1 && errno == EINTR)
		;
	/* After a crash mid-append the last line has no newline: end it, so
	 * this entry is not glued to the torn one and lost with it. */
	{
		struct stat sb;
		char last;

		if (fstat(fd, &sb) == 0 && sb.st_size > 0 &&
		    pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n')
			(void)!write(fd, "\n", 1);
	}
	while (off < len) {
		n = write(fd, line + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = aas_err_set(e, "journal", "%s: %s", path,
			    strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) == -1)
		rc = aas_err_set(e, "journal", "%s: fsync: %s", path,
		    strerror(errno));
	close(fd);
out:
	free(line);
	free(path);
	return rc;
}

int
aas_journal_read(struct aas_state *st, const char *name,
    int (*cb)(json_t *, void *), void *arg, struct aas_err *e)
{
	char *path, *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	json_t *o;
	FILE *f;
	int rc = 0;

	path = aas_xasprintf("%s/%s.jsonl", st->dir, name);
	f = fopen(path, "re");
	if (f == NULL) {
		if (errno != ENOENT)
			rc = aas_err_set(e, "journal", "%s: %s", path,
			    strerror(errno));
		free(path);
		return rc;
	}
	while ((n = getline(&buf, &cap, f)) != -1) {
		/* a line with no newline is torn by a crash: skip it */
		if (n == 0 || buf[n - 1] != '\n')
			continue;
		o = json_loadb(buf, (size_t)n, 0, NULL);
		if (o == NULL)
			continue;
		rc = cb(o, arg);
		json_decref(o);
		if (rc != 0)
			break;
	}
	if (ferror(f))
		rc = aas_err_set(e, "journal", "%s: read error", path);
	fclose(f);
	free(buf);
	free(path);
	return rc;
}
