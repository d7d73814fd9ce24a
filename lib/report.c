/* report.c: the tasks a report keeps, their sums and the words for them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "price.h"
#include "record.h"
#include "report.h"
#include "report-int.h"
#include "banned.h"

#define TEXT_MAX	1024		/* a title, a message */
#define FAIL_TAIL_MAX	4096
#define PASS_TAIL_MAX	1024
#define TASK_TAIL_MAX	12288
#define RUN_TAIL_MAX	(8 * 1024 * 1024)

/* ---------------------------------------------------------------- */
/* clean text */

/* The code point at s (n bytes left) and its length; -1: not UTF-8. */
static long
utf8_next(const unsigned char *s, size_t n, size_t *lenp)
{
	long c;
	size_t need, k;

	if (s[0] < 0x80) {
		*lenp = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		need = 1;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 2;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 3;
		c = s[0] & 0x07;
	} else
		return -1;
	if (need >= n)
		return -1;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[k] & 0x3f);
	}
	if ((need == 1 && c < 0x80) || (need == 2 && c < 0x800) ||
	    (need == 3 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*lenp = need + 1;
	return c;
}

/* Append s to b as clean text (report.h); nl 0 turns line ends into
 * spaces. */
static void
clean(struct aas_buf *b, const char *s, size_t n, int nl)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len;
	long c;

	while (i < n) {
		if (u[i] == 0x1b) {
			/* CSI: ESC [ params final; OSC: ESC ] ... BEL or ST */
			i++;
			if (i < n && u[i] == '[') {
				for (i++; i < n && (u[i] < 0x40 || u[i] > 0x7e);
				    i++)
					;
				i += i < n;
			} else if (i < n && u[i] == ']') {
				for (i++; i < n && u[i] != 0x07 && u[i] != 0x1b;
				    i++)
					;
				i += i < n;
				if (i < n && u[i - 1] == 0x1b && u[i] == '\\')
					i++;
			} else
				i += i < n;
			continue;
		}
		if ((c = utf8_next(u + i, n - i, &len)) == -1) {
			aas_buf_adds(b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		i += len;
		if (c == '\r' && i < n && u[i] == '\n')
			continue;
		if (c == '\n' || c == '\r')
			aas_buf_addc(b, nl ? '\n' : ' ');
		else if (c == '\t')
			aas_buf_addc(b, nl ? '\t' : ' ');
		else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xfffe ||
		    c == 0xffff)
			aas_buf_adds(b, "\xef\xbf\xbd");
		else
			aas_buf_add(b, u + i - len, len);
	}
}

/* A clean copy of s, cut to max bytes at a character ("…" added). */
static char *
keep_text(const char *s, size_t max, int nl)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t k;

	if (s == NULL)
		return NULL;
	clean(&b, s, strlen(s), nl);
	if (b.len > max) {
		k = max;
		while (k > 0 && ((unsigned char)b.s[k] & 0xc0) == 0x80)
			k--;
		b.len = k;
		b.s[k] = '\0';
		aas_buf_adds(&b, "\xe2\x80\xa6");
	}
	if (b.s == NULL)
		aas_buf_adds(&b, "");
	return aas_buf_detach(&b, NULL);
}

/* The last max bytes of s, clean, from a character (a line when one
 * starts in the first half); *cut set when something was left out. */
static char *
keep_tail(const char *s, size_t max, int *cut)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t k, nl;
	char *out;

	*cut = 0;
	clean(&b, s, strlen(s), 1);
	if (b.s == NULL)
		aas_buf_adds(&b, "");
	if (b.len <= max)
		return aas_buf_detach(&b, NULL);
	*cut = 1;
	k = b.len - max;
	while (k < b.len && ((unsigned char)b.s[k] & 0xc0) == 0x80)
		k++;
	for (nl = k; nl < b.len && nl < k + max / 2 && b.s[nl] != '\n'; nl++)
		;
	if (nl < b.len && b.s[nl] == '\n' && nl < k + max / 2)
		k = nl + 1;
	out = aas_xstrdup(b.s + k);
	aas_buf_free(&b);
	return out;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static char *
