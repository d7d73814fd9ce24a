/* project.c: the project id batches carry in their metadata (project.h). */
#include <string.h>

#include <git2.h>

#include "aas.h"
#include "config.h"
#include "project.h"
#include "banned.h"

int
aas_project_id(const struct aas_config *cf, const char *root, char **idp,
    struct aas_err *e)
{
	git_repository *r = NULL;
	git_commit *c = NULL, *p;
	git_oid oid;
	const char *v = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int rc = 1;

	*idp = NULL;
	if (cf != NULL && aas_config_str(cf, "project", &v, e) == -1)
		return -1;
	if (v != NULL && *v != '\0') {
		if (strlen(v) > AAS_PROJECT_MAX)
			return aas_err_set(e, "config", "%s: project: longer "
			    "than %d bytes", aas_config_where(cf, "project"),
			    AAS_PROJECT_MAX);
		*idp = aas_xstrdup(v);
		return 0;
	}
	if (git_repository_open_ext(&r, root != NULL ? root : ".", 0,
	    NULL) != 0)
		return 1;
	if (git_reference_name_to_id(&oid, r, "HEAD") == 0 &&
	    git_commit_lookup(&c, r, &oid) == 0) {
		/* first parents down to the root: the same in every clone */
		while (git_commit_parentcount(c) > 0 &&
		    git_commit_parent(&p, c, 0) == 0) {
			git_commit_free(c);
			c = p;
		}
		git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
		*idp = aas_xstrdup(hex);
		git_commit_free(c);
		rc = 0;
	}
	git_repository_free(r);
	return rc;
}
