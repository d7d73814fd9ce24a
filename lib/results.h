/*
 * results.h: what aas-fetch and aas-submit --sync make of provider
 * results (provider.h's normalised result): the record's response key,
 * the error of a failed task, results files matched against the tasks
 * that were sent, and downloads checked line by line.
 */
#ifndef AAS_RESULTS_H
#define AAS_RESULTS_H

#include <stdio.h>

#include <jansson.h>

#include "aas.h"

struct aas_price;
struct aas_provider;
struct aas_tasks;

/* What the result res cost (usd rounded, usage from res): 0 without a
 * price.  The usd of aas_response_key. */
double	aas_result_usd(json_t *res, const struct aas_price *price,
	    double discount);
/*
 * The response key of result res (borrowed):
 *   {"status", "text", "finish_reason",
 *    "usage": {"input", "output", "cached"}, "usd", "request_id"}
 * usd is the cost at price times discount (rounded to 1e-8), null with
 * no price (price NULL); *usdp gets it (0 with no price).  New
 * reference.
 */
json_t	*aas_response_key(json_t *res, const struct aas_price *price,
	    double discount, double *usdp);

/*
 * The same for one of n candidates that one request answered together
 * (aas-submit --candidates with a provider that has choices): usage is
 * the request's, usd its cost divided by n, so the records of the n
 * candidates add up to the request once; *usdp gets the request's whole
 * cost.  n 1 is aas_response_key.
 */
json_t	*aas_response_key_n(json_t *res, const struct aas_price *price,
	    double discount, size_t n, double *usdp);
/*
 * Candidate k (from 1) of result res: a new normalised result holding
 * choice k-1 of res's "choices" (provider.h) with res's usage, status and
 * request id; res itself (a new reference) when it has no choices and k
 * is 1 or res failed as a whole; NULL when res holds no choice k.
 */
json_t	*aas_result_choice(json_t *res, size_t k);

/*
 * The record error of a failed result: *codep is its error.code, else
 * "http_<status_code>" (written into buf); with batch_words the
 * provider's batch_expired and batch_cancelled become "expired" and
 * "cancelled", the words aas-fetch uses for a whole batch.  *msgp is its
 * message, else "request failed".  Both point into res or buf.
 */
void	aas_result_error(json_t *res, int batch_words, char buf[32],
	    const char **codep, const char **msgp);

/*
 * Why a task of a finished batch (normalised, borrowed) has no result
 * line: code "expired", "cancelled", "batch_failed" (with the batch's
 * first error) or "missing_result"; the message into msg.
 */
void	aas_results_missing(json_t *batch, const char **codep, char *msg,
	    size_t size);

/*
 * aas_provider_download, then every line of the file must read as a
 * result: a file the server garbled (a 200 with the wrong bytes) is
 * removed and fetched again, three times at most ("bad_result" after
 * that).  A whole file that holds a registered secret (an answer that
 * echoed the key) is rewritten with it redacted.  Same return and *gotp
 * as aas_provider_download.  *checkedp (may be NULL) is set when the file
 * is as it was downloaded and checked (aas_results_whole), none of it
 * redacted: aas_results_match may then take its lines as checked.
 */
int	aas_results_download(struct aas_provider *p, json_t *batch,
	    const char *which, const char *path, int *gotp, int *checkedp,
	    struct aas_err *e);

/*
 * One line of a results file as aas_results_match hands it over.  res
 * is its normalised result (provider.h), or NULL for a plain answer
 * (provider.h aas_provider_parse_plain) read without a tree: that one
 * comes with the text of its response key, key[0..keylen), byte for byte
 * what aas_json_text(aas_response_key(res, price, discount), 15) writes,
 * and usd its cost (aas_result_usd).  cid is its custom_id (NULL when a
 * tree has none).  The other members are the plain answer's values.
 */
struct aas_result_line {
	json_t		*res;
	const char	*cid;
	const char	*key;
	size_t		 keylen;
	double		 usd;
	const char	*text, *finish, *rid, *model;
	size_t		 textlen;
	long		 status;
	json_int_t	 in, out, cached;
	char		*buf;		/* what the strings point into */
};

/*
 * The plain answer of the line s[0..n) (checked by aas_jscan_check as an
 * object) into *l, priced at price (NULL: none) times discount, with
 * val and key as scratch buffers (kept between calls, freed by the
 * caller): 1, else 0 when the line is not one or holds a registered
 * secret (aas_provider_parse_checked then reads it, and redacts).
 */
int	aas_result_line_plain(const struct aas_provider *p, const char *s,
	    size_t n, const struct aas_price *price, double discount,
	    struct aas_buf *val, struct aas_buf *key,
	    struct aas_result_line *l);
/* Free what l holds. */
void	aas_result_line_free(struct aas_result_line *l);

/* The normalised result of line l: res, made of the plain answer when
 * l has none (kept in l, freed with it).  Borrowed. */
json_t	*aas_result_line_res(struct aas_result_line *l);

/*
 * 1 when the file at path ends with a newline and each of its non-blank
 * lines is one JSON object (aas_jscan_check) without a NUL byte, else 0;
 * *secretp is set when a line holds a registered secret.  What
 * aas_results_download asks of a download.
 */
int	aas_results_whole(const char *path, int *secretp);

/* How aas_results_match reads a file. */
struct aas_match_opts {
	const struct aas_price *price;	/* plain answers' price; NULL: none */
	double	 discount;		/* times this (0.5 for batches) */
	int	 checked;		/* every line passed aas_results_whole */
};

/*
 * Read a results file (f, called name in messages) and match each line
 * to its task: the first of the nidx indexes holding its custom_id.  A
 * line that does not parse, or names no task ("unknown custom_id",
 * unless aas_quiet), is reported on stderr and skipped; a task already
 * marked (its line came before) is skipped silently.  Every other task
 * is marked and cb(arg, j, slot, line) called with index j, the task's
 * slot there and the line (borrowed; plain answers priced as o says; o
 * may be NULL: no price).  A nonzero return from cb ends the read and
 * is returned; 0 at the end of the file.
 */
int	aas_results_match(struct aas_provider *p, FILE *f, const char *name,
	    struct aas_tasks *const *idx, size_t nidx,
	    const struct aas_match_opts *o, int (*cb)(void *arg, size_t j,
	    size_t slot, struct aas_result_line *line), void *arg);

#endif
