/*
 * openai.c: OpenAI Files and Batches (and OpenAI-compatible servers), the
 * results-file lines (vLLM's run-batch output too) and chat bodies.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "provider.h"
#include "provider-int.h"
#include "record.h"
#include "banned.h"

static const char *terminal[] = { "completed", "failed", "expired",
	"cancelled", NULL };

static json_t *
str_or_null(json_t *v)
{
	return json_is_string(v) ? json_incref(v) : json_null();
}

static json_t *
batch_norm(json_t *raw)
{
	json_t *b, *rc, *errs, *ed, *it, *md;
	const char *st;
	size_t i;
	int term = 0;

	if (!json_is_string(json_object_get(raw, "id")))
		return NULL;
	st = aas_p_str(raw, "status");
	if (st == NULL)
		st = "unknown";
	for (i = 0; terminal[i] != NULL; i++)
		if (strcmp(terminal[i], st) == 0)
			term = 1;
	rc = json_object_get(raw, "request_counts");
	errs = json_array();
	ed = json_object_get(json_object_get(raw, "errors"), "data");
	json_array_foreach(ed, i, it) {
		json_array_append_new(errs, json_pack("{s:o, s:o, s:o}",
		    "code", str_or_null(json_object_get(it, "code")),
		    "message", str_or_null(json_object_get(it, "message")),
		    "line", json_is_integer(json_object_get(it, "line")) ?
		    json_incref(json_object_get(it, "line")) : json_null()));
	}
	md = json_object_get(raw, "metadata");
	b = json_pack("{s:s, s:O, s:s, s:b, s:{s:I, s:I, s:I}, s:o, s:o, "
	    "s:o, s:o, s:I, s:O}",
	    "provider", "openai", "id", json_object_get(raw, "id"),
	    "status", st, "terminal", term,
	    "counts", "total", aas_p_int(rc, "total"),
	    "completed", aas_p_int(rc, "completed"),
	    "failed", aas_p_int(rc, "failed"),
	    "output_file_id", str_or_null(json_object_get(raw,
	    "output_file_id")),
	    "error_file_id", str_or_null(json_object_get(raw,
	    "error_file_id")),
	    "errors", errs,
	    "metadata", json_is_object(md) ? json_deep_copy(md) :
	    json_object(),
	    "created_at", aas_p_int(raw, "created_at"),
	    "raw", raw);
	return b;
}

static void
usage_from(json_t *r, json_t *u, int responses)
{
	json_int_t in, out, cached;

	if (!json_is_object(u))
		return;
	if (responses || json_object_get(u, "input_tokens") != NULL) {
		in = aas_p_int(u, "input_tokens");
		out = aas_p_int(u, "output_tokens");
		cached = aas_p_int(json_object_get(u, "input_tokens_details"),
		    "cached_tokens");
	} else {
		in = aas_p_int(u, "prompt_tokens");
		out = aas_p_int(u, "completion_tokens");
		cached = aas_p_int(json_object_get(u,
		    "prompt_tokens_details"), "cached_tokens");
	}
	json_object_set_new(r, "usage", json_pack("{s:I, s:I, s:I}", "input",
	    in, "output", out, "cached", cached));
}

/* Text of a /v1/responses object: its output_text parts, in order. */
static void
responses_text(json_t *body, struct aas_buf *b, const char **refusal)
{
	json_t *out, *it, *parts, *pt;
	size_t i, k;
	const char *ty;

	out = json_object_get(body, "output");
	json_array_foreach(out, i, it) {
		if (!json_is_object(it) ||
		    (ty = aas_p_str(it, "type")) == NULL ||
		    strcmp(ty, "message") != 0)
			continue;
		parts = json_object_get(it, "content");
		json_array_foreach(parts, k, pt) {
			ty = aas_p_str(pt, "type");
			if (ty != NULL && strcmp(ty, "output_text") == 0 &&
			    aas_p_str(pt, "text") != NULL)
				aas_buf_adds(b, aas_p_str(pt, "text"));
			else if (ty != NULL && strcmp(ty, "refusal") == 0 &&
			    aas_p_str(pt, "refusal") != NULL)
				*refusal = aas_p_str(pt, "refusal");
		}
	}
}

