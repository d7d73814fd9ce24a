/* report-md.c: the run as GitHub-flavoured Markdown (job summaries). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "report.h"
#include "report-int.h"
#include "banned.h"

/* Text in a table cell or a line: the characters Markdown would take
 * for markup are escaped. */
static void
md_text(struct aas_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (strchr("\\`*_[]<>|~&", *s) != NULL)
			aas_buf_addc(b, '\\');
		aas_buf_addc(b, *s);
	}
}

/* A code span in a table cell. */
static void
md_code(struct aas_buf *b, const char *s)
{
	size_t n = rpt_run(s, '`') + 1, i;
	int pad = *s == '`' || (*s != '\0' && s[strlen(s) - 1] == '`');

	for (i = 0; i < n; i++)
		aas_buf_addc(b, '`');
	if (pad)
		aas_buf_addc(b, ' ');
	for (; *s != '\0'; s++) {
		if (*s == '|')
			aas_buf_addc(b, '\\');
		aas_buf_addc(b, *s);
	}
	if (pad)
		aas_buf_addc(b, ' ');
	for (i = 0; i < n; i++)
		aas_buf_addc(b, '`');
}

/* A URL as a link destination: what could end it is percent-encoded. */
static void
md_url(struct aas_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr(" <>()|[]\\`\"'", *s) != NULL)
			aas_buf_printf(b, "%%%02X", (unsigned char)*s);
		else
			aas_buf_addc(b, *s);
}

static void
md_fence(struct aas_buf *b, const char *text)
{
	size_t n = rpt_run(text, '`') + 1, i;

	if (n < 3)
		n = 3;
	for (i = 0; i < n; i++)
		aas_buf_addc(b, '`');
	aas_buf_adds(b, "text\n");
	aas_buf_adds(b, text);
	if (*text != '\0' && text[strlen(text) - 1] != '\n')
		aas_buf_addc(b, '\n');
	for (i = 0; i < n; i++)
		aas_buf_addc(b, '`');
	aas_buf_addc(b, '\n');
}

static const char *
mark(const struct rpt_task *t)
{
	if (t->state == RPT_DONE)
		return "\xe2\x9c\x85 ";		/* check mark */
	if (t->state == RPT_FAILED)
		return "\xe2\x9d\x8c ";		/* cross */
	return "\xe2\x8f\xb3 ";			/* hourglass */
}

static void
tokens(struct aas_buf *b, int has, long long in, long long out)
{
	char x[32], y[32];

	if (!has) {
		aas_buf_adds(b, "\xe2\x80\x94");
		return;
	}
	aas_buf_printf(b, "%s + %s", rpt_count(in, x, sizeof(x)),
	    rpt_count(out, y, sizeof(y)));
}

static void
cost(struct aas_buf *b, double usd, size_t unpriced, int any)
{
	char u[64];

	if (!any) {
		aas_buf_adds(b, "\xe2\x80\x94");
		return;
	}
	aas_buf_adds(b, rpt_usd(usd, u, sizeof(u)));
	if (unpriced > 0)
		aas_buf_printf(b, " (%zu unpriced)", unpriced);
}

static void
row(struct aas_buf *b, const struct rpt_task *t)
{
	char pr[64];
	size_t u;
	double usd = rpt_task_usd(t, &u);

	aas_buf_adds(b, "| **");
	md_text(b, t->id);
	aas_buf_adds(b, "**");
	if (t->title != NULL && *t->title != '\0') {
		aas_buf_addc(b, ' ');
		md_text(b, t->title);
	}
	aas_buf_printf(b, " | %s%s | %lld | ", mark(t), t->status,
	    rpt_task_attempts(t));
	if (t->model != NULL)
		md_text(b, t->model);
	else
		aas_buf_adds(b, "\xe2\x80\x94");
	aas_buf_adds(b, " | ");
	tokens(b, t->has_usage, t->in, t->out);
	aas_buf_adds(b, " | ");
	cost(b, usd, u, t->cost != 0 || t->nhist > 0);
	aas_buf_adds(b, " | ");
	if (t->pr != NULL) {
		aas_buf_addc(b, '[');
		md_text(b, rpt_pr_name(t->pr, pr, sizeof(pr)));
		aas_buf_adds(b, "](");
		md_url(b, t->pr);
		aas_buf_addc(b, ')');
	} else if (t->branch != NULL)
		md_code(b, t->branch);
	else
		aas_buf_adds(b, "\xe2\x80\x94");
	aas_buf_adds(b, " |\n");
}

