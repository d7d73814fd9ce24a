/* t-record.c: record parse, splice, delete, error records, the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "record.h"
#include "tap.h"

static void
set_check(const char *in, const char *key, const char *val, const char *want,
    const char *name)
{
	struct aas_rec r;
	json_t *v = json_loads(val, JSON_DECODE_ANY, NULL);

	aas_rec_parse(&r, in, strlen(in), NULL);
	aas_rec_set(&r, key, v);
	is_str(r.line, want, name);
	json_decref(v);
	aas_rec_free(&r);
}

static int
step_add(struct aas_rec *r, void *arg, struct aas_err *e)
{
	json_t *v = json_integer(1);

	(void)arg, (void)e;
	if (strcmp(aas_rec_where(r), "FAIL") == 0) {
		json_decref(v);
		aas_rec_fail(r, "test", "boom", "failed on purpose");
		return 1;
	}
	aas_rec_set(r, "plan", v);
	json_decref(v);
	return 0;
}

int
main(void)
{
	struct aas_rec r;
	struct aas_err e;
	struct aas_loop l;
	FILE *in, *out;
	char *buf;
	size_t len;
	int rc;

	aas_setprogname("t-record");
	aas_quiet = 1;
	plan(22);

	set_check("{\"id\":\"A-1\",\"n\":0.1}", "plan", "{\"a\":[1,2]}",
	    "{\"id\":\"A-1\",\"n\":0.1,\"plan\":{\"a\":[1,2]}}",
	    "new key appended, other bytes kept");
	set_check("{}", "k", "true", "{\"k\":true}", "key into empty object");
	set_check("  { }  ", "k", "1", "  { \"k\":1}  ", "spaces kept");
	set_check("{\"a\":1,\"k\":{\"x\":\"}\"},\"b\":2}", "k", "null",
	    "{\"a\":1,\"k\":null,\"b\":2}", "existing value replaced in place");
	set_check("{\"k\":1,\"k\":2}", "k", "3", "{\"k\":1,\"k\":3}",
	    "duplicate key: last one replaced, first kept");
	set_check("{\"big\":123456789012345678901234567890}", "x", "1",
	    "{\"big\":123456789012345678901234567890,\"x\":1}",
	    "integer past 64 bits passes through");
	set_check("{\"s\":\"a\\\"b\\\\\",\"t\":[\"]\"]}", "s", "\"z\"",
	    "{\"s\":\"z\",\"t\":[\"]\"]}", "escaped quotes skipped");
	set_check("{\"k\\u0065y\":1}", "key", "2", "{\"k\\u0065y\":2}",
	    "escaped key matched by its decoded name");
	set_check("{}", "usd", "0.004356", "{\"usd\":0.004356}",
	    "a real is written as short as it round-trips");

	rc = aas_rec_parse(&r, "[1,2]", 5, &e);
	is_int(rc, -1, "array is not a record");
	is_str(r.line, "{\"error\":{\"stage\":\"input\",\"code\":\"bad_json\","
	    "\"message\":\"not a JSON object\"},\"raw\":\"[1,2]\"}",
	    "bad line becomes an error record with the raw text");
	aas_rec_free(&r);

	rc = aas_rec_parse(&r, "{\"a\":\xff}", 7, &e);
	is_str(e.code, "bad_json", "invalid UTF-8 is bad_json");
	ok(strstr(r.line, "\"raw\":\"{\\\"a\\\":\xef\xbf\xbd}\"") != NULL,
	    "invalid byte replaced by U+FFFD in raw");
	aas_rec_free(&r);

	buf = "{\"a\":1, \"b\":2 ,\"c\":3}";
	aas_rec_parse(&r, buf, strlen(buf), NULL);
	aas_rec_del(&r, "b");
	is_str(r.line, "{\"a\":1, \"c\":3}", "delete a middle key");
	aas_rec_del(&r, "c");
	is_str(r.line, "{\"a\":1}", "delete the last key");
	aas_rec_del(&r, "a");
	is_str(r.line, "{}", "delete the only key");
	aas_rec_free(&r);

	aas_rec_parse(&r, "{\"id\":\"X-1\"}", 12, NULL);
	aas_rec_fail(&r, "plan", "empty_plan", "no edits");
	is_str(r.line, "{\"id\":\"X-1\",\"error\":{\"stage\":\"plan\","
	    "\"code\":\"empty_plan\",\"message\":\"no edits\"}}", "fail sets error");
	aas_rec_free(&r);

	in = fmemopen((char *)"{\"id\":\"A\"}\r\n\n  \nnot json\n"
	    "{\"id\":\"B\",\"error\":{}}\n{\"id\":\"FAIL\"}\n{\"id\":\"C\"}",
	    strlen("{\"id\":\"A\"}\r\n\n  \nnot json\n"
	    "{\"id\":\"B\",\"error\":{}}\n{\"id\":\"FAIL\"}\n{\"id\":\"C\"}"), "r");
	out = open_memstream(&buf, &len);
	memset(&l, 0, sizeof(l));
	l.stage = "test";
	l.step = step_add;
	rc = aas_loop_run(&l, in, "in", out);
	fclose(out);
	fclose(in);
	is_int(rc, AAS_EXIT_RECORD, "loop status 1 when a record failed");
	is_int(l.nin, 5, "blank lines skipped, five records in");
	is_int(l.nout, 5, "five records out");
	is_str(buf, "{\"id\":\"A\",\"plan\":1}\n"
	    "{\"error\":{\"stage\":\"input\",\"code\":\"bad_json\",\"message\":"
	    "\"'[' or '{' expected near 'not' at column 3\"},\"raw\":\"not json\"}\n"
	    "{\"id\":\"B\",\"error\":{}}\n"
	    "{\"id\":\"FAIL\",\"error\":{\"stage\":\"test\",\"code\":\"boom\","
	    "\"message\":\"failed on purpose\"}}\n"
	    "{\"id\":\"C\",\"plan\":1}\n", "loop output exact");
	free(buf);

	aas_rec_parse(&r, "{\"a\":{\"b\":{\"c\":\"d\"}}}", 21, NULL);
	is_str(json_string_value(aas_rec_path(&r, "a.b.c")), "d",
	    "dotted path lookup");
	aas_rec_free(&r);
	return done_testing();
}
