/*
 * emu.h: start and stop aas-emu (tests/emu) for a C unit test, the one way
 * every unit test does it.  Include after tap.h.
 *
 *	if (emu_start(dir, "--key", KEY, "--rate-window", "2000", NULL) == 0)
 *		... cannot start: diag and fail
 *	... requests to emu_url ("http://127.0.0.1:PORT") ...
 *	emu_stop();
 *
 * emu_start runs $AAS_BUILD/tests/emu/aas-emu (AAS_BUILD defaults to
 * build/asan) with --port-file DIR/port and --state-dir DIR/emu, then the
 * options given (at most EMU_MAX_ARGS, NULL-terminated).  It waits for the
 * port file (up to 30 s) and returns the port, or 0 when the emulator could
 * not be run or exited first.  emu_stop sends SIGTERM and waits; it returns
 * the emulator's exit status (0 for a clean exit, nonzero after, say, a
 * sanitizer report), or -1 when no emulator runs.
 */
#ifndef AAS_TAP_EMU_H
#define AAS_TAP_EMU_H

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define EMU_MAX_ARGS	16

static pid_t emu_pid;
static char emu_url[64];

static TAP_UNUSED int
emu_stop(void)
{
	int st;

	if (emu_pid <= 0)
		return -1;
	kill(emu_pid, SIGTERM);
	while (waitpid(emu_pid, &st, 0) == -1)
		if (errno != EINTR) {
			emu_pid = 0;
			return -1;
		}
	emu_pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static TAP_UNUSED int
emu_start(const char *dir, ...)
{
	const char *b = getenv("AAS_BUILD");
	char *argv[6 + EMU_MAX_ARGS + 1];
	char emu[1024], pf[512], sd[512];
	va_list ap;
	FILE *f;
	int port = 0, n = 0, i, st;

	snprintf(emu, sizeof(emu), "%s/tests/emu/aas-emu",
	    b ? b : "build/asan");
	snprintf(pf, sizeof(pf), "%s/port", dir);
	snprintf(sd, sizeof(sd), "%s/emu", dir);
	unlink(pf);
	argv[n++] = "aas-emu";
	argv[n++] = "--port-file";
	argv[n++] = pf;
	argv[n++] = "--state-dir";
	argv[n++] = sd;
	va_start(ap, dir);
	while (n < 5 + EMU_MAX_ARGS && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	fflush(stdout);
	if ((emu_pid = fork()) == -1) {
		emu_pid = 0;
		return 0;
	}
	if (emu_pid == 0) {
		execv(emu, argv);
		_exit(127);
	}
	for (i = 0; i < 1200 && port == 0; i++) {
		usleep(25000);
		if ((f = fopen(pf, "r")) != NULL) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port == 0 && waitpid(emu_pid, &st, WNOHANG) == emu_pid) {
			emu_pid = 0;
			return 0;
		}
	}
	if (port == 0) {
		emu_stop();
		return 0;
	}
	snprintf(emu_url, sizeof(emu_url), "http://127.0.0.1:%d", port);
	return port;
}

#endif
