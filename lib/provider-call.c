/*
 * provider-call.c: what every provider file needs: one JSON call, URLs,
 * JSON helpers, the paged batch list, rate-limit bookkeeping.  It sits
 * below openai.c and anthropic.c and calls neither (provider-int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "provider.h"
#include "provider-int.h"
#include "record.h"
#include "banned.h"

const char *
aas_p_str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
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

char *
aas_p_url(const struct aas_provider *p, const char *path)
{
	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0)
		return aas_xstrdup(path);
	return aas_xasprintf("%s%s", p->base, path);
}

/*
 * An error of the whole run rather than of one request: the code it
 * gets instead of http_NNN, or NULL.  OpenAI says model_not_found and
 * insufficient_quota in error.code, Anthropic the kind in error.type
 * (and a missing model is a 404 not_found_error naming the model).
 */
static const char *
run_error_code(long status, const char *body)
{
	json_t *j, *er;
	const char *code, *type, *msg, *rc = NULL;

	j = body != NULL ? json_loads(body, 0, NULL) : NULL;
	er = json_object_get(j, "error");
	code = aas_p_str(er, "code");
	type = aas_p_str(er, "type");
	msg = aas_p_str(er, "message");
	if (code == NULL)
		code = "";
	if (type == NULL)
		type = "";
	if (strcmp(code, "model_not_found") == 0 || (status == 404 &&
	    strcmp(type, "not_found_error") == 0 && msg != NULL &&
	    strncmp(msg, "model:", 6) == 0))
		rc = "model_not_found";
	else if (strcmp(code, "insufficient_quota") == 0 ||
	    strcmp(code, "billing_hard_limit_reached") == 0 ||
	    strcmp(type, "billing_error") == 0)
		rc = "insufficient_quota";
	else if (status == 401)
		rc = "unauthorized";
	else if (status == 403)
		rc = "forbidden";
	json_decref(j);
	return rc;
}

void
aas_p_classify(const struct aas_http_resp *r, struct aas_err *e)
{
	const char *rcode;

	if (e == NULL || r->status < 400 || r->status >= 500)
		return;
	if ((rcode = run_error_code(r->status, r->body)) != NULL)
		snprintf(e->code, sizeof(e->code), "%s", rcode);
}

int
aas_provider_run_error(const char *code)
{
	return strcmp(code, "unauthorized") == 0 ||
	    strcmp(code, "forbidden") == 0 ||
	    strcmp(code, "model_not_found") == 0 ||
	    strcmp(code, "insufficient_quota") == 0;
}

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
	if (rc != 0)
		aas_p_classify(&r, e);
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

int
aas_p_list(struct aas_provider *p, int (*cb)(json_t *, void *), void *arg,
    struct aas_err *e)
{
	json_t *page, *data, *raw, *b;
	char *after = NULL, *path;
	size_t i;
	int stop = 0, more;

	do {
		if (after != NULL)
			path = aas_xasprintf("%s?limit=100&%s=%s",
			    p->ops->batches_path, p->ops->list_after, after);
		else
			path = aas_xasprintf("%s?limit=100",
			    p->ops->batches_path);
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
			if (!json_is_object(raw) ||
			    (b = p->ops->batch_norm(raw)) == NULL)
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
aas_p_find_unlabelled(struct aas_provider *p, long long since, long count,
    int (*known)(const char *, void *), void *arg, json_t **batchp,
    struct aas_err *e)
{
	struct unlabelled u = { since, count, known, arg, NULL, 0 };

	*batchp = NULL;
	if (aas_p_list(p, unlabelled_cb, &u, e) == -1) {
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

void
aas_p_rl_note(struct aas_provider *p, json_t *headers,
    const char *const *kinds, const char *prefix, int field_first,
    int64_t (*reset_ms)(const char *))
{
	static const char *fields[] = { "limit", "remaining", "reset" };
	char name[80], kind[32], *c;
	const char *s;
	json_int_t v;
	int64_t t;
	int i, f, any = 0;

	for (i = 0; kinds[i] != NULL; i++) {
		snprintf(kind, sizeof(kind), "%s", kinds[i]);
		if ((c = strchr(kind, '-')) != NULL)
			*c = '_';
		for (f = 0; f < 3; f++) {
			if (field_first)
				snprintf(name, sizeof(name), "%s-%s-%s",
				    prefix, fields[f], kinds[i]);
			else
				snprintf(name, sizeof(name), "%s-%s-%s",
				    prefix, kinds[i], fields[f]);
			s = json_string_value(json_object_get(headers, name));
			if (s == NULL)
				continue;
			if (f < 2) {
				if (!rl_num(s, &v))
					continue;
				rl_set(p->rl, kind, fields[f], v);
			} else {
				if ((t = reset_ms(s)) < 0)
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

int
aas_p_refused(const char *code)
{
	long st;

	if (aas_provider_run_error(code))
		return 1;
	if (strncmp(code, "http_", 5) != 0)
		return 0;
	st = strtol(code + 5, NULL, 10);
	return st >= 400 && st < 500 && st != 408 && st != 409 && st != 429;
}
