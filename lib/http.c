/*
 * http.c: libcurl multi driver with retries, resumable downloads and a
 * redacting trace.  See http.h.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "banned.h"

#define UA	"User-Agent: aas/" AAS_VERSION

enum { X_WAIT, X_RUN, X_DONE };

struct xfer {
	struct aas_http		*h;
	struct xfer		*next;
	void			*tag;
	int			 state;
	int64_t			 wake;		/* X_WAIT: start at */
	CURL			*c;
	struct curl_slist	*hdrs;
	curl_mime		*mime;
	FILE			*in;		/* body_file */
	/* the request, owned copies */
	char			*method;
	char			*url;
	char			**hv;
	char			*body;
	size_t			 body_len;
	char			*body_file;
	char			*form_file;
	char			*form_field;
	char			*form_name;
	char			*form_type;
	char			**fv;
	char			*out_path;
	int64_t			 out_size;
	int			 json;
	int			 unsafe;
	/* the attempt */
	int			 tries;		/* counted against max_tries */
	int			 attempts;
	int			 fd;		/* out_path */
	int64_t			 have;		/* file bytes before attempt */
	int64_t			 wrote;		/* file bytes this attempt */
	int64_t			 best;		/* largest file size so far */
	int			 tofile;	/* this attempt writes the file */
	int			 werr;		/* local write error (errno) */
	struct aas_buf		 buf;
	json_t			*headers;
	char			 errbuf[CURL_ERROR_SIZE];
	/* the outcome */
	int			 rc;
	struct aas_http_resp	 resp;
	struct aas_err		 err;
};

struct aas_http {
	struct aas_http_opts	 o;
	CURLM			*m;
	struct xfer		*list;
	int64_t			 hold;
	int			 npending;
	unsigned int		 seed;
};

static void
x_free_req(struct xfer *x)
{
	char **p;

	free(x->method);
	free(x->url);
	for (p = x->hv; p && *p; p++)
		free(*p);
	free(x->hv);
	free(x->body);
	free(x->body_file);
	free(x->form_file);
	free(x->form_field);
	free(x->form_name);
	free(x->form_type);
	for (p = x->fv; p && *p; p++)
		free(*p);
	free(x->fv);
	free(x->out_path);
}

static char **
strv_dup(const char *const *v)
{
	char **r;
	size_t n;

	if (v == NULL)
		return NULL;
	for (n = 0; v[n] != NULL; n++)
		;
	r = aas_xcalloc(n + 1, sizeof(*r));
	for (n = 0; v[n] != NULL; n++)
		r[n] = aas_xstrdup(v[n]);
	return r;
}

static char *
dupnull(const char *s)
{
	return s ? aas_xstrdup(s) : NULL;
}

struct aas_http *
aas_http_new(const struct aas_http_opts *o)
{
	struct aas_http *h;
	const char *s;
	char *end;
	long v;

	h = aas_xcalloc(1, sizeof(*h));
	if (o != NULL)
		h->o = *o;
	if (h->o.max_tries <= 0)
		h->o.max_tries = 5;
	if (h->o.connect_timeout_ms <= 0)
		h->o.connect_timeout_ms = 10000;
	if (h->o.timeout_ms <= 0)
		h->o.timeout_ms = 600000;
	if (h->o.low_speed_limit <= 0)
		h->o.low_speed_limit = 1;
	if (h->o.low_speed_time <= 0)
		h->o.low_speed_time = 60;
	if (h->o.backoff_ms <= 0) {
		h->o.backoff_ms = 500;
		if ((s = getenv("AAS_HTTP_BACKOFF_MS")) != NULL && *s) {
			v = strtol(s, &end, 10);
			if (*end == '\0' && v >= 0)
				h->o.backoff_ms = v;
		}
	}
	if (h->o.backoff_max_ms <= 0)
		h->o.backoff_max_ms = 8000;
	if (h->o.retry_after_max_ms <= 0)
		h->o.retry_after_max_ms = 120000;
	h->seed = (unsigned int)aas_now_ms() ^ (unsigned int)getpid();
	h->m = curl_multi_init();
	if (h->m == NULL) {
		aas_msg("curl_multi_init failed");
		abort();
	}
	return h;
}

