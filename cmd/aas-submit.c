/*
 * aas-submit: turn task records into model requests and send them, as
 * batches (default), as direct calls (--sync), or into a file (--jsonl).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "batch.h"
#include "board.h"
#include "cmd.h"
#include "config.h"
#include "context.h"
#include "git.h"
#include "ids.h"
#include "ledger.h"
#include "price.h"
#include "progress.h"
#include "project.h"
#include "provider.h"
#include "record.h"
#include "repair.h"
#include "results.h"
#include "state.h"
#include "template.h"
#include "banned.h"

static const char usage_text[] =
    "[-fqv] [--candidates N] [--config FILE] [--max-batches N] "
    "[--max-bytes N] "
    "[--max-cost USD] [--max-requests N] [--model MODEL] [--provider NAME] "
    "[--state DIR] [--template NAME|FILE] [--base REV | --integrate]\n"
    "--sync [-j N] [--keep-order] [--rpm N] [--tpm N] [options]\n"
    "--dry-run | --jsonl FILE [options]\n"
    "--repair [--max-attempts N] [options]";

enum { MODE_BATCH, MODE_SYNC, MODE_JSONL, MODE_DRY };

/* Options and the things the step needs. */
static int mode = MODE_BATCH, force, keep_order, jobs = 4;
static double rpm, tpm;
static const char *jsonl_file;
static struct aas_config *cf;
static struct aas_state *st;
static struct aas_ledger *ledger;
static struct aas_provider *prov;
static struct aas_template *tmpl;
static struct aas_template_opts topts;
static struct aas_context *ctx;		/* the tree prompts show */
static const char *base_rev;
static int integrate;
static const char *model, *provider_kind, *endpoint;
/* --model, config repair_model, --candidates */
static const char *opt_model, *repair_model;
static long ncand = 1;
static char *project;		/* project.h: the batches' aas_project */
static int cand_choices;	/* the provider answers n in one request */
static double discount = 0.5, max_cost = -1, run_est;
static long max_requests, max_bytes, max_batches = -1, est_output = 1000;
static long live_batches;
static char *run_base;

/*
 * This run's custom_ids, to refuse a task given twice: one arena of
 * NUL-ended ids and an open-addressing table, at most half full, whose
 * slots hold an id's offset in the arena (+ 1; 0 empty) in their low 40
 * bits and the top 24 bits of its hash above them.  An id's first slot
 * is taken from the top of its hash, so the table grows without reading
 * the ids again (up to 2^24 slots), and a lookup passes most other ids
 * on those bits alone; it compares the ids themselves, so two ids of
 * one hash are still two tasks.
 */
#define IDSET_OFF	(((uint64_t)1 << 40) - 1)
struct idset {
	char	*a;
	size_t	 alen, acap;
	uint64_t *tab;
	size_t	 cap, n;
	int	 bits;		/* cap is 1 << bits */
};
static struct idset seen;

/* batch mode: the spool of every input line, and the chunks */
static FILE *spool;
static char *spool_path, *spool_buf;
static struct aas_run_writer *writer;
struct chunk {
	ssize_t	 ri;		/* run index once committed, or -1 */
	struct aas_err err;	/* why it failed */
	char	*model;		/* a batch serves one model */
	struct aas_run_writer *w;	/* open, or NULL once ended */
};
static struct chunk *chunks;
static size_t nchunks, last_chunk;	/* last_chunk: add_to_chunk's */
static struct aas_run_writer *last_w;
static long ntasks, nbatches;
static long long est_tokens_total;
static int stopped, failed, halt;
/* an error of the run (the key, the account, the model): the first one */
static int run_failed;
static struct aas_err run_err;

static void
note_run_error(const struct aas_err *e)
{
	if (!run_failed)
		run_err = *e;
	run_failed = halt = 1;
}

/* A number >= min for option name; -1 with e set when it is not. */
static int
num_arg(const char *s, const char *name, double min, double max,
    double *out, struct aas_err *e)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || *out < 0 ||
	    !isfinite(*out))
		return aas_err_set(e, "usage", "%s: not a number: %s", name,
		    s);
	if (*out < min || *out > max)
		return aas_err_set(e, "usage", isfinite(max) ? "%s: %s is "
		    "out of range (%g to %g)" : "%s: %s is out of range (at "
		    "least %g)", name, s, min, max);
	return 0;
}

/* The task's sha: source.sha, else a hash of its title and body. */
static const char *
task_sha(struct aas_rec *rec, char buf[65])
{
	const char *sha = json_string_value(aas_rec_path(rec, "source.sha"));
	const char *title = aas_rec_str(rec, "title");
	const char *body = aas_rec_str(rec, "body");
	char *s;

	if (sha != NULL && *sha != '\0')
		return sha;
	s = aas_xasprintf("%s\n%s", title ? title : "", body ? body : "");
	aas_sha256_hex(s, strlen(s), buf);
	free(s);
	return buf;
}

/*
 * A task that passed: the board says Done and its branch (aas-apply's
 * apply.branch_prefix and the id) exists.  The board is set to Done by
 * aas-notify only after aas-qa passed the branch, so sending it again
 * would only pay for an answer aas-apply refuses (branch_exists).
 */
static const char *branch_prefix = "aas/";
static struct aas_git *git;
static int git_tried;

static int
passed(struct aas_rec *rec, const char *id, char **branchp)
{
	const char *status = aas_rec_str(rec, "status");
	char tip[AAS_GIT_HEX];
	char *branch;
	struct aas_err e;

	*branchp = NULL;
	if (status == NULL || aas_status_parse(status) != AAS_ST_DONE)
		return 0;
	if (!git_tried) {
		git_tried = 1;
		if (aas_git_open(&git, aas_state_root(st), &e) == -1)
			git = NULL;
	}
	if (git == NULL)
		return 0;
	branch = aas_xasprintf("%s%s", branch_prefix, id);
	if (aas_git_branch_get(git, branch, tip, &e) != 0) {
		free(branch);
		return 0;
	}
	*branchp = branch;
	return 1;
}

/* prov and the providers of older runs (reconciled at the start) */
static struct aas_provider_pool *pool;

/*
 * An error of the run (provider.h), which stops every task, for a call
 * to model m: a model that is not found is one only when it is the
 * configured model; a task that named its own fails alone.
 */
static int
run_error(const char *code, const char *m)
{
	if (!aas_provider_run_error(code))
		return 0;
	return strcmp(code, "model_not_found") != 0 || m == NULL ||
	    strcmp(m, model) == 0;
}

/*
 * The submit lock, the ledger and the reconciling of interrupted runs,
 * taken at the first record there is something to send for, not before
 * reading: a second aas-submit in the same pipeline passes the first
 * one's answers on without waiting for the lock the first one holds.
 */
static struct aas_cmd *cmdp;
static int lock_failed;
static struct aas_err lock_err;

static int
ledger_begin(void)
{
	const struct aas_run *r;
	size_t i;

	if (ledger != NULL)
		return 0;
	if (lock_failed)
		return -1;
	if ((mode != MODE_DRY && aas_cmd_lock(cmdp, &lock_err) == -1) ||
	    aas_ledger_open(&ledger, st, &lock_err) == -1 ||
	    (mode != MODE_DRY && aas_batch_reconcile(ledger,
	    aas_provider_pool_cb, pool, &lock_err) == -1)) {
		aas_ledger_close(ledger);
		ledger = NULL;
		lock_failed = halt = 1;
		return -1;
	}
	for (i = 0; i < aas_ledger_count(ledger); i++) {
		r = aas_ledger_run(ledger, i);
		if (r->state == AAS_RUN_INTENT || r->state == AAS_RUN_LIVE)
			live_batches++;
	}
	return 0;
}

/* The open chunk of model m, or -1. */
static ssize_t
chunk_open(const char *m)
{
	size_t i;

	for (i = 0; i < nchunks; i++)
		if (chunks[i].w != NULL && strcmp(chunks[i].model, m) == 0)
			return (ssize_t)i;
	return -1;
}

/* Start a new chunk writer for model m, or refuse when --max-batches is
 * reached (the chunks still open count as batches). */
static int
chunk_begin(const char *m, struct aas_err *e)
{
	struct aas_run_writer *w;
	long open = 0;
	size_t i;

	for (i = 0; i < nchunks; i++)
		open += chunks[i].w != NULL;
	if (max_batches >= 0 && live_batches + open >= max_batches)
		return aas_err_set(e, "max_batches", "%ld batches in flight, "
		    "the most --max-batches allows", live_batches + open);
	if (aas_ledger_run_begin(ledger, &w, provider_kind, m,
	    endpoint, aas_template_name(tmpl), NULL, e) == -1)
		return -1;
	chunks = aas_xreallocarray(chunks, nchunks + 1, sizeof(*chunks));
	memset(&chunks[nchunks], 0, sizeof(chunks[0]));
	chunks[nchunks].ri = -1;
	chunks[nchunks].model = aas_xstrdup(m);
	chunks[nchunks].w = w;
	aas_ledger_run_set_project(w, project);
	nchunks++;
	return 0;
}

