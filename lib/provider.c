/*
 * provider.c: the registry of providers and provider.h's functions,
 * dispatched through each provider's operations (provider-int.h); keys,
 * the concurrent synchronous driver and its pacing.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
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

/* The registry: one line per provider (aliases after their provider). */
static const struct {
	const char			*name;
	const struct aas_provider_ops	*ops;
	int				 alias;
} registry[] = {
	{ "openai",	&aas_openai_ops,	0 },
	{ "anthropic",	&aas_anthropic_ops,	0 },
	{ "vllm",	&aas_openai_ops,	1 },
};
#define NREGISTRY (sizeof(registry) / sizeof(registry[0]))

static const struct aas_provider_ops *
lookup(const char *name, int aliases)
{
	size_t i;

	for (i = 0; i < NREGISTRY; i++)
		if (strcmp(registry[i].name, name) == 0 &&
		    (aliases || !registry[i].alias))
			return registry[i].ops;
	return NULL;
}

const struct aas_provider_info *
aas_provider_info(const char *name)
{
	const struct aas_provider_ops *ops = lookup(name, 0);

	return ops ? &ops->info : NULL;
}

const char *
aas_provider_names(void)
{
	static char names[256];
	size_t i, n = 0, k = 0;

	if (names[0] != '\0')
		return names;
	for (i = 0; i < NREGISTRY; i++)
		n += !registry[i].alias;
	for (i = 0; i < NREGISTRY; i++) {
		if (registry[i].alias)
			continue;
		k++;
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		    "%s%s", k == 1 ? "" : k == n ? " or " : ", ",
		    registry[i].name);
	}
	return names;
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

/* The http client's on_response hook: keep what the headers say. */
static void
ratelimit_note(void *arg, long status, json_t *headers)
{
	struct aas_provider *p = arg;

	(void)status;
	p->ops->ratelimits(p, headers);
}

/*
 * From here on the process holds a key: no core file (RLIMIT_CORE 0,
 * for good) and not dumpable (no core through a pipe either, no
 * ptrace or /proc/PID/mem by other processes of the user).
 */
static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
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
	const struct aas_provider_ops *ops;
	struct aas_provider *p;
	const char *base, *q, *env;
	char *key = NULL;
	size_t n;
	int envlen;

	*pp = NULL;
	if (o == NULL)
		o = &def;
	ops = lookup(o->kind != NULL ? o->kind : AAS_PROVIDER_DEFAULT, 1);
	if (ops == NULL)
		return aas_err_set(e, "config", "unknown provider '%s' "
		    "(%s)", o->kind, aas_provider_names());
	/* "OPENAI" of OPENAI_API_KEY, for the messages */
	envlen = (int)(strlen(ops->key_env) - strlen("_API_KEY"));
	p = aas_xcalloc(1, sizeof(*p));
	p->ops = ops;
	base = o->base_url;
	if (base == NULL || *base == '\0')
		base = getenv(ops->base_env);
	if (base == NULL || *base == '\0')
		base = ops->default_base;
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
	env = getenv(ops->key_env);
	if (o->key != NULL && *o->key)
		key = aas_xstrdup(o->key);
	else if (env != NULL && *env)
		key = aas_xstrdup(env);
	else if (o->key_file != NULL) {
		if ((key = key_from_file(o->key_file, e)) == NULL) {
			aas_provider_close(p);
			return -1;
		}
	}
	if (key == NULL) {
		aas_provider_close(p);
		return aas_err_set(e, "config", "no API key: set %s "
		    "or a key file", ops->key_env);
	}
	no_core_dumps();
	if (!good_key(key)) {
		free(key);
		aas_provider_close(p);
		return aas_err_set(e, "config", "the %.*s API key holds "
		    "spaces or control characters", envlen, ops->key_env);
	}
	aas_secret_add(key);
	ops->auth(p->auth, key);
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
	ho.on_response = ratelimit_note;
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
	return p->ops->info.name;
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
		out = p->ops->default_max_tokens;
	return n + out;
}

/* Batches. */

