/*
 * aas-fetch: collect the results of the batches aas-submit created and
 * write each task once, with its response or an error.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "batch.h"
#include "board.h"
#include "cmd.h"
#include "config.h"
#include "ids.h"
#include "ledger.h"
#include "price.h"
#include "progress.h"
#include "project.h"
#include "provider.h"
#include "record.h"
#include "results.h"
#include "state.h"
#include "tasks.h"
#include "template.h"
#include "jscan.h"
#include "banned.h"

static const char usage_text[] =
    "[-qv] [--again] [--cancel] [--config FILE] [--state DIR] "
    "[--wait [--interval S]] [BATCH ...]\n"
    "[-qv] [--again] [--wait [--interval S]] --stdin | -\n"
    "[-qv] [--again] --from-file FILE [--stdin | -]\n"
    "--list [BATCH ...]";

static int again, cancel, list, wait_all, use_stdin;
static double interval = 60;
static const char *from_file;
static struct aas_config *cf;
static struct aas_state *st;
static const char *root;
static struct aas_ledger *ledger;
static struct aas_provider_pool *pool;
static int failed, stopped;
static long nemitted, nfailed_tasks;

static struct aas_provider *
get_provider(const char *kind, const char *key, struct aas_err *e)
{
	return aas_provider_pool_get(pool, kind, key, e);
}

/* process_run holds its records and their journal lines (holding):
 * written in blocks, the records first (flush_held). */
static int holding;
static long nheld;

static int
flush_held(void)
{
	struct aas_err e;

	if (aas_out_flush(stdout) == -1) {
		aas_warn("write error");
		return -1;
	}
	nheld = 0;
	memset(&e, 0, sizeof(e));
	if (aas_ledger_flush(ledger, &e) == -1) {
		aas_msg("%s", e.msg);
		return -1;
	}
	return 0;
}

static int
emit(struct aas_rec *rec)
{
	if ((holding ? aas_rec_put(stdout, rec) :
	    aas_rec_write(stdout, rec)) == -1) {
		aas_warn("write error");
		return -1;
	}
	nemitted++;
	return 0;
}

/* process_run's batch key and its text, made once for all its tasks */
static json_t *run_batch;
static char *run_batch_text;
static size_t run_batch_len;

/*
 * The answer of a record that holds no error: the batch and response
 * keys spliced into the spooled text, which aas wrote (aas_jscan_set:
 * what aas_rec_set would make of it, without parsing the record).
 */
static int
emit_spliced(const char *text, size_t len, json_t *batch, const char *key,
    size_t keylen)
{
	static const char *const keys[] = { "batch", "response", NULL };
	static struct aas_buf b = AAS_BUF_INIT;
	const char *val[2] = { NULL, NULL };
	char *own[1] = { NULL };
	size_t vlen[2] = { 0, 0 };

	if (batch != NULL && batch == run_batch) {
		val[0] = run_batch_text;
		vlen[0] = run_batch_len;
	} else if (batch != NULL)
		val[0] = own[0] = aas_json_text(batch, 15, &vlen[0]);
	val[1] = key;
	vlen[1] = keylen;
	aas_jscan_set(&b, text, len, keys, val, vlen);
	free(own[0]);
	aas_progress_out(0);
	if (aas_line_put(stdout, b.s, b.len) == -1 ||
	    (!holding && aas_out_flush(stdout) == -1)) {
		aas_warn("write error");
		return -1;
	}
	nemitted++;
	return 0;
}

/*
 * Write task slot i of t with the response key resp, or its text
 * key[0..keylen) (aas_result_line), or else the error code/msg, and
 * journal it.  batch (may be NULL) is the batch key to set.
 */
static int
emit_task(struct aas_tasks *t, size_t i, const char *run, json_t *batch,
    json_t *resp, const char *key, size_t keylen, const char *code,
    const char *msg)
{
	struct aas_rec rec;
	struct aas_err e;
	const char *text, *cid;
	char *cidcopy, *own = NULL;
	json_t *made = NULL;
	size_t len, ownlen;
	int rc;

	memset(&e, 0, sizeof(e));
	text = aas_tasks_record(t, i, &len, &cid, &e);
	if (text == NULL) {
		aas_msg("%s", e.msg);
		return -1;
	}
	cidcopy = aas_xstrdup(cid);
	if (resp != NULL && key == NULL) {
		key = own = aas_json_text(resp, 15, &ownlen);
		keylen = ownlen;
	}
	if (key != NULL && memmem(text, len, "\"error\"", 7) == NULL)
		rc = emit_spliced(text, len, batch, key, keylen);
	else {
		/* a record with an error key: the tree's way */
		if (resp == NULL && key != NULL)
			resp = made = json_loadb(key, keylen, 0, NULL);
		aas_rec_parse(&rec, text, len, NULL);
		if (batch != NULL)
			aas_rec_set(&rec, "batch", batch);
		if (resp != NULL)
			aas_rec_set(&rec, "response", resp);
		else {
			aas_rec_fail(&rec, "fetch", code, "%s", msg);
			failed = 1;
			nfailed_tasks++;
		}
		rc = emit(&rec);
		aas_rec_free(&rec);
	}
	if (rc == 0 && run != NULL && aas_ledger_mark_fetched(ledger, cidcopy,
	    run, resp != NULL || key != NULL, &e) == -1) {
		aas_msg("%s", e.msg);
		rc = -1;
	}
	if (rc == 0 && holding && ++nheld >= 4096)
		rc = flush_held();
	free(cidcopy);
	free(own);
	json_decref(made);
	return rc;
}

/*
 * Whether slot i was written by an earlier aas-fetch of this run: the
 * task and the run, so the answer of a task sent again (a new run) is
 * written once too.
 */
static int
already(struct aas_tasks *t, size_t i, const char *run)
{
	const char *cid;
	size_t len;

	if (again)
		return 0;
	if (aas_tasks_record(t, i, &len, &cid, NULL) == NULL)
		return 0;
	return aas_ledger_fetched_in(ledger, cid, run) != 0;
}

/*
 * The candidates one request answered: n of request.n when the record of
 * slot is a candidate of a request that asked for n answers (aas-submit
 * --candidates with a provider that has choices), else 1.
 */
static long
answers_n(struct aas_tasks *t, size_t slot)
{
	const char *text, *cid;
	size_t len;
	json_t *o;
	long n;

	text = aas_tasks_record(t, slot, &len, &cid, NULL);
	if (text == NULL || memmem(text, len, "\"candidate\"", 11) == NULL)
		return 1;
	o = json_loadb(text, len, 0, NULL);
	n = (long)json_integer_value(json_object_get(json_object_get(o,
	    "request"), "n"));
	json_decref(o);
	return n > 1 ? n : 1;
}

/*
 * Write the task of slot with result res; a request that answered
 * several candidates writes each of them (found by
 * aas_ledger_candidate_id) with its own choice.  batch_words as in
 * aas_result_error.  -1 on a fatal error.
 */
