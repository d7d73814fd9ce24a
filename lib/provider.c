/*
 * provider.c: the provider-independent half of provider.h: keys, calls,
 * rate limits, the concurrent synchronous driver.
 */
#include <sys/stat.h>

#include <errno.h>
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
#include "banned.h"

const char *
aas_p_str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A JSON string; text that is not UTF-8 has its bad bytes replaced. */
json_t *
aas_p_jstr(const char *s)
{
	json_t *v;
	char *c, *p;

	if ((v = json_string(s)) != NULL)
		return v;
	c = aas_xstrdup(s);
	for (p = c; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(c);
	free(c);
	return v;
}

json_int_t
aas_p_int(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (json_is_integer(v))
		return json_integer_value(v);
	/* a count sent as a real: whole range only (NaN and 4.2e33 are 0,
	 * like a missing count, rather than undefined behaviour) */
	if (json_is_real(v) && json_real_value(v) > -9.2e18 &&
	    json_real_value(v) < 9.2e18)
		return (json_int_t)json_real_value(v);
	return 0;
}

void
aas_p_sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !aas_stop_flag)
		;
}

json_t *
aas_p_result_err(const char *custom_id, long status, const char *code,
    const char *message, const char *request_id)
{
	json_t *r;

	r = json_object();
	if (custom_id != NULL)
		json_object_set_new(r, "custom_id", json_string(custom_id));
	json_object_set_new(r, "ok", json_false());
	json_object_set_new(r, "status_code", json_integer(status));
	if (request_id != NULL && *request_id)
		json_object_set_new(r, "request_id", json_string(request_id));
	json_object_set_new(r, "error", json_pack("{s:s, s:s}", "code",
	    code ? code : "request_failed", "message",
	    message ? message : "the request failed"));
	return r;
}

/* Read a key file that only its owner may read. */
static char *
key_from_file(const char *path, struct aas_err *e)
{
	struct stat st;
	char *data;
	size_t len;

	if (stat(path, &st) != 0) {
		aas_err_set(e, "config", "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((st.st_mode & 077) != 0) {
		aas_err_set(e, "config", "%s: key file has mode %04o; "
		    "it must be 0600", path, (unsigned)(st.st_mode & 07777));
		return NULL;
	}
	if (aas_read_file(path, &data, &len, e) != 0)
		return NULL;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
	    data[len - 1] == ' ' || data[len - 1] == '\t'))
		data[--len] = '\0';
	if (len == 0 || strchr(data, '\n') != NULL) {
		aas_err_set(e, "config", "%s: not a key (one line expected)",
		    path);
		free(data);
		return NULL;
	}
	return data;
}

static int
good_key(const char *k)
{
	for (; *k; k++)
		if ((unsigned char)*k < 0x21 || (unsigned char)*k > 0x7e)
			return 0;
	return 1;
}

int
aas_provider_open(struct aas_provider **pp, const struct aas_provider_opts *o,
    struct aas_err *e)
{
	struct aas_provider_opts def = { 0 };
	struct aas_http_opts ho = { 0 };
	struct aas_provider *p;
	const char *base, *env, *q;
	char *key = NULL;
	size_t n;

