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
	/*
	 * Added: may be NULL.  1 when this target, as opened, reports only
	 * in finish (a chat target without --per-task): deliver is then not
	 * called and every outcome goes to finish.
	 */
	int	(*per_run)(const struct aas_target *t);
};

/* The registry: the ops for a kind, or NULL. */
const struct aas_target_ops *aas_target_find(const char *name);

/* The outcome of a record (see above); a new reference.  rec_obj is the
 * parsed record; status is the board status name aas-notify derived. */
json_t	*aas_notify_outcome(json_t *rec_obj, const char *status);

/*
 * Added by lib/notify.c for aas-notify and the targets.
 */

/* The i-th kind of the registry (0 up), or NULL past the last: aas-notify
 * makes one --KIND[=ARG] option of each. */
const struct aas_target_ops *aas_target_at(size_t i);

/*
 * The driver.  aas_notify_open reads the journal <state>/notify.jsonl;
 * aas_notify_add opens one target (several of one kind may be added: each
 * is its own target, named by its hash) and -1 with e ("config") stops
 * aas-notify before anything is sent.
 *
 * aas_notify_record hands one outcome to every target with a deliver, in
 * the order they were added, and returns the array of notify.targets
 * entries {kind, ok, detail, hash} (a new reference).  *failedp is set
 * when a target failed (ok false): a stderr line names the task, the
 * target kind and hash, and the reason.  Targets that report once per
 * run get an entry with ok null ("in the run's message").
 *
 * The journal, per delivery (key: kind, target hash, task id, outcome
 * hash; delivery_id is derived from the key alone, so it is the same in
 * every run): an "intent" line before the send, a "done" line after the
 * service accepted it, both fsynced.  A key with a done line is never sent
 * again.  A kill between the two leaves an intent alone: the next run sends
 * again with the same delivery_id (a webhook receiver dedupes on
 * webhook-id; a chat service cannot, so a chat message may then arrive
 * twice, never zero times).  Dry runs write no journal.
 *
 * aas_notify_finish gives each per-run target the outcomes of this run it
 * has not yet reported (its one message) and returns the number of targets
 * that failed (each with a stderr line).
 */
struct aas_notify;

int	aas_notify_open(struct aas_notify **np, struct aas_state *st,
	    int dry_run, struct aas_err *e);
int	aas_notify_add(struct aas_notify *n, const struct aas_target_ops *ops,
	    const struct aas_target_env *env, struct aas_err *e);
json_t	*aas_notify_record(struct aas_notify *n, json_t *outcome,
	    int *failedp);
int	aas_notify_finish(struct aas_notify *n);
void	aas_notify_close(struct aas_notify *n);

/* The short hash of a target: the first 12 hex digits of the SHA-256 of
 * "KIND\nWHAT" (WHAT: its URL, team, repository). */
void	aas_notify_hash(const char *kind, const char *what, char hash[13]);

/* A URL as messages may show it: scheme and host; the path and query
 * become "[redacted]" unless keep_path (then only the query and any
 * user:password@ are hidden).  The caller frees. */
char	*aas_notify_url_shown(const char *url, int keep_path);
/* Whether url is http:// or https:// with a host; 0 or -1 and e
 * ("config", naming what). */
int	aas_notify_url_check(const char *what, const char *url,
	    struct aas_err *e);

/* Rewrite e, an aas_http_do failure, to name the target by shown (its
 * redacted URL) instead of the request path: "SHOWN: http 503 (after 5
 * tries)", "SHOWN: http 302: a redirect, not followed" or "SHOWN:
 * network reason".  resp is struct aas_http_resp. */
struct aas_http_resp;
void	aas_notify_http_err(struct aas_err *e, const char *shown,
	    const struct aas_http_resp *resp);

/* HMAC-SHA256 (RFC 2104) of msg under key. */
void	aas_hmac_sha256(const void *key, size_t klen, const void *msg,
	    size_t mlen, unsigned char out[32]);
/* Base64 (RFC 4648, with padding).  encode: a new string; decode: a new
 * buffer and *outlen, or NULL when s is not base64. */
char	*aas_base64_encode(const void *data, size_t len);
unsigned char *aas_base64_decode(const char *s, size_t *outlen);
/* Standard Webhooks: the webhook-signature value "v1,<base64>" for
 * id.timestamp.body under the secret "whsec_<base64>" (the prefix may be
 * left out).  NULL when the secret is not base64.  The caller frees. */
char	*aas_webhook_sign(const char *secret, const char *id,
	    long long timestamp, const char *body, size_t blen);

#endif
