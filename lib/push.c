/* push.c: one branch to a remote over HTTP(S) with a token, on libgit2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "aas.h"
#include "push.h"
#include "banned.h"

struct pushctx {
	const char *user;
	const char *token;
	int	 asked;		/* credentials handed out */
	char	*rejected;	/* the remote's reason for refusing the ref */
};

static int
gerr(struct aas_err *e, const char *code, const char *what)
{
	const git_error *ge = git_error_last();

	return aas_err_set(e, code, "%s: %s", what,
	    ge != NULL && ge->message != NULL ? ge->message : "unknown error");
}

/* https://[userinfo@]host/path, userinfo dropped; NULL if not http(s). */
static char *
http_url(const char *u)
{
	const char *rest, *at, *slash;
	size_t n;

	if (strncmp(u, "https://", 8) == 0)
		n = 8;
	else if (strncmp(u, "http://", 7) == 0)
		n = 7;
	else
		return NULL;
	rest = u + n;
	slash = rest + strcspn(rest, "/?#");
	at = memchr(rest, '@', (size_t)(slash - rest));
	if (at == NULL)
		return aas_xstrdup(u);
	return aas_xasprintf("%.*s%s", (int)n, u, at + 1);
}

/* git@host:path and ssh://[user@]host[:port]/path as https://host/path. */
static char *
ssh_url(const char *u)
{
	const char *host, *end, *at, *colon;

	if (strncmp(u, "ssh://", 6) == 0) {
		host = u + 6;
		end = host + strcspn(host, "/");
		at = memchr(host, '@', (size_t)(end - host));
		if (at != NULL)
			host = at + 1;
		colon = memchr(host, ':', (size_t)(end - host));
		if (colon == NULL)
			colon = end;
		if (colon == host || *end != '/')
			return NULL;
		return aas_xasprintf("https://%.*s%s", (int)(colon - host),
		    host, end);
	}
	if (strstr(u, "://") != NULL || u[0] == '/' || u[0] == '.')
		return NULL;
	colon = strchr(u, ':');
	if (colon == NULL || colon[1] == '\0')
		return NULL;
	host = u;
	at = memchr(u, '@', (size_t)(colon - u));
	if (at != NULL)
		host = at + 1;
	if (host == colon || memchr(host, '/', (size_t)(colon - host)) != NULL)
		return NULL;
	return aas_xasprintf("https://%.*s/%s", (int)(colon - host), host,
	    colon[1] == '/' ? colon + 2 : colon + 1);
}

int
aas_push_url(const char *repo, const char *remote, char **urlp,
    struct aas_err *e)
{
	git_repository *r = NULL;
	git_config *cfg = NULL;
	const char *u = remote;
	char *out, *key;

	if (strchr(remote, ':') == NULL) {
		/* the configuration read directly: git_remote_lookup's
		 * insteadOf matching leaks in libgit2 1.5 */
		if (git_repository_open_ext(&r, repo != NULL ? repo : ".", 0,
		    NULL) != 0)
			return aas_err_set(e, "no_repo", "%s: not in a git "
			    "repository", repo != NULL ? repo : ".");
		key = aas_xasprintf("remote.%s.pushurl", remote);
		if (git_repository_config_snapshot(&cfg, r) != 0) {
			free(key);
			git_repository_free(r);
			return gerr(e, "git", "config");
		}
		if (git_config_get_string(&u, cfg, key) != 0) {
			free(key);
			key = aas_xasprintf("remote.%s.url", remote);
			if (git_config_get_string(&u, cfg, key) != 0) {
				free(key);
				git_config_free(cfg);
				git_repository_free(r);
				return aas_err_set(e, "config", "no remote "
				    "named '%s'", remote);
			}
		}
		free(key);
	}
	out = http_url(u);
	if (out == NULL)
		out = ssh_url(u);
	if (out == NULL)
		aas_err_set(e, "config", "remote '%s': cannot push to '%s' with "
		    "a token (an https:// URL is needed)", remote, u);
	git_config_free(cfg);
	git_repository_free(r);
	if (out == NULL)
		return -1;
	*urlp = out;
	return 0;
}

static int
cred_cb(git_credential **out, const char *url, const char *from_url,
    unsigned int allowed, void *payload)
{
	struct pushctx *c = payload;

	(void)url;
	(void)from_url;
	if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) || c->asked++ > 0)
		return GIT_EUSER;
	return git_credential_userpass_plaintext_new(out, c->user, c->token);
}

static int
update_cb(const char *refname, const char *status, void *payload)
{
	struct pushctx *c = payload;

	if (status != NULL && c->rejected == NULL)
		c->rejected = aas_xasprintf("%s: %s", refname, status);
	return 0;
}

int
aas_push_branch(const char *repo, const char *url, const char *branch,
    const char *commit, const char *user, const char *token,
    struct aas_err *e)
{
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	git_remote_create_options co = GIT_REMOTE_CREATE_OPTIONS_INIT;
	git_repository *r = NULL;
	git_remote *rm = NULL;
	git_reference *ref = NULL, *res = NULL;
	struct pushctx c;
	char hex[GIT_OID_HEXSZ + 1], *name, *spec;
	git_strarray refs;
	int rc = -1, grc;

	memset(&c, 0, sizeof(c));
	c.user = user;
	c.token = token;
	if (git_repository_open_ext(&r, repo != NULL ? repo : ".", 0,
	    NULL) != 0)
		return aas_err_set(e, "no_repo", "%s: not in a git repository",
		    repo != NULL ? repo : ".");
	co.repository = r;
	name = aas_xasprintf("refs/heads/%s", branch);
	spec = aas_xasprintf("+%s:%s", name, name);
	grc = git_reference_lookup(&ref, r, name);
	if (grc == GIT_ENOTFOUND) {
		rc = 1;
		goto out;
	}
	if (grc != 0 || git_reference_resolve(&res, ref) != 0) {
		gerr(e, "git", branch);
		goto out;
	}
	git_oid_tostr(hex, sizeof(hex), git_reference_target(res));
	if (commit != NULL && strcmp(hex, commit) != 0) {
		aas_err_set(e, "branch_moved", "branch %s is at %.12s, not at "
		    "the record's commit %.12s", branch, hex, commit);
		goto out;
	}
	/* no insteadOf: its matching leaks in libgit2 1.5, and the URL is
	 * the one the user configured for aas already */
	co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&rm, url, &co) != 0) {
		gerr(e, "git", url);
		goto out;
	}
	po.callbacks.credentials = cred_cb;
	po.callbacks.push_update_reference = update_cb;
	po.callbacks.payload = &c;
	po.proxy_opts.type = GIT_PROXY_AUTO;
	refs.strings = &spec;
	refs.count = 1;
	if (git_remote_push(rm, &refs, &po) != 0) {
		if (c.asked > 1)
			aas_err_set(e, "auth", "push to %s: the token was "
			    "refused", url);
		else
			gerr(e, "git", "push");
		goto out;
	}
	if (c.rejected != NULL) {
		aas_err_set(e, "rejected", "push to %s refused: %s", url,
		    c.rejected);
		goto out;
	}
	rc = 0;
out:
	free(c.rejected);
	free(name);
	free(spec);
	git_reference_free(res);
	git_reference_free(ref);
	git_remote_free(rm);
	git_repository_free(r);
	return rc;
}
