/* ledger.c: the batches journal, the task spools, the cost ledger. */
#include <sys/file.h>
#include <sys/random.h>
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
#include "config.h"
#include "ledger.h"
#include "provider.h"
#include "record.h"
#include "state.h"
#include "banned.h"

/* An open-addressing map from 64-bit task hashes to small values. */
struct hmap {
	uint64_t *k;
	uint32_t *v;
	size_t	  n;
	size_t	  cap;
};

/* fetched map values: the run index and 1 (ok) or 2 (error) */
#define FETCHED(ri, flag) \
	((uint32_t)(((ri) < 0 ? 0x3fffffffU : (uint32_t)(ri)) << 2 | (flag)))
#define FETCHED_RUN(v)	((v) >> 2)
#define FETCHED_FLAG(v)	((v) & 3)

static uint64_t
hash64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h ? h : 1;
}

static void hmap_put(struct hmap *m, uint64_t k, uint32_t v);

static void
hmap_grow(struct hmap *m)
{
	struct hmap o = *m;
	size_t i;

	m->cap = o.cap ? o.cap * 2 : 1024;
	m->k = aas_xcalloc(m->cap, sizeof(*m->k));
	m->v = aas_xcalloc(m->cap, sizeof(*m->v));
	m->n = 0;
	for (i = 0; i < o.cap; i++)
		if (o.k[i] != 0)
			hmap_put(m, o.k[i], o.v[i]);
	free(o.k);
	free(o.v);
}

static void
hmap_put(struct hmap *m, uint64_t k, uint32_t v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		hmap_grow(m);
	for (i = k & (m->cap - 1); m->k[i] != 0 && m->k[i] != k;
	    i = (i + 1) & (m->cap - 1))
		;
	if (m->k[i] == 0)
		m->n++;
	m->k[i] = k;
	m->v[i] = v;
}

/* The value for k, or (uint32_t)-1. */
static uint32_t
hmap_get(const struct hmap *m, uint64_t k)
{
	size_t i;

	if (m == NULL || m->cap == 0)
		return (uint32_t)-1;
	for (i = k & (m->cap - 1); m->k[i] != 0; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == k)
			return m->v[i];
	return (uint32_t)-1;
}

/* Remove by marking: the value (uint32_t)-1 means absent. */
static void
hmap_del(struct hmap *m, uint64_t k)
{
	size_t i;

	if (m->cap == 0)
		return;
	for (i = k & (m->cap - 1); m->k[i] != 0; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == k) {
			m->v[i] = (uint32_t)-1;
			return;
		}
}

static void
hmap_free(struct hmap *m)
{
	if (m == NULL)
		return;
	free(m->k);
	free(m->v);
	free(m);
}

