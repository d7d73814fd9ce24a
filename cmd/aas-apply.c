/*
 * aas-apply: each record's plan becomes one commit on its own branch
 * (aas/<id>), written straight into the object database: the user's work
 * tree, index and HEAD are never touched.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "git.h"
#include "patch.h"
#include "record.h"
#include "state.h"
#include "banned.h"

static const char usage[] =
    "[-fnqv] [--base REV] [--onto BRANCH] [--repo DIR] [-c FILE]"
    " [--state DIR]\n"
    "--undo [-qv] [--repo DIR] [-c FILE] [--state DIR]";

struct opts {
	struct aas_git *g;
	const char *base_rev;
	char	 base[AAS_GIT_HEX];
	const char *prefix;
	const char *author, *committer;
	const char *onto;
	char	 onto_tip[AAS_GIT_HEX];	/* "" until known */
	int	 onto_exists;
	size_t	 max_bytes;
	int	 allow_binary;
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

static void
add_file(json_t *files, const char *path, const char *op, const char *match,
    const char *detail)
{
	json_t *f = json_pack("{s:s, s:s, s:s}", "path", path, "op", op,
	    "match", match);

	if (detail != NULL)
		json_object_set_new(f, "detail", json_string(detail));
	json_array_append_new(files, f);
}

/* Size and binary limits on a text about to be read or written. */
static int
check_content(const struct opts *o, const char *path, const char *data,
    size_t len, struct aas_err *e)
{
	if (len > o->max_bytes)
		return aas_err_set(e, "too_large", "%s: %zu bytes, over the "
		    "limit of %zu (apply.max_file_bytes)", path, len,
		    o->max_bytes);
	if (!o->allow_binary && memchr(data, '\0', len) != NULL)
		return aas_err_set(e, "binary", "%s: binary content refused "
		    "(apply.allow_binary)", path);
	return 0;
}

/*
 * Read the file an edit names.  A missing path whose last component names
 * exactly one file in the tree is taken as that file (*real set, caller
 * frees).  0 read; 1 absent; -1 error.
 */
static int
read_target(struct aas_git_tree *t, const char *path, char **real,
    char **data, size_t *len, unsigned *mode, struct aas_err *e)
{
	const char *name = strrchr(path, '/');
	char *found = NULL;
	int rc;

	*real = NULL;
	rc = aas_git_tree_read(t, path, data, len, mode, e);
	if (rc != 1)
		return rc;
	name = name != NULL ? name + 1 : path;
	rc = aas_git_tree_find_name(t, name, &found, e);
	if (rc == -1)
		return -1;
	if (rc == 1)
		return 1;
	if (rc == 2) {
		aas_err_set(e, "no_match", "%s: no such file, and several "
		    "files are named %s", path, name);
		free(found);
		return -1;
	}
	rc = aas_git_tree_read(t, found, data, len, mode, e);
	if (rc != 0) {
		free(found);
		return rc == 1 ? 1 : -1;
	}
	*real = found;
	return 0;
}

/* Count earlier edits of kind op on path, for "search block N". */
static int
block_no(json_t *edits, size_t upto, const char *path, const char *op)
{
	size_t i;
	int n = 1;

	for (i = 0; i < upto; i++) {
		json_t *ed = json_array_get(edits, i);
		const char *p = jstr(ed, "path"), *k = jstr(ed, "op");

		if (p != NULL && k != NULL && strcmp(p, path) == 0 &&
		    strcmp(k, op) == 0)
			n++;
	}
	return n;
}

