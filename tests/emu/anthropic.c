/* aas-emu: Anthropic Message Batches and Messages */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"

#define DAY_MS	(24LL * 3600 * 1000)

static json_t *
rfc(int64_t ms)
{
	char b[64];

	if (ms == 0)
		return json_null();
	fmt_rfc3339(b, sizeof(b), ms);
	return json_string(b);
}

static const char *
stop_reason_of(json_t *a)
{
	const char *s = json_str(json_object_get(a, "stop_reason"));
	const char *f = finish_reason_of(a);

	if (s != NULL)
		return s;
	if (strcmp(f, "length") == 0)
		return "max_tokens";
	if (strcmp(f, "tool_calls") == 0)
		return "tool_use";
	if (strcmp(f, "content_filter") == 0)
		return "refusal";
	return "end_turn";
}

static json_t *
ant_message(json_t *a, const char *model, long ptok, const char *tier)
{
	char *content, *id;
	json_t *o;

	content = answer_content(a);
	id = new_id("msg_", 24);
	o = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:s, s:n, "
	    "s:{s:i, s:i, s:i, s:i, s:s}}",
	    "id", id, "type", "message", "role", "assistant",
	    "model", model ? model : "emulated",
	    "content", "type", "text", "text", content,
	    "stop_reason", stop_reason_of(a), "stop_sequence",
	    "usage", "input_tokens", (int)ptok,
	    "cache_creation_input_tokens", 0,
	    "cache_read_input_tokens", (int)script_int(a, "cached_tokens", 0),
	    "output_tokens", (int)tokens_of_len(strlen(content)),
	    "service_tier", tier);
	free(content);
	free(id);
	return o;
}

/* the ErrorResponse of a scripted failed answer */
static json_t *
ant_error_body(json_t *a, int status, const char *reqid)
{
	json_t *eb = json_object_get(a, "error_body"), *le;
	const char *type, *msg = "Emulated error";

	if (json_is_object(eb))
		return json_deep_copy(eb);
	le = json_object_get(a, "line_error");
	if (json_is_object(le) &&
	    json_str(json_object_get(le, "message")) != NULL)
		msg = json_str(json_object_get(le, "message"));
	switch (status) {
	case 400:
		type = "invalid_request_error";
		break;
	case 401:
		type = "authentication_error";
		break;
	case 403:
		type = "permission_error";
		break;
	case 404:
		type = "not_found_error";
		break;
	case 413:
		type = "request_too_large";
		break;
	case 429:
		type = "rate_limit_error";
		break;
	case 529:
		type = "overloaded_error";
		break;
	default:
		type = status >= 500 ? "api_error" : "invalid_request_error";
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:s}", "type", "error",
	    "error", "type", type, "message", msg, "request_id", reqid);
}

json_t *
ab_json(struct batch *b)
{
	char url[512];
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:{s:i, s:i, s:i, s:i, s:i}, "
	    "s:o, s:o, s:o, s:n, s:o, s:n}",
	    "id", b->id, "type", "message_batch",
	    "processing_status", b->status,
	    "request_counts", "processing", b->ended ? 0 : (int)b->nlines,
	    "succeeded", (int)b->succeeded, "errored", (int)b->errored,
	    "canceled", (int)b->canceled, "expired", (int)b->expired,
	    "ended_at", rfc(b->completed_at),
	    "created_at", rfc(b->created_at),
	    "expires_at", rfc(b->expires_at),
	    "archived_at",
	    "cancel_initiated_at", rfc(b->cancelling_at),
	    "results_url");
	if (b->ended) {
		snprintf(url, sizeof(url),
		    "http://127.0.0.1:%d/v1/messages/batches/%s/results",
		    E.port, b->id);
		json_object_set_new(o, "results_url", json_string(url));
	}
	return o;
}

/*
 * Run the batch: the first frac of the lines (shuffled) get their
 * scripted answers, the rest the result type notrun.  Caller locks.
 */
