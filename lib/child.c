/* child.c: run a child in its own process group, time-limited, output kept. */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "child.h"
#include "banned.h"

extern char **environ;

/* How long to wait for the pipe to close once the child's group is dead:
 * only a process that left the group can still hold it. */
#define DRAIN_MS	1000
#define TICK_MS		100

char *
aas_spawn_which(const char *name)
{
	const char *path, *p, *colon;
	struct stat sb;
	char *full;
	size_t n;

	if (name == NULL || *name == '\0')
		return NULL;
	if (strchr(name, '/') != NULL) {
		if (stat(name, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    access(name, X_OK) == 0)
			return aas_xstrdup(name);
		return NULL;
	}
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/bin:/bin";
	for (p = path;; p = colon + 1) {
		colon = strchr(p, ':');
		n = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (n == 0)
			full = aas_xasprintf("./%s", name);
		else
			full = aas_xasprintf("%.*s/%s", (int)n, p, name);
		if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    access(full, X_OK) == 0)
			return full;
		free(full);
		if (colon == NULL)
			return NULL;
	}
}

static int
name_in(const char *entry, char *const *list, int with_value)
{
	size_t n = strcspn(entry, "=");
	const char *l;

	for (; list != NULL && *list != NULL; list++) {
		l = *list;
		if (strncmp(entry, l, n) == 0 &&
		    (with_value ? l[n] == '=' : l[n] == '\0'))
			return 1;
	}
	return 0;
}

/* The child's environment: ours, less env_unset, with env_set on top. */
static char **
make_env(const struct aas_spawn *sp)
{
	char **env;
	size_t n = 0, i, k = 0;

	for (i = 0; environ[i] != NULL; i++)
		n++;
	for (i = 0; sp->env_set != NULL && sp->env_set[i] != NULL; i++)
		n++;
	env = aas_xcalloc(n + 1, sizeof(*env));
	for (i = 0; environ[i] != NULL; i++) {
		if (name_in(environ[i], sp->env_set, 1) ||
		    name_in(environ[i], sp->env_unset, 0))
			continue;
		env[k++] = environ[i];
	}
	for (i = 0; sp->env_set != NULL && sp->env_set[i] != NULL; i++)
		env[k++] = sp->env_set[i];
	env[k] = NULL;
	return env;
}

/* Output ring: the last cap bytes. */
struct ring {
	char	*b;
	size_t	 cap, start, len;
};

static void
ring_add(struct ring *r, const char *p, size_t n)
{
	size_t at, k;

	if (n >= r->cap) {
		memcpy(r->b, p + n - r->cap, r->cap);
		r->start = 0;
		r->len = r->cap;
		return;
	}
	while (n > 0) {
		at = (r->start + r->len) % r->cap;
		k = r->cap - at;
		if (k > n)
			k = n;
		memcpy(r->b + at, p, k);
		p += k;
		n -= k;
		r->len += k;
		if (r->len > r->cap) {
			r->start = (r->start + r->len - r->cap) % r->cap;
			r->len = r->cap;
		}
	}
}

static char *
ring_take(struct ring *r, size_t *lenp)
{
	char *s = aas_xmalloc(r->len + 1);
	size_t first = r->cap - r->start;

	if (first > r->len)
		first = r->len;
	memcpy(s, r->b + r->start, first);
	memcpy(s + first, r->b, r->len - first);
	s[r->len] = '\0';
	*lenp = r->len;
	free(r->b);
	r->b = NULL;
	return s;
}

/* The signals a child starts with at their default action. */
static const int reset_sigs[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGALRM, SIGUSR1,
	SIGUSR2
};

static void
close_above(int lo, int hi)
{
	if (lo <= hi && syscall(SYS_close_range, (unsigned)lo, (unsigned)hi,
	    0) == -1)
		for (; lo <= hi && lo < 4096; lo++)
			close(lo);
}

/*
 * fork and execve, for a child that needs a resource limit set before it
 * runs (posix_spawn cannot).  Between fork and execve only async-signal-
 * safe calls: everything allocated is made before the fork.  An execve
 * that fails sends its errno back through a close-on-exec pipe.
 */
static int
start_fork(const struct aas_spawn *sp, int wfd, pid_t *pidp,
    struct aas_err *e)
{
	struct sigaction dfl;
	struct rlimit rl;
	sigset_t none;
	char **env, *path;
	int ep[2], err = 0, errfd, fd;
	size_t i;
	ssize_t n;
	pid_t pid;

