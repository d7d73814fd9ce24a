/*
 * plan-diff.c: unified diffs.  See plan.h.
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

/* Decode a ---/+++ path: drop a tab and what follows, quotes; NULL
 * (*pn 0) for /dev/null. */
static const char *
diff_path(const struct ln *l, size_t *pn)
{
	const char *s = l->s + 4, *t;
	size_t n = l->n - 4;

	if ((t = memchr(s, '\t', n)) != NULL)
		n = t - s;
	aas_pl_trim(&s, &n);
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
	return i + 1 < L->n && aas_pl_starts(&L->v[i], "--- ") &&
	    aas_pl_starts(&L->v[i + 1], "+++ ");
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
	aas_pl_lines_split(&L, text, len);
	for (i = 0; i < L.n && json_array_size(edits) <= AAS_PLAN_MAX_EDITS;
	    i++) {
		if (aas_pl_starts(&L.v[i], "diff --git ")) {
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
		while (i < L.n && aas_pl_starts(&L.v[i], "@@")) {
			for (i++; i < L.n; i++) {
				if (aas_pl_starts(&L.v[i], "@@"))
					break;
				if (aas_pl_is_fence(&L.v[i], &f) ||
				    file_header(&L, i) ||
				    aas_pl_starts(&L.v[i], "diff --git ") ||
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
			if (!aas_pl_starts(&L.v[k], "@@") && L.v[k].n > 0 &&
			    L.v[k].s[0] != '+' && L.v[k].s[0] != '\\')
				adds = 0;
		if (dst == NULL) {
			ed = aas_pl_edit_new(src, sn, "delete");
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
			ed = aas_pl_edit_new(dst, dn, "write");
			json_object_set_new(ed, "content",
			    aas_json_lossy(b.s, b.len));
			aas_buf_free(&b);
		} else {
			ed = aas_pl_edit_new(dst, dn, "patch");
			json_object_set_new(ed, "diff",
			    aas_pl_join(&L, h0, end));
		}
		json_array_append_new(edits, ed);
		n++;
		i = end - 1;
	}
	aas_pl_lines_free(&L);
	return n;
}
