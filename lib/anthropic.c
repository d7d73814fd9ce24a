/*
 * anthropic.c: Anthropic Message Batches and Messages, and the
 * translation of an OpenAI chat body into Messages params.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "provider.h"
#include "provider-int.h"
#include "record.h"
#include "banned.h"

#define DEFAULT_MAX_TOKENS 4096

/* Text of a chat message's content (string or parts) for "system". */
static void
content_text(json_t *c, struct aas_buf *b)
{
	json_t *pt;
	size_t i;

	if (json_is_string(c)) {
		aas_buf_adds(b, json_string_value(c));
		return;
	}
	json_array_foreach(c, i, pt)
		if (aas_p_str(pt, "text") != NULL)
			aas_buf_adds(b, aas_p_str(pt, "text"));
}

static json_t *
tools_of(json_t *tools)
{
	json_t *out, *t, *f;
	size_t i;

	out = json_array();
	json_array_foreach(tools, i, t) {
		f = json_object_get(t, "function");
		if (!json_is_object(f) || aas_p_str(f, "name") == NULL)
			continue;
		json_array_append_new(out, json_pack("{s:O, s:o}", "name",
		    json_object_get(f, "name"), "input_schema",
		    json_is_object(json_object_get(f, "parameters")) ?
		    json_incref(json_object_get(f, "parameters")) :
		    json_pack("{s:s}", "type", "object")));
		if (aas_p_str(f, "description") != NULL)
			json_object_set(json_array_get(out,
			    json_array_size(out) - 1), "description",
			    json_object_get(f, "description"));
	}
	return out;
}

/*
 * OpenAI chat body -> Messages params: system and developer messages
 * become "system"; max_completion_tokens or max_tokens becomes
 * max_tokens (required; 4096 when absent); stop -> stop_sequences;
 * response_format json_schema -> output_config.format; function tools
 * -> tools.  Keys Messages does not know are dropped.
 */
static json_t *
translate(json_t *body)
{
	struct aas_buf sys = AAS_BUF_INIT;
	json_t *out, *msgs, *m, *v, *rf, *js, *oc;
	const char *role, *ch;
	size_t i;

	out = json_object();
	if ((v = json_object_get(body, "model")) != NULL)
		json_object_set(out, "model", v);
	v = json_object_get(body, "max_completion_tokens");
	if (!json_is_integer(v))
		v = json_object_get(body, "max_tokens");
	json_object_set_new(out, "max_tokens", json_is_integer(v) &&
	    json_integer_value(v) > 0 ? json_integer(json_integer_value(v)) :
	    json_integer(DEFAULT_MAX_TOKENS));
	msgs = json_array();
	json_array_foreach(json_object_get(body, "messages"), i, m) {
		role = aas_p_str(m, "role");
		if (role != NULL && (strcmp(role, "system") == 0 ||
		    strcmp(role, "developer") == 0)) {
			if (sys.len > 0)
				aas_buf_adds(&sys, "\n\n");
			content_text(json_object_get(m, "content"), &sys);
			continue;
		}
		v = json_object_get(m, "content");
		json_array_append_new(msgs, json_pack("{s:s, s:o}", "role",
		    role && strcmp(role, "assistant") == 0 ? "assistant" :
		    "user", "content", v ? json_incref(v) : json_string("")));
	}
	if (sys.len > 0)
		json_object_set_new(out, "system", aas_json_lossy(sys.s, sys.len));
	aas_buf_free(&sys);
	json_object_set_new(out, "messages", msgs);
	if ((v = json_object_get(body, "temperature")) != NULL &&
	    json_is_number(v))
		json_object_set(out, "temperature", v);
	if ((v = json_object_get(body, "top_p")) != NULL && json_is_number(v))
		json_object_set(out, "top_p", v);
	v = json_object_get(body, "stop");
	if (json_is_string(v))
		json_object_set_new(out, "stop_sequences", json_pack("[O]", v));
	else if (json_is_array(v) && json_array_size(v) > 0)
		json_object_set(out, "stop_sequences", v);
	oc = json_object();
	rf = json_object_get(body, "response_format");
	js = json_object_get(rf, "json_schema");
	if (aas_p_str(rf, "type") != NULL &&
	    strcmp(aas_p_str(rf, "type"), "json_schema") == 0 &&
	    json_is_object(json_object_get(js, "schema")))
		json_object_set_new(oc, "format", json_pack("{s:s, s:O}",
		    "type", "json_schema", "schema",
		    json_object_get(js, "schema")));
	if ((ch = aas_p_str(body, "reasoning_effort")) != NULL &&
	    (strcmp(ch, "low") == 0 || strcmp(ch, "medium") == 0 ||
	    strcmp(ch, "high") == 0))
		json_object_set_new(oc, "effort", json_string(ch));
	if (json_object_size(oc) > 0)
		json_object_set_new(out, "output_config", oc);
	else
		json_decref(oc);
	if (json_is_array(json_object_get(body, "tools")))
		json_object_set_new(out, "tools", tools_of(json_object_get(body,
		    "tools")));
	ch = aas_p_str(body, "tool_choice");
	if (ch != NULL && json_object_get(out, "tools") != NULL)
		json_object_set_new(out, "tool_choice", json_pack("{s:s}",
		    "type", strcmp(ch, "required") == 0 ? "any" :
		    strcmp(ch, "none") == 0 ? "none" : "auto"));
	return out;
}