	*pp = NULL;
	if (o == NULL)
		o = &def;
	p = aas_xcalloc(1, sizeof(*p));
	if (o->kind == NULL || strcmp(o->kind, "openai") == 0 ||
	    strcmp(o->kind, "vllm") == 0)
		p->kind = AAS_P_OPENAI;
	else if (strcmp(o->kind, "anthropic") == 0)
		p->kind = AAS_P_ANTHROPIC;
	else {
		free(p);
		return aas_err_set(e, "config", "unknown provider '%s' "
		    "(openai or anthropic)", o->kind);
	}
	env = p->kind == AAS_P_OPENAI ? "OPENAI" : "ANTHROPIC";
	base = o->base_url;
	if (base == NULL || *base == '\0')
		base = getenv(p->kind == AAS_P_OPENAI ? "OPENAI_BASE_URL" :
		    "ANTHROPIC_BASE_URL");
	if (base == NULL || *base == '\0')
		base = p->kind == AAS_P_OPENAI ? "https://api.openai.com/v1" :
		    "https://api.anthropic.com";
	if (strncmp(base, "http://", 7) != 0 &&
	    strncmp(base, "https://", 8) != 0) {
		free(p);
		return aas_err_set(e, "config", "base URL '%s' is not http(s)",
		    base);
	}
	p->base = aas_xstrdup(base);
	n = strlen(p->base);
	while (n > 8 && p->base[n - 1] == '/')
		p->base[--n] = '\0';
	q = strchr(p->base + 8, '/');
	p->origin = q ? aas_xstrndup(p->base, (size_t)(q - p->base)) :
	    aas_xstrdup(p->base);
	if (o->key != NULL && *o->key)
		key = aas_xstrdup(o->key);
	else if (getenv(p->kind == AAS_P_OPENAI ? "OPENAI_API_KEY" :
	    "ANTHROPIC_API_KEY") != NULL && *getenv(p->kind == AAS_P_OPENAI ?
	    "OPENAI_API_KEY" : "ANTHROPIC_API_KEY"))
		key = aas_xstrdup(getenv(p->kind == AAS_P_OPENAI ?
		    "OPENAI_API_KEY" : "ANTHROPIC_API_KEY"));
	else if (o->key_file != NULL) {
		if ((key = key_from_file(o->key_file, e)) == NULL) {
			aas_provider_close(p);
			return -1;
		}
	}
	if (key == NULL) {
		aas_provider_close(p);
		return aas_err_set(e, "config", "no API key: set %s_API_KEY "
		    "or a key file", env);
	}
	if (!good_key(key)) {
		free(key);
		aas_provider_close(p);
		return aas_err_set(e, "config", "the %s API key holds "
		    "spaces or control characters", env);
	}
	aas_secret_add(key);
	if (p->kind == AAS_P_OPENAI) {
		p->auth[0] = aas_xasprintf("Authorization: Bearer %s", key);
	} else {
		p->auth[0] = aas_xasprintf("x-api-key: %s", key);
		p->auth[1] = aas_xstrdup("anthropic-version: 2023-06-01");
	}
	explicit_bzero(key, strlen(key));
	free(key);
	for (n = 0; p->auth[n] != NULL; n++)
		p->json_hdrs[n] = p->auth[n];
	p->json_hdrs[n] = "Content-Type: application/json";
	p->max_tries = o->max_tries > 0 ? o->max_tries : 5;
	p->verbose = o->verbose;
	p->rl = json_object();
	ho.max_tries = p->max_tries;
	ho.timeout_ms = o->timeout_ms;
	ho.verbose = o->verbose;
	ho.on_response = aas_p_ratelimit_note;
	ho.on_response_arg = p;
	p->http = aas_http_new(&ho);
	*pp = p;
	return 0;
}

void
aas_provider_close(struct aas_provider *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; p->auth[i] != NULL; i++) {
		explicit_bzero(p->auth[i], strlen(p->auth[i]));
		free(p->auth[i]);
	}
	aas_http_free(p->http);
	json_decref(p->rl);
	free(p->base);
	free(p->origin);
	free(p);
}

const char *
aas_provider_kind(const struct aas_provider *p)
{
	return p->kind == AAS_P_OPENAI ? "openai" : "anthropic";
}

char *
aas_p_url(const struct aas_provider *p, const char *path)
{
	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0)
		return aas_xstrdup(path);
	return aas_xasprintf("%s%s", p->base, path);
}

/*
 * One JSON call.  path is appended to the base URL.  *out (if out is not
 * NULL) gets the parsed 2xx body.  rs, if not NULL, receives the response
 * (the caller frees it).
 */
int
aas_p_call(struct aas_provider *p, const char *method, const char *path,
    json_t *body, int unsafe, json_t **out, struct aas_http_resp *rs,
    struct aas_err *e)
{
	struct aas_http_req rq = { 0 };
	struct aas_http_resp r;
	char *url, *b = NULL;
	int rc;

