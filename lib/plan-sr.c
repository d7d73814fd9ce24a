/*
 * plan-sr.c: SEARCH/REPLACE blocks.  See plan.h.
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

/* The path for a SEARCH block starting at line i, or 0. */
static int
sr_path(const struct lines *L, size_t i, const char **ps, size_t *pn)
{
	struct fence f;
	size_t j = i;
	int seen_fence = 0;

	while (j > 0) {
		j--;
		if (aas_pl_is_blank(&L->v[j]))
			continue;
		if (aas_pl_is_fence(&L->v[j], &f)) {
			if (seen_fence)
				return 0;
			if (f.infolen > 0 && aas_pl_info_path(&f, ps, pn))
				return 1;
			seen_fence = 1;
			continue;
		}
		return aas_pl_path_line(&L->v[j], ps, pn);
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

	aas_pl_lines_split(&L, text, len);
	/* where the fences and markers are, once: a divider outside a
	 * block looks back and ahead to them */
	kind = aas_xcalloc(L.n + 1, 1);
	prevb = aas_xreallocarray(NULL, L.n + 1, sizeof(*prevb));
	nextb = aas_xreallocarray(NULL, L.n + 1, sizeof(*nextb));
	for (i = 0, j = SIZE_MAX; i < L.n; i++) {
		kind[i] = IS_SEARCH(&L.v[i]) ? K_SEARCH : IS_REPLACE(&L.v[i]) ?
		    K_REPLACE : aas_pl_is_fence(&L.v[i], &f) ? K_FENCE : 0;
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
			(void)aas_pl_is_fence(&L.v[j - 1], &f);
			if (j < i && aas_pl_path_line(&L.v[j], &ps, &pn))
				s0 = j + 1;
			else if (f.infolen > 0 &&
			    aas_pl_info_path(&f, &ps, &pn))
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
		for (d = s0; d < L.n && !IS_DIVIDER(&L.v[d]) &&
		    !IS_SEARCH(&L.v[d]) && !IS_REPLACE(&L.v[d]); d++)
			;
		if (d < L.n && !IS_DIVIDER(&L.v[d])) {
			aas_err_set(e, "bad_block", "line %zu: search block "
			    "without a divider", i + 1);
			goto fail;
		}
		for (r0 = d + 1; r0 < L.n && !IS_REPLACE(&L.v[r0]) &&
		    !IS_SEARCH(&L.v[r0]); r0++)
			;
		if (d == L.n || r0 >= L.n || !IS_REPLACE(&L.v[r0])) {
			aas_err_set(e, "bad_block", "line %zu: search block "
			    "not closed", i + 1);
			goto fail;
		}
		if (d == s0) {
			/* nothing to find: the block makes a new file (aas-apply
			 * refuses it over a file that exists) */
			ed = aas_pl_edit_new(path, pathn, "write");
			json_object_set_new(ed, "from",
			    json_string("empty_search"));
			json_object_set_new(ed, "content",
			    aas_pl_join(&L, d + 1, r0));
		} else {
			ed = aas_pl_edit_new(path, pathn, "replace");
			json_object_set_new(ed, "search",
			    aas_pl_join(&L, s0, d));
			json_object_set_new(ed, "replace",
			    aas_pl_join(&L, d + 1, r0));
		}
		json_array_append_new(edits, ed);
		n++;
		i = r0;
	}
	free(kind);
	free(prevb);
	free(nextb);
	aas_pl_lines_free(&L);
	return n;
fail:
	free(kind);
	free(prevb);
	free(nextb);
	aas_pl_lines_free(&L);
	return -1;
}
