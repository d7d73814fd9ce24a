/*
 * aas-qa: check each task's commit in a scratch worktree: built-in syntax
 * checks and the configured commands, time-limited, optionally sandboxed;
 * with --rollback, the branch of a failed task is deleted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "cmd.h"
#include "config.h"
#include "integrate.h"
#include "qa.h"
#include "record.h"
#include "scratch.h"
#include "state.h"
#include "banned.h"

static const char usage[] =
    "[-qv] [-j N] [--keep-order] [--shard I/N] [--rollback] [--fail-fast] "
    "[--keep] [--tmp] [--sandbox] [--no-builtin] [--integrate] [-c FILE] "
    "[--state DIR]";

enum kind { PASS, CHECK, ROLLBACK, SKIP };
enum result { R_PASSED, R_FAILED, R_STOPPED };

static struct aas_qa_conf qc;
static char *scratch_parent;
static long jobs = 1;
static int keep_order, rollback, fail_fast, keep, sandbox = -1, nobuiltin;
static int use_tmp;
static const char *shard;
static const char *integrate;	/* --integrate: the branch, or NULL */
static int want_integrate;
static unsigned shard_i, shard_n;
static struct aas_loop loop;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static size_t npassed, nfailed, nskipped;	/* under mu */
static int failed_once;				/* under mu */

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
do_rollback(struct aas_rec *rec)
{
	json_t *qa = aas_rec_get(rec, "qa"), *nq;

	if (json_is_true(json_object_get(qa, "rolled_back")) ||
	    !drop_branch(rec))
		return;
	nq = json_is_object(qa) ? json_deep_copy(qa) : json_object();
	json_object_set_new(nq, "rolled_back", json_true());
	aas_rec_set(rec, "qa", nq);
	json_decref(nq);
}

static enum result
do_check(struct aas_rec *rec)
{
	enum result result;
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
		return R_FAILED;
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
		free(list);
		return R_FAILED;
	}
	t.worktree = dir;
	if (aas_scratch_checkout(t.repo, t.commit, dir, &e) == -1) {
		aas_rec_fail_err(rec, "qa", &e);
		aas_scratch_remove(dir, &e);
		free(dir);
		free(list);
		return R_FAILED;
	}
	qa = aas_qa_run(&qc, &t, &loop.cancel, &canceled);
	if (!canceled && !keep && aas_scratch_remove(dir, &e) == -1)
		aas_msg("%s: %s", aas_rec_where(rec), e.msg);
	if (canceled) {
		/* the record goes on untouched: a re-run checks it */
		aas_scratch_remove(dir, &e);
		result = R_STOPPED;
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
			result = R_FAILED;
		} else if (integrate != NULL && aas_integrate_rec(rec,
		    integrate) != 0)
			result = R_FAILED;
		else
			result = R_PASSED;
		free(why);
	}
	json_decref(qa);
	free(dir);
	free(list);
	return result;
}

/* A check, in a thread of its own: 1 when the record failed. */
static int
check_step(struct aas_rec *rec, void *arg, struct aas_err *e)
{
	enum result r = do_check(rec);

	(void)arg, (void)e;
	pthread_mutex_lock(&mu);
	if (r == R_PASSED) {
		npassed++;
		if (aas_progress_enabled() && !aas_quiet)
			aas_msg("%s: passed", aas_rec_where(rec));
	} else if (r == R_FAILED) {
		nfailed++;
		if (fail_fast)
			failed_once = 1;
	}
	pthread_mutex_unlock(&mu);
	return r == R_FAILED;
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

/* In the reading thread: what to do with the record. */
static int
dispatch(struct aas_rec *rec, void *arg, struct aas_err *e)
{
	enum kind k;

	(void)arg, (void)e;
	pthread_mutex_lock(&mu);
	k = classify(rec);
	if (k == SKIP)
		nskipped++;
	pthread_mutex_unlock(&mu);
	switch (k) {
	case CHECK:
		return AAS_LOOP_ASYNC;
	case ROLLBACK:
		do_rollback(rec);
		return 0;
	case SKIP:
		aas_rec_fail(rec, "qa", "skipped", "not checked: --fail-fast "
		    "after an earlier failure");
		return 1;
	case PASS:
		break;
	}
	return 0;
}

static int
parse_shard(const char *s, const char *origin, struct aas_err *e)
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
	return aas_err_set(e, "usage", "%s: expected I/N with 1 <= I <= N: %s",
	    origin, arg);
}

