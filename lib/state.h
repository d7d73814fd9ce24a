/*
 * state.h: the .aas/ state folder: discovery, the STOP file, append-only
 * NDJSON journals and file locks.
 *
 * The folder is, in order: the --state flag, $AAS_STATE, .aas at the root
 * of the git repository containing the current folder, ./.aas.  Whoever
 * makes it writes a .gitignore of "*" into it (aas_state_mkdir).
 */
#ifndef AAS_STATE_H
#define AAS_STATE_H

#include <jansson.h>

#include "aas.h"

struct aas_state;

/*
 * Find (and with create, make) the state folder.  override may be NULL.
 * Returns 0 and *stp, or -1 with e set (code "state").
 */
int	aas_state_open(struct aas_state **stp, const char *override, int create,
	    struct aas_err *e);
void	aas_state_close(struct aas_state *st);
/* Make the state folder dir when it is missing (mkdir -p), with a
 * .gitignore of "*" in it, so that git ignores it and everything in it
 * without the user doing anything.  0, or -1 with e set. */
int	aas_state_mkdir(const char *dir, struct aas_err *e);
/* The state folder of the repository that holds path (a file): the same
 * order as aas_state_open, from path's folder instead of the current one
 * and without an override; NULL when path's folder does not exist.
 * Caller frees. */
char	*aas_state_dir_for(const char *path);
/* The folder, and the repository root (or the current folder outside a
 * repository).  Owned by st. */
const char *aas_state_dir(const struct aas_state *st);
const char *aas_state_root(const struct aas_state *st);
/* "<dir>/<name>"; the caller frees. */
char	*aas_state_path(const struct aas_state *st, const char *name);

/* True when a signal arrived or <dir>/STOP exists.  st may be NULL. */
int	aas_state_stop_requested(const struct aas_state *st);
/* The same for tight loops: the flag every call, the STOP file at most
 * every 200 ms (a stat per record costs more than a record where system
 * calls are slow).  The first call always looks at the file. */
int	aas_state_stop_poll(const struct aas_state *st);

/* Sleep ms milliseconds, waking early for a stop request (the flag, or
 * the STOP file looked at every 50 ms).  0: slept it all; -1: stopped.
 * st may be NULL. */
int	aas_state_sleep(const struct aas_state *st, int64_t ms);

/* The repository root containing dir (walking up to a .git entry), or
 * NULL; the caller frees. */
char	*aas_find_repo_root(const char *dir);

/*
 * Append obj as one line to the journal <dir>/<name>.jsonl under an
 * exclusive lock, then fsync.  A reader never sees a torn line except the
 * last one after a crash, which aas_journal_read skips.
 */
int	aas_journal_append(struct aas_state *st, const char *name, json_t *obj,
	    struct aas_err *e);
/*
 * Call cb for each whole, parseable line of the journal, in order (a
 * missing journal has no lines).  cb returns 0 to go on, anything else to
 * stop and have that value returned.  obj is borrowed.
 */
int	aas_journal_read(struct aas_state *st, const char *name,
	    int (*cb)(json_t *obj, void *arg), void *arg, struct aas_err *e);

/*
 * Take an flock on path (created 0644 if missing): exclusive or shared,
 * waiting for it.  Returns the descriptor to pass to aas_unlock, or -1
 * with e set.  The lock dies with the process, so a kill leaves none.
 */
int	aas_lock(const char *path, int exclusive, struct aas_err *e);
/* The same without waiting: -1 with e code "busy" when another process
 * holds it (e code "lock" for any other failure). */
int	aas_lock_try(const char *path, struct aas_err *e);
void	aas_unlock(int fd);

#endif
