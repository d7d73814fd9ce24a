/*
 * aas-apply: each record's plan becomes one commit on its own branch
 * (aas/<id>), written straight into the object database: the user's work
 * tree, index and HEAD are never touched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "cmd.h"
#include "config.h"
#include "edit.h"
#include "git.h"
#include "integrate.h"
#include "path.h"
#include "record.h"
#include "banned.h"

static const char usage[] =
    "[-fnqv] [--base REV] [--integrate | --onto BRANCH] [--repo DIR]"
    " [-c FILE] [--state DIR]\n"
    "--undo [-qv] [--repo DIR] [-c FILE] [--state DIR]";

struct opts {
	struct aas_git *g;
	const char *base_rev;
	char	 base[AAS_GIT_HEX];
	const char *prefix;
	const char *author, *committer;
	const char *onto;
	const char *integrate;	/* --integrate: the branch, or NULL */
	char	 onto_tip[AAS_GIT_HEX];	/* "" until known */
	int	 onto_exists;
	struct aas_edit_limits lim;
	struct aas_path_guard *guard;	/* apply.protected_paths */
	int	 force, dry_run;
};

/* An id must make a plain branch name. */
static int
good_id(const char *id)
{
	const char *p;

	if (id == NULL || *id == '\0' || *id == '.' || *id == '-' ||
	    strstr(id, "..") != NULL || strlen(id) > 200)
		return 0;
	for (p = id; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.'))
			return 0;
	return p[-1] != '.';
}

static void
trim_slash(char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/*
 * The record's candidate number: 0 when it has no "candidate" key, k
 * (1 <= k <= n) from {"k":K,"n":N}, -1 when the key is malformed.
 */
static long long
candidate_k(struct aas_rec *rec, long long *np)
{
	json_t *c = aas_rec_get(rec, "candidate");
	json_t *k = json_object_get(c, "k"), *n = json_object_get(c, "n");

	*np = 0;
	if (c == NULL)
		return 0;
	if (!json_is_integer(k) || !json_is_integer(n) ||
	    json_integer_value(k) < 1 ||
	    json_integer_value(k) > json_integer_value(n))
		return -1;
	*np = json_integer_value(n);
	return json_integer_value(k);
}

static char *
commit_message(struct aas_rec *rec, json_t *plan, const char *id)
{
	struct aas_buf b = AAS_BUF_INIT;
	const char *title = aas_rec_str(rec, "title");
	const char *summary = jstr(plan, "summary");
	const char *model = json_string_value(aas_rec_path(rec,
	    "request.model"));
	const char *batch = json_string_value(aas_rec_path(rec, "batch.id"));
	long long k, nc;

	if (title != NULL && *title != '\0')
		aas_buf_printf(&b, "%s: %s\n", id, title);
	else
		aas_buf_printf(&b, "%s\n", id);
	if (summary != NULL && summary[strspn(summary, " \t\r\n")] != '\0') {
		size_t n = strlen(summary);

		while (n > 0 && (summary[n - 1] == '\n' ||
		    summary[n - 1] == ' ' || summary[n - 1] == '\r'))
			n--;
		aas_buf_addc(&b, '\n');
		aas_buf_add(&b, summary, n);
		aas_buf_addc(&b, '\n');
	}
	aas_buf_printf(&b, "\nAas-Task: %s\n", id);
	if (model != NULL && *model != '\0')
		aas_buf_printf(&b, "Aas-Model: %s\n", model);
	if (batch != NULL && *batch != '\0')
		aas_buf_printf(&b, "Aas-Batch: %s\n", batch);
	if ((k = candidate_k(rec, &nc)) > 0)
		aas_buf_printf(&b, "Aas-Candidate: %lld/%lld\n", k, nc);
	return aas_buf_detach(&b, NULL);
}

/*
 * May the branch, now at tip, be replaced?  Only when it holds the
 * record's own failed attempt: the last history entry's commit is tip.
 * The replacement is then a compare-and-swap from tip.
 */
static int
replaces_failed(struct aas_rec *rec, const char *tip)
{
	json_t *h = aas_rec_get(rec, "history");
	const char *c;

	if (!json_is_array(h) || json_array_size(h) == 0)
		return 0;
	c = jstr(json_array_get(h, json_array_size(h) - 1), "commit");
	return c != NULL && strcmp(c, tip) == 0;
}

static int
apply_step(struct aas_rec *rec, void *arg, struct aas_err *fatal)
{
	struct opts *o = arg;
	json_t *plan = aas_rec_get(rec, "plan"), *edits, *files, *ap;
	json_t *why = NULL;
	const char *id = aas_rec_str(rec, "id");
	char parent[AAS_GIT_HEX], old[AAS_GIT_HEX], tree[AAS_GIT_HEX];
	char commit[AAS_GIT_HEX], *branch = NULL, *where = NULL, *msg = NULL;
	struct aas_git_tree *t = NULL;
	struct aas_err e;
	long long k, n;
	int exists, rc = 1;

	(void)fatal;
	if (plan == NULL || aas_rec_get(rec, "apply") != NULL)
		return 0;	/* nothing to apply, or applied already */
	memset(&e, 0, sizeof(e));
	edits = json_object_get(plan, "edits");
	if (!good_id(id)) {
		aas_rec_fail(rec, "apply", "bad_id", "task id '%s' cannot name "
		    "a branch", id != NULL ? id : "");
		return 1;
	}
	if (!json_is_array(edits) || json_array_size(edits) == 0) {
		aas_rec_fail(rec, "apply", "bad_plan", "plan has no edits");
		return 1;
	}
	if ((k = candidate_k(rec, &n)) == -1) {
		aas_rec_fail(rec, "apply", "bad_candidate", "candidate: "
		    "expected {\"k\":K,\"n\":N} with 1 <= K <= N");
		return 1;
	}
	if (k > 0 && o->onto != NULL) {
		aas_rec_fail(rec, "apply", "bad_candidate", "--onto stacks "
		    "tasks: candidate %lld of %s needs a branch of its own",
		    k, id);
		return 1;
	}
	if (o->onto != NULL)
		branch = aas_xstrdup(o->onto);
	else if (k > 0)
		branch = aas_xasprintf("%s%s.c%lld", o->prefix, id, k);
	else
		branch = aas_xasprintf("%s%s", o->prefix, id);
	if (aas_git_branch_checked_out(o->g, branch, &where, &e) == 1) {
		trim_slash(where);
		aas_err_set(&e, "branch_checked_out", "branch %s is checked out "
		    "(%s): refusing to move it", branch, where);
		goto fail;
	}
	exists = aas_git_branch_get(o->g, branch, old, &e);
	if (exists == -1)
		goto fail;
	if (o->onto != NULL) {
		if (o->onto_tip[0] == '\0') {
			o->onto_exists = exists == 0;
			memcpy(o->onto_tip, exists == 0 ? old : o->base,
			    AAS_GIT_HEX);
		} else if (exists != 0 || strcmp(old, o->onto_tip) != 0) {
			aas_err_set(&e, "branch_moved", "branch %s has moved",
			    branch);
			goto fail;
		}
		memcpy(parent, o->onto_tip, AAS_GIT_HEX);
	} else {
		if (exists == 0 && !o->force && !replaces_failed(rec, old)) {
			aas_err_set(&e, "branch_exists", "branch %s already "
			    "exists (--force replaces it)", branch);
			goto fail;
		}
		memcpy(parent, o->base, AAS_GIT_HEX);
		if (o->integrate != NULL && aas_integrate_tip(o->g,
		    o->integrate, o->base, !o->dry_run, parent, &e) == -1)
			goto fail;
	}
	if (aas_git_tree_open(o->g, parent, &t, &e) == -1)
		goto fail;
	aas_git_tree_guard(t, o->guard, aas_rec_get(rec, "fields"));
	if (aas_edit_apply_why(t, edits, &o->lim, id, &files, &why,
	    &e) == -1)
		goto fail;
	ap = json_pack("{s:s, s:s, s:s}", "repo", aas_git_root(o->g), "base",
	    parent, "branch", branch);
	if (o->integrate != NULL)
		json_object_set_new(ap, "integration",
		    json_string(o->integrate));
	if (o->dry_run) {
		json_object_set_new(ap, "commit", json_null());
		json_object_set_new(ap, "files", files);
		json_object_set_new(ap, "dry_run", json_true());
		goto done;
	}
	msg = commit_message(rec, plan, id);
	if (aas_git_tree_write(t, tree, &e) == -1 ||
	    aas_git_commit(o->g, tree, parent, msg, o->author, o->committer,
	    commit, &e) == -1 ||
	    aas_git_branch_set(o->g, branch, commit,
	    o->onto != NULL ? (o->onto_exists ? o->onto_tip : NULL) :
	    (exists == 0 ? old : NULL), msg, &e) == -1) {
		json_decref(files);
		json_decref(ap);
		goto fail;
	}
	json_object_set_new(ap, "commit", json_string(commit));
	json_object_set_new(ap, "files", files);
	if (o->onto != NULL) {
		json_object_set_new(ap, "onto", json_true());
		json_object_set_new(ap, "created", json_boolean(
		    !o->onto_exists));
		memcpy(o->onto_tip, commit, AAS_GIT_HEX);
		o->onto_exists = 1;
	}
done:
	if (aas_progress_enabled())
		aas_msg("%s: %s %.12s (%zu edits)", id, branch,
		    o->dry_run ? "(dry run)" : commit,
		    json_array_size(edits));
	aas_rec_set(rec, "apply", ap);
	json_decref(ap);
	rc = 0;
	goto out;
fail:
	aas_rec_fail_err(rec, "apply", &e);
	if (why != NULL) {
		/* what the model needs to fix its answer (aas-apply(1)) */
		ap = json_deep_copy(aas_rec_get(rec, "error"));
		json_object_update_missing(ap, why);
		aas_rec_set(rec, "error", ap);
		json_decref(ap);
		json_decref(why);
	}
out:
	aas_git_tree_free(t);
	free(msg);
	free(where);
	free(branch);
	return rc;
}

static int
undo_step(struct aas_rec *rec, void *arg, struct aas_err *fatal)
{
	struct opts *o = arg;
	json_t *ap = aas_rec_get(rec, "apply"), *nap;
	const char *branch = jstr(ap, "branch"), *commit = jstr(ap, "commit");
	const char *base = jstr(ap, "base");
	char tip[AAS_GIT_HEX], *where = NULL;
	struct aas_err e;
	int r;

	(void)fatal;
	if (ap == NULL || json_is_true(json_object_get(ap, "undone")))
		return 0;
	if (branch == NULL || commit == NULL)
		return 0;	/* a dry run wrote nothing */
	memset(&e, 0, sizeof(e));
	if (aas_git_branch_checked_out(o->g, branch, &where, &e) == 1) {
		trim_slash(where);
		aas_rec_fail(rec, "apply", "branch_checked_out", "branch %s is "
		    "checked out (%s): refusing to delete it", branch, where);
		free(where);
		return 1;
	}
	if (json_is_true(json_object_get(ap, "onto")) &&
	    !json_is_true(json_object_get(ap, "created")) && base != NULL) {
		/* a stacked commit: move the branch back to its parent */
		r = aas_git_branch_get(o->g, branch, tip, &e);
		if (r == 0 && strcmp(tip, commit) != 0)
			r = aas_err_set(&e, "branch_moved", "branch %s has "
			    "moved", branch);
		else if (r == 0)
			r = aas_git_branch_set(o->g, branch, base, commit,
			    "aas-apply --undo", &e);
	} else
		r = aas_git_branch_delete(o->g, branch, commit, &e);
	if (r == -1) {
		if (strcmp(e.code, "branch_moved") == 0)
			aas_err_set(&e, "branch_moved", "branch %s no longer "
			    "points at %.12s: left alone", branch, commit);
		aas_rec_fail_err(rec, "apply", &e);
		return 1;
	}
	nap = json_deep_copy(ap);
	json_object_set_new(nap, "undone", json_true());
	aas_rec_set(rec, "apply", nap);
	json_decref(nap);
	return 0;
}

static int
config_values(struct aas_config *cf, struct opts *o, struct aas_err *e)
{
	long long ll;
	int b, v;

	if (o->base_rev == NULL &&
	    aas_config_str(cf, "apply.base", &o->base_rev, e) == -1)
		return -1;
	if (aas_config_str(cf, "apply.branch_prefix", &o->prefix, e) == -1 ||
	    aas_config_str(cf, "apply.author", &o->author, e) == -1 ||
	    aas_config_str(cf, "apply.committer", &o->committer, e) == -1)
		return -1;
	if (o->author != NULL && aas_git_ident_check(o->author, e) == -1) {
		aas_err_prefix(e, "%s: apply.author",
		    aas_config_where(cf, "apply.author"));
		return -1;
	}
	if (o->committer != NULL &&
	    aas_git_ident_check(o->committer, e) == -1) {
		aas_err_prefix(e, "%s: apply.committer",
		    aas_config_where(cf, "apply.committer"));
		return -1;
	}
	if ((b = aas_config_int(cf, "apply.max_file_bytes", &ll, e)) == -1)
		return -1;
	if (b == 0 && ll < 1)
		return aas_err_set(e, "config", "%s: apply.max_file_bytes: not "
		    "a positive number",
		    aas_config_where(cf, "apply.max_file_bytes"));
	if (b == 0)
		o->lim.max_bytes = (size_t)ll;
	if ((b = aas_config_bool(cf, "apply.allow_binary", &v, e)) == -1)
		return -1;
	if (b == 0)
		o->lim.allow_binary = v;
	if (aas_path_guard_new(aas_config_get(cf, "apply.protected_paths"),
	    &o->guard, e) == -1) {
		aas_err_prefix(e, "%s: apply.protected_paths",
		    aas_config_where(cf, "apply.protected_paths"));
		return -1;
	}
	return 0;
}

enum { OPT_BASE = 256, OPT_INTEGRATE, OPT_ONTO, OPT_REPO, OPT_UNDO };

static struct opts o;
static int undo, integrate;

static int
option(struct aas_cmd *c, int ch, const char *arg, struct aas_err *e)
{
	switch (ch) {
	case 'f':
		o.force = 1;
		return 0;
	case 'n':
		o.dry_run = 1;
		return 0;
	case OPT_BASE:
		o.base_rev = arg;
		return 0;
	case OPT_INTEGRATE:
		integrate = 1;
		return 0;
	case OPT_ONTO:
		o.onto = arg;
		return 0;
	case OPT_REPO:
		c->repo = arg;
		return 0;
	case OPT_UNDO:
		undo = 1;
		return 0;
	}
	return aas_err_set(e, "usage", "unknown option");
}

static struct aas_loop loop = { .stage = "apply", .arg = &o };

static int
operands(struct aas_cmd *c, int argc, char **argv, struct aas_err *e)
{
	(void)c, (void)argc, (void)argv;
	loop.step = undo ? undo_step : apply_step;
	if (undo && (o.onto != NULL || o.force || o.dry_run ||
	    o.base_rev != NULL))
		return aas_err_set(e, "usage", "--undo takes no --onto, "
		    "--force, --dry-run or --base");
	if (integrate && (undo || o.onto != NULL))
		return aas_err_set(e, "usage", "--integrate excludes --onto "
		    "and --undo");
	return 0;
}

static int
setup(struct aas_cmd *c, struct aas_err *e)
{
	o.g = c->git;
	if (o.onto != NULL && !good_id(o.onto) && strchr(o.onto, '/') == NULL)
		return aas_err_set(e, "usage", "--onto: bad branch name: %s",
		    o.onto);
	if (config_values(c->cf, &o, e) == -1 || (integrate &&
	    aas_integrate_name(c->cf, &o.integrate, e) == -1))
		return -1;
	if (!undo && aas_git_resolve(o.g, o.base_rev != NULL ? o.base_rev :
	    "HEAD", o.base, e) == -1) {
		aas_err_prefix(e, "--base");
		return -1;
	}
	return 0;
}

static void
cleanup(struct aas_cmd *c)
{
	(void)c;
	aas_path_guard_free(o.guard);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "base", required_argument, NULL, OPT_BASE },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "integrate", no_argument, NULL, OPT_INTEGRATE },
		{ "onto", required_argument, NULL, OPT_ONTO },
		{ "repo", required_argument, NULL, OPT_REPO },
		{ "undo", no_argument, NULL, OPT_UNDO },
		{ NULL, 0, NULL, 0 }
	};
	struct aas_cmd cmd = {
		.usage = usage, .shortopts = "fn", .longopts = longopts,
		.need = AAS_NEED_GIT | AAS_NEED_STATE | AAS_NEED_CONFIG,
		.option = option, .operands = operands, .setup = setup,
		.loop = &loop, .cleanup = cleanup,
	};

	o.lim.max_bytes = 1024 * 1024;
	o.prefix = "aas/";
	return aas_cmd_main(&cmd, argc, argv);
}
