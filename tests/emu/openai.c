/* aas-emu: OpenAI Files, Batches and Chat Completions */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "emu.h"

#define DAY_MS	(24LL * 3600 * 1000)

static const char *purposes[] = {
	"assistants", "batch", "fine-tune", "vision", "user_data", "evals",
	NULL
};

static const char *endpoints[] = {
	"/v1/responses", "/v1/chat/completions", "/v1/embeddings",
	"/v1/completions", "/v1/moderations", "/v1/images/generations",
	"/v1/images/edits", "/v1/videos", NULL
};

static const char default_content[] =
    "{\"summary\":\"emulated\",\"edits\":[],\"tests\":[]}";

static json_t *
ts(int64_t ms)
{
	return ms ? json_integer(ms / 1000) : json_null();
}

static json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* the message text an answer gives; malloc'd */
char *
answer_content(json_t *a)
{
	json_t *c = json_object_get(a, "content");

	if (json_is_string(c))
		return xstrdup(json_string_value(c));
	if (c != NULL && !json_is_null(c))
		return json_dump_str(c, JSON_COMPACT | JSON_ENCODE_ANY);
	return xstrdup(default_content);
}

const char *
finish_reason_of(json_t *a)
{
	const char *s = json_str(json_object_get(a, "finish_reason"));

	return s ? s : "stop";
}

/*
 * The answer for choice i of a request with n: the script answer's
 * "choices" array gives choice i its own members (over the answer's);
 * without one every choice is the answer.  A new reference.
 */
static json_t *
choice_answer(json_t *a, long i)
{
	json_t *ch = json_array_get(json_object_get(a, "choices"), (size_t)i);
	json_t *o;

	if (!json_is_object(ch))
		return json_incref(a);
	o = json_deep_copy(a);
	json_object_del(o, "choices");
	json_object_update(o, ch);
	return o;
}

/* n: 1, or body.n when it is a whole number from 1 to 128 (else -1) */
static long
choices_n(json_t *body)
{
	json_t *v = json_object_get(body, "n");

	if (v == NULL || json_is_null(v))
		return 1;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 128)
		return -1;
	return (long)json_integer_value(v);
}

static json_t *chat_completion_n(json_t *, const char *, long, long,
    int64_t, const char *);

/* a chat.completion body for an answer */
json_t *
chat_completion(json_t *a, const char *model, long ptok, json_t *unused,
    int64_t created)
{
	(void)unused;
	return chat_completion_n(a, model, ptok, 1, created, NULL);
}

/*
 * n choices (index 0..n-1, each from choice_answer); usage counts the
 * prompt once and every choice's completion, as the service does.  The
 * id is cid, or a new one when cid is NULL.
 */
static json_t *
chat_completion_n(json_t *a0, const char *model, long ptok, long n,
    int64_t created, const char *cid)
{
	char *content, *id;
	long ctok, cached, i, all = 0;
	json_t *o, *a, *chs, *ch;

	chs = json_array();
	for (i = 0; i < n; i++) {
		a = choice_answer(a0, i);
		content = answer_content(a);
		all += tokens_of_len(strlen(content));
		ch = json_pack("{s:i, s:{s:s, s:s, s:n, s:[]}, s:n, s:s}",
		    "index", (int)i, "message", "role", "assistant",
		    "content", content, "refusal", "annotations",
		    "logprobs", "finish_reason", finish_reason_of(a));
		json_array_append_new(chs, ch);
		free(content);
		json_decref(a);
	}
	a = a0;
	content = answer_content(a);
	ctok = all;
	cached = script_int(a, "cached_tokens", 0);
	id = cid != NULL ? xstrdup(cid) : new_id("chatcmpl-", 29);
	o = json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:{s:s, s:s, s:n, "
	    "s:[]}, s:n, s:s}], s:{s:i, s:i, s:i, s:{s:i, s:i}, "
	    "s:{s:i, s:i, s:i, s:i}}, s:s, s:n}",
	    "id", id, "object", "chat.completion",
	    "created", (json_int_t)(created / 1000),
	    "model", model ? model : "emulated",
	    "choices", "index", 0, "message", "role", "assistant",
	    "content", content, "refusal", "annotations",
	    "logprobs", "finish_reason", finish_reason_of(a),
	    "usage", "prompt_tokens", (int)ptok, "completion_tokens",
	    (int)ctok, "total_tokens", (int)(ptok + ctok),
	    "prompt_tokens_details", "cached_tokens", (int)cached,
	    "audio_tokens", 0,
	    "completion_tokens_details", "reasoning_tokens", 0,
	    "audio_tokens", 0, "accepted_prediction_tokens", 0,
	    "rejected_prediction_tokens", 0,
	    "service_tier", "default", "system_fingerprint");
	json_object_set_new(o, "choices", chs);
	free(content);
	free(id);
	return o;
}

/* a Responses API body for an answer (batches with /v1/responses) */
static json_t *
response_object(json_t *a, const char *model, long ptok, int64_t created)
{
	char *content, *id, *mid;
	long ctok, cached;
	json_t *o;

	content = answer_content(a);
	ctok = tokens_of_len(strlen(content));
	cached = script_int(a, "cached_tokens", 0);
	id = new_id("resp_", 32);
	mid = new_id("msg_", 32);
	o = json_pack("{s:s, s:s, s:I, s:s, s:n, s:n, s:s, s:[{s:s, s:s, "
	    "s:s, s:s, s:[{s:s, s:s, s:[]}]}], s:{s:i, s:{s:i}, s:i, "
	    "s:{s:i}, s:i}}",
	    "id", id, "object", "response",
	    "created_at", (json_int_t)(created / 1000),
	    "status", strcmp(finish_reason_of(a), "length") == 0 ?
	    "incomplete" : "completed", "error", "incomplete_details",
	    "model", model ? model : "emulated",
	    "output", "id", mid, "type", "message", "status", "completed",
	    "role", "assistant", "content", "type", "output_text",
	    "text", content, "annotations",
	    "usage", "input_tokens", (int)ptok, "input_tokens_details",
	    "cached_tokens", (int)cached, "output_tokens", (int)ctok,
	    "output_tokens_details", "reasoning_tokens", 0,
	    "total_tokens", (int)(ptok + ctok));
	if (strcmp(finish_reason_of(a), "length") == 0)
		json_object_set_new(o, "incomplete_details",
		    json_pack("{s:s}", "reason", "max_output_tokens"));
	free(content);
	free(id);
	free(mid);
	return o;
}

/* the error body of a scripted failed answer */
static json_t *
answer_error_body(json_t *a, int status)
{
	json_t *eb = json_object_get(a, "error_body");

	if (json_is_object(eb))
		return json_deep_copy(eb);
	return json_pack("{s:{s:s, s:s, s:n, s:n}}", "error",
	    "message", status == 429 ? "Rate limit reached (emulated)" :
	    "Emulated error", "type", status == 429 ? "requests" :
	    status >= 500 ? "server_error" : "invalid_request_error",
	    "param", "code");
}

static json_t *
file_json(struct efile *f)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:o, s:n}",
	    "id", f->id, "object", "file", "bytes", (json_int_t)f->bytes,
	    "created_at", (json_int_t)(f->created_at / 1000),
	    "filename", f->filename, "purpose", f->purpose,
	    "status", "processed", "expires_at", ts(f->expires_at),
	    "status_details");
}

