/*
 * aas-run: the loop over the seven commands, from goals to Done.  It adds
 * no logic of its own to what the stages do: it starts them as pipelines
 * (lib/pipeline.c), keeps what they wrote between pipelines in files of
 * the state folder (so a kill at any moment loses nothing and a re-run
 * goes on where it stopped), and decides only what runs next.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "child.h"
#include "cmd.h"
#include "config.h"
#include "ids.h"
#include "ledger.h"
#include "pipeline.h"
#include "price.h"
#include "progress.h"
#include "state.h"
#include "banned.h"

static const char usage_text[] =
    "[-qv] [--sync] [-j N] [--goal ID ...] [--max-attempts N] "
    "[--max-cost USD] [--max-rounds N] [--config FILE] [--state DIR]\n"
    "--dry-run [--goal ID ...] [--max-cost USD] [options]";

enum { OPT_DRY_RUN = 256, OPT_GOAL, OPT_MAX_ATTEMPTS, OPT_MAX_COST,
	OPT_MAX_ROUNDS, OPT_SYNC };

static struct aas_cmd *cmd;
static const char **goalv;
static size_t ngoal;
static int sync_mode, dry_run;
static long jobs, max_attempts, max_rounds;
static const char *max_cost;
static char *bindir, *rundir, *jobdir, *board_path;
static struct aas_board_opts bopts;
static long ndone, nfailed, nchanged;
static double cost_shown;	/* spent() when the line last had it */
static int lockfd = -1;

/* ---------------------------------------------------------------- */
/* argv arrays */

struct argv {
	char	**v;
	size_t	 n, cap;
};

static void
av_add(struct argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = aas_xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = aas_xstrdup(s);
	a->v[a->n] = NULL;
}

