/* forge.c: what the GitHub and GitLab targets share. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "forge.h"
#include "http.h"
#include "notify.h"
#include "push.h"
#include "state.h"
#include "banned.h"

#define SUMMARY_MAX	4000
#define FILES_MAX	100
#define CHECKS_MAX	50
#define CELL_MAX	200

static const char *
hdr(json_t *headers, const char *name)
{
	return json_string_value(json_object_get(headers, name));
}

/* A header holding a whole number, or -1. */
static long long
hdr_num(json_t *headers, const char *name)
{
	const char *s = hdr(headers, name);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtoll(s, &end, 10);
	return *end == '\0' && v >= 0 ? v : -1;
}

static void
on_response(void *arg, long status, json_t *headers)
{
	struct aas_forge *f = arg;
	long long rem, reset;

	(void)status;
	rem = hdr_num(headers, "x-ratelimit-remaining");
	reset = hdr_num(headers, "x-ratelimit-reset");
	if (rem < 0) {
		/* GitLab's names; its reset is Unix seconds too */
		rem = hdr_num(headers, "ratelimit-remaining");
		reset = hdr_num(headers, "ratelimit-reset");
	}
	if (rem < 0)
		return;
	f->remaining = (long)rem;
	f->reset_ms = reset >= 0 ? reset * 1000 : 0;
}

void
aas_forge_init(struct aas_forge *f, const char *kind, const char *api,
    const char *const *headers, const struct aas_target_env *env)
{
	struct aas_http_opts ho;
	size_t n, i;

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->api = aas_xstrdup(api);
	n = strlen(f->api);
	while (n > 0 && f->api[n - 1] == '/')
		f->api[--n] = '\0';
	for (n = 0; headers != NULL && headers[n] != NULL; n++)
		;
	f->headers = aas_xcalloc(n + 2, sizeof(char *));
	for (i = 0; i < n; i++)
		f->headers[i] = aas_xstrdup(headers[i]);
	f->headers[n] = aas_xstrdup("Content-Type: application/json");
	memset(&ho, 0, sizeof(ho));
	ho.verbose = env->verbose;
	ho.on_response = on_response;
	ho.on_response_arg = f;
	f->http = aas_http_new(&ho);
	f->st = env->st;
	f->remaining = -1;
}

void
aas_forge_open(struct aas_forge *f, const struct aas_forge_flow *fl,
    struct aas_forge_conf *c, const char *const *headers,
    const struct aas_target_env *env, char hash[13])
{
	char *id;

	aas_forge_init(f, fl->kind, c->api, headers, env);
	f->flow = fl;
	f->conf = c;
	id = aas_xasprintf("%s %s", f->api, c->where);
	aas_notify_hash(fl->kind, id, hash);
	free(id);
}

void
aas_forge_fini(struct aas_forge *f)
{
	size_t i;

	if (f->headers != NULL)
		for (i = 0; f->headers[i] != NULL; i++)
			free(f->headers[i]);
	free(f->headers);
	free(f->api);
	aas_http_free(f->http);
	memset(f, 0, sizeof(*f));
}

int64_t
aas_forge_rate_delay(long status, json_t *headers, json_t *body,
    int64_t now_ms)
{
	const char *msg = json_string_value(json_object_get(body, "message"));
	long long rem, reset;
	int64_t d;

	if (status != 403 && status != 429)
		return -1;
	d = aas_http_retry_delay_ms(headers, now_ms);
	if (d >= 0)
		return d;
	rem = hdr_num(headers, "x-ratelimit-remaining");
	reset = hdr_num(headers, "x-ratelimit-reset");
	if (rem < 0) {
		rem = hdr_num(headers, "ratelimit-remaining");
		reset = hdr_num(headers, "ratelimit-reset");
	}
	if (rem == 0 && reset >= 0) {
		d = reset * 1000 - now_ms + 1000;
		return d < 1000 ? 1000 : d;
	}
	/* GitHub: without retry-after, wait at least a minute */
	if (msg != NULL && strstr(msg, "secondary rate limit") != NULL)
		return 60000;
	return status == 429 ? 60000 : -1;
}

