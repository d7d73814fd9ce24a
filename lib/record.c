/* record.c: NDJSON records: read, splice, write, the record loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "record.h"
#include "state.h"
#include "banned.h"

static size_t
skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

/* s[*i] is '"'; leave *i just past the closing quote. */
static int
skip_string(const char *s, size_t *i, size_t n)
{
	size_t j = *i + 1;

	while (j < n) {
		if (s[j] == '\\')
			j += 2;
		else if (s[j] == '"') {
			*i = j + 1;
			return 0;
		} else
			j++;
	}
	return -1;
}

static int
skip_value(const char *s, size_t *i, size_t n)
{
	size_t j = *i;
	int depth = 0;

	if (j >= n)
		return -1;
	if (s[j] == '"')
		return skip_string(s, i, n);
	if (s[j] != '{' && s[j] != '[') {
		while (j < n && s[j] != ',' && s[j] != '}' && s[j] != ']' &&
		    s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r')
			j++;
		if (j == *i)
			return -1;
		*i = j;
		return 0;
	}
	while (j < n) {
		if (s[j] == '"') {
			if (skip_string(s, &j, n) == -1)
				return -1;
			continue;
		}
		if (s[j] == '{' || s[j] == '[')
			depth++;
		else if (s[j] == '}' || s[j] == ']') {
			if (--depth == 0) {
				*i = j + 1;
				return 0;
			}
		}
		j++;
	}
	return -1;
}

static char *
decode_key(const char *s, size_t len)
{
	json_t *j;
	char *k;

	if (memchr(s, '\\', len) == NULL)
		return aas_xstrndup(s + 1, len - 2);
	j = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (j == NULL || !json_is_string(j)) {
		json_decref(j);
		return aas_xstrndup(s + 1, len - 2);
	}
	k = aas_xstrdup(json_string_value(j));
	json_decref(j);
	return k;
}

int
aas_json_members(const char *s, size_t n,
    int (*cb)(const char *, size_t, size_t, size_t, void *), void *arg)
{
	size_t i, kstart, kend, vstart;
	char *key;
	int rc;

	i = skip_ws(s, 0, n);
	if (i >= n || s[i] != '{')
		return -1;
	i = skip_ws(s, i + 1, n);
	if (i < n && s[i] == '}')
		return 0;
	for (;;) {
		if (i >= n || s[i] != '"')
			return -1;
		kstart = i;
		if (skip_string(s, &i, n) == -1)
			return -1;
		kend = i;
		i = skip_ws(s, i, n);
		if (i >= n || s[i] != ':')
			return -1;
		i = skip_ws(s, i + 1, n);
		vstart = i;
		if (skip_value(s, &i, n) == -1)
			return -1;
		key = decode_key(s + kstart, kend - kstart);
		rc = cb(key, kstart, vstart, i, arg);
		free(key);
		if (rc != 0)
			return rc;
		i = skip_ws(s, i, n);
		if (i < n && s[i] == ',') {
			i = skip_ws(s, i + 1, n);
			continue;
		}
		if (i < n && s[i] == '}')
			return 0;
		return -1;
	}
}

void
aas_utf8_lossy(struct aas_buf *b, const char *s, size_t n, int nul)
{
	size_t i, k, need;
	unsigned char c;
	json_t *t;
	int ok;

	for (i = 0; i < n; ) {
		c = (unsigned char)s[i];
		if (c < 0x80) {
			aas_buf_addc(b, c == '\0' && nul ? nul : c);
			i++;
			continue;
		}
		need = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 :
		    (c & 0xf8) == 0xf0 ? 3 : 0;
		ok = need > 0 && i + need < n;
		for (k = 1; ok && k <= need; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				ok = 0;
		/* overlong forms and surrogates: let jansson judge */
		if (ok && (t = json_stringn(s + i, need + 1)) != NULL) {
			json_decref(t);
			aas_buf_add(b, s + i, need + 1);
			i += need + 1;
		} else {
			aas_buf_adds(b, "\xef\xbf\xbd");
			i++;
		}
	}
}

/* Any raw line as a JSON string, invalid UTF-8 as U+FFFD. */
static json_t *
lossy_string(const char *s, size_t n)
{
	struct aas_buf b = AAS_BUF_INIT;
	json_t *j;

	if ((j = json_stringn(s, n)) != NULL)
		return j;
	aas_utf8_lossy(&b, s, n, 0);
	j = json_stringn(b.s != NULL ? b.s : "", b.len);
	aas_buf_free(&b);
	return j;
}

static char *
dump(json_t *v, size_t *lenp)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(15));

	if (s == NULL) {
		s = aas_xstrdup("null");
	}
	*lenp = strlen(s);
	return s;
}