static json_t *
str_or_null(json_t *v)
{
	return json_is_string(v) ? json_incref(v) : json_null();
}

/* RFC 3339 -> Unix seconds, 0 when absent or malformed. */
static json_int_t
secs(json_t *v)
{
	int64_t ms = aas_http_date_ms(json_string_value(v));

	return ms > 0 ? (json_int_t)(ms / 1000) : 0;
}

static json_t *
batch_norm(json_t *raw)
{
	json_t *rc;
	const char *ps, *st;
	json_int_t ok, er, ca, ex, pr, total;
	int term = 0;

	if (!json_is_string(json_object_get(raw, "id")))
		return NULL;
	rc = json_object_get(raw, "request_counts");
	ok = aas_p_int(rc, "succeeded");
	er = aas_p_int(rc, "errored");
	ca = aas_p_int(rc, "canceled");
	ex = aas_p_int(rc, "expired");
	pr = aas_p_int(rc, "processing");
	total = ok + er + ca + ex + pr;
	ps = aas_p_str(raw, "processing_status");
	if (ps == NULL)
		st = "unknown";
	else if (strcmp(ps, "in_progress") == 0)
		st = "in_progress";
	else if (strcmp(ps, "canceling") == 0)
		st = "cancelling";
	else if (strcmp(ps, "ended") == 0) {
		term = 1;
		if (json_is_string(json_object_get(raw,
		    "cancel_initiated_at")))
			st = "cancelled";
		else if (ex > 0)
			st = "expired";
		else
			st = "completed";
	} else
		st = ps;
	return json_pack("{s:s, s:O, s:s, s:b, s:{s:I, s:I, s:I}, s:o, s:n, "
	    "s:[], s:{}, s:I, s:O}",
	    "provider", "anthropic", "id", json_object_get(raw, "id"),
	    "status", st, "terminal", term,
	    "counts", "total", total, "completed", ok, "failed", er + ca + ex,
	    "output_file_id", term ? str_or_null(json_object_get(raw,
	    "results_url")) : json_null(),
	    "error_file_id", "errors", "metadata",
	    "created_at", secs(json_object_get(raw, "created_at")),
	    "raw", raw);
}

static const char *
finish_of(const char *sr)
{
	if (sr == NULL)
		return NULL;
	if (strcmp(sr, "end_turn") == 0 || strcmp(sr, "stop_sequence") == 0)
		return "stop";
	if (strcmp(sr, "max_tokens") == 0 ||
	    strcmp(sr, "model_context_window_exceeded") == 0)
		return "length";
	if (strcmp(sr, "tool_use") == 0)
		return "tool_calls";
	return sr;
}