static void
x_cleanup_attempt(struct xfer *x)
{
	if (x->c != NULL) {
		curl_multi_remove_handle(x->h->m, x->c);
		curl_easy_cleanup(x->c);
		x->c = NULL;
	}
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	curl_mime_free(x->mime);
	x->mime = NULL;
	if (x->in != NULL) {
		fclose(x->in);
		x->in = NULL;
	}
	if (x->fd >= 0) {
		close(x->fd);
		x->fd = -1;
	}
}

static void
x_free(struct xfer *x)
{
	x_cleanup_attempt(x);
	x_free_req(x);
	aas_buf_free(&x->buf);
	json_decref(x->headers);
	aas_http_resp_free(&x->resp);
	free(x);
}

void
aas_http_free(struct aas_http *h)
{
	struct xfer *x, *n;

	if (h == NULL)
		return;
	for (x = h->list; x != NULL; x = n) {
		n = x->next;
		x_free(x);
	}
	curl_multi_cleanup(h->m);
	free(h);
}

void
aas_http_resp_free(struct aas_http_resp *r)
{
	free(r->body);
	json_decref(r->json);
	json_decref(r->headers);
	memset(r, 0, sizeof(*r));
}

/* Time parsing. */

int64_t
aas_http_duration_ms(const char *s)
{
	double total = 0, v;
	char *end;
	int any = 0;

	if (s == NULL)
		return -1;
	while (*s == ' ')
		s++;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s) && *s != '.')
			return -1;
		v = strtod(s, &end);
		if (end == s)
			return -1;
		s = end;
		if (strncmp(s, "ms", 2) == 0) {
			total += v;
			s += 2;
		} else if (strncmp(s, "us", 2) == 0) {
			total += v / 1000;
			s += 2;
		} else if (strncmp(s, "ns", 2) == 0) {
			total += v / 1e6;
			s += 2;
		} else if (*s == 'h') {
			total += v * 3600000;
			s++;
		} else if (*s == 'm') {
			total += v * 60000;
			s++;
		} else if (*s == 's') {
			total += v * 1000;
			s++;
		} else if (*s == '\0' && !any) {
			total += v * 1000;	/* bare seconds */
		} else
			return -1;
		any = 1;
	}
	if (!any || total > 1e15)
		return -1;
	return (int64_t)(total + 0.5);
}

static int
num(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	*sp = s + n;
	return 0;
}

static int64_t
utc_ms(int y, int mo, int d, int hh, int mi, int ss, double frac)
{
	static const int cum[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243,
	    273, 304, 334 };
	int64_t days;
	int yy;

	if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 ||
	    ss > 60 || y < 1970)
		return -1;
	yy = y - 1970;
	days = (int64_t)yy * 365 + (y - 1969) / 4 - (y - 1901) / 100 +
	    (y - 1601) / 400 + cum[mo - 1] + d - 1;
	if (mo > 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		days++;
	return ((days * 24 + hh) * 60 + mi) * 60000 + ss * 1000 +
	    (int64_t)(frac * 1000 + 0.5);
}

