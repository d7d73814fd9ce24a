/*
 * plan.h: a model's answer as a checked plan of file edits, and a goal's
 * answer as sub-tasks (aas-plan(1)).
 *
 * The plan is the JSON object aas-plan adds to a record as "plan":
 *
 *   {"summary": "...", "format": "json" | "apply_patch" | "search_replace"
 *                                | "diff" | "fenced",
 *    "edits": [{"path": P, "op": "write", "content": TEXT, "from"?}
 *              {"path": P, "op": "replace", "search": S, "replace": R}
 *              {"path": P, "op": "patch", "diff": HUNKS}
 *              {"path": P, "op": "delete"}],
 *    "tests": [P, ...]}
 *
 * Every path in a finished plan is relative, normalised ("./" and "//"
 * collapsed, ".." resolved without climbing out) and names nothing under
 * .git.  Edits are in answer order; several edits may name one file and
 * are then applied in order.  "diff" holds the hunks of one file, from the
 * first "@@" line on, exactly as the model wrote them (counts may be
 * wrong: the applier matches leniently; hunks from an apply_patch Update
 * have "@@ anchor" lines and no numbers).  "search" may hold "..." elision
 * lines, kept as written.  A "write" whose path the fenced parser found
 * only in the prose before the block has "from": "prose" (aas-apply
 * refuses it when it would drop most of an existing file).
 *
 * Nothing here allocates through anything but aas_xmalloc and jansson, and
 * nothing exits or prints.  Errors fill a struct aas_err whose code is one
 * of: truncated, empty_plan, bad_plan, bad_block, bad_path, path_escape,
 * too_large, nul_byte, no_tests, unsupported (plans); bad_subtasks, cycle,
 * unknown_dep, too_many, dup_title (sub-tasks).
 */
#ifndef AAS_PLAN_H
#define AAS_PLAN_H

#include <stddef.h>

#include <jansson.h>

#include "aas.h"

#define AAS_PLAN_MAX_FILE	(1024 * 1024)	/* bytes per edit text */
#define AAS_PLAN_MAX_EDITS	1000
#define AAS_PLAN_MAX_SUBTASKS	12
#define AAS_PLAN_MAX_PATH	1024

struct aas_plan_opts {
	size_t	 max_file;	/* bytes per edit text; 0: the default */
	const char *const *test_globs;	/* NULL: the defaults below */
	size_t	 ntest_globs;
	int	 require_tests;	/* a plan must add or change a test */
};

/* The default test globs (NULL-terminated): tests/ test/ t/ folders at
 * any depth, *_test.*, test_*.py, *.test.*, *_spec.*. */
extern const char *const aas_plan_default_test_globs[];

/*
 * Turn an answer (len bytes, any content) into a checked plan.  Formats
 * are tried in order of precedence: json, apply_patch, search_replace,
 * diff, fenced; the first that yields an edit wins and the others are
 * ignored.  o may be NULL for defaults.  On success *planp is a new
 * reference (the object above) and 0 is returned; otherwise -1 with e
 * set and *planp NULL.  A plan is never returned half-made.
 */
int	aas_plan_parse(const char *answer, size_t len,
	    const struct aas_plan_opts *o, json_t **planp, struct aas_err *e);

/*
 * The same for a record's response object: finish_reason "length" (or
 * "max_tokens") is an error (truncated) whatever the text holds.
 */
int	aas_plan_from_response(json_t *response, const struct aas_plan_opts *o,
	    json_t **planp, struct aas_err *e);

/*
 * For an answer refused as empty_plan: what was looked for and what the
 * answer holds that came close, for the model to fix it.  A new object
 *   {"looked_for": ["json", "apply_patch", "search_replace", "diff",
 *                   "fenced"],
 *    "found": {"fences": N, "fences_without_path": N,
 *              "block_markers": N, "dividers": N, "hunk_headers": N}}
 * (block_markers: lines that open or close a search block; dividers:
 * "=======" lines; hunk_headers: "@@" lines).
 */
