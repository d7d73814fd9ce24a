/* fuzz-jscan.c: aas_jscan_check gives jansson's verdict on every input,
 * and on what both accept the walkers find jansson's members and items,
 * aas_jscan_value makes jansson's values and aas_jscan_pick its members. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "jscan.h"

/* the value at v, parsed alone, is jansson's w */
static void
same(const char *s, struct aas_jspan v, json_t *w)
{
	json_t *x = json_loadb(s + v.start, v.end - v.start, JSON_DECODE_ANY,
	    NULL);

	if (x == NULL || !json_equal(x, w))
		abort();
	json_decref(x);
	x = aas_jscan_value(s, v);
	if (x == NULL || !json_equal(x, w))
		abort();
	json_decref(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct aas_jspan doc, v;
	static const char *const keys[] = { "a", "id", "", "b", NULL };
	json_t *j = json_loadb(s, size, 0, NULL), *x, *y;
	const char *k;
	size_t i;
	char top;

	if ((aas_jscan_check(s, size, &top) == 0) != (j != NULL))
		abort();
	if (j == NULL)
		return 0;
	doc = aas_jscan_doc(s, size);
	if (aas_jscan_kind(s, doc) != top)
		abort();
	same(s, doc, j);
	if (json_is_object(j)) {
		json_object_foreach(j, k, x) {
			if (!aas_jscan_member(s, doc, k, &v))
				abort();
			same(s, v, x);
		}
		if (aas_jscan_member(s, doc, "\x01no such key", &v))
			abort();
		x = aas_jscan_pick(s, doc, keys);
		json_object_foreach(x, k, y)
			if (!json_equal(y, json_object_get(j, k)))
				abort();
		for (i = 0; keys[i] != NULL; i++)
			if ((json_object_get(j, keys[i]) == NULL) !=
			    (json_object_get(x, keys[i]) == NULL))
				abort();
		json_decref(x);
	} else {
		if (aas_jscan_items(s, doc, 0, NULL) != json_array_size(j))
			abort();
		json_array_foreach(j, i, x) {
			aas_jscan_items(s, doc, i, &v);
			same(s, v, x);
		}
	}
	json_decref(j);
	return 0;
}
