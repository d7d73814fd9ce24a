/* t-qa.c: unit tests for lib/qa.c helpers. */
#include <stdlib.h>
#include <string.h>

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

int
main(void)
{
	unsigned counts[3] = { 0, 0, 0 };
	char id[32];
	int i;

	plan(33);
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
	return done_testing();
}