json_t *
aas_provider_batch_line(const struct aas_provider *p, const char *custom_id,
    const char *endpoint, json_t *body)
{
	return p->ops->batch_line(custom_id, endpoint, body);
}

json_t *
aas_provider_batch_norm(const struct aas_provider *p, json_t *raw)
{
	if (!json_is_object(raw))
		return NULL;
	return p->ops->batch_norm(raw);
}

int
aas_provider_submit(struct aas_provider *p, const char *path,
    const char *endpoint, json_t *metadata,
    void (*on_file)(const char *file_id, void *arg), void *arg,
    json_t **batchp, struct aas_err *e)
{
	*batchp = NULL;
	return p->ops->submit(p, path, endpoint ? endpoint :
	    p->ops->info.endpoint, metadata, on_file, arg, batchp, e);
}

int
aas_provider_find_run(struct aas_provider *p, const char *run,
    json_t **batchp, struct aas_err *e)
{
	*batchp = NULL;
	if (p->ops->find_run == NULL)
		return aas_err_set(e, "unsupported", "%s batches "
		    "carry no metadata: a run cannot be found by its id "
		    "(the batches journal holds the batch id)",
		    p->ops->info.name);
	return p->ops->find_run(p, run, batchp, e);
}

int
aas_provider_find_own(struct aas_provider *p, const char *run,
    long long since, long count, int (*known)(const char *, void *),
    void *arg, json_t **batchp, struct aas_err *e)
{
	*batchp = NULL;
	return p->ops->find_own(p, run, since, count, known, arg, batchp, e);
}

int
aas_provider_create_refused(const struct aas_provider *p, const char *code,
    int file_known)
{
	return p->ops->create_refused(code, file_known);
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
	path = aas_xasprintf("%s/%s%s", p->ops->batches_path, id, suffix);
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
	return aas_p_list(p, cb, arg, e);
}

int
aas_provider_download(struct aas_provider *p, json_t *batch,
    const char *which, const char *path, int *gotp, struct aas_err *e)
{
	*gotp = 0;
	if (strcmp(which, "output") != 0 && strcmp(which, "error") != 0 &&
	    strcmp(which, "input") != 0)
		return aas_err_set(e, "bad_request", "download: '%s' is not "
		    "output, error or input", which);
	return p->ops->download(p, batch, which, path, gotp, e);
}

/* The parser of a results line: ours, or another provider's shape. */
static const struct aas_provider_ops *
line_ops(const struct aas_provider *p, json_t *o)
{
	size_t i;

	if (!p->ops->reads_foreign ||
	    json_object_get(o, p->ops->result_key) != NULL)
		return p->ops;
	for (i = 0; i < NREGISTRY; i++)
		if (!registry[i].alias && registry[i].ops != p->ops &&
		    json_object_get(o, registry[i].ops->result_key) != NULL)
			return registry[i].ops;
	return p->ops;
}

/* A string of the provider's with every registered secret replaced
 * (NULs included: each piece between them), or NULL when it holds none. */
static json_t *
redacted_string(json_t *v)
{
	const char *s = json_string_value(v), *q;
	size_t len = json_string_length(v), n;
	struct aas_buf b = AAS_BUF_INIT;
	char *piece, *clean, *out;
	int changed = 0;
	json_t *r;

	for (q = s; q <= s + len; q += n + 1) {
		n = strnlen(q, (size_t)(s + len - q));
		piece = aas_xstrndup(q, n);
		clean = aas_redact(piece);
		changed |= strcmp(clean, piece) != 0;
		aas_buf_adds(&b, clean);
		if (q + n < s + len)
			aas_buf_addc(&b, '\0');
		free(piece);
		free(clean);
	}
	out = aas_buf_detach(&b, &n);
	r = changed ? json_stringn(out, n) : NULL;
	free(out);
	return r;
}

/* Every string in v (object values, array items) redacted in place. */
static void
redact_tree(json_t *v)
{
	const char *k;
	json_t *x, *r;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			if (json_is_string(x) && (r = redacted_string(x)) !=
			    NULL)
				json_object_set_new(v, k, r);
			else
				redact_tree(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_string(x) && (r = redacted_string(x)) !=
			    NULL)
				json_array_set_new(v, i, r);
			else
				redact_tree(x);
		}
	}
}