json_t	*aas_plan_explain(const char *answer, size_t len);

/*
 * The per-format parsers, exposed for tests and fuzz targets.  Each reads
 * an answer and appends the edits it finds, unchecked, to the array edits
 * (paths as written, minus the format's own decoration).  They return the
 * number of edits appended, or -1 with e set when the format is present
 * but malformed (e.g. a SEARCH block that never ends).  Line ends are
 * taken as "\n" or "\r\n"; text they return has "\n" line ends.
 * aas_plan_parse_json also sets *summaryp (new string or NULL) and the
 * tests the JSON names into tests (an array) when not NULL.
 */
int	aas_plan_parse_json(const char *text, size_t len, json_t *edits,
	    json_t *tests, char **summaryp, struct aas_err *e);
int	aas_plan_parse_apply_patch(const char *text, size_t len, json_t *edits,
	    struct aas_err *e);
int	aas_plan_parse_search_replace(const char *text, size_t len,
	    json_t *edits, struct aas_err *e);
int	aas_plan_parse_diff(const char *text, size_t len, json_t *edits,
	    struct aas_err *e);
int	aas_plan_parse_fenced(const char *text, size_t len, json_t *edits,
	    struct aas_err *e);

/*
 * Check and normalise one path.  Returns a new string (caller frees), or
 * NULL with e set: bad_path (empty, absolute, a drive letter or "\",
 * control bytes, a .git component in any case, too long), path_escape (a
 * ".." that climbs out of the repository).
 */
char	*aas_plan_check_path(const char *path, size_t len, struct aas_err *e);

/*
 * Check every edit of plan in place (paths normalised, sizes, NUL bytes,
 * op fields) and recompute "tests" from the test globs (keeping the tests
 * the plan names).  0, or -1 with e set.
 */
int	aas_plan_check(json_t *plan, const struct aas_plan_opts *o,
	    struct aas_err *e);

/* True when path (normalised) matches a test glob of o (o may be NULL). */
int	aas_plan_is_test(const char *path, const struct aas_plan_opts *o);

/*
 * Sub-tasks.  aas_plan_parse_subtasks finds {"subtasks": [...]} in an
 * answer (bare, fenced or among prose; a trailing comma tolerated) and
 * returns a new array of {"title", "description", "depends_on"} with
 * every field checked for type: numbers are sibling positions from 1,
 * strings board ids.  It checks titles (non-empty, unique), the count
 * (max; 0: AAS_PLAN_MAX_SUBTASKS), sibling numbers in range, no task
 * depending on itself and no cycle among siblings.  Board ids are checked
 * by the caller, who has the board.  NULL with e set on failure.
 */
json_t	*aas_plan_parse_subtasks(const char *text, size_t len, size_t max,
	    struct aas_err *e);

/*
 * Put checked sub-tasks (from aas_plan_parse_subtasks) on the board at
 * path under parent, in one aas_board_update: nothing is written unless
 * every check passes.  A sub-task whose title (case and outer spaces
 * aside) matches a child already on the board (Parent field parent, or id
 * PARENT-N) is that child; the others get the next free ids PARENT-N and
 * are inserted as Queued right after the parent (and its children) in the
 * parent's layout, with Depends mapped to ids, Parent set and the
 * description as body (heading layout).  The parent's Subtasks field
 * lists them all (skipped for a table row when the table has no Subtasks
 * column).  Errors: unknown_id (no parent), unknown_dep (a board id that
 * is not on the board), cycle (a dependency on the parent), board.
 * *idsp: every sub-task's id in answer order; *createdp: the ids made
 * now (empty when all existed).  New references.
 */
struct aas_board_opts;
int	aas_plan_decompose(const char *path, const struct aas_board_opts *o,
	    const char *parent, json_t *subtasks, json_t **idsp,
	    json_t **createdp, struct aas_err *e);

#endif