struct efile *
file_find(const char *id)
{
	size_t i;

	for (i = 0; i < E.nfiles; i++)
		if (strcmp(E.files[i]->id, id) == 0)
			return E.files[i];
	return NULL;
}

/* add a stored file; caller holds the lock; takes nothing */
struct efile *
file_register(const char *id, const char *filename, const char *purpose,
    int64_t bytes)
{
	struct efile *f;
	char p[PATH_MAX];

	f = xcalloc(1, sizeof(*f));
	f->id = xstrdup(id);
	f->filename = xstrdup(filename);
	f->purpose = xstrdup(purpose);
	snprintf(p, sizeof(p), "%s/%s", E.state_dir, id);
	f->path = xstrdup(p);
	f->bytes = bytes;
	f->created_at = now_ms();
	if (strncmp(purpose, "batch", 5) == 0)
		f->expires_at = f->created_at + 30 * DAY_MS;
	E.files = xrealloc(E.files, (E.nfiles + 1) * sizeof(*E.files));
	E.files[E.nfiles++] = f;
	E.files_created++;
	return f;
}

static void
file_free(struct efile *f)
{
	free(f->id);
	free(f->filename);
	free(f->purpose);
	free(f->path);
	free(f);
}

static const void *
memfind(const void *h, size_t hl, const char *n, size_t nl)
{
	return memmem(h, hl, n, nl);
}

/* the value of a parameter (name="...") in a Content-Disposition */
static char *
disp_param(const char *h, size_t hl, const char *name)
{
	size_t nl = strlen(name), i, j;

	for (i = 0; i + nl + 1 < hl; i++) {
		if ((i == 0 || h[i - 1] == ';' || h[i - 1] == ' ') &&
		    strncasecmp(h + i, name, nl) == 0 && h[i + nl] == '=') {
			i += nl + 1;
			if (i < hl && h[i] == '"') {
				i++;
				for (j = i; j < hl && h[j] != '"'; j++)
					;
			} else
				for (j = i; j < hl && h[j] != ';' &&
				    h[j] != '\r'; j++)
					;
			return xstrndup(h + i, j - i);
		}
	}
	return NULL;
}

static void
files_upload(struct req *q, struct reply *r)
{
	const char *ct = q->ctype, *bp, *m = MAP_FAILED, *end, *p, *hend, *nx;
	char *boundary = NULL, *delim = NULL, *name, *fname = NULL;
	char *purpose = NULL, *id, path[PATH_MAX], msg[256];
	const char *fdata = NULL;
	size_t flen = 0, dl, i;
	long long expsec = 0;
	struct efile *f;
	int fd;

	if (q->spool_fd < 0) {
		reply_error(r, EMU_OPENAI, 400, "Invalid Content-Type header "
		    "(expected multipart/form-data)", NULL, NULL, NULL);
		return;
	}
	bp = ct ? strcasestr(ct, "boundary=") : NULL;
	if (bp == NULL) {
		reply_error(r, EMU_OPENAI, 400, "multipart/form-data without "
		    "a boundary", NULL, NULL, NULL);
		return;
	}
	bp += 9;
	if (*bp == '"')
		boundary = xstrndup(bp + 1, strcspn(bp + 1, "\""));
	else
		boundary = xstrndup(bp, strcspn(bp, "; \t"));
	dl = strlen(boundary) + 4;
	delim = xmalloc(dl + 1);
	snprintf(delim, dl + 1, "\r\n--%s", boundary);
	if (q->spool_len > 0)
		m = mmap(NULL, q->spool_len, PROT_READ, MAP_PRIVATE,
		    q->spool_fd, 0);
	if (m == MAP_FAILED) {
		reply_error(r, EMU_OPENAI, 400, "Empty or unreadable "
		    "multipart body", NULL, NULL, NULL);
		goto out;
	}
	end = m + q->spool_len;
	/* the first delimiter may lack the leading CRLF */
	if ((size_t)(end - m) >= dl - 2 &&
	    memcmp(m, delim + 2, dl - 2) == 0)
		p = m + dl - 2;
	else if ((p = memfind(m, end - m, delim, dl)) != NULL)
		p += dl;
	else
		p = end;
	while (p + 2 <= end && memcmp(p, "--", 2) != 0) {
		if (memcmp(p, "\r\n", 2) != 0)
			break;
		p += 2;
		hend = memfind(p, end - p, "\r\n\r\n", 4);
		if (hend == NULL)
			break;
		nx = memfind(hend + 4, end - (hend + 4), delim, dl);
		if (nx == NULL)
			break;
		name = disp_param(p, hend - p, "name");
		if (name != NULL && strcmp(name, "file") == 0) {
			free(fname);
			fname = disp_param(p, hend - p, "filename");
			if (fname == NULL)
				fname = xstrdup("upload");
			fdata = hend + 4;
			flen = nx - fdata;
		} else if (name != NULL && strcmp(name, "purpose") == 0) {
			free(purpose);
			purpose = xstrndup(hend + 4, nx - (hend + 4));
		} else if (name != NULL &&
		    strcmp(name, "expires_after[seconds]") == 0)
			expsec = strtoll(hend + 4, NULL, 10);
		free(name);
		p = nx + dl;
	}
	if (fdata == NULL) {
		reply_error(r, EMU_OPENAI, 400, "Missing required parameter: "
		    "'file'.", NULL, "file", "missing_required_parameter");
		goto out;
	}
	if (purpose == NULL) {
		reply_error(r, EMU_OPENAI, 400, "Missing required parameter: "
		    "'purpose'.", NULL, "purpose",
		    "missing_required_parameter");
		goto out;
	}
	for (i = 0; purposes[i] != NULL; i++)
		if (strcmp(purposes[i], purpose) == 0)
			break;
	if (purposes[i] == NULL) {
		snprintf(msg, sizeof(msg), "Invalid value for purpose: "
		    "'%.64s'.", purpose);
		reply_error(r, EMU_OPENAI, 400, msg, NULL, "purpose",
		    "invalid_value");
		goto out;
	}
	if (strcmp(purpose, "batch") == 0) {
		i = strlen(fname);
		if (i < 6 || strcmp(fname + i - 6, ".jsonl") != 0) {
			reply_error(r, EMU_OPENAI, 400, "Invalid file format "
			    "for Batch API. Must be .jsonl", NULL, NULL,
			    NULL);
			goto out;
		}
		if (flen > 200ULL * 1024 * 1024) {
			reply_error(r, EMU_OPENAI, 400, "File is too large "
			    "for Batch API: the limit is 200 MB.", NULL,
			    "file", NULL);
			goto out;
		}
	}
	id = new_id("file-", 22);
	snprintf(path, sizeof(path), "%s/%s", E.state_dir, id);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write_all(fd, fdata, flen) != 0 || close(fd) != 0) {
		if (fd >= 0)
			unlink(path);
		reply_error(r, EMU_OPENAI, 500, "cannot store the file",
		    NULL, NULL, NULL);
		free(id);
		goto out;
	}
	pthread_mutex_lock(&E.lock);
	f = file_register(id, fname, purpose, (int64_t)flen);
	if (expsec > 0)
		f->expires_at = f->created_at + expsec * 1000;
	reply_json(r, 200, file_json(f));
	pthread_mutex_unlock(&E.lock);
	r->created = id;
out:
	if (m != MAP_FAILED)
		munmap((void *)m, q->spool_len);
	free(boundary);
	free(delim);
	free(fname);
	free(purpose);
}

long
list_limit(struct req *q, const char *name, long def, long max,
    struct reply *r)
{
	const char *s = query_arg(q, name);
	char *end, msg[128];
	long v;

