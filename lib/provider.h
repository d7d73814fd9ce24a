/*
 * provider.h: the model providers (OpenAI and OpenAI-compatible servers,
 * Anthropic) behind one interface, on lib/http.
 *
 * Everything a command sees is normalised:
 *
 * A batch (new reference from get/create/list):
 *   {"provider": "openai"|"anthropic", "id": "...",
 *    "status": "validating"|"in_progress"|"finalizing"|"completed"|
 *              "failed"|"expired"|"cancelling"|"cancelled",
 *    "terminal": true|false,
 *    "counts": {"total": N, "completed": N, "failed": N},
 *    "output_file_id": "..."|null, "error_file_id": "..."|null,
 *    "errors": [{"code", "message", "line"}],   (batch-level, failed)
 *    "metadata": {...}, "created_at": unix-seconds, "raw": {...}}
 * Anthropic's processing_status maps: in_progress -> in_progress,
 * canceling -> cancelling, ended -> cancelled (when a cancel was asked),
 * expired (when any request expired: the others still have results) or
 * completed; counts are total = every request, completed = succeeded,
 * failed = errored + canceled + expired; its results URL stands for
 * output_file_id (set once the batch ended), error_file_id is null, and
 * metadata is {} (Anthropic batches carry none).
 *
 * A result (one line of a results file, or a synchronous answer):
 *   {"custom_id": "...", "ok": true|false, "status_code": 200,
 *    "text": "...", "finish_reason": "stop"|"length"|...,
 *    "usage": {"input": N, "output": N, "cached": N},
 *    "request_id": "...", "model": "...",
 *    "error": {"code": "...", "message": "..."}|absent,
 *    "choices": [{"ok", "text", "finish_reason", "error"?}, ...]|absent}
 * choices is there only when the answer holds more than one choice (a
 * request with "n" > 1): one entry per choice in index order, the first
 * being the same as the top-level ok, text, finish_reason and error;
 * usage is the whole request's (every choice's output counted).
 * ok is false for a 4xx/5xx status_code even when the line's "error" is
 * null (the OpenAI trap; error.code is then "http_<status>" and the
 * message the body's), and for response:null lines (batch_expired,
 * batch_cancelled, ...; Anthropic's expired/canceled results use the same
 * two codes, errored ones "http_<status of the error type>").  A refusal
 * with no text is ok:false, code "refusal".  finish_reason is OpenAI's
 * vocabulary: Anthropic end_turn/stop_sequence -> "stop", max_tokens ->
 * "length", tool_use -> "tool_calls"; a /v1/responses body gives "stop"
 * or "length" (incomplete: max_output_tokens).  usage.input counts every
 * input token, cached ones included (Anthropic: input + cache reads +
 * cache writes); usage.cached is the cached part.
 *
 * The same parser reads vLLM's run-batch output (one file holding
 * successes and failures; a failure has a status_code, body null and
 * "error" as a string or an ErrorResponse object, flat or nested).
 *
 * Keys come from aas_provider_opts.key, else OPENAI_API_KEY /
 * ANTHROPIC_API_KEY, else key_file (which must be mode 0600).  A key is
 * registered with aas_secret_add and never appears in a record, journal,
 * message or argv.  Every call retries per lib/http.h; non-idempotent
 * POSTs are retried only where the caller asked (see create).
 *
 * Adding a provider (say an OpenAI-compatible server with quirks of its
 * own): write lib/<name>.c holding one
 * "const struct aas_provider_ops aas_<name>_ops" (provider-int.h says what
 * each member does; build it on provider-call.c only, and borrow nothing
 * from openai.c but by copying what fits), declare it in provider-int.h
 * and add one line to the registry at the top of lib/provider.c.  No
 * other file knows the provider by name: aas-submit takes its endpoint
 * and batch limits from aas_provider_info, the journal keeps its name.
 * "vllm" is another name of openai in that registry (a vLLM server is
 * reached by its base URL), not a provider of its own.
 */
#ifndef AAS_PROVIDER_H
#define AAS_PROVIDER_H

#include <jansson.h>

#include "aas.h"
#include "jscan.h"

struct aas_provider;
struct aas_config;

/* The provider of a configuration, run or option that names none; its
 * parser also reads every other provider's results lines. */
#define AAS_PROVIDER_DEFAULT	"openai"

