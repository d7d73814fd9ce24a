/* fuzz-config.c: aas_yaml_parse, and the board's YAML plan reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_err e;
	json_t *out = NULL, *where = json_object();
	char *s;

	if (aas_yaml_parse((const char *)data, size, "fuzz.yml", &out, where,
	    &e) == 0) {
		s = json_dumps(out, JSON_ENCODE_ANY);
		if (out != NULL && s == NULL)
			abort();
		free(s);
	} else if (out != NULL || e.msg[0] == '\0')
		abort();
	json_decref(out);
	json_decref(where);
	{
		struct aas_board *b;
		size_t i;
		json_t *r;

		if (aas_board_parse(&b, (const char *)data, size, "plan.yaml",
		    NULL, NULL) == 0) {
			for (i = 0; i < aas_board_count(b); i++) {
				r = aas_task_record(b, aas_board_task(b, i));
				if (r == NULL)
					abort();
				json_decref(r);
			}
			aas_board_free(b);
		}
	}
	return 0;
}