	if (s == NULL)
		return def;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > max) {
		snprintf(msg, sizeof(msg), "Invalid '%s': must be an integer "
		    "between 1 and %ld.", name, max);
		reply_error(r, q->prov, 400, msg, NULL, name, NULL);
		return -1;
	}
	return v;
}

/* first_id and last_id of a list object: its data's first and last ids */
void
list_ends(json_t *o, json_t *data)
{
	size_t n = json_array_size(data);

	if (n == 0)
		return;
	json_object_set(o, "first_id", json_object_get(json_array_get(data,
	    0), "id"));
	json_object_set(o, "last_id", json_object_get(json_array_get(data,
	    n - 1), "id"));
}

/* a page of an OpenAI list: at most limit items after the one named after */
struct page {
	json_t		*o;
	json_t		*data;
	const char	*after;
	long		 limit;
	long		 n;
};

static void
page_start(struct page *pg, const char *after, long limit)
{
	pg->data = json_array();
	pg->o = json_pack("{s:s, s:o, s:n, s:n, s:b}", "object", "list",
	    "data", pg->data, "first_id", "last_id", "has_more", 0);
	pg->after = after;
	pg->limit = limit;
	pg->n = 0;
}

/* Is the item with this id before the page (up to and including after)? */
static int
page_before(struct page *pg, const char *id)
{
	if (pg->after == NULL)
		return 0;
	if (strcmp(id, pg->after) == 0)
		pg->after = NULL;
	return 1;
}

/* Is there room for one more item?  If not, the page has_more. */
static int
page_room(struct page *pg)
{
	if (pg->n < pg->limit)
		return 1;
	json_object_set_new(pg->o, "has_more", json_true());
	return 0;
}

static void
page_add(struct page *pg, json_t *item)
{
	json_array_append_new(pg->data, item);
	pg->n++;
}

static json_t *
page_end(struct page *pg)
{
	list_ends(pg->o, pg->data);
	return pg->o;
}

static void
files_list(struct req *q, struct reply *r)
{
	const char *purpose = query_arg(q, "purpose");
	const char *order = query_arg(q, "order");
	struct page pg;
	long limit;
	size_t i, k;
	int asc = order && strcmp(order, "asc") == 0;

	if ((limit = list_limit(q, "limit", 10000, 10000, r)) < 0)
		return;
	page_start(&pg, query_arg(q, "after"), limit);
	pthread_mutex_lock(&E.lock);
	for (k = 0; k < E.nfiles; k++) {
		i = asc ? k : E.nfiles - 1 - k;
		if (page_before(&pg, E.files[i]->id))
			continue;
		if (purpose && strcmp(purpose, E.files[i]->purpose) != 0)
			continue;
		if (!page_room(&pg))
			break;
		page_add(&pg, file_json(E.files[i]));
	}
	pthread_mutex_unlock(&E.lock);
	reply_json(r, 200, page_end(&pg));
}

static void
no_file(struct reply *r, const char *id)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "No such File object: %.128s", id);
	reply_error(r, EMU_OPENAI, 404, msg, NULL, "id", NULL);
}

static void
file_get(struct reply *r, const char *id)
{
	struct efile *f;

	pthread_mutex_lock(&E.lock);
	if ((f = file_find(id)) != NULL)
		reply_json(r, 200, file_json(f));
	pthread_mutex_unlock(&E.lock);
	if (f == NULL)
		no_file(r, id);
}

static void
file_delete(struct reply *r, const char *id)
{
	struct efile *f = NULL;
	size_t i;

	pthread_mutex_lock(&E.lock);
	for (i = 0; i < E.nfiles; i++)
		if (strcmp(E.files[i]->id, id) == 0) {
			f = E.files[i];
			memmove(E.files + i, E.files + i + 1,
			    (E.nfiles - i - 1) * sizeof(*E.files));
			E.nfiles--;
			break;
		}
	pthread_mutex_unlock(&E.lock);
	if (f == NULL) {
		no_file(r, id);
		return;
	}
	unlink(f->path);
	reply_json(r, 200, json_pack("{s:s, s:s, s:b}", "id", f->id,
	    "object", "file", "deleted", 1));
	file_free(f);
}

/*
 * Serve a stored file, honouring "Range: bytes=N-" and "bytes=N-M" with
 * 206 so that a client can resume a download.
 */
void
serve_path(struct req *q, struct reply *r, const char *path)
{
	const char *rg = req_header(q, "Range");
	struct stat st;
	uint64_t a, b, size;
	char *end, cr[128];
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		reply_error(r, q->prov, 404, "file content is gone",
		    NULL, NULL, NULL);
		return;
	}
	size = (uint64_t)st.st_size;
	a = 0;
	b = size ? size - 1 : 0;
	r->status = 200;
	reply_header(r, "Accept-Ranges", "bytes");
	if (rg != NULL && strncmp(rg, "bytes=", 6) == 0 &&
	    rg[6] >= '0' && rg[6] <= '9') {
		a = strtoull(rg + 6, &end, 10);
		if (*end == '-' && end[1] >= '0' && end[1] <= '9') {
			b = strtoull(end + 1, &end, 10);
			if (b >= size)
				b = size ? size - 1 : 0;
		}
		if (a >= size || a > b) {
			close(fd);
			snprintf(cr, sizeof(cr), "bytes */%llu",
			    (unsigned long long)size);
			reply_header(r, "Content-Range", cr);
			reply_error(r, q->prov, 416, "Requested range not "
			    "satisfiable", NULL, NULL, NULL);
			return;
		}
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu",
		    (unsigned long long)a, (unsigned long long)b,
		    (unsigned long long)size);
		reply_header(r, "Content-Range", cr);
		r->status = 206;
	}
	r->fd = fd;
	r->off = a;
	r->len = size ? b - a + 1 : 0;
	r->ctype = "application/octet-stream";
}

static void
file_content(struct req *q, struct reply *r, const char *id)
{
	struct efile *f;
	char *path = NULL;

	pthread_mutex_lock(&E.lock);
	if ((f = file_find(id)) != NULL)
		path = xstrdup(f->path);
	pthread_mutex_unlock(&E.lock);
	if (path == NULL) {
		no_file(r, id);
		return;
	}
	serve_path(q, r, path);
	free(path);
}

json_t *
ob_json(struct batch *b)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:o, "
	    "s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:{s:i, s:i, s:i}, "
	    "s:{s:I, s:{s:I}, s:I, s:{s:i}, s:I}, s:O}",
	    "id", b->id, "object", "batch", "endpoint", b->endpoint,
	    "model", jstr(b->model),
	    "errors", b->errors ? json_pack("{s:s, s:O}", "object", "list",
	    "data", b->errors) : json_null(),
	    "input_file_id", b->input_file_id,
	    "completion_window", b->completion_window,
	    "status", b->status,
	    "output_file_id", jstr(b->output_file_id),
	    "error_file_id", jstr(b->error_file_id),
	    "created_at", (json_int_t)(b->created_at / 1000),
	    "in_progress_at", ts(b->in_progress_at),
	    "expires_at", ts(b->expires_at),
	    "finalizing_at", ts(b->finalizing_at),
	    "completed_at", ts(b->completed_at),
	    "failed_at", ts(b->failed_at),
	    "expired_at", ts(b->expired_at),
	    "cancelling_at", ts(b->cancelling_at),
	    "cancelled_at", ts(b->cancelled_at),
	    "request_counts", "total", (int)b->total,
	    "completed", (int)b->completed, "failed", (int)b->failed,
	    "usage", "input_tokens", (json_int_t)b->in_tok,
	    "input_tokens_details", "cached_tokens",
	    (json_int_t)b->cached_tok,
	    "output_tokens", (json_int_t)b->out_tok,
	    "output_tokens_details", "reasoning_tokens", 0,
	    "total_tokens", (json_int_t)(b->in_tok + b->out_tok),
	    "metadata", b->metadata ? b->metadata : json_null());
	return o;
}

