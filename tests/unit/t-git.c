/* t-git.c: trees in memory, commits, branches by compare-and-swap, export. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "aas.h"
#include "git.h"
#include "tap.h"

static char dir[] = "/tmp/t-git.XXXXXX";

/* The base commit: a.txt, run.sh (755), dir/b.c, link -> dir. */
static void
make_repo(void)
{
	git_repository *r;
	git_treebuilder *tb, *sub;
	git_oid a, run, b, lnk, subid, tid, cid;
	git_signature *sig;
	git_tree *t;

	git_repository_init(&r, dir, 0);
	git_blob_create_from_buffer(&a, r, "one\ntwo\n", 8);
	git_blob_create_from_buffer(&run, r, "#!/bin/sh\n", 10);
	git_blob_create_from_buffer(&b, r, "int b;\n", 7);
	git_blob_create_from_buffer(&lnk, r, "dir", 3);
	git_treebuilder_new(&sub, r, NULL);
	git_treebuilder_insert(NULL, sub, "b.c", &b, GIT_FILEMODE_BLOB);
	git_treebuilder_write(&subid, sub);
	git_treebuilder_free(sub);
	git_treebuilder_new(&tb, r, NULL);
	git_treebuilder_insert(NULL, tb, "a.txt", &a, GIT_FILEMODE_BLOB);
	git_treebuilder_insert(NULL, tb, "run.sh", &run,
	    GIT_FILEMODE_BLOB_EXECUTABLE);
	git_treebuilder_insert(NULL, tb, "dir", &subid, GIT_FILEMODE_TREE);
	git_treebuilder_insert(NULL, tb, "link", &lnk, GIT_FILEMODE_LINK);
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
}

static const char *
code_of(int rc, struct aas_err *e)
{
	return rc == -1 ? e->code : "ok";
}

