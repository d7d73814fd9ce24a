/* t-repair.c: which records a repair round takes, history, fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "record.h"
#include "repair.h"
#include "tap.h"

static int
failed(const char *text)
{
	json_t *o = json_loads(text, 0, NULL);
	int r = aas_repair_failed(o);

	json_decref(o);
	return r;
}

static long
attempt(const char *text)
{
	json_t *o = json_loads(text, 0, NULL);
	long r = aas_repair_attempt(o);

	json_decref(o);
	return r;
}

int
main(void)
{
	const char *line = "{\"id\":\"A-1\",\"x\":0.1,\"attempt\":2,"
	    "\"request\":{\"model\":\"m\"},\"response\":{\"usd\":0.5,"
	    "\"text\":\"t\"},\"plan\":{},\"apply\":{\"branch\":\"aas/A-1\","
	    "\"commit\":\"c1\"},\"qa\":{\"ok\":false,\"checks\":[{\"name\":"
	    "\"t\",\"cmd\":\"make\",\"ok\":false,\"exit\":null,\"signal\":9,"
	    "\"tail\":\"ab\\u00e9cd\\n\"},{\"name\":\"s\",\"ok\":false,"
	    "\"skipped\":true}]},\"error\":{\"stage\":\"qa\",\"code\":"
	    "\"qa_failed\",\"message\":\"m\"},\"y\":[1,1]}";
	struct aas_rec r;
	json_t *h, *f;
	char cid[65], *s;

	plan(17);
	ok(failed("{\"error\":{\"stage\":\"apply\",\"code\":\"ambiguous\"}}"),
	    "an apply error is repaired");
	ok(failed("{\"error\":{\"stage\":\"plan\",\"code\":\"empty_plan\"}}"),
	    "a plan error is repaired");
	ok(failed("{\"qa\":{\"ok\":false}}"), "qa.ok false is repaired");
	ok(!failed("{\"error\":{\"stage\":\"qa\",\"code\":\"skipped\"}}"),
	    "a task qa skipped is not");
	ok(!failed("{\"error\":{\"stage\":\"submit\",\"code\":\"http_500\"}}"),
	    "a submit error is not");
	ok(!failed("{\"qa\":{\"ok\":true}}"), "a task that passed is not");
	is_int(attempt("{\"attempt\":3}"), 3, "attempt 3");
	is_int(attempt("{\"attempt\":\"3\"}") + attempt("{\"attempt\":0}"), 2,
	    "a mistyped or zero attempt is 1");

	aas_repair_custom_id("A-1", "0123456789abcdef", 1, cid);
	is_str(cid, "A-1-0123456789ab", "attempt 1: the custom_id of ids.h");
	aas_repair_custom_id("A-1", "0123456789abcdef", 12, cid);
	is_str(cid, "A-1-r12-01234567", "attempt 12: r12 and the sha");

	aas_rec_parse(&r, line, strlen(line), NULL);
	h = aas_repair_history_entry(r.obj);
	s = json_dumps(h, JSON_COMPACT);
	is_str(s, "{\"attempt\":2,\"stage\":\"qa\",\"code\":\"qa_failed\","
	    "\"message\":\"m\",\"checks\":[\"t\"],\"branch\":\"aas/A-1\","
	    "\"commit\":\"c1\",\"model\":\"m\",\"usd\":0.5}",
	    "history entry: the error, the failed checks run, apply, cost");
	free(s);
	json_decref(h);

	f = aas_repair_fields(r.obj, NULL, 3, 4, 4, 0);
	is_str(json_string_value(json_object_get(f, "failure")),
	    "check t failed: killed by signal 9\ncommand: make\n"
	    "output (the last 3 of 7 bytes):\ncd\n",
	    "failure: the status, the command, the tail cut at a character");
	is_str(json_string_value(json_object_get(f, "previous")), "t\n",
	    "previous: no diff, no edits in the plan: the answer's text");
	is_str(json_string_value(json_object_get(f, "attempt")), "3",
	    "the attempt field");
	json_decref(f);

	aas_repair_begin(&r, 3);
	is_str(r.line, "{\"id\":\"A-1\",\"x\":0.1,\"attempt\":3,\"y\":[1,1],"
	    "\"history\":[{\"attempt\":2,\"stage\":\"qa\",\"code\":"
	    "\"qa_failed\",\"message\":\"m\",\"checks\":[\"t\"],\"branch\":"
	    "\"aas/A-1\",\"commit\":\"c1\",\"model\":\"m\",\"usd\":0.5}]}",
	    "begin: stage keys gone, others as they were, history added");
	aas_rec_free(&r);

	line = "{\"id\":\"B-1\",\"history\":[{\"attempt\":1}],\"error\":{\"stage\":"
	    "\"plan\",\"code\":\"c\",\"message\":\"no\",\"looked_for\":[\"json\"]}}";
	aas_rec_parse(&r, line, strlen(line), NULL);
	f = aas_repair_fields(r.obj, NULL, 2, 3, 10, 0);
	is_str(json_string_value(json_object_get(f, "failure")),
	    "aas-plan: c: no\n{\n  \"looked_for\": [\n    \"json\"\n  ]\n}\n",
	    "failure: the error and its other members");
	json_decref(f);
	aas_repair_begin(&r, 2);
	is_str(r.line, "{\"id\":\"B-1\",\"history\":[{\"attempt\":1},"
	    "{\"attempt\":1,\"stage\":\"plan\",\"code\":\"c\",\"message\":"
	    "\"no\",\"checks\":[],\"branch\":null,\"commit\":null,\"model\":"
	    "null,\"usd\":null}],\"attempt\":2}",
	    "begin: the entry appended to the history there was");
	aas_rec_free(&r);
	return done_testing();
}