int64_t
aas_http_date_ms(const char *s)
{
	static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, mo = 0, d, hh, mi, ss, oh, om, i, sign;
	double frac = 0;
	int64_t t;
	char *end;

	if (s == NULL)
		return -1;
	while (*s == ' ')
		s++;
	if (isdigit((unsigned char)*s)) {
		/* RFC 3339 */
		if (num(&s, 4, &y) || *s++ != '-' || num(&s, 2, &mo) ||
		    *s++ != '-' || num(&s, 2, &d) ||
		    (*s != 'T' && *s != 't' && *s != ' '))
			return -1;
		s++;
		if (num(&s, 2, &hh) || *s++ != ':' || num(&s, 2, &mi) ||
		    *s++ != ':' || num(&s, 2, &ss))
			return -1;
		if (*s == '.') {
			if (!isdigit((unsigned char)s[1]))
				return -1;
			frac = strtod(s, &end);
			s = end;
		}
		if ((t = utc_ms(y, mo, d, hh, mi, ss, frac)) < 0)
			return -1;
		if (*s == 'Z' || *s == 'z')
			return s[1] == '\0' ? t : -1;
		if (*s != '+' && *s != '-')
			return -1;
		sign = *s++ == '-' ? -1 : 1;
		if (num(&s, 2, &oh) || *s++ != ':' || num(&s, 2, &om) ||
		    *s != '\0' || oh > 23 || om > 59)
			return -1;
		return t - sign * ((int64_t)oh * 60 + om) * 60000;
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	while (isalpha((unsigned char)*s))
		s++;
	if (*s++ != ',' || *s++ != ' ' || num(&s, 2, &d) || *s++ != ' ')
		return -1;
	for (i = 0; i < 12; i++)
		if (strncmp(s, mon[i], 3) == 0)
			mo = i + 1;
	if (mo == 0)
		return -1;
	s += 3;
	if (*s++ != ' ' || num(&s, 4, &y) || *s++ != ' ' || num(&s, 2, &hh) ||
	    *s++ != ':' || num(&s, 2, &mi) || *s++ != ':' || num(&s, 2, &ss) ||
	    strcmp(s, " GMT") != 0)
		return -1;
	return utc_ms(y, mo, d, hh, mi, ss, 0);
}

int64_t
aas_http_retry_delay_ms(json_t *headers, int64_t now_unix_ms)
{
	const char *s;
	double v;
	char *end;
	int64_t t;

	s = json_string_value(json_object_get(headers, "retry-after-ms"));
	if (s != NULL) {
		errno = 0;
		v = strtod(s, &end);
		if (end != s && *end == '\0' && errno == 0 && v >= 0 &&
		    v < 1e12)
			return (int64_t)v;
	}
	s = json_string_value(json_object_get(headers, "retry-after"));
	if (s == NULL)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end != s && *end == '\0' && errno == 0 && v >= 0 && v < 1e9)
		return (int64_t)(v * 1000);
	if ((t = aas_http_date_ms(s)) < 0)
		return -1;
	return t > now_unix_ms ? t - now_unix_ms : 0;
}

/* Callbacks. */

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, k, e;
	char *name, *val;
	json_t *v;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue or a redirect) */
		json_object_clear(x->headers);
		return len;
	}
	for (k = 0; k < len && p[k] != ':'; k++)
		;
	if (k == 0 || k >= len)
		return len;
	name = aas_xstrndup(p, k);
	for (e = 0; name[e]; e++)
		name[e] = (char)tolower((unsigned char)name[e]);
	k++;
	while (k < len && (p[k] == ' ' || p[k] == '\t'))
		k++;
	e = len;
	while (e > k && (p[e - 1] == '\r' || p[e - 1] == '\n' ||
	    p[e - 1] == ' '))
		e--;
	val = aas_xstrndup(p + k, e - k);
	if ((v = json_string(val)) == NULL)
		v = json_string("?");	/* not UTF-8 */
	json_object_set_new(x->headers, name, v);
	free(name);
	free(val);
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	long st = 0;

	if (x->fd >= 0 && !x->tofile && x->buf.len == 0 && x->wrote == 0) {
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &st);
		if (st == 200 || st == 206) {
			if (st == 200 && x->have > 0) {
				/* the server ignored Range: start over */
				if (ftruncate(x->fd, 0) != 0 ||
				    lseek(x->fd, 0, SEEK_SET) < 0) {
					x->werr = errno;
					return 0;
				}
				x->have = 0;
			}
			x->tofile = 1;
		}
	}
	if (x->tofile) {
		if (aas_write_all(x->fd, p, len) != 0) {
			x->werr = errno;
			return 0;
		}
		x->wrote += (int64_t)len;
		return len;
	}
	if (x->buf.len + len > (size_t)64 << 20 && x->fd < 0) {
		x->werr = EFBIG;
		return 0;
	}
	aas_buf_add(&x->buf, p, len);
	return len;
}

static size_t
on_read(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t got;

	got = fread(p, 1, size * n, x->in);
	if (got == 0 && ferror(x->in))
		return CURL_READFUNC_ABORT;
	return got;
}

static int
on_seek(void *arg, curl_off_t off, int origin)
{
	struct xfer *x = arg;

	if (fseeko(x->in, (off_t)off, origin) != 0)
		return CURL_SEEKFUNC_FAIL;
	return CURL_SEEKFUNC_OK;
}