/* What a provider is, before any connection. */
struct aas_provider_info {
	const char *name;	/* "openai", "anthropic" */
	const char *endpoint;	/* the batch endpoint of a chat request */
	long	 max_requests;	/* requests in one batch at most */
	long	 max_bytes;	/* bytes of one batch input file at most */
	int	 choices;	/* 1: one request asks for several answers
				   (the chat body's "n"); 0: one answer a
				   request (send several requests) */
};
/* The provider called name, or NULL (aliases such as "vllm" are not
 * listed here: they name a provider only to aas_provider_open). */
const struct aas_provider_info *aas_provider_info(const char *name);
/* The provider names for a message: "openai or anthropic". */
const char *aas_provider_names(void);

struct aas_provider_opts {
	const char *kind;	/* "openai" (default), "anthropic", or an
				   alias ("vllm": openai) */
	const char *base_url;	/* NULL: $OPENAI_BASE_URL / $ANTHROPIC_BASE_URL
				   or the public default */
	const char *key;	/* NULL: environment, then key_file */
	const char *key_file;
	int	 max_tries;	/* 0: default (5) */
	long	 timeout_ms;	/* 0: default */
	int	 verbose;	/* HTTP trace on stderr, key redacted */
};

int	aas_provider_open(struct aas_provider **pp,
	    const struct aas_provider_opts *o, struct aas_err *e);
void	aas_provider_close(struct aas_provider *p);
const char *aas_provider_kind(const struct aas_provider *p);

/*
 * One line of a batch input file for this provider: OpenAI
 * {"custom_id","method":"POST","url":endpoint,"body":body}; Anthropic
 * {"custom_id","params":body'} with body translated from the chat shape
 * (messages, system, max tokens, response_format -> output_config).
 * body is borrowed.  New reference.
 */
json_t	*aas_provider_batch_line(const struct aas_provider *p,
	    const char *custom_id, const char *endpoint, json_t *body);

/*
 * Submit the batch input file at path (JSONL of batch lines).  OpenAI:
 * upload (purpose batch) then create; the file id is passed to on_file
 * before create is tried, so the caller can journal it.  Anthropic: one
 * POST of {"requests": [...]}.  The create POST is never retried blindly:
 * on an ambiguous failure (reset, timeout, 5xx) the provider lists recent
 * batches and returns the one whose metadata matches, so a batch is
 * never created twice; only when none exists is the create sent again.
 * The upload is made exactly-once the same way (the file is named
 * "aas-<aas_run>.jsonl" and looked up by name and size).  metadata
 * (borrowed) must carry a unique "aas_run" value (OpenAI: a string of up
 * to 512 characters; at most 16 keys); batch.c adds "aas_project"
 * (project.h) and "aas_template".  *batchp: the normalised batch.
 *
 * Anthropic has no metadata: the ids of the newest batches are listed
 * before the POST, and after an ambiguous failure a batch that was not
 * listed then and holds exactly the file's number of requests is taken
 * as ours.  Two such batches (another client submitting the same number
 * of requests at that moment) are an error "ambiguous_create", never a
 * second POST.  endpoint, metadata and on_file are not used there.
 */
int	aas_provider_submit(struct aas_provider *p, const char *path,
	    const char *endpoint, json_t *metadata,
	    void (*on_file)(const char *file_id, void *arg), void *arg,
	    json_t **batchp, struct aas_err *e);
/* Find a batch by its metadata "aas_run" (reconciling after a crash).
 * 0 and *batchp (NULL when none) or -1.  Anthropic batches carry no
 * metadata: there this is -1 with code "unsupported", and the caller's
 * batches journal (written before submit returns) is the record. */
int	aas_provider_find_run(struct aas_provider *p, const char *run,
	    json_t **batchp, struct aas_err *e);
/*
 * The batch a run (journaled at since, unix seconds, with count requests)
 * created, whatever the provider can tell: by the run id in its metadata
 * (aas_provider_find_run) or, where batches carry none (Anthropic's), as
 * the one batch created at or after since (less two minutes for clock
 * skew) with exactly count requests that known(id, arg) does not claim.
 * 0 and *batchp (NULL when there is none), or -1 with e set: code
 * "ambiguous_create" when several batches fit.
 */
int	aas_provider_find_own(struct aas_provider *p, const char *run,
	    long long since, long count,
	    int (*known)(const char *id, void *arg), void *arg,
	    json_t **batchp, struct aas_err *e);
