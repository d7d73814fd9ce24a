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
#include "board.h"
#include "config.h"
#include "plan.h"
#include "record.h"
#include "state.h"
#include "banned.h"

static const char usage[] =
    "[-qv] [--require-tests] [--max-file-bytes N] [-c FILE] [--state DIR]\n"
    "--decompose [-qv] [--board FILE] [-c FILE] [--state DIR]";

static struct aas_plan_opts popts;
static struct aas_board_opts bopts;
static char *board_path;
static long long max_subtasks = AAS_PLAN_MAX_SUBTASKS;

/*
 * One goal's answer: its sub-tasks go on the board and their records
 * (as aas-scan prints them) are written in place of the goal's record;
 * the last one is left in rec for the loop to write.
 */
static int
decompose_step(struct aas_rec *rec, void *arg, struct aas_err *e)
{
	json_t *resp = aas_rec_get(rec, "response"), *text, *subs, *ids,
	    *created, *v, *obj;
	const char *id = aas_rec_str(rec, "id"), *fr;
	struct aas_board *b;
	struct aas_buf msg = AAS_BUF_INIT;
	struct aas_rec out;
	struct aas_err err;
	size_t i, n;

	(void)arg;
	if (resp == NULL)
		return 0;
	memset(&err, 0, sizeof(err));
	fr = json_string_value(json_object_get(resp, "finish_reason"));
	text = json_object_get(resp, "text");
	if (id == NULL) {
		aas_rec_fail(rec, "plan", "bad_subtasks", "the record has no "
		    "id to decompose");
		return 1;
	}
	if (fr != NULL && (strcmp(fr, "length") == 0 ||
	    strcmp(fr, "max_tokens") == 0)) {
		aas_rec_fail(rec, "plan", "truncated", "the answer was cut "
		    "short (finish_reason %s)", fr);
		return 1;
	}
	if ((subs = aas_plan_parse_subtasks(json_string_value(text),
	    json_string_length(text), (size_t)max_subtasks, &err)) == NULL ||
	    aas_plan_decompose(board_path, &bopts, id, subs, &ids, &created,
	    &err) == -1) {
		json_decref(subs);
		aas_rec_fail_err(rec, "plan", &err);
		return 1;
	}
	json_decref(subs);
	if (json_array_size(created) > 0) {
		json_array_foreach(created, i, v)
			aas_buf_printf(&msg, "%s%s", i ? " " : "",
			    json_string_value(v));
		if (!aas_quiet)
			aas_msg("created %s", msg.s);
		aas_buf_free(&msg);
	}
	if (aas_board_load(&b, board_path, &bopts, e) == -1) {
		json_decref(ids);
		json_decref(created);
		return -1;
	}
	n = json_array_size(ids);
	for (i = 0; i < n; i++) {
		const struct aas_task *t = aas_board_find(b,
		    json_string_value(json_array_get(ids, i)));

		if (t == NULL) {
			aas_err_set(e, "board", "%s: %s vanished from the "
			    "board", board_path,
			    json_string_value(json_array_get(ids, i)));
			break;
		}
		obj = aas_task_record(b, t);
		if (i + 1 == n) {
			aas_rec_free(rec);
			aas_rec_from_json(rec, obj);
		} else {
			aas_rec_from_json(&out, obj);
			if (aas_rec_write(stdout, &out) == -1) {
				aas_err_set(e, "io", "write error");
				aas_rec_free(&out);
				json_decref(obj);
				break;
			}
			aas_rec_free(&out);
		}
		json_decref(obj);
	}
	aas_board_free(b);
	json_decref(ids);
	json_decref(created);
	return i == n ? 0 : -1;
}

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
	if (aas_progress_enabled())
		aas_msg("%s: %s, %zu edit%s", aas_rec_where(rec),
		    json_string_value(json_object_get(plan, "format")),
		    json_array_size(json_object_get(plan, "edits")),
		    json_array_size(json_object_get(plan, "edits")) == 1 ?
		    "" : "s");
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
	enum { OPT_BOARD = 256, OPT_DECOMPOSE, OPT_MAXFILE, OPT_REQTESTS,
	    OPT_STATE, OPT_VERSION };
	static const struct option longopts[] = {
		{ "board", required_argument, NULL, OPT_BOARD },
		{ "config", required_argument, NULL, 'c' },
		{ "decompose", no_argument, NULL, OPT_DECOMPOSE },
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
	const char *cfgfile = NULL, *statedir = NULL, **globs = NULL,
	    *boardopt = NULL;
	char *root, *end, cwd[4096];
	long long maxfile = -1, ll;
	int ch, reqtests = -1, status, b, decompose = 0;

	aas_setprogname(argv[0]);
	argv[0] = (char *)aas_progname();	/* getopt names it in messages */
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
		case OPT_BOARD:
			boardopt = optarg;
			break;
		case OPT_DECOMPOSE:
			decompose = 1;
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
	if (boardopt != NULL && !decompose) {
		aas_msg("--board needs --decompose");
		aas_print_usage(1, usage);
		return AAS_EXIT_USAGE;
	}
	if (decompose && (reqtests != -1 || maxfile != -1)) {
		aas_msg("--decompose takes no plan options");
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
	if (decompose) {
		if (aas_board_config(cf, root != NULL ? root : cwd, &bopts,
		    &board_path, &e) == -1) {
			free(root);
			goto config_error;
		}
		if (boardopt != NULL) {
			free(board_path);
			board_path = aas_xstrdup(boardopt);
		}
		if ((b = aas_config_int(cf, "plan.max_subtasks", &ll, &e)) ==
		    -1) {
			free(root);
			goto config_error;
		}
		if (b == 0 && ll < 1) {
			aas_err_set(&e, "config", "%s: plan.max_subtasks: "
			    "not a positive number",
			    aas_config_where(cf, "plan.max_subtasks"));
			free(root);
			goto config_error;
		}
		if (b == 0)
			max_subtasks = ll;
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
	loop.step = decompose ? decompose_step : plan_step;
	loop.state = st;
	status = aas_loop_run(&loop, stdin, "stdin", stdout);
	status = aas_finish_output(stdout, status);
	aas_state_close(st);
	aas_fini();
	free(globs);
	free(board_path);
	aas_config_free(cf);
	return status;

config_error:
	aas_msg("%s", e.msg);
	free(globs);
	free(board_path);
	aas_config_free(cf);
	return AAS_EXIT_USAGE;
}