static json_t *
message_result(json_t *msg, const char *rid)
{
	struct aas_buf b = AAS_BUF_INIT;
	json_t *r, *pt, *u;
	const char *fr, *ty;
	size_t i;

	if (!json_is_object(msg) || !json_is_array(json_object_get(msg,
	    "content")))
		return aas_p_result_err(NULL, 200, "bad_response",
		    "the message has no content", rid);
	json_array_foreach(json_object_get(msg, "content"), i, pt) {
		ty = aas_p_str(pt, "type");
		if (ty != NULL && strcmp(ty, "text") == 0 &&
		    aas_p_str(pt, "text") != NULL)
			aas_buf_adds(&b, aas_p_str(pt, "text"));
	}
	fr = finish_of(aas_p_str(msg, "stop_reason"));
	r = json_object();
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "status_code", json_integer(200));
	json_object_set_new(r, "text", aas_json_lossy(b.s ? b.s : "", b.len));
	json_object_set_new(r, "finish_reason", fr ? json_string(fr) :
	    json_null());
	if (fr != NULL && strcmp(fr, "refusal") == 0) {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code",
		    "refusal", "message", b.len ? b.s : "the model refused"));
	}
	u = json_object_get(msg, "usage");
	if (json_is_object(u))
		json_object_set_new(r, "usage", json_pack("{s:I, s:I, s:I}",
		    "input", aas_p_int(u, "input_tokens") +
		    aas_p_int(u, "cache_read_input_tokens") +
		    aas_p_int(u, "cache_creation_input_tokens"),
		    "output", aas_p_int(u, "output_tokens"),
		    "cached", aas_p_int(u, "cache_read_input_tokens")));
	if (rid != NULL && *rid)
		json_object_set_new(r, "request_id", json_string(rid));
	if (aas_p_str(msg, "model") != NULL)
		json_object_set(r, "model", json_object_get(msg, "model"));
	aas_buf_free(&b);
	return r;
}

static long
status_of(const char *type)
{
	static const struct {
		const char	*t;
		long		 s;
	} map[] = {
		{ "invalid_request_error", 400 },
		{ "authentication_error", 401 },
		{ "billing_error", 402 },
		{ "permission_error", 403 },
		{ "not_found_error", 404 },
		{ "request_too_large", 413 },
		{ "rate_limit_error", 429 },
		{ "api_error", 500 },
		{ "timeout_error", 504 },
		{ "overloaded_error", 529 },
	};
	size_t i;

	for (i = 0; type != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].t, type) == 0)
			return map[i].s;
	return 0;
}

/* {"custom_id", "result": {"type": succeeded|errored|canceled|expired}} */
static int
parse_line(json_t *o, json_t **resp, struct aas_err *e)
{
	json_t *res, *r, *er, *inner;
	const char *cid, *ty, *et;
	char code[40];

	cid = aas_p_str(o, "custom_id");
	if (cid == NULL)
		return aas_err_set(e, "bad_result", "result line without "
		    "custom_id");
	res = json_object_get(o, "result");
	ty = aas_p_str(res, "type");
	if (ty == NULL)
		return aas_err_set(e, "bad_result", "%s: result without a "
		    "type", cid);
	if (strcmp(ty, "succeeded") == 0) {
		if (!json_is_object(json_object_get(res, "message")))
			return aas_err_set(e, "bad_result", "%s: succeeded "
			    "without a message", cid);
		r = message_result(json_object_get(res,
		    "message"), NULL);
	} else if (strcmp(ty, "errored") == 0) {
		er = json_object_get(res, "error");
		inner = json_object_get(er, "error");
		if (!json_is_object(inner))
			inner = er;
		et = aas_p_str(inner, "type");
		if (status_of(et) > 0)
			snprintf(code, sizeof(code), "http_%ld", status_of(et));
		else
			snprintf(code, sizeof(code), "request_failed");
		r = aas_p_result_err(NULL, status_of(et), code,
		    aas_p_str(inner, "message") ? aas_p_str(inner, "message") :
		    et, aas_p_str(er, "request_id"));
	} else if (strcmp(ty, "canceled") == 0)
		r = aas_p_result_err(NULL, 0, "batch_cancelled", "the batch "
		    "was cancelled before this request ran", NULL);
	else if (strcmp(ty, "expired") == 0)
		r = aas_p_result_err(NULL, 0, "batch_expired", "the batch "
		    "expired before this request ran", NULL);
	else
		return aas_err_set(e, "bad_result", "%s: unknown result type "
		    "'%.40s'", cid, ty);
	json_object_set_new(r, "custom_id", json_string(cid));
	*resp = r;
	return 0;
}

/* Submit. */

/*
 * Spool the batch lines into {"requests": [...]} in a temporary file, so
 * that a 256 MB batch is not held in memory.  *np: the number of lines.
 */
