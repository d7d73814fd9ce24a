/*
 * http.h: HTTP for aas, on libcurl.  One client (struct aas_http) runs any
 * number of requests at once on a curl multi handle in the calling thread;
 * aas_http_do is the one-request case.  The curl types stay inside
 * lib/http.c.
 *
 * Every request gets: connect and total timeouts, a low-speed abort,
 * TLS verification (libcurl's default, never turned off), the proxy
 * variables libcurl honours by default (http_proxy, https_proxy,
 * no_proxy), "User-Agent: aas/0.1.0", and retries.
 *
 * Retries: on network errors (refused, reset, timeout, low speed, a body
 * cut short: CURLE_PARTIAL_FILE is never accepted), on HTTP 408, 409,
 * 429 and 5xx, and on a 2xx whose body should be JSON and is not (code
 * bad_response).  The server's x-should-retry: true|false overrides the
 * status rule.  The delay is the server's retry-after-ms, else its
 * Retry-After (seconds or an HTTP date), when 0 < delay <= the
 * retry_after_max_ms option (a longer demand is not waited for: the error
 * is returned); otherwise exponential backoff min(base * 2^n, cap) with
 * a 0-25 % jitter reduction (the official SDKs' rule: 0.5 s doubling up
 * to 8 s).  max_tries counts attempts.  A download attempt that got
 * further into the file does not use up a try.
 *
 * A request marked unsafe (a non-idempotent POST such as a batch create)
 * is retried only where the server cannot have acted on it: connection
 * refused, host not found, and 429.  Any other failure (reset, timeout,
 * 5xx, a 2xx with a bad body) returns -1 with resp->ambiguous set: the
 * caller must find out whether the request took effect (reconcile) before
 * sending it again.
 *
 * -v tracing (opts.verbose): request and response headers and curl's
 * notes on stderr through aas_msg, with the values of Authorization,
 * x-api-key and every registered secret replaced by [redacted].
 */
#ifndef AAS_HTTP_H
#define AAS_HTTP_H

#include <stdint.h>

#include <jansson.h>

#include "aas.h"

struct aas_http;

struct aas_http_opts {
	int	 max_tries;		/* attempts per request; 0: 5 */
	long	 connect_timeout_ms;	/* 0: 10000 */
	long	 timeout_ms;		/* per attempt, not for downloads to a
					   file; 0: 600000 */
	long	 low_speed_limit;	/* abort below this many bytes/s ... */
	long	 low_speed_time;	/* ... for this many s; 0: 1 and 60 */
	long	 backoff_ms;		/* first retry delay; 0: $AAS_HTTP_BACKOFF_MS
					   if set, else 500 */
	long	 backoff_max_ms;	/* 0: 8000 */
	long	 retry_after_max_ms;	/* 0: 120000 */
	int	 verbose;		/* trace on stderr, secrets redacted */
	/* Called after every attempt that got a response (retried ones
	 * too): status and the response headers (borrowed; lowercase
	 * names, last value wins).  For rate-limit bookkeeping. */
	void	(*on_response)(void *arg, long status, json_t *headers);
	void	*on_response_arg;
	/* Webhook rules: of the 4xx only 429 is retried (not 408, 409), and
	 * x-should-retry is not read. */
	int	 only_429;
	/* A 429's JSON body "retry_after" (seconds, with a fraction: Discord)
	 * comes before its headers. */
	int	 retry_after_body;
};