static int
wait_ms(struct aas_forge *f, int64_t ms, const char *what,
    struct aas_err *e)
{
	if (ms > AAS_FORGE_MAX_WAIT_MS)
		return aas_err_set(e, "rate_limited", "%s: %s: rate limited "
		    "for %lld s more (longer than the %d s aas waits)",
		    f->kind, what, (long long)(ms + 999) / 1000,
		    AAS_FORGE_MAX_WAIT_MS / 1000);
	if (aas_verbose)
		aas_msg("%s: %s: rate limited, waiting %lld ms", f->kind, what,
		    (long long)ms);
	f->waits++;
	if (aas_state_sleep(f->st, ms) == -1)
		return aas_err_set(e, "stopped", "%s: %s: stopped while "
		    "waiting for a rate limit", f->kind, what);
	return 0;
}

/* GitHub's 422 says "Validation Failed" and puts the reasons in errors[];
 * GitLab's message may be a list: either is added to the message. */
static void
add_reasons(struct aas_err *e, json_t *body)
{
	json_t *list = json_object_get(body, "errors"), *it;
	const char *m, *fld, *code;
	size_t i, n;

	if (!json_is_array(list))
		list = json_object_get(body, "message");
	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, it) {
		n = strlen(e->msg);
		if (n + 8 >= sizeof(e->msg))
			return;
		m = json_is_string(it) ? json_string_value(it) :
		    json_string_value(json_object_get(it, "message"));
		fld = json_string_value(json_object_get(it, "field"));
		code = json_string_value(json_object_get(it, "code"));
		if (m != NULL)
			snprintf(e->msg + n, sizeof(e->msg) - n, "%s%s",
			    i == 0 ? ": " : "; ", m);
		else if (fld != NULL)
			snprintf(e->msg + n, sizeof(e->msg) - n, "%s%s %s",
			    i == 0 ? ": " : "; ", fld, code != NULL ? code :
			    "invalid");
	}
}

int
aas_forge_call(struct aas_forge *f, const char *method, const char *path,
    json_t *body, int unsafe, struct aas_http_resp *resp, struct aas_err *e)
{
	struct aas_http_req rq;
	char *url, *text = NULL;
	int64_t d;
	int rc, round;

	url = strncmp(path, "http", 4) == 0 ? aas_xstrdup(path) :
	    aas_xasprintf("%s%s", f->api, path);
	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT);
	memset(resp, 0, sizeof(*resp));
	for (round = 0;; round++) {
		if (f->remaining == 0 && f->reset_ms > aas_unix_ms()) {
			d = f->reset_ms - aas_unix_ms() + 1000;
			f->remaining = -1;
			if (wait_ms(f, d, path, e) == -1) {
				rc = -1;
				break;
			}
		}
		memset(&rq, 0, sizeof(rq));
		rq.method = method;
		rq.url = url;
		rq.headers = (const char *const *)f->headers;
		rq.body = text;
		rq.body_len = text != NULL ? strlen(text) : 0;
		rq.json = 1;
		rq.unsafe = unsafe;
		aas_http_resp_free(resp);
		memset(resp, 0, sizeof(*resp));
		rc = aas_http_do(f->http, &rq, resp, e);
		if (rc == 0 || round >= 4)
			break;
		d = aas_forge_rate_delay(resp->status, resp->headers,
		    resp->json, aas_unix_ms());
		if (d < 0)
			break;
		if (wait_ms(f, d, path, e) == -1)
			break;
	}
	if (rc == -1 && resp->status >= 400 && resp->status < 500)
		add_reasons(e, resp->json);
	free(text);
	free(url);
	return rc;
}

char *
aas_forge_escape(const char *s)
{
	struct aas_buf b = AAS_BUF_INIT;
	const unsigned char *p;

	aas_buf_adds(&b, "");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~')
			aas_buf_addc(&b, *p);
		else
			aas_buf_printf(&b, "%%%02X", *p);
	}
	return aas_buf_detach(&b, NULL);
}