keep(json_t *o, const char *key)
{
	return keep_text(str(o, key), TEXT_MAX, 0);
}

static json_t *
get2(json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

/* ---------------------------------------------------------------- */
/* tasks */

int
aas_report_new(struct aas_report **rp, const struct aas_config *cf,
    const char *board, struct aas_err *e)
{
	struct aas_report *r;
	const char *now = getenv("AAS_NOW");
	double d = 0.5;
	char *end;

	if (cf != NULL && aas_config_num(cf, "batch.discount", &d, e) == -1)
		return -1;
	r = aas_xcalloc(1, sizeof(*r));
	r->cf = cf;
	r->discount = d;
	r->board = aas_xstrdup(board != NULL ? board : "tasks");
	r->index = json_object();
	r->sink = -1;
	r->now = (long long)time(NULL);
	if (now != NULL && *now != '\0') {
		errno = 0;
		r->now = strtoll(now, &end, 10);
		if (errno != 0 || *end != '\0' || r->now < 0)
			r->now = (long long)time(NULL);
	}
	*rp = r;
	return 0;
}

void
aas_report_stopped(struct aas_report *r)
{
	r->stopped = 1;
}

static void
task_clear(struct rpt_task *t)
{
	size_t i;

	free(t->id);
	free(t->title);
	free(t->board);
	free(t->model);
	free(t->branch);
	free(t->commit);
	free(t->pr);
	free(t->integrated);
	free(t->stage);
	free(t->code);
	free(t->message);
	for (i = 0; i < t->nchecks; i++) {
		free(t->checks[i].name);
		free(t->checks[i].tail);
	}
	free(t->checks);
	for (i = 0; i < t->nfiles; i++) {
		free(t->files[i].path);
		free(t->files[i].op);
	}
	free(t->files);
	for (i = 0; i < t->nhist; i++) {
		free(t->hist[i].stage);
		free(t->hist[i].code);
		free(t->hist[i].message);
		free(t->hist[i].checks);
		free(t->hist[i].branch);
		free(t->hist[i].commit);
		free(t->hist[i].model);
	}
	free(t->hist);
	for (i = 0; i < t->nold; i++)
		free(t->old[i].model);
	free(t->old);
	for (i = 0; i < t->ncands; i++) {
		free(t->cands[i].stage);
		free(t->cands[i].code);
		free(t->cands[i].checks);
	}
	free(t->cands);
	memset(t, 0, sizeof(*t));
}

void
aas_report_free(struct aas_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		task_clear(r->t[i]);
		free(r->t[i]);
	}
	free(r->t);
	free(r->board);
	json_decref(r->index);
	free(r);
}

static long long
num(json_t *v, long long dflt)
{
	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return dflt;
}

static long long
iso_seconds(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h,
	    &mi, &sec) != 6)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (long long)timegm(&tm);
}

