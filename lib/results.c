/* results.c: provider results into records (results.h). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "price.h"
#include "provider.h"
#include "record.h"
#include "results.h"
#include "tasks.h"
#include "jscan.h"
#include "banned.h"

double
aas_result_usd(json_t *res, const struct aas_price *price, double discount)
{
	json_t *u = json_object_get(res, "usage");

	if (price == NULL)
		return 0;
	return aas_usd_round(aas_price_usd(price,
	    (long)json_integer_value(json_object_get(u, "input")),
	    (long)json_integer_value(json_object_get(u, "output")),
	    (long)json_integer_value(json_object_get(u, "cached")), discount));
}

json_t *
aas_response_key(json_t *res, const struct aas_price *price, double discount,
    double *usdp)
{
	json_t *u = json_object_get(res, "usage");
	long in, out, cached;
	double usd;

	in = (long)json_integer_value(json_object_get(u, "input"));
	out = (long)json_integer_value(json_object_get(u, "output"));
	cached = (long)json_integer_value(json_object_get(u, "cached"));
	usd = aas_result_usd(res, price, discount);
	*usdp = usd;
	return json_pack("{s:O?, s:O?, s:O?, s:{s:I, s:I, s:I}, s:o, s:O?}",
	    "status", json_object_get(res, "status_code"),
	    "text", json_object_get(res, "text"),
	    "finish_reason", json_object_get(res, "finish_reason"),
	    "usage", "input", (json_int_t)in, "output", (json_int_t)out,
	    "cached", (json_int_t)cached,
	    "usd", price ? json_real(usd) : json_null(),
	    "request_id", json_object_get(res, "request_id"));
}

json_t *
aas_response_key_n(json_t *res, const struct aas_price *price,
    double discount, size_t n, double *usdp)
{
	json_t *key = aas_response_key(res, price, discount, usdp);

	if (n > 1 && price != NULL)
		json_object_set_new(key, "usd", json_real(aas_usd_round(*usdp /
		    (double)n)));
	return key;
}

json_t *
aas_result_choice(json_t *res, size_t k)
{
	json_t *chs = json_object_get(res, "choices"), *ch, *r;
	const char *key;
	json_t *v;

	if (!json_is_array(chs))
		return k == 1 || !json_is_true(json_object_get(res, "ok")) ?
		    json_incref(res) : NULL;
	if (k < 1 || (ch = json_array_get(chs, k - 1)) == NULL)
		return NULL;
	r = json_deep_copy(res);
	json_object_del(r, "choices");
	json_object_del(r, "error");
	json_object_foreach(ch, key, v)
		json_object_set(r, key, v);
	return r;
}

void
aas_result_error(json_t *res, int batch_words, char buf[32],
    const char **codep, const char **msgp)
{
	json_t *err = json_object_get(res, "error");
	const char *code, *msg;

	code = json_string_value(json_object_get(err, "code"));
	msg = json_string_value(json_object_get(err, "message"));
	if (code == NULL) {
		snprintf(buf, 32, "http_%lld", (long long)json_integer_value(
		    json_object_get(res, "status_code")));
		code = buf;
	}
	if (batch_words && strcmp(code, "batch_expired") == 0)
		code = "expired";
	else if (batch_words && strcmp(code, "batch_cancelled") == 0)
		code = "cancelled";
	*codep = code;
	*msgp = msg ? msg : "request failed";
}

void
aas_results_missing(json_t *b, const char **code, char *msg, size_t size)
{
	const char *status = json_string_value(json_object_get(b, "status"));
	json_t *errs = json_object_get(b, "errors");
	const char *m;

	if (status == NULL)
		status = "";
	if (strcmp(status, "expired") == 0) {
		*code = "expired";
		snprintf(msg, size, "batch expired before this task ran");
	} else if (strcmp(status, "cancelled") == 0) {
		*code = "cancelled";
		snprintf(msg, size, "batch cancelled before this task ran");
	} else if (strcmp(status, "failed") == 0) {
		*code = "batch_failed";
		m = json_string_value(json_object_get(json_array_get(errs, 0),
		    "message"));
		snprintf(msg, size, "batch failed%s%s", m ? ": " : "",
		    m ? m : "");
	} else {
		*code = "missing_result";
		snprintf(msg, size, "no result for this task in batch %s",
		    json_string_value(json_object_get(b, "id")));
	}
}

/* One part of a download being checked: the lines that start in
 * [from, to), to -1 for the end of the file. */
