/*
 * ledger.h: what aas-submit sent and aas-fetch brought back, and what it
 * cost.  All of it lives in the state folder:
 *
 *   batches.jsonl      the batches journal, one event per line:
 *     {"ev":"intent","run","provider","model","endpoint","template","n",
 *      "bytes","est_usd","t"}   written (fsync) before a batch is created
 *     {"ev":"file","run","input_file_id"}     the upload, before create
 *     {"ev":"batch","run","id","input_file_id","submitted_at"}
 *     {"ev":"abandon","run","reason"}         no batch was created
 *     {"ev":"local","run","file","n","t"}     aas-submit --jsonl
 *     {"ev":"downloaded","run"}               results are in results/
 *     {"ev":"done","run","usd"}               every task came out
 *   runs/RUN.tasks     one line per task: custom_id TAB the task record
 *                      (with its request key) exactly as submitted
 *   runs/RUN.jsonl     the batch input file sent to the provider
 *   fetched.jsonl      {"c":custom_id,"r":run,"ok":0|1}: aas-fetch wrote
 *                      that task (ok: with a response)
 *   ledger.jsonl       costs: {"kind":"estimate"|"actual","run","usd"} per
 *                      batch (an actual replaces the run's estimate) and
 *                      {"kind":"sync","run","custom_id","usd"} per
 *                      synchronous call
 *   results/           downloaded output and error files
 *
 * A run is one batch (one input file).  Its run id goes into the batch's
 * metadata as "aas_run", so a crash between the create call and the
 * journal entry is repaired by looking the run up at the provider
 * (aas_ledger_reconcile).  Writers hold the "submit" lock (aas-submit,
 * reconcile) or the "fetch" lock (aas-fetch) for their whole run.
 *
 * Task identity is the custom_id (task id + sha, aas_ledger_custom_id);
 * the sets below keep 64-bit hashes of it, so memory is 16 bytes a task.
 */
#ifndef AAS_LEDGER_H
#define AAS_LEDGER_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "aas.h"

struct aas_state;
struct aas_config;
struct aas_provider;

/*
 * custom_id for a task: id "-" the first 12 hex digits of sha, with every
 * byte outside [A-Za-z0-9_-] made '_' and the whole capped at 64
 * characters.  When the id had to be changed (or cut), 8 hex digits of
 * its SHA-256 are added so two ids never share a custom_id.
 */
void	aas_ledger_custom_id(const char *id, const char *sha, char out[65]);

/* Prices, USD per million tokens. */
struct aas_price {
	double	input;
	double	output;
	double	cached;
};
/*
 * The price of model: config "prices: {MODEL: {input, output, cached}}"
 * (cached defaults to input), else a built-in default.  0 found, 1
 * unknown model, -1 a config value of the wrong type (e set).
 */
int	aas_price_lookup(const struct aas_config *cf, const char *model,
	    struct aas_price *p, struct aas_err *e);
/* Cost of a call; discount multiplies (0.5 for batches, 1 for sync).
 * cached tokens are part of in. */
double	aas_price_usd(const struct aas_price *p, long in, long out,
	    long cached, double discount);

/* Per-task state for aas-scan --new and aas-submit. */
enum aas_task_state {
	AAS_TASK_NONE = 0,	/* never submitted, or came back with an error */
	AAS_TASK_IN_FLIGHT,	/* in a batch not yet fetched */
	AAS_TASK_DONE		/* fetched with a response */
};
/*
 * The state of task id with source sha (NULL: no sha).  The journal is
 * read once and cached per st (read again when it grows).  A journal
 * that cannot be read counts as empty.
 */
int	aas_ledger_task_state(struct aas_state *st, const char *id,
	    const char *sha);

enum aas_run_state {
	AAS_RUN_INTENT,		/* journaled, batch not known yet */
	AAS_RUN_LIVE,		/* batch created, not every task out */
	AAS_RUN_DONE,		/* every task came out of aas-fetch */
	AAS_RUN_ABANDONED,	/* no batch was created */
	AAS_RUN_LOCAL		/* --jsonl: a file, no batch */
};

struct aas_run {
	char	*run;
	char	*provider;
	char	*model;
	char	*endpoint;
	char	*template;
	char	*batch_id;
	char	*input_file_id;
	char	*submitted_at;	/* ISO 8601 UTC */
	char	*file;		/* LOCAL: the input file written */
	long	 n;
	long	 bytes;
	double	 est_usd;
	double	 usd;		/* actual, -1 until known */
	long long t;		/* unix seconds of the intent */
	int	 state;
	int	 downloaded;	/* results are whole in results/ */
};

struct aas_ledger {
	struct aas_state *st;
	struct aas_run	*runs;
	size_t		 nruns;
	/* private */
	void		*inflight;	/* task hash -> run index */
	void		*fetched;	/* task hash -> 1 ok, 2 error */
	double		 spent;		/* from ledger.jsonl */
	int		 fetched_fd;
	int		 cost_fd;
};

/* Read the journal and ledger.  -1 with e set when a file exists but
 * cannot be read. */
int	aas_ledger_open(struct aas_ledger **lp, struct aas_state *st,
	    struct aas_err *e);
