/*
 * git.h: the libgit2 wrapper.  Commits are built in memory from a base
 * tree plus edits and written straight into the object database; branches
 * move by compare-and-swap.  Nothing here touches a working tree, an index
 * or HEAD (aas_git_export writes only into the folder it is given).
 *
 * Object ids cross this interface as 40 hex digits plus NUL (char[41]).
 * Every function returning int gives 0 on success and -1 with e set on
 * failure unless it says otherwise.  Error codes: "git" (libgit2 failed;
 * its message is in e->msg), "no_repo", "bad_rev", the path codes of
 * path.h, "path_symlink", "path_conflict", "empty_change", "bad_branch",
 * "branch_exists", "branch_moved", "branch_checked_out", "locked".
 *
 * A struct aas_git is not safe to share between threads.  aas_init() must
 * have run (it calls git_libgit2_init).
 */
#ifndef AAS_GIT_H
#define AAS_GIT_H

#include <stddef.h>

#include <jansson.h>

#include "aas.h"

#define AAS_GIT_HEX	41

struct aas_git;
struct aas_git_tree;
struct aas_path_guard;

/* Fill e with code and "what: " libgit2's last error message (also for
 * the modules that call libgit2 themselves); returns -1. */
int	aas_git_fail(struct aas_err *e, const char *code, const char *what);

/* Open the repository containing dir (the current folder when NULL). */
int	aas_git_open(struct aas_git **gp, const char *dir, struct aas_err *e);
void	aas_git_close(struct aas_git *g);
/* The work tree without a trailing slash, or the git folder when bare.
 * Owned by g. */
const char *aas_git_root(const struct aas_git *g);

/* Resolve rev ("HEAD", a branch, an id, "main~2") to a commit id. */
int	aas_git_resolve(struct aas_git *g, const char *rev, char out[AAS_GIT_HEX],
	    struct aas_err *e);

/*
 * Check a path from a plan: aas_path_check (path.h): relative, no ".",
 * ".." or empty component, nothing HFS+ or NTFS reads as .git, no
 * control, bidirectional or invisible characters, components of at most
 * 255 bytes.  Pure; needs no repository.
 */
int	aas_git_path_check(const char *path, struct aas_err *e);

/*
 * A base tree (of commit base) plus pending edits, in memory.  Reading
 * sees the pending edits.  Paths are checked with aas_git_path_check and
 * against the base tree: a component that is a symbolic link
 * (path_symlink), a file or submodule in the middle (path_conflict); and
 * against the edits before them: a file where an earlier edit put a
 * folder, or the other way round (path_conflict).  Writing and removing
 * are checked against protected paths (path_protected): the built-in
 * default list of path.h until aas_git_tree_guard says otherwise.
 */
int	aas_git_tree_open(struct aas_git *g, const char *base,
	    struct aas_git_tree **tp, struct aas_err *e);
void	aas_git_tree_free(struct aas_git_tree *t);
/*
 * The protected paths for this tree's edits: guard (borrowed; it must
 * outlive the tree; NULL for the built-in default), and the task's
 * fields (a record's "fields" object, or NULL), whose Files entry names
 * the protected paths this task may change (aas_path_guard_check).
 */
void	aas_git_tree_guard(struct aas_git_tree *t,
	    const struct aas_path_guard *guard, json_t *fields);
/*
 * Read the file at path: 0 with *data (NUL-terminated, caller frees),
 * *len and *mode (0100644 or 0100755); 1 when there is no such file
 * (nothing allocated); -1 on error.
 */
int	aas_git_tree_read(struct aas_git_tree *t, const char *path, char **data,
	    size_t *len, unsigned *mode, struct aas_err *e);
/* Set the file at path (data is copied).  mode 0 keeps an existing file's
 * mode, 0100644 for a new file. */
int	aas_git_tree_put(struct aas_git_tree *t, const char *path,
	    const char *data, size_t len, unsigned mode, struct aas_err *e);
/* Remove the file at path (1 when there was none: nothing to do). */
int	aas_git_tree_remove(struct aas_git_tree *t, const char *path,
	    struct aas_err *e);
/*
 * Find the only file of the base tree whose last component is name.
 * 0 with *path (caller frees); 1 none; 2 several (*path is the first).
 */
int	aas_git_tree_find_name(struct aas_git_tree *t, const char *name,
	    char **path, struct aas_err *e);
/* Write the blobs and the new tree; out gets the tree id.  A tree equal
 * to the base is an error (empty_change): there is nothing to commit. */
int	aas_git_tree_write(struct aas_git_tree *t, char out[AAS_GIT_HEX],
	    struct aas_err *e);