static void
error_body(json_t *body, long status, const char **code, char *cb,
    size_t cblen, const char **msg)
{
	json_t *er = json_object_get(body, "error");

	/* nested {error:{message,type,code}} or flat {message,type,code} */
	if (!json_is_object(er) && json_is_object(body) &&
	    aas_p_str(body, "message") != NULL)
		er = body;
	*msg = aas_p_str(er, "message");
	if (json_is_string(er))
		*msg = json_string_value(er);
	snprintf(cb, cblen, "http_%ld", status);
	*code = cb;
}

/* The choice whose index is i (by its "index", else its position). */
static json_t *
choice_at(json_t *chs, size_t i)
{
	json_t *ch;
	size_t k;

	json_array_foreach(chs, k, ch)
		if (json_is_integer(json_object_get(ch, "index")) &&
		    json_integer_value(json_object_get(ch, "index")) ==
		    (json_int_t)i)
			return ch;
	return json_array_get(chs, i);
}

/* A chat choice's text, refusal and finish_reason. */
static void
choice_text(json_t *ch, struct aas_buf *b, const char **refusal,
    const char **fr)
{
	json_t *m = json_object_get(ch, "message");
	json_t *c = json_object_get(m, "content"), *pt;
	size_t i;

	if (json_is_string(c))
		aas_buf_adds(b, json_string_value(c));
	else if (json_is_array(c)) {
		json_array_foreach(c, i, pt)
			if (aas_p_str(pt, "text") != NULL)
				aas_buf_adds(b, aas_p_str(pt, "text"));
	}
	*refusal = aas_p_str(m, "refusal");
	*fr = aas_p_str(ch, "finish_reason");
}

/* Every choice of an answer with several: {ok, text, finish_reason,
 * error?} in index order (provider.h). */
static json_t *
choices_of(json_t *chs)
{
	json_t *out = json_array(), *o;
	const char *fr, *refusal;
	size_t i;

	for (i = 0; i < json_array_size(chs); i++) {
		struct aas_buf b = AAS_BUF_INIT;
		json_t *ch = choice_at(chs, i);

		fr = refusal = NULL;
		choice_text(ch, &b, &refusal, &fr);
		o = json_object();
		json_object_set_new(o, "ok", json_true());
		if (!json_is_object(json_object_get(ch, "message"))) {
			json_object_set_new(o, "ok", json_false());
			json_object_set_new(o, "error", json_pack("{s:s, s:s}",
			    "code", "bad_response", "message",
			    "the choice has no message"));
		} else if (refusal != NULL && b.len == 0) {
			json_object_set_new(o, "ok", json_false());
			json_object_set_new(o, "error", json_pack("{s:s, s:s}",
			    "code", "refusal", "message", refusal));
			fr = "refusal";
		}
		json_object_set_new(o, "text", aas_json_lossy(b.s ? b.s : "",
		    b.len));
		json_object_set_new(o, "finish_reason", fr ? json_string(fr) :
		    json_null());
		json_array_append_new(out, o);
		aas_buf_free(&b);
	}
	return out;
}

/*
 * A normalised result from an endpoint's response body (chat completion,
 * response object) with its HTTP status.
 */
