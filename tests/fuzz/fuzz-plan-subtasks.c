/* fuzz-plan-subtasks.c: aas_plan_parse_subtasks and its promises: on
 * success every sibling number is in range and not the task itself. */
#include <stdint.h>
#include <stdlib.h>

#include "aas.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_err e;
	json_t *subs, *t, *d;
	size_t i, k, n;

	if ((subs = aas_plan_parse_subtasks((const char *)data, size, 0,
	    &e)) == NULL)
		return 0;
	n = json_array_size(subs);
	if (n == 0 || n > AAS_PLAN_MAX_SUBTASKS)
		abort();
	json_array_foreach(subs, i, t) {
		json_array_foreach(json_object_get(t, "depends_on"), k, d) {
			if (json_is_integer(d) && (json_integer_value(d) < 1 ||
			    (size_t)json_integer_value(d) > n ||
			    (size_t)json_integer_value(d) == i + 1))
				abort();
		}
	}
	json_decref(subs);
	return 0;
}