static void
av_free(struct argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* A pipeline: up to 4 stages. */
struct pipe {
	struct argv st[4];
	size_t	 n;
};

static void
pipe_free(struct pipe *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		av_free(&p->st[i]);
	p->n = 0;
}

/* The stage's program: beside this one first, then PATH. */
static char *
stage_path(const char *name)
{
	char *p;

	if (bindir != NULL) {
		p = aas_xasprintf("%s/%s", bindir, name);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	p = aas_spawn_which(name);
	return p != NULL ? p : aas_xstrdup(name);
}

/* Start a new stage in p with the options every stage gets. */
static struct argv *
stage(struct pipe *p, const char *name)
{
	struct argv *a = &p->st[p->n++];
	char *path = stage_path(name);

	av_add(a, path);
	free(path);
	if (cmd->config_file != NULL) {
		av_add(a, "--config");
		av_add(a, cmd->config_file);
	}
	if (cmd->state_dir != NULL) {
		av_add(a, "--state");
		av_add(a, cmd->state_dir);
	}
	if (aas_quiet)
		av_add(a, "-q");
	if (aas_verbose)
		av_add(a, "-v");
	return a;
}

static void
add_jobs(struct argv *a)
{
	char buf[32];

	if (jobs > 0) {
		snprintf(buf, sizeof(buf), "%ld", jobs);
		av_add(a, "-j");
		av_add(a, buf);
	}
}

static void
add_cost(struct argv *a)
{
	if (max_cost != NULL) {
		av_add(a, "--max-cost");
		av_add(a, max_cost);
	}
}

static void
add_attempts(struct argv *a)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", max_attempts);
	av_add(a, "--max-attempts");
	av_add(a, buf);
}

/*
 * Run p from in_path (NULL: nothing) to out_path (NULL: nothing; "-":
 * standard output; append: added to what is there).  Returns 0 when every stage exited 0 or 1 (a
 * task failed: the record says so), 75 when one stopped early or a stop
 * was asked for, AAS_EXIT_FATAL (with a message) for anything else.
 */
static double spent(void);
static long left(int *goal_failed);

/* The progress line: tasks Done or Failed of those and the ones left
 * (the board grows as goals are decomposed), the cost so far, and the
 * pipeline running (p; NULL: none). */
static void
show_progress(const struct pipe *p)
{
	struct aas_buf b = AAS_BUF_INIT;
	const char *name;
	double d;
	size_t i;
	int gf;

	if (!aas_progress_on())
		return;
	for (i = 0; p != NULL && i < p->n; i++) {
		name = strrchr(p->st[i].v[0], '/');
		name = name != NULL ? name + 1 : p->st[i].v[0];
		aas_buf_printf(&b, "%s%s", i > 0 ? " | " : "", name);
	}
	d = spent();
	if (d > cost_shown) {
		aas_progress_cost(d - cost_shown);
		cost_shown = d;
	}
	aas_progress_set(ndone + nfailed, ndone + nfailed + left(&gf), nfailed,
	    b.s);
	aas_buf_free(&b);
}

static int
run_pipe(struct pipe *p, const char *in_path, const char *out_path,
    int append)
{
	char *const *argvs[4];
	int status[4], in = -1, out = -1, rc = 0;
	struct aas_err e;
	size_t i;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < p->n; i++)
		argvs[i] = p->st[i].v;
	if (in_path != NULL && (in = open(in_path, O_RDONLY | O_CLOEXEC)) ==
	    -1) {
		aas_warn("%s", in_path);
		return AAS_EXIT_FATAL;
	}
	if (out_path != NULL && strcmp(out_path, "-") == 0)
		out = STDOUT_FILENO;
	else if (out_path != NULL && (out = open(out_path, O_WRONLY |
	    O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644)) ==
	    -1) {
		aas_warn("%s", out_path);
		if (in != -1)
			close(in);
		return AAS_EXIT_FATAL;
	}
	show_progress(p);
	if (aas_pipeline_run(argvs, p->n, in, out, status, &e) == -1) {
		aas_msg("%s", e.msg);
		rc = AAS_EXIT_FATAL;
	}
	show_progress(NULL);
	if (out > STDOUT_FILENO && rc == 0 && fsync(out) == -1) {
		aas_warn("%s", out_path);
		rc = AAS_EXIT_FATAL;
	}
	if (in != -1)
		close(in);
	if (out > STDOUT_FILENO)
		close(out);
	/*
	 * The first stage that failed names the failure; a stage that
	 * stopped early (75) stops the pipeline, and the SIGPIPE that kills
	 * a stage before it is only the consequence.
	 */
	for (i = 0; rc == 0 && i < p->n; i++)
		if (status[i] == AAS_EXIT_STOPPED)
			rc = AAS_EXIT_STOPPED;
	for (i = 0; i < p->n; i++) {
		if (status[i] == AAS_EXIT_OK || status[i] == AAS_EXIT_RECORD ||
		    status[i] == AAS_EXIT_STOPPED || (status[i] == 128 +
		    SIGPIPE && rc == AAS_EXIT_STOPPED))
			continue;
		if (rc != AAS_EXIT_FATAL)
			aas_msg("%s exited %d", strrchr(p->st[i].v[0], '/') ?
			    strrchr(p->st[i].v[0], '/') + 1 : p->st[i].v[0],
			    status[i]);
		rc = AAS_EXIT_FATAL;
	}
	if (rc == 0 && aas_state_stop_requested(cmd->st))
		rc = AAS_EXIT_STOPPED;
	return rc;
}

/* ---------------------------------------------------------------- */
/* files of the run folder */

static char *
run_file(const char *fmt, long k)
{
	char *name = aas_xasprintf(fmt, k), *p;

	p = aas_xasprintf("%s/%s", jobdir, name);
	free(name);
	return p;
}

static int
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Write the lines of the file at path to out: every whole line, each
 * custom id once, the records the budget stopped before they were sent
 * left out (their task stays as it was on the board). */
