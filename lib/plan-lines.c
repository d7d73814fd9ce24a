/*
 * plan-lines.c: what the free-text answer parsers share: the
 * answer as lines, fences, path lines.  See plan-int.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aas.h"
#include "plan.h"
#include "plan-int.h"
#include "record.h"
#include "banned.h"

void
aas_pl_lines_split(struct lines *L, const char *text, size_t len)
{
	size_t cap = 16, i = 0, start;

	L->v = aas_xreallocarray(NULL, cap, sizeof(*L->v));
	L->n = 0;
	while (i < len) {
		start = i;
		while (i < len && text[i] != '\n')
			i++;
		if (L->n == cap) {
			cap *= 2;
			L->v = aas_xreallocarray(L->v, cap, sizeof(*L->v));
		}
		L->v[L->n].s = text + start;
		L->v[L->n].n = i - start;
		if (L->v[L->n].n > 0 && text[i - 1] == '\r')
			L->v[L->n].n--;
		L->n++;
		if (i < len)
			i++;
	}
}

void
aas_pl_lines_free(struct lines *L)
{
	free(L->v);
	L->v = NULL;
	L->n = 0;
}

int
aas_pl_is_blank(const struct ln *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!isspace((unsigned char)l->s[i]))
			return 0;
	return 1;
}

int
aas_pl_starts(const struct ln *l, const char *p)
{
	size_t n = strlen(p);

	return l->n >= n && memcmp(l->s, p, n) == 0;
}

/* Trim spaces at both ends of [*s, *s + *n). */
void
aas_pl_trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* A marker line: 5 to 9 copies of c, optionally a space and word, then
 * only white space. */
int
aas_pl_is_marker(const struct ln *l, char c, const char *word)
{
	size_t i = 0, k, w;

	while (i < l->n && l->s[i] == c)
		i++;
	if (i < 5 || i > 9)
		return 0;
	if (word != NULL) {
		while (i < l->n && l->s[i] == ' ')
			i++;
		w = strlen(word);
		if (l->n - i < w || strncasecmp(l->s + i, word, w) != 0)
			return 0;
		i += w;
	}
	for (k = i; k < l->n; k++)
		if (!isspace((unsigned char)l->s[k]))
			return 0;
	return 1;
}

int
aas_pl_is_start(const struct ln *l)
{
	return aas_pl_is_marker(l, '<', "SEARCH") ||
	    aas_pl_is_marker(l, '<', "ORIGINAL") ||
	    aas_pl_is_marker(l, '<', "HEAD");
}

int
aas_pl_is_end(const struct ln *l)
{
	return aas_pl_is_marker(l, '>', "REPLACE") ||
	    aas_pl_is_marker(l, '>', "UPDATED");
}

/*
 * "<source>", "<source>python" (one word of letters, digits and "+-#._"
 * after the tag) or "</source>", from the first column, trailing blanks
 * allowed: as aider's models wrote them.  Never a line of XML that
 * happens to use the tag, nor an indented diff context line.
 */
static int
source_tag(const struct ln *l, struct fence *f)
{
	const char *s = l->s;
	size_t n = l->n, i;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 9 && memcmp(s, "</source>", 9) == 0) {
		f->ch = '<';
		f->tag = 2;
		f->count = 0;
		f->info = s + n;
		f->infolen = 0;
		return 1;
	}
	if (n < 8 || memcmp(s, "<source>", 8) != 0)
		return 0;
	for (i = 8; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("+-#._", s[i]) ==
		    NULL)
			return 0;
	f->ch = '<';
	f->tag = 1;
	f->count = 1;
	f->info = s + 8;
	f->infolen = n - 8;
	return 1;
}

int
aas_pl_is_fence(const struct ln *l, struct fence *f)
{
	size_t i = 0, k;

	f->tag = 0;
	if (l->n > 0 && l->s[0] == '<' && source_tag(l, f))
		return 1;
	while (i < l->n && i < 3 && l->s[i] == ' ')
		i++;
	if (i >= l->n || (l->s[i] != '`' && l->s[i] != '~'))
		return 0;
	f->ch = l->s[i];
	for (k = i; k < l->n && l->s[k] == f->ch; k++)
		;
	f->count = k - i;
	if (f->count < 3)
		return 0;
	f->info = l->s + k;
	f->infolen = l->n - k;
	if (f->ch == '`' && memchr(f->info, '`', f->infolen) != NULL)
		return 0;
	aas_pl_trim(&f->info, &f->infolen);
	return 1;
}

/* Does l close a fence opened by open? */
int
aas_pl_closes(const struct ln *l, const struct fence *open)
{
	struct fence f;

	if (!aas_pl_is_fence(l, &f))
		return 0;
	if (open->tag != 0)
		return f.tag == 2;
	return f.tag == 0 && f.ch == open->ch && f.count >= open->count &&
	    f.infolen == 0;
}

