/* config.c: YAML configuration in layers, via libyaml. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "aas.h"
#include "config.h"
#include "state.h"
#include "banned.h"

#define MAX_DEPTH	64

struct aas_config {
	json_t	*root;		/* merged tree */
	json_t	*where;		/* dotted path -> origin */
};

struct yp {
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	const char	*name;
	json_t		*where;
	json_t		*pos;		/* path -> [line, col, kline, kcol, raw] */
	size_t		 kline, kcol;	/* the key of the node parsed next */
	struct aas_err	*e;
};

static int
next_event(struct yp *y)
{
	if (!yaml_parser_parse(&y->p, &y->ev))
		return aas_err_set(y->e, "config", "%s:%zu: %s", y->name,
		    y->p.problem_mark.line + 1, y->p.problem != NULL ?
		    y->p.problem : "YAML syntax error");
	return 0;
}

static json_t *
scalar_value(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	char *end;
	long long ll;
	double d;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(s, n);
	if (n == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0)
		return json_null();
	if (strcmp(s, "true") == 0)
		return json_true();
	if (strcmp(s, "false") == 0)
		return json_false();
	if (strspn(s, "+-0123456789") == n && n < 19) {
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_integer(ll);
	}
	if (strspn(s, "+-0123456789.eE") == n && strpbrk(s, "0123456789")) {
		d = strtod(s, &end);
		/* too large for a double: left as text, for the schema to
		 * call out of range */
		if (*end == '\0' && isfinite(d))
			return json_real(d);
	}
	return json_stringn(s, n);
}

static int parse_node(struct yp *, const char *, int, json_t **);

static char *
child_path(const char *path, const char *key)
{
	return *path ? aas_xasprintf("%s.%s", path, key) : aas_xstrdup(key);
}

static int
parse_mapping(struct yp *y, const char *path, int depth, json_t **out)
{
	json_t *m = json_object(), *v;
	char *key, *cp;
	size_t line, kcol;

	for (;;) {
		if (next_event(y) == -1)
			goto fail;
		if (y->ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&y->ev);
			*out = m;
			return 0;
		}
		line = y->ev.start_mark.line + 1;
		if (y->ev.type != YAML_SCALAR_EVENT) {
			aas_err_set(y->e, "config", "%s:%zu: a key must be a "
			    "plain string", y->name, line);
			yaml_event_delete(&y->ev);
			goto fail;
		}
		key = aas_xstrndup((char *)y->ev.data.scalar.value,
		    y->ev.data.scalar.length);
		kcol = y->ev.start_mark.column + 1;
		yaml_event_delete(&y->ev);
		if (json_object_get(m, key) != NULL) {
			aas_err_set(y->e, "config", "%s:%zu: duplicate key "
			    "'%s'", y->name, line, key);
			free(key);
			goto fail;
		}
		cp = child_path(path, key);
		y->kline = line;
		y->kcol = kcol;
		if (parse_node(y, cp, depth + 1, &v) == -1) {
			free(cp);
			free(key);
			goto fail;
		}
		json_object_set_new(m, key, v);
		free(cp);
		free(key);
	}
fail:
	json_decref(m);
	return -1;
}

static int
parse_sequence(struct yp *y, const char *path, int depth, json_t **out)
{
	json_t *a = json_array(), *v;
	char idx[32], *cp;

	for (;;) {
		if (next_event(y) == -1)
			goto fail;
		if (y->ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&y->ev);
			*out = a;
			return 0;
		}
		snprintf(idx, sizeof(idx), "%zu", json_array_size(a));
		cp = child_path(path, idx);
		/* parse_node_event consumes the event already read */
		if (parse_node(y, cp, -(depth + 1), &v) == -1) {
			free(cp);
			goto fail;
		}
		free(cp);
		json_array_append_new(a, v);
	}
fail:
	json_decref(a);
	return -1;
}

/*
 * Parse one node.  A negative depth means the node's first event has
 * already been read into y->ev (sequences read ahead to spot their end).
 */
