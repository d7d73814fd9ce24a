/*
 * tap.h: a few TAP helpers for the C unit tests (one header, no library).
 * Use: plan(n); ok(cond, "name"); is_str(got, want, "name");
 * is_int(got, want, "name"); return done_testing();
 */
#ifndef AAS_TAP_H
#define AAS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned;

#define TAP_UNUSED __attribute__((unused))

static TAP_UNUSED void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static TAP_UNUSED int
ok_at(int cond, const char *name, const char *file, int line)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

static TAP_UNUSED int
is_str_at(const char *got, const char *want, const char *name,
    const char *file, int line)
{
	int same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	if (!ok_at(same, name, file, line))
		printf("#   got:  %s%s%s\n#   want: %s%s%s\n",
		    got ? "'" : "", got ? got : "NULL", got ? "'" : "",
		    want ? "'" : "", want ? want : "NULL", want ? "'" : "");
	return same;
}

static TAP_UNUSED int
is_int_at(long long got, long long want, const char *name, const char *file,
    int line)
{
	int same = got == want;

	if (!ok_at(same, name, file, line))
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return same;
}

static TAP_UNUSED void
diag(const char *s)
{
	printf("# %s\n", s);
}

static TAP_UNUSED int
done_testing(void)
{
	if (tap_planned == 0)
		printf("1..%d\n", tap_n);
	else if (tap_planned != tap_n)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_n);
	return tap_failed != 0 || (tap_planned && tap_planned != tap_n);
}

#define ok(c, name)		ok_at(!!(c), (name), __FILE__, __LINE__)
#define is_str(g, w, name)	is_str_at((g), (w), (name), __FILE__, __LINE__)
#define is_int(g, w, name)	is_int_at((long long)(g), (long long)(w), \
				    (name), __FILE__, __LINE__)

#endif