void
aas_ledger_custom_id(const char *id, const char *sha, char out[65])
{
	char clean[65], hex[65];
	size_t i, n, room;
	int changed = 0;
	const char *s = sha ? sha : "";

	n = strlen(id);
	room = 64 - (*s ? 13 : 0);
	for (i = 0; i < n && i < room; i++) {
		unsigned char c = (unsigned char)id[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-')
			clean[i] = (char)c;
		else {
			clean[i] = '_';
			changed = 1;
		}
	}
	clean[i] = '\0';
	if (n > room || n == 0)
		changed = 1;
	if (changed) {
		aas_sha256_hex(id, n, hex);
		if (i > room - 9)
			i = room - 9;
		clean[i] = '\0';
		snprintf(clean + i, sizeof(clean) - i, "_%.8s", hex);
	}
	{
		char full[96];
		int len;

		len = snprintf(full, sizeof(full), *s ? "%s-%.12s" : "%s",
		    clean, s);
		if (len > 64)
			len = 64;
		memcpy(out, full, (size_t)len);
		out[len] = '\0';
	}
	/* the sha part must be sanitised too */
	for (i = 0; out[i] != '\0'; i++) {
		unsigned char c = (unsigned char)out[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			out[i] = '_';
	}
}

static const struct {
	const char *model;
	struct aas_price p;
} default_prices[] = {
	{ "claude-haiku-4-5",	{ 1.00, 5.00, 0.10 } },
	{ "claude-opus-4-1",	{ 15.00, 75.00, 1.50 } },
	{ "claude-sonnet-4-5",	{ 3.00, 15.00, 0.30 } },
	{ "gpt-4.1",		{ 2.00, 8.00, 0.50 } },
	{ "gpt-4.1-mini",	{ 0.40, 1.60, 0.10 } },
	{ "gpt-4.1-nano",	{ 0.10, 0.40, 0.025 } },
	{ "gpt-4o",		{ 2.50, 10.00, 1.25 } },
	{ "gpt-4o-mini",	{ 0.15, 0.60, 0.075 } },
	{ "o4-mini",		{ 1.10, 4.40, 0.275 } },
};

int
aas_price_lookup(const struct aas_config *cf, const char *model,
    struct aas_price *p, struct aas_err *e)
{
	json_t *prices, *m, *v;
	size_t i;

	prices = cf ? aas_config_get(cf, "prices") : NULL;
	m = json_object_get(prices, model);
	if (m != NULL) {
		if (!json_is_object(m))
			return aas_err_set(e, "config", "%s: prices.%s: not a "
			    "mapping", aas_config_where(cf, "prices"), model);
		v = json_object_get(m, "input");
		if (!json_is_number(v))
			return aas_err_set(e, "config", "%s: prices.%s.input: "
			    "not a number", aas_config_where(cf, "prices"),
			    model);
		p->input = json_number_value(v);
		v = json_object_get(m, "output");
		if (!json_is_number(v))
			return aas_err_set(e, "config", "%s: prices.%s.output: "
			    "not a number", aas_config_where(cf, "prices"),
			    model);
		p->output = json_number_value(v);
		v = json_object_get(m, "cached");
		if (v != NULL && !json_is_number(v))
			return aas_err_set(e, "config", "%s: prices.%s.cached: "
			    "not a number", aas_config_where(cf, "prices"),
			    model);
		p->cached = v ? json_number_value(v) : p->input;
		return 0;
	}
	for (i = 0; i < sizeof(default_prices) / sizeof(default_prices[0]);
	    i++)
		if (strcmp(default_prices[i].model, model) == 0) {
			*p = default_prices[i].p;
			return 0;
		}
	return 1;
}

double
aas_price_usd(const struct aas_price *p, long in, long out, long cached,
    double discount)
{
	if (cached > in)
		cached = in;
	return ((double)(in - cached) * p->input +
	    (double)cached * p->cached + (double)out * p->output) / 1e6 *
	    discount;
}

void
aas_iso8601(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
aas_ledger_new_run_id(void)
{
	unsigned char r[4];
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uint64_t x = (uint64_t)aas_now_ms() ^ ((uint64_t)getpid() << 32);

		memcpy(r, &x, sizeof(r));
	}
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%S", &tm);
	return aas_xasprintf("%s-%ld-%02x%02x%02x%02x", ts, (long)getpid(),
	    r[0], r[1], r[2], r[3]);
}

static char *
jstrdup(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? aas_xstrdup(s) : NULL;
}

static void
setstr(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? aas_xstrdup(s) : NULL;
}

static struct aas_run *
run_add(struct aas_ledger *l, const char *id)
{
	struct aas_run *r;

	l->runs = aas_xreallocarray(l->runs, l->nruns + 1, sizeof(*l->runs));
	r = &l->runs[l->nruns++];
	memset(r, 0, sizeof(*r));
	r->run = aas_xstrdup(id);
	r->usd = -1;
	return r;
}

ssize_t
aas_ledger_find(const struct aas_ledger *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->nruns; i++)
		if (strcmp(l->runs[i].run, key) == 0 ||
		    (l->runs[i].batch_id != NULL &&
		    strcmp(l->runs[i].batch_id, key) == 0))
			return (ssize_t)i;
	return -1;
}

static int
journal_cb(json_t *o, void *arg)
{
	struct aas_ledger *l = arg;
	const char *ev = json_string_value(json_object_get(o, "ev"));
	const char *id = json_string_value(json_object_get(o, "run"));
	struct aas_run *r;
	ssize_t i;

	if (ev == NULL || id == NULL)
		return 0;
	i = aas_ledger_find(l, id);
	r = i >= 0 ? &l->runs[i] : NULL;
	if (strcmp(ev, "intent") == 0 || strcmp(ev, "local") == 0) {
		if (r == NULL)
			r = run_add(l, id);
		r->provider = jstrdup(o, "provider");
		r->model = jstrdup(o, "model");
		r->endpoint = jstrdup(o, "endpoint");
		r->template = jstrdup(o, "template");
		r->file = jstrdup(o, "file");
		r->n = (long)json_integer_value(json_object_get(o, "n"));
		r->bytes = (long)json_integer_value(json_object_get(o,
		    "bytes"));
		r->est_usd = json_number_value(json_object_get(o, "est_usd"));
		r->t = json_integer_value(json_object_get(o, "t"));
		r->state = *ev == 'i' ? AAS_RUN_INTENT : AAS_RUN_LOCAL;
		return 0;
	}
	if (r == NULL)
		return 0;
	if (strcmp(ev, "file") == 0)
		setstr(&r->input_file_id, json_string_value(json_object_get(o,
		    "input_file_id")));
	else if (strcmp(ev, "batch") == 0) {
		setstr(&r->batch_id, json_string_value(json_object_get(o,
		    "id")));
		setstr(&r->input_file_id, json_string_value(json_object_get(o,
		    "input_file_id")));
		setstr(&r->submitted_at, json_string_value(json_object_get(o,
		    "submitted_at")));
		r->state = AAS_RUN_LIVE;
	} else if (strcmp(ev, "abandon") == 0)
		r->state = AAS_RUN_ABANDONED;
	else if (strcmp(ev, "downloaded") == 0)
		r->downloaded = 1;
	else if (strcmp(ev, "done") == 0) {
		r->usd = json_number_value(json_object_get(o, "usd"));
		r->state = AAS_RUN_DONE;
	}
	return 0;
}

static int
fetched_cb(json_t *o, void *arg)
{
	struct aas_ledger *l = arg;
	const char *c = json_string_value(json_object_get(o, "c"));
	const char *run = json_string_value(json_object_get(o, "r"));
	ssize_t ri = run ? aas_ledger_find(l, run) : -1;
	uint32_t flag = json_integer_value(json_object_get(o, "ok")) == 1 ?
	    1 : 2;

	if (c != NULL)
		hmap_put(l->fetched, hash64(c), FETCHED(ri, flag));
	return 0;
}

/* Spend: per run the actual if known, else the estimate; plus syncs. */
struct spend {
	json_t	*runs;		/* run -> [estimate, actual|null] */
	double	 sync;
};

static int
cost_cb(json_t *o, void *arg)
{
	struct spend *sp = arg;
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *run = json_string_value(json_object_get(o, "run"));
	double usd = json_number_value(json_object_get(o, "usd"));
	json_t *a;

	if (kind == NULL || run == NULL)
		return 0;
	if (strcmp(kind, "sync") == 0) {
		sp->sync += usd;
		return 0;
	}
	a = json_object_get(sp->runs, run);
	if (a == NULL) {
		a = json_pack("[f,n]", 0.0);
		json_object_set_new(sp->runs, run, a);
	}
	if (strcmp(kind, "estimate") == 0)
		json_array_set_new(a, 0, json_real(usd));
	else if (strcmp(kind, "actual") == 0)
		json_array_set_new(a, 1, json_real(usd));
	return 0;
}

static int
load_tasks(struct aas_ledger *l, size_t ri, struct aas_err *e)
{
	char *path, *buf = NULL, *tab;
	size_t cap = 0;
	ssize_t n;
	uint64_t h;
	uint32_t v;
	FILE *f;

	path = aas_xasprintf("%s/runs/%s.tasks", aas_state_dir(l->st),
	    l->runs[ri].run);
	f = fopen(path, "re");
	if (f == NULL) {
		int rc = errno == ENOENT ? 0 : aas_err_set(e, "journal",
		    "%s: %s", path, strerror(errno));

		free(path);
		return rc;
	}
	while ((n = getline(&buf, &cap, f)) > 0) {
		if (buf[n - 1] != '\n' || (tab = strchr(buf, '\t')) == NULL)
			continue;
		*tab = '\0';
		h = hash64(buf);
		v = hmap_get(l->fetched, h);
		if (v == (uint32_t)-1 || FETCHED_RUN(v) != (uint32_t)ri)
			hmap_put(l->inflight, h, (uint32_t)ri);
	}
	free(buf);
	fclose(f);
	free(path);
	return 0;
}

int
aas_ledger_open(struct aas_ledger **lp, struct aas_state *st,
    struct aas_err *e)
{
	struct aas_ledger *l;
	struct spend sp = { NULL, 0 };
	const char *k;
	json_t *v;
	size_t i;

	l = aas_xcalloc(1, sizeof(*l));
	l->st = st;
	l->fetched_fd = l->cost_fd = -1;
	l->inflight = aas_xcalloc(1, sizeof(struct hmap));
	l->fetched = aas_xcalloc(1, sizeof(struct hmap));
	if (aas_journal_read(st, "batches", journal_cb, l, e) != 0 ||
	    aas_journal_read(st, "fetched", fetched_cb, l, e) != 0)
		goto bad;
	for (i = 0; i < l->nruns; i++)
		if ((l->runs[i].state == AAS_RUN_INTENT ||
		    l->runs[i].state == AAS_RUN_LIVE) &&
		    load_tasks(l, i, e) == -1)
			goto bad;
	sp.runs = json_object();
	if (aas_journal_read(st, "ledger", cost_cb, &sp, e) != 0) {
		json_decref(sp.runs);
		goto bad;
	}
	l->spent = sp.sync;
	json_object_foreach(sp.runs, k, v) {
		json_t *act = json_array_get(v, 1);

		l->spent += json_is_number(act) ? json_number_value(act) :
		    json_number_value(json_array_get(v, 0));
	}
	json_decref(sp.runs);
	*lp = l;
	return 0;
bad:
	aas_ledger_close(l);
	return -1;
}

void
aas_ledger_close(struct aas_ledger *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nruns; i++) {
		struct aas_run *r = &l->runs[i];

		free(r->run);
		free(r->provider);
		free(r->model);
		free(r->endpoint);
		free(r->template);
		free(r->batch_id);
		free(r->input_file_id);
		free(r->submitted_at);
		free(r->file);
	}
	free(l->runs);
	hmap_free(l->inflight);
	hmap_free(l->fetched);
	if (l->fetched_fd >= 0)
		close(l->fetched_fd);
	if (l->cost_fd >= 0)
		close(l->cost_fd);
	free(l);
}

