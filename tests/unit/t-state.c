/* t-state.c: state folder discovery, STOP, journals, locks. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "state.h"
#include "tap.h"

static int
count_cb(json_t *o, void *arg)
{
	(void)o;
	(*(int *)arg)++;
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/t-state.XXXXXX", *p, *q, *want;
	struct aas_state *st;
	struct aas_err e;
	json_t *o;
	int n, fd, i, status;
	pid_t pid;

	aas_setprogname("t-state");
	plan(16);
	if (mkdtemp(dir) == NULL)
		return 1;
	p = aas_xasprintf("%s/repo/.git", dir);
	aas_mkdirs(p, 0755, NULL);
	free(p);
	p = aas_xasprintf("%s/repo/sub/deeper", dir);
	aas_mkdirs(p, 0755, NULL);
	if (chdir(p) == -1)
		return 1;
	free(p);
	unsetenv("AAS_STATE");

	q = aas_find_repo_root(".");
	want = aas_xasprintf("%s/repo", dir);
	is_str(q, want, "repository root found from a subfolder");
	free(q);
	is_int(aas_state_open(&st, NULL, 1, &e), 0, "open state");
	p = aas_xasprintf("%s/.aas", want);
	is_str(aas_state_dir(st), p, "state folder at the repository root");
	free(p);
	is_str(aas_state_root(st), want, "root recorded");
	free(want);

	ok(!aas_state_stop_requested(st), "no STOP file, no stop");
	is_int(aas_state_sleep(st, 20), 0, "a sleep with no STOP runs out");
	p = aas_state_path(st, "STOP");
	close(open(p, O_CREAT | O_WRONLY, 0644));
	ok(aas_state_stop_requested(st), "STOP file seen");
	is_int(aas_state_sleep(st, 3600 * 1000), -1,
	    "a sleep ends at a STOP file");
	unlink(p);
	free(p);

	o = json_pack("{s:s}", "batch", "b1");
	is_int(aas_journal_append(st, "batches", o, &e), 0, "journal append");
	/* a torn line from a crash, then a new append */
	p = aas_state_path(st, "batches.jsonl");
	fd = open(p, O_WRONLY | O_APPEND);
	(void)!write(fd, "{\"batch\":\"to", 12);
	close(fd);
	is_int(aas_journal_append(st, "batches", o, &e), 0, "append after a "
	    "torn line");
	n = 0;
	aas_journal_read(st, "batches", count_cb, &n, &e);
	is_int(n, 2, "torn line skipped, both whole entries read");

	/* 4 children append 50 entries each under the lock */
	for (i = 0; i < 4; i++) {
		if ((pid = fork()) == 0) {
			int k;

			for (k = 0; k < 50; k++)
				aas_journal_append(st, "batches", o, NULL);
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		;
	n = 0;
	aas_journal_read(st, "batches", count_cb, &n, &e);
	is_int(n, 202, "concurrent appends all whole");
	json_decref(o);
	free(p);
	aas_state_close(st);

	p = aas_xasprintf("%s/elsewhere", dir);
	setenv("AAS_STATE", p, 1);
	aas_state_open(&st, NULL, 1, &e);
	is_str(aas_state_dir(st), p, "AAS_STATE wins over the repository");
	aas_state_close(st);
	aas_state_open(&st, "/tmp/override-not-created", 0, &e);
	is_str(aas_state_dir(st), "/tmp/override-not-created",
	    "--state wins over AAS_STATE");
	aas_state_close(st);
	free(p);

	p = aas_xasprintf("%s/lockfile", dir);
	fd = aas_lock(p, 1, &e);
	ok(fd >= 0, "exclusive lock taken");
	if ((pid = fork()) == 0) {
		int fd2 = open(p, O_RDWR);

		/* a second exclusive lock must not be granted */
		_exit(flock(fd2, LOCK_EX | LOCK_NB) == 0 ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "lock excludes "
	    "another process");
	aas_unlock(fd);
	free(p);
	aas_rmtree(dir, NULL);
	return done_testing();
}