/*
 * Errors of the run, not of a task: a call the server refused because
 * of the key or the account (401 "unauthorized", 403 "forbidden",
 * "insufficient_quota" for OpenAI's insufficient_quota and
 * billing_hard_limit_reached and Anthropic's billing_error) or the model
 * ("model_not_found").  Every call of this module that fails that way
 * has that code in e instead of http_NNN; this says whether code is one
 * of them.  Every other request would fail the same way: a command stops
 * (exit AAS_EXIT_USAGE) rather than fail each task with it.
 */
int	aas_provider_run_error(const char *code);

/*
 * After aas_provider_submit failed with code: 1 when surely no batch was
 * created (the server refused the request outright, or, for a provider
 * that uploads the input file first, the upload never finished:
 * file_known 0), so the run may be abandoned; 0 when a batch may exist.
 */
int	aas_provider_create_refused(const struct aas_provider *p,
	    const char *code, int file_known);
int	aas_provider_get(struct aas_provider *p, const char *batch_id,
	    json_t **batchp, struct aas_err *e);
int	aas_provider_cancel(struct aas_provider *p, const char *batch_id,
	    json_t **batchp, struct aas_err *e);
/* Every batch, newest first, across pages; cb returns nonzero to stop. */
int	aas_provider_list(struct aas_provider *p,
	    int (*cb)(json_t *batch, void *arg), void *arg, struct aas_err *e);

/*
 * Download a batch's output ("output"), error ("error") or input
 * ("input": the batch input file, for a clone that finds a batch it did
 * not submit; Anthropic has none to give) file to path,
 * resuming a partial file with a Range request, verifying completeness
 * (OpenAI: against the file's size from GET /files/{id}; Anthropic:
 * against Content-Length).  A file already at path is taken to be a
 * partial download of this same file: use one path per batch and kind.
 * A batch with no such file is not an error: 0 and *gotp = 0 (Anthropic
 * has one results file, so "error" always gives *gotp = 0; its key is
 * only ever sent to the configured base URL, whatever results_url says).
 * batch is a normalised batch (or a raw one).
 */
int	aas_provider_download(struct aas_provider *p, json_t *batch,
	    const char *which, const char *path, int *gotp, struct aas_err *e);
/* Parse one results-file line into a normalised result.  -1 with e set
 * (code "bad_result") on a line that cannot be understood.  Here and in
 * the synchronous calls below, every registered secret in any string of
 * the result (text, finish_reason, error code and message...) is
 * replaced by "[redacted]": an answer that echoes the key is data. */
int	aas_provider_parse_result(const struct aas_provider *p,
	    const char *line, size_t len, json_t **resp, struct aas_err *e);
/* The same, always from jansson's tree of the whole line (what
 * aas_provider_parse_result must equal; for the tests). */
int	aas_provider_parse_result_tree(const struct aas_provider *p,
	    const char *line, size_t len, json_t **resp, struct aas_err *e);
/* The same for a line that aas_jscan_check passed as an object (it is
 * not checked again). */
int	aas_provider_parse_checked(const struct aas_provider *p,
	    const char *line, size_t len, json_t **resp, struct aas_err *e);

/*
 * A plain answer, the common line, read without a tree: a 2xx chat
 * completion with no error and one choice, its message's content a
 * string and no refusal; custom_id, request_id, model and finish_reason
 * strings without escapes; usage in the chat shape with integer counts.
 * Its values are spans of the line (jscan.h): rid and model are empty
 * when absent, finish when null or absent; content is the JSON string.
 * aas_provider_parse_result would make of the line the result
 *   {"ok": true, "status_code", "text", "finish_reason",
 *    "usage": {"input", "output", "cached"}, "request_id" (when not
 *    empty), "model" (when there is one), "custom_id"}
 * save for the redaction of secrets, which is the caller's to look for.
 */
struct aas_result_plain {
	struct aas_jspan cid, rid, model, finish, content;
	long	 status;
	json_int_t in, out, cached;
};
/* 1 and *pl when the checked line s[0..n) (as for
 * aas_provider_parse_checked) is a plain answer to p, else 0. */
int	aas_provider_parse_plain(const struct aas_provider *p, const char *s,
	    size_t n, struct aas_result_plain *pl);

/* One synchronous call (chat completions / messages).  body is in the
 * OpenAI chat shape (borrowed; translated for Anthropic).  *resp is a
 * normalised result (custom_id absent).  The rate-limit state seen is
 * kept in p (aas_provider_ratelimits). */