static int
clean_copy(const char *path, FILE *out)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	json_t *seen, *o;
	const char *cid, *code, *stage_name;
	int rc = 0;

	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : -1;
	seen = json_object();
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break;	/* torn by a kill: written again later */
		o = json_loadb(line, (size_t)len, 0, NULL);
		cid = json_string_value(json_object_get(json_object_get(o,
		    "request"), "custom_id"));
		code = json_string_value(json_object_get(json_object_get(o,
		    "error"), "code"));
		stage_name = json_string_value(json_object_get(
		    json_object_get(o, "error"), "stage"));
		if (cid != NULL && json_object_get(seen, cid) != NULL) {
			json_decref(o);
			continue;
		}
		if (code != NULL && stage_name != NULL &&
		    strcmp(stage_name, "submit") == 0 &&
		    strcmp(code, "budget") == 0) {
			json_decref(o);
			continue;
		}
		if (cid != NULL)
			json_object_set_new(seen, cid, json_true());
		json_decref(o);
		if (fwrite(line, 1, (size_t)len, out) != (size_t)len) {
			rc = -1;
			break;
		}
	}
	if (ferror(f))
		rc = -1;
	free(line);
	json_decref(seen);
	fclose(f);
	return rc;
}

/*
 * The inbox (answers not yet through the stages after them) becomes the
 * job: renamed into the job folder first, so that it is in exactly one of
 * the two places whenever a kill comes, then cleaned into job/0.jsonl.
 * Returns 1 when there is a job, 0 when not, -1 on failure.
 */
static int
job_take(void)
{
	char *inbox, *raw, *tmp, *zero;
	struct stat sb;
	FILE *f;
	int rc = 1;

	inbox = aas_xasprintf("%s/inbox.jsonl", rundir);
	raw = run_file("in.raw", 0);
	zero = run_file("%ld.jsonl", 0);
	tmp = run_file("0.jsonl.tmp", 0);
	if (exists(zero)) {
		unlink(raw);	/* cleaned already: a kill came before */
		goto out;
	}
	if (!exists(raw)) {
		if (stat(inbox, &sb) == -1 || sb.st_size == 0) {
			unlink(inbox);
			rc = 0;
			goto out;
		}
		if (mkdir(jobdir, 0755) == -1 && errno != EEXIST) {
			aas_warn("%s", jobdir);
			rc = -1;
			goto out;
		}
		if (rename(inbox, raw) == -1) {
			aas_warn("%s", inbox);
			rc = -1;
			goto out;
		}
	}
	if ((f = fopen(tmp, "we")) == NULL) {
		aas_warn("%s", tmp);
		rc = -1;
		goto out;
	}
	if (clean_copy(raw, f) == -1 || fflush(f) == EOF ||
	    fsync(fileno(f)) == -1) {
		aas_warn("%s", tmp);
		rc = -1;
	}
	if (fclose(f) == EOF && rc == 1)
		rc = -1;
	if (rc == 1 && rename(tmp, zero) == -1) {
		aas_warn("%s", zero);
		rc = -1;
	}
	if (rc == 1)
		unlink(raw);
out:
	free(inbox);
	free(raw);
	free(zero);
	free(tmp);
	return rc;
}

/* ---------------------------------------------------------------- */
/* the stages after an answer: the job's segments */

enum seg { SEG_APPLY, SEG_QA, SEG_REPAIR_SYNC, SEG_REPAIR_BATCH,
	SEG_NOTIFY };

static size_t
segments(enum seg *s)
{
	size_t n = 0;
	long k;

	s[n++] = SEG_APPLY;
	s[n++] = SEG_QA;
	if (sync_mode) {
		for (k = 1; k < max_attempts; k++) {
			s[n++] = SEG_REPAIR_SYNC;
			s[n++] = SEG_QA;
		}
		s[n++] = SEG_NOTIFY;
	} else
		s[n++] = SEG_REPAIR_BATCH;
	return n;
}

static void
seg_build(enum seg s, int resumed, struct pipe *p)
{
	struct argv *a;

	switch (s) {
	case SEG_REPAIR_SYNC:
		a = stage(p, "aas-submit");
		av_add(a, "--sync");
		av_add(a, "--repair");
		av_add(a, "--integrate");
		add_attempts(a);
		add_jobs(a);
		add_cost(a);
		/* FALLTHROUGH */
	case SEG_APPLY:
		stage(p, "aas-plan");
		a = stage(p, "aas-apply");
		av_add(a, "--integrate");
		/* the interrupted run may have made the branch already */
		if (resumed)
			av_add(a, "--force");
		break;
	case SEG_QA:
		a = stage(p, "aas-qa");
		av_add(a, "--integrate");
		av_add(a, "--rollback");
		add_jobs(a);
		break;
	case SEG_REPAIR_BATCH:
		if (max_attempts > 1) {
			a = stage(p, "aas-submit");
			av_add(a, "--repair");
			av_add(a, "--integrate");
			add_attempts(a);
			add_cost(a);
		}
		/* FALLTHROUGH */
	case SEG_NOTIFY:
		a = stage(p, "aas-notify");
		av_add(a, "--board");
		break;
	}
}