ssize_t
aas_ledger_inflight(const struct aas_ledger *l, const char *custom_id)
{
	uint32_t v = hmap_get(l->inflight, hash64(custom_id));

	return v == (uint32_t)-1 ? -1 : (ssize_t)v;
}

int
aas_ledger_fetched(const struct aas_ledger *l, const char *custom_id)
{
	uint32_t v = hmap_get(l->fetched, hash64(custom_id));

	return v == (uint32_t)-1 ? 0 : (int)FETCHED_FLAG(v);
}

double
aas_ledger_spent(const struct aas_ledger *l)
{
	return l->spent;
}

json_t *
aas_ledger_batch_key(const struct aas_run *r)
{
	return json_pack("{s:s*, s:s*, s:s*, s:s*}", "provider", r->provider,
	    "id", r->batch_id, "input_file_id", r->input_file_id,
	    "submitted_at", r->submitted_at);
}

/* Append one line to a state file kept open (no fsync: aas_ledger_sync). */
static int
append_line(struct aas_ledger *l, int *fdp, const char *name, json_t *o,
    struct aas_err *e)
{
	char *path, *s;
	size_t len, off = 0;
	ssize_t n;

	if (*fdp < 0) {
		path = aas_xasprintf("%s/%s.jsonl", aas_state_dir(l->st), name);
		*fdp = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0644);
		if (*fdp == -1) {
			aas_err_set(e, "journal", "%s: %s", path,
			    strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
	len = strlen(s);
	s = aas_xrealloc(s, len + 2);
	s[len++] = '\n';
	while (off < len) {
		n = write(*fdp, s + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(s);
			return aas_err_set(e, "journal", "%s.jsonl: %s", name,
			    strerror(errno));
		}
		off += (size_t)n;
	}
	free(s);
	return 0;
}

int
aas_ledger_mark_fetched(struct aas_ledger *l, const char *custom_id,
    const char *run, int ok, struct aas_err *e)
{
	json_t *o;
	int rc;
	uint64_t h = hash64(custom_id);

	o = json_pack("{s:s, s:s, s:i}", "c", custom_id, "r", run, "ok",
	    ok ? 1 : 0);
	rc = append_line(l, &l->fetched_fd, "fetched", o, e);
	json_decref(o);
	if (rc == 0) {
		hmap_put(l->fetched, h, FETCHED(aas_ledger_find(l, run),
		    ok ? 1U : 2U));
		hmap_del(l->inflight, h);
	}
	return rc;
}

int
aas_ledger_sync_cost(struct aas_ledger *l, const char *run,
    const char *custom_id, double usd, struct aas_err *e)
{
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s, s:s, s:f}", "kind", "sync", "run", run,
	    "custom_id", custom_id, "usd", usd);
	rc = append_line(l, &l->cost_fd, "ledger", o, e);
	json_decref(o);
	if (rc == 0)
		l->spent += usd;
	return rc;
}

