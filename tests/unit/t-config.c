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

/* cfg_err TEXT WANT NAME: aas_config_parse refuses TEXT with message WANT */
static void
cfg_err(const char *text, const char *want, const char *name)
{
	struct aas_err e;
	json_t *out = NULL;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = aas_config_parse(text, strlen(text), "c.yml", &out, NULL, &e);
	ok(rc == -1 && out == NULL && strcmp(e.code, "config") == 0, name);
	is_str(e.msg, want, name);
	json_decref(out);
}

/* cfg_ok TEXT WANT NAME: aas_config_parse takes TEXT as the JSON WANT */
static void
cfg_ok(const char *text, const char *want, const char *name)
{
	struct aas_err e;
	json_t *out = NULL;
	char *s;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = aas_config_parse(text, strlen(text), "c.yml", &out, NULL, &e);
	if (rc == -1)
		diag(e.msg);
	s = rc == 0 ? json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	is_str(s != NULL ? s : "(refused)", want, name);
	free(s);
	json_decref(out);
}

/*
 * Every key of the schema is on aas-config(5): a word of an ".It Cm" line
 * of DESCRIPTION (a check's keys by their own name).  Returns the number
 * missing, each named in a diagnostic.
 */
static int
keys_on_page(const char *page, size_t *nkeys)
{
	FILE *f = fopen(page, "r");
	char line[512], *buf = aas_xstrdup(" "), *nb, *w, msg[600];
	const char *k;
	size_t i;
	int missing = 0, desc = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, ".Sh ", 4) == 0)
			desc = strncmp(line, ".Sh DESCRIPTION", 15) == 0;
		if (!desc || strncmp(line, ".It Cm ", 7) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		nb = aas_xasprintf("%s%s ", buf, line + 7);
		free(buf);
		buf = nb;
	}
	fclose(f);
	for (i = 0; (k = aas_config_key(i, NULL)) != NULL; i++) {
		if (strncmp(k, "qa.checks.*.", 12) == 0)
			k += 12;
		w = aas_xasprintf(" %s ", k);
		if (strstr(buf, w) == NULL) {
			snprintf(msg, sizeof(msg), "%s: not on the page", k);
			diag(msg);
			missing++;
		}
		free(w);
	}
	*nkeys = i;
	free(buf);
	return missing;
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
	plan(78);
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
	write_file(p, "model: user-model\nbudget: 5\nqa:\n  tail_lines: 10\n"
	    "  output_cap: 2048\n");
	free(p);
	p = aas_xasprintf("%s/.aas.yml", dir);
	write_file(p, "# repo\nmodel: repo-model\nqa:\n  tail_lines: 30\n"
	    "template: 12\n");
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
	aas_config_int(cf, "qa.tail_lines", &ll, &e);
	is_int(ll, 30, "mappings merge: repo value");
	aas_config_int(cf, "qa.output_cap", &ll, &e);
	is_int(ll, 2048, "mappings merge: user value kept");
	rc = aas_config_str(cf, "template", &str, &e);
	ok(rc == 0 && strcmp(str, "12") == 0,
	    "a string key takes a plain number as written");
	rc = aas_config_num(cf, "model", &d, &e);
	is_int(rc, -1, "string where a number is wanted");
	p = aas_xasprintf("%s/.aas.yml:2: model: expected a number", dir);
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

	/* the schema (issue 10, items 1, 12, 13, 31) */
	cfg_err("qa:\n  chekcs:\n    - name: x\n      run: make\n",
	    "c.yml:2:3: qa.chekcs: unknown key (did you mean 'checks'?)",
	    "a typo in the qa section");
	cfg_err("budjet: 0.000001\n",
	    "c.yml:1:1: budjet: unknown key (did you mean 'budget'?)",
	    "a typo of budget");
	cfg_err("budget: -1\n",
	    "c.yml:1:9: budget: -1: out of range (0 to 1000000000)",
	    "a negative budget");
	cfg_err("budget: 1e309\n",
	    "c.yml:1:9: budget: 1e309: out of range (0 to 1000000000)",
	    "a budget past a double: out of range");
	cfg_err("template_file_max: 99999999999999\n",
	    "c.yml:1:20: template_file_max: 99999999999999: out of range "
	    "(1 to 16777216)", "a size key has a maximum");
	cfg_err("max_tokens: 1.5\n",
	    "c.yml:1:13: max_tokens: 1.5: expected a whole number",
	    "a whole number");
	cfg_err("budget: \"5\"\n",
	    "c.yml:1:9: budget: expected a number, not a string",
	    "a quoted number is a string");
	cfg_err("id_pattern: \"A-[\"\n",
	    "c.yml:1:13: id_pattern: 'A-[': Unmatched [, [^, [:, [., or [=",
	    "a bad id pattern names file:line:column");
	cfg_err("provider: antropic\n",
	    "c.yml:1:11: provider: 'antropic': expected openai or anthropic "
	    "(did you mean 'anthropic'?)", "a provider not known");
	cfg_err("statuses:\n  done: x\n",
	    "c.yml:2:3: statuses.done: unknown key (did you mean 'Done'?)",
	    "status names exactly");
	cfg_err("statuses:\n", "c.yml:1:10: statuses: needs a value",
	    "null where it is refused");
	cfg_err("qa: []\n", "c.yml:1:5: qa: expected a mapping, not a list",
	    "a section that is not a mapping");
	cfg_err("colour: red\n", "c.yml:1:1: colour: unknown key",
	    "nothing close: no suggestion");
	cfg_err("qa:\n  checks:\n    - name: x\n    - 7\n",
	    "c.yml:3:7: qa.checks.0: a check needs either run or argv",
	    "a check without a command");
	cfg_err("qa:\n  checks:\n    - name: x\n      run: ''\n",
	    "c.yml:4:12: qa.checks.0.run: expected a non-empty string",
	    "an empty command");
	cfg_err("prices:\n  m.1: {input: 1}\n",
	    "c.yml:2:8: prices.m.1: needs input and output",
	    "a price needs input and output");
	cfg_err("apply:\n  protected_paths: .github\n",
	    "c.yml:2:20: apply.protected_paths: expected a list of strings, "
	    "not a string", "protected paths are a list");
	cfg_err("apply:\n  author: nobody\n",
	    "c.yml:2:11: apply.author: 'nobody': not \"Name <email>\"",
	    "a git identity is checked at load");
	cfg_err("board: [a]\n", "c.yml:1:8: board: expected a string, not a "
	    "list", "a list where a string is wanted");
	cfg_ok("qa:\n  checks:\n    - name: t\n      run: true\n",
	    "{\"qa\":{\"checks\":[{\"name\":\"t\",\"run\":\"true\"}]}}",
	    "run: true is the command true");
	cfg_ok("qa:\n  checks:\n    - name: 1.10\n      argv: [sleep, 5]\n"
	    "      when: '*.c'\n",
	    "{\"qa\":{\"checks\":[{\"argv\":[\"sleep\",\"5\"],\"name\":"
	    "\"1.10\",\"when\":\"*.c\"}]}}",
	    "plain scalars of string keys kept as written");
	cfg_ok("budget: 0\nmodel:\nplan: ~\napply:\n  protected_paths: []\n",
	    "{\"apply\":{\"protected_paths\":[]},\"budget\":0,\"model\":null,"
	    "\"plan\":null}", "null leaves a key unset; an empty list");
	{
		const char *src = getenv("AAS_SRC");
		size_t nk = 0;
		char *page = aas_xasprintf("%s/man/aas-config.5",
		    src != NULL ? src : ".");

		is_int(keys_on_page(page, &nk), 0,
		    "every key of the schema is on aas-config(5)");
		ok(nk >= 39, "the schema has its keys");
		free(page);
	}
	setenv("AAS_BUDGET", "-3", 1);
	rc = aas_config_load(&cf, dir, NULL, &e);
	is_int(rc, -1, "an environment value is checked");
	is_str(e.msg, "$AAS_BUDGET: budget: -3: out of range (0 to "
	    "1000000000)", "an environment value out of range");
	setenv("AAS_BUDGET", "1e400", 1);
	rc = aas_config_load(&cf, dir, NULL, &e);
	is_str(rc == -1 ? e.msg : "(loaded)", "$AAS_BUDGET: budget: 1e400: "
	    "out of range (0 to 1000000000)", "an environment value too large");
	unsetenv("AAS_BUDGET");
	{
		json_t *v = json_string("1e400");

		rc = aas_config_load(&cf, dir, NULL, &e);
		aas_config_set(cf, "budget", v, "--max-cost");
		json_decref(v);
		rc = aas_config_num(cf, "budget", &d, &e);
		is_int(rc, -1, "a flag past a double is not a number");
		v = json_real(1e30);
		aas_config_set(cf, "max_tokens", v, "--max-tokens");
		json_decref(v);
		rc = aas_config_int(cf, "max_tokens", &ll, &e);
		is_int(rc, -1, "a whole number past long long refused");
		aas_config_free(cf);
	}

	aas_rmtree(dir, NULL);
	return done_testing();
}