	if (out != NULL)
		*out = NULL;
	url = aas_p_url(p, path);
	rq.method = method;
	rq.url = url;
	rq.json = 1;
	rq.unsafe = unsafe;
	if (body != NULL) {
		b = json_dumps(body, JSON_COMPACT);
		rq.body = b;
		rq.body_len = strlen(b);
		rq.headers = (const char *const *)p->json_hdrs;
	} else
		rq.headers = (const char *const *)p->auth;
	rc = aas_http_do(p->http, &rq, &r, e);
	free(url);
	free(b);
	if (rc == 0 && out != NULL) {
		*out = r.json;
		r.json = NULL;
	}
	if (rs != NULL)
		*rs = r;
	else
		aas_http_resp_free(&r);
	return rc;
}

/* Rate limits. */

static void
rl_set(json_t *rl, const char *kind, const char *field, json_int_t v)
{
	json_t *o = json_object_get(rl, kind);

	if (o == NULL) {
		o = json_object();
		json_object_set_new(rl, kind, o);
	}
	json_object_set_new(o, field, json_integer(v));
}

static int
rl_num(const char *s, json_int_t *v)
{
	char *end;
	long long n;

	if (s == NULL)
		return 0;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || n < 0)
		return 0;
	*v = n;
	return 1;
}

static int64_t
unix_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The http client's on_response hook: keep what the headers say. */
void
aas_p_ratelimit_note(void *arg, long status, json_t *headers)
{
	static const char *okinds[] = { "requests", "tokens", NULL };
	static const char *akinds[] = { "requests", "tokens", "input-tokens",
	    "output-tokens", NULL };
	static const char *fields[] = { "limit", "remaining", "reset" };
	struct aas_provider *p = arg;
	const char **kinds = p->kind == AAS_P_OPENAI ? okinds : akinds;
	char name[80], kind[32], *c;
	const char *s;
	json_int_t v;
	int64_t t;
	int i, f, any = 0;

	(void)status;
	for (i = 0; kinds[i] != NULL; i++) {
		snprintf(kind, sizeof(kind), "%s", kinds[i]);
		if ((c = strchr(kind, '-')) != NULL)
			*c = '_';
		for (f = 0; f < 3; f++) {
			if (p->kind == AAS_P_OPENAI)
				snprintf(name, sizeof(name),
				    "x-ratelimit-%s-%s", fields[f], kinds[i]);
			else
				snprintf(name, sizeof(name),
				    "anthropic-ratelimit-%s-%s", kinds[i],
				    fields[f]);
			s = json_string_value(json_object_get(headers, name));
			if (s == NULL)
				continue;
			if (f < 2) {
				if (!rl_num(s, &v))
					continue;
				rl_set(p->rl, kind, fields[f], v);
			} else {
				if (p->kind == AAS_P_OPENAI)
					t = aas_http_duration_ms(s);
				else if ((t = aas_http_date_ms(s)) >= 0) {
					t -= unix_now_ms();
					if (t < 0)
						t = 0;
				}
				if (t < 0)
					continue;
				rl_set(p->rl, kind, "reset_ms", t);
			}
			any = 1;
		}
	}
	if (any)
		json_object_set_new(p->rl, "seen_at_ms",
		    json_integer(aas_now_ms()));
}

json_t *
aas_provider_ratelimits(const struct aas_provider *p)
{
	return json_deep_copy(p->rl);
}

long
aas_provider_est_tokens(const struct aas_provider *p, json_t *body)
{
	char *s;
	long n, out;
	json_t *v;

	s = json_dumps(body, JSON_COMPACT);
	n = s ? (long)(strlen(s) + 3) / 4 : 0;
	free(s);
	v = json_object_get(body, "max_completion_tokens");
	if (!json_is_integer(v))
		v = json_object_get(body, "max_tokens");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		out = (long)json_integer_value(v);
	else
		out = p->kind == AAS_P_ANTHROPIC ? 4096 : 0;
	return n + out;
}

/* Batches. */

json_t *
aas_provider_batch_line(const struct aas_provider *p, const char *custom_id,
    const char *endpoint, json_t *body)
{
	if (p->kind == AAS_P_ANTHROPIC)
		return json_pack("{s:s, s:o}", "custom_id", custom_id,
		    "params", aas_anthropic_translate(body));
	return json_pack("{s:s, s:s, s:s, s:O}", "custom_id", custom_id,
	    "method", "POST", "url", endpoint ? endpoint :
	    "/v1/chat/completions", "body", body);
}

