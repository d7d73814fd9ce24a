/* t-qa.c: unit tests for lib/qa.c helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "qa.h"
#include "tap.h"
#include "banned.h"

static void
tail_is(const char *in, size_t n, size_t lines, const char *want,
    const char *name)
{
	char *t = aas_qa_tail(in, n, lines);

	is_str(t, want, name);
	free(t);
}

/* The in-process YAML check stops at the built-ins' time limit. */
static void
inproc_limit(void)
{
	struct aas_qa_conf qc;
	struct aas_qa_task t;
	atomic_int cancel = 1;
	const char *files[] = { "big.yml" };
	char dir[] = "/tmp/t-qa.XXXXXX", *path, *why;
	json_t *qa, *c;
	FILE *f;
	int i, canceled;

	if (mkdtemp(dir) == NULL)
		return;
	path = aas_xasprintf("%s/big.yml", dir);
	f = fopen(path, "w");
	for (i = 0; f != NULL && i < 200000; i++)
		fputs("- [a, {b: c}]\n", f);
	if (f != NULL)
		fclose(f);
	memset(&qc, 0, sizeof(qc));
	qc.builtin = 1;
	qc.tail_lines = 40;
	qc.output_cap = 65536;
	qc.builtin_timeout_ms = 1;
	memset(&t, 0, sizeof(t));
	t.repo = t.worktree = dir;
	t.commit = "0";
	t.files = files;
	t.nfiles = 1;
	qa = aas_qa_run(&qc, &t, NULL, &canceled);
	c = json_array_get(json_object_get(qa, "checks"), 0);
	is_int(canceled, 0, "inproc: not canceled");
	is_str(json_string_value(json_object_get(c, "name")), "syntax-yaml",
	    "inproc: the YAML check ran");
	ok(json_is_true(json_object_get(c, "timeout")) &&
	    json_is_false(json_object_get(c, "ok")) &&
	    json_is_null(json_object_get(c, "exit")),
	    "inproc: timed out, failed, no exit code");
	is_str(json_string_value(json_object_get(c, "tail")),
	    "stopped: the time limit of 0.001 s passed\n",
	    "inproc: the tail says why");
	why = aas_qa_reason(qa);
	is_str(why, "check syntax-yaml timed out", "inproc: the reason");
	free(why);
	json_decref(qa);

	qc.builtin_timeout_ms = 120000;
	qa = aas_qa_run(&qc, &t, &cancel, &canceled);
	is_int(canceled, 1, "inproc: a set cancel flag stops it");
	json_decref(qa);
	unlink(path);
	rmdir(dir);
	free(path);
}

int
main(void)
{
	unsigned counts[3] = { 0, 0, 0 };
	char id[32];
	int i;

	plan(39);
	ok(aas_qa_glob_match("*.c", "x.c"), "glob: *.c x.c");
	ok(aas_qa_glob_match("*.c", "lib/x.c"), "glob: * crosses /");
	ok(!aas_qa_glob_match("*.c", "x.cc"), "glob: no partial suffix");
	ok(aas_qa_glob_match("Makefile", "sub/Makefile"),
	    "glob: basename for patterns without /");
	ok(!aas_qa_glob_match("lib/Makefile", "sub/Makefile"),
	    "glob: patterns with / match the whole path");
	ok(aas_qa_glob_match("lib/*", "lib/a/b.c"), "glob: lib/*");
	ok(aas_qa_glob_match("[ab].txt", "dir/b.txt"), "glob: brackets");

	is_str(aas_qa_lang("a/b.c"), "c", "lang: .c");
	is_str(aas_qa_lang("x.h"), "c", "lang: .h");
	is_str(aas_qa_lang("x.py"), "python", "lang: .py");
	is_str(aas_qa_lang("x.sh"), "sh", "lang: .sh");
	is_str(aas_qa_lang("x.mjs"), "js", "lang: .mjs");
	is_str(aas_qa_lang("x.json"), "json", "lang: .json");
	is_str(aas_qa_lang("x.yaml"), "yaml", "lang: .yaml");
	is_str(aas_qa_lang("ci.yml"), "yaml", "lang: .yml");
	ok(aas_qa_lang("x.txt") == NULL, "lang: none");
	ok(aas_qa_lang("dir/.c") == NULL, "lang: a bare extension is no file");
	ok(aas_qa_lang("Makefile") == NULL, "lang: no extension");

	/* FNV-1a 64: the published test vectors */
	is_int(aas_qa_shard("", 1), 1, "shard: N=1 is always 1");
	is_int(aas_qa_shard("a", 1000), 0xaf63dc4c8601ec8cULL % 1000 + 1,
	    "shard: FNV-1a of \"a\"");
	is_int(aas_qa_shard("foobar", 97), 0x85944171f73967e8ULL % 97 + 1,
	    "shard: FNV-1a of \"foobar\"");
	is_int(aas_qa_shard(NULL, 7), 0xcbf29ce484222325ULL % 7 + 1,
	    "shard: no id hashes as empty");
	for (i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "AAS-%d", i);
		counts[aas_qa_shard(id, 3) - 1]++;
	}
	ok(counts[0] > 900 && counts[1] > 900 && counts[2] > 900,
	    "shard: ids spread over the shards");

	tail_is("a\nb\nc\n", 6, 2, "b\nc\n", "tail: last 2 lines");
	tail_is("a\nb\nc", 5, 2, "b\nc", "tail: no final newline");
	tail_is("a\nb\n", 4, 5, "a\nb\n", "tail: fewer lines than asked");
	tail_is("", 0, 3, "", "tail: empty");
	tail_is("\n\n\n", 3, 1, "\n", "tail: blank lines count");
	tail_is("x\xc3\xa9y\n", 5, 1, "x\xc3\xa9y\n", "tail: UTF-8 kept");
	tail_is("\xa9y\n", 3, 1, "y\n", "tail: a cut character dropped");
	tail_is("a\xff" "b", 3, 1, "a\xef\xbf\xbd" "b", "tail: bad byte replaced");
	tail_is("a\0b", 3, 1, "a?b", "tail: NUL replaced");
	tail_is("\xed\xa0\x80z", 4, 1, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz",
	    "tail: surrogates replaced");
	inproc_limit();
	return done_testing();
}