int
aas_rec_parse(struct aas_rec *rec, const char *text, size_t len,
    struct aas_err *e)
{
	struct aas_err local;
	json_error_t jerr;
	json_t *o, *err, *id = NULL;
	char *s;
	size_t n;

	memset(rec, 0, sizeof(*rec));
	o = json_loadb(text, len, 0, &jerr);
	if (o == NULL && strstr(jerr.text, "too big") != NULL)
		o = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (o != NULL && json_is_object(o)) {
		rec->line = aas_xstrndup(text, len);
		rec->len = len;
		rec->obj = o;
		return 0;
	}
	if (e == NULL)
		e = &local;
	if (o != NULL)
		aas_err_set(e, "bad_json", "not a JSON object");
	else if (strstr(jerr.text, "JSON_ALLOW_NUL") != NULL) {
		/* refused (a NUL would cut every C string made of it), but
		 * the error record keeps the task's id */
		aas_err_set(e, "bad_json", "the string ending at column %d "
		    "holds a NUL character (\\u0000)", jerr.column);
		o = json_loadb(text, len, JSON_ALLOW_NUL |
		    JSON_DECODE_INT_AS_REAL, NULL);
		id = json_object_get(o, "id");
		if (json_is_string(id) && strlen(json_string_value(id)) ==
		    json_string_length(id))
			id = json_incref(id);
		else
			id = NULL;
	} else
		aas_err_set(e, "bad_json", "%s at column %d", jerr.text,
		    jerr.column);
	json_decref(o);
	rec->bad = 1;
	rec->obj = json_object();
	if (id != NULL)
		json_object_set_new(rec->obj, "id", id);
	err = json_pack("{s:s, s:s, s:s?}", "stage", "input", "code",
	    "bad_json", "message", e->msg);
	json_object_set_new(rec->obj, "error", err);
	json_object_set_new(rec->obj, "raw", lossy_string(text, len));
	s = dump(rec->obj, &n);
	rec->line = s;
	rec->len = n;
	return -1;
}

void
aas_rec_from_json(struct aas_rec *rec, json_t *obj)
{
	memset(rec, 0, sizeof(*rec));
	rec->obj = json_incref(obj);
	rec->line = dump(obj, &rec->len);
}

void
aas_rec_free(struct aas_rec *rec)
{
	free(rec->line);
	json_decref(rec->obj);
	memset(rec, 0, sizeof(*rec));
}

struct span {
	size_t	kstart, vstart, vend;
};

struct find {
	const char *key;
	struct span *v;
	size_t	 n;
};

static int
find_cb(const char *key, size_t ks, size_t vs, size_t ve, void *arg)
{
	struct find *f = arg;

	if (strcmp(key, f->key) == 0) {
		f->v = aas_xreallocarray(f->v, f->n + 1, sizeof(*f->v));
		f->v[f->n].kstart = ks;
		f->v[f->n].vstart = vs;
		f->v[f->n].vend = ve;
		f->n++;
	}
	return 0;
}

static int
count_cb(const char *key, size_t ks, size_t vs, size_t ve, void *arg)
{
	(void)key, (void)ks, (void)vs, (void)ve;
	(*(size_t *)arg)++;
	return 0;
}

static void
replace_text(struct aas_rec *rec, size_t from, size_t to, const char *with,
    size_t wlen)
{
	struct aas_buf b = AAS_BUF_INIT;

	aas_buf_grow(&b, rec->len - (to - from) + wlen);
	aas_buf_add(&b, rec->line, from);
	aas_buf_add(&b, with, wlen);
	aas_buf_add(&b, rec->line + to, rec->len - to);
	free(rec->line);
	rec->line = aas_buf_detach(&b, &rec->len);
}

