/*
 * plan-json.c: edits as a JSON object.  See plan.h.
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

/* The end (one past '}') of the object starting at text[p], strings and
 * escapes respected; 0 when it does not close. */
static size_t
obj_end(const char *text, size_t len, size_t p)
{
	size_t depth = 0, i;
	int str = 0;

	for (i = p; i < len; i++) {
		char c = text[i];

		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = 0;
			continue;
		}
		if (c == '"')
			str = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (--depth == 0)
				return c == '}' ? i + 1 : 0;
		}
	}
	return 0;
}

/* Parse text[p, q) as JSON, dropping commas that precede } or ]. */
static json_t *
load_lenient(const char *text, size_t p, size_t q)
{
	struct aas_buf b = AAS_BUF_INIT;
	json_t *j;
	size_t i, k;
	int str = 0;

	aas_buf_grow(&b, q - p + 1);
	for (i = p; i < q; i++) {
		char c = text[i];

		if (str) {
			aas_buf_addc(&b, c);
			if (c == '\\' && i + 1 < q)
				aas_buf_addc(&b, text[++i]);
			else if (c == '"')
				str = 0;
			continue;
		}
		if (c == '"')
			str = 1;
		if (c == ',') {
			for (k = i + 1; k < q &&
			    isspace((unsigned char)text[k]); k++)
				;
			if (k < q && (text[k] == '}' || text[k] == ']'))
				continue;
		}
		aas_buf_addc(&b, c);
	}
	j = json_loadb(b.s, b.len, JSON_ALLOW_NUL, NULL);
	aas_buf_free(&b);
	return j;
}

/* The first object in text (bare, fenced or among prose) that has key;
 * new reference or NULL. */
json_t *
aas_pl_find_object(const char *text, size_t len, const char *key)
{
	size_t p, q, k, tries = 0;
	json_t *j;

	for (p = 0; p < len && tries < 256; p++) {
		if (text[p] != '{')
			continue;
		for (k = p + 1; k < len && isspace((unsigned char)text[k]); k++)
			;
		if (k == len || text[k] != '"')
			continue;
		tries++;
		if ((q = obj_end(text, len, p)) == 0)
			continue;
		if ((j = load_lenient(text, p, q)) == NULL)
			continue;
		if (json_is_object(j) && json_object_get(j, key) != NULL)
			return j;
		json_decref(j);
	}
	return NULL;
}

static const char *
want_str(json_t *ed, const char *key, size_t i, struct aas_err *e)
{
	json_t *v = json_object_get(ed, key);

	if (!json_is_string(v)) {
		aas_err_set(e, "bad_plan", "edit %zu: \"%s\" is %s", i + 1,
		    key, v == NULL ? "missing" : "not a string");
		return NULL;
	}
	return json_string_value(v);
}

static json_t *
copy_str(json_t *ed, const char *key)
{
	json_t *v = json_object_get(ed, key);

	return aas_json_lossy(json_string_value(v), json_string_length(v));
}

int
aas_plan_parse_json(const char *text, size_t len, json_t *edits,
    json_t *tests, char **summaryp, struct aas_err *e)
{
	json_t *obj, *arr, *ed, *out, *v;
	const char *op;
	size_t i;
	int n = 0;

	if (summaryp != NULL)
		*summaryp = NULL;
	if ((obj = aas_pl_find_object(text, len, "edits")) == NULL)
		return 0;
	arr = json_object_get(obj, "edits");
	if (!json_is_array(arr)) {
		aas_err_set(e, "bad_plan", "\"edits\" is not an array");
		goto fail;
	}
	json_array_foreach(arr, i, ed) {
		if (!json_is_object(ed)) {
			aas_err_set(e, "bad_plan", "edit %zu is not an object",
			    i + 1);
			goto fail;
		}
		if (want_str(ed, "path", i, e) == NULL ||
		    (op = want_str(ed, "op", i, e)) == NULL)
			goto fail;
		out = json_object();
		json_object_set_new(out, "path", copy_str(ed, "path"));
		json_object_set_new(out, "op", json_string(op));
		if (strcmp(op, "write") == 0) {
			if (want_str(ed, "content", i, e) == NULL)
				goto fail_out;
			json_object_set_new(out, "content",
			    copy_str(ed, "content"));
		} else if (strcmp(op, "replace") == 0) {
			if (want_str(ed, "search", i, e) == NULL ||
			    want_str(ed, "replace", i, e) == NULL)
				goto fail_out;
			json_object_set_new(out, "search",
			    copy_str(ed, "search"));
			json_object_set_new(out, "replace",
			    copy_str(ed, "replace"));
		} else if (strcmp(op, "patch") == 0) {
			if (want_str(ed, "diff", i, e) == NULL)
				goto fail_out;
			json_object_set_new(out, "diff", copy_str(ed, "diff"));
		} else if (strcmp(op, "delete") != 0) {
			aas_err_set(e, "bad_plan", "edit %zu: unknown op '%s'",
			    i + 1, op);
			goto fail_out;
		}
		json_array_append_new(edits, out);
		n++;
		continue;
fail_out:
		json_decref(out);
		goto fail;
	}
	if ((v = json_object_get(obj, "tests")) != NULL && tests != NULL) {
		if (!json_is_array(v)) {
			aas_err_set(e, "bad_plan", "\"tests\" is not an array");
			goto fail;
		}
		json_array_foreach(v, i, ed) {
			if (!json_is_string(ed)) {
				aas_err_set(e, "bad_plan", "tests[%zu] is not "
				    "a string", i);
				goto fail;
			}
			json_array_append_new(tests, aas_json_lossy(
			    json_string_value(ed), json_string_length(ed)));
		}
	}
	v = json_object_get(obj, "summary");
	if (json_is_string(v) && summaryp != NULL)
		*summaryp = aas_xstrndup(json_string_value(v),
		    json_string_length(v));
	json_decref(obj);
	return n;
fail:
	json_decref(obj);
	return -1;
}