static int
parse_node(struct yp *y, const char *path, int depth, json_t **out)
{
	size_t line;
	int rc;

	if (depth >= 0) {
		if (next_event(y) == -1)
			return -1;
	} else
		depth = -depth;
	line = y->ev.start_mark.line + 1;
	if (depth > MAX_DEPTH) {
		yaml_event_delete(&y->ev);
		return aas_err_set(y->e, "config", "%s:%zu: nested too deeply",
		    y->name, line);
	}
	if (y->where != NULL && *path) {
		char *w = aas_xasprintf("%s:%zu", y->name, line);

		json_object_set_new(y->where, path, json_string(w));
		free(w);
	}
	if (y->pos != NULL && *path) {
		json_t *p = json_pack("[IIII]", (json_int_t)line,
		    (json_int_t)y->ev.start_mark.column + 1,
		    (json_int_t)y->kline, (json_int_t)y->kcol);

		if (y->ev.type == YAML_SCALAR_EVENT &&
		    y->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			json_array_append_new(p, json_stringn((const char *)
			    y->ev.data.scalar.value, y->ev.data.scalar.length));
		json_object_set_new(y->pos, path, p);
	}
	y->kline = y->kcol = 0;
	switch (y->ev.type) {
	case YAML_SCALAR_EVENT:
		*out = scalar_value(&y->ev);
		yaml_event_delete(&y->ev);
		if (*out == NULL)
			return aas_err_set(y->e, "config", "%s:%zu: value is "
			    "not valid UTF-8", y->name, line);
		return 0;
	case YAML_MAPPING_START_EVENT:
		yaml_event_delete(&y->ev);
		rc = parse_mapping(y, path, depth, out);
		return rc;
	case YAML_SEQUENCE_START_EVENT:
		yaml_event_delete(&y->ev);
		return parse_sequence(y, path, depth, out);
	case YAML_ALIAS_EVENT:
		yaml_event_delete(&y->ev);
		return aas_err_set(y->e, "config", "%s:%zu: aliases are not "
		    "supported", y->name, line);
	default:
		yaml_event_delete(&y->ev);
		return aas_err_set(y->e, "config", "%s:%zu: unexpected YAML "
		    "event", y->name, line);
	}
}

static int
yaml_parse(const char *text, size_t len, const char *name, json_t **out,
    json_t *where, json_t *pos, struct aas_err *e)
{
	struct yp y;
	json_t *doc = NULL;
	int rc = -1;

	memset(&y, 0, sizeof(y));
	y.name = name;
	y.where = where;
	y.pos = pos;
	y.e = e;
	*out = NULL;
	if (!yaml_parser_initialize(&y.p))
		return aas_err_set(e, "config", "%s: cannot start YAML parser",
		    name);
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
	if (next_event(&y) == -1)
		goto out;
	yaml_event_delete(&y.ev);	/* stream start */
	if (next_event(&y) == -1)
		goto out;
	if (y.ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&y.ev);
		rc = 0;
		goto out;
	}
	yaml_event_delete(&y.ev);	/* document start */
	if (parse_node(&y, "", 0, &doc) == -1)
		goto out;
	if (next_event(&y) == -1)
		goto out;
	yaml_event_delete(&y.ev);	/* document end */
	if (next_event(&y) == -1)
		goto out;
	if (y.ev.type != YAML_STREAM_END_EVENT) {
		aas_err_set(e, "config", "%s:%zu: only one YAML document is "
		    "allowed", name, y.ev.start_mark.line + 1);
		yaml_event_delete(&y.ev);
		goto out;
	}
	yaml_event_delete(&y.ev);
	if (json_is_null(doc)) {
		json_decref(doc);
		doc = NULL;
	}
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	json_decref(doc);
	yaml_parser_delete(&y.p);
	return rc;
}

int
aas_yaml_parse(const char *text, size_t len, const char *name, json_t **out,
    json_t *where, struct aas_err *e)
{
	return yaml_parse(text, len, name, out, where, NULL, e);
}

