/* record.c: NDJSON records: read, splice, write, the record loop. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "progress.h"
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

json_t *
aas_json_lossy(const char *s, size_t n)
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

/*
 * The compact JSON text of a value, as json_dumps(v, JSON_COMPACT |
 * JSON_ENCODE_ANY | JSON_REAL_PRECISION(prec)) writes it, byte for byte,
 * without jansson's callback per piece (the records' hot path).
 */
/* aas_buf_add and aas_buf_addc without a call to grow each time: the
 * writer below adds a byte or a few at a time. */
static inline void
put_n(struct aas_buf *b, const char *p, size_t n)
{
	if (b->len + n >= b->cap)
		aas_buf_grow(b, n);
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static inline void
put_c(struct aas_buf *b, char c)
{
	if (b->len + 1 >= b->cap)
		aas_buf_grow(b, 1);
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

static int
text_string(struct aas_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *run;
	unsigned char c, c1;
	size_t k, i;
	char esc[6];

	put_c(b, '"');
	while (p < end) {
		run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (p > run)
			put_n(b, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		c = *p;
		if (c >= 0x80) {
			/* well-formed UTF-8 as it is; anything else fails,
			 * as it does in jansson */
			k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 &&
			    c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
			if (k == 0 || (size_t)(end - p) < k)
				return -1;
			c1 = p[1];
			if ((c == 0xe0 && c1 < 0xa0) ||
			    (c == 0xed && c1 > 0x9f) ||
			    (c == 0xf0 && c1 < 0x90) ||
			    (c == 0xf4 && c1 > 0x8f))
				return -1;
			for (i = 1; i < k; i++)
				if ((p[i] & 0xc0) != 0x80)
					return -1;
			put_n(b, (const char *)p, k);
			p += k;
			continue;
		}
		esc[0] = '\\';
		k = 2;
		switch (c) {
		case '"':	esc[1] = '"'; break;
		case '\\':	esc[1] = '\\'; break;
		case '\b':	esc[1] = 'b'; break;
		case '\f':	esc[1] = 'f'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\r':	esc[1] = 'r'; break;
		case '\t':	esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		}
		put_n(b, esc, k);
		p++;
	}
	put_c(b, '"');
	return 0;
}

/* A real as jansson writes it: %.*g, ".0" when it would read as an
 * integer, the exponent without '+' and leading zeros. */
static void
text_real(struct aas_buf *b, double d, int prec)
{
	char s[64], *e, *z;
	int n;

	n = snprintf(s, sizeof(s), "%.*g", prec > 0 ? prec : 17, d);
	if (n < 0 || (size_t)n >= sizeof(s) - 3)
		n = snprintf(s, sizeof(s), "%g", d);
	if (strchr(s, '.') == NULL && strchr(s, 'e') == NULL) {
		s[n++] = '.';
		s[n++] = '0';
		s[n] = '\0';
	}
	if ((e = strchr(s, 'e')) != NULL) {
		e++;
		z = e + 1;
		if (*e == '-')
			e++;
		while (*z == '0')
			z++;
		if (z != e)
			memmove(e, z, strlen(z) + 1);
	}
	put_n(b, s, strlen(s));
}

static int
text_value(struct aas_buf *b, const json_t *v, int prec, int depth)
{
	const char *key;
	json_t *m;
	void *it;
	size_t i, n;
	char num[32];

	if (depth > 2048)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put_c(b, '{');
		for (it = json_object_iter((json_t *)v), n = 0; it != NULL;
		    it = json_object_iter_next((json_t *)v, it), n++) {
			key = json_object_iter_key(it);
			m = json_object_iter_value(it);
			if (n > 0)
				put_c(b, ',');
			if (text_string(b, key, json_object_iter_key_len(it)) ==
			    -1)
				return -1;
			put_c(b, ':');
			if (text_value(b, m, prec, depth + 1) == -1)
				return -1;
		}
		put_c(b, '}');
		return 0;
	case JSON_ARRAY:
		put_c(b, '[');
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				put_c(b, ',');
			if (text_value(b, json_array_get(v, i), prec,
			    depth + 1) == -1)
				return -1;
		}
		put_c(b, ']');
		return 0;
	case JSON_STRING:
		return text_string(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		put_n(b, num, strlen(num));
		return 0;
	case JSON_REAL:
		text_real(b, json_real_value(v), prec);
		return 0;
	case JSON_TRUE:
		put_n(b, "true", 4);
		return 0;
	case JSON_FALSE:
		put_n(b, "false", 5);
		return 0;
	case JSON_NULL:
		put_n(b, "null", 4);
		return 0;
	}
	return -1;
}

int
aas_json_add(struct aas_buf *b, const json_t *v, int prec)
{
	return v == NULL ? -1 : text_value(b, v, prec, 0);
}

int
aas_json_add_string(struct aas_buf *b, const char *s, size_t n)
{
	return text_string(b, s, n);
}

void
aas_json_add_real(struct aas_buf *b, double d, int prec)
{
	text_real(b, d, prec);
}

char *
aas_json_text(const json_t *v, int prec, size_t *lenp)
{
	struct aas_buf b = AAS_BUF_INIT;
	char *s;

	if (v == NULL)
		return NULL;
	aas_buf_grow(&b, 256);
	if (text_value(&b, v, prec, 0) == -1) {
		/* what this does not write, jansson decides */
		aas_buf_free(&b);
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
		    JSON_REAL_PRECISION(prec));
		if (s != NULL && lenp != NULL)
			*lenp = strlen(s);
		return s;
	}
	return aas_buf_detach(&b, lenp);
}

static char *
dump(json_t *v, size_t *lenp)
{
	char *s = aas_json_text(v, 15, lenp);

	if (s == NULL) {
		s = aas_xstrdup("null");
		*lenp = 4;
	}
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
	json_object_set_new(rec->obj, "raw", aas_json_lossy(text, len));
	s = dump(rec->obj, &n);
	rec->line = s;
	rec->len = n;
	return -1;
}

/*
 * A parser for the common case of aas_rec_parse: the tree json_loadb
 * builds, made with the same calls jansson's parser makes (members set
 * in order with json_object_setn_new_nocheck, so a duplicate key ends as
 * it does there), without its reader callback per byte.  It takes only
 * what it is sure jansson takes the same way: strings of well-formed
 * UTF-8 without control characters or \u0000 and without a lone
 * surrogate, integers that fit json_int_t, true, false, null, up to
 * QUICK_DEPTH levels; anything else (a real, an error of any kind) is
 * left to json_loadb, whose answer and message are then the record's.
 */
#define QUICK_DEPTH	256

struct quick {
	const unsigned char *p, *end;
	struct aas_buf	 tmp;	/* a string with escapes, decoded */
};

static void
quick_ws(struct quick *q)
{
	while (q->p < q->end && (*q->p == ' ' || *q->p == '\t' ||
	    *q->p == '\n' || *q->p == '\r'))
		q->p++;
}

static int
quick_hex4(const unsigned char *p, long *v)
{
	int i, d;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* One UTF-8 sequence at p (first byte >= 0x80): its length, or 0 when
 * jansson would refuse it. */
static size_t
quick_utf8(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], c1;
	size_t k, i;

	k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
	    c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (k == 0 || (size_t)(end - p) < k)
		return 0;
	c1 = p[1];
	if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) ||
	    (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f))
		return 0;
	for (i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/* The string at q->p ('"'): *sp, *np its bytes (in the text, or in
 * q->tmp when it has escapes).  -1: not for this parser. */
static int
quick_string(struct quick *q, const char **sp, size_t *np)
{
	const unsigned char *p = q->p + 1, *run;
	unsigned char c, u[4];
	long v, v2;
	size_t k;
	int esc = 0;

	for (run = p;; ) {
		while (p < q->end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (p >= q->end)
			return -1;
		c = *p;
		if (c == '"')
			break;
		if (c >= 0x80) {
			if ((k = quick_utf8(p, q->end)) == 0)
				return -1;
			p += k;
			continue;
		}
		if (c < 0x20)
			return -1;
		/* a backslash: from here the string is decoded into tmp */
		if (!esc) {
			aas_buf_reset(&q->tmp);
			esc = 1;
		}
		aas_buf_add(&q->tmp, run, (size_t)(p - run));
		if (q->end - p < 2)
			return -1;
		switch (p[1]) {
		case '"': case '\\': case '/':
			aas_buf_addc(&q->tmp, p[1]);
			break;
		case 'b':
			aas_buf_addc(&q->tmp, '\b');
			break;
		case 'f':
			aas_buf_addc(&q->tmp, '\f');
			break;
		case 'n':
			aas_buf_addc(&q->tmp, '\n');
			break;
		case 'r':
			aas_buf_addc(&q->tmp, '\r');
			break;
		case 't':
			aas_buf_addc(&q->tmp, '\t');
			break;
		case 'u':
			if (q->end - p < 6 || quick_hex4(p + 2, &v) == -1 ||
			    v == 0 || (v >= 0xdc00 && v <= 0xdfff))
				return -1;
			if (v >= 0xd800 && v <= 0xdbff) {
				if (q->end - p < 12 || p[6] != '\\' ||
				    p[7] != 'u' || quick_hex4(p + 8, &v2) == -1 ||
				    v2 < 0xdc00 || v2 > 0xdfff)
					return -1;
				v = ((v - 0xd800) << 10) + (v2 - 0xdc00) +
				    0x10000;
				p += 6;
			}
			if (v < 0x80) {
				u[0] = (unsigned char)v;
				k = 1;
			} else if (v < 0x800) {
				u[0] = (unsigned char)(0xc0 | v >> 6);
				u[1] = (unsigned char)(0x80 | (v & 0x3f));
				k = 2;
			} else if (v < 0x10000) {
				u[0] = (unsigned char)(0xe0 | v >> 12);
				u[1] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
				u[2] = (unsigned char)(0x80 | (v & 0x3f));
				k = 3;
			} else {
				u[0] = (unsigned char)(0xf0 | v >> 18);
				u[1] = (unsigned char)(0x80 | (v >> 12 & 0x3f));
				u[2] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
				u[3] = (unsigned char)(0x80 | (v & 0x3f));
				k = 4;
			}
			aas_buf_add(&q->tmp, u, k);
			p += 4;
			break;
		default:
			return -1;
		}
		p += 2;
		run = p;
	}
	if (esc) {
		aas_buf_add(&q->tmp, run, (size_t)(p - run));
		*sp = q->tmp.s;
		*np = q->tmp.len;
	} else {
		*sp = (const char *)run;
		*np = (size_t)(p - run);
	}
	q->p = p + 1;
	return 0;
}

/* An integer as jansson's lexer takes it; NULL for anything else. */
static json_t *
quick_number(struct quick *q)
{
	const unsigned char *p = q->p;
	unsigned long long v = 0, lim;
	int neg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p >= q->end || *p < '0' || *p > '9')
		return NULL;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 :
	    (unsigned long long)LLONG_MAX;
	if (*p == '0')
		p++;
	else
		while (p < q->end && *p >= '0' && *p <= '9') {
			if (v > (lim - (unsigned)(*p - '0')) / 10)
				return NULL;
			v = v * 10 + (unsigned)(*p - '0');
			p++;
		}
	if (p < q->end && ((*p >= '0' && *p <= '9') || *p == '.' ||
	    *p == 'e' || *p == 'E'))
		return NULL;
	q->p = p;
	if (neg)
		return json_integer(v == (unsigned long long)LLONG_MAX +
		    1 ? -LLONG_MAX - 1 : -(json_int_t)v);
	return json_integer((json_int_t)v);
}

static json_t *
quick_value(struct quick *q, int depth)
{
	json_t *v, *m;
	const char *k;
	size_t kn, n;

	if (q->p >= q->end || depth > QUICK_DEPTH)
		return NULL;
	switch (*q->p) {
	case '{':
		v = json_object();
		q->p++;
		quick_ws(q);
		if (q->p < q->end && *q->p == '}') {
			q->p++;
			return v;
		}
		for (;;) {
			char *key;

			if (q->p >= q->end || *q->p != '"' ||
			    quick_string(q, &k, &kn) == -1)
				break;
			/* the key may be in tmp, which the value reuses */
			key = k == q->tmp.s ? aas_xstrndup(k, kn) : NULL;
			quick_ws(q);
			if (q->p >= q->end || *q->p != ':') {
				free(key);
				break;
			}
			q->p++;
			quick_ws(q);
			m = quick_value(q, depth + 1);
			if (m == NULL || json_object_setn_new_nocheck(v,
			    key != NULL ? key : k, kn, m) == -1) {
				free(key);
				break;
			}
			free(key);
			quick_ws(q);
			if (q->p < q->end && *q->p == ',') {
				q->p++;
				quick_ws(q);
				continue;
			}
			if (q->p < q->end && *q->p == '}') {
				q->p++;
				return v;
			}
			break;
		}
		json_decref(v);
		return NULL;
	case '[':
		v = json_array();
		q->p++;
		quick_ws(q);
		if (q->p < q->end && *q->p == ']') {
			q->p++;
			return v;
		}
		for (;;) {
			if ((m = quick_value(q, depth + 1)) == NULL ||
			    json_array_append_new(v, m) == -1)
				break;
			quick_ws(q);
			if (q->p < q->end && *q->p == ',') {
				q->p++;
				quick_ws(q);
				continue;
			}
			if (q->p < q->end && *q->p == ']') {
				q->p++;
				return v;
			}
			break;
		}
		json_decref(v);
		return NULL;
	case '"':
		if (quick_string(q, &k, &kn) == -1)
			return NULL;
		return json_stringn_nocheck(k, kn);
	case 't': case 'f': case 'n':
		k = *q->p == 't' ? "true" : *q->p == 'f' ? "false" : "null";
		n = strlen(k);
		if ((size_t)(q->end - q->p) < n || memcmp(q->p, k, n) != 0 ||
		    ((size_t)(q->end - q->p) > n && ((q->p[n] >= 'a' &&
		    q->p[n] <= 'z') || (q->p[n] >= 'A' && q->p[n] <= 'Z'))))
			return NULL;
		q->p += n;
		return *k == 't' ? json_true() : *k == 'f' ? json_false() :
		    json_null();
	default:
		return quick_number(q);
	}
}

int
aas_rec_parse_quick(struct aas_rec *rec, const char *text, size_t len,
    struct aas_err *e)
{
	struct quick q;
	json_t *o = NULL;

	q.p = (const unsigned char *)text;
	q.end = q.p + len;
	memset(&q.tmp, 0, sizeof(q.tmp));
	quick_ws(&q);
	if (q.p < q.end && *q.p == '{' && (o = quick_value(&q, 1)) != NULL) {
		quick_ws(&q);
		if (q.p != q.end) {
			json_decref(o);
			o = NULL;
		}
	}
	aas_buf_free(&q.tmp);
	if (o == NULL)
		return aas_rec_parse(rec, text, len, e);
	memset(rec, 0, sizeof(*rec));
	rec->line = aas_xstrndup(text, len);
	rec->len = len;
	rec->obj = o;
	return 0;
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

static void count_written(const struct aas_rec *);
static int write_failed(void);

/* Where aas_rec_add_text puts a member into an object's text: the
 * offset of its closing brace (0: not an object) and whether a comma
 * goes first. */
static size_t
add_at(const char *line, size_t len, int *comma)
{
	size_t end = len, i;

	while (end > 0 && line[end - 1] != '}')
		end--;
	i = skip_ws(line, 0, len);
	i = skip_ws(line, i + 1, len);
	if (end == 0 || i >= len)
		return 0;
	*comma = i < end - 1;
	return end - 1;
}

/* ,"key": (or "key": first in the object) into b. */
static void
add_key(struct aas_buf *b, const char *key, int comma)
{
	if (comma)
		aas_buf_addc(b, ',');
	(void)text_string(b, key, strlen(key));
	aas_buf_addc(b, ':');
}

void
aas_rec_add_text(struct aas_rec *rec, const char *key, const char *val,
    size_t vlen)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t at;
	int comma = 0;
	json_t *v;

	if ((at = add_at(rec->line, rec->len, &comma)) == 0) {
		/* not an object: as aas_rec_set would have it */
		v = json_loadb(val, vlen, JSON_DECODE_ANY, NULL);
		aas_rec_set(rec, key, v);
		json_decref(v);
		return;
	}
	add_key(&b, key, comma);
	rec->line = aas_xrealloc(rec->line, rec->len + b.len + vlen + 1);
	memmove(rec->line + at + b.len + vlen, rec->line + at, rec->len - at);
	memcpy(rec->line + at, b.s, b.len);
	memcpy(rec->line + at + b.len, val, vlen);
	rec->len += b.len + vlen;
	rec->line[rec->len] = '\0';
	aas_buf_free(&b);
}

int
aas_rec_put_with(FILE *out, const struct aas_rec *rec, const char *key,
    const char *val, size_t vlen)
{
	char kb[256];
	struct aas_buf b = { kb, 0, sizeof(kb) };
	struct aas_rec copy;
	size_t at;
	int comma = 0, rc;

	if ((at = add_at(rec->line, rec->len, &comma)) == 0 ||
	    strlen(key) > 32) {
		copy = *rec;
		copy.line = aas_xstrndup(rec->line, rec->len);
		copy.obj = NULL;
		aas_rec_add_text(&copy, key, val, vlen);
		count_written(rec);
		rc = aas_line_put(out, copy.line, copy.len);
		free(copy.line);
		return rc;
	}
	/* the key's text fits kb: no allocation */
	add_key(&b, key, comma);
	count_written(rec);
	if (fwrite(rec->line, 1, at, out) != at ||
	    fwrite(b.s, 1, b.len, out) != b.len ||
	    fwrite(val, 1, vlen, out) != vlen)
		return write_failed();
	return aas_line_put(out, rec->line + at, rec->len - at);
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
		    e->code, "message", aas_json_lossy(clean, strlen(clean)));
	aas_rec_set(rec, "error", err);
	json_decref(err);
	if (!aas_quiet)
		aas_msg("%s: %s", aas_rec_where(rec), clean);
	free(clean);
}