struct aas_http_req {
	const char	*method;	/* NULL: POST with a body, else GET */
	const char	*url;
	const char *const *headers;	/* NULL-terminated "Name: value" */
	const char	*body;		/* request body (copied) ... */
	size_t		 body_len;
	const char	*body_file;	/* ... or read from this file */
	/* multipart/form-data: one file part and string fields */
	const char	*form_file;	/* path of the file to send */
	const char	*form_file_field;	/* NULL: "file" */
	const char	*form_file_name;	/* file name in the part */
	const char	*form_file_type;	/* NULL: application/octet-stream */
	const char *const *form_fields;	/* name, value, ..., NULL */
	/* Stream a 2xx body into this file instead of memory.  An existing
	 * partial file is resumed with "Range: bytes=N-"; the result is
	 * checked against Content-Length / Content-Range and out_size. */
	const char	*out_path;
	int64_t		 out_size;	/* expected size; -1 (or 0) unknown */
	int		 json;		/* a 2xx body must be JSON */
	int		 unsafe;	/* non-idempotent, see above */
};

struct aas_http_resp {
	long	 status;	/* last HTTP status, 0 if none */
	char	*body;		/* NUL-terminated (error bodies of
				   downloads too); never NULL after a call */
	size_t	 body_len;
	json_t	*json;		/* parsed body when it is JSON, or NULL */
	json_t	*headers;	/* lowercase name -> value; never NULL */
	char	 request_id[128];	/* x-request-id / request-id, or "" */
	int	 tries;		/* attempts made */
	int	 ambiguous;	/* unsafe request may have taken effect */
	int64_t	 bytes;		/* size of out_path when done */
};

/* A new client; o may be NULL for the defaults. */
struct aas_http *aas_http_new(const struct aas_http_opts *o);
/* Frees the client; requests still running are dropped. */
void	aas_http_free(struct aas_http *h);

/*
 * One request, with its retries.  0 on a 2xx (for out_path: the whole
 * file is there); -1 with e set otherwise: code "http_<status>" with the
 * server's message, or "network", "timeout", "truncated",
 * "bad_response", "io" (a local file).  resp is filled either way and
 * must be released with aas_http_resp_free.  Other requests started
 * with aas_http_start keep running meanwhile.
 */
int	aas_http_do(struct aas_http *h, const struct aas_http_req *rq,
	    struct aas_http_resp *resp, struct aas_err *e);
void	aas_http_resp_free(struct aas_http_resp *resp);

/*
 * Concurrency.  aas_http_start queues a request (rq and every string it
 * points to are copied); it makes progress inside aas_http_wait and
 * aas_http_do.  aas_http_wait runs the transfers for up to timeout_ms
 * (-1: no limit) and returns 1 when one request has finished (after its
 * retries), filling *tagp, *rcp (0 or -1 as aas_http_do), resp and e;
 * 0 when the time ran out; -1 when no request is outstanding.
 */
void	aas_http_start(struct aas_http *h, const struct aas_http_req *rq,
	    void *tag);
int	aas_http_wait(struct aas_http *h, long timeout_ms, void **tagp,
	    int *rcp, struct aas_http_resp *resp, struct aas_err *e);
/* Requests started and not yet returned by aas_http_wait. */
int	aas_http_pending(const struct aas_http *h);
/* aas_now_ms() time until which the server asked to hold back (the
 * latest Retry-After of a 429), or 0. */
int64_t	aas_http_hold_until(const struct aas_http *h);

/*
 * Header and time parsers (exposed for lib/provider and the tests).
 * aas_http_duration_ms: Go durations as OpenAI sends them ("1s", "6m0s",
 * "120ms", "1h2m3.5s", "0.5s"); -1 when malformed.
 * aas_http_date_ms: an RFC 3339 time ("2026-11-21T10:00:00Z", with
 * fraction or offset) or an HTTP date ("Sat, 21 Nov 2026 10:00:00 GMT")
 * as Unix milliseconds; -1 when malformed.
 * aas_http_retry_delay_ms: the delay a response's headers ask for
 * (retry-after-ms, then retry-after), relative to now_unix_ms for a
 * date; -1 when none is given or it cannot be read.
 */
int64_t	aas_http_duration_ms(const char *s);
int64_t	aas_http_date_ms(const char *s);
int64_t	aas_http_retry_delay_ms(json_t *headers, int64_t now_unix_ms);

#endif