int
aas_ledger_sync(struct aas_ledger *l, struct aas_err *e)
{
	if (l->fetched_fd >= 0 && fsync(l->fetched_fd) == -1)
		return aas_err_set(e, "journal", "fetched.jsonl: fsync: %s",
		    strerror(errno));
	if (l->cost_fd >= 0 && fsync(l->cost_fd) == -1)
		return aas_err_set(e, "journal", "ledger.jsonl: fsync: %s",
		    strerror(errno));
	return 0;
}

static int
cost_entry(struct aas_ledger *l, const char *kind, const char *run,
    double usd, struct aas_err *e)
{
	json_t *o;
	int rc;

	o = json_pack("{s:I, s:s, s:s, s:f}", "t", (json_int_t)time(NULL),
	    "kind", kind, "run", run, "usd", usd);
	rc = aas_journal_append(l->st, "ledger", o, e);
	json_decref(o);
	return rc;
}

int
aas_ledger_run_downloaded(struct aas_ledger *l, size_t ri, struct aas_err *e)
{
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s}", "ev", "downloaded", "run",
	    l->runs[ri].run);
	rc = aas_journal_append(l->st, "batches", o, e);
	json_decref(o);
	if (rc == 0)
		l->runs[ri].downloaded = 1;
	return rc;
}

int
aas_ledger_run_done(struct aas_ledger *l, size_t ri, double usd,
    struct aas_err *e)
{
	struct aas_run *r = &l->runs[ri];
	json_t *o;
	int rc;

	if (r->state != AAS_RUN_LOCAL &&
	    cost_entry(l, "actual", r->run, usd, e) == -1)
		return -1;
	o = json_pack("{s:s, s:s, s:f}", "ev", "done", "run", r->run, "usd",
	    usd);
	rc = aas_journal_append(l->st, "batches", o, e);
	json_decref(o);
	if (rc == 0) {
		if (r->state != AAS_RUN_LOCAL)
			l->spent += usd - (r->usd >= 0 ? r->usd : r->est_usd);
		r->usd = usd;
		r->state = AAS_RUN_DONE;
	}
	return rc;
}

struct aas_run_writer {
	char	*run;
	char	*provider, *model, *endpoint, *template, *local;
	char	*tasks_path, *input_path;
	FILE	*tasks, *input;
	char	*tbuf, *ibuf;
	long	 n, bytes, flushed;
	double	 est;
};

