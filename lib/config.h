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
 *
 * Every file layer and every environment value is checked against the
 * schema of lib/config-keys.c as it loads (the keys of aas-config(5)): an
 * unknown key, a wrong type or a value out of range fails the load with
 * "FILE:LINE:COLUMN: PATH: what" (code "config"), so every command refuses
 * before it reads a record.  A key that takes a string takes a plain scalar
 * YAML would type (true, 10, 1.5) as the text it was written as.
 */
#ifndef AAS_CONFIG_H
#define AAS_CONFIG_H

#include <jansson.h>

#include "aas.h"

struct aas_config;

/*
 * Load every layer.  root is the repository root (for .aas.yml); file, if
 * not NULL, replaces .aas.yml.  On error e names the file, line and column
 * (code "config") and -1 is returned: the command exits AAS_EXIT_USAGE.
 */
int	aas_config_load(struct aas_config **cfp, const char *root,
	    const char *file, struct aas_err *e);
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

/*
 * Parse one configuration file's text and check it against the schema:
 * *out is the checked mapping (NULL for an empty document), owned by the
 * caller; where as for aas_yaml_parse.  -1 and e on any error.  Exposed
 * for tests and the fuzz target.
 */
int	aas_config_parse(const char *text, size_t len, const char *name,
	    json_t **out, json_t *where, struct aas_err *e);

/*
 * The schema itself (lib/config-keys.c).  aas_config_check checks the
 * mapping doc read from the file name, with pos holding path -> [line,
 * column, key line, key column, plain text] (built by aas_config_parse);
 * string keys given a typed plain scalar are replaced by its text in doc.
 * aas_config_check_env checks one value of the key path set from the
 * environment variable var ("$AAS_BUDGET").
 */
int	aas_config_check(json_t *doc, json_t *pos, const char *name,
	    struct aas_err *e);
int	aas_config_check_env(const char *path, json_t *val, const char *var,
	    struct aas_err *e);
/*
 * The i-th key aas-config(5) documents, as a dotted path ("qa.checks",
 * "qa.checks.*.run" for a key of each check), or NULL past the last.
 * type, if not NULL, receives 's' (string), 'n' (number), 'i' (whole
 * number), 'b' (boolean), 'l' (list of strings) or 'm' (anything else).
 */
const char *aas_config_key(size_t i, char *type);
/* A configuration of one file's text alone (no other layer, no
 * environment), checked as aas_config_load checks a file. */
int	aas_config_load_text(struct aas_config **cfp, const char *text,
	    size_t len, const char *name, struct aas_err *e);

#endif