void
aas_rec_set(struct aas_rec *rec, const char *key, json_t *val)
{
	struct find f = { key, NULL, 0 };
	struct aas_buf b = AAS_BUF_INIT;
	json_t *jk;
	char *v, *k;
	size_t vlen, klen, end, members = 0;

	json_object_set(rec->obj, key, val);
	v = dump(val, &vlen);
	if (aas_json_members(rec->line, rec->len, find_cb, &f) == 0 &&
	    f.n > 0) {
		replace_text(rec, f.v[f.n - 1].vstart, f.v[f.n - 1].vend, v,
		    vlen);
		free(f.v);
		free(v);
		return;
	}
	free(f.v);
	if (aas_json_members(rec->line, rec->len, count_cb, &members) != 0) {
		/* Not reachable for a parsed record; rebuild to stay valid. */
		free(rec->line);
		rec->line = dump(rec->obj, &rec->len);
		free(v);
		return;
	}
	end = rec->len;
	while (end > 0 && rec->line[end - 1] != '}')
		end--;
	jk = json_string(key);
	k = dump(jk, &klen);
	json_decref(jk);
	if (members > 0)
		aas_buf_addc(&b, ',');
	aas_buf_add(&b, k, klen);
	aas_buf_addc(&b, ':');
	aas_buf_add(&b, v, vlen);
	replace_text(rec, end - 1, end - 1, b.s, b.len);
	aas_buf_free(&b);
	free(k);
	free(v);
}

void
aas_rec_del(struct aas_rec *rec, const char *key)
{
	struct find f = { key, NULL, 0 };
	size_t i, from, to, j;

	json_object_del(rec->obj, key);
	for (;;) {
		f.n = 0;
		if (aas_json_members(rec->line, rec->len, find_cb, &f) != 0 ||
		    f.n == 0)
			break;
		i = f.n - 1;
		from = f.v[i].kstart;
		to = f.v[i].vend;
		j = skip_ws(rec->line, to, rec->len);
		if (j < rec->len && rec->line[j] == ',') {
			to = skip_ws(rec->line, j + 1, rec->len);
		} else {
			/* last member: eat the comma before it, if any */
			j = from;
			while (j > 0 && (rec->line[j - 1] == ' ' ||
			    rec->line[j - 1] == '\t' || rec->line[j - 1] == '\n' ||
			    rec->line[j - 1] == '\r'))
				j--;
			if (j > 0 && rec->line[j - 1] == ',')
				from = j - 1;
		}
		replace_text(rec, from, to, "", 0);
	}
	free(f.v);
}

const char *
aas_rec_str(const struct aas_rec *rec, const char *key)
{
	return json_string_value(json_object_get(rec->obj, key));
}

json_t *
aas_rec_get(const struct aas_rec *rec, const char *key)
{
	return json_object_get(rec->obj, key);
}

json_t *
aas_rec_path(const struct aas_rec *rec, const char *path)
{
	json_t *j = rec->obj;
	const char *p = path, *dot;
	char part[128];
	size_t n;

	while (j != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		j = json_object_get(j, part);
		p += n + (dot != NULL);
	}
	return j;
}

const char *
aas_rec_where(const struct aas_rec *rec)
{
	static _Thread_local char buf[48];
	const char *id = aas_rec_str(rec, "id");

	if (id != NULL && *id != '\0')
		return id;
	snprintf(buf, sizeof(buf), "line %zu", rec->lineno);
	return buf;
}

