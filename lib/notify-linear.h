/*
 * notify-linear.h: the Linear target's operations table (registered in
 * lib/notify.c) and the pieces of it the unit tests look at.
 */
#ifndef AAS_NOTIFY_LINEAR_H
#define AAS_NOTIFY_LINEAR_H

#include <jansson.h>

#include "notify.h"

extern const struct aas_target_ops aas_target_linear;

/* An outcome's data as the Markdown of a comment or an issue's
 * description; the caller frees. */
char	*aas_linear_markdown(json_t *data);
/* The UUID v4 (36 characters and NUL) made from sha256(salt ":" s): the
 * client-chosen id of the issue or comment one delivery makes. */
void	aas_linear_uuid(const char *salt, const char *s, char out[37]);

#endif