static int
same_file(const char *a, const char *b)
{
	FILE *fa, *fb;
	int ca, cb, same = 0;

	if ((fa = fopen(a, "re")) == NULL)
		return 0;
	if ((fb = fopen(b, "re")) != NULL) {
		do {
			ca = getc(fa);
			cb = getc(fb);
		} while (ca == cb && ca != EOF);
		same = ca == cb;
		fclose(fb);
	}
	fclose(fa);
	return same;
}

/* Count what the job's last segment reported on the board. */
static void
job_count(const char *path)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	json_t *o, *bd;
	const char *st;

	if ((f = fopen(path, "re")) == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		o = json_loads(line, 0, NULL);
		bd = json_object_get(json_object_get(o, "notify"), "board");
		st = json_string_value(json_object_get(bd, "status"));
		if (json_is_true(json_object_get(bd, "changed"))) {
			nchanged++;
			if (st != NULL && strcmp(st, "Done") == 0)
				ndone++;
			else if (st != NULL && strcmp(st, "Failed") == 0)
				nfailed++;
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
}

/* Remove the job folder's files (the job is finished). */
static void
job_clear(size_t nseg)
{
	char *p;
	size_t k;

	for (k = 0; k <= nseg; k++) {
		p = run_file("%ld.jsonl", (long)k);
		unlink(p);
		free(p);
		p = run_file("%ld.jsonl.tmp", (long)k);
		unlink(p);
		free(p);
		p = run_file("%ld.run", (long)k);
		unlink(p);
		free(p);
	}
	rmdir(jobdir);
}

/*
 * Take the inbox and run the job's segments from the last checkpoint:
 * segment k reads job/k.jsonl and writes job/k+1.jsonl (through a
 * temporary file and a rename, so a file that is there is whole).  A
 * segment run again after a kill has its job/k.run marker.  0, 75 or
 * AAS_EXIT_FATAL.
 */
static int
job_run(void)
{
	enum seg segs[2 * 64 + 4];
	struct pipe p;
	char *in, *out, *tmp, *mark;
	size_t nseg, k, j;
	int rc, fd, resumed;

	if ((rc = job_take()) <= 0)
		return rc == 0 ? 0 : AAS_EXIT_FATAL;
	nseg = segments(segs);
	/* the last checkpoint there is */
	for (k = nseg; k > 0; k--) {
		out = run_file("%ld.jsonl", (long)k);
		j = exists(out);
		free(out);
		if (j)
			break;
	}
	rc = 0;
	for (; k < nseg && rc == 0; k++) {
		in = run_file("%ld.jsonl", (long)k);
		out = run_file("%ld.jsonl", (long)k + 1);
		/* a repair round that changed nothing: so would the rest */
		if (segs[k] == SEG_REPAIR_SYNC && k >= 4) {
			tmp = run_file("%ld.jsonl", (long)k - 2);
			j = same_file(tmp, in);
			free(tmp);
			if (j) {
				while (segs[k] != SEG_NOTIFY)
					k++;
				free(out);
				out = run_file("%ld.jsonl", (long)k);
				if (link(in, out) == -1 && errno != EEXIST) {
					aas_warn("%s", out);
					rc = AAS_EXIT_FATAL;
				}
				free(in);
				free(out);
				k--;
				continue;
			}
		}
		tmp = aas_xasprintf("%s.tmp", out);
		mark = run_file("%ld.run", (long)k);
		resumed = exists(mark);
		if (!resumed && (fd = open(mark, O_WRONLY | O_CREAT |
		    O_CLOEXEC, 0644)) != -1)
			close(fd);
		memset(&p, 0, sizeof(p));
		seg_build(segs[k], resumed, &p);
		rc = run_pipe(&p, in, tmp, 0);
		pipe_free(&p);
		if (rc == 0 && rename(tmp, out) == -1) {
			aas_warn("%s", out);
			rc = AAS_EXIT_FATAL;
		}
		if (rc == 0)
			unlink(mark);
		free(in);
		free(out);
		free(tmp);
		free(mark);
	}
	if (rc == 0) {
		out = run_file("%ld.jsonl", (long)nseg);
		job_count(out);
		free(out);
		job_clear(nseg);
	}
	return rc;
}

/* ---------------------------------------------------------------- */
/* goals */

static struct aas_board *
board_read(void)
{
	struct aas_board *b = NULL;
	struct aas_err e;

	if (aas_board_load(&b, board_path, &bopts, &e) == -1) {
		aas_msg("%s", e.msg);
		return NULL;
	}
	return b;
}

static int
has_subtasks(const struct aas_board *b, const char *goal)
{
	size_t i;

	for (i = 0; i < aas_board_count(b); i++)
		if (strcmp(aas_board_task(b, i)->id, goal) != 0 &&
		    aas_board_is_subtask(aas_board_task(b, i), goal))
			return 1;
	return 0;
}

/* The file holds one whole record with a response. */
static int
answered(const char *path)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	json_t *o;
	int ok = 0;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if ((len = getline(&line, &cap, f)) > 0 && line[len - 1] == '\n' &&
	    (o = json_loadb(line, (size_t)len, 0, NULL)) != NULL) {
		ok = json_object_get(o, "response") != NULL;
		json_decref(o);
	}
	free(line);
	fclose(f);
	return ok;
}

