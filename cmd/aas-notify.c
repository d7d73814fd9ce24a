/* aas-notify: report each record's outcome to its targets: the board, and
 * the kinds of lib/notify.c's registry (webhook, slack, discord, ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "cmd.h"
#include "notify.h"
#include "record.h"
#include "report.h"
#include "state.h"
#include "banned.h"

#define MAX_BATCH	256

static const char usage[] =
    "--board[=FILE] [-qv] [--status STATUS] [--config FILE] [--state DIR] "
    "[FILE]";

enum { OPT_BOARD = 256, OPT_STATUS, OPT_PER_TASK, OPT_DRY_RUN,
    OPT_SUMMARY, OPT_JUNIT, OPT_HTML, OPT_TARGET = 0x1000 };
#define MAX_TARGETS	64

/* One record in a batch and what each target made of it. */
struct item {
	struct aas_rec rec;
	enum aas_status want;	/* AAS_ST_UNKNOWN: nothing to set */
	/* board target */
	int	 ok, changed, failed;
	enum aas_status now;
	char	*detail;
	char	 code[32];
	/* the registry's targets */
	json_t	*entries;	/* notify.targets entries, or NULL */
	int	 tfailed;
};

struct target {
	int	 enabled;
	void	(*run)(struct item *it, size_t n);
	json_t	*(*result)(const struct item *it);
};

static enum aas_status force_status = AAS_ST_UNKNOWN;
static char *board_path;
static struct aas_board_opts bopts;
static int per_task, dry_run;
/* the targets asked for, in the order given */
static struct {
	const struct aas_target_ops *ops;
	const char *arg;
} asked[MAX_TARGETS];
static size_t nasked;
static struct aas_notify *notifier;
/* the run reports: --summary (to GITHUB_STEP_SUMMARY without a FILE),
 * --junit, --html */
static const char *report_path[3];
static int want_summary, summary_append;
static struct aas_report *report;

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

/* The goals the last board_fn settled, one "ID: FROM -> TO" each. */
static char **goals;
static size_t ngoals;

static void
goals_clear(void)
{
	while (ngoals > 0)
		free(goals[--ngoals]);
	free(goals);
	goals = NULL;
}

static void
goal_changed(const char *goal, enum aas_status from, enum aas_status to,
    void *arg)
{
	(void)arg;
	goals = aas_xreallocarray(goals, ngoals + 1, sizeof(*goals));
	goals[ngoals++] = aas_xasprintf("%s: %s -> %s", goal,
	    aas_status_name(from) != NULL ? aas_status_name(from) : "?",
	    aas_status_name(to));
}

