/* pipeline.c: commands joined by pipes, started without a shell. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aas.h"
#include "pipeline.h"
#include "banned.h"

extern char **environ;

static int
wait_for(pid_t pid)
{
	int ws;

	while (waitpid(pid, &ws, 0) == -1)
		if (errno != EINTR)
			return 127;
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	return WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 127;
}

static int err_fd = -1;

void
aas_pipeline_set_stderr(int fd)
{
	err_fd = fd;
}

int
aas_pipeline_run(char *const *const *argvs, size_t n, int in_fd,
    int out_fd, int *status, struct aas_err *e)
{
	posix_spawn_file_actions_t fa;
	pid_t *pids;
	int p[2], in, out, null_in = -1, null_out = -1, rc = 0, err;
	size_t i, started = 0;

	pids = aas_xcalloc(n > 0 ? n : 1, sizeof(*pids));
	for (i = 0; i < n; i++)
		status[i] = 127;
	if (in_fd == -1 && (in_fd = null_in = open("/dev/null",
	    O_RDONLY | O_CLOEXEC)) == -1)
		rc = aas_err_set(e, "spawn", "/dev/null: %s", strerror(errno));
	if (rc == 0 && out_fd == -1 && (out_fd = null_out =
	    open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		rc = aas_err_set(e, "spawn", "/dev/null: %s", strerror(errno));
	in = in_fd;
	for (i = 0; rc == 0 && i < n; i++) {
		p[0] = p[1] = -1;
		if (i + 1 < n && pipe2(p, O_CLOEXEC) == -1) {
			rc = aas_err_set(e, "spawn", "pipe: %s",
			    strerror(errno));
			break;
		}
		out = i + 1 < n ? p[1] : out_fd;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, in, 0);
		posix_spawn_file_actions_adddup2(&fa, out, 1);
		if (err_fd != -1)
			posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
		err = strchr(argvs[i][0], '/') != NULL ?
		    posix_spawn(&pids[i], argvs[i][0], &fa, NULL,
		    argvs[i], environ) :
		    posix_spawnp(&pids[i], argvs[i][0], &fa, NULL,
		    argvs[i], environ);
		posix_spawn_file_actions_destroy(&fa);
		if (in != in_fd)
			close(in);
		if (p[1] != -1)
			close(p[1]);
		in = p[0];
		if (err != 0) {
			rc = aas_err_set(e, "spawn", "%s: %s", argvs[i][0],
			    strerror(err));
			break;
		}
		started++;
	}
	if (in != in_fd && in != -1)
		close(in);
	for (i = 0; i < started; i++)
		status[i] = wait_for(pids[i]);
	if (null_in != -1)
		close(null_in);
	if (null_out != -1)
		close(null_out);
	free(pids);
	return rc;
}