/* Commit and create chunk ci's batch. */
static int
chunk_end(size_t ci, struct aas_err *fatal)
{
	struct chunk *c = &chunks[ci];
	struct aas_run_writer *w = c->w;
	ssize_t ri;

	c->w = NULL;
	if (aas_ledger_run_count(w) == 0) {
		aas_ledger_run_discard(w);
		return 0;
	}
	ri = aas_ledger_run_commit(ledger, w, fatal);
	if (ri == -1)
		return -1;
	live_batches++;
	if (aas_batch_create(ledger, (size_t)ri, prov, &c->err) == -1) {
		if (strcmp(c->err.code, "submit_unknown") != 0)
			live_batches--;
		if (run_error(c->err.code, c->model))
			note_run_error(&c->err);
		failed = 1;
		return 0;
	}
	c->ri = ri;
	nbatches++;
	if (aas_progress_enabled())
		aas_msg("batch %s: %ld tasks (run %s)",
		    aas_ledger_run(ledger, (size_t)ri)->batch_id,
		    aas_ledger_run(ledger, (size_t)ri)->n,
		    aas_ledger_run(ledger, (size_t)ri)->run);
	return 0;
}

/* kind TAB num TAB into buf (at least 24 bytes), as "%c\t%ld\t" prints
 * it; its length. */
static int
put_long(char *buf, char kind, long num)
{
	char d[24];
	unsigned long u = num < 0 ? 0UL - (unsigned long)num :
	    (unsigned long)num;
	int n = 0, k = 0;

	buf[n++] = kind;
	buf[n++] = '\t';
	if (num < 0)
		buf[n++] = '-';
	do
		d[k++] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	while (k > 0)
		buf[n++] = d[--k];
	buf[n++] = '\t';
	return n;
}

/* Which spooled records have a "batch" key already (emit_spool then
 * replaces it), a bit each, in spool order. */
static unsigned char *spool_keyed;
static size_t nspooled;

static int
spool_put(char kind, long num, const struct aas_rec *rec, struct aas_err *e)
{
	char pre[32];
	int n;

	if (nspooled % 8 == 0 && nspooled / 8 % 4096 == 0)
		spool_keyed = aas_xrealloc(spool_keyed, nspooled / 8 + 4096);
	if (nspooled % 8 == 0)
		spool_keyed[nspooled / 8] = 0;
	if (aas_rec_get(rec, "batch") != NULL)
		spool_keyed[nspooled / 8] |= 1 << nspooled % 8;
	nspooled++;
	n = put_long(pre, kind, num);
	if (fwrite(pre, 1, (size_t)n, spool) != (size_t)n ||
	    fwrite(rec->line, 1, rec->len, spool) != rec->len ||
	    putc('\n', spool) == EOF)
		return aas_err_set(e, "io", "%s: %s", spool_path,
		    strerror(errno));
	return 0;
}

static int request_prepare(struct aas_rec *, const char *, json_t **,
    const char *, ssize_t *, double *);

/*
 * A record already handled for its attempt: it has a response, or a
 * request under the custom_id it would be sent with now.
 */
static int
handled(struct aas_rec *rec, const char *cid)
{
	const char *rc = json_string_value(aas_rec_path(rec,
	    "request.custom_id"));

	return aas_rec_get(rec, "response") != NULL ||
	    (rc != NULL && strcmp(rc, cid) == 0);
}

/* --repair: the bound, the check output cap, the repository of the
 * previous attempt's diff, the record as it came (for repair_undo). */
static int repair;
static long max_attempts = 3, opt_attempts = -1;
static size_t tail_max = AAS_REPAIR_TAIL_MAX;
static struct aas_git *diff_git;
static char *diff_repo, *orig_line;
static size_t orig_len;

/* A failed record that may have one more attempt. */
static int
repair_wanted(struct aas_rec *rec)
{
	long k;

	if (!aas_repair_failed(rec->obj))
		return 0;
	k = aas_repair_attempt(rec->obj);
	if (k < max_attempts)
		return 1;
	if (!aas_quiet)
		aas_msg("%s: attempt %ld of %ld failed: no more repairs",
		    aas_rec_where(rec), k, max_attempts);
	return 0;
}

/* The repository apply.repo names (kept open for the next record). */
static struct aas_git *
repo_git(struct aas_rec *rec)
{
	const char *repo = json_string_value(aas_rec_path(rec, "apply.repo"));
	struct aas_err e;

	if (repo == NULL)
		return NULL;
	if (diff_repo != NULL && strcmp(diff_repo, repo) == 0)
		return diff_git;
	aas_git_close(diff_git);
	free(diff_repo);
	diff_repo = aas_xstrdup(repo);
	if (aas_git_open(&diff_git, repo, &e) == -1)
		diff_git = NULL;
	return diff_git;
}

/* Put the record back as it came: a repair that was not sent.  What
 * pointed into the record (its id) is gone. */
static void
repair_undo(struct aas_rec *rec)
{
	size_t lineno = rec->lineno;

	aas_rec_free(rec);
	aas_rec_parse(rec, orig_line, orig_len, NULL);
	rec->lineno = lineno;
}

/*
 * --repair, a failed record: the next attempt begins (history, the old
 * stage keys gone) and its request is prepared from the repair template.
 * With --sync an answer a run before this one got (and wrote down) is
 * taken instead of asking again.  Returns as prepare does.
 */
static int
repair_prepare(struct aas_rec *rec, const char *id, json_t **bodyp,
    char cid[65], ssize_t *skipri, double *estp)
{
	char shabuf[65];
	long next = aas_repair_attempt(rec->obj) + 1;
	json_t *fields, *stored = NULL;
	double cost_cap = max_cost;
	size_t prev_max = topts.file_max > 0 ? topts.file_max : 64 * 1024;
	int rc;

	aas_repair_custom_id(id, task_sha(rec, shabuf), next, cid);
	fields = aas_repair_fields(rec->obj, repo_git(rec), next, max_attempts,
	    tail_max, prev_max);
	free(orig_line);
	orig_line = aas_xstrndup(rec->line, rec->len);
	orig_len = rec->len;
	aas_repair_begin(rec, next);
	if (mode == MODE_SYNC && (stored = aas_repair_answer_load(st,
	    cid)) != NULL)
		max_cost = -1;	/* paid for already */
	topts.fields = fields;
	rc = request_prepare(rec, id, bodyp, cid, skipri, estp);
	topts.fields = NULL;
	max_cost = cost_cap;
	json_decref(fields);
	if (stored != NULL && rc == 0) {
		if (!aas_quiet)
			aas_msg("%s: attempt %ld answered in an earlier run: "
			    "not asked again", id, next);
		run_est -= *estp;
		json_decref(*bodyp);
		*bodyp = NULL;
		aas_rec_set(rec, "response", stored);
		rc = 1;
	}
	json_decref(stored);
	return rc;
}

/*
 * The model of a task, first found of: --model, the task's Model field
 * (board column or "- Model:" line, in fields), repair_model for an
 * attempt past the first, templates.TEMPLATE.model, the model key.
 */
static const char *
model_for(struct aas_rec *rec, const char *template)
{
	json_t *v, *t;
	const char *k;

	if (opt_model != NULL)
		return opt_model;
	json_object_foreach(aas_rec_get(rec, "fields"), k, v)
		if (strcasecmp(k, "model") == 0 && json_is_string(v) &&
		    *json_string_value(v) != '\0')
			return json_string_value(v);
	v = aas_rec_get(rec, "attempt");
	if (repair_model != NULL && json_is_integer(v) &&
	    json_integer_value(v) > 1)
		return repair_model;
	t = json_object_get(json_object_get(aas_config_get(cf, "templates"),
	    template), "model");
	if (json_is_string(t) && *json_string_value(t) != '\0')
		return json_string_value(t);
	return model;
}

/* The price of model m (1 with *p set, 0 when it has none), looked up
 * once per model. */
static json_t *prices_seen;

static int
price_for(const char *m, struct aas_price *p)
{
	json_t *v = json_object_get(prices_seen, m);

	if (v == NULL) {
		if (aas_price_lookup(cf, m, p, NULL) == 0)
			v = json_pack("[f,f,f]", p->input, p->output,
			    p->cached);
		else
			v = json_null();
		if (json_is_null(v) && max_cost < 0 && !aas_quiet &&
		    strcmp(m, model) != 0)
			aas_msg("no price for model %s: costs are not "
			    "tracked (set prices.%s in the config)", m, m);
		json_object_set_new(prices_seen, m, v);
	}
	if (!json_is_array(v))
		return 0;
	p->input = json_number_value(json_array_get(v, 0));
	p->output = json_number_value(json_array_get(v, 1));
	p->cached = json_number_value(json_array_get(v, 2));
	return 1;
}

/* The candidates a record asks for: --candidates, or 1 for a record that
 * already is one candidate. */
static long
cand_n(struct aas_rec *rec)
{
	return aas_rec_get(rec, "candidate") != NULL ? 1 : ncand;
}

/*
 * Prepare one record: the checks, the request key and the body.
 * Returns 0 with *bodyp set (the record needs a call), 1 when the record
 * is final as it is (failed, skipped: *skipri set), -1 fatal.
 */
