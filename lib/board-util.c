/*
 * board-util.c: what every board file shares, below them all: small text
 * helpers, the id index, statuses, and building a task (its defaults,
 * fields and dependencies), for Markdown and YAML boards alike.
 */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "board-int.h"
#include "banned.h"

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

/* ---------------------------------------------------------------- */
/* building tasks */

enum role
aas_bd_name_role(const char *n)
{
	static const char *const title[] = { "title", "task", "name",
	    "summary" };
	static const char *const deps[] = { "depends", "deps", "depends on",
	    "dependencies", "blocked by" };
	size_t i;

	if (aas_bd_ieq(n, "id"))
		return R_ID;
	for (i = 0; i < sizeof(title) / sizeof(title[0]); i++)
		if (aas_bd_ieq(n, title[i]))
			return R_TITLE;
	if (aas_bd_ieq(n, "status") || aas_bd_ieq(n, "state"))
		return R_STATUS;
	for (i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
		if (aas_bd_ieq(n, deps[i]))
			return R_DEPS;
	if (aas_bd_ieq(n, "parent"))
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
	if (aas_bd_ieq(s, "critical") || aas_bd_ieq(s, "urgent") ||
	    aas_bd_ieq(s, "highest"))
		return 0;
	if (aas_bd_ieq(s, "high"))
		return 1;
	if (aas_bd_ieq(s, "low"))
		return 3;
	if (aas_bd_ieq(s, "lowest"))
		return 4;
	return 2;
}

/* Depends: ids separated by commas or blanks; "none" and "-" mean none. */
void
aas_bd_parse_deps(struct aas_task *t, const char *s)
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
		if (aas_bd_ieq(tok, "none") || strcmp(tok, "-") == 0 ||
		    strcmp(tok, "\xe2\x80\x94") == 0 ||
		    aas_bd_ieq(tok, "n/a")) {
			free(tok);
			continue;
		}
		{
			char *bare = aas_bd_bare_id(tok);

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

struct aas_task *
aas_bd_new_task(struct aas_board *b, struct tinfo **ip)
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

/* What a task read from any board has: a title, status text and body
 * (empty when missing), and its status. */
void
aas_bd_task_defaults(const struct aas_board *b, struct aas_task *t)
{
	if (t->title == NULL)
		t->title = aas_xstrdup("");
	if (t->status_raw == NULL)
		t->status_raw = aas_xstrdup("");
	if (t->body == NULL)
		t->body = aas_xstrdup("");
	t->status = aas_bd_status_read(b, t->status_raw);
}

/* Take one named value (column or field) into the task. */
void
aas_bd_task_value(struct aas_task *t, const char *name, const char *val,
    int overwrite)
{
	switch (aas_bd_name_role(name)) {
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
			aas_bd_parse_deps(t, val);
		break;
	case R_PARENT:
		if (t->parent == NULL && *val) {
			char *p = aas_bd_bare_id(val);

			t->parent = p;
		}
		break;
	case R_OTHER:
		if (aas_bd_ieq(name, "priority") || aas_bd_ieq(name, "prio"))
			t->priority = parse_priority(val);
		if (json_object_get(t->fields, name) == NULL || overwrite)
			json_object_set_new(t->fields, name, json_string(val));
		break;
	}
}

/* Body text of a heading block: blank lines trimmed, "\r\n" -> "\n". */
char *
aas_bd_block_body(const char *t, size_t s, size_t e)
{
	struct aas_buf o = AAS_BUF_INIT;
	size_t i, next, le;

	for (i = s; i < e; i = next) {
		le = aas_bd_line_end(t, e, i, &next);
		if (!aas_bd_is_blank(t, i, le))
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

void
aas_bd_mark_dups(struct aas_board *b)
{
	size_t i;
	long j;

	for (i = 0; i < b->ntasks; i++)
		if ((j = aas_bd_find_index(b, b->tasks[i].id)) >= 0 &&
		    (size_t)j != i)
			b->info[i].dup = b->info[j].dup = 1;
}
