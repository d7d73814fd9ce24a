/*
 * tasks.c: an index by custom_id over a file of "custom_id TAB record"
 * lines (a run's runs/RUN.tasks), holding offsets, not records.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "tasks.h"
#include "banned.h"

uint64_t
aas_tasks_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h ? h : 1;
}


struct task_ent {
	uint64_t h;
	off_t	 off;
	uint32_t len;
	uint32_t mark;
};

struct aas_tasks {
	int	 fd;
	char	*path;
	struct task_ent *v;
	size_t	 n;
	char	*buf;
	size_t	 cap;
	size_t	 at;		/* the slot in buf, + 1 (0: none) */
	size_t	 split;		/* where record() put a NUL for the tab */
};

static int
ent_cmp(const void *a, const void *b)
{
	const struct task_ent *x = a, *y = b;

	return x->h < y->h ? -1 : x->h > y->h;
}

int
aas_tasks_open_path(struct aas_tasks **tp, const char *path,
    struct aas_err *e)
{
	struct aas_tasks *t;
	char *buf = NULL, *tab, *fbuf;
	size_t cap = 0, ncap = 0;
	ssize_t n;
	off_t off = 0;
	FILE *f;
	int dfd = -1;

	t = aas_xcalloc(1, sizeof(*t));
	t->path = aas_xstrdup(path);
	t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (t->fd == -1 || (dfd = fcntl(t->fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (f = fdopen(dfd, "r")) == NULL) {
		aas_err_set(e, "io", "%s: %s", t->path, strerror(errno));
		if (dfd != -1)
			close(dfd);
		aas_tasks_close(t);
		return -1;
	}
	/* read whole, in big reads */
	fbuf = aas_xmalloc(1 << 18);
	(void)setvbuf(f, fbuf, _IOFBF, 1 << 18);
	while ((n = getline(&buf, &cap, f)) > 0) {
		if (buf[n - 1] == '\n' && (tab = strchr(buf, '\t')) != NULL) {
			*tab = '\0';
			if (t->n == ncap) {
				ncap = ncap ? ncap * 2 : 256;
				t->v = aas_xreallocarray(t->v, ncap,
				    sizeof(*t->v));
			}
			t->v[t->n].h = aas_tasks_hash(buf);
			t->v[t->n].off = off;
			t->v[t->n].len = (uint32_t)(n - 1);
			t->v[t->n].mark = 0;
			t->n++;
		}
		off += n;
	}
	free(buf);
	fclose(f);
	free(fbuf);
	qsort(t->v, t->n, sizeof(*t->v), ent_cmp);
	*tp = t;
	return 0;
}

void
aas_tasks_close(struct aas_tasks *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	free(t->v);
	free(t->buf);
	free(t);
}

size_t
aas_tasks_count(const struct aas_tasks *t)
{
	return t->n;
}

static int
read_slot(struct aas_tasks *t, size_t i, struct aas_err *e)
{
	size_t need = (size_t)t->v[i].len + 1, got = 0;
	ssize_t n;

	/* the same slot again (find, then record): no second read */
	if (t->at == i + 1) {
		if (t->split > 0)
			t->buf[t->split - 1] = '\t';
		t->split = 0;
		return 0;
	}
	t->at = 0;
	t->split = 0;
	if (need > t->cap) {
		t->cap = need;
		t->buf = aas_xrealloc(t->buf, t->cap);
	}
	while (got < need - 1) {
		n = pread(t->fd, t->buf + got, need - 1 - got,
		    t->v[i].off + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return aas_err_set(e, "io", "%s: %s", t->path,
			    n == 0 ? "short read" : strerror(errno));
		got += (size_t)n;
	}
	t->buf[got] = '\0';
	t->at = i + 1;
	return 0;
}

ssize_t
aas_tasks_find(struct aas_tasks *t, const char *custom_id)
{
	uint64_t h = aas_tasks_hash(custom_id);
	size_t lo = 0, hi = t->n, mid;
	size_t cl = strlen(custom_id);

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->v[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->v[lo].h == h; lo++) {
		if (read_slot(t, lo, NULL) == -1)
			return -1;
		if (strncmp(t->buf, custom_id, cl) == 0 && t->buf[cl] == '\t')
			return (ssize_t)lo;
	}
	return -1;
}

const char *
aas_tasks_record(struct aas_tasks *t, size_t i, size_t *lenp,
    const char **cidp, struct aas_err *e)
{
	char *tab;

	if (read_slot(t, i, e) == -1)
		return NULL;
	tab = strchr(t->buf, '\t');
	if (tab == NULL) {
		aas_err_set(e, "io", "%s: damaged line", t->path);
		return NULL;
	}
	*tab = '\0';
	t->split = (size_t)(tab - t->buf) + 1;
	if (cidp)
		*cidp = t->buf;
	if (lenp)
		*lenp = strlen(tab + 1);
	return tab + 1;
}

int
aas_tasks_marked(const struct aas_tasks *t, size_t i)
{
	return t->v[i].mark != 0;
}

void
aas_tasks_mark(struct aas_tasks *t, size_t i)
{
	t->v[i].mark = 1;
}
