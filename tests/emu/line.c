/*
 * aas-emu: a fast path for reading one batch input line.
 *
 * validate_input needs only a few members of each line: custom_id,
 * method, url, and of body its model, n and the text members that
 * prompt_tokens and prompt_text read.  line_scan checks the whole line
 * in one pass and builds a small object with just those members (each
 * with the value json_loadb would give it, or a stand-in that every
 * reader treats the same way), so a 50,000-line batch is not parsed
 * into 50,000 full trees.
 *
 * It only ever says yes: it returns NULL, and the caller parses the line
 * with json_loadb as before, for anything outside a plain subset of
 * JSON it can be sure of: \u escapes, bytes outside printable ASCII in
 * strings, numbers with an exponent or too many digits, nesting deeper
 * than MAXDEPTH, and any syntax error.  So a line is refused exactly
 * when jansson refuses it, and the members read are jansson's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>

#include "emu.h"

#define MAXDEPTH	32

/* what the caller keeps of a value */
enum want {
	W_SKIP,		/* nothing */
	W_STR,		/* a string, else null */
	W_N,		/* body.n: an integer, null, else false */
	W_TEXT,		/* a string, an array of W_PART, else null */
	W_PART,		/* an object: {text: W_STR}, else null */
	W_MSGS,		/* an array of W_MSG, else null */
	W_MSG,		/* an object: {content: W_TEXT}, else null */
	W_BODY,		/* an object: model, n, the text members; else null */
	W_TOP		/* the line: custom_id, method, url, body */
};

struct scan {
	const char	*p;
	const char	*end;
	struct buf	 tmp;	/* a decoded string */
};

static int value(struct scan *, enum want, int, json_t **);

static void
ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* after a number or a literal: the end, white space or punctuation */
static int
delim(struct scan *s)
{
	if (s->p == s->end)
		return 1;
	switch (*s->p) {
	case ' ': case '\t': case '\n': case '\r':
	case ',': case ']': case '}':
		return 1;
	}
	return 0;
}

/*
 * A string at s->p (after its opening quote): its decoded bytes in
 * *out and *len (into s->tmp when it has escapes).  Returns -1 to give
 * up.
 */
static int
string(struct scan *s, const char **out, size_t *len)
{
	const char *st = s->p, *bs;
	unsigned char c;
	int esc = 0;

	for (;;) {
		if (s->p == s->end)
			return -1;
		c = (unsigned char)*s->p;
		if (c == '"')
			break;
		if (c < 0x20 || c >= 0x80)
			return -1;
		if (c == '\\') {
			if (s->p + 1 == s->end)
				return -1;
			switch (s->p[1]) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				break;
			default:
				return -1;
			}
			esc = 1;
			s->p++;
		}
		s->p++;
	}
	if (!esc) {
		*out = st;
		*len = (size_t)(s->p - st);
		s->p++;
		return 0;
	}
	s->tmp.len = 0;
	while (st < s->p) {
		if ((bs = memchr(st, '\\', (size_t)(s->p - st))) == NULL)
			bs = s->p;
		buf_add(&s->tmp, st, (size_t)(bs - st));
		if (bs == s->p)
			break;
		switch (bs[1]) {
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		default:
			c = (unsigned char)bs[1];
		}
		buf_add(&s->tmp, &c, 1);
		st = bs + 2;
	}
	*out = s->tmp.p;
	*len = s->tmp.len;
	s->p++;
	return 0;
}

/* a number; *iv its value when an integer of at most 18 digits */
static int
number(struct scan *s, int *isint, json_int_t *iv)
{
	const char *d;
	json_int_t v = 0;
	int neg = 0;

	if (*s->p == '-') {
		neg = 1;
		s->p++;
	}
	d = s->p;
	if (s->p == s->end)
		return -1;
	if (*s->p == '0')
		s->p++;
	else if (*s->p >= '1' && *s->p <= '9')
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			if (s->p - d == 18)
				return -1;
			v = v * 10 + (*s->p++ - '0');
		}
	else
		return -1;
	*isint = 1;
	if (s->p < s->end && *s->p == '.') {
		*isint = 0;
		s->p++;
		if (s->p == s->end || *s->p < '0' || *s->p > '9')
			return -1;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
		return -1;
	*iv = neg ? -v : v;
	return delim(s) ? 0 : -1;
}

