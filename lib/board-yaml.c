/* board-yaml.c: YAML plans read as boards (read-only).  See board.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "board-int.h"
#include "config.h"
#include "banned.h"

static char *
yaml_scalar(json_t *v)
{
	if (json_is_string(v))
		return aas_xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return aas_xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return aas_xasprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return aas_xstrdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

static size_t
where_line(json_t *where, const char *path)
{
	const char *w = json_string_value(json_object_get(where, path)), *c;

	if (w == NULL || (c = strrchr(w, ':')) == NULL)
		return 0;
	return (size_t)strtoul(c + 1, NULL, 10);
}

static int
yaml_item(struct aas_board *b, json_t *it, const char *path, json_t *where,
    struct aas_err *e)
{
	struct aas_task *t;
	struct tinfo *in;
	const char *k;
	json_t *v, *x;
	size_t line = where_line(where, path), i;
	char *s, *dump;

	if (!json_is_object(it))
		return aas_err_set(e, "board", "%s:%zu: a feature must be a "
		    "mapping", b->name, line);
	if ((s = yaml_scalar(json_object_get(it, "id"))) == NULL || *s == '\0')
	{
		free(s);
		return aas_err_set(e, "board", "%s:%zu: a feature needs an id",
		    b->name, line);
	}
	t = aas_bd_new_task(b, &in);
	t->id = s;
	t->line = line;
	t->layout = AAS_LAYOUT_HEADING;
	json_object_foreach(it, k, v) {
		if (strcmp(k, "id") == 0)
			continue;
		if (strcmp(k, "depends") == 0 || strcmp(k, "depends_on") == 0 ||
		    strcmp(k, "deps") == 0) {
			if (json_is_array(v)) {
				json_array_foreach(v, i, x) {
					if ((s = yaml_scalar(x)) == NULL)
						continue;
					aas_bd_parse_deps(t, s);
					free(s);
				}
			} else if ((s = yaml_scalar(v)) != NULL) {
				aas_bd_parse_deps(t, s);
				free(s);
			}
			continue;
		}
		if (strcmp(k, "description") == 0 || strcmp(k, "body") == 0) {
			if ((s = yaml_scalar(v)) != NULL) {
				free(t->body);
				t->body = aas_bd_block_body(s, 0, strlen(s));
				free(s);
			}
			continue;
		}
		if (strcmp(k, "title") == 0 || strcmp(k, "status") == 0 ||
		    strcmp(k, "parent") == 0 || strcmp(k, "priority") == 0) {
			if ((s = yaml_scalar(v)) != NULL) {
				aas_bd_task_value(t, k, s, 1);
				free(s);
			}
			continue;
		}
		json_object_set(t->fields, k, v);
	}
	dump = json_dumps(it, JSON_COMPACT | JSON_SORT_KEYS);
	aas_bd_task_defaults(b, t);
	aas_sha256_hex(dump != NULL ? dump : "", dump != NULL ? strlen(dump) :
	    0, t->sha);
	free(dump);
	return 0;
}

int
aas_bd_parse_yaml(struct aas_board *b, struct aas_err *e)
{
	json_t *doc = NULL, *where = json_object(), *list, *it;
	const char *prefix = "";
	char *path;
	size_t i;
	int rc = 0;

	b->yaml = 1;
	b->eol = "\n";
	if (aas_yaml_parse(b->text, b->len, b->name, &doc, where, e) == -1) {
		json_decref(where);
		if (e != NULL)
			snprintf(e->code, sizeof(e->code), "board");
		return -1;
	}
	list = doc;
	if (json_is_object(doc)) {
		list = json_object_get(doc, "features");
		prefix = "features.";
	}
	if (doc != NULL && !json_is_array(list)) {
		json_decref(doc);
		json_decref(where);
		return aas_err_set(e, "board", "%s:1: a plan is a list of "
		    "features, or a mapping with a features: list", b->name);
	}
	json_array_foreach(list, i, it) {
		path = aas_xasprintf("%s%zu", prefix, i);
		rc = yaml_item(b, it, path, where, e);
		free(path);
		if (rc == -1)
			break;
	}
	json_decref(doc);
	json_decref(where);
	if (rc == 0) {
		aas_bd_hash_build(b);
		aas_bd_mark_dups(b);
	}
	return rc;
}

int
aas_bd_is_yaml_name(const char *path)
{
	size_t n = strlen(path);

	return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}