static void
take_checks(struct aas_report *r, struct rpt_task *t, json_t *checks)
{
	struct rpt_check *c;
	json_t *v;
	const char *tail;
	size_t i, n = json_array_size(checks), max;
	int pass;

	if (n == 0)
		return;
	t->checks = aas_xcalloc(n < AAS_REPORT_CHECKS ? n : AAS_REPORT_CHECKS,
	    sizeof(*t->checks));
	/* failed checks first get their share of the output budget */
	for (pass = 0; pass < 2; pass++)
		json_array_foreach(checks, i, v) {
			int ok = json_is_true(json_object_get(v, "ok"));

			if (pass == 0) {
				t->ms += num(json_object_get(v, "ms"), 0);
				if (i >= AAS_REPORT_CHECKS) {
					t->more_checks++;
					continue;
				}
				c = &t->checks[t->nchecks++];
				c->name = keep(v, "name");
				if (c->name == NULL)
					c->name = aas_xstrdup("check");
				c->ok = ok;
				c->skipped = json_is_true(json_object_get(v,
				    "skipped"));
				c->timeout = json_is_true(json_object_get(v,
				    "timeout"));
				c->has_exit = json_is_integer(json_object_get(v,
				    "exit"));
				c->exit = num(json_object_get(v, "exit"), 0);
				c->sig = num(json_object_get(v, "signal"), 0);
				c->ms = num(json_object_get(v, "ms"), 0);
			}
			if (i >= AAS_REPORT_CHECKS || (pass == 0) == ok)
				continue;
			c = &t->checks[i];
			if ((tail = str(v, "tail")) == NULL)
				tail = c->skipped ? str(v, "reason") : NULL;
			if (tail == NULL || *tail == '\0')
				continue;
			max = ok ? PASS_TAIL_MAX : FAIL_TAIL_MAX;
			if (t->tail_bytes + max > TASK_TAIL_MAX)
				max = TASK_TAIL_MAX - t->tail_bytes;
			if (r->tail_total + max > RUN_TAIL_MAX) {
				t->tails_dropped = 1;
				continue;
			}
			if (max < 64)
				continue;
			c->tail = keep_tail(tail, max, &c->tail_cut);
			t->tail_bytes += strlen(c->tail);
			r->tail_total += strlen(c->tail);
		}
}

static void
take_history(struct rpt_task *t, json_t *hist)
{
	struct rpt_attempt *a;
	struct aas_buf b = AAS_BUF_INIT;
	json_t *v, *c, *usd;
	size_t i, k, n = json_array_size(hist), skip = 0;

	if (n == 0)
		return;
	/* the latest attempts are the ones kept */
	if (n > AAS_REPORT_ATTEMPTS) {
		skip = n - AAS_REPORT_ATTEMPTS;
		t->more_hist = skip;
	}
	t->hist = aas_xcalloc(n - skip, sizeof(*t->hist));
	json_array_foreach(hist, i, v) {
		if (!json_is_object(v))
			continue;
		if (i < skip)
			continue;
		usd = json_object_get(v, "usd");
		a = &t->hist[t->nhist++];
		a->attempt = num(json_object_get(v, "attempt"),
		    (long long)i + 1);
		a->stage = keep(v, "stage");
		a->code = keep(v, "code");
		a->message = keep(v, "message");
		a->branch = keep(v, "branch");
		a->commit = keep(v, "commit");
		a->model = keep(v, "model");
		aas_buf_reset(&b);
		json_array_foreach(json_object_get(v, "checks"), k, c)
			if (json_is_string(c))
				aas_buf_printf(&b, "%s%s", b.len ? ", " : "",
				    json_string_value(c));
		a->checks = b.len ? keep_text(b.s, TEXT_MAX, 0) : NULL;
		a->priced = json_is_number(usd);
		a->usd = a->priced ? json_number_value(usd) : 0;
	}
	/* attempts past the kept ones: their costs per model */
	json_array_foreach(hist, i, v) {
		char *m;

		if (i >= skip)
			break;
		m = keep_text(str(v, "model") != NULL ? str(v, "model") : "",
		    TEXT_MAX, 0);
		for (k = 0; k < t->nold; k++)
			if (strcmp(t->old[k].model, m) == 0)
				break;
		if (k == t->nold) {
			t->old = aas_xreallocarray(t->old, t->nold + 1,
			    sizeof(*t->old));
			memset(&t->old[k], 0, sizeof(*t->old));
			t->old[k].model = m;
			t->nold++;
		} else
			free(m);
		usd = json_object_get(v, "usd");
		t->old[k].n++;
		if (json_is_number(usd))
			t->old[k].usd += json_number_value(usd);
		else
			t->old[k].unpriced++;
	}
	aas_buf_free(&b);
}

