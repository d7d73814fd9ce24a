/* t-jscan.c: aas_jscan_check accepts what json_loadb(s, n, 0) accepts,
 * no more and no less; the walkers find what jansson finds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "jscan.h"
#include "record.h"
#include "tap.h"

static int
jansson_ok(const char *s, size_t n)
{
	json_t *v = json_loadb(s, n, 0, NULL);
	int ok = v != NULL;

	json_decref(v);
	return ok;
}

/* the verdicts of both on s (length n) */
static void
agree(const char *s, size_t n, int want, const char *name)
{
	int got = aas_jscan_check(s, n, NULL) == 0;

	if (!ok(got == want && jansson_ok(s, n) == want, name))
		printf("#   jscan %d, jansson %d, want %d\n", got,
		    jansson_ok(s, n), want);
}

#define YES(s)	agree(s, sizeof(s) - 1, 1, "accepts " #s)
#define NO(s)	agree(s, sizeof(s) - 1, 0, "refuses " #s)

static uint64_t rng = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Random mutations of seed texts: both verdicts the same on each. */
static void
sweep(void)
{
	static const char *seeds[] = {
		"{\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\ud83d\\ude00\"]}",
		"[{\"k\":{}},[],\"\\\\\\\"\",0,-0,1E+2,9223372036854775807]",
		"{\"custom_id\":\"T-1\",\"response\":{\"status_code\":200,"
		    "\"body\":{\"choices\":[{\"message\":{\"content\":"
		    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}}]}},\"error\":null}",
	};
	static const char bytes[] = "{}[]\",:\\/u0123456789abcdefABCDEF.eE+-"
	    "tnrfl \t\n\r\x01\x7f\x80\xbf\xc0\xc2\xe0\xed\xf0\xf4\xf5\xff";
	char buf[256];
	size_t n, k, m, i;
	long bad = 0, total = 0, acc = 0;

	for (i = 0; i < 300000; i++) {
		const char *sd = seeds[rnd(3)];

		n = strlen(sd);
		memcpy(buf, sd, n);
		m = 1 + rnd(4);
		for (k = 0; k < m; k++) {
			size_t at = rnd((unsigned)n + 1);

			switch (rnd(3)) {
			case 0:
				if (at < n)
					buf[at] = bytes[rnd(sizeof(bytes) - 1)];
				break;
			case 1:
				if (n + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = bytes[rnd(sizeof(bytes) - 1)];
					n++;
				}
				break;
			default:
				if (at < n) {
					memmove(buf + at, buf + at + 1,
					    n - at - 1);
					n--;
				}
			}
		}
		total++;
		if ((aas_jscan_check(buf, n, NULL) == 0) != jansson_ok(buf, n)) {
			if (bad++ == 0)
				printf("# differs on %.*s\n", (int)n, buf);
		} else if (jansson_ok(buf, n))
			acc++;
	}
	is_int(bad, 0, "300,000 mutated texts: the same verdict as jansson");
	ok(acc > 1000 && acc < total, "the sweep has texts of both kinds");
}

static void
nesting(void)
{
	char *s = malloc(2 * 2049 + 1);
	size_t i;

	for (i = 0; i < 2048; i++) {
		s[i] = '[';
		s[2048 + i] = ']';
	}
	agree(s, 4096, 1, "2,048 nested arrays");
	for (i = 0; i < 2049; i++) {
		s[i] = '[';
		s[2049 + i] = ']';
	}
	agree(s, 4098, 0, "2,049 nested arrays are too deep");
	free(s);
}

static void
walk(void)
{
	const char *s = " {\"a\":1, \"b\" : {\"c\":[10, \"x,]}\", {\"d\":null}]},"
	    "\"a\":\"last\",\"k\\u0065y\":true} ";
	struct aas_jspan doc = aas_jscan_doc(s, strlen(s)), v, b, it;

	is_int(aas_jscan_kind(s, doc), '{', "the document is an object");
	ok(aas_jscan_member(s, doc, "a", &v) && aas_jscan_is(s, v, "last"),
	    "a duplicate key: the last one");
	ok(aas_jscan_member(s, doc, "key", &v) &&
	    aas_jscan_kind(s, v) == 't', "an escaped key is decoded");
	ok(!aas_jscan_member(s, doc, "c", &v), "no member c at the top");
	ok(aas_jscan_member(s, doc, "b", &b) &&
	    aas_jscan_member(s, b, "c", &v), "b.c");
	is_int((long long)aas_jscan_items(s, v, 1, &it), 3, "b.c has 3 items");
	ok(aas_jscan_is(s, it, "x,]}"), "item 1 is the string");
	aas_jscan_items(s, v, 2, &it);
	ok(aas_jscan_member(s, it, "d", &v) && aas_jscan_kind(s, v) == 'n',
	    "item 2's d is null");
	ok(aas_jscan_items(s, doc, 0, NULL) == 0, "an object has no items");
	v.start = 0;
	v.end = 2;
	ok(aas_jscan_items("[]", v, 0, NULL) == 0, "[] has none");
}

