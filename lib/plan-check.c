/*
 * plan-check.c: the checks of a plan: paths, sizes, tests.  See plan.h.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aas.h"
#include "plan.h"
#include "plan-int.h"
#include "banned.h"

const char *const aas_plan_default_test_globs[] = {
	"tests/*", "test/*", "t/*", "*/tests/*", "*/test/*", "*/t/*",
	"*_test.*", "test_*.py", "*.test.*", "*_spec.*", NULL
};

char *
aas_plan_check_path(const char *path, size_t len, struct aas_err *e)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t i = 0, j, *stack = NULL, depth = 0;

	if (len == 0) {
		aas_err_set(e, "bad_path", "empty path");
		return NULL;
	}
	if (memchr(path, '\0', len) != NULL) {
		aas_err_set(e, "bad_path", "path contains a NUL byte");
		return NULL;
	}
	if (len > AAS_PLAN_MAX_PATH) {
		aas_err_set(e, "bad_path", "path longer than %d bytes",
		    AAS_PLAN_MAX_PATH);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f) {
			aas_err_set(e, "bad_path", "refusing path '%.*s': "
			    "control character", (int)len, path);
			return NULL;
		}
		if (path[i] == '\\') {
			aas_err_set(e, "bad_path", "refusing path '%.*s': "
			    "backslash", (int)len, path);
			return NULL;
		}
	}
	if (path[0] == '/') {
		aas_err_set(e, "bad_path", "refusing path '%.*s': absolute",
		    (int)len, path);
		return NULL;
	}
	stack = aas_xreallocarray(NULL, len + 1, sizeof(*stack));
	aas_buf_add(&b, "", 0);
	for (i = 0; i < len; i = j + 1) {
		const char *c = path + i;
		size_t cn, k;

		for (j = i; j < len && path[j] != '/'; j++)
			;
		cn = j - i;
		if (cn == 0 || (cn == 1 && c[0] == '.'))
			continue;
		if (cn == 2 && c[0] == '.' && c[1] == '.') {
			if (depth == 0) {
				aas_err_set(e, "path_escape", "refusing path "
				    "'%.*s': outside the repository",
				    (int)len, path);
				goto fail;
			}
			b.len = stack[--depth];
			b.s[b.len] = '\0';
			continue;
		}
		/* " ..", ". " and the like are "." and ".." to Windows */
		for (k = 0; k < cn && (c[k] == '.' || c[k] == ' '); k++)
			;
		if (k == cn && memchr(c, ' ', cn) != NULL) {
			aas_err_set(e, "bad_path", "refusing path '%.*s': a "
			    "component of dots and spaces", (int)len, path);
			goto fail;
		}
		/* ".git", any case, and what some file systems take for it
		 * (".git.", ".git ") */
		for (k = cn; k > 4 && (c[k - 1] == '.' || c[k - 1] == ' ');
		    k--)
			;
		if (k == 4 && strncasecmp(c, ".git", 4) == 0) {
			aas_err_set(e, "bad_path", "refusing path '%.*s': "
			    "names .git", (int)len, path);
			goto fail;
		}
		stack[depth++] = b.len;
		if (b.len > 0)
			aas_buf_addc(&b, '/');
		aas_buf_add(&b, c, cn);
	}
	free(stack);
	/* "~/x", "~user/x", "C:x": a home or a drive, wherever the
	 * ".." left them */
	if (b.len > 0 && (b.s[0] == '~' || (b.len >= 2 &&
	    isalpha((unsigned char)b.s[0]) && b.s[1] == ':'))) {
		aas_err_set(e, "bad_path", "refusing path '%.*s': absolute",
		    (int)len, path);
		aas_buf_free(&b);
		return NULL;
	}
	if (b.len == 0) {
		aas_err_set(e, "bad_path", "refusing path '%.*s': names the "
		    "repository itself", (int)len, path);
		aas_buf_free(&b);
		return NULL;
	}
	return aas_buf_detach(&b, NULL);
fail:
	free(stack);
	aas_buf_free(&b);
	return NULL;
}