/*
 * Each goal with no sub-tasks yet is decomposed: the answer is kept in
 * run/goal-ID.jsonl until aas-plan --decompose has put the sub-tasks on
 * the board, so a kill between the two does not ask again.
 */
static int
decompose(void)
{
	struct aas_board *b;
	struct pipe p;
	struct argv *a;
	char *ans;
	size_t i;
	int rc = 0, has;

	for (i = 0; i < ngoal && rc == 0; i++) {
		if ((b = board_read()) == NULL)
			return AAS_EXIT_FATAL;
		has = has_subtasks(b, goalv[i]);
		aas_board_free(b);
		ans = aas_xasprintf("%s/goal-%s.jsonl", rundir, goalv[i]);
		if (has) {
			unlink(ans);
			free(ans);
			continue;
		}
		memset(&p, 0, sizeof(p));
		a = stage(&p, "aas-scan");
		av_add(a, "--id");
		av_add(a, goalv[i]);
		a = stage(&p, "aas-submit");
		av_add(a, dry_run ? "--dry-run" : "--sync");
		av_add(a, "--integrate");
		av_add(a, "--template");
		av_add(a, "decompose");
		add_cost(a);
		if (dry_run) {
			rc = run_pipe(&p, NULL, "-", 0);
			pipe_free(&p);
			free(ans);
			continue;
		}
		/* written as it comes: an answer written whole before a
		 * kill is not asked for again */
		if (!answered(ans)) {
			unlink(ans);
			rc = run_pipe(&p, NULL, ans, 1);
		}
		pipe_free(&p);
		if (rc == 0) {
			a = stage(&p, "aas-plan");
			av_add(a, "--decompose");
			rc = run_pipe(&p, ans, NULL, 0);
			pipe_free(&p);
		}
		if (rc == 0)
			unlink(ans);
		free(ans);
	}
	return rc;
}

/* ---------------------------------------------------------------- */

/* The ready tasks, sent: with --sync answered into the inbox; in batch
 * mode as batches (their records are in the journal, aas-fetch brings
 * them back). */
