/*
 * replay.c: a main for a libFuzzer target, built with the C compiler of
 * the rest of the tree (no clang, no libFuzzer): it feeds every file of the
 * target's corpus to LLVMFuzzerTestOneInput once, in name order, each in a
 * buffer of its exact size, and speaks TAP (one test per file).
 *
 *	replay-NAME [FILE-OR-DIR ...]
 *
 * Linked with tests/fuzz/fuzz-NAME.c as build/<variant>/tests/fuzz/
 * replay-NAME; without arguments it replays $AAS_SRC/tests/fuzz/corpus/NAME
 * (AAS_SRC defaults to the current folder), NAME taken from its own
 * program name.  A target that aborts, or a sanitizer report, ends the
 * run with a "not ok" naming the input and a nonzero exit, so `make check`
 * fails on any corpus file that crashes.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char **inputs;
static size_t ninputs, capinputs;
static const char *volatile current;
static volatile size_t current_n;

static void
add_input(const char *path)
{
	if (ninputs == capinputs) {
		capinputs = capinputs ? capinputs * 2 : 256;
		inputs = realloc(inputs, capinputs * sizeof(*inputs));
		if (inputs == NULL) {
			perror("replay");
			exit(2);
		}
	}
	if ((inputs[ninputs++] = strdup(path)) == NULL) {
		perror("replay");
		exit(2);
	}
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* every regular file directly in dir, or path itself; 0, or -1 */
static int
collect(const char *path)
{
	struct stat st;
	struct dirent *d;
	DIR *dp;
	char *p;
	size_t first = ninputs, n;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		add_input(path);
		return 0;
	}
	if ((dp = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		n = strlen(path) + strlen(d->d_name) + 2;
		if ((p = malloc(n)) == NULL) {
			perror("replay");
			exit(2);
		}
		snprintf(p, n, "%s/%s", path, d->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			add_input(p);
		free(p);
	}
	closedir(dp);
	qsort(inputs + first, ninputs - first, sizeof(*inputs), by_name);
	return 0;
}

/* the whole file in a buffer of exactly its size (1 byte when empty) */
static uint8_t *
slurp(const char *path, size_t *len)
{
	uint8_t *b;
	struct stat st;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fstat(fileno(f), &st) == -1 ||
	    (b = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(b, 1, (size_t)st.st_size, f);
	if (ferror(f) || n != (size_t)st.st_size) {
		free(b);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = n;
	return b;
}

/* write(2) only: called from a signal handler or a sanitizer's death */
static void
report_death(const char *why)
{
	char num[32];
	int i = (int)sizeof(num);
	size_t n = current_n;

	if (current == NULL)
		return;
	num[--i] = '\0';
	do {
		num[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0 && i > 0);
	(void)!write(1, "not ok ", 7);
	(void)!write(1, num + i, strlen(num + i));
	(void)!write(1, " - ", 3);
	(void)!write(1, current, strlen(current));
	(void)!write(1, ": ", 2);
	(void)!write(1, why, strlen(why));
	(void)!write(1, "\n", 1);
	current = NULL;
}

#if defined(__SANITIZE_ADDRESS__)
static void
on_sanitizer_death(void)
{
	report_death("sanitizer report (stderr)");
}
#endif

static void
on_signal(int sig)
{
	report_death(sig == SIGABRT ? "abort()" : "fatal signal");
	signal(sig, SIG_DFL);
	raise(sig);
}

int
main(int argc, char *argv[])
{
	const char *name, *src, *shown;
	char *dir;
	uint8_t *data;
	size_t i, len;
	int a, bad = 0;

	name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strncmp(name, "replay-", 7) == 0)
		name += 7;
	src = getenv("AAS_SRC") ? getenv("AAS_SRC") : ".";
	if (argc > 1) {
		for (a = 1; a < argc; a++)
			if (collect(argv[a]) == -1)
				bad = 1;
	} else {
		len = strlen(src) + strlen(name) + 32;
		if ((dir = malloc(len)) == NULL)
			return 2;
		snprintf(dir, len, "%s/tests/fuzz/corpus/%s", src, name);
		if (collect(dir) == -1)
			bad = 1;
		free(dir);
	}
	if (bad)
		return 2;
	if (ninputs == 0) {
		printf("1..0 # SKIP no corpus files for %s\n", name);
		return 0;
	}
#if defined(__SANITIZE_ADDRESS__)
	__sanitizer_set_death_callback(on_sanitizer_death);
#endif
	signal(SIGABRT, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGFPE, on_signal);
	signal(SIGILL, on_signal);
	printf("1..%zu\n", ninputs);
	fflush(stdout);
	for (i = 0; i < ninputs; i++) {
		if ((data = slurp(inputs[i], &len)) == NULL) {
			printf("not ok %zu - %s: %s\n", i + 1, inputs[i],
			    strerror(errno));
			bad = 1;
			continue;
		}
		shown = inputs[i];
		if (strncmp(shown, src, strlen(src)) == 0 &&
		    shown[strlen(src)] == '/')
			shown += strlen(src) + 1;
		current_n = i + 1;
		current = shown;
		(void)LLVMFuzzerTestOneInput(data, len);
		current = NULL;
		free(data);
		printf("ok %zu - %s\n", i + 1, shown);
		fflush(stdout);
	}
	for (i = 0; i < ninputs; i++)
		free(inputs[i]);
	free(inputs);
	return bad;
}
