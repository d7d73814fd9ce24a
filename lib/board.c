/* board.c: the Markdown task board: parse, edit by splicing, locked write. */
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
#include "config.h"
#include "state.h"
#include "banned.h"

#define DEFAULT_ID_PATTERN	"[A-Z][A-Z0-9]*-[0-9]+(-[0-9]+)*"
#define UPDATE_TRIES		50

struct span {
	size_t	s, e;
};

/* A "- Key: value" line of a heading block. */
struct hfield {
	struct span key, val;
	size_t	 lstart, lnext;	/* the whole line, ending included */
};

struct table {
	char	**cols;		/* header names, unescaped and trimmed */
	size_t	 ncols;
	int	 idcol, titlecol, statuscol, depscol, parentcol;
	int	 lead, trail;	/* rows written with leading/trailing pipes */
	size_t	 hdr_line;
};

/* Where a task lives in the text; parallel to b->tasks. */
struct tinfo {
	int	 table;		/* index into b->tables, or -1 */
	size_t	 rstart, rend, rnext;	/* the row line */
	struct span *cells;
	size_t	 ncells;
	int	 has_head;
	int	 level;
	size_t	 hstart, hend;	/* heading block [hstart, hend) */
	size_t	 hline;		/* 1-based line of the heading */
	size_t	 hlnext;	/* just past the heading line */
	size_t	 fend;		/* just past the last field line */
	struct hfield *flds;
	size_t	 nflds;
	int	 dup;		/* another task has the same id */
};

struct aas_board {
	char	*name;
	char	*text;
	size_t	 len;
	char	*pattern;
	json_t	*status_names;
	regex_t	 re;
	int	 yaml;		/* read from a YAML plan: read-only */
	struct aas_task *tasks;
	struct tinfo *info;
	size_t	 ntasks, cap;
	struct table *tables;
	size_t	 ntables;
	size_t	*hash;		/* id -> index + 1 (first occurrence) */
	size_t	 hcap;
	size_t	 unclosed_fence;	/* line of a fence never closed, or 0 */
	const char *eol;	/* "\n" or "\r\n": the board's line ending */
};

/* ---------------------------------------------------------------- */
/* small helpers */

static int
is_blank(const char *t, size_t s, size_t e)
{
	for (; s < e; s++)
		if (t[s] != ' ' && t[s] != '\t')
			return 0;
	return 1;
}

static void
trim(const char *t, size_t *s, size_t *e)
{
	while (*s < *e && (t[*s] == ' ' || t[*s] == '\t'))
		(*s)++;
	while (*e > *s && (t[*e - 1] == ' ' || t[*e - 1] == '\t'))
		(*e)--;
}

/* Content end of the line starting at i; *next gets the next line. */
static size_t
line_end(const char *t, size_t len, size_t i, size_t *next)
{
	const char *nl = memchr(t + i, '\n', len - i);
	size_t e = nl != NULL ? (size_t)(nl - t) : len;

	*next = nl != NULL ? e + 1 : len;
	if (nl != NULL && e > i && t[e - 1] == '\r')
		e--;
	return e;
}

static int
ieq(const char *a, const char *b)
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

static void
hash_build(struct aas_board *b)
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

static long
find_index(const struct aas_board *b, const char *id)
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

static int
id_ok(const struct aas_board *b, const char *id)
{
	return *id != '\0' && regexec(&b->re, id, 0, NULL, 0) == 0;
}

/* Copy [s, e) undoing "\|" escapes; cells only. */
static char *
cell_text(const char *t, size_t s, size_t e)
{
	struct aas_buf o = AAS_BUF_INIT;

	for (; s < e; s++) {
		if (t[s] == '\\' && s + 1 < e && t[s + 1] == '|')
			s++;
		aas_buf_addc(&o, t[s]);
	}
	return aas_buf_detach(&o, NULL);
}

/* Strip decoration an id may wear in a cell: `AAS-1`, **AAS-1**. */
static char *
bare_id(const char *s)
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

static const char *const st_names[] = {
	NULL, "Queued", "In Progress", "Review", "Done", "Failed", "Blocked"
};

/* The emoji written for a status when the old text used one. */
static const char *const st_emoji[] = {
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
	return st_names[s];
}

/*
 * Split a status text into decoration and word: a leading checkbox
 * ("[x]", "[ ]"), leading and trailing emoji or punctuation, and the word
 * between.  *box is -1 (none), 0 (unchecked) or 1 (checked).
 */
static void
status_split(const char *s, size_t *ws, size_t *we, int *box)
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

	status_split(s, &ws, &we, &box);
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
static enum aas_status
status_read(const struct aas_board *b, const char *raw)
{
	const char *k;
	json_t *v;
	enum aas_status st;

	if (*raw == '\0')
		return AAS_ST_QUEUED;
	if (b->status_names != NULL) {
		json_object_foreach(b->status_names, k, v) {
			if (json_is_string(v) &&
			    ieq(json_string_value(v), raw) &&
			    (st = aas_status_parse(k)) != AAS_ST_UNKNOWN)
				return st;
		}
	}
	return aas_status_parse(raw);
}

/* ---------------------------------------------------------------- */
/* parsing */

static int
fence_open(const char *t, size_t s, size_t e, char *ch, size_t *n)
{
	size_t i = s, k;

	while (i < e && i - s < 3 && t[i] == ' ')
		i++;
	if (i >= e || (t[i] != '`' && t[i] != '~'))
		return 0;
	for (k = i; k < e && t[k] == t[i]; k++)
		;
	if (k - i < 3)
		return 0;
	if (t[i] == '`' && memchr(t + k, '`', e - k) != NULL)
		return 0;
	*ch = t[i];
	*n = k - i;
	return 1;
}

static int
fence_close(const char *t, size_t s, size_t e, char ch, size_t n)
{
	size_t i = s, k;

	while (i < e && i - s < 3 && t[i] == ' ')
		i++;
	for (k = i; k < e && t[k] == ch; k++)
		;
	return k - i >= n && is_blank(t, k, e);
}

/* ATX heading level (1-6) or 0; *ts receives where its text starts. */
static int
heading_level(const char *t, size_t s, size_t e, size_t *ts)
{
	size_t i = s, k;

	while (i < e && i - s < 3 && t[i] == ' ')
		i++;
	for (k = i; k < e && t[k] == '#'; k++)
		;
	if (k == i || k - i > 6 || (k < e && t[k] != ' ' && t[k] != '\t'))
		return 0;
	*ts = k;
	return (int)(k - i);
}

/* Cell spans of a table-like line; 0 when it has no unescaped pipe. */
static size_t
split_cells(const char *t, size_t s, size_t e, struct span **cellsp,
    int *lead, int *trail)
{
	struct span *c = NULL;
	size_t n = 0, i, cs;
	int pipes = 0;

	trim(t, &s, &e);
	*lead = s < e && t[s] == '|';
	*trail = 0;
	if (*lead)
		s++;
	cs = s;
	for (i = s; i <= e; i++) {
		if (i < e && t[i] == '\\' && i + 1 < e) {
			i++;
			continue;
		}
		if (i < e && t[i] != '|')
			continue;
		if (i < e)
			pipes++;
		if (i == e && cs == e && n > 0 && t[e - 1] == '|' &&
		    (e < 2 || t[e - 2] != '\\')) {
			*trail = 1;
			break;
		}
		c = aas_xreallocarray(c, n + 1, sizeof(*c));
		c[n].s = cs;
		c[n].e = i;
		trim(t, &c[n].s, &c[n].e);
		n++;
		cs = i + 1;
	}
	if (pipes == 0 && !*lead) {
		free(c);
		*cellsp = NULL;
		return 0;
	}
	*cellsp = c;
	return n;
}