/* aas-submit stopped short of its budget: say so for the run too. */
static void
note_budget(void)
{
	char a[32], b[32];
	double lim = -1;
	struct aas_err e;

	if (max_cost != NULL)
		lim = strtod(max_cost, NULL);
	else if (aas_config_num(cmd->cf, "budget", &lim, &e) != 0)
		lim = -1;
	if (lim >= 0)
		aas_stop_note("budget", "budget reached: %s USD spent, limit "
		    "%s USD", aas_usd_format(spent(), a, sizeof(a)),
		    aas_usd_format(lim, b, sizeof(b)));
	else
		aas_stop_note("budget", "budget reached: %s USD spent",
		    aas_usd_format(spent(), a, sizeof(a)));
}

static int
send_ready(void)
{
	struct pipe p;
	struct argv *a;
	char *inbox;
	int rc;

	memset(&p, 0, sizeof(p));
	a = stage(&p, "aas-scan");
	av_add(a, "--ready");
	av_add(a, "--new");
	a = stage(&p, "aas-submit");
	/* the prompt shows the files where the task will be built */
	av_add(a, "--integrate");
	if (dry_run)
		av_add(a, "--dry-run");
	else if (sync_mode) {
		av_add(a, "--sync");
		add_jobs(a);
	}
	add_cost(a);
	if (dry_run)
		rc = run_pipe(&p, NULL, "-", 0);
	else {
		inbox = aas_xasprintf("%s/inbox.jsonl", rundir);
		rc = run_pipe(&p, NULL, sync_mode ? inbox : NULL, 1);
		free(inbox);
	}
	pipe_free(&p);
	/* aas-submit stops early for its budget alone */
	if (rc == AAS_EXIT_STOPPED && !dry_run &&
	    !aas_state_stop_requested(cmd->st))
		note_budget();
	return rc;
}

static int
fetch(void)
{
	struct pipe p;
	char *inbox;
	int rc;

	memset(&p, 0, sizeof(p));
	stage(&p, "aas-fetch");
	inbox = aas_xasprintf("%s/inbox.jsonl", rundir);
	rc = run_pipe(&p, NULL, inbox, 1);
	free(inbox);
	pipe_free(&p);
	/* batches still pending are the normal case here */
	return rc == AAS_EXIT_STOPPED && !aas_state_stop_requested(cmd->st) ?
	    0 : rc;
}

/* The batches not yet fetched; with some, the stop note says how many
 * and when the first is due (24 hours from its submission). */
static size_t
live_batches(void)
{
	struct aas_ledger *l = NULL;
	struct aas_err e;
	const struct aas_run *r;
	size_t i, n = 0;
	long long first = -1;
	char when[32];

	if (aas_ledger_open(&l, cmd->st, &e) == -1)
		return 0;
	for (i = 0; i < aas_ledger_count(l); i++) {
		r = aas_ledger_run(l, i);
		if (r->state != AAS_RUN_INTENT && r->state != AAS_RUN_LIVE)
			continue;
		n++;
		if (first < 0 || r->t < first)
			first = r->t;
	}
	aas_ledger_close(l);
	if (n > 0) {
		aas_iso8601(first + 86400, when, sizeof(when));
		aas_stop_note("pending", "%zu batch%s pending, the first due "
		    "by %s", n, n == 1 ? "" : "es", when);
	}
	return n;
}

static double
spent(void)
{
	struct aas_ledger *l = NULL;
	struct aas_err e;
	double d;

	if (aas_ledger_open(&l, cmd->st, &e) == -1)
		return 0;
	d = aas_ledger_spent(l);
	aas_ledger_close(l);
	return d;
}

/* Tasks neither Done nor Failed (with --goal: the goals and their
 * sub-tasks); *goal_failed when a goal named is Failed. */
static long
left(int *goal_failed)
{
	struct aas_board *b;
	const struct aas_task *t;
	size_t i, g;
	long n = 0;
	int in;

	*goal_failed = 0;
	if ((b = board_read()) == NULL)
		return 0;
	for (i = 0; i < aas_board_count(b); i++) {
		t = aas_board_task(b, i);
		in = ngoal == 0;
		for (g = 0; g < ngoal && !in; g++)
			in = strcmp(t->id, goalv[g]) == 0 ||
			    aas_board_is_subtask(t, goalv[g]);
		for (g = 0; g < ngoal; g++)
			if (strcmp(t->id, goalv[g]) == 0 &&
			    t->status == AAS_ST_FAILED)
				*goal_failed = 1;
		if (in && t->status != AAS_ST_DONE &&
		    t->status != AAS_ST_FAILED)
			n++;
	}
	aas_board_free(b);
	return n;
}

