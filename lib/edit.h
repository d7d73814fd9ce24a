/*
 * edit.h: the plan interpreter.  A plan's edits (the "edits" array of
 * aas-plan's key) are applied, in order, to an in-memory git tree.
 *
 * Each edit is an object with "path" and "op":
 *   write    "content": the whole file (new or replaced; an existing
 *            file's line endings are kept);
 *   replace  "search", "replace": the Nth search block of the file (N
 *            counts the earlier replace edits of the same path) becomes
 *            replace; an empty search on a missing file creates it;
 *   patch    "diff": a unified diff of the file; a diff that only adds
 *            creates the file, one to /dev/null deletes it;
 *   delete   the file is removed.
 * A replace or patch whose path is missing is applied to the only file of
 * the tree with the same last component, if there is exactly one.
 */
#ifndef AAS_EDIT_H
#define AAS_EDIT_H

#include <stddef.h>

#include <jansson.h>

#include "aas.h"

struct aas_git_tree;

struct aas_edit_limits {
	size_t	 max_bytes;	/* a file read or written above it: too_large */
	int	 allow_binary;	/* 0: a NUL byte in a file is refused (binary) */
};

/*
 * Apply edits (a JSON array) to t.  A search/replace block whose text
 * matches in several places is placed by the rules of struct
 * aas_patch_ctx (patch.h): "after" is where the previous replace edit of
 * the same path ended, "alike" the count of this and the later replace
 * edits of that path with the same search and replacement.
 *
 * On success *filesp is a new array,
 * one entry per edit: {"path", "op", "match", "detail"?} where match is
 * "exact", "already" (nothing to do), "renamed" (applied to another path,
 * which the entry names) or the patch module's match name.  A renamed
 * edit is also reported as "<prog>: <id>: <detail>" on stderr unless
 * aas_quiet.  Returns 0, or -1 with e set and *filesp NULL; the tree may
 * then hold some of the edits.  Codes: bad_plan (an edit lacks what its op
 * needs, or an unknown op), no_match, too_large, binary, and those of
 * aas_git_tree_* and aas_patch_*.
 */
int	aas_edit_apply(struct aas_git_tree *t, json_t *edits,
	    const struct aas_edit_limits *lim, const char *id, json_t **filesp,
	    struct aas_err *e);

/*
 * The same, and on failure *whyp (when whyp is not NULL) a new object of
 * what a model needs to fix its answer, or NULL: "edit" (the failing
 * edit's number, from 1) and "path", and by code
 *   ambiguous  "matches": [{"line": N, "text": the file's line N}, ...]
 *              (every place, at most AAS_PATCH_WHERE_MAX), "count";
 *   no_match   "closest": {"start", "end" (lines, from 1, inclusive),
 *              "text" (those lines of the file), "alike" (search lines
 *              equal there but for white space), "lines" (the search
 *              text's non-blank lines), "diff" ("-" search line, "+" the
 *              file's line, for each line that differs)}, absent when no
 *              line of the search text is in the file.
 * Texts are capped at AAS_PATCH_NEAR_MAX bytes.
 */
int	aas_edit_apply_why(struct aas_git_tree *t, json_t *edits,
	    const struct aas_edit_limits *lim, const char *id, json_t **filesp,
	    json_t **whyp, struct aas_err *e);

#endif