/* One edit into the tree; the files entry appended.  0 or -1 (e set). */
static int
do_edit(const struct opts *o, struct aas_git_tree *t, json_t *edits,
    size_t idx, json_t *files, const char *id, struct aas_err *e)
{
	json_t *ed = json_array_get(edits, idx);
	const char *path = jstr(ed, "path"), *op = jstr(ed, "op");
	const char *wpath, *match = "exact";
	char *data = NULL, *real = NULL, *detail = NULL, *out;
	struct aas_patch_res res;
	struct aas_diff diff;
	size_t len = 0, olen;
	unsigned mode = 0;
	int rc = -1, r;

	memset(&res, 0, sizeof(res));
	memset(&diff, 0, sizeof(diff));
	if (path == NULL || op == NULL)
		return aas_err_set(e, "bad_plan", "edit %zu: no path or op",
		    idx + 1);
	if (strcmp(op, "write") == 0) {
		const char *content = jstr(ed, "content");

		if (content == NULL)
			return aas_err_set(e, "bad_plan", "%s: write without "
			    "content", path);
		len = json_string_length(json_object_get(ed, "content"));
		if (check_content(o, path, content, len, e) == -1)
			return -1;
		r = aas_git_tree_read(t, path, &data, &olen, &mode, e);
		if (r == -1)
			return -1;
		if (r == 0) {
			out = aas_patch_like_eol(data, olen, content, len,
			    &len);
			if (len == olen && memcmp(out, data, len) == 0)
				match = "already";
		} else
			out = aas_xstrndup(content, len);
		free(data);
		if (check_content(o, path, out, len, e) == -1 ||
		    aas_git_tree_put(t, path, out, len, 0, e) == -1) {
			free(out);
			return -1;
		}
		free(out);
		add_file(files, path, op, match, NULL);
		return 0;
	}
	if (strcmp(op, "delete") == 0) {
		r = aas_git_tree_remove(t, path, e);
		if (r == -1)
			return -1;
		add_file(files, path, op, r == 1 ? "already" : "exact", NULL);
		return 0;
	}
	if (strcmp(op, "replace") != 0 && strcmp(op, "patch") != 0)
		return aas_err_set(e, "bad_plan", "%s: unknown op '%s'", path,
		    op);
	if (strcmp(op, "patch") == 0) {
		const char *dt = jstr(ed, "diff");

		if (dt == NULL)
			return aas_err_set(e, "bad_plan", "%s: patch without "
			    "diff", path);
		if (aas_diff_parse(dt, json_string_length(json_object_get(ed,
		    "diff")), &diff, e) == -1) {
			aas_err_prefix(e, "%s", path);
			goto out;
		}
		if (diff.deletes) {
			r = aas_git_tree_remove(t, path, e);
			if (r == -1)
				goto out;
			add_file(files, path, op, r == 1 ? "already" : "exact",
			    "the diff deletes the file");
			rc = 0;
			goto out;
		}
	} else if (jstr(ed, "search") == NULL || jstr(ed, "replace") == NULL) {
		return aas_err_set(e, "bad_plan", "%s: replace without search "
		    "and replace", path);
	}
	r = read_target(t, path, &real, &data, &len, &mode, e);
	if (r == -1) {
		if (strcmp(e->code, "git") == 0)
			aas_err_prefix(e, "%s", path);
		goto out;
	}
	if (r == 1) {
		/* a new file: a diff of '+' lines, or an empty search */
		size_t k;
		int creates = strcmp(op, "patch") == 0;

		for (k = 0; creates && k < diff.nhunks; k++)
			if (diff.hunks[k].nold != 0)
				creates = 0;
		if (strcmp(op, "replace") == 0) {
			const char *s = jstr(ed, "search");

			creates = s[strspn(s, " \t\r\n")] == '\0';
		}
		if (!creates) {
			aas_err_set(e, "no_match", "%s: no such file", path);
			goto out;
		}
		data = aas_xstrdup("");
		len = 0;
		mode = 0;
		if (strcmp(op, "replace") == 0) {
			const char *rp = jstr(ed, "replace");

			res.text = aas_xstrdup(rp);
			res.len = strlen(rp);
			res.match = AAS_MATCH_EXACT;
			goto put;
		}
	}
	wpath = real != NULL ? real : path;
	if (check_content(o, wpath, data, len, e) == -1)
		goto out;
	if (strcmp(op, "patch") == 0)
		r = aas_patch_apply_diff(data, len, &diff, &res, e);
	else
		r = aas_patch_replace(data, len, jstr(ed, "search"),
		    jstr(ed, "replace"), block_no(edits, idx, path, op), &res,
		    e);
	if (r == -1) {
		aas_err_prefix(e, "%s", wpath);
		goto out;
	}
put:
	wpath = real != NULL ? real : path;
	if (check_content(o, wpath, res.text, res.len, e) == -1)
		goto out;
	if (res.match != AAS_MATCH_ALREADY || r == 1)
		if (aas_git_tree_put(t, wpath, res.text, res.len, 0, e) == -1)
			goto out;
	if (real != NULL) {
		detail = aas_xasprintf("no file %s: applied to %s (%s%s%s)",
		    path, real, aas_match_name(res.match),
		    res.detail != NULL ? "; " : "",
		    res.detail != NULL ? res.detail : "");
		if (!aas_quiet)
			aas_msg("%s: %s", id, detail);
		add_file(files, real, op, "renamed", detail);
	} else
		add_file(files, path, op, aas_match_name(res.match),
		    res.detail);
	rc = 0;
out:
	free(detail);
	free(real);
	free(data);
	aas_patch_res_free(&res);
	aas_diff_free(&diff);
	return rc;
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
	return aas_buf_detach(&b, NULL);
}

