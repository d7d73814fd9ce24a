/*
 * board.h: the Markdown task board (ACTIVE_TASKS.md), aas-board(5).
 *
 * Reading: both layouts (table rows under a header with an ID column, and
 * "## ID: Title" heading blocks with "- Key: value" lines and a body),
 * merged by id; fenced code blocks ignored; escaped "\|" in cells; CRLF
 * and a missing final newline kept.  Statuses are normalised on read.
 *
 * Writing: every edit is a splice of the original bytes, so an unchanged
 * board is written back byte-identical and a status change alters only
 * the bytes of that status.  aas_board_update holds an flock on
 * "<state folder>/<board's file name>.lock" (inside the state folder, so
 * git ignores it) across read, edit and write, writes through a temporary
 * file + fsync + rename + folder fsync, keeps the mode, and re-reads and
 * re-applies the edit when the file changed on disk underneath (an editor
 * that does not take the lock).  A board that fails to parse is never
 * written.
 */
#ifndef AAS_BOARD_H
#define AAS_BOARD_H

#include <jansson.h>

#include "aas.h"

/* Normalised statuses.  AAS_ST_UNKNOWN keeps the raw text. */
enum aas_status {
	AAS_ST_UNKNOWN = 0,
	AAS_ST_QUEUED,
	AAS_ST_IN_PROGRESS,
	AAS_ST_REVIEW,
	AAS_ST_DONE,
	AAS_ST_FAILED,
	AAS_ST_BLOCKED
};

enum aas_layout {
	AAS_LAYOUT_TABLE,
	AAS_LAYOUT_HEADING
};

struct aas_task {
	char	*id;
	char	*title;
	char	*status_raw;	/* as on the board; "" when absent */
	enum aas_status status;
	char	*body;		/* free text of the heading block, or "" */
	char	**deps;		/* ids this task depends on */
	size_t	 ndeps;
	char	*parent;	/* "Parent:" field, or NULL */
	json_t	*fields;	/* every other column or Key: value, by name */
	size_t	 line;		/* 1-based line of the row or heading */
	enum aas_layout layout;
	char	 sha[65];	/* sha256 of the task's own text on the board */
	int	 priority;	/* from Priority (P0 / high ...); lower first */
};

struct aas_board_opts {
	const char *id_pattern;	/* POSIX ERE; NULL: the default pattern */
	json_t	*status_names;	/* config "statuses": how to write each */
	size_t	 max_bytes;	/* the largest board read; 0: AAS_BOARD_MAX */
	const char *state_dir;	/* where aas_board_update's lock is; NULL:
				 * the board's repository's (state.h,
				 * aas_state_dir_for) */
	int	 no_sha;	/* leave each task's sha empty: the caller
				 * (status edits) reads none, and hashing
				 * every task is most of a parse */
};
#define AAS_BOARD_MAX	268435456	/* 256 MiB: board_max_bytes */

struct aas_board;
struct aas_config;

/*
 * Board settings from the configuration: "board" (default
 * ACTIVE_TASKS.md, relative to root unless absolute; kept relative when
 * root is the current folder), "id_pattern", "statuses" and
 * "board_max_bytes".  *pathp is
 * set (caller frees) unless pathp is NULL; o's pointers borrow from cf.
 * -1 with e set (code "config") on a mistyped value.
 */
int	aas_board_config(const struct aas_config *cf, const char *root,
	    struct aas_board_opts *o, char **pathp, struct aas_err *e);

/* Parse text (not necessarily NUL-terminated).  name is used in messages
 * ("ACTIVE_TASKS.md:42: ..."); a name ending in .yaml or .yml reads text
 * as a YAML plan (aas-scan(1)), which can be read but not edited.  -1 with e set (code "board") on a board
 * that cannot be read as one; lint problems are not errors here. */
int	aas_board_parse(struct aas_board **bp, const char *text, size_t len,
	    const char *name, const struct aas_board_opts *o, struct aas_err *e);
int	aas_board_load(struct aas_board **bp, const char *path,
	    const struct aas_board_opts *o, struct aas_err *e);
/*
 * Loading and aas_board_update refuse a file of more than o->max_bytes
 * (code "too_big": "NAME: the board is N bytes, over board_max_bytes
 * (MAX)"), reading no more than that.  aas_board_size_ok checks only the
 * size, for a command to refuse before it reads its input: 0 when path
 * is within the cap or missing, -1 with e set.
 */
int	aas_board_size_ok(const char *path, const struct aas_board_opts *o,
	    struct aas_err *e);
void	aas_board_free(struct aas_board *b);

