/*
 * fuzz-config.c: aas_yaml_parse, the configuration schema (every key of
 * aas-config(5)) and the board's YAML plan reader.  What the schema accepts
 * every reader of the configuration must accept too: a value the schema
 * let through and a reader refuses aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "config.h"
#include "git.h"
#include "price.h"
#include "qa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
readers(const struct aas_config *cf)
{
	struct aas_board_opts bo;
	struct aas_board *b;
	struct aas_qa_conf qc;
	struct aas_price pr;
	struct aas_err e;
	const char *path, *s, *k;
	json_t *v;
	double d;
	long long ll;
	size_t i;
	char t;
	int bl;

	for (i = 0; (path = aas_config_key(i, &t)) != NULL; i++) {
		if (strchr(path, '*') != NULL)
			continue;
		if ((t == 's' && aas_config_str(cf, path, &s, &e) == -1) ||
		    (t == 'n' && aas_config_num(cf, path, &d, &e) == -1) ||
		    (t == 'i' && aas_config_int(cf, path, &ll, &e) == -1) ||
		    (t == 'b' && aas_config_bool(cf, path, &bl, &e) == -1))
			abort();
	}
	if ((aas_config_str(cf, "apply.author", &s, &e) == 0 &&
	    aas_git_ident_check(s, &e) == -1) ||
	    (aas_config_str(cf, "apply.committer", &s, &e) == 0 &&
	    aas_git_ident_check(s, &e) == -1))
		abort();
	if (aas_qa_conf_load(&qc, cf, &e) == -1)
		abort();
	aas_qa_conf_free(&qc);
	if (aas_board_config(cf, NULL, &bo, NULL, &e) == -1)
		abort();
	if (aas_board_parse(&b, "", 0, "x.md", &bo, &e) == -1)
		abort();
	aas_board_free(b);
	json_object_foreach(aas_config_get(cf, "prices"), k, v)
		if (aas_price_lookup(cf, k, &pr, &e) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_config *cf;
	struct aas_err e;
	json_t *out = NULL, *where = json_object();
	char *s;

	if (aas_yaml_parse((const char *)data, size, "fuzz.yml", &out, where,
	    &e) == 0) {
		s = json_dumps(out, JSON_ENCODE_ANY);
		if (out != NULL && s == NULL)
			abort();
		free(s);
	} else if (out != NULL || e.msg[0] == '\0')
		abort();
	json_decref(out);
	json_decref(where);
	memset(&e, 0, sizeof(e));
	if (aas_config_load_text(&cf, (const char *)data, size, "fuzz.yml",
	    &e) == 0) {
		readers(cf);
		aas_config_free(cf);
	} else if (e.msg[0] == '\0' || strcmp(e.code, "config") != 0)
		abort();
	{
		struct aas_board *b;
		size_t i;
		json_t *r;

		if (aas_board_parse(&b, (const char *)data, size, "plan.yaml",
		    NULL, NULL) == 0) {
			for (i = 0; i < aas_board_count(b); i++) {
				r = aas_task_record(b, aas_board_task(b, i));
				if (r == NULL)
					abort();
				json_decref(r);
			}
			aas_board_free(b);
		}
	}
	return 0;
}
