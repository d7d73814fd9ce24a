/*
 * plan.c: answers to plans.  See plan.h and aas-plan(1).
 *
 * Every free-text parser works on the answer as an array of lines (CR of
 * a CRLF end dropped).  They do not check paths or sizes: aas_plan_check
 * does, once, on whichever format won.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "plan.h"
#include "banned.h"

const char *const aas_plan_default_test_globs[] = {
	"tests/*", "test/*", "t/*", "*/tests/*", "*/test/*", "*/t/*",
	"*_test.*", "test_*.py", "*.test.*", "*_spec.*", NULL
};

#define SUMMARY_MAX	400

struct ln {
	const char *s;
	size_t	 n;		/* without "\n" and a "\r" before it */
};

struct lines {
	struct ln *v;
	size_t	 n;
};

static void
lines_split(struct lines *L, const char *text, size_t len)
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

static void
lines_free(struct lines *L)
{
	free(L->v);
	L->v = NULL;
	L->n = 0;
}

/* A JSON string from bytes that should be UTF-8; invalid bytes become
 * '?' rather than losing the edit (only fuzz input has them: answers come
 * out of JSON records). */
static json_t *
jstr(const char *s, size_t n)
{
	json_t *j;
	char *c;
	size_t i;

	if ((j = json_stringn(s, n)) != NULL)
		return j;
	c = aas_xstrndup(s, n);
	for (i = 0; i < n; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	j = json_stringn(c, n);
	free(c);
	return j;
}

static int
is_blank(const struct ln *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!isspace((unsigned char)l->s[i]))
			return 0;
	return 1;
}

static int
starts(const struct ln *l, const char *p)
{
	size_t n = strlen(p);

	return l->n >= n && memcmp(l->s, p, n) == 0;
}

/* Trim spaces at both ends of [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
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
static int
is_marker(const struct ln *l, char c, const char *word)
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

#define IS_SEARCH(l)	is_marker((l), '<', "SEARCH")
#define IS_DIVIDER(l)	is_marker((l), '=', NULL)
#define IS_REPLACE(l)	is_marker((l), '>', "REPLACE")
enum { K_FENCE = 1, K_SEARCH, K_REPLACE };

/*
 * A fence line (CommonMark): up to three spaces, then three or more
 * backticks or tildes; a backtick fence's info string has no backtick.
 */
struct fence {
	char	 ch;
	size_t	 count;
	const char *info;
	size_t	 infolen;
};

static int
is_fence(const struct ln *l, struct fence *f)
{
	size_t i = 0, k;

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
	trim(&f->info, &f->infolen);
	return 1;
}