static json_t *
body_result(json_t *body, long status, const char *rid)
{
	struct aas_buf b = AAS_BUF_INIT;
	json_t *r, *ch, *chs, *m;
	const char *fr = NULL, *refusal = NULL, *code, *msg, *obj, *st;
	char cb[32];
	int responses;

	if (status < 200 || status >= 300 || !json_is_object(body)) {
		if (status >= 200 && status < 300)
			return aas_p_result_err(NULL, status, "bad_response",
			    "the response has no body", rid);
		error_body(body, status, &code, cb, sizeof(cb), &msg);
		return aas_p_result_err(NULL, status, code, msg, rid);
	}
	obj = aas_p_str(body, "object");
	responses = (obj != NULL && strcmp(obj, "response") == 0) ||
	    (obj == NULL && json_is_array(json_object_get(body, "output")));
	r = json_object();
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "status_code", json_integer(status));
	if (responses) {
		responses_text(body, &b, &refusal);
		st = aas_p_str(body, "status");
		if (st == NULL || strcmp(st, "completed") == 0)
			fr = "stop";
		else if (strcmp(st, "incomplete") == 0) {
			fr = aas_p_str(json_object_get(body,
			    "incomplete_details"), "reason");
			if (fr == NULL || strcmp(fr, "max_output_tokens") == 0)
				fr = "length";
		} else {
			m = json_object_get(body, "error");
			json_object_set_new(r, "ok", json_false());
			json_object_set_new(r, "error", json_pack("{s:s, s:s}",
			    "code", aas_p_str(m, "code") ? aas_p_str(m,
			    "code") : "response_failed", "message",
			    aas_p_str(m, "message") ? aas_p_str(m, "message") :
			    st));
		}
	} else {
		chs = json_object_get(body, "choices");
		ch = choice_at(chs, 0);
		choice_text(ch, &b, &refusal, &fr);
		if (json_array_size(chs) > 1)
			json_object_set_new(r, "choices", choices_of(chs));
		if (!json_is_object(ch) || !json_is_object(json_object_get(ch,
		    "message"))) {
			json_object_set_new(r, "ok", json_false());
			json_object_set_new(r, "error", json_pack("{s:s, s:s}",
			    "code", "bad_response", "message",
			    "the response has no choices[0].message"));
		}
	}
	if (refusal != NULL && b.len == 0) {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code",
		    "refusal", "message", refusal));
		fr = "refusal";
	}
	json_object_set_new(r, "text", aas_json_lossy(b.s ? b.s : "", b.len));
	if (fr != NULL)
		json_object_set_new(r, "finish_reason", json_string(fr));
	else
		json_object_set_new(r, "finish_reason", json_null());
	usage_from(r, json_object_get(body, "usage"), responses);
	if (rid != NULL && *rid)
		json_object_set_new(r, "request_id", json_string(rid));
	if (aas_p_str(body, "model") != NULL)
		json_object_set(r, "model", json_object_get(body, "model"));
	aas_buf_free(&b);
	return r;
}

/*
 * One line of an OpenAI output/error file or of vLLM's single output
 * file: {"id", "custom_id", "response": {status_code, request_id, body} |
 * null, "error": null | {code, message} | "text"}.
 */
static int
parse_line(json_t *o, json_t **resp, struct aas_err *e)
{
	json_t *rs, *er, *body, *r, *inner;
	const char *cid, *rid, *code = NULL, *msg = NULL;
	char cb[32], mb[64];
	long st;

	cid = aas_p_str(o, "custom_id");
	if (cid == NULL)
		return aas_err_set(e, "bad_result", "result line without "
		    "custom_id");
	rs = json_object_get(o, "response");
	er = json_object_get(o, "error");
	if (rs != NULL && !json_is_null(rs) && !json_is_object(rs))
		return aas_err_set(e, "bad_result", "%s: response is not an "
		    "object", cid);
	rid = aas_p_str(rs, "request_id");
	st = json_is_integer(json_object_get(rs, "status_code")) ?
	    (long)json_integer_value(json_object_get(rs, "status_code")) : 0;
	body = json_object_get(rs, "body");
	if (json_is_object(rs) && st >= 200 && st < 300 &&
	    json_is_object(body) && (er == NULL || json_is_null(er))) {
		r = body_result(body, st, rid);
	} else if (json_is_object(rs) && !(st >= 200 && st < 300) &&
	    json_is_object(body) && json_object_get(body, "error") != NULL) {
		/* an HTTP-level failure: error is null, the body says why */
		r = body_result(body, st, rid);
	} else if (er != NULL && !json_is_null(er)) {
		/* response:null, or vLLM's status with a null body */
		if (json_is_string(er)) {
			msg = json_string_value(er);
			code = NULL;
		} else if (json_is_object(er)) {
			inner = json_object_get(er, "error");
			if (json_is_object(inner))
				er = inner;
			msg = aas_p_str(er, "message");
			code = aas_p_str(er, "code");
			if (code == NULL && json_is_integer(json_object_get(er,
			    "code"))) {
				snprintf(cb, sizeof(cb), "http_%lld",
				    (long long)json_integer_value(
				    json_object_get(er, "code")));
				code = cb;
			}
		} else
			return aas_err_set(e, "bad_result", "%s: error is "
			    "neither an object nor a string", cid);
		if (code == NULL && st > 0) {
			snprintf(cb, sizeof(cb), "http_%ld", st);
			code = cb;
		}
		r = aas_p_result_err(NULL, st, code ? code : "request_failed",
		    msg, rid);
	} else if (json_is_object(rs) && (st < 200 || st >= 300)) {
		snprintf(cb, sizeof(cb), "http_%ld", st);
		snprintf(mb, sizeof(mb), "the request failed with status %ld",
		    st);
		r = aas_p_result_err(NULL, st, cb, mb, rid);
	} else if (json_is_object(rs))
		return aas_err_set(e, "bad_result", "%s: response without a "
		    "body", cid);
	else
		return aas_err_set(e, "bad_result", "%s: neither response nor "
		    "error", cid);
	json_object_set_new(r, "custom_id", json_string(cid));
	*resp = r;
	return 0;
}