/* aas_jscan_set writes what aas_rec_set writes, one key after the other */
static void
set_like_rec(void)
{
	static const char *recs[] = {
		"{\"id\":\"T-1\",\"request\":{\"batch\":1}}",
		"{\"id\":\"T-1\",\"batch\":{\"id\":\"old\"},\"x\":[1]}",
		"{\"batch\":1,\"id\":\"T-1\",\"batch\":2}",
		"{}",
		"{ \"id\" : \"T-2\" , \"b\\u0061tch\" : null } ",
		"{\"id\":\"T-3\",\"body\":\"a \\\"batch\\\": no\"}",
		"{\"response\":0,\"id\":\"T-4\",\"batch\":1}",
	};
	static const char *const keys[] = { "batch", "response", NULL };
	struct aas_buf b = AAS_BUF_INIT;
	struct aas_rec rec;
	json_t *v = json_pack("{s:s, s:[i, f]}", "id", "batch_1", "n", 1, 0.5);
	json_t *r = json_pack("{s:i}", "status", 200);
	const char *vals[2];
	char name[64];
	size_t i, k, vlen[2];

	vals[0] = aas_json_text(v, 15, &vlen[0]);
	vals[1] = aas_json_text(r, 15, &vlen[1]);
	for (k = 0; k < 3; k++)
		for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
			const char *want[2] = { k != 1 ? vals[0] : NULL,
			    k != 0 ? vals[1] : NULL };

			aas_rec_parse(&rec, recs[i], strlen(recs[i]), NULL);
			if (want[0] != NULL)
				aas_rec_set(&rec, "batch", v);
			if (want[1] != NULL)
				aas_rec_set(&rec, "response", r);
			aas_jscan_set(&b, recs[i], strlen(recs[i]), keys, want,
			    vlen);
			aas_buf_addc(&b, '\0');
			snprintf(name, sizeof(name), "set %s, record %zu",
			    k == 0 ? "batch" : k == 1 ? "response" : "both",
			    i + 1);
			is_str(b.s, rec.line, name);
			aas_rec_free(&rec);
		}
	free((char *)vals[0]);
	free((char *)vals[1]);
	json_decref(v);
	json_decref(r);
	aas_buf_free(&b);
}