static int
run_dry(void)
{
	int rc;

	if ((rc = decompose()) != 0)
		return rc;
	return send_ready();
}

static int
run_loop(void)
{
	long round, before;
	int rc;

	if ((rc = job_run()) != 0 || (rc = decompose()) != 0)
		return rc;
	if (!sync_mode) {
		/* what came back, then what is ready now */
		if ((rc = fetch()) != 0 || (rc = job_run()) != 0 ||
		    (rc = send_ready()) != 0)
			return rc;
		return live_batches() > 0 ? AAS_EXIT_STOPPED : 0;
	}
	for (round = 0; max_rounds == 0 || round < max_rounds; round++) {
		/* the answers the budget let through still go on */
		if ((rc = send_ready()) != 0) {
			if (rc == AAS_EXIT_STOPPED &&
			    !aas_state_stop_requested(cmd->st) &&
			    job_run() == AAS_EXIT_FATAL)
				return AAS_EXIT_FATAL;
			return rc;
		}
		before = nchanged;
		if ((rc = job_take()) == -1)
			return AAS_EXIT_FATAL;
		if (rc == 0)
			return 0;	/* nothing ready */
		if ((rc = job_run()) != 0)
			return rc;
		if (nchanged == before) {
			aas_msg("a wave changed nothing on the board: "
			    "stopping");
			return 0;
		}
	}
	aas_stop_note("rounds", "--max-rounds %ld reached", max_rounds);
	return AAS_EXIT_STOPPED;
}

static int
run(struct aas_cmd *c)
{
	struct aas_err e;
	char *lock;
	double cost0;
	long nleft;
	int rc, goal_failed, fl;

	cmd = c;
	memset(&e, 0, sizeof(e));
	if (dry_run)
		return run_dry();
	lock = aas_state_path(c->st, "run.lock");
	lockfd = aas_lock_try(lock, &e);
	if (lockfd == -1) {
		if (strcmp(e.code, "busy") == 0)
			aas_msg("%s: another aas-run (or a stage it started) "
			    "is working on this repository; try again later",
			    lock);
		else
			aas_msg("%s", e.msg);
		free(lock);
		return strcmp(e.code, "busy") == 0 ? AAS_EXIT_STOPPED :
		    AAS_EXIT_USAGE;
	}
	free(lock);
	/* the stages hold the lock too, so a kill -9 of this process alone
	 * does not let a second aas-run in while they still work */
	if ((fl = fcntl(lockfd, F_GETFD)) != -1)
		(void)fcntl(lockfd, F_SETFD, fl & ~FD_CLOEXEC);
	if (mkdir(rundir, 0755) == -1 && errno != EEXIST) {
		aas_warn("%s", rundir);
		return AAS_EXIT_FATAL;
	}
	if (aas_state_stop_requested(c->st))
		return AAS_EXIT_STOPPED;	/* nothing started */
	cost0 = cost_shown = spent();
	if (aas_progress_on())
		aas_pipeline_set_stderr(aas_progress_relay());
	/* the stages draw no line of their own: this one is theirs */
	setenv("AAS_PROGRESS", "0", 1);
	rc = run_loop();
	aas_progress_relay_end();
	aas_pipeline_set_stderr(-1);
	nleft = left(&goal_failed);
	if (rc == AAS_EXIT_STOPPED)
		aas_stop_report(c->st);	/* why, before the summary */
	aas_msg("%ld done, %ld failed, %ld left, %.4f USD", ndone, nfailed,
	    nleft, spent() - cost0);
	aas_progress_no_summary();	/* that was the summary */
	if (rc == 0 && (nfailed > 0 || goal_failed))
		rc = AAS_EXIT_RECORD;
	return rc;
}

/* ---------------------------------------------------------------- */