/* The longest record line read whole (max_record_bytes). */
static size_t rec_max = AAS_RECORD_MAX;

void
aas_record_set_max(size_t n)
{
	rec_max = n > 0 ? n : AAS_RECORD_MAX;
}

size_t
aas_record_max(void)
{
	return rec_max;
}

int
aas_record_config(const struct aas_config *cf, struct aas_err *e)
{
	long long v;
	int rc;

	if ((rc = aas_config_int(cf, "max_record_bytes", &v, e)) == -1)
		return -1;
	aas_record_set_max(rc == 0 && v > 0 ? (size_t)v : 0);
	return 0;
}

void
aas_reader_init(struct aas_reader *r, FILE *f, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->fd = -1;
	r->name = name != NULL ? name : "-";
	r->max = rec_max;
}

void
aas_reader_init_fd(struct aas_reader *r, int fd, const char *name)
{
	aas_reader_init(r, NULL, name);
	r->fd = fd;
}

static int
id_member(const char *key, size_t ks, size_t vs, size_t ve, void *arg)
{
	struct { const char *s; json_t *id; } *a = arg;
	json_t *v;

	(void)ks;
	if (strcmp(key, "id") != 0)
		return 0;
	v = json_loadb(a->s + vs, ve - vs, JSON_DECODE_ANY, NULL);
	if (json_is_string(v))
		a->id = v;
	else
		json_decref(v);
	return 1;
}