struct batch *
batch_find(const char *id, int prov)
{
	size_t i;

	for (i = 0; i < E.nbatches; i++)
		if ((prov < 0 || E.batches[i]->prov == prov) &&
		    strcmp(E.batches[i]->id, id) == 0)
			return E.batches[i];
	return NULL;
}

void
batch_add(struct batch *b)
{
	E.batches = xrealloc(E.batches, (E.nbatches + 1) *
	    sizeof(*E.batches));
	E.batches[E.nbatches++] = b;
	E.batches_created++;
}

void
batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nlines; i++) {
		free(b->lines[i].custom_id);
		free(b->lines[i].model);
		free(b->lines[i].text);
	}
	free(b->lines);
	free(b->id);
	free(b->status);
	free(b->endpoint);
	free(b->input_file_id);
	free(b->completion_window);
	free(b->model);
	json_decref(b->metadata);
	json_decref(b->errors);
	free(b->output_file_id);
	free(b->error_file_id);
	free(b->pend_output);
	free(b->pend_error);
	free(b->results_path);
	free(b->fault);
	free(b->fail_code);
	free(b->fail_message);
	free(b);
}

/* arm an "expire" or "fail_batch" fault on a new batch if one fires */
void
batch_arm_fault(struct batch *b, const char *path)
{
	json_t *f;
	const char *s;

	if ((f = fault_pick("POST", path, 1)) == NULL)
		return;
	b->fault = xstrdup(fault_kind(f));
	b->fraction = json_num(f, "fraction", 0.5);
	if ((s = json_str(json_object_get(f, "code"))) != NULL)
		b->fail_code = xstrdup(s);
	if ((s = json_str(json_object_get(f, "message"))) != NULL)
		b->fail_message = xstrdup(s);
	json_decref(f);
}

/*
 * Count the batch's custom_ids towards the cross-batch duplicate count
 * and summarise them for the request log.  Caller holds the lock.
 */
void
batch_note_ids(struct batch *b, struct reply *r)
{
	json_t *list = json_array();
	uint64_t h = 0;
	size_t i;
	long *v;
	char hx[32];

	for (i = 0; i < b->nlines; i++) {
		v = hset_get(&E.ids_seen, b->lines[i].custom_id, 1);
		if (++*v == 2)
			E.dup_ids++;
		E.ids_submitted++;
		h += fnv1a64(b->lines[i].custom_id,
		    strlen(b->lines[i].custom_id));
		if (i < 1000)
			json_array_append_new(list,
			    json_string(b->lines[i].custom_id));
	}
	snprintf(hx, sizeof(hx), "%016llx", (unsigned long long)h);
	r->custom_ids = json_pack("{s:i, s:s}", "count", (int)b->nlines,
	    "hash", hx);
	if (b->nlines <= 1000)
		json_object_set_new(r->custom_ids, "list", list);
	else
		json_decref(list);
}

/* a deterministic shuffle of the batch's lines, never the input order */
size_t *
batch_perm(struct batch *b)
{
	size_t *p, i, j, t, n = b->nlines;
	uint64_t x;

	p = xmalloc((n ? n : 1) * sizeof(*p));
	for (i = 0; i < n; i++)
		p[i] = i;
	x = fnv1a64(b->id, strlen(b->id));
	for (i = n; i > 1; i--) {
		x = splitmix64(x);
		j = x % i;
		t = p[i - 1];
		p[i - 1] = p[j];
		p[j] = t;
	}
	for (i = 0; i < n && p[i] == i; i++)
		;
	if (n > 1 && i == n) {
		t = p[0];
		memmove(p, p + 1, (n - 1) * sizeof(*p));
		p[n - 1] = t;
	}
	return p;
}

static void
err_add(json_t *errs, long *nerr, const char *code, const char *msg,
    const char *param, long line)
{
	if (++*nerr > 1000)
		return;
	json_array_append_new(errs, json_pack("{s:s, s:s, s:o, s:o}",
	    "code", code, "message", msg, "param", jstr(param),
	    "line", line > 0 ? json_integer(line) : json_null()));
}

/* Check an input file the way the service does; lines and errors out. */
static void
validate_input(struct batch *b, const char *path)
{
	FILE *fp;
	char *ln = NULL, msg[512];
	size_t cap = 0, ncap = 0;
	ssize_t n;
	long lineno = 0, nerr = 0;
	json_t *errs = json_array(), *o, *v, *body;
	struct hset seen = { 0 };
	const char *cid, *model;
	long *cnt;
	int keep_text = script_has_prompt();

	if ((fp = fopen(path, "r")) == NULL) {
		err_add(errs, &nerr, "file_not_found", "The input file "
		    "could not be read.", NULL, 0);
		goto done;
	}
	while ((n = getline(&ln, &cap, fp)) != -1) {
		lineno++;
		while (n > 0 && (ln[n - 1] == '\n' || ln[n - 1] == '\r'))
			ln[--n] = '\0';
		if (lineno > E.max_requests)
			continue;
		/* the line's values live in the arena until its reset; the
		 * fast path (line.c) answers for most lines, json_loadb for
		 * the rest */
		arena_on();
		if ((o = line_scan(ln, (size_t)n)) == NULL)
			o = json_loadb(ln, (size_t)n, 0, NULL);
		arena_off();
		if (!json_is_object(o)) {
			err_add(errs, &nerr, "invalid_json_line", "This line "
			    "is not parseable as valid JSON.", NULL, lineno);
			json_decref(o);
			arena_reset();
			continue;
		}
		cid = json_str(json_object_get(o, "custom_id"));
		body = json_object_get(o, "body");
		model = json_str(json_object_get(body, "model"));
		if (cid == NULL) {
			err_add(errs, &nerr, "missing_required_parameter",
			    "Missing required parameter: 'custom_id'.",
			    "custom_id", lineno);
		} else if (*(cnt = hset_get(&seen, cid, 1)) > 0) {
			snprintf(msg, sizeof(msg), "The custom_id '%.128s' is "
			    "used more than once in this batch.", cid);
			err_add(errs, &nerr, "duplicate_custom_id", msg,
			    "custom_id", lineno);
		} else if (!json_is_string(v = json_object_get(o,
		    "method")) || strcmp(json_string_value(v), "POST") != 0) {
			err_add(errs, &nerr, "invalid_method", "The 'method' "
			    "of each request must be 'POST'.", "method",
			    lineno);
		} else if (!json_is_string(v = json_object_get(o, "url")) ||
		    strcmp(json_string_value(v), b->endpoint) != 0) {
			snprintf(msg, sizeof(msg), "The 'url' of each request "
			    "must match the batch endpoint '%s'.",
			    b->endpoint);
			err_add(errs, &nerr, "url_mismatch", msg, "url",
			    lineno);
		} else if (!json_is_object(body)) {
			err_add(errs, &nerr, "invalid_body", "The 'body' of "
			    "each request must be a JSON object.", "body",
			    lineno);
		} else if (model == NULL) {
			err_add(errs, &nerr, "missing_required_parameter",
			    "Missing required parameter: 'body.model'.",
			    "body.model", lineno);
		} else if (choices_n(body) < 0) {
			err_add(errs, &nerr, "invalid_body", "'n' must be a "
			    "whole number from 1 to 128.", "body.n", lineno);
		} else if (b->model != NULL && strcmp(b->model, model) != 0) {
			snprintf(msg, sizeof(msg), "Each input file may only "
			    "contain requests for one model; line %ld uses "
			    "'%.64s', not '%.64s'.", lineno, model, b->model);
			err_add(errs, &nerr, "model_mismatch", msg,
			    "body.model", lineno);
		}
		if (cid != NULL && *cnt == 0) {
			*cnt = 1;
			if (b->model == NULL && model != NULL)
				b->model = xstrdup(model);
			if (b->nlines == ncap) {
				ncap = ncap ? ncap * 2 : 64;
				b->lines = xrealloc(b->lines, ncap *
				    sizeof(*b->lines));
			}
			b->lines[b->nlines].custom_id = xstrdup(cid);
			b->lines[b->nlines].model = xstrdup(model ? model :
			    "");
			b->lines[b->nlines].ptok = json_is_object(body) ?
			    prompt_tokens(body) : 0;
			b->lines[b->nlines].text = keep_text &&
			    json_is_object(body) ? prompt_text(body) : NULL;
			b->lines[b->nlines].n = choices_n(body) > 0 ?
			    choices_n(body) : 1;
			b->nlines++;
		}
		json_decref(o);
		arena_reset();
	}
	arena_end();
	fclose(fp);
	if (lineno == 0)
		err_add(errs, &nerr, "empty_file", "The batch input file is "
		    "empty.", NULL, 0);
	if (lineno > E.max_requests) {
		snprintf(msg, sizeof(msg), "The batch input file has %ld "
		    "requests; the limit is %ld.", lineno, E.max_requests);
		err_add(errs, &nerr, "too_many_tasks", msg, NULL, 0);
	}
done:
	free(ln);
	hset_free(&seen);
	if (nerr > 0)
		b->errors = errs;
	else
		json_decref(errs);
}

