/* fuzz-recquick.c: aas_rec_parse_quick gives what aas_rec_parse gives
 * on every input: the same status, tree, text and error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_rec a, b;
	struct aas_err ea, eb;
	int ra, rb;

	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ra = aas_rec_parse(&a, (const char *)data, size, &ea);
	rb = aas_rec_parse_quick(&b, (const char *)data, size, &eb);
	if (ra != rb || a.len != b.len || a.bad != b.bad ||
	    (a.len > 0 && memcmp(a.line, b.line, a.len) != 0) ||
	    !json_equal(a.obj, b.obj) || strcmp(ea.msg, eb.msg) != 0 ||
	    strcmp(ea.code, eb.code) != 0)
		abort();
	aas_rec_free(&a);
	aas_rec_free(&b);
	return 0;
}
