/* t-recquick.c: aas_rec_parse_quick gives what aas_rec_parse gives, byte
 * for byte and value for value: the fixtures' lines, the fuzz corpora,
 * every edge of the JSON it reads itself, and random damage to records. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "record.h"
#include "tap.h"
#include "corpus.h"

/* The tree as text that tells every type apart and keeps the order of
 * members (and the NUL of a string, escaped). */
static char *
tree(json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(17));
}

static void
same(const char *s, size_t n)
{
	struct aas_rec a, b;
	struct aas_err ea, eb;
	int ra, rb, differ;
	char *ta, *tb;

	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ra = aas_rec_parse(&a, s, n, &ea);
	rb = aas_rec_parse_quick(&b, s, n, &eb);
	ta = tree(a.obj);
	tb = tree(b.obj);
	differ = ra != rb || a.bad != b.bad || a.len != b.len ||
	    memcmp(a.line, b.line, a.len) != 0 || ta == NULL || tb == NULL ||
	    strcmp(ta, tb) != 0 || (ra == -1 && (strcmp(ea.code, eb.code) != 0 ||
	    strcmp(ea.msg, eb.msg) != 0));
	ncmp++;
	if (differ && nbad++ == 0)
		first_bad = aas_xasprintf("%.*s: %s against %s", (int)(n < 200 ?
		    n : 200), s, ta ? ta : "NULL", tb ? tb : "NULL");
	free(ta);
	free(tb);
	aas_rec_free(&a);
	aas_rec_free(&b);
}

static void
same_s(const char *s)
{
	same(s, strlen(s));
}

static uint64_t rnd = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return rnd;
}