static void
trace_lines(char tag, const char *p, size_t len)
{
	struct aas_buf b = AAS_BUF_INIT;
	const char *e, *nl;
	size_t k;

	for (e = p + len; p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		k = (size_t)(nl - p);
		if (k > 0 && p[k - 1] == '\r')
			k--;
		if (k == 0)
			continue;
		aas_buf_reset(&b);
		if ((k > 14 && strncasecmp(p, "authorization:", 14) == 0) ||
		    (k > 10 && strncasecmp(p, "x-api-key:", 10) == 0) ||
		    (k > 20 && strncasecmp(p, "proxy-authorization:", 20) ==
		    0)) {
			aas_buf_add(&b, p, (size_t)(memchr(p, ':', k) -
			    (void *)p) + 1);
			aas_buf_adds(&b, " [redacted]");
		} else
			aas_buf_add(&b, p, k > 2000 ? 2000 : k);
		aas_msg("%c %s", tag, b.s);
		if (nl == e)
			break;
	}
	aas_buf_free(&b);
}

static int
on_debug(CURL *c, curl_infotype type, char *p, size_t len, void *arg)
{
	(void)c;
	(void)arg;
	switch (type) {
	case CURLINFO_TEXT:
		trace_lines('*', p, len);
		break;
	case CURLINFO_HEADER_OUT:
		trace_lines('>', p, len);
		break;
	case CURLINFO_HEADER_IN:
		trace_lines('<', p, len);
		break;
	default:
		break;
	}
	return 0;
}

/* Attempts. */

static int
x_begin(struct xfer *x, struct aas_err *e)
{
	struct aas_http *h = x->h;
	curl_mimepart *part;
	struct stat st;
	char **p, range[64];
	CURL *c;

	aas_buf_reset(&x->buf);
	json_object_clear(x->headers);
	x->wrote = 0;
	x->tofile = 0;
	x->werr = 0;
	x->errbuf[0] = '\0';
	x->tries++;
	x->attempts++;
	if ((c = x->c = curl_easy_init()) == NULL)
		return aas_err_set(e, "network", "curl_easy_init failed");
	curl_easy_setopt(c, CURLOPT_URL, x->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, h->o.low_speed_limit);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->o.low_speed_time);
	/* compressed JSON answers, but identity for files: Range offsets
	 * and the size checks count the bytes on disk */
	if (x->out_path == NULL)
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (x->out_path == NULL)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	/* curl silently resends a request whose reused connection died
	 * without an answer; for a non-idempotent one that could act twice */
	if (x->unsafe)
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	if (h->o.verbose) {
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	}
	x->hdrs = curl_slist_append(x->hdrs, UA);
	for (p = x->hv; p && *p; p++)
		x->hdrs = curl_slist_append(x->hdrs, *p);
	if (x->out_path != NULL) {
		x->fd = open(x->out_path, O_WRONLY | O_CREAT | O_CLOEXEC,
		    0600);
		if (x->fd < 0 || fstat(x->fd, &st) != 0)
			return aas_err_set(e, "io", "%s: %s", x->out_path,
			    strerror(errno));
		x->have = (int64_t)st.st_size;
		if (x->tries == 1)
			x->best = x->have;
		if (x->out_size > 0 && x->have > x->out_size) {
			if (ftruncate(x->fd, 0) != 0)
				return aas_err_set(e, "io", "%s: %s",
				    x->out_path, strerror(errno));
			x->have = 0;
		}
		if (lseek(x->fd, x->have, SEEK_SET) < 0)
			return aas_err_set(e, "io", "%s: %s", x->out_path,
			    strerror(errno));
		if (x->have > 0) {
			snprintf(range, sizeof(range), "Range: bytes=%lld-",
			    (long long)x->have);
			x->hdrs = curl_slist_append(x->hdrs, range);
		}
		/* a results file of many MB is read and written in up to
		 * 512 KiB pieces, not libcurl's 16 KiB (two system calls a
		 * piece) */
		curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L << 10);
	}
	if (x->form_file != NULL) {
		x->mime = curl_mime_init(c);
		part = curl_mime_addpart(x->mime);
		curl_mime_name(part, x->form_field ? x->form_field : "file");
		if (curl_mime_filedata(part, x->form_file) != CURLE_OK)
			return aas_err_set(e, "io", "%s: cannot read",
			    x->form_file);
		if (x->form_name != NULL)
			curl_mime_filename(part, x->form_name);
		curl_mime_type(part, x->form_type ? x->form_type :
		    "application/octet-stream");
		for (p = x->fv; p && p[0] && p[1]; p += 2) {
			part = curl_mime_addpart(x->mime);
			curl_mime_name(part, p[0]);
			curl_mime_data(part, p[1], CURL_ZERO_TERMINATED);
		}
		curl_easy_setopt(c, CURLOPT_MIMEPOST, x->mime);
		/* a batch input of many MB goes out in 1 MiB sends, not
		 * libcurl's 64 KiB (a system call per send) */
		curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
	} else if (x->body_file != NULL) {
		if ((x->in = fopen(x->body_file, "re")) == NULL ||
		    fstat(fileno(x->in), &st) != 0)
			return aas_err_set(e, "io", "%s: %s", x->body_file,
			    strerror(errno));
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, x);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)st.st_size);
		x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	} else if (x->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)x->body_len);
	}
	if (x->method != NULL) {
		if (strcmp(x->method, "GET") == 0)
			curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		else if (strcmp(x->method, "POST") == 0) {
			if (x->body == NULL && x->body_file == NULL &&
			    x->form_file == NULL) {
				curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
				curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
			}
		} else
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hdrs);
	if (curl_multi_add_handle(h->m, c) != CURLM_OK)
		return aas_err_set(e, "network", "curl_multi_add_handle "
		    "failed");
	x->state = X_RUN;
	return 0;
}