static int
emit_answer(struct aas_tasks *t, size_t slot, const char *run, json_t *batch,
    struct aas_result_line *l, const struct aas_price *price,
    double discount, int batch_words)
{
	long n = answers_n(t, slot), k;
	const char *code, *msg, *cid;
	char codebuf[32], kcid[65], *base = NULL;
	json_t *ch, *resp;
	ssize_t s;
	size_t len;
	double usd;
	json_t *res;
	int rc = 0;

	/* a plain answer to one request: its key is made */
	if (l->res == NULL && n == 1 && l->key != NULL) {
		if (run != NULL && already(t, slot, run))
			return 0;
		return emit_task(t, slot, run, batch, NULL, l->key, l->keylen,
		    NULL, NULL);
	}
	res = aas_result_line_res(l);
	if (n > 1 && aas_tasks_record(t, slot, &len, &cid, NULL) != NULL)
		base = aas_xstrdup(cid);
	for (k = 1; k <= n && rc == 0; k++) {
		s = (ssize_t)slot;
		if (k > 1) {
			if (base == NULL)
				break;
			aas_ledger_candidate_id(base, k, kcid);
			s = aas_tasks_find(t, kcid);
			if (s < 0 || aas_tasks_marked(t, (size_t)s))
				continue;
			aas_tasks_mark(t, (size_t)s);
		}
		if (run != NULL && already(t, (size_t)s, run))
			continue;
		ch = aas_result_choice(res, (size_t)k);
		resp = ch != NULL && json_is_true(json_object_get(ch, "ok")) ?
		    aas_response_key_n(ch, price, discount, (size_t)n, &usd) :
		    NULL;
		if (ch == NULL) {
			code = "missing_choice";
			msg = "the answer holds no choice for this candidate";
		} else
			aas_result_error(ch, batch_words, codebuf, &code, &msg);
		rc = emit_task(t, (size_t)s, run, batch, resp, NULL, 0, code,
		    msg);
		json_decref(resp);
		json_decref(ch);
	}
	free(base);
	return rc;
}

/* What results_file's lines need. */
struct run_ctx {
	const char	*run;
	json_t		*batch;
	const struct aas_price *price;
	double		 discount;
	double		 usd;
	struct aas_tasks **idx;
};

static int
run_line(void *arg, size_t j, size_t slot, struct aas_result_line *l)
{
	struct run_ctx *c = arg;
	struct aas_tasks *t = c->idx[j];
	json_t *res = l->res;
	double usd = 0;

	/* the line's cost, once however many candidates it answers */
	if (res == NULL)
		usd = l->usd;
	else if (json_is_true(json_object_get(res, "ok")) ||
	    json_object_get(res, "usage") != NULL)
		usd = aas_result_usd(res, c->price, c->discount);
	c->usd += usd;
	if (emit_answer(t, slot, c->run, c->batch, l, c->price,
	    c->discount, 1) == -1)
		return -1;
	if (aas_state_stop_poll(st)) {
		stopped = 1;
		return 1;
	}
	return 0;
}

/*
 * Stream one results file against the run's tasks.  Returns -1 on a
 * fatal error.  *usdp gathers the actual cost of every line.
 */
static int
results_file(struct aas_provider *p, const char *path, struct aas_tasks *t,
    const char *run, json_t *batch, const struct aas_price *price,
    double discount, int checked, double *usdp)
{
	struct run_ctx c = { run, batch, price, discount, 0, &t };
	struct aas_match_opts o = { price, discount, checked };
	char *fbuf;
	FILE *f;
	int rc;

	f = fopen(path, "re");
	if (f == NULL) {
		aas_warn("%s", path);
		return -1;
	}
	/* read in big pieces by the parsing thread */
	fbuf = aas_xmalloc(1 << 20);
	(void)setvbuf(f, fbuf, _IOFBF, 1 << 20);
	rc = aas_results_match(p, f, path, &t, 1, &o, run_line, &c);
	fclose(f);
	free(fbuf);
	*usdp += c.usd;
	return rc == -1 ? -1 : 0;
}

/* A finished batch: download once, then write every task. */
static int
process_run(size_t ri, json_t *b)
{
	const struct aas_run *r = aas_ledger_run(ledger, ri);
	struct aas_provider *p;
	struct aas_tasks *t;
	struct aas_price price;
	struct aas_err e;
	json_t *batch;
	char *dir, *out, *errf, msg[512];
	const char *code;
	int got_out = 0, got_err = 0, have_price, rc = 0;
	int ck_out = 0, ck_err = 0;	/* checked in this download */
	size_t i;
	double usd = 0;

	memset(&e, 0, sizeof(e));
	p = get_provider(r->provider, NULL, &e);
	if (p == NULL) {
		aas_msg("%s", e.msg);
		return -1;
	}
	dir = aas_state_path(st, "results");
	out = aas_xasprintf("%s/%s.output.jsonl", dir, r->batch_id);
	errf = aas_xasprintf("%s/%s.error.jsonl", dir, r->batch_id);
	if (aas_mkdirs(dir, 0755, &e) == -1)
		goto fail;
	if (!r->downloaded) {
		if (aas_results_download(p, b, "output", out, &got_out,
		    &ck_out, &e) == -1 || aas_results_download(p, b, "error",
		    errf, &got_err, &ck_err, &e) == -1) {
			aas_msg("%s: download: %s", r->batch_id, e.msg);
			rc = aas_provider_run_error(e.code) ? -2 : 1;
			goto done;
		}
		if (!got_out)
			unlink(out);
		if (!got_err)
			unlink(errf);
		if (aas_ledger_run_downloaded(ledger, ri, &e) == -1)
			goto fail;
	}
	have_price = aas_price_lookup(cf, r->model, &price, &e) == 0;
	if (aas_tasks_open(&t, ledger, ri, &e) == -1)
		goto fail;
	aas_ledger_expect_fetched(ledger, aas_tasks_count(t));
	batch = aas_ledger_batch_key(r);
	run_batch = batch;
	run_batch_text = aas_json_text(batch, 15, &run_batch_len);
	holding = 1;
	aas_ledger_hold(ledger, 1);
	if (access(out, F_OK) == 0)
		rc = results_file(p, out, t, r->run, batch,
		    have_price ? &price : NULL, 0.5, ck_out, &usd);
	if (rc == 0 && !stopped && access(errf, F_OK) == 0)
		rc = results_file(p, errf, t, r->run, batch,
		    have_price ? &price : NULL, 0.5, ck_err, &usd);
	aas_results_missing(b, &code, msg, sizeof(msg));
	for (i = 0; rc == 0 && !stopped && i < aas_tasks_count(t); i++) {
		if (aas_tasks_marked(t, i) || already(t, i, r->run))
			continue;
		aas_tasks_mark(t, i);
		rc = emit_task(t, i, r->run, batch, NULL, NULL, 0, code, msg);
	}
	run_batch = NULL;
	free(run_batch_text);
	run_batch_text = NULL;
	json_decref(batch);
	aas_tasks_close(t);
	/* what went out is journaled before the run is marked done */
	holding = 0;
	aas_ledger_hold(ledger, 0);
	if (flush_held() == -1)
		rc = -1;
	if (rc == 0 && !stopped && r->state == AAS_RUN_LIVE &&
	    aas_ledger_run_done(ledger, ri, aas_usd_round(usd), &e) == -1)
		goto fail;
done:
	free(dir);
	free(out);
	free(errf);
	return rc;
fail:
	aas_msg("%s", e.msg);
	rc = -1;
	goto done;
}

