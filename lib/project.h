/*
 * project.h: the name of this repository's batches at the provider, so a
 * clone with no state folder (a new CI runner) finds the batches another
 * clone submitted.
 */
#ifndef AAS_PROJECT_H
#define AAS_PROJECT_H

#include "aas.h"

struct aas_config;

/* The longest project id (a metadata value may hold 512). */
#define AAS_PROJECT_MAX	200

/*
 * The project id of the repository at root: the configuration's
 * "project" (at most AAS_PROJECT_MAX bytes), else the id of the root
 * commit reached from HEAD by first parents, which every clone shares.
 * 0 with *idp set (caller frees); 1 when there is none (no "project", and
 * root is not a repository with a commit); -1 with e set (code "config")
 * on a project key that is too long.
 */
int	aas_project_id(const struct aas_config *cf, const char *root,
	    char **idp, struct aas_err *e);

#endif