/* Does l close a fence opened by open? */
static int
closes(const struct ln *l, const struct fence *open)
{
	struct fence f;

	return is_fence(l, &f) && f.ch == open->ch && f.count >= open->count &&
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

static int
strip_prefix_ci(const char **s, size_t *n, const char *p)
{
	size_t k = strlen(p);

	if (*n >= k && strncasecmp(*s, p, k) == 0) {
		*s += k;
		*n -= k;
		trim(s, n);
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
		trim(s, n);
		return 1;
	}
	return 0;
}

/*
 * A line that names a file: "path", "### path", "**path**", "`path`",
 * "File: path", "path:" and combinations.  Sets *ps, *pn.
 */
static int
path_line(const struct ln *l, const char **ps, size_t *pn)
{
	static const char *const pre[] = { "file path:", "filepath:",
	    "filename:", "file name:", "file:", "path:", NULL };
	const char *s = l->s;
	size_t n = l->n, i;
	int again;

	trim(&s, &n);
	while (n > 0 && *s == '#')
		s++, n--;
	trim(&s, &n);
	do {
		again = 0;
		again |= strip_wrap(&s, &n, "**");
		again |= strip_wrap(&s, &n, "__");
		again |= strip_wrap(&s, &n, "`");
		for (i = 0; pre[i] != NULL; i++)
			again |= strip_prefix_ci(&s, &n, pre[i]);
		if (n > 1 && s[n - 1] == ':' && !looks_like_path(s, n)) {
			n--;
			trim(&s, &n);
			again = 1;
		}
		/* "**File:** path", "**path**:" */
		if (n > 2 && memcmp(s, "**", 2) == 0) {
			s += 2, n -= 2;
			trim(&s, &n);
			again = 1;
		}
		if (n > 2 && memcmp(s + n - 2, "**", 2) == 0) {
			n -= 2;
			trim(&s, &n);
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
static int
info_path(const struct fence *f, const char **ps, size_t *pn)
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
static json_t *
join(const struct lines *L, size_t a, size_t b)
{
	struct aas_buf buf = AAS_BUF_INIT;
	json_t *j;
	size_t i;

	aas_buf_add(&buf, "", 0);
	for (i = a; i < b; i++) {
		aas_buf_add(&buf, L->v[i].s, L->v[i].n);
		aas_buf_addc(&buf, '\n');
	}
	j = jstr(buf.s, buf.len);
	aas_buf_free(&buf);
	return j;
}

static json_t *
edit_new(const char *path, size_t pn, const char *op)
{
	json_t *ed = json_object();

	json_object_set_new(ed, "path", jstr(path, pn));
	json_object_set_new(ed, "op", json_string(op));
	return ed;
}

/* ---- SEARCH/REPLACE ---- */

/* The path for a SEARCH block starting at line i, or 0. */
static int
sr_path(const struct lines *L, size_t i, const char **ps, size_t *pn)
{
	struct fence f;
	size_t j = i;
	int seen_fence = 0;

	while (j > 0) {
		j--;
		if (is_blank(&L->v[j]))
			continue;
		if (is_fence(&L->v[j], &f)) {
			if (seen_fence)
				return 0;
			if (f.infolen > 0 && info_path(&f, ps, pn))
				return 1;
			seen_fence = 1;
			continue;
		}
		return path_line(&L->v[j], ps, pn);
	}
	return 0;
}

int
aas_plan_parse_search_replace(const char *text, size_t len, json_t *edits,
    struct aas_err *e)
{
	struct lines L;
	struct fence f;
	const char *path = NULL, *ps;
	size_t pn, pathn = 0, i, j, s0, d, r0;
	int n = 0;
	json_t *ed;
	unsigned char *kind;
	size_t *prevb, *nextb;

	lines_split(&L, text, len);
	/* where the fences and markers are, once: a divider outside a
	 * block looks back and ahead to them */
	kind = aas_xcalloc(L.n + 1, 1);
	prevb = aas_xreallocarray(NULL, L.n + 1, sizeof(*prevb));
	nextb = aas_xreallocarray(NULL, L.n + 1, sizeof(*nextb));
	for (i = 0, j = SIZE_MAX; i < L.n; i++) {
		kind[i] = IS_SEARCH(&L.v[i]) ? K_SEARCH : IS_REPLACE(&L.v[i]) ?
		    K_REPLACE : is_fence(&L.v[i], &f) ? K_FENCE : 0;
		prevb[i] = j;
		if (kind[i] != 0)
			j = i;
	}
	for (i = L.n, j = L.n; i > 0; i--) {
		nextb[i - 1] = j;
		if (kind[i - 1] != 0)
			j = i - 1;
	}
	for (i = 0; i < L.n && json_array_size(edits) <= AAS_PLAN_MAX_EDITS;
	    i++) {
		if (kind[i] == K_SEARCH) {
			if (sr_path(&L, i, &ps, &pn)) {
				path = ps;
				pathn = pn;
			} else if (path == NULL) {
				aas_err_set(e, "bad_block", "line %zu: search "
				    "block without a file path", i + 1);
				goto fail;
			}
			s0 = i + 1;
		} else if (IS_DIVIDER(&L.v[i])) {
			/*
			 * A block missing its SEARCH marker: a path line
			 * opening a fence (or in its info string), the text
			 * to find, the divider.  Anything else is a stray
			 * divider in prose and is ignored.
			 */
			if (prevb[i] == SIZE_MAX || kind[prevb[i]] != K_FENCE)
				continue;
			j = prevb[i] + 1;
			(void)is_fence(&L.v[j - 1], &f);
			if (j < i && path_line(&L.v[j], &ps, &pn))
				s0 = j + 1;
			else if (f.infolen > 0 && info_path(&f, &ps, &pn))
				s0 = j;
			else
				continue;
			r0 = nextb[i];
			if (r0 == L.n || kind[r0] != K_REPLACE)
				continue;
			path = ps;
			pathn = pn;
			i = s0 - 1;
			s0 = i + 1;
		} else
			continue;
		/* the text to find, then the replacement */
		for (d = s0; d < L.n; d++) {
			if (IS_DIVIDER(&L.v[d]))
				break;
			if (IS_SEARCH(&L.v[d]) || IS_REPLACE(&L.v[d])) {
				aas_err_set(e, "bad_block", "line %zu: search "
				    "block without a divider", i + 1);
				goto fail;
			}
		}
		if (d == L.n) {
			aas_err_set(e, "bad_block", "line %zu: search block "
			    "not closed", i + 1);
			goto fail;
		}
		for (r0 = d + 1; r0 < L.n; r0++) {
			if (IS_REPLACE(&L.v[r0]))
				break;
			if (IS_SEARCH(&L.v[r0])) {
				aas_err_set(e, "bad_block", "line %zu: search "
				    "block not closed", i + 1);
				goto fail;
			}
		}
		if (r0 == L.n) {
			aas_err_set(e, "bad_block", "line %zu: search block "
			    "not closed", i + 1);
			goto fail;
		}
		if (d == s0) {
			/* nothing to find: the block makes a new file */
			ed = edit_new(path, pathn, "write");
			json_object_set_new(ed, "content", join(&L, d + 1, r0));
		} else {
			ed = edit_new(path, pathn, "replace");
			json_object_set_new(ed, "search", join(&L, s0, d));
			json_object_set_new(ed, "replace", join(&L, d + 1, r0));
		}
		json_array_append_new(edits, ed);
		n++;
		i = r0;
	}
	free(kind);
	free(prevb);
	free(nextb);
	lines_free(&L);
	return n;
fail:
	free(kind);
	free(prevb);
	free(nextb);
	lines_free(&L);
	return -1;
}

/* ---- fenced whole files ---- */

static int
info_is(const struct fence *f, const char *lang)
{
	size_t k = strlen(lang);

	return f->infolen >= k && strncasecmp(f->info, lang, k) == 0 &&
	    (f->infolen == k || isspace((unsigned char)f->info[k]));
}

int
aas_plan_parse_fenced(const char *text, size_t len, json_t *edits,
    struct aas_err *e)
{
	struct lines L;
	struct fence f, g;
	const char *ps;
	size_t pn, i, j, c;
	int n = 0, have;
	json_t *ed;

	(void)e;
	lines_split(&L, text, len);
	for (i = 0; i < L.n && json_array_size(edits) <= AAS_PLAN_MAX_EDITS;
	    i++) {
		if (!is_fence(&L.v[i], &f))
			continue;
		for (c = i + 1; c < L.n && !closes(&L.v[c], &f); c++)
			;
		if (c == L.n)
			break;	/* unclosed: cut short? never a file */
		have = f.infolen > 0 && info_path(&f, &ps, &pn);
		if (!have && i > 0) {
			j = i - 1;
			if (is_blank(&L.v[j]) && j > 0)
				j--;
			have = !is_fence(&L.v[j], &g) &&
			    path_line(&L.v[j], &ps, &pn);
		}
		if (have && !info_is(&f, "diff") && !info_is(&f, "patch")) {
			size_t k;

			/* the same file again: the later text wins */
			for (k = json_array_size(edits); k > 0; k--) {
				json_t *old = json_array_get(edits, k - 1);
				const char *op = json_string_value(
				    json_object_get(old, "path"));

				if (op != NULL && strlen(op) == pn &&
				    memcmp(op, ps, pn) == 0) {
					json_array_remove(edits, k - 1);
					n--;
				}
			}
			ed = edit_new(ps, pn, "write");
			json_object_set_new(ed, "content", join(&L, i + 1, c));
			json_array_append_new(edits, ed);
			n++;
		}
		i = c;
	}
	lines_free(&L);
	return n;
}

/* ---- unified diffs ---- */

/* Decode a ---/+++ path: drop a tab and what follows, quotes; NULL
 * (*pn 0) for /dev/null. */
static const char *
diff_path(const struct ln *l, size_t *pn)
{
	const char *s = l->s + 4, *t;
	size_t n = l->n - 4;

	if ((t = memchr(s, '\t', n)) != NULL)
		n = t - s;
	trim(&s, &n);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	if (n == 9 && memcmp(s, "/dev/null", 9) == 0) {
		*pn = 0;
		return NULL;
	}
	/* "--- a/x.py 2024-01-01 10:00:00" from diff -u without a tab */
	if ((t = memchr(s, ' ', n)) != NULL && t + 1 < s + n &&
	    isdigit((unsigned char)t[1]))
		n = t - s;
	*pn = n;
	return s;
}

static int
hunk_line(const struct ln *l)
{
	return l->n == 0 || l->s[0] == ' ' || l->s[0] == '+' ||
	    l->s[0] == '-' || l->s[0] == '\\';
}

static int
file_header(const struct lines *L, size_t i)
{
	return i + 1 < L->n && starts(&L->v[i], "--- ") &&
	    starts(&L->v[i + 1], "+++ ");
}

int
aas_plan_parse_diff(const char *text, size_t len, json_t *edits,
    struct aas_err *e)
{
	struct lines L;
	struct fence f;
	const char *src, *dst;
	size_t sn, dn, i, h0, end, k;
	int n = 0, git = 0, adds;
	json_t *ed;

	(void)e;
	lines_split(&L, text, len);
	for (i = 0; i < L.n && json_array_size(edits) <= AAS_PLAN_MAX_EDITS;
	    i++) {
		if (starts(&L.v[i], "diff --git ")) {
			git = 1;
			continue;
		}
		if (!file_header(&L, i))
			continue;
		src = diff_path(&L.v[i], &sn);
		dst = diff_path(&L.v[i + 1], &dn);
		if (git || ((src == NULL || (sn > 2 &&
		    memcmp(src, "a/", 2) == 0)) && (dst == NULL || (dn > 2 &&
		    memcmp(dst, "b/", 2) == 0)))) {
			if (src != NULL && sn > 2 && memcmp(src, "a/", 2) == 0)
				src += 2, sn -= 2;
			if (dst != NULL && dn > 2 && memcmp(dst, "b/", 2) == 0)
				dst += 2, dn -= 2;
		}
		git = 0;
		i += 2;
		h0 = i;
		/* hunks: "@@" lines and the lines that can follow them */
		end = i;
		while (i < L.n && starts(&L.v[i], "@@")) {
			for (i++; i < L.n; i++) {
				if (starts(&L.v[i], "@@"))
					break;
				if (is_fence(&L.v[i], &f) || file_header(&L, i) ||
				    starts(&L.v[i], "diff --git ") ||
				    !hunk_line(&L.v[i]))
					break;
			}
			end = i;
			while (end > h0 && L.v[end - 1].n == 0)
				end--;
		}
		if (end == h0) {
			i = h0 - 1;
			continue;	/* a header with no hunk */
		}
		if (dst == NULL && src == NULL) {
			i = end - 1;
			continue;
		}
		adds = 1;
		for (k = h0; k < end; k++)
			if (!starts(&L.v[k], "@@") && L.v[k].n > 0 &&
			    L.v[k].s[0] != '+' && L.v[k].s[0] != '\\')
				adds = 0;
		if (dst == NULL) {
			ed = edit_new(src, sn, "delete");
		} else if (src == NULL && adds) {
			struct aas_buf b = AAS_BUF_INIT;

			aas_buf_add(&b, "", 0);
			for (k = h0; k < end; k++) {
				if (L.v[k].n == 0 || L.v[k].s[0] != '+')
					continue;
				aas_buf_add(&b, L.v[k].s + 1, L.v[k].n - 1);
				if (!(k + 1 < end && L.v[k + 1].n > 0 &&
				    L.v[k + 1].s[0] == '\\'))
					aas_buf_addc(&b, '\n');
			}
			ed = edit_new(dst, dn, "write");
			json_object_set_new(ed, "content", jstr(b.s, b.len));
			aas_buf_free(&b);
		} else {
			ed = edit_new(dst, dn, "patch");
			json_object_set_new(ed, "diff", join(&L, h0, end));
		}
		json_array_append_new(edits, ed);
		n++;
		i = end - 1;
	}
	lines_free(&L);
	return n;
}

/* ---- apply_patch envelopes ---- */

static int
ap_cmd(const struct ln *l, const char *cmd, const char **ps, size_t *pn)
{
	const char *s = l->s;
	size_t n = l->n, k = strlen(cmd);

	trim(&s, &n);
	if (n < k || memcmp(s, cmd, k) != 0)
		return 0;
	s += k;
	n -= k;
	trim(&s, &n);
	*ps = s;
	*pn = n;
	return 1;
}

static int
ap_is(const struct ln *l, const char *what)
{
	const char *s = l->s;
	size_t n = l->n;

	trim(&s, &n);
	return n == strlen(what) && memcmp(s, what, n) == 0;
}

int
aas_plan_parse_apply_patch(const char *text, size_t len, json_t *edits,
    struct aas_err *e)
{
	struct lines L;
	struct aas_buf sb = AAS_BUF_INIT;
	const char *ps;
	size_t pn, i, k;
	int n = 0, in = 0, nfind;
	json_t *ed;

	lines_split(&L, text, len);
	for (i = 0; i < L.n && json_array_size(edits) <= AAS_PLAN_MAX_EDITS;
	    i++) {
		if (!in) {
			in = ap_is(&L.v[i], "*** Begin Patch");
			continue;
		}
		if (ap_is(&L.v[i], "*** End Patch")) {
			in = 0;
			continue;
		}
		if (ap_cmd(&L.v[i], "*** Add File:", &ps, &pn)) {
			aas_buf_reset(&sb);
			aas_buf_add(&sb, "", 0);
			for (k = i + 1; k < L.n && L.v[k].n > 0 &&
			    L.v[k].s[0] == '+'; k++) {
				aas_buf_add(&sb, L.v[k].s + 1, L.v[k].n - 1);
				aas_buf_addc(&sb, '\n');
			}
			ed = edit_new(ps, pn, "write");
			json_object_set_new(ed, "content", jstr(sb.s, sb.len));
			json_array_append_new(edits, ed);
			n++;
			i = k - 1;
		} else if (ap_cmd(&L.v[i], "*** Delete File:", &ps, &pn)) {
			json_array_append_new(edits,
			    edit_new(ps, pn, "delete"));
			n++;
		} else if (ap_cmd(&L.v[i], "*** Update File:", &ps, &pn)) {
			const char *mp;
			size_t mn, h0;
			int anchored = 0;

			if (i + 1 < L.n && ap_cmd(&L.v[i + 1], "*** Move to:",
			    &mp, &mn)) {
				aas_err_set(e, "unsupported", "line %zu: "
				    "apply_patch moves are not supported",
				    i + 2);
				goto fail;
			}
			/*
			 * The chunks become one unified-diff-like text: "@@"
			 * lines (the text after them an anchor, no line
			 * numbers), then context, - and + lines.
			 */
			aas_buf_reset(&sb);
			aas_buf_add(&sb, "", 0);
			nfind = 0;
			h0 = sb.len;
			for (k = i + 1; k < L.n; k++) {
				const struct ln *l = &L.v[k];

				if (ap_is(l, "*** End of File"))
					continue;
				if (starts(l, "***"))
					break;
				if (starts(l, "@@")) {
					if (sb.len > h0 && nfind == 0 &&
					    !anchored)
						break;
					anchored = l->n > 2;
					nfind = 0;
					h0 = sb.len;
				} else if (l->n > 0 && l->s[0] != ' ' &&
				    l->s[0] != '-' && l->s[0] != '+') {
					break;
				} else {
					if (sb.len == 0)
						aas_buf_adds(&sb, "@@\n");
					if (l->n == 0 || l->s[0] != '+')
						nfind++;
				}
				aas_buf_add(&sb, l->s, l->n);
				aas_buf_addc(&sb, '\n');
			}
			if (sb.len == 0 || (nfind == 0 && !anchored)) {
				aas_err_set(e, "bad_block", "line %zu: update "
				    "hunk with nothing to find", k);
				goto fail;
			}
			ed = edit_new(ps, pn, "patch");
			json_object_set_new(ed, "diff", jstr(sb.s, sb.len));
			json_array_append_new(edits, ed);
			n++;
			i = k - 1;
		} else if (!is_blank(&L.v[i])) {
			/* prose or a fence line: the envelope ended
			 * without its End Patch line */
			in = 0;
		}
	}
	aas_buf_free(&sb);
	lines_free(&L);
	return n;
fail:
	aas_buf_free(&sb);
	lines_free(&L);
	return -1;
}

/* ---- JSON ---- */

/* The end (one past '}') of the object starting at text[p], strings and
 * escapes respected; 0 when it does not close. */
static size_t
obj_end(const char *text, size_t len, size_t p)
{
	size_t depth = 0, i;
	int str = 0;

	for (i = p; i < len; i++) {
		char c = text[i];

		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = 0;
			continue;
		}
		if (c == '"')
			str = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (--depth == 0)
				return c == '}' ? i + 1 : 0;
		}
	}
	return 0;
}

/* Parse text[p, q) as JSON, dropping commas that precede } or ]. */
static json_t *
load_lenient(const char *text, size_t p, size_t q)
{
	struct aas_buf b = AAS_BUF_INIT;
	json_t *j;
	size_t i, k;
	int str = 0;

	aas_buf_grow(&b, q - p + 1);
	for (i = p; i < q; i++) {
		char c = text[i];

		if (str) {
			aas_buf_addc(&b, c);
			if (c == '\\' && i + 1 < q)
				aas_buf_addc(&b, text[++i]);
			else if (c == '"')
				str = 0;
			continue;
		}
		if (c == '"')
			str = 1;
		if (c == ',') {
			for (k = i + 1; k < q &&
			    isspace((unsigned char)text[k]); k++)
				;
			if (k < q && (text[k] == '}' || text[k] == ']'))
				continue;
		}
		aas_buf_addc(&b, c);
	}
	j = json_loadb(b.s, b.len, JSON_ALLOW_NUL, NULL);
	aas_buf_free(&b);
	return j;
}

/* The first object in text (bare, fenced or among prose) that has key;
 * new reference or NULL. */
static json_t *
find_object(const char *text, size_t len, const char *key)
{
	size_t p, q, k, tries = 0;
	json_t *j;

	for (p = 0; p < len && tries < 256; p++) {
		if (text[p] != '{')
			continue;
		for (k = p + 1; k < len && isspace((unsigned char)text[k]); k++)
			;
		if (k == len || text[k] != '"')
			continue;
		tries++;
		if ((q = obj_end(text, len, p)) == 0)
			continue;
		if ((j = load_lenient(text, p, q)) == NULL)
			continue;
		if (json_is_object(j) && json_object_get(j, key) != NULL)
			return j;
		json_decref(j);
	}
	return NULL;
}

static const char *
want_str(json_t *ed, const char *key, size_t i, struct aas_err *e)
{
	json_t *v = json_object_get(ed, key);

	if (!json_is_string(v)) {
		aas_err_set(e, "bad_plan", "edit %zu: \"%s\" is %s", i + 1,
		    key, v == NULL ? "missing" : "not a string");
		return NULL;
	}
	return json_string_value(v);
}

static json_t *
copy_str(json_t *ed, const char *key)
{
	json_t *v = json_object_get(ed, key);

	return jstr(json_string_value(v), json_string_length(v));
}

int
aas_plan_parse_json(const char *text, size_t len, json_t *edits,
    json_t *tests, char **summaryp, struct aas_err *e)
{
	json_t *obj, *arr, *ed, *out, *v;
	const char *op;
	size_t i;
	int n = 0;

	if (summaryp != NULL)
		*summaryp = NULL;
	if ((obj = find_object(text, len, "edits")) == NULL)
		return 0;
	arr = json_object_get(obj, "edits");
	if (!json_is_array(arr)) {
		aas_err_set(e, "bad_plan", "\"edits\" is not an array");
		goto fail;
	}
	json_array_foreach(arr, i, ed) {
		if (!json_is_object(ed)) {
			aas_err_set(e, "bad_plan", "edit %zu is not an object",
			    i + 1);
			goto fail;
		}
		if (want_str(ed, "path", i, e) == NULL ||
		    (op = want_str(ed, "op", i, e)) == NULL)
			goto fail;
		out = json_object();
		json_object_set_new(out, "path", copy_str(ed, "path"));
		json_object_set_new(out, "op", json_string(op));
		if (strcmp(op, "write") == 0) {
			if (want_str(ed, "content", i, e) == NULL)
				goto fail_out;
			json_object_set_new(out, "content",
			    copy_str(ed, "content"));
		} else if (strcmp(op, "replace") == 0) {
			if (want_str(ed, "search", i, e) == NULL ||
			    want_str(ed, "replace", i, e) == NULL)
				goto fail_out;
			json_object_set_new(out, "search",
			    copy_str(ed, "search"));
			json_object_set_new(out, "replace",
			    copy_str(ed, "replace"));
		} else if (strcmp(op, "patch") == 0) {
			if (want_str(ed, "diff", i, e) == NULL)
				goto fail_out;
			json_object_set_new(out, "diff", copy_str(ed, "diff"));
		} else if (strcmp(op, "delete") != 0) {
			aas_err_set(e, "bad_plan", "edit %zu: unknown op '%s'",
			    i + 1, op);
			goto fail_out;
		}
		json_array_append_new(edits, out);
		n++;
		continue;
fail_out:
		json_decref(out);
		goto fail;
	}
	if ((v = json_object_get(obj, "tests")) != NULL && tests != NULL) {
		if (!json_is_array(v)) {
			aas_err_set(e, "bad_plan", "\"tests\" is not an array");
			goto fail;
		}
		json_array_foreach(v, i, ed) {
			if (!json_is_string(ed)) {
				aas_err_set(e, "bad_plan", "tests[%zu] is not "
				    "a string", i);
				goto fail;
			}
			json_array_append_new(tests, jstr(
			    json_string_value(ed), json_string_length(ed)));
		}
	}
	v = json_object_get(obj, "summary");
	if (json_is_string(v) && summaryp != NULL)
		*summaryp = aas_xstrndup(json_string_value(v),
		    json_string_length(v));
	json_decref(obj);
	return n;
fail:
	json_decref(obj);
	return -1;
}

/* ---- checks ---- */

char *
aas_plan_check_path(const char *path, size_t len, struct aas_err *e)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t i = 0, j, *stack = NULL, depth = 0;

	if (len == 0) {
		aas_err_set(e, "bad_path", "empty path");
		return NULL;
	}
	if (memchr(path, '\0', len) != NULL) {
		aas_err_set(e, "bad_path", "path contains a NUL byte");
		return NULL;
	}
	if (len > AAS_PLAN_MAX_PATH) {
		aas_err_set(e, "bad_path", "path longer than %d bytes",
		    AAS_PLAN_MAX_PATH);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f) {
			aas_err_set(e, "bad_path", "refusing path '%.*s': "
			    "control character", (int)len, path);
			return NULL;
		}
		if (path[i] == '\\') {
			aas_err_set(e, "bad_path", "refusing path '%.*s': "
			    "backslash", (int)len, path);
			return NULL;
		}
	}
	if (path[0] == '/') {
		aas_err_set(e, "bad_path", "refusing path '%.*s': absolute",
		    (int)len, path);
		return NULL;
	}
	stack = aas_xreallocarray(NULL, len + 1, sizeof(*stack));
	aas_buf_add(&b, "", 0);
	for (i = 0; i < len; i = j + 1) {
		const char *c = path + i;
		size_t cn, k;

		for (j = i; j < len && path[j] != '/'; j++)
			;
		cn = j - i;
		if (cn == 0 || (cn == 1 && c[0] == '.'))
			continue;
		if (cn == 2 && c[0] == '.' && c[1] == '.') {
			if (depth == 0) {
				aas_err_set(e, "path_escape", "refusing path "
				    "'%.*s': outside the repository",
				    (int)len, path);
				goto fail;
			}
			b.len = stack[--depth];
			b.s[b.len] = '\0';
			continue;
		}
		/* " ..", ". " and the like are "." and ".." to Windows */
		for (k = 0; k < cn && (c[k] == '.' || c[k] == ' '); k++)
			;
		if (k == cn && memchr(c, ' ', cn) != NULL) {
			aas_err_set(e, "bad_path", "refusing path '%.*s': a "
			    "component of dots and spaces", (int)len, path);
			goto fail;
		}
		/* ".git", any case, and what some file systems take for it
		 * (".git.", ".git ") */
		for (k = cn; k > 4 && (c[k - 1] == '.' || c[k - 1] == ' ');
		    k--)
			;
		if (k == 4 && strncasecmp(c, ".git", 4) == 0) {
			aas_err_set(e, "bad_path", "refusing path '%.*s': "
			    "names .git", (int)len, path);
			goto fail;
		}
		stack[depth++] = b.len;
		if (b.len > 0)
			aas_buf_addc(&b, '/');
		aas_buf_add(&b, c, cn);
	}
	free(stack);
	/* "~/x", "~user/x", "C:x": a home or a drive, wherever the
	 * ".." left them */
	if (b.len > 0 && (b.s[0] == '~' || (b.len >= 2 &&
	    isalpha((unsigned char)b.s[0]) && b.s[1] == ':'))) {
		aas_err_set(e, "bad_path", "refusing path '%.*s': absolute",
		    (int)len, path);
		aas_buf_free(&b);
		return NULL;
	}
	if (b.len == 0) {
		aas_err_set(e, "bad_path", "refusing path '%.*s': names the "
		    "repository itself", (int)len, path);
		aas_buf_free(&b);
		return NULL;
	}
	return aas_buf_detach(&b, NULL);
fail:
	free(stack);
	aas_buf_free(&b);
	return NULL;
}

