/* t-config.c: YAML parsing, layering, typed getters, error positions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "config.h"
#include "tap.h"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void
yaml_err(const char *text, const char *want, const char *name)
{
	struct aas_err e;
	json_t *out = NULL;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = aas_yaml_parse(text, strlen(text), "c.yml", &out, NULL, &e);
	ok(rc == -1 && out == NULL, name);
	is_str(e.msg, want, name);
}

int
main(void)
{
	char dir[] = "/tmp/t-config.XXXXXX", *p, *s;
	struct aas_config *cf;
	struct aas_err e;
	json_t *out, *where;
	const char *str;
	double d;
	long long ll;
	int b, rc;

	aas_setprogname("t-config");
	plan(29);
	if (mkdtemp(dir) == NULL)
		return 1;

	where = json_object();
	s = "a: 1\nb: \"2\"\nc: [x, 2.5, true, ~]\nd:\n  e: f\n";
	rc = aas_yaml_parse(s, strlen(s), "x.yml", &out, where, &e);
	is_int(rc, 0, "parse a small document");
	s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"a\":1,\"b\":\"2\",\"c\":[\"x\",2.5,true,null],\"d\":"
	    "{\"e\":\"f\"}}", "plain scalars typed, quoted kept strings");
	free(s);
	is_str(json_string_value(json_object_get(where, "d.e")), "x.yml:5",
	    "line of a nested value");
	is_str(json_string_value(json_object_get(where, "c.1")), "x.yml:3",
	    "line of a sequence item");
	json_decref(out);
	json_decref(where);

	rc = aas_yaml_parse("", 0, "x.yml", &out, NULL, &e);
	ok(rc == 0 && out == NULL, "empty document is no config");

	yaml_err("a: 1\na: 2\n", "c.yml:2: duplicate key 'a'", "duplicate key");
	yaml_err("a: [1, 2\nb: 3\n", "c.yml:2: did not find expected ',' or ']'",
	    "syntax error names the line");
	yaml_err("a: &x 1\nb: *x\n", "c.yml:2: aliases are not supported",
	    "aliases refused");
	yaml_err("? [a]\n: 1\n", "c.yml:1: a key must be a plain string",
	    "complex key refused");

	p = aas_xasprintf("%s/home/aas", dir);
	aas_mkdirs(p, 0755, NULL);
	free(p);
	p = aas_xasprintf("%s/home/aas/config.yml", dir);
	write_file(p, "model: user-model\nbudget: 5\nqa:\n  timeout: 10\n"
	    "  jobs: 2\n");
	free(p);
	p = aas_xasprintf("%s/.aas.yml", dir);
	write_file(p, "# repo\nmodel: repo-model\nqa:\n  timeout: 30\n"
	    "price: cheap\n");
	free(p);
	p = aas_xasprintf("%s/home", dir);
	setenv("XDG_CONFIG_HOME", p, 1);
	free(p);
	setenv("AAS_BUDGET", "7.5", 1);
	unsetenv("AAS_CONFIG");
	unsetenv("AAS_MODEL");
	rc = aas_config_load(&cf, dir, NULL, &e);
	is_int(rc, 0, "load layers");
	aas_config_str(cf, "model", &str, &e);
	is_str(str, "repo-model", "repo config beats user config");
	p = aas_xasprintf("%s/.aas.yml:2", dir);
	is_str(aas_config_where(cf, "model"), p, "where: file and line");
	free(p);
	aas_config_num(cf, "budget", &d, &e);
	ok(d == 7.5, "environment beats files");
	is_str(aas_config_where(cf, "budget"), "$AAS_BUDGET",
	    "where: environment variable");
	aas_config_int(cf, "qa.timeout", &ll, &e);
	is_int(ll, 30, "mappings merge: repo value");
	aas_config_int(cf, "qa.jobs", &ll, &e);
	is_int(ll, 2, "mappings merge: user value kept");
	rc = aas_config_num(cf, "price", &d, &e);
	is_int(rc, -1, "string where a number is wanted");
	p = aas_xasprintf("%s/.aas.yml:5: price: expected a number", dir);
	is_str(e.msg, p, "type error names file and line");
	free(p);
	rc = aas_config_bool(cf, "missing.key", &b, &e);
	is_int(rc, 1, "absent value reported as absent");
	{
		json_t *v = json_string("flag-model");

		aas_config_set(cf, "model", v, "--model");
		json_decref(v);
	}
	aas_config_str(cf, "model", &str, &e);
	is_str(str, "flag-model", "flags beat everything");
	is_str(aas_config_where(cf, "model"), "--model", "where: flag");
	aas_config_free(cf);

	p = aas_xasprintf("%s/bad.yml", dir);
	write_file(p, "model: x\n  bad: indent\n");
	rc = aas_config_load(&cf, dir, p, &e);
	is_int(rc, -1, "a broken --config file fails");
	s = aas_xasprintf("%s:2: mapping values are not allowed in this context",
	    p);
	is_str(e.msg, s, "broken config error names file and line");
	free(s);
	free(p);
	rc = aas_config_load(&cf, dir, "/nonexistent/aas.yml", &e);
	is_int(rc, -1, "a missing --config file fails");
	is_str(e.code, "config", "error code config");

	aas_rmtree(dir, NULL);
	return done_testing();
}
