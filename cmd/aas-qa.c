/*
 * aas-qa: check each task's commit in a scratch worktree: built-in syntax
 * checks and the configured commands, time-limited, optionally sandboxed;
 * with --rollback, the branch of a failed task is deleted.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "cmd.h"
#include "config.h"
#include "git.h"
#include "integrate.h"
#include "progress.h"
#include "qa.h"
#include "record.h"
#include "scratch.h"
#include "state.h"
#include "banned.h"

static const char usage[] =
    "[-qv] [-j N] [--keep-order] [--shard I/N] [--rollback] [--pick] "
    "[--fail-fast] [--keep] [--tmp] [--sandbox] [--no-builtin] [--integrate] "
    "[-c FILE] "
    "[--state DIR]";

/* PICK_*: a candidate under --pick, to check then hold, to hold as it
 * is (it failed before), or malformed. */
enum kind { PASS, CHECK, ROLLBACK, SKIP, PICK_CHECK, PICK_HOLD, PICK_BAD };
enum result { R_PASSED, R_FAILED, R_STOPPED, R_SKIPPED };

static struct aas_qa_conf qc;
static char *scratch_parent;
static long jobs = 1;
static int keep_order, rollback, fail_fast, keep, sandbox = -1, nobuiltin;
static int pick;
static int use_tmp;
static const char *shard;
static const char *integrate;	/* --integrate: the branch, or NULL */
static int want_integrate;
static unsigned shard_i, shard_n;
static struct aas_loop loop;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static size_t npassed, nfailed, nskipped;	/* under mu */
static int failed_once;				/* under mu */

/*
 * The loop runs one task more than -j: its scratch tree is made while
 * the others' checks run, then it waits here for one of the -j check
 * slots.  0 with a slot; 1 when a task before it failed under
 * --fail-fast (no slot: it is skipped); -1 when the run is stopped
 * meanwhile (a signal or the STOP file: its checks have not started, so
 * none start).
 */
static pthread_cond_t slot_cv = PTHREAD_COND_INITIALIZER;
static long slots_busy;				/* under mu */
/* The tasks dispatched and not yet given a slot, in input order: the
 * checks start in that order, as they did one at a time. */
static struct aas_rec **waiting;		/* under mu */
static size_t nwaiting, capwaiting;
static char *stop_path;			/* the STOP file */

/* rec joins the queue (dispatch); the caller holds mu. */
static void
queue_add(struct aas_rec *rec)
{
	if (nwaiting == capwaiting) {
		capwaiting = capwaiting ? capwaiting * 2 : 16;
		waiting = aas_xreallocarray(waiting, capwaiting,
		    sizeof(*waiting));
	}
	waiting[nwaiting++] = rec;
}

/* rec leaves it (given a slot, or done before it needed one); the
 * caller holds mu. */
static void
queue_drop(struct aas_rec *rec)
{
	size_t i;

	for (i = 0; i < nwaiting; i++)
		if (waiting[i] == rec) {
			memmove(waiting + i, waiting + i + 1,
			    (nwaiting - i - 1) * sizeof(*waiting));
			nwaiting--;
			pthread_cond_broadcast(&slot_cv);
			return;
		}
}

/* A task that ends before its checks (no tree, a bad record). */
static void
slot_skip(struct aas_rec *rec)
{
	pthread_mutex_lock(&mu);
	queue_drop(rec);
	pthread_mutex_unlock(&mu);
}

static int
slot_take(struct aas_rec *rec)
{
	struct timespec ts;
	int rc = 0;

	pthread_mutex_lock(&mu);
	for (;;) {
		/* a signal reaches the workers as loop.cancel (the flag
		 * is the main thread's); the STOP file is looked at here */
		if (loop.cancel || access(stop_path, F_OK) == 0) {
			rc = -1;
			break;
		}
		if (nwaiting > 0 && waiting[0] == rec && fail_fast &&
		    failed_once) {
			rc = 1;
			break;
		}
		if (slots_busy < jobs && nwaiting > 0 && waiting[0] == rec)
			break;
		/* a stop is a flag or a file: looked at every 100 ms */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&slot_cv, &mu, &ts);
	}
	if (rc == 0)
		slots_busy++;
	/* a task skipped leaves the queue once it has said so */
	if (rc != 1)
		queue_drop(rec);
	pthread_mutex_unlock(&mu);
	return rc;
}