int
aas_plan_is_test(const char *path, const struct aas_plan_opts *o)
{
	const char *const *g = aas_plan_default_test_globs;
	const char *base = strrchr(path, '/');
	size_t n = SIZE_MAX, i;

	if (o != NULL && o->test_globs != NULL) {
		g = o->test_globs;
		n = o->ntest_globs;
	}
	base = base != NULL ? base + 1 : path;
	for (i = 0; i < n && g[i] != NULL; i++) {
		if (fnmatch(g[i], path, 0) == 0)
			return 1;
		if (strchr(g[i], '/') == NULL && fnmatch(g[i], base, 0) == 0)
			return 1;
	}
	return 0;
}

static int
check_text(json_t *ed, const char *key, size_t i, const char *path,
    size_t max, struct aas_err *e)
{
	json_t *v = json_object_get(ed, key);
	size_t n;

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return aas_err_set(e, "bad_plan", "edit %zu: \"%s\" is not a "
		    "string", i + 1, key);
	n = json_string_length(v);
	if (memchr(json_string_value(v), '\0', n) != NULL)
		return aas_err_set(e, "nul_byte", "%s: %s holds a NUL byte",
		    path, key);
	if (n > max)
		return aas_err_set(e, "too_large", "%s: %s is %zu bytes, "
		    "over the limit of %zu", path, key, n, max);
	return 0;
}