int
aas_ledger_run_begin(struct aas_ledger *l, struct aas_run_writer **wp,
    const char *provider, const char *model, const char *endpoint,
    const char *template, const char *local_file, struct aas_err *e)
{
	struct aas_run_writer *w;
	char *dir;

	dir = aas_xasprintf("%s/runs", aas_state_dir(l->st));
	if (aas_mkdirs(dir, 0755, e) == -1) {
		free(dir);
		return -1;
	}
	w = aas_xcalloc(1, sizeof(*w));
	w->run = aas_ledger_new_run_id();
	w->provider = aas_xstrdup(provider);
	w->model = aas_xstrdup(model);
	w->endpoint = aas_xstrdup(endpoint);
	w->template = aas_xstrdup(template);
	w->local = local_file ? aas_xstrdup(local_file) : NULL;
	w->tasks_path = aas_xasprintf("%s/%s.tasks", dir, w->run);
	w->input_path = local_file ? aas_xstrdup(local_file) :
	    aas_xasprintf("%s/%s.jsonl", dir, w->run);
	free(dir);
	w->tasks = fopen(w->tasks_path, "wxe");
	if (w->tasks == NULL) {
		aas_err_set(e, "io", "%s: %s", w->tasks_path, strerror(errno));
		aas_ledger_run_discard(w);
		return -1;
	}
	w->input = fopen(w->input_path, local_file ? "we" : "wxe");
	if (w->input == NULL) {
		aas_err_set(e, "io", "%s: %s", w->input_path, strerror(errno));
		aas_ledger_run_discard(w);
		return -1;
	}
	/* big buffers (glibc ignores a size without one): fewer syscalls */
	w->tbuf = aas_xmalloc(1 << 20);
	w->ibuf = aas_xmalloc(1 << 20);
	(void)setvbuf(w->tasks, w->tbuf, _IOFBF, 1 << 20);
	(void)setvbuf(w->input, w->ibuf, _IOFBF, 1 << 20);
	*wp = w;
	return 0;
}

int
aas_ledger_run_add(struct aas_run_writer *w, const char *custom_id,
    const char *rec, size_t reclen, const char *line, size_t linelen,
    double est_usd, struct aas_err *e)
{
	if (fprintf(w->tasks, "%s\t", custom_id) < 0 ||
	    fwrite(rec, 1, reclen, w->tasks) != reclen ||
	    putc('\n', w->tasks) == EOF)
		return aas_err_set(e, "io", "%s: %s", w->tasks_path,
		    strerror(errno));
	if (fwrite(line, 1, linelen, w->input) != linelen ||
	    putc('\n', w->input) == EOF)
		return aas_err_set(e, "io", "%s: %s", w->input_path,
		    strerror(errno));
	w->n++;
	w->bytes += (long)linelen + 1;
	w->est += est_usd;
	/* Start writing back early so the fsync at commit is short. */
	if (w->bytes - w->flushed >= 8L * 1024 * 1024) {
		if (fflush(w->tasks) == 0)
			(void)sync_file_range(fileno(w->tasks), 0, 0,
			    SYNC_FILE_RANGE_WRITE);
		if (fflush(w->input) == 0)
			(void)sync_file_range(fileno(w->input), 0, 0,
			    SYNC_FILE_RANGE_WRITE);
		w->flushed = w->bytes;
	}
	return 0;
}

long
aas_ledger_run_count(const struct aas_run_writer *w)
{
	return w->n;
}

long
aas_ledger_run_bytes(const struct aas_run_writer *w)
{
	return w->bytes;
}

static int
close_synced(FILE **fp, const char *path, struct aas_err *e)
{
	int rc = 0;

	if (fflush(*fp) == EOF || fsync(fileno(*fp)) == -1)
		rc = aas_err_set(e, "io", "%s: %s", path, strerror(errno));
	if (fclose(*fp) == EOF && rc == 0)
		rc = aas_err_set(e, "io", "%s: %s", path, strerror(errno));
	*fp = NULL;
	return rc;
}

static void
writer_free(struct aas_run_writer *w)
{
	if (w->tasks)
		fclose(w->tasks);
	if (w->input)
		fclose(w->input);
	free(w->run);
	free(w->provider);
	free(w->model);
	free(w->endpoint);
	free(w->template);
	free(w->local);
	free(w->tasks_path);
	free(w->input_path);
	free(w->tbuf);
	free(w->ibuf);
	free(w);
}

void
aas_ledger_run_discard(struct aas_run_writer *w)
{
	if (w == NULL)
		return;
	if (w->tasks)
		unlink(w->tasks_path);
	if (w->input && w->local == NULL)
		unlink(w->input_path);
	writer_free(w);
}

ssize_t
aas_ledger_run_commit(struct aas_ledger *l, struct aas_run_writer *w,
    struct aas_err *e)
{
	struct aas_run *r;
	json_t *o;
	char *dir;
	int fd, rc;