int
main(void)
{
	static const char *const edges[] = {
		"{}", " {} ", "\t{\r\n}\n", "{ }", "[]", "[1]", "1", "\"s\"",
		"null", "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
		"{,}", "{\"a\":1 \"b\":2}", "{\"a\":1}x", "{\"a\":1}{}",
		"{\"a\":1} ", "{\"a\":[1,2,]}", "{\"a\":[,]}", "{\"a\":[]}",
		"{\"a\":[[],{},[{}]]}", "{'a':1}", "{a:1}",
		/* numbers */
		"{\"n\":0}", "{\"n\":-0}", "{\"n\":01}", "{\"n\":-01}",
		"{\"n\":-}", "{\"n\":+1}", "{\"n\":1.0}", "{\"n\":1e5}",
		"{\"n\":1E5}", "{\"n\":1.}", "{\"n\":.5}", "{\"n\":0x10}",
		"{\"n\":9223372036854775807}", "{\"n\":9223372036854775808}",
		"{\"n\":-9223372036854775808}", "{\"n\":-9223372036854775809}",
		"{\"n\":123456789012345678901234567890}", "{\"n\":12a}",
		"{\"n\":1 2}", "{\"n\":00}", "{\"n\":-0.0}", "{\"n\":1e400}",
		"{\"n\":[0,-1,10,99999]}",
		/* literals */
		"{\"t\":true,\"f\":false,\"z\":null}", "{\"t\":tru}",
		"{\"t\":truex}", "{\"t\":true1}", "{\"t\":True}", "{\"z\":nul}",
		"{\"z\":nullnull}", "{\"f\":falsey}",
		/* strings */
		"{\"s\":\"\"}", "{\"\":\"\"}", "{\"s\":\"a\\\"b\\\\c\\/d\"}",
		"{\"s\":\"\\b\\f\\n\\r\\t\"}", "{\"s\":\"\\x\"}",
		"{\"s\":\"\\u00e9\\u20ac\"}", "{\"s\":\"\\u00E9\\u20AC\"}",
		"{\"s\":\"\\u0041\\u007f\\u0080\\u07ff\\u0800\\uffff\"}",
		"{\"s\":\"\\u0000\"}", "{\"s\":\"a\\u0000b\"}",
		"{\"\\u0000\":1}", "{\"k\\u00e9y\":1}", "{\"k\\ty\":{\"a\\nb\":2}}",
		"{\"s\":\"\\ud83d\\ude00\"}", "{\"s\":\"\\ud83d\"}",
		"{\"s\":\"\\ude00\"}", "{\"s\":\"\\ud83dx\"}",
		"{\"s\":\"\\ud83d\\u0041\"}", "{\"s\":\"\\udbff\\udfff\"}",
		"{\"s\":\"\\u12\"}", "{\"s\":\"\\u12g4\"}", "{\"s\":\"\\u",
		"{\"s\":\"\\", "{\"s\":\"abc", "{\"s\":\"a\tb\"}",
		"{\"s\":\"a\x01" "b\"}", "{\"s\":\"a\x1f\"}", "{\"s\":\"\x7f\"}",
		"{\"s\":\"h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		"{\"s\":\"\xc3\"}", "{\"s\":\"\xc3\x28\"}", "{\"s\":\"\xc0\xaf\"}",
		"{\"s\":\"\xc1\xbf\"}", "{\"s\":\"\xe0\x80\xaf\"}",
		"{\"s\":\"\xe0\xa0\x80\"}", "{\"s\":\"\xed\xa0\x80\"}",
		"{\"s\":\"\xed\x9f\xbf\"}", "{\"s\":\"\xf0\x8f\xbf\xbf\"}",
		"{\"s\":\"\xf0\x90\x80\x80\"}", "{\"s\":\"\xf4\x8f\xbf\xbf\"}",
		"{\"s\":\"\xf4\x90\x80\x80\"}", "{\"s\":\"\xf5\x80\x80\x80\"}",
		"{\"s\":\"\xff\"}", "{\"s\":\"\x80\"}", "{\"\xc3\xa9\":1}",
		"{\"\xff\":1}", "\xef\xbb\xbf{}", "{\"a\":1}\xc3\xa9",
		/* keys given twice, and the order of members */
		"{\"k\":1,\"k\":2}", "{\"k\":1,\"a\":2,\"k\":3}",
		"{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":2}}",
		"{\"k\":{\"x\":1},\"k\":[1]}",
		/* the stream test's record */
		"{\"id\":\"X-1\",\"n\":0.10,\"k\":1,\"k\":2,\"big\":"
		    "123456789012345678901234567890,\"u\":\"\\u00e9\\/\","
		    "\"z\":{\"a\":[1.0e3, true ,null]}}",
	};
	static const char bytes[] = "{}[]\",:\\u0-1.e \xc3\xa9\x80\xff"
	    "atfn";
	char *s, *deep;
	struct aas_buf b = AAS_BUF_INIT;
	size_t i, n, k, len;
	int d;

	plan(5);

	corpus_walk("tests/fixtures", same, NULL);
	corpus_walk("tests/fuzz/corpus", same, NULL);
	check("every line of the fixtures and the fuzz corpora", 2000);

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		same_s(edges[i]);
	/* a NUL byte as it is, inside and outside a string */
	same("{\"s\":\"a\0b\"}", 11);
	same("{\"s\":1}\0", 8);
	same("{\0}", 3);
	check("numbers, literals, escapes, UTF-8, duplicate keys, junk",
	    sizeof(edges) / sizeof(edges[0]));

	/* nesting around the quick parser's own limit and jansson's */
	for (d = 250; d <= 2100; d += d < 270 ? 1 : 350) {
		aas_buf_reset(&b);
		aas_buf_adds(&b, "{\"a\":");
		for (k = 0; k < (size_t)d; k++)
			aas_buf_adds(&b, k % 2 ? "{\"b\":" : "[");
		aas_buf_adds(&b, "1");
		for (k = (size_t)d; k-- > 0; )
			aas_buf_adds(&b, k % 2 ? "}" : "]");
		aas_buf_adds(&b, "}");
		same(b.s, b.len);
	}
	check("deep nesting", 25);

	/* every single byte in the place of each byte of a record */
	s = "{\"id\":\"T-1\",\"n\":-12,\"t\":true,\"u\":\"\\u00e9\\n\","
	    "\"a\":[null,{\"k\":false}],\"s\":\"h\xc3\xa9\"}";
	len = strlen(s);
	deep = aas_xmalloc(len + 1);
	for (i = 0; i < len; i++)
		for (k = 0; k < 256; k++) {
			memcpy(deep, s, len);
			deep[i] = (char)k;
			same(deep, len);
		}
	free(deep);
	check("each byte of a record replaced by each of the 256", 10000);

	/* random damage: bytes replaced, dropped, doubled */
	s = "{\"id\":\"T-1\",\"title\":\"Task \\\"1\\\" \xe2\x82\xac\","
	    "\"status\":\"Queued\",\"body\":\"Do \\u00e9\\ud83d\\ude00.\","
	    "\"deps\":[\"A\",\"B\"],\"fields\":{\"Files\":\"a.c, b.c\"},"
	    "\"source\":{\"path\":\"ACTIVE_TASKS.md\",\"line\":1,\"sha\":"
	    "\"00ff\"},\"n\":[0,-0,1e2,2.5,9223372036854775807]}";
	len = strlen(s);
	for (i = 0; i < 50000; i++) {
		aas_buf_reset(&b);
		aas_buf_add(&b, s, len);
		for (k = 0; k < 1 + next() % 3; k++) {
			n = (size_t)(next() % b.len);
			switch (next() % 3) {
			case 0:
				b.s[n] = bytes[next() % (sizeof(bytes) - 1)];
				break;
			case 1:
				memmove(b.s + n, b.s + n + 1, b.len - n - 1);
				b.len--;
				break;
			default:
				aas_buf_addc(&b, 0);
				memmove(b.s + n + 1, b.s + n, b.len - n - 1);
				break;
			}
		}
		same(b.s, b.len);
	}
	aas_buf_free(&b);
	check("50,000 records with random damage", 50000);
	return done_testing();
}
