/*
 * fuzz-provider.c: the provider response parsers: one result line
 * (OpenAI/vLLM or Anthropic), a batch object (OpenAI or Anthropic), the
 * chat -> Messages translation, and the header time parsers.  The first
 * byte picks the parser; the rest is its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct aas_provider *prov[2];

static void
check_result(json_t *r)
{
	json_t *ok = json_object_get(r, "ok");
	char *s;

	if (!json_is_boolean(ok) ||
	    !json_is_string(json_object_get(r, "custom_id")))
		abort();
	if (json_is_false(ok) && !json_is_string(json_object_get(
	    json_object_get(r, "error"), "code")))
		abort();
	if (json_is_true(ok) && !json_is_string(json_object_get(r, "text")))
		abort();
	if ((s = json_dumps(r, JSON_COMPACT)) == NULL)
		abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_provider_opts o = { 0 };
	struct aas_err e;
	json_t *r, *j;
	char *s;
	int k;

	if (prov[0] == NULL) {
		o.key = "sk-fuzz-0000";
		if (aas_provider_open(&prov[0], &o, &e) != 0)
			abort();
		o.kind = "anthropic";
		if (aas_provider_open(&prov[1], &o, &e) != 0)
			abort();
	}
	if (size < 1)
		return 0;
	k = data[0] % 6;
	data++;
	size--;
	switch (k) {
	case 0:
	case 1:
		if (aas_provider_parse_result(prov[k], (const char *)data,
		    size, &r, &e) == 0) {
			check_result(r);
			json_decref(r);
		} else if (strcmp(e.code, "bad_result") != 0)
			abort();
		break;
	case 2:
	case 3:
		j = json_loadb((const char *)data, size, 0, NULL);
		r = j ? aas_provider_batch_norm(prov[k - 2], j) : NULL;
		if (r != NULL && (!json_is_string(json_object_get(r, "id")) ||
		    !json_is_string(json_object_get(r, "status")) ||
		    !json_is_boolean(json_object_get(r, "terminal"))))
			abort();
		json_decref(r);
		json_decref(j);
		break;
	case 4:
		j = json_loadb((const char *)data, size, 0, NULL);
		if (json_is_object(j)) {
			r = aas_provider_batch_line(prov[1], "id-1", NULL, j);
			if (!json_is_integer(json_object_get(json_object_get(r,
			    "params"), "max_tokens")))
				abort();
			json_decref(r);
			(void)aas_provider_est_tokens(prov[0], j);
		}
		json_decref(j);
		break;
	default:
		s = aas_xstrndup((const char *)data, size);
		(void)aas_http_duration_ms(s);
		(void)aas_http_date_ms(s);
		j = json_pack("{s:s, s:s}", "retry-after", s,
		    "retry-after-ms", s);
		if (j != NULL) {
			(void)aas_http_retry_delay_ms(j, 0);
			json_decref(j);
		}
		free(s);
		break;
	}
	return 0;
}