	if (close_synced(&w->tasks, w->tasks_path, e) == -1 ||
	    close_synced(&w->input, w->input_path, e) == -1) {
		aas_ledger_run_discard(w);
		return -1;
	}
	dir = aas_xasprintf("%s/runs", aas_state_dir(l->st));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
	if (w->local)
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
		    "s:f, s:I}", "ev", "local", "run", w->run, "provider",
		    w->provider, "model", w->model, "endpoint", w->endpoint,
		    "template", w->template, "file", w->local, "n",
		    (json_int_t)w->n, "bytes", (json_int_t)w->bytes, "est_usd",
		    aas_usd_round(w->est), "t", (json_int_t)time(NULL));
	else
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:f, "
		    "s:I}", "ev", "intent", "run", w->run, "provider",
		    w->provider, "model", w->model, "endpoint", w->endpoint,
		    "template", w->template, "n", (json_int_t)w->n, "bytes",
		    (json_int_t)w->bytes, "est_usd", aas_usd_round(w->est), "t",
		    (json_int_t)time(NULL));
	/* The estimate goes first: a crash between the two over-counts
	 * spend (safe for a budget) and never under-counts it. */
	if (w->local == NULL && cost_entry(l, "estimate", w->run,
	    aas_usd_round(w->est), e) == -1) {
		json_decref(o);
		aas_ledger_run_discard(w);
		return -1;
	}
	rc = aas_journal_append(l->st, "batches", o, e);
	if (rc == -1) {
		json_decref(o);
		aas_ledger_run_discard(w);
		return -1;
	}
	journal_cb(o, l);
	json_decref(o);
	r = &l->runs[l->nruns - 1];
	if (w->local == NULL)
		l->spent += w->est;
	writer_free(w);
	if (r->state == AAS_RUN_INTENT && load_tasks(l, l->nruns - 1, e) == -1)
		return -1;
	return (ssize_t)(l->nruns - 1);
}

struct file_ctx {
	struct aas_ledger *l;
	size_t	 ri;
};

static void
on_file(const char *file_id, void *arg)
{
	struct file_ctx *c = arg;
	struct aas_run *r = &c->l->runs[c->ri];
	struct aas_err e;
	json_t *o;

	o = json_pack("{s:s, s:s, s:s}", "ev", "file", "run", r->run,
	    "input_file_id", file_id);
	if (aas_journal_append(c->l->st, "batches", o, &e) == -1)
		aas_msg("%s", e.msg);
	json_decref(o);
	setstr(&r->input_file_id, file_id);
}

static int
journal_batch(struct aas_ledger *l, size_t ri, json_t *batch,
    struct aas_err *e)
{
	struct aas_run *r = &l->runs[ri];
	const char *id = json_string_value(json_object_get(batch, "id"));
	const char *fid;
	json_t *o, *raw;
	char at[32];
	long long t;
	int rc;

	if (id == NULL)
		return aas_err_set(e, "bad_batch", "%s: batch without an id",
		    r->run);
	raw = json_object_get(batch, "raw");
	fid = json_string_value(json_object_get(raw, "input_file_id"));
	if (fid == NULL)
		fid = r->input_file_id;
	t = json_integer_value(json_object_get(batch, "created_at"));
	aas_iso8601(t > 0 ? t : (long long)time(NULL), at, sizeof(at));
	o = json_pack("{s:s, s:s, s:s, s:s?, s:s}", "ev", "batch", "run",
	    r->run, "id", id, "input_file_id", fid, "submitted_at", at);
	rc = aas_journal_append(l->st, "batches", o, e);
	if (rc == 0)
		journal_cb(o, l);
	json_decref(o);
	return rc;
}

static int
journal_abandon(struct aas_ledger *l, size_t ri, const char *why,
    struct aas_err *e)
{
	struct aas_run *r = &l->runs[ri];
	json_t *o;
	uint64_t h;
	size_t i;
	struct hmap *m = l->inflight;
	int rc;

	if (cost_entry(l, "actual", r->run, 0, e) == -1)
		return -1;
	o = json_pack("{s:s, s:s, s:s}", "ev", "abandon", "run", r->run,
	    "reason", why);
	rc = aas_journal_append(l->st, "batches", o, e);
	json_decref(o);
	if (rc == -1)
		return -1;
	l->spent -= r->est_usd;
	r->state = AAS_RUN_ABANDONED;
	for (i = 0; i < m->cap; i++) {
		h = m->k[i];
		if (h != 0 && m->v[i] == (uint32_t)ri)
			m->v[i] = (uint32_t)-1;
	}
	return 0;
}

/* An HTTP status that says the server did not act on the request. */
static int
refused(const char *code)
{
	long st;

	if (strncmp(code, "http_", 5) != 0)
		return 0;
	st = strtol(code + 5, NULL, 10);
	return st >= 400 && st < 500 && st != 408 && st != 409 && st != 429;
}
/* Does a run in the journal already hold batch id? */
static int
known_batch(const char *id, void *arg)
{
	const struct aas_ledger *l = arg;
	size_t i;

	for (i = 0; i < l->nruns; i++)
		if (l->runs[i].batch_id != NULL &&
		    strcmp(l->runs[i].batch_id, id) == 0)
			return 1;
	return 0;
}

