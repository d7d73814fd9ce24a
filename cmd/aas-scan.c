/* aas-scan: task records from a Markdown board or a YAML plan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "cmd.h"
#include "ledger.h"
#include "record.h"
#include "state.h"
#include "banned.h"

static const char usage[] =
    "[-qv] [--all | --ready | --next | --status S] [--id ID] [--new] "
    "[FILE ...]\n"
    "[-qv] --watch SECONDS [--ready | --status S] [--new] [FILE ...]\n"
    "[-q] --check [FILE ...]\n"
    "[-q] --add TITLE [FILE]";

enum { OPT_ADD = 256, OPT_ALL, OPT_CHECK, OPT_ID, OPT_NEW, OPT_NEXT,
    OPT_READY, OPT_STATUS, OPT_WATCH };

static int all, ready, next, newonly;
static struct aas_state *ledger_state;	/* for --new */
static char **ids, **statuses;
static size_t nids, nstatuses;
static struct aas_board_opts bopts;

static int
want_status(const struct aas_task *t)
{
	size_t i;
	enum aas_status st;

	if (nstatuses == 0)
		return t->status == AAS_ST_QUEUED;
	for (i = 0; i < nstatuses; i++) {
		st = aas_status_parse(statuses[i]);
		if (st != AAS_ST_UNKNOWN ? t->status == st :
		    strcasecmp(t->status_raw, statuses[i]) == 0)
			return 1;
	}
	return 0;
}

static int chosen(const struct aas_board *, const struct aas_task *);

/* --new leaves out tasks (id and sha) in a live batch or already answered. */
static int
selected(const struct aas_board *b, const struct aas_task *t)
{
	if (!chosen(b, t))
		return 0;
	return !newonly ||
	    aas_ledger_task_state(ledger_state, t->id, t->sha) == AAS_TASK_NONE;
}

static int
chosen(const struct aas_board *b, const struct aas_task *t)
{
	size_t i;

	if (nids > 0) {
		for (i = 0; i < nids; i++)
			if (strcmp(ids[i], t->id) == 0)
				return 1;
		return 0;
	}
	if (all)
		return 1;
	if (ready || next)
		return aas_board_ready(b, t);
	return want_status(t);
}

static int
emit(const struct aas_board *b, const struct aas_task *t)
{
	size_t len;
	char *line = aas_task_record_text(b, t, &len);
	int rc;

	/* in blocks: scan and watch flush before they wait or end */
	rc = aas_line_put(stdout, line, len);
	free(line);
	if (rc == -1) {
		aas_warn("write error");
		return -1;
	}
	return 0;
}

static int
emitted(void)
{
	if (aas_out_flush(stdout) == -1) {
		aas_warn("write error");
		return -1;
	}
	return 0;
}

static void
check_cb(const char *msg, void *arg)
{
	(void)arg;
	aas_msg("%s", msg);
}

static int
load_all(struct aas_board **boards, char **files, size_t nfiles)
{
	struct aas_err e;
	size_t i;

	for (i = 0; i < nfiles; i++) {
		if (aas_board_load(&boards[i], files[i], &bopts, &e) == -1) {
			aas_msg("%s", e.msg);
			return -1;
		}
	}
	return 0;
}

static int
scan(struct aas_board **boards, size_t nfiles)
{
	const struct aas_task *t, *best = NULL;
	const struct aas_board *bb = NULL;
	size_t i, k, n;
	int status = AAS_EXIT_OK, found;

	for (i = 0; i < nfiles; i++) {
		n = aas_board_count(boards[i]);
		if (aas_progress_enabled())
			aas_msg("%s: %zu tasks", aas_board_name(boards[i]), n);
		for (k = 0; k < n; k++) {
			t = aas_board_task(boards[i], k);
			if (!selected(boards[i], t))
				continue;
			if (next) {
				if (best == NULL || t->priority <
				    best->priority)
					best = t, bb = boards[i];
				continue;
			}
			if (emit(boards[i], t) == -1)
				return AAS_EXIT_FATAL;
		}
	}
	if (best != NULL && emit(bb, best) == -1)
		return AAS_EXIT_FATAL;
	if (emitted() == -1)
		return AAS_EXIT_FATAL;
	for (k = 0; k < nids; k++) {
		for (i = 0, found = 0; i < nfiles && !found; i++)
			found = aas_board_find(boards[i], ids[k]) != NULL;
		if (!found) {
			if (!aas_quiet)
				aas_msg("%s: no such task", ids[k]);
			status = AAS_EXIT_RECORD;
		}
	}
	return status;
}