/* The slot back; a failure is known (--fail-fast) before the task that
 * waits for it looks. */
static void
slot_give(int failed)
{
	pthread_mutex_lock(&mu);
	if (failed && fail_fast)
		failed_once = 1;
	slots_busy--;
	pthread_cond_broadcast(&slot_cv);
	pthread_mutex_unlock(&mu);
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

/* A record with error (and no qa: a checked one passes as it is). */
static void
do_rollback(struct aas_rec *rec)
{
	json_t *nq;

	if (!drop_branch(rec))
		return;
	nq = json_pack("{s:b}", "rolled_back", 1);
	aas_rec_set(rec, "qa", nq);
	json_decref(nq);
}

/*
 * For a fail_to_pass check: the base's tree with the plan's test files
 * (plan.tests that are files of the commit) added, in a folder of its
 * own: 0 with *dirp set (NULL when the plan names no such file), or -1
 * with e set.
 */
static int
make_base(struct aas_rec *rec, const struct aas_qa_task *t, char **dirp,
    struct aas_err *e)
{
	json_t *tests = json_object_get(aas_rec_get(rec, "plan"), "tests");
	const char **names;
	char *dir, *name;
	size_t i, j, n = 0, written;
	json_t *v;

	*dirp = NULL;
	names = aas_xcalloc(json_array_size(tests) + 1, sizeof(*names));
	json_array_foreach(tests, i, v)
		for (j = 0; j < t->nfiles; j++)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), t->files[j]) == 0) {
				names[n++] = t->files[j];
				break;
			}
	if (n == 0) {
		free(names);
		return 0;
	}
	if (t->base == NULL) {
		free(names);
		return aas_err_set(e, "bad_apply", "apply.base must be a "
		    "string for a fail_to_pass check");
	}
	name = aas_xasprintf("%s.base", t->id != NULL ? t->id : "");
	dir = aas_scratch_mkdir(scratch_parent, name, e);
	free(name);
	if (dir == NULL ||
	    aas_scratch_checkout(t->repo, t->base, dir, e) == -1 ||
	    aas_scratch_overlay(t->repo, t->commit, dir, names, n, &written,
	    e) == -1) {
		if (dir != NULL) {
			struct aas_err e2;

			aas_scratch_remove(dir, &e2);
		}
		free(dir);
		free(names);
		return -1;
	}
	free(names);
	if (written == 0) {
		/* none is a file there (a submodule, say): no tests */
		aas_scratch_remove(dir, e);
		free(dir);
		return 0;
	}
	*dirp = dir;
	return 0;
}

/* Check the record's commit; with roll, delete the branch of a failure
 * (--rollback). */
