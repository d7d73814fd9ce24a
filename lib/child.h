/*
 * child.h: run a child process with a time limit and captured output.
 *
 * The child starts through posix_spawnp with an argv array (never a shell
 * string built here), in a new process group of its own, with stdin from
 * /dev/null and stdout and stderr merged into one pipe.  Descriptors above
 * 2 are closed in the child (but pass_fd, which becomes 3); signal
 * dispositions and the signal mask are reset to the defaults.  With a
 * mem_limit the child is started by fork(2) and execve(2) instead, so the
 * limit is set before the program runs.
 *
 * When the time limit passes (or *cancel becomes non-zero) the whole
 * process group gets SIGTERM, then SIGKILL after grace_ms.  When the first
 * child exits, whatever is left of its group (background jobs) gets
 * SIGKILL at once, so a finished run leaves no process of its group
 * behind.  A process that left the group (setsid(2), setpgid(2)) is out of
 * reach; run under a PID namespace (bwrap --unshare-pid) to contain those.
 *
 * Output is read as it comes; only the last cap bytes are kept in memory,
 * and total counts every byte.  aas_spawn_run is thread-safe: several
 * threads may run children at once (descriptors are close-on-exec, each
 * thread waits for its own child by PID).
 */
#ifndef AAS_CHILD_H
#define AAS_CHILD_H

#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "aas.h"

#define AAS_SPAWN_CAP_DEFAULT	65536
#define AAS_SPAWN_GRACE_DEFAULT	2000

struct aas_spawn {
	char *const	*argv;		/* argv[0] is looked up in PATH */
	const char	*cwd;		/* NULL: the caller's folder */
	char *const	*env_set;	/* NULL or NULL-ended "NAME=value" list,
					   replacing NAME if inherited */
	char *const	*env_unset;	/* NULL or NULL-ended names to drop */
	int64_t		 timeout_ms;	/* 0: no limit */
	int64_t		 grace_ms;	/* SIGTERM to SIGKILL; 0: default */
	size_t		 cap;		/* output bytes kept; 0: default */
	atomic_int	*cancel;	/* NULL, or a flag polled every
					   100 ms: non-zero stops the child
					   like a timeout */
	int		 pass_fd;	/* > 2: handed to the child as its
					   descriptor 3 (the caller keeps and
					   closes its own); else none */
	uint64_t	 mem_limit;	/* bytes of address space the child
					   may map (RLIMIT_AS, inherited by
					   what it starts); 0: no limit */
};

struct aas_spawn_res {
	int	 exit;		/* exit code, or -1 when a signal ended it */
	int	 sig;		/* the signal that ended it, or 0 */
	int	 timed_out;	/* the time limit passed */
	int	 canceled;	/* *cancel was set */
	int64_t	 ms;		/* wall time from start to exit */
	char	*out;		/* the last bytes of output, NUL-terminated;
				   owned, free with aas_spawn_res_free */
	size_t	 outlen;
	uint64_t total;		/* bytes of output in all */
};

/*
 * Run sp->argv and wait for it (and its process group) to finish.
 * Returns 0 with *res filled whatever the child did, or -1 with e set
 * (code "spawn") when it could not be started at all (for instance the
 * program is not found); res is then zeroed and need not be freed.
 */
int	aas_spawn_run(const struct aas_spawn *sp, struct aas_spawn_res *res,
	    struct aas_err *e);
void	aas_spawn_res_free(struct aas_spawn_res *res);

/*
 * Look name up in $PATH as execvp(3) would.  Returns the full path (the
 * caller frees) of an executable regular file, or NULL.  A name with a '/'
 * is checked as it is.
 */
char	*aas_spawn_which(const char *name);

#endif