/* One random JSON string of code points written raw or escaped. */
static size_t
rand_string(char *o)
{
	static const char *esc[] = { "\\\"", "\\\\", "\\/", "\\b",
	    "\\f", "\\n", "\\r", "\\t" };
	unsigned long u;
	size_t n = 0, k;

	o[n++] = '"';
	for (k = rnd(40); k > 0; k--) {
		switch (rnd(6)) {
		case 0:
			n += (size_t)sprintf(o + n, "%s", esc[rnd(8)]);
			continue;
		case 1:
			u = 1 + rnd(0x7f);
			break;
		case 2:
			u = 0x80 + rnd(0x800 - 0x80);
			break;
		case 3:
			do
				u = 0x800 + rnd(0x10000 - 0x800);
			while (u >= 0xd800 && u <= 0xdfff);
			break;
		default:
			u = 0x10000 + rnd(0x110000 - 0x10000);
		}
		if (rnd(2) || u < 0x20 || u == '"' || u == '\\') {
			if (u >= 0x10000)
				n += (size_t)sprintf(o + n, "\\u%04lx\\u%04lX",
				    0xd800 + ((u - 0x10000) >> 10),
				    0xdc00 + ((u - 0x10000) & 0x3ff));
			else
				n += (size_t)sprintf(o + n, "\\u%04lx", u);
			continue;
		}
		if (u < 0x80)
			o[n++] = (char)u;
		else if (u < 0x800) {
			o[n++] = (char)(0xc0 | u >> 6);
			o[n++] = (char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			o[n++] = (char)(0xe0 | u >> 12);
			o[n++] = (char)(0x80 | (u >> 6 & 0x3f));
			o[n++] = (char)(0x80 | (u & 0x3f));
		} else {
			o[n++] = (char)(0xf0 | u >> 18);
			o[n++] = (char)(0x80 | (u >> 12 & 0x3f));
			o[n++] = (char)(0x80 | (u >> 6 & 0x3f));
			o[n++] = (char)(0x80 | (u & 0x3f));
		}
	}
	o[n++] = '"';
	o[n] = '\0';
	return n;
}

/* aas_jscan_string decodes what jansson decodes, byte for byte, and
 * aas_jscan_value makes the same string of it. */
static void
strings(void)
{
	struct aas_buf b = AAS_BUF_INIT;
	struct aas_jspan v;
	json_t *j, *x;
	char s[512];
	int i, bad = 0, badv = 0;
	size_t n;

	for (i = 0; i < 20000; i++) {
		n = rand_string(s);
		j = json_loadb(s, n, JSON_DECODE_ANY, NULL);
		v.start = 0;
		v.end = n;
		aas_buf_reset(&b);
		aas_jscan_string(s, v, &b);
		if (!json_is_string(j) || b.s == NULL ||
		    b.len != json_string_length(j) ||
		    memcmp(b.s, json_string_value(j), b.len) != 0) {
			if (bad++ == 0)
				printf("#   differs: %s\n", s);
		}
		x = aas_jscan_value(s, v);
		if (!json_equal(x, j))
			badv++;
		json_decref(x);
		json_decref(j);
	}
	is_int(bad, 0, "20,000 random strings decode as jansson decodes them");
	is_int(badv, 0, "and aas_jscan_value makes the same strings");
	v.start = 0;
	v.end = 2;
	aas_buf_reset(&b);
	aas_jscan_string("\"\"", v, &b);
	ok(b.s != NULL && b.len == 0 && b.s[0] == '\0',
	    "the empty string is an empty, terminated buffer");
	aas_buf_free(&b);
}

int
main(void)
{
	char nul[] = "[\"a\0b\"]";

	plan(93);
	YES("{}");
	YES(" [ ] ");
	YES("{\"a\":[1,2,{\"b\":null}],\"c\":\"d\"}");
	YES("[-0,0.5,1e10,1E-7,-1.5e+3,123]");
	YES("[9223372036854775807,-9223372036854775808]");
	YES("[1e-400]");
	YES("[\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"]");
	YES("[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"]");
	YES("[\"\x7f\"]");
	YES("{\"a\":1,\"a\":2}");
	YES("[true,false,null]");
	NO("");
	NO("   ");
	NO("1");
	NO("\"s\"");
	NO("null");
	NO("{} x");
	NO("{}{}");
	NO("{\"a\"}");
	NO("{\"a\":}");
	NO("{\"a\":1,}");
	NO("[1,]");
	NO("[,1]");
	NO("{1:2}");
	NO("[01]");
	NO("[-]");
	NO("[1.]");
	NO("[.5]");
	NO("[1e]");
	NO("[+1]");
	NO("[9223372036854775808]");
	NO("[-9223372036854775809]");
	NO("[1e400]");
	NO("[\"\\u0000\"]");
	NO("[\"\\ud800\"]");
	NO("[\"\\udc00\"]");
	NO("[\"\\ud800\\u0041\"]");
	NO("[\"\\x\"]");
	NO("[\"\\u12g4\"]");
	NO("[\"\x01\"]");
	NO("[\"\xc0\x80\"]");
	NO("[\"\xed\xa0\x80\"]");
	NO("[\"\xf4\x90\x80\x80\"]");
	NO("[\"\xe2\x82\"]");
	NO("[\"abc]");
	NO("[tru]");
	NO("[truex]");
	NO("[nul]");
	agree(nul, sizeof(nul) - 1, 0, "refuses a NUL byte in a string");
	/* jansson loses one NUL put back after a number or a literal */
	agree("[1\0]", 4, 1, "one NUL after a number is skipped");
	agree("{\"a\":true\0,\"b\":2}", 17, 1, "one NUL after a literal");
	agree("[1\0\0]", 5, 0, "two are not");
	agree("[\"a\"\0]", 6, 0, "nor one after a string");
	agree("[\0 1]", 5, 0, "nor one before a value");
	{
		const char *t = "{\"a\":1\0,\"b\":2}";
		struct aas_jspan d = aas_jscan_doc(t, 14), v;

		ok(aas_jscan_member(t, d, "b", &v) && v.end - v.start == 1 &&
		    t[v.start] == '2', "the walk goes on past that NUL");
	}
	nesting();
	sweep();
	walk();
	set_like_rec();
	strings();
	return done_testing();
}
