/*
 * config.h: layered configuration.
 *
 * Precedence, highest first: values set by flags (aas_config_set), the
 * environment (AAS_MODEL, AAS_PROVIDER, AAS_BOARD, AAS_BUDGET), the
 * repository's .aas.yml (or the file named by --config or $AAS_CONFIG),
 * the user's $XDG_CONFIG_HOME/aas/config.yml, built-in defaults.  Mappings
 * merge key by key; scalars and sequences replace.  The tree is kept as
 * jansson values: plain YAML scalars that look like numbers, booleans or
 * null become those; every other scalar is a string.
 */
#ifndef AAS_CONFIG_H
#define AAS_CONFIG_H

#include <jansson.h>

#include "aas.h"

struct aas_config;

/*
 * Load every layer.  root is the repository root (for .aas.yml); file, if
 * not NULL, replaces .aas.yml.  On error e names the file and line (code
 * "config") and -1 is returned: the command exits AAS_EXIT_USAGE.
 */
int	aas_config_load(struct aas_config **cfp, const char *root,
	    const char *file, struct aas_err *e);
/* aas_config_load for the repository holding the current folder (the
 * current folder itself outside a repository). */
int	aas_config_load_here(struct aas_config **cfp, const char *file,
	    struct aas_err *e);
void	aas_config_free(struct aas_config *cf);

/* Set a value from a flag; origin names it in messages ("--model"). */
void	aas_config_set(struct aas_config *cf, const char *path, json_t *val,
	    const char *origin);

/* The value at a dotted path ("qa.checks"), borrowed; NULL if absent. */
json_t	*aas_config_get(const struct aas_config *cf, const char *path);
/* Where the value at path came from: "FILE:LINE", "--flag", "$VAR" or
 * "default".  Never NULL. */
const char *aas_config_where(const struct aas_config *cf, const char *path);

/* Typed getters.  0: *out set; 1: absent (*out untouched); -1: the value
 * has the wrong type, e names where it came from. */
int	aas_config_str(const struct aas_config *cf, const char *path,
	    const char **out, struct aas_err *e);
int	aas_config_num(const struct aas_config *cf, const char *path,
	    double *out, struct aas_err *e);
int	aas_config_int(const struct aas_config *cf, const char *path,
	    long long *out, struct aas_err *e);
int	aas_config_bool(const struct aas_config *cf, const char *path,
	    int *out, struct aas_err *e);

/*
 * Parse one YAML document into *out (NULL for an empty document).  where,
 * if not NULL, receives "path" -> "name:line" for every node.  Exposed for
 * tests and the fuzz target.
 */
int	aas_yaml_parse(const char *text, size_t len, const char *name,
	    json_t **out, json_t *where, struct aas_err *e);

#endif