static int
sleep_interruptible(double s)
{
	int64_t end = aas_now_ms() + (int64_t)(s * 1000), left;

	while ((left = end - aas_now_ms()) > 0) {
		if (aas_state_stop_poll(st))
			return -1;
		/* the STOP file every 100 ms; a shorter wait as it is */
		(void)poll(NULL, 0, left < 100 ? (int)left : 100);
	}
	return 0;
}

/*
 * Past one machine: with an empty journal (a fresh clone, a new CI
 * runner) the provider's batches whose metadata names this project
 * (project.h) are taken into the journal as runs of their own, their
 * task records rebuilt from the batch input file and the board, so that
 * fetch_runs writes them as if this clone had submitted them, once.
 */
struct found {
	const char	*project;
	json_t		*batches;	/* newest first, as listed */
};

static int
found_cb(json_t *b, void *arg)
{
	struct found *f = arg;
	json_t *md = json_object_get(b, "metadata");
	const char *pj = json_string_value(json_object_get(md, "aas_project"));

	if (pj != NULL && strcmp(pj, f->project) == 0 &&
	    json_is_string(json_object_get(md, "aas_run")))
		json_array_append(f->batches, b);
	return 0;
}

/* custom_id -> the board's record of each task (aas-scan's text). */
static json_t *
board_records(struct aas_err *e)
{
	struct aas_board_opts bo;
	struct aas_board *b;
	const struct aas_task *t;
	struct aas_rec rec;
	json_t *map, *o;
	const char *sha;
	char *path, cid[65];
	size_t i;

	if (aas_board_config(cf, root, &bo, &path, e) == -1)
		return NULL;
	map = json_object();
	if (access(path, F_OK) != 0) {
		free(path);
		return map;
	}
	if (aas_board_load(&b, path, &bo, e) == -1) {
		free(path);
		json_decref(map);
		return NULL;
	}
	free(path);
	for (i = 0; i < aas_board_count(b); i++) {
		t = aas_board_task(b, i);
		o = aas_task_record(b, t);
		sha = json_string_value(json_object_get(json_object_get(o,
		    "source"), "sha"));
		aas_ledger_custom_id(json_string_value(json_object_get(o,
		    "id")), sha, cid);
		aas_rec_from_json(&rec, o);
		json_object_set_new(map, cid, json_stringn(rec.line, rec.len));
		aas_rec_free(&rec);
		json_decref(o);
	}
	aas_board_free(b);
	return map;
}

/* The id in a custom_id (ids.h: id "-" 12 hex digits, maybe more). */
static char *
id_of(const char *cid)
{
	const char *d = strrchr(cid, '-');

	while (d != NULL && d > cid && strspn(d + 1, "0123456789abcdef") !=
	    strlen(d + 1))
		d = memrchr(cid, '-', (size_t)(d - cid));
	return d != NULL && d > cid ? aas_xstrndup(cid, (size_t)(d - cid)) :
	    aas_xstrdup(cid);
}

/* One task line of an adopted run: the board's record (or one made from
 * the custom_id alone) with its request key, and its candidates. */
static int
adopt_line(struct aas_run_writer *w, json_t *board, const char *line,
    size_t len, const char *model, const char *endpoint,
    const char *template, long *nmissing, struct aas_err *e)
{
	json_t *o, *body, *req, *cand;
	const char *cid, *text;
	struct aas_rec rec, c;
	char kcid[65], *id;
	long n, k;
	int rc = 0;

	o = json_loadb(line, len, 0, NULL);
	cid = json_string_value(json_object_get(o, "custom_id"));
	if (cid == NULL) {
		json_decref(o);
		return 0;
	}
	body = json_object_get(o, "body");
	n = (long)json_integer_value(json_object_get(body, "n"));
	text = json_string_value(json_object_get(board, cid));
	if (text != NULL)
		aas_rec_parse(&rec, text, strlen(text), NULL);
	else {
		/* the task changed on the board since: what the batch says */
		json_t *m;

		id = id_of(cid);
		m = json_pack("{s:s}", "id", id);
		aas_rec_from_json(&rec, m);
		json_decref(m);
		free(id);
		(*nmissing)++;
	}
	req = json_pack("{s:s, s:s?, s:s?, s:s?}", "custom_id", cid, "model",
	    json_string_value(json_object_get(body, "model")) ?
	    json_string_value(json_object_get(body, "model")) : model,
	    "endpoint", endpoint, "template", template);
	if (n > 1)
		json_object_set_new(req, "n", json_integer(n));
	json_object_set_new(req, "prompt_bytes", json_integer((json_int_t)
	    aas_template_prompt_bytes(body != NULL ? body :
	    json_object_get(o, "params"))));
	for (k = 1; k <= (n > 1 ? n : 1) && rc == 0; k++) {
		aas_rec_parse(&c, rec.line, rec.len, NULL);
		if (n > 1) {
			cand = json_pack("{s:I, s:I}", "k", (json_int_t)k, "n",
			    (json_int_t)n);
			aas_rec_set(&c, "candidate", cand);
			json_decref(cand);
		}
		aas_rec_set(&c, "request", req);
		aas_ledger_candidate_id(cid, k, kcid);
		rc = k == 1 ? aas_ledger_run_add(w, kcid, c.line, c.len, line,
		    len, 0, e) : aas_ledger_run_add_more(w, kcid, c.line, c.len,
		    e);
		aas_rec_free(&c);
	}
	aas_rec_free(&rec);
	json_decref(req);
	json_decref(o);
	return rc;
}

