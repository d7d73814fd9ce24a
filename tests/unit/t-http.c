/*
 * t-http.c: lib/http against aas-emu: retries (429 with and without
 * Retry-After / retry-after-ms, 500/502/503), a connection reset mid-body,
 * slow bodies (low-speed abort and patience), truncated downloads resumed,
 * malformed JSON, an unsafe POST cut after commit, the redacted trace, the
 * duration and date parsers, and many requests at once.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "tap.h"
#include "emu.h"

#define KEY "sk-test-t-http-0123456789"

static char dir[] = "/tmp/t-http.XXXXXX";
static const char *auth[] = { "Authorization: Bearer " KEY, NULL };
static const char *jauth[] = { "Authorization: Bearer " KEY,
	"Content-Type: application/json", NULL };

static char *
url(const char *path)
{
	return aas_xasprintf("%s%s", emu_url, path);
}

/* POST a control request; returns the parsed answer (or NULL). */
static json_t *
ctl(struct aas_http *h, const char *method, const char *path,
    const char *body)
{
	struct aas_http_req rq = { 0 };
	struct aas_http_resp rs;
	struct aas_err e;
	json_t *j;
	char *u = url(path);

	rq.method = method;
	rq.url = u;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.headers = jauth;
	aas_http_do(h, &rq, &rs, &e);
	j = json_incref(rs.json);
	aas_http_resp_free(&rs);
	free(u);
	return j;
}

static void
script(struct aas_http *h, const char *s)
{
	json_decref(ctl(h, "POST", "/_emu/script", s));
}

static long
stat_of(struct aas_http *h, const char *k)
{
	json_t *j = ctl(h, "GET", "/_emu/stats", NULL);
	long v = (long)json_integer_value(json_object_get(j, k));

	json_decref(j);
	return v;
}

/* GET path with its retries; returns rc, fills rs */
static int
get(struct aas_http *h, const char *path, struct aas_http_resp *rs,
    struct aas_err *e)
{
	struct aas_http_req rq = { 0 };
	char *u = url(path);
	int rc;

	rq.url = u;
	rq.headers = auth;
	rq.json = 1;
	rc = aas_http_do(h, &rq, rs, e);
	free(u);
	return rc;
}

static int
count_in_log(struct aas_http *h, const char *needle)
{
	struct aas_http_req rq = { 0 };
	struct aas_http_resp rs;
	struct aas_err e;
	char *u = url("/_emu/log"), *p;
	int n = 0;

	rq.url = u;
	aas_http_do(h, &rq, &rs, &e);
	for (p = rs.body; (p = strstr(p, needle)) != NULL; p++)
		n++;
	aas_http_resp_free(&rs);
	free(u);
	return n;
}

static void
parsers(void)
{
	json_t *h;

	is_int(aas_http_duration_ms("1s"), 1000, "duration 1s");
	is_int(aas_http_duration_ms("6m0s"), 360000, "duration 6m0s");
	is_int(aas_http_duration_ms("120ms"), 120, "duration 120ms");
	is_int(aas_http_duration_ms("1h2m3.5s"), 3723500, "duration 1h2m3.5s");
	is_int(aas_http_duration_ms("0.5s"), 500, "duration 0.5s");
	is_int(aas_http_duration_ms("7"), 7000, "bare seconds");
	is_int(aas_http_duration_ms("1x"), -1, "bad unit");
	is_int(aas_http_duration_ms(""), -1, "empty duration");
	is_int(aas_http_date_ms("2026-11-21T10:00:00Z"), 1795255200000LL,
	    "rfc 3339");
	is_int(aas_http_date_ms("2026-11-21T10:00:00.250+01:00"),
	    1795251600250LL, "rfc 3339 with fraction and offset");
	is_int(aas_http_date_ms("Sat, 21 Nov 2026 10:00:00 GMT"),
	    1795255200000LL, "http date");
	is_int(aas_http_date_ms("2026-13-01T00:00:00Z"), -1, "bad month");
	is_int(aas_http_date_ms("yesterday"), -1, "not a date");
	h = json_pack("{s:s, s:s}", "retry-after-ms", "250", "retry-after",
	    "3");
	is_int(aas_http_retry_delay_ms(h, 0), 250, "retry-after-ms first");
	json_object_del(h, "retry-after-ms");
	is_int(aas_http_retry_delay_ms(h, 0), 3000, "retry-after seconds");
	json_object_set_new(h, "retry-after",
	    json_string("Sat, 21 Nov 2026 10:00:05 GMT"));
	is_int(aas_http_retry_delay_ms(h, 1795255200000LL), 5000,
	    "retry-after http date");
	json_object_set_new(h, "retry-after", json_string("soon"));
	is_int(aas_http_retry_delay_ms(h, 0), -1, "retry-after unreadable");
	json_decref(h);
}

