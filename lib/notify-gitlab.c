/* notify-gitlab.c: aas-notify --gitlab: push the branch, open or update
 * its merge request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "forge.h"
#include "http.h"
#include "notify.h"
#include "banned.h"

#define GL_API		"https://gitlab.com/api/v4"
#define DRAFT		"Draft: "

static const struct aas_forge_names names = {
	.kind = "gitlab", .service = "GitLab",
	.token_env = "GITLAB_TOKEN", .token_env2 = NULL,
	.api_env = "CI_API_V4_URL", .where_env = "CI_PROJECT_ID",
	.where_key = "project", .default_api = GL_API,
};

struct aas_target {
	struct aas_forge f;	/* first: see forge.h */
	struct aas_forge_conf c;	/* c.where: numeric id or group/name */
	char	*pid;		/* the project escaped for a path */
};

static const struct aas_forge_flow flow;

static void
gl_close(struct aas_target *t)
{
	if (t == NULL)
		return;
	aas_forge_fini(&t->f);
	aas_forge_conf_free(&t->c);
	free(t->pid);
	free(t);
}

static int
gl_open(struct aas_target **tp, const struct aas_target_env *env,
    char hash[13], struct aas_err *e)
{
	struct aas_target *t;
	char *auth;
	const char *hdrs[2];

	t = aas_xcalloc(1, sizeof(*t));
	if (aas_forge_conf_load(&names, env, &t->c, e) == -1) {
		free(t);
		return -1;
	}
	if (t->c.where == NULL) {
		aas_err_set(e, "config", "no project: set "
		    "CI_PROJECT_ID or gitlab.project");
		gl_close(t);
		return -1;
	}
	t->pid = aas_forge_escape(t->c.where);
	auth = aas_xasprintf("PRIVATE-TOKEN: %s", t->c.token);
	hdrs[0] = auth;
	hdrs[1] = NULL;
	aas_forge_open(&t->f, &flow, &t->c, hdrs, env, hash);
	free(auth);
	*tp = t;
	return 0;
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
find_mr(struct aas_target *t, const char *branch, json_t **mrp,
    struct aas_err *e)
{
	char *eb, *path;
	int rc;

	eb = aas_forge_escape(branch);
	path = aas_xasprintf("/projects/%s/merge_requests?state=opened&"
	    "source_branch=%s", t->pid, eb);
	rc = aas_forge_get_first(&t->f, path, "merge request", mrp, e);
	free(eb);
	free(path);
	return rc;
}

static int
get_base(struct aas_target *t, struct aas_err *e)
{
	char *path = aas_xasprintf("/projects/%s", t->pid);
	char *what = aas_xasprintf("project %s", t->c.where);
	int rc;

	rc = aas_forge_default_base(&t->f, &t->c, path, what, e);
	free(path);
	free(what);
	return rc;
}

/* The labels as GitLab takes them: one comma-separated string. */
static char *
label_list(json_t *labels)
{
	struct aas_buf b = AAS_BUF_INIT;
	json_t *l;
	size_t i;

	aas_buf_adds(&b, "");
	json_array_foreach(labels, i, l) {
		if (i > 0)
			aas_buf_addc(&b, ',');
		aas_buf_adds(&b, json_string_value(l));
	}
	return aas_buf_detach(&b, NULL);
}

static int
mr_exists(const struct aas_http_resp *r)
{
	return r->status == 409;
}

static json_t *
create_req(struct aas_target *t, const char *branch, const char *title,
    const char *body, int draft, char **pathp)
{
	json_t *req;
	char *labels;

	(void)draft;	/* in the title */
	req = json_pack("{s:s, s:s, s:s, s:s}", "source_branch", branch,
	    "target_branch", t->c.base, "title", title, "description", body);
	if (json_array_size(t->c.labels) > 0) {
		labels = label_list(t->c.labels);
		json_object_set_new(req, "labels", json_string(labels));
		free(labels);
	}
	*pathp = aas_xasprintf("/projects/%s/merge_requests", t->pid);
	return req;
}

/* The configured labels the merge request lacks, comma-separated, or
 * NULL (GitLab lists a request's labels as strings). */
static char *
missing_labels(json_t *want, json_t *have)
{
	json_t *l, *h, *miss = json_array();
	size_t i, j;
	char *s = NULL;
	int found;

	json_array_foreach(want, i, l) {
		found = 0;
		json_array_foreach(have, j, h)
			if (json_is_string(h) && strcmp(json_string_value(h),
			    json_string_value(l)) == 0)
				found = 1;
		if (!found)
			json_array_append(miss, l);
	}
	if (json_array_size(miss) > 0)
		s = label_list(miss);
	json_decref(miss);
	return s;
}

static int
update_mr(struct aas_target *t, json_t *mr, const char *title,
    const char *body, int draft, struct aas_err *e)
{
	struct aas_http_resp r;
	const char *ot = jstr(mr, "title"), *ob = jstr(mr, "description");
	json_t *req;
	char *path, *missing;
	int rc;

	(void)draft;	/* in the title */
	missing = missing_labels(t->c.labels, json_object_get(mr, "labels"));
	if (ot != NULL && ob != NULL && strcmp(ot, title) == 0 &&
	    strcmp(ob, body) == 0 && missing == NULL)
		return 0;
	req = json_pack("{s:s, s:s}", "title", title, "description", body);
	if (missing != NULL)
		json_object_set_new(req, "add_labels", json_string(missing));
	free(missing);
	path = aas_xasprintf("/projects/%s/merge_requests/%lld", t->pid,
	    (long long)json_integer_value(json_object_get(mr, "iid")));
	rc = aas_forge_call(&t->f, "PUT", path, req, 0, &r, e);
	free(path);
	json_decref(req);
	aas_http_resp_free(&r);
	return rc;
}

static const struct aas_forge_flow flow = {
	.kind = "gitlab",
	.what = "merge request", .push_user = "oauth2",
	.id_key = "iid", .url_key = "web_url", .draft_prefix = DRAFT,
	.exists = mr_exists, .find = find_mr, .base = get_base,
	.create_req = create_req, .update = update_mr, .labels = NULL,
};

const struct aas_target_ops aas_target_gitlab = {
	.name = "gitlab",
	.open = gl_open,
	.deliver = aas_forge_deliver,
	.finish = NULL,
	.close = gl_close,
};