/*
 * Write a commit of tree with one parent (or none when parent is NULL).
 * author and committer are "Name <email>" or NULL for the repository's
 * identity (user.name, user.email), else "aas <aas@localhost>".  Dates
 * come from $GIT_AUTHOR_DATE and $GIT_COMMITTER_DATE when set ("@secs
 * +hhmm", "secs +hhmm", ISO 8601), else now.  No reference moves.
 */
int	aas_git_commit(struct aas_git *g, const char *tree, const char *parent,
	    const char *message, const char *author, const char *committer,
	    char out[AAS_GIT_HEX], struct aas_err *e);
/* Check a "Name <email>" string; 0 or -1 (code "config"). */
int	aas_git_ident_check(const char *ident, struct aas_err *e);

/*
 * Branches, by short name ("aas/AAS-1"); a name git cannot take as a
 * reference ("aas/x.lock") is an error (bad_branch) in each of these.
 * aas_git_branch_get: 0 with out set, 1 when there is no such branch.
 */
int	aas_git_branch_get(struct aas_git *g, const char *name,
	    char out[AAS_GIT_HEX], struct aas_err *e);
/*
 * Point branch name at id.  expected NULL: the branch must not exist
 * (branch_exists otherwise); else it must point at expected
 * (branch_moved otherwise).  Lock conflicts are retried a few times
 * (then "locked").  logmsg goes to the reflog.
 */
int	aas_git_branch_set(struct aas_git *g, const char *name, const char *id,
	    const char *expected, const char *logmsg, struct aas_err *e);
/* Delete branch name if it points at expected (branch_moved otherwise;
 * 1 when there is no such branch). */
int	aas_git_branch_delete(struct aas_git *g, const char *name,
	    const char *expected, struct aas_err *e);
/*
 * Is branch name checked out (HEAD, possibly unborn) in the main work tree
 * or any linked one?  1 yes, with *where the work tree's git folder
 * (caller frees); 0 no; -1 error.
 */
int	aas_git_branch_checked_out(struct aas_git *g, const char *name,
	    char **where, struct aas_err *e);

/*
 * Write the files of commit rev into dir (created; must be empty or
 * absent): regular files with their mode, symbolic links as links,
 * submodules as empty folders.  No index, no HEAD.
 */
int	aas_git_export(struct aas_git *g, const char *rev, const char *dir,
	    struct aas_err *e);

/*
 * The unified diff (git's patch format, "diff --git" headers, three lines
 * of context) from commit from's tree to commit to's: *out (NUL-ended,
 * caller frees) and *lenp; empty when the trees are equal.  Codes
 * "bad_rev", "git".
 */
int	aas_git_diff(struct aas_git *g, const char *from, const char *to,
	    char **out, size_t *lenp, struct aas_err *e);

/*
 * Merges and trees for the integration branch and the prompt context
 * (lib/integrate.h, lib/context.h).
 *
 * aas_git_descends: is commit anc an ancestor of commit id, or id itself?
 * 1 yes, 0 no, -1 error.
 */
int	aas_git_descends(struct aas_git *g, const char *id, const char *anc,
	    struct aas_err *e);
/*
 * Apply the change of commit (against its first parent) onto commit onto,
 * as git cherry-pick does, in memory (libgit2's git_cherrypick_commit):
 * no work tree, index or reference is touched.  0: out is a new commit
 * whose parent is onto, with the merged tree and commit's author and
 * message (committer: as in aas_git_commit).  2: the merge changes
 * nothing (onto has the change already); out is onto.  1: the change
 * conflicts; *conflicts is a new array [{"path", "hunks"}], one per
 * conflicting file in path order (at most AAS_GIT_CONFLICT_FILES), hunks
 * the conflicting regions of the merged text with diff3 markers (labels
 * ours_label, "base" and theirs_label), each preceded by "@@ line N @@",
 * at most cap bytes a file, or a line saying what clashed for a file
 * without text (deleted on one side, binary).  -1: error.
 */
#define AAS_GIT_CONFLICT_FILES	20
int	aas_git_pick(struct aas_git *g, const char *commit, const char *onto,
	    const char *committer, const char *ours_label,
	    const char *theirs_label, size_t cap, json_t **conflicts,
	    char out[AAS_GIT_HEX], struct aas_err *e);
/*
 * Call cb for every regular file of the base tree (not the pending
 * edits), in git's tree order: its path and mode (0100644 or 0100755).
 * A non-zero return from cb stops the walk (and is returned).  Symbolic
 * links and submodules are skipped.
 */
int	aas_git_tree_files(struct aas_git_tree *t,
	    int (*cb)(const char *path, unsigned mode, void *arg), void *arg,
	    struct aas_err *e);

#endif