/* Batch b of this project, into the journal as its run. */
static int
adopt(struct aas_provider *p, json_t *b, json_t *board, const char *project)
{
	json_t *md = json_object_get(b, "metadata"), *raw, *first;
	const char *run = json_string_value(json_object_get(md, "aas_run"));
	const char *template = json_string_value(json_object_get(md,
	    "aas_template"));
	const char *bid = json_string_value(json_object_get(b, "id"));
	const char *endpoint, *model;
	struct aas_run_writer *w;
	struct aas_err e;
	char *dir, *tmp, *line = NULL;
	size_t cap = 0;
	ssize_t n, ri;
	long nmissing = 0;
	FILE *f;
	int got = 0, rc = 0;

	memset(&e, 0, sizeof(e));
	if (bid == NULL || *bid == '\0' || strspn(bid, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(bid)) {
		aas_msg("%s: not a batch id this folder can hold", bid ? bid :
		    "(none)");
		return 0;
	}
	if (*run == '.' || strspn(run, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(run)) {
		aas_msg("%s: this project's batch, but its run id is not one "
		    "aas-submit makes: left alone", bid);
		return 0;
	}
	raw = json_object_get(b, "raw");
	endpoint = json_string_value(json_object_get(raw, "endpoint"));
	dir = aas_state_path(st, "tmp");
	(void)aas_mkdirs(dir, 0755, NULL);
	tmp = aas_xasprintf("%s/found-%s.jsonl", dir, bid);
	free(dir);
	unlink(tmp);
	if (aas_provider_download(p, b, "input", tmp, &got, &e) == -1 ||
	    !got) {
		aas_msg("%s: this project's batch, but its input file cannot "
		    "be read: %s", bid, got || *e.msg ? e.msg : "it names none");
		unlink(tmp);
		free(tmp);
		return 0;
	}
	f = fopen(tmp, "re");
	if (f == NULL || (n = getline(&line, &cap, f)) <= 0) {
		aas_msg("%s: its input file is empty", bid);
		goto out;
	}
	first = json_loads(line, 0, NULL);
	model = json_string_value(json_object_get(json_object_get(first,
	    "body"), "model"));
	if (aas_ledger_run_adopt(ledger, &w, run, aas_provider_kind(p),
	    model ? model : "", endpoint ? endpoint : "", template ?
	    template : "", &e) == -1) {
		json_decref(first);
		aas_msg("%s: %s", bid, e.msg);
		rc = -1;
		goto out;
	}
	aas_ledger_run_set_project(w, project);
	rewind(f);
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0)
			rc = adopt_line(w, board, line, (size_t)n, model,
			    endpoint, template, &nmissing, &e);
	}
	json_decref(first);
	if (rc == -1) {
		aas_ledger_run_discard(w);
		aas_msg("%s: %s", bid, e.msg);
		goto out;
	}
	if (aas_ledger_run_count(w) == 0) {
		aas_ledger_run_discard(w);
		goto out;
	}
	if ((ri = aas_ledger_run_commit(ledger, w, &e)) == -1 ||
	    aas_ledger_note_batch(ledger, (size_t)ri, b, &e) == -1) {
		aas_msg("%s: %s", bid, e.msg);
		rc = -1;
		goto out;
	}
	if (!aas_quiet)
		aas_msg("%s: this project's batch (run %s), %ld tasks, found "
		    "at the provider%s", bid, run, aas_ledger_run(ledger,
		    (size_t)ri)->n, nmissing > 0 ? "; some are no longer on "
		    "the board as sent" : "");
out:
	if (f != NULL)
		fclose(f);
	free(line);
	unlink(tmp);
	free(tmp);
	return rc;
}

/*
 * The task of the board a custom_id names: itself (*kp 1) or a
 * candidate's "-c<k>" on it (aas_ledger_candidate_id).  1 with base and
 * *kp set, 0 when the board has no such task.
 */
static int
board_cid(json_t *board, const char *cid, char base[65], long *kp)
{
	const char *d = strrchr(cid, '-');

	if (strlen(cid) > 64)
		return 0;
	if (json_object_get(board, cid) != NULL) {
		snprintf(base, 65, "%s", cid);
		*kp = 1;
		return 1;
	}
	if (d == NULL || d[1] != 'c' || d[2] == '\0' || strlen(d + 2) > 3 ||
	    strspn(d + 2, "0123456789") != strlen(d + 2))
		return 0;
	snprintf(base, 65, "%.*s", (int)(d - cid), cid);
	*kp = strtol(d + 2, NULL, 10);
	return *kp >= 2 && json_object_get(board, base) != NULL;
}

/*
 * Anthropic batches carry no metadata: an ended batch is this project's
 * when every custom_id of its results is a task of this board as it is
 * (or a candidate of one).  Its results, downloaded to tell, are kept as
 * the run's.  A batch still running cannot be told apart yet.
 */
static int
adopt_by_results(struct aas_provider *p, json_t *b, json_t *board,
    const char *project)
{
	const char *bid = json_string_value(json_object_get(b, "id"));
	const char *template = "implement", *model = NULL, *cid;
	json_t *ents = json_array(), *ns = json_object(), *res, *it, *req;
	struct aas_run_writer *w;
	struct aas_rec rec, c;
	struct aas_err e;
	char *dir, *out, *run, *line = NULL, base[65];
	size_t cap = 0, i;
	ssize_t n, ri;
	long k, nk;
	FILE *f = NULL;
	int got = 0, ours = 1, rc = 0;

	memset(&e, 0, sizeof(e));
	if (bid == NULL || strspn(bid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
	    "klmnopqrstuvwxyz0123456789_-") != strlen(bid) || *bid == '\0')
		return 0;
	(void)aas_config_str(cf, "template", &template, NULL);
	dir = aas_state_path(st, "results");
	(void)aas_mkdirs(dir, 0755, NULL);
	out = aas_xasprintf("%s/%s.output.jsonl", dir, bid);
	free(dir);
	unlink(out);
	if (aas_results_download(p, b, "output", out, &got, NULL, &e) == -1 ||
	    !got || (f = fopen(out, "re")) == NULL) {
		if (got)
			aas_msg("%s: results: %s", bid, e.msg);
		ours = 0;
	}
	while (ours && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || aas_provider_parse_result(p, line, (size_t)n,
		    &res, NULL) == -1)
			continue;
		cid = json_string_value(json_object_get(res, "custom_id"));
		if (cid == NULL || !board_cid(board, cid, base, &k))
			ours = 0;
		else {
			json_array_append_new(ents, json_pack("{s:s, s:s, s:I}",
			    "cid", cid, "base", base, "k", (json_int_t)k));
			nk = (long)json_integer_value(json_object_get(ns, base));
			if (k > nk)
				json_object_set_new(ns, base, json_integer(k));
			if (model == NULL && json_is_string(json_object_get(res,
			    "model")))
				json_object_set_new(ns, "", json_incref(
				    json_object_get(res, "model")));
			model = json_string_value(json_object_get(ns, ""));
		}
		json_decref(res);
	}
	if (f != NULL)
		fclose(f);
	free(line);
	if (!ours || json_array_size(ents) == 0) {
		unlink(out);
		goto done;
	}
	run = aas_xasprintf("found-%s", bid);
	rc = aas_ledger_run_adopt(ledger, &w, run, aas_provider_kind(p),
	    model ? model : "", "/v1/messages", template, &e);
	free(run);
	if (rc == -1) {
		aas_msg("%s: %s", bid, e.msg);
		goto done;
	}
	aas_ledger_run_set_project(w, project);
	json_array_foreach(ents, i, it) {
		const char *bs = json_string_value(json_object_get(it, "base"));
		const char *text = json_string_value(json_object_get(board, bs));

		k = (long)json_integer_value(json_object_get(it, "k"));
		nk = (long)json_integer_value(json_object_get(ns, bs));
		cid = json_string_value(json_object_get(it, "cid"));
		aas_rec_parse(&rec, text, strlen(text), NULL);
		aas_rec_parse(&c, rec.line, rec.len, NULL);
		if (nk > 1) {
			json_t *cv = json_pack("{s:I, s:I}", "k",
			    (json_int_t)k, "n", (json_int_t)nk);

			aas_rec_set(&c, "candidate", cv);
			json_decref(cv);
		}
		req = json_pack("{s:s, s:s?, s:s, s:s}", "custom_id", cid,
		    "model", model, "endpoint", "/v1/messages", "template",
		    template);
		aas_rec_set(&c, "request", req);
		json_decref(req);
		rc = aas_ledger_run_add_found(w, cid, c.line, c.len, &e);
		aas_rec_free(&c);
		aas_rec_free(&rec);
		if (rc == -1)
			break;
	}
	if (rc == -1) {
		aas_ledger_run_discard(w);
		aas_msg("%s: %s", bid, e.msg);
		goto done;
	}
	if ((ri = aas_ledger_run_commit(ledger, w, &e)) == -1 ||
	    aas_ledger_note_batch(ledger, (size_t)ri, b, &e) == -1 ||
	    aas_ledger_run_downloaded(ledger, (size_t)ri, &e) == -1) {
		aas_msg("%s: %s", bid, e.msg);
		rc = -1;
		goto done;
	}
	if (!aas_quiet)
		aas_msg("%s: this project's batch (its tasks are this board's), "
		    "%ld tasks, found at the provider", bid,
		    aas_ledger_run(ledger, (size_t)ri)->n);