static void
ab_results(struct batch *b, double frac, const char *notrun,
    int64_t now)
{
	struct jsonl f;
	char p[PATH_MAX], *reqid;
	size_t *perm, k, i, nrun;
	struct line *l;
	json_t *a, *res;
	long st;

	if (b->ended)
		return;
	snprintf(p, sizeof(p), "%s/%s_results.jsonl", E.state_dir, b->id);
	if (jsonl_open(&f, p) != 0)
		return;
	perm = batch_perm(b);
	nrun = (size_t)(frac * (double)b->nlines);
	if (nrun > b->nlines)
		nrun = b->nlines;
	/* each line's values are built, dumped and dropped in the arena */
	arena_on();
	for (k = 0; k < b->nlines; k++) {
		i = perm[k];
		l = &b->lines[i];
		a = answer_for(E.script, l->custom_id, NULL, l->text);
		st = script_int(a, "status", 200);
		if (b->fault != NULL && strcmp(b->fault, "fail_batch") == 0) {
			res = json_pack("{s:s, s:{s:s, s:{s:s, s:s}}}", "type",
			    "errored", "error", "type", "error", "error",
			    "type", b->fail_code ? b->fail_code : "api_error",
			    "message", b->fail_message ? b->fail_message :
			    "Emulated batch failure");
			b->errored++;
		} else if (k >= nrun) {
			res = json_pack("{s:s}", "type", notrun);
			if (strcmp(notrun, "expired") == 0)
				b->expired++;
			else
				b->canceled++;
		} else if (json_is_object(json_object_get(a, "line_error")) ||
		    st != 200) {
			reqid = new_id("req_", 24);
			res = json_pack("{s:s, s:o}", "type", "errored",
			    "error", ant_error_body(a, st != 200 ? (int)st :
			    500, reqid));
			free(reqid);
			b->errored++;
		} else {
			res = json_pack("{s:s, s:o}", "type", "succeeded",
			    "message", ant_message(a, l->model, l->ptok,
			    "batch"));
			b->in_tok += l->ptok;
			b->succeeded++;
		}
		res = json_pack("{s:s, s:o}", "custom_id", l->custom_id,
		    "result", res);
		jsonl_put(&f, res);
		arena_reset();
	}
	arena_end();
	free(perm);
	jsonl_close(&f);
	b->results_path = xstrdup(p);
	b->ended = 1;
	b->completed_at = now;
	set_status(b, "ended");
}

void
ab_step(struct batch *b, int64_t now)
{
	if (strcmp(b->status, "in_progress") == 0) {
		if (b->fault && strcmp(b->fault, "expire") == 0)
			ab_results(b, b->fraction, "expired", now);
		else
			ab_results(b, 1.0, "expired", now);
	} else if (strcmp(b->status, "canceling") == 0)
		ab_results(b, b->fraction, "canceled", now);
}

void
ab_to_terminal(struct batch *b)
{
	ab_step(b, now_ms());
}

void
ab_force(struct batch *b, const char *st, json_t *body)
{
	double frac = json_num(body, "fraction", -1);
	int64_t now = now_ms();

	if (strcmp(st, "ended") == 0 || strcmp(st, "completed") == 0)
		ab_results(b, frac >= 0 ? frac : 1.0, "expired", now);
	else if (strcmp(st, "expired") == 0)
		ab_results(b, frac >= 0 ? frac : 0.5, "expired", now);
	else if (strcmp(st, "canceled") == 0 || strcmp(st, "cancelled") == 0) {
		if (b->cancelling_at == 0)
			b->cancelling_at = now;
		ab_results(b, frac >= 0 ? frac : 0, "canceled", now);
	} else if (strcmp(st, "canceling") == 0 && !b->ended) {
		set_status(b, "canceling");
		b->cancelling_at = now;
		b->fraction = frac >= 0 ? frac : 0;
	}
	b->ticks = 0;
}

