/*
 * plan-subtasks.c: sub-tasks from a goal's answer.  See plan.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aas.h"
#include "plan.h"
#include "plan-int.h"
#include "record.h"
#include "banned.h"

static int
dfs_cycle(json_t *subs, size_t v, int *color, size_t *path, size_t depth,
    struct aas_err *e)
{
	json_t *deps = json_object_get(json_array_get(subs, v), "depends_on");
	json_t *d;
	size_t i, k;

	color[v] = 1;
	path[depth] = v;
	json_array_foreach(deps, i, d) {
		size_t w;

		if (!json_is_integer(d))
			continue;
		w = (size_t)json_integer_value(d) - 1;
		if (color[w] == 1) {
			struct aas_buf b = AAS_BUF_INIT;

			for (k = 0; k <= depth && path[k] != w; k++)
				;
			for (; k <= depth; k++)
				aas_buf_printf(&b, "%zu -> ", path[k] + 1);
			aas_buf_printf(&b, "%zu", w + 1);
			aas_err_set(e, "cycle", "sub-tasks depend on each "
			    "other in a cycle: %s", b.s);
			aas_buf_free(&b);
			return -1;
		}
		if (color[w] == 0 &&
		    dfs_cycle(subs, w, color, path, depth + 1, e) == -1)
			return -1;
	}
	color[v] = 2;
	return 0;
}

json_t *
aas_plan_parse_subtasks(const char *text, size_t len, size_t max,
    struct aas_err *e)
{
	json_t *obj, *arr, *out = NULL, *t, *v, *d, *deps;
	size_t i, k, n;
	int *color = NULL;
	size_t *path = NULL;

	if (max == 0)
		max = AAS_PLAN_MAX_SUBTASKS;
	if ((obj = aas_pl_find_object(text, len, "subtasks")) == NULL) {
		aas_err_set(e, "bad_subtasks", "no {\"subtasks\": [...]} "
		    "object in the answer");
		return NULL;
	}
	arr = json_object_get(obj, "subtasks");
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		aas_err_set(e, "bad_subtasks", "\"subtasks\" is not a "
		    "non-empty array");
		goto done;
	}
	n = json_array_size(arr);
	if (n > max) {
		aas_err_set(e, "too_many", "%zu sub-tasks, over the limit of "
		    "%zu", n, max);
		goto done;
	}
	out = json_array();
	json_array_foreach(arr, i, t) {
		const char *title, *s;
		size_t tn;
		json_t *o;

		if (!json_is_object(t) ||
		    !json_is_string(v = json_object_get(t, "title"))) {
			aas_err_set(e, "bad_subtasks", "sub-task %zu has no "
			    "title", i + 1);
			goto bad;
		}
		title = json_string_value(v);
		tn = json_string_length(v);
		aas_pl_trim(&title, &tn);
		if (tn == 0 || memchr(title, '\0', tn) != NULL ||
		    memchr(title, '\n', tn) != NULL) {
			aas_err_set(e, "bad_subtasks", "sub-task %zu: the "
			    "title is empty or not one line", i + 1);
			goto bad;
		}
		for (k = 0; k < i; k++) {
			s = json_string_value(json_object_get(
			    json_array_get(out, k), "title"));
			if (strlen(s) == tn && strncasecmp(s, title, tn) == 0) {
				aas_err_set(e, "dup_title", "sub-tasks %zu and "
				    "%zu have the same title", k + 1, i + 1);
				goto bad;
			}
		}
		o = json_object();
		json_object_set_new(o, "title", aas_json_lossy(title, tn));
		v = json_object_get(t, "description");
		if (v != NULL && !json_is_string(v) && !json_is_null(v)) {
			json_decref(o);
			aas_err_set(e, "bad_subtasks", "sub-task %zu: the "
			    "description is not a string", i + 1);
			goto bad;
		}
		json_object_set_new(o, "description", json_is_string(v) ?
		    aas_json_lossy(json_string_value(v), json_string_length(v)) :
		    json_string(""));
		deps = json_array();
		json_object_set_new(o, "depends_on", deps);
		json_array_append_new(out, o);
		v = json_object_get(t, "depends_on");
		if (v != NULL && !json_is_array(v) && !json_is_null(v)) {
			aas_err_set(e, "bad_subtasks", "sub-task %zu: "
			    "depends_on is not an array", i + 1);
			goto bad;
		}
		json_array_foreach(v, k, d) {
			if (json_is_integer(d)) {
				json_int_t x = json_integer_value(d);

				if (x == (json_int_t)i + 1) {
					aas_err_set(e, "cycle", "sub-task %zu "
					    "depends on itself", i + 1);
					goto bad;
				}
				if (x < 1 || (size_t)x > n) {
					aas_err_set(e, "unknown_dep", "sub-task "
					    "%zu depends on sub-task %lld, of "
					    "%zu", i + 1, (long long)x, n);
					goto bad;
				}
				json_array_append_new(deps, json_integer(x));
			} else if (json_is_string(d) &&
			    json_string_length(d) > 0 &&
			    strlen(json_string_value(d)) ==
			    json_string_length(d)) {
				json_array_append_new(deps, json_string(
				    json_string_value(d)));
			} else {
				aas_err_set(e, "bad_subtasks", "sub-task %zu: "
				    "depends_on[%zu] is neither a position nor "
				    "an id", i + 1, k);
				goto bad;
			}
		}
	}
	color = aas_xcalloc(n, sizeof(*color));
	path = aas_xcalloc(n + 1, sizeof(*path));
	for (i = 0; i < n; i++)
		if (color[i] == 0 && dfs_cycle(out, i, color, path, 0, e) == -1)
			goto bad;
	goto done;
bad:
	json_decref(out);
	out = NULL;
done:
	free(color);
	free(path);
	json_decref(obj);
	return out;
}
