/*
 * fuzz-results.c: a whole results JSONL file (OpenAI output and error
 * files, vLLM run-batch output, Anthropic results) read line by line the
 * way aas-fetch reads it: every line parses to a result or bad_result,
 * and to the same result (or the same error) as from jansson's tree of
 * the whole line (aas_provider_parse_result_tree); a line read as a plain
 * answer (aas_result_line_plain, no tree) gives that result, and the
 * response key and cost aas_response_key makes of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "jscan.h"
#include "price.h"
#include "provider.h"
#include "record.h"
#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct aas_provider *prov[2];

/* A plain answer of the line s[0..n) must be what the tree makes. */
static void
plain_same(struct aas_provider *p, const char *s, size_t n, json_t *rt)
{
	static const struct aas_price price = { 1.1, 4.4, 0.3 };
	static struct aas_buf v, k;
	struct aas_result_line l;
	json_t *key;
	char *want, top;
	size_t len;
	double usd;

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (aas_jscan_check(s, n, &top) != 0 || top != '{' ||
	    !aas_result_line_plain(p, s, n, &price, 0.5, &v, &k, &l))
		return;
	if (rt == NULL || !json_equal(rt, aas_result_line_res(&l)))
		abort();
	key = aas_response_key(rt, &price, 0.5, &usd);
	want = aas_json_text(key, 15, &len);
	if (want == NULL || len != l.keylen || memcmp(want, l.key, len) != 0 ||
	    usd != l.usd)
		abort();
	free(want);
	json_decref(key);
	aas_result_line_free(&l);
}

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
		plain_same(prov[k], p, (size_t)(nl - p), rct == 0 ? rt : NULL);
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
