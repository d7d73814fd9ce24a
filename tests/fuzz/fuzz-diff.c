/* fuzz-diff: the unified-diff parser, then the diff applied to a text.
 * Input: TEXT "\0" DIFF (no NUL: the whole input is the diff, applied to
 * a small fixed file). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "patch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char fixed[] = "int\nmain(void)\n{\n\tint a = 1;\n\n"
	    "\treturn a;\n}\n";
	const char *in = (const char *)data, *text = fixed, *diff = in;
	const char *nul = memchr(in, '\0', size);
	size_t tlen = sizeof(fixed) - 1, dlen = size;
	struct aas_patch_res res;
	struct aas_diff d;
	struct aas_err e;

	if (nul != NULL) {
		text = in;
		tlen = (size_t)(nul - in);
		diff = nul + 1;
		dlen = size - tlen - 1;
	}
	if (aas_diff_parse(diff, dlen, &d, &e) == 0 &&
	    aas_patch_apply_diff(text, tlen, &d, &res, &e) == 0)
		aas_patch_res_free(&res);
	aas_diff_free(&d);
	return 0;
}