static void
batch_create(struct req *q, struct reply *r)
{
	json_t *o, *v, *md;
	const char *fid, *ep, *cw, *k;
	struct efile *f;
	struct batch *b;
	char *path = NULL, msg[256];
	int ok = 0;
	size_t i;

	o = json_loadb(q->body.p ? q->body.p : "", q->body.len, 0, NULL);
	if (!json_is_object(o)) {
		reply_error(r, EMU_OPENAI, 400, "We could not parse the JSON "
		    "body of your request.", NULL, NULL, NULL);
		goto out;
	}
	fid = json_str(json_object_get(o, "input_file_id"));
	ep = json_str(json_object_get(o, "endpoint"));
	cw = json_str(json_object_get(o, "completion_window"));
	md = json_object_get(o, "metadata");
	if (fid == NULL || ep == NULL || cw == NULL) {
		k = fid == NULL ? "input_file_id" : ep == NULL ? "endpoint" :
		    "completion_window";
		snprintf(msg, sizeof(msg), "Missing required parameter: "
		    "'%s'.", k);
		reply_error(r, EMU_OPENAI, 400, msg, NULL, k,
		    "missing_required_parameter");
		goto out;
	}
	for (i = 0; endpoints[i] != NULL; i++)
		if (strcmp(endpoints[i], ep) == 0)
			break;
	if (endpoints[i] == NULL) {
		snprintf(msg, sizeof(msg), "Invalid value for 'endpoint': "
		    "'%.64s'.", ep);
		reply_error(r, EMU_OPENAI, 400, msg, NULL, "endpoint",
		    "invalid_value");
		goto out;
	}
	if (strcmp(ep, "/v1/chat/completions") != 0 &&
	    strcmp(ep, "/v1/responses") != 0) {
		reply_error(r, EMU_OPENAI, 400, "aas-emu only emulates "
		    "/v1/chat/completions and /v1/responses batches", NULL,
		    "endpoint", "invalid_value");
		goto out;
	}
	if (strcmp(cw, "24h") != 0) {
		reply_error(r, EMU_OPENAI, 400, "Invalid value for "
		    "'completion_window': only '24h' is supported.", NULL,
		    "completion_window", "invalid_value");
		goto out;
	}
	if (md != NULL && !json_is_null(md)) {
		if (!json_is_object(md) || json_object_size(md) > 16) {
			reply_error(r, EMU_OPENAI, 400, "Invalid 'metadata': "
			    "at most 16 key-value pairs of strings.", NULL,
			    "metadata", "invalid_value");
			goto out;
		}
		json_object_foreach(md, k, v) {
			if (strlen(k) > 64 || !json_is_string(v) ||
			    json_string_length(v) > 512) {
				reply_error(r, EMU_OPENAI, 400, "Invalid "
				    "'metadata': keys up to 64 characters, "
				    "string values up to 512.", NULL,
				    "metadata", "invalid_value");
				goto out;
			}
		}
	}
	pthread_mutex_lock(&E.lock);
	if ((f = file_find(fid)) != NULL && strcmp(f->purpose, "batch") == 0)
		path = xstrdup(f->path);
	pthread_mutex_unlock(&E.lock);
	if (f == NULL) {
		snprintf(msg, sizeof(msg), "No such File object: %.128s",
		    fid);
		reply_error(r, EMU_OPENAI, 404, msg, NULL, "input_file_id",
		    NULL);
		goto out;
	}
	if (path == NULL) {
		reply_error(r, EMU_OPENAI, 400, "The input file must be "
		    "uploaded with purpose 'batch'.", NULL, "input_file_id",
		    "invalid_value");
		goto out;
	}
	b = xcalloc(1, sizeof(*b));
	b->prov = EMU_OPENAI;
	b->id = new_id("batch_", 32);
	b->status = xstrdup("validating");
	b->endpoint = xstrdup(ep);
	b->input_file_id = xstrdup(fid);
	b->completion_window = xstrdup(cw);
	if (json_is_object(md))
		b->metadata = json_incref(md);
	validate_input(b, path);
	b->created_at = now_ms();
	b->expires_at = b->created_at + DAY_MS;
	batch_arm_fault(b, q->path);
	pthread_mutex_lock(&E.lock);
	batch_add(b);
	batch_note_ids(b, r);
	reply_json(r, 200, ob_json(b));
	pthread_mutex_unlock(&E.lock);
	r->created = xstrdup(b->id);
	if (b->fault != NULL)
		r->batch_fault = xstrdup(b->fault);
	ok = 1;
out:
	(void)ok;
	free(path);
	json_decref(o);
}

static char *
results_file(const char *prefix, const char *bid, const char *what)
{
	char p[PATH_MAX];

	(void)prefix;
	snprintf(p, sizeof(p), "%s/%s_%s.jsonl", E.state_dir, bid, what);
	return xstrdup(p);
}

/* move a finished results file into the file store; caller locks */
static char *
store_results(const char *tmp, struct batch *b, const char *what,
    long nlines)
{
	struct efile *f;
	struct stat st;
	char name[256], *id;

	if (nlines == 0) {
		unlink(tmp);
		return NULL;
	}
	id = new_id("file-", 22);
	snprintf(name, sizeof(name), "%s_%s.jsonl", b->id, what);
	stat(tmp, &st);
	f = file_register(id, name, "batch_output", (int64_t)st.st_size);
	rename(tmp, f->path);
	return id;
}