static int
prepare(struct aas_rec *rec, json_t **bodyp, char cid[65], ssize_t *skipri,
    double *estp)
{
	const char *id;
	char shabuf[65], *branch;
	json_t *req;

	*bodyp = NULL;
	*skipri = -1;
	if (rec->bad || (!repair && aas_rec_get(rec, "error") != NULL))
		return 1;
	if (repair && !repair_wanted(rec))
		return 1;
	id = aas_rec_str(rec, "id");
	if (id == NULL || *id == '\0') {
		aas_rec_fail(rec, "submit", "no_id", "record has no id");
		failed = 1;
		return 1;
	}
	if (repair)
		return repair_prepare(rec, id, bodyp, cid, skipri, estp);
	aas_ledger_custom_id(id, task_sha(rec, shabuf), cid);
	if (!force && handled(rec, cid))
		return 1;
	if (!force && passed(rec, id, &branch)) {
		if (!aas_quiet)
			aas_msg("%s: Done, and branch %s exists: skipped "
			    "(--force sends it again)", id, branch);
		req = json_pack("{s:s, s:s, s:s}", "custom_id", cid,
		    "skipped", "done", "branch", branch);
		aas_rec_set(rec, "request", req);
		json_decref(req);
		free(branch);
		return 1;
	}
	return request_prepare(rec, id, bodyp, cid, skipri, estp);
}

static uint64_t
idset_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

/* The slot of id (hash h) in set: where it is, or the empty one it
 * would go in. */
static size_t
idset_slot(const struct idset *set, const char *id, uint64_t h)
{
	size_t j, m = set->cap - 1;

	for (j = (size_t)(h >> (64 - set->bits)); set->tab[j] != 0;
	    j = (j + 1) & m)
		if (set->tab[j] >> 40 == h >> 40 && strcmp(set->a +
		    (set->tab[j] & IDSET_OFF) - 1, id) == 0)
			break;
	return j;
}

/* Whether id is in set; *slotp where it is or would go (for
 * idset_add, while nothing else is added). */
static int
idset_has(const struct idset *set, const char *id, size_t *slotp)
{
	if (set->cap == 0)
		return 0;
	*slotp = idset_slot(set, id, idset_hash(id));
	return set->tab[*slotp] != 0;
}

/* Add id (not yet in set; slot from idset_has, or SIZE_MAX). */
static void
idset_add(struct idset *set, const char *id, size_t slot)
{
	size_t len = strlen(id) + 1, i, j, old = set->cap;
	uint64_t *otab = set->tab, h = idset_hash(id), oh;

	if (2 * (set->n + 1) > set->cap) {
		set->cap = old > 0 ? 2 * old : 1024;
		set->bits = old > 0 ? set->bits + 1 : 10;
		set->tab = aas_xcalloc(set->cap, sizeof(*set->tab));
		for (i = 0; i < old; i++) {
			if (otab[i] == 0)
				continue;
			/* the first slot from the bits kept, while they
			 * are enough; else from the id */
			oh = set->bits <= 24 ? otab[i] >> 40 << 40 :
			    idset_hash(set->a + (otab[i] & IDSET_OFF) - 1);
			for (j = (size_t)(oh >> (64 - set->bits));
			    set->tab[j] != 0; j = (j + 1) & (set->cap - 1))
				;
			set->tab[j] = otab[i];
		}
		free(otab);
		slot = SIZE_MAX;
	}
	if (set->alen + len > set->acap) {
		while (set->alen + len > set->acap)
			set->acap = set->acap > 0 ? 2 * set->acap : 4096;
		set->a = aas_xrealloc(set->a, set->acap);
	}
	memcpy(set->a + set->alen, id, len);
	set->tab[slot != SIZE_MAX ? slot : idset_slot(set, id, h)] =
	    h >> 40 << 40 | (uint64_t)(set->alen + 1);
	set->alen += len;
	set->n++;
}

/*
 * Batch, --jsonl and --dry-run: requests as text.  What no task changes
 * in a batch input line (the body's model, system text and schema, the
 * provider's wrapping) is made once per model: the line of a body whose
 * custom_id and user text are markers, cut at the markers.  A task's
 * line is those parts with its custom_id and user text put in as JSON
 * strings, which is the text aas_json_text writes for the line made from
 * its body, byte for byte (the body is never made).  Its request key is
 * written as text the same way.  Where a marker is not found once as a
 * whole string (a system text with fields, a provider that changes the
 * user text), under --repair (more fields), with candidates and with
 * --sync (bodies go out as they are), requests are made as JSON.
 */
#define MARK_CID	"\001aas custom_id\001"
#define MARK_USER	"\001aas user text\001"

struct lineplan {
	char	*model;
	int	 ok;
	const char *sys;	/* the system text (the template's) */
	char	*text;		/* the line with the markers */
	size_t	 len;
	size_t	 cut[4];	/* the first marker's start, end, the second's */
	int	 cid_first;	/* the first marker is the custom_id's */
	long	 tok0;		/* aas_template_est_parts without the user */
	size_t	 bytes0;	/* ... text, and the prompt bytes too */
	size_t	 pb0;
	struct aas_buf req;	/* the request key from "model" to
				   "est_tokens": */
};
static struct lineplan *plans;
static size_t nplans;

/* this task's request as text: its model, its batch input line, its
 * request key; the text of the estimate last written */
static struct {
	const char *model;
	struct aas_buf line;
	struct aas_buf req;
	struct aas_buf usd;
	double	 last;
} fast;

/* Where the JSON string of marker mark is in text: 0 (once), else -1. */
static int
mark_find(const char *text, size_t len, const char *mark, size_t *at,
    size_t *end)
{
	struct aas_buf b = AAS_BUF_INIT;
	const char *p;
	int rc = -1;

	(void)aas_json_add_string(&b, mark, strlen(mark));
	p = memmem(text, len, b.s, b.len);
	if (p != NULL && memmem(p + 1, len - (size_t)(p + 1 - text), b.s,
	    b.len) == NULL) {
		*at = (size_t)(p - text);
		*end = *at + b.len;
		rc = 0;
	}
	aas_buf_free(&b);
	return rc;
}

static void
plan_make(struct lineplan *p)
{
	json_t *body, *line;
	size_t a[2], z[2], bytes, n = strlen(MARK_USER);
	const char *tn;

	if (!aas_template_system_fixed(tmpl, &p->sys))
		return;
	body = aas_template_body_of(tmpl, p->sys, MARK_USER, &topts);
	line = aas_provider_batch_line(prov, MARK_CID, endpoint, body);
	p->text = aas_json_text(line, 0, &p->len);
	json_decref(line);
	aas_template_est_parts(body, &p->tok0, &bytes);
	p->pb0 = aas_template_prompt_bytes(body);
	json_decref(body);
	if (p->text == NULL || bytes < n || p->pb0 < n ||
	    mark_find(p->text, p->len, MARK_CID, &a[0], &z[0]) == -1 ||
	    mark_find(p->text, p->len, MARK_USER, &a[1], &z[1]) == -1)
		return;
	p->bytes0 = bytes - n;
	p->pb0 -= n;
	p->cid_first = a[0] < a[1];
	p->cut[0] = a[!p->cid_first];
	p->cut[1] = z[!p->cid_first];
	p->cut[2] = a[p->cid_first];
	p->cut[3] = z[p->cid_first];
	if (p->cut[1] > p->cut[2])
		return;
	/* the request key's middle, as the JSON of request_prepare has it */
	aas_buf_adds(&p->req, ",\"model\":");
	if (aas_json_add_string(&p->req, p->model, strlen(p->model)) == -1)
		return;
	aas_buf_adds(&p->req, ",\"endpoint\":");
	if (aas_json_add_string(&p->req, endpoint, strlen(endpoint)) == -1)
		return;
	aas_buf_adds(&p->req, ",\"template\":");
	tn = aas_template_name(tmpl);
	if (aas_json_add_string(&p->req, tn, strlen(tn)) == -1)
		return;
	aas_buf_adds(&p->req, ",\"est_tokens\":");
	p->ok = 1;
}

/* The plan of model m (topts.model), or NULL where requests are JSON. */
static struct lineplan *
plan_for(const char *m)
{
	size_t i;

	for (i = 0; i < nplans; i++)
		if (strcmp(plans[i].model, m) == 0)
			return plans[i].ok ? &plans[i] : NULL;
	plans = aas_xreallocarray(plans, nplans + 1, sizeof(*plans));
	memset(&plans[nplans], 0, sizeof(plans[0]));
	plans[nplans].model = aas_xstrdup(m);
	plan_make(&plans[nplans]);
	return plans[nplans++].ok ? &plans[nplans - 1] : NULL;
}

/* The batch input line of custom_id cid with user text user into
 * fast.line: 0, or -1 where user is not UTF-8 (json_pack refuses it). */
static int
line_make(const struct lineplan *p, const char *cid, const char *user)
{
	const char *first = p->cid_first ? cid : user;
	const char *second = p->cid_first ? user : cid;

	aas_buf_reset(&fast.line);
	aas_buf_add(&fast.line, p->text, p->cut[0]);
	if (aas_json_add_string(&fast.line, first, strlen(first)) == -1)
		return -1;
	aas_buf_add(&fast.line, p->text + p->cut[1], p->cut[2] - p->cut[1]);
	if (aas_json_add_string(&fast.line, second, strlen(second)) == -1)
		return -1;
	aas_buf_add(&fast.line, p->text + p->cut[3], p->len - p->cut[3]);
	return 0;
}