void	aas_ledger_close(struct aas_ledger *l);
/* Run index by run id or by batch id; -1 when not found. */
ssize_t	aas_ledger_find(const struct aas_ledger *l, const char *run_or_batch);

/* The run custom_id is in flight in (index), or -1. */
ssize_t	aas_ledger_inflight(const struct aas_ledger *l, const char *custom_id);
/* 0 not fetched, 1 fetched with a response, 2 fetched with an error. */
int	aas_ledger_fetched(const struct aas_ledger *l, const char *custom_id);
/* Spend so far: actuals, estimates of runs with no actual, sync calls. */
double	aas_ledger_spent(const struct aas_ledger *l);

/* The batch key of a run: {provider, id, input_file_id, submitted_at}.
 * New reference. */
json_t	*aas_ledger_batch_key(const struct aas_run *r);

/*
 * Building a run.  aas_ledger_run_begin makes runs/RUN.tasks and the
 * input file (runs/RUN.jsonl, or local_file for --jsonl) and returns a
 * writer; add appends one task; commit fsyncs both files and journals the
 * intent (or the "local" event) and the estimate, after which the run is
 * in l->runs (its index returned).  discard removes the files.
 */
struct aas_run_writer;
int	aas_ledger_run_begin(struct aas_ledger *l, struct aas_run_writer **wp,
	    const char *provider, const char *model, const char *endpoint,
	    const char *template, const char *local_file, struct aas_err *e);
int	aas_ledger_run_add(struct aas_run_writer *w, const char *custom_id,
	    const char *rec, size_t reclen, const char *line, size_t linelen,
	    double est_usd, struct aas_err *e);
long	aas_ledger_run_count(const struct aas_run_writer *w);
long	aas_ledger_run_bytes(const struct aas_run_writer *w);
ssize_t	aas_ledger_run_commit(struct aas_ledger *l, struct aas_run_writer *w,
	    struct aas_err *e);
void	aas_ledger_run_discard(struct aas_run_writer *w);
/* A run id "YYYYmmddTHHMMSS-PID-RANDOM"; caller frees. */
char	*aas_ledger_new_run_id(void);

/*
 * Create the batch of an intent run with provider p: upload and create
 * (the input file id is journaled as soon as it is known), then journal
 * the batch.  On failure the run is looked up at the provider by its run
 * id: found, it is journaled as created; surely absent, it is journaled
 * abandoned (with its estimate cancelled) and -1 returned with e set; if
 * even the lookup fails the run stays an intent for the next
 * reconcile and -1 is returned with e->code "submit_unknown".
 */
int	aas_ledger_create(struct aas_ledger *l, size_t ri,
	    struct aas_provider *p, struct aas_err *e);
/*
 * Finish every intent left by a crash: a batch the provider has under
 * the run id is journaled; otherwise the batch is created now.  get
 * returns the provider for a kind (or NULL with e set).  Returns the
 * number of intents that could not be settled (they are reported on
 * stderr), or -1 on a journal error.
 */
int	aas_ledger_reconcile(struct aas_ledger *l,
	    struct aas_provider *(*get)(const char *kind, void *arg,
	    struct aas_err *e), void *arg, struct aas_err *e);

/* Journal events for aas-fetch and aas-submit --sync. */
int	aas_ledger_mark_fetched(struct aas_ledger *l, const char *custom_id,
	    const char *run, int ok, struct aas_err *e);
int	aas_ledger_sync_cost(struct aas_ledger *l, const char *run,
	    const char *custom_id, double usd, struct aas_err *e);
int	aas_ledger_run_downloaded(struct aas_ledger *l, size_t ri,
	    struct aas_err *e);
int	aas_ledger_run_done(struct aas_ledger *l, size_t ri, double usd,
	    struct aas_err *e);
/* fsync fetched.jsonl and ledger.jsonl (call before exiting). */
int	aas_ledger_sync(struct aas_ledger *l, struct aas_err *e);

/*
 * The tasks of a run, indexed by custom_id without holding the records:
 * a sorted array of (hash, offset, length) over runs/RUN.tasks.
 */
struct aas_tasks;
int	aas_tasks_open(struct aas_tasks **tp, struct aas_ledger *l, size_t ri,
	    struct aas_err *e);
/* The same over any file of "custom_id TAB record" lines. */
int	aas_tasks_open_path(struct aas_tasks **tp, const char *path,
	    struct aas_err *e);
void	aas_tasks_close(struct aas_tasks *t);
size_t	aas_tasks_count(const struct aas_tasks *t);
/* Find custom_id: its slot (>= 0) or -1. */
ssize_t	aas_tasks_find(struct aas_tasks *t, const char *custom_id);
/* The record text of slot i (NUL-terminated, valid until the next call)
 * and its custom_id. */
const char *aas_tasks_record(struct aas_tasks *t, size_t i, size_t *lenp,
	    const char **cidp, struct aas_err *e);
/* A per-slot mark for the caller (emitted in this pass). */
int	aas_tasks_marked(const struct aas_tasks *t, size_t i);
void	aas_tasks_mark(struct aas_tasks *t, size_t i);

/* usd rounded to 1e-8. */
double	aas_usd_round(double usd);

/* "YYYY-mm-ddTHH:MM:SSZ" for unix seconds t into buf (at least 21). */
void	aas_iso8601(long long t, char *buf, size_t size);

#endif
