/*
 * fuzz-results.c: a whole results JSONL file (OpenAI output and error
 * files, vLLM run-batch output, Anthropic results) read line by line the
 * way aas-fetch reads it: every line parses to a result or bad_result,
 * and to the same result (or the same error) as from jansson's tree of
 * the whole line (aas_provider_parse_result_tree).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct aas_provider *prov[2];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_provider_opts o = { 0 };
	struct aas_err e, et;
	const char *p = (const char *)data, *end = p + size, *nl;
	json_t *r, *rt;
	int k, rc, rct;

	if (prov[0] == NULL) {
		o.key = "sk-fuzz-0000";
		if (aas_provider_open(&prov[0], &o, &e) != 0)
			abort();
		o.kind = "anthropic";
		if (aas_provider_open(&prov[1], &o, &e) != 0)
			abort();
	}
	k = size > 0 && (data[size - 1] & 1);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p)
			continue;
		memset(&e, 0, sizeof(e));
		rc = aas_provider_parse_result(prov[k], p, (size_t)(nl - p), &r,
		    &e);
		memset(&et, 0, sizeof(et));
		rct = aas_provider_parse_result_tree(prov[k], p,
		    (size_t)(nl - p), &rt, &et);
		if (rc != rct || (rc == 0 && !json_equal(r, rt)) ||
		    (rc != 0 && strcmp(e.msg, et.msg) != 0))
			abort();
		json_decref(rt);
		if (rc == 0) {
			if (!json_is_string(json_object_get(r, "custom_id")) ||
			    !json_is_boolean(json_object_get(r, "ok")))
				abort();
			json_decref(r);
		} else if (strcmp(e.code, "bad_result") != 0)
			abort();
	}
	return 0;
}
