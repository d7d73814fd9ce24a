/* notify-github.c: aas-notify --github: push the branch, open or update
 * its pull request. */
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

#define GH_API		"https://api.github.com"

static const struct aas_forge_names names = {
	.kind = "github", .service = "GitHub",
	.token_env = "GITHUB_TOKEN", .token_env2 = "GH_TOKEN",
	.api_env = "GITHUB_API_URL", .where_env = "GITHUB_REPOSITORY",
	.where_key = "repository", .default_api = GH_API,
};

struct aas_target {
	struct aas_forge f;	/* first: see forge.h */
	struct aas_forge_conf c;	/* c.where: owner/name */
	char	*owner;
	char	*graphql;	/* the GraphQL endpoint (drafts) */
};

static const struct aas_forge_flow flow;

static void
gh_close(struct aas_target *t)
{
	if (t == NULL)
		return;
	aas_forge_fini(&t->f);
	aas_forge_conf_free(&t->c);
	free(t->owner);
	free(t->graphql);
	free(t);
}

/* OWNER/NAME, each of letters, digits, ".", "-" and "_" (GitHub's own
 * rule), so it goes into a path as it is. */
static int
slug_ok(const char *s)
{
	size_t a, b;

	if (s == NULL)
		return 0;
	a = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.-_");
	if (a == 0 || s[a] != '/')
		return 0;
	b = strspn(s + a + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789.-_");
	return b > 0 && s[a + 1 + b] == '\0';
}

static int
gh_open(struct aas_target **tp, const struct aas_target_env *env,
    char hash[13], struct aas_err *e)
{
	struct aas_target *t;
	char *auth;
	const char *hdrs[4];
	size_t n;

	t = aas_xcalloc(1, sizeof(*t));
	if (aas_forge_conf_load(&names, env, &t->c, e) == -1) {
		free(t);
		return -1;
	}
	if (!slug_ok(t->c.where)) {
		aas_err_set(e, "config", "repository '%s' is not "
		    "OWNER/NAME (set GITHUB_REPOSITORY or github.repository)",
		    t->c.where != NULL ? t->c.where : t->c.push_url);
		gh_close(t);
		return -1;
	}
	t->owner = aas_xstrndup(t->c.where,
	    (size_t)(strchr(t->c.where, '/') - t->c.where));
	auth = aas_xasprintf("Authorization: Bearer %s", t->c.token);
	hdrs[0] = "Accept: application/vnd.github+json";
	hdrs[1] = "X-GitHub-Api-Version: 2022-11-28";
	hdrs[2] = auth;
	hdrs[3] = NULL;
	aas_forge_open(&t->f, &flow, &t->c, hdrs, env, hash);
	free(auth);
	n = strlen(t->f.api);
	/* Enterprise: https://HOST/api/v3 and https://HOST/api/graphql */
	if (n >= 7 && strcmp(t->f.api + n - 7, "/api/v3") == 0)
		t->graphql = aas_xasprintf("%.*s/api/graphql", (int)(n - 7),
		    t->f.api);
	else
		t->graphql = aas_xasprintf("%s/graphql", t->f.api);
	*tp = t;
	return 0;
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The open pull request with head owner:branch: 0 and *prp (a new
 * reference, or NULL for none), or -1. */
static int
find_pr(struct aas_target *t, const char *branch, json_t **prp,
    struct aas_err *e)
{
	char *head, *eh, *path;
	int rc;

	head = aas_xasprintf("%s:%s", t->owner, branch);
	eh = aas_forge_escape(head);
	path = aas_xasprintf("/repos/%s/pulls?head=%s&state=open&per_page=100",
	    t->c.where, eh);
	rc = aas_forge_get_first(&t->f, path, "pull request", prp, e);
	free(head);
	free(eh);
	free(path);
	return rc;
}

static int
get_base(struct aas_target *t, struct aas_err *e)
{
	char *path = aas_xasprintf("/repos/%s", t->c.where);
	int rc;

	rc = aas_forge_default_base(&t->f, &t->c, path, t->c.where, e);
	free(path);
	return rc;
}

/* Is the 422 of a create the "already exists" one? */
static int
already_exists(json_t *body)
{
	json_t *err;
	const char *m;
	size_t i;

	json_array_foreach(json_object_get(body, "errors"), i, err) {
		m = jstr(err, "message");
		if (m != NULL && strstr(m, "already exists") != NULL)
			return 1;
	}
	return 0;
}

static int
pr_exists(const struct aas_http_resp *r)
{
	return r->status == 422 && already_exists(r->json);
}

static json_t *
create_req(struct aas_target *t, const char *branch, const char *title,
    const char *body, int draft, char **pathp)
{
	*pathp = aas_xasprintf("/repos/%s/pulls", t->c.where);
	return json_pack("{s:s, s:s, s:s, s:s, s:b}", "title", title, "head",
	    branch, "base", t->c.base, "body", body, "draft", draft);
}

static int
add_labels(struct aas_target *t, json_t *pr, struct aas_err *e)
{
	struct aas_http_resp r;
	json_t *want, *have, *l, *h, *req;
	const char *name;
	size_t i, j;
	char *path;
	int rc, found;

	if (json_array_size(t->c.labels) == 0)
		return 0;
	want = json_array();
	have = json_object_get(pr, "labels");
	json_array_foreach(t->c.labels, i, l) {
		found = 0;
		json_array_foreach(have, j, h) {
			name = jstr(h, "name");
			if (name != NULL && strcmp(name, json_string_value(l))
			    == 0)
				found = 1;
		}
		if (!found)
			json_array_append(want, l);
	}
	if (json_array_size(want) == 0) {
		json_decref(want);
		return 0;
	}
	req = json_pack("{s:o}", "labels", want);
	path = aas_xasprintf("/repos/%s/issues/%lld/labels", t->c.where,
	    (long long)json_integer_value(json_object_get(pr, "number")));
	rc = aas_forge_call(&t->f, "POST", path, req, 0, &r, e);
	free(path);
	json_decref(req);
	aas_http_resp_free(&r);
	return rc;
}

static int
update_pr(struct aas_target *t, json_t *pr, const char *title,
    const char *body, struct aas_err *e)
{
	struct aas_http_resp r;
	const char *ot = jstr(pr, "title"), *ob = jstr(pr, "body");
	json_t *req;
	char *path;
	int rc;

	if (ot != NULL && ob != NULL && strcmp(ot, title) == 0 &&
	    strcmp(ob, body) == 0)
		return 0;
	req = json_pack("{s:s, s:s}", "title", title, "body", body);
	path = aas_xasprintf("/repos/%s/pulls/%lld", t->c.where,
	    (long long)json_integer_value(json_object_get(pr, "number")));
	rc = aas_forge_call(&t->f, "PATCH", path, req, 0, &r, e);
	free(path);
	json_decref(req);
	aas_http_resp_free(&r);
	return rc;
}

/*
 * The REST API cannot change a pull request's draft state: GraphQL's
 * markPullRequestReadyForReview and convertPullRequestToDraft can.
 */
static int
set_draft(struct aas_target *t, json_t *pr, int draft, struct aas_err *e)
{
	struct aas_http_resp r;
	const char *node = jstr(pr, "node_id"), *mut;
	json_t *req, *errs, *got;
	int rc;

	if (json_is_true(json_object_get(pr, "draft")) == draft)
		return 0;
	if (node == NULL)
		return aas_err_set(e, "bad_response", "github: pull request "
		    "%lld has no node_id", (long long)json_integer_value(
		    json_object_get(pr, "number")));
	mut = draft ? "convertPullRequestToDraft" :
	    "markPullRequestReadyForReview";
	req = json_object();
	json_object_set_new(req, "query", json_pack("s++", "mutation($id: "
	    "ID!) { ", mut, "(input: {pullRequestId: $id}) { pullRequest { "
	    "isDraft } } }"));
	json_object_set_new(req, "variables", json_pack("{s:s}", "id", node));
	rc = aas_forge_call(&t->f, "POST", t->graphql, req, 0, &r, e);
	json_decref(req);
	errs = json_object_get(r.json, "errors");
	got = json_object_get(json_object_get(json_object_get(json_object_get(
	    r.json, "data"), mut), "pullRequest"), "isDraft");
	if (rc == 0 && json_array_size(errs) > 0)
		rc = aas_err_set(e, "graphql", "github: %s: %s", mut,
		    jstr(json_array_get(errs, 0), "message") != NULL ?
		    jstr(json_array_get(errs, 0), "message") : "error");
	else if (rc == 0 && !json_is_boolean(got))
		rc = aas_err_set(e, "bad_response", "github: %s: no isDraft in "
		    "the answer", mut);
	else if (rc == 0 && json_is_true(got) != draft)
		rc = aas_err_set(e, "bad_response", "github: %s: still %s",
		    mut, draft ? "ready" : "a draft");
	aas_http_resp_free(&r);
	return rc;
}

static int
update(struct aas_target *t, json_t *pr, const char *title, const char *body,
    int draft, struct aas_err *e)
{
	if (update_pr(t, pr, title, body, e) == -1)
		return -1;
	return set_draft(t, pr, draft, e);
}

static const struct aas_forge_flow flow = {
	.kind = "github",
	.what = "pull request", .push_user = "x-access-token",
	.id_key = "number", .url_key = "html_url", .draft_prefix = NULL,
	.exists = pr_exists, .find = find_pr, .base = get_base,
	.create_req = create_req, .update = update, .labels = add_labels,
};

const struct aas_target_ops aas_target_github = {
	.name = "github",
	.open = gh_open,
	.deliver = aas_forge_deliver,
	.finish = NULL,
	.close = gh_close,
};