static void
add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return;
	json_array_append_new(arr, json_string(s));
}

int
aas_plan_check(json_t *plan, const struct aas_plan_opts *o,
    struct aas_err *e)
{
	json_t *edits = json_object_get(plan, "edits"), *named, *tests, *ed, *v;
	size_t max = o != NULL && o->max_file > 0 ? o->max_file :
	    AAS_PLAN_MAX_FILE, i;
	const char *op;
	char *norm;
	int changes_test = 0;

	if (!json_is_array(edits))
		return aas_err_set(e, "bad_plan", "\"edits\" is missing");
	if (json_array_size(edits) == 0)
		return aas_err_set(e, "empty_plan", "the answer holds no "
		    "edits");
	if (json_array_size(edits) > AAS_PLAN_MAX_EDITS)
		return aas_err_set(e, "too_large", "%zu edits, over the limit "
		    "of %d", json_array_size(edits), AAS_PLAN_MAX_EDITS);
	tests = json_array();
	json_array_foreach(edits, i, ed) {
		v = json_object_get(ed, "path");
		if ((norm = aas_plan_check_path(json_string_value(v),
		    json_string_length(v), e)) == NULL)
			goto fail;
		json_object_set_new(ed, "path", json_string(norm));
		op = json_string_value(json_object_get(ed, "op"));
		if (check_text(ed, "content", i, norm, max, e) == -1 ||
		    check_text(ed, "search", i, norm, max, e) == -1 ||
		    check_text(ed, "replace", i, norm, max, e) == -1 ||
		    check_text(ed, "diff", i, norm, max, e) == -1) {
			free(norm);
			goto fail;
		}
		if (aas_plan_is_test(norm, o) && op != NULL &&
		    strcmp(op, "delete") != 0)
			changes_test = 1;
		free(norm);
	}
	named = json_object_get(plan, "tests");
	json_array_foreach(named, i, v) {
		if ((norm = aas_plan_check_path(json_string_value(v),
		    json_string_length(v), e)) == NULL) {
			aas_err_prefix(e, "tests[%zu]", i);
			goto fail;
		}
		add_unique(tests, norm);
		free(norm);
	}
	json_array_foreach(edits, i, ed) {
		const char *p = json_string_value(json_object_get(ed, "path"));

		if (aas_plan_is_test(p, o))
			add_unique(tests, p);
	}
	if (o != NULL && o->require_tests && !changes_test) {
		aas_err_set(e, "no_tests", "the plan adds or changes no test "
		    "file");
		goto fail;
	}
	json_object_set_new(plan, "tests", tests);
	return 0;
fail:
	json_decref(tests);
	return -1;
}

