/*
 * push.h: push one branch to a remote over HTTP(S), on libgit2, with a
 * token as the Basic auth password.
 *
 * The token is handed to libgit2 by its credentials callback only: it is
 * never put in a URL, never written to the repository's configuration
 * (the push goes through an anonymous remote, so no remote-tracking
 * reference or config entry is made either), never printed.  A remote
 * that rejects the credentials is asked once: the error is "auth".
 *
 * aas_init() must have run.  Error codes: "no_repo", "git" (libgit2
 * failed; its message is in e->msg, with every registered secret
 * redacted before printing as usual), "auth", "rejected" (the remote
 * refused the reference update; its reason is in e->msg),
 * "branch_moved", "config" (a remote that is neither a name nor a URL
 * aas can push to with a token).
 */
#ifndef AAS_PUSH_H
#define AAS_PUSH_H

#include "aas.h"

/*
 * The URL of remote (a remote's name, e.g. "origin", or a URL) in the
 * repository at repo, as a URL to push to with a token: https:// and
 * http:// URLs as they are (any user or password in them dropped),
 * scp-like "git@host:path" and ssh:// URLs turned into https://host/path.
 * *urlp is the caller's.  0, or -1 with e set.
 */
int	aas_push_url(const char *repo, const char *remote, char **urlp,
	    struct aas_err *e);

/*
 * Push the local branch (short name, "aas/T-1") of the repository at repo
 * to the same name at url, forced (aas's branches are rewritten by repair
 * rounds).  commit, when not NULL, is the id the branch must point at
 * (else "branch_moved": the record is stale).  user and token are the
 * Basic auth pair ("x-access-token" for GitHub).  0 pushed (or already
 * there), 1 when there is no such local branch (nothing pushed), -1 with
 * e set.
 */
int	aas_push_branch(const char *repo, const char *url, const char *branch,
	    const char *commit, const char *user, const char *token,
	    struct aas_err *e);

#endif