static enum result
do_check(struct aas_rec *rec, int roll)
{
	enum result result;
	struct aas_qa_task t;
	struct aas_err e;
	json_t *files = json_object_get(aas_rec_get(rec, "apply"), "files");
	json_t *f, *qa;
	const char *path, *op, **list;
	char *dir, *bdir = NULL, *why;
	size_t i;
	int canceled, skip;

	memset(&t, 0, sizeof(t));
	memset(&e, 0, sizeof(e));
	t.id = aas_rec_str(rec, "id");
	t.title = aas_rec_str(rec, "title");
	t.repo = apply_str(rec, "repo");
	t.base = apply_str(rec, "base");
	t.branch = apply_str(rec, "branch");
	t.commit = apply_str(rec, "commit");
	if (t.repo == NULL || t.commit == NULL) {
		slot_skip(rec);
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
		slot_skip(rec);
		aas_rec_fail_err(rec, "qa", &e);
		free(list);
		return R_FAILED;
	}
	t.worktree = dir;
	if (aas_scratch_checkout(t.repo, t.commit, dir, &e) == -1) {
		slot_skip(rec);
		aas_rec_fail_err(rec, "qa", &e);
		aas_scratch_remove(dir, &e);
		free(dir);
		free(list);
		return R_FAILED;
	}
	if (aas_qa_wants_base(&qc, &t) && make_base(rec, &t, &bdir, &e) == -1) {
		slot_skip(rec);
		aas_rec_fail_err(rec, "qa", &e);
		aas_scratch_remove(dir, &e);
		free(dir);
		free(list);
		return R_FAILED;
	}
	t.base_worktree = bdir;
	if ((skip = slot_take(rec)) != 0) {
		/* stopped before its checks began (-1: untouched, for a
		 * re-run to check), or a task before it failed while it
		 * waited (1: said before any task after it is) */
		if (skip == 1) {
			aas_rec_fail(rec, "qa", "skipped", "not checked: "
			    "--fail-fast after an earlier failure");
			slot_skip(rec);
		}
		aas_scratch_remove(dir, &e);
		if (bdir != NULL)
			aas_scratch_remove(bdir, &e);
		free(bdir);
		free(dir);
		free(list);
		return skip == 1 ? R_SKIPPED : R_STOPPED;
	}
	qa = aas_qa_run(&qc, &t, &loop.cancel, &canceled);
	if (!canceled && !keep && aas_scratch_remove(dir, &e) == -1)
		aas_msg("%s: %s", aas_rec_where(rec), e.msg);
	if (bdir != NULL && !canceled && !keep &&
	    aas_scratch_remove(bdir, &e) == -1)
		aas_msg("%s: %s", aas_rec_where(rec), e.msg);
	if (canceled) {
		/* the record goes on untouched: a re-run checks it */
		aas_scratch_remove(dir, &e);
		if (bdir != NULL)
			aas_scratch_remove(bdir, &e);
		result = R_STOPPED;
	} else {
		if (keep) {
			json_object_set_new(qa, "worktree", json_string(dir));
			if (bdir != NULL)
				json_object_set_new(qa, "base_worktree",
				    json_string(bdir));
			if (!aas_quiet)
				aas_msg("%s: worktree kept: %s",
				    aas_rec_where(rec), dir);
			if (!aas_quiet && bdir != NULL)
				aas_msg("%s: base worktree kept: %s",
				    aas_rec_where(rec), bdir);
		}
		why = aas_qa_reason(qa);
		if (why != NULL && roll)
			json_object_set_new(qa, "rolled_back",
			    json_boolean(drop_branch(rec)));
		aas_rec_set(rec, "qa", qa);
		if (why != NULL) {
			aas_rec_fail(rec, "qa", aas_qa_code(qa), "%s", why);
			result = R_FAILED;
		} else if (integrate != NULL && !(pick && aas_rec_get(rec,
		    "candidate") != NULL) && aas_integrate_rec(rec,
		    integrate) != 0)
			result = R_FAILED;
		else
			result = R_PASSED;
		free(why);
	}
	slot_give(result == R_FAILED);
	json_decref(qa);
	free(bdir);
	free(dir);
	free(list);
	return result;
}

/*
 * --pick: the candidates of a task ("candidate" {k, n}) are held until
 * all n are in, then one record goes out for the task.  Held: the open
 * tasks only, each with the candidates that arrived.
 */
struct cand {
	long long	 k;
	char		*orig;		/* the record as it came */
	size_t		 origlen;
	struct aas_rec	 rec;		/* as checked, once done */
	int		 done, ok;
	int		 gone;		/* written as it came (a stopped check) */
};

struct group {
	char		*id;
	long long	 n;
	struct cand	*c;
	size_t		 nc, ndone;
	struct group	*next;
};

static struct group *groups;	/* under mu */

