/* integrate.c: the integration branch: build on its tip, land by CAS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "git.h"
#include "integrate.h"
#include "record.h"
#include "banned.h"

/* Moves lost to another process before one of ours gets through. */
#define LAND_TRIES	1000

int
aas_integrate_name(const struct aas_config *cf, const char **name,
    struct aas_err *e)
{
	*name = AAS_INTEGRATE_DEFAULT;
	if (cf != NULL && aas_config_str(cf, "integration_branch", name,
	    e) == -1)
		return -1;
	return 0;
}

int
aas_integrate_tip(struct aas_git *g, const char *name, const char *base,
    int create, char out[AAS_GIT_HEX], struct aas_err *e)
{
	int r, tries;

	for (tries = 0; tries < LAND_TRIES; tries++) {
		r = aas_git_branch_get(g, name, out, e);
		if (r != 1)
			return r;
		memcpy(out, base, AAS_GIT_HEX);
		if (!create)
			return 0;
		if (aas_git_branch_set(g, name, base, NULL, "aas-apply "
		    "--integrate: created", e) == 0)
			return 0;
		if (strcmp(e->code, "branch_exists") != 0)
			return -1;
	}
	return aas_err_set(e, "branch_moved", "branch %s keeps moving", name);
}

/* One try: 0 moved (or nothing to move), 1 conflict, 2 lost the race. */
static int
land_once(struct aas_git *g, const char *name, const char *commit,
    const char *task_branch, json_t **out, struct aas_err *e)
{
	char tip[AAS_GIT_HEX], next[AAS_GIT_HEX];
	json_t *files;
	int exists, r, merged = 0;

	exists = aas_git_branch_get(g, name, tip, e);
	if (exists == -1)
		return -1;
	exists = exists == 0;
	if (!exists)
		memcpy(next, commit, AAS_GIT_HEX);
	else if ((r = aas_git_descends(g, tip, commit, e)) != 0) {
		if (r == -1)
			return -1;
		*out = json_pack("{s:s, s:s, s:b}", "branch", name, "commit",
		    tip, "merged", 0);
		return 0;
	} else if ((r = aas_git_descends(g, commit, tip, e)) != 0) {
		if (r == -1)
			return -1;
		memcpy(next, commit, AAS_GIT_HEX);
	} else {
		r = aas_git_pick(g, commit, tip, NULL, name, task_branch,
		    AAS_INTEGRATE_HUNKS_MAX, &files, next, e);
		if (r == -1)
			return -1;
		if (r == 1) {
			*out = json_pack("{s:s, s:s, s:o}", "branch", name,
			    "tip", tip, "files", files);
			return 1;
		}
		merged = 1;
		if (r == 2) {
			*out = json_pack("{s:s, s:s, s:b}", "branch", name,
			    "commit", tip, "merged", 1);
			return 0;
		}
	}
	if (aas_git_branch_set(g, name, next, exists ? tip : NULL,
	    merged ? "aas-qa --integrate: merged" : "aas-qa --integrate",
	    e) == -1) {
		if (strcmp(e->code, "branch_moved") == 0 ||
		    strcmp(e->code, "branch_exists") == 0)
			return 2;
		return -1;
	}
	*out = json_pack("{s:s, s:s, s:b}", "branch", name, "commit", next,
	    "merged", merged);
	return 0;
}

int
aas_integrate_land(const char *repo, const char *name, const char *commit,
    const char *task_branch, json_t **out, struct aas_err *e)
{
	struct aas_git *g;
	json_t *files;
	size_t i;
	int r = 2, tries;

	*out = NULL;
	if (aas_git_open(&g, repo, e) == -1)
		return -1;
	for (tries = 0; tries < LAND_TRIES && r == 2; tries++)
		r = land_once(g, name, commit, task_branch != NULL ?
		    task_branch : commit, out, e);
	aas_git_close(g);
	if (r == 2)
		return aas_err_set(e, "branch_moved", "branch %s keeps moving",
		    name);
	if (r == 1) {
		struct aas_buf b = AAS_BUF_INIT;

		files = json_object_get(*out, "files");
		for (i = 0; i < json_array_size(files); i++)
			aas_buf_printf(&b, "%s%s", i > 0 ? ", " : "",
			    json_string_value(json_object_get(json_array_get(
			    files, i), "path")));
		aas_err_set(e, "merge_conflict", "merging onto %s conflicts "
		    "in %s", name, b.s != NULL ? b.s : "(no file)");
		aas_buf_free(&b);
	}
	return r;
}

int
aas_integrate_rec(struct aas_rec *rec, const char *name)
{
	json_t *ap = aas_rec_get(rec, "apply"), *out, *qa, *err;
	const char *repo = json_string_value(json_object_get(ap, "repo"));
	const char *commit = json_string_value(json_object_get(ap, "commit"));
	const char *branch = json_string_value(json_object_get(ap, "branch"));
	const char *iname = json_string_value(json_object_get(ap,
	    "integration"));
	struct aas_err e;
	int r;

	memset(&e, 0, sizeof(e));
	if (iname != NULL)
		name = iname;
	if (repo == NULL || commit == NULL) {
		aas_rec_fail(rec, "qa", "bad_apply", "apply.repo and "
		    "apply.commit must be strings");
		return 1;
	}
	r = aas_integrate_land(repo, name, commit, branch, &out, &e);
	if (r == -1) {
		aas_rec_fail_err(rec, "qa", &e);
		return 1;
	}
	if (r == 1) {
		aas_rec_fail_err(rec, "qa", &e);
		err = json_deep_copy(aas_rec_get(rec, "error"));
		json_object_set_new(err, "data", out);
		aas_rec_set(rec, "error", err);
		json_decref(err);
		return 1;
	}
	qa = json_deep_copy(aas_rec_get(rec, "qa"));
	if (!json_is_object(qa)) {
		json_decref(qa);
		qa = json_object();
	}
	json_object_set_new(qa, "integrated", out);
	aas_rec_set(rec, "qa", qa);
	json_decref(qa);
	if (aas_progress_enabled() && !aas_quiet)
		aas_msg("%s: %s at %.12s", aas_rec_where(rec), name,
		    json_string_value(json_object_get(out, "commit")));
	return 0;
}