static int
board_fn(struct aas_board *b, void *arg, struct aas_err *e)
{
	struct board_batch *bb = arg;
	struct item *it;
	const struct aas_task *t;
	struct aas_err te;
	const char *id, *old, **ids;
	size_t i, nids = 0;

	(void)e;
	goals_clear();
	ids = aas_xcalloc(bb->n + 1, sizeof(*ids));
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
		if (it->want != AAS_ST_UNKNOWN)
			ids[nids++] = id;
		if (it->want == AAS_ST_UNKNOWN) {
			it->ok = 1;
			it->now = t->status;
			it->detail = aas_xasprintf("no status to set (%s)",
			    old);
			continue;
		}
		if (dry_run && t->status != it->want) {
			it->ok = 1;
			it->now = t->status;
			it->detail = aas_xasprintf("dry run: %s -> %s", old,
			    aas_status_name(it->want));
			continue;
		}
		if (t->status == it->want) {
			it->ok = 1;
			it->now = t->status;
			it->detail = aas_xasprintf("already %s", old);
			/* a stale copy under its heading is set too */
			if (*t->status_raw != '\0')
				(void)aas_board_set_status(b, id, it->want,
				    &te);
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
	/* the goals of these tasks follow their sub-tasks */
	if (!dry_run && aas_board_settle_goals(b, ids, nids, goal_changed,
	    NULL, &te) == -1 && !aas_quiet)
		aas_msg("%s", te.msg);
	free(ids);
	return 0;
}

static void
board_run(struct item *it, size_t n)
{
	struct board_batch bb = { it, n };
	struct aas_err e;
	size_t i;

	if (aas_board_update(board_path, &bopts, board_fn, &bb, &e) == 0) {
		for (i = 0; i < ngoals && !aas_quiet; i++)
			aas_msg("goal %s", goals[i]);
		goals_clear();
		return;
	}
	goals_clear();
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
	if (it->entries != NULL)
		json_array_extend(list, it->entries);
	if (targets[0].enabled) {
		bd = json_pack("{s:s, s:s?, s:b}", "path", board_path,
		    "status", now, "changed", it->changed);
		notify = json_pack("{s:o, s:o}", "board", bd, "targets", list);
	} else
		notify = json_pack("{s:o}", "targets", list);
	aas_rec_set(&it->rec, "notify", notify);
	json_decref(notify);
	/* a target that failed fails the run, not the task: no error key */
	failed = it->tfailed;
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
	for (i = 0; notifier != NULL && i < n; i++) {
		json_t *o;

		if (items[i].rec.bad)
			continue;
		o = aas_notify_outcome(items[i].rec.obj,
		    aas_status_name(items[i].want));
		items[i].entries = aas_notify_record(notifier, o,
		    &items[i].tfailed);
		json_decref(o);
	}
	if (targets[0].enabled && aas_progress_enabled()) {
		for (i = 0, k = 0; i < n; i++)
			k += items[i].changed;
		aas_msg("%s: %zu records, %zu changed", board_path, n, k);
	}
	for (i = 0; i < n; i++) {
		rcs[i] = finish_item(&items[i]);
		if (report != NULL)
			aas_report_add(report, &items[i].rec);
		*recs[i] = items[i].rec;
		free(items[i].detail);
		json_decref(items[i].entries);
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
	case OPT_DRY_RUN:
		dry_run = 1;
		break;
	case OPT_HTML:
		report_path[2] = arg;
		break;
	case OPT_JUNIT:
		report_path[1] = arg;
		break;
	case OPT_PER_TASK:
		per_task = 1;
		break;
	case OPT_STATUS:
		force_status = aas_status_parse(arg);
		if (force_status == AAS_ST_UNKNOWN)
			return aas_err_set(e, "usage", "--status: unknown "
			    "status '%s'", arg);
		break;
	case OPT_SUMMARY:
		want_summary = 1;
		report_path[0] = arg;
		break;
	default:
		if (ch >= OPT_TARGET && aas_target_at((size_t)(ch -
		    OPT_TARGET)) != NULL) {
			if (nasked == MAX_TARGETS)
				return aas_err_set(e, "usage", "more than %d "
				    "targets", MAX_TARGETS);
			asked[nasked].ops = aas_target_at((size_t)(ch -
			    OPT_TARGET));
			asked[nasked++].arg = arg;
		}
		break;
	}
	return 0;
}

static int
operands(struct aas_cmd *c, int argc, char **argv, struct aas_err *e)
{
	if (want_summary && report_path[0] == NULL) {
		if (argc >= 1 && !want_board)
			return aas_err_set(e, "usage", "--summary takes its "
			    "file after '=': --summary=%s", argv[0]);
		report_path[0] = getenv("GITHUB_STEP_SUMMARY");
		if (report_path[0] == NULL || *report_path[0] == '\0')
			return aas_err_set(e, "usage", "--summary without a "
			    "FILE and GITHUB_STEP_SUMMARY is not set");
		summary_append = 1;
	}
	if (!want_board && nasked == 0 && report_path[0] == NULL &&
	    report_path[1] == NULL && report_path[2] == NULL)
		return aas_err_set(e, "usage", "no target given: use --board");
	/* getopt takes an optional value only after "=" */
	if (argc >= 1 && strstr(argv[0], "://") != NULL)
		return aas_err_set(e, "usage", "a URL as an operand (not "
		    "shown: it may be a secret): write it as --KIND=URL");
	if (argc > 1 || (argc == 1 && boardarg != NULL))
		return aas_err_set(e, "usage", "one board file at most");
	if (argc == 1 && !want_board)
		return aas_err_set(e, "usage", "a board file without --board");
	if (argc == 1)
		boardarg = argv[0];
	targets[0].enabled = want_board;
	/* one run at a time sends from the journal */
	if (nasked > 0 && !dry_run) {
		c->need |= AAS_NEED_MKSTATE | AAS_NEED_LOCK;
		c->lock = "notify.lock";
	}
	return 0;
}

static int
setup(struct aas_cmd *c, struct aas_err *e)
{
	struct aas_target_env env;
	size_t i;

	if (aas_board_config(c->cf, c->root, &bopts,
	    boardarg != NULL ? NULL : &board_path, e) == -1)
		return -1;
	bopts.state_dir = aas_state_dir(c->st);
	/* status edits compare no task's text: no hash of every task in
	 * every batch (most of a parse on a large board) */
	bopts.no_sha = 1;
	if (boardarg != NULL)
		board_path = aas_xstrdup(boardarg);
	/* a board over board_max_bytes: exit 2 before any record */
	if (aas_board_size_ok(board_path, &bopts, e) == -1)
		return -1;
	if ((report_path[0] != NULL || report_path[1] != NULL ||
	    report_path[2] != NULL) && aas_report_new(&report, c->cf,
	    board_path, e) == -1)
		return -1;
	if (nasked == 0)
		return 0;
	if (aas_notify_open(&notifier, c->st, dry_run, e) == -1)
		return -1;
	for (i = 0; i < nasked; i++) {
		memset(&env, 0, sizeof(env));
		env.cf = c->cf;
		env.st = c->st;
		env.repo = c->root;
		env.arg = asked[i].arg;
		env.per_task = per_task;
		env.dry_run = dry_run;
		env.verbose = aas_verbose;
		if (aas_notify_add(notifier, asked[i].ops, &env, e) == -1)
			return -1;
	}
	return 0;
}

static int
write_reports(void)
{
	static const char *const kinds[] = { "summary", "junit", "html" };
	struct aas_err e;
	int failed = 0;
	size_t i;

	for (i = 0; i < 3; i++)
		if (report_path[i] != NULL && aas_report_write(report,
		    kinds[i], report_path[i], i == 0 && summary_append,
		    &e) == -1) {
			aas_msg("--%s: %s", kinds[i], e.msg);
			failed++;
		}
	return failed;
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
	/* the once-a-run messages; not after a stop or a fatal error */
	if (notifier != NULL && (status == AAS_EXIT_OK ||
	    status == AAS_EXIT_RECORD) && aas_notify_finish(notifier) > 0)
		status = AAS_EXIT_RECORD;
	/* the reports, whole, at the end of input (or of a stop) */
	if (report != NULL && status == AAS_EXIT_STOPPED)
		aas_report_stopped(report);
	if (report != NULL && status != AAS_EXIT_FATAL &&
	    write_reports() > 0 && status == AAS_EXIT_OK)
		status = AAS_EXIT_RECORD;
	return status;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	free(board_path);
	aas_notify_close(notifier);
	aas_report_free(report);
}

int
main(int argc, char **argv)
{
	static struct option longopts[8 + MAX_TARGETS] = {
		{ "board", optional_argument, NULL, OPT_BOARD },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "per-task", no_argument, NULL, OPT_PER_TASK },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "summary", optional_argument, NULL, OPT_SUMMARY },
		{ "junit", required_argument, NULL, OPT_JUNIT },
		{ "html", required_argument, NULL, OPT_HTML },
	};
	const struct aas_target_ops *ops;
	size_t i;

	for (i = 0; i < MAX_TARGETS && (ops = aas_target_at(i)) != NULL;
	    i++) {
		longopts[7 + i].name = ops->name;
		longopts[7 + i].has_arg = optional_argument;
		longopts[7 + i].val = OPT_TARGET + (int)i;
	}
	struct aas_cmd cmd = {
		.usage = usage, .longopts = longopts, .takes_operands = 1,
		.need = AAS_NEED_STATE | AAS_NEED_CONFIG,
		.option = option, .operands = operands, .setup = setup,
		.run = run, .cleanup = cleanup,
	};

	return aas_cmd_main(&cmd, argc, argv);
}
