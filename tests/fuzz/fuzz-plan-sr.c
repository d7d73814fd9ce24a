/* fuzz-plan-sr.c: aas_plan_parse_search_replace alone. */
#include <stdint.h>
#include <stdlib.h>

#include "aas.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_err e;
	json_t *edits = json_array();
	int n;

	n = aas_plan_parse_search_replace((const char *)data, size, edits, &e);
	if (n >= 0 && (size_t)n != json_array_size(edits))
		abort();
	json_decref(edits);
	return 0;
}
