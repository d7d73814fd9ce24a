/* t-child.c: unit tests for lib/child.c with real children. */
#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "child.h"
#include "tap.h"
#include "banned.h"

/* Processes whose command line holds marker (zombies have none). */
static int
count_procs(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[300], buf[4096];
	ssize_t n, i;
	int fd, count = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		if (strstr(buf, marker) != NULL)
			count++;
	}
	closedir(d);
	return count;
}

static int
run_sh(const char *script, int64_t timeout_ms, struct aas_spawn_res *r)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct aas_spawn sp;
	struct aas_err e;

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout_ms = timeout_ms;
	sp.grace_ms = 300;
	return aas_spawn_run(&sp, r, &e);
}

static void *
thread_run(void *arg)
{
	struct aas_spawn_res r;
	char script[64];
	long i = (long)arg;
	long rc;

	snprintf(script, sizeof(script), "sleep 0.%ld; echo %ld; exit %ld",
	    3 - i % 3, i, 10 + i);
	run_sh(script, 5000, &r);
	rc = r.exit;
	if (r.out == NULL || atol(r.out) != i)
		rc = -1;
	aas_spawn_res_free(&r);
	return (void *)rc;
}

int
main(void)
{
	struct aas_spawn_res r;
	struct aas_spawn sp;
	struct aas_err e;
	atomic_int cancel = 1;
	char script[512], marker[64], *w;
	char *argv_nf[] = { "aas-no-such-program-xyz", NULL };
	char *argv_cat[] = { "cat", NULL };
	char *argv_pwd[] = { "pwd", NULL };
	char *env_set[] = { "AAS_T_X=one two", "PATH=/usr/bin:/bin", NULL };
	char *env_unset[] = { "HOME", NULL };
	char *argv_env[] = { "/bin/sh", "-c",
	    "echo \"$AAS_T_X|${HOME-unset}|$PATH\"", NULL };
	int fd;

	plan(62);

	ok(run_sh("echo hello; echo err >&2", 0, &r) == 0, "echo runs");
	is_int(r.exit, 0, "exit 0");
	is_int(r.sig, 0, "no signal");
	is_str(r.out, "hello\nerr\n", "stdout and stderr merged");
	is_int(r.total, 10, "total bytes");
	aas_spawn_res_free(&r);

	run_sh("exit 3", 0, &r);
	is_int(r.exit, 3, "exit code kept");
	ok(!r.timed_out && !r.canceled, "not timed out");
	aas_spawn_res_free(&r);

	run_sh("kill -USR1 $$", 0, &r);
	is_int(r.exit, -1, "killed: exit -1");
	is_int(r.sig, SIGUSR1, "killed: signal reported separately");
	aas_spawn_res_free(&r);

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv_nf;
	memset(&e, 0, sizeof(e));
	is_int(aas_spawn_run(&sp, &r, &e), -1, "missing program: -1");
	is_str(e.code, "spawn", "missing program: code");
	is_str(e.msg, "cannot run aas-no-such-program-xyz: No such file or "
	    "directory", "missing program: message");

	/* Timeout: the shell and its two background children all die. */
	snprintf(marker, sizeof(marker), "99%d", (int)getpid());
	snprintf(script, sizeof(script), "sleep %s & sleep %s & echo up; "
	    "wait", marker, marker);
	run_sh(script, 300, &r);
	is_int(r.timed_out, 1, "timeout flagged");
	is_int(r.sig, SIGTERM, "timeout: SIGTERM ended it");
	is_int(r.exit, -1, "timeout: no exit code");
	is_str(r.out, "up\n", "timeout: output kept");
	ok(r.ms >= 300, "timeout: ended by the timeout, not before it");
	is_int(count_procs(marker), 0, "timeout: no child left");
	aas_spawn_res_free(&r);

	/* SIGTERM ignored by everyone: SIGKILL after the grace period. */
	snprintf(script, sizeof(script), "trap '' TERM; sleep %s & sleep %s",
	    marker, marker);
	run_sh(script, 200, &r);
	is_int(r.timed_out, 1, "term ignored: timed out");
	is_int(r.sig, SIGKILL, "term ignored: SIGKILL");
	ok(r.ms >= 450, "term ignored: grace period waited");
	is_int(count_procs(marker), 0, "term ignored: no child left");
	aas_spawn_res_free(&r);

	/* The leader exits, leaving a background job: it is killed. */
	snprintf(script, sizeof(script), "sleep %s & echo started", marker);
	run_sh(script, 10000, &r);
	is_int(r.exit, 0, "background job: leader's exit");
	is_str(r.out, "started\n", "background job: output");
	ok(!r.timed_out && r.sig == 0, "background job: not waited for");
	is_int(count_procs(marker), 0, "background job: killed");
	aas_spawn_res_free(&r);

	/* Huge output: only the tail is kept, every byte counted. */
	memset(&sp, 0, sizeof(sp));
	{
		char *argv[] = { "/bin/sh", "-c",
		    "yes 0123456789 | head -n 400000; echo END", NULL };

		sp.argv = argv;
		sp.cap = 1000;
		aas_spawn_run(&sp, &r, &e);
	}
	is_int(r.total, 4400004, "huge: total counted");
	is_int(r.outlen, 1000, "huge: cap respected");
	is_int(strlen(r.out), 1000, "huge: NUL-terminated at cap");
	ok(r.outlen >= 4 && strcmp(r.out + r.outlen - 4, "END\n") == 0,
	    "huge: the tail is kept");
	ok(strncmp(r.out + r.outlen - 15, "0123456789\nEND\n", 15) == 0,
	    "huge: tail in order");
	aas_spawn_res_free(&r);

	/* A flood with a timeout: the clock still wins. */
	run_sh("yes", 300, &r);
	is_int(r.timed_out, 1, "flood: timed out");
	ok(r.total > 0 && r.outlen == AAS_SPAWN_CAP_DEFAULT,
	    "flood: default cap");
	aas_spawn_res_free(&r);

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv_env;
	sp.env_set = env_set;
	sp.env_unset = env_unset;
	aas_spawn_run(&sp, &r, &e);
	is_str(r.out, "one two|unset|/usr/bin:/bin\n",
	    "environment: set, replaced, unset");
	aas_spawn_res_free(&r);

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv_pwd;
	sp.cwd = "/usr";
	aas_spawn_run(&sp, &r, &e);
	is_str(r.out, "/usr\n", "cwd");
	aas_spawn_res_free(&r);

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv_cat;
	sp.timeout_ms = 5000;
	aas_spawn_run(&sp, &r, &e);
	ok(r.exit == 0 && r.outlen == 0 && !r.timed_out, "stdin is /dev/null");
	aas_spawn_res_free(&r);

	/* A descriptor we leave open without close-on-exec is not passed. */
	fd = open("/dev/null", O_RDONLY);
	snprintf(script, sizeof(script), "if [ -e /proc/$$/fd/%d ]; then "
	    "echo open; else echo closed; fi", fd);
	run_sh(script, 0, &r);
	is_str(r.out, "closed\n", "stray descriptors closed");
	aas_spawn_res_free(&r);
	close(fd);

	/* Each child is a process group leader of its own. */
	run_sh("ps -o pgid= -p $$ | tr -d ' '; echo $$", 0, &r);
	{
		char *nl = strchr(r.out, '\n');

		ok(nl != NULL && strncmp(r.out, nl + 1, (size_t)(nl - r.out))
		    == 0, "own process group");
	}
	aas_spawn_res_free(&r);

	/* Ignored signals in the parent are reset in the child. */
	signal(SIGTERM, SIG_IGN);
	run_sh("kill -TERM $$; echo survived", 0, &r);
	is_int(r.sig, SIGTERM, "signal dispositions reset");
	aas_spawn_res_free(&r);
	signal(SIGTERM, SIG_DFL);

	memset(&sp, 0, sizeof(sp));
	{
		char *argv[] = { "/bin/sh", "-c", "sleep 30", NULL };

		sp.argv = argv;
		sp.cancel = &cancel;
		sp.grace_ms = 200;
		aas_spawn_run(&sp, &r, &e);
	}
	is_int(r.canceled, 1, "cancel flag stops the child");
	is_int(r.timed_out, 0, "cancel: not a timeout");
	is_int(r.sig, SIGTERM, "cancel: the child killed, not waited for");
	aas_spawn_res_free(&r);

	/* Threads: several children at once, each waits for its own. */
	{
		pthread_t th[4];
		long i;
		int good = 1;

		for (i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, thread_run, (void *)i);
		for (i = 0; i < 4; i++) {
			void *rv;

			pthread_join(th[i], &rv);
			if ((long)rv != 10 + i)
				good = 0;
		}
		ok(good, "threads: each gets its own child's status");
	}

	w = aas_spawn_which("sh");
	ok(w != NULL && w[0] == '/', "which sh: a full path");
	free(w);
	ok(aas_spawn_which("aas-no-such-program-xyz") == NULL,
	    "which: missing is NULL");
	w = aas_spawn_which("/bin/sh");
	is_str(w, "/bin/sh", "which: a path is kept");
	free(w);
	ok(aas_spawn_which("/etc/passwd") == NULL,
	    "which: not executable is NULL");
	ok(aas_spawn_which("") == NULL, "which: empty is NULL");
	ok(aas_spawn_which(NULL) == NULL, "which: NULL is NULL");

	/* A memory limit: set before the program runs, inherited. */
	memset(&sp, 0, sizeof(sp));
	{
		char *argv[] = { "/bin/sh", "-c", "ulimit -v; echo \"$AAS_T_X\"; "
		    "pwd; sh -c 'ulimit -v'", NULL };

		sp.argv = argv;
		sp.cwd = "/usr";
		sp.env_set = env_set;
		sp.mem_limit = 64 << 20;
		is_int(aas_spawn_run(&sp, &r, &e), 0, "mem_limit: runs");
	}
	is_str(r.out, "65536\none two\n/usr\n65536\n",
	    "mem_limit: RLIMIT_AS set, inherited; environment and cwd kept");
	is_int(r.exit, 0, "mem_limit: exit 0");
	aas_spawn_res_free(&r);
	{
		char *argv[] = { "/bin/sh", "-c",
		    "sh -c 'v=$(yes | head -c 100000000) && echo no'; "
		    "echo done", NULL };

		sp.argv = argv;
		sp.env_set = NULL;
		sp.mem_limit = 32 << 20;
		aas_spawn_run(&sp, &r, &e);
	}
	ok(strstr(r.out, "no\n") == NULL && strstr(r.out, "done\n") != NULL,
	    "mem_limit: a 100 MB string cannot be held under 32 MiB");
	aas_spawn_res_free(&r);
	sp.argv = argv_nf;
	memset(&e, 0, sizeof(e));
	is_int(aas_spawn_run(&sp, &r, &e), -1, "mem_limit: missing program");
	is_str(e.msg, "cannot run aas-no-such-program-xyz: No such file or "
	    "directory", "mem_limit: missing program: message");
	sp.argv = argv_pwd;
	sp.cwd = "/nonexistent-aas-dir";
	memset(&e, 0, sizeof(e));
	is_int(aas_spawn_run(&sp, &r, &e), -1, "mem_limit: bad cwd: -1");
	is_str(e.msg, "cannot run pwd: No such file or directory",
	    "mem_limit: bad cwd: the child's errno comes back");
	fd = open("/dev/null", O_RDONLY);
	snprintf(script, sizeof(script), "if [ -e /proc/$$/fd/%d ]; then "
	    "echo open; else echo closed; fi; ps -o pgid= -p $$ | tr -d ' '; "
	    "echo $$", fd);
	{
		char *argv[] = { "/bin/sh", "-c", script, NULL };
		char *nl;

		sp.argv = argv;
		sp.cwd = NULL;
		aas_spawn_run(&sp, &r, &e);
		nl = strchr(r.out, '\n');
		ok(nl != NULL && strncmp(r.out, "closed\n", 7) == 0 &&
		    strchr(nl + 1, '\n') != NULL &&
		    strncmp(nl + 1, strchr(nl + 1, '\n') + 1,
		    (size_t)(strchr(nl + 1, '\n') - nl - 1)) == 0,
		    "mem_limit: stray descriptors closed, own process group");
	}
	aas_spawn_res_free(&r);
	close(fd);

	/* pass_fd becomes descriptor 3, with or without the fork path. */
	{
		char *argv[] = { "/bin/sh", "-c", "cat <&3", NULL };
		int p[2], k;

		for (k = 0; k < 2; k++) {
			if (pipe(p) == -1 || write(p[1], "via 3\n", 6) != 6)
				break;
			close(p[1]);
			memset(&sp, 0, sizeof(sp));
			sp.argv = argv;
			sp.pass_fd = p[0];
			sp.mem_limit = k == 0 ? 0 : 256 << 20;
			aas_spawn_run(&sp, &r, &e);
			close(p[0]);
			is_str(r.out, "via 3\n", k == 0 ? "pass_fd: posix_spawn" :
			    "pass_fd: fork path");
			aas_spawn_res_free(&r);
		}
	}

	/* A close-on-exec pass_fd that already is descriptor 3 (as a pipe2
	 * made in a process with only 0-2 open) reaches the child too. */
	{
		char *argv[] = { "/bin/sh", "-c", "cat <&3", NULL };
		int p[2], k, keep;

		keep = fcntl(3, F_DUPFD_CLOEXEC, 10);
		for (k = 0; k < 2; k++) {
			if (pipe2(p, O_CLOEXEC) == -1 ||
			    write(p[1], "via 3\n", 6) != 6 ||
			    (p[0] != 3 && dup3(p[0], 3, O_CLOEXEC) != 3))
				break;
			if (p[0] != 3)
				close(p[0]);
			close(p[1]);
			memset(&sp, 0, sizeof(sp));
			sp.argv = argv;
			sp.pass_fd = 3;
			sp.mem_limit = k == 0 ? 0 : 256 << 20;
			aas_spawn_run(&sp, &r, &e);
			close(3);
			is_str(r.out, "via 3\n", k == 0 ?
			    "pass_fd 3, close-on-exec: posix_spawn" :
			    "pass_fd 3, close-on-exec: fork path");
			aas_spawn_res_free(&r);
		}
		if (keep != -1) {
			dup2(keep, 3);
			close(keep);
		}
	}

	return done_testing();
}