static int
good_custom_id(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* check a Messages API body; NULL if fine, else a message in msg */
static const char *
check_params(json_t *p, const char *where, char *msg, size_t len)
{
	json_t *m;

	if (!json_is_object(p))
		snprintf(msg, len, "%.*s: Input should be a valid dictionary",
		    (int)strlen(where) - 1, where);
	else if (!json_is_string(json_object_get(p, "model")))
		snprintf(msg, len, "%smodel: Field required", where);
	else if (!json_is_integer(json_object_get(p, "max_tokens")))
		snprintf(msg, len, "%smax_tokens: Field required", where);
	else if (!json_is_array(m = json_object_get(p, "messages")) ||
	    json_array_size(m) == 0)
		snprintf(msg, len, "%smessages: Field required", where);
	else if (json_is_true(json_object_get(p, "stream")))
		snprintf(msg, len, "%sstream: aas-emu does not emulate "
		    "streaming", where);
	else
		return NULL;
	return msg;
}

static void
ab_create(struct req *q, struct reply *r)
{
	json_t *o, *reqs, *it, *params;
	struct hset seen = { 0 };
	struct batch *b = NULL;
	const char *cid;
	char msg[512], where[64];
	size_t i, max;
	long *cnt;
	int keep_text = script_has_prompt();

	o = json_loadb(q->body.p ? q->body.p : "", q->body.len, 0, NULL);
	reqs = json_object_get(o, "requests");
	if (!json_is_object(o) || !json_is_array(reqs)) {
		reply_error(r, EMU_ANTHROPIC, 400, "requests: Field required",
		    NULL, NULL, NULL);
		goto out;
	}
	max = E.max_requests < 50000 ? (size_t)E.max_requests : 100000;
	if (json_array_size(reqs) == 0 || json_array_size(reqs) > max) {
		snprintf(msg, sizeof(msg), "requests: List should have "
		    "between 1 and %zu items", max);
		reply_error(r, EMU_ANTHROPIC, 400, msg, NULL, NULL, NULL);
		goto out;
	}
	b = xcalloc(1, sizeof(*b));
	b->lines = xcalloc(json_array_size(reqs), sizeof(*b->lines));
	json_array_foreach(reqs, i, it) {
		cid = json_str(json_object_get(it, "custom_id"));
		params = json_object_get(it, "params");
		snprintf(where, sizeof(where), "requests.%zu.", i);
		if (cid == NULL) {
			snprintf(msg, sizeof(msg), "%scustom_id: Field "
			    "required", where);
			break;
		}
		if (!good_custom_id(cid)) {
			snprintf(msg, sizeof(msg), "%scustom_id: String should "
			    "match pattern '^[a-zA-Z0-9_-]{1,64}$'", where);
			break;
		}
		if (*(cnt = hset_get(&seen, cid, 1)) > 0) {
			snprintf(msg, sizeof(msg), "%scustom_id: duplicate "
			    "custom_id '%s'", where, cid);
			break;
		}
		*cnt = 1;
		snprintf(where, sizeof(where), "requests.%zu.params.", i);
		if (check_params(params, where, msg, sizeof(msg)) != NULL)
			break;
		b->lines[b->nlines].custom_id = xstrdup(cid);
		b->lines[b->nlines].model = xstrdup(json_string_value(
		    json_object_get(params, "model")));
		b->lines[b->nlines].ptok = prompt_tokens(params);
		b->lines[b->nlines].text = keep_text ? prompt_text(params) :
		    NULL;
		b->nlines++;
	}
	if (b->nlines != json_array_size(reqs)) {
		reply_error(r, EMU_ANTHROPIC, 400, msg, NULL, NULL, NULL);
		goto out;
	}
	b->prov = EMU_ANTHROPIC;
	b->id = new_id("msgbatch_", 24);
	b->status = xstrdup("in_progress");
	b->created_at = now_ms();
	b->expires_at = b->created_at + DAY_MS;
	b->model = xstrdup(b->lines[0].model);
	batch_arm_fault(b, q->path);
	pthread_mutex_lock(&E.lock);
	batch_add(b);
	batch_note_ids(b, r);
	reply_json(r, 200, ab_json(b));
	pthread_mutex_unlock(&E.lock);
	r->created = xstrdup(b->id);
	if (b->fault != NULL)
		r->batch_fault = xstrdup(b->fault);
	b = NULL;
out:
	if (b != NULL)
		batch_free(b);
	hset_free(&seen);
	json_decref(o);
}

static void
no_batch(struct reply *r, const char *id)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "Message batch %.128s not found", id);
	reply_error(r, EMU_ANTHROPIC, 404, msg, NULL, NULL, NULL);
}

