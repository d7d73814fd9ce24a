/* aas-notify: report each record's outcome to its targets (the board). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "cmd.h"
#include "record.h"
#include "banned.h"

#define MAX_BATCH	256

static const char usage[] =
    "--board[=FILE] [-qv] [--status STATUS] [--config FILE] [--state DIR] "
    "[FILE]";

enum { OPT_BOARD = 256, OPT_STATUS };

/* One record in a batch and what each target made of it. */
struct item {
	struct aas_rec rec;
	enum aas_status want;	/* AAS_ST_UNKNOWN: nothing to set */
	/* board target */
	int	 ok, changed, failed;
	enum aas_status now;
	char	*detail;
	char	 code[32];
};

struct target {
	int	 enabled;
	void	(*run)(struct item *it, size_t n);
	json_t	*(*result)(const struct item *it);
};

static enum aas_status force_status = AAS_ST_UNKNOWN;
static char *board_path;
static struct aas_board_opts bopts;

/* ---------------------------------------------------------------- */
/* what to report */

static enum aas_status
derive(const struct aas_rec *rec)
{
	json_t *qa = aas_rec_get(rec, "qa"), *ok;

	if (force_status != AAS_ST_UNKNOWN)
		return force_status;
	if (aas_rec_get(rec, "error") != NULL)
		return AAS_ST_FAILED;
	if (qa != NULL) {
		ok = json_object_get(qa, "ok");
		return json_is_true(ok) ? AAS_ST_DONE : AAS_ST_FAILED;
	}
	if (aas_rec_get(rec, "apply") != NULL)
		return AAS_ST_REVIEW;
	if (aas_rec_get(rec, "plan") != NULL ||
	    aas_rec_get(rec, "response") != NULL ||
	    aas_rec_get(rec, "batch") != NULL)
		return AAS_ST_IN_PROGRESS;
	return AAS_ST_UNKNOWN;
}

/* ---------------------------------------------------------------- */
/* the board target */

struct board_batch {
	struct item *it;
	size_t	 n;
};

static int
board_fn(struct aas_board *b, void *arg, struct aas_err *e)
{
	struct board_batch *bb = arg;
	struct item *it;
	const struct aas_task *t;
	struct aas_err te;
	const char *id, *old;
	size_t i;

	(void)e;
	for (i = 0; i < bb->n; i++) {
		it = &bb->it[i];
		free(it->detail);
		it->detail = NULL;
		it->ok = it->changed = it->failed = 0;
		it->now = AAS_ST_UNKNOWN;
		it->code[0] = '\0';
		if (it->rec.bad)
			continue;
		id = aas_rec_str(&it->rec, "id");
		if (id == NULL || *id == '\0') {
			it->failed = 1;
			snprintf(it->code, sizeof(it->code), "unknown_id");
			it->detail = aas_xstrdup("the record has no id");
			continue;
		}
		if ((t = aas_board_find(b, id)) == NULL) {
			it->failed = 1;
			snprintf(it->code, sizeof(it->code), "unknown_id");
			it->detail = aas_xasprintf("no task %s on the board %s",
			    id, aas_board_name(b));
			continue;
		}
		old = aas_status_name(t->status) != NULL ?
		    aas_status_name(t->status) : t->status_raw;
		if (it->want == AAS_ST_UNKNOWN) {
			it->ok = 1;
			it->now = t->status;
			it->detail = aas_xasprintf("no status to set (%s)",
			    old);
			continue;
		}
		if (t->status == it->want) {
			it->ok = 1;
			it->now = t->status;
			it->detail = aas_xasprintf("already %s", old);
			continue;
		}
		{
			char *was = aas_xstrdup(old);

			if (aas_board_set_status(b, id, it->want, &te) == -1) {
				it->failed = 1;
				snprintf(it->code, sizeof(it->code), "%s",
				    te.code);
				it->detail = aas_xstrdup(te.msg);
			} else {
				it->ok = it->changed = 1;
				it->now = it->want;
				it->detail = aas_xasprintf("%s -> %s", was,
				    aas_status_name(it->want));
			}
			free(was);
		}
	}
	return 0;
}

static void
board_run(struct item *it, size_t n)
{
	struct board_batch bb = { it, n };
	struct aas_err e;
	size_t i;

	if (aas_board_update(board_path, &bopts, board_fn, &bb, &e) == 0)
		return;
	/* the whole update failed: nothing was written */
	for (i = 0; i < n; i++) {
		if (it[i].rec.bad)
			continue;
		free(it[i].detail);
		it[i].detail = aas_xstrdup(e.msg);
		it[i].ok = it[i].changed = 0;
		it[i].failed = 1;
		it[i].now = AAS_ST_UNKNOWN;
		snprintf(it[i].code, sizeof(it[i].code), "%s", e.code);
	}
}

