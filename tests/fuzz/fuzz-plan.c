/* fuzz-plan.c: aas_plan_parse, the whole answer-to-plan path, and the
 * invariants of a plan it returns. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_plan_opts o = { 0 };
	struct aas_err e;
	json_t *plan, *ed;
	size_t i;
	char *norm;

	o.require_tests = size > 0 && (data[0] & 1);
	if (aas_plan_parse((const char *)data, size, &o, &plan, &e) == -1) {
		if (plan != NULL || e.code[0] == '\0')
			abort();
		return 0;
	}
	if (json_array_size(json_object_get(plan, "edits")) == 0)
		abort();
	json_array_foreach(json_object_get(plan, "edits"), i, ed) {
		json_t *p = json_object_get(ed, "path");

		/* a checked path is a fixed point of the check */
		norm = aas_plan_check_path(json_string_value(p),
		    json_string_length(p), &e);
		if (norm == NULL || strcmp(norm, json_string_value(p)) != 0)
			abort();
		free(norm);
	}
	free(json_dumps(plan, JSON_COMPACT));
	json_decref(plan);
	return 0;
}