char *
aas_forge_slug(const char *url)
{
	const char *p, *end;
	size_t n;

	if ((p = strstr(url, "://")) != NULL) {
		p += 3;
		p += strcspn(p, "/");
	} else if ((p = strchr(url, ':')) != NULL && p[1] != '\0')
		p++;
	else
		return NULL;
	while (*p == '/')
		p++;
	end = p + strcspn(p, "?#");
	n = (size_t)(end - p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	if (n > 4 && memcmp(p + n - 4, ".git", 4) == 0)
		n -= 4;
	if (n == 0 || memchr(p, '/', n) == NULL || p[n - 1] == '/')
		return NULL;
	return aas_xstrndup(p, n);
}

const char *
aas_forge_getenv(const char *a, const char *b)
{
	const char *v = getenv(a);

	if ((v == NULL || *v == '\0') && b != NULL)
		v = getenv(b);
	return v != NULL && *v != '\0' ? v : NULL;
}

static const char *
dstr(json_t *data, const char *key)
{
	return json_string_value(json_object_get(data, key));
}

/* n bytes of s at most, not splitting a UTF-8 character. */
static size_t
cut(const char *s, size_t n)
{
	size_t len = strlen(s);

	if (len <= n)
		return len;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

char *
aas_forge_title(json_t *outcome, const char *prefix)
{
	json_t *data = json_object_get(outcome, "data");
	const char *id = dstr(data, "id"), *title = dstr(data, "title");
	char *t, *one;
	size_t n;

	if (title == NULL || *title == '\0')
		t = aas_xstrdup(id != NULL ? id : "aas task");
	else
		t = aas_xasprintf("%s: %s", id != NULL ? id : "aas", title);
	for (one = t; *one != '\0'; one++)
		if (*one == '\n' || *one == '\r' || *one == '\t')
			*one = ' ';
	n = cut(t, 250);
	one = aas_xasprintf("%s%.*s", prefix != NULL ? prefix : "", (int)n, t);
	free(t);
	return one;
}

/* s for a table cell: one line, | escaped, at most CELL_MAX bytes. */
static void
add_cell(struct aas_buf *b, const char *s)
{
	size_t n = cut(s, CELL_MAX), i;

	for (i = 0; i < n; i++) {
		if (s[i] == '|')
			aas_buf_adds(b, "\\|");
		else if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			aas_buf_addc(b, ' ');
		else
			aas_buf_addc(b, s[i]);
	}
	if (n < strlen(s))
		aas_buf_adds(b, "...");
}

/* A path as inline code (backticks in it cannot close the span). */
static void
add_code(struct aas_buf *b, const char *s)
{
	size_t n = cut(s, CELL_MAX), i;

	aas_buf_adds(b, "`");
	for (i = 0; i < n; i++)
		aas_buf_addc(b, s[i] == '`' || s[i] == '\n' ? '\'' : s[i]);
	aas_buf_adds(b, "`");
}

static void
add_files(struct aas_buf *b, json_t *files)
{
	const char *path, *op;
	json_t *f;
	size_t i, n = json_array_size(files);

	if (n == 0)
		return;
	aas_buf_printf(b, "\n### Files changed (%zu)\n\n", n);
	json_array_foreach(files, i, f) {
		if (i == FILES_MAX) {
			aas_buf_printf(b, "- ... and %zu more\n", n - i);
			break;
		}
		path = json_is_string(f) ? json_string_value(f) :
		    dstr(f, "path");
		op = json_is_object(f) ? dstr(f, "op") : NULL;
		aas_buf_adds(b, "- ");
		add_code(b, path != NULL ? path : "?");
		if (op != NULL && *op != '\0') {
			aas_buf_adds(b, " (");
			add_cell(b, op);
			aas_buf_adds(b, ")");
		}
		aas_buf_adds(b, "\n");
	}
}

static void
add_checks(struct aas_buf *b, json_t *checks)
{
	const char *name;
	json_t *c, *ex, *ms;
	size_t i, n = json_array_size(checks);

	if (n == 0)
		return;
	aas_buf_adds(b, "\n### Checks\n\n| Check | Result | Exit | Time |\n"
	    "| --- | --- | --- | --- |\n");
	json_array_foreach(checks, i, c) {
		if (i == CHECKS_MAX) {
			aas_buf_printf(b, "\n... and %zu more checks\n", n - i);
			break;
		}
		name = dstr(c, "name");
		aas_buf_adds(b, "| ");
		add_cell(b, name != NULL ? name : "?");
		aas_buf_printf(b, " | %s | ", json_is_true(json_object_get(c,
		    "ok")) ? "passed" : "**failed**");
		ex = json_object_get(c, "exit");
		if (json_is_integer(ex))
			aas_buf_printf(b, "%lld", (long long)
			    json_integer_value(ex));
		else
			aas_buf_adds(b, "-");
		ms = json_object_get(c, "ms");
		if (json_is_number(ms))
			aas_buf_printf(b, " | %.1f s |\n",
			    json_number_value(ms) / 1000.0);
		else
			aas_buf_adds(b, " | - |\n");
	}
}

char *
aas_forge_body(json_t *outcome)
{
	struct aas_buf b = AAS_BUF_INIT, r = AAS_BUF_INIT;
	json_t *data = json_object_get(outcome, "data"), *v, *err;
	const char *id = dstr(data, "id"), *title = dstr(data, "title");
	const char *status = dstr(data, "status"), *summary, *s;
	size_t n;

	aas_buf_printf(&b, "<!-- aas-notify: %s -->\n", id != NULL ? id : "");
	aas_buf_printf(&b, "**%s**", id != NULL ? id : "aas task");
	if (title != NULL && *title != '\0') {
		aas_buf_adds(&b, ": ");
		add_cell(&b, title);
	}
	aas_buf_printf(&b, "\n\nStatus: **%s**\n", status != NULL ? status :
	    "unknown");
	summary = dstr(data, "summary");
	if (summary != NULL && *summary != '\0') {
		n = cut(summary, SUMMARY_MAX);
		aas_buf_printf(&b, "\n### Summary\n\n%.*s%s\n", (int)n, summary,
		    n < strlen(summary) ? "\n\n(summary cut)" : "");
	}
	add_files(&b, json_object_get(data, "files"));
	add_checks(&b, json_object_get(data, "checks"));
	err = json_object_get(data, "error");
	if (json_is_object(err)) {
		aas_buf_adds(&b, "\n### Error\n\n");
		s = dstr(err, "stage");
		aas_buf_printf(&b, "%s: ", s != NULL ? s : "?");
		s = dstr(err, "code");
		add_code(&b, s != NULL ? s : "?");
		s = dstr(err, "message");
		if (s != NULL) {
			aas_buf_adds(&b, ": ");
			add_cell(&b, s);
		}
		aas_buf_adds(&b, "\n");
	}
	v = json_object_get(data, "attempts");
	if (json_is_integer(v) && json_integer_value(v) > 1)	/* repaired */
		aas_buf_printf(&r, "- Attempts: %lld\n",
		    (long long)json_integer_value(v));
	s = dstr(data, "model");
	if (s != NULL && *s != '\0') {
		aas_buf_adds(&r, "- Model: ");
		add_cell(&r, s);
		aas_buf_adds(&r, "\n");
	}
	v = json_object_get(data, "usd");
	if (json_is_number(v)) {
		aas_buf_printf(&r, "- Cost: $%.4f", json_number_value(v));
		v = json_object_get(data, "usage");
		if (json_is_integer(json_object_get(v, "input")) &&
		    json_is_integer(json_object_get(v, "output")))
			aas_buf_printf(&r, " (%lld input and %lld output "
			    "tokens)", (long long)json_integer_value(
			    json_object_get(v, "input")), (long long)
			    json_integer_value(json_object_get(v, "output")));
		aas_buf_adds(&r, "\n");
	}
	s = dstr(data, "commit");
	if (s != NULL && *s != '\0')
		aas_buf_printf(&r, "- Commit: %.40s\n", s);
	if (r.len > 0)
		aas_buf_printf(&b, "\n### Run\n\n%s", r.s);
	aas_buf_free(&r);
	aas_buf_adds(&b, "\n<sub>Written by aas-notify; rewritten on each run "
	    "that reports a new outcome.</sub>\n");
	return aas_buf_detach(&b, NULL);
}

int
aas_forge_draft(json_t *outcome)
{
	const char *s = dstr(json_object_get(outcome, "data"), "status");

	return s != NULL && strcmp(s, "Failed") == 0;
}

int
aas_forge_cfg(const struct aas_config *cf, const char *path, const char **out,
    struct aas_err *e)
{
	*out = NULL;
	if (cf == NULL)
		return 0;
	return aas_config_str(cf, path, out, e) == -1 ? -1 : 0;
}

json_t *
aas_forge_labels(const struct aas_config *cf, const char *path)
{
	json_t *v = cf != NULL ? aas_config_get(cf, path) : NULL;

	if (json_is_string(v))
		return json_pack("[O]", v);
	if (json_is_array(v))
		return json_deep_copy(v);
	return json_array();
}

int
aas_forge_maybe_made(const struct aas_http_resp *r)
{
	return r->ambiguous && (r->status == 0 || r->status >= 500 ||
	    (r->status >= 200 && r->status < 300));
}

int
aas_forge_token_check(const char *kind, const char *tok, struct aas_err *e)
{
	const unsigned char *p;

	for (p = (const unsigned char *)tok; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return aas_err_set(e, "config", "the %s token has a space "
			    "or a control character in it", kind);
	return 0;
}

/* The config key KIND.NAME (n->kind's section). */
static int
section_cfg(const struct aas_forge_names *n, const struct aas_config *cf,
    const char *name, const char **out, struct aas_err *e)
{
	char key[64];

	snprintf(key, sizeof(key), "%s.%s", n->kind, name);
	return aas_forge_cfg(cf, key, out, e);
}

int
aas_forge_conf_load(const struct aas_forge_names *n,
    const struct aas_target_env *env, struct aas_forge_conf *c,
    struct aas_err *e)
{
	const char *tok, *api, *where, *remote, *base;
	char key[64];

	memset(c, 0, sizeof(*c));
	tok = aas_forge_getenv(n->token_env, n->token_env2);
	if (tok == NULL)
		return aas_err_set(e, "config", "no token: set %s%s%s",
		    n->token_env, n->token_env2 != NULL ? " or " : "",
		    n->token_env2 != NULL ? n->token_env2 : "");
	aas_secret_add(tok);
	if (aas_forge_token_check(n->service, tok, e) == -1)
		return -1;
	if (section_cfg(n, env->cf, "api_url", &api, e) == -1 ||
	    section_cfg(n, env->cf, n->where_key, &where, e) == -1 ||
	    section_cfg(n, env->cf, "remote", &remote, e) == -1 ||
	    section_cfg(n, env->cf, "base", &base, e) == -1)
		return -1;
	if (aas_forge_getenv(n->api_env, NULL) != NULL)
		api = aas_forge_getenv(n->api_env, NULL);
	if (api == NULL)
		api = n->default_api;
	if (strncmp(api, "https://", 8) != 0 && strncmp(api, "http://", 7) != 0)
		return aas_err_set(e, "config", "API URL '%s' is not "
		    "an http(s) URL", api);
	if (aas_forge_getenv(n->where_env, NULL) != NULL)
		where = aas_forge_getenv(n->where_env, NULL);
	c->api = api;
	c->token = aas_xstrdup(tok);
	c->repo = aas_xstrdup(env->repo != NULL ? env->repo : ".");
	c->dry_run = env->dry_run;
	c->base = base != NULL ? aas_xstrdup(base) : NULL;
	snprintf(key, sizeof(key), "%s.labels", n->kind);
	c->labels = aas_forge_labels(env->cf, key);
	if (aas_push_url(c->repo, remote != NULL ? remote : "origin",
	    &c->push_url, e) == -1) {
		if (strcmp(e->code, "no_repo") == 0)
			snprintf(e->code, sizeof(e->code), "config");
		aas_forge_conf_free(c);
		return -1;
	}
	c->where = where != NULL ? aas_xstrdup(where) :
	    aas_forge_slug(c->push_url);
	return 0;
}

void
aas_forge_conf_free(struct aas_forge_conf *c)
{
	free(c->token);
	free(c->repo);
	free(c->push_url);
	free(c->where);
	free(c->base);
	json_decref(c->labels);
	memset(c, 0, sizeof(*c));
}

int
aas_forge_get_first(struct aas_forge *f, const char *path, const char *what,
    json_t **firstp, struct aas_err *e)
{
	struct aas_http_resp r;
	int rc;

	*firstp = NULL;
	rc = aas_forge_call(f, "GET", path, NULL, 0, &r, e);
	if (rc == 0 && !json_is_array(r.json))
		rc = aas_err_set(e, "bad_response", "%s: the %s list is not a "
		    "list", f->kind, what);
	if (rc == 0 && json_array_size(r.json) > 0)
		*firstp = json_incref(json_array_get(r.json, 0));
	aas_http_resp_free(&r);
	return rc;
}

int
aas_forge_default_base(struct aas_forge *f, struct aas_forge_conf *c,
    const char *path, const char *what, struct aas_err *e)
{
	struct aas_http_resp r;
	const char *b;
	int rc;

	if (c->base != NULL)
		return 0;
	rc = aas_forge_call(f, "GET", path, NULL, 0, &r, e);
	b = rc == 0 ? json_string_value(json_object_get(r.json,
	    "default_branch")) : NULL;
	if (rc == 0 && (b == NULL || *b == '\0'))
		rc = aas_err_set(e, "bad_response", "%s: %s has no default "
		    "branch (set %s.base)", f->kind, what, f->kind);
	if (rc == 0)
		c->base = aas_xstrdup(b);
	aas_http_resp_free(&r);
	return rc;
}

/* 0 with *reqp and *createdp, -1, or 2 when nothing was made and the
 * create may be sent again (e then holds why it failed). */
static int
create_once(const struct aas_forge_flow *fl, struct aas_target *t,
    struct aas_forge *f, const char *branch, const char *title,
    const char *body, int draft, json_t **reqp, int *createdp,
    struct aas_err *e)
{
	struct aas_http_resp r;
	json_t *req;
	char *path, code[24];
	long status;
	int rc, exists;

	*createdp = 0;
	if (fl->base(t, e) == -1)
		return -1;
	req = fl->create_req(t, branch, title, body, draft, &path);
	rc = aas_forge_call(f, "POST", path, req, 1, &r, e);
	free(path);
	json_decref(req);
	if (rc == 0 && json_is_integer(json_object_get(r.json, fl->id_key))) {
		*reqp = json_incref(r.json);
		*createdp = 1;
		aas_http_resp_free(&r);
		return 0;
	}
	exists = rc != 0 && fl->exists(&r);
	if (rc == 0)
		rc = aas_err_set(e, "bad_response", "%s: the new %s has no %s",
		    f->kind, fl->what, fl->id_key);
	else if (exists || aas_forge_maybe_made(&r)) {
		/* made meanwhile, or maybe made by this very call */
		struct aas_err first = *e;

		status = r.status;
		aas_http_resp_free(&r);
		if (fl->find(t, branch, reqp, e) == -1)
			return -1;
		if (*reqp != NULL)
			return 0;
		if (!exists) {
			*e = first;
			return 2;
		}
		snprintf(code, sizeof(code), "http_%ld", status);
		return aas_err_set(e, code, "%s: a %s for %s exists but is not "
		    "listed as open", f->kind, fl->what, branch);
	}
	aas_http_resp_free(&r);
	return rc;
}

int
aas_forge_deliver(struct aas_target *t, json_t *outcome,
    const char *delivery_id, json_t **detailp, struct aas_err *e)
{
	struct aas_forge *f = (struct aas_forge *)t;
	const struct aas_forge_flow *fl = f->flow;
	struct aas_forge_conf *c = f->conf;
	json_t *data = json_object_get(outcome, "data"), *req = NULL;
	const char *branch = dstr(data, "branch"), *commit = dstr(data,
	    "commit"), *url;
	char *title = NULL, *body = NULL;
	int draft = aas_forge_draft(outcome), created = 0, rc, round;

	(void)delivery_id;
	if (branch == NULL || *branch == '\0' || commit == NULL) {
		*detailp = json_string("no branch to push");
		return 0;
	}
	title = aas_forge_title(outcome, draft ? fl->draft_prefix : NULL);
	if (c->dry_run) {
		aas_msg("%s: %s: would push %s (%.12s) to %s and open or "
		    "update its %s%s on %s: %s", f->kind,
		    dstr(data, "id") != NULL ? dstr(data, "id") : "?", branch,
		    commit, c->push_url, draft && fl->draft_prefix == NULL ?
		    "draft " : "", fl->what, c->where, title);
		free(title);
		*detailp = json_string("dry run: nothing sent");
		return 0;
	}
	rc = aas_push_branch(c->repo, c->push_url, branch, commit,
	    fl->push_user, c->token, e);
	if (rc == 1) {
		free(title);
		*detailp = json_pack("s+", "no local branch ", branch);
		return 0;
	}
	if (rc == -1) {
		aas_err_prefix(e, "%s", f->kind);
		goto out;
	}
	body = aas_forge_body(outcome);
	if ((rc = fl->find(t, branch, &req, e)) == -1)
		goto out;
	for (round = 0; req == NULL && round < 3; round++)
		if ((rc = create_once(fl, t, f, branch, title, body, draft,
		    &req, &created, e)) != 2)
			break;
	if (rc == 2)
		rc = -1;
	if (rc == -1)
		goto out;
	if (!created && (rc = fl->update(t, req, title, body, draft, e)) == -1)
		goto out;
	if (fl->labels != NULL && (rc = fl->labels(t, req, e)) == -1)
		goto out;
	url = dstr(req, fl->url_key);
	*detailp = json_string(url != NULL ? url : "");
out:
	json_decref(req);
	free(title);
	free(body);
	return rc;
}