struct part {
	const char	*path;
	off_t		 from, to;
	int		 whole, secret;
};

static void *
check_part(void *arg)
{
	struct part *pt = arg;
	FILE *f = fopen(pt->path, "re");
	char *line = NULL, *fbuf = NULL, top;
	size_t cap = 0;
	ssize_t n;
	off_t at = pt->from;

	pt->whole = f != NULL && fseeko(f, pt->from, SEEK_SET) == 0;
	pt->secret = 0;
	/* (glibc takes a size only with a buffer) */
	if (f != NULL && (fbuf = malloc(1 << 20)) != NULL)
		(void)setvbuf(f, fbuf, _IOFBF, 1 << 20);
	while (pt->whole && (pt->to < 0 || at < pt->to) &&
	    (n = getline(&line, &cap, f)) > 0) {
		at += n;
		if (line[n - 1] != '\n') {
			pt->whole = 0;
			break;
		}
		/* a blank line (CRLF ones too) is skipped */
		while (--n > 0 && line[n - 1] == '\r')
			;
		if (n == 0)
			continue;
		/* a NUL (jansson lets one stand after a number) would cut
		 * a line that redact_file writes again */
		if (memchr(line, '\0', (size_t)n) != NULL ||
		    aas_jscan_check(line, (size_t)n, &top) == -1 ||
		    top != '{')
			pt->whole = 0;
		else if (!pt->secret)
			pt->secret = aas_redact_hit(line, (size_t)n);
	}
	free(line);
	if (f != NULL)
		fclose(f);
	free(fbuf);
	return NULL;
}

/* A big file is checked in two halves on two threads: the check is all
 * that stands between the download and the first record. */
int
aas_results_whole(const char *path, int *secretp)
{
	struct part pt[2] = { { path, 0, -1, 0, 0 }, { path, 0, -1, 0, 0 } };
	struct stat sb;
	pthread_t th;
	char buf[65536], *nl;
	ssize_t n;
	int fd, two = 0;

	/* the second half starts at the first line that starts past the
	 * middle */
	if (stat(path, &sb) == 0 && sb.st_size >= 1 << 20 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = pread(fd, buf, sizeof(buf), sb.st_size / 2);
		if (n > 0 && (nl = memchr(buf, '\n', (size_t)n)) != NULL &&
		    sb.st_size / 2 + (nl - buf) + 1 < sb.st_size) {
			pt[0].to = pt[1].from = sb.st_size / 2 + (nl - buf) + 1;
			two = 1;
		}
		close(fd);
	}
	if (two && aas_thread_start(&th, check_part, &pt[1]) != 0) {
		two = 0;
		pt[0].to = -1;
	}
	check_part(&pt[0]);
	if (two)
		pthread_join(th, NULL);
	else
		pt[1].whole = 1;
	*secretp = pt[0].secret || pt[1].secret;
	return pt[0].whole && pt[1].whole;
}

/*
 * A whole download with a registered secret in it (an answer that
 * echoed the key) is written again with it redacted, through a
 * temporary file and rename, so no results file holds it.
 */