/* What parse_line and body_result read of a line, its response and
 * its body. */
static const char *const line_keys[] = { "custom_id", "error", "response",
    NULL };
static const char *const response_keys[] = { "request_id", "status_code",
    "body", NULL };
static const char *const body_keys[] = { "object", "output", "status",
    "incomplete_details", "error", "message", "choices", "usage", "model",
    NULL };
#define NKEYS(k)	(sizeof(k) / sizeof((k)[0]) - 1)

/* aas_jscan_pick, the last of the keys[] (nk of them: response, body)
 * picked again by down when it is an object. */
static json_t *
pick(const char *s, struct aas_jspan v, const char *const *keys, size_t nk,
    json_t *(*down)(const char *, struct aas_jspan))
{
	struct aas_jspan sp[16];
	json_t *o = json_object(), *x;
	size_t i;

	aas_jscan_spans(s, v, keys, sp);
	for (i = 0; i < nk; i++) {
		if (sp[i].end == sp[i].start)
			continue;
		x = i == nk - 1 && aas_jscan_kind(s, sp[i]) == '{' ?
		    down(s, sp[i]) : aas_jscan_value(s, sp[i]);
		json_object_set_new(o, keys[i], x);
	}
	return o;
}

static json_t *
pick_body(const char *s, struct aas_jspan v)
{
	return aas_jscan_pick(s, v, body_keys);
}

static json_t *
pick_response(const char *s, struct aas_jspan v)
{
	return pick(s, v, response_keys, NKEYS(response_keys), pick_body);
}

static json_t *
pick_line(const char *s, struct aas_jspan doc)
{
	return pick(s, doc, line_keys, NKEYS(line_keys), pick_response);
}

/* An integer member: 1 and *v when v is one (no fraction, no
 * exponent), 1 and 0 when absent, else 0 (aas_p_int would judge it). */
static int
plain_int(const char *s, struct aas_jspan sp, json_int_t *v)
{
	char buf[32];
	size_t n = sp.end - sp.start;

	*v = 0;
	if (n == 0)
		return 1;
	if (aas_jscan_kind(s, sp) != '0' || n >= sizeof(buf) ||
	    memchr(s + sp.start, '.', n) != NULL ||
	    memchr(s + sp.start, 'e', n) != NULL ||
	    memchr(s + sp.start, 'E', n) != NULL)
		return 0;
	memcpy(buf, s + sp.start, n);
	buf[n] = '\0';
	*v = (json_int_t)strtoll(buf, NULL, 10);
	return 1;
}

/* A string without escapes, or (may_lack) no member at all. */
static int
plain_str(const char *s, struct aas_jspan sp, int may_lack)
{
	if (sp.end == sp.start)
		return may_lack;
	return aas_jscan_kind(s, sp) == '"' &&
	    memchr(s + sp.start, '\\', sp.end - sp.start) == NULL;
}

static int
absent_or_null(const char *s, struct aas_jspan sp)
{
	return sp.end == sp.start || aas_jscan_kind(s, sp) == 'n';
}

/*
 * The answer of a checked line when it is plain (provider-int.h): what
 * parse_line and body_result make of it is then {ok: true, status_code,
 * text: the content, finish_reason, usage, request_id, model,
 * custom_id}, with nothing else to judge.  Anything else is left to
 * them.
 */
