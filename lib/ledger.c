/* ledger.c: the batches journal, the task spools, the cost ledger. */
#include <sys/file.h>
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
#include "ids.h"
#include "ledger.h"
#include "price.h"
#include "progress.h"
#include "record.h"
#include "state.h"
#include "tasks.h"
#include "banned.h"

struct aas_ledger {
	struct aas_state *st;
	struct aas_run	*runs;
	size_t		 nruns;
	void		*inflight;	/* task hash -> run index */
	void		*fetched;	/* task hash -> run index, 1 ok,
					 * 2 error (the latest run) */
	void		*fetched_run;	/* task and run -> 1 ok, 2 error */
	double		 spent;		/* from ledger.jsonl */
	char		*session;	/* this process's "f" */
	char		*last_f;	/* the last aas-fetch's "f" */
	size_t		*last_runs;	/* ... the runs it wrote */
	size_t		 nlast;
	int		 fetched_fd;
	int		 cost_fd;
	int		 hold;		/* fetched lines wait in held */
	struct aas_buf	 held;
	struct aas_buf	 line;		/* a fetched line being made */
};

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

static void hmap_put(struct hmap *m, uint64_t k, uint32_t v);

/* Room for want entries at most half full, in one rehash. */
static void
hmap_grow_to(struct hmap *m, size_t want)
{
	struct hmap o = *m;
	size_t i;

	m->cap = o.cap ? o.cap : 1024;
	while (want * 2 > m->cap)
		m->cap *= 2;
	if (m->cap == o.cap)
		return;
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
		hmap_grow_to(m, m->n + 1);
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

void
aas_ledger_candidate_id(const char *cid, long k, char out[65])
{
	char suf[24], hex[65];
	size_t n = strlen(cid), sn;

	if (k <= 1) {
		snprintf(out, 65, "%s", cid);
		return;
	}
	sn = (size_t)snprintf(suf, sizeof(suf), "-c%ld", k);
	if (n + sn <= 64) {
		snprintf(out, 65, "%s%s", cid, suf);
		return;
	}
	aas_sha256_hex(cid, n, hex);
	snprintf(out, 65, "%.*s-%.8s%s", (int)(64 - 9 - sn), cid, hex, suf);
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

size_t
aas_ledger_count(const struct aas_ledger *l)
{
	return l->nruns;
}

const struct aas_run *
aas_ledger_run(const struct aas_ledger *l, size_t ri)
{
	return &l->runs[ri];
}

char *
aas_ledger_input_path(const struct aas_ledger *l, size_t ri)
{
	return aas_xasprintf("%s/runs/%s.jsonl", aas_state_dir(l->st),
	    l->runs[ri].run);
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
		r->project = jstrdup(o, "project");
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

/* The key of task custom_id written from run: both in one hash. */
static uint64_t
task_run_hash(const char *custom_id, const char *run)
{
	char *s = aas_xasprintf("%s\t%s", custom_id, run ? run : "");
	uint64_t h = aas_tasks_hash(s);

	free(s);
	return h;
}

/* Note that custom_id came out of run (index ri, or -1) with flag. */
static void
note_fetched(struct aas_ledger *l, const char *custom_id, const char *run,
    ssize_t ri, uint32_t flag)
{
	uint64_t h = task_run_hash(custom_id, run);
	uint32_t old = hmap_get(l->fetched_run, h);

	hmap_put(l->fetched, aas_tasks_hash(custom_id), FETCHED(ri, flag));
	hmap_put(l->fetched_run, h, flag);
	if (ri < 0 || old == flag)
		return;
	if (flag == 2)
		l->runs[ri].nfailed++;
	else if (old == 2)
		l->runs[ri].nfailed--;
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

	const char *f = json_string_value(json_object_get(o, "f"));
	size_t i;

	if (c != NULL)
		note_fetched(l, c, run, ri, flag);
	if (c == NULL || ri < 0)
		return 0;
	/* a line with no "f" (older aas-fetch): its run is the session */
	if (f == NULL)
		f = run;
	if (l->last_f == NULL || strcmp(l->last_f, f) != 0) {
		free(l->last_f);
		l->last_f = aas_xstrdup(f);
		l->nlast = 0;
	}
	for (i = 0; i < l->nlast; i++)
		if (l->last_runs[i] == (size_t)ri)
			return 0;
	l->last_runs = aas_xreallocarray(l->last_runs, l->nlast + 1,
	    sizeof(*l->last_runs));
	l->last_runs[l->nlast++] = (size_t)ri;
	return 0;
}

size_t
aas_ledger_last_fetch(const struct aas_ledger *l, const size_t **risp)
{
	*risp = l->last_runs;
	return l->nlast;
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
	char *path, *buf = NULL, *tab, *fbuf;
	size_t cap = 0;
	ssize_t n;
	uint64_t h;
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
	/* a run's tasks file is read whole: in big reads */
	fbuf = aas_xmalloc(1 << 18);
	(void)setvbuf(f, fbuf, _IOFBF, 1 << 18);
	while ((n = getline(&buf, &cap, f)) > 0) {
		if (buf[n - 1] != '\n' || (tab = strchr(buf, '\t')) == NULL)
			continue;
		*tab = '\0';
		h = aas_tasks_hash(buf);
		/* (with nothing fetched yet, nothing was fetched by this run) */
		if (((struct hmap *)l->fetched_run)->n == 0 ||
		    hmap_get(l->fetched_run, task_run_hash(buf,
		    l->runs[ri].run)) == (uint32_t)-1)
			hmap_put(l->inflight, h, (uint32_t)ri);
	}
	free(buf);
	fclose(f);
	free(fbuf);
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
	l->fetched_run = aas_xcalloc(1, sizeof(struct hmap));
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
		free(r->project);
		free(r->batch_id);
		free(r->input_file_id);
		free(r->submitted_at);
		free(r->file);
	}
	free(l->runs);
	free(l->session);
	free(l->last_f);
	free(l->last_runs);
	hmap_free(l->inflight);
	hmap_free(l->fetched);
	hmap_free(l->fetched_run);
	if (l->fetched_fd >= 0)
		close(l->fetched_fd);
	if (l->cost_fd >= 0)
		close(l->cost_fd);
	aas_buf_free(&l->held);
	aas_buf_free(&l->line);
	free(l);
}

ssize_t
aas_ledger_inflight(const struct aas_ledger *l, const char *custom_id)
{
	uint32_t v = hmap_get(l->inflight, aas_tasks_hash(custom_id));

	return v == (uint32_t)-1 ? -1 : (ssize_t)v;
}

int
aas_ledger_fetched(const struct aas_ledger *l, const char *custom_id)
{
	uint32_t v = hmap_get(l->fetched, aas_tasks_hash(custom_id));

	return v == (uint32_t)-1 ? 0 : (int)FETCHED_FLAG(v);
}

int
aas_ledger_fetched_in(const struct aas_ledger *l, const char *custom_id,
    const char *run)
{
	uint32_t v = hmap_get(l->fetched_run, task_run_hash(custom_id, run));

	return v == (uint32_t)-1 ? 0 : (int)v;
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

/* Append the line s[0..len) (its newline included) to a state file kept
 * open (no fsync: aas_ledger_sync). */
static int
append_text(struct aas_ledger *l, int *fdp, const char *name, const char *s,
    size_t len, struct aas_err *e)
{
	char *path;
	size_t off = 0;
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
	if (l->hold && fdp == &l->fetched_fd) {
		aas_buf_add(&l->held, s, len);
		return 0;
	}
	while (off < len) {
		n = write(*fdp, s + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return aas_err_set(e, "journal", "%s.jsonl: %s", name,
			    strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

/* The same for the text of the object o. */
static int
append_line(struct aas_ledger *l, int *fdp, const char *name, json_t *o,
    struct aas_err *e)
{
	char *s;
	size_t len;
	int rc;

	s = aas_json_text(o, 10, &len);
	if (s == NULL)
		return aas_err_set(e, "journal", "%s.jsonl: a line that is not "
		    "JSON", name);
	s = aas_xrealloc(s, len + 2);
	s[len++] = '\n';
	rc = append_text(l, fdp, name, s, len, e);
	free(s);
	return rc;
}

int
aas_ledger_mark_fetched(struct aas_ledger *l, const char *custom_id,
    const char *run, int ok, struct aas_err *e)
{
	struct aas_buf *b = &l->line;
	int rc;
	uint64_t h = aas_tasks_hash(custom_id);
	ssize_t ri = aas_ledger_find(l, run);

	if (l->session == NULL)
		l->session = aas_ledger_new_run_id();
	/* {"c", "r", "ok", "f"}, as aas_json_text writes the object */
	aas_buf_reset(b);
	aas_buf_adds(b, "{\"c\":");
	rc = aas_json_add_string(b, custom_id, strlen(custom_id));
	aas_buf_adds(b, ",\"r\":");
	if (rc == -1 || aas_json_add_string(b, run, strlen(run)) == -1)
		return aas_err_set(e, "journal", "fetched.jsonl: a line that "
		    "is not JSON");
	aas_buf_adds(b, ok ? ",\"ok\":1,\"f\":" : ",\"ok\":0,\"f\":");
	aas_json_add_string(b, l->session, strlen(l->session));
	aas_buf_adds(b, "}\n");
	rc = append_text(l, &l->fetched_fd, "fetched", b->s, b->len, e);
	if (rc == 0) {
		note_fetched(l, custom_id, run, ri, ok ? 1U : 2U);
		/* in flight elsewhere (sent again) stays in flight */
		if (ri >= 0 && hmap_get(l->inflight, h) == (uint32_t)ri)
			hmap_del(l->inflight, h);
	}
	return rc;
}

void
aas_ledger_expect_fetched(struct aas_ledger *l, size_t n)
{
	struct hmap *f = l->fetched, *fr = l->fetched_run;

	hmap_grow_to(f, f->n + n);
	hmap_grow_to(fr, fr->n + n);
}

int
aas_ledger_sync_cost(struct aas_ledger *l, const char *run,
    const char *custom_id, double usd, struct aas_err *e)
{
	return aas_ledger_call_cost(l, run, custom_id, NULL, usd, e);
}

int
aas_ledger_call_cost(struct aas_ledger *l, const char *run,
    const char *custom_id, const char *model, double usd, struct aas_err *e)
{
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s, s:s, s:f}", "kind", "sync", "run", run,
	    "custom_id", custom_id, "usd", usd);
	if (model != NULL)
		json_object_set_new(o, "model", json_string(model));
	rc = append_line(l, &l->cost_fd, "ledger", o, e);
	json_decref(o);
	if (rc == 0) {
		l->spent += usd;
		aas_progress_cost(usd);
	}
	return rc;
}

void
aas_ledger_hold(struct aas_ledger *l, int on)
{
	l->hold = on;
}

int
aas_ledger_flush(struct aas_ledger *l, struct aas_err *e)
{
	size_t off = 0;
	ssize_t n;

	while (off < l->held.len) {
		n = write(l->fetched_fd, l->held.s + off, l->held.len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return aas_err_set(e, "journal", "fetched.jsonl: %s",
			    strerror(errno));
		off += (size_t)n;
	}
	l->held.len = 0;
	return 0;
}

int
aas_ledger_sync(struct aas_ledger *l, struct aas_err *e)
{
	if (aas_ledger_flush(l, e) == -1)
		return -1;
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
		if (r->state != AAS_RUN_LOCAL) {
			l->spent += usd - (r->usd >= 0 ? r->usd : r->est_usd);
			aas_progress_cost(usd);
		}
		r->usd = usd;
		r->state = AAS_RUN_DONE;
	}
	return rc;
}

struct aas_run_writer {
	char	*run;
	char	*provider, *model, *endpoint, *template, *local, *project;
	char	*tasks_path, *input_path;
	FILE	*tasks, *input;
	char	*tbuf, *ibuf;
	long	 n, bytes, flushed;
	double	 est;
	/* the aas_tasks_hash of each tasks line's custom_id, in order, so
	 * the committed run's tasks need not be read back (load_tasks);
	 * plain: every line is read back as it was written (no tab or
	 * newline in a custom_id, no newline in a record) */
	uint64_t *h;
	size_t	 nh, caph;
	int	 plain;
};

/* A tasks line written: its custom_id noted for run_index. */
static void
note_line(struct aas_run_writer *w, const char *custom_id, const char *rec,
    size_t reclen)
{
	if (strpbrk(custom_id, "\t\n") != NULL ||
	    memchr(rec, '\n', reclen) != NULL)
		w->plain = 0;
	if (!w->plain)
		return;
	if (w->nh == w->caph) {
		w->caph = w->caph > 0 ? 2 * w->caph : 1024;
		w->h = aas_xreallocarray(w->h, w->caph, sizeof(*w->h));
	}
	w->h[w->nh++] = aas_tasks_hash(custom_id);
}

/* A committed intent's tasks in flight: what load_tasks would find in
 * its tasks file, from the writer's hashes when they say the same. */
static int
run_index(struct aas_ledger *l, size_t ri, const struct aas_run_writer *w,
    struct aas_err *e)
{
	size_t i;

	if (!w->plain || ((struct hmap *)l->fetched_run)->n > 0)
		return load_tasks(l, ri, e);
	for (i = 0; i < w->nh; i++)
		hmap_put(l->inflight, w->h[i], (uint32_t)ri);
	return 0;
}

/* A run found at the provider takes its own id (aas_ledger_run_adopt). */
static const char *adopt_run;

int
aas_ledger_run_adopt(struct aas_ledger *l, struct aas_run_writer **wp,
    const char *run, const char *provider, const char *model,
    const char *endpoint, const char *template, struct aas_err *e)
{
	char *path;
	int rc;

	if (aas_ledger_find(l, run) >= 0)
		return aas_err_set(e, "journal", "run %s is already in the "
		    "journal", run);
	if (strpbrk(run, "/\\") != NULL || *run == '.' || *run == '\0')
		return aas_err_set(e, "bad_batch", "run id '%s' is not a "
		    "file name", run);
	/* files of an adoption a crash cut short (never journaled) */
	path = aas_xasprintf("%s/runs/%s.tasks", aas_state_dir(l->st), run);
	(void)unlink(path);
	free(path);
	path = aas_xasprintf("%s/runs/%s.jsonl", aas_state_dir(l->st), run);
	(void)unlink(path);
	free(path);
	adopt_run = run;
	rc = aas_ledger_run_begin(l, wp, provider, model, endpoint, template,
	    NULL, e);
	adopt_run = NULL;
	return rc;
}

void
aas_ledger_run_set_project(struct aas_run_writer *w, const char *project)
{
	free(w->project);
	w->project = project != NULL ? aas_xstrdup(project) : NULL;
}

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
	w->plain = 1;
	w->run = adopt_run != NULL ? aas_xstrdup(adopt_run) :
	    aas_ledger_new_run_id();
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
	if (fputs(custom_id, w->tasks) == EOF || putc('\t', w->tasks) == EOF ||
	    fwrite(rec, 1, reclen, w->tasks) != reclen ||
	    putc('\n', w->tasks) == EOF)
		return aas_err_set(e, "io", "%s: %s", w->tasks_path,
		    strerror(errno));
	note_line(w, custom_id, rec, reclen);
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

int
aas_ledger_run_add_more(struct aas_run_writer *w, const char *custom_id,
    const char *rec, size_t reclen, struct aas_err *e)
{
	if (fprintf(w->tasks, "%s\t", custom_id) < 0 ||
	    fwrite(rec, 1, reclen, w->tasks) != reclen ||
	    putc('\n', w->tasks) == EOF)
		return aas_err_set(e, "io", "%s: %s", w->tasks_path,
		    strerror(errno));
	note_line(w, custom_id, rec, reclen);
	return 0;
}

int
aas_ledger_run_add_found(struct aas_run_writer *w, const char *custom_id,
    const char *rec, size_t reclen, struct aas_err *e)
{
	if (aas_ledger_run_add_more(w, custom_id, rec, reclen, e) == -1)
		return -1;
	w->n++;
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
	free(w->project);
	free(w->tasks_path);
	free(w->input_path);
	free(w->tbuf);
	free(w->ibuf);
	free(w->h);
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
	if (w->project != NULL)
		json_object_set_new(o, "project", json_string(w->project));
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
	rc = r->state == AAS_RUN_INTENT ? run_index(l, l->nruns - 1, w, e) : 0;
	writer_free(w);
	if (rc == -1)
		return -1;
	return (ssize_t)(l->nruns - 1);
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

void
aas_ledger_note_file(struct aas_ledger *l, size_t ri, const char *file_id)
{
	struct aas_run *r = &l->runs[ri];
	struct aas_err e;
	json_t *o;

	o = json_pack("{s:s, s:s, s:s}", "ev", "file", "run", r->run,
	    "input_file_id", file_id);
	if (aas_journal_append(l->st, "batches", o, &e) == -1)
		aas_msg("%s", e.msg);
	json_decref(o);
	setstr(&r->input_file_id, file_id);
}

int
aas_ledger_note_batch(struct aas_ledger *l, size_t ri, json_t *batch,
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

int
aas_ledger_abandon(struct aas_ledger *l, size_t ri, const char *why,
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