/* The id of the record that text (the first n bytes of an over-long
 * line) begins, if a top-level "id" string is in them; new reference. */
static json_t *
prefix_id(const char *text, size_t n)
{
	struct { const char *s; json_t *id; } a = { text, NULL };

	(void)aas_json_members(text, n, id_member, &a);
	return a.id;
}

/*
 * Over-long lines (longer than r->max): *longp is set, *np is the whole
 * length, r->long_id the id found in the first r->max bytes; the rest is
 * read past in chunks and never held.
 */

/* fd mode: the next line in *linep, *np, without its newline (1); 0: end
 * of input, or (!wait) no whole line ready; -1: read error or signal. */
/* Batch mode: what the loop wrote and holds goes out before the reader
 * may block (a record reaches the next stage no later than this one
 * waits for input). */
static int (*held_out)(void *);
static void *held_arg;

static int
fd_line(struct aas_reader *r, int wait, char **linep, size_t *np,
    int *longp)
{
	struct pollfd pfd;
	char *nl;
	size_t k;
	ssize_t n;

	for (;;) {
		nl = r->len > r->off ? memchr(r->buf + r->off, '\n',
		    r->len - r->off) : NULL;
		if (r->skip > 0) {
			/* passing the rest of an over-long line */
			k = nl != NULL ? (size_t)(nl - (r->buf + r->off)) :
			    r->len - r->off;
			r->skip += k;
			r->off += k + (nl != NULL);
			if (nl != NULL || r->eof) {
				*linep = NULL;
				*np = r->skip;
				*longp = 1;
				r->skip = 0;
				return 1;
			}
		} else if (nl != NULL || (r->eof && r->len > r->off)) {
			*linep = r->buf + r->off;
			*np = nl != NULL ? (size_t)(nl - *linep) :
			    r->len - r->off;
			r->off += *np + (nl != NULL);
			if ((*longp = *np > r->max))
				r->long_id = prefix_id(*linep, r->max);
			return 1;
		} else if (r->len - r->off > r->max) {
			/* no end in sight: keep the id, drop what is held */
			r->long_id = prefix_id(r->buf + r->off, r->max);
			r->skip = r->len - r->off;
			r->off = r->len;
		}
		if (r->eof)
			return 0;
		if (!wait) {
			pfd.fd = r->fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 0) != 1)
				return 0;
		} else if (held_out != NULL && held_out(held_arg) == -1)
			return -1;
		if (r->off > 0) {
			memmove(r->buf, r->buf + r->off, r->len - r->off);
			r->len -= r->off;
			r->off = 0;
		}
		if (r->cap - r->len < 65536) {
			/* a line up to the cap, and one read more */
			k = r->cap * 2 + 65536;
			r->cap = k < r->max + 65537 ? k : r->max + 65537;
			r->buf = aas_xrealloc(r->buf, r->cap);
		}
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (n == -1)
			return -1;
		if (n == 0)
			r->eof = 1;
		r->len += (size_t)n;
	}
}

