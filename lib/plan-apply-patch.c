/*
 * plan-apply-patch.c: apply_patch envelopes.  See plan.h.
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

static int
ap_cmd(const struct ln *l, const char *cmd, const char **ps, size_t *pn)
{
	const char *s = l->s;
	size_t n = l->n, k = strlen(cmd);

	aas_pl_trim(&s, &n);
	if (n < k || memcmp(s, cmd, k) != 0)
		return 0;
	s += k;
	n -= k;
	aas_pl_trim(&s, &n);
	*ps = s;
	*pn = n;
	return 1;
}

static int
ap_is(const struct ln *l, const char *what)
{
	const char *s = l->s;
	size_t n = l->n;

	aas_pl_trim(&s, &n);
	return n == strlen(what) && memcmp(s, what, n) == 0;
}

/* An edit of the file ps (pn bytes) with the text in sb under key. */
static void
add_edit(json_t *edits, const char *ps, size_t pn, const char *op,
    const char *key, const struct aas_buf *sb)
{
	json_t *ed = aas_pl_edit_new(ps, pn, op);

	json_object_set_new(ed, key, aas_json_lossy(sb->s, sb->len));
	json_array_append_new(edits, ed);
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

	aas_pl_lines_split(&L, text, len);
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
			add_edit(edits, ps, pn, "write", "content", &sb);
			n++;
			i = k - 1;
		} else if (ap_cmd(&L.v[i], "*** Delete File:", &ps, &pn)) {
			json_array_append_new(edits,
			    aas_pl_edit_new(ps, pn, "delete"));
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
				if (aas_pl_starts(l, "***"))
					break;
				if (aas_pl_starts(l, "@@")) {
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
			add_edit(edits, ps, pn, "patch", "diff", &sb);
			n++;
			i = k - 1;
		} else if (!aas_pl_is_blank(&L.v[i])) {
			/* prose or a fence line: the envelope ended
			 * without its End Patch line */
			in = 0;
		}
	}
	aas_buf_free(&sb);
	aas_pl_lines_free(&L);
	return n;
fail:
	aas_buf_free(&sb);
	aas_pl_lines_free(&L);
	return -1;
}
