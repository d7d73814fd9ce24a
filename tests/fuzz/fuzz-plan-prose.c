/*
 * fuzz-plan-prose.c: the path found in prose before a fence
 * (aas_pl_prose_path), on each line of the input, and what an answer
 * with no edits is told (aas_plan_explain).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "plan.h"
#include "plan-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *ps;
	struct lines L;
	size_t i, pn;
	json_t *x;

	aas_pl_lines_split(&L, s, size);
	for (i = 0; i < L.n; i++) {
		if (!aas_pl_prose_path(&L.v[i], &ps, &pn))
			continue;
		/* the path is a part of the line, never empty */
		if (pn == 0 || ps < L.v[i].s || ps + pn > L.v[i].s + L.v[i].n)
			abort();
	}
	aas_pl_lines_free(&L);
	x = aas_plan_explain(s, size);
	if (x == NULL || json_object_get(x, "found") == NULL)
		abort();
	json_decref(x);
	return 0;
}
