/* jscan.c: JSON text checked and walked in place (jscan.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "jscan.h"
#include "banned.h"

/* jansson's JSON_PARSER_MAX_DEPTH */
#define MAX_DEPTH	2048

struct ck {
	const unsigned char *s;
	size_t	 i, n;
};

static void
ck_ws(struct ck *c)
{
	while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
	    c->s[c->i] == '\n' || c->s[c->i] == '\r'))
		c->i++;
}

static int
hexval(unsigned char h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	return -1;
}

/* The 4 hex digits at s[i..i+4) into *v; -1 when they are not. */
static int
hex4(const struct ck *c, size_t i, unsigned *v)
{
	size_t k;
	int h;

	if (i + 4 > c->n)
		return -1;
	*v = 0;
	for (k = 0; k < 4; k++) {
		if ((h = hexval(c->s[i + k])) < 0)
			return -1;
		*v = *v << 4 | (unsigned)h;
	}
	return 0;
}

/* One UTF-8 sequence at s[i] (a byte of 0x80 or above), as jansson's
 * utf8_check_first and utf8_check_full judge it; its length or 0. */
static size_t
utf8_seq(const struct ck *c, size_t i)
{
	unsigned char u = c->s[i];
	unsigned long v;
	size_t len, k;

	if (u >= 0xc2 && u <= 0xdf) {
		len = 2;
		v = u & 0x1f;
	} else if (u >= 0xe0 && u <= 0xef) {
		len = 3;
		v = u & 0x0f;
	} else if (u >= 0xf0 && u <= 0xf4) {
		len = 4;
		v = u & 0x07;
	} else
		return 0;
	if (i + len > c->n)
		return 0;
	for (k = 1; k < len; k++) {
		u = c->s[i + k];
		if (u < 0x80 || u > 0xbf)
			return 0;
		v = v << 6 | (u & 0x3f);
	}
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) ||
	    (len == 3 && v < 0x800) || (len == 4 && v < 0x10000))
		return 0;
	return len;
}

/* s[i] is '"': past the closing quote, or -1. */
static int
ck_string(struct ck *c)
{
	unsigned v, w;
	size_t len;
	unsigned char ch;

	c->i++;
	for (;;) {
		if (c->i >= c->n)
			return -1;
		ch = c->s[c->i];
		if (ch == '"') {
			c->i++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch >= 0x80) {
			if ((len = utf8_seq(c, c->i)) == 0)
				return -1;
			c->i += len;
			continue;
		}
		if (ch != '\\') {
			c->i++;
			continue;
		}
		if (++c->i >= c->n)
			return -1;
		switch (c->s[c->i]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			c->i++;
			break;
		case 'u':
			if (hex4(c, c->i + 1, &v) == -1 || v == 0 ||
			    (v >= 0xdc00 && v <= 0xdfff))
				return -1;
			c->i += 5;
			if (v >= 0xd800 && v <= 0xdbff) {
				if (c->i + 1 >= c->n || c->s[c->i] != '\\' ||
				    c->s[c->i + 1] != 'u' ||
				    hex4(c, c->i + 2, &w) == -1 ||
				    w < 0xdc00 || w > 0xdfff)
					return -1;
				c->i += 6;
			}
			break;
		default:
			return -1;
		}
	}
}

static int
is_digit(const struct ck *c, size_t i)
{
	return i < c->n && c->s[i] >= '0' && c->s[i] <= '9';
}

/* A number as jansson's lexer takes it, and its value in range. */
static int
ck_number(struct ck *c)
{
	size_t start = c->i, digits;
	int real = 0, neg = 0, rc = 0;
	char buf[64], *p;
	double d;

	if (c->s[c->i] == '-') {
		neg = 1;
		c->i++;
	}
	if (!is_digit(c, c->i))
		return -1;
	if (c->s[c->i] == '0') {
		c->i++;
		if (is_digit(c, c->i))
			return -1;
	} else
		while (is_digit(c, c->i))
			c->i++;
	digits = c->i - start - (size_t)neg;
	if (c->i < c->n && c->s[c->i] == '.') {
		real = 1;
		if (!is_digit(c, ++c->i))
			return -1;
		while (is_digit(c, c->i))
			c->i++;
	}
	if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
		real = 1;
		c->i++;
		if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
			c->i++;
		if (!is_digit(c, c->i))
			return -1;
		while (is_digit(c, c->i))
			c->i++;
	}
	if (!real) {
		/* no leading zeros: 20 digits are past 9223372036854775807 */
		if (digits < 19)
			return 0;
		if (digits > 19)
			return -1;
		return memcmp(c->s + start + neg, neg ? "9223372036854775808" :
		    "9223372036854775807", 19) > 0 ? -1 : 0;
	}
	if (c->i - start < sizeof(buf)) {
		memcpy(buf, c->s + start, c->i - start);
		buf[c->i - start] = '\0';
		p = buf;
	} else
		p = aas_xstrndup((const char *)c->s + start, c->i - start);
	errno = 0;
	d = strtod(p, NULL);
	if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
		rc = -1;
	if (p != buf)
		free(p);
	return rc;
}

