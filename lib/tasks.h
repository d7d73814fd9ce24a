/*
 * tasks.h: the tasks of a run, indexed by custom_id without holding the
 * records: a sorted array of (hash, offset, length) over a file of
 * "custom_id TAB record" lines (runs/RUN.tasks, see ledger.h; aas-fetch
 * --stdin writes one of its own).  16 bytes and a mark per task.
 */
#ifndef AAS_TASKS_H
#define AAS_TASKS_H

#include <stdint.h>
#include <sys/types.h>

#include "aas.h"

struct aas_tasks;

/* Index the file at path.  -1 with e set when it cannot be read. */
int	aas_tasks_open_path(struct aas_tasks **tp, const char *path,
	    struct aas_err *e);
void	aas_tasks_close(struct aas_tasks *t);
size_t	aas_tasks_count(const struct aas_tasks *t);
/* Find custom_id: its slot (>= 0) or -1. */
ssize_t	aas_tasks_find(struct aas_tasks *t, const char *custom_id);
/* The record text of slot i (NUL-terminated, valid until the next call)
 * and its custom_id. */
const char *aas_tasks_record(struct aas_tasks *t, size_t i, size_t *lenp,
	    const char **cidp, struct aas_err *e);
/* A per-slot mark for the caller (emitted in this pass). */
int	aas_tasks_marked(const struct aas_tasks *t, size_t i);
void	aas_tasks_mark(struct aas_tasks *t, size_t i);

/* The 64-bit hash of a custom_id the index (and the ledger's sets) use;
 * never 0. */
uint64_t aas_tasks_hash(const char *s);

#endif