static int
looks_like_path(const char *s, size_t n)
{
	static const char *const bare[] = { "Makefile", "GNUmakefile",
	    "Dockerfile", "README", "LICENSE", "COPYING", "Gemfile",
	    "Rakefile", "Procfile", "Containerfile", NULL };
	size_t i;
	int dot = 0;

	if (n == 0 || n > AAS_PLAN_MAX_PATH || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (isspace(c) || c < 0x20 || strchr("`\"'<>|*?,;()[]{}", c))
			return 0;
		if (c == '.' || c == '/')
			dot = 1;
	}
	if (s[n - 1] == '.' || s[n - 1] == ':')
		return 0;
	if (n >= 3 && memmem(s, n, "://", 3) != NULL)
		return 0;
	if (dot) {
		for (i = 0; i < n && (s[i] == '.' || s[i] == '/'); i++)
			;
		return i < n;
	}
	for (i = 0; bare[i] != NULL; i++)
		if (strlen(bare[i]) == n && memcmp(bare[i], s, n) == 0)
			return 1;
	return 0;
}

int
aas_pl_pathish(const char *s, size_t n)
{
	const char *dot;
	size_t i;

	if (!looks_like_path(s, n))
		return 0;
	if (memchr(s, '/', n) != NULL)
		return 1;
	/* "name.ext": letters or digits after the last dot, and a name */
	dot = s + n;
	while (dot > s && dot[-1] != '.')
		dot--;
	if (dot == s || dot - 1 == s || dot == s + n || s + n - dot > 10)
		return 0;
	for (i = 0; dot + i < s + n; i++)
		if (!isalnum((unsigned char)dot[i]))
			return 0;
	return isalpha((unsigned char)dot[0]) || isalpha(
	    (unsigned char)s[n - 1]);
}

/* One candidate for aas_pl_prose_path: 0 not a path, 1 taken, -1 a
 * second, different path. */
static int
prose_cand(const char *s, size_t n, const char **ps, size_t *pn)
{
	while (n > 0 && strchr("*_\"'(", *s) != NULL)
		s++, n--;
	while (n > 0 && strchr("*_\"'):,.;!?", s[n - 1]) != NULL)
		n--;
	if (n == 0 || !aas_pl_pathish(s, n))
		return 0;
	if (*ps != NULL && (*pn != n || memcmp(*ps, s, n) != 0))
		return -1;
	*ps = s;
	*pn = n;
	return 1;
}

int
aas_pl_prose_path(const struct ln *l, const char **ps, size_t *pn)
{
	const char *s = l->s, *p = NULL, *w, *end, *q;
	size_t n = l->n, pl = 0;
	int heading;

	aas_pl_trim(&s, &n);
	heading = n > 0 && s[0] == '#';
	while (n > 0 && (s[n - 1] == '*' || s[n - 1] == '_'))
		n--;
	if (!heading && (n == 0 || s[n - 1] != ':'))
		return 0;
	end = s + n;
	/* the spans in backticks */
	for (w = s; w < end; w = q + 1) {
		if ((w = memchr(w, '`', end - w)) == NULL)
			break;
		if ((q = memchr(w + 1, '`', end - w - 1)) == NULL)
			break;
		if (prose_cand(w + 1, q - w - 1, &p, &pl) == -1)
			return 0;
	}
	/* the words outside them: with a "/", or the last one */
	for (w = s; w < end; ) {
		while (w < end && isspace((unsigned char)*w))
			w++;
		if (w == end)
			break;
		for (q = w; q < end && !isspace((unsigned char)*q); q++)
			;
		if (*w != '`' && (memchr(w, '/', q - w) != NULL ||
		    (q == end && !heading)) &&
		    memchr(w, '`', q - w) == NULL &&
		    prose_cand(w, q - w, &p, &pl) == -1)
			return 0;
		w = q;
	}
	if (p == NULL)
		return 0;
	*ps = p;
	*pn = pl;
	return 1;
}

static int
strip_prefix_ci(const char **s, size_t *n, const char *p)
{
	size_t k = strlen(p);

	if (*n >= k && strncasecmp(*s, p, k) == 0) {
		*s += k;
		*n -= k;
		aas_pl_trim(s, n);
		return 1;
	}
	return 0;
}

static int
strip_wrap(const char **s, size_t *n, const char *w)
{
	size_t k = strlen(w);

	if (*n > 2 * k && memcmp(*s, w, k) == 0 &&
	    memcmp(*s + *n - k, w, k) == 0) {
		*s += k;
		*n -= 2 * k;
		aas_pl_trim(s, n);
		return 1;
	}
	return 0;
}