static int
is_separator(const char *t, const struct span *c, size_t n)
{
	size_t i, k;
	int dash;

	for (i = 0; i < n; i++) {
		k = c[i].s;
		dash = 0;
		if (k < c[i].e && t[k] == ':')
			k++;
		while (k < c[i].e && t[k] == '-')
			k++, dash = 1;
		if (k < c[i].e && t[k] == ':')
			k++;
		if (!dash || k != c[i].e)
			return 0;
	}
	return n > 0;
}

enum role { R_OTHER, R_ID, R_TITLE, R_STATUS, R_DEPS, R_PARENT };

static enum role
name_role(const char *n)
{
	static const char *const title[] = { "title", "task", "name",
	    "summary" };
	static const char *const deps[] = { "depends", "deps", "depends on",
	    "dependencies", "blocked by" };
	size_t i;

	if (ieq(n, "id"))
		return R_ID;
	for (i = 0; i < sizeof(title) / sizeof(title[0]); i++)
		if (ieq(n, title[i]))
			return R_TITLE;
	if (ieq(n, "status") || ieq(n, "state"))
		return R_STATUS;
	for (i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
		if (ieq(n, deps[i]))
			return R_DEPS;
	if (ieq(n, "parent"))
		return R_PARENT;
	return R_OTHER;
}

static int
parse_priority(const char *s)
{
	while (*s == ' ')
		s++;
	if ((*s == 'P' || *s == 'p') && isdigit((unsigned char)s[1]))
		return atoi(s + 1);
	if (isdigit((unsigned char)*s))
		return atoi(s);
	if (ieq(s, "critical") || ieq(s, "urgent") || ieq(s, "highest"))
		return 0;
	if (ieq(s, "high"))
		return 1;
	if (ieq(s, "low"))
		return 3;
	if (ieq(s, "lowest"))
		return 4;
	return 2;
}

/* Depends: ids separated by commas or blanks; "none" and "-" mean none. */
static void
parse_deps(struct aas_task *t, const char *s)
{
	const char *p = s, *q;
	char *tok;

	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q && *q != ',' && *q != ' ' && *q != '\t' &&
		    *q != ';'; q++)
			;
		tok = aas_xstrndup(p, (size_t)(q - p));
		p = q;
		if (ieq(tok, "none") || strcmp(tok, "-") == 0 ||
		    strcmp(tok, "\xe2\x80\x94") == 0 || ieq(tok, "n/a")) {
			free(tok);
			continue;
		}
		{
			char *bare = bare_id(tok);

			free(tok);
			tok = bare;
		}
		if (*tok == '\0') {
			free(tok);
			continue;
		}
		t->deps = aas_xreallocarray(t->deps, t->ndeps + 1,
		    sizeof(*t->deps));
		t->deps[t->ndeps++] = tok;
	}
}

static struct aas_task *
new_task(struct aas_board *b, struct tinfo **ip)
{
	struct aas_task *t;

	if (b->ntasks == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->tasks = aas_xreallocarray(b->tasks, b->cap,
		    sizeof(*b->tasks));
		b->info = aas_xreallocarray(b->info, b->cap, sizeof(*b->info));
	}
	t = &b->tasks[b->ntasks];
	memset(t, 0, sizeof(*t));
	memset(&b->info[b->ntasks], 0, sizeof(b->info[0]));
	b->info[b->ntasks].table = -1;
	t->fields = json_object();
	t->priority = 2;
	*ip = &b->info[b->ntasks];
	b->ntasks++;
	return t;
}

static void
task_clear(struct aas_task *t, struct tinfo *in)
{
	size_t i;

	free(t->id);
	free(t->title);
	free(t->status_raw);
	free(t->body);
	for (i = 0; i < t->ndeps; i++)
		free(t->deps[i]);
	free(t->deps);
	free(t->parent);
	json_decref(t->fields);
	free(in->cells);
	free(in->flds);
}

/* Take one named value (column or field) into the task. */
static void
task_value(struct aas_task *t, const char *name, const char *val,
    int overwrite)
{
	switch (name_role(name)) {
	case R_ID:
		break;
	case R_TITLE:
		if (t->title == NULL || (overwrite && *val)) {
			free(t->title);
			t->title = aas_xstrdup(val);
		}
		break;
	case R_STATUS:
		if (t->status_raw == NULL || overwrite) {
			free(t->status_raw);
			t->status_raw = aas_xstrdup(val);
		}
		break;
	case R_DEPS:
		if (t->ndeps == 0 || overwrite)
			parse_deps(t, val);
		break;
	case R_PARENT:
		if (t->parent == NULL && *val) {
			char *p = bare_id(val);

			t->parent = p;
		}
		break;
	case R_OTHER:
		if (ieq(name, "priority") || ieq(name, "prio"))
			t->priority = parse_priority(val);
		if (json_object_get(t->fields, name) == NULL || overwrite)
			json_object_set_new(t->fields, name, json_string(val));
		break;
	}
}

/* A "- Key: value" line?  Keys are short words. */
static int
field_line(const char *t, size_t s, size_t e, struct hfield *f)
{
	size_t i = s, k;

	while (i < e && i - s < 3 && t[i] == ' ')
		i++;
	if (i + 1 >= e || (t[i] != '-' && t[i] != '*' && t[i] != '+') ||
	    (t[i + 1] != ' ' && t[i + 1] != '\t'))
		return 0;
	i += 2;
	while (i < e && (t[i] == ' ' || t[i] == '\t'))
		i++;
	for (k = i; k < e && k - i <= 32 && (isalnum((unsigned char)t[k]) ||
	    t[k] == ' ' || t[k] == '_' || t[k] == '-' || t[k] == '/'); k++)
		;
	if (k == i || k >= e || t[k] != ':' || !isalpha((unsigned char)t[i]))
		return 0;
	f->key.s = i;
	f->key.e = k;
	trim(t, &f->key.s, &f->key.e);
	f->val.s = k + 1;
	f->val.e = e;
	trim(t, &f->val.s, &f->val.e);
	return 1;
}

struct pstate {
	struct aas_board *b;
	const char *t;
	size_t	 len;
	long	 cur;		/* open heading task, or -1 */
	int	 infields;
	struct aas_err *e;
};

static void
close_block(struct pstate *ps, size_t at)
{
	struct tinfo *in;

	if (ps->cur < 0)
		return;
	in = &ps->b->info[ps->cur];
	in->hend = at;
	ps->cur = -1;
	ps->infields = 0;
}