/* stdio mode: the same, keeping at most r->max bytes of a line. */
static int
file_line(struct aas_reader *r, char **linep, size_t *np, int *longp)
{
	size_t n = 0, total = 0, k;
	int ch, any = 0, err;

	flockfile(r->f);
	while ((ch = getc_unlocked(r->f)) != EOF) {
		any = 1;
		if (ch == '\n')
			break;
		if (total++ >= r->max)
			continue;
		if (n + 1 >= r->cap) {
			k = r->cap * 2 + 4096;
			r->cap = k < r->max + 1 ? k : r->max + 1;
			r->buf = aas_xrealloc(r->buf, r->cap);
		}
		r->buf[n++] = (char)ch;
	}
	err = ch == EOF && ferror(r->f);
	funlockfile(r->f);
	if (err)
		return -1;
	if (!any) {
		r->eof = 1;
		return 0;
	}
	*linep = r->buf;
	*np = total;
	if ((*longp = total > r->max))
		r->long_id = prefix_id(r->buf, n);
	return 1;
}

/* The error record of an over-long line of len bytes. */
static void
too_long(struct aas_reader *r, struct aas_rec *rec, size_t len)
{
	char *msg = aas_xasprintf("%s:%zu: a record of %zu bytes, over "
	    "max_record_bytes (%zu): not read", r->name, r->lineno, len,
	    r->max);

	memset(rec, 0, sizeof(*rec));
	rec->bad = 1;
	rec->lineno = r->lineno;
	rec->obj = json_object();
	if (r->long_id != NULL)
		json_object_set_new(rec->obj, "id", r->long_id);
	r->long_id = NULL;
	json_object_set_new(rec->obj, "error", json_pack("{s:s, s:s, s:s}",
	    "stage", "input", "code", "too_long", "message", msg));
	rec->line = dump(rec->obj, &rec->len);
	if (!aas_quiet)
		aas_msg("%s", msg);
	free(msg);
}