static json_t *
board_result(const struct item *it)
{
	return json_pack("{s:s, s:b, s:s}", "kind", "board", "ok", it->ok,
	    "detail", it->detail != NULL ? it->detail : "");
}

/* Targets in the order they run; more kinds slot in here. */
static struct target targets[] = {
	{ 0, board_run, board_result },
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* ---------------------------------------------------------------- */

static int
finish_item(struct item *it)
{
	json_t *notify, *list, *bd;
	const char *now = aas_status_name(it->now);
	size_t k;
	int failed = 0;

	if (it->rec.bad)
		return 1;
	list = json_array();
	for (k = 0; k < NTARGETS; k++)
		if (targets[k].enabled)
			json_array_append_new(list, targets[k].result(it));
	bd = json_pack("{s:s, s:s?, s:b}", "path", board_path, "status", now,
	    "changed", it->changed);
	notify = json_pack("{s:o, s:o}", "board", bd, "targets", list);
	aas_rec_set(&it->rec, "notify", notify);
	json_decref(notify);
	if (it->failed) {
		failed = 1;
		/* an error from an earlier stage stays as it came */
		if (aas_rec_get(&it->rec, "error") == NULL)
			aas_rec_fail(&it->rec, "notify", it->code, "%s",
			    it->detail);
		else if (!aas_quiet)
			aas_msg("%s: %s", aas_rec_where(&it->rec), it->detail);
	}
	return failed;
}

/* One run of records that came together: one board update. */
static int
batch(struct aas_rec **recs, int *rcs, size_t n, void *arg,
    struct aas_err *e)
{
	struct item *items = arg;
	size_t i, k;

	(void)e;
	for (i = 0; i < n; i++) {
		items[i].rec = *recs[i];
		items[i].want = recs[i]->bad ? AAS_ST_UNKNOWN :
		    derive(recs[i]);
	}
	for (k = 0; k < NTARGETS; k++)
		if (targets[k].enabled)
			targets[k].run(items, n);
	if (aas_progress_enabled()) {
		for (i = 0, k = 0; i < n; i++)
			k += items[i].changed;
		aas_msg("%s: %zu records, %zu changed", board_path, n, k);
	}
	for (i = 0; i < n; i++) {
		rcs[i] = finish_item(&items[i]);
		*recs[i] = items[i].rec;
		free(items[i].detail);
		memset(&items[i], 0, sizeof(items[i]));
	}
	return 0;
}

static const char *boardarg;
static int want_board;

static int
option(struct aas_cmd *c, int ch, const char *arg, struct aas_err *e)
{
	(void)c;
	switch (ch) {
	case OPT_BOARD:
		want_board = 1;
		if (arg != NULL)
			boardarg = arg;
		break;
	case OPT_STATUS:
		force_status = aas_status_parse(arg);
		if (force_status == AAS_ST_UNKNOWN)
			return aas_err_set(e, "usage", "--status: unknown "
			    "status '%s'", arg);
		break;
	}
	return 0;
}

static int
operands(struct aas_cmd *c, int argc, char **argv, struct aas_err *e)
{
	(void)c;
	if (!want_board)
		return aas_err_set(e, "usage", "no target given: use --board");
	if (argc > 1 || (argc == 1 && boardarg != NULL))
		return aas_err_set(e, "usage", "one board file at most");
	if (argc == 1)
		boardarg = argv[0];
	targets[0].enabled = 1;
	return 0;
}

static int
setup(struct aas_cmd *c, struct aas_err *e)
{
	if (aas_board_config(c->cf, c->root, &bopts,
	    boardarg != NULL ? NULL : &board_path, e) == -1)
		return -1;
	if (boardarg != NULL)
		board_path = aas_xstrdup(boardarg);
	/* a board over board_max_bytes: exit 2 before any record */
	return aas_board_size_ok(board_path, &bopts, e);
}

static int
run(struct aas_cmd *c)
{
	struct aas_loop loop;
	int status;

	memset(&loop, 0, sizeof(loop));
	loop.stage = "notify";
	loop.batch = batch;
	loop.batch_max = MAX_BATCH;
	loop.arg = aas_xcalloc(MAX_BATCH, sizeof(struct item));
	loop.state = c->st;
	status = aas_loop_run(&loop, stdin, "stdin", stdout);
	free(loop.arg);
	return status;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	free(board_path);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "board", optional_argument, NULL, OPT_BOARD },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ NULL, 0, NULL, 0 }
	};
	struct aas_cmd cmd = {
		.usage = usage, .longopts = longopts, .takes_operands = 1,
		.need = AAS_NEED_STATE | AAS_NEED_CONFIG,
		.option = option, .operands = operands, .setup = setup,
		.run = run, .cleanup = cleanup,
	};

	return aas_cmd_main(&cmd, argc, argv);
}