/* an output line of a chat completion that succeeded */
static json_t *
ok_line(const char *rid, const char *cid, const char *reqid, json_t *body)
{
	return json_pack("{s:s, s:s, s:{s:i, s:s, s:o}, s:n}", "id", rid,
	    "custom_id", cid, "response", "status_code", 200, "request_id",
	    reqid, "body", body, "error");
}

/*
 * The lines of a batch that succeed mostly differ only in their ids,
 * custom_id and prompt tokens.  okline is the dump of one such line
 * built by ok_line with stand-ins for those, cut around them, so that
 * each line is the pieces with its own values in between instead of a
 * tree built and dumped.  A template that cannot be cut cleanly (a
 * stand-in found other than exactly once) is not used, and lines go
 * the slow way.
 */
enum { OK_RID, OK_CID, OK_REQID, OK_CHATID, OK_PTOK, OK_TOTAL, OK_NCUT };

struct okline {
	json_t		*a;		/* the key: answer, n and model */
	long		 n;
	char		*model;
	long		 ctok;		/* its completion tokens */
	char		*dump;		/* NULL when it cannot be used */
	size_t		 cut[OK_NCUT][2];	/* stand-in i: from, to */
};

static const char *const ok_stand[OK_NCUT] = {
	"\"\\u0002rid\"", "\"\\u0002cid\"", "\"\\u0002reqid\"",
	"\"\\u0002chatid\"", "\"prompt_tokens\":0,",
	"\"total_tokens\":"
};

static void
okline_free(struct okline *t)
{
	free(t->model);
	free(t->dump);
	memset(t, 0, sizeof(*t));
}

static size_t
count_of(const char *h, const char *n)
{
	size_t k = 0;

	while ((h = strstr(h, n)) != NULL) {
		k++;
		h++;
	}
	return k;
}

static void
okline_build(struct okline *t, json_t *a, long n, const char *model,
    int64_t now)
{
	json_t *body, *line;
	const char *p, *q;
	size_t i;
	char tot[32];

	okline_free(t);
	t->a = a;
	t->n = n;
	t->model = xstrdup(model);
	body = chat_completion_n(a, model, 0, n, now, "\002chatid");
	t->ctok = (long)json_integer_value(json_object_get(json_object_get(
	    body, "usage"), "completion_tokens"));
	line = ok_line("\002rid", "\002cid", "\002reqid", body);
	t->dump = json_dump_str(line, JSON_COMPACT);
	json_decref(line);
	snprintf(tot, sizeof(tot), "\"total_tokens\":%ld,", t->ctok);
	for (i = 0, p = t->dump; i < OK_NCUT; i++) {
		q = i == OK_TOTAL ? tot : ok_stand[i];
		if (count_of(t->dump, q) != 1 || (p = strstr(p, q)) == NULL)
			break;
		/* the stand-in's value only: keys and quotes stay */
		t->cut[i][0] = (size_t)(p - t->dump);
		t->cut[i][1] = t->cut[i][0] + strlen(q);
		if (i == OK_PTOK) {
			t->cut[i][0] += strlen("\"prompt_tokens\":");
			t->cut[i][1]--;
		} else if (i == OK_TOTAL) {
			t->cut[i][0] += strlen("\"total_tokens\":");
			t->cut[i][1]--;
		}
		p = t->dump + t->cut[i][1];
	}
	if (i < OK_NCUT) {
		free(t->dump);
		t->dump = NULL;
	}
}

/* Can the template serve a line of answer a, n choices and model? */
static int
okline_for(struct okline *t, json_t *a, long n, const char *model,
    int64_t now)
{
	if (t->model == NULL || t->a != a || t->n != n ||
	    strcmp(t->model, model) != 0)
		okline_build(t, a, n, model, now);
	return t->dump != NULL;
}

/* a string as json_dumps writes it (with its quotes) */
static void
put_str(struct buf *w, const char *s)
{
	const char *c;
	char *d;

	for (c = s; *c != '\0'; c++)
		if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
			break;
	if (*c == '\0') {
		buf_add(w, "\"", 1);
		buf_add(w, s, (size_t)(c - s));
		buf_add(w, "\"", 1);
		return;
	}
	d = json_dump_str(json_string(s), JSON_COMPACT | JSON_ENCODE_ANY);
	buf_addstr(w, d);
	free(d);
}

/* the line from the template; what ok_line would dump */
static void
okline_put(struct okline *t, struct jsonl *w, const char *rid,
    const char *cid, const char *reqid, const char *chatid, long ptok)
{
	const char *v[OK_NCUT];
	char pt[32], tt[32];
	size_t i, at = 0;

	snprintf(pt, sizeof(pt), "%d", (int)ptok);
	snprintf(tt, sizeof(tt), "%d", (int)(ptok + t->ctok));
	v[OK_RID] = rid;
	v[OK_CID] = cid;
	v[OK_REQID] = reqid;
	v[OK_CHATID] = chatid;
	v[OK_PTOK] = pt;
	v[OK_TOTAL] = tt;
	for (i = 0; i < OK_NCUT; i++) {
		buf_add(&w->b, t->dump + at, t->cut[i][0] - at);
		if (i == OK_PTOK || i == OK_TOTAL)
			buf_addstr(&w->b, v[i]);
		else
			put_str(&w->b, v[i]);
		at = t->cut[i][1];
	}
	buf_addstr(&w->b, t->dump + at);
	jsonl_line(w);
}

/*
 * Run the batch: the first frac of the lines (in shuffled order) get
 * their scripted answers, the rest an error line with code notrun.
 * Writes the output and error files.  Caller holds the lock.
 */