enum { OPT_FAILFAST = 256, OPT_INTEGRATE, OPT_KEEP, OPT_KEEPORDER,
    OPT_NOBUILTIN, OPT_ROLLBACK, OPT_SANDBOX, OPT_SHARD, OPT_TMP };

static int
option(struct aas_cmd *c, int ch, const char *arg, struct aas_err *e)
{
	char *end;

	(void)c;
	switch (ch) {
	case 'j':
		jobs = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || jobs < 1 || jobs > 1024)
			return aas_err_set(e, "usage", "-j: expected a number "
			    "from 1 to 1024: %s", arg);
		break;
	case OPT_FAILFAST:
		fail_fast = 1;
		break;
	case OPT_INTEGRATE:
		want_integrate = 1;
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
		shard = arg;
		break;
	case OPT_TMP:
		use_tmp = 1;
		break;
	}
	return 0;
}

static int
operands(struct aas_cmd *c, int argc, char **argv, struct aas_err *e)
{
	(void)c, (void)argc, (void)argv;
	return shard != NULL ? parse_shard(shard, "--shard", e) : 0;
}

static int
setup(struct aas_cmd *c, struct aas_err *e)
{
	const char *ci_i, *ci_n, *tmp;
	char *s;
	int rc;

	if (shard == NULL && (ci_i = getenv("CI_NODE_INDEX")) != NULL &&
	    *ci_i != '\0' && (ci_n = getenv("CI_NODE_TOTAL")) != NULL &&
	    *ci_n != '\0') {
		s = aas_xasprintf("%s/%s", ci_i, ci_n);
		rc = parse_shard(s, "$CI_NODE_INDEX/$CI_NODE_TOTAL", e);
		free(s);
		if (rc == -1)
			return -1;
	}
	if ((want_integrate && aas_integrate_name(c->cf, &integrate,
	    e) == -1) || aas_qa_conf_load(&qc, c->cf, e) == -1 ||
	    (sandbox == -1 && aas_config_bool(c->cf, "qa.sandbox", &sandbox,
	    e) == -1))
		return -1;
	if (nobuiltin)
		qc.builtin = 0;
	if (sandbox == 1 && aas_qa_sandbox_probe(&qc, e) == -1)
		return -1;
	if (use_tmp) {
		tmp = getenv("TMPDIR");
		scratch_parent = aas_xstrdup(tmp != NULL && *tmp == '/' ? tmp :
		    "/tmp");
	} else
		scratch_parent = aas_state_path(c->st, "qa");
	return 0;
}

static int
run(struct aas_cmd *c)
{
	int64_t t0 = aas_now_ms();
	int status;

	loop.stage = "qa";
	loop.step = check_step;
	loop.dispatch = dispatch;
	loop.see_errors = 1;
	loop.jobs = jobs;
	loop.keep_order = keep_order;
	loop.state = c->st;
	status = aas_loop_run(&loop, stdin, "stdin", stdout);
	if (!aas_quiet)
		aas_msg("%zu passed, %zu failed, %zu skipped in %.1fs%s",
		    npassed, nfailed, nskipped,
		    (double)(aas_now_ms() - t0) / 1000.0,
		    status == AAS_EXIT_STOPPED ? ", stopped" : "");
	return status;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	free(scratch_parent);
	aas_qa_conf_free(&qc);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "fail-fast", no_argument, NULL, OPT_FAILFAST },
		{ "integrate", no_argument, NULL, OPT_INTEGRATE },
		{ "jobs", required_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "keep-order", no_argument, NULL, OPT_KEEPORDER },
		{ "no-builtin", no_argument, NULL, OPT_NOBUILTIN },
		{ "rollback", no_argument, NULL, OPT_ROLLBACK },
		{ "sandbox", no_argument, NULL, OPT_SANDBOX },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "tmp", no_argument, NULL, OPT_TMP },
		{ NULL, 0, NULL, 0 }
	};
	struct aas_cmd cmd = {
		.usage = usage, .shortopts = "j:", .longopts = longopts,
		.need = AAS_NEED_STATE | AAS_NEED_CONFIG,
		.option = option, .operands = operands, .setup = setup,
		.run = run, .cleanup = cleanup,
	};

	aas_qa_env_clean(argv);	/* no API key, even in /proc/self/environ */
	return aas_cmd_main(&cmd, argc, argv);
}
