/* notify-webhook.c: one signed POST per task (Standard Webhooks). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "http.h"
#include "notify.h"
#include "banned.h"

struct aas_target {
	char	*url;
	char	*shown;
	char	*secret;	/* whsec_..., or NULL: unsigned */
	int	 dry_run;
	struct aas_http *http;
};

/* The secret from $AAS_WEBHOOK_SECRET or the file webhook.secret_file. */
static int
get_secret(const struct aas_target_env *env, char **out, struct aas_err *e)
{
	const char *v = getenv("AAS_WEBHOOK_SECRET"), *file = NULL;
	unsigned char *key;
	struct stat sb;
	char *data = NULL, *path;
	size_t len, klen;

	*out = NULL;
	if (v != NULL && *v != '\0')
		data = aas_xstrdup(v);
	else {
		if (aas_config_str(env->cf, "webhook.secret_file", &file, e) ==
		    -1)
			return -1;
		if (file == NULL)
			return 0;
		path = file[0] == '/' || env->repo == NULL ?
		    aas_xstrdup(file) : aas_xasprintf("%s/%s", env->repo, file);
		if (stat(path, &sb) != 0) {
			aas_err_set(e, "config", "%s: %s", path,
			    strerror(errno));
			free(path);
			return -1;
		}
		if ((sb.st_mode & 077) != 0) {
			aas_err_set(e, "config", "%s: secret file has mode "
			    "%04o; it must be 0600", path,
			    (unsigned)(sb.st_mode & 07777));
			free(path);
			return -1;
		}
		if (aas_read_file(path, &data, &len, e) == -1) {
			free(path);
			return -1;
		}
		free(path);
		while (len > 0 && strchr("\r\n\t ", data[len - 1]) != NULL)
			data[--len] = '\0';
	}
	aas_secret_add(data);
	v = strncmp(data, "whsec_", 6) == 0 ? data + 6 : data;
	aas_secret_add(v);
	key = aas_base64_decode(v, &klen);
	free(key);
	if (key == NULL || klen < 24 || klen > 64) {
		free(data);
		return aas_err_set(e, "config", "the webhook secret is not "
		    "whsec_ and the base64 of 24 to 64 bytes");
	}
	*out = data;
	return 0;
}

static int
wh_open(struct aas_target **tp, const struct aas_target_env *env,
    char hash[13], struct aas_err *e)
{
	struct aas_http_opts ho;
	struct aas_target *t;
	const char *url = env->arg;

	if (url == NULL && aas_config_str(env->cf, "webhook.url", &url, e) ==
	    -1)
		return -1;
	if (url == NULL)
		return aas_err_set(e, "config", "no URL: give --webhook=URL or "
		    "set webhook.url");
	if (aas_notify_url_check("the webhook URL", url, e) == -1)
		return -1;
	t = aas_xcalloc(1, sizeof(*t));
	if (get_secret(env, &t->secret, e) == -1) {
		free(t);
		return -1;
	}
	t->url = aas_xstrdup(url);
	t->shown = aas_notify_url_shown(url, 1);
	t->dry_run = env->dry_run;
	memset(&ho, 0, sizeof(ho));
	ho.timeout_ms = 30000;
	ho.verbose = env->verbose;
	ho.only_429 = 1;
	if (!t->dry_run)
		t->http = aas_http_new(&ho);
	aas_notify_hash("webhook", url, hash);
	*tp = t;
	return 0;
}

static int
wh_deliver(struct aas_target *t, json_t *outcome, const char *id,
    json_t **detailp, struct aas_err *e)
{
	struct aas_http_req rq;
	struct aas_http_resp resp;
	const char *hdr[6];
	char *body, *sig = NULL, *h_id, *h_ts, *h_sig = NULL;
	long long ts = (long long)time(NULL);
	int rc, n = 0;

	body = json_dumps(outcome, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (t->secret != NULL)
		sig = aas_webhook_sign(t->secret, id, ts, body, strlen(body));
	if (t->dry_run) {
		aas_msg("dry run: webhook: POST %s webhook-id %s%s: %s",
		    t->shown, id, sig != NULL ? ", signed" : "", body);
		*detailp = json_string("dry run: not sent");
		free(sig);
		free(body);
		return 0;
	}
	h_id = aas_xasprintf("webhook-id: %s", id);
	h_ts = aas_xasprintf("webhook-timestamp: %lld", ts);
	hdr[n++] = "Content-Type: application/json";
	hdr[n++] = h_id;
	hdr[n++] = h_ts;
	if (sig != NULL) {
		h_sig = aas_xasprintf("webhook-signature: %s", sig);
		hdr[n++] = h_sig;
	}
	hdr[n] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.url = t->url;
	rq.headers = hdr;
	rq.body = body;
	rq.body_len = strlen(body);
	memset(&resp, 0, sizeof(resp));
	rc = aas_http_do(t->http, &rq, &resp, e);
	if (rc == 0)
		*detailp = json_sprintf("http %ld", resp.status);
	else if (resp.status == 410)
		aas_err_set(e, "gone", "%s: http 410: the endpoint is gone; "
		    "nothing more is sent to it in this run", t->shown);
	else
		aas_notify_http_err(e, t->shown, &resp);
	aas_http_resp_free(&resp);
	free(h_id);
	free(h_ts);
	free(h_sig);
	free(sig);
	free(body);
	return rc;
}

static void
wh_close(struct aas_target *t)
{
	if (t == NULL)
		return;
	aas_http_free(t->http);
	free(t->url);
	free(t->shown);
	free(t->secret);
	free(t);
}

const struct aas_target_ops aas_target_webhook = {
	.name = "webhook",
	.open = wh_open,
	.deliver = wh_deliver,
	.close = wh_close,
};