done:
	free(out);
	json_decref(ents);
	json_decref(ns);
	return rc;
}

/* Anthropic: every ended batch looked into, the running ones counted. */
struct unlabelled {
	json_t	*ended;
	long	 running;
};

static int
unlabelled_cb(json_t *b, void *arg)
{
	struct unlabelled *u = arg;

	if (json_is_true(json_object_get(b, "terminal")))
		json_array_append(u->ended, b);
	else
		u->running++;
	return 0;
}

/* discover() for batches without metadata; frees project and ended. */
static int
discover_unlabelled(struct aas_provider *p, char *project, json_t *ended)
{
	struct unlabelled u = { ended, 0 };
	struct aas_err e;
	json_t *board = NULL;
	char *lock;
	size_t i;
	int rc = 0, fdl = -1;

	memset(&e, 0, sizeof(e));
	if (aas_provider_list(p, unlabelled_cb, &u, &e) == -1 ||
	    (board = board_records(&e)) == NULL) {
		aas_msg("looking for this project's batches: %s", e.msg);
		rc = aas_provider_run_error(e.code) ? -1 : 0;
		goto out;
	}
	if (json_array_size(ended) > 0) {
		lock = aas_state_path(st, "submit.lock");
		fdl = aas_lock(lock, 1, &e);
		free(lock);
		if (fdl == -1) {
			aas_msg("%s", e.msg);
			rc = -1;
			goto out;
		}
	}
	for (i = json_array_size(ended); rc == 0 && i-- > 0;)
		rc = adopt_by_results(p, json_array_get(ended, i), board,
		    project);
	if (fdl != -1)
		aas_unlock(fdl);
	if (rc == 0 && u.running > 0 && aas_ledger_count(ledger) == 0 &&
	    !aas_quiet)
		aas_msg("%ld %s batches still running: %s batches carry no "
		    "metadata, so one of this project's is found only once it "
		    "has ended", u.running, aas_provider_kind(p),
		    aas_provider_kind(p));
out:
	json_decref(board);
	json_decref(ended);
	free(project);
	return rc;
}

static int
discover(void)
{
	struct found fd = { NULL, NULL };
	struct aas_provider *p;
	struct aas_err e;
	const char *kind = AAS_PROVIDER_DEFAULT;
	json_t *board, *b;
	char *project, *lock;
	size_t i;
	int rc, fdl;

	memset(&e, 0, sizeof(e));
	rc = aas_project_id(cf, root, &project, &e);
	if (rc != 0) {
		if (rc == -1)
			aas_msg("%s", e.msg);
		return rc == -1 ? -1 : 0;
	}
	if (aas_config_str(cf, "provider", &kind, &e) == -1 ||
	    (p = get_provider(kind, NULL, &e)) == NULL) {
		aas_msg("%s", e.msg);
		free(project);
		return -1;
	}
	fd.project = project;
	fd.batches = json_array();
	board = NULL;
	if (strcmp(aas_provider_kind(p), "openai") != 0)
		return discover_unlabelled(p, project, fd.batches);
	if (aas_provider_list(p, found_cb, &fd, &e) == -1 ||
	    (board = board_records(&e)) == NULL) {
		aas_msg("looking for this project's batches: %s", e.msg);
		rc = aas_provider_run_error(e.code) ? -1 : 0;
		goto out;
	}
	if (json_array_size(fd.batches) == 0)
		goto out;
	/* the journal is written under the submit lock, as reconcile does */
	lock = aas_state_path(st, "submit.lock");
	fdl = aas_lock(lock, 1, &e);
	free(lock);
	if (fdl == -1) {
		aas_msg("%s", e.msg);
		rc = -1;
		goto out;
	}
	for (i = json_array_size(fd.batches); rc == 0 && i-- > 0;) {
		b = json_array_get(fd.batches, i);
		if (aas_ledger_find(ledger, json_string_value(json_object_get(
		    json_object_get(b, "metadata"), "aas_run"))) < 0)
			rc = adopt(p, b, board, project);
	}
	aas_unlock(fdl);
out:
	json_decref(board);
	json_decref(fd.batches);
	free(project);
	return rc;
}

/* The journal's batches (or those named) until done or, without --wait,
 * until what has finished is written. */
/* The stop note for batches still pending: how many, and when the first
 * is due (the providers' 24-hour completion window from its submission). */
static void
note_pending(const size_t *sel, size_t nsel, const char *done, long pending)
{
	long long first = -1;
	char when[32];
	size_t i;

	for (i = 0; i < nsel; i++) {
		const struct aas_run *r = aas_ledger_run(ledger, sel[i]);

		if (!done[i] && r->state == AAS_RUN_LIVE &&
		    (first < 0 || r->t < first))
			first = r->t;
	}
	if (first < 0) {
		aas_stop_note("pending", "%ld batch%s pending", pending,
		    pending == 1 ? "" : "es");
		return;
	}
	aas_iso8601(first + 86400, when, sizeof(when));
	aas_stop_note("pending", "%ld batch%s pending, the first due by %s",
	    pending, pending == 1 ? "" : "es", when);
}

