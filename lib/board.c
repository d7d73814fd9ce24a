/* board.c: the task board: loading, access, and the locked
 * read-edit-write.  Parsing is in board-parse.c, YAML plans in
 * board-yaml.c, edits in board-edit.c, the lint in board-lint.c, and what
 * they all share (small helpers, statuses, building tasks) in
 * board-util.c, below them all. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "board-int.h"
#include "config.h"
#include "record.h"
#include "state.h"
#include "banned.h"

#define UPDATE_TRIES		50

static size_t
board_max(const struct aas_board_opts *o)
{
	return o != NULL && o->max_bytes > 0 ? o->max_bytes : AAS_BOARD_MAX;
}

static int
too_big(const char *path, unsigned long long size, size_t max,
    struct aas_err *e)
{
	return aas_err_set(e, "too_big", "%s: the board is %s%llu bytes, over "
	    "board_max_bytes (%zu)", path, size > max ? "" : "more than ",
	    size > max ? size : (unsigned long long)max, max);
}

int
aas_board_size_ok(const char *path, const struct aas_board_opts *o,
    struct aas_err *e)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (unsigned long long)st.st_size > board_max(o))
		return too_big(path, (unsigned long long)st.st_size,
		    board_max(o), e);
	return 0;
}

/* Read a board file, at most the cap: aas_read_file with a limit; name
 * is the path for messages. */
static int
board_read(const char *path, const char *name,
    const struct aas_board_opts *o, char **textp, size_t *lenp,
    struct aas_err *e)
{
	struct aas_buf b = AAS_BUF_INIT;
	struct stat st;
	size_t max = board_max(o);
	char chunk[65536];
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return aas_err_set(e, "board", "%s: %s", name,
		    strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (unsigned long long)st.st_size > max) {
		close(fd);
		return too_big(name, (unsigned long long)st.st_size, max, e);
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			close(fd);
			aas_buf_free(&b);
			return aas_err_set(e, "board", "%s: %s", name,
			    strerror(saved));
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			/* grew while read, or not a regular file */
			close(fd);
			aas_buf_free(&b);
			return too_big(name, 0, max, e);
		}
		aas_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	*textp = aas_buf_detach(&b, lenp);
	return 0;
}

int
aas_board_load(struct aas_board **bp, const char *path,
    const struct aas_board_opts *o, struct aas_err *e)
{
	struct aas_board *b;
	char *text;
	size_t len;
	int rc;

	*bp = NULL;
	if (board_read(path, path, o, &text, &len, e) == -1)
		return -1;
	if ((b = aas_bd_board_new(path, o, e)) == NULL) {
		free(text);
		return -1;
	}
	b->text = text;
	b->len = len;
	rc = aas_bd_is_yaml_name(path) ? aas_bd_parse_yaml(b, e) :
	    aas_bd_parse_text(b, e);
	if (rc == -1) {
		aas_board_free(b);
		return -1;
	}
	*bp = b;
	return 0;
}

int
aas_board_config(const struct aas_config *cf, const char *root,
    struct aas_board_opts *o, char **pathp, struct aas_err *e)
{
	const char *board = "ACTIVE_TASKS.md";
	char cwd[PATH_MAX];
	json_t *v;

	long long max = 0;

	memset(o, 0, sizeof(*o));
	if (aas_config_str(cf, "board", &board, e) == -1 ||
	    aas_config_str(cf, "id_pattern", &o->id_pattern, e) == -1 ||
	    aas_config_int(cf, "board_max_bytes", &max, e) == -1)
		return -1;
	o->max_bytes = max > 0 ? (size_t)max : 0;
	v = aas_config_get(cf, "statuses");
	if (v != NULL && !json_is_object(v))
		return aas_err_set(e, "config", "%s: statuses: expected a "
		    "mapping from status to text", aas_config_where(cf,
		    "statuses"));
	o->status_names = v;
	if (pathp == NULL)
		return 0;
	if (board[0] == '/' || root == NULL ||
	    (getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, root) == 0))
		*pathp = aas_xstrdup(board);
	else
		*pathp = aas_xasprintf("%s/%s", root, board);
	return 0;
}

/* ---------------------------------------------------------------- */
/* access */

size_t
aas_board_count(const struct aas_board *b)
{
	return b->ntasks;
}

/* The accessors that show text, lines or hashes apply waiting edits
 * first; the board is const to the caller, not to its own cache. */
static void
settled(const struct aas_board *b)
{
	if (b->npend > 0)
		(void)aas_bd_flush((struct aas_board *)b, NULL);
}

const struct aas_task *
aas_board_task(const struct aas_board *b, size_t i)
{
	settled(b);
	return i < b->ntasks ? &b->tasks[i] : NULL;
}