static void
take_candidates(struct rpt_task *t, json_t *cands)
{
	struct aas_buf b = AAS_BUF_INIT;
	struct rpt_cand *c;
	json_t *v, *x;
	size_t i, k, n = json_array_size(cands);

	if (n == 0)
		return;
	t->cands = aas_xcalloc(n < AAS_REPORT_CANDIDATES ? n :
	    AAS_REPORT_CANDIDATES, sizeof(*t->cands));
	json_array_foreach(cands, i, v) {
		if (t->ncands == AAS_REPORT_CANDIDATES) {
			t->more_cands++;
			continue;
		}
		c = &t->cands[t->ncands++];
		c->k = num(json_object_get(v, "k"), (long long)i + 1);
		c->ok = json_is_true(json_object_get(v, "ok"));
		c->stage = keep(v, "stage");
		c->code = keep(v, "code");
		aas_buf_reset(&b);
		json_array_foreach(json_object_get(v, "checks"), k, x)
			if (json_is_string(x))
				aas_buf_printf(&b, "%s%s", b.len ? ", " : "",
				    json_string_value(x));
		c->checks = b.len ? keep_text(b.s, TEXT_MAX, 0) : NULL;
	}
	aas_buf_free(&b);
}

/* The status and failure of a record. */
static void
take_state(struct rpt_task *t, const struct aas_rec *rec)
{
	json_t *o = rec->obj, *err, *qa, *c;
	struct aas_buf b = AAS_BUF_INIT;
	const char *stage;
	size_t i;

	err = json_object_get(o, "error");
	stage = str(err, "stage");
	qa = json_object_get(o, "qa");
	/* notify's own errors (an unknown id) are not the task's */
	if (json_is_object(err) && (stage == NULL ||
	    strcmp(stage, "notify") != 0)) {
		t->state = RPT_FAILED;
		t->status = "Failed";
		t->stage = keep(err, "stage");
		t->code = keep(err, "code");
		t->message = keep(err, "message");
		return;
	}
	if (json_is_object(qa)) {
		if (json_is_true(json_object_get(qa, "ok"))) {
			t->state = RPT_DONE;
			t->status = "Done";
			return;
		}
		t->state = RPT_FAILED;
		t->status = "Failed";
		t->stage = aas_xstrdup("qa");
		t->code = aas_xstrdup("qa_failed");
		json_array_foreach(json_object_get(qa, "checks"), i, c)
			if (!json_is_true(json_object_get(c, "ok")) &&
			    !json_is_true(json_object_get(c, "skipped")) &&
			    json_is_string(json_object_get(c, "name")))
				aas_buf_printf(&b, "%s%s", b.len ? ", " :
				    "failed: ", str(c, "name"));
		t->message = keep_text(b.len ? b.s : "a check failed",
		    TEXT_MAX, 0);
		aas_buf_free(&b);
		return;
	}
	t->state = RPT_LEFT;
	if (json_object_get(o, "apply") != NULL)
		t->status = "Review";
	else if (json_object_get(o, "plan") != NULL ||
	    json_object_get(o, "response") != NULL ||
	    json_object_get(o, "batch") != NULL ||
	    json_object_get(o, "request") != NULL)
		t->status = "In Progress";
	else
		t->status = "Queued";
}

static void
take_cost(struct aas_report *r, struct rpt_task *t, json_t *o)
{
	json_t *resp = json_object_get(o, "response"), *u, *usd;
	struct aas_price p;
	struct aas_err e;
	long long cached;

	u = json_object_get(resp, "usage");
	if (json_is_object(u)) {
		t->has_usage = 1;
		t->in = num(json_object_get(u, "input"), 0);
		t->out = num(json_object_get(u, "output"), 0);
	}
	if (!json_is_object(resp))
		return;
	usd = json_object_get(resp, "usd");
	if (json_is_number(usd)) {
		t->cost = 1;
		t->usd = json_number_value(usd);
		return;
	}
	t->cost = 2;
	if (t->has_usage && t->model != NULL &&
	    aas_price_lookup(r->cf, t->model, &p, &e) == 0) {
		cached = num(json_object_get(u, "cached"), 0);
		t->cost = 1;
		t->usd = aas_usd_round(aas_price_usd(&p, (long)t->in,
		    (long)t->out, (long)cached, json_object_get(o, "batch") !=
		    NULL ? r->discount : 1));
	}
}

