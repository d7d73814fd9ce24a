/*
 * aas-qa: check each task's commit in a scratch worktree: built-in syntax
 * checks and the configured commands, time-limited, optionally sandboxed;
 * with --rollback, the branch of a failed task is deleted.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "qa.h"
#include "record.h"
#include "scratch.h"
#include "state.h"
#include "banned.h"

static const char usage[] =
    "[-qv] [-j N] [--keep-order] [--shard I/N] [--rollback] [--fail-fast] "
    "[--keep] [--tmp] [--sandbox] [--no-builtin] [-c FILE] [--state DIR]";

enum kind { PASS, CHECK, ROLLBACK, SKIP };
enum result { R_NONE, R_PASSED, R_FAILED, R_SKIPPED, R_STOPPED };

struct job {
	struct aas_rec	 rec;
	enum kind	 kind;
	enum result	 result;
	int		 done;
	struct job	*next;
};

static struct aas_qa_conf qc;
static struct aas_state *st;
static char *scratch_parent;
static long jobs = 1;
static int keep_order, rollback, fail_fast, keep;
static unsigned shard_i, shard_n;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long running;
static size_t pending;			/* records waiting in the order list */
static struct job *head, *tail;		/* --keep-order list */
static size_t npassed, nfailed, nskipped, nbad;
static int failed_once, fatal, pipe_gone;
static pthread_t *ended;		/* finished workers, to be joined */
static size_t nended;
/* Set by the main thread when a signal came or stdout went away: the
 * running checks are killed. */
static volatile sig_atomic_t cancel_all;

static int
out_write(const struct aas_rec *rec)
{
	if (fatal)
		return -1;
	if (fwrite(rec->line, 1, rec->len, stdout) != rec->len ||
	    putc('\n', stdout) == EOF || fflush(stdout) == EOF) {
		if (errno == EPIPE)
			pipe_gone = 1;
		else
			aas_warn("write error");
		fatal = 1;
		cancel_all = 1;
		return -1;
	}
	return 0;
}

static void
job_free(struct job *j)
{
	aas_rec_free(&j->rec);
	free(j);
}

/* With mu held: count the job and write what can be written. */
static void
emit(struct job *j)
{
	switch (j->result) {
	case R_PASSED:
		npassed++;
		if (aas_progress_enabled() && !aas_quiet)
			aas_msg("%s: passed", aas_rec_where(&j->rec));
		break;
	case R_FAILED:
		nfailed++;
		if (fail_fast)
			failed_once = 1;
		break;
	case R_SKIPPED:
		nskipped++;
		break;
	default:
		break;
	}
	j->done = 1;
	if (!keep_order) {
		out_write(&j->rec);
		job_free(j);
		return;
	}
	while (head != NULL && head->done) {
		j = head;
		head = j->next;
		if (head == NULL)
			tail = NULL;
		pending--;
		out_write(&j->rec);
		job_free(j);
	}
}

static int
safe_path(const char *p)
{
	const char *s = p;

	if (*p == '\0' || *p == '/')
		return 0;
	for (;;) {
		if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0'))
			return 0;
		if ((s = strchr(s, '/')) == NULL)
			return 1;
		s++;
	}
}

static const char *
apply_str(struct aas_rec *rec, const char *key)
{
	return json_string_value(json_object_get(aas_rec_get(rec, "apply"),
	    key));
}

/* Delete the task's branch if it still points at its commit.  Returns
 * 1 deleted, 0 kept (a warning said why, unless it was already gone). */