const struct aas_task *
aas_board_find(const struct aas_board *b, const char *id)
{
	long i = aas_bd_find_index(b, id);

	return i < 0 ? NULL : &b->tasks[i];
}

const char *
aas_board_name(const struct aas_board *b)
{
	return b->name;
}

const char *
aas_board_text(const struct aas_board *b, size_t *lenp)
{
	settled(b);
	if (lenp != NULL)
		*lenp = b->len;
	return b->text;
}

json_t *
aas_task_record(const struct aas_board *b, const struct aas_task *t)
{
	json_t *deps = json_array(), *r;
	const char *st = aas_status_name(t->status);
	size_t i;

	/* t stays valid: a flush re-parses, so find it again by id */
	if (b->npend > 0) {
		char *id = aas_xstrdup(t->id);

		settled(b);
		t = aas_board_find(b, id);
		free(id);
	}
	for (i = 0; i < t->ndeps; i++)
		json_array_append_new(deps, json_string(t->deps[i]));
	r = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s?, s:O, "
	    "s:{s:s, s:I, s:s}}",
	    "id", t->id, "title", t->title,
	    "status", st != NULL ? st : t->status_raw,
	    "body", t->body, "deps", deps, "parent", t->parent,
	    "fields", t->fields,
	    "source", "path", b->name, "line", (json_int_t)t->line,
	    "sha", t->sha);
	return r;
}

static void
key_add(struct aas_buf *o, const char *k, int first)
{
	if (!first)
		aas_buf_addc(o, ',');
	aas_buf_addc(o, '"');
	aas_buf_adds(o, k);
	aas_buf_adds(o, "\":");
}

static int
str_add(struct aas_buf *o, const char *k, const char *v, int first)
{
	key_add(o, k, first);
	if (v == NULL) {
		aas_buf_adds(o, "null");
		return 0;
	}
	return aas_json_add_string(o, v, strlen(v));
}

char *
aas_task_record_text(const struct aas_board *b, const struct aas_task *t,
    size_t *lenp)
{
	struct aas_buf o = AAS_BUF_INIT;
	const char *st = aas_status_name(t->status);
	json_t *r;
	size_t i, len;
	char *s;
	int bad = 0;

	/* the members and their order of aas_task_record's json_pack */
	if (b->npend == 0) {
		aas_buf_grow(&o, 512);
		aas_buf_addc(&o, '{');
		bad |= str_add(&o, "id", t->id, 1);
		bad |= str_add(&o, "title", t->title, 0);
		bad |= str_add(&o, "status", st != NULL ? st : t->status_raw,
		    0);
		bad |= str_add(&o, "body", t->body, 0);
		key_add(&o, "deps", 0);
		aas_buf_addc(&o, '[');
		for (i = 0; i < t->ndeps; i++) {
			if (i > 0)
				aas_buf_addc(&o, ',');
			bad |= aas_json_add_string(&o, t->deps[i],
			    strlen(t->deps[i]));
		}
		aas_buf_addc(&o, ']');
		bad |= str_add(&o, "parent", t->parent, 0);
		key_add(&o, "fields", 0);
		bad |= aas_json_add(&o, t->fields, 15);
		key_add(&o, "source", 0);
		aas_buf_addc(&o, '{');
		bad |= str_add(&o, "path", b->name, 1);
		aas_buf_printf(&o, ",\"line\":%zu", t->line);
		bad |= str_add(&o, "sha", t->sha, 0);
		aas_buf_adds(&o, "}}");
		if (!bad && t->id != NULL && t->title != NULL &&
		    t->body != NULL && (st != NULL || t->status_raw != NULL) &&
		    json_is_object(t->fields))
			return aas_buf_detach(&o, lenp);
	}
	/* anything else as json_pack and json_dumps make it */
	aas_buf_free(&o);
	r = aas_task_record(b, t);
	s = aas_json_text(r, 15, &len);
	json_decref(r);
	if (s == NULL) {
		s = aas_xstrdup("null");
		len = 4;
	}
	if (lenp != NULL)
		*lenp = len;
	return s;
}