/*
 * jansson reads the byte after a number or a literal and puts it back;
 * a NUL put back is lost (its stream takes NUL for "nothing held"), so
 * one NUL right after them is skipped, as it is there.
 */
static void
ck_nul(struct ck *c)
{
	if (c->i < c->n && c->s[c->i] == '\0')
		c->i++;
}

static int
ck_word(struct ck *c, const char *w, size_t len)
{
	if (c->n - c->i < len || memcmp(c->s + c->i, w, len) != 0)
		return -1;
	c->i += len;
	ck_nul(c);
	return 0;
}

static int ck_value(struct ck *, int);

/* s[i] is '{' or '[' */
static int
ck_nest(struct ck *c, int depth)
{
	int obj = c->s[c->i] == '{';
	unsigned char close = obj ? '}' : ']';

	if (depth > MAX_DEPTH)
		return -1;
	c->i++;
	ck_ws(c);
	if (c->i < c->n && c->s[c->i] == close) {
		c->i++;
		return 0;
	}
	for (;;) {
		if (obj) {
			if (c->i >= c->n || c->s[c->i] != '"' ||
			    ck_string(c) == -1)
				return -1;
			ck_ws(c);
			if (c->i >= c->n || c->s[c->i] != ':')
				return -1;
			c->i++;
			ck_ws(c);
		}
		if (ck_value(c, depth) == -1)
			return -1;
		ck_ws(c);
		if (c->i >= c->n)
			return -1;
		if (c->s[c->i] == close) {
			c->i++;
			return 0;
		}
		if (c->s[c->i] != ',')
			return -1;
		c->i++;
		ck_ws(c);
	}
}

static int
ck_value(struct ck *c, int depth)
{
	if (c->i >= c->n)
		return -1;
	switch (c->s[c->i]) {
	case '{':
	case '[':
		return ck_nest(c, depth + 1);
	case '"':
		return ck_string(c);
	case 't':
		return ck_word(c, "true", 4);
	case 'f':
		return ck_word(c, "false", 5);
	case 'n':
		return ck_word(c, "null", 4);
	default:
		if (ck_number(c) == -1)
			return -1;
		ck_nul(c);
		return 0;
	}
}

int
aas_jscan_check(const char *s, size_t n, char *top)
{
	struct ck c = { (const unsigned char *)s, 0, n };

	ck_ws(&c);
	if (c.i >= n || (s[c.i] != '{' && s[c.i] != '['))
		return -1;
	if (top != NULL)
		*top = s[c.i];
	if (ck_nest(&c, 1) == -1)
		return -1;
	ck_ws(&c);
	return c.i == n ? 0 : -1;
}

/* Walking checked text. */

/* white space, and the NUL ck_nul lets stand after a number */
static size_t
ws(const char *s, size_t i, size_t end)
{
	while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r' || s[i] == '\0'))
		i++;
	return i;
}

/* Past the string whose opening quote is s[i]: the next quote that an
 * even run of backslashes (none, mostly) leaves unescaped. */
static size_t
skip_str(const char *s, size_t i, size_t end)
{
	const char *q;
	size_t b;

	for (i++; i < end; i++) {
		if ((q = memchr(s + i, '"', end - i)) == NULL)
			return end;
		i = (size_t)(q - s);
		for (b = i; s[b - 1] == '\\'; b--)
			;
		if ((i - b) % 2 == 0)
			return i + 1;
	}
	return end;
}