	if ((path = aas_spawn_which(sp->argv[0])) == NULL)
		return aas_err_set(e, "spawn", "cannot run %s: %s",
		    sp->argv[0], strerror(ENOENT));
	if (pipe2(ep, O_CLOEXEC) == -1) {
		free(path);
		return aas_err_set(e, "spawn", "pipe: %s", strerror(errno));
	}
	env = make_env(sp);
	rl.rlim_cur = rl.rlim_max = (rlim_t)sp->mem_limit;
	sigemptyset(&none);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		for (i = 0; i < sizeof(reset_sigs) / sizeof(reset_sigs[0]); i++)
			sigaction(reset_sigs[i], &dfl, NULL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		errfd = ep[1];
		if (errfd <= 3 && (errfd = fcntl(ep[1], F_DUPFD_CLOEXEC, 4)) ==
		    -1)
			_exit(127);
		if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, 0) == -1 || dup2(wfd, 1) == -1 ||
		    dup2(wfd, 2) == -1 ||
		    (sp->pass_fd > 2 && dup2(sp->pass_fd, 3) == -1))
			goto fail;
		/* dup2 onto itself keeps close-on-exec: clear it by hand, as
		 * posix_spawn's adddup2 does */
		if (sp->pass_fd == 3 && fcntl(3, F_SETFD, 0) == -1)
			goto fail;
		fd = sp->pass_fd > 2 ? 4 : 3;
		close_above(fd, errfd - 1);
		close_above(errfd + 1, INT32_MAX);
		if ((sp->cwd != NULL && chdir(sp->cwd) == -1) ||
		    setrlimit(RLIMIT_AS, &rl) == -1)
			goto fail;
		execve(path, sp->argv, env);
fail:
		err = errno;
		(void)!write(errfd, &err, sizeof(err));
		_exit(127);
	}
	if (pid == -1)
		err = errno;
	free(env);
	close(ep[1]);
	if (pid != -1) {
		while ((n = read(ep[0], &err, sizeof(err))) == -1 &&
		    errno == EINTR)
			;
		if (n == (ssize_t)sizeof(err)) {
			while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
				;
		} else
			err = 0;
	}
	close(ep[0]);
	if (err != 0) {
		aas_err_set(e, "spawn", "cannot run %s: %s", sp->argv[0],
		    strerror(err));
		free(path);
		return -1;
	}
	free(path);
	*pidp = pid;
	return 0;
}

static int
start(const struct aas_spawn *sp, int wfd, pid_t *pidp, struct aas_err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	const char *prog = sp->argv[0];
	char **env, *path = NULL;
	size_t i;
	int rc;

	if (sp->mem_limit > 0)
		return start_fork(sp, wfd, pidp, e);
	/* A program not on PATH is told here, not left to the child: where
	 * posix_spawn cannot report a failed exec (valgrind and other
	 * emulators run its vfork as a fork) the child would only exit 127. */
	if (strchr(prog, '/') == NULL) {
		if ((path = aas_spawn_which(prog)) == NULL)
			return aas_err_set(e, "spawn", "cannot run %s: %s",
			    prog, strerror(ENOENT));
		if (*path == '/')	/* a relative PATH entry: the child's */
			prog = path;
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, wfd, 1);
	posix_spawn_file_actions_adddup2(&fa, wfd, 2);
	if (sp->pass_fd > 2)
		posix_spawn_file_actions_adddup2(&fa, sp->pass_fd, 3);
	posix_spawn_file_actions_addclosefrom_np(&fa,
	    sp->pass_fd > 2 ? 4 : 3);
	if (sp->cwd != NULL)
		posix_spawn_file_actions_addchdir_np(&fa, sp->cwd);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	sigemptyset(&def);
	for (i = 0; i < sizeof(reset_sigs) / sizeof(reset_sigs[0]); i++)
		sigaddset(&def, reset_sigs[i]);
	posix_spawnattr_setsigdefault(&at, &def);
	env = make_env(sp);
	rc = posix_spawnp(pidp, prog, &fa, &at, sp->argv, env);
	free(env);
	free(path);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return aas_err_set(e, "spawn", "cannot run %s: %s",
		    sp->argv[0], strerror(rc));
	return 0;
}

/* Set once pidfd_open(2) is known to be missing (kernels before 5.3,
 * valgrind), so it is not asked again; without it the loop polls. */
static atomic_int no_pidfd;