static int
plain_line(const char *s, struct aas_jspan doc, struct aas_result_plain *pl)
{
	static const char *const lk[] = { "custom_id", "error", "response",
	    NULL };
	static const char *const rk[] = { "status_code", "request_id",
	    "body", NULL };
	static const char *const bk[] = { "object", "choices", "usage",
	    "model", NULL };
	static const char *const ck[] = { "message", "finish_reason", NULL };
	static const char *const mk[] = { "content", "refusal", NULL };
	static const char *const uk[] = { "input_tokens", "prompt_tokens",
	    "completion_tokens", "prompt_tokens_details", NULL };
	static const char *const dk[] = { "cached_tokens", NULL };
	struct aas_jspan l[3], r[3], b[4], c[2], m[2], u[4], d[1], ch;
	json_int_t st;

	aas_jscan_spans(s, doc, lk, l);
	if (!plain_str(s, l[0], 0) || !absent_or_null(s, l[1]) ||
	    l[2].end == l[2].start || aas_jscan_kind(s, l[2]) != '{')
		return 0;
	aas_jscan_spans(s, l[2], rk, r);
	if (!plain_int(s, r[0], &st) || r[0].end == r[0].start || st < 200 ||
	    st >= 300 || !plain_str(s, r[1], 1) || r[2].end == r[2].start ||
	    aas_jscan_kind(s, r[2]) != '{')
		return 0;
	aas_jscan_spans(s, r[2], bk, b);
	if (b[0].end == b[0].start || !aas_jscan_is(s, b[0],
	    "chat.completion") || b[1].end == b[1].start ||
	    aas_jscan_kind(s, b[1]) != '[' ||
	    aas_jscan_items(s, b[1], 0, &ch) != 1 ||
	    aas_jscan_kind(s, ch) != '{' || b[2].end == b[2].start ||
	    aas_jscan_kind(s, b[2]) != '{' || !plain_str(s, b[3], 1))
		return 0;
	aas_jscan_spans(s, ch, ck, c);
	if (c[0].end == c[0].start || aas_jscan_kind(s, c[0]) != '{' ||
	    !(plain_str(s, c[1], 1) || aas_jscan_kind(s, c[1]) == 'n'))
		return 0;
	aas_jscan_spans(s, c[0], mk, m);
	if (m[0].end == m[0].start || aas_jscan_kind(s, m[0]) != '"' ||
	    !absent_or_null(s, m[1]))
		return 0;
	aas_jscan_spans(s, b[2], uk, u);
	if (u[0].end != u[0].start || !plain_int(s, u[1], &pl->in) ||
	    !plain_int(s, u[2], &pl->out))
		return 0;
	pl->cached = 0;
	if (u[3].end != u[3].start) {
		if (aas_jscan_kind(s, u[3]) != '{')
			return 0;
		aas_jscan_spans(s, u[3], dk, d);
		if (!plain_int(s, d[0], &pl->cached))
			return 0;
	}
	pl->cid = l[0];
	pl->rid = r[1];
	pl->model = b[3];
	pl->finish = aas_jscan_kind(s, c[1]) == '"' ? c[1] : (struct
	    aas_jspan){ 0, 0 };
	pl->content = m[0];
	pl->status = (long)st;
	return 1;
}

/* Exactly-once upload and create. */

struct find {
	const char	*want;
	json_int_t	 bytes;
	json_t		*hit;
};

static int
find_run_cb(json_t *b, void *arg)
{
	struct find *f = arg;
	const char *v;

	v = aas_p_str(json_object_get(b, "metadata"), "aas_run");
	if (v != NULL && strcmp(v, f->want) == 0) {
		f->hit = json_incref(b);
		return 1;
	}
	return 0;
}

static int
find_run(struct aas_provider *p, const char *run, json_t **batchp,
    struct aas_err *e)
{
	struct find f = { 0 };

	*batchp = NULL;
	f.want = run;
	if (aas_p_list(p, find_run_cb, &f, e) != 0)
		return -1;
	*batchp = f.hit;
	return 0;
}

/* The uploaded file named name of size bytes, if the server has it. */
static int
find_file(struct aas_provider *p, const char *name, json_int_t bytes,
    char **idp, struct aas_err *e)
{
	json_t *page, *it;
	size_t i;

	*idp = NULL;
	if (aas_p_call(p, "GET", "/files?purpose=batch&order=desc&limit=100",
	    NULL, 0, &page, NULL, e) != 0)
		return -1;
	json_array_foreach(json_object_get(page, "data"), i, it) {
		if (aas_p_str(it, "filename") != NULL &&
		    strcmp(aas_p_str(it, "filename"), name) == 0 &&
		    aas_p_int(it, "bytes") == bytes &&
		    aas_p_str(it, "id") != NULL) {
			*idp = aas_xstrdup(aas_p_str(it, "id"));
			break;
		}
	}
	json_decref(page);
	return 0;
}