/*
 * A line that names a file: "path", "### path", "**path**", "`path`",
 * "File: path", "path:" and combinations.  Sets *ps, *pn.
 */
int
aas_pl_path_line(const struct ln *l, const char **ps, size_t *pn)
{
	static const char *const pre[] = { "file path:", "filepath:",
	    "filename:", "file name:", "file:", "path:", NULL };
	const char *s = l->s;
	size_t n = l->n, i;
	int again;

	aas_pl_trim(&s, &n);
	while (n > 0 && *s == '#')
		s++, n--;
	aas_pl_trim(&s, &n);
	do {
		again = 0;
		again |= strip_wrap(&s, &n, "**");
		again |= strip_wrap(&s, &n, "__");
		again |= strip_wrap(&s, &n, "`");
		for (i = 0; pre[i] != NULL; i++)
			again |= strip_prefix_ci(&s, &n, pre[i]);
		if (n > 1 && s[n - 1] == ':' && !looks_like_path(s, n)) {
			n--;
			aas_pl_trim(&s, &n);
			again = 1;
		}
		/* "**File:** path", "**path**:" */
		if (n > 2 && memcmp(s, "**", 2) == 0) {
			s += 2, n -= 2;
			aas_pl_trim(&s, &n);
			again = 1;
		}
		if (n > 2 && memcmp(s + n - 2, "**", 2) == 0) {
			n -= 2;
			aas_pl_trim(&s, &n);
			again = 1;
		}
	} while (again && n > 0);
	if (!looks_like_path(s, n))
		return 0;
	*ps = s;
	*pn = n;
	return 1;
}

/*
 * A path in a fence's info string: "python path/x.py", "x.py",
 * "path=x.py", "c title=\"x.c\"", "python:x.py".
 */
int
aas_pl_info_path(const struct fence *f, const char **ps, size_t *pn)
{
	const char *s = f->info, *end = f->info + f->infolen, *t, *eq, *v;
	size_t tn, vn, idx = 0;

	while (s < end) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s == end)
			break;
		t = s;
		if ((eq = memchr(t, '=', end - t)) != NULL) {
			/* key=value, the value possibly quoted with spaces */
			const char *k;

			for (k = t; k < eq && !isspace((unsigned char)*k); k++)
				;
			if (k != eq)
				eq = NULL;
		}
		if (eq != NULL) {
			v = eq + 1;
			if (v < end && (*v == '"' || *v == '\'')) {
				const char *q = memchr(v + 1, *v, end - v - 1);

				if (q == NULL)
					q = end;
				s = q < end ? q + 1 : end;
				v++;
				vn = q - v;
			} else {
				for (s = v; s < end &&
				    !isspace((unsigned char)*s); s++)
					;
				vn = s - v;
			}
			tn = eq - t;
			if ((tn == 4 && strncasecmp(t, "path", 4) == 0) ||
			    (tn == 4 && strncasecmp(t, "file", 4) == 0) ||
			    (tn == 8 && strncasecmp(t, "filename", 8) == 0) ||
			    (tn == 5 && strncasecmp(t, "title", 5) == 0) ||
			    (tn == 4 && strncasecmp(t, "name", 4) == 0)) {
				if (looks_like_path(v, vn)) {
					*ps = v;
					*pn = vn;
					return 1;
				}
			}
			idx++;
			continue;
		}
		for (s = t; s < end && !isspace((unsigned char)*s); s++)
			;
		tn = s - t;
		if (idx == 0) {
			const char *c = memchr(t, ':', tn);

			if (c != NULL &&
			    looks_like_path(c + 1, t + tn - c - 1)) {
				*ps = c + 1;
				*pn = t + tn - c - 1;
				return 1;
			}
		}
		if (looks_like_path(t, tn)) {
			*ps = t;
			*pn = tn;
			return 1;
		}
		idx++;
	}
	return 0;
}

/* Join lines [a, b) with "\n" after each. */
json_t *
aas_pl_join(const struct lines *L, size_t a, size_t b)
{
	struct aas_buf buf = AAS_BUF_INIT;
	json_t *j;
	size_t i;

	aas_buf_add(&buf, "", 0);
	for (i = a; i < b; i++) {
		aas_buf_add(&buf, L->v[i].s, L->v[i].n);
		aas_buf_addc(&buf, '\n');
	}
	j = aas_json_lossy(buf.s, buf.len);
	aas_buf_free(&buf);
	return j;
}

json_t *
aas_pl_edit_new(const char *path, size_t pn, const char *op)
{
	json_t *ed = json_object();

	json_object_set_new(ed, "path", aas_json_lossy(path, pn));
	json_object_set_new(ed, "op", json_string(op));
	return ed;
}
