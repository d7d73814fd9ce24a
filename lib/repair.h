/*
 * repair.h: repair rounds (aas-submit --repair).  A task that failed in
 * aas-plan, aas-apply or aas-qa goes back to the model with the evidence,
 * as a new attempt of the same task, until max_attempts.
 *
 * The record keys (man/aas-submit.1):
 *   attempt   the attempt the record is on, from 1 (absent: 1);
 *   history   one entry per finished attempt, appended when the next one
 *             starts: {attempt, stage, code, message, checks[], branch,
 *             commit, model, usd}.
 */
#ifndef AAS_REPAIR_H
#define AAS_REPAIR_H

#include <stddef.h>

#include <jansson.h>

#include "aas.h"

struct aas_git;
struct aas_rec;
struct aas_state;

/* What goes to the model of a failed check's output, by default. */
#define AAS_REPAIR_TAIL_MAX	4096

/*
 * 1 when rec (a parsed record, borrowed) failed in a stage a repair can
 * help: an "error" of stage plan, apply or qa (but qa's "skipped": that
 * task was never checked), or "qa" with "ok" false; else 0.
 */
int	aas_repair_failed(json_t *rec);
/* The record's attempt: "attempt" when it is an integer >= 1, else 1. */
long	aas_repair_attempt(json_t *rec);

/*
 * The custom_id of attempt k of a task: that of ids.h for k <= 1; for
 * k > 1 the same made from the sha "r<k>-<sha>", so it differs from
 * every other attempt's and is the same in every run.
 */
void	aas_repair_custom_id(const char *id, const char *sha, long k,
	    char out[65]);

/*
 * The history entry of rec's finished attempt (new reference):
 *   {"attempt", "stage", "code", "message", "checks": [failed check
 *    names], "branch": apply.branch or null, "commit": apply.commit or
 *    null, "model": request.model or null, "usd": response.usd or null}
 * stage, code and message come from "error", or are "qa", "qa_failed"
 * and the qa reason when only qa.ok is false.
 */
json_t	*aas_repair_history_entry(json_t *rec);

/*
 * The repair template's fields for rec's next attempt (new reference,
 * an object of strings, for aas_template_opts.fields):
 *   attempt, max_attempts  the numbers;
 *   previous  the previous answer's edits: the diff of apply.base to
 *             apply.commit (aas_git_diff) when they applied and g (the
 *             repository apply.repo names, may be NULL) has them; else
 *             the plan's edits as JSON; else the answer's text; else
 *             "(none)".  Cut at prev_max bytes (0: no cap) with a line
 *             saying so;
 *   failure   "aas-<stage>: <code>: <message>" and the error's other
 *             members as JSON (what a refused edit or plan left there;
 *             left out for a plain qa_failed, which its checks say), then
 *             for each failed check its name, status (exit N, killed by
 *             signal N, timed out), command and the last tail_max bytes
 *             of its recorded output.
 * Each text ends with a newline.
 */
json_t	*aas_repair_fields(json_t *rec, struct aas_git *g, long next,
	    long max_attempts, size_t tail_max, size_t prev_max);

/*
 * Start attempt next on rec: append the history entry of the attempt it
 * was on, remove request, batch, response, plan, apply, qa and error,
 * set attempt.  Every other key stays as it was, byte for byte.
 */
void	aas_repair_begin(struct aas_rec *rec, long next);

/*
 * The answers of --sync repairs, kept so that a re-run after a crash
 * finds them instead of asking again: the response key of custom_id,
 * in the state folder's repair/ (written atomically).  Load returns a
 * new reference, or NULL when there is none (or it does not parse).
 */
int	aas_repair_answer_save(struct aas_state *st, const char *custom_id,
	    json_t *response, struct aas_err *e);
json_t	*aas_repair_answer_load(struct aas_state *st, const char *custom_id);

#endif
