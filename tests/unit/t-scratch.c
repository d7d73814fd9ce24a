/* t-scratch.c: unit tests for lib/scratch.c on real repositories. */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "scratch.h"
#include "child.h"
#include "tap.h"
#include "banned.h"

static char top[PATH_MAX];

/* Run a fixed shell script in top; its output (trimmed) in a static. */
static const char *
sh(const char *script)
{
	static char out[4096];
	char *argv[] = { "/bin/sh", "-ec", (char *)script, NULL };
	struct aas_spawn sp;
	struct aas_spawn_res r;
	struct aas_err e;
	size_t n;

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.cwd = top;
	sp.timeout_ms = 30000;
	if (aas_spawn_run(&sp, &r, &e) == -1)
		return "spawn failed";
	n = r.outlen;
	while (n > 0 && r.out[n - 1] == '\n')
		n--;
	snprintf(out, sizeof(out), "%s%.*s", r.exit != 0 ? "FAILED: " : "",
	    (int)n, r.out);
	aas_spawn_res_free(&r);
	return out;
}

static char *
slurp(const char *path)
{
	char *s = NULL;
	size_t n;
	struct aas_err e;

	if (aas_read_file(path, &s, &n, &e) == -1)
		return aas_xstrdup("(unreadable)");
	return s;
}

/* A tree of 300 files, past the size written from two threads: every
 * file, its bytes and its mode; and a file already there fails the
 * checkout, with its name. */
static void
many_files(void)
{
	struct aas_err e;
	struct stat sb;
	char *dir, *p, *s, want[64], commit[64];
	int i, bad = 0, modes = 0;

	snprintf(commit, sizeof(commit), "%s", sh("git init -q -b main many && "
	    "cd many && git config user.name T && "
	    "git config user.email t@e.invalid && i=0 && "
	    "while [ $i -lt 300 ]; do mkdir -p d$((i % 7)) && "
	    "echo \"file $i\" > d$((i % 7))/f$i; i=$((i + 1)); done && "
	    "chmod +x d3/f10 && echo top > zz-top && ln -s d0/f0 top-link && "
	    "git add -A && git commit -q -m many && "
	    "git rev-parse HEAD"));
	is_int(strlen(commit), 40, "many: fixture made");
	p = aas_xasprintf("%s/many", top);
	dir = aas_scratch_mkdir(top, "many", &e);
	is_int(aas_scratch_checkout(p, commit, dir, &e), 0,
	    "many: 300 files checked out");
	for (i = 0; i < 300; i++) {
		free(p);
		p = aas_xasprintf("%s/d%d/f%d", dir, i % 7, i);
		s = slurp(p);
		snprintf(want, sizeof(want), "file %d\n", i);
		if (strcmp(s, want) != 0)
			bad++;
		free(s);
		if (stat(p, &sb) != 0 || (sb.st_mode & 0777) !=
		    (i == 10 ? 0755 : 0644))
			modes++;
	}
	is_int(bad, 0, "many: every file's bytes");
	is_int(modes, 0, "many: every file's mode (one executable)");
	free(p);
	p = aas_xasprintf("%s/top-link", dir);
	s = slurp(p);
	is_str(s, "file 0\n", "many: the link too");
	free(s);
	free(p);
	aas_scratch_remove(dir, &e);
	free(dir);
	p = aas_xasprintf("%s/many", top);
	dir = aas_scratch_mkdir(top, "many", &e);
	s = aas_xasprintf("%s/zz-top", dir);
	close(open(s, O_WRONLY | O_CREAT, 0644));
	memset(&e, 0, sizeof(e));
	ok(aas_scratch_checkout(p, commit, dir, &e) == -1 &&
	    strstr(e.msg, "zz-top: File exists") != NULL,
	    "many: a file in the way fails it, named");
	free(s);
	aas_scratch_remove(dir, &e);
	free(dir);
	free(p);
}