/* n in decimal, as "%lld" prints it. */
static void
add_num(struct aas_buf *b, long long n)
{
	char d[24];
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n :
	    (unsigned long long)n;
	int k = 0;

	if (n < 0)
		aas_buf_addc(b, '-');
	do
		d[k++] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	while (k > 0)
		aas_buf_addc(b, d[--k]);
}

/* The request key of request_prepare as text, into fast.req.  The text
 * of the last estimate is kept: most tasks of a run cost the same. */
static void
req_make(const struct lineplan *p, const char *cid, long long tok, int hp,
    double est, size_t pbytes)
{
	aas_buf_reset(&fast.req);
	aas_buf_adds(&fast.req, "{\"custom_id\":");
	(void)aas_json_add_string(&fast.req, cid, strlen(cid));
	aas_buf_add(&fast.req, p->req.s, p->req.len);
	add_num(&fast.req, tok);
	aas_buf_adds(&fast.req, ",\"est_usd\":");
	if (hp) {
		if (fast.usd.len == 0 || memcmp(&fast.last, &est,
		    sizeof(est)) != 0) {
			aas_buf_reset(&fast.usd);
			aas_json_add_real(&fast.usd, est, 15);
			fast.last = est;
		}
		aas_buf_add(&fast.req, fast.usd.s, fast.usd.len);
	} else
		aas_buf_adds(&fast.req, "null");
	aas_buf_adds(&fast.req, ",\"prompt_bytes\":");
	add_num(&fast.req, (long long)pbytes);
	aas_buf_addc(&fast.req, '}');
}

/*
 * The part of prepare that every request shares: the duplicate and
 * in-flight checks, the body (template fields from topts), the budget,
 * the request key.
 */
static int
request_prepare(struct aas_rec *rec, const char *id, json_t **bodyp,
    const char *cid, ssize_t *skipri, double *estp)
{
	const char *m;
	json_t *body = NULL, *req;
	long tok, nc, nreq;
	double est;
	ssize_t ri;
	struct aas_price pr;
	struct lineplan *lp = NULL;
	char *user = NULL;
	size_t pbytes, slot = SIZE_MAX;
	int hp;

	if (idset_has(&seen, cid, &slot)) {
		aas_rec_fail(rec, "submit", "duplicate", "task %s given "
		    "twice in this input", cid);
		failed = 1;
		return 1;
	}
	if (ledger_begin() == -1)
		return -1;
	ri = aas_ledger_inflight(ledger, cid);
	if (ri >= 0 && !force && mode != MODE_JSONL) {
		const struct aas_run *r = aas_ledger_run(ledger, (size_t)ri);

		if (!aas_quiet)
			aas_msg("%s: already in batch %s, skipped (--force "
			    "submits it again)", id, r->batch_id ? r->batch_id :
			    r->run);
		*skipri = ri;
		return 1;
	}
	m = model_for(rec, aas_template_name(tmpl));
	hp = price_for(m, &pr);
	topts.model = m;
	if (mode != MODE_SYNC && !repair && topts.fields == NULL &&
	    cand_n(rec) == 1 && (lp = plan_for(m)) != NULL)
		user = aas_template_user(tmpl, rec->obj, ctx, &topts);
	if (user != NULL && line_make(lp, cid, user) == 0) {
		tok = lp->tok0 + (long)((lp->bytes0 + strlen(user) + 3) / 4);
		pbytes = lp->pb0 + strlen(user);
		fast.model = m;
	} else {
		body = user != NULL ? aas_template_body_of(tmpl, lp->sys, user,
		    &topts) : aas_template_body(tmpl, rec->obj, ctx, &topts);
		tok = aas_template_est_tokens(body);
		pbytes = aas_template_prompt_bytes(body);
		lp = NULL;
	}
	free(user);
	/* N candidates: N outputs, of one request or of N */
	nc = cand_n(rec);
	nreq = cand_choices ? 1 : nc;
	est = hp ? aas_usd_round(aas_price_usd(&pr, tok * nreq,
	    est_output * nc, 0, discount)) : 0;
	if (max_cost >= 0) {
		if (!hp && repair) {
			json_decref(body);
			aas_msg("%s: no price for model %s: set prices.%s in "
			    "the config to use a budget", id, m, m);
			repair_undo(rec);
			failed = 1;
			return 1;
		}
		if (!hp) {
			json_decref(body);
			aas_rec_fail(rec, "submit", "no_price", "no price for "
			    "model %s: set prices.%s in the config to use a "
			    "budget", m, m);
			failed = 1;
			return 1;
		}
		if (aas_ledger_spent(ledger) + run_est + est > max_cost +
		    1e-9) {
			char lim[32], spent[32];

			json_decref(body);
			aas_stop_note("budget", "budget reached: %s USD spent "
			    "or committed, limit %s USD", aas_usd_format(
			    aas_ledger_spent(ledger) + run_est, spent,
			    sizeof(spent)), aas_usd_format(max_cost, lim,
			    sizeof(lim)));
			if (repair) {
				/* the failure stays as it was, for a re-run */
				aas_msg("%s: budget reached: %.4f USD spent or "
				    "committed, this repair's %.4f would pass "
				    "the limit of %s", id, aas_ledger_spent(
				    ledger) + run_est, est, aas_usd_format(
				    max_cost, lim, sizeof(lim)));
				repair_undo(rec);
				stopped = 1;
				return 1;
			}
			aas_rec_fail(rec, "submit", "budget", "budget reached: "
			    "%.4f USD spent or committed, this task's %.4f "
			    "would pass the limit of %s", aas_ledger_spent(
			    ledger) + run_est, est, aas_usd_format(max_cost,
			    lim, sizeof(lim)));
			stopped = 1;
			return 1;
		}
	}
	idset_add(&seen, cid, slot);
	run_est += est;
	if (lp != NULL && aas_rec_get(rec, "request") == NULL &&
	    (!hp || isfinite(est))) {
		req_make(lp, cid, (long long)(tok * nreq + est_output * nc), hp,
		    est, pbytes);
		aas_rec_add_text(rec, "request", fast.req.s, fast.req.len);
	} else {
		req = json_pack("{s:s, s:s, s:s, s:s, s:I}", "custom_id", cid,
		    "model", m, "endpoint", endpoint, "template",
		    aas_template_name(tmpl), "est_tokens",
		    (json_int_t)(tok * nreq + est_output * nc));
		json_object_set_new(req, "est_usd", hp ? json_real(est) :
		    json_null());
		json_object_set_new(req, "prompt_bytes",
		    json_integer((json_int_t)pbytes));
		aas_rec_set(rec, "request", req);
		json_decref(req);
	}
	est_tokens_total += tok * nreq + est_output * nc;
	*estp = est;
	*bodyp = body;
	return 0;
}

/* Batch and --jsonl: add a prepared record to the current chunk. */
static int
add_to_chunk(struct aas_rec *rec, json_t *body, const char *cid, double est,
    struct aas_err *fatal)
{
	json_t *line;
	char *made = NULL;
	const char *m, *text;
	size_t len;
	struct aas_err e;
	struct aas_run_writer *w = writer;
	ssize_t ci = -1;
	int rc = -1;

	if (body == NULL) {
		/* made as text (request_prepare) */
		m = fast.model;
		text = fast.line.s;
		len = fast.line.len;
	} else {
		m = json_string_value(aas_rec_path(rec, "request.model"));
		line = aas_provider_batch_line(prov, cid, endpoint, body);
		text = made = aas_json_text(line, 0, &len);
		json_decref(line);
		if (made == NULL) {
			aas_err_set(fatal, "io", "%s: the request cannot be "
			    "written as JSON", cid);
			return -1;
		}
	}
	if (mode == MODE_BATCH && (ci = chunk_open(m)) >= 0 &&
	    (aas_ledger_run_count(chunks[ci].w) + 1 > max_requests ||
	    aas_ledger_run_bytes(chunks[ci].w) + (long)len + 1 > max_bytes)) {
		if (chunk_end((size_t)ci, fatal) == -1)
			goto out;
		ci = -1;
		if (run_failed) {
			rc = 2;
			goto out;
		}
	}
	if (mode == MODE_BATCH && ci < 0) {
		memset(&e, 0, sizeof(e));
		if (chunk_begin(m, &e) == -1) {
			if (strcmp(e.code, "max_batches") != 0) {
				*fatal = e;
				goto out;
			}
			run_est -= est;
			stopped = 1;
			rc = 1;
			if (repair) {
				repair_undo(rec);
				aas_msg("%s: %s", aas_rec_where(rec), e.msg);
				goto out;
			}
			aas_rec_del(rec, "request");
			aas_rec_fail(rec, "submit", e.code, "%s", e.msg);
			goto out;
		}
		ci = (ssize_t)nchunks - 1;
	}
	if (mode == MODE_BATCH) {
		w = chunks[ci].w;
		last_chunk = (size_t)ci;
	}
	if (aas_ledger_run_add(w, cid, rec->line, rec->len, text, len,
	    est, fatal) == -1)
		goto out;
	last_w = w;
	ntasks++;
	rc = 0;
out:
	free(made);
	return rc;
}

