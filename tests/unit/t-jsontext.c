/* t-jsontext.c: aas_json_text writes what json_dumps writes, byte for
 * byte: the fixtures' JSON, every escape, numbers of every size. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "record.h"
#include "tap.h"
#include "corpus.h"

/* Compare the two writers on v at precision prec (0: jansson's 17). */
static void
same(json_t *v, int prec)
{
	size_t flags = JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(prec);
	char *want = json_dumps(v, flags);
	size_t len = 0;
	char *got = aas_json_text(v, prec, &len);

	ncmp++;
	if (v == NULL) {
		if (nbad++ == 0)
			first_bad = aas_xstrdup("no value made");
	} else if ((want == NULL) != (got == NULL) || (want != NULL &&
	    (strcmp(want, got) != 0 || len != strlen(want)))) {
		if (nbad++ == 0)
			first_bad = aas_xasprintf("want %s, got %s",
			    want ? want : "NULL", got ? got : "NULL");
	}
	free(want);
	free(got);
}

static void
same_all(json_t *v)
{
	same(v, 0);
	same(v, 10);
	same(v, 15);
}

static void
text(const char *s, size_t n)
{
	json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

	if (v != NULL)
		same_all(v);
	json_decref(v);
}

int
main(void)
{
	static const char *const json[] = { ".json", ".jsonl", ".ndjson",
	    NULL };
	const char *src = getenv("AAS_SRC");
	char s[8];
	uint64_t x = 0x9e3779b97f4a7c15ULL, bits;
	double d;
	json_t *v, *o;
	int i, e;

	plan(8);

	corpus_walk("tests/fixtures", text, json);
	check("every JSON line of the fixtures", 200);

	/* every byte below 0x80, alone and inside text; a NUL */
	for (i = 0; i < 0x80; i++) {
		s[0] = 'a';
		s[1] = (char)i;
		s[2] = 'z';
		v = json_stringn(s + 1, 1);
		same_all(v);
		json_decref(v);
		v = json_stringn(s, 3);
		same_all(v);
		json_decref(v);
	}
	check("every ASCII character, escaped as jansson escapes it", 768);

	v = json_loads("[\"h\\u00e9\\u20ac\\ud83d\\ude00\\u2028/\","
	    "\"\\u0000x\","
	    "{\"k\\u00e9y\":{\"\":[]},\"a\\tb\":{}},[],{},[[[]]]]",
	    JSON_ALLOW_NUL, NULL);
	same_all(v);
	json_decref(v);
	/* bytes jansson does not write: both give NULL */
	v = json_stringn_nocheck("\xc3\x28", 2);
	same_all(v);
	json_decref(v);
	v = json_stringn_nocheck("\xed\xa0\x80", 3);
	same_all(v);
	json_decref(v);
	v = json_stringn_nocheck("\xf0\x8f\xbf\xbf", 4);
	same_all(v);
	json_decref(v);
	check("UTF-8, NUL in a value, escapes in keys, empty containers, "
	    "bad bytes", 12);

	for (e = -320; e <= 308; e++) {
		v = json_real(pow(10, e));
		same_all(v);
		json_decref(v);
		v = json_real(-1.2345678901234567 * pow(10, e));
		same_all(v);
		json_decref(v);
	}
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bits = x;
		memcpy(&d, &bits, sizeof(d));
		if (!isfinite(d))
			continue;
		v = json_real(d);
		same_all(v);
		json_decref(v);
	}
	check("reals: every power of ten, 20,000 of random bits", 50000);

	for (i = 0; i < 5000; i++) {
		v = json_real((double)i / 7.0 - 300.0);
		same_all(v);
		json_decref(v);
		v = json_real((double)i);
		same_all(v);
		json_decref(v);
	}
	v = json_real(0.0);
	same_all(v);
	json_decref(v);
	v = json_real(-0.0);
	same_all(v);
	json_decref(v);
	check("reals: whole numbers, fractions, zero and minus zero", 30000);

	o = json_array();
	json_array_append_new(o, json_integer(INT64_MAX));
	json_array_append_new(o, json_integer(INT64_MIN));
	json_array_append_new(o, json_integer(0));
	json_array_append_new(o, json_integer(-1));
	json_array_append_new(o, json_true());
	json_array_append_new(o, json_false());
	json_array_append_new(o, json_null());
	same_all(o);
	json_decref(o);
	check("integers at the ends of their range, true, false, null", 3);

	/* members in the order they were set, one replaced in place */
	o = json_pack("{s:i, s:s, s:f, s:[i, i]}", "z", 1, "a", "x", "m",
	    0.5, "b", 1, 2);
	json_object_set_new(o, "a", json_string("y"));
	json_object_del(o, "m");
	json_object_set_new(o, "m", json_integer(3));
	same_all(o);
	json_decref(o);
	check("an object's members in jansson's order", 3);

	{
		static const char *const boards[] = { "crlf.md", "emoji.md",
		    "fences.md", "headings.md", "lint.md", "mixed.md",
		    "nofinal-table.md", "nofinal.md", "pipes.md", "table.md",
		    "plan.yaml" };
		struct aas_board *b;
		size_t k, j, len;
		char *path, *got, *want;

		for (k = 0; k < sizeof(boards) / sizeof(boards[0]); k++) {
			path = aas_xasprintf("%s/tests/fixtures/boards/%s",
			    src ? src : ".", boards[k]);
			if (aas_board_load(&b, path, NULL, NULL) == -1) {
				nbad++;
				free(path);
				continue;
			}
			for (j = 0; j < aas_board_count(b); j++) {
				const struct aas_task *t = aas_board_task(b, j);

				v = aas_task_record(b, t);
				want = json_dumps(v, JSON_COMPACT |
				    JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
				json_decref(v);
				got = aas_task_record_text(b, t, &len);
				ncmp++;
				if (want == NULL || strcmp(want, got) != 0 ||
				    len != strlen(got)) {
					if (nbad++ == 0)
						first_bad = aas_xasprintf(
						    "%s: want %s, got %s",
						    boards[k], want, got);
				}
				free(want);
				free(got);
			}
			aas_board_free(b);
			free(path);
		}
		check("the task records of every fixture board, written "
		    "directly", 30);
	}
	return done_testing();
}
