#include <stdio.h>
#include <string.h>

#include "../strutil.h"

static int failed;

static void
check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failed = 1;
}

int
main(void)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "abc");
	check(strcmp(str_reverse(buf), "cba") == 0, "reverse");
	check(str_count("banana", 'n') == 2, "count n");
	return failed;
}
