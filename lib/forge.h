/*
 * forge.h: what the GitHub and GitLab targets of aas-notify share
 * (lib/forge.c): API calls with the services' rate limits honoured, the
 * pull request's title and body from an outcome, and the repository's
 * name from a remote URL.  Internal to lib/notify-github.c and
 * lib/notify-gitlab.c.
 */
#ifndef AAS_FORGE_H
#define AAS_FORGE_H

#include <stdint.h>

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "notify.h"

extern const struct aas_target_ops aas_target_github;
extern const struct aas_target_ops aas_target_gitlab;

/* The longest a rate limit is waited for before the call fails with code
 * "rate_limited" (a re-run delivers it then). */
#define AAS_FORGE_MAX_WAIT_MS	300000

struct aas_forge_flow;
struct aas_forge_conf;

/* One target's service.  Each target's struct aas_target begins with
 * its struct aas_forge, so that aas_forge_deliver can be its deliver. */
struct aas_forge {
	const char	*kind;		/* "github", "gitlab": in messages */
	const struct aas_forge_flow *flow; /* set by the target's open */
	struct aas_forge_conf *conf;	/* the target's, likewise */
	char		*api;		/* base URL, no trailing slash */
	char		**headers;	/* NULL-terminated; secret-bearing */
	struct aas_http	*http;
	struct aas_state *st;		/* for interruptible waits; may be NULL */
	long		 remaining;	/* last x-ratelimit-remaining, or -1 */
	int64_t		 reset_ms;	/* its reset, Unix ms, or 0 */
	int		 waits;		/* rate-limit waits made (for tests) */
};

/*
 * Set up f: api is copied (a trailing slash dropped); headers (e.g. the
 * auth header) are copied and sent on every call with "Content-Type:
 * application/json".
 */
void	aas_forge_init(struct aas_forge *f, const char *kind, const char *api,
	    const char *const *headers, const struct aas_target_env *env);
void	aas_forge_fini(struct aas_forge *f);
/* aas_forge_init for a target's open: f->kind from fl, f->flow and
 * f->conf set, and hash (see notify.h) from the API URL and c->where. */
void	aas_forge_open(struct aas_forge *f, const struct aas_forge_flow *fl,
	    struct aas_forge_conf *c, const char *const *headers,
	    const struct aas_target_env *env, char hash[13]);

/*
 * One API call: method ("GET", "POST", "PATCH", "PUT") on api + path
 * (path starts with "/"; its parts already escaped; a path that is a
 * whole http(s) URL is used as it is), body (may be NULL)
 * sent as JSON.  unsafe marks a call that creates something (see
 * http.h: it is not retried where the service may have acted on it, and
 * resp->ambiguous tells the caller to look before sending it again).
 * Rate limits: a 403 or 429 that is one (retry-after, remaining 0 with a
 * reset, or GitHub's "secondary rate limit" message) is waited out and
 * the call made again, up to AAS_FORGE_MAX_WAIT_MS per wait, and a call
 * after a response that left no requests waits for the reset first.
 * 0 on a 2xx; -1 with e otherwise ("rate_limited", "stopped" when a
 * signal or the STOP file ended a wait, or http.h's codes).  resp is
 * filled either way; release it with aas_http_resp_free.
 */
int	aas_forge_call(struct aas_forge *f, const char *method,
	    const char *path, json_t *body, int unsafe,
	    struct aas_http_resp *resp, struct aas_err *e);

/* Whether a failed create may still have made its object (the
 * connection broke, a 5xx, a 2xx that could not be read): look before
 * sending it again. */
int	aas_forge_maybe_made(const struct aas_http_resp *r);

/* The delay (ms) a rate-limited response asks for, or -1 when the
 * response is not a rate limit.  now_ms is the Unix time in ms. */
int64_t	aas_forge_rate_delay(long status, json_t *headers, json_t *body,
	    int64_t now_ms);

/* s percent-encoded for one path segment or query value (everything but
 * A-Z a-z 0-9 - . _ ~ escaped).  Caller frees. */
char	*aas_forge_escape(const char *s);

/*
 * The repository path of a remote URL: "owner/name" of
 * https://host/owner/name.git, git@host:owner/name.git and
 * ssh://git@host/owner/name (GitLab: "group/sub/name"), ".git" dropped.
 * NULL when the URL has no such path.  Caller frees.
 */
char	*aas_forge_slug(const char *url);

/* The title of an outcome's pull request, "ID: title" (at most 250
 * bytes, cut at a character boundary), after prefix (may be NULL). */
char	*aas_forge_title(json_t *outcome, const char *prefix);
/* Its body in GitHub-flavoured Markdown: the task, summary, files changed,
 * each check with its result, attempts, model, cost, any error.  Bounded
 * (summary, file and check lists are cut with a note) to well under
 * GitHub's 65,536 characters.  Caller frees. */
char	*aas_forge_body(json_t *outcome);
/* True when the outcome is a failure with its branch kept (QA failed):
 * the pull request is opened as a draft. */
int	aas_forge_draft(json_t *outcome);