static void
take_notify(struct rpt_task *t, json_t *o)
{
	json_t *v;
	const char *kind, *d;
	size_t i;

	json_array_foreach(get2(o, "notify", "targets"), i, v) {
		kind = str(v, "kind");
		d = str(v, "detail");
		if (kind != NULL && d != NULL && json_is_true(json_object_get(v,
		    "ok")) && (strcmp(kind, "github") == 0 ||
		    strcmp(kind, "gitlab") == 0) &&
		    (strncmp(d, "https://", 8) == 0 ||
		    strncmp(d, "http://", 7) == 0)) {
			free(t->pr);
			t->pr = keep_text(d, TEXT_MAX, 0);
		}
	}
}

void
aas_report_add(struct aas_report *r, const struct aas_rec *rec)
{
	json_t *o = rec->obj, *v, *files, *f;
	struct rpt_task *t;
	const char *id, *board;
	long long s;
	size_t i, at;

	id = aas_rec_where(rec);
	v = json_object_get(r->index, id);
	if (v != NULL) {
		at = (size_t)json_integer_value(v);
		t = r->t[at];
		r->tail_total -= t->tail_bytes;
		task_clear(t);
	} else {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->t = aas_xreallocarray(r->t, r->cap, sizeof(*r->t));
		}
		t = r->t[r->n] = aas_xcalloc(1, sizeof(*t));
		json_object_set_new(r->index, id, json_integer(
		    (json_int_t)r->n));
		r->n++;
	}
	t->id = keep_text(id, TEXT_MAX, 0);
	t->title = keep(o, "title");
	board = json_string_value(get2(o, "source", "path"));
	t->board = keep_text(board != NULL ? board : rec->bad ? "input" :
	    r->board, TEXT_MAX, 0);
	t->attempt = num(json_object_get(o, "attempt"), 1);
	if (t->attempt < 1)
		t->attempt = 1;
	t->model = keep_text(json_string_value(get2(o, "request", "model")) ?
	    json_string_value(get2(o, "request", "model")) :
	    json_string_value(get2(o, "response", "model")), TEXT_MAX, 0);
	take_state(t, rec);
	take_cost(r, t, o);
	t->branch = keep_text(json_string_value(get2(o, "apply", "branch")),
	    TEXT_MAX, 0);
	t->commit = keep_text(json_string_value(get2(o, "apply", "commit")),
	    TEXT_MAX, 0);
	v = get2(o, "qa", "integrated");
	if (json_is_true(json_object_get(v, "merged")) ||
	    json_is_string(json_object_get(v, "commit")))
		t->integrated = keep(v, "branch");
	take_notify(t, o);
	take_checks(r, t, get2(o, "qa", "checks"));
	files = get2(o, "apply", "files");
	if (json_array_size(files) > 0) {
		t->files = aas_xcalloc(json_array_size(files) < AAS_REPORT_FILES ?
		    json_array_size(files) : AAS_REPORT_FILES,
		    sizeof(*t->files));
		json_array_foreach(files, i, f) {
			if (i >= AAS_REPORT_FILES) {
				t->more_files++;
				continue;
			}
			t->files[t->nfiles].path = keep_text(json_is_string(f) ?
			    json_string_value(f) : str(f, "path"), TEXT_MAX, 0);
			if (t->files[t->nfiles].path == NULL)
				continue;
			t->files[t->nfiles++].op = keep(f, "op");
		}
	}
	take_history(t, json_object_get(o, "history"));
	take_candidates(t, json_object_get(o, "candidates"));
	s = iso_seconds(json_string_value(get2(o, "batch", "submitted_at")));
	if (s > 0 && (r->first == 0 || s < r->first))
		r->first = s;
}