int
aas_config_parse(const char *text, size_t len, const char *name,
    json_t **out, json_t *where, struct aas_err *e)
{
	json_t *pos = json_object(), *doc;

	*out = NULL;
	if (yaml_parse(text, len, name, &doc, where, pos, e) == -1) {
		json_decref(pos);
		return -1;
	}
	if (doc != NULL && !json_is_object(doc)) {
		json_decref(doc);
		json_decref(pos);
		return aas_err_set(e, "config", "%s:1: the top level must be a "
		    "mapping of keys", name);
	}
	if (aas_config_check(doc, pos, name, e) == -1) {
		json_decref(doc);
		json_decref(pos);
		return -1;
	}
	json_decref(pos);
	*out = doc;
	return 0;
}

/* Overlay src onto dst: mappings merge, everything else replaces. */
static void
merge(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v, *d;

	json_object_foreach(src, k, v) {
		d = json_object_get(dst, k);
		if (json_is_object(d) && json_is_object(v))
			merge(d, v);
		else
			json_object_set(dst, k, v);
	}
}

static void
drop_where_under(json_t *where, const char *path)
{
	size_t n = strlen(path);
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(where, tmp, k, v) {
		if (strncmp(k, path, n) == 0 && (k[n] == '.' || k[n] == '\0'))
			json_object_del(where, k);
	}
}

static int
load_layer(struct aas_config *cf, const char *path, int must_exist,
    struct aas_err *e)
{
	json_t *doc, *where = json_object();
	const char *k;
	json_t *v;
	size_t len;
	char *text;

	if (!must_exist && access(path, F_OK) == -1 && errno == ENOENT) {
		json_decref(where);
		return 0;
	}
	if (aas_read_file(path, &text, &len, e) == -1) {
		json_decref(where);
		snprintf(e->code, sizeof(e->code), "config");
		return -1;
	}
	if (aas_config_parse(text, len, path, &doc, where, e) == -1) {
		free(text);
		json_decref(where);
		return -1;
	}
	free(text);
	if (doc != NULL) {
		json_object_foreach(doc, k, v)
			if (!json_is_object(v))
				drop_where_under(cf->where, k);
		merge(cf->root, doc);
		merge(cf->where, where);
	}
	json_decref(doc);
	json_decref(where);
	return 0;
}

static const struct {
	const char *var, *path;
} envmap[] = {
	{ "AAS_BOARD", "board" },
	{ "AAS_BUDGET", "budget" },
	{ "AAS_MODEL", "model" },
	{ "AAS_PROVIDER", "provider" },
};

int
aas_config_load(struct aas_config **cfp, const char *root, const char *file,
    struct aas_err *e)
{
	struct aas_config *cf = aas_xcalloc(1, sizeof(*cf));
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const char *env;
	char *path = NULL;
	json_t *v;
	size_t i;

	cf->root = json_object();
	cf->where = json_object();
	if (xdg != NULL && *xdg != '\0')
		path = aas_xasprintf("%s/aas/config.yml", xdg);
	else if (home != NULL && *home != '\0')
		path = aas_xasprintf("%s/.config/aas/config.yml", home);
	if (path != NULL && load_layer(cf, path, 0, e) == -1)
		goto fail;
	free(path);
	path = NULL;
	if (file == NULL)
		file = getenv("AAS_CONFIG");
	if (file != NULL && *file != '\0') {
		if (load_layer(cf, file, 1, e) == -1)
			goto fail;
	} else if (root != NULL) {
		path = aas_xasprintf("%s/.aas.yml", root);
		if (load_layer(cf, path, 0, e) == -1)
			goto fail;
		free(path);
		path = NULL;
	}
	for (i = 0; i < sizeof(envmap) / sizeof(envmap[0]); i++) {
		env = getenv(envmap[i].var);
		if (env == NULL || *env == '\0')
			continue;
		v = json_string(env);
		if (v == NULL) {
			aas_err_set(e, "config", "$%s: not valid UTF-8",
			    envmap[i].var);
			goto fail;
		}
		path = aas_xasprintf("$%s", envmap[i].var);
		if (aas_config_check_env(envmap[i].path, v, path, e) == -1) {
			json_decref(v);
			goto fail;
		}
		aas_config_set(cf, envmap[i].path, v, path);
		json_decref(v);
		free(path);
		path = NULL;
	}
	*cfp = cf;
	return 0;
fail:
	free(path);
	aas_config_free(cf);
	return -1;
}

