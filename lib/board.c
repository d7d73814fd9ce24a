/* board.c: the task board: helpers, statuses, loading, access, and the
 * locked read-edit-write.  Parsing is in board-parse.c, YAML plans in
 * board-yaml.c, edits in board-edit.c, the lint in board-lint.c. */
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
#include "state.h"
#include "banned.h"

#define UPDATE_TRIES		50

/* ---------------------------------------------------------------- */
/* small helpers */

int
aas_bd_is_blank(const char *t, size_t s, size_t e)
{
	for (; s < e; s++)
		if (t[s] != ' ' && t[s] != '\t')
			return 0;
	return 1;
}

void
aas_bd_trim(const char *t, size_t *s, size_t *e)
{
	while (*s < *e && (t[*s] == ' ' || t[*s] == '\t'))
		(*s)++;
	while (*e > *s && (t[*e - 1] == ' ' || t[*e - 1] == '\t'))
		(*e)--;
}

/* Content end of the line starting at i; *next gets the next line. */
size_t
aas_bd_line_end(const char *t, size_t len, size_t i, size_t *next)
{
	const char *nl = memchr(t + i, '\n', len - i);
	size_t e = nl != NULL ? (size_t)(nl - t) : len;

	*next = nl != NULL ? e + 1 : len;
	if (nl != NULL && e > i && t[e - 1] == '\r')
		e--;
	return e;
}

int
aas_bd_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static size_t
hash_str(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void
aas_bd_hash_build(struct aas_board *b)
{
	size_t i, h;

	free(b->hash);
	b->hcap = 16;
	while (b->hcap < b->ntasks * 2 + 1)
		b->hcap *= 2;
	b->hash = aas_xcalloc(b->hcap, sizeof(*b->hash));
	for (i = 0; i < b->ntasks; i++) {
		h = hash_str(b->tasks[i].id) & (b->hcap - 1);
		while (b->hash[h] != 0) {
			if (strcmp(b->tasks[b->hash[h] - 1].id,
			    b->tasks[i].id) == 0)
				break;
			h = (h + 1) & (b->hcap - 1);
		}
		if (b->hash[h] == 0)
			b->hash[h] = i + 1;
	}
}

long
aas_bd_find_index(const struct aas_board *b, const char *id)
{
	size_t h;

	if (b->hash == NULL)
		return -1;
	h = hash_str(id) & (b->hcap - 1);
	while (b->hash[h] != 0) {
		if (strcmp(b->tasks[b->hash[h] - 1].id, id) == 0)
			return (long)(b->hash[h] - 1);
		h = (h + 1) & (b->hcap - 1);
	}
	return -1;
}

int
aas_bd_id_ok(const struct aas_board *b, const char *id)
{
	return *id != '\0' && regexec(&b->re, id, 0, NULL, 0) == 0;
}

/* Copy [s, e) undoing pipe escapes: an odd run of 2k + 1 backslashes
 * before a "|" is k backslashes and the pipe (aas_bd_pipe_escape); other
 * backslashes stay.  Cells only. */
char *
aas_bd_cell_text(const char *t, size_t s, size_t e)
{
	struct aas_buf o = AAS_BUF_INIT;
	size_t k;

	aas_buf_add(&o, "", 0);
	while (s < e) {
		for (k = 0; s + k < e && t[s + k] == '\\'; k++)
			;
		if (k % 2 == 1 && s + k < e && t[s + k] == '|') {
			aas_buf_add(&o, t + s, k / 2);
			aas_buf_addc(&o, '|');
			s += k + 1;
		} else if (k > 0) {
			aas_buf_add(&o, t + s, k);
			s += k;
		} else
			aas_buf_addc(&o, t[s++]);
	}
	return aas_buf_detach(&o, NULL);
}

/* Strip decoration an id may wear in a cell: `AAS-1`, **AAS-1**. */
char *
aas_bd_bare_id(const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n && (s[i] == '`' || s[i] == '*' || s[i] == '_'))
		i++;
	while (n > i && (s[n - 1] == '`' || s[n - 1] == '*' ||
	    s[n - 1] == '_'))
		n--;
	return aas_xstrndup(s + i, n - i);
}


/* ---------------------------------------------------------------- */
/* statuses */


const char *const aas_bd_st_names[] = {
	NULL, "Queued", "In Progress", "Review", "Done", "Failed", "Blocked"
};

/* The emoji written for a status when the old text used one. */
const char *const aas_bd_st_emoji[] = {
	NULL, "\xe2\x8f\xb3", "\xf0\x9f\x9a\xa7", "\xf0\x9f\x91\x80",
	"\xe2\x9c\x85", "\xe2\x9d\x8c", "\xe2\x9b\x94"
};