/* line_ops on the text of a checked line */
static const struct aas_provider_ops *
line_ops_text(const struct aas_provider *p, const char *s,
    struct aas_jspan doc)
{
	struct aas_jspan v;
	size_t i;

	if (!p->ops->reads_foreign ||
	    aas_jscan_member(s, doc, p->ops->result_key, &v))
		return p->ops;
	for (i = 0; i < NREGISTRY; i++)
		if (!registry[i].alias && registry[i].ops != p->ops &&
		    aas_jscan_member(s, doc, registry[i].ops->result_key, &v))
			return registry[i].ops;
	return p->ops;
}

static int
parse_result(const struct aas_provider *p, const char *line, size_t len,
    int pick, json_t **resp, struct aas_err *e)
{
	const struct aas_provider_ops *ops = NULL;
	struct aas_jspan doc;
	json_error_t jerr;
	json_t *o = NULL;
	char top;
	int rc;

	*resp = NULL;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	/* a line that checks needs only the members its parser reads: a
	 * tree of the whole line costs more than the rest of aas-fetch */
	if (pick == 2 || (pick && aas_jscan_check(line, len, &top) == 0 &&
	    top == '{')) {
		doc = aas_jscan_doc(line, len);
		ops = line_ops_text(p, line, doc);
		if (ops->pick_line != NULL)
			o = ops->pick_line(line, doc);
	}
	if (o == NULL) {
		o = json_loadb(line, len, 0, &jerr);
		if (!json_is_object(o)) {
			json_decref(o);
			return aas_err_set(e, "bad_result", "result line is "
			    "not a JSON object: %s", o ? "wrong type" :
			    jerr.text);
		}
		ops = line_ops(p, o);
	}
	rc = ops->parse_line(o, resp, e);
	json_decref(o);
	redact_tree(*resp);
	return rc;
}

int
aas_provider_parse_result(const struct aas_provider *p, const char *line,
    size_t len, json_t **resp, struct aas_err *e)
{
	return parse_result(p, line, len, 1, resp, e);
}

int
aas_provider_parse_checked(const struct aas_provider *p, const char *line,
    size_t len, json_t **resp, struct aas_err *e)
{
	return parse_result(p, line, len, 2, resp, e);
}

int
aas_provider_parse_plain(const struct aas_provider *p, const char *s,
    size_t n, struct aas_result_plain *pl)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	/* a plain answer has the member its own parser is chosen by
	 * (line_ops_text): no walk to find it */
	return p->ops->plain_line != NULL &&
	    p->ops->plain_line(s, aas_jscan_doc(s, n), pl);
}

int
aas_provider_parse_result_tree(const struct aas_provider *p,
    const char *line, size_t len, json_t **resp, struct aas_err *e)
{
	return parse_result(p, line, len, 0, resp, e);
}

/* Synchronous calls. */

static json_t *
sync_result(struct aas_provider *p, json_t *body, long status,
    const char *rid)
{
	json_t *r = p->ops->chat_result(body, status, rid);

	redact_tree(r);
	return r;
}

static int
result_failed(json_t *r, struct aas_err *e)
{
	json_t *er;
	size_t i;

	if (json_is_true(json_object_get(r, "ok")))
		return 0;
	/* several choices: failed only when none of them is good */
	json_array_foreach(json_object_get(r, "choices"), i, er)
		if (json_is_true(json_object_get(er, "ok")))
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
	return p->ops->wire_body(body);
}

static const char *
chat_path(struct aas_provider *p)
{
	return p->ops->chat_path;
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
		} else
			aas_p_classify(&rs, &re);
		aas_http_resp_free(&rs);
		done(arg, j->tag, rc == 0 ? res : NULL, rc == 0 ? NULL : &re);
		json_decref(res);
		free(j);
	}
	json_decref(body);
	free(url);
	return 0;
}
