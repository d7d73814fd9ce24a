/*
 * context.h: what a prompt shows of the repository, read from the tree
 * the task will be applied to (a commit), never from the working tree.
 *
 * A context is one commit of one repository: its files read as blobs
 * (the path rules of aas_git_tree_read: an absolute path, "..", .git, a
 * path through a symbolic link are refused), a map of the repository
 * within a token budget for a task that names no files, and the files a
 * task's text mentions.
 *
 * The map lists the tree's regular files in git's order, each with the
 * top-level definitions Universal Ctags finds in it ("lib/x.c: foo bar"):
 * ctags (found on PATH, run without a shell and with no option file)
 * reads copies of the files written from the tree into a temporary
 * folder.  Without ctags, or when it fails, the map is the plain file
 * list.  Within the budget (tokens, about 4 bytes each): every path when
 * they all fit, else the paths of the files nearer the top of the tree
 * (fewer folders above them, then git's order) that fit in half of it,
 * the files left out counted in a last line "(N more files)"; then, in
 * the same order, a file's definitions while the paths of every file
 * after it still fit.  The lines are in git's order.
 *
 * A struct aas_context is not safe to share between threads.
 */
#ifndef AAS_CONTEXT_H
#define AAS_CONTEXT_H

#include <stddef.h>

#include "aas.h"
#include "config.h"
#include "git.h"

#define AAS_CONTEXT_MAP_BUDGET	2000	/* tokens */
#define AAS_CONTEXT_MENTION_MAX	10	/* files a text may pull in */

struct aas_context;

struct aas_context_opts {
	long	 map_budget;	/* tokens; 0: no map */
	const char *ctags;	/* the program; NULL: "ctags" */
	const char *tmpdir;	/* for ctags' copies; NULL: $TMPDIR, /tmp */
};

/*
 * The context of commit rev (any revision) in g (borrowed: it must
 * outlive the context).  -1 with e set (bad_rev) when rev is no commit.
 */
int	aas_context_open(struct aas_context **cp, struct aas_git *g,
	    const char *rev, const struct aas_context_opts *o,
	    struct aas_err *e);
/*
 * What aas-submit shows: the repository at root (NULL: none, so no
 * context: *cp NULL and 0), the commit base (NULL: config apply.base,
 * else HEAD) or, with integrate, the integration branch's tip when it
 * exists (integrate.h); options from cf (context.map_budget).  A base
 * that does not resolve is an error when it was asked for (base or
 * integrate given), else no context (an empty repository).  The context
 * owns the repository handle it opens.
 */
int	aas_context_setup(struct aas_context **cp, const char *root,
	    const struct aas_config *cf, const char *base, int integrate,
	    struct aas_err *e);
void	aas_context_free(struct aas_context *c);
/* The commit (40 hex digits), owned by c. */
const char *aas_context_commit(const struct aas_context *c);

/*
 * Read the file at path: 0 with *data (NUL-terminated, caller frees) and
 * *len; 1 when there is no such file; -1 with e set: the path codes of
 * path.h, path_symlink, path_conflict (a folder or submodule), git.
 */
int	aas_context_read(struct aas_context *c, const char *path, char **data,
	    size_t *len, struct aas_err *e);

/* The map (see above), built on the first call; "" with no budget or no
 * file.  Owned by c. */
const char *aas_context_map(struct aas_context *c);

/*
 * The files text mentions, in tree order, at most max: a file whose path
 * appears in text, or whose last component (of 3 bytes or more) does,
 * standing alone (not inside a longer name or path).  A new NULL-ended
 * array; the caller frees it and its strings.
 */
char	**aas_context_mentioned(struct aas_context *c, const char *text,
	    size_t max);

#endif