static void
ab_get(struct reply *r, const char *id)
{
	struct batch *b;
	long steps;

	pthread_mutex_lock(&E.lock);
	if ((b = batch_find(id, EMU_ANTHROPIC)) != NULL) {
		steps = script_int(E.script, "steps", 1);
		if (!b->ended && ++b->ticks >= steps) {
			b->ticks = 0;
			ab_step(b, now_ms());
		}
		reply_json(r, 200, ab_json(b));
	}
	pthread_mutex_unlock(&E.lock);
	if (b == NULL)
		no_batch(r, id);
}

static void
ab_cancel(struct reply *r, const char *id)
{
	struct batch *b;

	pthread_mutex_lock(&E.lock);
	if ((b = batch_find(id, EMU_ANTHROPIC)) != NULL) {
		if (strcmp(b->status, "in_progress") == 0) {
			set_status(b, "canceling");
			b->cancelling_at = now_ms();
			b->fraction = 0;
			b->ticks = 0;
		}
		reply_json(r, 200, ab_json(b));
	}
	pthread_mutex_unlock(&E.lock);
	if (b == NULL)
		no_batch(r, id);
}

static void
ab_results_get(struct req *q, struct reply *r, const char *id)
{
	struct batch *b;
	char *path = NULL;
	int found;

	pthread_mutex_lock(&E.lock);
	b = batch_find(id, EMU_ANTHROPIC);
	found = b != NULL;
	if (b != NULL && b->ended && b->results_path != NULL)
		path = xstrdup(b->results_path);
	pthread_mutex_unlock(&E.lock);
	if (!found)
		no_batch(r, id);
	else if (path == NULL)
		reply_error(r, EMU_ANTHROPIC, 400, "Message batch results are "
		    "only available once processing_status is 'ended'",
		    NULL, NULL, NULL);
	else {
		serve_path(q, r, path);
		r->ctype = "application/binary";
	}
	free(path);
}

static void
ab_delete(struct reply *r, const char *id)
{
	struct batch *b = NULL;
	size_t i;
	int busy = 0;

	pthread_mutex_lock(&E.lock);
	for (i = 0; i < E.nbatches; i++) {
		if (E.batches[i]->prov != EMU_ANTHROPIC ||
		    strcmp(E.batches[i]->id, id) != 0)
			continue;
		if (!E.batches[i]->ended) {
			busy = 1;
			break;
		}
		b = E.batches[i];
		memmove(E.batches + i, E.batches + i + 1,
		    (E.nbatches - i - 1) * sizeof(*E.batches));
		E.nbatches--;
		break;
	}
	pthread_mutex_unlock(&E.lock);
	if (busy) {
		reply_error(r, EMU_ANTHROPIC, 400, "Message batch cannot be "
		    "deleted while it is being processed; cancel it first",
		    NULL, NULL, NULL);
		return;
	}
	if (b == NULL) {
		no_batch(r, id);
		return;
	}
	if (b->results_path != NULL)
		unlink(b->results_path);
	reply_json(r, 200, json_pack("{s:s, s:s}", "id", b->id, "type",
	    "message_batch_deleted"));
	batch_free(b);
}

static void
ab_list(struct req *q, struct reply *r)
{
	const char *after = query_arg(q, "after_id");
	const char *before = query_arg(q, "before_id");
	struct batch **v;
	json_t *data, *o;
	size_t i, n = 0, lo, hi, k;
	long limit;

	if ((limit = list_limit(q, "limit", 20, 1000, r)) < 0)
		return;
	data = json_array();
	o = json_pack("{s:o, s:b, s:n, s:n}", "data", data, "has_more", 0,
	    "first_id", "last_id");
	pthread_mutex_lock(&E.lock);
	v = xcalloc(E.nbatches + 1, sizeof(*v));
	for (i = E.nbatches; i > 0; i--)
		if (E.batches[i - 1]->prov == EMU_ANTHROPIC)
			v[n++] = E.batches[i - 1];	/* newest first */
	lo = 0;
	hi = n;
	for (i = 0; i < n; i++) {
		if (after != NULL && strcmp(v[i]->id, after) == 0)
			lo = i + 1;
		if (before != NULL && strcmp(v[i]->id, before) == 0)
			hi = i;
	}
	if (before != NULL && after == NULL) {
		/* the page just before before_id */
		k = hi > (size_t)limit ? hi - (size_t)limit : 0;
		if (k > 0)
			json_object_set_new(o, "has_more", json_true());
		lo = k;
	} else if (hi > lo && hi - lo > (size_t)limit) {
		hi = lo + (size_t)limit;
		json_object_set_new(o, "has_more", json_true());
	}
	for (i = lo; i < hi; i++)
		json_array_append_new(data, ab_json(v[i]));
	pthread_mutex_unlock(&E.lock);
	free(v);
	list_ends(o, data);
	reply_json(r, 200, o);
}