/*
 * Candidates (--candidates N).  Candidate k of a task is a record of its
 * own: the task's record with "candidate": {k, n} and a request key whose
 * estimate is its share.  A provider with choices gets one request asking
 * for n answers (its custom_id the task's); another gets n requests, the
 * k-th under aas_ledger_candidate_id(cid, k).  The ledger knows candidate
 * k by that id either way (a tasks line each), so aas-fetch writes each
 * once.
 */
static void
cand_rec(struct aas_rec *rec, long k, long n, const char *rcid,
    struct aas_rec *c)
{
	json_t *req = json_deep_copy(aas_rec_get(rec, "request")), *v;

	aas_rec_parse(c, rec->line, rec->len, NULL);
	aas_rec_del(c, "request");
	v = json_pack("{s:I, s:I}", "k", (json_int_t)k, "n", (json_int_t)n);
	aas_rec_set(c, "candidate", v);
	json_decref(v);
	json_object_set_new(req, "custom_id", json_string(rcid));
	if (cand_choices)
		json_object_set_new(req, "n", json_integer(n));
	v = json_object_get(req, "est_tokens");
	json_object_set_new(req, "est_tokens", json_integer(
	    json_integer_value(v) / n));
	v = json_object_get(req, "est_usd");
	if (json_is_number(v))
		json_object_set_new(req, "est_usd", json_real(aas_usd_round(
		    json_number_value(v) / (double)n)));
	aas_rec_set(c, "request", req);
	json_decref(req);
}

/* The n candidates of rec, made. */
static struct aas_rec *
cand_make(struct aas_rec *rec, const char *cid, long n)
{
	struct aas_rec *c = aas_xcalloc((size_t)n, sizeof(*c));
	char kcid[65];
	long k;

	for (k = 1; k <= n; k++) {
		aas_ledger_candidate_id(cid, k, kcid);
		cand_rec(rec, k, n, cand_choices ? cid : kcid, &c[k - 1]);
	}
	return c;
}

static void
cand_free(struct aas_rec *c, long n)
{
	long k;

	for (k = 0; k < n; k++)
		aas_rec_free(&c[k]);
	free(c);
}

/*
 * Several records in the place of rec: their lines joined by newlines in
 * rec's text, which the record loop writes as it is, in one write and in
 * rec's place (--keep-order holds).
 */
static void
cand_lines(struct aas_rec *rec, struct aas_rec *c, long n)
{
	struct aas_buf b = AAS_BUF_INIT;
	long k;

	for (k = 0; k < n; k++) {
		if (k > 0)
			aas_buf_addc(&b, '\n');
		aas_buf_add(&b, c[k].line, c[k].len);
	}
	free(rec->line);
	rec->line = aas_buf_detach(&b, &rec->len);
}

/*
 * Batch, --jsonl and --dry-run, a prepared record with candidates: the
 * requests into the run, and the candidates written (--jsonl, --dry-run:
 * in rec's place) or spooled.  Returns what batch_step returns.
 */
static int
cand_batch(struct aas_rec *rec, json_t *body, const char *cid, double est,
    struct aas_err *e)
{
	long n = ncand, k, j, nreq = cand_choices ? 1 : n;
	struct aas_rec *c = cand_make(rec, cid, n);
	ssize_t *ci = aas_xcalloc((size_t)n, sizeof(*ci));
	const char *code, *msg;
	char kcid[65];
	int rc = 0, any = 0;

	if (cand_choices)
		json_object_set_new(body, "n", json_integer(n));
	for (k = 1; k <= n; k++) {
		ci[k - 1] = -1;
		if (mode == MODE_DRY || rc != 0)
			continue;
		aas_ledger_candidate_id(cid, k, kcid);
		if (k > nreq)
			rc = aas_ledger_run_add_more(last_w, kcid, c[k - 1].line,
			    c[k - 1].len, e);
		else
			rc = add_to_chunk(&c[k - 1], body, kcid, est /
			    (double)nreq, e);
		if (rc == 0)
			ci[k - 1] = (ssize_t)last_chunk;
		if (rc == 1) {
			/* refused (max_batches): so are the ones after */
			code = json_string_value(aas_rec_path(&c[k - 1],
			    "error.code"));
			msg = json_string_value(aas_rec_path(&c[k - 1],
			    "error.message"));
			for (j = k; j < n; j++) {
				aas_rec_del(&c[j], "request");
				aas_rec_fail(&c[j], "submit", code, "%s", msg);
			}
			run_est -= est / (double)nreq * (double)(nreq - k);
		}
	}
	if (rc == -1 || rc == 2) {
		if (rc == 2)
			run_est -= est;
		cand_free(c, n);
		free(ci);
		return rc == -1 ? -1 : AAS_LOOP_DROP;
	}
	for (k = 0; k < n; k++) {
		any |= aas_rec_get(&c[k], "error") != NULL;
		if (mode == MODE_BATCH && (ci[k] >= 0 ? spool_put('B', (long)ci[k],
		    &c[k], e) : spool_put('P', 0, &c[k], e)) == -1) {
			cand_free(c, n);
			free(ci);
			return -1;
		}
	}
	if (mode != MODE_BATCH)
		cand_lines(rec, c, n);
	cand_free(c, n);
	free(ci);
	return mode == MODE_BATCH ? AAS_LOOP_DROP : any;
}

/* Batch mode, second pass: every input line with its batch key. */
static int
emit_spool(void)
{
	struct aas_reader r;
	struct aas_rec rec;
	char *tab, *tab2, kind, **keys = NULL;
	size_t *keylen = NULL, nkeys = 0, ri, i = 0;
	long num;
	json_t *key;
	int rc = 0, keyed;

	if (fflush(spool) == EOF || fseek(spool, 0, SEEK_SET) == -1) {
		aas_warn("%s", spool_path);
		return -1;
	}
	aas_reader_init(&r, spool, spool_path);
	/* The reader parses whole lines; the spool's prefix is split off
	 * by hand, so read raw lines. */
	for (;;) {
		ssize_t n = getline(&r.buf, &r.cap, spool);

		if (n <= 0)
			break;
		if (r.buf[n - 1] == '\n')
			r.buf[--n] = '\0';
		keyed = i < nspooled && (spool_keyed[i / 8] >> i % 8 & 1);
		i++;
		kind = r.buf[0];
		tab = strchr(r.buf, '\t');
		tab2 = tab ? strchr(tab + 1, '\t') : NULL;
		if (tab2 == NULL)
			continue;
		num = strtol(tab + 1, NULL, 10);
		if (kind == 'B' && chunks[num].ri < 0 &&
		    run_error(chunks[num].err.code, chunks[num].model))
			continue;
		if (!keyed && (kind == 'S' || (kind == 'B' &&
		    chunks[num].ri >= 0))) {
			/* the usual case: the key's text, made once a run,
			 * goes in before the closing brace */
			ri = kind == 'S' ? (size_t)num : (size_t)chunks[num].ri;
			if (ri >= nkeys) {
				keys = aas_xreallocarray(keys, ri + 1,
				    sizeof(*keys));
				keylen = aas_xreallocarray(keylen, ri + 1,
				    sizeof(*keylen));
				for (; nkeys <= ri; nkeys++)
					keys[nkeys] = NULL;
			}
			if (keys[ri] == NULL) {
				key = aas_ledger_batch_key(aas_ledger_run(
				    ledger, ri));
				keys[ri] = aas_json_text(key, 15, &keylen[ri]);
				json_decref(key);
				if (keys[ri] == NULL) {
					keys[ri] = aas_xstrdup("null");
					keylen[ri] = 4;
				}
			}
			memset(&rec, 0, sizeof(rec));
			rec.line = tab2 + 1;
			rec.len = (size_t)(r.buf + n - tab2 - 1);
			if ((rc = aas_rec_put_with(stdout, &rec, "batch",
			    keys[ri], keylen[ri])) == -1)
				break;
			continue;
		} else if (kind == 'S' || (kind == 'B' && chunks[num].ri >= 0)) {
			/* a record that parsed on the way in: aas_rec_set
			 * splices the key into its text, so the line is all
			 * it needs (not parsed again) */
			memset(&rec, 0, sizeof(rec));
			rec.line = aas_xstrndup(tab2 + 1,
			    (size_t)(r.buf + n - tab2 - 1));
			rec.len = (size_t)(r.buf + n - tab2 - 1);
			rec.obj = json_object();
		} else
			aas_rec_parse(&rec, tab2 + 1,
			    (size_t)(r.buf + n - tab2 - 1), NULL);
		if (kind == 'S' || (kind == 'B' && chunks[num].ri >= 0)) {
			ri = kind == 'S' ? (size_t)num : (size_t)chunks[num].ri;
			key = aas_ledger_batch_key(aas_ledger_run(ledger, ri));
			aas_rec_set(&rec, "batch", key);
			json_decref(key);
		} else if (kind == 'B') {
			aas_rec_fail_err(&rec, "submit", &chunks[num].err);
		}
		/* in blocks: nothing here waits for input */
		rc = aas_rec_put(stdout, &rec);
		aas_rec_free(&rec);
		if (rc == -1)
			break;
	}
	aas_reader_free(&r);
	while (nkeys > 0)
		free(keys[--nkeys]);
	free(keys);
	free(keylen);
	if (rc == -1 || aas_out_flush(stdout) == -1) {
		aas_warn("write error");
		return -1;
	}
	return 0;
}