int
aas_plan_is_test(const char *path, const struct aas_plan_opts *o)
{
	const char *const *g = aas_plan_default_test_globs;
	const char *base = strrchr(path, '/');
	size_t n = SIZE_MAX, i;

	if (o != NULL && o->test_globs != NULL) {
		g = o->test_globs;
		n = o->ntest_globs;
	}
	base = base != NULL ? base + 1 : path;
	for (i = 0; i < n && g[i] != NULL; i++) {
		if (fnmatch(g[i], path, 0) == 0)
			return 1;
		if (strchr(g[i], '/') == NULL && fnmatch(g[i], base, 0) == 0)
			return 1;
	}
	return 0;
}

static int
check_text(json_t *ed, const char *key, size_t i, const char *path,
    size_t max, struct aas_err *e)
{
	json_t *v = json_object_get(ed, key);
	size_t n;

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return aas_err_set(e, "bad_plan", "edit %zu: \"%s\" is not a "
		    "string", i + 1, key);
	n = json_string_length(v);
	if (memchr(json_string_value(v), '\0', n) != NULL)
		return aas_err_set(e, "nul_byte", "%s: %s holds a NUL byte",
		    path, key);
	if (n > max)
		return aas_err_set(e, "too_large", "%s: %s is %zu bytes, "
		    "over the limit of %zu", path, key, n, max);
	return 0;
}

static void
add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return;
	json_array_append_new(arr, json_string(s));
}

int
aas_plan_check(json_t *plan, const struct aas_plan_opts *o,
    struct aas_err *e)
{
	json_t *edits = json_object_get(plan, "edits"), *named, *tests, *ed, *v;
	size_t max = o != NULL && o->max_file > 0 ? o->max_file :
	    AAS_PLAN_MAX_FILE, i;
	const char *op;
	char *norm;
	int changes_test = 0;

	if (!json_is_array(edits))
		return aas_err_set(e, "bad_plan", "\"edits\" is missing");
	if (json_array_size(edits) == 0)
		return aas_err_set(e, "empty_plan", "the answer holds no "
		    "edits");
	if (json_array_size(edits) > AAS_PLAN_MAX_EDITS)
		return aas_err_set(e, "too_large", "%zu edits, over the limit "
		    "of %d", json_array_size(edits), AAS_PLAN_MAX_EDITS);
	tests = json_array();
	json_array_foreach(edits, i, ed) {
		v = json_object_get(ed, "path");
		if ((norm = aas_plan_check_path(json_string_value(v),
		    json_string_length(v), e)) == NULL)
			goto fail;
		json_object_set_new(ed, "path", json_string(norm));
		op = json_string_value(json_object_get(ed, "op"));
		if (check_text(ed, "content", i, norm, max, e) == -1 ||
		    check_text(ed, "search", i, norm, max, e) == -1 ||
		    check_text(ed, "replace", i, norm, max, e) == -1 ||
		    check_text(ed, "diff", i, norm, max, e) == -1) {
			free(norm);
			goto fail;
		}
		if (aas_plan_is_test(norm, o) && op != NULL &&
		    strcmp(op, "delete") != 0)
			changes_test = 1;
		free(norm);
	}
	named = json_object_get(plan, "tests");
	json_array_foreach(named, i, v) {
		if ((norm = aas_plan_check_path(json_string_value(v),
		    json_string_length(v), e)) == NULL) {
			aas_err_prefix(e, "tests[%zu]", i);
			goto fail;
		}
		add_unique(tests, norm);
		free(norm);
	}
	json_array_foreach(edits, i, ed) {
		const char *p = json_string_value(json_object_get(ed, "path"));

		if (aas_plan_is_test(p, o))
			add_unique(tests, p);
	}
	if (o != NULL && o->require_tests && !changes_test) {
		aas_err_set(e, "no_tests", "the plan adds or changes no test "
		    "file");
		goto fail;
	}
	json_object_set_new(plan, "tests", tests);
	return 0;
fail:
	json_decref(tests);
	return -1;
}