/*
 * The batch of run ri if the provider has it: by its aas_run metadata
 * (OpenAI), or for Anthropic, whose batches carry none, the one batch
 * created since the intent with the run's request count that no other
 * run claims.
 */
static int
find_batch(struct aas_ledger *l, size_t ri, struct aas_provider *p,
    json_t **batchp, struct aas_err *e)
{
	const struct aas_run *r = &l->runs[ri];

	if (strcmp(aas_provider_kind(p), "anthropic") == 0)
		return aas_provider_find_unlabelled(p, r->t, r->n,
		    known_batch, l, batchp, e);
	return aas_provider_find_run(p, r->run, batchp, e);
}


int
aas_ledger_create(struct aas_ledger *l, size_t ri, struct aas_provider *p,
    struct aas_err *e)
{
	struct aas_run *r = &l->runs[ri];
	struct file_ctx ctx = { l, ri };
	struct aas_err e2;
	json_t *md, *batch = NULL;
	char *path;
	int rc;

	path = aas_xasprintf("%s/runs/%s.jsonl", aas_state_dir(l->st),
	    r->run);
	md = json_pack("{s:s}", "aas_run", r->run);
	rc = aas_provider_submit(p, path, r->endpoint, md, on_file, &ctx,
	    &batch, e);
	free(path);
	json_decref(md);
	if (rc == 0) {
		rc = journal_batch(l, ri, batch, e);
		json_decref(batch);
		return rc;
	}
	memset(&e2, 0, sizeof(e2));
	/* Surely no batch: the upload never finished (OpenAI creates only
	 * after it), or the server refused the request outright. */
	if ((strcmp(r->provider ? r->provider : "openai", "openai") == 0 &&
	    r->input_file_id == NULL) || refused(e->code)) {
		if (journal_abandon(l, ri, e->msg, &e2) == -1)
			aas_msg("%s", e2.msg);
		return -1;
	}
	if (find_batch(l, ri, p, &batch, &e2) == -1) {
		aas_err_set(e, "submit_unknown", "%s: %s; could not check "
		    "whether the batch was created (%s): the next aas-submit "
		    "or aas-fetch settles it", r->run, e->msg, e2.msg);
		return -1;
	}
	if (batch != NULL) {
		rc = journal_batch(l, ri, batch, e);
		json_decref(batch);
		return rc;
	}
	if (journal_abandon(l, ri, e->msg, &e2) == -1)
		aas_msg("%s", e2.msg);
	return -1;
}

int
aas_ledger_reconcile(struct aas_ledger *l,
    struct aas_provider *(*get)(const char *, void *, struct aas_err *),
    void *arg, struct aas_err *e)
{
	struct aas_provider *p;
	struct aas_err pe;
	json_t *batch;
	size_t i;
	int bad = 0;

	(void)e;
	for (i = 0; i < l->nruns; i++) {
		if (l->runs[i].state != AAS_RUN_INTENT)
			continue;
		memset(&pe, 0, sizeof(pe));
		p = get(l->runs[i].provider ? l->runs[i].provider : "openai",
		    arg, &pe);
		if (p == NULL) {
			aas_msg("%s: %s", l->runs[i].run, pe.msg);
			bad++;
			continue;
		}
		batch = NULL;
		if (find_batch(l, i, p, &batch, &pe) == -1) {
			aas_msg("%s: cannot settle an interrupted submission: "
			    "%s", l->runs[i].run, pe.msg);
			bad++;
			continue;
		}
		if (batch != NULL) {
			if (journal_batch(l, i, batch, &pe) == -1) {
				aas_msg("%s", pe.msg);
				bad++;
			}
			json_decref(batch);
			continue;
		}
		if (aas_ledger_create(l, i, p, &pe) == -1) {
			aas_msg("%s", pe.msg);
			if (strcmp(pe.code, "submit_unknown") == 0)
				bad++;
		}
	}
	return bad;
}

struct task_ent {
	uint64_t h;
	off_t	 off;
	uint32_t len;
	uint32_t mark;
};

struct aas_tasks {
	int	 fd;
	char	*path;
	struct task_ent *v;
	size_t	 n;
	char	*buf;
	size_t	 cap;
};

static int
ent_cmp(const void *a, const void *b)
{
	const struct task_ent *x = a, *y = b;

	return x->h < y->h ? -1 : x->h > y->h;
}

int
aas_tasks_open(struct aas_tasks **tp, struct aas_ledger *l, size_t ri,
    struct aas_err *e)
{
	char *path;
	int rc;

	path = aas_xasprintf("%s/runs/%s.tasks", aas_state_dir(l->st),
	    l->runs[ri].run);
	rc = aas_tasks_open_path(tp, path, e);
	free(path);
	return rc;
}

int
aas_tasks_open_path(struct aas_tasks **tp, const char *path,
    struct aas_err *e)
{
	struct aas_tasks *t;
	char *buf = NULL, *tab;
	size_t cap = 0, ncap = 0;
	ssize_t n;
	off_t off = 0;
	FILE *f;

