/*
 * ledger.h: what aas-submit sent and aas-fetch brought back, and what it
 * cost.  All of it lives in the state folder:
 *
 *   batches.jsonl      the batches journal, one event per line:
 *     {"ev":"intent","run","provider","model","endpoint","template","n",
 *      "bytes","est_usd","t","project"?}   written (fsync) before a batch
 *                                         is created
 *     {"ev":"file","run","input_file_id"}     the upload, before create
 *     {"ev":"batch","run","id","input_file_id","submitted_at"}
 *     {"ev":"abandon","run","reason"}         no batch was created
 *     {"ev":"local","run","file","n","t"}     aas-submit --jsonl
 *     {"ev":"downloaded","run"}               results are in results/
 *     {"ev":"done","run","usd"}               every task came out
 *   runs/RUN.tasks     one line per task: custom_id TAB the task record
 *                      (with its request key) exactly as submitted
 *   runs/RUN.jsonl     the batch input file sent to the provider
 *   fetched.jsonl      {"c":custom_id,"r":run,"ok":0|1,"f":session}:
 *                      aas-fetch wrote that task (ok: with a response);
 *                      session is one per process that wrote
 *   ledger.jsonl       costs: {"kind":"estimate"|"actual","run","usd"} per
 *                      batch (an actual replaces the run's estimate; the
 *                      run's intent names its model) and
 *                      {"kind":"sync","run","custom_id","model","usd"}
 *                      per synchronous call
 *   results/           downloaded output and error files
 *
 * A run is one batch (one input file).  Its run id goes into the batch's
 * metadata as "aas_run", so a crash between the create call and the
 * journal entry is repaired by looking the run up at the provider
 * (batch.h, aas_batch_reconcile: this module makes no network calls).  Writers hold the "submit" lock (aas-submit,
 * reconcile) or the "fetch" lock (aas-fetch) for their whole run.
 *
 * Task identity is the custom_id (task id + sha, ids.h); the sets below
 * keep 64-bit hashes of it, so memory is 16 bytes a task.  Prices are
 * price.h, the per-run task index tasks.h.
 */
#ifndef AAS_LEDGER_H
#define AAS_LEDGER_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "aas.h"

struct aas_state;
struct aas_tasks;

/*
 * The custom_id of candidate k (from 1) of the task whose custom_id is
 * cid (aas-submit --candidates): cid itself for k 1, so the task stays
 * known by it; else cid "-c" k, or, where that would pass 64 characters,
 * cid cut with 8 hex digits of its SHA-256 before the suffix.  A task's
 * custom_id ends in 8 or 12 hex digits after a '-', never in "-c" and 1
 * to 3 digits, so no candidate's id is another task's.
 */
void	aas_ledger_candidate_id(const char *cid, long k, char out[65]);

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
	char	*project;	/* the batch metadata's aas_project, if any */
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
	long	 nfailed;	/* tasks aas-fetch wrote with an error (the
				 * last word on each) */
};

/* The journal in memory: opaque, read through the functions below. */
struct aas_ledger;

/* Read the journal and ledger.  -1 with e set when a file exists but
 * cannot be read. */
int	aas_ledger_open(struct aas_ledger **lp, struct aas_state *st,
	    struct aas_err *e);
void	aas_ledger_close(struct aas_ledger *l);
/* Run index by run id or by batch id; -1 when not found. */
ssize_t	aas_ledger_find(const struct aas_ledger *l, const char *run_or_batch);
/* The number of runs, and run ri (0 <= ri < count; valid until the next
 * call that adds a run: aas_ledger_run_commit). */
size_t	aas_ledger_count(const struct aas_ledger *l);
const struct aas_run *aas_ledger_run(const struct aas_ledger *l, size_t ri);
/* The batch input file of run ri (runs/RUN.jsonl); caller frees. */
char	*aas_ledger_input_path(const struct aas_ledger *l, size_t ri);

/* The run custom_id is in flight in (index), or -1. */
ssize_t	aas_ledger_inflight(const struct aas_ledger *l, const char *custom_id);
/* 0 not fetched, 1 fetched with a response, 2 fetched with an error:
 * by any run (the latest), or by run (a run id; a task sent again is a
 * new run, whose answer is its own). */
int	aas_ledger_fetched(const struct aas_ledger *l, const char *custom_id);
int	aas_ledger_fetched_in(const struct aas_ledger *l,
	    const char *custom_id, const char *run);
/* The runs (indexes into *risp, which the ledger owns) whose tasks the
 * last process that wrote fetched.jsonl wrote, for aas-fetch --again:
 * what a later stage that failed may not have finished.  Synchronous
 * answers (runs not in the journal) are left out. */
size_t	aas_ledger_last_fetch(const struct aas_ledger *l,
	    const size_t **risp);
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
 * in the ledger (its index returned).  discard removes the files.
 */
