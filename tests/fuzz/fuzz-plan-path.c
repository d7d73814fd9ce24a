/* fuzz-plan-path.c: aas_plan_check_path never lets out a path that is
 * absolute, climbs, or names .git, and is idempotent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aas.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_err e;
	char *p, *q, *c, *save;

	if ((p = aas_plan_check_path((const char *)data, size, &e)) == NULL)
		return 0;
	if (p[0] == '/' || p[0] == '\0')
		abort();
	q = aas_plan_check_path(p, strlen(p), &e);
	if (q == NULL || strcmp(p, q) != 0)
		abort();
	for (c = strtok_r(q, "/", &save); c != NULL;
	    c = strtok_r(NULL, "/", &save))
		if (strcmp(c, "..") == 0 || strcmp(c, ".") == 0 ||
		    strcasecmp(c, ".git") == 0)
			abort();
	free(p);
	free(q);
	return 0;
}