int	aas_provider_chat(struct aas_provider *p, json_t *body, json_t **resp,
	    struct aas_err *e);

/*
 * Many synchronous calls at once (aas-submit --sync -j N), on one curl
 * multi handle in the calling thread.
 *
 * The driver keeps up to jobs requests in flight.  It asks next(arg,
 * &body, &tag) for work whenever it may start one: next returns 1 with
 * *body (a new reference, which the driver takes) and *tag (opaque to the
 * driver), or 0 when there is nothing more to start (end of input, or the
 * caller wants to stop, e.g. on aas_stop_flag); next is not called again
 * after it returned 0, and the requests in flight still finish.
 *
 * Every request taken is reported exactly once by done(arg, tag, result,
 * e), called from the calling thread in completion order: on success
 * result is the normalised result (borrowed: valid during the call,
 * json_incref it to keep it) and e is NULL; on failure result is NULL
 * and e holds the code (http_400, http_429, network, timeout,
 * bad_response, ...) and message.  A 200 whose body says the request
 * failed is a failure too.
 *
 * Pacing: a token bucket per minute for requests (rpm) and tokens (tpm;
 * a request costs aas_provider_est_tokens(body), corrected by the usage
 * actually reported).  rpm or tpm <= 0 means "take the limit from the
 * provider's rate-limit headers once seen" (unlimited until then).  The
 * driver also waits when the headers say the remaining requests or
 * tokens are used up, and after a 429 it holds back every new start
 * until the Retry-After time, so a limit costs a few 429s, not a storm.
 * Each request is retried per lib/http.h (p's max_tries).
 *
 * Returns 0 once next returned 0 and every request taken was reported;
 * -1 with e set only when the driver itself could not run (then the
 * requests in flight were reported through done first).
 */
int	aas_provider_chat_many(struct aas_provider *p, int jobs, double rpm,
	    double tpm, int (*next)(void *arg, json_t **body, void **tag),
	    void (*done)(void *arg, void *tag, json_t *result,
	    const struct aas_err *e), void *arg, struct aas_err *e);

/* The pacing estimate of a chat body's tokens: its JSON size / 4 plus
 * its max_completion_tokens / max_tokens (Anthropic's default when
 * absent).  body is borrowed. */
long	aas_provider_est_tokens(const struct aas_provider *p, json_t *body);

/*
 * The rate-limit state last seen on p's responses, a new reference:
 *   {"requests": {"limit": N, "remaining": N, "reset_ms": N},
 *    "tokens": {...}, "input_tokens": {...}, "output_tokens": {...},
 *    "seen_at_ms": aas_now_ms() of the response}
 * with only the kinds and fields the provider sent; {} before any.
 * OpenAI's x-ratelimit-reset-* durations ("1s", "6m0s", "120ms") and
 * Anthropic's anthropic-ratelimit-*-reset RFC 3339 times both become
 * milliseconds from seen_at_ms.
 */
json_t	*aas_provider_ratelimits(const struct aas_provider *p);

/*
 * Normalise a provider's batch object (raw, borrowed) into the batch
 * shape above; NULL when raw is not a batch object.  New reference.
 */
json_t	*aas_provider_batch_norm(const struct aas_provider *p, json_t *raw);

/*
 * The providers a command uses, each opened on first use from the
 * configuration: base_url applies to the configured provider only
 * (config "provider", default openai), key_file to all.  cf is borrowed
 * and must outlive the pool; verbose as in aas_provider_opts.
 */
struct aas_provider_pool;
struct aas_provider_pool *aas_provider_pool_new(const struct aas_config *cf,
	    int verbose);
/*
 * The provider called kind (NULL: openai; an alias gives its provider),
 * or NULL with e set.  key, if not NULL, is the key when the provider is
 * opened now (a command that needs no network passes a placeholder); a
 * provider already open is returned as it is.
 */
struct aas_provider *aas_provider_pool_get(struct aas_provider_pool *pp,
	    const char *kind, const char *key, struct aas_err *e);
/* aas_provider_pool_get(arg, kind, NULL, e), in the shape of
 * aas_batch_reconcile's get. */
struct aas_provider *aas_provider_pool_cb(const char *kind, void *arg,
	    struct aas_err *e);
void	aas_provider_pool_free(struct aas_provider_pool *pp);

#endif
