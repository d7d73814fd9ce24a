/*
 * notify.h: the targets aas-notify reports outcomes to.
 *
 * aas-notify turns each record into an outcome and hands it to every
 * enabled target through one operations table per target kind (webhook,
 * slack, discord, linear, github, gitlab; the board stays in aas-notify).
 * A target file (lib/notify-<kind>.c) defines one const struct
 * aas_target_ops and lib/notify.c lists it in its registry; nothing else
 * knows the kind.
 *
 * The outcome of a record, built by aas_notify_outcome (borrowed by the
 * targets, never changed by them):
 *   {"type": "task.done"|"task.failed"|"task.review"|"task.in_progress"|...,
 *    "timestamp": "RFC 3339 UTC",
 *    "data": {"id", "title", "status", "branch", "commit", "base",
 *             "files": [...], "checks": [{name, ok, exit, ms}],
 *             "summary", "attempts", "model",
 *             "usage": {input, output}, "usd",
 *             "error": {stage, code, message}|absent,
 *             "fields": {... the task's board fields, e.g. "linear"}}}
 * Nothing secret is in an outcome.
 *
 * Exactly once: the framework keeps a journal in the state folder keyed
 * by (target kind, target hash, task id, outcome hash).  A delivery that
 * the journal shows as made is not passed to deliver again; a changed
 * outcome is a new delivery.  delivery_id is stable for one key across
 * retries, re-runs and crashes, and a target that can make its service
 * idempotent uses it (webhook-id, Linear's client-chosen issue id, looking
 * up an existing pull request before creating one).
 */
#ifndef AAS_NOTIFY_H
#define AAS_NOTIFY_H

#include <jansson.h>

#include "aas.h"

struct aas_config;
struct aas_state;
struct aas_target;

/* What a target's open gets. */
struct aas_target_env {
	const struct aas_config *cf;	/* loaded configuration */
	struct aas_state *st;		/* the state folder */
	const char *repo;		/* repository root, or NULL */
	const char *arg;		/* the option's =VALUE, or NULL */
	int	 per_task;		/* --per-task (chat targets) */
	int	 dry_run;		/* --dry-run: deliver prints, sends nothing */
	int	 verbose;
};

struct aas_target_ops {
	const char *name;	/* the option's name and notify.targets[].kind */
	/*
	 * Read the configuration, the environment and env->arg; register
	 * every secret (token, webhook URL) with aas_secret_add.  A mistake
	 * (missing token, bad URL) is -1 with e->code "config": aas-notify
	 * then exits 2 before anything is sent.  *hashp: a short stable hash
	 * naming the target in records and the journal (never the URL).
	 */
	int	(*open)(struct aas_target **tp, const struct aas_target_env *env,
		    char hash[13], struct aas_err *e);
	/*
	 * Deliver one outcome.  0 and *detailp (a new reference: a JSON
	 * string or object for notify.targets[].detail, e.g. the pull
	 * request's URL) or -1 with e set; e->code "gone" (HTTP 410, or the
	 * target otherwise says it will never accept) makes the framework
	 * stop using this target for the rest of the run.  Retries with
	 * back-off and Retry-After are the target's own (lib/http).  NULL for
	 * targets that only report once per run.
	 */
	int	(*deliver)(struct aas_target *t, json_t *outcome,
		    const char *delivery_id, json_t **detailp, struct aas_err *e);
	/*
	 * Once per run, after the last record: outcomes is the array of every
	 * outcome of this run that was not yet reported to this target (chat
	 * targets' one message per run).  Same return convention as deliver.
	 * NULL when the target has nothing to say per run.
	 */
	int	(*finish)(struct aas_target *t, json_t *outcomes,
		    const char *delivery_id, json_t **detailp, struct aas_err *e);
	void	(*close)(struct aas_target *t);
};

/* The registry: the ops for a kind, or NULL. */
const struct aas_target_ops *aas_target_find(const char *name);

/* The outcome of a record (see above); a new reference.  rec_obj is the
 * parsed record; status is the board status name aas-notify derived. */
json_t	*aas_notify_outcome(json_t *rec_obj, const char *status);

#endif