static int
open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd;

	if (atomic_load(&no_pidfd))
		return -1;
	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1 &&
	    (errno == ENOSYS || errno == EPERM))
		atomic_store(&no_pidfd, 1);
	return fd;
#else
	(void)pid;
	return -1;
#endif
}

int
aas_spawn_run(const struct aas_spawn *sp, struct aas_spawn_res *res,
    struct aas_err *e)
{
	struct ring ring;
	struct pollfd pfd[2];
	siginfo_t si;
	char chunk[16384];
	int64_t t0, now, deadline, kill_at = 0, drain_until = 0, wait;
	int64_t grace = sp->grace_ms > 0 ? sp->grace_ms :
	    AAS_SPAWN_GRACE_DEFAULT;
	int fds[2], pidfd, status, nfd, reads;
	int done = 0, termed = 0, killed = 0;
	pid_t pid;
	ssize_t n;

	memset(res, 0, sizeof(*res));
	if (pipe2(fds, O_CLOEXEC) == -1)
		return aas_err_set(e, "spawn", "pipe: %s", strerror(errno));
	t0 = aas_now_ms();
	if (start(sp, fds[1], &pid, e) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	pidfd = open_pidfd(pid);
	ring.cap = sp->cap > 0 ? sp->cap : AAS_SPAWN_CAP_DEFAULT;
	ring.b = aas_xmalloc(ring.cap);
	ring.start = ring.len = 0;
	deadline = sp->timeout_ms > 0 ? t0 + sp->timeout_ms : 0;

	for (;;) {
		now = aas_now_ms();
		if (!done) {
			/* WNOWAIT keeps the leader a zombie, so its PID (the
			 * group's id) cannot be reused before we kill the
			 * group. */
			memset(&si, 0, sizeof(si));
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG |
			    WNOWAIT) == 0 && si.si_pid == pid) {
				kill(-pid, SIGKILL);
				while (waitpid(pid, &status, 0) == -1 &&
				    errno == EINTR)
					;
				res->ms = aas_now_ms() - t0;
				if (WIFEXITED(status)) {
					res->exit = WEXITSTATUS(status);
				} else {
					res->exit = -1;
					res->sig = WTERMSIG(status);
				}
				done = 1;
				drain_until = now + DRAIN_MS;
				if (pidfd != -1) {
					close(pidfd);
					pidfd = -1;
				}
			}
		}
		if (done && (fds[0] == -1 || now >= drain_until))
			break;
		if (!done && !termed && ((deadline && now >= deadline) ||
		    (sp->cancel != NULL && *sp->cancel))) {
			if (deadline && now >= deadline)
				res->timed_out = 1;
			else
				res->canceled = 1;
			kill(-pid, SIGTERM);
			termed = 1;
			kill_at = now + grace;
		}
		if (!done && termed && !killed && now >= kill_at) {
			kill(-pid, SIGKILL);
			killed = 1;
		}

		wait = TICK_MS;
		if (pidfd == -1 && !done)
			wait = 20;
		if (deadline && !termed && deadline - now < wait)
			wait = deadline - now;
		if (termed && !killed && kill_at - now < wait)
			wait = kill_at - now;
		if (done && drain_until - now < wait)
			wait = drain_until - now;
		if (wait < 0)
			wait = 0;
		nfd = 0;
		if (fds[0] != -1) {
			pfd[nfd].fd = fds[0];
			pfd[nfd].events = POLLIN;
			nfd++;
		}
		if (pidfd != -1) {
			pfd[nfd].fd = pidfd;
			pfd[nfd].events = POLLIN;
			nfd++;
		}
		if (poll(pfd, (nfds_t)nfd, (int)wait) == -1 && errno != EINTR)
			wait = 0;
		if (fds[0] == -1)
			continue;
		/* a bounded number of reads, so a flood cannot starve the
		 * clock checks above */
		for (reads = 0; reads < 64; reads++) {
			n = read(fds[0], chunk, sizeof(chunk));
			if (n > 0) {
				ring_add(&ring, chunk, (size_t)n);
				res->total += (uint64_t)n;
				continue;
			}
			if (n == 0) {
				close(fds[0]);
				fds[0] = -1;
			} else if (errno == EINTR)
				continue;
			break;
		}
	}
	if (fds[0] != -1)
		close(fds[0]);
	if (pidfd != -1)
		close(pidfd);
	res->out = ring_take(&ring, &res->outlen);
	return 0;
}

void
aas_spawn_res_free(struct aas_spawn_res *res)
{
	free(res->out);
	memset(res, 0, sizeof(*res));
}
