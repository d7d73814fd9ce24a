/*
 * path.h: may a plan write this path?  Pure functions on the bytes of a
 * path: no git, no files, no globals; safe from any thread.
 *
 * A plan is written by a model, so its paths are hostile input.  Beyond
 * the plain escapes (absolute, "..", a backslash, .git), a path must not
 * be one that some file system git checks out onto reads as .git (HFS+
 * ignores some invisible code points, NTFS drops trailing dots and spaces
 * and knows 8.3 short names and alternate data streams), nor carry
 * characters that hide what it is from the person reviewing the branch:
 * control characters, bidirectional overrides and invisible code points.
 *
 * Error codes (the record's error.code):
 *   path_escape     empty, absolute, a backslash, an empty, "." or ".."
 *                   component: outside the repository
 *   path_git        .git in any case, what HFS+ or NTFS reads as .git
 *                   (".g\u200cit", ".git.", ".git::$INDEX_ALLOCATION",
 *                   "git~1"), and lookalikes of it (".ｇｉｔ", ".gıt",
 *                   ".git\u200b")
 *   path_control    a control character (U+0001-001F, U+007F-009F, so
 *                   U+0085 too) or a line or paragraph separator (U+2028,
 *                   U+2029)
 *   path_bidi       a bidirectional formatting character (U+061C,
 *                   U+200E, U+200F, U+202A-202E, U+2066-2069)
 *   path_invisible  an invisible or blank code point other than the ASCII
 *                   space: zero-width characters, U+00A0 and the other
 *                   Unicode spaces, variation selectors, tags, U+FEFF
 *   path_encoding   not UTF-8 (stray bytes, overlong forms, surrogates)
 *   path_ntfs       a component NTFS reads as another name: an 8.3 short
 *                   name ("GITHUB~1", "PROGRA~1.TXT") or dots and spaces
 *                   only ("...")
 *   path_too_long   a component over 255 bytes or a path over 4095
 *   path_protected  (aas_path_guard_check) a protected path the task does
 *                   not name
 */
#ifndef AAS_PATH_H
#define AAS_PATH_H

#include <jansson.h>

#include "aas.h"

#define AAS_PATH_COMPONENT_MAX	255
#define AAS_PATH_MAX		4095

struct aas_config;

/*
 * Check a path from a plan.  0 when it may be written; -1 with e set (the
 * codes above; the message quotes the path with aas_path_quote).
 */
int	aas_path_check(const char *path, struct aas_err *e);

/*
 * The path as messages show it: control, bidirectional and invisible
 * code points as \uXXXX (\UXXXXXXXX past the BMP), bytes that are not
 * UTF-8 as \xNN; cut with "..." past about 200 bytes.  Caller frees.
 */
char	*aas_path_quote(const char *path);

/*
 * Protected paths: paths a plan may write, patch or delete only when the
 * task's Files field names them.  An entry is a path prefix taken from
 * the root, compared component by component as a case-insensitive file
 * system would (ASCII case, and what NTFS drops: trailing dots and
 * spaces, a ":stream" suffix); an entry without a slash also matches that
 * name as a component at any depth (git reads .gitattributes in every
 * folder).  Whatever the list, hook locations are always protected:
 * .githooks, .pre-commit-config.yaml, lefthook.yml, .lefthook.yml and
 * .lfsconfig.
 */
struct aas_path_guard;

/* The list in the built-in default: .github/workflows, .gitlab-ci.yml,
 * .gitmodules, .gitattributes, .husky. */
extern const char *const aas_path_protected_default[];

/*
 * A guard from list, a JSON array of strings (NULL: the default list).
 * -1 with e set (code "config", the message names the bad entry) when it
 * is not an array of non-empty relative paths.  Free with
 * aas_path_guard_free.
 */
int	aas_path_guard_new(json_t *list, struct aas_path_guard **gp,
	    struct aas_err *e);
/* The same from configuration apply.protected_paths (absent: the
 * default); the message names where the value came from. */
int	aas_path_guard_load(const struct aas_config *cf,
	    struct aas_path_guard **gp, struct aas_err *e);
void	aas_path_guard_free(struct aas_path_guard *g);

/*
 * The task's Files field: the value under "files" in any capitalisation
 * in fields (a record's "fields" object, as aas-scan writes it), or NULL.
 * Borrowed from fields.
 */
json_t	*aas_path_files_field(json_t *fields);

/*
 * May path be changed?  files is the task's Files field: a string of
 * paths split at commas, blanks and backquotes, or an array of strings,
 * or NULL.  An entry names path when it is path or a folder holding it
 * (a trailing slash, or a last component "*" or "**", is dropped),
 * compared as above.  0 when path is not protected or files names it;
 * -1 with e set (code "path_protected", the message names the protecting
 * entry).
 */
int	aas_path_guard_check(const struct aas_path_guard *g, json_t *files,
	    const char *path, struct aas_err *e);

#endif