json_t *
aas_provider_batch_norm(const struct aas_provider *p, json_t *raw)
{
	if (!json_is_object(raw))
		return NULL;
	return p->kind == AAS_P_OPENAI ? aas_openai_batch_norm(raw) :
	    aas_anthropic_batch_norm(raw);
}

int
aas_provider_submit(struct aas_provider *p, const char *path,
    const char *endpoint, json_t *metadata,
    void (*on_file)(const char *file_id, void *arg), void *arg,
    json_t **batchp, struct aas_err *e)
{
	*batchp = NULL;
	if (p->kind == AAS_P_ANTHROPIC)
		return aas_anthropic_submit(p, path, batchp, e);
	return aas_openai_submit(p, path, endpoint ? endpoint :
	    "/v1/chat/completions", metadata, on_file, arg, batchp, e);
}

int
aas_provider_find_run(struct aas_provider *p, const char *run,
    json_t **batchp, struct aas_err *e)
{
	*batchp = NULL;
	if (p->kind == AAS_P_ANTHROPIC)
		return aas_err_set(e, "unsupported", "anthropic batches "
		    "carry no metadata: a run cannot be found by its id "
		    "(the batches journal holds the batch id)");
	return aas_openai_find_run(p, run, batchp, e);
}

struct unlabelled {
	long long since;
	long	 count;
	int	(*known)(const char *, void *);
	void	*arg;
	json_t	*found;
	int	 nfound;
};

static int
unlabelled_cb(json_t *b, void *arg)
{
	struct unlabelled *u = arg;
	const char *id = json_string_value(json_object_get(b, "id"));
	json_int_t created = json_integer_value(json_object_get(b,
	    "created_at"));

	/* newest first: older than the intent (with slack) ends the search */
	if (created < u->since - 120)
		return 1;
	if (id == NULL || aas_p_int(json_object_get(b, "counts"), "total") !=
	    u->count || (u->known != NULL && u->known(id, u->arg)))
		return 0;
	if (u->nfound++ == 0)
		u->found = json_incref(b);
	return 0;
}

int
aas_provider_find_unlabelled(struct aas_provider *p, long long since,
    long count, int (*known)(const char *, void *), void *arg,
    json_t **batchp, struct aas_err *e)
{
	struct unlabelled u = { since, count, known, arg, NULL, 0 };

	*batchp = NULL;
	if (aas_provider_list(p, unlabelled_cb, &u, e) == -1) {
		json_decref(u.found);
		return -1;
	}
	if (u.nfound > 1) {
		json_decref(u.found);
		return aas_err_set(e, "ambiguous_create", "%d batches of %ld "
		    "requests were created since the submission began: "
		    "cannot tell which is ours", u.nfound, count);
	}
	*batchp = u.found;
	return 0;
}

static int
batch_call(struct aas_provider *p, const char *method, const char *id,
    const char *suffix, json_t **batchp, struct aas_err *e)
{
	json_t *raw;
	char *path;
	int rc;

	*batchp = NULL;
	if (id == NULL || *id == '\0' || strpbrk(id, "/?#%") != NULL)
		return aas_err_set(e, "bad_request", "bad batch id '%s'",
		    id ? id : "");
	path = aas_xasprintf("%s/%s%s", p->kind == AAS_P_OPENAI ?
	    "/batches" : "/v1/messages/batches", id, suffix);
	rc = aas_p_call(p, method, path, NULL, 0, &raw, NULL, e);
	free(path);
	if (rc != 0)
		return -1;
	*batchp = aas_provider_batch_norm(p, raw);
	json_decref(raw);
	if (*batchp == NULL)
		return aas_err_set(e, "bad_response", "batch %s: the server "
		    "sent no batch object", id);
	return 0;
}

int
aas_provider_get(struct aas_provider *p, const char *batch_id,
    json_t **batchp, struct aas_err *e)
{
	return batch_call(p, "GET", batch_id, "", batchp, e);
}

int
aas_provider_cancel(struct aas_provider *p, const char *batch_id,
    json_t **batchp, struct aas_err *e)
{
	return batch_call(p, "POST", batch_id, "/cancel", batchp, e);
}

