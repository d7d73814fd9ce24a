/*
 * plan-fenced.c: fenced whole files.  See plan.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aas.h"
#include "plan.h"
#include "plan-int.h"
#include "banned.h"

static int
info_is(const struct fence *f, const char *lang)
{
	size_t k = strlen(lang);

	return f->infolen >= k && strncasecmp(f->info, lang, k) == 0 &&
	    (f->infolen == k || isspace((unsigned char)f->info[k]));
}

/* "file: x", "filename: x" in a comment */
static void
strip_label(const char **s, size_t *n)
{
	static const char *const pre[] = { "filename:", "file:", "path:",
	    NULL };
	size_t i, k;

	for (i = 0; pre[i] != NULL; i++) {
		k = strlen(pre[i]);
		if (*n > k && strncasecmp(*s, pre[i], k) == 0) {
			*s += k;
			*n -= k;
			aas_pl_trim(s, n);
			return;
		}
	}
}

/*
 * A path on a fence's first line, as a comment: "# src/x.py",
 * "// src/x.js", "-- x.sql", "; x.ini", a C comment, "<!-- x.html -->".
 * Only a path with a "/" or a "." counts.
 */
static int
comment_path(const struct ln *l, const char **ps, size_t *pn)
{
	static const char *const lead[] = { "#", "//", "--", ";", "/*",
	    "<!--", NULL };
	static const char *const tail[] = { "*/", "-->", NULL };
	const char *s = l->s;
	size_t n = l->n, i, k;

	aas_pl_trim(&s, &n);
	if ((k = aas_lead_len(s, n, lead)) == 0)
		return 0;
	s += k;
	n -= k;
	for (i = 0; tail[i] != NULL; i++) {
		k = strlen(tail[i]);
		if (n >= k && memcmp(s + n - k, tail[i], k) == 0) {
			n -= k;
			break;
		}
	}
	aas_pl_trim(&s, &n);
	if (strip_label(&s, &n), n == 0 || !aas_pl_pathish(s, n))
		return 0;
	*ps = s;
	*pn = n;
	return 1;
}

int
aas_plan_parse_fenced(const char *text, size_t len, json_t *edits,
    struct aas_err *e)
{
	struct lines L;
	struct fence f, g;
	const char *ps;
	size_t pn, i, j, c, first;
	int n = 0, have, prose;
	json_t *ed;

	(void)e;
	aas_pl_lines_split(&L, text, len);
	for (i = 0; i < L.n && json_array_size(edits) <= AAS_PLAN_MAX_EDITS;
	    i++) {
		if (!aas_pl_is_fence(&L.v[i], &f) || f.tag == 2)
			continue;
		for (c = i + 1; c < L.n && !aas_pl_closes(&L.v[c], &f); c++)
			;
		if (c == L.n)
			break;	/* unclosed: cut short? never a file */
		have = f.infolen > 0 && aas_pl_info_path(&f, &ps, &pn);
		j = i;
		if (!have && i > 0) {
			j = i - 1;
			if (aas_pl_is_blank(&L.v[j]) && j > 0)
				j--;
			have = !aas_pl_is_fence(&L.v[j], &g) &&
			    aas_pl_path_line(&L.v[j], &ps, &pn);
		}
		first = i + 1;
		if (!have && i + 1 < c &&
		    comment_path(&L.v[i + 1], &ps, &pn)) {
			/* the comment names the file; it is not in it */
			have = 1;
			first = i + 2;
		}
		prose = 0;
		if (!have && j < i && !aas_pl_is_fence(&L.v[j], &g))
			have = prose = aas_pl_prose_path(&L.v[j], &ps, &pn);
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
			ed = aas_pl_edit_new(ps, pn, "write");
			json_object_set_new(ed, "content",
			    aas_pl_join(&L, first, c));
			if (prose)
				json_object_set_new(ed, "from",
				    json_string("prose"));
			json_array_append_new(edits, ed);
			n++;
		}
		i = c;
	}
	aas_pl_lines_free(&L);
	return n;
}
