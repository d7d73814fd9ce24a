/*
 * aas-emu: a local emulator of the OpenAI Files/Batches/Chat Completions
 * and Anthropic Message Batches/Messages APIs, for the aas tests, demo
 * and benchmarks.  It listens on 127.0.0.1 only.  See README.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

#include "emu.h"

struct emu E;

/* what the transport faults need to stream a body */
struct stream {
	char		*mem;
	int		 fd;
	uint64_t	 off;
	uint64_t	 total;
	uint64_t	 limit;
	size_t		 chunk;
	long		 delay_ms;
};

static void
usage(FILE *f)
{
	fputs("usage: aas-emu [-v] [--port N] [--port-file FILE] "
	    "[--log FILE] [--script FILE]\n"
	    "               [--key KEY] [--anthropic-key KEY] "
	    "[--state-dir DIR] [--max-requests N]\n"
	    "               [--rate-window MS]\n", f);
}

void
reply_header(struct reply *r, const char *name, const char *val)
{
	if (r->nh >= (int)(sizeof(r->hname) / sizeof(r->hname[0])))
		return;
	r->hname[r->nh] = xstrdup(name);
	r->hval[r->nh] = xstrdup(val);
	r->nh++;
}

/* set status and a JSON body; steals the reference to v */
void
reply_json(struct reply *r, int status, json_t *v)
{
	char *s;

	r->status = status;
	r->ctype = "application/json";
	s = json_dumps(v, JSON_COMPACT);
	r->body.len = 0;
	buf_addstr(&r->body, s);
	free(s);
	json_decref(v);
}

static const char *
ant_type(int status)
{
	switch (status) {
	case 400:
		return "invalid_request_error";
	case 401:
		return "authentication_error";
	case 403:
		return "permission_error";
	case 404:
		return "not_found_error";
	case 413:
		return "request_too_large";
	case 429:
		return "rate_limit_error";
	case 529:
		return "overloaded_error";
	default:
		return status >= 500 ? "api_error" : "invalid_request_error";
	}
}

/* an error body in the provider's shape */
void
reply_error(struct reply *r, int prov, int status, const char *msg,
    const char *type, const char *param, const char *code)
{
	json_t *e;

	if (prov == EMU_ANTHROPIC) {
		e = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error",
		    "type", type ? type : ant_type(status), "message", msg);
	} else {
		if (type == NULL)
			type = status >= 500 ? "server_error" :
			    "invalid_request_error";
		e = json_pack("{s:{s:s, s:s, s:o, s:o}}", "error",
		    "message", msg, "type", type,
		    "param", param ? json_string(param) : json_null(),
		    "code", code ? json_string(code) : json_null());
	}
	reply_json(r, status, e);
}

