/*
 * cmd.h: the command driver.  Every aas command's main() is its own
 * option table and one call to aas_cmd_main, which does the rest the same
 * way for all of them:
 *
 *   1. the program name for messages;
 *   2. the options: the common ones (-h/--help, --version, -q/--quiet,
 *      -v/--verbose, --progress, -c/--config FILE, --state DIR) and the
 *      command's own,
 *      one getopt_long pass; a bad option, a missing argument and an
 *      unexpected operand get one message each (below) and the usage on
 *      stderr, exit AAS_EXIT_USAGE;
 *   3. aas_init, then what need asks for, in this order: the git
 *      repository (--repo or the current folder), the state folder, the
 *      layered configuration of the repository root; then the command's
 *      setup; then the lock; a failure is one message, exit
 *      AAS_EXIT_USAGE;
 *   4. the SIGINT/SIGTERM handlers, the progress line (progress.h), the
 *      command's run (or its record loop on stdin), the check of stdout
 *      (aas_finish_output), after exit status AAS_EXIT_STOPPED the reason
 *      (aas_stop_report), the summary line (aas_progress_summary), the
 *      command's cleanup, aas_fini.
 *
 * The messages, with "-x" or "--name" exactly as the user wrote it:
 *   aas-cmd: unknown option -x
 *   aas-cmd: unknown option --name
 *   aas-cmd: ambiguous option --na
 *   aas-cmd: option -x needs an argument
 *   aas-cmd: option --name needs an argument
 *   aas-cmd: option --name takes no argument
 *   aas-cmd: unexpected operand: WORD
 * each followed by "usage: ..." lines.
 */
#ifndef AAS_CMD_H
#define AAS_CMD_H

#include <getopt.h>

#include "aas.h"

struct aas_config;
struct aas_git;
struct aas_loop;
struct aas_state;

/* What a command needs before it runs (struct aas_cmd need). */
#define AAS_NEED_CONFIG	0x01	/* the layered configuration, in cf */
#define AAS_NEED_STATE	0x02	/* the state folder, in st (also opened for
				 * the others, for the root and STOP) */
#define AAS_NEED_MKSTATE 0x04	/* ... created when missing */
#define AAS_NEED_GIT	0x08	/* the repository (--repo), in git */
#define AAS_NEED_LOCK	0x10	/* an exclusive lock on <state>/<lock> */

/*
 * The values getopt_long returns for the common long-only options.  A
 * command's own options must not use these, nor the letters c, h, q and
 * v; values from 256 up to 0xffff are the command's.
 */
#define AAS_OPT_STATE	0x10001
#define AAS_OPT_VERSION	0x10002
#define AAS_OPT_PROGRESS 0x10003

struct aas_cmd {
	/* Set by the command. */
	const char *usage;	/* after "usage: "; lines split by "\n" */
	const char *shortopts;	/* the command's own, getopt form ("fnj:") */
	const struct option *longopts;	/* the command's own; zero-ended;
					 * NULL for none */
	unsigned need;		/* AAS_NEED_*; option and operands may add */
	int	 takes_operands;	/* 0: operands are refused */
	const char *lock;	/* with AAS_NEED_LOCK: the file in the state
				 * folder ("fetch.lock"); may be set late */
	int	 lock_late;	/* with AAS_NEED_LOCK: the driver does not
				 * take it; the command calls aas_cmd_lock
				 * once it has work the lock guards (so a
				 * stage that only passes records on never
				 * waits for it) */
	/*
	 * One of the command's options (ch as getopt_long returns it, arg
	 * its argument or NULL).  0, or -1 with e set: the message and the
	 * usage are printed, exit AAS_EXIT_USAGE.
	 */
	int	(*option)(struct aas_cmd *c, int ch, const char *arg,
		    struct aas_err *e);
	/*
	 * After every option, the operands (none unless takes_operands:
	 * without it an operand is "unexpected operand" before this is
	 * called): the place to check options that exclude each other.  The
	 * same contract as option.  May be NULL.
	 */
	int	(*operands)(struct aas_cmd *c, int argc, char **argv,
		    struct aas_err *e);
	/* After the bootstrap, before the lock: the command's configuration
	 * values.  -1 with e set: the message (no usage), AAS_EXIT_USAGE. */
	int	(*setup)(struct aas_cmd *c, struct aas_err *e);
	/* The work; returns the exit status.  stdout is checked after. */
	int	(*run)(struct aas_cmd *c);
	/* Without run: this record loop on stdin and stdout, its state set
	 * to st (the stage of a one-in-one-out filter). */
	struct aas_loop *loop;
	/* Release what option, setup and run kept; always called, however
	 * far the command got (after -h, a usage error, a failed setup). */
	void	(*cleanup)(struct aas_cmd *c);
	void	*arg;		/* the command's own */

	/* Filled by aas_cmd_main. */
	const char *config_file;	/* -c, --config; NULL when absent */
	const char *state_dir;		/* --state; NULL when absent */
	const char *repo;	/* with AAS_NEED_GIT: the command sets it */
	const char *root;	/* the repository root, or the current folder
				 * outside one (the git work tree with
				 * AAS_NEED_GIT) */
	struct aas_config *cf;
	struct aas_state *st;
	struct aas_git *git;
	int	 lockfd;
};

/* Run the command; returns the exit status for main to return. */
int	aas_cmd_main(struct aas_cmd *c, int argc, char *argv[]);

/*
 * Take the command's lock (c->lock in the state folder) now, waiting for
 * it; a no-op when it is held already or the command needs none.  The
 * driver releases it at exit.  0, or -1 with e set (code "lock").
 */
int	aas_cmd_lock(struct aas_cmd *c, struct aas_err *e);

#endif