/* The server's message from an error body, else a piece of the body. */
static void
server_message(struct xfer *x, json_t *j, char *out, size_t len)
{
	json_t *er = json_object_get(j, "error");
	const char *m = NULL;
	size_t k;

	if (json_is_object(er))
		m = json_string_value(json_object_get(er, "message"));
	else if (json_is_string(er))
		m = json_string_value(er);
	if (m == NULL)
		m = json_string_value(json_object_get(j, "message"));
	if (m != NULL) {
		snprintf(out, len, "%s", m);
		return;
	}
	k = x->buf.len < 200 ? x->buf.len : 200;
	snprintf(out, len, "%.*s", (int)k, x->buf.s ? x->buf.s : "");
	for (k = 0; out[k]; k++)
		if (out[k] == '\n' || out[k] == '\r')
			out[k] = ' ';
	if (out[0] == '\0')
		snprintf(out, len, "empty body");
}

static const char *
path_of(const char *url)
{
	const char *p = strstr(url, "://");

	if (p == NULL)
		return url;
	p = strchr(p + 3, '/');
	return p ? p : "/";
}

static int64_t
backoff(struct aas_http *h, int n)
{
	double d = (double)h->o.backoff_ms;
	double j;

	while (n-- > 0 && d < (double)h->o.backoff_max_ms)
		d *= 2;
	if (d > (double)h->o.backoff_max_ms)
		d = (double)h->o.backoff_max_ms;
	j = 1.0 - 0.25 * ((double)rand_r(&h->seed) / ((double)RAND_MAX + 1));
	return (int64_t)(d * j);
}