int
aas_provider_list(struct aas_provider *p, int (*cb)(json_t *, void *),
    void *arg, struct aas_err *e)
{
	json_t *page, *data, *raw, *b;
	char *after = NULL, *path;
	size_t i;
	int stop = 0, more;

	do {
		if (p->kind == AAS_P_OPENAI)
			path = aas_xasprintf("/batches?limit=100%s%s",
			    after ? "&after=" : "", after ? after : "");
		else
			path = aas_xasprintf("/v1/messages/batches?limit=100"
			    "%s%s", after ? "&after_id=" : "",
			    after ? after : "");
		if (aas_p_call(p, "GET", path, NULL, 0, &page, NULL, e) != 0) {
			free(path);
			free(after);
			return -1;
		}
		free(path);
		data = json_object_get(page, "data");
		if (!json_is_array(data)) {
			json_decref(page);
			free(after);
			return aas_err_set(e, "bad_response", "batch list "
			    "without data");
		}
		json_array_foreach(data, i, raw) {
			if ((b = aas_provider_batch_norm(p, raw)) == NULL)
				continue;
			stop = cb(b, arg);
			json_decref(b);
			if (stop)
				break;
		}
		more = json_is_true(json_object_get(page, "has_more"));
		free(after);
		after = NULL;
		raw = json_array_get(data, json_array_size(data) - 1);
		if (more && aas_p_str(raw, "id") != NULL &&
		    strpbrk(aas_p_str(raw, "id"), "&#?/% ") == NULL)
			after = aas_xstrdup(aas_p_str(raw, "id"));
		json_decref(page);
	} while (!stop && after != NULL);
	free(after);
	return 0;
}

int
aas_provider_download(struct aas_provider *p, json_t *batch,
    const char *which, const char *path, int *gotp, struct aas_err *e)
{
	*gotp = 0;
	if (strcmp(which, "output") != 0 && strcmp(which, "error") != 0)
		return aas_err_set(e, "bad_request", "download: '%s' is not "
		    "output or error", which);
	if (p->kind == AAS_P_ANTHROPIC)
		return aas_anthropic_download(p, batch, which, path, gotp, e);
	return aas_openai_download(p, batch, which, path, gotp, e);
}

int
aas_provider_parse_result(const struct aas_provider *p, const char *line,
    size_t len, json_t **resp, struct aas_err *e)
{
	json_error_t jerr;
	json_t *o;
	int rc;

	*resp = NULL;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	o = json_loadb(line, len, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return aas_err_set(e, "bad_result", "result line is not a "
		    "JSON object: %s", o ? "wrong type" : jerr.text);
	}
	/* an Anthropic line has "result"; OpenAI and vLLM "response" */
	if (p->kind == AAS_P_ANTHROPIC ||
	    (json_object_get(o, "result") != NULL &&
	    json_object_get(o, "response") == NULL))
		rc = aas_anthropic_parse_line(o, resp, e);
	else
		rc = aas_openai_parse_line(o, resp, e);
	json_decref(o);
	return rc;
}

/* Synchronous calls. */

static json_t *
sync_result(struct aas_provider *p, json_t *body, long status,
    const char *rid)
{
	if (p->kind == AAS_P_ANTHROPIC)
		return aas_anthropic_message_result(body, rid);
	return aas_openai_body_result(body, status, rid);
}

static int
result_failed(json_t *r, struct aas_err *e)
{
	json_t *er;

	if (json_is_true(json_object_get(r, "ok")))
		return 0;
	er = json_object_get(r, "error");
	aas_err_set(e, aas_p_str(er, "code") ? aas_p_str(er, "code") :
	    "request_failed", "%s", aas_p_str(er, "message") ?
	    aas_p_str(er, "message") : "the request failed");
	return 1;
}

static json_t *
wire_body(struct aas_provider *p, json_t *body)
{
	if (p->kind == AAS_P_ANTHROPIC)
		return aas_anthropic_translate(body);
	return json_incref(body);
}

static const char *
chat_path(struct aas_provider *p)
{
	return p->kind == AAS_P_ANTHROPIC ? "/v1/messages" :
	    "/chat/completions";
}

