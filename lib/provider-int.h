/*
 * provider-int.h: what lib/provider.c, lib/openai.c and lib/anthropic.c
 * share.  Not for commands: use provider.h.
 */
#ifndef AAS_PROVIDER_INT_H
#define AAS_PROVIDER_INT_H

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "provider.h"

enum { AAS_P_OPENAI, AAS_P_ANTHROPIC };

struct aas_provider {
	int		 kind;
	char		*base;		/* no trailing slash */
	char		*origin;	/* scheme://host[:port] of base */
	char		*auth[4];	/* header lines, NULL-terminated */
	char		*json_hdrs[5];	/* auth + Content-Type: JSON */
	struct aas_http	*http;
	json_t		*rl;		/* rate limits, see ratelimits() */
	int		 max_tries;
	int		 verbose;
};

/* provider.c */
int	 aas_p_call(struct aas_provider *p, const char *method,
	    const char *path, json_t *body, int unsafe, json_t **out,
	    struct aas_http_resp *rs, struct aas_err *e);
char	*aas_p_url(const struct aas_provider *p, const char *path);
const char *aas_p_str(json_t *o, const char *k);
json_t	*aas_p_jstr(const char *s);
json_int_t aas_p_int(json_t *o, const char *k);
void	 aas_p_ratelimit_note(void *arg, long status, json_t *headers);
void	 aas_p_sleep_ms(long ms);
json_t	*aas_p_result_err(const char *custom_id, long status,
	    const char *code, const char *message, const char *request_id);

/* openai.c */
json_t	*aas_openai_batch_norm(json_t *raw);
json_t	*aas_openai_body_result(json_t *body, long status,
	    const char *request_id);
int	 aas_openai_parse_line(json_t *o, json_t **resp, struct aas_err *e);
int	 aas_openai_submit(struct aas_provider *p, const char *path,
	    const char *endpoint, json_t *metadata,
	    void (*on_file)(const char *, void *), void *arg,
	    json_t **batchp, struct aas_err *e);
int	 aas_openai_find_run(struct aas_provider *p, const char *run,
	    json_t **batchp, struct aas_err *e);
int	 aas_openai_download(struct aas_provider *p, json_t *batch,
	    const char *which, const char *path, int *gotp,
	    struct aas_err *e);

/* anthropic.c */
json_t	*aas_anthropic_translate(json_t *body);
json_t	*aas_anthropic_batch_norm(json_t *raw);
json_t	*aas_anthropic_message_result(json_t *msg, const char *request_id);
int	 aas_anthropic_parse_line(json_t *o, json_t **resp,
	    struct aas_err *e);
int	 aas_anthropic_submit(struct aas_provider *p, const char *path,
	    json_t **batchp, struct aas_err *e);
int	 aas_anthropic_download(struct aas_provider *p, json_t *batch,
	    const char *which, const char *path, int *gotp,
	    struct aas_err *e);

#endif
