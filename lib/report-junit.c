/* report-junit.c: the run as JUnit XML (one testsuite a board). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "price.h"
#include "report.h"
#include "report-int.h"
#include "banned.h"

static void
secs(struct aas_buf *b, long long ms)
{
	aas_buf_printf(b, "%lld.%03lld", ms / 1000, ms % 1000);
}

static void
propi(struct aas_buf *b, int indent, const char *name, const char *value)
{
	if (value == NULL)
		return;
	aas_buf_printf(b, "%*s<property name=\"%s\" value=\"", indent, "",
	    name);
	rpt_esc(b, value, 1);
	aas_buf_adds(b, "\"/>\n");
}

static void
prop(struct aas_buf *b, const char *name, const char *value)
{
	propi(b, 8, name, value);
}

static void
counts(struct aas_buf *b, const struct rpt_totals *tt)
{
	aas_buf_printf(b, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	    "skipped=\"%zu\" time=\"", tt->tasks, tt->failed, tt->left);
	secs(b, tt->ms);
	aas_buf_addc(b, '"');
}

static void
usd_value(char *buf, size_t size, double usd)
{
	char n[64];

	snprintf(buf, size, "%s", aas_usd_format(aas_usd_round(usd), n,
	    sizeof(n)));
}

/* The failure's text: the earlier attempts, then each failed check's
 * output. */
static void
failure_text(struct aas_buf *b, const struct rpt_task *t)
{
	struct aas_buf x = AAS_BUF_INIT;
	const struct rpt_attempt *a;
	const struct rpt_check *c;
	size_t i;

	for (i = 0; i < t->nhist; i++) {
		a = &t->hist[i];
		aas_buf_printf(&x, "attempt %lld: %s: %s%s%s\n", a->attempt,
		    a->stage != NULL ? a->stage : "?", a->code != NULL ?
		    a->code : "?", a->message != NULL ? ": " : "",
		    a->message != NULL ? a->message : "");
	}
	for (i = 0; i < t->nchecks; i++) {
		c = &t->checks[i];
		if (c->ok || c->skipped)
			continue;
		aas_buf_printf(&x, "%s== %s", x.len ? "\n" : "", c->name);
		if (c->timeout)
			aas_buf_adds(&x, " (timed out)");
		else if (c->sig > 0)
			aas_buf_printf(&x, " (signal %lld)", c->sig);
		else if (c->has_exit)
			aas_buf_printf(&x, " (exit %lld)", c->exit);
		aas_buf_adds(&x, c->tail_cut ? ", the end of its output ==\n" :
		    " ==\n");
		if (c->tail != NULL) {
			aas_buf_adds(&x, c->tail);
			if (*c->tail != '\0' && c->tail[strlen(c->tail) - 1] !=
			    '\n')
				aas_buf_addc(&x, '\n');
		}
	}
	if (t->tails_dropped)
		aas_buf_adds(&x, "(output not kept: a report keeps at most 8 MiB "
		    "of check output)\n");
	rpt_esc(b, x.s, 0);
	aas_buf_free(&x);
}

