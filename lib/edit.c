/* edit.c: the plan interpreter: a plan's edits applied to a git tree. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "edit.h"
#include "git.h"
#include "patch.h"
#include "record.h"
#include "banned.h"

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
check_content(const struct aas_edit_limits *o, const char *path,
    const char *data, size_t len, struct aas_err *e)
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

static size_t
count_lines(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			k++;
	return k + (n > 0 && s[n - 1] != '\n');
}

/* A line that stands for text left out: "...", "# ... rest of code",
 * "// ...", a C comment of "..." and the like. */
static int
elision_line(const char *s, size_t n)
{
	static const char *const lead[] = { "#", "//", "/*", "--", ";",
	    "<!--", "*", NULL };
	size_t k;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (aas_patch_is_elision(s, n))
		return 1;
	if ((k = aas_lead_len(s, n, lead)) == 0)
		return 0;
	s += k;
	n -= k;
	while (n > 0 && *s == ' ')
		s++, n--;
	return (n >= 3 && memcmp(s, "...", 3) == 0) ||
	    (n >= 3 && memcmp(s, "\xe2\x80\xa6", 3) == 0);
}

/*
 * A whole-file write over old that is not a whole file: 0 fine, or -1
 * with e set: elided (a line stands for text left out, and old has no
 * such line), partial_file (the path came from prose only, and the text
 * holds under half of old's lines), empty_search (an empty SEARCH block,
 * which makes a new file, over a file that exists and says otherwise).
 */