static int
check(struct aas_board **boards, size_t nfiles)
{
	size_t i, n = 0;

	for (i = 0; i < nfiles; i++)
		n += aas_board_check(boards[i], check_cb, NULL);
	return n > 0 ? AAS_EXIT_RECORD : AAS_EXIT_OK;
}

struct add {
	const char *title;
	json_t	*rec;
};

static int
add_fn(struct aas_board *b, void *arg, struct aas_err *e)
{
	struct add *a = arg;
	char *id;

	if (aas_board_append(b, a->title, &id, e) == -1)
		return -1;
	json_decref(a->rec);
	a->rec = aas_task_record(b, aas_board_find(b, id));
	free(id);
	return 0;
}

static int
add(const char *file, const char *title)
{
	struct add a = { title, NULL };
	struct aas_err e;
	struct aas_rec rec;
	int rc;

	if (aas_board_update(file, &bopts, add_fn, &a, &e) == -1) {
		aas_msg("%s", e.msg);
		json_decref(a.rec);
		return strcmp(e.code, "io") == 0 || strcmp(e.code, "lock") == 0 ?
		    AAS_EXIT_RECORD : AAS_EXIT_USAGE;
	}
	aas_rec_from_json(&rec, a.rec);
	json_decref(a.rec);
	rc = aas_rec_write(stdout, &rec);
	aas_rec_free(&rec);
	if (rc == -1) {
		aas_warn("write error");
		return AAS_EXIT_FATAL;
	}
	return AAS_EXIT_OK;
}

static int
watch(char **files, size_t nfiles, double secs, const struct aas_state *sp)
{
	struct aas_board **boards = aas_xcalloc(nfiles, sizeof(*boards));
	char **texts = aas_xcalloc(nfiles, sizeof(*texts));
	size_t *lens = aas_xcalloc(nfiles, sizeof(*lens));
	json_t *seen = json_object();
	const struct aas_task *t;
	struct aas_err e;
	size_t i, k, n, len;
	char *text;
	int status = AAS_EXIT_STOPPED;

	for (;;) {
		if (aas_state_stop_requested(sp))
			break;
		for (i = 0; i < nfiles; i++) {
			if (aas_read_file(files[i], &text, &len, &e) == -1) {
				if (texts[i] == NULL || lens[i] != (size_t)-1)
					aas_msg("%s", e.msg);
				free(texts[i]);
				texts[i] = aas_xstrdup("");
				lens[i] = (size_t)-1;
				continue;
			}
			if (texts[i] != NULL && lens[i] == len &&
			    memcmp(texts[i], text, len) == 0) {
				free(text);
				continue;
			}
			free(texts[i]);
			texts[i] = text;
			lens[i] = len;
			aas_board_free(boards[i]);
			boards[i] = NULL;
			if (aas_board_parse(&boards[i], text, len, files[i],
			    &bopts, &e) == -1)
				aas_msg("%s", e.msg);
		}
		for (i = 0; i < nfiles; i++) {
			if (boards[i] == NULL)
				continue;
			n = aas_board_count(boards[i]);
			for (k = 0; k < n; k++) {
				const char *was;

				t = aas_board_task(boards[i], k);
				if (!selected(boards[i], t))
					continue;
				was = json_string_value(json_object_get(seen,
				    t->id));
				if (was != NULL && strcmp(was, t->sha) == 0)
					continue;
				json_object_set_new(seen, t->id,
				    json_string(t->sha));
				if (emit(boards[i], t) == -1) {
					status = AAS_EXIT_FATAL;
					goto out;
				}
			}
		}
		if (emitted() == -1) {
			status = AAS_EXIT_FATAL;
			goto out;
		}
		(void)aas_state_sleep(sp, (int64_t)(secs * 1000));
	}
out:
	for (i = 0; i < nfiles; i++) {
		aas_board_free(boards[i]);
		free(texts[i]);
	}
	free(boards);
	free(texts);
	free(lens);
	json_decref(seen);
	return status;
}