static void
check_line(struct aas_buf *b, const struct rpt_check *c)
{
	char d[32];

	aas_buf_adds(b, "**");
	md_text(b, c->name);
	aas_buf_adds(b, "**: ");
	if (c->timeout)
		aas_buf_adds(b, "timed out");
	else if (c->sig > 0)
		aas_buf_printf(b, "killed by signal %lld", c->sig);
	else if (c->has_exit)
		aas_buf_printf(b, "exit %lld", c->exit);
	else
		aas_buf_adds(b, "failed");
	aas_buf_printf(b, ", %s", rpt_duration(c->ms, d, sizeof(d)));
	if (c->tail_cut)
		aas_buf_adds(b, ", the end of its output");
	aas_buf_adds(b, "\n\n");
}

static void
failure(struct aas_buf *b, const struct rpt_task *t)
{
	const struct rpt_attempt *a;
	char *why = rpt_reason(t), u[64];
	size_t i;

	aas_buf_adds(b, "<details>\n<summary><b>");
	rpt_esc(b, t->id, 0);
	aas_buf_adds(b, "</b>");
	if (t->title != NULL && *t->title != '\0') {
		aas_buf_addc(b, ' ');
		rpt_esc(b, t->title, 0);
	}
	aas_buf_adds(b, ": ");
	rpt_esc(b, why, 0);
	aas_buf_adds(b, "</summary>\n\n");
	free(why);
	if (t->nhist > 0) {
		aas_buf_printf(b, "Attempt %lld. Before it:\n\n",
		    rpt_task_attempts(t));
		for (i = 0; i < t->nhist; i++) {
			a = &t->hist[i];
			aas_buf_printf(b, "- attempt %lld: ", a->attempt);
			md_text(b, a->stage != NULL ? a->stage : "?");
			aas_buf_adds(b, ": ");
			md_text(b, a->code != NULL ? a->code : "?");
			if (a->message != NULL && *a->message != '\0') {
				aas_buf_adds(b, ": ");
				md_text(b, a->message);
			}
			if (a->priced)
				aas_buf_printf(b, " (%s)", rpt_usd(a->usd, u,
				    sizeof(u)));
			aas_buf_addc(b, '\n');
		}
		aas_buf_addc(b, '\n');
	}
	if (t->ncands > 0) {
		aas_buf_adds(b, "Candidates:");
		for (i = 0; i < t->ncands; i++) {
			const struct rpt_cand *c = &t->cands[i];

			aas_buf_printf(b, "%s %lld ", i ? "," : "", c->k);
			if (c->ok)
				aas_buf_adds(b, "passed");
			else {
				md_text(b, c->stage ? c->stage : "?");
				aas_buf_adds(b, ": ");
				md_text(b, c->code ? c->code : "?");
			}
			if (c->checks != NULL) {
				aas_buf_adds(b, " (");
				md_text(b, c->checks);
				aas_buf_addc(b, ')');
			}
		}
		if (t->more_cands > 0)
			aas_buf_printf(b, " and %zu more", t->more_cands);
		aas_buf_adds(b, ".\n\n");
	}
	for (i = 0; i < t->nchecks; i++) {
		const struct rpt_check *c = &t->checks[i];

		if (c->ok || c->skipped)
			continue;
		check_line(b, c);
		if (c->tail != NULL && *c->tail != '\0') {
			md_fence(b, c->tail);
			aas_buf_addc(b, '\n');
		}
	}
	if (t->tails_dropped)
		aas_buf_adds(b, "_Output not kept: a report keeps at most "
		    "8 MiB of check output._\n\n");
	aas_buf_adds(b, "</details>\n\n");
}

