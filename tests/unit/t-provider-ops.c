/*
 * t-provider-ops: the provider registry (names, aliases, batch limits),
 * what each provider's table says about a failed create, and the pool
 * the commands open providers through.  No network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "provider.h"
#include "tap.h"

int
main(void)
{
	struct aas_provider_opts o = { 0 };
	const struct aas_provider_info *in;
	struct aas_provider_pool *pool;
	struct aas_provider *p, *oa, *an, *v;
	struct aas_config *cf;
	struct aas_err e;
	char dir[] = "/tmp/t-provider-ops.XXXXXX", path[256];
	FILE *f;

	aas_setprogname("t-provider-ops");
	plan(22);
	unsetenv("OPENAI_API_KEY");
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("AAS_PROVIDER");
	if (mkdtemp(dir) == NULL)
		return 1;

	is_str(aas_provider_names(), "openai or anthropic", "names");
	in = aas_provider_info("openai");
	ok(in != NULL && strcmp(in->endpoint, "/v1/chat/completions") == 0 &&
	    in->max_requests == 50000 && in->max_bytes == 200000000,
	    "openai: endpoint and batch limits");
	in = aas_provider_info("anthropic");
	ok(in != NULL && strcmp(in->endpoint, "/v1/messages") == 0 &&
	    in->max_requests == 100000 && in->max_bytes == 256000000,
	    "anthropic: endpoint and batch limits");
	ok(aas_provider_info("vllm") == NULL, "an alias is not a provider");
	ok(aas_provider_info("mistral") == NULL, "unknown name");

	o.key = "sk-ops-0000";
	o.kind = "vllm";
	is_int(aas_provider_open(&p, &o, &e), 0, "vllm opens");
	is_str(aas_provider_kind(p), "openai", "vllm is openai");
	aas_provider_close(p);
	o.kind = "mistral";
	is_int(aas_provider_open(&p, &o, &e), -1, "unknown provider");
	is_str(e.msg, "unknown provider 'mistral' (openai or anthropic)",
	    "unknown provider: the message lists the registry");

	o.kind = "openai";
	aas_provider_open(&oa, &o, &e);
	o.kind = "anthropic";
	aas_provider_open(&an, &o, &e);
	is_int(aas_provider_create_refused(oa, "network", 0), 1,
	    "openai: no file id, surely no batch");
	is_int(aas_provider_create_refused(oa, "network", 1), 0,
	    "openai: uploaded, a batch may exist");
	is_int(aas_provider_create_refused(oa, "http_400", 1), 1,
	    "openai: a 400 is a refusal");
	is_int(aas_provider_create_refused(an, "network", 0), 0,
	    "anthropic: no upload, a batch may exist");
	is_int(aas_provider_create_refused(an, "http_429", 0), 0,
	    "anthropic: a 429 is not a refusal");
	is_int(aas_provider_create_refused(an, "http_404", 0), 1,
	    "anthropic: a 404 is");
	aas_provider_close(oa);
	aas_provider_close(an);

	snprintf(path, sizeof(path), "%s/c.yml", dir);
	f = fopen(path, "w");
	fputs("provider: anthropic\nbase_url: http://127.0.0.1:9\n", f);
	fclose(f);
	ok(aas_config_load(&cf, dir, path, &e) == 0, "config");
	pool = aas_provider_pool_new(cf, 0);
	an = aas_provider_pool_get(pool, "anthropic", "sk-ops-1", &e);
	ok(an != NULL && strcmp(aas_provider_kind(an), "anthropic") == 0,
	    "pool: anthropic");
	ok(aas_provider_pool_get(pool, "anthropic", NULL, &e) == an,
	    "pool: opened once");
	ok(aas_provider_pool_get(pool, "openai", NULL, &e) == NULL &&
	    strcmp(e.msg, "no API key: set OPENAI_API_KEY or a key file") ==
	    0, "pool: a key is needed when none is given");
	oa = aas_provider_pool_get(pool, NULL, "sk-ops-2", &e);
	ok(oa != NULL && strcmp(aas_provider_kind(oa), "openai") == 0,
	    "pool: NULL is openai");
	v = aas_provider_pool_get(pool, "vllm", "sk-ops-3", &e);
	ok(v == oa, "pool: vllm is the same provider as openai");
	ok(aas_provider_pool_cb("openai", pool, &e) == oa,
	    "pool_cb: the pool's provider");
	aas_provider_pool_free(pool);
	aas_config_free(cf);
	aas_rmtree(dir, &e);
	return done_testing();
}