static void
messages(struct req *q, struct reply *r)
{
	json_t *o, *s, *a, *le;
	const char *cid;
	char *text, *prompt, *content, msg[256];
	long ptok, st;

	o = json_loadb(q->body.p ? q->body.p : "", q->body.len, 0, NULL);
	if (!json_is_object(o)) {
		reply_error(r, EMU_ANTHROPIC, 400, "There was an issue with "
		    "your request body: invalid JSON", NULL, NULL, NULL);
		json_decref(o);
		return;
	}
	if (check_params(o, "", msg, sizeof(msg)) != NULL) {
		reply_error(r, EMU_ANTHROPIC, 400, msg, NULL, NULL, NULL);
		json_decref(o);
		return;
	}
	pthread_mutex_lock(&E.lock);
	E.sync_requests++;
	pthread_mutex_unlock(&E.lock);
	cid = json_str(json_object_get(json_object_get(o, "metadata"),
	    "custom_id"));
	text = last_user_text(o);
	prompt = prompt_text(o);
	s = script_get();
	a = answer_for(s, cid, text, prompt);
	free(prompt);
	ptok = prompt_tokens(o);
	content = answer_content(a);
	r->latency_ms = script_int(a, "latency_ms", 0);
	r->hold = json_is_true(json_object_get(a, "hold"));
	if (ratelimit_check(r, EMU_ANTHROPIC, ptok +
	    tokens_of_len(strlen(content)))) {
		r->latency_ms = 0;
		r->hold = 0;
		goto out;
	}
	st = script_int(a, "status", 200);
	le = json_object_get(a, "line_error");
	if (json_is_object(le) || st != 200) {
		if (st == 200)
			st = 500;
		reply_json(r, (int)st, ant_error_body(a, (int)st,
		    q->request_id));
	} else
		reply_json(r, 200, ant_message(a, json_string_value(
		    json_object_get(o, "model")), ptok, "standard"));
out:
	free(content);
	json_decref(s);
	free(text);
	json_decref(o);
}

void
anthropic_route(struct req *q, struct reply *r)
{
	const char *p = q->path, *m = q->method, *rest;
	char *id, msg[256];
	int done;

	if (strcmp(p, "/v1/messages") == 0 && strcmp(m, "POST") == 0) {
		messages(q, r);
		return;
	}
	if (strcmp(p, "/v1/messages/batches") == 0) {
		if (strcmp(m, "POST") == 0)
			ab_create(q, r);
		else if (strcmp(m, "GET") == 0)
			ab_list(q, r);
		else
			goto bad;
		return;
	}
	if ((id = path_id(p, "/v1/messages/batches/", &rest)) != NULL) {
		done = 1;
		if (*rest == '\0' && strcmp(m, "GET") == 0)
			ab_get(r, id);
		else if (*rest == '\0' && strcmp(m, "DELETE") == 0)
			ab_delete(r, id);
		else if (strcmp(rest, "/cancel") == 0 &&
		    strcmp(m, "POST") == 0)
			ab_cancel(r, id);
		else if (strcmp(rest, "/results") == 0 &&
		    strcmp(m, "GET") == 0)
			ab_results_get(q, r, id);
		else
			done = 0;
		free(id);
		if (done)
			return;
	}
bad:
	snprintf(msg, sizeof(msg), "Not found: %s %.200s", m, p);
	reply_error(r, EMU_ANTHROPIC, 404, msg, NULL, NULL, NULL);
}
