/*
 * provider-pool.c: the providers a command uses, opened on first use
 * from the configuration (provider.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "provider.h"
#include "banned.h"

struct pooled {
	char			*kind;
	struct aas_provider	*p;
};

struct aas_provider_pool {
	const struct aas_config	*cf;
	int			 verbose;
	struct pooled		*v;
	size_t			 n;
};

struct aas_provider_pool *
aas_provider_pool_new(const struct aas_config *cf, int verbose)
{
	struct aas_provider_pool *pp;

	pp = aas_xcalloc(1, sizeof(*pp));
	pp->cf = cf;
	pp->verbose = verbose;
	return pp;
}

struct aas_provider *
aas_provider_pool_get(struct aas_provider_pool *pp, const char *kind,
    const char *key, struct aas_err *e)
{
	const struct aas_provider_info *in, *conf;
	struct aas_provider_opts o;
	struct aas_provider *p;
	const char *pk = AAS_PROVIDER_DEFAULT, *base = NULL;
	size_t i;

	if (kind == NULL)
		kind = AAS_PROVIDER_DEFAULT;
	for (i = 0; i < pp->n; i++)
		if (strcmp(pp->v[i].kind, kind) == 0)
			return pp->v[i].p;
	memset(&o, 0, sizeof(o));
	o.kind = kind;
	/* the base URL is the configured provider's */
	(void)aas_config_str(pp->cf, "provider", &pk, NULL);
	in = aas_provider_info(kind);
	conf = aas_provider_info(pk);
	if (strcmp(pk, kind) == 0 || (in != NULL && in == conf))
		(void)aas_config_str(pp->cf, "base_url", &base, NULL);
	o.base_url = base;
	(void)aas_config_str(pp->cf, "key_file", &o.key_file, NULL);
	o.verbose = pp->verbose;
	o.key = key;
	if (aas_provider_open(&p, &o, e) == -1)
		return NULL;
	/* one provider under each name it was asked by */
	for (i = 0; i < pp->n; i++)
		if (strcmp(aas_provider_kind(pp->v[i].p),
		    aas_provider_kind(p)) == 0) {
			aas_provider_close(p);
			p = pp->v[i].p;
			break;
		}
	pp->v = aas_xreallocarray(pp->v, pp->n + 1, sizeof(*pp->v));
	pp->v[pp->n].kind = aas_xstrdup(kind);
	pp->v[pp->n].p = p;
	pp->n++;
	return p;
}

struct aas_provider *
aas_provider_pool_cb(const char *kind, void *arg, struct aas_err *e)
{
	return aas_provider_pool_get(arg, kind, NULL, e);
}

void
aas_provider_pool_free(struct aas_provider_pool *pp)
{
	size_t i, j;

	if (pp == NULL)
		return;
	for (i = 0; i < pp->n; i++) {
		for (j = 0; j < i; j++)
			if (pp->v[j].p == pp->v[i].p)
				break;
		if (j == i)
			aas_provider_close(pp->v[i].p);
		free(pp->v[i].kind);
	}
	free(pp->v);
	free(pp);
}
