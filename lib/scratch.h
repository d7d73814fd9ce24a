/*
 * scratch.h: scratch copies of a commit's tree, outside the user's
 * checkout, and guarded branch deletion.
 *
 * Nothing here touches the user's working tree, index or HEAD: the tree is
 * read from the object database and written as plain files (no .git, no
 * index, no filters: each file holds its blob's bytes), which is all a
 * check needs.  Each call opens the repository itself, so calls from
 * several threads at once are safe (libgit2 is initialised by aas_init).
 */
#ifndef AAS_SCRATCH_H
#define AAS_SCRATCH_H

#include "aas.h"

/*
 * Write "<dir>/.gitignore" holding "*" (git then ignores dir and all in
 * it) unless the file exists; best effort, errors are ignored.
 */
void	aas_scratch_ignore(const char *dir);

/*
 * Make a new, unique, empty folder (mode 0700) "<parent>/<name>.XXXXXX",
 * creating parent as needed (a parent it creates ignores itself in git,
 * aas_scratch_ignore).  name is reduced to [A-Za-z0-9._-] (others
 * become '_') and 64 bytes, so a task id can be used as it is.  Returns
 * the path (the caller frees) or NULL with e set (code "scratch").
 */
char	*aas_scratch_mkdir(const char *parent, const char *name,
	    struct aas_err *e);

/*
 * Write the tree of commit (full or abbreviated hex id) of the repository
 * at repo into the existing folder dir.  Regular files get mode 0644 or
 * 0755, symbolic links are made as links (never followed), submodules
 * become empty folders.  A tree entry named "", ".", "..", ".git" or
 * holding '/' is refused (code "bad_tree").  Other failures: code
 * "scratch" (repository or commit not found, a write failed).  On error
 * dir may hold part of the tree: remove it with aas_scratch_remove.
 */
int	aas_scratch_checkout(const char *repo, const char *commit,
	    const char *dir, struct aas_err *e);

/*
 * Write the files at paths (relative, '/'-separated) of commit's tree
 * into the folder dir, which holds another tree (aas_scratch_checkout),
 * replacing what is there: a missing folder is made, a file or link in
 * the way of one removed, links in dir never followed.  A path that is
 * not a file or link in commit's tree is passed over; *written counts
 * the others.  Errors as aas_scratch_checkout ("bad_tree" for a path
 * with a "", ".", ".." or ".git" component).
 */
int	aas_scratch_overlay(const char *repo, const char *commit,
	    const char *dir, const char *const *paths, size_t n,
	    size_t *written, struct aas_err *e);

/* Remove dir and everything below it (aas_rmtree).  Folders a check made
 * unreadable or unwritable (chmod 000) get mode 0700 back first; links
 * are never followed.  0 or -1 with e set. */
int	aas_scratch_remove(const char *dir, struct aas_err *e);

/*
 * Delete branch (a short name, "aas/T-1") of the repository at repo, but
 * only if it still points at commit (a full hex id) and is not checked
 * out; the comparison and the deletion happen under the reference's lock,
 * so a branch moved meanwhile is kept.  Returns 0 when deleted, 1 when
 * kept on purpose (e set: code "branch_missing", "branch_moved" or
 * "branch_checked_out"), -1 on error (code "scratch").
 */
int	aas_scratch_branch_delete(const char *repo, const char *branch,
	    const char *commit, struct aas_err *e);

#endif