/* Expected complete size from the response headers, or -1. */
static int64_t
expected_size(struct xfer *x, long st)
{
	const char *cr, *sl;
	curl_off_t cl = -1;

	if (st == 206) {
		cr = json_string_value(json_object_get(x->headers,
		    "content-range"));
		if (cr != NULL && (sl = strchr(cr, '/')) != NULL &&
		    isdigit((unsigned char)sl[1]))
			return strtoll(sl + 1, NULL, 10);
	}
	curl_easy_getinfo(x->c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (cl >= 0)
		return (st == 206 ? x->have : 0) + (int64_t)cl;
	return x->out_size > 0 ? x->out_size : -1;
}

/*
 * Classify a finished attempt.  Returns 1 to retry after *delay, 0 when
 * done (x->rc and x->err set).
 */
static int
x_finish(struct xfer *x, CURLcode cc, int64_t *delay)
{
	struct aas_http *h = x->h;
	json_error_t jerr;
	json_t *j = NULL, *sr;
	long st = 0;
	int retry = 0, progressed = 0, safe_retry = 0;
	int64_t size = 0, want, ra, body_ra = -1;
	char msg[600], hcode[32];
	const char *code = NULL, *rid;

	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &st);
	x->resp.status = st;
	rid = json_string_value(json_object_get(x->headers, "x-request-id"));
	if (rid == NULL)
		rid = json_string_value(json_object_get(x->headers,
		    "request-id"));
	if (rid != NULL)
		snprintf(x->resp.request_id, sizeof(x->resp.request_id), "%s",
		    rid);
	if (st > 0 && h->o.on_response != NULL)
		h->o.on_response(h->o.on_response_arg, st, x->headers);
	if (x->fd >= 0) {
		size = x->tofile ? x->have + x->wrote : x->have;
		if (size > x->best) {
			progressed = 1;
			x->best = size;
		}
		x->resp.bytes = size;
	}
	msg[0] = '\0';
	if (x->werr != 0) {
		code = "io";
		snprintf(msg, sizeof(msg), "%s: %s", x->out_path ?
		    x->out_path : "response", strerror(x->werr));
		x->rc = aas_err_set(&x->err, code, "%s", msg);
		return 0;
	}
	if (cc != CURLE_OK) {
		switch (cc) {
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
			code = "network";
			retry = safe_retry = 1;
			break;
		case CURLE_OPERATION_TIMEDOUT:
			code = "timeout";
			retry = 1;
			break;
		case CURLE_PARTIAL_FILE:
			code = "truncated";
			retry = 1;
			break;
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_BAD_CONTENT_ENCODING:
		case CURLE_READ_ERROR:
			code = "network";
			retry = 1;
			break;
		default:
			code = "network";
			break;
		}
		snprintf(msg, sizeof(msg), "%s %s: %s",
		    x->method ? x->method : (x->body || x->body_file ||
		    x->form_file) ? "POST" : "GET", path_of(x->url),
		    x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
		if (msg[strlen(msg) - 1] == '\n')
			msg[strlen(msg) - 1] = '\0';
	} else {
		if (x->buf.len > 0)
			j = json_loadb(x->buf.s, x->buf.len, JSON_DECODE_ANY |
			    JSON_ALLOW_NUL, &jerr);
		if (st >= 200 && st < 300 && x->fd >= 0 && x->tofile) {
			want = expected_size(x, st);
			if (want >= 0 && size < want) {
				code = "truncated";
				retry = 1;
				snprintf(msg, sizeof(msg), "GET %s: body cut "
				    "short at %lld of %lld bytes",
				    path_of(x->url), (long long)size,
				    (long long)want);
			} else if (want >= 0 && size > want) {
				code = "bad_response";
				snprintf(msg, sizeof(msg), "GET %s: %lld bytes, "
				    "more than the %lld expected",
				    path_of(x->url), (long long)size,
				    (long long)want);
			}
		} else if (st == 416 && x->fd >= 0 && x->have > 0) {
			/* asked past the end: complete if the size agrees */
			const char *cr = json_string_value(json_object_get(
			    x->headers, "content-range"));
			const char *sl = cr ? strchr(cr, '/') : NULL;

			if (sl != NULL && strtoll(sl + 1, NULL, 10) ==
			    x->have && (x->out_size <= 0 ||
			    x->out_size == x->have)) {
				x->resp.status = st = 200;
			} else {
				if (ftruncate(x->fd, 0) == 0)
					x->best = 0;
				code = "truncated";
				retry = 1;
				snprintf(msg, sizeof(msg), "GET %s: the local "
				    "partial file does not fit the server's "
				    "(%s)", path_of(x->url), cr ? cr : "416");
			}
		} else if (st >= 200 && st < 300 && x->json && j == NULL) {
			code = "bad_response";
			retry = 1;
			snprintf(msg, sizeof(msg), "%s %s: malformed JSON "
			    "from the server: %s", x->method ? x->method :
			    "GET", path_of(x->url), jerr.text);
		} else if (st < 200 || st >= 300) {
			char sm[400];

			server_message(x, j, sm, sizeof(sm));
			snprintf(hcode, sizeof(hcode), "http_%ld", st);
			code = hcode;
			snprintf(msg, sizeof(msg), "%s %s: http %ld: %s",
			    x->method ? x->method : (x->body || x->body_file
			    || x->form_file) ? "POST" : "GET",
			    path_of(x->url), st, sm);
			retry = st == 408 || st == 409 || st == 429 ||
			    st >= 500;
			safe_retry = st == 429;
			if (h->o.only_429)
				retry = st == 429 || st >= 500;
			if (st == 429 && h->o.retry_after_body &&
			    json_is_number(json_object_get(j, "retry_after")))
				body_ra = (int64_t)(json_number_value(
				    json_object_get(j, "retry_after")) * 1000 +
				    0.5);
			sr = h->o.only_429 ? NULL : json_object_get(x->headers,
			    "x-should-retry");
			if (json_is_string(sr) && strcmp(json_string_value(sr),
			    "true") == 0)
				retry = 1;
			else if (json_is_string(sr) && strcmp(
			    json_string_value(sr), "false") == 0)
				retry = safe_retry = 0;
		}
		if (code == NULL && st >= 200 && st < 300 && x->fd < 0)
			x->resp.json = j ? json_incref(j) : NULL;
	}
	json_decref(j);
	if (code == NULL) {
		x->rc = 0;
		return 0;
	}
	if (x->resp.request_id[0] != '\0' && strlen(msg) + 40 < sizeof(msg))
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
		    " (request %s)", x->resp.request_id);
	if (x->unsafe && !safe_retry) {
		x->resp.ambiguous = 1;
		retry = 0;
	}
	*delay = -1;
	if (retry && ((ra = body_ra) >= 0 ||
	    (ra = aas_http_retry_delay_ms(x->headers, aas_unix_ms())) >= 0)) {
		if (ra > h->o.retry_after_max_ms) {
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
			    ": retry after %lld s asked", (long long)(ra /
			    1000));
			retry = 0;
		} else
			*delay = ra;
	}
	if (progressed && retry && x->fd >= 0)
		x->tries--;	/* it got further: free try */
	if (retry && x->tries < h->o.max_tries) {
		if (*delay < 0)
			*delay = backoff(h, x->tries - 1);
		if (st == 429 && aas_now_ms() + *delay > h->hold)
			h->hold = aas_now_ms() + *delay;
		if (h->o.verbose)
			aas_msg("%s; retry %d of %d in %lld ms", msg,
			    x->tries, h->o.max_tries - 1, (long long)*delay);
		return 1;
	}
	if (retry && x->attempts > 1)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
		    " (after %d tries)", x->attempts);
	x->rc = aas_err_set(&x->err, code, "%s", msg);
	return 0;
}