static int
fetch_runs(char **names, int nnames)
{
	size_t i, nsel = 0, *sel;
	char *done;
	json_t *b;
	struct aas_provider *p;
	struct aas_err e;
	int64_t start = aas_now_ms();
	double nap = 1;
	long pending, total, finished;
	int k, rc;

	if (aas_state_stop_requested(st))
		stopped = 1;
	if (nnames == 0 && !again && aas_ledger_count(ledger) == 0 &&
	    !stopped && discover() == -1)
		return AAS_EXIT_USAGE;
	sel = aas_xcalloc(aas_ledger_count(ledger) + 1, sizeof(*sel));
	for (k = 0; k < nnames; k++) {
		ssize_t ri = aas_ledger_find(ledger, names[k]);

		if (ri < 0 || aas_ledger_run(ledger, (size_t)ri)->batch_id ==
		    NULL) {
			aas_msg("%s: no such batch in the journal", names[k]);
			free(sel);
			return AAS_EXIT_USAGE;
		}
		sel[nsel++] = (size_t)ri;
	}
	if (nnames == 0 && again) {
		/* the batches the last aas-fetch wrote, to write them again */
		const size_t *last;
		size_t nlast = aas_ledger_last_fetch(ledger, &last);

		for (i = 0; i < nlast; i++)
			if (aas_ledger_run(ledger, last[i])->batch_id != NULL)
				sel[nsel++] = last[i];
	} else if (nnames == 0)
		for (i = 0; i < aas_ledger_count(ledger); i++)
			if (aas_ledger_run(ledger, i)->state == AAS_RUN_LIVE)
				sel[nsel++] = i;
	done = aas_xcalloc(nsel + 1, 1);
	if (cancel) {
		for (i = 0; i < nsel; i++) {
			const struct aas_run *r = aas_ledger_run(ledger, sel[i]);

			if (r->state != AAS_RUN_LIVE)
				continue;
			memset(&e, 0, sizeof(e));
			p = get_provider(r->provider, NULL, &e);
			b = NULL;
			if (p == NULL || aas_provider_cancel(p, r->batch_id, &b,
			    &e) == -1)
				aas_msg("%s: cancel: %s", r->batch_id, e.msg);
			else if (!aas_quiet)
				aas_msg("%s: %s", r->batch_id,
				    json_string_value(json_object_get(b,
				    "status")));
			json_decref(b);
		}
	}
	for (;;) {
		pending = total = finished = 0;
		for (i = 0; i < nsel && !stopped; i++) {
			const struct aas_run *r = aas_ledger_run(ledger, sel[i]);
			json_t *counts;

			if (done[i])
				continue;
			memset(&e, 0, sizeof(e));
			p = get_provider(r->provider, NULL, &e);
			b = NULL;
			if (p == NULL || aas_provider_get(p, r->batch_id, &b,
			    &e) == -1) {
				aas_msg("%s: %s", r->batch_id, e.msg);
				if (p != NULL &&
				    aas_provider_run_error(e.code)) {
					free(sel);
					free(done);
					return AAS_EXIT_USAGE;
				}
				pending++;
				continue;
			}
			counts = json_object_get(b, "counts");
			total += (long)json_integer_value(json_object_get(
			    counts, "total"));
			finished += (long)json_integer_value(json_object_get(
			    counts, "completed")) + (long)json_integer_value(
			    json_object_get(counts, "failed"));
			if (!json_is_true(json_object_get(b, "terminal"))) {
				pending++;
				json_decref(b);
				continue;
			}
			rc = process_run(sel[i], b);
			json_decref(b);
			if (rc == -2) {
				free(sel);
				free(done);
				return AAS_EXIT_USAGE;
			}
			if (rc == -1) {
				free(sel);
				free(done);
				return AAS_EXIT_FATAL;
			}
			if (rc == 0)
				done[i] = 1;
			else
				pending++;
		}
		if (aas_state_stop_poll(st))
			stopped = 1;
		if (pending == 0 || stopped || !wait_all)
			break;
		if (aas_progress_on()) {
			char what[64];

			snprintf(what, sizeof(what), "%ld batch%s pending",
			    pending, pending == 1 ? "" : "es");
			aas_progress_set(finished, total, nfailed_tasks, what);
		} else if (aas_progress_enabled())
			aas_msg("batches pending: %ld; %ld/%ld requests done, "
			    "%ld tasks failed; %llds", pending, finished, total,
			    nfailed_tasks,
			    (long long)((aas_now_ms() - start) / 1000));
		/* soon first, then backing off: a short batch is collected
		 * in seconds, a long one is not polled more than needed */
		if (sleep_interruptible(nap < interval ? nap : interval) == -1) {
			stopped = 1;
			break;
		}
		nap *= 2;
	}
	if (pending > 0 && !stopped)
		note_pending(sel, nsel, done, pending);
	free(sel);
	free(done);
	if (stopped || pending > 0)
		return AAS_EXIT_STOPPED;
	return failed ? AAS_EXIT_RECORD : AAS_EXIT_OK;
}

/* --stdin: the batches the records name; other records pass through. */
static json_t *stdin_names;

static int
stdin_step(struct aas_rec *rec, void *arg, struct aas_err *e)
{
	const char *bid = json_string_value(aas_rec_path(rec, "batch.id"));

	(void)arg;
	(void)e;
	if (bid == NULL || aas_rec_get(rec, "response") != NULL)
		return 0;
	if (aas_ledger_find(ledger, bid) < 0) {
		aas_rec_fail(rec, "fetch", "unknown_batch", "batch %s is not "
		    "in this state folder's journal", bid);
		return 1;
	}
	json_object_set_new(stdin_names, bid, json_true());
	return AAS_LOOP_DROP;
}

/* The record loop on stdin; its status, with failed and stopped set. */
static int
stdin_loop(int (*step)(struct aas_rec *, void *, struct aas_err *),
    void *arg)
{
	struct aas_loop l;
	int status;

	memset(&l, 0, sizeof(l));
	l.stage = "fetch";
	l.step = step;
	l.arg = arg;
	l.state = st;
	status = aas_loop_run(&l, stdin, "stdin", stdout);
	if (status == AAS_EXIT_RECORD) {
		failed = 1;
		status = AAS_EXIT_OK;
	} else if (status == AAS_EXIT_STOPPED)
		stopped = 1;
	return status;
}

static int
fetch_stdin(void)
{
	const char *k;
	json_t *v;
	char **argvv;
	int n = 0, status;

	stdin_names = json_object();
	status = stdin_loop(stdin_step, NULL);
	if (status != AAS_EXIT_OK) {
		json_decref(stdin_names);
		return status;
	}
	argvv = aas_xcalloc(json_object_size(stdin_names) + 1,
	    sizeof(*argvv));
	json_object_foreach(stdin_names, k, v)
		argvv[n++] = (char *)k;
	status = n > 0 ? fetch_runs(argvv, n) :
	    (failed ? AAS_EXIT_RECORD : AAS_EXIT_OK);
	free(argvv);
	json_decref(stdin_names);
	return status;
}

/* What fetch_file's lines need. */
struct file_ctx {
	struct aas_tasks **idx;
	size_t	*ris;
	long	 nmatch;
};

static int
file_line(void *arg, size_t j, size_t slot, struct aas_result_line *l)
{
	json_t *res = aas_result_line_res(l);
	struct file_ctx *c = arg;
	const struct aas_run *r = use_stdin ? NULL :
	    aas_ledger_run(ledger, c->ris[j]);
	const char *model;
	struct aas_price price;
	json_t *batch;
	int hp, rc;

	c->nmatch++;
	model = json_string_value(json_object_get(res, "model"));
	hp = model != NULL && aas_price_lookup(cf, model, &price, NULL) == 0;
	batch = r != NULL && r->batch_id != NULL ? aas_ledger_batch_key(r) :
	    NULL;
	rc = emit_answer(c->idx[j], slot, r ? r->run : NULL, batch, l,
	    hp ? &price : NULL, 1, 0);
	json_decref(batch);
	return rc == -1 ? -1 : 0;
}