size_t	aas_board_count(const struct aas_board *b);
const struct aas_task *aas_board_task(const struct aas_board *b, size_t i);
/* The first task with id, or NULL. */
const struct aas_task *aas_board_find(const struct aas_board *b,
	    const char *id);
const char *aas_board_name(const struct aas_board *b);
/* The current text (with every edit so far applied). */
const char *aas_board_text(const struct aas_board *b, size_t *lenp);

/*
 * Ready: t is Queued, its id is not duplicated, and every dependency is
 * on this board exactly once and Done.  A missing or duplicated
 * dependency blocks (readiness fails closed).
 */
int	aas_board_ready(const struct aas_board *b, const struct aas_task *t);

/* "Queued", "In Progress", ...; NULL for AAS_ST_UNKNOWN. */
const char *aas_status_name(enum aas_status s);
/* Normalise a status text (case, leading emoji or checkbox tolerated). */
enum aas_status aas_status_parse(const char *s);

/*
 * The record aas-scan prints for t: id, title, status, body, deps, parent,
 * fields, source {path, line, sha}.  New reference.
 */
json_t	*aas_task_record(const struct aas_board *b, const struct aas_task *t);
/* The text of that record, as aas_rec_from_json would write it, made
 * without building it (aas-scan's output); free() it. */
char	*aas_task_record_text(const struct aas_board *b,
	    const struct aas_task *t, size_t *lenp);

/* Edits on a parsed board; each splices b's text and re-parses.  -1 with e
 * set (code "board" or "unknown_id") and the board unchanged on failure. */
int	aas_board_set_status(struct aas_board *b, const char *id,
	    enum aas_status st, struct aas_err *e);
/* Add or change a "Key: value" field (a heading block's list, or the
 * column of that name in a table row, which must exist for a table). */
int	aas_board_set_field(struct aas_board *b, const char *id,
	    const char *key, const char *value, struct aas_err *e);
/* Insert new tasks right after task after_id (after its block or row, and
 * after any sub-tasks already following it), in after_id's layout. */
struct aas_newtask {
	const char *id;
	const char *title;
	enum aas_status status;
	const char *const *deps;
	size_t	 ndeps;
	const char *body;	/* heading layout only; may be NULL */
	const char *parent;	/* written as a Parent field; may be NULL */
};
int	aas_board_insert_after(struct aas_board *b, const char *after_id,
	    const struct aas_newtask *t, size_t n, struct aas_err *e);
/* Append a Queued task at the end of the board in the board's main layout
 * with the next free id (prefix from the existing ids); *idp is set to the
 * new id (caller frees). */
int	aas_board_append(struct aas_board *b, const char *title, char **idp,
	    struct aas_err *e);
/* The next free child id of parent: PARENT-N with N one more than the
 * highest child number in use (ids are never reused), then skip more
 * free ones (skip 0: the first).  Caller frees. */
char	*aas_board_next_child_id(const struct aas_board *b, const char *parent,
	    size_t skip);

/*
 * The locked read-edit-write.  fn is called on a freshly parsed board and
 * edits it; returning -1 aborts with nothing written.  If fn leaves the
 * text unchanged nothing is written.  fn may run more than once (when the
 * file changed underneath), so it must be a pure function of the board.
 */
int	aas_board_update(const char *path, const struct aas_board_opts *o,
	    int (*fn)(struct aas_board *b, void *arg, struct aas_err *e),
	    void *arg, struct aas_err *e);

/*
 * The goal rule.  A sub-task of goal is a task whose Parent is goal, or,
 * with no Parent, whose id is goal's id, '-' and a number.
 * aas_board_settle_goals looks at the goals (Parent) of the tasks ids[]
 * names: a goal whose sub-tasks are all Done becomes Done, one with a
 * Failed sub-task Failed; a goal that changed is looked at as a sub-task
 * of its own goal in turn.  cb (may be NULL) is called for each change,
 * which runs again when aas_board_update runs fn again.  Returns the
 * number of goals changed, or -1 with e set (the edits so far stay).
 */
int	aas_board_is_subtask(const struct aas_task *t, const char *goal);
int	aas_board_settle_goals(struct aas_board *b, const char *const *ids,
	    size_t n, void (*cb)(const char *goal, enum aas_status from,
	    enum aas_status to, void *arg), void *arg, struct aas_err *e);

/* Lint: duplicate ids, unknown dependencies, cycles (printed as a path),
 * self-dependencies, unknown statuses.  cb gets "name:line: message" for
 * each; returns the number of problems. */
size_t	aas_board_check(const struct aas_board *b,
	    void (*cb)(const char *msg, void *arg), void *arg);

#endif