struct aas_run_writer;
int	aas_ledger_run_begin(struct aas_ledger *l, struct aas_run_writer **wp,
	    const char *provider, const char *model, const char *endpoint,
	    const char *template, const char *local_file, struct aas_err *e);
int	aas_ledger_run_add(struct aas_run_writer *w, const char *custom_id,
	    const char *rec, size_t reclen, const char *line, size_t linelen,
	    double est_usd, struct aas_err *e);
/* Another record answered by the request added last (a candidate of a
 * request that asks for several answers): a tasks line only, under its
 * own custom_id; the run's request count n is unchanged. */
int	aas_ledger_run_add_more(struct aas_run_writer *w,
	    const char *custom_id, const char *rec, size_t reclen,
	    struct aas_err *e);
/* A request of a run found by its results, whose input file this folder
 * never had (an Anthropic batch another clone sent): a tasks line, and
 * the request counted; runs/RUN.jsonl stays empty. */
int	aas_ledger_run_add_found(struct aas_run_writer *w,
	    const char *custom_id, const char *rec, size_t reclen,
	    struct aas_err *e);
long	aas_ledger_run_count(const struct aas_run_writer *w);
/* The project id (project.h) the batch's metadata is to carry, kept in
 * the intent.  project is copied. */
void	aas_ledger_run_set_project(struct aas_run_writer *w,
	    const char *project);
/*
 * A run another clone submitted, found at the provider by its metadata
 * (aas-fetch with an empty state): a writer as aas_ledger_run_begin's,
 * under that run's own id, so the batch's "aas_run" names it here too.
 * Commit it, then aas_ledger_note_batch.  -1 (code "journal") when the
 * run is in the journal already.
 */
int	aas_ledger_run_adopt(struct aas_ledger *l, struct aas_run_writer **wp,
	    const char *run, const char *provider, const char *model,
	    const char *endpoint, const char *template, struct aas_err *e);
long	aas_ledger_run_bytes(const struct aas_run_writer *w);
ssize_t	aas_ledger_run_commit(struct aas_ledger *l, struct aas_run_writer *w,
	    struct aas_err *e);
void	aas_ledger_run_discard(struct aas_run_writer *w);

/*
 * What batch.h journals for a run: the uploaded input file (a journal
 * error is reported on stderr: the provider's file list still knows it),
 * the batch created (a normalised batch), or that no batch was created
 * (the estimate is cancelled, the tasks are no longer in flight).
 */
void	aas_ledger_note_file(struct aas_ledger *l, size_t ri,
	    const char *file_id);
int	aas_ledger_note_batch(struct aas_ledger *l, size_t ri, json_t *batch,
	    struct aas_err *e);
int	aas_ledger_abandon(struct aas_ledger *l, size_t ri, const char *why,
	    struct aas_err *e);

/* Journal events for aas-fetch and aas-submit --sync (which marks a
 * synchronous answer fetched under its run id, for aas-scan --new). */
int	aas_ledger_mark_fetched(struct aas_ledger *l, const char *custom_id,
	    const char *run, int ok, struct aas_err *e);
/* n tasks are about to be marked fetched: room for them is made at
 * once (a map grown a little at a time is rehashed again and again). */
void	aas_ledger_expect_fetched(struct aas_ledger *l, size_t n);
int	aas_ledger_sync_cost(struct aas_ledger *l, const char *run,
	    const char *custom_id, double usd, struct aas_err *e);
/* The same with the model the call went to ("model" in the entry). */
int	aas_ledger_call_cost(struct aas_ledger *l, const char *run,
	    const char *custom_id, const char *model, double usd,
	    struct aas_err *e);
int	aas_ledger_run_downloaded(struct aas_ledger *l, size_t ri,
	    struct aas_err *e);
int	aas_ledger_run_done(struct aas_ledger *l, size_t ri, double usd,
	    struct aas_err *e);
/* fsync fetched.jsonl and ledger.jsonl (call before exiting); lines
 * held (aas_ledger_hold) are written first. */
int	aas_ledger_sync(struct aas_ledger *l, struct aas_err *e);
/*
 * Hold the lines of aas_ledger_mark_fetched in memory (on) until
 * aas_ledger_flush writes them in one write: a caller that holds its
 * records' output flushes that first, then the journal, so a task is
 * never journaled fetched before its record went out.  Lines still held
 * at aas_ledger_close are dropped (the tasks are written again).
 */
void	aas_ledger_hold(struct aas_ledger *l, int on);
int	aas_ledger_flush(struct aas_ledger *l, struct aas_err *e);

/* The task index (tasks.h) of run ri's runs/RUN.tasks. */
int	aas_tasks_open(struct aas_tasks **tp, struct aas_ledger *l, size_t ri,
	    struct aas_err *e);

#endif
