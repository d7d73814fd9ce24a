/* fuzz-path: the path predicate, the quoting of paths in messages and the
 * protected-path guard.  Input: PATH ["\0" FILES ["\0" LIST]], LIST one
 * protected entry a line (no LIST: the default list). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "path.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *end = in + size, *p, *nl;
	const char *files = NULL, *list = NULL;
	struct aas_path_guard *g;
	struct aas_err e;
	json_t *l = NULL, *f = NULL, *s;
	char *path, *q;
	size_t n;

	p = memchr(in, '\0', size);
	n = p != NULL ? (size_t)(p - in) : size;
	path = aas_xstrndup(in, n);
	if (p != NULL) {
		files = p + 1;
		p = memchr(files, '\0', (size_t)(end - files));
		if (p != NULL)
			list = p + 1;
		f = json_stringn(files, (size_t)((p != NULL ? p : end) - files));
	}
	q = aas_path_quote(path);
	if (aas_path_check(path, &e) == 0 && n <= 200 && strcmp(q, path) != 0)
		abort();	/* an accepted path needs no escapes */
	free(q);
	if (list != NULL) {
		l = json_array();
		for (p = list; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				nl = end;
			if ((s = json_stringn(p, (size_t)(nl - p))) != NULL)
				json_array_append_new(l, s);
		}
	}
	if (aas_path_guard_new(l, &g, &e) == 0) {
		aas_path_guard_check(g, f, path, &e);
		aas_path_guard_free(g);
	}
	json_decref(l);
	json_decref(f);
	free(path);
	return 0;
}