static const char *addtitle;
static double watchsecs = -1;
static int docheck;
static char **files;
static size_t nfiles;

static int
option(struct aas_cmd *c, int ch, const char *arg, struct aas_err *e)
{
	char *end;

	(void)c;
	switch (ch) {
	case OPT_ADD:
		if (*arg == '\0')
			return aas_err_set(e, "usage", "--add needs a title");
		addtitle = arg;
		break;
	case OPT_ALL:
		all = 1;
		break;
	case OPT_CHECK:
		docheck = 1;
		break;
	case OPT_ID:
		ids = aas_xreallocarray(ids, nids + 1, sizeof(*ids));
		ids[nids++] = (char *)arg;
		break;
	case OPT_NEW:
		newonly = 1;
		break;
	case OPT_NEXT:
		next = 1;
		break;
	case OPT_READY:
		ready = 1;
		break;
	case OPT_STATUS:
		statuses = aas_xreallocarray(statuses, nstatuses + 1,
		    sizeof(*statuses));
		statuses[nstatuses++] = (char *)arg;
		break;
	case OPT_WATCH:
		errno = 0;
		watchsecs = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' ||
		    !(watchsecs > 0 && watchsecs <= 86400))
			return aas_err_set(e, "usage", "--watch: '%s' is not a "
			    "number of seconds", arg);
		break;
	}
	return 0;
}

static int
operands(struct aas_cmd *c, int argc, char **argv, struct aas_err *e)
{
	(void)c;
	if (docheck + (addtitle != NULL) + next + (watchsecs > 0) > 1)
		return aas_err_set(e, "usage", "choose one of --check, --add, "
		    "--next and --watch");
	if ((all != 0) + (ready != 0) + (nstatuses > 0) + next > 1)
		return aas_err_set(e, "usage", "choose one of --all, --ready, "
		    "--next and --status");
	if ((docheck || addtitle != NULL) && (all || ready || nstatuses ||
	    nids || newonly))
		return aas_err_set(e, "usage", "--check and --add take no "
		    "selection");
	if (addtitle != NULL && argc > 1)
		return aas_err_set(e, "usage", "--add writes to one board");
	files = argv;
	nfiles = (size_t)argc;
	return 0;
}

static char *board;

static int
setup(struct aas_cmd *c, struct aas_err *e)
{
	ledger_state = c->st;
	if (aas_board_config(c->cf, c->root, &bopts, &board, e) == -1)
		return -1;
	bopts.state_dir = aas_state_dir(c->st);
	if (nfiles == 0) {
		files = &board;
		nfiles = 1;
	}
	return 0;
}

static int
run(struct aas_cmd *c)
{
	struct aas_board **boards;
	size_t i;
	int status;

	if (addtitle != NULL)
		return add(files[0], addtitle);
	if (watchsecs > 0)
		return watch(files, nfiles, watchsecs, c->st);
	boards = aas_xcalloc(nfiles, sizeof(*boards));
	if (load_all(boards, files, nfiles) == -1)
		status = AAS_EXIT_USAGE;
	else
		status = docheck ? check(boards, nfiles) : scan(boards, nfiles);
	for (i = 0; i < nfiles; i++)
		aas_board_free(boards[i]);
	free(boards);
	return status;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	free(board);
	free(ids);
	free(statuses);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "add", required_argument, NULL, OPT_ADD },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "id", required_argument, NULL, OPT_ID },
		{ "new", no_argument, NULL, OPT_NEW },
		{ "next", no_argument, NULL, OPT_NEXT },
		{ "ready", no_argument, NULL, OPT_READY },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "watch", required_argument, NULL, OPT_WATCH },
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