static int
reader_get(struct aas_reader *r, int wait, struct aas_rec *rec)
{
	struct aas_err e;
	size_t len;
	char *line;
	int rc, islong;

	for (;;) {
		errno = 0;
		rc = r->fd >= 0 ? fd_line(r, wait, &line, &len, &islong) :
		    file_line(r, &line, &len, &islong);
		if (rc != 1)
			return rc;
		r->lineno++;
		if (islong) {
			too_long(r, rec, len);
			return 1;
		}
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (skip_ws(line, 0, len) == len)
			continue;	/* blank lines are skipped */
		rc = r->quick ? aas_rec_parse_quick(rec, line, len, &e) :
		    aas_rec_parse(rec, line, len, &e);
		rec->lineno = r->lineno;
		if (rc == -1 && !aas_quiet)
			aas_msg("%s:%zu: %s", r->name, r->lineno, e.msg);
		return 1;
	}
}

int
aas_reader_next(struct aas_reader *r, struct aas_rec *rec)
{
	return reader_get(r, 1, rec);
}

int
aas_reader_try(struct aas_reader *r, struct aas_rec *rec)
{
	if (r->fd < 0)
		return 0;
	return reader_get(r, 0, rec);
}

void
aas_reader_free(struct aas_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->len = r->off = 0;
	json_decref(r->long_id);
	r->long_id = NULL;
}

/* Count a record a stage writes itself: failed when its error is this
 * stage's ("aas-fetch" writes stage "fetch"). */
static void
count_written(const struct aas_rec *rec)
{
	const char *p = aas_getprogname(), *st;

	st = json_string_value(json_object_get(json_object_get(rec->obj,
	    "error"), "stage"));
	if (strncmp(p, "aas-", 4) == 0)
		p += 4;
	aas_progress_out(st != NULL && strcmp(st, p) == 0);
}

