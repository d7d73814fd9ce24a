/*
 * plan-decompose.c: sub-tasks from a goal's answer onto the board, in one
 * locked board update.  See plan.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "plan.h"
#include "banned.h"

struct decomp {
	const char *parent;
	json_t	*subs;		/* from aas_plan_parse_subtasks */
	json_t	*ids;		/* out: each sub-task's id */
	json_t	*created;	/* out: the ids made now */
};

static int
same_title(const char *a, const char *b)
{
	size_t an = strlen(a), bn = strlen(b);

	while (an > 0 && isspace((unsigned char)a[an - 1]))
		an--;
	while (bn > 0 && isspace((unsigned char)b[bn - 1]))
		bn--;
	while (an > 0 && isspace((unsigned char)*a))
		a++, an--;
	while (bn > 0 && isspace((unsigned char)*b))
		b++, bn--;
	return an == bn && strncasecmp(a, b, an) == 0;
}

/* Is t a child of parent: its Parent field, or an id PARENT-N. */
static int
is_child(const struct aas_task *t, const char *parent)
{
	size_t n = strlen(parent), i;

	if (t->parent != NULL && strcmp(t->parent, parent) == 0)
		return 1;
	if (strncmp(t->id, parent, n) != 0 || t->id[n] != '-' ||
	    t->id[n + 1] == '\0')
		return 0;
	for (i = n + 1; t->id[i] != '\0'; i++)
		if (!isdigit((unsigned char)t->id[i]))
			return 0;
	return 1;
}

static int
decompose_fn(struct aas_board *b, void *arg, struct aas_err *e)
{
	struct decomp *d = arg;
	const struct aas_task *pt, *t;
	struct aas_newtask *nt = NULL;
	struct aas_buf field = AAS_BUF_INIT;
	const char ***deps = NULL;
	size_t n = json_array_size(d->subs), i, k, nnew = 0, nb;
	json_t *sub, *dep, *v;
	int rc = -1;

	json_array_clear(d->ids);
	json_array_clear(d->created);
	if ((pt = aas_board_find(b, d->parent)) == NULL)
		return aas_err_set(e, "unknown_id", "%s is not on the board "
		    "%s", d->parent, aas_board_name(b));
	/* each sub-task: an existing child with its title, or a new id */
	nb = aas_board_count(b);
	json_array_foreach(d->subs, i, sub) {
		const char *title = json_string_value(json_object_get(sub,
		    "title"));
		char *id = NULL;

		for (k = 0; k < nb; k++) {
			t = aas_board_task(b, k);
			if (is_child(t, d->parent) &&
			    same_title(t->title, title)) {
				id = aas_xstrdup(t->id);
				break;
			}
		}
		if (id == NULL) {
			id = aas_board_next_child_id(b, d->parent, nnew++);
			json_array_append_new(d->created, json_string(id));
		}
		json_array_append_new(d->ids, json_string(id));
		free(id);
	}
	/* dependencies: sibling positions to ids; board ids must exist */
	deps = aas_xcalloc(n, sizeof(*deps));
	nt = aas_xcalloc(nnew > 0 ? nnew : 1, sizeof(*nt));
	k = 0;
	json_array_foreach(d->subs, i, sub) {
		json_t *dl = json_object_get(sub, "depends_on");
		const char *id = json_string_value(json_array_get(d->ids, i));
		size_t j;
		int isnew = 0;

		deps[i] = aas_xcalloc(json_array_size(dl) + 1,
		    sizeof(*deps[i]));
		json_array_foreach(dl, j, dep) {
			if (json_is_integer(dep)) {
				v = json_array_get(d->ids,
				    (size_t)json_integer_value(dep) - 1);
				deps[i][j] = json_string_value(v);
				continue;
			}
			deps[i][j] = json_string_value(dep);
			if (strcmp(deps[i][j], d->parent) == 0) {
				aas_err_set(e, "cycle", "sub-task %zu depends "
				    "on its parent %s", i + 1, d->parent);
				goto out;
			}
			if (aas_board_find(b, deps[i][j]) == NULL) {
				aas_err_set(e, "unknown_dep", "sub-task %zu "
				    "depends on %s, which is not on the board",
				    i + 1, deps[i][j]);
				goto out;
			}
		}
		json_array_foreach(d->created, j, v)
			if (strcmp(json_string_value(v), id) == 0)
				isnew = 1;
		if (!isnew)
			continue;
		nt[k].id = id;
		nt[k].title = json_string_value(json_object_get(sub, "title"));
		nt[k].status = AAS_ST_QUEUED;
		nt[k].deps = deps[i];
		nt[k].ndeps = json_array_size(dl);
		v = json_object_get(sub, "description");
		nt[k].body = json_string_length(v) > 0 ?
		    json_string_value(v) : NULL;
		nt[k].parent = d->parent;
		k++;
	}
	if (nnew > 0 && aas_board_insert_after(b, d->parent, nt, nnew, e) ==
	    -1)
		goto out;
	/* the parent's Subtasks field: what it listed, then these */
	pt = aas_board_find(b, d->parent);
	v = json_object_get(pt->fields, "Subtasks");
	if (json_is_string(v) && json_string_length(v) > 0)
		aas_buf_adds(&field, json_string_value(v));
	json_array_foreach(d->ids, i, dep) {
		const char *id = json_string_value(dep), *p;
		size_t idn = strlen(id);
		int listed = 0;

		for (p = field.s; p != NULL && (p = strstr(p, id)) != NULL;
		    p += idn)
			if ((p == field.s || !isalnum((unsigned char)p[-1])) &&
			    p[idn] != '-' && !isalnum((unsigned char)p[idn]))
				listed = 1;
		if (listed)
			continue;
		if (field.len > 0)
			aas_buf_adds(&field, ", ");
		aas_buf_adds(&field, id);
	}
	if (field.len > 0 && (!json_is_string(v) ||
	    strcmp(json_string_value(v), field.s) != 0)) {
		struct aas_err fe;

		/* a table with no Subtasks column (and no heading block for
		 * the parent) has nowhere to put it: the children's ids and
		 * Parent field still link them */
		if (aas_board_set_field(b, d->parent, "Subtasks", field.s,
		    &fe) == -1 && pt->layout != AAS_LAYOUT_TABLE) {
			*e = fe;
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(deps[i]);
	free(deps);
	free(nt);
	aas_buf_free(&field);
	return rc;
}

int
aas_plan_decompose(const char *board, const struct aas_board_opts *o,
    const char *parent, json_t *subtasks, json_t **idsp, json_t **createdp,
    struct aas_err *e)
{
	struct decomp d;

	d.parent = parent;
	d.subs = subtasks;
	d.ids = json_array();
	d.created = json_array();
	*idsp = *createdp = NULL;
	if (aas_board_update(board, o, decompose_fn, &d, e) == -1) {
		json_decref(d.ids);
		json_decref(d.created);
		return -1;
	}
	*idsp = d.ids;
	*createdp = d.created;
	return 0;
}