/*
 * Batch, --jsonl and --dry-run, one record: checked and added to the run.
 * --jsonl and --dry-run write it now; batch mode keeps it in the spool
 * until the batches exist.
 */
static int
batch_step(struct aas_rec *rec, void *arg, struct aas_err *e)
{
	json_t *body, *key;
	char cid[65];
	ssize_t skipri;
	double est;
	int rc;

	(void)arg;
	if (rec->bad)
		failed = 1;
	rc = prepare(rec, &body, cid, &skipri, &est);
	if (rc == -1 && lock_failed) {
		*e = lock_err;
		return -1;
	}
	if (rc == 0 && run_failed) {
		/* not sent, not written: see run_error_exit */
		json_decref(body);
		run_est -= est;
		return AAS_LOOP_DROP;
	}
	if (rc == 0 && cand_n(rec) > 1) {
		rc = cand_batch(rec, body, cid, est, e);
		json_decref(body);
		return rc;
	}
	if (rc == 0 && mode != MODE_DRY)
		rc = add_to_chunk(rec, body, cid, est, e);
	json_decref(body);
	if (rc == -1)
		return -1;
	if (rc == 2) {
		run_est -= est;
		return AAS_LOOP_DROP;
	}
	if (mode == MODE_BATCH) {
		if (rc == 0)
			rc = spool_put('B', (long)last_chunk, rec, e);
		else if (skipri >= 0)
			rc = spool_put('S', (long)skipri, rec, e);
		else
			rc = spool_put('P', 0, rec, e);
		return rc == -1 ? -1 : AAS_LOOP_DROP;
	}
	if (skipri >= 0) {
		key = aas_ledger_batch_key(aas_ledger_run(ledger,
		    (size_t)skipri));
		aas_rec_set(rec, "batch", key);
		json_decref(key);
	}
	return 0;
}

/* Batch, --jsonl and --dry-run: read everything, then emit. */
static char out_buf[1 << 18];

