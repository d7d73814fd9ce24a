/*
 * aas-plan: a model's answer becomes a checked plan of file edits; with
 * --decompose, a goal's answer becomes sub-tasks on the board.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "cmd.h"
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

	if (resp == NULL || aas_rec_get(rec, "plan") != NULL)
		return 0;	/* nothing to plan, or planned already */
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
			if (aas_loop_emit(arg, &out, e) == -1) {
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
	if (resp == NULL || aas_rec_get(rec, "plan") != NULL)
		return 0;	/* nothing to plan, or planned already */
	memset(&err, 0, sizeof(err));
	if (aas_plan_from_response(resp, &popts, &plan, &err) == -1) {
		aas_rec_fail_err(rec, "plan", &err);
		if (strcmp(err.code, "empty_plan") == 0 &&
		    json_string_length(json_object_get(resp, "text")) > 0) {
			/* what was looked for (aas-plan(1)) */
			json_t *er = json_deep_copy(aas_rec_get(rec, "error"));
			json_t *t = json_object_get(resp, "text");
			json_t *why = aas_plan_explain(json_string_value(t),
			    json_string_length(t));

			json_object_update_missing(er, why);
			aas_rec_set(rec, "error", er);
			json_decref(why);
			json_decref(er);
		}
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

static int decompose;
static long long maxfile = -1;
static int reqtests = -1;
static const char *boardopt;
static const char **globs;

enum { OPT_BOARD = 256, OPT_DECOMPOSE, OPT_MAXFILE, OPT_REQTESTS };

static int
option(struct aas_cmd *c, int ch, const char *arg, struct aas_err *e)
{
	char *end;

	(void)c;
	switch (ch) {
	case OPT_BOARD:
		boardopt = arg;
		return 0;
	case OPT_DECOMPOSE:
		decompose = 1;
		return 0;
	case OPT_MAXFILE:
		maxfile = strtoll(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || maxfile < 1)
			return aas_err_set(e, "usage", "--max-file-bytes: not "
			    "a positive number: %s", arg);
		return 0;
	case OPT_REQTESTS:
		reqtests = 1;
		return 0;
	}
	return aas_err_set(e, "usage", "unknown option");
}

static struct aas_loop loop = { .stage = "plan", .arg = &loop };

static int
operands(struct aas_cmd *c, int argc, char **argv, struct aas_err *e)
{
	(void)c, (void)argc, (void)argv;
	loop.step = decompose ? decompose_step : plan_step;
	if (boardopt != NULL && !decompose)
		return aas_err_set(e, "usage", "--board needs --decompose");
	if (decompose && (reqtests != -1 || maxfile != -1))
		return aas_err_set(e, "usage", "--decompose takes no plan "
		    "options");
	return 0;
}

/* A positive integer at path, if set: 0 (*out set or untouched) or -1. */
static int
positive(struct aas_config *cf, const char *path, long long *out,
    struct aas_err *e)
{
	long long ll;
	int b;

	if ((b = aas_config_int(cf, path, &ll, e)) == -1)
		return -1;
	if (b == 0 && ll < 1)
		return aas_err_set(e, "config", "%s: %s: not a positive number",
		    aas_config_where(cf, path), path);
	if (b == 0)
		*out = ll;
	return 0;
}

static int
setup(struct aas_cmd *c, struct aas_err *e)
{
	int b;

	if (decompose) {
		if (aas_board_config(c->cf, c->root, &bopts, &board_path,
		    e) == -1 ||
		    positive(c->cf, "plan.max_subtasks", &max_subtasks, e) == -1)
			return -1;
		bopts.state_dir = aas_state_dir(c->st);
		if (boardopt != NULL) {
			free(board_path);
			board_path = aas_xstrdup(boardopt);
		}
	}
	if (maxfile == -1 &&
	    positive(c->cf, "plan.max_file_bytes", &maxfile, e) == -1)
		return -1;
	if (maxfile > 0)
		popts.max_file = (size_t)maxfile;
	if (reqtests == -1) {
		if ((b = aas_config_bool(c->cf, "plan.require_tests",
		    &reqtests, e)) == -1)
			return -1;
		if (b == 1)
			reqtests = 0;
	}
	popts.require_tests = reqtests;
	if (load_globs(c->cf, &globs, &popts.ntest_globs, e) == -1)
		return -1;
	popts.test_globs = globs;
	return 0;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	free(globs);
	free(board_path);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "board", required_argument, NULL, OPT_BOARD },
		{ "decompose", no_argument, NULL, OPT_DECOMPOSE },
		{ "max-file-bytes", required_argument, NULL, OPT_MAXFILE },
		{ "require-tests", no_argument, NULL, OPT_REQTESTS },
		{ NULL, 0, NULL, 0 }
	};
	struct aas_cmd cmd = {
		.usage = usage, .longopts = longopts,
		.need = AAS_NEED_CONFIG | AAS_NEED_STATE,
		.option = option, .operands = operands, .setup = setup,
		.loop = &loop, .cleanup = cleanup,
	};

	return aas_cmd_main(&cmd, argc, argv);
}