static char *
upload(struct aas_provider *p, const char *path, const char *name,
    struct aas_err *e)
{
	static const char *fields[] = { "purpose", "batch", NULL };
	struct aas_http_req rq = { 0 };
	struct aas_http_resp rs;
	struct stat st;
	char *url, *id = NULL;
	int i, rc;

	if (stat(path, &st) != 0) {
		aas_err_set(e, "io", "%s: %s", path, strerror(errno));
		return NULL;
	}
	url = aas_p_url(p, "/files");
	rq.method = "POST";
	rq.url = url;
	rq.headers = (const char *const *)p->auth;
	rq.form_file = path;
	rq.form_file_name = name;
	rq.form_file_type = "application/jsonl";
	rq.form_fields = fields;
	rq.json = 1;
	rq.unsafe = 1;
	for (i = 0; i < p->max_tries && id == NULL; i++) {
		rc = aas_http_do(p->http, &rq, &rs, e);
		if (rc != 0)
			aas_p_classify(&rs, e);
		if (rc == 0 && aas_p_str(rs.json, "id") != NULL)
			id = aas_xstrdup(aas_p_str(rs.json, "id"));
		else if (rc == 0)
			aas_err_set(e, "bad_response", "upload: no file id "
			    "in the answer");
		else if (rs.ambiguous) {
			/* did the file arrive?  look before sending again */
			aas_http_resp_free(&rs);
			if (find_file(p, name, (json_int_t)st.st_size, &id,
			    e) != 0)
				break;
			if (id == NULL && i + 1 < p->max_tries)
				aas_p_sleep_ms(200L << i);
			continue;
		}
		aas_http_resp_free(&rs);
		break;
	}
	free(url);
	return id;
}

/* metadata's aas_run made safe for a file name */
static char *
file_name(json_t *metadata)
{
	const char *run = aas_p_str(metadata, "aas_run");
	char *s, *c;

	s = aas_xasprintf("aas-%s.jsonl", run ? run : "batch");
	for (c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
		    *c == '.'))
			*c = '_';
	return s;
}

static int
submit(struct aas_provider *p, const char *path,
    const char *endpoint, json_t *metadata,
    void (*on_file)(const char *, void *), void *arg, json_t **batchp,
    struct aas_err *e)
{
	struct aas_http_resp rs;
	json_t *body, *raw, *found;
	const char *run;
	char *name, *fid;
	int i, rc;

	*batchp = NULL;
	run = aas_p_str(metadata, "aas_run");
	if (run == NULL || *run == '\0')
		return aas_err_set(e, "bad_request", "submit: metadata needs "
		    "an aas_run value");
	name = file_name(metadata);
	fid = upload(p, path, name, e);
	free(name);
	if (fid == NULL)
		return -1;
	if (on_file != NULL)
		on_file(fid, arg);
	body = json_pack("{s:s, s:s, s:s, s:O}", "input_file_id", fid,
	    "endpoint", endpoint, "completion_window", "24h", "metadata",
	    metadata);
	free(fid);
	for (i = 0; i < p->max_tries; i++) {
		rc = aas_p_call(p, "POST", "/batches", body, 1, &raw, &rs, e);
		if (rc == 0) {
			aas_http_resp_free(&rs);
			*batchp = batch_norm(raw);
			json_decref(raw);
			json_decref(body);
			if (*batchp == NULL)
				return aas_err_set(e, "bad_response", "create "
				    "batch: the answer is not a batch");
			return 0;
		}
		if (!rs.ambiguous) {
			aas_http_resp_free(&rs);
			break;
		}
		aas_http_resp_free(&rs);
		/* the create may have happened: look for the run first */
		if (find_run(p, run, &found, e) != 0)
			break;
		if (found != NULL) {
			*batchp = found;
			json_decref(body);
			return 0;
		}
		if (p->verbose)
			aas_msg("create batch: no batch of run %s after an "
			    "ambiguous failure; sending again", run);
		aas_p_sleep_ms(200L << i);
	}
	json_decref(body);
	return -1;
}