static const struct {
	const char *word;
	enum aas_status st;
} synonyms[] = {
	{ "queued", AAS_ST_QUEUED }, { "todo", AAS_ST_QUEUED },
	{ "to do", AAS_ST_QUEUED }, { "open", AAS_ST_QUEUED },
	{ "pending", AAS_ST_QUEUED }, { "ready", AAS_ST_QUEUED },
	{ "in progress", AAS_ST_IN_PROGRESS }, { "doing", AAS_ST_IN_PROGRESS },
	{ "wip", AAS_ST_IN_PROGRESS }, { "started", AAS_ST_IN_PROGRESS },
	{ "review", AAS_ST_REVIEW }, { "in review", AAS_ST_REVIEW },
	{ "done", AAS_ST_DONE }, { "complete", AAS_ST_DONE },
	{ "completed", AAS_ST_DONE }, { "closed", AAS_ST_DONE },
	{ "failed", AAS_ST_FAILED }, { "blocked", AAS_ST_BLOCKED },
};

const char *
aas_status_name(enum aas_status s)
{
	if (s <= AAS_ST_UNKNOWN || s > AAS_ST_BLOCKED)
		return NULL;
	return aas_bd_st_names[s];
}

/*
 * Split a status text into decoration and word: a leading checkbox
 * ("[x]", "[ ]"), leading and trailing emoji or punctuation, and the word
 * between.  *box is -1 (none), 0 (unchecked) or 1 (checked).
 */
void
aas_bd_status_split(const char *s, size_t *ws, size_t *we, int *box)
{
	size_t n = strlen(s), i = 0;

	*box = -1;
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i + 2 < n && s[i] == '[' && s[i + 2] == ']' &&
		    strchr(" xX", s[i + 1]) != NULL) {
			*box = s[i + 1] != ' ';
			i += 3;
			continue;
		}
		if (i < n && !isalnum((unsigned char)s[i]) &&
		    ((unsigned char)s[i] >= 0x80 || ispunct((unsigned char)s[i])))
		{
			i++;
			continue;
		}
		break;
	}
	while (n > i && !isalnum((unsigned char)s[n - 1]))
		n--;
	*ws = i;
	*we = n;
}

enum aas_status
aas_status_parse(const char *s)
{
	char word[64];
	size_t ws, we, i, k = 0;
	int box, sp = 0;

	aas_bd_status_split(s, &ws, &we, &box);
	if (ws == we)
		return box == 1 ? AAS_ST_DONE : box == 0 ? AAS_ST_QUEUED :
		    AAS_ST_UNKNOWN;
	for (i = ws; i < we && k < sizeof(word) - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '_' || c == '-') {
			sp = 1;
			continue;
		}
		if (sp && k > 0)
			word[k++] = ' ';
		sp = 0;
		if (k < sizeof(word) - 1)
			word[k++] = (char)tolower(c);
	}
	word[k] = '\0';
	if (i < we)
		return AAS_ST_UNKNOWN;
	for (i = 0; i < sizeof(synonyms) / sizeof(synonyms[0]); i++)
		if (strcmp(word, synonyms[i].word) == 0)
			return synonyms[i].st;
	return AAS_ST_UNKNOWN;
}

/* A status read with the configured names tried first. */
enum aas_status
aas_bd_status_read(const struct aas_board *b, const char *raw)
{
	const char *k;
	json_t *v;
	enum aas_status st;

	if (*raw == '\0')
		return AAS_ST_QUEUED;
	if (b->status_names != NULL) {
		json_object_foreach(b->status_names, k, v) {
			if (json_is_string(v) &&
			    aas_bd_ieq(json_string_value(v), raw) &&
			    (st = aas_status_parse(k)) != AAS_ST_UNKNOWN)
				return st;
		}
	}
	return aas_status_parse(raw);
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
	if (aas_read_file(path, &text, &len, e) == -1) {
		if (e != NULL)
			snprintf(e->code, sizeof(e->code), "board");
		return -1;
	}
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

	memset(o, 0, sizeof(*o));
	if (aas_config_str(cf, "board", &board, e) == -1 ||
	    aas_config_str(cf, "id_pattern", &o->id_pattern, e) == -1)
		return -1;
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

const struct aas_task *
aas_board_task(const struct aas_board *b, size_t i)
{
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
/* the locked read-edit-write */

/* 1 when path holds exactly text (a missing file holds nothing). */
static int
same_bytes(const char *path, int existed, const char *text, size_t len)
{
	char *now;
	size_t n;
	int same;

	if (access(path, F_OK) == -1 && errno == ENOENT)
		return !existed;
	if (!existed || aas_read_file(path, &now, &n, NULL) == -1)
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
	lockpath = aas_xasprintf("%s.lock", real);
	if ((lfd = aas_lock(lockpath, 1, e)) == -1) {
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
		} else if (aas_read_file(real, &text, &len, e) == -1) {
			snprintf(e->code, sizeof(e->code), "board");
			break;
		}
		if (aas_board_parse(&b, text, len, path, o, e) == -1)
			break;
		if (fn(b, arg, e) == -1)
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