/* what a member of an object of kind w keeps, by its key */
static enum want
member(enum want w, const char *k, size_t n, const char **name)
{
	static const struct {
		enum want	 in;
		const char	*key;
		enum want	 keep;
	} m[] = {
		{ W_TOP, "custom_id", W_STR },
		{ W_TOP, "method", W_STR },
		{ W_TOP, "url", W_STR },
		{ W_TOP, "body", W_BODY },
		{ W_BODY, "model", W_STR },
		{ W_BODY, "n", W_N },
		{ W_BODY, "system", W_TEXT },
		{ W_BODY, "instructions", W_TEXT },
		{ W_BODY, "input", W_TEXT },
		{ W_BODY, "messages", W_MSGS },
		{ W_MSG, "content", W_TEXT },
		{ W_PART, "text", W_STR },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i].in == w && strlen(m[i].key) == n &&
		    memcmp(m[i].key, k, n) == 0) {
			*name = m[i].key;
			return m[i].keep;
		}
	return W_SKIP;
}

static int
object(struct scan *s, enum want w, int depth, json_t **out)
{
	const char *k, *name;
	size_t kn;
	enum want mw;
	json_t *v;

	if (w == W_TOP || w == W_BODY || w == W_MSG || w == W_PART)
		*out = json_object();
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		if (s->p == s->end || *s->p != '"')
			return -1;
		s->p++;
		if (string(s, &k, &kn) != 0)
			return -1;
		/* k may point into s->tmp, which the value reuses */
		mw = *out != NULL ? member(w, k, kn, &name) : W_SKIP;
		ws(s);
		if (s->p == s->end || *s->p != ':')
			return -1;
		s->p++;
		ws(s);
		v = NULL;
		if (value(s, mw, depth + 1, &v) != 0) {
			json_decref(v);
			return -1;
		}
		/* the last of a repeated key wins, as in json_loadb */
		if (mw != W_SKIP)
			json_object_set_new_nocheck(*out, name, v);
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
		return -1;
	}
}

static int
array(struct scan *s, enum want w, int depth, json_t **out)
{
	enum want ew = w == W_TEXT ? W_PART : w == W_MSGS ? W_MSG : W_SKIP;
	json_t *v;

	if (w == W_TEXT || w == W_MSGS)
		*out = json_array();
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		v = NULL;
		if (value(s, ew, depth + 1, &v) != 0) {
			json_decref(v);
			return -1;
		}
		if (ew != W_SKIP)
			json_array_append_new(*out, v);
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return 0;
		}
		return -1;
	}
}

/* a literal: true, false or null */
static int
literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return delim(s) ? 0 : -1;
}

/*
 * One value at s->p (after white space).  *out gets what w keeps of it
 * (NULL for W_SKIP); on failure *out may hold a part the caller drops.
 */
static int
value(struct scan *s, enum want w, int depth, json_t **out)
{
	const char *str;
	size_t n;
	json_int_t iv;
	int isint;

	if (depth > MAXDEPTH || s->p == s->end)
		return -1;
	switch (*s->p) {
	case '{':
		s->p++;
		if (object(s, w == W_TOP || w == W_BODY || w == W_MSG ||
		    w == W_PART ? w : W_SKIP, depth, out) != 0)
			return -1;
		break;
	case '[':
		s->p++;
		if (array(s, w == W_TEXT || w == W_MSGS ? w : W_SKIP, depth,
		    out) != 0)
			return -1;
		break;
	case '"':
		s->p++;
		if (string(s, &str, &n) != 0)
			return -1;
		if (w == W_STR || w == W_TEXT)
			*out = json_stringn_nocheck(str, n);
		break;
	case 't':
		if (literal(s, "true") != 0)
			return -1;
		break;
	case 'f':
		if (literal(s, "false") != 0)
			return -1;
		break;
	case 'n':
		if (literal(s, "null") != 0)
			return -1;
		if (w == W_N)
			*out = json_null();
		break;
	default:
		if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
			return -1;
		if (number(s, &isint, &iv) != 0)
			return -1;
		if (w == W_N && isint)
			*out = json_integer(iv);
	}
	if (w == W_N && *out == NULL)
		*out = json_false();
	else if (w != W_SKIP && *out == NULL)
		*out = json_null();
	return 0;
}

json_t *
line_scan(const char *p, size_t n)
{
	struct scan s = { p, p + n, { 0 } };
	json_t *o = NULL;
	int bad;

	ws(&s);
	bad = s.p == s.end || *s.p != '{' || value(&s, W_TOP, 0, &o) != 0;
	if (!bad) {
		ws(&s);
		bad = s.p != s.end;
	}
	buf_free(&s.tmp);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
