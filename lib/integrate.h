/*
 * integrate.h: the integration branch (config integration_branch, default
 * aas/integration): the code of every task that passed QA.  aas-apply
 * --integrate builds a task on its tip; aas-qa --integrate moves it to
 * include a task that passed, by compare-and-swap, merging the task's
 * change onto the tip when another task landed meanwhile.  Only
 * references move: no work tree, index or HEAD is touched.
 */
#ifndef AAS_INTEGRATE_H
#define AAS_INTEGRATE_H

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "git.h"
#include "record.h"

#define AAS_INTEGRATE_DEFAULT	"aas/integration"
/* Bytes of conflict text kept per file in error.data.files[].hunks. */
#define AAS_INTEGRATE_HUNKS_MAX	4096

/* The branch name from cf (integration_branch), else the default; the
 * string is borrowed from cf.  -1 with e set on a mistyped value. */
int	aas_integrate_name(const struct aas_config *cf, const char **name,
	    struct aas_err *e);

/*
 * The commit a task is built on: the tip of branch name, or base when
 * there is no such branch yet.  With create, a missing branch is made to
 * point at base first (by compare-and-swap: a branch another process made
 * meanwhile is read instead).  0 with out set, -1 with e set.
 */
int	aas_integrate_tip(struct aas_git *g, const char *name, const char *base,
	    int create, char out[AAS_GIT_HEX], struct aas_err *e);

/*
 * Land commit on branch name of the repository at repo: fast-forward when
 * the tip is an ancestor of commit (or there is no branch yet), nothing
 * when commit is in the tip's history already, else the change of commit
 * merged onto the tip (aas_git_pick).  The branch moves by compare-and-
 * swap; when another process moved it meanwhile, the tip is read again
 * and the landing made again.
 *   0: *out = {"branch", "commit": the new tip, "merged": bool}
 *   1: a conflict: *out = {"branch", "tip", "files": [{path, hunks}]},
 *      e says which files (code "merge_conflict")
 *  -1: error, e set (*out NULL).
 * Thread-safe: each call opens the repository for itself.
 */
int	aas_integrate_land(const char *repo, const char *name,
	    const char *commit, const char *task_branch, json_t **out,
	    struct aas_err *e);

/*
 * aas-qa --integrate, for a record that passed: land apply.commit on
 * apply.integration (else name) and add qa.integrated; or fail the record
 * with error {stage "qa", code "merge_conflict", message, data} (or the
 * error that stopped it).  0 landed, 1 the record failed.
 */
int	aas_integrate_rec(struct aas_rec *rec, const char *name);

#endif