static void
testcase(struct aas_buf *b, const struct rpt_task *t)
{
	char v[64], *why;
	size_t u;
	double usd = rpt_task_usd(t, &u);

	aas_buf_adds(b, "    <testcase name=\"");
	rpt_esc(b, t->id, 1);
	if (t->title != NULL && *t->title != '\0') {
		aas_buf_adds(b, ": ");
		rpt_esc(b, t->title, 1);
	}
	aas_buf_adds(b, "\" classname=\"");
	rpt_esc(b, t->board, 1);
	aas_buf_adds(b, "\" time=\"");
	secs(b, t->ms);
	aas_buf_adds(b, "\">\n      <properties>\n");
	prop(b, "id", t->id);
	prop(b, "status", t->status);
	snprintf(v, sizeof(v), "%lld", rpt_task_attempts(t));
	prop(b, "attempts", v);
	prop(b, "model", t->model);
	if (t->has_usage) {
		snprintf(v, sizeof(v), "%lld", t->in);
		prop(b, "tokens_input", v);
		snprintf(v, sizeof(v), "%lld", t->out);
		prop(b, "tokens_output", v);
	}
	usd_value(v, sizeof(v), usd);
	prop(b, "cost_usd", v);
	if (u > 0) {
		snprintf(v, sizeof(v), "%zu", u);
		prop(b, "unpriced", v);
	}
	prop(b, "branch", t->branch);
	prop(b, "commit", t->commit);
	prop(b, "pull_request", t->pr);
	prop(b, "integrated", t->integrated);
	if (t->ncands > 0) {
		size_t k, nok = 0;

		for (k = 0; k < t->ncands; k++)
			nok += t->cands[k].ok;
		snprintf(v, sizeof(v), "%zu", t->ncands + t->more_cands);
		prop(b, "candidates", v);
		snprintf(v, sizeof(v), "%zu", nok);
		prop(b, "candidates_passed", v);
	}
	aas_buf_adds(b, "      </properties>\n");
	if (t->state == RPT_FAILED) {
		why = rpt_reason(t);
		aas_buf_adds(b, "      <failure message=\"");
		rpt_esc(b, why, 1);
		aas_buf_adds(b, "\" type=\"");
		rpt_esc(b, t->code != NULL ? t->code : "failed", 1);
		aas_buf_adds(b, "\">");
		failure_text(b, t);
		aas_buf_adds(b, "</failure>\n");
		free(why);
	} else if (t->state == RPT_LEFT) {
		aas_buf_adds(b, "      <skipped message=\"");
		rpt_esc(b, t->status, 1);
		aas_buf_adds(b, strcmp(t->status, "Review") == 0 ?
		    ": applied, not checked" : strcmp(t->status, "Queued") == 0 ?
		    ": not started" : ": not applied yet");
		aas_buf_adds(b, "\"/>\n");
	}
	aas_buf_adds(b, "    </testcase>\n");
}

void
aas_report_junit(struct aas_report *r, struct aas_buf *b)
{
	struct rpt_totals tt;
	const char **boards;
	char when[32], v[64];
	size_t nb = 0, i, k;

	rpt_when(r->now, 1, when, sizeof(when));
	rpt_totals(r, NULL, &tt);
	aas_buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites name=\"aas\"");
	counts(b, &tt);
	aas_buf_printf(b, " timestamp=\"%s\">\n", when);
	/* the boards in order of their first task */
	boards = aas_xcalloc(r->n + 1, sizeof(*boards));
	for (i = 0; i < r->n; i++) {
		for (k = 0; k < nb; k++)
			if (strcmp(boards[k], r->t[i]->board) == 0)
				break;
		if (k == nb)
			boards[nb++] = r->t[i]->board;
	}
	for (k = 0; k < nb; k++) {
		rpt_totals(r, boards[k], &tt);
		aas_buf_adds(b, "  <testsuite name=\"");
		rpt_esc(b, boards[k], 1);
		aas_buf_addc(b, '"');
		counts(b, &tt);
		aas_buf_printf(b, " timestamp=\"%s\">\n    <properties>\n",
		    when);
		usd_value(v, sizeof(v), tt.usd);
		propi(b, 6, "cost_usd", v);
		snprintf(v, sizeof(v), "%lld", tt.attempts);
		propi(b, 6, "attempts", v);
		aas_buf_adds(b, "    </properties>\n");
		for (i = 0; i < r->n; i++)
			if (strcmp(r->t[i]->board, boards[k]) == 0) {
				testcase(b, r->t[i]);
				rpt_flush(r, b);
			}
		aas_buf_adds(b, "  </testsuite>\n");
	}
	free(boards);
	aas_buf_adds(b, "</testsuites>\n");
}
