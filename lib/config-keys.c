/* config-keys.c: the schema of every configuration key, checked at load. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "git.h"
#include "banned.h"

enum ktype {
	K_SECTION,	/* a mapping of the keys listed under it */
	K_STR,		/* a string */
	K_ENUM,		/* one of the words in choices */
	K_REGEX,	/* a POSIX extended regular expression */
	K_IDENT,	/* a git identity, "Name <email>" */
	K_NUM,		/* a number from min to max */
	K_INT,		/* a whole number from min to max */
	K_BOOL,		/* true or false */
	K_LIST,		/* a list of strings (or one string with F_ONE) */
	K_CHECKS,	/* qa.checks: a list of check mappings */
	K_MAPOF		/* a mapping from any name to the entry NAME.* */
};

#define F_DOC	0x01	/* a key of aas-config(5) */
#define F_NULL	0x02	/* null (an empty value) means the default */
#define F_NONEMPTY 0x04	/* a string or list that must not be empty */
#define F_ONE	0x08	/* a list may also be one string */

struct ckey {
	const char	*path;
	enum ktype	 type;
	unsigned	 flags;
	double		 min, max;
	const char	*choices;	/* K_ENUM: the words, space-separated */
	const char	*desc;		/* K_ENUM: the words for a message */
};

#define GIB	1073741824.0

/* A forge target's section (lib/forge.c reads it): where names the
 * repository or project. */
#define FORGE_KEYS(kind, where) \
	{ kind, K_SECTION, F_NULL, 0, 0, NULL }, \
	{ kind "." where, K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL }, \
	{ kind ".api_url", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL }, \
	{ kind ".remote", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL }, \
	{ kind ".base", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL }, \
	{ kind ".labels", K_LIST, F_DOC | F_ONE, 0, 0, NULL }