	t = aas_xcalloc(1, sizeof(*t));
	t->path = aas_xstrdup(path);
	t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (t->fd == -1 || (f = fdopen(dup(t->fd), "r")) == NULL) {
		aas_err_set(e, "io", "%s: %s", t->path, strerror(errno));
		aas_tasks_close(t);
		return -1;
	}
	while ((n = getline(&buf, &cap, f)) > 0) {
		if (buf[n - 1] == '\n' && (tab = strchr(buf, '\t')) != NULL) {
			*tab = '\0';
			if (t->n == ncap) {
				ncap = ncap ? ncap * 2 : 256;
				t->v = aas_xreallocarray(t->v, ncap,
				    sizeof(*t->v));
			}
			t->v[t->n].h = hash64(buf);
			t->v[t->n].off = off;
			t->v[t->n].len = (uint32_t)(n - 1);
			t->v[t->n].mark = 0;
			t->n++;
		}
		off += n;
	}
	free(buf);
	fclose(f);
	qsort(t->v, t->n, sizeof(*t->v), ent_cmp);
	*tp = t;
	return 0;
}

void
aas_tasks_close(struct aas_tasks *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	free(t->v);
	free(t->buf);
	free(t);
}

size_t
aas_tasks_count(const struct aas_tasks *t)
{
	return t->n;
}

static int
read_slot(struct aas_tasks *t, size_t i, struct aas_err *e)
{
	size_t need = (size_t)t->v[i].len + 1, got = 0;
	ssize_t n;

	if (need > t->cap) {
		t->cap = need;
		t->buf = aas_xrealloc(t->buf, t->cap);
	}
	while (got < need - 1) {
		n = pread(t->fd, t->buf + got, need - 1 - got,
		    t->v[i].off + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return aas_err_set(e, "io", "%s: %s", t->path,
			    n == 0 ? "short read" : strerror(errno));
		got += (size_t)n;
	}
	t->buf[got] = '\0';
	return 0;
}

ssize_t
aas_tasks_find(struct aas_tasks *t, const char *custom_id)
{
	uint64_t h = hash64(custom_id);
	size_t lo = 0, hi = t->n, mid;
	size_t cl = strlen(custom_id);

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->v[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->v[lo].h == h; lo++) {
		if (read_slot(t, lo, NULL) == -1)
			return -1;
		if (strncmp(t->buf, custom_id, cl) == 0 && t->buf[cl] == '\t')
			return (ssize_t)lo;
	}
	return -1;
}

const char *
aas_tasks_record(struct aas_tasks *t, size_t i, size_t *lenp,
    const char **cidp, struct aas_err *e)
{
	char *tab;

	if (read_slot(t, i, e) == -1)
		return NULL;
	tab = strchr(t->buf, '\t');
	if (tab == NULL) {
		aas_err_set(e, "io", "%s: damaged line", t->path);
		return NULL;
	}
	*tab = '\0';
	if (cidp)
		*cidp = t->buf;
	if (lenp)
		*lenp = strlen(tab + 1);
	return tab + 1;
}

int
aas_tasks_marked(const struct aas_tasks *t, size_t i)
{
	return t->v[i].mark != 0;
}

void
aas_tasks_mark(struct aas_tasks *t, size_t i)
{
	t->v[i].mark = 1;
}

/* The cache behind aas_ledger_task_state. */
static struct {
	struct aas_state *st;
	struct aas_ledger *l;
	off_t	 sizes[2];
} cache;

static void
journal_sizes(struct aas_state *st, off_t sizes[2])
{
	static const char *names[2] = { "batches.jsonl", "fetched.jsonl" };
	struct stat sb;
	char *p;
	int i;

	for (i = 0; i < 2; i++) {
		p = aas_state_path(st, names[i]);
		sizes[i] = stat(p, &sb) == 0 ? sb.st_size : -1;
		free(p);
	}
}

int
aas_ledger_task_state(struct aas_state *st, const char *id, const char *sha)
{
	char cid[65];
	off_t sizes[2];
	struct aas_err e;

	journal_sizes(st, sizes);
	if (cache.l == NULL || cache.st != st || cache.sizes[0] != sizes[0] ||
	    cache.sizes[1] != sizes[1]) {
		aas_ledger_close(cache.l);
		cache.l = NULL;
		cache.st = st;
		memcpy(cache.sizes, sizes, sizeof(sizes));
		if (aas_ledger_open(&cache.l, st, &e) == -1)
			cache.l = NULL;
	}
	if (cache.l == NULL)
		return AAS_TASK_NONE;
	aas_ledger_custom_id(id, sha, cid);
	if (aas_ledger_inflight(cache.l, cid) >= 0)
		return AAS_TASK_IN_FLIGHT;
	if (aas_ledger_fetched(cache.l, cid) == 1)
		return AAS_TASK_DONE;
	return AAS_TASK_NONE;
}

double
aas_usd_round(double usd)
{
	return (double)(long long)(usd * 1e8 + (usd >= 0 ? 0.5 : -0.5)) / 1e8;
}
