/* fuzz-patch: the tolerant search/replace matcher.
 * Input: TEXT "\0" SEARCH "\0" REPLACE (missing parts are empty). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "patch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 3), *search, *replace, *p;
	struct aas_patch_res res;
	struct aas_err e;
	size_t tlen;
	char *out;
	size_t olen;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	p = memchr(buf, '\0', size + 1);
	tlen = (size_t)(p - buf);
	search = p + 1;
	replace = search + strlen(search) + 1;
	if (replace > buf + size + 2)
		replace = buf + size + 2;
	if (aas_patch_replace(buf, tlen, search, replace, 1, &res, &e) == 0)
		aas_patch_res_free(&res);
	out = aas_patch_like_eol(buf, tlen, search, strlen(search), &olen);
	free(out);
	free(buf);
	return 0;
}