/* ---- the whole parse ---- */

/* The first paragraph of prose before the first fence, on one line. */
static char *
prose_summary(const char *text, size_t len)
{
	struct lines L;
	struct fence f;
	struct aas_buf b = AAS_BUF_INIT;
	size_t i, cut;

	aas_buf_add(&b, "", 0);
	lines_split(&L, text, len);
	for (i = 0; i < L.n && is_blank(&L.v[i]); i++)
		;
	for (; i < L.n && !is_blank(&L.v[i]); i++) {
		const char *s = L.v[i].s, *ps;
		size_t n = L.v[i].n, pn;

		if (is_fence(&L.v[i], &f) || path_line(&L.v[i], &ps, &pn) ||
		    starts(&L.v[i], "*** ") || starts(&L.v[i], "--- ") ||
		    starts(&L.v[i], "diff --git") || IS_SEARCH(&L.v[i]))
			break;
		trim(&s, &n);
		if (b.len > 0)
			aas_buf_addc(&b, ' ');
		aas_buf_add(&b, s, n);
	}
	lines_free(&L);
	if (b.len > SUMMARY_MAX) {
		cut = SUMMARY_MAX;
		while (cut > 0 && ((unsigned char)b.s[cut] & 0xc0) == 0x80)
			cut--;
		b.len = cut;
		b.s[cut] = '\0';
	}
	return aas_buf_detach(&b, NULL);
}