static int
write_failed(void)
{
	if (errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return -1;
}

int
aas_line_put(FILE *out, const char *line, size_t len)
{
	if (fwrite(line, 1, len, out) != len || putc('\n', out) == EOF)
		return write_failed();
	return 0;
}

int
aas_rec_put(FILE *out, const struct aas_rec *rec)
{
	count_written(rec);
	return aas_line_put(out, rec->line, rec->len);
}

int
aas_out_flush(FILE *out)
{
	return fflush(out) == EOF ? write_failed() : 0;
}

int
aas_rec_write(FILE *out, const struct aas_rec *rec)
{
	if (aas_rec_put(out, rec) == -1 || aas_out_flush(out) == -1)
		return -1;
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

/*
 * The loop's own state.  With jobs, mu guards everything below it; the
 * records a step emits wait in its job's "before" text until the job's
 * record goes out.
 */
struct job {
	struct aas_rec	 rec;
	struct aas_buf	 before;	/* emitted lines, each with '\n' */
	struct aas_err	 e;
	int		 rc;
	int		 done;
	struct job	*next;
	struct loop	*lp;
};

struct loop {
	struct aas_loop	*l;
	FILE		*out;
	int		 status;	/* RECORD once a record failed */
	int		 fatal, pipe_gone;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	long		 running;
	size_t		 pending;	/* jobs in the keep_order list */
	struct job	*head, *tail;
	pthread_t	*ended;		/* finished threads, to be joined */
	size_t		 nended;
	struct aas_reader r;		/* pull mode: the input */
	int		 pull_status;	/* pull mode: how reading ended (-1:
					   it goes on) */
	int		 held;		/* serial mode with hold */
};

/* The job whose step runs in this thread (NULL outside a step). */
static _Thread_local struct job *cur_job;

/* Write text (whole lines) and flush.  Serial mode: EPIPE kills us.
 * With jobs: EPIPE is noted, the steps are told to stop.  Batch mode
 * (an fd reader) leaves the lines in the buffer: the reader flushes
 * them before it blocks (held_out), and aas_finish_output at the end. */
static int
loop_write(struct loop *lp, const char *text, size_t len)
{
	if (lp->fatal)
		return -1;
	if (fwrite(text, 1, len, lp->out) == len && (lp->l->batch != NULL ||
	    lp->held || fflush(lp->out) != EOF))
		return 0;
	if (errno == EPIPE && lp->l->jobs <= 0) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	if (errno == EPIPE)
		lp->pipe_gone = 1;
	else
		aas_warn("write error");
	lp->fatal = 1;
	lp->l->cancel = 1;
	return -1;
}

int
aas_loop_emit(struct aas_loop *l, const struct aas_rec *rec,
    struct aas_err *e)
{
	struct loop *lp = l->priv;
	struct job *j = cur_job;
	struct aas_buf b = AAS_BUF_INIT;
	int rc = 0;

	if (j != NULL && j->lp == lp) {
		aas_buf_add(&j->before, rec->line, rec->len);
		aas_buf_addc(&j->before, '\n');
		return 0;
	}
	aas_buf_add(&b, rec->line, rec->len);
	aas_buf_addc(&b, '\n');
	if (l->jobs > 0)
		pthread_mutex_lock(&lp->mu);
	if (loop_write(lp, b.s, b.len) == -1)
		rc = aas_err_set(e, "io", "write error");
	else {
		l->nout++;
		aas_progress_out(0);
	}
	if (l->jobs > 0)
		pthread_mutex_unlock(&lp->mu);
	aas_buf_free(&b);
	return rc;
}

/* The record's outcome (rc as a step returns it) and, unless fatal, the
 * record itself after what its step emitted.  With jobs, mu is held. */
static void
put(struct loop *lp, struct job *j)
{
	if (j->before.len > 0 &&
	    loop_write(lp, j->before.s, j->before.len) == -1)
		return;
	if (j->rc == -1) {
		aas_msg("%s: %s", aas_rec_where(&j->rec), j->e.msg);
		lp->fatal = 1;
		lp->l->cancel = 1;
		return;
	}
	if (j->rc == AAS_LOOP_DROP)
		return;
	if (j->rc == 1) {
		lp->l->nfailed++;
		lp->status = AAS_EXIT_RECORD;
	}
	aas_buf_reset(&j->before);
	aas_buf_add(&j->before, j->rec.line, j->rec.len);
	aas_buf_addc(&j->before, '\n');
	if (loop_write(lp, j->before.s, j->before.len) == 0) {
		lp->l->nout++;
		aas_progress_out(j->rc == 1);
	}
}

static void
job_free(struct job *j)
{
	aas_rec_free(&j->rec);
	aas_buf_free(&j->before);
	free(j);
}

/* What the loop does with a record before any step (-1: give it to the
 * step): bad lines and records carrying an error. */
static int
pre(const struct aas_loop *l, const struct aas_rec *rec)
{
	if (rec->bad)
		return l->see_bad ? -1 : 1;
	if (json_object_get(rec->obj, "error") != NULL && !l->see_errors)
		return 0;
	return -1;
}

static void
run_step(struct loop *lp, struct job *j)
{
	cur_job = j;
	j->rc = lp->l->step(&j->rec, lp->l->arg, &j->e);
	cur_job = NULL;
}

/* Read error, stop or end: the status the reading ends with (-1: go on). */
static int
read_failed(struct loop *lp, struct aas_reader *r)
{
	if (errno == EINTR && aas_stop_flag)
		return AAS_EXIT_STOPPED;
	aas_warn("%s: read error", r->name);
	return lp->l->nout > 0 || lp->fatal ? AAS_EXIT_FATAL : AAS_EXIT_USAGE;
}

static int
run_serial(struct loop *lp, struct aas_reader *r)
{
	struct aas_loop *l = lp->l;
	struct job j;
	int rc;

	memset(&j, 0, sizeof(j));
	j.lp = lp;
	for (;;) {
		if (lp->held ? aas_state_stop_poll(l->state) :
		    aas_state_stop_requested(l->state))
			return AAS_EXIT_STOPPED;
		rc = aas_reader_next(r, &j.rec);
		if (rc == 0) {
			aas_progress_total((long)l->nin);
			break;
		}
		if (rc == -1)
			return read_failed(lp, r);
		l->nin++;
		aas_progress_in(1);
		memset(&j.e, 0, sizeof(j.e));
		if ((j.rc = pre(l, &j.rec)) == -1)
			run_step(lp, &j);
		put(lp, &j);
		aas_rec_free(&j.rec);
		aas_buf_free(&j.before);
		if (lp->fatal)
			return AAS_EXIT_FATAL;
	}
	return lp->status;
}

/* Batch mode: the held lines out, before the reader blocks. */
static int
loop_flush(void *arg)
{
	struct loop *lp = arg;

	if (lp->fatal || fflush(lp->out) != EOF)
		return 0;
	if (errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	aas_warn("write error");
	lp->fatal = 1;
	return 0;
}

static int
run_batch(struct loop *lp, struct aas_reader *r)
{
	struct aas_loop *l = lp->l;
	size_t max = l->batch_max > 0 ? l->batch_max : 256, n, i;
	struct aas_rec *recs = aas_xcalloc(max, sizeof(*recs));
	struct aas_rec **ptrs = aas_xcalloc(max, sizeof(*ptrs));
	int *rcs = aas_xcalloc(max, sizeof(*rcs));
	struct aas_err e;
	struct job j;
	int rc, status = -1;

	memset(&j, 0, sizeof(j));
	j.lp = lp;
	held_out = loop_flush;
	held_arg = lp;
	while (status == -1) {
		if (lp->fatal) {
			status = AAS_EXIT_FATAL;
			break;
		}
		if (aas_state_stop_requested(l->state)) {
			status = AAS_EXIT_STOPPED;
			break;
		}
		/* a run of records already waiting is one batch */
		for (n = 0; n < max; n++) {
			rc = n == 0 ? aas_reader_next(r, &recs[n]) :
			    aas_reader_try(r, &recs[n]);
			if (rc == -1 && n == 0)
				status = read_failed(lp, r);
			if (rc != 1)
				break;
			ptrs[n] = &recs[n];
			rcs[n] = recs[n].bad ? 1 : 0;
		}
		if (n == 0) {
			if (status == -1) {
				aas_progress_total((long)l->nin);
				status = lp->status;
			}
			break;
		}
		l->nin += n;
		aas_progress_in((long)n);
		memset(&e, 0, sizeof(e));
		cur_job = &j;
		rc = l->batch(ptrs, rcs, n, l->arg, &e);
		cur_job = NULL;
		if (rc == -1) {
			aas_msg("%s", e.msg);
			lp->fatal = 1;
		}
		if (!lp->fatal && j.before.len > 0)
			(void)loop_write(lp, j.before.s, j.before.len);
		aas_buf_free(&j.before);
		for (i = 0; i < n; i++) {
			j.rec = recs[i];
			j.rc = recs[i].bad ? 1 : rcs[i];
			if (!lp->fatal)
				put(lp, &j);
			aas_buf_free(&j.before);
			aas_rec_free(&recs[i]);
		}
		if (lp->fatal)
			status = AAS_EXIT_FATAL;
	}
	(void)loop_flush(lp);
	held_out = NULL;
	if (lp->fatal)
		status = AAS_EXIT_FATAL;
	free(recs);
	free(ptrs);
	free(rcs);
	return status;
}

/* With mu held: a job is finished; write what can be written. */
static void
job_done(struct loop *lp, struct job *j)
{
	j->done = 1;
	if (!lp->l->keep_order) {
		put(lp, j);
		job_free(j);
		return;
	}
	while (lp->head != NULL && lp->head->done) {
		j = lp->head;
		lp->head = j->next;
		if (lp->head == NULL)
			lp->tail = NULL;
		lp->pending--;
		if (!lp->fatal)
			put(lp, j);
		job_free(j);
	}
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct loop *lp = j->lp;

	run_step(lp, j);
	pthread_mutex_lock(&lp->mu);
	lp->running--;
	lp->ended = aas_xreallocarray(lp->ended, lp->nended + 1,
	    sizeof(*lp->ended));
	lp->ended[lp->nended++] = pthread_self();
	job_done(lp, j);
	pthread_cond_broadcast(&lp->cv);
	pthread_mutex_unlock(&lp->mu);
	return NULL;
}

/* With mu held: join the threads that have finished (joined, not
 * detached, so that every one is gone before the loop returns). */
static void
reap(struct loop *lp)
{
	while (lp->nended > 0)
		pthread_join(lp->ended[--lp->nended], NULL);
}

/* With mu held: wait a tick for a step to end, noticing signals. */
static void
tick(struct loop *lp)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&lp->cv, &lp->mu, &ts);
	reap(lp);
	aas_progress_tick();
	if (aas_stop_flag)
		lp->l->cancel = 1;
}

static int
start_worker(struct job *j)
{
	pthread_t th;

	/* signals go to the reading thread, whose read they interrupt */
	return aas_thread_start(&th, worker, j);
}

static int
run_jobs(struct loop *lp, struct aas_reader *r)
{
	struct aas_loop *l = lp->l;
	struct job *j;
	int rc, status = -1, fatal;

	while (status == -1) {
		pthread_mutex_lock(&lp->mu);
		while (!lp->fatal && !aas_state_stop_requested(l->state) &&
		    (lp->running >= l->jobs ||
		    lp->pending >= (size_t)l->jobs + 64))
			tick(lp);
		fatal = lp->fatal;	/* a worker sets it, under the lock */
		pthread_mutex_unlock(&lp->mu);
		if (fatal)
			break;
		if (aas_state_stop_requested(l->state)) {
			status = AAS_EXIT_STOPPED;
			break;
		}
		j = aas_xcalloc(1, sizeof(*j));
		j->lp = lp;
		rc = aas_reader_next(r, &j->rec);
		if (rc <= 0) {
			free(j);
			if (rc == -1)
				status = read_failed(lp, r);
			else
				aas_progress_total((long)l->nin);
			break;
		}
		l->nin++;
		aas_progress_in(1);
		if ((j->rc = pre(l, &j->rec)) == -1)
			j->rc = l->dispatch != NULL ?
			    l->dispatch(&j->rec, l->arg, &j->e) :
			    AAS_LOOP_ASYNC;
		pthread_mutex_lock(&lp->mu);
		if (l->keep_order) {
			if (lp->tail != NULL)
				lp->tail->next = j;
			else
				lp->head = j;
			lp->tail = j;
			lp->pending++;
		}
		if (j->rc == AAS_LOOP_ASYNC) {
			lp->running++;
			if (start_worker(j) != 0) {
				lp->running--;
				pthread_mutex_unlock(&lp->mu);
				run_step(lp, j);
				pthread_mutex_lock(&lp->mu);
				job_done(lp, j);
			}
		} else
			job_done(lp, j);
		pthread_mutex_unlock(&lp->mu);
	}
	if (aas_stop_flag)
		l->cancel = 1;
	pthread_mutex_lock(&lp->mu);
	while (lp->running > 0)
		tick(lp);
	reap(lp);
	/* after a fatal error the jobs still queued are dropped */
	while ((j = lp->head) != NULL) {
		lp->head = j->next;
		job_free(j);
	}
	pthread_mutex_unlock(&lp->mu);
	free(lp->ended);
	if (lp->fatal)
		return AAS_EXIT_FATAL;
	if (status != -1)
		return status;
	if (aas_stop_flag)
		return AAS_EXIT_STOPPED;
	return lp->status;
}

int
aas_loop_run(struct aas_loop *l, FILE *in, const char *inname, FILE *out)
{
	struct aas_reader r;
	struct loop lp;
	sigset_t pipe_set;
	int status;

	memset(&lp, 0, sizeof(lp));
	lp.l = l;
	lp.out = out;
	lp.status = AAS_EXIT_OK;
	l->priv = &lp;
	aas_progress_total_of(in);
	if (l->batch != NULL) {
		aas_reader_init_fd(&r, fileno(in), inname);
		r.quick = l->quick;
		status = run_batch(&lp, &r);
	} else if (l->jobs <= 0 && l->hold) {
		aas_reader_init_fd(&r, fileno(in), inname);
		r.quick = l->quick;
		lp.held = 1;
		held_out = loop_flush;
		held_arg = &lp;
		status = run_serial(&lp, &r);
		if (lp.fatal)
			(void)fflush(out);
		else
			(void)loop_flush(&lp);
		held_out = NULL;
		if (lp.fatal)
			status = AAS_EXIT_FATAL;
	} else if (l->jobs <= 0) {
		aas_reader_init(&r, in, inname);
		r.quick = l->quick;
		status = run_serial(&lp, &r);
	} else {
		aas_reader_init(&r, in, inname);
		r.quick = l->quick;
		pthread_mutex_init(&lp.mu, NULL);
		pthread_cond_init(&lp.cv, NULL);
		/* a closed stdout must not kill us before the steps are
		 * stopped: EPIPE is seen, they are cancelled, then SIGPIPE */
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
		status = run_jobs(&lp, &r);
		if (lp.pipe_gone) {
			signal(SIGPIPE, SIG_DFL);
			pthread_sigmask(SIG_UNBLOCK, &pipe_set, NULL);
			raise(SIGPIPE);
		}
		pthread_sigmask(SIG_UNBLOCK, &pipe_set, NULL);
		pthread_mutex_destroy(&lp.mu);
		pthread_cond_destroy(&lp.cv);
	}
	aas_reader_free(&r);
	l->priv = NULL;
	return status;
}

/* Pull mode: the same pieces as run_jobs, with the stage as the worker. */
void
aas_loop_begin(struct aas_loop *l, FILE *in, const char *inname, FILE *out)
{
	struct loop *lp = aas_xcalloc(1, sizeof(*lp));

	lp->l = l;
	lp->out = out;
	lp->status = AAS_EXIT_OK;
	lp->pull_status = -1;
	aas_progress_total_of(in);
	aas_reader_init(&lp->r, in, inname);
	lp->r.quick = l->quick;
	l->priv = lp;
}

/* Queue j (with keep_order, in input order) and, unless it is out with
 * the stage, finish it. */
static void
pull_queue(struct loop *lp, struct job *j)
{
	if (lp->l->keep_order) {
		if (lp->tail != NULL)
			lp->tail->next = j;
		else
			lp->head = j;
		lp->tail = j;
		lp->pending++;
	}
	if (j->rc != AAS_LOOP_ASYNC)
		job_done(lp, j);
}

int
aas_loop_next(struct aas_loop *l, struct aas_rec **recp)
{
	struct loop *lp = l->priv;
	struct job *j;
	int rc;

	*recp = NULL;
	while (!lp->fatal && lp->pull_status == -1) {
		if (aas_state_stop_requested(l->state)) {
			lp->pull_status = AAS_EXIT_STOPPED;
			break;
		}
		j = aas_xcalloc(1, sizeof(*j));
		j->lp = lp;
		rc = aas_reader_next(&lp->r, &j->rec);
		if (rc <= 0) {
			free(j);
			lp->pull_status = rc == -1 ? read_failed(lp, &lp->r) :
			    AAS_EXIT_OK;
			if (rc == 0)
				aas_progress_total((long)l->nin);
			break;
		}
		l->nin++;
		aas_progress_in(1);
		j->rc = pre(l, &j->rec);
		if (j->rc == -1)
			j->rc = AAS_LOOP_ASYNC;
		rc = j->rc;
		pull_queue(lp, j);	/* j may be gone */
		if (rc == AAS_LOOP_ASYNC) {
			*recp = &j->rec;
			return 1;
		}
	}
	return 0;
}

void
aas_loop_done(struct aas_loop *l, struct aas_rec *rec, int rc,
    const struct aas_err *e)
{
	struct loop *lp = l->priv;
	struct job *j = (struct job *)rec;	/* rec is a job's first member */

	j->rc = rc;
	if (rc == -1 && e != NULL)
		j->e = *e;
	else if (rc == -1)
		aas_err_set(&j->e, "internal", "failed");
	job_done(lp, j);
}

int
aas_loop_end(struct aas_loop *l)
{
	struct loop *lp = l->priv;
	struct job *j;
	int status;

	/* what is done is written in order; what never came back is not */
	while ((j = lp->head) != NULL) {
		lp->head = j->next;
		if (j->done && !lp->fatal)
			put(lp, j);
		job_free(j);
	}
	lp->tail = NULL;
	aas_reader_free(&lp->r);
	if (lp->fatal)
		status = AAS_EXIT_FATAL;
	else if (lp->pull_status != -1 && lp->pull_status != AAS_EXIT_OK)
		status = lp->pull_status;
	else if (aas_stop_flag)
		status = AAS_EXIT_STOPPED;
	else
		status = lp->status;
	free(lp);
	l->priv = NULL;
	return status;
}