void
aas_rec_fail(struct aas_rec *rec, const char *stage, const char *code,
    const char *fmt, ...)
{
	struct aas_err e;
	va_list ap;

	snprintf(e.code, sizeof(e.code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	aas_rec_fail_err(rec, stage, &e);
}

void
aas_rec_fail_err(struct aas_rec *rec, const char *stage,
    const struct aas_err *e)
{
	json_t *err;
	char *clean = aas_redact(e->msg);

	err = json_pack("{s:s, s:s, s:s}", "stage", stage, "code", e->code,
	    "message", clean);
	if (err == NULL)	/* message not UTF-8 */
		err = json_pack("{s:s, s:s, s:o}", "stage", stage, "code",
		    e->code, "message", lossy_string(clean, strlen(clean)));
	aas_rec_set(rec, "error", err);
	json_decref(err);
	if (!aas_quiet)
		aas_msg("%s: %s", aas_rec_where(rec), clean);
	free(clean);
}

void
aas_reader_init(struct aas_reader *r, FILE *f, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->name = name != NULL ? name : "-";
}

int
aas_reader_next(struct aas_reader *r, struct aas_rec *rec)
{
	struct aas_err e;
	ssize_t n;
	size_t len;
	int rc;

	for (;;) {
		errno = 0;
		n = getline(&r->buf, &r->cap, r->f);
		if (n == -1) {
			if (ferror(r->f))
				return -1;
			r->eof = 1;
			return 0;
		}
		r->lineno++;
		len = (size_t)n;
		if (len > 0 && r->buf[len - 1] == '\n')
			len--;
		if (len > 0 && r->buf[len - 1] == '\r')
			len--;
		if (skip_ws(r->buf, 0, len) == len)
			continue;	/* blank lines are skipped */
		rc = aas_rec_parse(rec, r->buf, len, &e);
		rec->lineno = r->lineno;
		if (rc == -1 && !aas_quiet)
			aas_msg("%s:%zu: %s", r->name, r->lineno, e.msg);
		return 1;
	}
}

void
aas_reader_free(struct aas_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

int
aas_rec_write(FILE *out, const struct aas_rec *rec)
{
	if (fwrite(rec->line, 1, rec->len, out) != rec->len ||
	    putc('\n', out) == EOF || fflush(out) == EOF) {
		if (errno == EPIPE) {
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		return -1;
	}
	return 0;
}

int
aas_finish_output(FILE *out, int status)
{
	int bad = fflush(out) == EOF || ferror(out);

	if (fclose(out) == EOF)
		bad = 1;
	if (bad) {
		if (errno == EPIPE) {
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		/* a write error already reported makes the status fatal:
		 * one message for one failure */
		if (status != AAS_EXIT_FATAL)
			aas_warn("write error");
		return AAS_EXIT_FATAL;
	}
	return status;
}

int
aas_loop_run(struct aas_loop *l, FILE *in, const char *inname, FILE *out)
{
	struct aas_reader r;
	struct aas_rec rec;
	struct aas_err e;
	int rc, status = AAS_EXIT_OK;

	aas_reader_init(&r, in, inname);
	for (;;) {
		if (aas_state_stop_requested(l->state)) {
			status = AAS_EXIT_STOPPED;
			break;
		}
		rc = aas_reader_next(&r, &rec);
		if (rc == 0)
			break;
		if (rc == -1) {
			if (errno == EINTR && aas_stop_flag) {
				status = AAS_EXIT_STOPPED;
				break;
			}
			aas_warn("%s: read error", r.name);
			status = l->nout > 0 ? AAS_EXIT_FATAL : AAS_EXIT_USAGE;
			break;
		}
		l->nin++;
		if (rec.bad) {
			rc = 1;
		} else if (json_object_get(rec.obj, "error") != NULL &&
		    !l->see_errors) {
			rc = 0;
		} else {
			memset(&e, 0, sizeof(e));
			rc = l->step(&rec, l->arg, &e);
		}
		if (rc == -1) {
			aas_msg("%s: %s", aas_rec_where(&rec), e.msg);
			aas_rec_free(&rec);
			status = AAS_EXIT_FATAL;
			break;
		}
		if (rc == 1) {
			l->nfailed++;
			status = AAS_EXIT_RECORD;
		}
		if (aas_rec_write(out, &rec) == -1) {
			aas_warn("write error");
			aas_rec_free(&rec);
			status = AAS_EXIT_FATAL;
			break;
		}
		l->nout++;
		aas_rec_free(&rec);
	}
	aas_reader_free(&r);
	return status;
}