int
aas_provider_chat(struct aas_provider *p, json_t *body, json_t **resp,
    struct aas_err *e)
{
	struct aas_http_resp rs;
	json_t *out, *w;
	int rc;

	*resp = NULL;
	w = wire_body(p, body);
	rc = aas_p_call(p, "POST", chat_path(p), w, 0, &out, &rs, e);
	json_decref(w);
	if (rc != 0) {
		aas_http_resp_free(&rs);
		return -1;
	}
	*resp = sync_result(p, out, rs.status, rs.request_id);
	json_decref(out);
	aas_http_resp_free(&rs);
	if (result_failed(*resp, e)) {
		json_decref(*resp);
		*resp = NULL;
		return -1;
	}
	return 0;
}

/*
 * The pacing of aas_provider_chat_many: a token bucket per minute that
 * allows a burst of one second's worth and refills continuously.
 */
struct bucket {
	double	 per_min;
	double	 level;
	int64_t	 t;
};

static void
bucket_set(struct bucket *b, double per_min, int64_t now)
{
	double cap = per_min / 60 > 1 ? per_min / 60 : 1;

	if (b->per_min <= 0)
		b->level = cap;
	b->per_min = per_min;
	if (b->level > cap)
		b->level = cap;
	b->t = now;
}

static void
bucket_fill(struct bucket *b, int64_t now)
{
	double cap;

	if (b->per_min <= 0)
		return;
	cap = b->per_min / 60 > 1 ? b->per_min / 60 : 1;
	b->level += (double)(now - b->t) * b->per_min / 60000;
	if (b->level > cap)
		b->level = cap;
	b->t = now;
}

/* ms until cost can be taken (a cost above the capacity needs it full) */
static int64_t
bucket_wait(struct bucket *b, double cost)
{
	double cap, need;

	if (b->per_min <= 0)
		return 0;
	cap = b->per_min / 60 > 1 ? b->per_min / 60 : 1;
	need = cost < cap ? cost : cap;
	if (b->level >= need)
		return 0;
	return (int64_t)((need - b->level) * 60000 / b->per_min) + 1;
}

struct job {
	void	*tag;
	long	 est;
};

struct pace {
	struct bucket	 req;
	struct bucket	 tok;
	double		 rpm;
	double		 tpm;
	int64_t		 seen;		/* seen_at_ms of the headers used */
	long		 started_r;	/* starts since those headers */
	long		 started_t;
};

static json_int_t
rl_get(json_t *rl, const char *kind, const char *field, int *okp)
{
	json_t *v = json_object_get(json_object_get(rl, kind), field);

	*okp = json_is_integer(v);
	return *okp ? json_integer_value(v) : 0;
}

/* ms to wait before a request of est tokens may start, 0 to go now */
static int64_t
pace_wait(struct aas_provider *p, struct pace *pc, long est)
{
	int64_t now = aas_now_ms(), w = 0, t, hold, seen;
	json_int_t lim, rem, reset;
	const char *tk;
	int ok1, ok2, ok3;

	seen = aas_p_int(p->rl, "seen_at_ms");
	if (seen != pc->seen) {
		pc->seen = seen;
		pc->started_r = pc->started_t = 0;
	}
	/* limits learnt from the headers when none were given */
	lim = rl_get(p->rl, "requests", "limit", &ok1);
	if (pc->rpm <= 0 && ok1 && lim > 0 && pc->req.per_min != lim)
		bucket_set(&pc->req, (double)lim, now);
	tk = json_object_get(p->rl, "tokens") ? "tokens" : "input_tokens";
	lim = rl_get(p->rl, tk, "limit", &ok1);
	if (pc->tpm <= 0 && ok1 && lim > 0 && pc->tok.per_min != lim)
		bucket_set(&pc->tok, (double)lim, now);
	bucket_fill(&pc->req, now);
	bucket_fill(&pc->tok, now);
	if ((t = bucket_wait(&pc->req, 1)) > w)
		w = t;
	if ((t = bucket_wait(&pc->tok, (double)est)) > w)
		w = t;
	/* what the server said is left until its reset */
	rem = rl_get(p->rl, "requests", "remaining", &ok2);
	reset = rl_get(p->rl, "requests", "reset_ms", &ok3);
	if (ok2 && ok3 && rem - pc->started_r <= 0 && seen + reset > now &&
	    seen + reset - now > w)
		w = seen + reset - now;
	rem = rl_get(p->rl, tk, "remaining", &ok2);
	reset = rl_get(p->rl, tk, "reset_ms", &ok3);
	if (ok2 && ok3 && rem - pc->started_t < est && seen + reset > now &&
	    seen + reset - now > w)
		w = seen + reset - now;
	if ((hold = aas_http_hold_until(p->http)) > now && hold - now > w)
		w = hold - now;
	return w;
}