int
main(void)
{
	struct aas_git *g;
	struct aas_git_tree *t;
	struct aas_err e;
	char head[AAS_GIT_HEX], tree[AAS_GIT_HEX], c1[AAS_GIT_HEX];
	char c2[AAS_GIT_HEX], got[AAS_GIT_HEX], *data, *p, *where, buf[256];
	git_repository *r;
	git_commit *c;
	git_oid id;
	unsigned mode;
	size_t len;
	struct stat st;
	ssize_t n;

	aas_setprogname("t-git");
	if (mkdtemp(dir) == NULL)
		return 1;
	/* no identity from the machine's git config */
	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	aas_init();
	make_repo();

	is_str(code_of(aas_git_path_check("/etc/passwd", &e), &e),
	    "path_escape", "absolute refused");
	is_str(code_of(aas_git_path_check("a/../../x", &e), &e),
	    "path_escape", "dot-dot refused");
	is_str(e.msg, "refusing path 'a/../../x': outside the repository",
	    "dot-dot message");
	is_str(code_of(aas_git_path_check("a//b", &e), &e), "path_escape",
	    "empty component refused");
	is_str(code_of(aas_git_path_check("x/.GiT/config", &e), &e),
	    "path_git", ".git in any case refused");
	is_str(code_of(aas_git_path_check(".git", &e), &e), "path_git",
	    ".git refused");
	is_str(code_of(aas_git_path_check("a\\b", &e), &e), "path_escape",
	    "backslash refused");
	is_str(code_of(aas_git_path_check("lib/.gitignore", &e), &e), "ok",
	    ".gitignore allowed");

	ok(aas_git_open(&g, dir, &e) == 0, "open");
	ok(aas_git_resolve(g, "HEAD", head, &e) == 0, "resolve HEAD");
	is_str(code_of(aas_git_resolve(g, "nope", got, &e), &e), "bad_rev",
	    "bad rev");
	ok(aas_git_tree_open(g, head, &t, &e) == 0, "tree open");
	ok(aas_git_tree_read(t, "a.txt", &data, &len, &mode, &e) == 0 &&
	    len == 8 && strcmp(data, "one\ntwo\n") == 0 && mode == 0100644,
	    "read a file");
	free(data);
	is_int(aas_git_tree_read(t, "nope.c", &data, &len, &mode, &e), 1,
	    "missing file");
	is_str(code_of(aas_git_tree_read(t, "link/b.c", &data, &len, &mode,
	    &e), &e), "path_symlink", "through a symlink refused");
	is_str(code_of(aas_git_tree_put(t, "link", "x", 1, 0, &e), &e),
	    "path_symlink", "writing a symlink refused");
	is_str(code_of(aas_git_tree_put(t, "a.txt/x", "x", 1, 0, &e), &e),
	    "path_conflict", "file in the way");
	is_str(code_of(aas_git_tree_put(t, "dir", "x", 1, 0, &e), &e),
	    "path_conflict", "folder in the way");
	ok(aas_git_tree_put(t, "run.sh", "#!/bin/sh\nexit 0\n", 17, 0,
	    &e) == 0, "put keeps");
	ok(aas_git_tree_read(t, "run.sh", &data, &len, &mode, &e) == 0 &&
	    mode == 0100755 && len == 17, "read sees pending, exec kept");
	free(data);
	ok(aas_git_tree_put(t, "new/deep/f.c", "int f;\n", 7, 0, &e) == 0,
	    "put new deep file");
	is_int(aas_git_tree_remove(t, "a.txt", &e), 0, "remove");
	is_int(aas_git_tree_remove(t, "a.txt", &e), 1, "remove again");
	is_int(aas_git_tree_read(t, "a.txt", &data, &len, &mode, &e), 1,
	    "removed file reads absent");
	ok(aas_git_tree_find_name(t, "b.c", &p, &e) == 0 &&
	    strcmp(p, "dir/b.c") == 0, "find by name");
	free(p);
	is_int(aas_git_tree_find_name(t, "zz.c", &p, &e), 1, "name not found");
	ok(aas_git_tree_write(t, tree, &e) == 0, "tree write");
	aas_git_tree_free(t);

	/* paths HFS+ and NTFS read as .git, and hostile characters */
	ok(aas_git_tree_open(g, head, &t, &e) == 0, "tree open again");
	is_str(code_of(aas_git_tree_put(t, ".g\xe2\x80\x8cit/config", "x", 1,
	    0, &e), &e), "path_git", "HFS+ .git refused");
	is_str(code_of(aas_git_tree_put(t, "GIT~1/config", "x", 1, 0, &e),
	    &e), "path_git", "NTFS short name of .git refused");
	is_str(e.msg, "refusing path 'GIT~1/config': NTFS reads it as .git "
	    "(its short name GIT~1)", "GIT~1: a path code and the path, not "
	    "libgit2's message");
	is_str(code_of(aas_git_tree_remove(t, "x\xe2\x80\xae.c", &e), &e),
	    "path_bidi", "bidi override refused on delete too");

	/* a file where an earlier edit put a folder, and the other way */
	ok(aas_git_tree_put(t, "df", "x", 1, 0, &e) == 0, "write df");
	is_str(code_of(aas_git_tree_put(t, "df/b", "x", 1, 0, &e), &e),
	    "path_conflict", "then df/b: refused");
	is_str(e.msg, "refusing path 'df/b': a file is in the way ('df', "
	    "written earlier in the plan)", "D/F conflict names both paths");
	ok(aas_git_tree_put(t, "fd/b", "x", 1, 0, &e) == 0, "write fd/b");
	is_str(code_of(aas_git_tree_put(t, "fd", "x", 1, 0, &e), &e),
	    "path_conflict", "then fd: refused");
	is_str(e.msg, "refusing path 'fd': a folder now ('fd/b' was written "
	    "earlier in the plan)", "F/D conflict names both paths");
	is_int(aas_git_tree_remove(t, "df", &e), 0, "remove df again");
	ok(aas_git_tree_put(t, "df/b", "x", 1, 0, &e) == 0,
	    "df/b once df is gone");
	aas_git_tree_free(t);

	/* protected paths: the default list, then a task that names one */
	ok(aas_git_tree_open(g, head, &t, &e) == 0, "tree open: guard");
	is_str(code_of(aas_git_tree_put(t, ".github/workflows/ci.yml", "x", 1,
	    0, &e), &e), "path_protected", "a workflow refused by default");
	is_str(code_of(aas_git_tree_remove(t, ".gitmodules", &e), &e),
	    "path_protected", "deleting .gitmodules refused");
	{
		json_t *fields = json_pack("{s:s}", "Files",
		    ".github/workflows/ci.yml, src/x.c");

		aas_git_tree_guard(t, NULL, fields);
		json_decref(fields);
	}
	ok(aas_git_tree_put(t, ".github/workflows/ci.yml", "x", 1, 0,
	    &e) == 0, "a workflow the task's Files names");
	is_str(code_of(aas_git_tree_put(t, ".github/workflows/other.yml", "x",
	    1, 0, &e), &e), "path_protected", "one it does not name");
	aas_git_tree_free(t);

	/* nothing to commit: a write then a delete of one path */
	ok(aas_git_tree_open(g, head, &t, &e) == 0, "tree open: empty");
	ok(aas_git_tree_put(t, "tmp.txt", "x", 1, 0, &e) == 0, "write tmp");
	is_int(aas_git_tree_remove(t, "tmp.txt", &e), 0, "delete tmp");
	is_str(code_of(aas_git_tree_write(t, tree, &e), &e), "empty_change",
	    "write then delete: empty_change");
	is_str(e.msg, "no change to commit: 'tmp.txt' is written and then "
	    "deleted, and no other file changes", "empty_change message");
	aas_git_tree_free(t);
	ok(aas_git_tree_open(g, head, &t, &e) == 0, "tree open: same");
	ok(aas_git_tree_put(t, "a.txt", "one\ntwo\n", 8, 0, &e) == 0,
	    "a.txt written as it is");
	is_str(code_of(aas_git_tree_write(t, tree, &e), &e), "empty_change",
	    "the same content: empty_change");
	is_str(e.msg, "no change to commit: every file is as it is in the "
	    "base", "empty_change message, nothing undone");
	aas_git_tree_free(t);

	setenv("GIT_AUTHOR_DATE", "@1767225600 +0100", 1);
	setenv("GIT_COMMITTER_DATE", "2026-01-01T01:00:00+01:00", 1);
	ok(aas_git_commit(g, tree, head, "T-1: x\n", "A U <a@x>", NULL, c1,
	    &e) == 0, "commit");
	git_repository_open(&r, dir);
	git_oid_fromstr(&id, c1);
	git_commit_lookup(&c, r, &id);
	is_str(git_commit_author(c)->name, "A U", "author name");
	is_int(git_commit_author(c)->when.time, 1767225600, "author date");
	is_int(git_commit_author(c)->when.offset, 60, "author zone");
	is_int(git_commit_committer(c)->when.time, 1767225600,
	    "committer date (ISO)");
	is_str(git_commit_committer(c)->name, "aas", "committer fallback");
	is_int(git_commit_parentcount(c), 1, "one parent");
	git_commit_free(c);
	git_repository_free(r);
	is_str(code_of(aas_git_commit(g, tree, head, "m", "bad ident", NULL,
	    c2, &e), &e), "config", "bad ident refused");
	setenv("GIT_AUTHOR_DATE", "yesterday", 1);
	is_str(code_of(aas_git_commit(g, tree, head, "m", NULL, NULL, c2, &e),
	    &e), "config", "bad date refused");
	unsetenv("GIT_AUTHOR_DATE");
	unsetenv("GIT_COMMITTER_DATE");
	ok(aas_git_commit(g, tree, c1, "T-2\n", NULL, NULL, c2, &e) == 0,
	    "second commit");

	/* branches */
	is_int(aas_git_branch_get(g, "aas/T-1", got, &e), 1, "no branch yet");
	is_str(code_of(aas_git_branch_set(g, "aas/T-1", c1, NULL, "aas", &e),
	    &e), "ok", "create branch");
	ok(aas_git_branch_get(g, "aas/T-1", got, &e) == 0 &&
	    strcmp(got, c1) == 0, "branch points at commit");
	is_str(code_of(aas_git_branch_set(g, "aas/T-1", c2, NULL, "aas", &e),
	    &e), "branch_exists", "create over existing refused");
	is_str(code_of(aas_git_branch_set(g, "aas/T-1", c2, head, "aas", &e),
	    &e), "branch_moved", "CAS with a wrong value refused");
	is_str(code_of(aas_git_branch_set(g, "aas/T-1", c2, c1, "aas", &e),
	    &e), "ok", "CAS update");
	is_str(code_of(aas_git_branch_delete(g, "aas/T-1", c1, &e), &e),
	    "branch_moved", "delete with a wrong value refused");
	is_int(aas_git_branch_delete(g, "aas/T-1", c2, &e), 0, "delete");
	is_int(aas_git_branch_delete(g, "aas/T-1", c2, &e), 1,
	    "delete again: none");
	is_str(code_of(aas_git_branch_get(g, "aas/T-1.lock", got, &e), &e),
	    "bad_branch", "a branch name ending in .lock");
	is_str(e.msg, "branch name 'aas/T-1.lock' is not valid: a component "
	    "ends in .lock", "bad_branch message");
	is_str(code_of(aas_git_branch_set(g, "aas/x..y", c1, NULL, "aas", &e),
	    &e), "bad_branch", "set: a bad name");
	is_str(e.msg, "branch name 'aas/x..y' is not valid: git refuses it as "
	    "a reference name", "bad_branch message, other reasons");
	is_str(code_of(aas_git_branch_delete(g, "aas/T-1.lock", c1, &e), &e),
	    "bad_branch", "delete: a bad name");

	/* a writer killed mid-update left its lock and its note: recovered */
	snprintf(buf, sizeof(buf), "%s/.git/refs/heads/aas", dir);
	aas_mkdirs(buf, 0755, &e);
	snprintf(buf, sizeof(buf), "%s/.git/refs/heads/aas/T-k.lock", dir);
	aas_write_atomic(buf, "", 0, 0644, &e);
	is_str(code_of(aas_git_branch_set(g, "aas/T-k", c1, NULL, "aas", &e),
	    &e), "locked", "a lock file blocks the branch");
	snprintf(buf, sizeof(buf), "%s/.git/aas-ref-update", dir);
	aas_write_atomic(buf, "refs/heads/aas/T-k.lock\n", 24, 0644, &e);
	is_str(code_of(aas_git_branch_set(g, "aas/T-k", c1, NULL, "aas", &e),
	    &e), "ok", "a killed writer's lock is cleared");
	snprintf(buf, sizeof(buf), "%s/.git/refs/heads/aas/T-k.lock", dir);
	ok(access(buf, F_OK) == -1, "no lock file left");
	snprintf(buf, sizeof(buf), "%s/.git/aas-ref-update", dir);
	ok(access(buf, F_OK) == -1, "no note left");

	/* checked out: main work tree, linked work tree, unborn */
	is_int(aas_git_branch_checked_out(g, "main", &where, &e), 1,
	    "main is checked out");
	free(where);
	is_int(aas_git_branch_checked_out(g, "aas/T-9", &where, &e), 0,
	    "aas/T-9 is not");
	snprintf(buf, sizeof(buf), "%s/.git/worktrees/wt", dir);
	aas_mkdirs(buf, 0755, &e);
	snprintf(buf, sizeof(buf), "%s/.git/worktrees/wt/HEAD", dir);
	aas_write_atomic(buf, "ref: refs/heads/aas/T-9\n", 24, 0644, &e);
	is_int(aas_git_branch_checked_out(g, "aas/T-9", &where, &e), 1,
	    "unborn branch in a linked work tree");
	free(where);

	/* export */
	snprintf(buf, sizeof(buf), "%s/export", dir);
	ok(aas_git_export(g, c1, buf, &e) == 0, "export");
	snprintf(buf, sizeof(buf), "%s/export/run.sh", dir);
	ok(stat(buf, &st) == 0 && (st.st_mode & 0111) != 0, "exec bit kept");
	snprintf(buf, sizeof(buf), "%s/export/a.txt", dir);
	ok(access(buf, F_OK) == -1, "removed file absent");
	snprintf(buf, sizeof(buf), "%s/export/new/deep/f.c", dir);
	ok(aas_read_file(buf, &data, &len, &e) == 0 &&
	    strcmp(data, "int f;\n") == 0, "new file content");
	free(data);
	snprintf(buf, sizeof(buf), "%s/export/link", dir);
	n = readlink(buf, got, sizeof(got) - 1);
	ok(n == 3 && memcmp(got, "dir", 3) == 0, "symlink exported");

	aas_git_close(g);
	aas_rmtree(dir, &e);
	aas_fini();
	return done_testing();
}
