/*
 * aas-plan: a model's answer becomes a checked plan of file edits; with
 * --decompose, a goal's answer becomes sub-tasks on the board.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "plan.h"
#include "record.h"
#include "state.h"
#include "banned.h"

static const char usage[] =
    "[-qv] [--require-tests] [--max-file-bytes N] [-c FILE] [--state DIR]";

static struct aas_plan_opts popts;

static int
plan_step(struct aas_rec *rec, void *arg, struct aas_err *e)
{
	json_t *resp = aas_rec_get(rec, "response"), *plan;
	struct aas_err err;

	(void)arg;
	(void)e;
	if (resp == NULL)
		return 0;
	memset(&err, 0, sizeof(err));
	if (aas_plan_from_response(resp, &popts, &plan, &err) == -1) {
		aas_rec_fail_err(rec, "plan", &err);
		return 1;
	}
	aas_rec_set(rec, "plan", plan);
	json_decref(plan);
	return 0;
}

/* plan.test_globs: a list of strings (or one string). */
static int
load_globs(struct aas_config *cf, const char ***globsp, size_t *np,
    struct aas_err *e)
{
	json_t *v = aas_config_get(cf, "plan.test_globs"), *g;
	const char **globs;
	size_t i;

	*globsp = NULL;
	*np = 0;
	if (v == NULL)
		return 0;
	if (json_is_string(v)) {
		globs = aas_xcalloc(2, sizeof(*globs));
		globs[0] = json_string_value(v);
		*globsp = globs;
		*np = 1;
		return 0;
	}
	if (!json_is_array(v))
		return aas_err_set(e, "config", "%s: plan.test_globs: not a "
		    "list", aas_config_where(cf, "plan.test_globs"));
	globs = aas_xcalloc(json_array_size(v) + 1, sizeof(*globs));
	json_array_foreach(v, i, g) {
		if (!json_is_string(g)) {
			free(globs);
			return aas_err_set(e, "config", "%s: plan.test_globs: "
			    "not a list of strings",
			    aas_config_where(cf, "plan.test_globs"));
		}
		globs[i] = json_string_value(g);
	}
	*globsp = globs;
	*np = json_array_size(v);
	return 0;
}

int
main(int argc, char *argv[])
{
	enum { OPT_MAXFILE = 256, OPT_REQTESTS, OPT_STATE, OPT_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-file-bytes", required_argument, NULL, OPT_MAXFILE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "require-tests", no_argument, NULL, OPT_REQTESTS },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct aas_config *cf = NULL;
	struct aas_state *st = NULL;
	struct aas_loop loop;
	struct aas_err e;
	const char *cfgfile = NULL, *statedir = NULL, **globs = NULL;
	char *root, *end, cwd[4096];
	long long maxfile = -1, ll;
	int ch, reqtests = -1, status, b;

	aas_setprogname(argv[0]);
	memset(&e, 0, sizeof(e));
	while ((ch = getopt_long(argc, argv, "c:hqv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgfile = optarg;
			break;
		case 'h':
			aas_print_usage(0, usage);
			return AAS_EXIT_OK;
		case 'q':
			aas_quiet = 1;
			break;
		case 'v':
			aas_verbose = 1;
			break;
		case OPT_MAXFILE:
			maxfile = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || maxfile < 1) {
				aas_msg("--max-file-bytes: not a positive "
				    "number: %s", optarg);
				aas_print_usage(1, usage);
				return AAS_EXIT_USAGE;
			}
			break;
		case OPT_REQTESTS:
			reqtests = 1;
			break;
		case OPT_STATE:
			statedir = optarg;
			break;
		case OPT_VERSION:
			aas_print_version();
			return AAS_EXIT_OK;
		default:
			aas_print_usage(1, usage);
			return AAS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		aas_msg("unexpected operand: %s", argv[optind]);
		aas_print_usage(1, usage);
		return AAS_EXIT_USAGE;
	}

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		aas_warn("getcwd");
		return AAS_EXIT_USAGE;
	}
	root = aas_find_repo_root(cwd);
	if (aas_config_load(&cf, root != NULL ? root : cwd, cfgfile, &e) == -1) {
		aas_msg("%s", e.msg);
		free(root);
		return AAS_EXIT_USAGE;
	}
	free(root);
	if (maxfile == -1) {
		if ((b = aas_config_int(cf, "plan.max_file_bytes", &ll, &e)) ==
		    -1)
			goto config_error;
		if (b == 0 && ll < 1) {
			aas_err_set(&e, "config", "%s: plan.max_file_bytes: "
			    "not a positive number",
			    aas_config_where(cf, "plan.max_file_bytes"));
			goto config_error;
		}
		if (b == 0)
			maxfile = ll;
	}
	if (maxfile > 0)
		popts.max_file = (size_t)maxfile;
	if (reqtests == -1) {
		if ((b = aas_config_bool(cf, "plan.require_tests", &reqtests,
		    &e)) == -1)
			goto config_error;
		if (b == 1)
			reqtests = 0;
	}
	popts.require_tests = reqtests;
	if (load_globs(cf, &globs, &popts.ntest_globs, &e) == -1)
		goto config_error;
	popts.test_globs = globs;

	aas_init();
	if (aas_state_open(&st, statedir, 0, &e) == -1) {
		aas_msg("%s", e.msg);
		aas_fini();
		free(globs);
		aas_config_free(cf);
		return AAS_EXIT_USAGE;
	}
	aas_signals_install();
	memset(&loop, 0, sizeof(loop));
	loop.stage = "plan";
	loop.step = plan_step;
	loop.state = st;
	status = aas_loop_run(&loop, stdin, "stdin", stdout);
	status = aas_finish_output(stdout, status);
	aas_state_close(st);
	aas_fini();
	free(globs);
	aas_config_free(cf);
	return status;

config_error:
	aas_msg("%s", e.msg);
	free(globs);
	aas_config_free(cf);
	return AAS_EXIT_USAGE;
}