static int
redact_file(const char *path, struct aas_err *e)
{
	char *line = NULL, *clean, *tmp;
	size_t cap = 0;
	ssize_t n;
	FILE *in, *out;
	int rc = 0;

	if ((in = fopen(path, "re")) == NULL)
		return aas_err_set(e, "io", "%s: %s", path, strerror(errno));
	tmp = aas_xasprintf("%s.redact", path);
	if ((out = fopen(tmp, "we")) == NULL)
		rc = aas_err_set(e, "io", "%s: %s", tmp, strerror(errno));
	while (rc == 0 && (n = getline(&line, &cap, in)) > 0) {
		/* aas_results_whole let no line with a NUL through */
		clean = aas_redact(line);
		if (fputs(clean, out) == EOF)
			rc = aas_err_set(e, "io", "%s: %s", tmp,
			    strerror(errno));
		free(clean);
	}
	free(line);
	fclose(in);
	if (out != NULL) {
		if (rc == 0 && (fflush(out) == EOF || fsync(fileno(out)) == -1))
			rc = aas_err_set(e, "io", "%s: %s", tmp,
			    strerror(errno));
		fclose(out);
		if (rc == 0 && rename(tmp, path) == -1)
			rc = aas_err_set(e, "io", "%s: %s", path,
			    strerror(errno));
		if (rc != 0)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

int
aas_results_download(struct aas_provider *p, json_t *b, const char *which,
    const char *path, int *gotp, int *checkedp, struct aas_err *e)
{
	int i, secret;

	if (checkedp != NULL)
		*checkedp = 0;
	for (i = 0; i < 3; i++) {
		if (aas_provider_download(p, b, which, path, gotp, e) == -1)
			return -1;
		if (!*gotp)
			return 0;
		if (aas_results_whole(path, &secret)) {
			if (secret)
				return redact_file(path, e);
			if (checkedp != NULL)
				*checkedp = 1;
			return 0;
		}
		unlink(path);
	}
	return aas_err_set(e, "bad_result", "%s file still unreadable after "
	    "3 downloads", which);
}

/*
 * aas_results_match parses in a thread of its own while the caller's
 * thread matches and writes: parsing is half of aas-fetch's work, and
 * the two halves run on two cores.  Parsed lines go out in their order
 * through a ring; the lines come back through a second one to be freed
 * where they were made (a free in another thread's malloc arena would
 * contend for its lock on every line).
 */
#define RING	1024
#define WAKE	64	/* lines a waiting side is woken for, not one by one */

struct parsed {
	struct aas_result_line l;	/* l.res and l.buf NULL: no parse */
	char	*msg;			/* then why */
};

struct ring {
	pthread_mutex_t	 mu;
	pthread_cond_t	 put, get;
	struct parsed	 q[RING];
	size_t		 head, n;
	struct aas_result_line used[RING];	/* back for the reader */
	size_t		 nused;
	int		 done, quit, getting, putting;
	struct aas_provider *p;
	const struct aas_price *price;
	double		 discount;
	int		 checked;
	FILE		*f;
	struct aas_buf	 val, key;	/* the reader's scratch */
};

void
aas_result_line_free(struct aas_result_line *l)
{
	json_decref(l->res);
	free(l->buf);
	l->res = NULL;
	l->buf = NULL;
}

/* Free what came back; the caller holds the lock. */
static void
drop_used(struct ring *r)
{
	while (r->nused > 0)
		aas_result_line_free(&r->used[--r->nused]);
}

/* Put the reader's lines batch[0..n) into the ring; 0 when told to quit
 * (they are then freed). */
static int
ring_put(struct ring *r, struct parsed *batch, size_t n)
{
	size_t i;

	pthread_mutex_lock(&r->mu);
	drop_used(r);
	while (r->n + n > RING && !r->quit) {
		r->putting = 1;
		pthread_cond_wait(&r->put, &r->mu);
		r->putting = 0;
		drop_used(r);
	}
	if (r->quit) {
		pthread_mutex_unlock(&r->mu);
		for (i = 0; i < n; i++) {
			aas_result_line_free(&batch[i].l);
			free(batch[i].msg);
		}
		return 0;
	}
	for (i = 0; i < n; i++)
		r->q[(r->head + r->n++) % RING] = batch[i];
	if (r->getting)
		pthread_cond_signal(&r->get);
	pthread_mutex_unlock(&r->mu);
	return 1;
}

/* The decimal digits of v after the text lit (no printf: its cost is
 * the key's). */
static void
put_int(struct aas_buf *b, const char *lit, json_int_t v)
{
	char d[24], *p = d + sizeof(d);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	aas_buf_adds(b, lit);
	aas_buf_add(b, p, (size_t)(d + sizeof(d) - p));
}

/* A place in the line's buffer: its offset, then its pointer. */
static size_t
keep(struct aas_buf *b, const char *s, size_t n)
{
	size_t at = b->len;

	aas_buf_add(b, s, n);
	aas_buf_addc(b, '\0');
	return at;
}

int
aas_result_line_plain(const struct aas_provider *p, const char *s, size_t n,
    const struct aas_price *price, double discount, struct aas_buf *v,
    struct aas_buf *k, struct aas_result_line *l)
{
	struct aas_result_plain pl;
	size_t at[5], keylen;
	double usd = 0;

	memset(l, 0, sizeof(*l));
	if (!aas_provider_parse_plain(p, s, n, &pl))
		return 0;
	aas_buf_reset(v);
	aas_jscan_string(s, pl.content, v);
	if (aas_redact_hit(s, n) || aas_redact_hit(v->s, v->len))
		return 0;
	if (price != NULL)
		usd = aas_usd_round(aas_price_usd(price, (long)pl.in,
		    (long)pl.out, (long)pl.cached, discount));
	aas_buf_reset(k);
	put_int(k, "{\"status\":", pl.status);
	aas_buf_adds(k, ",\"text\":");
	if (aas_json_add_string(k, v->s, v->len) == -1)
		return 0;
	aas_buf_adds(k, ",\"finish_reason\":");
	if (pl.finish.end == pl.finish.start)
		aas_buf_adds(k, "null");
	else
		aas_buf_add(k, s + pl.finish.start, pl.finish.end -
		    pl.finish.start);
	put_int(k, ",\"usage\":{\"input\":", pl.in);
	put_int(k, ",\"output\":", pl.out);
	put_int(k, ",\"cached\":", pl.cached);
	aas_buf_adds(k, "},\"usd\":");
	if (price != NULL)
		aas_json_add_real(k, usd, 15);
	else
		aas_buf_adds(k, "null");
	aas_buf_adds(k, ",\"request_id\":");
	if (pl.rid.end - pl.rid.start > 2)
		aas_buf_add(k, s + pl.rid.start, pl.rid.end - pl.rid.start);
	else
		aas_buf_adds(k, "null");
	aas_buf_addc(k, '}');
	keylen = k->len;
	/* the values, for aas_result_line_res: without quotes */
	at[0] = keep(k, s + pl.cid.start + 1, pl.cid.end - pl.cid.start - 2);
	at[1] = keep(k, v->s, v->len);
	at[2] = pl.finish.end > pl.finish.start ? keep(k, s + pl.finish.start +
	    1, pl.finish.end - pl.finish.start - 2) : 0;
	at[3] = pl.rid.end - pl.rid.start > 2 ? keep(k, s + pl.rid.start + 1,
	    pl.rid.end - pl.rid.start - 2) : 0;
	at[4] = pl.model.end > pl.model.start ? keep(k, s + pl.model.start +
	    1, pl.model.end - pl.model.start - 2) : 0;
	l->buf = aas_xmalloc(k->len + 1);
	memcpy(l->buf, k->s, k->len + 1);
	l->res = NULL;
	l->key = l->buf;
	l->keylen = keylen;
	l->usd = usd;
	l->cid = l->buf + at[0];
	l->text = l->buf + at[1];
	l->textlen = v->len;
	l->finish = at[2] ? l->buf + at[2] : NULL;
	l->rid = at[3] ? l->buf + at[3] : NULL;
	l->model = at[4] ? l->buf + at[4] : NULL;
	l->status = pl.status;
	l->in = pl.in;
	l->out = pl.out;
	l->cached = pl.cached;
	return 1;
}

/* One line into *o: a plain answer, a result's tree, or why not. */
static void
parse(struct ring *r, const char *line, size_t n, struct parsed *o)
{
	struct aas_err e;
	char top;
	int rc;

	memset(o, 0, sizeof(*o));
	memset(&e, 0, sizeof(e));
	if (r->checked || (aas_jscan_check(line, n, &top) == 0 &&
	    top == '{')) {
		if (aas_result_line_plain(r->p, line, n, r->price,
		    r->discount, &r->val, &r->key, &o->l))
			return;
		rc = aas_provider_parse_checked(r->p, line, n, &o->l.res, &e);
	} else
		rc = aas_provider_parse_result(r->p, line, n, &o->l.res, &e);
	if (rc == -1) {
		o->l.res = NULL;
		o->msg = aas_xstrdup(e.msg);
		return;
	}
	o->l.cid = json_string_value(json_object_get(o->l.res, "custom_id"));
}

static void *
reader(void *arg)
{
	struct ring *r = arg;
	struct parsed batch[WAKE];
	char *line = NULL;
	size_t cap = 0, nb = 0;
	ssize_t n;
	int go = 1;

	while (go && (n = getline(&line, &cap, r->f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		parse(r, line, (size_t)n, &batch[nb]);
		if (++nb == WAKE) {
			go = ring_put(r, batch, nb);
			nb = 0;
		}
	}
	if (go && nb > 0)
		ring_put(r, batch, nb);
	free(line);
	aas_buf_free(&r->val);
	aas_buf_free(&r->key);
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	pthread_cond_signal(&r->get);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/*
 * Give back the lines used[0..nu) and take up to WAKE parsed lines
 * into got; their number, 0 at the end.
 */
static size_t
ring_take(struct ring *r, struct aas_result_line *used, size_t nu,
    struct parsed *got)
{
	size_t k = 0;

	pthread_mutex_lock(&r->mu);
	while (nu > 0) {
		if (r->nused == RING)
			drop_used(r);
		r->used[r->nused++] = used[--nu];
	}
	while (r->n == 0 && !r->done) {
		r->getting = 1;
		pthread_cond_wait(&r->get, &r->mu);
		r->getting = 0;
	}
	while (r->n > 0 && k < WAKE) {
		got[k++] = r->q[r->head];
		r->head = (r->head + 1) % RING;
		r->n--;
	}
	if (r->putting)
		pthread_cond_signal(&r->put);
	pthread_mutex_unlock(&r->mu);
	return k;
}

json_t *
aas_result_line_res(struct aas_result_line *l)
{
	json_t *r;

	if (l->res != NULL)
		return l->res;
	r = json_object();
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "status_code", json_integer(l->status));
	json_object_set_new(r, "text", json_stringn(l->text, l->textlen));
	json_object_set_new(r, "finish_reason", l->finish != NULL ?
	    json_string(l->finish) : json_null());
	json_object_set_new(r, "usage", json_pack("{s:I, s:I, s:I}", "input",
	    l->in, "output", l->out, "cached", l->cached));
	if (l->rid != NULL)
		json_object_set_new(r, "request_id", json_string(l->rid));
	if (l->model != NULL)
		json_object_set_new(r, "model", json_string(l->model));
	json_object_set_new(r, "custom_id", json_string(l->cid));
	l->res = r;
	return r;
}

int
aas_results_match(struct aas_provider *p, FILE *f, const char *name,
    struct aas_tasks *const *idx, size_t nidx,
    const struct aas_match_opts *o,
    int (*cb)(void *, size_t, size_t, struct aas_result_line *), void *arg)
{
	struct ring *r = aas_xcalloc(1, sizeof(*r));
	struct parsed got[WAKE];
	struct aas_result_line used[WAKE];
	pthread_t th;
	size_t j = 0, ng = 0, ig = 0, nu = 0;
	ssize_t slot;
	const char *cid;
	int rc = 0;

	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->put, NULL);
	pthread_cond_init(&r->get, NULL);
	r->p = p;
	r->f = f;
	if (o != NULL) {
		r->price = o->price;
		r->discount = o->discount;
		r->checked = o->checked;
	}
	/* signals (a stop) are this thread's to take */
	if (aas_thread_start(&th, reader, r) != 0) {
		pthread_cond_destroy(&r->put);
		pthread_cond_destroy(&r->get);
		pthread_mutex_destroy(&r->mu);
		free(r);
		aas_msg("%s: cannot start a thread", name);
		return -1;
	}
	while (rc == 0) {
		if (ig == ng) {
			ng = ring_take(r, used, nu, got);
			ig = nu = 0;
			if (ng == 0)
				break;
		}
		if (got[ig].l.res == NULL && got[ig].l.buf == NULL) {
			aas_msg("%s: %s", name, got[ig].msg);
			free(got[ig++].msg);
			continue;
		}
		cid = got[ig].l.cid;
		slot = -1;
		for (j = 0; cid != NULL && j < nidx; j++)
			if ((slot = aas_tasks_find(idx[j], cid)) >= 0)
				break;
		if (slot < 0) {
			if (!aas_quiet)
				aas_msg("%s: unknown custom_id %s", name,
				    cid ? cid : "(none)");
		} else if (!aas_tasks_marked(idx[j], (size_t)slot)) {
			aas_tasks_mark(idx[j], (size_t)slot);
			rc = cb(arg, j, (size_t)slot, &got[ig].l);
		}
		used[nu++] = got[ig].l;
		ig++;
	}
	pthread_mutex_lock(&r->mu);
	r->quit = 1;
	pthread_cond_signal(&r->put);
	pthread_mutex_unlock(&r->mu);
	pthread_join(th, NULL);
	while (nu > 0)
		aas_result_line_free(&used[--nu]);
	for (; ig < ng; ig++) {
		aas_result_line_free(&got[ig].l);
		free(got[ig].msg);
	}
	drop_used(r);
	while (r->n > 0) {
		aas_result_line_free(&r->q[r->head].l);
		free(r->q[r->head].msg);
		r->head = (r->head + 1) % RING;
		r->n--;
	}
	pthread_cond_destroy(&r->put);
	pthread_cond_destroy(&r->get);
	pthread_mutex_destroy(&r->mu);
	free(r);
	return rc;
}