int
aas_board_ready(const struct aas_board *b, const struct aas_task *t)
{
	size_t d;
	long j;

	if (t->status != AAS_ST_QUEUED || b->info[t - b->tasks].dup)
		return 0;
	for (d = 0; d < t->ndeps; d++) {
		j = aas_bd_find_index(b, t->deps[d]);
		if (j < 0 || b->info[j].dup ||
		    b->tasks[j].status != AAS_ST_DONE)
			return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- */
/* waiting edits (board-int.h) */

int
aas_bd_queue(struct aas_board *b, size_t from, size_t to, const char *repl,
    size_t rlen, struct aas_err *e)
{
	struct pend *p;
	size_t k, line = 1;

	if (!aas_bd_utf8_ok(repl, rlen)) {
		for (k = 0; k < from && k < b->len; k++)
			line += b->text[k] == '\n';
		return aas_err_set(e, "board", "%s:%zu: not valid UTF-8",
		    b->name, line);
	}
	if (b->npend == b->pcap) {
		b->pcap = b->pcap ? b->pcap * 2 : 16;
		b->pend = aas_xrealloc(b->pend, b->pcap * sizeof(*b->pend));
	}
	p = &b->pend[b->npend];
	p->from = from;
	p->to = to;
	p->seq = b->npend++;
	p->repl = aas_xstrndup(repl, rlen);
	p->rlen = rlen;
	return 0;
}

void
aas_bd_queued_status(struct aas_board *b, long i, const char *text)
{
	struct aas_task *t = &b->tasks[i];
	char *raw = aas_xstrdup(text), *q;
	size_t s = 0, e;

	/* what the parse will read: one line, trimmed */
	for (q = raw; *q; q++)
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	e = strlen(raw);
	aas_bd_trim(raw, &s, &e);
	free(t->status_raw);
	t->status_raw = aas_xstrndup(raw + s, e - s);
	free(raw);
	t->status = aas_bd_status_read(b, t->status_raw);
	b->info[i].queued = 1;
}

int
aas_bd_settle(struct aas_board *b, long i, struct aas_err *e)
{
	return b->info[i].queued ? aas_bd_flush(b, e) : 0;
}

static int
pend_cmp(const void *x, const void *y)
{
	const struct pend *p = x, *q = y;

	if (p->from != q->from)
		return p->from < q->from ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* Apply the waiting edits to b->text in one pass; parse the result when
 * parse is set, else leave b without tasks (to be written and freed). */
static int
pend_apply(struct aas_board *b, int parse, struct aas_err *e)
{
	struct aas_buf o = AAS_BUF_INIT;
	size_t k, at = 0, grow = 0;
	char *old = b->text;
	int rc = 0;

	if (b->npend == 0)
		return 0;
	qsort(b->pend, b->npend, sizeof(*b->pend), pend_cmp);
	for (k = 0; k < b->npend; k++) {
		if (b->pend[k].from < at || b->pend[k].to > b->len ||
		    b->pend[k].from > b->pend[k].to) {
			rc = aas_err_set(e, "board", "%s: edits overlap",
			    b->name);
			break;
		}
		grow += b->pend[k].rlen;
		at = b->pend[k].to;
	}
	if (rc == 0) {
		aas_buf_grow(&o, b->len + grow);
		for (k = 0, at = 0; k < b->npend; k++) {
			aas_buf_add(&o, b->text + at, b->pend[k].from - at);
			aas_buf_add(&o, b->pend[k].repl, b->pend[k].rlen);
			at = b->pend[k].to;
		}
		aas_buf_add(&o, b->text + at, b->len - at);
	}
	while (b->npend > 0)
		free(b->pend[--b->npend].repl);
	if (rc == 0 && !parse) {
		aas_bd_board_reset(b);
		b->text = aas_buf_detach(&o, &b->len);
		free(old);
		return 0;
	}
	if (rc == 0) {
		struct aas_board nb, gone = *b;
		struct aas_task t;

		if ((rc = aas_bd_parse_new(&nb, b, &o, e)) == 0) {
			/* the same tasks (status edits add none): keep them
			 * where they were, so pointers the caller holds stay
			 * good, with what the parse read in them */
			if (nb.ntasks == b->ntasks) {
				for (k = 0; k < b->ntasks; k++) {
					t = b->tasks[k];
					b->tasks[k] = nb.tasks[k];
					nb.tasks[k] = t;
				}
				gone.tasks = nb.tasks;
				nb.tasks = b->tasks;
				nb.cap = b->cap;
			}
			aas_bd_board_reset(&gone);
			free(old);
			*b = nb;
			return 0;
		}
	}
	/* back to the text as last parsed (which parsed then), the
	 * statuses set in place undone */
	aas_bd_board_reset(b);
	(void)aas_bd_parse_text(b, NULL);
	return -1;
}

int
aas_bd_flush(struct aas_board *b, struct aas_err *e)
{
	return pend_apply(b, 1, e);
}

/* ---------------------------------------------------------------- */
/* the locked read-edit-write */

/* 1 when path holds exactly text (a missing file holds nothing). */
static int
same_bytes(const char *path, int existed, const char *text, size_t len)
{
	struct stat st;
	char *now;
	size_t n;
	int same;

	if (stat(path, &st) == -1 && errno == ENOENT)
		return !existed;
	/* another size is another text: never read a file grown past it */
	if (!existed || (S_ISREG(st.st_mode) && (size_t)st.st_size != len) ||
	    aas_read_file(path, &now, &n, NULL) == -1)
		return 0;
	same = n == len && memcmp(now, text, len) == 0;
	free(now);
	return same;
}

/* Temporary files a killed writer left behind; we hold the lock, so no
 * live writer owns one. */
static void
sweep_temps(const char *path)
{
	glob_t g;
	char *pat = aas_xasprintf("%s.tmp.??????", path);
	size_t i;

	if (glob(pat, GLOB_NOSORT, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
	free(pat);
}

struct unchanged {
	const char *path, *old;
	size_t	 oldlen;
	int	 existed;
};

/* Right before the rename: 0 while the file still holds what was read. */
static int
still_unchanged(void *arg)
{
	const struct unchanged *u = arg;

	return !same_bytes(u->path, u->existed, u->old, u->oldlen);
}

/*
 * Write through a temporary file; right before the rename compare the
 * file with what was read.  1: it changed (nothing written), 0: written,
 * -1: error.
 */
static int
write_checked(const char *path, const char *old, size_t oldlen,
    int existed, const char *text, size_t len, mode_t mode,
    struct aas_err *e)
{
	struct unchanged u = { path, old, oldlen, existed };

	return aas_write_atomic_if(path, text, len, (int)mode,
	    still_unchanged, &u, e);
}

/* The lock of the board at real: in the state folder (made when
 * missing), named after the board's file. */
static char *
lock_path(const char *real, const struct aas_board_opts *o,
    struct aas_err *e)
{
	const char *base = strrchr(real, '/');
	char *dir, *p;

	base = base != NULL ? base + 1 : real;
	dir = o != NULL && o->state_dir != NULL ? aas_xstrdup(o->state_dir) :
	    aas_state_dir_for(real);
	if (dir == NULL) {
		aas_err_set(e, "board", "%s: no folder for its lock", real);
		return NULL;
	}
	if (aas_state_mkdir(dir, e) == -1) {
		free(dir);
		return NULL;
	}
	p = aas_xasprintf("%s/%s.lock", dir, base);
	free(dir);
	return p;
}

int
aas_board_update(const char *path, const struct aas_board_opts *o,
    int (*fn)(struct aas_board *b, void *arg, struct aas_err *e),
    void *arg, struct aas_err *e)
{
	struct aas_board *b = NULL;
	struct stat st;
	char *real, *lockpath, *text = NULL;
	size_t len, nlen, tries;
	const char *ntext;
	int lfd, rc = -1, existed;
	mode_t mode;

	if (aas_bd_is_yaml_name(path))
		return aas_err_set(e, "board", "%s: a YAML plan is read-only",
		    path);
	/* edit the file a symbolic link points to, not the link */
	real = realpath(path, NULL);
	if (real == NULL)
		real = aas_xstrdup(path);
	if ((lockpath = lock_path(real, o, e)) == NULL ||
	    (lfd = aas_lock(lockpath, 1, e)) == -1) {
		free(lockpath);
		free(real);
		return -1;
	}
	sweep_temps(real);
	for (tries = 0; tries < UPDATE_TRIES; tries++) {
		existed = stat(real, &st) == 0 || errno != ENOENT;
		mode = existed ? st.st_mode & 07777 : 0644;
		if (!existed) {
			text = aas_xstrdup("");
			len = 0;
		} else if (board_read(real, path, o, &text, &len, e) == -1)
			break;
		if (aas_board_parse(&b, text, len, path, o, e) == -1)
			break;
		/* the repl of each waiting edit is checked UTF-8 text, so the
		 * result parses: one pass for the text, no parse */
		b->batch = 1;
		if (fn(b, arg, e) == -1 || pend_apply(b, 0, e) == -1)
			break;
		ntext = aas_board_text(b, &nlen);
		if (nlen == len && memcmp(ntext, text, len) == 0) {
			rc = 0;
			break;
		}
		rc = write_checked(real, text, len, existed, ntext, nlen, mode,
		    e);
		if (rc != 1)
			break;
		/* changed underneath by a writer that skips the lock: again */
		rc = -1;
		aas_board_free(b);
		b = NULL;
		free(text);
		text = NULL;
	}
	if (tries == UPDATE_TRIES)
		aas_err_set(e, "board", "%s: the file keeps changing; gave up",
		    path);
	aas_board_free(b);
	free(text);
	aas_unlock(lfd);
	free(lockpath);
	free(real);
	return rc;
}