/* A "## ID: Title" heading: the id and the title span, or 0. */
static int
task_heading(const struct aas_board *b, const char *t, size_t ts, size_t e,
    char **idp, struct span *title)
{
	size_t i = ts, k;
	char *id, *bare;

	while (i < e && (t[i] == ' ' || t[i] == '\t'))
		i++;
	for (k = i; k < e && t[k] != ' ' && t[k] != '\t' && t[k] != ':'; k++)
		;
	if (k == i)
		return 0;
	id = aas_xstrndup(t + i, k - i);
	bare = bare_id(id);
	free(id);
	if (!id_ok(b, bare)) {
		free(bare);
		return 0;
	}
	i = k;
	while (i < e && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (i < e && t[i] == ':')
		i++;
	else if (i + 1 < e && t[i] == '-' && (t[i + 1] == ' ' ||
	    t[i + 1] == '\t'))
		i++;
	else if (e - i >= 3 && memcmp(t + i, "\xe2\x80\x94", 3) == 0)
		i += 3;
	title->s = i;
	title->e = e;
	trim(t, &title->s, &title->e);
	/* an optional closing run of '#' */
	k = title->e;
	while (k > title->s && t[k - 1] == '#')
		k--;
	if (k < title->e && (k == title->s || t[k - 1] == ' ' ||
	    t[k - 1] == '\t')) {
		title->e = k;
		trim(t, &title->s, &title->e);
	}
	*idp = bare;
	return 1;
}

static void
add_table_row(struct pstate *ps, int ti, size_t s, size_t e, size_t next,
    size_t lineno, struct span *cells, size_t n)
{
	struct aas_board *b = ps->b;
	struct table *tb = &b->tables[ti];
	struct aas_task *t;
	struct tinfo *in;
	char *raw, *id, *v;
	size_t c;

	if ((size_t)tb->idcol >= n) {
		free(cells);
		return;
	}
	raw = cell_text(ps->t, cells[tb->idcol].s, cells[tb->idcol].e);
	id = bare_id(raw);
	free(raw);
	if (!id_ok(b, id)) {
		free(id);
		free(cells);
		return;
	}
	t = new_task(b, &in);
	t->id = id;
	t->line = lineno;
	t->layout = AAS_LAYOUT_TABLE;
	in->table = ti;
	in->rstart = s;
	in->rend = e;
	in->rnext = next;
	in->cells = cells;
	in->ncells = n;
	for (c = 0; c < tb->ncols; c++) {
		v = c < n ? cell_text(ps->t, cells[c].s, cells[c].e) :
		    aas_xstrdup("");
		task_value(t, tb->cols[c], v, 0);
		free(v);
	}
}

static int
utf8_check(const char *s, size_t n, size_t *bad)
{
	size_t i = 0, k, need;
	unsigned char c;
	unsigned long cp;

	while (i < n) {
		c = (unsigned char)s[i];
		if (c < 0x80) {
			if (c == 0)
				goto bad;
			i++;
			continue;
		}
		need = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 :
		    (c & 0xf8) == 0xf0 ? 3 : 0;
		if (need == 0 || need >= n - i)
			goto bad;
		cp = c & (0x3f >> need);
		for (k = 1; k <= need; k++) {
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			goto bad;
		i += need + 1;
	}
	return 0;
bad:
	*bad = i;
	return -1;
}

static size_t
line_of(const char *t, size_t off)
{
	size_t n = 1, i;

	for (i = 0; i < off; i++)
		if (t[i] == '\n')
			n++;
	return n;
}

/* Body text of a heading block: blank lines trimmed, "\r\n" -> "\n". */
static char *
block_body(const char *t, size_t s, size_t e)
{
	struct aas_buf o = AAS_BUF_INIT;
	size_t i, next, le;

	for (i = s; i < e; i = next) {
		le = line_end(t, e, i, &next);
		if (!is_blank(t, i, le))
			break;
	}
	s = i;
	while (e > s && (t[e - 1] == '\n' || t[e - 1] == '\r' ||
	    t[e - 1] == ' ' || t[e - 1] == '\t'))
		e--;
	for (i = s; i < e; i++) {
		if (t[i] == '\r' && i + 1 < e && t[i + 1] == '\n')
			continue;
		aas_buf_addc(&o, t[i]);
	}
	return aas_buf_detach(&o, NULL);
}

static void
sha_task(const struct aas_board *b, struct aas_task *t,
    const struct tinfo *in)
{
	struct aas_buf o = AAS_BUF_INIT;

	if (in->table >= 0)
		aas_buf_add(&o, b->text + in->rstart, in->rend - in->rstart);
	if (in->has_head) {
		if (in->table >= 0)
			aas_buf_addc(&o, '\n');
		aas_buf_add(&o, b->text + in->hstart, in->hend - in->hstart);
	}
	aas_sha256_hex(o.s != NULL ? o.s : "", o.len, t->sha);
	aas_buf_free(&o);
}

static void
mark_dups(struct aas_board *b)
{
	size_t i;
	long j;

	for (i = 0; i < b->ntasks; i++)
		if ((j = find_index(b, b->tasks[i].id)) >= 0 && (size_t)j != i)
			b->info[i].dup = b->info[j].dup = 1;
}

/* Merge heading blocks into table rows of the same id; finish tasks. */
static void
finish(struct aas_board *b)
{
	size_t i, j, k;
	long r;
	char *v;
	struct aas_task *t;
	struct tinfo *in;

	hash_build(b);
	for (i = 0, j = 0; i < b->ntasks; i++) {
		t = &b->tasks[i];
		in = &b->info[i];
		if (in->table < 0 && (r = find_index(b, t->id)) >= 0 &&
		    (size_t)r != i && b->info[r].table >= 0 &&
		    !b->info[r].has_head) {
			struct aas_task *row = &b->tasks[r];
			struct tinfo *ri = &b->info[r];

			ri->has_head = 1;
			ri->level = in->level;
			ri->hstart = in->hstart;
			ri->hend = in->hend;
			ri->hline = in->hline;
			ri->hlnext = in->hlnext;
			ri->fend = in->fend;
			ri->flds = in->flds;
			ri->nflds = in->nflds;
			in->flds = NULL;
			free(row->body);
			row->body = t->body;
			t->body = NULL;
			for (k = 0; k < ri->nflds; k++) {
				char *key = aas_xstrndup(b->text +
				    ri->flds[k].key.s, ri->flds[k].key.e -
				    ri->flds[k].key.s);

				v = aas_xstrndup(b->text + ri->flds[k].val.s,
				    ri->flds[k].val.e - ri->flds[k].val.s);
				if (name_role(key) != R_STATUS ||
				    b->tables[ri->table].statuscol < 0)
					task_value(row, key, v, 0);
				free(key);
				free(v);
			}
			if ((row->title == NULL || *row->title == '\0') &&
			    t->title != NULL) {
				free(row->title);
				row->title = t->title;
				t->title = NULL;
			}
			task_clear(t, in);
			continue;
		}
		if (j != i) {
			b->tasks[j] = b->tasks[i];
			b->info[j] = b->info[i];
		}
		j++;
	}
	b->ntasks = j;
	for (i = 0; i < b->ntasks; i++) {
		t = &b->tasks[i];
		in = &b->info[i];
		if (t->title == NULL)
			t->title = aas_xstrdup("");
		if (t->status_raw == NULL)
			t->status_raw = aas_xstrdup("");
		if (t->body == NULL)
			t->body = aas_xstrdup("");
		t->status = status_read(b, t->status_raw);
		sha_task(b, t, in);
	}
	hash_build(b);
	mark_dups(b);
}

static int
parse_text(struct aas_board *b, struct aas_err *e)
{
	struct pstate ps;
	const char *t = b->text;
	size_t len = b->len, i, next, le, lineno, n, ts, fence_line = 0;
	size_t fence_n = 0;
	char fence_ch = 0, *id;
	struct span *cells, title;
	int intable = -1, level, lead, trail;
	size_t bad;

	if (utf8_check(t, len, &bad) == -1)
		return aas_err_set(e, "board", "%s:%zu: %s", b->name,
		    line_of(t, bad), t[bad] == '\0' ? "NUL byte: not a text "
		    "file" : "not valid UTF-8");
	memset(&ps, 0, sizeof(ps));
	ps.b = b;
	ps.t = t;
	ps.len = len;
	ps.cur = -1;
	ps.e = e;
	{
		const char *nl = memchr(t, '\n', len);

		b->eol = nl != NULL && nl > t && nl[-1] == '\r' ? "\r\n" :
		    "\n";
	}
	for (i = 0, lineno = 1; i < len; i = next, lineno++) {
		le = line_end(t, len, i, &next);
		if (fence_ch != 0) {
			if (fence_close(t, i, le, fence_ch, fence_n)) {
				fence_ch = 0;
				fence_line = 0;
			}
			continue;
		}
		if (fence_open(t, i, le, &fence_ch, &fence_n)) {
			fence_line = lineno;
			intable = -1;
			if (ps.cur >= 0)
				ps.infields = 0;
			continue;
		}
		if ((level = heading_level(t, i, le, &ts)) > 0) {
			intable = -1;
			if (ps.cur >= 0 && level <= b->info[ps.cur].level)
				close_block(&ps, i);
			if (level >= 2 && level <= 4 &&
			    task_heading(b, t, ts, le, &id, &title)) {
				struct aas_task *tk;
				struct tinfo *in;

				close_block(&ps, i);
				tk = new_task(b, &in);
				tk->id = id;
				tk->title = aas_xstrndup(t + title.s,
				    title.e - title.s);
				tk->line = lineno;
				tk->layout = AAS_LAYOUT_HEADING;
				in->has_head = 1;
				in->level = level;
				in->hstart = i;
				in->hline = lineno;
				in->hlnext = next;
				in->fend = next;
				ps.cur = (long)(b->ntasks - 1);
				ps.infields = 1;
			}
			continue;
		}
		if (ps.cur >= 0 && ps.infields) {
			struct tinfo *in = &b->info[ps.cur];
			struct hfield f;

			if (is_blank(t, i, le) && in->nflds == 0)
				continue;
			if (field_line(t, i, le, &f)) {
				char *k, *v;

				f.lstart = i;
				f.lnext = next;
				in->flds = aas_xreallocarray(in->flds,
				    in->nflds + 1, sizeof(*in->flds));
				in->flds[in->nflds++] = f;
				in->fend = next;
				k = aas_xstrndup(t + f.key.s, f.key.e - f.key.s);
				v = aas_xstrndup(t + f.val.s, f.val.e - f.val.s);
				task_value(&b->tasks[ps.cur], k, v, 0);
				free(k);
				free(v);
				continue;
			}
			ps.infields = 0;
		}
		if (is_blank(t, i, le)) {
			intable = -1;
			continue;
		}
		n = split_cells(t, i, le, &cells, &lead, &trail);
		if (n == 0) {
			intable = -1;
			continue;
		}
		if (intable >= 0) {
			add_table_row(&ps, intable, i, le, next, lineno, cells,
			    n);
			continue;
		}
		/* a header row?  look at the next line for the separator */
		{
			size_t n2, next2, le2, c;
			struct span *sep;
			int l2, t2;

			if (next >= len) {
				free(cells);
				continue;
			}
			le2 = line_end(t, len, next, &next2);
			n2 = split_cells(t, next, le2, &sep, &l2, &t2);
			if (n2 != n || !is_separator(t, sep, n2)) {
				free(sep);
				free(cells);
				continue;
			}
			free(sep);
			b->tables = aas_xreallocarray(b->tables,
			    b->ntables + 1, sizeof(*b->tables));
			{
				struct table *tb = &b->tables[b->ntables];

				memset(tb, 0, sizeof(*tb));
				tb->idcol = tb->titlecol = tb->statuscol = -1;
				tb->depscol = tb->parentcol = -1;
				tb->ncols = n;
				tb->cols = aas_xcalloc(n, sizeof(char *));
				tb->lead = lead;
				tb->trail = trail;
				tb->hdr_line = lineno;
				for (c = 0; c < n; c++) {
					int *slot = NULL;

					tb->cols[c] = cell_text(t, cells[c].s,
					    cells[c].e);
					switch (name_role(tb->cols[c])) {
					case R_ID: slot = &tb->idcol; break;
					case R_TITLE: slot = &tb->titlecol; break;
					case R_STATUS: slot = &tb->statuscol; break;
					case R_DEPS: slot = &tb->depscol; break;
					case R_PARENT: slot = &tb->parentcol; break;
					case R_OTHER: break;
					}
					if (slot != NULL && *slot < 0)
						*slot = (int)c;
				}
				free(cells);
				b->ntables++;
				if (tb->idcol >= 0)
					intable = (int)(b->ntables - 1);
			}
			next = next2;
			lineno++;
		}
	}
	close_block(&ps, len);
	b->unclosed_fence = fence_ch != 0 ? fence_line : 0;
	for (i = 0; i < b->ntasks; i++) {
		struct tinfo *in = &b->info[i];

		if (in->table < 0 && in->has_head)
			b->tasks[i].body = block_body(t, in->fend, in->hend);
	}
	finish(b);
	return 0;
}

static void
board_reset(struct aas_board *b)
{
	size_t i, c;

	for (i = 0; i < b->ntasks; i++)
		task_clear(&b->tasks[i], &b->info[i]);
	free(b->tasks);
	free(b->info);
	b->tasks = NULL;
	b->info = NULL;
	b->ntasks = b->cap = 0;
	for (i = 0; i < b->ntables; i++) {
		for (c = 0; c < b->tables[i].ncols; c++)
			free(b->tables[i].cols[c]);
		free(b->tables[i].cols);
	}
	free(b->tables);
	b->tables = NULL;
	b->ntables = 0;
	free(b->hash);
	b->hash = NULL;
	b->hcap = 0;
}

static struct aas_board *
board_new(const char *name, const struct aas_board_opts *o,
    struct aas_err *e)
{
	struct aas_board *b = aas_xcalloc(1, sizeof(*b));
	char *re;
	int rc;

	b->name = aas_xstrdup(name != NULL ? name : "-");
	b->pattern = aas_xstrdup(o != NULL && o->id_pattern != NULL ?
	    o->id_pattern : DEFAULT_ID_PATTERN);
	if (o != NULL && json_is_object(o->status_names))
		b->status_names = json_incref(o->status_names);
	re = aas_xasprintf("^(%s)$", b->pattern);
	rc = regcomp(&b->re, re, REG_EXTENDED | REG_NOSUB);
	free(re);
	if (rc != 0) {
		char msg[256];

		regerror(rc, &b->re, msg, sizeof(msg));
		aas_err_set(e, "board", "id pattern '%s': %s", b->pattern,
		    msg);
		free(b->name);
		free(b->pattern);
		json_decref(b->status_names);
		free(b);
		return NULL;
	}
	return b;
}

static int is_yaml_name(const char *);
static int parse_yaml(struct aas_board *, struct aas_err *);

int
aas_board_parse(struct aas_board **bp, const char *text, size_t len,
    const char *name, const struct aas_board_opts *o, struct aas_err *e)
{
	struct aas_board *b;

	*bp = NULL;
	if ((b = board_new(name, o, e)) == NULL)
		return -1;
	b->text = aas_xstrndup(text, len);
	b->len = len;
	if ((is_yaml_name(b->name) ? parse_yaml(b, e) : parse_text(b, e)) ==
	    -1) {
		aas_board_free(b);
		return -1;
	}
	*bp = b;
	return 0;
}

void
aas_board_free(struct aas_board *b)
{
	if (b == NULL)
		return;
	board_reset(b);
	regfree(&b->re);
	free(b->name);
	free(b->text);
	free(b->pattern);
	json_decref(b->status_names);
	free(b);
}

/* ---------------------------------------------------------------- */
/* YAML plans */

static char *
yaml_scalar(json_t *v)
{
	if (json_is_string(v))
		return aas_xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return aas_xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return aas_xasprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return aas_xstrdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

static size_t
where_line(json_t *where, const char *path)
{
	const char *w = json_string_value(json_object_get(where, path)), *c;

	if (w == NULL || (c = strrchr(w, ':')) == NULL)
		return 0;
	return (size_t)strtoul(c + 1, NULL, 10);
}

static int
yaml_item(struct aas_board *b, json_t *it, const char *path, json_t *where,
    struct aas_err *e)
{
	struct aas_task *t;
	struct tinfo *in;
	const char *k;
	json_t *v, *x;
	size_t line = where_line(where, path), i;
	char *s, *dump;

	if (!json_is_object(it))
		return aas_err_set(e, "board", "%s:%zu: a feature must be a "
		    "mapping", b->name, line);
	if ((s = yaml_scalar(json_object_get(it, "id"))) == NULL || *s == '\0')
	{
		free(s);
		return aas_err_set(e, "board", "%s:%zu: a feature needs an id",
		    b->name, line);
	}
	t = new_task(b, &in);
	t->id = s;
	t->line = line;
	t->layout = AAS_LAYOUT_HEADING;
	json_object_foreach(it, k, v) {
		if (strcmp(k, "id") == 0)
			continue;
		if (strcmp(k, "depends") == 0 || strcmp(k, "depends_on") == 0 ||
		    strcmp(k, "deps") == 0) {
			if (json_is_array(v)) {
				json_array_foreach(v, i, x) {
					if ((s = yaml_scalar(x)) == NULL)
						continue;
					parse_deps(t, s);
					free(s);
				}
			} else if ((s = yaml_scalar(v)) != NULL) {
				parse_deps(t, s);
				free(s);
			}
			continue;
		}
		if (strcmp(k, "description") == 0 || strcmp(k, "body") == 0) {
			if ((s = yaml_scalar(v)) != NULL) {
				free(t->body);
				t->body = block_body(s, 0, strlen(s));
				free(s);
			}
			continue;
		}
		if (strcmp(k, "title") == 0 || strcmp(k, "status") == 0 ||
		    strcmp(k, "parent") == 0 || strcmp(k, "priority") == 0) {
			if ((s = yaml_scalar(v)) != NULL) {
				task_value(t, k, s, 1);
				free(s);
			}
			continue;
		}
		json_object_set(t->fields, k, v);
	}
	dump = json_dumps(it, JSON_COMPACT | JSON_SORT_KEYS);
	if (t->title == NULL)
		t->title = aas_xstrdup("");
	if (t->status_raw == NULL)
		t->status_raw = aas_xstrdup("");
	if (t->body == NULL)
		t->body = aas_xstrdup("");
	t->status = status_read(b, t->status_raw);
	aas_sha256_hex(dump != NULL ? dump : "", dump != NULL ? strlen(dump) :
	    0, t->sha);
	free(dump);
	return 0;
}

static int
parse_yaml(struct aas_board *b, struct aas_err *e)
{
	json_t *doc = NULL, *where = json_object(), *list, *it;
	const char *prefix = "";
	char *path;
	size_t i;
	int rc = 0;

	b->yaml = 1;
	b->eol = "\n";
	if (aas_yaml_parse(b->text, b->len, b->name, &doc, where, e) == -1) {
		json_decref(where);
		if (e != NULL)
			snprintf(e->code, sizeof(e->code), "board");
		return -1;
	}
	list = doc;
	if (json_is_object(doc)) {
		list = json_object_get(doc, "features");
		prefix = "features.";
	}
	if (doc != NULL && !json_is_array(list)) {
		json_decref(doc);
		json_decref(where);
		return aas_err_set(e, "board", "%s:1: a plan is a list of "
		    "features, or a mapping with a features: list", b->name);
	}
	json_array_foreach(list, i, it) {
		path = aas_xasprintf("%s%zu", prefix, i);
		rc = yaml_item(b, it, path, where, e);
		free(path);
		if (rc == -1)
			break;
	}
	json_decref(doc);
	json_decref(where);
	if (rc == 0) {
		hash_build(b);
		mark_dups(b);
	}
	return rc;
}

static int
is_yaml_name(const char *path)
{
	size_t n = strlen(path);

	return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(path + n - 4, ".yml") == 0);
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
	if ((b = board_new(path, o, e)) == NULL) {
		free(text);
		return -1;
	}
	b->text = text;
	b->len = len;
	rc = is_yaml_name(path) ? parse_yaml(b, e) : parse_text(b, e);
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
	long i = find_index(b, id);

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
		j = find_index(b, t->deps[d]);
		if (j < 0 || b->info[j].dup ||
		    b->tasks[j].status != AAS_ST_DONE)
			return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- */
/* edits */

/* Replace [from, to) with repl and parse again; b unchanged on failure. */
static int
board_splice(struct aas_board *b, size_t from, size_t to, const char *repl,
    size_t rlen, struct aas_err *e)
{
	struct aas_board nb;
	struct aas_buf o = AAS_BUF_INIT;
	char *oldtext = b->text;
	size_t oldlen = b->len;

	aas_buf_grow(&o, b->len - (to - from) + rlen);
	aas_buf_add(&o, b->text, from);
	aas_buf_add(&o, repl, rlen);
	aas_buf_add(&o, b->text + to, b->len - to);
	nb = *b;
	nb.tasks = NULL;
	nb.info = NULL;
	nb.ntasks = nb.cap = 0;
	nb.tables = NULL;
	nb.ntables = 0;
	nb.hash = NULL;
	nb.hcap = 0;
	nb.text = aas_buf_detach(&o, &nb.len);
	if (parse_text(&nb, e) == -1) {
		board_reset(&nb);
		free(nb.text);
		return -1;
	}
	b->text = oldtext;
	b->len = oldlen;
	board_reset(b);
	free(oldtext);
	*b = nb;
	return 0;
}

static int
writable(const struct aas_board *b, struct aas_err *e)
{
	if (b->yaml)
		return aas_err_set(e, "board", "%s: a YAML plan is read-only",
		    b->name);
	return 0;
}

static long
need_task(const struct aas_board *b, const char *id, struct aas_err *e)
{
	long i = find_index(b, id);

	if (i < 0)
		aas_err_set(e, "unknown_id", "%s: no task %s on the board",
		    b->name, id);
	return i;
}

/* Escape text for a table cell: "|" -> "\|", line breaks -> spaces. */
static char *
cell_escape(const char *s)
{
	struct aas_buf o = AAS_BUF_INIT;

	for (; *s; s++) {
		if (*s == '|')
			aas_buf_adds(&o, "\\|");
		else if (*s == '\n' || *s == '\r')
			aas_buf_addc(&o, ' ');
		else
			aas_buf_addc(&o, *s);
	}
	return aas_buf_detach(&o, NULL);
}

static char *
one_line(const char *s)
{
	char *p = aas_xstrdup(s), *q;

	for (q = p; *q; q++)
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	return p;
}

static int
field_index(const struct aas_board *b, const struct tinfo *in,
    const char *key)
{
	size_t k;
	int r = -1;

	for (k = 0; k < in->nflds; k++) {
		char *name = aas_xstrndup(b->text + in->flds[k].key.s,
		    in->flds[k].key.e - in->flds[k].key.s);

		if (ieq(name, key) || (name_role(key) != R_OTHER &&
		    name_role(name) == name_role(key)))
			r = (int)k;
		free(name);
		if (r >= 0)
			return r;
	}
	return -1;
}

/* Set a heading block's field, adding the line if it is missing. */
static int
head_set(struct aas_board *b, long i, const char *key, const char *value,
    struct aas_err *e)
{
	struct tinfo *in = &b->info[i];
	char *v = one_line(value), *line;
	int k = field_index(b, in, key), rc;

	if (k >= 0) {
		rc = board_splice(b, in->flds[k].val.s, in->flds[k].val.e, v,
		    strlen(v), e);
		free(v);
		return rc;
	}
	if (in->fend == b->len && (b->len == 0 ||
	    b->text[b->len - 1] != '\n'))
		line = aas_xasprintf("%s- %s: %s", b->eol, key, v);
	else
		line = aas_xasprintf("- %s: %s%s", key, v, b->eol);
	rc = board_splice(b, in->fend, in->fend, line, strlen(line), e);
	free(line);
	free(v);
	return rc;
}

/* Width of a row's cell from pipe to pipe, or 0 when it has no pipes. */
static size_t
cell_box(const struct aas_board *b, const struct tinfo *in, size_t col)
{
	size_t s, en;

	if (col >= in->ncells)
		return 0;
	s = in->cells[col].s;
	en = in->cells[col].e;
	while (s > in->rstart && b->text[s - 1] != '|')
		s--;
	while (en < in->rend && b->text[en] != '|')
		en++;
	if (s == in->rstart || en >= in->rend)
		return 0;
	return en - s;
}

/*
 * Width between the pipes around column col of the table's separator row
 * (the line after the header), or 0.  Only tables written with a leading
 * pipe are considered.
 */
static size_t
sep_box(const struct aas_board *b, const struct table *tb, size_t col)
{
	size_t line = 1, i = 0, k, start;

	while (i < b->len && line < tb->hdr_line + 1)
		if (b->text[i++] == '\n')
			line++;
	while (i < b->len && b->text[i] == ' ')
		i++;
	if (i >= b->len || b->text[i] != '|')
		return 0;
	for (k = 0; k <= col; k++) {
		start = ++i;
		while (i < b->len && b->text[i] != '|' && b->text[i] != '\n')
			i++;
		if (i >= b->len || b->text[i] != '|')
			return 0;
	}
	return i - start;
}

/*
 * Keep an aligned table aligned.  A table counts as aligned when the
 * cell's width, pipe to pipe, is that of its column in the separator row.
 * Then a shorter value is padded to the old value's length, and a longer
 * one takes the spare blanks after the old value (all but one), so the
 * change stays inside the cell.  Elsewhere only the value changes.  *enp
 * may move past the blanks taken.
 */
static char *
keep_width(const struct aas_board *b, long i, size_t col, char *v,
    size_t *enp)
{
	const struct tinfo *in = &b->info[i];
	size_t en = in->cells[col].e, oldlen = en - in->cells[col].s;
	size_t box = cell_box(b, in, col), pad = 0, n = strlen(v);
	char *w;

	if (box == 0 || box != sep_box(b, &b->tables[in->table], col))
		return v;
	while (en + pad < in->rend && b->text[en + pad] == ' ')
		pad++;
	if (n < oldlen) {
		w = aas_xasprintf("%s%*s", v, (int)(oldlen - n), "");
		free(v);
		return w;
	}
	if (pad > 1)
		*enp = en + (n - oldlen < pad - 1 ? n - oldlen : pad - 1);
	return v;
}

static int
row_set(struct aas_board *b, long i, int col, const char *value,
    struct aas_err *e)
{
	struct tinfo *in = &b->info[i];
	char *v, *w;
	size_t s, en;
	int rc;

	if ((size_t)col >= in->ncells)
		return aas_err_set(e, "board", "%s:%zu: %s: the row has no "
		    "cell for column %s", b->name, b->tasks[i].line,
		    b->tasks[i].id, b->tables[in->table].cols[col]);
	v = cell_escape(value);
	s = in->cells[col].s;
	en = in->cells[col].e;
	if (s == en && *v != '\0') {
		/* an empty cell: fill it as " value " between its pipes */
		while (s > in->rstart && b->text[s - 1] != '|')
			s--;
		while (en < in->rend && b->text[en] != '|')
			en++;
		w = aas_xasprintf(" %s%s", v, en < in->rend ? " " : "");
		free(v);
		v = w;
	} else if (s < en)
		v = keep_width(b, i, (size_t)col, v, &en);
	rc = board_splice(b, s, en, v, strlen(v), e);
	free(v);
	return rc;
}

static int
column_of(const struct table *tb, const char *key)
{
	size_t c;
	enum role r = name_role(key);

	for (c = 0; c < tb->ncols; c++)
		if (ieq(tb->cols[c], key) || (r != R_OTHER &&
		    name_role(tb->cols[c]) == r))
			return (int)c;
	return -1;
}

int
aas_board_set_field(struct aas_board *b, const char *id, const char *key,
    const char *value, struct aas_err *e)
{
	long i;
	struct tinfo *in;
	int col;

	if (writable(b, e) == -1 || (i = need_task(b, id, e)) < 0)
		return -1;
	in = &b->info[i];
	if (in->table >= 0) {
		col = column_of(&b->tables[in->table], key);
		if (col >= 0)
			return row_set(b, i, col, value, e);
		if (!in->has_head || name_role(key) == R_ID)
			return aas_err_set(e, "board", "%s:%zu: %s: the table "
			    "has no %s column", b->name, b->tasks[i].line, id,
			    key);
	}
	return head_set(b, i, key, value, e);
}

/* Does raw use a decoration class: 2 emoji, 1 checkbox, 0 plain. */
static int
deco_class(const char *raw)
{
	size_t ws, we;
	int box;

	status_split(raw, &ws, &we, &box);
	if (box >= 0)
		return 1;
	if (ws > 0 || we < strlen(raw))
		return 2;
	return 0;
}

/*
 * The text for status st replacing raw.  Configured names win; else a
 * status text another task on the board already uses for st in the same
 * style; else raw's style (checkbox, emoji, letter case) on the new word.
 */
static char *
status_text(const struct aas_board *b, const char *raw, enum aas_status st)
{
	const char *name = st_names[st], *cfg;
	size_t ws, we, i;
	int box, cls = deco_class(raw), upper = 1, lower = 1;
	struct aas_buf o = AAS_BUF_INIT;
	char *word;

	cfg = json_string_value(json_object_get(b->status_names, name));
	if (cfg != NULL)
		return aas_xstrdup(cfg);
	if (*raw == '\0')
		return aas_xstrdup(name);
	if (cls != 0)
		for (i = 0; i < b->ntasks; i++)
			if (b->tasks[i].status == st &&
			    deco_class(b->tasks[i].status_raw) == cls)
				return aas_xstrdup(b->tasks[i].status_raw);
	status_split(raw, &ws, &we, &box);
	for (i = ws; i < we; i++) {
		if (islower((unsigned char)raw[i]))
			upper = 0;
		if (isupper((unsigned char)raw[i]))
			lower = 0;
	}
	word = aas_xstrdup(name);
	for (i = 0; word[i]; i++)
		word[i] = (char)(upper && ws < we ? toupper((unsigned char)
		    word[i]) : lower && ws < we ? tolower((unsigned char)
		    word[i]) : word[i]);
	if (box >= 0) {
		aas_buf_add(&o, raw, ws);
		/* flip the box in place, keeping what surrounds it */
		for (i = 0; i + 2 < o.len; i++)
			if (o.s[i] == '[' && o.s[i + 2] == ']') {
				o.s[i + 1] = st == AAS_ST_DONE ? (raw[i + 1] ==
				    ' ' ? 'x' : raw[i + 1]) : ' ';
				break;
			}
		if (ws < we)
			aas_buf_adds(&o, word);
	} else if (cls == 2) {
		aas_buf_adds(&o, st_emoji[st]);
		aas_buf_adds(&o, " ");
		aas_buf_adds(&o, word);
	} else
		aas_buf_adds(&o, word);
	free(word);
	return aas_buf_detach(&o, NULL);
}

int
aas_board_set_status(struct aas_board *b, const char *id,
    enum aas_status st, struct aas_err *e)
{
	long i;
	struct tinfo *in;
	char *text;
	int rc;

	if (st <= AAS_ST_UNKNOWN || st > AAS_ST_BLOCKED)
		return aas_err_set(e, "board", "unknown status");
	if (writable(b, e) == -1 || (i = need_task(b, id, e)) < 0)
		return -1;
	in = &b->info[i];
	if (b->tasks[i].status == st && *b->tasks[i].status_raw != '\0')
		return 0;
	text = status_text(b, b->tasks[i].status_raw, st);
	if (in->table >= 0 && b->tables[in->table].statuscol >= 0)
		rc = row_set(b, i, b->tables[in->table].statuscol, text, e);
	else if (in->has_head)
		rc = head_set(b, i, "Status", text, e);
	else
		rc = aas_err_set(e, "board", "%s:%zu: %s: the table has no "
		    "Status column", b->name, b->tasks[i].line, id);
	free(text);
	return rc;
}

/* Is id a descendant of anc ("AAS-1-2" of "AAS-1") or parented by it? */
static int
descends(const struct aas_board *b, const struct aas_task *t,
    const char *anc, int depth)
{
	size_t n = strlen(anc);
	long p;

	if (strncmp(t->id, anc, n) == 0 && t->id[n] == '-')
		return 1;
	if (t->parent == NULL || depth > 64)
		return 0;
	if (strcmp(t->parent, anc) == 0)
		return 1;
	p = find_index(b, t->parent);
	return p >= 0 && descends(b, &b->tasks[p], anc, depth + 1);
}

static void
row_text(struct aas_buf *o, const struct aas_board *b, const struct table *tb,
    const struct aas_newtask *nt)
{
	size_t c, k;
	char *v;

	if (tb->lead)
		aas_buf_adds(o, "| ");
	for (c = 0; c < tb->ncols; c++) {
		struct aas_buf cell = AAS_BUF_INIT;

		switch (name_role(tb->cols[c])) {
		case R_ID:
			aas_buf_adds(&cell, nt->id);
			break;
		case R_TITLE:
			aas_buf_adds(&cell, nt->title);
			break;
		case R_STATUS:
			v = status_text(b, "", nt->status);
			aas_buf_adds(&cell, v);
			free(v);
			break;
		case R_DEPS:
			for (k = 0; k < nt->ndeps; k++)
				aas_buf_printf(&cell, "%s%s", k ? ", " : "",
				    nt->deps[k]);
			break;
		case R_PARENT:
			if (nt->parent != NULL)
				aas_buf_adds(&cell, nt->parent);
			break;
		case R_OTHER:
			break;
		}
		v = cell_escape(cell.s != NULL ? cell.s : "");
		if (c > 0)
			aas_buf_adds(o, " | ");
		aas_buf_adds(o, v);
		free(v);
		aas_buf_free(&cell);
	}
	if (tb->trail)
		aas_buf_adds(o, " |");
}

static void
block_text(struct aas_buf *o, const struct aas_board *b, int level,
    const struct aas_newtask *nt)
{
	size_t k;
	char *v, *title = one_line(nt->title);
	const char *eol = b->eol, *p;

	for (k = 0; k < (size_t)level; k++)
		aas_buf_addc(o, '#');
	aas_buf_printf(o, " %s: %s%s", nt->id, title, eol);
	free(title);
	v = status_text(b, "", nt->status);
	aas_buf_printf(o, "- Status: %s%s", v, eol);
	free(v);
	if (nt->ndeps > 0) {
		aas_buf_adds(o, "- Depends: ");
		for (k = 0; k < nt->ndeps; k++)
			aas_buf_printf(o, "%s%s", k ? ", " : "", nt->deps[k]);
		aas_buf_adds(o, eol);
	}
	if (nt->parent != NULL)
		aas_buf_printf(o, "- Parent: %s%s", nt->parent, eol);
	if (nt->body != NULL && *nt->body != '\0') {
		aas_buf_adds(o, eol);
		for (p = nt->body; *p; p++) {
			if (*p == '\n')
				aas_buf_adds(o, eol);
			else if (*p != '\r')
				aas_buf_addc(o, *p);
		}
		if (p[-1] != '\n')
			aas_buf_adds(o, eol);
	}
	aas_buf_adds(o, eol);
}

static int
check_new(const struct aas_board *b, const struct aas_newtask *t, size_t n,
    struct aas_err *e)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (t[i].id == NULL || !id_ok(b, t[i].id))
			return aas_err_set(e, "board", "%s: bad new id '%s'",
			    b->name, t[i].id != NULL ? t[i].id : "");
		if (find_index(b, t[i].id) >= 0)
			return aas_err_set(e, "board", "%s: id %s is already "
			    "on the board", b->name, t[i].id);
		for (j = 0; j < i; j++)
			if (strcmp(t[i].id, t[j].id) == 0)
				return aas_err_set(e, "board", "%s: new id %s "
				    "given twice", b->name, t[i].id);
		if (t[i].status <= AAS_ST_UNKNOWN || t[i].status >
		    AAS_ST_BLOCKED)
			return aas_err_set(e, "board", "%s: %s: bad status",
			    b->name, t[i].id);
	}
	return 0;
}

/* Insert text at pos, the start of a line (or the end of the text). */
static int
insert_lines(struct aas_board *b, size_t pos, const char *s, size_t n,
    struct aas_err *e)
{
	struct aas_buf o = AAS_BUF_INIT;
	int rc;

	if (pos == b->len && b->len > 0 && b->text[b->len - 1] != '\n') {
		/* no final newline: keep it that way */
		aas_buf_adds(&o, b->eol);
		aas_buf_add(&o, s, n - strlen(b->eol));
	} else
		aas_buf_add(&o, s, n);
	rc = board_splice(b, pos, pos, o.s, o.len, e);
	aas_buf_free(&o);
	return rc;
}

/* Heading blocks (each ending in a blank line) at the end of the text:
 * a blank line before them, none after, the final newline kept or not. */
static int
insert_at_end(struct aas_board *b, struct aas_buf *blocks,
    struct aas_err *e)
{
	struct aas_buf o = AAS_BUF_INIT;
	size_t el = strlen(b->eol), n = blocks->len - el;
	int rc, nofinal = b->len > 0 && b->text[b->len - 1] != '\n';

	if (nofinal)
		aas_buf_adds(&o, b->eol);
	if (b->len > 0 && !(b->len >= 2 && b->text[b->len - 1] == '\n' &&
	    (b->text[b->len - 2] == '\n' || (b->len >= 3 &&
	    b->text[b->len - 2] == '\r' && b->text[b->len - 3] == '\n'))))
		aas_buf_adds(&o, b->eol);
	aas_buf_add(&o, blocks->s, nofinal ? n - el : n);
	rc = board_splice(b, b->len, b->len, o.s, o.len, e);
	aas_buf_free(&o);
	aas_buf_free(blocks);
	return rc;
}

static int
insert_raw(struct aas_board *b, const char *after_id,
    const struct aas_newtask *t, size_t n, struct aas_err *e)
{
	struct aas_buf o = AAS_BUF_INIT;
	struct tinfo *in;
	long i;
	size_t j, pos, k;
	int rc;

	if (writable(b, e) == -1 || (i = need_task(b, after_id, e)) < 0 ||
	    check_new(b, t, n, e) == -1)
		return -1;
	if (n == 0)
		return 0;
	in = &b->info[i];
	if (in->table >= 0) {
		const struct table *tb = &b->tables[in->table];

		if (tb->titlecol < 0)
			return aas_err_set(e, "board", "%s:%zu: the table has "
			    "no Title column", b->name, tb->hdr_line);
		pos = in->rnext;
		for (j = (size_t)i + 1; j < b->ntasks; j++) {
			if (b->info[j].table != in->table ||
			    !descends(b, &b->tasks[j], after_id, 0))
				break;
			pos = b->info[j].rnext;
		}
		for (k = 0; k < n; k++) {
			row_text(&o, b, tb, &t[k]);
			aas_buf_adds(&o, b->eol);
		}
	} else {
		pos = in->hend;
		for (j = (size_t)i + 1; j < b->ntasks; j++) {
			if (b->info[j].table >= 0 || !b->info[j].has_head ||
			    b->info[j].level < in->level ||
			    !descends(b, &b->tasks[j], after_id, 0))
				break;
			pos = b->info[j].hend;
		}
		for (k = 0; k < n; k++)
			block_text(&o, b, in->level, &t[k]);
		if (pos == b->len)
			return insert_at_end(b, &o, e);
	}
	rc = insert_lines(b, pos, o.s, o.len, e);
	aas_buf_free(&o);
	return rc;
}

/* Insert, then make sure every new task reads back (an unclosed code
 * fence above would swallow it); undo and fail when not. */
static int
insert_checked(struct aas_board *b, const char *after_id,
    const struct aas_newtask *t, size_t n, struct aas_err *e)
{
	char *old = aas_xstrndup(b->text, b->len);
	size_t oldlen = b->len, k;
	int rc = insert_raw(b, after_id, t, n, e);

	for (k = 0; rc == 0 && k < n; k++) {
		if (find_index(b, t[k].id) < 0) {
			board_splice(b, 0, b->len, old, oldlen, NULL);
			rc = aas_err_set(e, "board", "%s: new task %s would "
			    "not be read back (inside a code fence?)",
			    b->name, t[k].id);
		}
	}
	free(old);
	return rc;
}

int
aas_board_insert_after(struct aas_board *b, const char *after_id,
    const struct aas_newtask *t, size_t n, struct aas_err *e)
{
	return insert_checked(b, after_id, t, n, e);
}

/* Split an id into the text before its first number and that number. */
static int
id_number(const char *id, size_t *plen, unsigned long *num)
{
	size_t i;

	for (i = 0; id[i] && !isdigit((unsigned char)id[i]); i++)
		;
	if (id[i] == '\0')
		return -1;
	*plen = i;
	*num = strtoul(id + i, NULL, 10);
	return 0;
}

int
aas_board_append(struct aas_board *b, const char *title, char **idp,
    struct aas_err *e)
{
	struct aas_newtask nt;
	struct aas_buf o = AAS_BUF_INIT;
	const struct aas_task *last;
	unsigned long max = 0, num;
	size_t plen, lp, i;
	char *prefix, *id;
	int rc;

	if (writable(b, e) == -1)
		return -1;
	if (b->ntasks == 0)
		prefix = aas_xstrdup("AAS-");
	else {
		last = &b->tasks[b->ntasks - 1];
		if (id_number(last->id, &lp, &num) == -1)
			return aas_err_set(e, "board", "%s: cannot number a "
			    "task after %s", b->name, last->id);
		prefix = aas_xstrndup(last->id, lp);
	}
	for (i = 0; i < b->ntasks; i++)
		if (id_number(b->tasks[i].id, &plen, &num) == 0 &&
		    plen == strlen(prefix) &&
		    strncmp(b->tasks[i].id, prefix, plen) == 0 && num > max)
			max = num;
	id = aas_xasprintf("%s%lu", prefix, max + 1);
	free(prefix);
	memset(&nt, 0, sizeof(nt));
	nt.id = id;
	nt.title = title;
	nt.status = AAS_ST_QUEUED;
	if (b->ntasks == 0) {
		if (!id_ok(b, id)) {
			free(id);
			return aas_err_set(e, "board", "%s: cannot number a "
			    "task on an empty board with this id pattern",
			    b->name);
		}
		block_text(&o, b, 2, &nt);
		{
			char *old = aas_xstrndup(b->text, b->len);
			size_t oldlen = b->len;

			rc = insert_at_end(b, &o, e);
			if (rc == 0 && find_index(b, id) < 0) {
				board_splice(b, 0, b->len, old, oldlen, NULL);
				rc = aas_err_set(e, "board", "%s: new task %s "
				    "would not be read back (inside a code "
				    "fence?)", b->name, id);
			}
			free(old);
		}
		aas_buf_free(&o);
	} else {
		/* after the last task, and after its whole table */
		long li = (long)b->ntasks - 1;
		struct tinfo *in = &b->info[li];

		if (in->table >= 0) {
			size_t j;

			for (j = 0; j < b->ntasks; j++)
				if (b->info[j].table == in->table)
					li = (long)j;
		} else {
			for (i = 0; i < b->ntasks; i++)
				if (b->info[i].table < 0 && b->info[i].hend >=
				    in->hend)
					li = (long)i, in = &b->info[i];
		}
		rc = aas_board_insert_after(b, b->tasks[li].id, &nt, 1, e);
	}
	if (rc == -1) {
		free(id);
		return -1;
	}
	*idp = id;
	return 0;
}

char *
aas_board_next_child_id(const struct aas_board *b, const char *parent,
    size_t skip)
{
	size_t n = strlen(parent), i;
	unsigned long max = 0, k;
	char *end, *id;

	for (i = 0; i < b->ntasks; i++) {
		const char *t = b->tasks[i].id;

		if (strncmp(t, parent, n) != 0 || t[n] != '-' ||
		    !isdigit((unsigned char)t[n + 1]))
			continue;
		k = strtoul(t + n + 1, &end, 10);
		if ((*end == '\0' || *end == '-') && k > max)
			max = k;
	}
	for (k = max + 1; ; k++) {
		id = aas_xasprintf("%s-%lu", parent, k);
		if (find_index(b, id) < 0) {
			if (skip == 0)
				return id;
			skip--;
		}
		free(id);
	}
}

/* ---------------------------------------------------------------- */
/* lint */

struct lint {
	void	(*cb)(const char *, void *);
	void	*arg;
	size_t	 n;
};

static void
lint(struct lint *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
lint(struct lint *l, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = aas_xmalloc((size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	l->cb(s, l->arg);
	free(s);
	l->n++;
}

size_t
aas_board_check(const struct aas_board *b,
    void (*cb)(const char *msg, void *arg), void *arg)
{
	struct lint l = { cb, arg, 0 };
	const struct aas_task *t;
	unsigned char *color;
	size_t i, d, *stack, *edge, sp, k;
	long j;

	if (b->unclosed_fence)
		lint(&l, "%s:%zu: code fence is never closed: the rest of the "
		    "board is ignored", b->name, b->unclosed_fence);
	for (i = 0; i < b->ntasks; i++) {
		t = &b->tasks[i];
		j = find_index(b, t->id);
		if (j >= 0 && (size_t)j != i)
			lint(&l, "%s:%zu: duplicate id %s, first seen at line "
			    "%zu", b->name, t->line, t->id, b->tasks[j].line);
		if (t->status == AAS_ST_UNKNOWN)
			lint(&l, "%s:%zu: %s: unknown status '%s'", b->name,
			    t->line, t->id, t->status_raw);
		for (d = 0; d < t->ndeps; d++) {
			if (strcmp(t->deps[d], t->id) == 0)
				lint(&l, "%s:%zu: %s: depends on itself",
				    b->name, t->line, t->id);
			else if (find_index(b, t->deps[d]) < 0)
				lint(&l, "%s:%zu: %s: unknown dependency %s",
				    b->name, t->line, t->id, t->deps[d]);
		}
	}
	/* cycles: iterative DFS, white 0 / grey 1 / black 2 */
	color = aas_xcalloc(b->ntasks + 1, 1);
	stack = aas_xcalloc(b->ntasks + 1, sizeof(*stack));
	edge = aas_xcalloc(b->ntasks + 1, sizeof(*edge));
	for (i = 0; i < b->ntasks; i++) {
		if (color[i] != 0 || find_index(b, b->tasks[i].id) != (long)i)
			continue;
		sp = 0;
		stack[sp] = i;
		edge[sp] = 0;
		color[i] = 1;
		sp++;
		while (sp > 0) {
			size_t v = stack[sp - 1];

			t = &b->tasks[v];
			if (edge[sp - 1] >= t->ndeps) {
				color[v] = 2;
				sp--;
				continue;
			}
			d = edge[sp - 1]++;
			j = find_index(b, t->deps[d]);
			if (j < 0 || (size_t)j == v)
				continue;
			if (color[j] == 0) {
				color[j] = 1;
				stack[sp] = (size_t)j;
				edge[sp] = 0;
				sp++;
			} else if (color[j] == 1) {
				struct aas_buf path = AAS_BUF_INIT;

				for (k = 0; k < sp && stack[k] != (size_t)j;
				    k++)
					;
				for (; k < sp; k++)
					aas_buf_printf(&path, "%s -> ",
					    b->tasks[stack[k]].id);
				aas_buf_adds(&path, b->tasks[j].id);
				lint(&l, "%s:%zu: dependency cycle %s",
				    b->name, b->tasks[j].line, path.s);
				aas_buf_free(&path);
			}
		}
	}
	free(color);
	free(stack);
	free(edge);
	return l.n;
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

	if (is_yaml_name(path))
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