void
aas_report_markdown(struct aas_report *r, struct aas_buf *b, size_t limit)
{
	struct aas_buf head = AAS_BUF_INIT, foot = AAS_BUF_INIT,
	    piece = AAS_BUF_INIT;
	struct rpt_totals tt;
	struct rpt_model *m;
	size_t nm, i, rows_cut = 0, fails_cut = 0, start = b->len;
	char u[64], w[64], *time_line;
	int heading = 0;

	rpt_totals(r, NULL, &tt);
	time_line = rpt_time_line(r, &tt);
	aas_buf_printf(&head, "## aas run: %zu done, %zu failed, %zu left\n\n"
	    "**%zu task%s** \xc2\xb7 **%s** spent", tt.done, tt.failed, tt.left,
	    tt.tasks, tt.tasks == 1 ? "" : "s", rpt_usd(tt.usd, u, sizeof(u)));
	if (tt.unpriced > 0)
		aas_buf_printf(&head, " (%zu answer%s unpriced)", tt.unpriced,
		    tt.unpriced == 1 ? "" : "s");
	aas_buf_printf(&head, " \xc2\xb7 %s \xc2\xb7 %s\n\n", time_line,
	    rpt_when(r->now, 0, w, sizeof(w)));
	free(time_line);
	if (r->stopped)
		aas_buf_adds(&head, "> **Stopped early:** the records not yet "
		    "read are not in this summary.\n\n");
	if (r->n > 0)
		aas_buf_adds(&head, "| Task | Status | Attempts | Model | "
		    "Tokens | Cost | Branch or PR |\n"
		    "| :--- | :--- | ---: | :--- | ---: | ---: | :--- |\n");

	/* what must follow the rows: the total and the models */
	if (r->n > 0) {
		aas_buf_printf(&foot, "| **Total** | | %lld | | ", tt.attempts);
		tokens(&foot, tt.in + tt.out > 0, tt.in, tt.out);
		aas_buf_adds(&foot, " | ");
		cost(&foot, tt.usd, tt.unpriced, 1);
		aas_buf_adds(&foot, " | |\n\n");
	}
	m = rpt_models(r, &nm);
	if (nm > 0) {
		aas_buf_adds(&foot, "| Model | Attempts | Tokens | Cost |\n"
		    "| :--- | ---: | ---: | ---: |\n");
		for (i = 0; i < nm; i++) {
			aas_buf_adds(&foot, "| ");
			if (*m[i].model != '\0')
				md_text(&foot, m[i].model);
			else
				aas_buf_adds(&foot, "(unknown)");
			aas_buf_printf(&foot, " | %lld | ", m[i].attempts);
			tokens(&foot, m[i].in + m[i].out > 0, m[i].in,
			    m[i].out);
			aas_buf_adds(&foot, " | ");
			cost(&foot, m[i].usd, (size_t)m[i].unpriced, 1);
			aas_buf_adds(&foot, " |\n");
		}
		aas_buf_addc(&foot, '\n');
	}
	free(m);

	/* room for the note that says what was cut */
#define NOTE_ROOM	400
	aas_buf_add(b, head.s, head.len);
	for (i = 0; i < r->n; i++) {
		aas_buf_reset(&piece);
		row(&piece, r->t[i]);
		if (b->len - start + piece.len + foot.len + NOTE_ROOM > limit) {
			rows_cut = r->n - i;
			break;
		}
		aas_buf_add(b, piece.s, piece.len);
	}
	if (foot.len > 0 && b->len - start + foot.len + NOTE_ROOM <= limit)
		aas_buf_add(b, foot.s, foot.len);
	else if (r->n > 0)
		aas_buf_addc(b, '\n');
	for (i = 0; i < r->n; i++) {
		if (r->t[i]->state != RPT_FAILED)
			continue;
		if (rows_cut > 0 || fails_cut > 0) {
			fails_cut++;
			continue;
		}
		aas_buf_reset(&piece);
		if (!heading)
			aas_buf_adds(&piece, "### Failures\n\n");
		failure(&piece, r->t[i]);
		if (b->len - start + piece.len + NOTE_ROOM > limit) {
			fails_cut++;
			continue;
		}
		heading = 1;
		aas_buf_add(b, piece.s, piece.len);
	}
	if (rows_cut > 0 || fails_cut > 0)
		aas_buf_printf(b, "> **Cut to stay under 1 MiB** (GitHub's "
		    "job summary limit): %zu of %zu task rows and %zu of %zu "
		    "failures are not shown.\n\n", rows_cut, r->n, fails_cut,
		    tt.failed);
	aas_buf_free(&head);
	aas_buf_free(&foot);
	aas_buf_free(&piece);
}