int
aas_config_load_text(struct aas_config **cfp, const char *text, size_t len,
    const char *name, struct aas_err *e)
{
	struct aas_config *cf;
	json_t *doc, *where = json_object();

	if (aas_config_parse(text, len, name, &doc, where, e) == -1) {
		json_decref(where);
		return -1;
	}
	cf = aas_xcalloc(1, sizeof(*cf));
	cf->root = doc != NULL ? doc : json_object();
	cf->where = where;
	*cfp = cf;
	return 0;
}

void
aas_config_free(struct aas_config *cf)
{
	if (cf == NULL)
		return;
	json_decref(cf->root);
	json_decref(cf->where);
	free(cf);
}

void
aas_config_set(struct aas_config *cf, const char *path, json_t *val,
    const char *origin)
{
	json_t *node = cf->root, *next;
	const char *p = path, *dot;
	char *part;

	while ((dot = strchr(p, '.')) != NULL) {
		part = aas_xstrndup(p, (size_t)(dot - p));
		next = json_object_get(node, part);
		if (!json_is_object(next)) {
			next = json_object();
			json_object_set_new(node, part, next);
		}
		free(part);
		node = next;
		p = dot + 1;
	}
	json_object_set(node, p, val);
	drop_where_under(cf->where, path);
	json_object_set_new(cf->where, path, json_string(origin));
}

json_t *
aas_config_get(const struct aas_config *cf, const char *path)
{
	json_t *node = cf->root;
	const char *p = path, *dot;
	char *part;
	size_t n;

	while (node != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		part = aas_xstrndup(p, n);
		if (json_is_array(node))
			node = json_array_get(node, strtoul(part, NULL, 10));
		else
			node = json_object_get(node, part);
		free(part);
		p += n + (dot != NULL);
	}
	return node;
}

const char *
aas_config_where(const struct aas_config *cf, const char *path)
{
	const char *w = json_string_value(json_object_get(cf->where, path));

	return w != NULL ? w : "default";
}

static int
wrong_type(const struct aas_config *cf, const char *path, const char *want,
    struct aas_err *e)
{
	return aas_err_set(e, "config", "%s: %s: expected %s",
	    aas_config_where(cf, path), path, want);
}

int
aas_config_str(const struct aas_config *cf, const char *path,
    const char **out, struct aas_err *e)
{
	json_t *v = aas_config_get(cf, path);

	if (v == NULL || json_is_null(v))
		return 1;
	if (!json_is_string(v))
		return wrong_type(cf, path, "a string", e);
	*out = json_string_value(v);
	return 0;
}

int
aas_config_num(const struct aas_config *cf, const char *path, double *out,
    struct aas_err *e)
{
	json_t *v = aas_config_get(cf, path);
	const char *s;
	char *end;
	double d;

	if (v == NULL || json_is_null(v))
		return 1;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	/* values from flags and the environment arrive as strings */
	if (json_is_string(v)) {
		s = json_string_value(v);
		d = strtod(s, &end);
		if (*s != '\0' && *end == '\0' && isfinite(d)) {
			*out = d;
			return 0;
		}
	}
	return wrong_type(cf, path, "a number", e);
}

int
aas_config_int(const struct aas_config *cf, const char *path,
    long long *out, struct aas_err *e)
{
	double d;
	int rc = aas_config_num(cf, path, &d, e);

	if (rc != 0)
		return rc;
	/* range first: a cast of a double past long long is undefined */
	if (!(d >= -9.2e18 && d <= 9.2e18) || d != (double)(long long)d)
		return wrong_type(cf, path, "a whole number", e);
	*out = (long long)d;
	return 0;
}

int
aas_config_bool(const struct aas_config *cf, const char *path, int *out,
    struct aas_err *e)
{
	json_t *v = aas_config_get(cf, path);
	const char *s;

	if (v == NULL || json_is_null(v))
		return 1;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	s = json_string_value(v);
	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
	    strcmp(s, "yes") == 0)) {
		*out = 1;
		return 0;
	}
	if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 ||
	    strcmp(s, "no") == 0)) {
		*out = 0;
		return 0;
	}
	return wrong_type(cf, path, "true or false", e);
}
