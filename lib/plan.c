/*
 * plan.c: answers to plans.  See plan.h and aas-plan(1).
 *
 * Every free-text parser works on the answer as an array of lines (CR of
 * a CRLF end dropped).  They do not check paths or sizes: aas_plan_check
 * does, once, on whichever format won.
 *
 * This file is the dispatcher and the precedence of formats; each format
 * has its own file (plan-json.c, plan-fenced.c, plan-sr.c, plan-diff.c,
 * plan-apply-patch.c), plan-lines.c what they share, plan-check.c the
 * path and size checks, plan-subtasks.c the sub-task answers.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "plan.h"
#include "plan-int.h"
#include "record.h"
#include "banned.h"

#define SUMMARY_MAX	400

/* The first paragraph of prose before the first fence, on one line. */
static char *
prose_summary(const char *text, size_t len)
{
	struct lines L;
	struct fence f;
	struct aas_buf b = AAS_BUF_INIT;
	size_t i, cut;

	aas_buf_add(&b, "", 0);
	aas_pl_lines_split(&L, text, len);
	for (i = 0; i < L.n && aas_pl_is_blank(&L.v[i]); i++)
		;
	for (; i < L.n && !aas_pl_is_blank(&L.v[i]); i++) {
		const char *s = L.v[i].s, *ps;
		size_t n = L.v[i].n, pn;

		if (aas_pl_is_fence(&L.v[i], &f) ||
		    aas_pl_path_line(&L.v[i], &ps, &pn) ||
		    aas_pl_starts(&L.v[i], "*** ") ||
		    aas_pl_starts(&L.v[i], "--- ") ||
		    aas_pl_starts(&L.v[i], "diff --git") || IS_SEARCH(&L.v[i]))
			break;
		aas_pl_trim(&s, &n);
		if (b.len > 0)
			aas_buf_addc(&b, ' ');
		aas_buf_add(&b, s, n);
	}
	aas_pl_lines_free(&L);
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
		sj = aas_json_lossy(summary, strlen(summary));
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

json_t *
aas_plan_explain(const char *answer, size_t len)
{
	struct lines L;
	struct fence f, g;
	const char *ps;
	size_t i, c, pn, fences = 0, bare = 0, marks = 0, divs = 0, hunks = 0;
	int named;

	aas_pl_lines_split(&L, answer, len);
	for (i = 0; i < L.n; i++) {
		if (IS_SEARCH(&L.v[i]) || IS_REPLACE(&L.v[i]))
			marks++;
		else if (IS_DIVIDER(&L.v[i]))
			divs++;
		else if (aas_pl_starts(&L.v[i], "@@"))
			hunks++;
	}
	for (i = 0; i < L.n; i++) {
		if (!aas_pl_is_fence(&L.v[i], &f) || f.tag == 2)
			continue;
		for (c = i + 1; c < L.n && !aas_pl_closes(&L.v[c], &f); c++)
			;
		fences++;
		named = f.infolen > 0 && aas_pl_info_path(&f, &ps, &pn);
		if (!named && i > 0 && !aas_pl_is_fence(&L.v[i - 1], &g))
			named = aas_pl_path_line(&L.v[i - 1], &ps, &pn) ||
			    aas_pl_prose_path(&L.v[i - 1], &ps, &pn);
		if (!named)
			bare++;
		i = c < L.n ? c : L.n;
	}
	aas_pl_lines_free(&L);
	return json_pack("{s:[s,s,s,s,s], s:{s:I, s:I, s:I, s:I, s:I}}",
	    "looked_for", "json", "apply_patch", "search_replace", "diff",
	    "fenced", "found", "fences", (json_int_t)fences,
	    "fences_without_path", (json_int_t)bare,
	    "block_markers", (json_int_t)marks, "dividers", (json_int_t)divs,
	    "hunk_headers", (json_int_t)hunks);
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