static const struct ckey keys[] = {
	{ "board", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "id_pattern", K_REGEX, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "board_max_bytes", K_INT, F_DOC | F_NULL, 16, 4 * GIB, NULL },
	{ "max_record_bytes", K_INT, F_DOC | F_NULL, 16, 4 * GIB, NULL },
	{ "statuses", K_SECTION, F_DOC, 0, 0, NULL },
	{ "statuses.Queued", K_STR, F_NONEMPTY, 0, 0, NULL },
	{ "statuses.In Progress", K_STR, F_NONEMPTY, 0, 0, NULL },
	{ "statuses.Review", K_STR, F_NONEMPTY, 0, 0, NULL },
	{ "statuses.Done", K_STR, F_NONEMPTY, 0, 0, NULL },
	{ "statuses.Failed", K_STR, F_NONEMPTY, 0, 0, NULL },
	{ "statuses.Blocked", K_STR, F_NONEMPTY, 0, 0, NULL },
	{ "model", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "repair_model", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "templates", K_MAPOF, F_DOC | F_NULL, 0, 0, NULL },
	{ "templates.*", K_SECTION, 0, 0, 0, NULL },
	{ "templates.*.model", K_STR, F_NONEMPTY, 0, 0, NULL },
	{ "project", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "provider", K_ENUM, F_DOC | F_NULL, 0, 0, "openai anthropic",
	    "openai or anthropic" },
	{ "base_url", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "key_file", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "template", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "template_file_max", K_INT, F_DOC | F_NULL, 1, 16777216, NULL },
	{ "context", K_SECTION, F_NULL, 0, 0, NULL },
	{ "context.map_budget", K_INT, F_DOC | F_NULL, 0, 1000000, NULL },
	{ "max_tokens", K_INT, F_DOC | F_NULL, 1, 1000000, NULL },
	{ "estimate_output_tokens", K_INT, F_DOC | F_NULL, 0, 1000000, NULL },
	{ "max_attempts", K_INT, F_DOC | F_NULL, 1, 1000, NULL },
	{ "repair", K_SECTION, F_NULL, 0, 0, NULL },
	{ "repair.tail_max", K_INT, F_DOC | F_NULL, 0, GIB, NULL },
	{ "batch", K_SECTION, F_NULL, 0, 0, NULL },
	{ "batch.max_requests", K_INT, F_DOC | F_NULL, 1, 100000, NULL },
	{ "batch.max_bytes", K_INT, F_DOC | F_NULL, 1, 256000000, NULL },
	{ "batch.discount", K_NUM, F_DOC | F_NULL, 0, 1, NULL },
	{ "prices", K_MAPOF, F_DOC | F_NULL, 0, 0, NULL },
	{ "prices.*", K_SECTION, 0, 0, 0, NULL },
	{ "prices.*.input", K_NUM, 0, 0, 1e6, NULL },
	{ "prices.*.output", K_NUM, 0, 0, 1e6, NULL },
	{ "prices.*.cached", K_NUM, 0, 0, 1e6, NULL },
	{ "budget", K_NUM, F_DOC | F_NULL, 0, 1e9, NULL },
	FORGE_KEYS("github", "repository"),
	FORGE_KEYS("gitlab", "project"),
	{ "plan", K_SECTION, F_NULL, 0, 0, NULL },
	{ "plan.test_globs", K_LIST, F_DOC | F_ONE, 0, 0, NULL },
	{ "plan.require_tests", K_BOOL, F_DOC | F_NULL, 0, 0, NULL },
	{ "plan.max_file_bytes", K_INT, F_DOC | F_NULL, 1, GIB, NULL },
	{ "plan.max_subtasks", K_INT, F_DOC | F_NULL, 1, 1000, NULL },
	{ "apply", K_SECTION, F_NULL, 0, 0, NULL },
	{ "apply.base", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "apply.branch_prefix", K_STR, F_DOC | F_NULL, 0, 0, NULL },
	{ "apply.author", K_IDENT, F_DOC | F_NULL, 0, 0, NULL },
	{ "apply.committer", K_IDENT, F_DOC | F_NULL, 0, 0, NULL },
	{ "apply.max_file_bytes", K_INT, F_DOC | F_NULL, 1, GIB, NULL },
	{ "apply.allow_binary", K_BOOL, F_DOC | F_NULL, 0, 0, NULL },
	{ "apply.protected_paths", K_LIST, F_DOC, 0, 0, NULL },
	{ "integration_branch", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0,
	    NULL },
	{ "qa", K_SECTION, F_NULL, 0, 0, NULL },
	{ "qa.checks", K_CHECKS, F_DOC | F_NULL, 0, 0, NULL },
	{ "qa.checks.*", K_SECTION, 0, 0, 0, NULL },
	{ "qa.checks.*.name", K_STR, F_DOC | F_NONEMPTY, 0, 0, NULL },
	{ "qa.checks.*.run", K_STR, F_DOC | F_NONEMPTY, 0, 0, NULL },
	{ "qa.checks.*.argv", K_LIST, F_DOC | F_NONEMPTY, 0, 0, NULL },
	{ "qa.checks.*.timeout", K_NUM, F_DOC, 0.001, 31536000, NULL },
	{ "qa.checks.*.when", K_LIST, F_DOC | F_ONE, 0, 0, NULL },
	{ "qa.checks.*.required", K_BOOL, F_DOC, 0, 0, NULL },
	{ "qa.checks.*.fail_to_pass", K_BOOL, F_DOC, 0, 0, NULL },
	{ "qa.builtin", K_BOOL, F_DOC | F_NULL, 0, 0, NULL },
	{ "qa.sandbox", K_BOOL, F_DOC | F_NULL, 0, 0, NULL },
	{ "qa.output_cap", K_INT, F_DOC | F_NULL, 256, GIB, NULL },
	{ "qa.tail_lines", K_INT, F_DOC | F_NULL, 1, 100000, NULL },
	{ "qa.kill_grace", K_NUM, F_DOC | F_NULL, 0.1, 3600, NULL },
	{ "webhook", K_SECTION, F_NULL, 0, 0, NULL },
	{ "webhook.url", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
	{ "webhook.secret_file", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0,
	    NULL },
	{ "linear", K_SECTION, F_NULL, 0, 0, NULL },
	{ "linear.team", K_STR, F_DOC | F_NULL | F_NONEMPTY, 0, 0, NULL },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

struct vctx {
	const char	*name;		/* file name, or "$VAR" for env */
	json_t		*pos;		/* path -> [line, col, kline, kcol, raw] */
	int		 env;
	struct aas_err	*e;
};

const char *
aas_config_key(size_t i, char *type)
{
	size_t k;

	for (k = 0; k < NKEYS; k++) {
		if (!(keys[k].flags & F_DOC) || i-- != 0)
			continue;
		if (type != NULL)
			*type = keys[k].type == K_NUM ? 'n' :
			    keys[k].type == K_INT ? 'i' :
			    keys[k].type == K_BOOL ? 'b' :
			    keys[k].type == K_LIST ? 'l' :
			    keys[k].type == K_STR || keys[k].type == K_ENUM ||
			    keys[k].type == K_REGEX ||
			    keys[k].type == K_IDENT ? 's' : 'm';
		return keys[k].path;
	}
	return NULL;
}

static const struct ckey *
find_key(const char *pat)
{
	size_t k;

	for (k = 0; k < NKEYS; k++)
		if (strcmp(keys[k].path, pat) == 0)
			return &keys[k];
	return NULL;
}

/* Optimal string alignment distance; large for long strings. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, c, v;
	size_t d[33][33];

	if (la > 32 || lb > 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			c = a[i - 1] != b[j - 1];
			v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + c < v)
				v = d[i - 1][j - 1] + c;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* Is p a proper prefix of w (w typed with letters too many at the end)? */
static int
prefix_of(const char *p, const char *w)
{
	size_t n = strlen(p);

	return n < strlen(w) && strncmp(p, w, n) == 0;
}

/* The one candidate close to word, or NULL (none, or a tie).  Of two
 * equally close, one the word begins with wins ("templatex": template,
 * not templates). */
static const char *
suggest(const char *word, const char *const *cand, size_t n)
{
	size_t i, d, best = 99, lim = strlen(word) <= 4 ? 1 : 2;
	const char *pick = NULL;
	int tie = 0, pp, cp;

	for (i = 0; i < n; i++) {
		d = distance(word, cand[i]);
		if (d < best) {
			best = d;
			pick = cand[i];
			tie = 0;
		} else if (d == best && pick != NULL) {
			pp = prefix_of(pick, word);
			cp = prefix_of(cand[i], word);
			if (cp && !pp) {
				pick = cand[i];
				tie = 0;
			} else if (cp == pp)
				tie = 1;
		}
	}
	return best <= lim && !tie ? pick : NULL;
}

static int
fail(struct vctx *x, const char *path, int at_key, const char *fmt, ...)
{
	json_t *p = json_object_get(x->pos, path);
	size_t line, col;
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->env || p == NULL)
		return aas_err_set(x->e, "config", "%s: %s: %s", x->name, path,
		    msg);
	line = (size_t)json_integer_value(json_array_get(p, 0));
	col = (size_t)json_integer_value(json_array_get(p, 1));
	if (at_key && json_integer_value(json_array_get(p, 2)) > 0) {
		line = (size_t)json_integer_value(json_array_get(p, 2));
		col = (size_t)json_integer_value(json_array_get(p, 3));
	}
	return aas_err_set(x->e, "config", "%s:%zu:%zu: %s: %s", x->name, line,
	    col, path, msg);
}

/* The text a plain scalar was written as, or NULL. */
static const char *
raw_text(struct vctx *x, const char *path)
{
	return json_string_value(json_array_get(json_object_get(x->pos, path),
	    4));
}

static const char *
type_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/*
 * A string value.  A plain scalar that YAML typed (true, 12, 1.5) is taken
 * as the text it was written as: *repl receives the string.
 */
static int
check_str(struct vctx *x, const struct ckey *k, const char *path, json_t *v,
    json_t **repl)
{
	const char *raw;

	if (!json_is_string(v)) {
		raw = json_is_object(v) || json_is_array(v) ? NULL :
		    raw_text(x, path);
		if (raw == NULL)
			return fail(x, path, 0, "expected a string, not %s",
			    type_word(v));
		*repl = json_string(raw);
		v = *repl;
		if (v == NULL)
			return fail(x, path, 0, "not valid UTF-8");
	}
	if ((k->flags & F_NONEMPTY) && *json_string_value(v) == '\0')
		return fail(x, path, 0, "expected a non-empty string");
	return 0;
}

static int
check_enum(struct vctx *x, const struct ckey *k, const char *path,
    const char *s)
{
	const char *cand[8], *pick, *p = k->choices;
	char words[8][32];
	size_t n = 0, w;

	while (*p != '\0' && n < 8) {
		w = strcspn(p, " ");
		if (w >= sizeof(words[0]))
			w = sizeof(words[0]) - 1;
		memcpy(words[n], p, w);
		words[n][w] = '\0';
		if (strcmp(words[n], s) == 0)
			return 0;
		cand[n] = words[n];
		n++;
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	pick = suggest(s, cand, n);
	if (pick != NULL)
		return fail(x, path, 0, "'%s': expected %s (did you mean "
		    "'%s'?)", s, k->desc, pick);
	return fail(x, path, 0, "'%s': expected %s", s, k->desc);
}

static int
check_regex(struct vctx *x, const char *path, const char *s)
{
	char *re = aas_xasprintf("^(%s)$", s), msg[256];
	regex_t r;
	int rc;

	rc = regcomp(&r, re, REG_EXTENDED | REG_NOSUB);
	free(re);
	if (rc == 0) {
		regfree(&r);
		return 0;
	}
	regerror(rc, &r, msg, sizeof(msg));
	return fail(x, path, 0, "'%s': %s", s, msg);
}

static int
check_ident(struct vctx *x, const char *path, const char *s)
{
	struct aas_err ie;

	if (aas_git_ident_check(s, &ie) == 0)
		return 0;
	return fail(x, path, 0, "%s", ie.msg);
}

static int
check_num(struct vctx *x, const struct ckey *k, const char *path, json_t *v)
{
	const char *raw = raw_text(x, path), *s;
	char num[64], *end;
	double d;

	if (json_is_number(v)) {
		d = json_number_value(v);
		if (raw == NULL) {
			snprintf(num, sizeof(num), "%.17g", d);
			raw = num;
		}
	} else if (json_is_string(v) && (x->env || raw != NULL)) {
		/* an environment value, or a plain scalar too large */
		s = json_string_value(v);
		errno = 0;
		d = strtod(s, &end);
		if (*s == '\0' || *end != '\0' || s[strspn(s, " \t")] == '\0')
			return fail(x, path, 0, "expected a number, not '%s'",
			    s);
		raw = s;
		if (errno == ERANGE || !isfinite(d))
			return fail(x, path, 0, "%s: out of range (%.15g to "
			    "%.15g)", raw, k->min, k->max);
	} else
		return fail(x, path, 0, "expected a number, not %s",
		    type_word(v));
	if (isnan(d) || d < k->min || d > k->max)
		return fail(x, path, 0, "%s: out of range (%.15g to %.15g)",
		    raw, k->min, k->max);
	if (k->type == K_INT && d != floor(d))
		return fail(x, path, 0, "%s: expected a whole number", raw);
	return 0;
}

static int check_node(struct vctx *, const char *, const char *, json_t *,
    json_t **);

static int
check_list(struct vctx *x, const struct ckey *k, const char *path, json_t *v)
{
	json_t *it, *repl;
	char *ip;
	size_t i;
	int rc;

	if (json_is_string(v) && (k->flags & F_ONE))
		return 0;
	if (!json_is_array(v))
		return fail(x, path, 0, "expected a list of strings, not %s",
		    type_word(v));
	if ((k->flags & F_NONEMPTY) && json_array_size(v) == 0)
		return fail(x, path, 0, "expected a non-empty list of strings");
	json_array_foreach(v, i, it) {
		ip = aas_xasprintf("%s.%zu", path, i);
		repl = NULL;
		if (json_is_string(it))
			rc = *json_string_value(it) == '\0' ? fail(x, ip, 0,
			    "expected a non-empty string") : 0;
		else {
			rc = raw_text(x, ip) == NULL || json_is_null(it) ?
			    fail(x, ip, 0, "expected a string, not %s",
			    type_word(it)) : 0;
			if (rc == 0) {
				repl = json_string(raw_text(x, ip));
				if (repl == NULL)
					rc = fail(x, ip, 0, "not valid UTF-8");
			}
		}
		free(ip);
		if (rc == -1)
			return -1;
		if (repl != NULL)
			json_array_set_new(v, i, repl);
	}
	return 0;
}

/* The names of the keys directly under pattern pat. */
static size_t
children(const char *pat, const char **out, size_t max)
{
	size_t k, n = 0, len = strlen(pat);
	const char *rest;

	for (k = 0; k < NKEYS && n < max; k++) {
		if (len == 0)
			rest = keys[k].path;
		else if (strncmp(keys[k].path, pat, len) == 0 &&
		    keys[k].path[len] == '.')
			rest = keys[k].path + len + 1;
		else
			continue;
		if (strchr(rest, '.') == NULL && strcmp(rest, "*") != 0)
			out[n++] = rest;
	}
	return n;
}

static int
check_section(struct vctx *x, const char *pat, const char *path, json_t *v)
{
	const char *key, *cand[64], *pick;
	char *cpat, *cpath;
	json_t *cv, *repl;
	size_t n;
	int rc;

	if (!json_is_object(v))
		return fail(x, path, 0, "expected a mapping, not %s",
		    type_word(v));
	json_object_foreach(v, key, cv) {
		cpat = *pat ? aas_xasprintf("%s.%s", pat, key) :
		    aas_xstrdup(key);
		cpath = *path ? aas_xasprintf("%s.%s", path, key) :
		    aas_xstrdup(key);
		if (find_key(cpat) == NULL || strchr(key, '.') != NULL ||
		    strcmp(key, "*") == 0) {
			n = children(pat, cand, 64);
			pick = suggest(key, cand, n);
			if (pick != NULL)
				rc = fail(x, cpath, 1, "unknown key (did you "
				    "mean '%s'?)", pick);
			else
				rc = fail(x, cpath, 1, "unknown key");
		} else {
			repl = NULL;
			rc = check_node(x, cpat, cpath, cv, &repl);
			if (repl != NULL)
				json_object_set_new(v, key, repl);
		}
		free(cpat);
		free(cpath);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
check_checks(struct vctx *x, const char *path, json_t *v)
{
	json_t *c;
	char *ip;
	size_t i;
	int rc;

	if (!json_is_array(v))
		return fail(x, path, 0, "expected a list of checks, not %s",
		    type_word(v));
	json_array_foreach(v, i, c) {
		ip = aas_xasprintf("%s.%zu", path, i);
		if (!json_is_object(c))
			rc = fail(x, ip, 0, "expected a mapping (name, run or "
			    "argv, ...), not %s", type_word(c));
		else if ((rc = check_section(x, "qa.checks.*", ip, c)) == 0) {
			if (json_object_get(c, "name") == NULL)
				rc = fail(x, ip, 0, "a check needs a name");
			else if ((json_object_get(c, "run") == NULL) ==
			    (json_object_get(c, "argv") == NULL))
				rc = fail(x, ip, 0, "a check needs either run "
				    "or argv");
		}
		free(ip);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
check_mapof(struct vctx *x, const char *pat, const char *path, json_t *v)
{
	const char *key;
	char *cpat, *cpath;
	json_t *cv;
	int rc;

	if (!json_is_object(v))
		return fail(x, path, 0, "expected a mapping, not %s",
		    type_word(v));
	cpat = aas_xasprintf("%s.*", pat);
	json_object_foreach(v, key, cv) {
		cpath = aas_xasprintf("%s.%s", path, key);
		rc = check_section(x, cpat, cpath, cv);
		/* a price needs both of its halves */
		if (strcmp(pat, "prices") != 0)
			;
		else if (rc == 0 && json_object_get(cv, "input") == NULL)
			rc = fail(x, cpath, 0, "needs input and output");
		else if (rc == 0 && json_object_get(cv, "output") == NULL)
			rc = fail(x, cpath, 0, "needs input and output");
		free(cpath);
		if (rc == -1) {
			free(cpat);
			return -1;
		}
	}
	free(cpat);
	return 0;
}

static int
check_node(struct vctx *x, const char *pat, const char *path, json_t *v,
    json_t **repl)
{
	const struct ckey *k = find_key(pat);

	if (k == NULL)
		return fail(x, path, 1, "unknown key");
	if (json_is_null(v)) {
		if (k->flags & F_NULL)
			return 0;
		return fail(x, path, 0, "needs a value");
	}
	switch (k->type) {
	case K_SECTION:
		return check_section(x, pat, path, v);
	case K_STR:
		return check_str(x, k, path, v, repl);
	case K_ENUM:
	case K_REGEX:
	case K_IDENT:
		if (check_str(x, k, path, v, repl) == -1)
			return -1;
		if (*repl != NULL)
			v = *repl;
		if (k->type == K_ENUM)
			return check_enum(x, k, path, json_string_value(v));
		if (k->type == K_IDENT)
			return check_ident(x, path, json_string_value(v));
		return check_regex(x, path, json_string_value(v));
	case K_NUM:
	case K_INT:
		return check_num(x, k, path, v);
	case K_BOOL:
		if (!json_is_boolean(v))
			return fail(x, path, 0, "expected true or false, not %s",
			    type_word(v));
		return 0;
	case K_LIST:
		return check_list(x, k, path, v);
	case K_CHECKS:
		return check_checks(x, path, v);
	case K_MAPOF:
		return check_mapof(x, pat, path, v);
	}
	return fail(x, path, 0, "unknown key type");
}

int
aas_config_check(json_t *doc, json_t *pos, const char *name,
    struct aas_err *e)
{
	struct vctx x;

	memset(&x, 0, sizeof(x));
	x.name = name;
	x.pos = pos;
	x.e = e;
	if (doc == NULL)
		return 0;
	return check_section(&x, "", "", doc);
}

int
aas_config_check_env(const char *path, json_t *val, const char *var,
    struct aas_err *e)
{
	struct vctx x;
	json_t *repl = NULL;
	int rc;

	memset(&x, 0, sizeof(x));
	x.name = var;
	x.env = 1;
	x.e = e;
	rc = check_node(&x, path, path, val, &repl);
	json_decref(repl);
	return rc;
}