static int
drop_branch(struct aas_rec *rec)
{
	const char *repo = apply_str(rec, "repo");
	const char *branch = apply_str(rec, "branch");
	const char *commit = apply_str(rec, "commit");
	struct aas_err e;
	int r;

	if (repo == NULL || branch == NULL || commit == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	r = aas_scratch_branch_delete(repo, branch, commit, &e);
	if (r == 0)
		return 1;
	if (strcmp(e.code, "branch_missing") != 0 && !aas_quiet)
		aas_msg("%s: rollback: %s", aas_rec_where(rec), e.msg);
	return 0;
}

static void
do_rollback(struct job *j)
{
	json_t *qa = aas_rec_get(&j->rec, "qa"), *nq;

	if (json_is_true(json_object_get(qa, "rolled_back")) ||
	    !drop_branch(&j->rec))
		return;
	nq = json_is_object(qa) ? json_deep_copy(qa) : json_object();
	json_object_set_new(nq, "rolled_back", json_true());
	aas_rec_set(&j->rec, "qa", nq);
	json_decref(nq);
}

static void
do_check(struct job *j)
{
	struct aas_rec *rec = &j->rec;
	struct aas_qa_task t;
	struct aas_err e;
	json_t *files = json_object_get(aas_rec_get(rec, "apply"), "files");
	json_t *f, *qa;
	const char *path, *op, **list;
	char *dir, *why;
	size_t i;
	int canceled;

	memset(&t, 0, sizeof(t));
	memset(&e, 0, sizeof(e));
	t.id = aas_rec_str(rec, "id");
	t.title = aas_rec_str(rec, "title");
	t.repo = apply_str(rec, "repo");
	t.base = apply_str(rec, "base");
	t.branch = apply_str(rec, "branch");
	t.commit = apply_str(rec, "commit");
	if (t.repo == NULL || t.commit == NULL) {
		aas_rec_fail(rec, "qa", "bad_apply", "apply.repo and "
		    "apply.commit must be strings");
		j->result = R_FAILED;
		return;
	}
	list = aas_xcalloc(json_array_size(files) + 1, sizeof(*list));
	json_array_foreach(files, i, f) {
		path = json_string_value(json_object_get(f, "path"));
		op = json_string_value(json_object_get(f, "op"));
		if (path != NULL && safe_path(path) &&
		    (op == NULL || strcmp(op, "delete") != 0))
			list[t.nfiles++] = path;
	}
	t.files = list;
	if ((dir = aas_scratch_mkdir(scratch_parent, t.id, &e)) == NULL) {
		aas_rec_fail_err(rec, "qa", &e);
		j->result = R_FAILED;
		free(list);
		return;
	}
	t.worktree = dir;
	if (aas_scratch_checkout(t.repo, t.commit, dir, &e) == -1) {
		aas_rec_fail_err(rec, "qa", &e);
		aas_scratch_remove(dir, &e);
		j->result = R_FAILED;
		free(dir);
		free(list);
		return;
	}
	qa = aas_qa_run(&qc, &t, &cancel_all, &canceled);
	if (!canceled && !keep && aas_scratch_remove(dir, &e) == -1)
		aas_msg("%s: %s", aas_rec_where(rec), e.msg);
	if (canceled) {
		/* the record goes on untouched: a re-run checks it */
		aas_scratch_remove(dir, &e);
		j->result = R_STOPPED;
	} else {
		if (keep) {
			json_object_set_new(qa, "worktree", json_string(dir));
			if (!aas_quiet)
				aas_msg("%s: worktree kept: %s",
				    aas_rec_where(rec), dir);
		}
		why = aas_qa_reason(qa);
		if (why != NULL && rollback)
			json_object_set_new(qa, "rolled_back",
			    json_boolean(drop_branch(rec)));
		aas_rec_set(rec, "qa", qa);
		if (why != NULL) {
			aas_rec_fail(rec, "qa", "qa_failed", "%s", why);
			j->result = R_FAILED;
		} else
			j->result = R_PASSED;
		free(why);
	}
	json_decref(qa);
	free(dir);
	free(list);
}

static void *
worker(void *arg)
{
	struct job *j = arg;

	do_check(j);
	pthread_mutex_lock(&mu);
	running--;
	ended = aas_xreallocarray(ended, nended + 1, sizeof(*ended));
	ended[nended++] = pthread_self();
	emit(j);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* With mu held: join the workers that have finished.  (Joined, not
 * detached, so that every thread is gone, its thread-local state freed,
 * before main returns.) */
static void
reap(void)
{
	while (nended > 0)
		pthread_join(ended[--nended], NULL);
}

/* With mu held: wait a tick for a worker, noticing signals. */
static void
tick(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&cv, &mu, &ts);
	reap();
	if (aas_stop_flag)
		cancel_all = 1;
}

static int
start_worker(struct job *j)
{
	pthread_t th;
	sigset_t all, old;
	int rc;

	/* signals go to the main thread, whose read they interrupt */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&th, NULL, worker, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static enum kind
classify(struct aas_rec *rec)
{
	int has_error = aas_rec_get(rec, "error") != NULL;
	int has_apply = json_is_object(aas_rec_get(rec, "apply"));

	if (rec->bad || !has_apply || (has_error && !rollback))
		return PASS;
	if (shard_n > 0 && aas_qa_shard(aas_rec_str(rec, "id"), shard_n) !=
	    shard_i)
		return PASS;
	if (has_error)
		return ROLLBACK;
	return failed_once ? SKIP : CHECK;
}

static int
run(FILE *in)
{
	struct aas_reader r;
	struct job *j;
	int rc, status = AAS_EXIT_OK, stopped = 0;

	aas_reader_init(&r, in, "stdin");
	for (;;) {
		pthread_mutex_lock(&mu);
		while (!fatal && !aas_state_stop_requested(st) &&
		    (running >= jobs || pending >= (size_t)jobs + 64))
			tick();
		pthread_mutex_unlock(&mu);
		if (fatal)
			break;
		if (aas_state_stop_requested(st)) {
			stopped = 1;
			break;
		}
		j = aas_xcalloc(1, sizeof(*j));
		rc = aas_reader_next(&r, &j->rec);
		if (rc <= 0) {
			free(j);
			if (rc == -1 && errno == EINTR && aas_stop_flag) {
				stopped = 1;
			} else if (rc == -1) {
				aas_warn("stdin: read error");
				status = AAS_EXIT_FATAL;
			}
			break;
		}
		if (j->rec.bad)
			nbad++;
		pthread_mutex_lock(&mu);
		j->kind = classify(&j->rec);
		if (keep_order) {
			if (tail != NULL)
				tail->next = j;
			else
				head = j;
			tail = j;
			pending++;
		}
		switch (j->kind) {
		case CHECK:
			running++;
			if (start_worker(j) != 0) {
				running--;
				pthread_mutex_unlock(&mu);
				do_check(j);
				pthread_mutex_lock(&mu);
				emit(j);
			}
			break;
		case ROLLBACK:
			pthread_mutex_unlock(&mu);
			do_rollback(j);
			pthread_mutex_lock(&mu);
			emit(j);
			break;
		case SKIP:
			aas_rec_fail(&j->rec, "qa", "skipped", "not checked: "
			    "--fail-fast after an earlier failure");
			j->result = R_SKIPPED;
			emit(j);
			break;
		case PASS:
			emit(j);
			break;
		}
		pthread_mutex_unlock(&mu);
	}
	if (aas_stop_flag)
		cancel_all = 1;
	pthread_mutex_lock(&mu);
	while (running > 0)
		tick();
	reap();
	pthread_mutex_unlock(&mu);
	free(ended);
	aas_reader_free(&r);
	if (aas_stop_flag)
		stopped = 1;
	if (fatal)
		return AAS_EXIT_FATAL;
	if (status != AAS_EXIT_OK)
		return status;
	if (stopped)
		return AAS_EXIT_STOPPED;
	return nfailed + nskipped + nbad > 0 ? AAS_EXIT_RECORD : AAS_EXIT_OK;
}

static int
parse_shard(const char *s, const char *origin)
{
	const char *arg = s;
	char *end;
	unsigned long i, n;

	errno = 0;
	i = strtoul(s, &end, 10);
	if (end == s || *end != '/')
		goto bad;
	s = end + 1;
	n = strtoul(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || n < 1 || n > 100000 ||
	    i < 1 || i > n)
		goto bad;
	shard_i = (unsigned)i;
	shard_n = (unsigned)n;
	return 0;
bad:
	aas_msg("%s: expected I/N with 1 <= I <= N: %s", origin, arg);
	return -1;
}

int
main(int argc, char *argv[])
{
	enum { OPT_FAILFAST = 256, OPT_KEEP, OPT_KEEPORDER, OPT_NOBUILTIN,
	    OPT_ROLLBACK, OPT_SANDBOX, OPT_SHARD, OPT_STATE, OPT_TMP,
	    OPT_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "fail-fast", no_argument, NULL, OPT_FAILFAST },
		{ "help", no_argument, NULL, 'h' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "keep-order", no_argument, NULL, OPT_KEEPORDER },
		{ "no-builtin", no_argument, NULL, OPT_NOBUILTIN },
		{ "quiet", no_argument, NULL, 'q' },
		{ "rollback", no_argument, NULL, OPT_ROLLBACK },
		{ "sandbox", no_argument, NULL, OPT_SANDBOX },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "tmp", no_argument, NULL, OPT_TMP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct aas_config *cf = NULL;
	struct aas_err e;
	const char *cfgfile = NULL, *statedir = NULL, *shard = NULL, *tmp;
	const char *ci_i, *ci_n;
	char *root, *end, cwd[4096], *s;
	sigset_t pipe_set;
	int64_t t0;
	int ch, status, sandbox = -1, nobuiltin = 0, use_tmp = 0;

	aas_qa_env_clean(argv);	/* no API key, even in /proc/self/environ */
	aas_setprogname(argv[0]);
	argv[0] = (char *)aas_progname();	/* getopt names it in messages */
	memset(&e, 0, sizeof(e));
	while ((ch = getopt_long(argc, argv, "c:hj:qv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			cfgfile = optarg;
			break;
		case 'h':
			aas_print_usage(0, usage);
			return AAS_EXIT_OK;
		case 'j':
			jobs = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || jobs < 1 ||
			    jobs > 1024) {
				aas_msg("-j: expected a number from 1 to 1024: "
				    "%s", optarg);
				aas_print_usage(1, usage);
				return AAS_EXIT_USAGE;
			}
			break;
		case 'q':
			aas_quiet = 1;
			break;
		case 'v':
			aas_verbose = 1;
			break;
		case OPT_FAILFAST:
			fail_fast = 1;
			break;
		case OPT_KEEP:
			keep = 1;
			break;
		case OPT_KEEPORDER:
			keep_order = 1;
			break;
		case OPT_NOBUILTIN:
			nobuiltin = 1;
			break;
		case OPT_ROLLBACK:
			rollback = 1;
			break;
		case OPT_SANDBOX:
			sandbox = 1;
			break;
		case OPT_SHARD:
			shard = optarg;
			break;
		case OPT_STATE:
			statedir = optarg;
			break;
		case OPT_TMP:
			use_tmp = 1;
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
	if (shard != NULL) {
		if (parse_shard(shard, "--shard") == -1) {
			aas_print_usage(1, usage);
			return AAS_EXIT_USAGE;
		}
	} else if ((ci_i = getenv("CI_NODE_INDEX")) != NULL && *ci_i != '\0' &&
	    (ci_n = getenv("CI_NODE_TOTAL")) != NULL && *ci_n != '\0') {
		s = aas_xasprintf("%s/%s", ci_i, ci_n);
		if (parse_shard(s, "$CI_NODE_INDEX/$CI_NODE_TOTAL") == -1) {
			free(s);
			return AAS_EXIT_USAGE;
		}
		free(s);
	}

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		aas_warn("getcwd");
		return AAS_EXIT_USAGE;
	}
	root = aas_find_repo_root(cwd);
	if (aas_config_load(&cf, root != NULL ? root : cwd, cfgfile, &e) ==
	    -1) {
		aas_msg("%s", e.msg);
		free(root);
		return AAS_EXIT_USAGE;
	}
	free(root);
	if (aas_qa_conf_load(&qc, cf, &e) == -1 ||
	    (sandbox == -1 && aas_config_bool(cf, "qa.sandbox", &sandbox,
	    &e) == -1)) {
		aas_msg("%s", e.msg);
		aas_config_free(cf);
		return AAS_EXIT_USAGE;
	}
	aas_config_free(cf);
	if (nobuiltin)
		qc.builtin = 0;
	if (sandbox == 1 && aas_qa_sandbox_probe(&qc, &e) == -1) {
		aas_msg("%s", e.msg);
		aas_qa_conf_free(&qc);
		return AAS_EXIT_USAGE;
	}

	aas_init();
	if (aas_state_open(&st, statedir, 0, &e) == -1) {
		aas_msg("%s", e.msg);
		aas_qa_conf_free(&qc);
		aas_fini();
		return AAS_EXIT_USAGE;
	}
	if (use_tmp) {
		tmp = getenv("TMPDIR");
		scratch_parent = aas_xstrdup(tmp != NULL && *tmp == '/' ? tmp :
		    "/tmp");
	} else
		scratch_parent = aas_state_path(st, "qa");
	aas_signals_install();
	/* A closed stdout must not kill us before the checks are stopped:
	 * EPIPE is seen, the children are killed, then SIGPIPE is let in. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

	t0 = aas_now_ms();
	status = run(stdin);
	if (pipe_gone) {
		signal(SIGPIPE, SIG_DFL);
		pthread_sigmask(SIG_UNBLOCK, &pipe_set, NULL);
		raise(SIGPIPE);
	}
	pthread_sigmask(SIG_UNBLOCK, &pipe_set, NULL);
	if (!aas_quiet)
		aas_msg("%zu passed, %zu failed, %zu skipped in %.1fs%s",
		    npassed, nfailed, nskipped,
		    (double)(aas_now_ms() - t0) / 1000.0,
		    status == AAS_EXIT_STOPPED ? ", stopped" : "");
	status = aas_finish_output(stdout, status);
	free(scratch_parent);
	aas_state_close(st);
	aas_qa_conf_free(&qc);
	aas_fini();
	return status;
}
