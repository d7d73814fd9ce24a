/* t-forge.c: what the GitHub and GitLab targets share: URLs, the pull
 * request's title and body, rate-limit delays, the push's remote URL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "aas.h"
#include "forge.h"
#include "push.h"
#include "tap.h"

static void
slug(const char *url, const char *want)
{
	char *s = aas_forge_slug(url), name[256];

	snprintf(name, sizeof(name), "slug of %s", url);
	is_str(s, want, name);
	free(s);
}

static void
pushurl(const char *remote, const char *want)
{
	struct aas_err e;
	char *u = NULL, name[256];

	snprintf(name, sizeof(name), "push URL of %s", remote);
	if (aas_push_url(NULL, remote, &u, &e) == -1)
		is_str(e.code, want, name);
	else
		is_str(u, want, name);
	free(u);
}

static json_t *
hdrs(const char *a, const char *av, const char *b, const char *bv)
{
	json_t *h = json_object();

	if (a != NULL)
		json_object_set_new(h, a, json_string(av));
	if (b != NULL)
		json_object_set_new(h, b, json_string(bv));
	return h;
}

static void
delay(long status, json_t *h, const char *msg, long long want,
    const char *name)
{
	json_t *body = msg != NULL ? json_pack("{s:s}", "message", msg) : NULL;

	is_int(aas_forge_rate_delay(status, h, body, 1700000000000LL), want,
	    name);
	json_decref(body);
	json_decref(h);
}

static const char want_body[] =
    "<!-- aas-notify: T-7 -->\n"
    "**T-7**: Parse the \\| config\n"
    "\n"
    "Status: **Failed**\n"
    "\n"
    "### Summary\n"
    "\n"
    "Reads *YAML*.\n"
    "\n"
    "### Files changed (2)\n"
    "\n"
    "- `lib/a'b.c` (write)\n"
    "- `README`\n"
    "\n"
    "### Checks\n"
    "\n"
    "| Check | Result | Exit | Time |\n"
    "| --- | --- | --- | --- |\n"
    "| build | passed | 0 | 1.5 s |\n"
    "| unit \\| fast | **failed** | 2 | - |\n"
    "\n"
    "### Error\n"
    "\n"
    "qa: `check_failed`: tests failed: exit 2\n"
    "\n"
    "### Run\n"
    "\n"
    "- Attempts: 2\n"
    "- Model: gpt-4.1-mini\n"
    "- Cost: $0.0123 (1500 input and 300 output tokens)\n"
    "- Commit: 0123456789abcdef0123456789abcdef01234567\n"
    "\n"
    "<sub>Written by aas-notify; rewritten on each run that reports a new "
    "outcome.</sub>\n";

/* A repository with branch aas/T-1 (one commit) and an empty bare one;
 * the branch's id in out. */
static void
make_repos(const char *dir, char out[GIT_OID_HEXSZ + 1])
{
	git_repository *r, *bare;
	git_treebuilder *tb;
	git_signature *sig;
	git_oid blob, tid, cid;
	git_tree *t;
	char *p;

	p = aas_xasprintf("%s/work", dir);
	git_repository_init(&r, p, 0);
	free(p);
	p = aas_xasprintf("%s/bare.git", dir);
	git_repository_init(&bare, p, 1);
	free(p);
	git_blob_create_from_buffer(&blob, r, "x\n", 2);
	git_treebuilder_new(&tb, r, NULL);
	git_treebuilder_insert(NULL, tb, "x.txt", &blob, GIT_FILEMODE_BLOB);
	git_treebuilder_write(&tid, tb);
	git_treebuilder_free(tb);
	git_tree_lookup(&t, r, &tid);
	git_signature_new(&sig, "T", "t@example.invalid", 1767225600, 0);
	git_commit_create(&cid, r, "refs/heads/aas/T-1", sig, sig, NULL,
	    "t\n", t, 0, NULL);
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, &cid);
	git_signature_free(sig);
	git_tree_free(t);
	git_repository_free(bare);
	git_repository_free(r);
}

