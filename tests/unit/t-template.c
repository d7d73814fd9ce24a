/* t-template: rendering, files, schemas, bodies */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "aas.h"
#include "context.h"
#include "git.h"
#include "template.h"
#include "tap.h"

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void
blob(git_repository *r, git_treebuilder *tb, const char *name,
    const char *text, git_filemode_t mode)
{
	git_oid id;

	git_blob_create_from_buffer(&id, r, text, strlen(text));
	git_treebuilder_insert(NULL, tb, name, &id, mode);
}

/* The commit: lib/x.c, big.txt, link.c -> lib/x.c; the work tree has
 * other bytes in lib/x.c (never read) and a file the commit lacks. */
static void
make_repo(const char *dir)
{
	git_repository *r;
	git_treebuilder *tb, *sub;
	git_oid subid, tid, cid;
	git_signature *sig;
	git_tree *t;
	char *p;

	git_repository_init(&r, dir, 0);
	git_treebuilder_new(&sub, r, NULL);
	blob(r, sub, "x.c", "int x;\n", GIT_FILEMODE_BLOB);
	git_treebuilder_write(&subid, sub);
	git_treebuilder_free(sub);
	git_treebuilder_new(&tb, r, NULL);
	git_treebuilder_insert(NULL, tb, "lib", &subid, GIT_FILEMODE_TREE);
	blob(r, tb, "big.txt", "0123456789abcdef", GIT_FILEMODE_BLOB);
	blob(r, tb, "link.c", "lib/x.c", GIT_FILEMODE_LINK);
	git_treebuilder_write(&tid, tb);
	git_treebuilder_free(tb);
	git_tree_lookup(&t, r, &tid);
	git_signature_new(&sig, "T", "t@example.invalid", 1767225600, 0);
	git_commit_create(&cid, r, "refs/heads/main", sig, sig, NULL, "base\n",
	    t, 0, NULL);
	git_repository_set_head(r, "refs/heads/main");
	git_signature_free(sig);
	git_tree_free(t);
	git_repository_free(r);
	p = aas_xasprintf("%s/lib", dir);
	mkdir(p, 0755);
	free(p);
	p = aas_xasprintf("%s/lib/x.c", dir);
	put(p, "int x; /* uncommitted */\n");
	free(p);
	p = aas_xasprintf("%s/nope.c", dir);
	put(p, "only in the work tree\n");
	free(p);
}

