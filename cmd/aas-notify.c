/* aas-notify: report each record's outcome to its targets (the board). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "config.h"
#include "record.h"
#include "state.h"
#include "banned.h"

#define MAX_BATCH	256

static const char usage[] =
    "--board[=FILE] [-qv] [--status STATUS] [--config FILE] [--state DIR] "
    "[FILE]";

enum { OPT_BOARD = 256, OPT_CONFIG, OPT_STATE, OPT_STATUS, OPT_VERSION };

static const struct option longopts[] = {
	{ "board", optional_argument, NULL, OPT_BOARD },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

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
	const char *kind;
	int	 enabled;
	void	(*run)(struct item *it, size_t n);
	json_t	*(*result)(const struct item *it);
};

static enum aas_status force_status = AAS_ST_UNKNOWN;
static char *board_path;
static struct aas_board_opts bopts;

/* ---------------------------------------------------------------- */
/* input: whole lines from fd 0, and whether another is ready now */

struct input {
	int	 fd;
	char	*buf;
	size_t	 len, cap, off;
	size_t	 lineno;
	int	 eof;
};

/* 1: a line in *linep and *np; 0: none (end of input, or none ready when
 * !wait); -1: read error or signal. */
static int
input_line(struct input *in, int wait, char **linep, size_t *np)
{
	struct pollfd pfd;
	char *nl;
	ssize_t r;

	for (;;) {
		nl = in->len > in->off ? memchr(in->buf + in->off, '\n',
		    in->len - in->off) : NULL;
		if (nl != NULL || (in->eof && in->len > in->off)) {
			*linep = in->buf + in->off;
			*np = nl != NULL ? (size_t)(nl - *linep) :
			    in->len - in->off;
			in->off += *np + (nl != NULL);
			in->lineno++;
			return 1;
		}
		if (in->eof)
			return 0;
		if (!wait) {
			pfd.fd = in->fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 0) != 1)
				return 0;
		}
		if (in->off > 0) {
			memmove(in->buf, in->buf + in->off, in->len - in->off);
			in->len -= in->off;
			in->off = 0;
		}
		if (in->cap - in->len < 65536) {
			in->cap = in->cap * 2 + 65536;
			in->buf = aas_xrealloc(in->buf, in->cap);
		}
		r = read(in->fd, in->buf + in->len, in->cap - in->len);
		if (r == -1)
			return -1;
		if (r == 0)
			in->eof = 1;
		in->len += (size_t)r;
	}
}

/* The next record (1), end of input (0), nothing ready (0 with !wait),
 * or -1. */
static int
input_rec(struct input *in, int wait, struct aas_rec *rec)
{
	struct aas_err e;
	size_t n, i;
	char *line;
	int rc;

	for (;;) {
		if ((rc = input_line(in, wait, &line, &n)) != 1)
			return rc;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		for (i = 0; i < n && strchr(" \t\r\n", line[i]) != NULL; i++)
			;
		if (i == n)
			continue;
		rc = aas_rec_parse(rec, line, n, &e);
		rec->lineno = in->lineno;
		if (rc == -1 && !aas_quiet)
			aas_msg("-:%zu: %s", in->lineno, e.msg);
		return 1;
	}
}

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
	{ "board", 0, board_run, board_result },
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

int
main(int argc, char **argv)
{
	struct aas_config *cf = NULL;
	struct aas_state *st = NULL;
	struct input in;
	struct item *items;
	struct aas_err e;
	const char *cfgfile = NULL, *statedir = NULL, *boardarg = NULL;
	size_t n, i, k;
	int c, rc, status = AAS_EXIT_OK, want_board = 0, wrote = 0;

	aas_setprogname(argv[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hqv", longopts, NULL)) != -1) {
		switch (c) {
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
			want_board = 1;
			if (optarg != NULL)
				boardarg = optarg;
			break;
		case OPT_CONFIG:
			cfgfile = optarg;
			break;
		case OPT_STATE:
			statedir = optarg;
			break;
		case OPT_STATUS:
			force_status = aas_status_parse(optarg);
			if (force_status == AAS_ST_UNKNOWN) {
				aas_msg("--status: unknown status '%s'",
				    optarg);
				aas_print_usage(1, usage);
				return AAS_EXIT_USAGE;
			}
			break;
		case OPT_VERSION:
			aas_print_version();
			return AAS_EXIT_OK;
		case ':':
			aas_msg("option '%s' needs a value", argv[optind - 1]);
			aas_print_usage(1, usage);
			return AAS_EXIT_USAGE;
		default:
			aas_msg("unknown option '%s'", argv[optind - 1]);
			aas_print_usage(1, usage);
			return AAS_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (!want_board || argc > 1 || (argc == 1 && boardarg != NULL)) {
		aas_msg("%s", !want_board ? "no target given: use --board" :
		    "one board file at most");
		aas_print_usage(1, usage);
		return AAS_EXIT_USAGE;
	}
	if (argc == 1)
		boardarg = argv[0];
	targets[0].enabled = 1;

	if (aas_state_open(&st, statedir, 0, &e) == -1 ||
	    aas_config_load(&cf, aas_state_root(st), cfgfile, &e) == -1 ||
	    aas_board_config(cf, aas_state_root(st), &bopts,
	    boardarg != NULL ? NULL : &board_path, &e) == -1) {
		aas_msg("%s", e.msg);
		aas_config_free(cf);
		aas_state_close(st);
		return AAS_EXIT_USAGE;
	}
	if (boardarg != NULL)
		board_path = aas_xstrdup(boardarg);

	aas_init();
	aas_signals_install();
	memset(&in, 0, sizeof(in));
	in.fd = STDIN_FILENO;
	items = aas_xcalloc(MAX_BATCH, sizeof(*items));
	for (;;) {
		if (aas_state_stop_requested(st)) {
			status = AAS_EXIT_STOPPED;
			break;
		}
		/* a run of records already waiting goes in one update */
		for (n = 0; n < MAX_BATCH; n++) {
			rc = input_rec(&in, n == 0, &items[n].rec);
			if (rc == -1 && n == 0) {
				if (errno == EINTR && aas_stop_flag) {
					status = AAS_EXIT_STOPPED;
				} else {
					aas_warn("-: read error");
					status = wrote ? AAS_EXIT_FATAL :
					    AAS_EXIT_USAGE;
				}
				goto done;
			}
			if (rc != 1)
				break;
			items[n].want = items[n].rec.bad ? AAS_ST_UNKNOWN :
			    derive(&items[n].rec);
		}
		if (n == 0)
			break;
		for (k = 0; k < NTARGETS; k++)
			if (targets[k].enabled)
				targets[k].run(items, n);
		if (aas_progress_enabled()) {
			for (i = 0, k = 0; i < n; i++)
				k += items[i].changed;
			aas_msg("%s: %zu records, %zu changed", board_path, n,
			    k);
		}
		for (i = 0; i < n; i++) {
			if (finish_item(&items[i]))
				status = AAS_EXIT_RECORD;
			if (status != AAS_EXIT_FATAL &&
			    aas_rec_write(stdout, &items[i].rec) == -1) {
				aas_warn("write error");
				status = AAS_EXIT_FATAL;
			}
			wrote = 1;
			aas_rec_free(&items[i].rec);
			free(items[i].detail);
			memset(&items[i], 0, sizeof(items[i]));
		}
		if (status == AAS_EXIT_FATAL)
			break;
	}
done:
	free(items);
	free(in.buf);
	status = aas_finish_output(stdout, status);
	free(board_path);
	aas_config_free(cf);
	aas_state_close(st);
	aas_fini();
	return status;
}