/* --from-file --stdin: a record that was sent goes into the index. */
static int
index_step(struct aas_rec *rec, void *arg, struct aas_err *e)
{
	const char *cid = json_string_value(aas_rec_path(rec,
	    "request.custom_id"));
	json_int_t n = json_integer_value(aas_rec_path(rec, "request.n"));
	json_int_t k = json_integer_value(aas_rec_path(rec, "candidate.k"));
	char kcid[65];

	(void)e;
	if (cid == NULL)
		return 0;
	/* candidates of one request: each under its own id, as submitted */
	if (n > 1 && k > 1) {
		aas_ledger_candidate_id(cid, (long)k, kcid);
		cid = kcid;
	}
	fprintf(arg, "%s\t%.*s\n", cid, (int)rec->len, rec->line);
	return AAS_LOOP_DROP;
}

/* --from-file: results from elsewhere (vLLM), matched by custom_id. */
static int
fetch_file(void)
{
	struct file_ctx fc = { NULL, NULL, 0 };
	struct aas_provider *p;
	struct aas_tasks **idx;
	struct aas_err e;
	size_t *ris, nidx = 0, i, j;
	char *tmp = NULL;
	FILE *f;
	int matched_any, status = AAS_EXIT_OK;

	memset(&e, 0, sizeof(e));
	p = get_provider(AAS_PROVIDER_DEFAULT, "no-key-needed", &e);
	if (p == NULL) {
		aas_msg("%s", e.msg);
		return AAS_EXIT_USAGE;
	}
	idx = aas_xcalloc(aas_ledger_count(ledger) + 1, sizeof(*idx));
	ris = aas_xcalloc(aas_ledger_count(ledger) + 1, sizeof(*ris));
	if (use_stdin) {
		/* index the records on stdin through a temporary file */
		FILE *tf;

		tmp = aas_state_path(st, "tmp");
		(void)aas_mkdirs(tmp, 0755, NULL);
		free(tmp);
		tmp = aas_xasprintf("%s/tmp/fetch-%ld.tasks",
		    aas_state_dir(st), (long)getpid());
		tf = fopen(tmp, "w+e");
		if (tf == NULL) {
			aas_warn("%s", tmp);
			free(tmp);
			free(idx);
			free(ris);
			return AAS_EXIT_USAGE;
		}
		status = stdin_loop(index_step, tf);
		if (fflush(tf) == EOF)
			status = AAS_EXIT_FATAL;
		fclose(tf);
		if (status == AAS_EXIT_OK &&
		    aas_tasks_open_path(&idx[0], tmp, &e) == -1) {
			aas_msg("%s", e.msg);
			status = AAS_EXIT_FATAL;
		}
		nidx = idx[0] != NULL;
	} else {
		for (i = aas_ledger_count(ledger); i-- > 0;) {
			int s = aas_ledger_run(ledger, i)->state;

			if (s != AAS_RUN_LOCAL && s != AAS_RUN_LIVE &&
			    s != AAS_RUN_DONE)
				continue;
			if (aas_tasks_open(&idx[nidx], ledger, i, &e) == -1) {
				aas_msg("%s", e.msg);
				status = AAS_EXIT_FATAL;
				break;
			}
			ris[nidx++] = i;
		}
	}
	f = status == AAS_EXIT_OK ? fopen(from_file, "re") : NULL;
	if (status == AAS_EXIT_OK && f == NULL) {
		aas_warn("%s", from_file);
		status = AAS_EXIT_USAGE;
	}
	fc.idx = idx;
	fc.ris = ris;
	if (f != NULL && status == AAS_EXIT_OK &&
	    aas_results_match(p, f, from_file, idx, nidx, NULL, file_line,
	    &fc) != 0)
		status = AAS_EXIT_FATAL;
	if (f != NULL)
		fclose(f);
	/* tasks of the file's runs that got no line */
	for (j = 0; status == AAS_EXIT_OK && j < nidx; j++) {
		matched_any = 0;
		for (i = 0; i < aas_tasks_count(idx[j]); i++)
			matched_any |= aas_tasks_marked(idx[j], i);
		if (!matched_any || (!use_stdin &&
		    aas_ledger_run(ledger, ris[j])->state != AAS_RUN_LOCAL))
			continue;
		for (i = 0; i < aas_tasks_count(idx[j]); i++) {
			if (aas_tasks_marked(idx[j], i) ||
			    (!use_stdin && already(idx[j], i,
			    aas_ledger_run(ledger, ris[j])->run)))
				continue;
			if (emit_task(idx[j], i, use_stdin ? NULL :
			    aas_ledger_run(ledger, ris[j])->run, NULL, NULL,
			    NULL, 0, "missing_result", "no result for this task in "
			    "the results file") == -1) {
				status = AAS_EXIT_FATAL;
				break;
			}
		}
		if (status == AAS_EXIT_OK && !use_stdin &&
		    aas_ledger_run_done(ledger, ris[j], 0, &e) == -1) {
			aas_msg("%s", e.msg);
			status = AAS_EXIT_FATAL;
		}
	}
	for (j = 0; j < nidx; j++)
		aas_tasks_close(idx[j]);
	free(idx);
	free(ris);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	if (status == AAS_EXIT_OK && fc.nmatch == 0 && !aas_quiet)
		aas_msg("%s: no line matched a task", from_file);
	if (status == AAS_EXIT_OK && failed)
		status = AAS_EXIT_RECORD;
	return status;
}

/* --list: one line per batch in the journal, then their total.  Costs
 * are the actual ones, or "~" and the estimate until a batch is fetched,
 * with every significant digit (aas_usd_format). */