int
aas_plan_parse(const char *answer, size_t len, const struct aas_plan_opts *o,
    json_t **planp, struct aas_err *e)
{
	static const struct {
		const char *name;
		int (*fn)(const char *, size_t, json_t *, struct aas_err *);
	} fmts[] = {
		{ "apply_patch", aas_plan_parse_apply_patch },
		{ "search_replace", aas_plan_parse_search_replace },
		{ "diff", aas_plan_parse_diff },
		{ "fenced", aas_plan_parse_fenced },
	};
	json_t *edits = json_array(), *tests = json_array(), *plan, *sj;
	const char *fmt = NULL;
	char *summary = NULL;
	size_t i;
	int n;

	*planp = NULL;
	n = aas_plan_parse_json(answer, len, edits, tests, &summary, e);
	if (n > 0)
		fmt = "json";
	for (i = 0; n >= 0 && fmt == NULL && i < sizeof(fmts) / sizeof(fmts[0]);
	    i++) {
		if ((n = fmts[i].fn(answer, len, edits, e)) > 0)
			fmt = fmts[i].name;
	}
	if (n < 0)
		goto fail;
	if (fmt == NULL) {
		aas_err_set(e, "empty_plan", "no edits found in the answer");
		goto fail;
	}
	if (summary == NULL)
		summary = strcmp(fmt, "json") == 0 ? aas_xstrdup("") :
		    prose_summary(answer, len);
	if ((sj = json_string(summary)) == NULL)
		sj = jstr(summary, strlen(summary));
	plan = json_object();
	json_object_set_new(plan, "summary", sj);
	json_object_set_new(plan, "format", json_string(fmt));
	json_object_set(plan, "edits", edits);
	json_object_set(plan, "tests", tests);
	free(summary);
	json_decref(edits);
	json_decref(tests);
	if (aas_plan_check(plan, o, e) == -1) {
		json_decref(plan);
		return -1;
	}
	*planp = plan;
	return 0;
fail:
	free(summary);
	json_decref(edits);
	json_decref(tests);
	return -1;
}