static void
pace_take(struct pace *pc, long est)
{
	if (pc->req.per_min > 0)
		pc->req.level -= 1;
	if (pc->tok.per_min > 0)
		pc->tok.level -= (double)est;
	pc->started_r++;
	pc->started_t += est;
}

int
aas_provider_chat_many(struct aas_provider *p, int jobs, double rpm,
    double tpm, int (*next)(void *arg, json_t **body, void **tag),
    void (*done)(void *arg, void *tag, json_t *result,
    const struct aas_err *e), void *arg, struct aas_err *e)
{
	struct aas_http_req rq = { 0 };
	struct aas_http_resp rs;
	struct pace pc;
	struct aas_err re;
	struct job *j, *pend = NULL;
	json_t *body, *w, *res, *u;
	void *tag;
	char *url, *s;
	int eof = 0, rc, got, inflight = 0;
	int64_t wait = 0, now;
	long actual;

	(void)e;
	if (jobs < 1)
		jobs = 1;
	memset(&pc, 0, sizeof(pc));
	pc.rpm = rpm;
	pc.tpm = tpm;
	now = aas_now_ms();
	if (rpm > 0)
		bucket_set(&pc.req, rpm, now);
	if (tpm > 0)
		bucket_set(&pc.tok, tpm, now);
	url = aas_p_url(p, chat_path(p));
	rq.method = "POST";
	rq.url = url;
	rq.json = 1;
	rq.headers = (const char *const *)p->json_hdrs;
	body = NULL;
	for (;;) {
		wait = 0;
		while (inflight < jobs) {
			if (pend == NULL) {
				if (eof || next(arg, &body, &tag) <= 0) {
					eof = 1;
					break;
				}
				pend = aas_xcalloc(1, sizeof(*pend));
				pend->tag = tag;
				pend->est = aas_provider_est_tokens(p, body);
			}
			if ((wait = pace_wait(p, &pc, pend->est)) > 0)
				break;
			pace_take(&pc, pend->est);
			w = wire_body(p, body);
			json_decref(body);
			body = NULL;
			s = json_dumps(w, JSON_COMPACT);
			json_decref(w);
			rq.body = s;
			rq.body_len = strlen(s);
			aas_http_start(p->http, &rq, pend);
			free(s);
			pend = NULL;
			inflight++;
		}
		if (inflight == 0) {
			if (pend == NULL)
				break;
			aas_p_sleep_ms((long)(wait > 1000 ? 1000 : wait));
			continue;
		}
		got = aas_http_wait(p->http, pend != NULL && wait > 0 ?
		    (long)wait : -1, (void **)&j, &rc, &rs, &re);
		if (got <= 0)
			continue;
		inflight--;
		res = NULL;
		if (rc == 0) {
			res = sync_result(p, rs.json, rs.status, rs.request_id);
			u = json_object_get(res, "usage");
			actual = (long)(aas_p_int(u, "input") +
			    aas_p_int(u, "output"));
			if (pc.tok.per_min > 0 && actual > 0)
				pc.tok.level += (double)(j->est - actual);
			if (result_failed(res, &re)) {
				json_decref(res);
				res = NULL;
				rc = -1;
			}
		}
		aas_http_resp_free(&rs);
		done(arg, j->tag, rc == 0 ? res : NULL, rc == 0 ? NULL : &re);
		json_decref(res);
		free(j);
	}
	json_decref(body);
	free(url);
	return 0;
}