static int
list_runs(char **names, int nnames)
{
	size_t i;
	int k;
	struct aas_err e;
	struct aas_provider *p;
	json_t *b;
	long long now = (long long)time(NULL), age;
	char cost[32], num[32], what[32];
	long tdone = 0, ttotal = 0, tfail = 0, nlisted = 0;
	double tusd = 0;
	int test = 0;

	printf("%-40s %-11s %13s %7s %6s %12s\n", "BATCH", "STATUS",
	    "DONE/TOTAL", "FAILED", "AGE", "USD");
	for (i = 0; i < aas_ledger_count(ledger); i++) {
		const struct aas_run *r = aas_ledger_run(ledger, i);
		const char *status;
		long total = r->n, donec = 0, failc = 0;

		if (r->batch_id == NULL)
			continue;
		if (nnames > 0) {
			for (k = 0; k < nnames; k++)
				if (strcmp(names[k], r->batch_id) == 0 ||
				    strcmp(names[k], r->run) == 0)
					break;
			if (k == nnames)
				continue;
		}
		b = NULL;
		status = r->state == AAS_RUN_DONE ? "fetched" : "unknown";
		if (r->state == AAS_RUN_LIVE) {
			memset(&e, 0, sizeof(e));
			p = get_provider(r->provider, NULL, &e);
			if (p != NULL && aas_provider_get(p, r->batch_id, &b,
			    &e) == 0) {
				json_t *c = json_object_get(b, "counts");

				status = json_string_value(json_object_get(b,
				    "status"));
				total = (long)json_integer_value(
				    json_object_get(c, "total"));
				donec = (long)json_integer_value(
				    json_object_get(c, "completed"));
				failc = (long)json_integer_value(
				    json_object_get(c, "failed"));
			} else
				aas_msg("%s: %s", r->batch_id, e.msg);
		} else {
			donec = r->n - r->nfailed;
			failc = r->nfailed;
		}
		age = now - r->t;
		if (r->state == AAS_RUN_DONE)
			snprintf(cost, sizeof(cost), "%s", aas_usd_format(
			    r->usd, num, sizeof(num)));
		else
			snprintf(cost, sizeof(cost), "~%s", aas_usd_format(
			    r->est_usd, num, sizeof(num)));
		printf("%-40s %-11s %6ld/%-6ld %7ld %5lldm %12s\n",
		    r->batch_id, status ? status : "unknown", donec, total,
		    failc, age / 60, cost);
		json_decref(b);
		nlisted++;
		tdone += donec;
		ttotal += total;
		tfail += failc;
		tusd += r->state == AAS_RUN_DONE ? r->usd : r->est_usd;
		test |= r->state != AAS_RUN_DONE;
	}
	snprintf(what, sizeof(what), "%ld batch%s", nlisted,
	    nlisted == 1 ? "" : "es");
	snprintf(cost, sizeof(cost), "%s%s", test ? "~" : "",
	    aas_usd_format(tusd, num, sizeof(num)));
	printf("%-40s %-11s %6ld/%-6ld %7ld %6s %12s\n", "TOTAL", what, tdone,
	    ttotal, tfail, "", cost);
	return AAS_EXIT_OK;
}

enum { OPT_AGAIN = 256, OPT_CANCEL, OPT_FROM_FILE, OPT_INTERVAL, OPT_LIST,
	OPT_STDIN, OPT_WAIT };

static int
option(struct aas_cmd *c, int ch, const char *arg, struct aas_err *e)
{
	char *end;

	(void)c;
	switch (ch) {
	case OPT_AGAIN:
		again = 1;
		break;
	case OPT_CANCEL:
		cancel = 1;
		break;
	case OPT_FROM_FILE:
		from_file = arg;
		break;
	case OPT_INTERVAL:
		errno = 0;
		interval = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' || interval < 0)
			return aas_err_set(e, "usage", "--interval: not a "
			    "number: %s", arg);
		break;
	case OPT_LIST:
		list = 1;
		break;
	case OPT_STDIN:
		use_stdin = 1;
		break;
	case OPT_WAIT:
		wait_all = 1;
		break;
	}
	return 0;
}

static char **names;
static int nnames;

static int
operands(struct aas_cmd *c, int argc, char **argv, struct aas_err *e)
{
	int i;

	for (i = nnames = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0)
			use_stdin = 1;
		else
			argv[nnames++] = argv[i];
	}
	names = argv;
	if (use_stdin && nnames > 0)
		return aas_err_set(e, "usage", "batch operands and - (or "
		    "--stdin) exclude each other");
	if (list + (from_file != NULL) > 1 || (list && (use_stdin || cancel ||
	    wait_all)) || (from_file != NULL && (nnames > 0 || cancel ||
	    wait_all)))
		return aas_err_set(e, "usage", "--list, --from-file and the "
		    "fetch options exclude each other");
	if (!list)
		c->need |= AAS_NEED_LOCK;
	return 0;
}

static int
setup(struct aas_cmd *c, struct aas_err *e)
{
	(void)e;
	cf = c->cf;
	st = c->st;
	root = c->root;
	pool = aas_provider_pool_new(cf, aas_verbose);
	return 0;
}

/* Settle interrupted submissions, as aas-submit would. */
static int
reconcile(struct aas_err *e)
{
	char *lock;
	size_t k;
	int intents = 0, fd, rc;

	for (k = 0; k < aas_ledger_count(ledger); k++)
		intents |= aas_ledger_run(ledger, k)->state == AAS_RUN_INTENT;
	if (!intents)
		return 0;
	lock = aas_state_path(st, "submit.lock");
	fd = aas_lock(lock, 1, e);
	free(lock);
	aas_ledger_close(ledger);
	ledger = NULL;
	rc = fd == -1 || aas_ledger_open(&ledger, st, e) == -1 ||
	    aas_batch_reconcile(ledger, aas_provider_pool_cb, pool, e) == -1 ?
	    -1 : 0;
	aas_unlock(fd);
	return rc;
}

static char out_buf[1 << 18];

static int
run(struct aas_cmd *c)
{
	struct aas_err e;
	int status;

	(void)c;
	/* every record that is not held is flushed as it is written
	 * (emit, emit_spliced), the held ones in blocks: a big buffer
	 * only saves writes */
	if (!isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	memset(&e, 0, sizeof(e));
	if (aas_ledger_open(&ledger, st, &e) == -1 || (!list &&
	    from_file == NULL && reconcile(&e) == -1)) {
		aas_msg("%s", e.msg);
		return AAS_EXIT_USAGE;
	}
	if (list) {
		status = list_runs(names, nnames);
		aas_progress_no_summary();	/* the table has its total */
	} else if (from_file != NULL)
		status = fetch_file();
	else if (use_stdin)
		status = fetch_stdin();
	else
		status = fetch_runs(names, nnames);
	if (aas_ledger_sync(ledger, &e) == -1) {
		aas_msg("%s", e.msg);
		status = AAS_EXIT_FATAL;
	}
	if (stopped && (status == AAS_EXIT_OK || status == AAS_EXIT_RECORD))
		status = AAS_EXIT_STOPPED;
	return status;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	aas_ledger_close(ledger);
	aas_provider_pool_free(pool);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "again",	no_argument,	   NULL, OPT_AGAIN },
		{ "cancel",	no_argument,	   NULL, OPT_CANCEL },
		{ "from-file",	required_argument, NULL, OPT_FROM_FILE },
		{ "interval",	required_argument, NULL, OPT_INTERVAL },
		{ "list",	no_argument,	   NULL, OPT_LIST },
		{ "stdin",	no_argument,	   NULL, OPT_STDIN },
		{ "wait",	no_argument,	   NULL, OPT_WAIT },
		{ NULL, 0, NULL, 0 }
	};
	struct aas_cmd cmd = {
		.usage = usage_text, .longopts = longopts,
		.takes_operands = 1, .lock = "fetch.lock",
		.need = AAS_NEED_CONFIG | AAS_NEED_STATE | AAS_NEED_MKSTATE,
		.option = option, .operands = operands, .setup = setup,
		.run = run, .cleanup = cleanup,
	};

	return aas_cmd_main(&cmd, argc, argv);
}