int
main(void)
{
	struct aas_err e;
	struct stat sb, ib1, ib2;
	char *dir, *p, *s, commit[64], bad[64], link[64];
	const char *o;
	ssize_t n;

	plan(38);
	aas_init();
	snprintf(top, sizeof(top), "%s/aas-t-scratch.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(top) == NULL)
		return 1;

	o = sh("git init -q -b main repo && cd repo && "
	    "git config user.name T && git config user.email t@e.invalid && "
	    "mkdir -p sub deep/x && echo alpha > a.txt && "
	    "printf '#!/bin/sh\\necho hi\\n' > sub/b.sh && chmod +x sub/b.sh && "
	    "printf 'int x;\\n' > deep/x/y.c && ln -s a.txt link && "
	    "git add -A && git commit -q -m one && "
	    "git branch aas/T-1 && echo dirty > a.txt && git rev-parse HEAD");
	snprintf(commit, sizeof(commit), "%s", o);
	is_int(strlen(commit), 40, "fixture repository made");

	p = aas_xasprintf("%s/repo/.git/index", top);
	stat(p, &ib1);
	free(p);

	dir = aas_scratch_mkdir(top, "T-1 $(x)/../y", &e);
	ok(dir != NULL, "mkdir");
	p = aas_xasprintf("%s/T-1___x__.._y.", top);
	ok(dir != NULL && strncmp(dir, p, strlen(p)) == 0 &&
	    strlen(dir) == strlen(p) + 6, "mkdir: name made safe");
	free(p);
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "mkdir: mode 0700");
	s = aas_scratch_mkdir(top, "", &e);
	ok(s != NULL && strstr(s, "/_.") != NULL, "mkdir: empty name");
	rmdir(s);
	free(s);

	p = aas_xasprintf("%s/repo", top);
	is_int(aas_scratch_checkout(p, commit, dir, &e), 0, "checkout");
	free(p);
	p = aas_xasprintf("%s/a.txt", dir);
	s = slurp(p);
	is_str(s, "alpha\n", "file content from the commit, not the work tree");
	free(s);
	ok(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0644, "mode 0644");
	free(p);
	p = aas_xasprintf("%s/sub/b.sh", dir);
	ok(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0755,
	    "executable mode 0755");
	free(p);
	p = aas_xasprintf("%s/deep/x/y.c", dir);
	s = slurp(p);
	is_str(s, "int x;\n", "nested file");
	free(s);
	free(p);
	p = aas_xasprintf("%s/link", dir);
	n = readlink(p, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	is_str(link, "a.txt", "symbolic link kept as a link");
	free(p);
	p = aas_xasprintf("%s/.git", dir);
	ok(access(p, F_OK) == -1, "no .git in the scratch tree");
	free(p);

	/* The user's checkout is untouched. */
	p = aas_xasprintf("%s/repo/.git/index", top);
	stat(p, &ib2);
	free(p);
	ok(ib1.st_mtim.tv_sec == ib2.st_mtim.tv_sec &&
	    ib1.st_mtim.tv_nsec == ib2.st_mtim.tv_nsec &&
	    ib1.st_size == ib2.st_size, "index not rewritten");
	is_str(sh("cd repo && git status --porcelain && "
	    "git symbolic-ref HEAD && cat a.txt"),
	    " M a.txt\nrefs/heads/main\ndirty", "work tree and HEAD untouched");

	is_int(aas_scratch_remove(dir, &e), 0, "remove");
	ok(access(dir, F_OK) == -1, "removed");
	free(dir);

	/* Abbreviated ids work; other revisions are refused. */
	dir = aas_scratch_mkdir(top, "abbrev", &e);
	p = aas_xasprintf("%s/repo", top);
	snprintf(bad, sizeof(bad), "%.8s", commit);
	is_int(aas_scratch_checkout(p, bad, dir, &e), 0, "abbreviated id");
	is_int(aas_scratch_checkout(p, "HEAD", dir, &e), -1,
	    "a ref name is refused");
	is_str(e.msg, "commit 'HEAD' is not a hex id", "refused: message");
	is_int(aas_scratch_checkout(p,
	    "0123456789012345678901234567890123456789", dir, &e), -1,
	    "unknown commit");
	is_str(e.code, "scratch", "unknown commit: code");
	aas_scratch_remove(dir, &e);
	free(dir);

	/* A tree with an entry named "..": refused, nothing written above. */
	o = sh("cd repo && blob=$(echo evil | git hash-object -w --stdin) && "
	    "t=$(perl -e 'print \"100644 ..\\0\", pack(\"H*\", $ARGV[0])' "
	    "\"$blob\" | git hash-object -t tree -w --literally --stdin) && "
	    "git commit-tree -m evil \"$t\"");
	snprintf(bad, sizeof(bad), "%s", o);
	dir = aas_scratch_mkdir(top, "evil", &e);
	is_int(aas_scratch_checkout(p, bad, dir, &e), -1, "'..' entry refused");
	is_str(e.code, "bad_tree", "'..' entry: code");
	aas_scratch_remove(dir, &e);
	free(dir);

	/* Branch deletion only at the expected commit. */
	is_int(aas_scratch_branch_delete(p, "aas/T-1",
	    "0123456789012345678901234567890123456789", &e), 1,
	    "moved branch kept");
	is_str(e.code, "branch_moved", "moved: code");
	is_int(aas_scratch_branch_delete(p, "aas/T-1", commit, &e), 0,
	    "branch deleted");
	is_str(sh("cd repo && git branch --list 'aas/*' | wc -l | tr -d ' '"),
	    "0", "branch gone");
	is_int(aas_scratch_branch_delete(p, "aas/T-1", commit, &e), 1,
	    "missing branch");
	is_str(e.code, "branch_missing", "missing: code");
	is_int(aas_scratch_branch_delete(p, "main", commit, &e), 1,
	    "checked-out branch kept");
	is_str(e.code, "branch_checked_out", "checked out: code");
	is_int(aas_scratch_branch_delete(p, "../x", commit, &e), -1,
	    "invalid branch name");
	free(p);

	many_files();
	aas_rmtree(top, &e);
	aas_fini();
	return done_testing();
}
