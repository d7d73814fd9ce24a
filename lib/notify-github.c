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
#include "push.h"
#include "banned.h"

#define GH_API		"https://api.github.com"

static const struct aas_forge_names names = {
	.kind = "github", .service = "GitHub",
	.token_env = "GITHUB_TOKEN", .token_env2 = "GH_TOKEN",
	.api_env = "GITHUB_API_URL", .where_env = "GITHUB_REPOSITORY",
	.where_key = "repository", .default_api = GH_API,
};

struct aas_target {
	struct aas_forge f;
	struct aas_forge_conf c;	/* c.where: owner/name */
	char	*owner;
	char	*graphql;	/* the GraphQL endpoint (drafts) */
};

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
	char *auth, *id;
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
	aas_forge_init(&t->f, "github", t->c.api, hdrs, env);
	free(auth);
	n = strlen(t->f.api);
	/* Enterprise: https://HOST/api/v3 and https://HOST/api/graphql */
	if (n >= 7 && strcmp(t->f.api + n - 7, "/api/v3") == 0)
		t->graphql = aas_xasprintf("%.*s/api/graphql", (int)(n - 7),
		    t->f.api);
	else
		t->graphql = aas_xasprintf("%s/graphql", t->f.api);
	id = aas_xasprintf("%s %s", t->f.api, t->c.where);
	aas_notify_hash("github", id, hash);
	free(id);
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
create_once(struct aas_target *t, const char *branch, const char *title,
    const char *body, int draft, json_t **prp, int *createdp,
    struct aas_err *e)
{
	struct aas_http_resp r;
	json_t *req;
	char *path;
	int rc;

	*createdp = 0;
	if (get_base(t, e) == -1)
		return -1;
	req = json_pack("{s:s, s:s, s:s, s:s, s:b}", "title", title, "head",
	    branch, "base", t->c.base, "body", body, "draft", draft);
	path = aas_xasprintf("/repos/%s/pulls", t->c.where);
	rc = aas_forge_call(&t->f, "POST", path, req, 1, &r, e);
	free(path);
	json_decref(req);
	if (rc == 0 && json_is_integer(json_object_get(r.json, "number"))) {
		*prp = json_incref(r.json);
		*createdp = 1;
		aas_http_resp_free(&r);
		return 0;
	}
	if (rc == 0)
		rc = aas_err_set(e, "bad_response", "github: the new pull "
		    "request has no number");
	else if ((r.status == 422 && already_exists(r.json)) ||
	    aas_forge_maybe_made(&r)) {
		/* made meanwhile, or maybe made by this very call */
		int exists = r.status == 422 && already_exists(r.json);
		struct aas_err first = *e;

		aas_http_resp_free(&r);
		if (find_pr(t, branch, prp, e) == -1)
			return -1;
		if (*prp != NULL)
			return 0;
		if (!exists) {
			*e = first;
			return 2;
		}
		return aas_err_set(e, "http_422", "github: a pull request for "
		    "%s exists but is not listed as open", branch);
	}
	aas_http_resp_free(&r);
	return rc;
}

/* A create that failed where the service may have acted on it is looked
 * up; when nothing was made it is sent again (three times at most). */
static int
create_pr(struct aas_target *t, const char *branch, const char *title,
    const char *body, int draft, json_t **prp, int *createdp,
    struct aas_err *e)
{
	int rc, round;

	for (round = 0; round < 3; round++)
		if ((rc = create_once(t, branch, title, body, draft, prp,
		    createdp, e)) != 2)
			return rc;
	return -1;
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
gh_deliver(struct aas_target *t, json_t *outcome, const char *delivery_id,
    json_t **detailp, struct aas_err *e)
{
	json_t *data = json_object_get(outcome, "data"), *pr = NULL;
	const char *branch = jstr(data, "branch"), *commit = jstr(data,
	    "commit"), *url;
	char *title = NULL, *body = NULL;
	int draft = aas_forge_draft(outcome), created = 0, rc;

	(void)delivery_id;
	if (branch == NULL || *branch == '\0' || commit == NULL) {
		*detailp = json_string("no branch to push");
		return 0;
	}
	title = aas_forge_title(outcome, NULL);
	if (t->c.dry_run) {
		aas_msg("github: %s: would push %s (%.12s) to %s and open or "
		    "update its %spull request on %s: %s",
		    jstr(data, "id") != NULL ? jstr(data, "id") : "?", branch,
		    commit, t->c.push_url, draft ? "draft " : "", t->c.where, title);
		free(title);
		*detailp = json_string("dry run: nothing sent");
		return 0;
	}
	rc = aas_push_branch(t->c.repo, t->c.push_url, branch, commit,
	    "x-access-token", t->c.token, e);
	if (rc == 1) {
		free(title);
		*detailp = json_pack("s+", "no local branch ", branch);
		return 0;
	}
	if (rc == -1) {
		aas_err_prefix(e, "github");
		goto out;
	}
	body = aas_forge_body(outcome);
	if ((rc = find_pr(t, branch, &pr, e)) == -1)
		goto out;
	if (pr == NULL && (rc = create_pr(t, branch, title, body, draft, &pr,
	    &created, e)) == -1)
		goto out;
	if (!created && ((rc = update_pr(t, pr, title, body, e)) == -1 ||
	    (rc = set_draft(t, pr, draft, e)) == -1))
		goto out;
	if ((rc = add_labels(t, pr, e)) == -1)
		goto out;
	url = jstr(pr, "html_url");
	*detailp = json_string(url != NULL ? url : "");
out:
	json_decref(pr);
	free(title);
	free(body);
	return rc;
}

const struct aas_target_ops aas_target_github = {
	.name = "github",
	.open = gh_open,
	.deliver = gh_deliver,
	.finish = NULL,
	.close = gh_close,
};
