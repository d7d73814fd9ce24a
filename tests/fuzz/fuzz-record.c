/* fuzz-record.c: aas_rec_parse, aas_rec_set and aas_json_members. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "record.h"

static int
member_cb(const char *key, size_t ks, size_t vs, size_t ve, void *arg)
{
	size_t n = *(size_t *)arg;

	if (key == NULL || ks > vs || vs > ve || ve > n)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_rec rec;
	json_t *v, *again;
	int rc;

	(void)aas_json_members((const char *)data, size, member_cb, &size);
	rc = aas_rec_parse(&rec, (const char *)data, size, NULL);
	v = json_pack("{s:s, s:[i, f]}", "k", "v\"\n", "n", 1, 0.5);
	aas_rec_set(&rec, "notify", v);
	aas_rec_set(&rec, "id", v);
	json_decref(v);
	if (aas_json_members(rec.line, rec.len, member_cb, &rec.len) != 0)
		abort();
	/* what went in as an object (or became an error record) still
	 * parses as one */
	again = json_loadb(rec.line, rec.len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
	if (again == NULL || !json_is_object(again))
		abort();
	if (json_object_get(again, "notify") == NULL)
		abort();
	json_decref(again);
	aas_rec_del(&rec, "notify");
	again = json_loadb(rec.line, rec.len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
	if (again == NULL)
		abort();
	json_decref(again);
	(void)rc;
	aas_rec_free(&rec);
	return 0;
}