/* ---------------------------------------------------------------- */
/* sums */

void
rpt_flush(struct aas_report *r, struct aas_buf *b)
{
	if (r->sink == -1 || b->len < 65536)
		return;
	if (r->sink_errno == 0 && aas_write_all(r->sink, b->s, b->len) == -1)
		r->sink_errno = errno;
	aas_buf_reset(b);
}

double
rpt_task_usd(const struct rpt_task *t, size_t *unpriced)
{
	double usd = t->cost == 1 ? t->usd : 0;
	size_t i, n = t->cost == 2;

	for (i = 0; i < t->nhist; i++) {
		if (t->hist[i].priced)
			usd += t->hist[i].usd;
		else
			n++;
	}
	for (i = 0; i < t->nold; i++) {
		usd += t->old[i].usd;
		n += (size_t)t->old[i].unpriced;
	}
	if (unpriced != NULL)
		*unpriced = n;
	return usd;
}

long long
rpt_task_attempts(const struct rpt_task *t)
{
	long long n = (long long)(t->nhist + t->more_hist) + 1;

	return t->attempt > n ? t->attempt : n;
}

void
rpt_totals(const struct aas_report *r, const char *board,
    struct rpt_totals *tt)
{
	const struct rpt_task *t;
	size_t i, u;

	memset(tt, 0, sizeof(*tt));
	for (i = 0; i < r->n; i++) {
		t = r->t[i];
		if (board != NULL && strcmp(board, t->board) != 0)
			continue;
		tt->tasks++;
		if (t->state == RPT_DONE)
			tt->done++;
		else if (t->state == RPT_FAILED)
			tt->failed++;
		else
			tt->left++;
		tt->usd += rpt_task_usd(t, &u);
		tt->unpriced += u;
		tt->attempts += rpt_task_attempts(t);
		tt->in += t->in;
		tt->out += t->out;
		tt->ms += t->ms;
		tt->checks += (long long)(t->nchecks + t->more_checks);
	}
	tt->usd = aas_usd_round(tt->usd);
}

static struct rpt_model *
model_at(struct rpt_model **mp, size_t *np, const char *model)
{
	size_t i;

	if (model == NULL)
		model = "";
	for (i = 0; i < *np; i++)
		if (strcmp((*mp)[i].model, model) == 0)
			return &(*mp)[i];
	*mp = aas_xreallocarray(*mp, *np + 1, sizeof(**mp));
	memset(&(*mp)[*np], 0, sizeof(**mp));
	(*mp)[*np].model = model;
	return &(*mp)[(*np)++];
}

struct rpt_model *
rpt_models(const struct aas_report *r, size_t *np)
{
	struct rpt_model *m = NULL, *x;
	const struct rpt_task *t;
	size_t i, k;

	*np = 0;
	for (i = 0; i < r->n; i++) {
		t = r->t[i];
		for (k = 0; k < t->nold; k++) {
			x = model_at(&m, np, t->old[k].model);
			x->attempts += t->old[k].n;
			x->usd += t->old[k].usd;
			x->unpriced += t->old[k].unpriced;
		}
		for (k = 0; k < t->nhist; k++) {
			x = model_at(&m, np, t->hist[k].model);
			x->attempts++;
			if (t->hist[k].priced)
				x->usd += t->hist[k].usd;
			else
				x->unpriced++;
		}
		if (t->model == NULL && t->cost == 0)
			continue;
		x = model_at(&m, np, t->model);
		x->attempts++;
		x->in += t->in;
		x->out += t->out;
		if (t->cost == 1)
			x->usd += t->usd;
		else if (t->cost == 2)
			x->unpriced++;
	}
	for (i = 0; i < *np; i++)
		m[i].usd = aas_usd_round(m[i].usd);
	return m;
}

/* ---------------------------------------------------------------- */
/* words */