struct aas_config;
/* The configured string at path (cf may be NULL): 0 with *out (NULL when
 * absent), -1 on a wrong type. */
int	aas_forge_cfg(const struct aas_config *cf, const char *path,
	    const char **out, struct aas_err *e);
/* The list of strings (or one string) at path as a new array (empty when
 * absent). */
json_t	*aas_forge_labels(const struct aas_config *cf, const char *path);

/* A token that fits in a header: no space or control character (a
 * "config" error naming kind otherwise, the token not shown). */
int	aas_forge_token_check(const char *kind, const char *tok,
	    struct aas_err *e);

/* The first of the environment variables a, b (b may be NULL) that is set
 * and not empty, or NULL. */
const char *aas_forge_getenv(const char *a, const char *b);

/* The names one service gives what both targets read at open. */
struct aas_forge_names {
	const char *kind;	/* "github": the config section and hash */
	const char *service;	/* "GitHub": in messages */
	const char *token_env, *token_env2;	/* the second may be NULL */
	const char *api_env;	/* GITHUB_API_URL, CI_API_V4_URL */
	const char *where_env;	/* GITHUB_REPOSITORY, CI_PROJECT_ID */
	const char *where_key;	/* "repository", "project" (in the section) */
	const char *default_api;
};

/* What both targets read the same way; strings owned, see conf_free. */
struct aas_forge_conf {
	char	*token;
	char	*repo;		/* repository folder */
	char	*push_url;
	char	*where;		/* repository or project: where_env, the
				   config key, else the push URL's path; NULL
				   when none of them gives one */
	char	*base;		/* the requests' base branch, or NULL */
	json_t	*labels;	/* array of strings, may be empty */
	const char *api;	/* api_env, the config key or default_api;
				   borrowed, valid during open */
	int	 dry_run;
};

/*
 * Read the token (registered as a secret and checked), the section's
 * api_url, where_key, remote, base and labels, the environment overrides,
 * and the remote's push URL.  0, or -1 with e set (code "config" for a
 * mistake of the user's), c then released.
 */
int	aas_forge_conf_load(const struct aas_forge_names *n,
	    const struct aas_target_env *env, struct aas_forge_conf *c,
	    struct aas_err *e);
void	aas_forge_conf_free(struct aas_forge_conf *c);

/* GET path, a list: 0 and *firstp (its first element, a new reference, or
 * NULL when empty), or -1; what names the list in the error
 * ("pull request": "github: the pull request list is not a list"). */
int	aas_forge_get_first(struct aas_forge *f, const char *path,
	    const char *what, json_t **firstp, struct aas_err *e);
/* Unless c->base is set, the default_branch of the object at path becomes
 * c->base; what names it in the error ("KIND: WHAT has no default branch
 * (set KIND.base)"). */
int	aas_forge_default_base(struct aas_forge *f, struct aas_forge_conf *c,
	    const char *path, const char *what, struct aas_err *e);

/*
 * The request flow both targets run for one outcome: push the branch,
 * find its open request, create it when there is none (a create that
 * failed where the service may have acted on it is looked up; when
 * nothing was made it is sent again, three times at most), else update
 * it, then add labels.  What differs between the services is in the
 * table; its callbacks get the target as it was opened.
 */
struct aas_forge_flow {
	const char *kind;	/* "github": f->kind and the hash */
	const char *what;	/* "pull request": in messages */
	const char *push_user;	/* the user name the token pushes as */
	const char *id_key;	/* the request's number: "number", "iid" */
	const char *url_key;	/* its page: "html_url", "web_url" */
	const char *draft_prefix; /* a draft's title prefix, or NULL when
				   drafts are marked otherwise (the dry run
				   then says "draft") */
	/* Whether a failed create's answer says the request exists. */
	int	(*exists)(const struct aas_http_resp *r);
	/* The open request for branch: 0 and *reqp (a new reference, or
	 * NULL for none), or -1. */
	int	(*find)(struct aas_target *t, const char *branch,
		    json_t **reqp, struct aas_err *e);
	/* Sets the base branch when it is not known yet: 0 or -1. */
	int	(*base)(struct aas_target *t, struct aas_err *e);
	/* The create call's body, and in *pathp its path (caller frees). */
	json_t	*(*create_req)(struct aas_target *t, const char *branch,
		    const char *title, const char *body, int draft,
		    char **pathp);
	/* Brings a request found open up to date: 0 or -1. */
	int	(*update)(struct aas_target *t, json_t *req, const char *title,
		    const char *body, int draft, struct aas_err *e);
	/* Adds the labels to a request, new or found; NULL when the
	 * create and update calls carry them: 0 or -1. */
	int	(*labels)(struct aas_target *t, json_t *req,
		    struct aas_err *e);
};

/*
 * The targets' deliver (see notify.h): outcome through the flow of t's
 * struct aas_forge, which t begins with.  0 with *detailp (the request's
 * URL, or why nothing was sent), or -1 with e set.
 */
int	aas_forge_deliver(struct aas_target *t, json_t *outcome,
	    const char *delivery_id, json_t **detailp, struct aas_err *e);

#endif
