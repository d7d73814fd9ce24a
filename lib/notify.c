/* notify.c: the target registry, outcomes, the notify journal, driving. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "ids.h"
#include "notify.h"
#include "state.h"
#include "banned.h"

#define JOURNAL "notify"

extern const struct aas_target_ops aas_target_webhook;
extern const struct aas_target_ops aas_target_slack;
extern const struct aas_target_ops aas_target_discord;
extern const struct aas_target_ops aas_target_github;
extern const struct aas_target_ops aas_target_gitlab;
extern const struct aas_target_ops aas_target_linear;

/* Every kind; aas-notify's options come in this order. */
static const struct aas_target_ops *const registry[] = {
	&aas_target_webhook,
	&aas_target_slack,
	&aas_target_discord,
	&aas_target_github,
	&aas_target_gitlab,
	&aas_target_linear,
};
#define NREGISTRY (sizeof(registry) / sizeof(registry[0]))

const struct aas_target_ops *
aas_target_at(size_t i)
{
	return i < NREGISTRY ? registry[i] : NULL;
}

const struct aas_target_ops *
aas_target_find(const char *name)
{
	size_t i;

	for (i = 0; i < NREGISTRY; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

/* ---------------------------------------------------------------- */
/* outcomes */

static json_t *
copy_or_null(json_t *v)
{
	return v != NULL ? json_deep_copy(v) : json_null();
}

static json_t *
get2(json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

json_t *
aas_notify_outcome(json_t *rec, const char *status)
{
	json_t *data, *checks, *qc, *c, *u, *err, *v;
	char type[64], ts[32];
	size_t i, k;

	snprintf(type, sizeof(type), "task.%s", status != NULL ? status :
	    "reported");
	for (k = 5; type[k] != '\0'; k++)
		type[k] = type[k] == ' ' ? '_' : (char)((type[k] >= 'A' &&
		    type[k] <= 'Z') ? type[k] + 32 : type[k]);
	aas_iso8601((long long)time(NULL), ts, sizeof(ts));
	data = json_object();
	json_object_set_new(data, "id", copy_or_null(json_object_get(rec,
	    "id")));
	json_object_set_new(data, "title", copy_or_null(json_object_get(rec,
	    "title")));
	json_object_set_new(data, "status", status != NULL ?
	    json_string(status) : json_null());
	json_object_set_new(data, "branch", copy_or_null(get2(rec, "apply",
	    "branch")));
	json_object_set_new(data, "commit", copy_or_null(get2(rec, "apply",
	    "commit")));
	json_object_set_new(data, "base", copy_or_null(get2(rec, "apply",
	    "base")));
	json_object_set_new(data, "files", copy_or_null(get2(rec, "apply",
	    "files")));
	qc = get2(rec, "qa", "checks");
	if (json_is_array(qc)) {
		checks = json_array();
		json_array_foreach(qc, i, c)
			json_array_append_new(checks, json_pack(
			    "{s:O?, s:O?, s:O?, s:O?}",
			    "name", json_object_get(c, "name"),
			    "ok", json_object_get(c, "ok"),
			    "exit", json_object_get(c, "exit"),
			    "ms", json_object_get(c, "ms")));
	} else
		checks = json_null();
	json_object_set_new(data, "checks", checks);
	json_object_set_new(data, "summary", copy_or_null(get2(rec, "plan",
	    "summary")));
	/* the attempt the record is on (aas-submit --repair counts them);
	 * a record that was sent and never repaired is on its first */
	v = json_object_get(rec, "attempt");
	if (json_is_integer(v))
		json_object_set_new(data, "attempts", json_copy(v));
	else
		json_object_set_new(data, "attempts",
		    json_object_get(rec, "request") != NULL ?
		    json_integer(1) : json_null());
	v = get2(rec, "request", "model");
	if (v == NULL)
		v = get2(rec, "response", "model");
	json_object_set_new(data, "model", copy_or_null(v));
	u = get2(rec, "response", "usage");
	json_object_set_new(data, "usage", json_is_object(u) ? json_pack(
	    "{s:O?, s:O?}", "input", json_object_get(u, "input"), "output",
	    json_object_get(u, "output")) : json_null());
	json_object_set_new(data, "usd", copy_or_null(get2(rec, "response",
	    "usd")));
	if (json_is_object(err = json_object_get(rec, "error")))
		json_object_set_new(data, "error", json_pack(
		    "{s:O?, s:O?, s:O?}", "stage", json_object_get(err,
		    "stage"), "code", json_object_get(err, "code"),
		    "message", json_object_get(err, "message")));
	json_object_set_new(data, "fields", copy_or_null(json_object_get(rec,
	    "fields")));
	return json_pack("{s:s, s:s, s:o}", "type", type, "timestamp", ts,
	    "data", data);
}

/* ---------------------------------------------------------------- */
/* the driver */

struct tgt {
	const struct aas_target_ops *ops;
	struct aas_target *t;
	char	 hash[13];
	int	 gone;
	char	 gone_why[300];
	json_t	*pending;	/* outcomes kept for finish */
	json_t	*pending_ids;	/* their delivery ids */
};

struct aas_notify {
	struct aas_state *st;
	int	 dry_run;
	json_t	*seen;		/* delivery id -> 1 intent, 2 done */
	struct tgt *tg;
	size_t	 n;
};

static int
journal_line(json_t *obj, void *arg)
{
	struct aas_notify *n = arg;
	const char *ev = json_string_value(json_object_get(obj, "ev"));
	const char *id = json_string_value(json_object_get(obj, "id"));
	json_t *cov, *c;
	size_t i;

	if (ev == NULL || id == NULL)
		return 0;
	if (strcmp(ev, "done") == 0) {
		json_object_set_new(n->seen, id, json_integer(2));
		cov = json_object_get(obj, "covers");
		json_array_foreach(cov, i, c)
			if (json_is_string(c))
				json_object_set_new(n->seen,
				    json_string_value(c), json_integer(2));
	} else if (strcmp(ev, "intent") == 0 &&
	    json_object_get(n->seen, id) == NULL)
		json_object_set_new(n->seen, id, json_integer(1));
	return 0;
}

int
aas_notify_open(struct aas_notify **np, struct aas_state *st, int dry_run,
    struct aas_err *e)
{
	struct aas_notify *n = aas_xcalloc(1, sizeof(*n));

	n->st = st;
	n->dry_run = dry_run;
	n->seen = json_object();
	if (st != NULL && aas_journal_read(st, JOURNAL, journal_line, n,
	    e) < 0) {
		json_decref(n->seen);
		free(n);
		return -1;
	}
	*np = n;
	return 0;
}

int
aas_notify_add(struct aas_notify *n, const struct aas_target_ops *ops,
    const struct aas_target_env *env, struct aas_err *e)
{
	struct tgt *g;

	n->tg = aas_xreallocarray(n->tg, n->n + 1, sizeof(*n->tg));
	g = &n->tg[n->n];
	memset(g, 0, sizeof(*g));
	g->ops = ops;
	if (ops->open(&g->t, env, g->hash, e) == -1) {
		aas_err_prefix(e, "--%s", ops->name);
		return -1;
	}
	g->pending = json_array();
	g->pending_ids = json_array();
	n->n++;
	return 0;
}

static void
delivery_id(const char *kind, const char *hash, const char *task,
    const char *ohash, char out[29])
{
	char *s = aas_xasprintf("%s\n%s\n%s\n%s", kind, hash, task, ohash);
	char hex[65];

	aas_sha256_hex(s, strlen(s), hex);
	snprintf(out, 29, "msg_%.24s", hex);
	free(s);
}

static void
outcome_hash(json_t *outcome, char out[17])
{
	json_t *o = json_pack("{s:O?, s:O?}", "type", json_object_get(outcome,
	    "type"), "data", json_object_get(outcome, "data"));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS), hex[65];

	aas_sha256_hex(s, strlen(s), hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
	free(s);
	json_decref(o);
}

static int
journal(struct aas_notify *n, const char *ev, const char *id,
    const struct tgt *g, const char *task, const char *ohash, json_t *covers,
    json_t *detail, struct aas_err *e)
{
	char at[32];
	json_t *o;
	int rc;

	aas_iso8601((long long)time(NULL), at, sizeof(at));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:O?, s:O?, s:s}",
	    "ev", ev, "id", id, "kind", g->ops->name, "target", g->hash,
	    "task", task, "outcome", ohash, "covers", covers, "detail", detail,
	    "at", at);
	if (covers == NULL)
		json_object_del(o, "covers");
	if (detail == NULL)
		json_object_del(o, "detail");
	if (task == NULL)
		json_object_del(o, "task");
	if (ohash == NULL)
		json_object_del(o, "outcome");
	rc = aas_journal_append(n->st, JOURNAL, o, e);
	json_decref(o);
	if (rc == 0)
		json_object_set_new(n->seen, id, json_integer(
		    strcmp(ev, "done") == 0 ? 2 : 1));
	return rc;
}

static int
seen(const struct aas_notify *n, const char *id)
{
	return (int)json_integer_value(json_object_get(n->seen, id));
}

/* A target's detail or error text, with every secret taken out. */
static json_t *
clean_detail(json_t *d)
{
	char *s, *r;
	json_t *out;

	if (d == NULL)
		return json_string("");
	if (json_is_string(d)) {
		r = aas_redact(json_string_value(d));
		out = json_string(r);
		free(r);
		return out;
	}
	s = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
	r = aas_redact(s);
	out = json_loads(r, JSON_DECODE_ANY, NULL);
	free(s);
	free(r);
	return out != NULL ? out : json_string("[redacted]");
}

static json_t *
entry(const struct tgt *g, json_t *ok, json_t *detail)
{
	return json_pack("{s:s, s:o, s:o, s:s}", "kind", g->ops->name,
	    "ok", ok, "detail", detail, "hash", g->hash);
}

/* A link another target made for this task (a pull request's URL). */
static void
add_link(json_t *links, const char *kind, json_t *detail)
{
	const char *u = json_string_value(detail);

	if (u == NULL)
		u = json_string_value(json_object_get(detail, "url"));
	if (u != NULL && (strncmp(u, "https://", 8) == 0 ||
	    strncmp(u, "http://", 7) == 0))
		json_array_append_new(links, json_pack("{s:s, s:s}", "kind",
		    kind, "url", u));
}

json_t *
aas_notify_record(struct aas_notify *n, json_t *outcome, int *failedp)
{
	json_t *list = json_array(), *detail, *links = json_array();
	json_t *data = json_object_get(outcome, "data"), *kept;
	const char *task = json_string_value(json_object_get(data, "id"));
	char ohash[17], id[29];
	struct aas_err e;
	struct tgt *g;
	size_t k;
	int rc;

	*failedp = 0;
	outcome_hash(outcome, ohash);
	for (k = 0; k < n->n; k++) {
		g = &n->tg[k];
		if (task == NULL || *task == '\0') {
			json_array_append_new(list, entry(g, json_false(),
			    json_string("the record has no id")));
			*failedp = 1;
			continue;
		}
		if (g->gone) {
			json_array_append_new(list, entry(g, json_false(),
			    json_string(g->gone_why)));
			if (!aas_quiet)
				aas_msg("%s: %s %s: %s", task, g->ops->name,
				    g->hash, g->gone_why);
			*failedp = 1;
			continue;
		}
		delivery_id(g->ops->name, g->hash, task, ohash, id);
		if (seen(n, id) == 2) {
			json_array_append_new(list, entry(g, json_true(),
			    json_string("already delivered")));
			continue;
		}
		if (g->ops->deliver == NULL || (g->ops->per_run != NULL &&
		    g->ops->per_run(g->t))) {
			rc = 1;
			detail = NULL;
		} else {
			detail = NULL;
			if (!n->dry_run && seen(n, id) == 1 && aas_verbose)
				aas_msg("%s: %s %s: sending %s again: an earlier "
				    "run was stopped while sending it", task,
				    g->ops->name, g->hash, id);
			if (!n->dry_run && journal(n, "intent", id, g, task,
			    ohash, NULL, NULL, &e) == -1)
				rc = -1;
			else
				rc = g->ops->deliver(g->t, outcome, id, &detail,
				    &e);
		}
		if (rc == 1) {
			kept = json_deep_copy(outcome);
			json_object_set(json_object_get(kept, "data"), "links",
			    links);
			json_array_append_new(g->pending, kept);
			json_array_append_new(g->pending_ids, json_string(id));
			json_array_append_new(list, entry(g, json_null(),
			    detail != NULL ? clean_detail(detail) :
			    json_string("in the run's message")));
		} else if (rc == 0) {
			json_t *d = clean_detail(detail);

			if (!n->dry_run && journal(n, "done", id, g, task,
			    ohash, NULL, d, &e) == -1) {
				aas_msg("%s: %s %s: delivered, but %s", task,
				    g->ops->name, g->hash, e.msg);
			}
			add_link(links, g->ops->name, d);
			json_array_append_new(list, entry(g, json_true(), d));
		} else {
			char *m = aas_redact(e.msg);

			if (strcmp(e.code, "gone") == 0) {
				g->gone = 1;
				snprintf(g->gone_why, sizeof(g->gone_why),
				    "not sent: stopped after %s", m);
			}
			json_array_append_new(list, entry(g, json_false(),
			    json_string(m)));
			if (!aas_quiet)
				aas_msg("%s: %s %s: %s", task, g->ops->name,
				    g->hash, m);
			free(m);
			*failedp = 1;
		}
		json_decref(detail);
	}
	json_decref(links);
	return list;
}

int
aas_notify_finish(struct aas_notify *n)
{
	struct aas_buf keys = AAS_BUF_INIT;
	json_t *detail, *c, *d;
	struct aas_err e;
	struct tgt *g;
	char id[29], khash[65];
	size_t k, i;
	int failed = 0, rc;

	for (k = 0; k < n->n; k++) {
		g = &n->tg[k];
		if (g->ops->finish == NULL || json_array_size(g->pending) == 0)
			continue;
		if (g->gone) {
			aas_msg("%s %s: %s", g->ops->name, g->hash, g->gone_why);
			failed++;
			continue;
		}
		aas_buf_reset(&keys);
		json_array_foreach(g->pending_ids, i, c)
			aas_buf_printf(&keys, "%s\n", json_string_value(c));
		aas_sha256_hex(keys.s, keys.len, khash);
		delivery_id(g->ops->name, g->hash, "run", khash, id);
		detail = NULL;
		if (!n->dry_run && journal(n, "intent", id, g, NULL, NULL,
		    g->pending_ids, NULL, &e) == -1)
			rc = -1;
		else
			rc = g->ops->finish(g->t, g->pending, id, &detail, &e);
		if (rc == 0) {
			d = clean_detail(detail);
			if (!n->dry_run && journal(n, "done", id, g, NULL, NULL,
			    g->pending_ids, d, &e) == -1)
				aas_msg("%s %s: delivered, but %s",
				    g->ops->name, g->hash, e.msg);
			if (aas_verbose) {
				char *s = json_dumps(d, JSON_ENCODE_ANY);

				aas_msg("%s %s: %zu tasks reported: %s",
				    g->ops->name, g->hash,
				    json_array_size(g->pending), s);
				free(s);
			}
			json_decref(d);
		} else {
			char *m = aas_redact(e.msg);

			aas_msg("%s %s: %s", g->ops->name, g->hash, m);
			free(m);
			failed++;
		}
		json_decref(detail);
	}
	aas_buf_free(&keys);
	return failed;
}

void
aas_notify_close(struct aas_notify *n)
{
	size_t k;

	if (n == NULL)
		return;
	for (k = 0; k < n->n; k++) {
		if (n->tg[k].ops->close != NULL)
			n->tg[k].ops->close(n->tg[k].t);
		json_decref(n->tg[k].pending);
		json_decref(n->tg[k].pending_ids);
	}
	free(n->tg);
	json_decref(n->seen);
	free(n);
}
