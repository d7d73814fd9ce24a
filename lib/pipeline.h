/*
 * pipeline.h: run commands as one shell-less pipeline, the way sh runs
 * "a | b | c": each an argv array started through posix_spawn, the
 * standard output of each the standard input of the next, standard error
 * inherited.  Every descriptor the caller holds without close-on-exec is
 * inherited by every command (aas-run hands its lock down this way).
 */
#ifndef AAS_PIPELINE_H
#define AAS_PIPELINE_H

#include <stddef.h>

#include "aas.h"

/*
 * Run the n commands argvs[0..n-1] (argv[0] a path, or a name looked up
 * in PATH): the first reads in_fd (/dev/null when -1), the last writes
 * out_fd (/dev/null when -1).  Waits for all of them; status[i] is
 * command i's exit status, or 128 + the signal that ended it.  Returns 0,
 * or -1 with e set (code "spawn") when one could not be started: those
 * started before it are waited for, and its status and the later ones'
 * are 127.  The caller keeps in_fd and out_fd.
 */
int	aas_pipeline_run(char *const *const *argvs, size_t n, int in_fd,
	    int out_fd, int *status, struct aas_err *e);
/* The standard error of the commands run from now on: fd (aas-run gives
 * them aas_progress_relay's pipe), or -1 to inherit it again. */
void	aas_pipeline_set_stderr(int fd);

#endif