int
aas_plan_from_response(json_t *response, const struct aas_plan_opts *o,
    json_t **planp, struct aas_err *e)
{
	json_t *text = json_object_get(response, "text");
	const char *fr = json_string_value(json_object_get(response,
	    "finish_reason"));

	*planp = NULL;
	if (fr != NULL && (strcmp(fr, "length") == 0 ||
	    strcmp(fr, "max_tokens") == 0))
		return aas_err_set(e, "truncated", "the answer was cut short "
		    "(finish_reason %s)", fr);
	if (!json_is_string(text) || json_string_length(text) == 0)
		return aas_err_set(e, "empty_plan", "the response has no text");
	return aas_plan_parse(json_string_value(text),
	    json_string_length(text), o, planp, e);
}

/* ---- sub-tasks ---- */

static int
dfs_cycle(json_t *subs, size_t v, int *color, size_t *path, size_t depth,
    struct aas_err *e)
{
	json_t *deps = json_object_get(json_array_get(subs, v), "depends_on");
	json_t *d;
	size_t i, k;

	color[v] = 1;
	path[depth] = v;
	json_array_foreach(deps, i, d) {
		size_t w;

		if (!json_is_integer(d))
			continue;
		w = (size_t)json_integer_value(d) - 1;
		if (color[w] == 1) {
			struct aas_buf b = AAS_BUF_INIT;

			for (k = 0; k <= depth && path[k] != w; k++)
				;
			for (; k <= depth; k++)
				aas_buf_printf(&b, "%zu -> ", path[k] + 1);
			aas_buf_printf(&b, "%zu", w + 1);
			aas_err_set(e, "cycle", "sub-tasks depend on each "
			    "other in a cycle: %s", b.s);
			aas_buf_free(&b);
			return -1;
		}
		if (color[w] == 0 &&
		    dfs_cycle(subs, w, color, path, depth + 1, e) == -1)
			return -1;
	}
	color[v] = 2;
	return 0;
}