static int
apply_step(struct aas_rec *rec, void *arg, struct aas_err *fatal)
{
	struct opts *o = arg;
	json_t *plan = aas_rec_get(rec, "plan"), *edits, *files, *ap;
	const char *id = aas_rec_str(rec, "id");
	char parent[AAS_GIT_HEX], old[AAS_GIT_HEX], tree[AAS_GIT_HEX];
	char commit[AAS_GIT_HEX], *branch = NULL, *where = NULL, *msg = NULL;
	struct aas_git_tree *t = NULL;
	struct aas_err e;
	size_t i;
	int exists, rc = 1;

	(void)fatal;
	if (plan == NULL)
		return 0;
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
	branch = o->onto != NULL ? aas_xstrdup(o->onto) :
	    aas_xasprintf("%s%s", o->prefix, id);
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
		if (exists == 0 && !o->force) {
			aas_err_set(&e, "branch_exists", "branch %s already "
			    "exists (--force replaces it)", branch);
			goto fail;
		}
		memcpy(parent, o->base, AAS_GIT_HEX);
	}
	if (aas_git_tree_open(o->g, parent, &t, &e) == -1)
		goto fail;
	files = json_array();
	for (i = 0; i < json_array_size(edits); i++) {
		if (do_edit(o, t, edits, i, files, id, &e) == -1) {
			json_decref(files);
			goto fail;
		}
	}
	ap = json_pack("{s:s, s:s, s:s}", "repo", aas_git_root(o->g), "base",
	    parent, "branch", branch);
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
		o->max_bytes = (size_t)ll;
	if ((b = aas_config_bool(cf, "apply.allow_binary", &v, e)) == -1)
		return -1;
	if (b == 0)
		o->allow_binary = v;
	return 0;
}

int
main(int argc, char *argv[])
{
	enum { OPT_BASE = 256, OPT_ONTO, OPT_REPO, OPT_STATE, OPT_UNDO,
	    OPT_VERSION };
	static const struct option longopts[] = {
		{ "base", required_argument, NULL, OPT_BASE },
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "onto", required_argument, NULL, OPT_ONTO },
		{ "quiet", no_argument, NULL, 'q' },
		{ "repo", required_argument, NULL, OPT_REPO },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "undo", no_argument, NULL, OPT_UNDO },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	struct aas_config *cf = NULL;
	struct aas_state *st = NULL;
	struct aas_loop loop;
	struct aas_err e;
	const char *cfgfile = NULL, *statedir = NULL, *repo = NULL;
	char *sdir = NULL;
	int ch, undo = 0, status;

	aas_setprogname(argv[0]);
	argv[0] = (char *)aas_progname();	/* getopt names it in messages */
	memset(&o, 0, sizeof(o));
	memset(&e, 0, sizeof(e));
	o.max_bytes = 1024 * 1024;
	o.prefix = "aas/";
	while ((ch = getopt_long(argc, argv, "c:fhnqv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			cfgfile = optarg;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'h':
			aas_print_usage(0, usage);
			return AAS_EXIT_OK;
		case 'n':
			o.dry_run = 1;
			break;
		case 'q':
			aas_quiet = 1;
			break;
		case 'v':
			aas_verbose = 1;
			break;
		case OPT_BASE:
			o.base_rev = optarg;
			break;
		case OPT_ONTO:
			o.onto = optarg;
			break;
		case OPT_REPO:
			repo = optarg;
			break;
		case OPT_STATE:
			statedir = optarg;
			break;
		case OPT_UNDO:
			undo = 1;
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
	if (undo && (o.onto != NULL || o.force || o.dry_run ||
	    o.base_rev != NULL)) {
		aas_msg("--undo takes no --onto, --force, --dry-run or --base");
		aas_print_usage(1, usage);
		return AAS_EXIT_USAGE;
	}
	if (o.onto != NULL && !good_id(o.onto) && strchr(o.onto, '/') ==
	    NULL) {
		aas_msg("--onto: bad branch name: %s", o.onto);
		return AAS_EXIT_USAGE;
	}

	aas_init();
	if (aas_git_open(&o.g, repo, &e) == -1) {
		aas_msg("%s", e.msg);
		aas_fini();
		return AAS_EXIT_USAGE;
	}
	if (aas_config_load(&cf, aas_git_root(o.g), cfgfile, &e) == -1 ||
	    config_values(cf, &o, &e) == -1) {
		aas_msg("%s", e.msg);
		goto usage_fail;
	}
	if (!undo && aas_git_resolve(o.g, o.base_rev != NULL ? o.base_rev :
	    "HEAD", o.base, &e) == -1) {
		aas_msg("--base: %s", e.msg);
		goto usage_fail;
	}
	if (statedir == NULL && repo != NULL)
		statedir = sdir = aas_xasprintf("%s/.aas", aas_git_root(o.g));
	if (aas_state_open(&st, statedir, 0, &e) == -1) {
		aas_msg("%s", e.msg);
		goto usage_fail;
	}
	aas_signals_install();
	memset(&loop, 0, sizeof(loop));
	loop.stage = "apply";
	loop.step = undo ? undo_step : apply_step;
	loop.arg = &o;
	loop.state = st;
	status = aas_loop_run(&loop, stdin, "stdin", stdout);
	status = aas_finish_output(stdout, status);
	aas_state_close(st);
	aas_git_close(o.g);
	aas_config_free(cf);
	free(sdir);
	aas_fini();
	return status;

usage_fail:
	aas_git_close(o.g);
	aas_config_free(cf);
	free(sdir);
	aas_fini();
	return AAS_EXIT_USAGE;
}
