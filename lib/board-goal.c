/* board-goal.c: the goal rule: a goal follows its sub-tasks. */
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "board.h"
#include "banned.h"

int
aas_board_is_subtask(const struct aas_task *t, const char *goal)
{
	size_t n = strlen(goal);
	const char *p;

	if (t->parent != NULL && *t->parent != '\0')
		return strcmp(t->parent, goal) == 0;
	if (strncmp(t->id, goal, n) != 0 || t->id[n] != '-' ||
	    t->id[n + 1] == '\0')
		return 0;
	for (p = t->id + n + 1; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/* t's goal: its Parent, else its id less a last "-N" when that is a
 * task on the board; NULL for none.  Caller frees. */
static char *
goal_of(const struct aas_board *b, const struct aas_task *t)
{
	const char *dash;
	char *g;

	if (t->parent != NULL && *t->parent != '\0')
		return aas_xstrdup(t->parent);
	if ((dash = strrchr(t->id, '-')) == NULL || dash == t->id)
		return NULL;
	g = aas_xstrndup(t->id, (size_t)(dash - t->id));
	if (aas_board_find(b, g) == NULL || !aas_board_is_subtask(t, g)) {
		free(g);
		return NULL;
	}
	return g;
}

/* What goal should be by its sub-tasks, or AAS_ST_UNKNOWN: none, or
 * some still open. */
static enum aas_status
goal_status(const struct aas_board *b, const char *goal)
{
	const struct aas_task *t;
	size_t i, nsub = 0, ndone = 0;

	for (i = 0; i < aas_board_count(b); i++) {
		t = aas_board_task(b, i);
		if (strcmp(t->id, goal) == 0 || !aas_board_is_subtask(t, goal))
			continue;
		if (t->status == AAS_ST_FAILED)
			return AAS_ST_FAILED;
		nsub++;
		ndone += t->status == AAS_ST_DONE;
	}
	return nsub > 0 && ndone == nsub ? AAS_ST_DONE : AAS_ST_UNKNOWN;
}

int
aas_board_settle_goals(struct aas_board *b, const char *const *ids,
    size_t n, void (*cb)(const char *goal, enum aas_status from,
    enum aas_status to, void *arg), void *arg, struct aas_err *e)
{
	const struct aas_task *t;
	enum aas_status want, was;
	char **stack, *goal, *up;
	size_t nstack = 0, cap = n + 1, i;
	int changed = 0, rc = 0;

	stack = aas_xreallocarray(NULL, cap, sizeof(*stack));
	for (i = 0; i < n; i++)
		if ((t = aas_board_find(b, ids[i])) != NULL &&
		    (goal = goal_of(b, t)) != NULL)
			stack[nstack++] = goal;
	/* a goal that changed may settle its own goal in turn; the board's
	 * tasks bound the chain (a Parent cycle ends when nothing changes) */
	while (nstack > 0 && rc == 0) {
		goal = stack[--nstack];
		t = aas_board_find(b, goal);
		want = t != NULL ? goal_status(b, goal) : AAS_ST_UNKNOWN;
		if (want != AAS_ST_UNKNOWN && t->status != want) {
			was = t->status;
			if (aas_board_set_status(b, goal, want, e) == -1)
				rc = -1;
			else {
				changed++;
				if (cb != NULL)
					cb(goal, was, want, arg);
				t = aas_board_find(b, goal);
				if (t != NULL && (size_t)changed <=
				    aas_board_count(b) &&
				    (up = goal_of(b, t)) != NULL) {
					if (nstack == cap)
						stack = aas_xreallocarray(stack,
						    cap *= 2, sizeof(*stack));
					stack[nstack++] = up;
				}
			}
		}
		free(goal);
	}
	while (nstack > 0)
		free(stack[--nstack]);
	free(stack);
	return rc == -1 ? -1 : changed;
}