/* Move the outcome into the response and mark the transfer done. */
static void
x_settle(struct xfer *x)
{
	x->resp.tries = x->attempts;
	x->resp.headers = json_incref(x->headers);
	if (x->resp.body == NULL) {
		x->resp.body = aas_buf_detach(&x->buf, &x->resp.body_len);
		if (x->resp.body == NULL) {
			x->resp.body = aas_xstrdup("");
			x->resp.body_len = 0;
		}
	}
	if (x->resp.json == NULL && x->resp.body_len > 0)
		x->resp.json = json_loadb(x->resp.body, x->resp.body_len,
		    JSON_DECODE_ANY, NULL);
	x_cleanup_attempt(x);
	x->state = X_DONE;
}

void
aas_http_start(struct aas_http *h, const struct aas_http_req *rq, void *tag)
{
	struct xfer *x, **pp;

	x = aas_xcalloc(1, sizeof(*x));
	x->h = h;
	x->tag = tag;
	x->fd = -1;
	x->method = dupnull(rq->method);
	x->url = aas_xstrdup(rq->url);
	x->hv = strv_dup(rq->headers);
	if (rq->body != NULL) {
		x->body = aas_xmalloc(rq->body_len + 1);
		memcpy(x->body, rq->body, rq->body_len);
		x->body[rq->body_len] = '\0';
		x->body_len = rq->body_len;
	}
	x->body_file = dupnull(rq->body_file);
	x->form_file = dupnull(rq->form_file);
	x->form_field = dupnull(rq->form_file_field);
	x->form_name = dupnull(rq->form_file_name);
	x->form_type = dupnull(rq->form_file_type);
	x->fv = strv_dup(rq->form_fields);
	x->out_path = dupnull(rq->out_path);
	x->out_size = rq->out_size;
	x->json = rq->json;
	x->unsafe = rq->unsafe;
	x->headers = json_object();
	x->state = X_WAIT;
	x->wake = 0;
	for (pp = &h->list; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = x;
	h->npending++;
}

int
aas_http_pending(const struct aas_http *h)
{
	return h->npending;
}

int64_t
aas_http_hold_until(const struct aas_http *h)
{
	return h->hold > aas_now_ms() ? h->hold : 0;
}

/* Start what is due; returns the ms until the next wake-up, or -1. */
static long
start_due(struct aas_http *h)
{
	struct xfer *x;
	int64_t now = aas_now_ms(), next = -1;

	for (x = h->list; x != NULL; x = x->next) {
		if (x->state != X_WAIT)
			continue;
		if (x->wake <= now) {
			if (x_begin(x, &x->err) != 0) {
				x->rc = -1;
				x_settle(x);
			}
			continue;
		}
		if (next < 0 || x->wake - now < next)
			next = x->wake - now;
	}
	return (long)next;
}

static void
reap(struct aas_http *h)
{
	struct xfer *x;
	CURLMsg *msg;
	int64_t delay;
	int left;

	while ((msg = curl_multi_info_read(h->m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		if (x == NULL)
			continue;
		if (x_finish(x, msg->data.result, &delay)) {
			x_cleanup_attempt(x);
			x->state = X_WAIT;
			x->wake = aas_now_ms() + delay;
		} else
			x_settle(x);
	}
}

/* Pop a done transfer (want == NULL: any), or NULL. */
static struct xfer *
pop_done(struct aas_http *h, struct xfer *want)
{
	struct xfer **pp, *x;

	for (pp = &h->list; (x = *pp) != NULL; pp = &x->next) {
		if (x->state == X_DONE && (want == NULL || x == want)) {
			*pp = x->next;
			h->npending--;
			return x;
		}
	}
	return NULL;
}

static int
any_running(struct aas_http *h)
{
	struct xfer *x;

	for (x = h->list; x != NULL; x = x->next)
		if (x->state == X_RUN)
			return 1;
	return 0;
}

/* Run until want (or any) is done or timeout_ms passes. */
static struct xfer *
run(struct aas_http *h, struct xfer *want, long timeout_ms)
{
	struct xfer *x;
	int64_t end = timeout_ms >= 0 ? aas_now_ms() + timeout_ms : -1;
	long next, w, ct;
	int running;

	for (;;) {
		if ((x = pop_done(h, want)) != NULL)
			return x;
		start_due(h);
		curl_multi_perform(h->m, &running);
		reap(h);
		if ((x = pop_done(h, want)) != NULL)
			return x;
		/* retries scheduled just now count too */
		if ((next = start_due(h)) < 0 && running == 0 &&
		    !any_running(h))
			return NULL;	/* nothing left to wait for */
		if (running == 0 && any_running(h))
			continue;	/* just started: let curl begin */
		w = 1000;
		if (next >= 0 && next < w)
			w = next;
		if (curl_multi_timeout(h->m, &ct) == CURLM_OK && ct >= 0 &&
		    ct < w)
			w = ct;
		if (end >= 0) {
			if (aas_now_ms() >= end)
				return NULL;
			if (end - aas_now_ms() < w)
				w = (long)(end - aas_now_ms());
		}
		if (running > 0)
			curl_multi_poll(h->m, NULL, 0, (int)w, NULL);
		else if (w > 0) {
			struct timespec ts = { w / 1000, (w % 1000) * 1000000 };

			nanosleep(&ts, NULL);
		}
	}
}

static void
hand_over(struct xfer *x, int *rcp, struct aas_http_resp *resp,
    struct aas_err *e)
{
	*rcp = x->rc;
	*resp = x->resp;
	memset(&x->resp, 0, sizeof(x->resp));
	if (x->rc != 0 && e != NULL)
		*e = x->err;
	x_free(x);
}

int
aas_http_wait(struct aas_http *h, long timeout_ms, void **tagp, int *rcp,
    struct aas_http_resp *resp, struct aas_err *e)
{
	struct xfer *x;

	if (h->npending == 0)
		return -1;
	if ((x = run(h, NULL, timeout_ms)) == NULL)
		return 0;
	*tagp = x->tag;
	hand_over(x, rcp, resp, e);
	return 1;
}

int
aas_http_do(struct aas_http *h, const struct aas_http_req *rq,
    struct aas_http_resp *resp, struct aas_err *e)
{
	struct xfer *x, *me;
	int rc;

	aas_http_start(h, rq, NULL);
	for (me = h->list; me->next != NULL; me = me->next)
		;
	x = run(h, me, -1);
	hand_over(x, &rc, resp, e);
	return rc;
}
