/*
 * template.h: the prompt templates aas-submit turns task records into.
 *
 * A template is a system text and a user text with fields in double
 * braces, and optionally a JSON schema the answer must follow (sent as a
 * strict structured-output response_format).  Two are built in:
 *
 *   implement  asks for a plan {summary, edits[], tests[]}  (schema "plan")
 *   decompose  asks for sub-tasks {subtasks[]}             (schema "subtasks")
 *   repair     asks again for a whole plan after a failed attempt
 *              (schema "plan"), with the fields of repair.h
 *
 * Any other name is a file: its text is the user text; a line holding
 * only "---" separates a system text (before) from the user text (after).
 * A file template has no schema: the answer is free text.
 *
 * Fields:  {{id}} {{title}} {{body}} the task's keys;  {{deps}} its
 * dependencies, comma-separated;  {{files}} the contents of the files
 * its Files field names (comma- or space-separated paths relative to
 * the repository root), each capped at file_max bytes, as
 *   --- path ---\n<contents>\n
 * read from the context's commit (context.h), never the working tree.
 * A path that is absolute, climbs out with "..", names .git or goes
 * through a symbolic link is not read ("(refused)"); a missing file reads
 * "(missing)", a folder "(not a file)", any file "(no repository)" when
 * there is no context.  When the task names no file, {{files}} holds the
 * files its title and body mention (aas_context_mentioned), or "(none)",
 * and {{map}} "\nRepository map (paths and top-level definitions):\n"
 * and the context's map (nothing when the task names files, or the map
 * is empty).  An unknown {{name}} is left as it is.  The built-in
 * templates show "Files:\n{{files}}{{map}}".
 */
#ifndef AAS_TEMPLATE_H
#define AAS_TEMPLATE_H

#include <jansson.h>

#include "aas.h"

struct aas_template;
struct aas_context;

/* Load "implement", "decompose", "repair" or a template file.  -1 with e set
 * (code "template") when the file cannot be read. */
int	aas_template_load(struct aas_template **tp, const char *spec,
	    struct aas_err *e);
void	aas_template_free(struct aas_template *t);
/* "implement", "decompose", "repair" or the file's path, as given. */
const char *aas_template_name(const struct aas_template *t);

/* The strict JSON schema called "plan" or "subtasks"; NULL for another
 * name.  New reference. */
json_t	*aas_template_schema(const char *name);

/*
 * Render text with the record's fields (rec is the parsed task record,
 * borrowed; ctx the tree {{files}} and {{map}} come from, or NULL).
 * Returns a new string the caller frees.
 */
char	*aas_template_render(const char *text, json_t *rec,
	    struct aas_context *ctx, size_t file_max);

struct aas_template_opts {
	const char *model;
	long	 max_tokens;	/* max_completion_tokens; 0: not sent */
	size_t	 file_max;	/* per-file cap for {{files}}; 0: 64 KiB */
	json_t	*fields;	/* more {{name}}s: an object of strings
				   (borrowed), or NULL; the names above
				   come first */
};

/*
 * The chat request body for rec: {model, messages[system?, user],
 * max_completion_tokens?, response_format?}.  New reference.
 */
json_t	*aas_template_body(const struct aas_template *t, json_t *rec,
	    struct aas_context *ctx, const struct aas_template_opts *o);

/*
 * The same body in steps, for a caller that builds many bodies as text
 * (aas-submit's batch input lines): aas_template_body(t, rec, ctx, o) is
 * aas_template_body_of(t, system, user, o) with user the text
 * aas_template_user renders (a new string the caller frees) and system
 * the template's system text rendered the same way.  When that text has
 * no {{name}} it is the same for every record: aas_template_system_fixed
 * then returns 1 with *sp set to it (NULL: the template has none; owned
 * by t), else 0.  system and user are borrowed.
 */
char	*aas_template_user(const struct aas_template *t, json_t *rec,
	    struct aas_context *ctx, const struct aas_template_opts *o);
int	aas_template_system_fixed(const struct aas_template *t,
	    const char **sp);
json_t	*aas_template_body_of(const struct aas_template *t,
	    const char *system, const char *user,
	    const struct aas_template_opts *o);

/* Estimated prompt tokens of a chat body: message text bytes / 4,
 * rounded up, plus 4 per message and the schema's bytes / 4.  The
 * parts: *tokp the 4 per message, *bytesp the bytes (texts and schema),
 * so the estimate is *tokp + (*bytesp + 3) / 4. */
long	aas_template_est_tokens(json_t *body);
void	aas_template_est_parts(json_t *body, long *tokp, size_t *bytesp);
/* The bytes of a chat body's message texts (what the prompt is), and of
 * its "system" text when it has one (Anthropic's Messages params, so a
 * batch line's body or params give the same count). */
size_t	aas_template_prompt_bytes(json_t *body);

#endif