const char *
query_arg(struct req *q, const char *name)
{
	return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

const char *
req_header(struct req *q, const char *name)
{
	return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
}

/* append one record to the request log, after its seq and t_ms */
void
emu_log_line(json_t *o)
{
	json_t *l;
	char *s;

	pthread_mutex_lock(&E.lock);
	l = json_pack("{s:I, s:I}", "seq", (json_int_t)++E.seq, "t_ms",
	    (json_int_t)(now_ms() - E.t0));
	json_object_update(l, o);
	s = json_dumps(l, JSON_COMPACT);
	json_decref(l);
	buf_addstr(&E.log, s);
	buf_addstr(&E.log, "\n");
	if (E.logf != NULL) {
		fprintf(E.logf, "%s\n", s);
		fflush(E.logf);
	}
	if (E.verbose)
		fprintf(stderr, "aas-emu: %s\n", s);
	pthread_mutex_unlock(&E.lock);
	free(s);
}

static int
auth_ok(struct req *q, struct reply *r)
{
	const char *h;

	if (q->prov == EMU_ANTHROPIC) {
		h = req_header(q, "x-api-key");
		if (h == NULL || strcmp(h, E.ant_key) != 0) {
			reply_error(r, q->prov, 401, "invalid x-api-key",
			    NULL, NULL, NULL);
			return 0;
		}
		if (req_header(q, "anthropic-version") == NULL) {
			reply_error(r, q->prov, 400,
			    "anthropic-version: header is required",
			    NULL, NULL, NULL);
			return 0;
		}
		return 1;
	}
	h = req_header(q, "Authorization");
	if (h == NULL) {
		reply_error(r, q->prov, 401, "You didn't provide an API key. "
		    "You need to provide your API key in an Authorization "
		    "header using Bearer auth (i.e. Authorization: Bearer "
		    "YOUR_KEY).", NULL, NULL, NULL);
		return 0;
	}
	if (strncmp(h, "Bearer ", 7) != 0 || strcmp(h + 7, E.key) != 0) {
		reply_error(r, q->prov, 401, "Incorrect API key provided.",
		    NULL, NULL, "invalid_api_key");
		return 0;
	}
	return 1;
}

static void
fault_reply(struct req *q, struct reply *r, json_t *f, const char *kind)
{
	int status = atoi(kind);
	json_t *v;
	char b[64];

	if (status == 429) {
		if ((v = json_object_get(f, "retry_after")) != NULL &&
		    json_is_number(v)) {
			snprintf(b, sizeof(b), "%g", json_number_value(v));
			reply_header(r, "retry-after", b);
		}
		if ((v = json_object_get(f, "retry_after_ms")) != NULL &&
		    json_is_number(v)) {
			snprintf(b, sizeof(b), "%g", json_number_value(v));
			reply_header(r, "retry-after-ms", b);
		}
		if (q->prov == EMU_ANTHROPIC)
			reply_error(r, q->prov, 429, "Number of request "
			    "tokens has exceeded your per-minute rate limit "
			    "(emulated fault)", NULL, NULL, NULL);
		else
			reply_error(r, q->prov, 429, "Rate limit reached "
			    "(emulated fault). Please try again later.",
			    "requests", NULL, "rate_limit_exceeded");
		return;
	}
	if (q->prov == EMU_ANTHROPIC)
		reply_error(r, q->prov, status, status == 503 ?
		    "Overloaded (emulated fault)" :
		    "Internal server error (emulated fault)",
		    status == 503 ? "overloaded_error" : "api_error",
		    NULL, NULL);
	else
		reply_error(r, q->prov, status, "The server had an error "
		    "while processing your request. Sorry about that! "
		    "(emulated fault)", NULL, NULL, NULL);
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	uint64_t n;
	ssize_t got;

	if (pos >= s->limit)
		return pos >= s->total ? MHD_CONTENT_READER_END_OF_STREAM :
		    MHD_CONTENT_READER_END_WITH_ERROR;
	n = s->limit - pos;
	if (n > max)
		n = max;
	if (s->chunk > 0 && n > s->chunk)
		n = s->chunk;
	if (s->delay_ms > 0 && pos > 0)
		sleep_ms(s->delay_ms);
	if (s->mem != NULL) {
		memcpy(out, s->mem + pos, n);
		return (ssize_t)n;
	}
	got = pread(s->fd, out, n, (off_t)(s->off + pos));
	if (got <= 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return got;
}

static void
stream_free(void *cls)
{
	struct stream *s = cls;

	free(s->mem);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* turn a reply into an MHD response, bending it as a fault asks */
static struct MHD_Response *
make_response(struct reply *r, json_t *f, const char *kind)
{
	struct MHD_Response *resp;
	struct stream *s;
	char *p;
	uint64_t n;
	ssize_t got;
	int i;

	if (kind != NULL && strcmp(kind, "malformed") == 0) {
		if (r->fd >= 0) {
			n = r->len < 65536 ? r->len : 65536;
			p = xmalloc(n + 1);
			got = pread(r->fd, p, n, (off_t)r->off);
			n = got > 0 ? (uint64_t)got : 0;
			r->body.len = 0;
			buf_add(&r->body, p, n);
			free(p);
			close(r->fd);
			r->fd = -1;
		}
		r->body.len /= 2;
		buf_addstr(&r->body, "<!-- malformed (emulated fault)");
		r->status = 200;
		r->ctype = "application/json";
		kind = NULL;
	}
	if (kind != NULL && (strcmp(kind, "reset") == 0 ||
	    strcmp(kind, "truncate") == 0 || strcmp(kind, "slow") == 0)) {
		s = xcalloc(1, sizeof(*s));
		s->fd = r->fd;
		s->off = r->off;
		if (r->fd >= 0)
			s->total = r->len;
		else {
			s->total = r->body.len;
			s->mem = buf_take(&r->body);
		}
		r->fd = -1;
		s->limit = s->total;
		if (strcmp(kind, "reset") == 0)
			s->limit = (uint64_t)json_num(f, "bytes",
			    (double)(s->total / 2));
		else if (strcmp(kind, "truncate") == 0)
			s->limit = (uint64_t)json_num(f, "bytes",
			    (double)(s->total - (s->total / 10 > 0 ?
			    s->total / 10 : 1)));
		else {
			s->chunk = (size_t)json_num(f, "chunk", 64);
			s->delay_ms = (long)json_num(f, "delay_ms", 50);
		}
		if (s->limit > s->total)
			s->limit = s->total;
		if (s->total == 0 && strcmp(kind, "slow") != 0)
			s->total = 1;	/* promise a byte never sent */
		resp = MHD_create_response_from_callback(s->total,
		    s->chunk > 0 ? s->chunk : 65536, stream_read, s,
		    stream_free);
	} else if (r->fd >= 0) {
		resp = MHD_create_response_from_fd_at_offset64(r->len, r->fd,
		    r->off);
		r->fd = -1;
	} else {
		n = r->body.len;
		p = buf_take(&r->body);
		resp = MHD_create_response_from_buffer(n, p,
		    MHD_RESPMEM_MUST_FREE);
	}
	if (resp == NULL)
		return NULL;
	if (r->ctype != NULL)
		MHD_add_response_header(resp, "Content-Type", r->ctype);
	for (i = 0; i < r->nh; i++)
		MHD_add_response_header(resp, r->hname[i], r->hval[i]);
	return resp;
}

static void
reply_free(struct reply *r)
{
	int i;

	buf_free(&r->body);
	if (r->fd >= 0)
		close(r->fd);
	for (i = 0; i < r->nh; i++) {
		free(r->hname[i]);
		free(r->hval[i]);
	}
	free(r->created);
	free(r->batch_fault);
	json_decref(r->custom_ids);
}

static void
control(struct req *q, struct reply *r)
{
	const char *p = q->path + 5;	/* after "/_emu" */
	json_t *v, *st, *res;
	json_error_t jerr;
	struct batch *b;
	size_t i, n, len;
	char err[256], *id;
	int isget = strcmp(q->method, "GET") == 0;
	int ispost = strcmp(q->method, "POST") == 0;

	if (isget && strcmp(p, "/log") == 0) {
		r->status = 200;
		r->ctype = "application/x-ndjson";
		pthread_mutex_lock(&E.lock);
		buf_add(&r->body, E.log.p ? E.log.p : "", E.log.len);
		pthread_mutex_unlock(&E.lock);
		return;
	}
	if (isget && strcmp(p, "/ping") == 0) {
		reply_json(r, 200, json_pack("{s:b, s:i}", "ok", 1, "port",
		    E.port));
		return;
	}
	if (isget && strcmp(p, "/script") == 0) {
		reply_json(r, 200, script_get());
		return;
	}
	if (ispost && strcmp(p, "/script") == 0) {
		v = json_loadb(q->body.p ? q->body.p : "", q->body.len, 0,
		    &jerr);
		if (v == NULL) {
			snprintf(err, sizeof(err), "bad JSON: %s", jerr.text);
			reply_json(r, 400, json_pack("{s:s}", "error", err));
			return;
		}
		if (script_set(v, err, sizeof(err)) != 0) {
			reply_json(r, 400, json_pack("{s:s}", "error", err));
			return;
		}
		reply_json(r, 200, json_pack("{s:b}", "ok", 1));
		return;
	}
	if (isget && strcmp(p, "/stats") == 0) {
		st = json_object();
		pthread_mutex_lock(&E.lock);
		json_object_set_new(st, "requests", json_integer(E.seq));
		json_object_set_new(st, "batches_created",
		    json_integer(E.batches_created));
		json_object_set_new(st, "files_created",
		    json_integer(E.files_created));
		json_object_set_new(st, "files", json_integer(E.nfiles));
		json_object_set_new(st, "batches", json_integer(E.nbatches));
		json_object_set_new(st, "custom_ids_submitted",
		    json_integer(E.ids_submitted));
		json_object_set_new(st, "duplicate_custom_ids_across_batches",
		    json_integer(E.dup_ids));
		json_object_set_new(st, "sync_requests",
		    json_integer(E.sync_requests));
		json_object_set_new(st, "faults_fired",
		    json_integer(E.faults_fired));
		json_object_set_new(st, "rate_limited",
		    json_integer(E.rate_limited));
		json_object_set_new(st, "held", json_integer(E.held));
		v = json_object();
		for (i = 0; i < E.nbatches; i++) {
			b = E.batches[i];
			n = json_integer_value(json_object_get(v, b->status));
			json_object_set_new(v, b->status,
			    json_integer((json_int_t)n + 1));
		}
		json_object_set_new(st, "batches_by_status", v);
		pthread_mutex_unlock(&E.lock);
		reply_json(r, 200, st);
		return;
	}
	if (ispost && strcmp(p, "/advance") == 0) {
		pthread_mutex_lock(&E.lock);
		for (i = 0; i < E.nbatches; i++) {
			if (E.batches[i]->prov == EMU_OPENAI)
				ob_to_terminal(E.batches[i]);
			else
				ab_to_terminal(E.batches[i]);
		}
		n = E.nbatches;
		pthread_mutex_unlock(&E.lock);
		reply_json(r, 200, json_pack("{s:i}", "batches", (int)n));
		return;
	}
	if (ispost && strcmp(p, "/release") == 0) {
		pthread_mutex_lock(&E.lock);
		n = (size_t)E.held;
		E.release_gen++;
		pthread_cond_broadcast(&E.release);
		pthread_mutex_unlock(&E.lock);
		reply_json(r, 200, json_pack("{s:i}", "released", (int)n));
		return;
	}
	if (isget && strcmp(p, "/batches") == 0) {
		res = json_array();
		pthread_mutex_lock(&E.lock);
		for (i = 0; i < E.nbatches; i++)
			json_array_append_new(res,
			    E.batches[i]->prov == EMU_OPENAI ?
			    ob_json(E.batches[i]) : ab_json(E.batches[i]));
		pthread_mutex_unlock(&E.lock);
		reply_json(r, 200, res);
		return;
	}
	if (ispost && strncmp(p, "/batches/", 9) == 0 &&
	    (len = strcspn(p + 9, "/")) > 0 &&
	    strcmp(p + 9 + len, "/state") == 0) {
		id = xstrndup(p + 9, len);
		v = json_loadb(q->body.p ? q->body.p : "", q->body.len, 0,
		    &jerr);
		if (!json_is_string(json_object_get(v, "status"))) {
			reply_json(r, 400, json_pack("{s:s}", "error",
			    "body must be {\"status\": ...}"));
			json_decref(v);
			free(id);
			return;
		}
		pthread_mutex_lock(&E.lock);
		b = batch_find(id, -1);
		if (b == NULL)
			res = json_pack("{s:s}", "error", "no such batch");
		else if (b->prov == EMU_OPENAI) {
			ob_force(b, json_string_value(json_object_get(v,
			    "status")), v);
			res = ob_json(b);
		} else {
			ab_force(b, json_string_value(json_object_get(v,
			    "status")), v);
			res = ab_json(b);
		}
		pthread_mutex_unlock(&E.lock);
		reply_json(r, b ? 200 : 404, res);
		json_decref(v);
		free(id);
		return;
	}
	reply_json(r, 404, json_pack("{s:s}", "error",
	    "unknown control endpoint"));
}

/* A held call waits, without the lock, for the next POST /_emu/release. */
static void
hold_call(void)
{
	unsigned long gen;

	pthread_mutex_lock(&E.lock);
	E.held++;
	gen = E.release_gen;
	while (gen == E.release_gen && !E.stopping)
		pthread_cond_wait(&E.release, &E.lock);
	E.held--;
	pthread_mutex_unlock(&E.lock);
}

static enum MHD_Result
respond(struct req *q)
{
	struct reply r;
	struct MHD_Response *resp;
	json_t *f = NULL, *lg;
	const char *kind = NULL;
	enum MHD_Result ret;
	char msg[512];
	int status;

	memset(&r, 0, sizeof(r));
	r.fd = -1;
	r.status = 200;
	if (strncmp(q->path, "/_emu/", 6) == 0) {
		control(q, &r);
		goto send;
	}
	q->prov = strncmp(q->path, "/v1/messages", 12) == 0 ?
	    EMU_ANTHROPIC : EMU_OPENAI;
	q->request_id = new_id("req_", 24);
	reply_header(&r, "x-request-id", q->request_id);
	if (q->prov == EMU_ANTHROPIC)
		reply_header(&r, "request-id", q->request_id);
	if (q->toobig)
		reply_error(&r, q->prov, 413, "Request too large",
		    NULL, NULL, NULL);
	else if (auth_ok(q, &r)) {
		f = fault_pick(q->method, q->path, 0);
		kind = f ? fault_kind(f) : NULL;
		if (kind != NULL && (kind[0] == '4' || kind[0] == '5'))
			fault_reply(q, &r, f, kind);
		else if (strncmp(q->path, "/v1/", 4) != 0) {
			snprintf(msg, sizeof(msg), "Invalid URL (%s %s)",
			    q->method, q->path);
			reply_error(&r, q->prov, 404, msg, NULL, NULL, NULL);
		} else if (q->prov == EMU_ANTHROPIC)
			anthropic_route(q, &r);
		else
			openai_route(q, &r);
	}
	sleep_ms(r.latency_ms);
	if (r.hold)
		hold_call();
	lg = json_pack("{s:s, s:s, s:i, s:s}", "method", q->method, "path",
	    q->path, "status", r.status, "request_id", q->request_id);
	if (kind != NULL)
		json_object_set_new(lg, "fault", json_string(kind));
	if (r.created != NULL)
		json_object_set_new(lg, "created", json_string(r.created));
	if (r.batch_fault != NULL)
		json_object_set_new(lg, "batch_fault",
		    json_string(r.batch_fault));
	if (r.custom_ids != NULL)
		json_object_set(lg, "custom_ids", r.custom_ids);
	if (r.ratelimited)
		json_object_set_new(lg, "rate_limited", json_true());
	if (r.latency_ms > 0)
		json_object_set_new(lg, "latency_ms",
		    json_integer(r.latency_ms));
	if (r.hold)
		json_object_set_new(lg, "held", json_true());
	emu_log_line(lg);
	json_decref(lg);
	if (kind != NULL && strcmp(kind, "commit_then_reset") == 0) {
		reply_free(&r);
		json_decref(f);
		return MHD_NO;
	}
send:
	status = r.status;
	resp = make_response(&r, f, kind);
	json_decref(f);
	reply_free(&r);
	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(q->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data,
    size_t *size, void **con_cls)
{
	struct req *q = *con_cls;
	const char *ct;
	char path[4096];
	size_t off;
	ssize_t w;

	(void)cls;
	(void)version;
	if (q == NULL) {
		q = xcalloc(1, sizeof(*q));
		q->spool_fd = -1;
		q->conn = conn;
		ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "Content-Type");
		q->ctype = ct;
		if (ct != NULL &&
		    strncasecmp(ct, "multipart/form-data", 19) == 0) {
			snprintf(path, sizeof(path), "%s/.upload-XXXXXX",
			    E.state_dir);
			q->spool_fd = mkstemp(path);
			if (q->spool_fd >= 0)
				q->spool = xstrdup(path);
		}
		*con_cls = q;
		return MHD_YES;
	}
	if (*size > 0) {
		if (q->spool_fd >= 0) {
			for (off = 0; off < *size; off += (size_t)w) {
				w = write(q->spool_fd, data + off,
				    *size - off);
				if (w < 0) {
					if (errno == EINTR) {
						w = 0;
						continue;
					}
					q->toobig = 1;
					break;
				}
			}
			q->spool_len += *size;
		} else if (q->body.len + *size > (size_t)1 << 30)
			q->toobig = 1;
		else
			buf_add(&q->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	q->method = method;
	q->path = url;
	return respond(q);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (q == NULL)
		return;
	if (q->spool_fd >= 0)
		close(q->spool_fd);
	if (q->spool != NULL) {
		unlink(q->spool);
		free(q->spool);
	}
	buf_free(&q->body);
	free(q->request_id);
	free(q);
	*con_cls = NULL;
}

static void
rm_state_dir(void)
{
	DIR *d;
	struct dirent *de;
	char p[4096];

	if ((d = opendir(E.state_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", E.state_dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(E.state_dir);
}

static int
write_port_file(const char *file, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, file) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A socket listening on 127.0.0.1:port (0: a free one), E.port set to
 * the port it got; -1 with errno on failure. */
static int
listen_on(long port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, one = 1, saved;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1024) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	E.port = ntohs(sin.sin_port);
	return fd;
}

static void
cleanup(void)
{
	size_t i;

	for (i = 0; i < E.nbatches; i++)
		batch_free(E.batches[i]);
	free(E.batches);
	for (i = 0; i < E.nfiles; i++) {
		free(E.files[i]->id);
		free(E.files[i]->filename);
		free(E.files[i]->purpose);
		free(E.files[i]->path);
		free(E.files[i]);
	}
	free(E.files);
	for (i = 0; i < E.nfaults; i++)
		json_decref(E.faults[i].rule);
	free(E.faults);
	json_decref(E.script);
	hset_free(&E.ids_seen);
	win_free(&E.win[0]);
	win_free(&E.win[1]);
	buf_free(&E.log);
	if (E.tmp_state)
		rm_state_dir();
	free(E.state_dir);
	if (E.logf != NULL)
		fclose(E.logf);
}

int
main(int argc, char *argv[])
{
	static const struct option lopts[] = {
		{ "anthropic-key", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ "log", required_argument, NULL, 'l' },
		{ "max-requests", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "rate-window", required_argument, NULL, 'w' },
		{ "script", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct MHD_Daemon *d;
	const char *port_file = NULL, *script_file = NULL, *log_file = NULL;
	const char *state_dir = NULL, *tmpdir;
	json_error_t jerr;
	json_t *s;
	sigset_t set;
	char err[256], tmpl[4096];
	long port = 0;
	int c, sig, lfd;
	char *end;

	json_set_alloc_funcs(emu_json_malloc, emu_json_free);
	E.key = getenv("EMU_KEY") ? getenv("EMU_KEY") : "sk-test";
	E.ant_key = getenv("EMU_ANTHROPIC_KEY") ?
	    getenv("EMU_ANTHROPIC_KEY") : "sk-ant-test";
	E.max_requests = 50000;
	E.window_ms = 60000;
	while ((c = getopt_long(argc, argv, "hv", lopts, NULL)) != -1) {
		switch (c) {
		case 'A':
			E.ant_key = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'k':
			E.key = optarg;
			break;
		case 'l':
			log_file = optarg;
			break;
		case 'm':
			E.max_requests = strtol(optarg, &end, 10);
			if (*end != '\0' || E.max_requests < 1) {
				fprintf(stderr, "aas-emu: bad --max-requests: "
				    "%s\n", optarg);
				return 2;
			}
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end != '\0' || port < 0 || port > 65535) {
				fprintf(stderr, "aas-emu: bad --port: %s\n",
				    optarg);
				return 2;
			}
			break;
		case 'P':
			port_file = optarg;
			break;
		case 's':
			script_file = optarg;
			break;
		case 'S':
			state_dir = optarg;
			break;
		case 'v':
			E.verbose = 1;
			break;
		case 'w':
			E.window_ms = strtol(optarg, &end, 10);
			if (*end != '\0' || E.window_ms < 1) {
				fprintf(stderr, "aas-emu: bad --rate-window: "
				    "%s\n", optarg);
				return 2;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	pthread_mutex_init(&E.lock, NULL);
	pthread_cond_init(&E.release, NULL);
	E.t0 = now_ms();
	if (script_file != NULL) {
		if ((s = json_load_file(script_file, 0, &jerr)) == NULL) {
			fprintf(stderr, "aas-emu: %s:%d: %s\n", script_file,
			    jerr.line, jerr.text);
			return 2;
		}
	} else
		s = json_object();
	if (script_set(s, err, sizeof(err)) != 0) {
		fprintf(stderr, "aas-emu: %s: %s\n",
		    script_file ? script_file : "script", err);
		return 2;
	}
	if (log_file != NULL && (E.logf = fopen(log_file, "a")) == NULL) {
		fprintf(stderr, "aas-emu: %s: %s\n", log_file,
		    strerror(errno));
		return 2;
	}
	if (state_dir != NULL) {
		if (mkdir(state_dir, 0700) == -1 && errno != EEXIST) {
			fprintf(stderr, "aas-emu: %s: %s\n", state_dir,
			    strerror(errno));
			return 2;
		}
		E.state_dir = xstrdup(state_dir);
	} else {
		tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(tmpl, sizeof(tmpl), "%s/aas-emu.XXXXXX", tmpdir);
		if (mkdtemp(tmpl) == NULL) {
			fprintf(stderr, "aas-emu: mkdtemp: %s\n",
			    strerror(errno));
			return 2;
		}
		E.state_dir = xstrdup(tmpl);
		E.tmp_state = 1;
	}

	/* threads inherit this mask; only the main thread takes signals */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* bound here, not by MHD: E.port is set before any thread starts
	 * (the connection threads read it without the lock) */
	if ((lfd = listen_on(port)) == -1) {
		fprintf(stderr, "aas-emu: cannot listen on 127.0.0.1:%ld: "
		    "%s\n", port, strerror(errno));
		cleanup();
		return 1;
	}
	d = MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION |
	    (E.verbose ? MHD_USE_ERROR_LOG : 0), 0, NULL, NULL,
	    handler, NULL,
	    MHD_OPTION_LISTEN_SOCKET, lfd,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4000,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)600,
	    /* an upload of many MB read in 1 MiB pieces, not 32 KiB */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(1 << 20),
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "aas-emu: cannot listen on 127.0.0.1:%ld\n",
		    port);
		close(lfd);
		cleanup();
		return 1;
	}
	if (port_file != NULL && write_port_file(port_file, E.port) != 0) {
		fprintf(stderr, "aas-emu: %s: %s\n", port_file,
		    strerror(errno));
		MHD_stop_daemon(d);
		cleanup();
		return 1;
	}
	if (E.verbose) {
		printf("aas-emu: listening on 127.0.0.1:%d, state in %s\n",
		    E.port, E.state_dir);
		fflush(stdout);
	}
	for (;;) {
		if (sigwait(&set, &sig) == 0)
			break;
	}
	pthread_mutex_lock(&E.lock);
	E.stopping = 1;
	pthread_cond_broadcast(&E.release);
	pthread_mutex_unlock(&E.lock);
	MHD_stop_daemon(d);
	cleanup();
	return 0;
}