static int
run_batch(void)
{
	struct aas_loop l;
	struct aas_err e;
	int status;
	char *dir;
	size_t i;

	/* records leave in blocks anyway (the loop's hold, emit_spool):
	 * in big ones, before the first output */
	if (!isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	if (mode == MODE_BATCH) {
		dir = aas_state_path(st, "tmp");
		if (aas_mkdirs(dir, 0755, &e) == -1) {
			aas_msg("%s", e.msg);
			free(dir);
			return AAS_EXIT_USAGE;
		}
		spool_path = aas_xasprintf("%s/submit-%s.spool", dir,
		    run_base);
		free(dir);
		spool = fopen(spool_path, "w+e");
		if (spool == NULL) {
			aas_warn("%s", spool_path);
			return AAS_EXIT_USAGE;
		}
		spool_buf = aas_xmalloc(1 << 20);
		(void)setvbuf(spool, spool_buf, _IOFBF, 1 << 20);
	}
	if (mode == MODE_JSONL) {
		memset(&e, 0, sizeof(e));
		if (aas_ledger_run_begin(ledger, &writer, provider_kind, model,
		    endpoint, aas_template_name(tmpl), jsonl_file, &e) == -1) {
			aas_msg("%s", e.msg);
			return AAS_EXIT_USAGE;
		}
	}
	memset(&l, 0, sizeof(l));
	l.stage = "submit";
	l.step = batch_step;
	l.see_errors = l.see_bad = 1;
	l.hold = l.quick = 1;
	l.state = st;
	status = aas_loop_run(&l, stdin, "stdin", stdout);
	if (status == AAS_EXIT_STOPPED) {
		stopped = 1;
		status = AAS_EXIT_OK;
	} else if (status == AAS_EXIT_RECORD) {
		failed = 1;
		status = AAS_EXIT_OK;
	} else if (status != AAS_EXIT_OK)
		status = AAS_EXIT_FATAL;
	if (status == AAS_EXIT_FATAL) {
		aas_ledger_run_discard(writer);
		writer = NULL;
		for (i = 0; i < nchunks; i++) {
			aas_ledger_run_discard(chunks[i].w);
			chunks[i].w = NULL;
		}
		return status;
	}
	memset(&e, 0, sizeof(e));
	for (i = 0; mode == MODE_BATCH && i < nchunks; i++)
		if (chunks[i].w != NULL && chunk_end(i, &e) == -1) {
			aas_msg("%s", e.msg);
			return AAS_EXIT_FATAL;
		}
	if (mode == MODE_JSONL) {
		if (aas_ledger_run_commit(ledger, writer, &e) == -1) {
			writer = NULL;
			aas_msg("%s", e.msg);
			return AAS_EXIT_FATAL;
		}
		writer = NULL;
	}
	if (mode == MODE_BATCH && emit_spool() == -1)
		return AAS_EXIT_FATAL;
	if (mode == MODE_DRY)
		aas_msg("dry run: %ld tasks, %lld tokens, %.4f USD estimated",
		    (long)seen.n, est_tokens_total, run_est);
	else if (mode == MODE_BATCH && aas_progress_enabled())
		aas_msg("%ld tasks in %ld batches", ntasks, nbatches);
	return status;
}

/* --sync: calls through aas_provider_chat_many, records through the
 * loop's pull mode. */
struct group;
struct pending {
	struct aas_rec *rec;	/* the loop's */
	char	 cid[65];
	double	 est;
	int	 repair;	/* a repair: its answer is kept */
	struct group *g;	/* candidates: the group, else NULL */
	long	 k;		/* ... the candidate this request answers */
};
static struct aas_loop sloop;

/* --sync with candidates: the n records of one task, written together
 * once every request of theirs came back. */
struct group {
	struct aas_rec *rec;	/* the loop's */
	struct aas_rec *c;	/* the candidates */
	long	 n, nreq;	/* candidates, requests */
	long	 sent, back;
	int	 failed, closed;
	json_t	*body;		/* for the requests still to start */
	char	 cid[65];
	double	 est;		/* of every request */
};
static struct group *gnext;	/* a group with requests still to start */

static void
group_finish(struct group *g)
{
	if (g->closed)
		/* a run error stopped it: not sent whole, not written */
		aas_loop_done(&sloop, g->rec, AAS_LOOP_DROP, NULL);
	else {
		cand_lines(g->rec, g->c, g->n);
		aas_loop_done(&sloop, g->rec, g->failed, NULL);
	}
	cand_free(g->c, g->n);
	json_decref(g->body);
	free(g);
}

/* Candidate k's record of g gets result res (or the error e). */
static void
cand_answer(struct group *g, long k, json_t *res, const struct aas_err *e,
    const struct aas_price *pr)
{
	struct aas_rec *c = &g->c[k - 1];
	json_t *ch, *resp;
	const char *code, *msg;
	char buf[32], kcid[65];
	struct aas_err le;
	double usd;
	int ok = 0;

	/* one request a candidate: its answer is its only choice */
	ch = res != NULL ? aas_result_choice(res, cand_choices ? (size_t)k :
	    1) : NULL;
	if (res == NULL)
		aas_rec_fail_err(c, "submit", e);
	else if (ch == NULL)
		aas_rec_fail(c, "submit", "missing_choice", "the answer holds "
		    "no choice %ld", k);
	else if (!json_is_true(json_object_get(ch, "ok"))) {
		aas_result_error(ch, 0, buf, &code, &msg);
		aas_rec_fail(c, "submit", code, "%s", msg);
	} else {
		resp = aas_response_key_n(ch, pr, 1, (size_t)(cand_choices ?
		    g->n : 1), &usd);
		aas_rec_set(c, "response", resp);
		json_decref(resp);
		ok = 1;
	}
	json_decref(ch);
	if (!ok) {
		if (!aas_quiet)
			aas_msg("%s: candidate %ld: %s", aas_rec_where(c), k,
			    json_string_value(aas_rec_path(c,
			    "error.message")));
		g->failed = failed = 1;
	}
	aas_ledger_candidate_id(g->cid, k, kcid);
	memset(&le, 0, sizeof(le));
	if (aas_ledger_mark_fetched(ledger, kcid, run_base, ok, &le) == -1)
		aas_msg("%s", le.msg);
}

/* A request of a group came back. */
static void
cand_done(struct pending *pd, json_t *res, const struct aas_err *e)
{
	struct group *g = pd->g;
	struct aas_price pr;
	struct aas_err le;
	const char *m;
	double usd = 0;
	int hp;
	long k;

	run_est -= pd->est;
	g->back++;
	m = json_string_value(aas_rec_path(&g->c[0], "request.model"));
	hp = price_for(m, &pr);
	if (res == NULL && run_error(e->code, m)) {
		note_run_error(e);
		g->closed = 1;
	} else if (cand_choices)
		for (k = 1; k <= g->n; k++)
			cand_answer(g, k, res, e, hp ? &pr : NULL);
	else
		cand_answer(g, pd->k, res, e, hp ? &pr : NULL);
	if (res != NULL) {
		/* the request's cost, once */
		json_decref(aas_response_key(res, hp ? &pr : NULL, 1, &usd));
		memset(&le, 0, sizeof(le));
		if (aas_ledger_call_cost(ledger, run_base, pd->cid, m, usd,
		    &le) == -1)
			aas_msg("%s", le.msg);
	}
	if (g->back == g->sent && (g->sent == g->nreq || g->closed)) {
		if (gnext == g)
			gnext = NULL;
		group_finish(g);
	}
}

/* The next request of the group in gnext. */
static void
cand_next(struct pending *pd, json_t **bodyp)
{
	struct group *g = gnext;

	pd->rec = g->rec;
	pd->g = g;
	pd->k = ++g->sent;
	pd->est = g->est / (double)g->nreq;
	aas_ledger_candidate_id(g->cid, pd->k, pd->cid);
	*bodyp = json_incref(g->body);
	if (g->sent == g->nreq)
		gnext = NULL;
}

/* A prepared record with candidates: its group, and its first request. */
static void
cand_start(struct pending *pd, json_t *body)
{
	struct group *g = aas_xcalloc(1, sizeof(*g));

	g->rec = pd->rec;
	g->n = ncand;
	g->nreq = cand_choices ? 1 : ncand;
	g->c = cand_make(pd->rec, pd->cid, g->n);
	g->est = pd->est;
	snprintf(g->cid, sizeof(g->cid), "%s", pd->cid);
	g->sent = 1;
	pd->g = g;
	pd->k = 1;
	pd->est = g->est / (double)g->nreq;
	if (cand_choices)
		json_object_set_new(body, "n", json_integer(g->n));
	else if (g->nreq > 1) {
		g->body = json_incref(body);
		gnext = g;
	}
}

static int
sync_next(void *arg, json_t **bodyp, void **tagp)
{
	struct pending *pd;
	struct aas_rec *rec;
	ssize_t skipri;
	int rc;

	(void)arg;
	pd = aas_xcalloc(1, sizeof(*pd));
	if (gnext != NULL && !halt) {
		cand_next(pd, bodyp);
		*tagp = pd;
		return 1;
	}
	if (gnext != NULL) {
		struct group *g = gnext;

		gnext = NULL;
		g->closed = 1;
		if (g->back == g->sent)
			group_finish(g);
	}
	while (!halt && aas_loop_next(&sloop, &rec) == 1) {
		pd->rec = rec;
		rc = prepare(rec, bodyp, pd->cid, &skipri, &pd->est);
		if (rc == 0) {
			pd->repair = repair;
			if (cand_n(rec) > 1)
				cand_start(pd, *bodyp);
			*tagp = pd;
			return 1;
		}
		if (rc == -1) {
			/* the record goes out unsent; nothing more is read */
			aas_msg("%s", lock_err.msg);
			aas_loop_done(&sloop, rec, 0, NULL);
			break;
		}
		if (skipri >= 0) {
			json_t *key = aas_ledger_batch_key(
			    aas_ledger_run(ledger, (size_t)skipri));

			aas_rec_set(rec, "batch", key);
			json_decref(key);
		}
		aas_loop_done(&sloop, rec, 0, NULL);
	}
	free(pd);
	return 0;
}

static void
sync_done(void *arg, void *tag, json_t *res, const struct aas_err *e)
{
	struct pending *pd = tag;
	struct aas_rec *rec = pd->rec;
	json_t *resp;
	double usd = 0;
	struct aas_err le;
	struct aas_price pr;
	int hp;

	(void)arg;
	if (pd->g != NULL) {
		cand_done(pd, res, e);
		free(pd);
		return;
	}
	hp = price_for(json_string_value(aas_rec_path(rec, "request.model")),
	    &pr);
	run_est -= pd->est;
	if (res == NULL && run_error(e->code, json_string_value(aas_rec_path(
	    rec, "request.model")))) {
		note_run_error(e);
		aas_loop_done(&sloop, rec, AAS_LOOP_DROP, NULL);
	} else if (res == NULL) {
		aas_rec_fail_err(rec, "submit", e);
		failed = 1;
		aas_loop_done(&sloop, rec, 1, NULL);
	} else {
		resp = aas_response_key(res, hp ? &pr : NULL, 1, &usd);
		aas_rec_set(rec, "response", resp);
		json_decref(resp);
		memset(&le, 0, sizeof(le));
		if (aas_ledger_call_cost(ledger, run_base, pd->cid,
		    json_string_value(aas_rec_path(rec, "request.model")), usd,
		    &le) == -1 || aas_ledger_mark_fetched(ledger, pd->cid,
		    run_base, 1, &le) == -1 || (pd->repair &&
		    aas_repair_answer_save(st, pd->cid, resp, &le) == -1))
			aas_msg("%s", le.msg);
		aas_loop_done(&sloop, rec, 0, NULL);
	}
	free(pd);
}

static int
run_sync(void)
{
	struct aas_err e;
	int rc, status;

	memset(&e, 0, sizeof(e));
	sloop.stage = "submit";
	sloop.state = st;
	sloop.keep_order = keep_order;
	sloop.see_errors = repair;
	aas_loop_begin(&sloop, stdin, "stdin", stdout);
	rc = aas_provider_chat_many(prov, jobs, rpm, tpm, sync_next, sync_done,
	    NULL, &e);
	status = aas_loop_end(&sloop);
	if (status == AAS_EXIT_STOPPED) {
		stopped = 1;
		status = AAS_EXIT_OK;
	} else if (status == AAS_EXIT_RECORD) {
		failed = 1;
		status = AAS_EXIT_OK;
	} else if (status != AAS_EXIT_OK)
		status = AAS_EXIT_FATAL;
	if (ledger != NULL && aas_ledger_sync(ledger, &e) == -1)
		aas_msg("%s", e.msg);
	if (rc == -1) {
		aas_msg("%s", e.msg);
		return AAS_EXIT_FATAL;
	}
	return status;
}

static void
flag_set(const char *path, const char *val, const char *flag)
{
	json_t *v;

	if (val == NULL)
		return;
	v = json_string(val);
	aas_config_set(cf, path, v, flag);
	json_decref(v);
}

static int
cfg_num(const char *path, double *out, struct aas_err *e)
{
	return aas_config_num(cf, path, out, e) == -1 ? -1 : 0;
}

static int
cfg_long(const char *path, long *out, struct aas_err *e)
{
	long long v;
	int rc = aas_config_int(cf, path, &v, e);

	if (rc == 0)
		*out = (long)v;
	return rc == -1 ? -1 : 0;
}

enum { OPT_BASE = 256, OPT_CANDIDATES, OPT_DRY_RUN, OPT_INTEGRATE,
	OPT_JSONL, OPT_KEEP_ORDER,
	OPT_MAX_BATCHES, OPT_MAX_BYTES, OPT_MAX_COST, OPT_MAX_REQUESTS,
	OPT_MODEL, OPT_PROVIDER, OPT_RPM, OPT_SYNC, OPT_TEMPLATE, OPT_TPM,
	OPT_REPAIR, OPT_MAX_ATTEMPTS };

static const char *tname;
static double opt_bytes = -1, opt_requests = -1;
static int sync_mode;

static int
option(struct aas_cmd *c, int ch, const char *arg, struct aas_err *e)
{
	double d;

	(void)c;
	switch (ch) {
	case 'j':
		if (num_arg(arg, "-j", 1, 1024, &d, e) == -1)
			return -1;
		jobs = (int)d;
		break;
	case OPT_CANDIDATES:
		if (num_arg(arg, "--candidates", 1, 100, &d, e) == -1)
			return -1;
		if (d != (long)d)
			return aas_err_set(e, "usage", "--candidates: not a "
			    "whole number: %s", arg);
		ncand = (long)d;
		break;
	case OPT_BASE:
		base_rev = arg;
		break;
	case OPT_DRY_RUN:
		mode = MODE_DRY;
		break;
	case OPT_INTEGRATE:
		integrate = 1;
		break;
	case 'f':
		force = 1;
		break;
	case OPT_JSONL:
		jsonl_file = arg;
		break;
	case OPT_KEEP_ORDER:
		keep_order = 1;
		break;
	case OPT_MAX_ATTEMPTS:
		if (num_arg(arg, "--max-attempts", 1, 1000, &d, e) == -1)
			return -1;
		opt_attempts = (long)d;
		break;
	case OPT_MAX_BATCHES:
		if (num_arg(arg, "--max-batches", 0, HUGE_VAL, &d, e) == -1)
			return -1;
		max_batches = (long)d;
		break;
	case OPT_MAX_BYTES:
		return num_arg(arg, "--max-bytes", 1, HUGE_VAL, &opt_bytes, e);
	case OPT_MAX_COST:
		return num_arg(arg, "--max-cost", 0, HUGE_VAL, &max_cost, e);
	case OPT_MAX_REQUESTS:
		return num_arg(arg, "--max-requests", 1, HUGE_VAL,
		    &opt_requests, e);
	case OPT_MODEL:
		model = arg;
		break;
	case OPT_PROVIDER:
		provider_kind = arg;
		break;
	case OPT_REPAIR:
		repair = 1;
		break;
	case OPT_RPM:
		return num_arg(arg, "--rpm", 0, HUGE_VAL, &rpm, e);
	case OPT_SYNC:
		sync_mode = 1;
		break;
	case OPT_TEMPLATE:
		tname = arg;
		break;
	case OPT_TPM:
		return num_arg(arg, "--tpm", 0, HUGE_VAL, &tpm, e);
	}
	return 0;
}

static int
operands(struct aas_cmd *c, int argc, char **argv, struct aas_err *e)
{
	(void)argc;
	(void)argv;
	if ((sync_mode != 0) + (jsonl_file != NULL) + (mode == MODE_DRY) > 1)
		return aas_err_set(e, "usage", "--sync, --jsonl and --dry-run "
		    "exclude each other");
	if (base_rev != NULL && integrate)
		return aas_err_set(e, "usage", "--base and --integrate exclude "
		    "each other");
	if (sync_mode)
		mode = MODE_SYNC;
	else if (jsonl_file != NULL)
		mode = MODE_JSONL;
	if (mode != MODE_DRY)
		c->need |= AAS_NEED_MKSTATE | AAS_NEED_LOCK;
	return 0;
}

/* --repair: the bound, the output cap, the template (the built-in
 * "repair" unless --template names one: config "template" is the first
 * attempt's). */
static int repair_tflag;

static int
repair_setup(const char *flag_template, struct aas_err *e)
{
	long n = -1;

	repair_tflag = flag_template != NULL;
	if (cfg_long("max_attempts", &max_attempts, e) == -1 ||
	    cfg_long("repair.tail_max", &n, e) == -1)
		return -1;
	if (opt_attempts > 0)
		max_attempts = opt_attempts;
	if (max_attempts < 1)
		max_attempts = 3;
	if (n >= 0)
		tail_max = (size_t)n;
	return 0;
}

/* The configuration: model, provider, template, limits, price. */
static int
setup(struct aas_cmd *c, struct aas_err *e)
{
	const struct aas_provider_info *pi;
	double budget = -1;
	long fm = 0;
	struct aas_price pr;

	cf = c->cf;
	st = c->st;
	if (repair && repair_setup(tname, e) == -1)
		return -1;
	opt_model = model;
	flag_set("model", model, "--model");
	flag_set("provider", provider_kind, "--provider");
	flag_set("template", tname, "--template");
	model = "gpt-4.1-mini";
	provider_kind = AAS_PROVIDER_DEFAULT;
	tname = "implement";
	if (aas_config_str(cf, "model", &model, e) == -1 ||
	    aas_config_str(cf, "provider", &provider_kind, e) == -1 ||
	    aas_config_str(cf, "template", &tname, e) == -1 ||
	    aas_config_str(cf, "apply.branch_prefix", &branch_prefix,
	    e) == -1 ||
	    cfg_num("budget", &budget, e) == -1 ||
	    cfg_num("batch.discount", &discount, e) == -1 ||
	    cfg_long("batch.max_requests", &max_requests, e) == -1 ||
	    cfg_long("batch.max_bytes", &max_bytes, e) == -1 ||
	    cfg_long("max_tokens", &topts.max_tokens, e) == -1 ||
	    cfg_long("estimate_output_tokens", &est_output, e) == -1 ||
	    cfg_long("template_file_max", &fm, e) == -1 ||
	    aas_config_str(cf, "repair_model", &repair_model, e) == -1 ||
	    aas_project_id(cf, aas_state_root(st), &project, e) == -1)
		return -1;
	prices_seen = json_object();
	if (branch_prefix == NULL)
		branch_prefix = "aas/";
	topts.file_max = fm > 0 ? (size_t)fm : 0;
	if (max_cost < 0 && budget >= 0)
		max_cost = budget;
	if ((pi = aas_provider_info(provider_kind)) == NULL)
		return aas_err_set(e, "config", "%s: unknown provider %s (%s)",
		    aas_config_where(cf, "provider"), provider_kind,
		    aas_provider_names());
	endpoint = pi->endpoint;
	cand_choices = pi->choices;
	if (max_requests <= 0 || max_requests > pi->max_requests)
		max_requests = pi->max_requests;
	if (max_bytes <= 0 || max_bytes > pi->max_bytes)
		max_bytes = pi->max_bytes;
	if (opt_requests > 0 && opt_requests < max_requests)
		max_requests = (long)opt_requests;
	if (opt_bytes > 0 && opt_bytes < max_bytes)
		max_bytes = (long)opt_bytes;
	if (mode == MODE_SYNC)
		discount = 1;
	topts.model = model;
	/* the configured model's price: a bad one is a configuration error;
	 * each task's model is priced as it comes (price_for) */
	switch (aas_price_lookup(cf, model, &pr, e)) {
	case -1:
		return -1;
	case 0:
		break;
	default:
		if (max_cost < 0 && !aas_quiet)
			aas_msg("no price for model %s: costs are not "
			    "tracked (set prices.%s in the config)", model,
			    model);
	}
	if (aas_template_load(&tmpl, repair && !repair_tflag ? "repair" :
	    tname, e) == -1 ||
	    aas_context_setup(&ctx, aas_state_root(st), cf, base_rev,
	    integrate, e) == -1)
		return -1;
	/* No network without a key is fine: the batch line needs none. */
	pool = aas_provider_pool_new(cf, aas_verbose);
	prov = aas_provider_pool_get(pool, provider_kind, mode == MODE_DRY ||
	    mode == MODE_JSONL ? "no-key-needed" : NULL, e);
	return prov == NULL ? -1 : 0;
}

static int
run(struct aas_cmd *c)
{
	int status;

	cmdp = c;
	run_base = aas_ledger_new_run_id();
	/* --jsonl writes its run from the start */
	if (mode == MODE_JSONL && ledger_begin() == -1) {
		aas_msg("%s", lock_err.msg);
		return AAS_EXIT_USAGE;
	}
	status = mode == MODE_SYNC ? run_sync() : run_batch();
	if (lock_failed)	/* batch mode has written nothing yet */
		return mode == MODE_SYNC && sloop.nout > 0 ? AAS_EXIT_FATAL :
		    AAS_EXIT_USAGE;
	if (run_failed && (status == AAS_EXIT_OK ||
	    status == AAS_EXIT_RECORD)) {
		/* every other task would fail the same way: stop, fail none */
		aas_msg("%s", run_err.msg);
		return AAS_EXIT_USAGE;
	}
	if (status == AAS_EXIT_OK && failed)
		status = AAS_EXIT_RECORD;
	if ((status == AAS_EXIT_OK || status == AAS_EXIT_RECORD) && stopped)
		status = AAS_EXIT_STOPPED;
	return status;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	if (spool != NULL) {
		fclose(spool);
		unlink(spool_path);
	}
	free(spool_buf);
	free(spool_path);
	while (nchunks > 0)
		free(chunks[--nchunks].model);
	free(chunks);
	free(run_base);
	free(seen.a);
	free(seen.tab);
	free(spool_keyed);
	while (nplans > 0) {
		free(plans[--nplans].model);
		free(plans[nplans].text);
		aas_buf_free(&plans[nplans].req);
	}
	free(plans);
	aas_buf_free(&fast.line);
	aas_buf_free(&fast.req);
	aas_buf_free(&fast.usd);
	json_decref(prices_seen);
	free(project);
	aas_ledger_close(ledger);
	aas_provider_pool_free(pool);
	aas_template_free(tmpl);
	aas_context_free(ctx);
	aas_git_close(git);
	aas_git_close(diff_git);
	free(diff_repo);
	free(orig_line);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "base",	  required_argument, NULL, OPT_BASE },
		{ "candidates",	  required_argument, NULL, OPT_CANDIDATES },
		{ "dry-run",	  no_argument,	     NULL, OPT_DRY_RUN },
		{ "force",	  no_argument,	     NULL, 'f' },
		{ "integrate",	  no_argument,	     NULL, OPT_INTEGRATE },
		{ "jobs",	  required_argument, NULL, 'j' },
		{ "jsonl",	  required_argument, NULL, OPT_JSONL },
		{ "keep-order",	  no_argument,	     NULL, OPT_KEEP_ORDER },
		{ "max-batches",  required_argument, NULL, OPT_MAX_BATCHES },
		{ "max-bytes",	  required_argument, NULL, OPT_MAX_BYTES },
		{ "max-cost",	  required_argument, NULL, OPT_MAX_COST },
		{ "max-requests", required_argument, NULL, OPT_MAX_REQUESTS },
		{ "model",	  required_argument, NULL, OPT_MODEL },
		{ "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
		{ "provider",	  required_argument, NULL, OPT_PROVIDER },
		{ "repair",	  no_argument,	     NULL, OPT_REPAIR },
		{ "rpm",	  required_argument, NULL, OPT_RPM },
		{ "sync",	  no_argument,	     NULL, OPT_SYNC },
		{ "template",	  required_argument, NULL, OPT_TEMPLATE },
		{ "tpm",	  required_argument, NULL, OPT_TPM },
		{ NULL, 0, NULL, 0 }
	};
	struct aas_cmd cmd = {
		.usage = usage_text, .shortopts = "fj:", .longopts = longopts,
		.need = AAS_NEED_CONFIG | AAS_NEED_STATE, .lock = "submit.lock",
		.lock_late = 1,
		.option = option, .operands = operands, .setup = setup,
		.run = run, .cleanup = cleanup,
	};

	return aas_cmd_main(&cmd, argc, argv);
}
