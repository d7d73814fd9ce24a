/*
 * provider-int.h: what the provider files share.  Not for commands: use
 * provider.h.
 *
 * The layers, bottom up (no file calls into one above it):
 *
 *   provider-call.c   calls, URLs, JSON helpers, list pages, rate-limit
 *                     bookkeeping: what every provider needs
 *   openai.c          one struct aas_provider_ops each, built only on
 *   anthropic.c       provider-call.c
 *   provider.c        the registry (names -> ops), keys, and provider.h's
 *                     functions, dispatched through p->ops
 *
 * A provider file never calls provider.c: what it needs from another
 * provider call (a list, a get) goes through provider-call.c.
 */
#ifndef AAS_PROVIDER_INT_H
#define AAS_PROVIDER_INT_H

#include <jansson.h>

#include "jscan.h"

#include "aas.h"
#include "http.h"
#include "provider.h"

struct aas_provider;

/*
 * One provider: its public description (provider.h) and its functions.
 * Every function is required unless said otherwise.
 */
struct aas_provider_ops {
	struct aas_provider_info info;
	const char *key_env;		/* "OPENAI_API_KEY" */
	const char *base_env;		/* "OPENAI_BASE_URL" */
	const char *default_base;	/* "https://api.openai.com/v1" */
	const char *chat_path;		/* synchronous calls, from the base */
	const char *batches_path;	/* the batches collection */
	const char *list_after;		/* the list's cursor parameter */
	long	 default_max_tokens;	/* what the server assumes, 0: none */
	const char *result_key;		/* the key a results line carries */
	/* Results lines in another registered provider's shape (its
	 * result_key, not ours) are read with that provider's parser: a
	 * file of results may come from elsewhere (aas-fetch --from-file). */
	int	 reads_foreign;

	/* The header lines that carry key (at most 3, into auth[0..]). */
	void	(*auth)(char *auth[4], const char *key);
	/* A chat body (OpenAI shape, borrowed) as this provider's wire
	 * body; new reference. */
	json_t	*(*wire_body)(json_t *body);
	/* One batch input line (provider.h aas_provider_batch_line). */
	json_t	*(*batch_line)(const char *custom_id, const char *endpoint,
		    json_t *body);
	/* A raw batch object (an object, borrowed) normalised, or NULL. */
	json_t	*(*batch_norm)(json_t *raw);
	/* One results-file line (an object, borrowed). */
	int	(*parse_line)(json_t *o, json_t **resp, struct aas_err *e);
	/* NULL, or the members of a checked line (jscan.h) that parse_line
	 * reads, picked into a new object that parse_line reads as it
	 * would the whole line's tree. */
	json_t	*(*pick_line)(const char *s, struct aas_jspan doc);
	/* NULL, or 1 and *pl when a checked line is a plain answer
	 * (provider.h aas_provider_parse_plain), else 0. */
	int	(*plain_line)(const char *s, struct aas_jspan doc,
		    struct aas_result_plain *pl);
	/* A synchronous answer: body (may be NULL) with its status. */
	json_t	*(*chat_result)(json_t *body, long status,
		    const char *request_id);
	int	(*submit)(struct aas_provider *p, const char *path,
		    const char *endpoint, json_t *metadata,
		    void (*on_file)(const char *, void *), void *arg,
		    json_t **batchp, struct aas_err *e);
	/* provider.h aas_provider_find_run; NULL when batches carry no
	 * metadata. */
	int	(*find_run)(struct aas_provider *p, const char *run,
		    json_t **batchp, struct aas_err *e);
	/* provider.h aas_provider_find_own. */
	int	(*find_own)(struct aas_provider *p, const char *run,
		    long long since, long count,
		    int (*known)(const char *, void *), void *arg,
		    json_t **batchp, struct aas_err *e);
	int	(*download)(struct aas_provider *p, json_t *batch,
		    const char *which, const char *path, int *gotp,
		    struct aas_err *e);
	/* Note the rate-limit headers of a response in p->rl. */
	void	(*ratelimits)(struct aas_provider *p, json_t *headers);
	/* provider.h aas_provider_create_refused. */
	int	(*create_refused)(const char *code, int file_known);
};

extern const struct aas_provider_ops aas_openai_ops;
extern const struct aas_provider_ops aas_anthropic_ops;

struct aas_provider {
	const struct aas_provider_ops *ops;
	char		*base;		/* no trailing slash */
	char		*origin;	/* scheme://host[:port] of base */
	char		*auth[4];	/* header lines, NULL-terminated */
	char		*json_hdrs[5];	/* auth + Content-Type: JSON */
	struct aas_http	*http;
	json_t		*rl;		/* rate limits, see ratelimits() */
	int		 max_tries;
	int		 verbose;
};

/* provider-call.c */

/*
 * One JSON call.  path is appended to the base URL (a whole URL is taken
 * as it is).  *out (if out is not NULL) gets the parsed 2xx body.  rs, if
 * not NULL, receives the response (the caller frees it).
 */
int	 aas_p_call(struct aas_provider *p, const char *method,
	    const char *path, json_t *body, int unsafe, json_t **out,
	    struct aas_http_resp *rs, struct aas_err *e);
char	*aas_p_url(const struct aas_provider *p, const char *path);
const char *aas_p_str(json_t *o, const char *k);
/* A JSON string; text that is not UTF-8 is made so (aas_utf8_lossy). */
json_int_t aas_p_int(json_t *o, const char *k);
void	 aas_p_sleep_ms(long ms);
json_t	*aas_p_result_err(const char *custom_id, long status,
	    const char *code, const char *message, const char *request_id);
/* provider.h aas_provider_list, on p->ops' batches path and cursor. */
int	 aas_p_list(struct aas_provider *p, int (*cb)(json_t *, void *),
	    void *arg, struct aas_err *e);
/* aas_provider_find_own for batches that carry no metadata (provider.h). */
int	 aas_p_find_unlabelled(struct aas_provider *p, long long since,
	    long count, int (*known)(const char *, void *), void *arg,
	    json_t **batchp, struct aas_err *e);
/*
 * Note rate-limit headers in p->rl (provider.h aas_provider_ratelimits):
 * for each kind ("requests", "input-tokens", ...) the headers
 * PREFIX-FIELD-KIND (field_first) or PREFIX-KIND-FIELD, with FIELD limit,
 * remaining and reset; reset_ms turns a reset value into milliseconds
 * from now (-1: unreadable).
 */
void	 aas_p_rl_note(struct aas_provider *p, json_t *headers,
	    const char *const *kinds, const char *prefix, int field_first,
	    int64_t (*reset_ms)(const char *));
/* An "http_4xx" code that says the server did not act on the request
 * (not 408, 409 or 429). */
int	 aas_p_refused(const char *code);
/* After a failed aas_http_do: an error of the run (provider.h,
 * aas_provider_run_error) gets its code in e instead of http_NNN. */
void	 aas_p_classify(const struct aas_http_resp *r, struct aas_err *e);

#endif