/* The bytes that matter inside a container being skipped. */
static const unsigned char nests[256] = {
	['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1,
};

/* Past the value that starts at s[i]. */
static size_t
skip_val(const char *s, size_t i, size_t end)
{
	size_t depth = 0;

	if (i >= end)
		return end;
	if (s[i] == '"')
		return skip_str(s, i, end);
	if (s[i] != '{' && s[i] != '[') {
		while (i < end && s[i] != ',' && s[i] != '}' && s[i] != ']' &&
		    s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r' && s[i] != '\0')
			i++;
		return i;
	}
	while (i < end) {
		while (i < end && !nests[(unsigned char)s[i]])
			i++;
		if (i == end)
			break;
		switch (s[i]) {
		case '"':
			i = skip_str(s, i, end);
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return i + 1;
			break;
		}
		i++;
	}
	return end;
}

struct aas_jspan
aas_jscan_doc(const char *s, size_t n)
{
	struct aas_jspan v;

	v.start = ws(s, 0, n);
	v.end = n;
	while (v.end > v.start && (s[v.end - 1] == ' ' ||
	    s[v.end - 1] == '\t' || s[v.end - 1] == '\n' ||
	    s[v.end - 1] == '\r'))
		v.end--;
	return v;
}

char
aas_jscan_kind(const char *s, struct aas_jspan v)
{
	char k;

	if (v.start >= v.end)
		return '\0';
	k = s[v.start];
	return k == '-' || (k >= '0' && k <= '9') ? '0' : k;
}

/* Whether the key text s[a..b) (with its quotes) names key. */
static int
key_is(const char *s, size_t a, size_t b, const char *key)
{
	size_t kl = strlen(key);
	json_t *j;
	int eq;

	if (memchr(s + a, '\\', b - a) == NULL)
		return b - a == kl + 2 && memcmp(s + a + 1, key, kl) == 0;
	j = json_loadb(s + a, b - a, JSON_DECODE_ANY, NULL);
	eq = json_is_string(j) && json_string_length(j) == kl &&
	    memcmp(json_string_value(j), key, kl) == 0;
	json_decref(j);
	return eq;
}

/*
 * The walk over an object's members or an array's items: w.i is where
 * the next one starts.  Each step gives its key (with the quotes; an
 * item has none) and value, and moves past them and their comma.
 */
struct walk {
	size_t	 i, end;
};

static int
walk_start(const char *s, struct aas_jspan v, char kind, struct walk *w)
{
	if (aas_jscan_kind(s, v) != kind)
		return -1;
	w->i = ws(s, v.start + 1, v.end);
	w->end = v.end;
	return 0;
}

static int
walk_member(const char *s, struct walk *w, struct aas_jspan *k,
    struct aas_jspan *v)
{
	size_t i = w->i;

	if (i >= w->end || s[i] != '"')
		return 0;
	k->start = i;
	k->end = skip_str(s, i, w->end);
	i = ws(s, k->end, w->end);
	if (i >= w->end || s[i] != ':')
		return 0;
	v->start = ws(s, i + 1, w->end);
	v->end = skip_val(s, v->start, w->end);
	i = ws(s, v->end, w->end);
	w->i = i < w->end && s[i] == ',' ? ws(s, i + 1, w->end) : w->end;
	return 1;
}

static int
walk_item(const char *s, struct walk *w, struct aas_jspan *v)
{
	size_t i = w->i;

	if (i >= w->end || s[i] == ']')
		return 0;
	v->start = i;
	v->end = skip_val(s, i, w->end);
	i = ws(s, v->end, w->end);
	w->i = i < w->end && s[i] == ',' ? ws(s, i + 1, w->end) : w->end;
	return 1;
}

int
aas_jscan_member(const char *s, struct aas_jspan v, const char *key,
    struct aas_jspan *out)
{
	struct aas_jspan k, m;
	struct walk w;
	int found = 0;

	if (walk_start(s, v, '{', &w) == -1)
		return 0;
	while (walk_member(s, &w, &k, &m))
		if (key_is(s, k.start, k.end, key)) {
			found = 1;
			*out = m;
		}
	return found;
}

size_t
aas_jscan_items(const char *s, struct aas_jspan v, size_t want,
    struct aas_jspan *out)
{
	struct aas_jspan m;
	struct walk w;
	size_t k = 0;

	if (walk_start(s, v, '[', &w) == -1)
		return 0;
	while (walk_item(s, &w, &m)) {
		if (k == want && out != NULL)
			*out = m;
		k++;
	}
	return k;
}

int
aas_jscan_is(const char *s, struct aas_jspan v, const char *want)
{
	size_t wl = strlen(want);

	return v.end - v.start == wl + 2 && s[v.start] == '"' &&
	    memcmp(s + v.start + 1, want, wl) == 0;
}

/* Whether s[0..n) ends in "{" and white space: no member yet. */
static int
ends_open(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n > 0 && s[n - 1] == '{';
}

void
aas_jscan_set(struct aas_buf *out, const char *s, size_t n,
    const char *const *keys, const char *const *vals, const size_t *vlens)
{
	struct aas_jspan sp[16];
	size_t order[16], nk, no = 0, i, j, at = 0, end;

	for (nk = 0; keys[nk] != NULL && nk < 16; nk++)
		;
	aas_jscan_spans(s, aas_jscan_doc(s, n), keys, sp);
	/* the keys there, in the order they stand, replaced in place */
	for (i = 0; i < nk; i++) {
		if (vals[i] == NULL || sp[i].end == sp[i].start)
			continue;
		for (j = no++; j > 0 && sp[order[j - 1]].start > sp[i].start;
		    j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	out->len = 0;
	for (j = 0; j < no; j++) {
		aas_buf_add(out, s + at, sp[order[j]].start - at);
		aas_buf_add(out, vals[order[j]], vlens[order[j]]);
		at = sp[order[j]].end;
	}
	end = n;
	while (end > at && s[end - 1] != '}')
		end--;
	if (end == at) {
		/* not an object: left as it is */
		aas_buf_add(out, s + at, n - at);
		return;
	}
	aas_buf_add(out, s + at, end - 1 - at);
	/* the new ones at the end, after a comma unless the object is {} */
	for (i = 0; i < nk; i++) {
		if (vals[i] == NULL || sp[i].end > sp[i].start)
			continue;
		if (!ends_open(out->s, out->len))
			aas_buf_addc(out, ',');
		aas_buf_addc(out, '"');
		aas_buf_adds(out, keys[i]);
		aas_buf_adds(out, "\":");
		aas_buf_add(out, vals[i], vlens[i]);
	}
	aas_buf_add(out, s + end - 1, n - end + 1);
}

/* A key with escapes (quotes included) decoded, into a new string. */
/* The UTF-8 of code point u into b. */
static void
put_utf8(struct aas_buf *b, unsigned long u)
{
	char o[4];
	size_t n;

	if (u < 0x80) {
		o[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		o[0] = (char)(0xc0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3f));
		n = 2;
	} else if (u < 0x10000) {
		o[0] = (char)(0xe0 | u >> 12);
		o[1] = (char)(0x80 | (u >> 6 & 0x3f));
		o[2] = (char)(0x80 | (u & 0x3f));
		n = 3;
	} else {
		o[0] = (char)(0xf0 | u >> 18);
		o[1] = (char)(0x80 | (u >> 12 & 0x3f));
		o[2] = (char)(0x80 | (u >> 6 & 0x3f));
		o[3] = (char)(0x80 | (u & 0x3f));
		n = 4;
	}
	aas_buf_add(b, o, n);
}

/* The 4 hex digits at p (checked text), as a number. */
static unsigned long
hex_at(const char *p)
{
	unsigned long v = 0;
	int k;

	for (k = 0; k < 4; k++)
		v = v << 4 | (unsigned long)hexval((unsigned char)p[k]);
	return v;
}

void
aas_jscan_string(const char *s, struct aas_jspan v, struct aas_buf *out)
{
	const char *p, *end, *run;
	unsigned long u, w;

	if (v.end - v.start < 2 || s[v.start] != '"')
		return;
	p = s + v.start + 1;
	end = s + v.end - 1;
	/* one byte ahead of the buffer: a value of no bytes is "" */
	aas_buf_grow(out, (size_t)(end - p) + 1);
	aas_buf_add(out, "", 0);
	while (p < end) {
		run = p;
		while (p < end && *p != '\\')
			p++;
		if (p > run)
			aas_buf_add(out, run, (size_t)(p - run));
		if (p + 1 >= end)
			break;
		switch (p[1]) {
		case 'b':	aas_buf_addc(out, '\b'); break;
		case 'f':	aas_buf_addc(out, '\f'); break;
		case 'n':	aas_buf_addc(out, '\n'); break;
		case 'r':	aas_buf_addc(out, '\r'); break;
		case 't':	aas_buf_addc(out, '\t'); break;
		case 'u':
			if (end - p < 6)
				return;
			u = hex_at(p + 2);
			if (u >= 0xd800 && u <= 0xdbff && end - p >= 12 &&
			    p[6] == '\\' && p[7] == 'u') {
				w = hex_at(p + 8);
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (w - 0xdc00);
				p += 6;
			}
			put_utf8(out, u);
			p += 6;
			continue;
		default:	/* " \ / */
			aas_buf_addc(out, p[1]);
		}
		p += 2;
	}
}

static char *
key_text(const char *s, struct aas_jspan k)
{
	struct aas_buf b = AAS_BUF_INIT;

	aas_jscan_string(s, k, &b);
	return b.s != NULL ? aas_buf_detach(&b, NULL) : aas_xstrdup("");
}

json_t *
aas_jscan_value(const char *s, struct aas_jspan v)
{
	size_t n = v.end - v.start;
	const char *p = s + v.start;
	struct aas_jspan k, m;
	struct walk w;
	json_t *o;
	char buf[32], *key;

	/* what jansson would make of checked text, made directly: its
	 * lexer reads a byte at a time */
	switch (aas_jscan_kind(s, v)) {
	case 'n':
		return json_null();
	case 't':
		return json_true();
	case 'f':
		return json_false();
	case '"':
		if (n >= 2 && memchr(p, '\\', n) == NULL)
			return json_stringn_nocheck(p + 1, n - 2);
		if (n >= 2) {
			struct aas_buf b = AAS_BUF_INIT;

			aas_jscan_string(s, v, &b);
			o = json_stringn_nocheck(b.s, b.len);
			aas_buf_free(&b);
			return o;
		}
		break;
	case '0':
		if (n < sizeof(buf) && memchr(p, '.', n) == NULL &&
		    memchr(p, 'e', n) == NULL && memchr(p, 'E', n) == NULL) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			return json_integer((json_int_t)strtoll(buf, NULL, 10));
		}
		break;
	case '{':
		o = json_object();
		walk_start(s, v, '{', &w);
		while (walk_member(s, &w, &k, &m)) {
			if (memchr(s + k.start, '\\', k.end - k.start) ==
			    NULL) {
				json_object_setn_new_nocheck(o, s + k.start + 1,
				    k.end - k.start - 2, aas_jscan_value(s, m));
				continue;
			}
			key = key_text(s, k);
			json_object_set_new_nocheck(o, key,
			    aas_jscan_value(s, m));
			free(key);
		}
		return o;
	case '[':
		o = json_array();
		walk_start(s, v, '[', &w);
		while (walk_item(s, &w, &m))
			json_array_append_new(o, aas_jscan_value(s, m));
		return o;
	}
	return json_loadb(p, n, JSON_DECODE_ANY, NULL);
}

void
aas_jscan_spans(const char *s, struct aas_jspan v, const char *const *keys,
    struct aas_jspan *spans)
{
	struct aas_jspan k, m;
	struct walk w;
	size_t nk, i;

	for (nk = 0; keys[nk] != NULL; nk++)
		spans[nk].start = spans[nk].end = 0;
	if (walk_start(s, v, '{', &w) == -1)
		return;
	/* one pass over the members; the last of a name wins */
	while (walk_member(s, &w, &k, &m))
		for (i = 0; i < nk; i++)
			if (key_is(s, k.start, k.end, keys[i])) {
				spans[i] = m;
				break;
			}
}

json_t *
aas_jscan_pick(const char *s, struct aas_jspan v, const char *const *keys)
{
	struct aas_jspan found[16];
	json_t *o = json_object(), *x;
	size_t i;

	aas_jscan_spans(s, v, keys, found);
	for (i = 0; keys[i] != NULL; i++)
		if (found[i].end > found[i].start &&
		    (x = aas_jscan_value(s, found[i])) != NULL)
			json_object_set_new(o, keys[i], x);
	return o;
}