static void
test_push(void)
{
	char dir[] = "/tmp/t-forge.XXXXXX", id[GIT_OID_HEXSZ + 1], *work, *url;
	git_repository *bare;
	git_reference *ref;
	struct aas_err e;
	int rc;

	if (mkdtemp(dir) == NULL)
		return;
	make_repos(dir, id);
	work = aas_xasprintf("%s/work", dir);
	url = aas_xasprintf("%s/bare.git", dir);
	rc = aas_push_branch(work, url, "aas/T-1", id, "u", "tok", &e);
	is_int(rc, 0, "push: a local bare repository");
	git_repository_open(&bare, url);
	ok(git_reference_lookup(&ref, bare, "refs/heads/aas/T-1") == 0 &&
	    git_oid_streq(git_reference_target(ref), id) == 0,
	    "push: the branch is there at the commit");
	git_reference_free(ref);
	git_repository_free(bare);
	is_int(aas_push_branch(work, url, "aas/T-1", id, "u", "tok", &e), 0,
	    "push again: nothing to do");
	is_int(aas_push_branch(work, url, "aas/T-9", NULL, "u", "tok", &e), 1,
	    "push: no such local branch is 1");
	rc = aas_push_branch(work, url, "aas/T-1",
	    "0123456789abcdef0123456789abcdef01234567", "u", "tok", &e);
	is_str(rc == -1 ? e.code : "ok", "branch_moved",
	    "push: a branch not at the record's commit");
	rc = aas_push_branch("/nonexistent", url, "aas/T-1", NULL, "u", "tok",
	    &e);
	is_str(rc == -1 ? e.code : "ok", "no_repo", "push: no repository");
	free(work);
	free(url);
	aas_rmtree(dir, &e);
}