static const char *
file_of(json_t *batch, const char *which)
{
	const char *k = strcmp(which, "output") == 0 ? "output_file_id" :
	    strcmp(which, "input") == 0 ? "input_file_id" : "error_file_id";
	const char *v = aas_p_str(batch, k);

	if (v == NULL)
		v = aas_p_str(json_object_get(batch, "raw"), k);
	return v;
}

static int
download(struct aas_provider *p, json_t *batch, const char *which,
    const char *path, int *gotp, struct aas_err *e)
{
	struct aas_http_req rq = { 0 };
	struct aas_http_resp rs;
	const char *hdrs[4];
	const char *fid;
	json_t *meta;
	char *url, *mp;
	int rc;

	*gotp = 0;
	if ((fid = file_of(batch, which)) == NULL)
		return 0;
	if (*fid == '\0' || strpbrk(fid, "/?#%") != NULL)
		return aas_err_set(e, "bad_response", "bad file id '%s'", fid);
	/* the size first, so that a cut body cannot pass for the whole */
	mp = aas_xasprintf("/files/%s", fid);
	rc = aas_p_call(p, "GET", mp, NULL, 0, &meta, NULL, e);
	free(mp);
	if (rc != 0)
		return -1;
	rq.out_size = json_is_integer(json_object_get(meta, "bytes")) ?
	    (int64_t)json_integer_value(json_object_get(meta, "bytes")) : -1;
	json_decref(meta);
	mp = aas_xasprintf("/files/%s/content", fid);
	url = aas_p_url(p, mp);
	free(mp);
	hdrs[0] = p->auth[0];
	hdrs[1] = "Accept: application/binary";
	hdrs[2] = NULL;
	rq.url = url;
	rq.headers = hdrs;
	rq.out_path = path;
	rc = aas_http_do(p->http, &rq, &rs, e);
	if (rc != 0)
		aas_p_classify(&rs, e);
	aas_http_resp_free(&rs);
	free(url);
	if (rc != 0)
		return -1;
	*gotp = 1;
	return 0;
}

/* The batch of a run: the one whose metadata names it. */
static int
find_own(struct aas_provider *p, const char *run, long long since,
    long count, int (*known)(const char *, void *), void *arg,
    json_t **batchp, struct aas_err *e)
{
	(void)since;
	(void)count;
	(void)known;
	(void)arg;
	return find_run(p, run, batchp, e);
}

static void
auth(char *hdrs[4], const char *key)
{
	hdrs[0] = aas_xasprintf("Authorization: Bearer %s", key);
}

static json_t *
wire_body(json_t *body)
{
	return json_incref(body);
}

static json_t *
batch_line(const char *custom_id, const char *endpoint, json_t *body)
{
	return json_pack("{s:s, s:s, s:s, s:O}", "custom_id", custom_id,
	    "method", "POST", "url", endpoint ? endpoint :
	    "/v1/chat/completions", "body", body);
}

static void
ratelimits(struct aas_provider *p, json_t *headers)
{
	static const char *const kinds[] = { "requests", "tokens", NULL };

	aas_p_rl_note(p, headers, kinds, "x-ratelimit", 1,
	    aas_http_duration_ms);
}

/* The upload comes before the create: no file id, surely no batch. */
static int
create_refused(const char *code, int file_known)
{
	return !file_known || aas_p_refused(code);
}

const struct aas_provider_ops aas_openai_ops = {
	.info = {
		.name = "openai",
		.endpoint = "/v1/chat/completions",
		.max_requests = 50000,
		.max_bytes = 200000000,
		.choices = 1,
	},
	.key_env = "OPENAI_API_KEY",
	.base_env = "OPENAI_BASE_URL",
	.default_base = "https://api.openai.com/v1",
	.chat_path = "/chat/completions",
	.batches_path = "/batches",
	.result_key = "response",
	.reads_foreign = 1,
	.list_after = "after",
	.default_max_tokens = 0,
	.auth = auth,
	.wire_body = wire_body,
	.batch_line = batch_line,
	.batch_norm = batch_norm,
	.parse_line = parse_line,
	.pick_line = pick_line,
	.plain_line = plain_line,
	.chat_result = body_result,
	.submit = submit,
	.find_run = find_run,
	.find_own = find_own,
	.download = download,
	.ratelimits = ratelimits,
	.create_refused = create_refused,
};