int
main(void)
{
	char dir[] = "/tmp/t-template.XXXXXX", *s, *p;
	struct aas_template *t;
	struct aas_template_opts o = { "gpt-4.1-mini", 0, 0 };
	struct aas_context_opts co = { 0, NULL, NULL };
	struct aas_context *ctx;
	struct aas_git *g;
	struct aas_err e;
	json_t *rec, *body, *sch;

	plan(26);
	aas_init();
	if (mkdtemp(dir) == NULL)
		return 1;
	make_repo(dir);
	if (aas_git_open(&g, dir, &e) == -1 ||
	    aas_context_open(&ctx, g, "HEAD", &co, &e) == -1)
		return 1;

	rec = json_loads("{\"id\":\"AAS-1\",\"title\":\"Add x\",\"body\":\"b\","
	    "\"deps\":[\"AAS-0\",\"AAS-9\"],\"fields\":{\"files\":\"lib/x.c, "
	    "nope.c ../etc/passwd .git/config link.c big.txt\"}}", 0, NULL);
	s = aas_template_render("{{id}}: {{title}} [{{deps}}] {{body}} "
	    "{{unknown}} {{", rec, ctx, 10);
	is_str(s, "AAS-1: Add x [AAS-0, AAS-9] b {{unknown}} {{", "fields");
	free(s);
	s = aas_template_render("{{files}}", rec, ctx, 10);
	is_str(s, "--- lib/x.c ---\nint x;\n--- nope.c ---\n(missing)\n"
	    "--- ../etc/passwd ---\n(refused)\n--- .git/config ---\n"
	    "(refused)\n--- link.c ---\n(refused)\n--- big.txt ---\n"
	    "0123456789\n(cut at 10 of 16 bytes)\n", "files: from the commit, "
	    "missing, refused, symlink, cut");
	free(s);
	json_object_set_new(rec, "fields", json_loads("{\"files\":\"lib "
	    "/etc/passwd link.c/x\"}", 0, NULL));
	s = aas_template_render("{{files}}{{map}}", rec, ctx, 10);
	is_str(s, "--- lib ---\n(not a file)\n--- /etc/passwd ---\n"
	    "(refused)\n--- link.c/x ---\n(refused)\n", "files: a folder, "
	    "absolute, through a link; no map when files are named");
	free(s);
	s = aas_template_render("{{files}}", rec, NULL, 10);
	is_str(s, "--- lib ---\n(no repository)\n--- /etc/passwd ---\n"
	    "(no repository)\n--- link.c/x ---\n(no repository)\n",
	    "files: no context, nothing read");
	free(s);
	/* a YAML plan's list: each item a path (issue 10, item 8) */
	json_object_set_new(rec, "fields", json_loads("{\"Files\":[\"lib/x.c\","
	    "\"nope.c\", 3, \"big.txt\"]}", 0, NULL));
	s = aas_template_render("{{files}}", rec, ctx, 10);
	is_str(s, "--- lib/x.c ---\nint x;\n--- nope.c ---\n(missing)\n"
	    "--- big.txt ---\n0123456789\n(cut at 10 of 16 bytes)\n",
	    "files: a list of paths");
	free(s);
	json_object_set_new(rec, "fields", json_loads("{\"files\":[]}", 0,
	    NULL));
	s = aas_template_render("{{files}}", rec, ctx, 10);
	is_str(s, "(none)\n", "files: an empty list is none");
	free(s);
	json_object_del(rec, "fields");
	json_object_set_new(rec, "deps", json_array());
	s = aas_template_render("{{files}}|{{deps}}", rec, ctx, 0);
	is_str(s, "(none)\n|none", "no files, no deps");
	free(s);
	s = aas_template_render("", rec, ctx, 0);
	is_str(s, "", "empty text");
	free(s);

	sch = aas_template_schema("plan");
	s = json_dumps(sch, JSON_COMPACT);
	ok(strstr(s, "\"required\":[\"summary\",\"edits\",\"tests\"]") != NULL,
	    "plan schema: required");
	ok(strstr(s, "\"enum\":[\"write\",\"replace\",\"patch\",\"delete\"]") !=
	    NULL, "plan schema: op enum");
	ok(strstr(s, "\"content\":{\"type\":[\"string\",\"null\"]}") != NULL,
	    "plan schema: nullable content");
	free(s);
	json_decref(sch);
	sch = aas_template_schema("subtasks");
	s = json_dumps(sch, JSON_COMPACT);
	ok(strstr(s, "\"depends_on\":{\"type\":\"array\",\"items\":{\"type\":"
	    "[\"integer\",\"string\"]}}") != NULL, "subtasks: depends_on");
	ok(strstr(s, "\"additionalProperties\":false") != NULL, "strict");
	free(s);
	json_decref(sch);
	ok(aas_template_schema("other") == NULL, "unknown schema");

	ok(aas_template_load(&t, "implement", &e) == 0, "load implement");
	is_str(aas_template_name(t), "implement", "name");
	body = aas_template_body(t, rec, ctx, &o);
	is_str(json_string_value(json_object_get(body, "model")),
	    "gpt-4.1-mini", "body: model");
	is_int(json_array_size(json_object_get(body, "messages")), 2,
	    "body: system and user");
	is_str(json_string_value(json_object_get(json_object_get(
	    json_object_get(body, "response_format"), "json_schema"), "name")),
	    "plan", "body: schema plan");
	ok(json_object_get(body, "max_completion_tokens") == NULL,
	    "no max tokens by default");
	ok(aas_template_est_tokens(body) > 100, "estimate counts the schema");
	json_decref(body);
	aas_template_free(t);

	ok(aas_template_load(&t, "decompose", &e) == 0, "load decompose");
	o.max_tokens = 500;
	body = aas_template_body(t, rec, ctx, &o);
	is_int(json_integer_value(json_object_get(body,
	    "max_completion_tokens")), 500, "max tokens");
	json_decref(body);
	aas_template_free(t);

	p = aas_xasprintf("%s/tpl", dir);
	put(p, "Be brief.\n---\nDo {{id}}.\n");
	ok(aas_template_load(&t, p, &e) == 0, "load file");
	body = aas_template_body(t, rec, ctx, &o);
	s = json_dumps(json_object_get(body, "messages"), JSON_COMPACT);
	is_str(s, "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	    "{\"role\":\"user\",\"content\":\"Do AAS-1.\\n\"}]",
	    "file template: system --- user, no schema");
	free(s);
	json_decref(body);
	aas_template_free(t);
	free(p);
	ok(aas_template_load(&t, "/nonexistent/tpl", &e) == -1 &&
	    strcmp(e.code, "template") == 0, "missing file: template error");

	json_decref(rec);
	aas_context_free(ctx);
	aas_git_close(g);
	p = aas_xasprintf("%s", dir);
	aas_rmtree(p, NULL);
	free(p);
	return done_testing();
}