static int
num_arg(const char *s, const char *name, long min, long max, long *out,
    struct aas_err *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return aas_err_set(e, "usage", "%s: expected a whole number "
		    "from %ld to %ld: %s", name, min, max, s);
	*out = v;
	return 0;
}

static int
option(struct aas_cmd *c, int ch, const char *arg, struct aas_err *e)
{
	char *end;
	double d;

	(void)c;
	switch (ch) {
	case 'j':
		return num_arg(arg, "-j", 1, 1024, &jobs, e);
	case OPT_DRY_RUN:
		dry_run = 1;
		break;
	case OPT_GOAL:
		goalv = aas_xreallocarray(goalv, ngoal + 1, sizeof(*goalv));
		goalv[ngoal++] = arg;
		break;
	case OPT_MAX_ATTEMPTS:
		return num_arg(arg, "--max-attempts", 1, 64, &max_attempts, e);
	case OPT_MAX_COST:
		errno = 0;
		d = strtod(arg, &end);
		if (*arg == '\0' || *end != '\0' || errno != 0 ||
		    !isfinite(d) || d < 0)
			return aas_err_set(e, "usage", "--max-cost: expected "
			    "an amount in USD: %s", arg);
		max_cost = arg;
		break;
	case OPT_MAX_ROUNDS:
		return num_arg(arg, "--max-rounds", 1, 1000000, &max_rounds,
		    e);
	case OPT_SYNC:
		sync_mode = 1;
		break;
	}
	return 0;
}

static int
operands(struct aas_cmd *c, int argc, char **argv, struct aas_err *e)
{
	(void)argv;
	(void)argc;
	if (!dry_run)
		c->need |= AAS_NEED_MKSTATE;
	if (dry_run && sync_mode)
		return aas_err_set(e, "usage", "--dry-run and --sync exclude "
		    "each other");
	return 0;
}

static int
setup(struct aas_cmd *c, struct aas_err *e)
{
	struct aas_board *b;
	long long v = 3;
	size_t i;
	char exe[4096], *slash;
	ssize_t n;

	if (max_attempts == 0) {
		if (aas_config_int(c->cf, "max_attempts", &v, e) == -1)
			return -1;
		if (v < 1 || v > 64)
			return aas_err_set(e, "config", "%s: max_attempts: "
			    "expected 1 to 64", aas_config_where(c->cf,
			    "max_attempts"));
		max_attempts = (long)v;
	}
	if (aas_board_config(c->cf, c->root, &bopts, &board_path, e) == -1)
		return -1;
	bopts.state_dir = aas_state_dir(c->st);
	if (aas_board_load(&b, board_path, &bopts, e) == -1)
		return -1;
	for (i = 0; i < ngoal; i++)
		if (aas_board_find(b, goalv[i]) == NULL) {
			aas_board_free(b);
			return aas_err_set(e, "usage", "--goal %s: no such "
			    "task on %s", goalv[i], board_path);
		}
	aas_board_free(b);
	rundir = aas_state_path(c->st, "run");
	jobdir = aas_xasprintf("%s/job", rundir);
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			bindir = aas_xstrdup(exe);
		}
	}
	return 0;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	aas_unlock(lockfd);
	free(goalv);
	free(bindir);
	free(rundir);
	free(jobdir);
	free(board_path);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dry-run",	  no_argument,	     NULL, OPT_DRY_RUN },
		{ "goal",	  required_argument, NULL, OPT_GOAL },
		{ "jobs",	  required_argument, NULL, 'j' },
		{ "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
		{ "max-cost",	  required_argument, NULL, OPT_MAX_COST },
		{ "max-rounds",	  required_argument, NULL, OPT_MAX_ROUNDS },
		{ "sync",	  no_argument,	     NULL, OPT_SYNC },
		{ NULL, 0, NULL, 0 }
	};
	struct aas_cmd c = {
		.usage = usage_text, .shortopts = "j:", .longopts = longopts,
		.need = AAS_NEED_CONFIG | AAS_NEED_STATE,
		.option = option, .operands = operands, .setup = setup,
		.run = run, .cleanup = cleanup,
	};

	return aas_cmd_main(&c, argc, argv);
}
