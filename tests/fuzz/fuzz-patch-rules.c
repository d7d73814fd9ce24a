/*
 * fuzz-patch-rules.c: the matcher with the ambiguity rules and the
 * refusal data (aas_patch_replace_ctx).
 * Input: AFTER ALIKE (one byte each) TEXT "\0" SEARCH "\0" REPLACE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "patch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_patch_ctx c;
	struct aas_patch_res res;
	struct aas_err e;
	char *buf, *search, *replace, *p;
	size_t tlen, i, lines = 0;

	if (size < 2)
		return 0;
	c.after = data[0] % 32;
	c.alike = data[1] % 8;
	data += 2;
	size -= 2;
	if ((buf = malloc(size + 3)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	p = memchr(buf, '\0', size + 1);
	tlen = (size_t)(p - buf);
	search = p + 1;
	replace = search + strlen(search) + 1;
	if (replace > buf + size + 2)
		replace = buf + size + 2;
	if (aas_patch_replace_ctx(buf, tlen, search, replace, 1, &c, &res,
	    &e) == 0) {
		for (i = 0; i < res.len; i++)
			lines += res.text[i] == '\n';
		if (res.first > res.last || res.last > lines + 1)
			abort();
	} else {
		if (strcmp(e.code, "ambiguous") == 0 && (res.nwhere < 2 ||
		    res.nwhere > AAS_PATCH_WHERE_MAX || res.nmatch < 2))
			abort();
		if (res.near_last > 0 && (res.near_first >= res.near_last ||
		    res.near_same == 0 || res.near_same > res.near_of))
			abort();
		if (res.near_diff != NULL &&
		    strlen(res.near_diff) > AAS_PATCH_NEAR_MAX)
			abort();
	}
	aas_patch_res_free(&res);
	free(buf);
	return 0;
}