static int
check_whole(json_t *ed, const char *path, const char *old, size_t olen,
    const char *text, size_t len, struct aas_err *e)
{
	const char *from = jstr(ed, "from"), *l = text, *nl;
	size_t n, on = count_lines(old, olen), tn = count_lines(text, len);
	size_t lno = 1;

	if (from != NULL && strcmp(from, "empty_search") == 0 && olen > 0 &&
	    (len != olen || memcmp(text, old, len) != 0))
		return aas_err_set(e, "empty_search", "%s: a SEARCH block with "
		    "nothing to find makes a new file, but %s exists (%zu "
		    "lines): search for the text the new lines go after",
		    path, path, on);
	for (; l < text + len; l = nl + 1, lno++) {
		nl = memchr(l, '\n', text + len - l);
		if (nl == NULL)
			nl = text + len;
		n = (size_t)(nl - l);
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (elision_line(l, n) && (n == 0 ||
		    memmem(old, olen, l, n) == NULL))
			return aas_err_set(e, "elided", "%s: line %zu of the "
			    "new text ('%.*s') stands for text left out: a "
			    "whole file must be given whole, or as search/"
			    "replace blocks", path, lno, (int)(n > 60 ? 60 :
			    n), l);
	}
	if (from != NULL && strcmp(from, "prose") == 0 && tn * 2 < on)
		return aas_err_set(e, "partial_file", "%s: the answer names "
		    "the file only in prose and gives %zu of its %zu lines: "
		    "a whole file must be given whole, or as search/replace "
		    "blocks", path, tn, on);
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

/* The rules' context for replace edit idx (see aas_patch_ctx). */
static void
rule_ctx(json_t *edits, size_t idx, json_t *ends, struct aas_patch_ctx *c)
{
	json_t *ed = json_array_get(edits, idx), *o;
	const char *path = jstr(ed, "path"), *s = jstr(ed, "search");
	const char *r = jstr(ed, "replace");
	size_t i;

	c->after = (size_t)json_integer_value(json_object_get(ends, path));
	c->alike = 0;
	for (i = idx; i < json_array_size(edits); i++) {
		o = json_array_get(edits, i);
		if (jstr(o, "path") == NULL || jstr(o, "op") == NULL ||
		    strcmp(jstr(o, "path"), path) != 0 ||
		    strcmp(jstr(o, "op"), "replace") != 0 ||
		    jstr(o, "search") == NULL || jstr(o, "replace") == NULL)
			continue;
		if (strcmp(jstr(o, "search"), s) == 0 &&
		    strcmp(jstr(o, "replace"), r) == 0)
			c->alike++;
	}
}

/* Lines from..to (from 1) of text, capped, as a JSON string. */
static json_t *
line_text(const char *text, size_t len, size_t from, size_t to)
{
	size_t i = 0, ln = 1, a = 0, b;

	for (i = 0; i < len && ln < from; i++)
		if (text[i] == '\n')
			ln++;
	a = i;
	for (; i < len && ln < to; i++)
		if (text[i] == '\n')
			ln++;
	for (b = i; b < len && text[b] != '\n'; b++)
		;
	if (b > a && text[b - 1] == '\r')
		b--;
	if (b - a > AAS_PATCH_NEAR_MAX)
		b = a + AAS_PATCH_NEAR_MAX;
	while (b > a && b < len && ((unsigned char)text[b] & 0xc0) == 0x80)
		b--;
	return aas_json_lossy(text + a, b - a);
}

/* What a refused edit tells the model (aas_edit_apply_why). */
static json_t *
refusal(const struct aas_err *e, size_t idx, const char *path,
    const char *data, size_t len, const struct aas_patch_res *res)
{
	json_t *why = json_pack("{s:I, s:s}", "edit", (json_int_t)idx + 1,
	    "path", path), *m, *c;
	size_t i;

	if (strcmp(e->code, "ambiguous") == 0 && res->nwhere > 0) {
		m = json_array();
		for (i = 0; i < res->nwhere; i++)
			json_array_append_new(m, json_pack("{s:I, s:o}",
			    "line", (json_int_t)res->where[i], "text",
			    line_text(data, len, res->where[i],
			    res->where[i])));
		json_object_set_new(why, "matches", m);
		json_object_set_new(why, "count", json_integer(
		    (json_int_t)res->nmatch));
	}
	if (strcmp(e->code, "no_match") == 0 && res->near_last > 0) {
		c = json_pack("{s:I, s:I, s:o, s:I, s:I}",
		    "start", (json_int_t)res->near_first,
		    "end", (json_int_t)res->near_last - 1,
		    "text", line_text(data, len, res->near_first,
		    res->near_last - 1),
		    "alike", (json_int_t)res->near_same,
		    "lines", (json_int_t)res->near_of);
		json_object_set_new(c, "diff", aas_json_lossy(res->near_diff != NULL ?
		    res->near_diff : "", res->near_diff != NULL ?
		    strlen(res->near_diff) : 0));
		json_object_set_new(why, "closest", c);
	}
	if (json_object_size(why) == 2) {
		/* nothing to add to the message */
		json_decref(why);
		return NULL;
	}
	return why;
}

/* One edit into the tree; the files entry appended.  0 or -1 (e set). */
static int
do_edit(const struct aas_edit_limits *o, struct aas_git_tree *t,
    json_t *edits, size_t idx, json_t *files, const char *id,
    json_t *ends, json_t **whyp, struct aas_err *e)
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
		if (r == 0 && check_whole(ed, path, data, olen, content, len,
		    e) == -1) {
			free(data);
			return -1;
		}
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
	else {
		struct aas_patch_ctx c;

		rule_ctx(edits, idx, ends, &c);
		r = aas_patch_replace_ctx(data, len, jstr(ed, "search"),
		    jstr(ed, "replace"), block_no(edits, idx, path, op), &c,
		    &res, e);
		if (r == 0 && res.match != AAS_MATCH_ALREADY)
			json_object_set_new(ends, path,
			    json_integer((json_int_t)res.last + 1));
	}
	if (r == -1) {
		if (whyp != NULL)
			*whyp = refusal(e, idx, wpath, data, len, &res);
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

int
aas_edit_apply(struct aas_git_tree *t, json_t *edits,
    const struct aas_edit_limits *lim, const char *id, json_t **filesp,
    struct aas_err *e)
{
	return aas_edit_apply_why(t, edits, lim, id, filesp, NULL, e);
}

int
aas_edit_apply_why(struct aas_git_tree *t, json_t *edits,
    const struct aas_edit_limits *lim, const char *id, json_t **filesp,
    json_t **whyp, struct aas_err *e)
{
	json_t *files = json_array(), *ends = json_object();
	size_t i;

	*filesp = NULL;
	if (whyp != NULL)
		*whyp = NULL;
	for (i = 0; i < json_array_size(edits); i++) {
		if (do_edit(lim, t, edits, i, files, id, ends, whyp,
		    e) == -1) {
			json_decref(files);
			json_decref(ends);
			return -1;
		}
	}
	json_decref(ends);
	*filesp = files;
	return 0;
}
