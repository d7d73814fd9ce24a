/*
 * corpus.h: for the unit tests that hold an implementation against
 * another (jansson, mostly) on many inputs: a tally that says once how
 * many differed and shows the first, rather than a TAP line per input,
 * and a walk that hands every file below a folder to the comparison,
 * whole and line by line.  Include after tap.h.
 */
#ifndef AAS_CORPUS_H
#define AAS_CORPUS_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"

/* The comparisons made and failed since the last check, the first
 * failure said (made by the test, freed by check). */
static long ncmp, nbad;
static char *first_bad;

/* One TAP line for the comparisons since the last: none differed, and
 * at least min were made. */
static TAP_UNUSED void
check(const char *name, long min)
{
	ok(nbad == 0 && ncmp >= min, name);
	if (nbad > 0)
		printf("#   %ld of %ld differ; the first: %s\n", nbad, ncmp,
		    first_bad);
	if (ncmp < min)
		printf("#   only %ld compared\n", ncmp);
	free(first_bad);
	first_bad = NULL;
	ncmp = nbad = 0;
}

static void (*corpus_fn)(const char *, size_t);
static const char *const *corpus_exts;

static int
corpus_file(const char *path, const struct stat *sb, int type,
    struct FTW *f)
{
	const char *dot = strrchr(path, '.');
	const char *const *x;
	char *s, *nl, *p;
	size_t n;

	(void)sb;
	(void)f;
	if (type != FTW_F)
		return 0;
	for (x = corpus_exts; x != NULL && *x != NULL; x++)
		if (dot != NULL && strcmp(dot, *x) == 0)
			break;
	if ((corpus_exts != NULL && *x == NULL) ||
	    aas_read_file(path, &s, &n, NULL) == -1)
		return 0;
	corpus_fn(s, n);
	for (p = s; p < s + n; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(s + n - p))) == NULL)
			nl = s + n;
		corpus_fn(p, (size_t)(nl - p));
	}
	free(s);
	return 0;
}

/* fn on every file below $AAS_SRC/sub (those whose names end in one of
 * exts, NULL-ended; NULL for all), whole and then each of its lines. */
static TAP_UNUSED void
corpus_walk(const char *sub, void (*fn)(const char *, size_t),
    const char *const *exts)
{
	const char *src = getenv("AAS_SRC");
	char *dir = aas_xasprintf("%s/%s", src ? src : ".", sub);

	corpus_fn = fn;
	corpus_exts = exts;
	(void)nftw(dir, corpus_file, 16, FTW_PHYS);
	free(dir);
}

#endif