static char *
spool_body(const char *path, size_t *np, struct aas_err *e)
{
	const char *td = getenv("TMPDIR");
	char *tmp, *line = NULL;
	size_t cap = 0, k;
	ssize_t len;
	FILE *in, *out;
	int fd, bad = 0;

	*np = 0;
	if ((in = fopen(path, "re")) == NULL) {
		aas_err_set(e, "io", "%s: %s", path, strerror(errno));
		return NULL;
	}
	tmp = aas_xasprintf("%s/aas-batch.XXXXXX", td && *td ? td : "/tmp");
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0 ||
	    (out = fdopen(fd, "w")) == NULL) {
		aas_err_set(e, "io", "%s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		fclose(in);
		free(tmp);
		return NULL;
	}
	fputs("{\"requests\":[", out);
	while ((len = getline(&line, &cap, in)) > 0) {
		k = (size_t)len;
		while (k > 0 && (line[k - 1] == '\n' || line[k - 1] == '\r' ||
		    line[k - 1] == ' '))
			k--;
		if (k == 0)
			continue;
		if (line[0] != '{') {
			bad = 1;
			break;
		}
		if (*np > 0)
			fputc(',', out);
		fwrite(line, 1, k, out);
		(*np)++;
	}
	fputs("]}", out);
	free(line);
	if (ferror(in) || bad || *np == 0) {
		aas_err_set(e, bad ? "bad_request" : "io", "%s: %s", path,
		    bad ? "a line is not a JSON object" : *np == 0 ?
		    "no requests" : strerror(errno));
		fclose(in);
		fclose(out);
		unlink(tmp);
		free(tmp);
		return NULL;
	}
	fclose(in);
	if (fclose(out) != 0) {
		aas_err_set(e, "io", "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return NULL;
	}
	return tmp;
}

/* The ids on the first page of batches (newest first). */
static json_t *
recent(struct aas_provider *p, struct aas_err *e)
{
	json_t *page, *ids, *it, *b;
	size_t i;

	if (aas_p_call(p, "GET", "/v1/messages/batches?limit=100", NULL, 0,
	    &page, NULL, e) != 0)
		return NULL;
	ids = json_object();
	json_array_foreach(json_object_get(page, "data"), i, it) {
		if ((b = batch_norm(it)) == NULL)
			continue;
		json_object_set_new(ids, aas_p_str(b, "id"), b);
	}
	json_decref(page);
	return ids;
}

/*
 * Anthropic batches carry no metadata, so after an ambiguous create the
 * batch is recognised as one that was not on the list before the POST
 * and holds exactly as many requests.  Two such (another client posting
 * a batch of the same size at the same moment) cannot be told apart:
 * that is an error, never a second POST.
 */
static int
submit(struct aas_provider *p, const char *path, const char *endpoint,
    json_t *metadata, void (*on_file)(const char *, void *), void *arg,
    json_t **batchp, struct aas_err *e)
{
	struct aas_http_req rq = { 0 };
	struct aas_http_resp rs;
	json_t *before, *after, *b, *hit;
	const char *id;
	size_t n;
	char *tmp, *url;
	int i, rc, nhit;

	(void)endpoint;
	(void)metadata;
	(void)on_file;
	(void)arg;
	*batchp = NULL;
	if ((tmp = spool_body(path, &n, e)) == NULL)
		return -1;
	if ((before = recent(p, e)) == NULL) {
		unlink(tmp);
		free(tmp);
		return -1;
	}
	url = aas_p_url(p, "/v1/messages/batches");
	rq.method = "POST";
	rq.url = url;
	rq.headers = (const char *const *)p->json_hdrs;
	rq.body_file = tmp;
	rq.json = 1;
	rq.unsafe = 1;
	rc = -1;
	for (i = 0; i < p->max_tries; i++) {
		if (aas_http_do(p->http, &rq, &rs, e) != 0)
			aas_p_classify(&rs, e);
		else {
			*batchp = batch_norm(rs.json);
			aas_http_resp_free(&rs);
			rc = *batchp ? 0 : aas_err_set(e, "bad_response",
			    "create batch: the answer is not a batch");
			break;
		}
		if (!rs.ambiguous) {
			aas_http_resp_free(&rs);
			break;
		}
		aas_http_resp_free(&rs);
		if ((after = recent(p, e)) == NULL)
			break;
		nhit = 0;
		hit = NULL;
		json_object_foreach(after, id, b) {
			if (json_object_get(before, id) != NULL ||
			    aas_p_int(json_object_get(b, "counts"), "total") !=
			    (json_int_t)n)
				continue;
			nhit++;
			hit = b;
		}
		if (nhit == 1)
			*batchp = json_incref(hit);
		json_decref(after);
		if (nhit == 1) {
			rc = 0;
			break;
		}
		if (nhit > 1) {
			aas_err_set(e, "ambiguous_create", "create batch: "
			    "the answer was lost and %d new batches of %zu "
			    "requests exist; not sending again", nhit, n);
			break;
		}
		if (p->verbose)
			aas_msg("create batch: no new batch of %zu requests "
			    "after an ambiguous failure; sending again", n);
		aas_p_sleep_ms(200L << i);
	}
	json_decref(before);
	free(url);
	unlink(tmp);
	free(tmp);
	return rc;
}

static int
download(struct aas_provider *p, json_t *batch, const char *which,
    const char *path, int *gotp, struct aas_err *e)
{
	struct aas_http_req rq = { 0 };
	struct aas_http_resp rs;
	const char *hdrs[4], *id, *ru;
	json_t *raw;
	char *url;
	int rc;

	*gotp = 0;
	if (strcmp(which, "output") != 0)
		return 0;	/* one results file holds every line */
	raw = json_object_get(batch, "raw");
	if (raw == NULL)
		raw = batch;
	ru = aas_p_str(raw, "results_url");
	id = aas_p_str(raw, "id");
	if (ru == NULL)
		return 0;
	if (id == NULL || *id == '\0' || strpbrk(id, "/?#%") != NULL)
		return aas_err_set(e, "bad_response", "bad batch id");
	/* the key goes to the configured host only, whatever the URL says */
	url = aas_xasprintf("%s/v1/messages/batches/%s/results", p->base, id);
	hdrs[0] = p->auth[0];
	hdrs[1] = p->auth[1];
	hdrs[2] = "Accept: application/binary";
	hdrs[3] = NULL;
	rq.url = url;
	rq.headers = hdrs;
	rq.out_path = path;
	rq.out_size = -1;
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

/* Batches carry no metadata: the unclaimed one of the run's size. */
static int
find_own(struct aas_provider *p, const char *run, long long since,
    long count, int (*known)(const char *, void *), void *arg,
    json_t **batchp, struct aas_err *e)
{
	(void)run;
	return aas_p_find_unlabelled(p, since, count, known, arg, batchp, e);
}

static void
auth(char *hdrs[4], const char *key)
{
	hdrs[0] = aas_xasprintf("x-api-key: %s", key);
	hdrs[1] = aas_xstrdup("anthropic-version: 2023-06-01");
}

static json_t *
batch_line(const char *custom_id, const char *endpoint, json_t *body)
{
	(void)endpoint;
	return json_pack("{s:s, s:o}", "custom_id", custom_id, "params",
	    translate(body));
}

static json_t *
chat_result(json_t *body, long status, const char *rid)
{
	(void)status;
	return message_result(body, rid);
}

/* An RFC 3339 reset time as milliseconds from now. */
static int64_t
reset_ms(const char *s)
{
	int64_t t;

	if ((t = aas_http_date_ms(s)) < 0)
		return -1;
	t -= aas_unix_ms();
	return t < 0 ? 0 : t;
}

static void
ratelimits(struct aas_provider *p, json_t *headers)
{
	static const char *const kinds[] = { "requests", "tokens",
	    "input-tokens", "output-tokens", NULL };

	aas_p_rl_note(p, headers, kinds, "anthropic-ratelimit", 0, reset_ms);
}

static int
create_refused(const char *code, int file_known)
{
	(void)file_known;
	return aas_p_refused(code);
}

const struct aas_provider_ops aas_anthropic_ops = {
	.info = {
		.name = "anthropic",
		.endpoint = "/v1/messages",
		.max_requests = 100000,
		.max_bytes = 256000000,
		.choices = 0,
	},
	.key_env = "ANTHROPIC_API_KEY",
	.base_env = "ANTHROPIC_BASE_URL",
	.default_base = "https://api.anthropic.com",
	.chat_path = "/v1/messages",
	.batches_path = "/v1/messages/batches",
	.result_key = "result",
	.reads_foreign = 0,
	.list_after = "after_id",
	.default_max_tokens = DEFAULT_MAX_TOKENS,
	.auth = auth,
	.wire_body = translate,
	.batch_line = batch_line,
	.batch_norm = batch_norm,
	.parse_line = parse_line,
	.chat_result = chat_result,
	.submit = submit,
	.find_run = NULL,
	.find_own = find_own,
	.download = download,
	.ratelimits = ratelimits,
	.create_refused = create_refused,
};