static void
ob_results(struct batch *b, double frac, const char *notrun)
{
	struct jsonl out, err;
	struct okline tp = { 0 };
	char *op, *ep, *rid, *reqid, *chatid;
	size_t *perm, k, i, nrun;
	long nout = 0, nerr = 0, st;
	json_t *a, *le, *body;
	int64_t now = now_ms();
	struct line *l;
	uint64_t seed;

	if (b->ended)
		return;
	b->ended = 1;
	op = results_file("o", b->id, "output.tmp");
	ep = results_file("e", b->id, "error.tmp");
	if (jsonl_open(&out, op) != 0 || jsonl_open(&err, ep) != 0) {
		if (out.fd >= 0)
			jsonl_close(&out);
		free(op);
		free(ep);
		return;
	}
	perm = batch_perm(b);
	nrun = (size_t)(frac * (double)b->nlines);
	if (nrun > b->nlines)
		nrun = b->nlines;
	seed = fnv1a64(b->id, strlen(b->id));
	b->total = (long)b->nlines;
	b->completed = b->failed = 0;
	/* each line's values are built, dumped and dropped in the arena */
	arena_on();
	for (k = 0; k < b->nlines; k++) {
		i = perm[k];
		l = &b->lines[i];
		rid = make_id("batch_req_", seed ^ (i * 2 + 1), 32);
		reqid = make_id("req_", seed ^ (i * 2 + 2), 32);
		a = answer_for(E.script, l->custom_id, NULL, l->text);
		le = json_object_get(a, "line_error");
		st = script_int(a, "status", 200);
		if (k >= nrun) {
			jsonl_put(&err, json_pack("{s:s, s:s, s:n, "
			    "s:{s:s, s:s}}", "id", rid, "custom_id",
			    l->custom_id, "response",
			    "error", "code", notrun, "message",
			    strcmp(notrun, "batch_expired") == 0 ?
			    "This request could not be executed before the "
			    "completion window expired." :
			    "This request was cancelled before it could be "
			    "executed."));
			nerr++;
		} else if (json_is_object(le)) {
			jsonl_put(&err, json_pack("{s:s, s:s, s:n, "
			    "s:{s:s, s:s}}", "id", rid, "custom_id",
			    l->custom_id, "response",
			    "error", "code", json_str(json_object_get(le,
			    "code")) ? json_str(json_object_get(le, "code")) :
			    "server_error", "message",
			    json_str(json_object_get(le, "message")) ?
			    json_str(json_object_get(le, "message")) :
			    "emulated line error"));
			nerr++;
		} else if (st != 200) {
			jsonl_put(&err, json_pack("{s:s, s:s, "
			    "s:{s:i, s:s, s:o}, s:n}", "id", rid,
			    "custom_id", l->custom_id,
			    "response", "status_code", (int)st, "request_id",
			    reqid, "body", answer_error_body(a, (int)st),
			    "error"));
			nerr++;
		} else if (strcmp(b->endpoint, "/v1/responses") != 0 &&
		    okline_for(&tp, a, l->n, l->model, now)) {
			chatid = new_id("chatcmpl-", 29);
			okline_put(&tp, &out, rid, l->custom_id, reqid, chatid,
			    l->ptok);
			free(chatid);
			b->in_tok += l->ptok;
			b->out_tok += tp.ctok;
			b->cached_tok += script_int(a, "cached_tokens", 0);
			nout++;
		} else {
			if (strcmp(b->endpoint, "/v1/responses") == 0)
				body = response_object(a, l->model, l->ptok,
				    now);
			else
				body = chat_completion_n(a, l->model,
				    l->ptok, l->n, now, NULL);
			b->in_tok += l->ptok;
			b->out_tok += json_integer_value(json_object_get(
			    json_object_get(body, "usage"),
			    strcmp(b->endpoint, "/v1/responses") == 0 ?
			    "output_tokens" : "completion_tokens"));
			b->cached_tok += script_int(a, "cached_tokens", 0);
			jsonl_put(&out, ok_line(rid, l->custom_id, reqid,
			    body));
			nout++;
		}
		free(rid);
		free(reqid);
		arena_reset();
	}
	arena_end();
	okline_free(&tp);
	free(perm);
	jsonl_close(&out);
	jsonl_close(&err);
	b->completed = nout;
	b->failed = nerr;
	b->pend_output = store_results(op, b, "output", nout);
	b->pend_error = store_results(ep, b, "error", nerr);
	free(op);
	free(ep);
}

void
set_status(struct batch *b, const char *s)
{
	free(b->status);
	b->status = xstrdup(s);
}

static void
publish(struct batch *b)
{
	if (b->output_file_id == NULL && b->pend_output != NULL)
		b->output_file_id = xstrdup(b->pend_output);
	if (b->error_file_id == NULL && b->pend_error != NULL)
		b->error_file_id = xstrdup(b->pend_error);
}

static int
terminal(struct batch *b)
{
	return strcmp(b->status, "completed") == 0 ||
	    strcmp(b->status, "failed") == 0 ||
	    strcmp(b->status, "expired") == 0 ||
	    strcmp(b->status, "cancelled") == 0;
}

static void
to_failed(struct batch *b, const char *code, const char *message,
    int64_t now)
{
	if (b->errors == NULL)
		b->errors = json_pack("[{s:s, s:s, s:n, s:n}]", "code",
		    code ? code : "token_limit_exceeded", "message",
		    message ? message : "Enqueued token limit reached "
		    "(emulated).", "param", "line");
	set_status(b, "failed");
	b->failed_at = now;
}

/* one lifecycle transition; caller holds the lock */
void
ob_step(struct batch *b, int64_t now)
{
	if (strcmp(b->status, "validating") == 0) {
		if (b->errors != NULL)
			to_failed(b, NULL, NULL, now);
		else if (b->fault && strcmp(b->fault, "fail_batch") == 0)
			to_failed(b, b->fail_code, b->fail_message, now);
		else {
			set_status(b, "in_progress");
			b->in_progress_at = now;
			b->total = (long)b->nlines;
		}
	} else if (strcmp(b->status, "in_progress") == 0) {
		if (b->fault && strcmp(b->fault, "expire") == 0) {
			ob_results(b, b->fraction, "batch_expired");
			set_status(b, "expired");
			b->expired_at = now;
			publish(b);
		} else {
			ob_results(b, 1.0, NULL);
			set_status(b, "finalizing");
			b->finalizing_at = now;
		}
	} else if (strcmp(b->status, "finalizing") == 0) {
		set_status(b, "completed");
		b->completed_at = now;
		publish(b);
	} else if (strcmp(b->status, "cancelling") == 0) {
		ob_results(b, b->fraction, "batch_cancelled");
		set_status(b, "cancelled");
		b->cancelled_at = now;
		publish(b);
	}
}

void
ob_to_terminal(struct batch *b)
{
	int i;

	for (i = 0; i < 8 && !terminal(b); i++)
		ob_step(b, now_ms());
}

/* force a state from the control endpoint; caller holds the lock */
void
ob_force(struct batch *b, const char *st, json_t *body)
{
	int64_t now = now_ms();
	double frac = json_num(body, "fraction", -1);

	if (strcmp(st, "failed") == 0)
		to_failed(b, json_str(json_object_get(body, "code")),
		    json_str(json_object_get(body, "message")), now);
	else if (strcmp(st, "expired") == 0) {
		if (b->in_progress_at == 0)
			b->in_progress_at = now;
		ob_results(b, frac >= 0 ? frac : 0.5, "batch_expired");
		set_status(b, "expired");
		b->expired_at = now;
		publish(b);
	} else if (strcmp(st, "cancelled") == 0) {
		if (b->cancelling_at == 0)
			b->cancelling_at = now;
		ob_results(b, frac >= 0 ? frac : 0, "batch_cancelled");
		set_status(b, "cancelled");
		b->cancelled_at = now;
		publish(b);
	} else if (strcmp(st, "completed") == 0) {
		if (b->in_progress_at == 0)
			b->in_progress_at = now;
		if (b->finalizing_at == 0)
			b->finalizing_at = now;
		ob_results(b, 1.0, NULL);
		set_status(b, "completed");
		b->completed_at = now;
		publish(b);
	} else if (strcmp(st, "finalizing") == 0) {
		ob_results(b, 1.0, NULL);
		set_status(b, "finalizing");
		b->finalizing_at = now;
	} else if (strcmp(st, "in_progress") == 0) {
		set_status(b, st);
		b->in_progress_at = now;
		b->total = (long)b->nlines;
	} else if (strcmp(st, "cancelling") == 0) {
		set_status(b, st);
		b->cancelling_at = now;
	} else if (strcmp(st, "validating") == 0)
		set_status(b, st);
	b->ticks = 0;
}

static void
no_batch(struct reply *r, const char *id)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "No batch found with id '%.128s'.", id);
	reply_error(r, EMU_OPENAI, 404, msg, NULL, NULL, NULL);
}