int
main(void)
{
	json_t *o, *files;
	char *s, *big;
	size_t i;

	plan(45);
	aas_setprogname("t-forge");
	aas_init();

	s = aas_forge_escape("owner:aas/T-1 x~y");
	is_str(s, "owner%3Aaas%2FT-1%20x~y", "escape: : / space, ~ kept");
	free(s);
	s = aas_forge_escape("");
	is_str(s, "", "escape of nothing is empty");
	free(s);

	slug("https://github.com/owner/repo.git", "owner/repo");
	slug("https://github.com/owner/repo/", "owner/repo");
	slug("http://127.0.0.1:8080/owner/repo", "owner/repo");
	slug("git@github.com:owner/repo.git", "owner/repo");
	slug("ssh://git@gitlab.com/group/sub/repo.git", "group/sub/repo");
	slug("https://github.com/justone", NULL);
	slug("/srv/git/repo", NULL);

	pushurl("https://x-access-token:ghp_secret@github.com/o/r.git",
	    "https://github.com/o/r.git");
	pushurl("http://127.0.0.1:99/o/r.git", "http://127.0.0.1:99/o/r.git");
	pushurl("git@github.com:o/r.git", "https://github.com/o/r.git");
	pushurl("ssh://git@gitlab.example:2222/g/r.git",
	    "https://gitlab.example/g/r.git");
	pushurl("file:///srv/r.git", "config");
	pushurl("/tmp", "config");

	o = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "type", "task.done",
	    "data", "id", "T-7", "title", "Parse\tthe | config", "status",
	    "Failed", "branch", "aas/T-7");
	s = aas_forge_title(o, NULL);
	is_str(s, "T-7: Parse the | config", "title: ID: title, one line");
	free(s);
	s = aas_forge_title(o, "Draft: ");
	is_str(s, "Draft: T-7: Parse the | config", "title with a prefix");
	free(s);
	ok(aas_forge_draft(o), "Failed with a branch: a draft");
	json_object_set_new(json_object_get(o, "data"), "status",
	    json_string("Done"));
	ok(!aas_forge_draft(o), "Done: not a draft");
	big = aas_xmalloc(400);
	memset(big, 'x', 300);
	memcpy(big + 244, "\xc3\xa9\xc3\xa9", 4);
	big[300] = '\0';
	json_object_set_new(json_object_get(o, "data"), "title",
	    json_string(big));
	s = aas_forge_title(o, NULL);
	is_int(strlen(s), 249, "title cut at 250 bytes on a "
	    "character boundary");
	free(s);
	free(big);
	json_decref(o);

	files = json_pack("[{s:s, s:s}, s]", "path", "lib/a`b.c", "op",
	    "write", "README");
	o = json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:o, "
	    "s:[{s:s, s:b, s:i, s:i}, {s:s, s:b, s:i}], s:s, s:i, s:s, "
	    "s:{s:i, s:i}, s:f, s:{s:s, s:s, s:s}}}",
	    "type", "task.failed", "data", "id", "T-7", "title",
	    "Parse the | config", "status", "Failed", "branch", "aas/T-7",
	    "commit", "0123456789abcdef0123456789abcdef01234567", "files",
	    files, "checks", "name", "build", "ok", 1, "exit", 0, "ms", 1500,
	    "name", "unit | fast", "ok", 0, "exit", 2, "summary",
	    "Reads *YAML*.", "attempts", 2, "model", "gpt-4.1-mini", "usage",
	    "input", 1500, "output", 300, "usd", 0.0123, "error", "stage",
	    "qa", "code", "check_failed", "message", "tests failed: exit 2");
	s = aas_forge_body(o);
	is_str(s, want_body, "body: task, summary, files, checks, error, run");
	free(s);
	files = json_object_get(json_object_get(o, "data"), "files");
	for (i = 0; i < 150; i++)
		json_array_append_new(files, json_string("f.c"));
	big = aas_xmalloc(10001);
	memset(big, 's', 10000);
	big[10000] = '\0';
	json_object_set_new(json_object_get(o, "data"), "summary",
	    json_string(big));
	free(big);
	s = aas_forge_body(o);
	ok(strstr(s, "### Files changed (152)\n") != NULL, "all files counted");
	ok(strstr(s, "- ... and 52 more\n") != NULL, "files past 100 noted");
	ok(strstr(s, "\n\n(summary cut)\n") != NULL, "a long summary is cut");
	ok(strlen(s) < 65536, "within GitHub's body limit");
	free(s);
	json_decref(o);

	o = json_pack("{s:{s:s}}", "data", "id", "T-8");
	s = aas_forge_body(o);
	is_str(s, "<!-- aas-notify: T-8 -->\n**T-8**\n\nStatus: **unknown**\n"
	    "\n<sub>Written by aas-notify; rewritten on each run "
	    "that reports a new outcome.</sub>\n", "a bare outcome's body");
	free(s);
	json_decref(o);

	delay(403, hdrs("retry-after", "7", NULL, NULL), "You have exceeded "
	    "a secondary rate limit.", 7000, "secondary with retry-after");
	delay(403, hdrs(NULL, NULL, NULL, NULL), "You have exceeded a "
	    "secondary rate limit. Please wait", 60000,
	    "secondary without retry-after: a minute");
	delay(403, hdrs("x-ratelimit-remaining", "0", "x-ratelimit-reset",
	    "1700000030"), "API rate limit exceeded", 31000,
	    "primary: until the reset, plus a second");
	delay(429, hdrs("x-ratelimit-remaining", "0", "x-ratelimit-reset",
	    "1699999990"), NULL, 1000, "a reset in the past: a second");
	delay(429, hdrs("ratelimit-remaining", "0", "ratelimit-reset",
	    "1700000005"), NULL, 6000, "GitLab's names");
	delay(429, hdrs("retry-after", "2", NULL, NULL), NULL, 2000,
	    "429 retry-after");
	delay(403, hdrs("x-ratelimit-remaining", "12", NULL, NULL),
	    "Resource not accessible by integration", -1,
	    "a plain 403 is no rate limit");
	delay(404, hdrs("retry-after", "2", NULL, NULL), NULL, -1,
	    "only 403 and 429");
	delay(429, hdrs(NULL, NULL, NULL, NULL), NULL, 60000,
	    "429 with no hint: a minute");

	{
		struct aas_http_resp r;

		memset(&r, 0, sizeof(r));
		r.ambiguous = 1;
		ok(aas_forge_maybe_made(&r), "no answer: maybe made");
		r.status = 502;
		ok(aas_forge_maybe_made(&r), "502: maybe made");
		r.status = 422;
		ok(!aas_forge_maybe_made(&r), "422: not made");
		r.ambiguous = 0;
		r.status = 0;
		ok(!aas_forge_maybe_made(&r), "a safe call is never ambiguous");
	}
	test_push();
	aas_fini();
	return done_testing();
}