const char *
rpt_usd(double usd, char *buf, size_t size)
{
	char n[64];

	snprintf(buf, size, "$%s", aas_usd_format(aas_usd_round(usd), n,
	    sizeof(n)));
	return buf;
}

const char *
rpt_duration(long long ms, char *buf, size_t size)
{
	long long s = ms / 1000;

	if (ms < 0)
		ms = s = 0;
	if (ms < 60000)
		snprintf(buf, size, "%lld.%llds", ms / 1000, ms % 1000 / 100);
	else if (s < 3600)
		snprintf(buf, size, "%lldm %02llds", s / 60, s % 60);
	else
		snprintf(buf, size, "%lldh %02lldm", s / 3600, s % 3600 / 60);
	return buf;
}

const char *
rpt_count(long long n, char *buf, size_t size)
{
	char d[32];
	size_t len, i, o = 0;

	snprintf(d, sizeof(d), "%lld", n < 0 ? -n : n);
	len = strlen(d);
	if (n < 0 && o + 1 < size)
		buf[o++] = '-';
	for (i = 0; i < len && o + 2 < size; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = d[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *
rpt_when(long long t, int iso, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M UTC",
	    &tm);
	return buf;
}

char *
rpt_reason(const struct rpt_task *t)
{
	if (t->state != RPT_FAILED)
		return aas_xstrdup("");
	return aas_xasprintf("%s%s%s%s%s", t->stage ? t->stage : "",
	    t->stage ? ": " : "", t->code ? t->code : "", t->code ? ": " : "",
	    t->message ? t->message : "");
}

char *
rpt_time_line(const struct aas_report *r, const struct rpt_totals *tt)
{
	char a[32], b[32];

	if (tt->checks == 0 && r->first > 0 && r->now > r->first)
		return aas_xasprintf("no checks ran, %s since the first batch",
		    rpt_duration((r->now - r->first) * 1000, b, sizeof(b)));
	if (tt->checks == 0)
		return aas_xstrdup("no checks ran");
	if (r->first > 0 && r->now > r->first)
		return aas_xasprintf("%s in checks, %s since the first batch",
		    rpt_duration(tt->ms, a, sizeof(a)),
		    rpt_duration((r->now - r->first) * 1000, b, sizeof(b)));
	return aas_xasprintf("%s in checks", rpt_duration(tt->ms, a,
	    sizeof(a)));
}

const char *
rpt_pr_name(const char *url, char *buf, size_t size)
{
	const char *p;

	if ((p = strstr(url, "/pull/")) != NULL && p[6] >= '0' && p[6] <= '9')
		snprintf(buf, size, "#%.*s", (int)strspn(p + 6, "0123456789"),
		    p + 6);
	else if ((p = strstr(url, "/merge_requests/")) != NULL &&
	    p[16] >= '0' && p[16] <= '9')
		snprintf(buf, size, "!%.*s", (int)strspn(p + 16, "0123456789"),
		    p + 16);
	else
		snprintf(buf, size, "pull request");
	return buf;
}

void
rpt_esc(struct aas_buf *b, const char *s, int attr)
{
	for (; s != NULL && *s != '\0'; s++)
		switch (*s) {
		case '&':
			aas_buf_adds(b, "&amp;");
			break;
		case '<':
			aas_buf_adds(b, "&lt;");
			break;
		case '>':
			aas_buf_adds(b, "&gt;");
			break;
		case '"':
			aas_buf_adds(b, "&quot;");
			break;
		case '\'':
			aas_buf_adds(b, "&#39;");
			break;
		case '\n':
			aas_buf_adds(b, attr ? "&#10;" : "\n");
			break;
		case '\t':
			aas_buf_adds(b, attr ? "&#9;" : "\t");
			break;
		default:
			aas_buf_addc(b, *s);
		}
}

size_t
rpt_run(const char *s, char c)
{
	size_t run = 0, best = 0;

	for (; s != NULL && *s != '\0'; s++) {
		run = *s == c ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}