json_t *
aas_plan_parse_subtasks(const char *text, size_t len, size_t max,
    struct aas_err *e)
{
	json_t *obj, *arr, *out = NULL, *t, *v, *d, *deps;
	size_t i, k, n;
	int *color = NULL;
	size_t *path = NULL;

	if (max == 0)
		max = AAS_PLAN_MAX_SUBTASKS;
	if ((obj = find_object(text, len, "subtasks")) == NULL) {
		aas_err_set(e, "bad_subtasks", "no {\"subtasks\": [...]} "
		    "object in the answer");
		return NULL;
	}
	arr = json_object_get(obj, "subtasks");
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		aas_err_set(e, "bad_subtasks", "\"subtasks\" is not a "
		    "non-empty array");
		goto done;
	}
	n = json_array_size(arr);
	if (n > max) {
		aas_err_set(e, "too_many", "%zu sub-tasks, over the limit of "
		    "%zu", n, max);
		goto done;
	}
	out = json_array();
	json_array_foreach(arr, i, t) {
		const char *title, *s;
		size_t tn;
		json_t *o;

		if (!json_is_object(t) ||
		    !json_is_string(v = json_object_get(t, "title"))) {
			aas_err_set(e, "bad_subtasks", "sub-task %zu has no "
			    "title", i + 1);
			goto bad;
		}
		title = json_string_value(v);
		tn = json_string_length(v);
		trim(&title, &tn);
		if (tn == 0 || memchr(title, '\0', tn) != NULL ||
		    memchr(title, '\n', tn) != NULL) {
			aas_err_set(e, "bad_subtasks", "sub-task %zu: the "
			    "title is empty or not one line", i + 1);
			goto bad;
		}
		for (k = 0; k < i; k++) {
			s = json_string_value(json_object_get(
			    json_array_get(out, k), "title"));
			if (strlen(s) == tn && strncasecmp(s, title, tn) == 0) {
				aas_err_set(e, "dup_title", "sub-tasks %zu and "
				    "%zu have the same title", k + 1, i + 1);
				goto bad;
			}
		}
		o = json_object();
		json_object_set_new(o, "title", jstr(title, tn));
		v = json_object_get(t, "description");
		if (v != NULL && !json_is_string(v) && !json_is_null(v)) {
			json_decref(o);
			aas_err_set(e, "bad_subtasks", "sub-task %zu: the "
			    "description is not a string", i + 1);
			goto bad;
		}
		json_object_set_new(o, "description", json_is_string(v) ?
		    jstr(json_string_value(v), json_string_length(v)) :
		    json_string(""));
		deps = json_array();
		json_object_set_new(o, "depends_on", deps);
		json_array_append_new(out, o);
		v = json_object_get(t, "depends_on");
		if (v != NULL && !json_is_array(v) && !json_is_null(v)) {
			aas_err_set(e, "bad_subtasks", "sub-task %zu: "
			    "depends_on is not an array", i + 1);
			goto bad;
		}
		json_array_foreach(v, k, d) {
			if (json_is_integer(d)) {
				json_int_t x = json_integer_value(d);

				if (x == (json_int_t)i + 1) {
					aas_err_set(e, "cycle", "sub-task %zu "
					    "depends on itself", i + 1);
					goto bad;
				}
				if (x < 1 || (size_t)x > n) {
					aas_err_set(e, "unknown_dep", "sub-task "
					    "%zu depends on sub-task %lld, of "
					    "%zu", i + 1, (long long)x, n);
					goto bad;
				}
				json_array_append_new(deps, json_integer(x));
			} else if (json_is_string(d) &&
			    json_string_length(d) > 0 &&
			    strlen(json_string_value(d)) ==
			    json_string_length(d)) {
				json_array_append_new(deps, json_string(
				    json_string_value(d)));
			} else {
				aas_err_set(e, "bad_subtasks", "sub-task %zu: "
				    "depends_on[%zu] is neither a position nor "
				    "an id", i + 1, k);
				goto bad;
			}
		}
	}
	color = aas_xcalloc(n, sizeof(*color));
	path = aas_xcalloc(n + 1, sizeof(*path));
	for (i = 0; i < n; i++)
		if (color[i] == 0 && dfs_cycle(out, i, color, path, 0, e) == -1)
			goto bad;
	goto done;
bad:
	json_decref(out);
	out = NULL;
done:
	free(color);
	free(path);
	json_decref(obj);
	return out;
}