static char *
memdup(const char *s, size_t n)
{
	char *p = aas_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static long long
cand_k(struct aas_rec *rec, long long *np)
{
	json_t *c = aas_rec_get(rec, "candidate");
	json_t *k = json_object_get(c, "k"), *n = json_object_get(c, "n");

	if (!json_is_integer(k) || !json_is_integer(n) ||
	    json_integer_value(k) < 1 ||
	    json_integer_value(k) > json_integer_value(n))
		return -1;
	*np = json_integer_value(n);
	return json_integer_value(k);
}

static void
group_free(struct group *g)
{
	size_t i;

	for (i = 0; i < g->nc; i++) {
		free(g->c[i].orig);
		if (g->c[i].done)
			aas_rec_free(&g->c[i].rec);
	}
	free(g->c);
	free(g->id);
	free(g);
}

/* With mu held: the candidate joins its task's group.  NULL with why set
 * when it cannot (a number twice, or a count that differs). */
static struct cand *
group_join(struct aas_rec *rec, struct group **gp, const char **why)
{
	const char *id = aas_rec_str(rec, "id");
	struct group *g;
	struct cand *c;
	long long k, n;
	size_t i;

	k = cand_k(rec, &n);
	for (g = groups; g != NULL; g = g->next)
		if (strcmp(g->id, id) == 0)
			break;
	if (g == NULL) {
		g = aas_xcalloc(1, sizeof(*g));
		g->id = aas_xstrdup(id);
		g->n = n;
		g->next = groups;
		groups = g;
	}
	if (g->n != n) {
		*why = "a candidate count that differs from the task's other "
		    "candidates";
		return NULL;
	}
	for (i = 0; i < g->nc; i++)
		if (g->c[i].k == k) {
			*why = "a candidate number already seen";
			return NULL;
		}
	g->c = aas_xreallocarray(g->c, g->nc + 1, sizeof(*g->c));
	c = &g->c[g->nc++];
	memset(c, 0, sizeof(*c));
	c->k = k;
	c->orig = memdup(rec->line, rec->len);
	c->origlen = rec->len;
	*gp = g;
	return c;
}

/* With mu held: c is done (its record as it is now); 1 when that
 * completes its group, which is then out of the list. */
static int
group_done(struct group *g, struct cand *c, struct aas_rec *rec, int ok)
{
	struct group **pp;

	aas_rec_parse(&c->rec, rec->line, rec->len, NULL);
	c->done = 1;
	c->ok = ok;
	if (++g->ndone < (size_t)g->n)
		return 0;
	for (pp = &groups; *pp != g; pp = &(*pp)->next)
		;
	*pp = g->next;
	return 1;
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->k < y->k ? -1 : x->k > y->k;
}

static const char *
cand_str(const struct cand *c, const char *key)
{
	return json_string_value(json_object_get(aas_rec_get(&c->rec,
	    "apply"), key));
}

/* The branch of the task a candidate's branch is "<task>.c<k>" of
 * (caller frees); NULL when it is not one. */
static char *
task_branch(const struct cand *c)
{
	const char *b = cand_str(c, "branch");
	char *suffix, *t;
	size_t n, m;

	if (b == NULL)
		return NULL;
	suffix = aas_xasprintf(".c%lld", c->k);
	n = strlen(b);
	m = strlen(suffix);
	t = n > m && strcmp(b + n - m, suffix) == 0 ?
	    memdup(b, n - m) : NULL;
	free(suffix);
	return t;
}

/* The outcome of one candidate for "candidates". */
static json_t *
cand_outcome(const struct cand *c)
{
	json_t *o = json_object(), *err = aas_rec_get(&c->rec, "error"), *x;
	json_t *names;
	const char *s;
	size_t i;

	json_object_set_new(o, "k", json_integer(c->k));
	json_object_set_new(o, "ok", json_boolean(c->ok));
	s = cand_str(c, "branch");
	json_object_set_new(o, "branch", s != NULL ? json_string(s) :
	    json_null());
	s = cand_str(c, "commit");
	json_object_set_new(o, "commit", s != NULL ? json_string(s) :
	    json_null());
	if (c->ok)
		return o;
	s = json_string_value(json_object_get(err, "stage"));
	json_object_set_new(o, "stage", json_string(s != NULL ? s : "qa"));
	s = json_string_value(json_object_get(err, "code"));
	json_object_set_new(o, "code", json_string(s != NULL ? s :
	    "qa_failed"));
	names = json_array();
	json_array_foreach(json_object_get(aas_rec_get(&c->rec, "qa"),
	    "checks"), i, x)
		if (json_is_true(json_object_get(x, "required")) &&
		    !json_is_true(json_object_get(x, "ok")))
			json_array_append(names, json_object_get(x, "name"));
	json_object_set_new(o, "checks", names);
	return o;
}

/* The commit the record's last history entry names, or NULL. */
static const char *
history_commit(struct aas_rec *rec)
{
	json_t *h = aas_rec_get(rec, "history");

	if (!json_is_array(h) || json_array_size(h) == 0)
		return NULL;
	return json_string_value(json_object_get(json_array_get(h,
	    json_array_size(h) - 1), "commit"));
}

/*
 * Point branch (the task's) at the winner's commit: created when absent,
 * left when there already, moved by compare-and-swap when it holds the
 * task's failed attempt (the last history entry's commit); else
 * branch_exists.
 */
static int
land(struct aas_rec *rec, const char *repo, const char *branch,
    const char *commit, struct aas_err *e)
{
	struct aas_git *g;
	char tip[AAS_GIT_HEX], *where = NULL;
	const char *failed = history_commit(rec);
	int r;

	if (aas_git_open(&g, repo, e) == -1)
		return -1;
	if ((r = aas_git_branch_checked_out(g, branch, &where, e)) == 1) {
		r = aas_err_set(e, "branch_checked_out", "branch %s is checked "
		    "out (%s): refusing to move it", branch, where);
		free(where);
	}
	if (r == 0 && (r = aas_git_branch_get(g, branch, tip, e)) == 1)
		r = aas_git_branch_set(g, branch, commit, NULL,
		    "aas-qa --pick", e);
	else if (r == 0 && strcmp(tip, commit) != 0) {
		if (failed != NULL && strcmp(failed, tip) == 0)
			r = aas_git_branch_set(g, branch, commit, tip,
			    "aas-qa --pick", e);
		else
			r = aas_err_set(e, "branch_exists", "branch %s already "
			    "exists", branch);
	}
	aas_git_close(g);
	return r;
}

/*
 * A task's candidates are in (or, with complete 0, the input ended
 * first): its one record goes into out (initialised here).  The winner
 * is the first candidate in number order that passed; its commit becomes
 * the task's branch and its record comes out with apply.branch naming
 * it.  With none (or an incomplete task) the first candidate's record
 * comes out with its own error (missing_candidates when incomplete).
 * Every candidate branch of the task is deleted, but a winner's that
 * could not land.  Returns 1 when out carries an error, else 0.
 */
static int
pick_finish(struct group *g, int complete, struct aas_rec *out)
{
	struct cand *w = NULL, *c;
	struct aas_err e;
	json_t *list = json_array(), *ap;
	struct aas_buf got = AAS_BUF_INIT;
	char *tb = NULL, *b;
	int landed = 0, rc;
	size_t i;

	memset(&e, 0, sizeof(e));
	qsort(g->c, g->nc, sizeof(*g->c), cand_cmp);
	for (i = 0; i < g->nc; i++) {
		c = &g->c[i];
		json_array_append_new(list, cand_outcome(c));
		if (complete && w == NULL && c->ok)
			w = c;
	}
	c = w != NULL ? w : &g->c[0];
	aas_rec_parse(out, c->rec.line, c->rec.len, NULL);
	if (w != NULL && (tb = task_branch(w)) != NULL &&
	    land(&w->rec, cand_str(w, "repo"), tb, cand_str(w, "commit"),
	    &e) == 0)
		landed = 1;
	for (i = 0; i < g->nc; i++) {
		c = &g->c[i];
		if ((c == w && !landed) || (b = task_branch(c)) == NULL)
			continue;
		free(b);
		if (cand_str(c, "repo") == NULL ||
		    cand_str(c, "commit") == NULL)
			continue;
		drop_branch(&c->rec);
	}
	aas_rec_del(out, "candidate");
	aas_rec_set(out, "candidates", list);
	json_decref(list);
	if (landed) {
		ap = json_deep_copy(aas_rec_get(out, "apply"));
		json_object_set_new(ap, "branch", json_string(tb));
		aas_rec_set(out, "apply", ap);
		json_decref(ap);
		if (integrate != NULL)
			(void)aas_integrate_rec(out, integrate);
	} else if (w != NULL && tb != NULL)
		aas_rec_fail(out, "qa", e.code, "%s: candidate %lld kept on "
		    "%s", e.msg, w->k, cand_str(w, "branch"));
	else if (!complete) {
		for (i = 0; i < g->nc; i++)
			aas_buf_printf(&got, "%s%lld", i ? ", " : "",
			    g->c[i].k);
		aas_rec_fail(out, "qa", "missing_candidates", "%zu of %lld "
		    "candidates arrived before the input ended (%s)", g->nc,
		    g->n, got.s);
		aas_buf_free(&got);
	} else if (w == NULL && !aas_quiet)
		aas_msg("%s: none of %lld candidates passed",
		    aas_rec_where(out), g->n);
	rc = aas_rec_get(out, "error") != NULL;
	free(tb);
	return rc;
}

/* A finished check: counted, and with --fail-fast noted. */
static void
count(struct aas_rec *rec, enum result r)
{
	pthread_mutex_lock(&mu);
	if (r == R_PASSED) {
		npassed++;
		if (aas_progress_enabled() && !aas_quiet)
			aas_msg("%s: passed", aas_rec_where(rec));
	} else if (r == R_FAILED) {
		nfailed++;
		if (fail_fast)
			failed_once = 1;
	} else if (r == R_SKIPPED)
		nskipped++;
	pthread_mutex_unlock(&mu);
}

/* A candidate is done (checked, or failed before): held, or, when it is
 * its task's last, replaced by the task's record. */
static int
cand_done(struct aas_rec *rec, int ok)
{
	struct group *g;
	struct cand *c = NULL;
	size_t i;
	long long n, k = cand_k(rec, &n);
	int complete = 0, rc;

	pthread_mutex_lock(&mu);
	for (g = groups; g != NULL && c == NULL; g = g->next) {
		if (strcmp(g->id, aas_rec_str(rec, "id")) != 0)
			continue;
		for (i = 0; i < g->nc; i++)
			if (g->c[i].k == k && !g->c[i].done)
				c = &g->c[i];
		if (c != NULL)
			complete = group_done(g, c, rec, ok);
		break;
	}
	pthread_mutex_unlock(&mu);
	if (!complete)
		return AAS_LOOP_DROP;
	aas_rec_free(rec);
	rc = pick_finish(g, 1, rec);
	group_free(g);
	return rc;
}

/* A check, in a thread of its own: 1 when the record failed. */
static int
check_step(struct aas_rec *rec, void *arg, struct aas_err *e)
{
	int cand = pick && aas_rec_get(rec, "candidate") != NULL;
	enum result r = do_check(rec, rollback && !cand);

	(void)arg, (void)e;
	count(rec, r);
	if (cand && r == R_STOPPED) {
		struct group *g;
		long long n, k = cand_k(rec, &n);
		size_t i;

		/* written as it came, for a re-run to check */
		pthread_mutex_lock(&mu);
		for (g = groups; g != NULL; g = g->next)
			if (strcmp(g->id, aas_rec_str(rec, "id")) == 0)
				for (i = 0; i < g->nc; i++)
					if (g->c[i].k == k)
						g->c[i].gone = 1;
		pthread_mutex_unlock(&mu);
		return 0;
	}
	if (cand)
		return cand_done(rec, r == R_PASSED);
	return r == R_FAILED;
}

static enum kind
classify(struct aas_rec *rec)
{
	int has_error = aas_rec_get(rec, "error") != NULL;
	int has_apply = json_is_object(aas_rec_get(rec, "apply"));
	long long n;

	if (rec->bad || aas_rec_get(rec, "qa") != NULL)
		return PASS;
	if (pick && aas_rec_get(rec, "candidate") != NULL) {
		if (shard_n > 0 && aas_qa_shard(aas_rec_str(rec, "id"),
		    shard_n) != shard_i)
			return PASS;
		if (aas_rec_str(rec, "id") == NULL || cand_k(rec, &n) == -1)
			return PICK_BAD;
		if (has_error || !has_apply || failed_once)
			return PICK_HOLD;
		return PICK_CHECK;
	}
	if (!has_apply || (has_error && !rollback))
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
	struct group *g;
	const char *why = NULL;
	enum kind k;
	int joined = 1;

	(void)arg, (void)e;
	pthread_mutex_lock(&mu);
	k = classify(rec);
	/* skipped after the tasks set up before it: their word first */
	while (k == SKIP && nwaiting > 0)
		pthread_cond_wait(&slot_cv, &mu);
	if (k == SKIP || (k == PICK_HOLD && failed_once &&
	    aas_rec_get(rec, "error") == NULL &&
	    json_is_object(aas_rec_get(rec, "apply"))))
		nskipped++;
	if ((k == PICK_CHECK || k == PICK_HOLD) &&
	    group_join(rec, &g, &why) == NULL)
		joined = 0;
	pthread_mutex_unlock(&mu);
	if (!joined) {
		aas_rec_fail(rec, "qa", "bad_candidate", "candidate %lld: %s",
		    json_integer_value(aas_rec_path(rec, "candidate.k")), why);
		return 1;
	}
	switch (k) {
	case CHECK:
	case PICK_CHECK:
		pthread_mutex_lock(&mu);
		queue_add(rec);
		pthread_mutex_unlock(&mu);
		return AAS_LOOP_ASYNC;
	case ROLLBACK:
		do_rollback(rec);
		return 0;
	case SKIP:
		aas_rec_fail(rec, "qa", "skipped", "not checked: --fail-fast "
		    "after an earlier failure");
		return 1;
	case PICK_BAD:
		aas_rec_fail(rec, "qa", "bad_candidate", "candidate: expected "
		    "an id and {\"k\":K,\"n\":N} with 1 <= K <= N");
		return 1;
	case PICK_HOLD:
		if (aas_rec_get(rec, "error") != NULL)
			;
		else if (!json_is_object(aas_rec_get(rec, "apply")))
			aas_rec_fail(rec, "qa", "not_applied", "candidate "
			    "%lld has no apply to check",
			    json_integer_value(aas_rec_path(rec,
			    "candidate.k")));
		else
			aas_rec_fail(rec, "qa", "skipped", "not checked: "
			    "--fail-fast after an earlier failure");
		return cand_done(rec, 0);
	case PASS:
		break;
	}
	return 0;
}

/*
 * After the input: the tasks whose candidates did not all arrive.  On a
 * stop each candidate is written as it came (a re-run checks it);
 * otherwise the task is written failed (missing_candidates).
 */
static int
pick_rest(int status)
{
	struct group *g;
	struct aas_rec out;
	size_t i;

	while ((g = groups) != NULL) {
		groups = g->next;
		if (status == AAS_EXIT_FATAL) {
			group_free(g);
			continue;
		}
		if (status == AAS_EXIT_STOPPED) {
			for (i = 0; i < g->nc; i++) {
				if (g->c[i].gone)
					continue;
				aas_rec_parse(&out, g->c[i].orig,
				    g->c[i].origlen, NULL);
				if (aas_rec_write(stdout, &out) == -1)
					status = AAS_EXIT_FATAL;
				aas_rec_free(&out);
			}
			group_free(g);
			continue;
		}
		if (pick_finish(g, 0, &out) == 1)
			status = AAS_EXIT_RECORD;
		if (aas_rec_write(stdout, &out) == -1)
			status = AAS_EXIT_FATAL;
		aas_rec_free(&out);
		group_free(g);
	}
	return status;
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
    OPT_NOBUILTIN, OPT_PICK, OPT_ROLLBACK, OPT_SANDBOX, OPT_SHARD, OPT_TMP };

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
	case OPT_PICK:
		pick = 1;
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
	/* one task more than -j: its tree is made while the checks of
	 * the others run (slot_take); with -j 1 the records still go out
	 * in input order */
	loop.jobs = jobs + 1;
	stop_path = aas_state_path(c->st, "STOP");
	loop.keep_order = keep_order || jobs == 1;
	loop.state = c->st;
	status = aas_loop_run(&loop, stdin, "stdin", stdout);
	if (pick)
		status = pick_rest(status);
	if (status == AAS_EXIT_STOPPED)
		aas_stop_report(c->st);	/* why, before the summary */
	if (!aas_quiet)
		aas_msg("%zu passed, %zu failed, %zu skipped in %.1fs%s",
		    npassed, nfailed, nskipped,
		    (double)(aas_now_ms() - t0) / 1000.0,
		    status == AAS_EXIT_STOPPED ? ", stopped" : "");
	aas_progress_no_summary();	/* that was the summary */
	return status;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	free(scratch_parent);
	free(stop_path);
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
		{ "pick", no_argument, NULL, OPT_PICK },
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