static void
batch_get(struct reply *r, const char *id)
{
	struct batch *b;
	long steps;

	pthread_mutex_lock(&E.lock);
	if ((b = batch_find(id, EMU_OPENAI)) != NULL) {
		steps = script_int(E.script, "steps", 1);
		if (!terminal(b) && ++b->ticks >= steps) {
			b->ticks = 0;
			ob_step(b, now_ms());
		}
		reply_json(r, 200, ob_json(b));
	}
	pthread_mutex_unlock(&E.lock);
	if (b == NULL)
		no_batch(r, id);
}

static void
batch_cancel(struct reply *r, const char *id)
{
	struct batch *b;
	char msg[128];

	pthread_mutex_lock(&E.lock);
	if ((b = batch_find(id, EMU_OPENAI)) != NULL) {
		if (strcmp(b->status, "validating") == 0 ||
		    strcmp(b->status, "in_progress") == 0 ||
		    strcmp(b->status, "finalizing") == 0) {
			set_status(b, "cancelling");
			b->cancelling_at = now_ms();
			b->fraction = 0;
			b->ticks = 0;
			reply_json(r, 200, ob_json(b));
		} else if (strcmp(b->status, "cancelling") == 0)
			reply_json(r, 200, ob_json(b));
		else {
			snprintf(msg, sizeof(msg), "Cannot cancel a batch "
			    "with status '%s'.", b->status);
			reply_error(r, EMU_OPENAI, 400, msg, NULL, NULL,
			    NULL);
		}
	}
	pthread_mutex_unlock(&E.lock);
	if (b == NULL)
		no_batch(r, id);
}

static void
batch_list(struct req *q, struct reply *r)
{
	struct page pg;
	long limit;
	size_t k, i;

	if ((limit = list_limit(q, "limit", 20, 100, r)) < 0)
		return;
	page_start(&pg, query_arg(q, "after"), limit);
	pthread_mutex_lock(&E.lock);
	for (k = E.nbatches; k > 0; k--) {
		i = k - 1;
		if (E.batches[i]->prov != EMU_OPENAI)
			continue;
		if (page_before(&pg, E.batches[i]->id))
			continue;
		if (!page_room(&pg))
			break;
		page_add(&pg, ob_json(E.batches[i]));
	}
	pthread_mutex_unlock(&E.lock);
	reply_json(r, 200, page_end(&pg));
}

static void
chat(struct req *q, struct reply *r)
{
	json_t *o, *msgs, *s, *a, *md, *v;
	const char *model, *cid;
	char *text, *prompt;
	long ptok, ctok, st;
	char *content;

	o = json_loadb(q->body.p ? q->body.p : "", q->body.len, 0, NULL);
	if (!json_is_object(o)) {
		reply_error(r, EMU_OPENAI, 400, "We could not parse the JSON "
		    "body of your request.", NULL, NULL, NULL);
		json_decref(o);
		return;
	}
	model = json_str(json_object_get(o, "model"));
	msgs = json_object_get(o, "messages");
	if (model == NULL || !json_is_array(msgs) ||
	    json_array_size(msgs) == 0) {
		reply_error(r, EMU_OPENAI, 400, model == NULL ?
		    "Missing required parameter: 'model'." :
		    "Missing required parameter: 'messages'.", NULL,
		    model == NULL ? "model" : "messages",
		    "missing_required_parameter");
		json_decref(o);
		return;
	}
	if (json_is_true(json_object_get(o, "stream"))) {
		reply_error(r, EMU_OPENAI, 400, "aas-emu does not emulate "
		    "streaming", NULL, "stream", NULL);
		json_decref(o);
		return;
	}
	if (choices_n(o) < 0) {
		reply_error(r, EMU_OPENAI, 400, "'n' must be a whole number "
		    "from 1 to 128.", NULL, "n", NULL);
		json_decref(o);
		return;
	}
	pthread_mutex_lock(&E.lock);
	E.sync_requests++;
	pthread_mutex_unlock(&E.lock);
	md = json_object_get(o, "metadata");
	cid = json_str(json_object_get(md, "custom_id"));
	text = last_user_text(o);
	prompt = prompt_text(o);
	s = script_get();
	a = answer_for(s, cid, text, prompt);
	free(prompt);
	ptok = prompt_tokens(o);
	content = answer_content(a);
	ctok = tokens_of_len(strlen(content));
	free(content);
	r->latency_ms = script_int(a, "latency_ms", 0);
	r->hold = json_is_true(json_object_get(a, "hold"));
	if (ratelimit_check(r, EMU_OPENAI, ptok + ctok)) {
		r->latency_ms = 0;
		r->hold = 0;
		goto out;
	}
	st = script_int(a, "status", 200);
	if ((v = json_object_get(a, "line_error")) != NULL &&
	    json_is_object(v))
		reply_error(r, EMU_OPENAI, 500, json_str(json_object_get(v,
		    "message")) ? json_str(json_object_get(v, "message")) :
		    "emulated error", "server_error", NULL,
		    json_str(json_object_get(v, "code")));
	else if (st != 200)
		reply_json(r, (int)st, answer_error_body(a, (int)st));
	else
		reply_json(r, 200, chat_completion_n(a, model, ptok,
		    choices_n(o), now_ms(), NULL));
out:
	json_decref(s);
	free(text);
	json_decref(o);
}

/*
 * The id of a path PREFIX{id}[/...]: a new string, and *rest what follows
 * it; NULL when p does not start with prefix or the id is empty.
 */
char *
path_id(const char *p, const char *prefix, const char **rest)
{
	size_t pl = strlen(prefix), n;

	if (strncmp(p, prefix, pl) != 0 || (n = strcspn(p + pl, "/")) == 0)
		return NULL;
	*rest = p + pl + n;
	return xstrndup(p + pl, n);
}

void
openai_route(struct req *q, struct reply *r)
{
	const char *p = q->path, *m = q->method, *rest;
	char *id, msg[256];
	int done = 0;

	if (strcmp(p, "/v1/chat/completions") == 0 &&
	    strcmp(m, "POST") == 0) {
		chat(q, r);
		return;
	}
	if (strcmp(p, "/v1/files") == 0) {
		if (strcmp(m, "POST") == 0)
			files_upload(q, r);
		else if (strcmp(m, "GET") == 0)
			files_list(q, r);
		else
			goto bad;
		return;
	}
	if (strcmp(p, "/v1/batches") == 0) {
		if (strcmp(m, "POST") == 0)
			batch_create(q, r);
		else if (strcmp(m, "GET") == 0)
			batch_list(q, r);
		else
			goto bad;
		return;
	}
	if ((id = path_id(p, "/v1/files/", &rest)) != NULL) {
		done = 1;
		if (*rest == '\0' && strcmp(m, "GET") == 0)
			file_get(r, id);
		else if (*rest == '\0' && strcmp(m, "DELETE") == 0)
			file_delete(r, id);
		else if (strcmp(rest, "/content") == 0 &&
		    strcmp(m, "GET") == 0)
			file_content(q, r, id);
		else
			done = 0;
	} else if ((id = path_id(p, "/v1/batches/", &rest)) != NULL) {
		done = 1;
		if (*rest == '\0' && strcmp(m, "GET") == 0)
			batch_get(r, id);
		else if (strcmp(rest, "/cancel") == 0 &&
		    strcmp(m, "POST") == 0)
			batch_cancel(r, id);
		else
			done = 0;
	}
	free(id);
	if (done)
		return;
bad:
	snprintf(msg, sizeof(msg), "Invalid URL (%s %.200s)", m, p);
	reply_error(r, EMU_OPENAI, 404, msg, NULL, NULL, NULL);
}