int
main(void)
{
	struct aas_http_opts o = { 0 };
	struct aas_http_req rq = { 0 };
	struct aas_http_resp rs;
	struct aas_http *h, *h2;
	struct aas_err e;
	struct stat st;
	const char *fields[] = { "purpose", "batch", NULL };
	char path[256], out[256], trace[256], *u, *data, *fid, *orig;
	int64_t t0;
	size_t len, i;
	void *tag;
	int rc, n, ok_all, fd, saved, seen[20];
	FILE *f;

	aas_setprogname("t-http");
	setenv("AAS_HTTP_BACKOFF_MS", "5", 1);
	signal(SIGPIPE, SIG_IGN);
	aas_init();
	plan(69);
	parsers();
	if (mkdtemp(dir) == NULL || emu_start(dir, "--key", KEY, NULL) == 0) {
		diag("cannot start aas-emu");
		return 1;
	}
	o.max_tries = 4;
	h = aas_http_new(&o);

	rc = get(h, "/v1/batches", &rs, &e);
	is_int(rc, 0, "plain GET");
	is_int(rs.status, 200, "status 200");
	ok(json_is_array(json_object_get(rs.json, "data")), "JSON parsed");
	ok(strncmp(rs.request_id, "req_", 4) == 0, "request id kept");
	is_int(rs.tries, 1, "one try");
	aas_http_resp_free(&rs);

	/* 429 with retry-after-ms */
	script(h, "{\"faults\":[{\"kind\":429,\"path\":\"/v1/batches\","
	    "\"method\":\"GET\",\"count\":1,\"retry_after_ms\":300}]}");
	t0 = aas_now_ms();
	rc = get(h, "/v1/batches", &rs, &e);
	is_int(rc, 0, "429 with retry-after-ms: retried");
	is_int(rs.tries, 2, "429 with retry-after-ms: two tries");
	ok(aas_now_ms() - t0 >= 290, "429: retry-after-ms waited for");
	aas_http_resp_free(&rs);

	/* 429 with Retry-After in seconds */
	script(h, "{\"faults\":[{\"kind\":429,\"path\":\"/v1/batches\","
	    "\"method\":\"GET\",\"count\":1,\"retry_after\":1}]}");
	t0 = aas_now_ms();
	rc = get(h, "/v1/batches", &rs, &e);
	is_int(rc, 0, "429 with Retry-After: retried");
	ok(aas_now_ms() - t0 >= 990, "429: Retry-After seconds waited for");
	aas_http_resp_free(&rs);

	/* 429 without a hint: backoff; and for ever: give up */
	script(h, "{\"faults\":[{\"kind\":429,\"path\":\"/v1/batches\","
	    "\"method\":\"GET\",\"count\":2}]}");
	rc = get(h, "/v1/batches", &rs, &e);
	is_int(rc, 0, "429 without a hint: backoff and retry");
	is_int(rs.tries, 3, "429 twice: three tries");
	aas_http_resp_free(&rs);
	script(h, "{\"faults\":[{\"kind\":429,\"path\":\"/v1/batches\","
	    "\"method\":\"GET\"}]}");
	rc = get(h, "/v1/batches", &rs, &e);
	is_int(rc, -1, "429 for ever: error");
	is_str(e.code, "http_429", "429 for ever: code");
	is_int(rs.tries, 4, "429 for ever: max_tries tries");
	ok(strstr(e.msg, "GET /v1/batches: http 429: Rate limit reached") ==
	    e.msg && strstr(e.msg, "(request req_") != NULL &&
	    strstr(e.msg, "(after 4 tries)") != NULL, "429 message");
	aas_http_resp_free(&rs);

	/* Retry-After beyond the cap: not waited for */
	script(h, "{\"faults\":[{\"kind\":429,\"path\":\"/v1/batches\","
	    "\"method\":\"GET\",\"retry_after\":3600}]}");
	rc = get(h, "/v1/batches", &rs, &e);
	ok(rc == -1 && rs.tries == 1 && strcmp(e.code, "http_429") == 0 &&
	    strstr(e.msg, ": retry after 3600 s asked") != NULL,
	    "Retry-After of an hour: error at once");
	aas_http_resp_free(&rs);

	/* 5xx */
	script(h, "{\"faults\":[{\"kind\":500,\"path\":\"/v1/batches\","
	    "\"method\":\"GET\",\"count\":1},{\"kind\":502,\"path\":"
	    "\"/v1/batches\",\"method\":\"GET\",\"count\":1,\"after\":1},"
	    "{\"kind\":503,\"path\":\"/v1/batches\",\"method\":\"GET\","
	    "\"count\":1,\"after\":2}]}");
	rc = get(h, "/v1/batches", &rs, &e);
	is_int(rc, 0, "500, 502, 503: retried");
	is_int(rs.tries, 4, "500, 502, 503: four tries");
	aas_http_resp_free(&rs);

	/* 404 is final */
	script(h, "{}");
	rc = get(h, "/v1/batches/batch_nope", &rs, &e);
	is_int(rc, -1, "404: error");
	is_str(e.code, "http_404", "404: code");
	is_int(rs.tries, 1, "404: not retried");
	ok(strstr(e.msg, "No batch found with id 'batch_nope'") != NULL,
	    "404: server message");
	aas_http_resp_free(&rs);

	/* reset mid-body */
	script(h, "{\"faults\":[{\"kind\":\"reset\",\"path\":\"/v1/batches\","
	    "\"method\":\"GET\",\"count\":1}]}");
	rc = get(h, "/v1/batches", &rs, &e);
	is_int(rc, 0, "reset mid-body: retried");
	is_int(rs.tries, 2, "reset mid-body: two tries");
	aas_http_resp_free(&rs);

	/* malformed JSON: retried, then an error */
	script(h, "{\"faults\":[{\"kind\":\"malformed\",\"path\":"
	    "\"/v1/batches\",\"method\":\"GET\",\"count\":1}]}");
	rc = get(h, "/v1/batches", &rs, &e);
	ok(rc == 0 && rs.tries == 2, "malformed JSON once: retried");
	aas_http_resp_free(&rs);
	script(h, "{\"faults\":[{\"kind\":\"malformed\",\"path\":"
	    "\"/v1/batches\",\"method\":\"GET\"}]}");
	rc = get(h, "/v1/batches", &rs, &e);
	is_str(e.code, "bad_response", "malformed JSON always: bad_response");
	ok(rc == -1 && rs.tries == 4, "malformed JSON always: max_tries");
	aas_http_resp_free(&rs);

	/* slow bodies: patience above the floor, abort below it */
	o.low_speed_limit = 100;
	o.low_speed_time = 1;
	o.max_tries = 2;
	h2 = aas_http_new(&o);
	script(h, "{\"faults\":[{\"kind\":\"slow\",\"path\":\"/v1/batches\","
	    "\"method\":\"GET\",\"chunk\":64,\"delay_ms\":40}]}");
	rc = get(h2, "/v1/batches", &rs, &e);
	ok(rc == 0 && rs.tries == 1, "slow body above the floor: waited for");
	aas_http_resp_free(&rs);
	script(h, "{\"faults\":[{\"kind\":\"slow\",\"path\":\"/v1/batches\","
	    "\"method\":\"GET\",\"chunk\":4,\"delay_ms\":500}]}");
	rc = get(h2, "/v1/batches", &rs, &e);
	is_str(e.code, "timeout", "slow body below the floor: timeout");
	ok(rc == -1 && rs.tries == 2, "slow body: aborted and retried");
	aas_http_resp_free(&rs);
	aas_http_free(h2);
	o.low_speed_limit = 0;
	o.low_speed_time = 0;
	o.max_tries = 4;

	/* upload a file, then download it through faults */
	script(h, "{}");
	snprintf(path, sizeof(path), "%s/in.jsonl", dir);
	f = fopen(path, "w");
	for (i = 0; i < 2000; i++)
		fprintf(f, "{\"custom_id\":\"t-%zu\",\"method\":\"POST\","
		    "\"url\":\"/v1/chat/completions\",\"body\":{}}\n", i);
	fclose(f);
	stat(path, &st);
	u = url("/v1/files");
	rq.method = "POST";
	rq.url = u;
	rq.headers = auth;
	rq.form_file = path;
	rq.form_file_name = "in.jsonl";
	rq.form_fields = fields;
	rq.json = 1;
	rc = aas_http_do(h, &rq, &rs, &e);
	is_int(rc, 0, "multipart upload");
	fid = aas_xstrdup(json_string_value(json_object_get(rs.json, "id")) ?
	    json_string_value(json_object_get(rs.json, "id")) : "none");
	is_int(json_integer_value(json_object_get(rs.json, "bytes")),
	    st.st_size, "uploaded size");
	aas_http_resp_free(&rs);

	/* an unsafe POST cut after the server acted: ambiguous, not resent */
	script(h, "{\"faults\":[{\"kind\":\"commit_then_reset\",\"path\":"
	    "\"/v1/files\",\"method\":\"POST\",\"count\":1}]}");
	rq.unsafe = 1;
	n = (int)stat_of(h, "files_created");
	rc = aas_http_do(h, &rq, &rs, &e);
	ok(rc == -1 && rs.ambiguous && rs.tries == 1,
	    "commit_then_reset on an unsafe POST: ambiguous, one try");
	is_str(e.code, "network", "commit_then_reset: network");
	is_int(stat_of(h, "files_created"), n + 1, "the server made one file");
	aas_http_resp_free(&rs);
	free(u);
	memset(&rq, 0, sizeof(rq));

	snprintf(out, sizeof(out), "%s/out.jsonl", dir);
	script(h, "{\"faults\":[{\"kind\":\"truncate\",\"path\":"
	    "\"/v1/files/*/content\",\"count\":1},{\"kind\":\"reset\","
	    "\"path\":\"/v1/files/*/content\",\"count\":1,\"after\":1}]}");
	snprintf(trace, sizeof(trace), "/v1/files/%s/content", fid);
	u = url(trace);
	rq.url = u;
	rq.headers = auth;
	rq.out_path = out;
	rq.out_size = st.st_size;
	rc = aas_http_do(h, &rq, &rs, &e);
	is_int(rc, 0, "truncated, then reset download: resumed");
	is_int(rs.tries, 3, "download: three attempts");
	is_int(rs.bytes, st.st_size, "download: whole size");
	aas_read_file(out, &data, &len, &e);
	aas_read_file(path, &orig, &len, &e);
	ok(data != NULL && orig != NULL && strcmp(data, orig) == 0,
	    "download: same bytes");
	free(data);
	free(orig);
	is_int(count_in_log(h, "\"status\":206"), 2, "two ranged requests");
	aas_http_resp_free(&rs);

	/* resuming a complete file asks past its end: still complete */
	rc = aas_http_do(h, &rq, &rs, &e);
	ok(rc == 0 && rs.bytes == st.st_size, "complete file: nothing to do");
	aas_http_resp_free(&rs);
	/* without a known size a cut body is still refused */
	unlink(out);
	rq.out_size = -1;
	script(h, "{\"faults\":[{\"kind\":\"truncate\",\"path\":"
	    "\"/v1/files/*/content\"}]}");
	rc = aas_http_do(h, &rq, &rs, &e);
	is_int(rc, -1, "always truncated: error");
	is_str(e.code, "truncated", "always truncated: code");
	aas_http_resp_free(&rs);
	free(u);
	free(fid);
	memset(&rq, 0, sizeof(rq));
	script(h, "{}");

	/* many at once */
	u = url("/v1/batches");
	rq.url = u;
	rq.headers = auth;
	rq.json = 1;
	for (i = 0; i < 20; i++) {
		seen[i] = 0;
		aas_http_start(h, &rq, &seen[i]);
	}
	is_int(aas_http_pending(h), 20, "20 pending");
	ok_all = 1;
	n = 0;
	while (aas_http_wait(h, -1, &tag, &rc, &rs, &e) == 1) {
		ok_all &= rc == 0 && rs.status == 200;
		(*(int *)tag)++;
		n++;
		aas_http_resp_free(&rs);
	}
	for (i = 0; i < 20; i++)
		ok_all &= seen[i] == 1;
	ok(ok_all && n == 20, "20 concurrent requests, each reported once");
	free(u);

	/* the trace: headers shown, the key not */
	snprintf(trace, sizeof(trace), "%s/trace", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	o.verbose = 1;
	h2 = aas_http_new(&o);
	script(h, "{\"faults\":[{\"kind\":500,\"path\":\"/v1/batches\","
	    "\"method\":\"GET\",\"count\":1}]}");
	rc = get(h2, "/v1/batches", &rs, &e);
	aas_http_resp_free(&rs);
	aas_http_free(h2);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	aas_read_file(trace, &data, &len, &e);
	ok(rc == 0 && data != NULL, "traced request");
	ok(data && strstr(data, "t-http: > GET /v1/batches HTTP/1.1\n") &&
	    strstr(data, "t-http: > Authorization: [redacted]\n") &&
	    strstr(data, "t-http: > User-Agent: aas/0.1.0\n") &&
	    strstr(data, "t-http: < x-request-id: req_"),
	    "trace shows the headers");
	ok(data && strstr(data, "retry 1 of 3 in "), "trace shows the retry");
	ok(data && strstr(data, "0123456789") == NULL, "key not in the trace");
	free(data);
	script(h, "{}");

	/* connection refused */
	is_int(emu_stop(), 0, "aas-emu exits cleanly");
	rc = get(h, "/v1/batches", &rs, &e);
	ok(rc == -1 && rs.tries == 4 && strcmp(e.code, "network") == 0,
	    "connection refused: retried, then network");
	aas_http_resp_free(&rs);

	aas_http_free(h);
	aas_rmtree(dir, &e);
	aas_fini();
	return done_testing();
}
