/*
 * qa.h: the checks aas-qa runs in a scratch worktree.
 *
 * A check is a configured command (qa.checks: a "run" string for /bin/sh
 * from the user's config, or an "argv" list) or a built-in syntax check of
 * the changed files by language.  Task data reaches a check only through
 * AAS_* environment variables, never through its command line.
 */
#ifndef AAS_QA_H
#define AAS_QA_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"

struct aas_qa_check {
	char	*name;
	char	*run;		/* a /bin/sh command, or NULL */
	char	**argv;		/* NULL-ended, or NULL when run is set */
	int64_t	 timeout_ms;
	char	**when;		/* NULL-ended globs, or NULL: always */
	int	 required;
	int	 fail_to_pass;	/* must fail on the base with the tests */
};

struct aas_qa_conf {
	struct aas_qa_check *checks;
	size_t	 nchecks;
	int	 builtin;	/* run the built-in syntax checks */
	size_t	 output_cap;	/* bytes of output kept per check */
	size_t	 tail_lines;	/* lines of that put in the record */
	int64_t	 grace_ms;	/* SIGTERM to SIGKILL */
	int64_t	 builtin_timeout_ms;
	char	*bwrap;		/* the bwrap program when sandboxed, or NULL */
	char	**sandbox;	/* bwrap's options (NULL-ended), set with
				   bwrap */
	char	*key_file;	/* the configured key_file, hidden from a
				   sandboxed check; or NULL */
};

/* Nesting the built-in YAML check accepts (flow and block together). */
#define AAS_QA_YAML_DEPTH_MAX	1000
/* Address space of the built-in C check (the compiler and what it runs). */
#define AAS_QA_CC_MEM_MAX	((uint64_t)1 << 30)

/*
 * Read qa.checks, qa.builtin, qa.output_cap, qa.tail_lines, qa.kill_grace
 * from cf into qc (zeroed first).  -1 with e naming "file:line" on a bad
 * value.  Free with aas_qa_conf_free.
 */
int	aas_qa_conf_load(struct aas_qa_conf *qc, const struct aas_config *cf,
	    struct aas_err *e);
void	aas_qa_conf_free(struct aas_qa_conf *qc);

/*
 * aas-qa needs no API key: drop the secret variables aas knows of
 * (OPENAI_API_KEY, ANTHROPIC_API_KEY) from the environment and, when one
 * was set, execv /proc/self/exe with argv, so that the process's initial
 * environment (what /proc/PID/environ shows) no longer holds them.  Call
 * it first thing in main, before any thread starts.  Returns 0 when there
 * was nothing to drop; -1 when the re-exec failed (the variables are
 * still unset for children); does not return after a re-exec.
 */
int	aas_qa_env_clean(char *argv[]);

/*
 * Find bwrap on PATH and prove it can make the sandbox here (a run of
 * "true" with the same options).  On success qc->bwrap and qc->sandbox
 * are set; else -1 with e saying why (not found, or bwrap's own
 * complaint).  The sandbox: the system read-only; private /tmp, /run and
 * $HOME; the key file masked; the worktree writable; own network, PID
 * (a fresh /proc), IPC and UTS namespaces; and a seccomp filter that
 * refuses AF_UNIX sockets (socket(2), datagram socketpair(2)), io_uring
 * and foreign-architecture system calls.
 */
int	aas_qa_sandbox_probe(struct aas_qa_conf *qc, struct aas_err *e);

/*
 * fnmatch(3) without FNM_PATHNAME on the whole path (so "*.c" matches
 * "lib/x.c"), or, for a pattern without '/', on the last component.
 */
int	aas_qa_glob_match(const char *pattern, const char *path);

/* The built-in check for a path: "c", "python", "sh", "js", "json",
 * "yaml", or NULL. */
const char *aas_qa_lang(const char *path);

/* FNV-1a (64 bit) of s mod n, plus 1: the shard (1..n) of a task id. */
unsigned	aas_qa_shard(const char *id, unsigned n);

struct aas_qa_task {
	const char	*id, *title, *repo, *base, *branch, *commit;
	const char	*worktree;
	const char	**files;	/* changed paths that still exist */
	size_t		 nfiles;
	/* for fail_to_pass checks: the base's tree with only the plan's
	 * test files added, or NULL when the plan names none */
	const char	*base_worktree;
};

/* Does a fail_to_pass check apply to t (its when matches)?  Then the
 * caller makes t->base_worktree, if the plan has tests. */
int	aas_qa_wants_base(const struct aas_qa_conf *qc,
	    const struct aas_qa_task *t);

/*
 * Run the checks for t in t->worktree, in order: the built-in syntax
 * checks (when qc->builtin), then qc->checks.  Returns a new
 *   {"ok": bool, "checks": [{name, cmd, ok, exit, signal, ms, bytes, tail,
 *     required, timeout?, skipped?, reason?}]}
 * ok is false when a required check failed.
 *
 * A fail_to_pass check runs twice: first in t->base_worktree, where it
 * must fail, then in t->worktree.  Its entry has "fail_to_pass": true
 * and "base" {exit, signal, ms, bytes, tail, timeout?} (the first run)
 * beside the second run's keys; when the first run passed, the second is
 * not made: the entry has the first run's keys, ok false and "code":
 * "f2p_passed_on_base"; with no t->base_worktree nothing runs: ok false,
 * "code": "f2p_no_tests" and a reason.
 *
 * When *cancel becomes
 * non-zero the running check is killed and no more start; *canceled is
 * then set and the result must not be trusted (the caller drops it).
 */
json_t	*aas_qa_run(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
	    atomic_int *cancel, int *canceled);

/*
 * A short reason for the first failed required check in a qa object, e.g.
 * "check build failed: exit 2"; the caller frees.  NULL when ok.
 */
char	*aas_qa_reason(json_t *qa);
/* The error code for a failed qa object: the "code" of its first failed
 * required check when it has one (f2p_passed_on_base, f2p_no_tests),
 * else "qa_failed".  Borrowed from qa. */
const char *aas_qa_code(json_t *qa);

/* Copy s (n bytes) keeping its last `lines` lines, as valid UTF-8 (bad
 * bytes become U+FFFD).  The caller frees. */
char	*aas_qa_tail(const char *s, size_t n, size_t lines);

#endif
