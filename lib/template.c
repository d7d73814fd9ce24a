/* template.c: prompt templates and the structured-output schemas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aas.h"
#include "context.h"
#include "template.h"
#include "banned.h"

struct aas_template {
	char	*name;
	char	*system;	/* may be NULL */
	char	*user;
	const char *schema;	/* "plan", "subtasks" or NULL */
	json_t	*rf;		/* its response_format, built once */
};

static const char implement_system[] =
    "You are a careful software engineer working in an existing git "
    "repository. You are given one task from the project's task board and "
    "the current contents of the files it names. Answer with a plan that "
    "implements the task completely: a short summary, the edits to make, "
    "and the test files that check the change.\n"
    "Each edit names a path relative to the repository root and an op:\n"
    "- write: content is the whole new file;\n"
    "- replace: search is an exact, unique excerpt of the current file and "
    "replace its new text;\n"
    "- patch: diff is a unified diff of that one file;\n"
    "- delete: the file is removed.\n"
    "Set the fields an op does not use to null. Never touch .git or paths "
    "outside the repository.";

static const char implement_user[] =
    "Task {{id}}: {{title}}\n"
    "Depends on: {{deps}}\n"
    "\n"
    "{{body}}\n"
    "\n"
    "Files:\n"
    "{{files}}{{map}}";

static const char decompose_system[] =
    "You are a technical lead splitting a goal into sub-tasks that one "
    "engineer can each finish in a day. Give each sub-task a short title "
    "and a description precise enough to implement without asking "
    "questions. In depends_on, a number is the position (from 1) of an "
    "earlier sub-task in your list and a string is the id of an existing "
    "task on the board.";

static const char decompose_user[] =
    "Goal {{id}}: {{title}}\n"
    "Depends on: {{deps}}\n"
    "\n"
    "{{body}}\n"
    "\n"
    "Files:\n"
    "{{files}}{{map}}";

static const char repair_system[] =
    "You are a careful software engineer working in an existing git "
    "repository. You are given one task from the project's task board, "
    "the current contents of the files it names, the answer you gave "
    "before and how it failed. The earlier answer was not kept: the files "
    "are as shown. Answer with a complete new plan that implements the "
    "task and avoids that failure, not a patch on the earlier answer: a "
    "short summary, every edit to make, and the test files that check the "
    "change.\n"
    "Each edit names a path relative to the repository root and an op:\n"
    "- write: content is the whole new file;\n"
    "- replace: search is an exact, unique excerpt of the current file and "
    "replace its new text;\n"
    "- patch: diff is a unified diff of that one file;\n"
    "- delete: the file is removed.\n"
    "Set the fields an op does not use to null. Never touch .git or paths "
    "outside the repository.";

static const char repair_user[] =
    "Task {{id}}: {{title}}\n"
    "Depends on: {{deps}}\n"
    "\n"
    "{{body}}\n"
    "\n"
    "Files:\n"
    "{{files}}{{map}}"
    "\n"
    "Attempt {{attempt}} of {{max_attempts}}. Your previous answer:\n"
    "{{previous}}"
    "\n"
    "It failed:\n"
    "{{failure}}"
    "\n"
    "Give a complete new plan for the task, starting from the files as "
    "they are above.";

static json_t *
nullable(const char *type)
{
	return json_pack("{s:[s,s]}", "type", type, "null");
}

json_t *
aas_template_schema(const char *name)
{
	json_t *edit, *sub;

	if (strcmp(name, "plan") == 0) {
		edit = json_pack("{s:s, s:{s:{s:s}, s:{s:s, s:[s,s,s,s]}, "
		    "s:o, s:o, s:o, s:o}, s:[s,s,s,s,s,s], s:b}",
		    "type", "object",
		    "properties",
		    "path", "type", "string",
		    "op", "type", "string", "enum", "write", "replace",
		    "patch", "delete",
		    "content", nullable("string"),
		    "search", nullable("string"),
		    "replace", nullable("string"),
		    "diff", nullable("string"),
		    "required", "path", "op", "content", "search", "replace",
		    "diff",
		    "additionalProperties", 0);
		return json_pack("{s:s, s:{s:{s:s}, s:{s:s, s:o}, "
		    "s:{s:s, s:{s:s}}}, s:[s,s,s], s:b}",
		    "type", "object",
		    "properties",
		    "summary", "type", "string",
		    "edits", "type", "array", "items", edit,
		    "tests", "type", "array", "items", "type", "string",
		    "required", "summary", "edits", "tests",
		    "additionalProperties", 0);
	}
	if (strcmp(name, "subtasks") == 0) {
		sub = json_pack("{s:s, s:{s:{s:s}, s:{s:s}, "
		    "s:{s:s, s:{s:[s,s]}}}, s:[s,s,s], s:b}",
		    "type", "object",
		    "properties",
		    "title", "type", "string",
		    "description", "type", "string",
		    "depends_on", "type", "array", "items", "type",
		    "integer", "string",
		    "required", "title", "description", "depends_on",
		    "additionalProperties", 0);
		return json_pack("{s:s, s:{s:{s:s, s:o}}, s:[s], s:b}",
		    "type", "object",
		    "properties", "subtasks", "type", "array", "items", sub,
		    "required", "subtasks",
		    "additionalProperties", 0);
	}
	return NULL;
}

int
aas_template_load(struct aas_template **tp, const char *spec,
    struct aas_err *e)
{
	struct aas_template *t;
	char *data, *sep;
	size_t len;

	t = aas_xcalloc(1, sizeof(*t));
	t->name = aas_xstrdup(spec);
	if (strcmp(spec, "implement") == 0) {
		t->system = aas_xstrdup(implement_system);
		t->user = aas_xstrdup(implement_user);
		t->schema = "plan";
	} else if (strcmp(spec, "repair") == 0) {
		t->system = aas_xstrdup(repair_system);
		t->user = aas_xstrdup(repair_user);
		t->schema = "plan";
	} else if (strcmp(spec, "decompose") == 0) {
		t->system = aas_xstrdup(decompose_system);
		t->user = aas_xstrdup(decompose_user);
		t->schema = "subtasks";
	} else {
		if (aas_read_file(spec, &data, &len, e) == -1) {
			if (e != NULL)
				snprintf(e->code, sizeof(e->code), "template");
			aas_template_free(t);
			return -1;
		}
		if (strncmp(data, "---\n", 4) == 0) {
			t->system = NULL;
			t->user = aas_xstrdup(data + 4);
		} else if ((sep = strstr(data, "\n---\n")) != NULL) {
			t->system = aas_xstrndup(data, (size_t)(sep - data));
			t->user = aas_xstrdup(sep + 5);
		} else
			t->user = aas_xstrdup(data);
		free(data);
	}
	*tp = t;
	return 0;
}

void
aas_template_free(struct aas_template *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->system);
	free(t->user);
	json_decref(t->rf);
	free(t);
}

const char *
aas_template_name(const struct aas_template *t)
{
	return t->name;
}

/*
 * One file as the tree the task will be applied to has it.  The path
 * rules are aas_git_tree_read's: absolute, "..", .git and a path through
 * a symbolic link are refused.
 */
static void
add_file(struct aas_buf *b, struct aas_context *ctx, const char *path,
    size_t file_max)
{
	struct aas_err e;
	char *data;
	size_t len, got;
	int rc;

	aas_buf_printf(b, "--- %s ---\n", path);
	if (ctx == NULL) {
		aas_buf_adds(b, "(no repository)\n");
		return;
	}
	memset(&e, 0, sizeof(e));
	rc = aas_context_read(ctx, path, &data, &len, &e);
	if (rc == 1) {
		aas_buf_adds(b, "(missing)\n");
		return;
	}
	if (rc == -1) {
		aas_buf_adds(b, strcmp(e.code, "path_conflict") == 0 ?
		    "(not a file)\n" : strcmp(e.code, "git") == 0 ?
		    "(unreadable)\n" : "(refused)\n");
		return;
	}
	got = len < file_max ? len : file_max;
	aas_buf_add(b, data, got);
	free(data);
	if (got > 0 && b->s[b->len - 1] != '\n')
		aas_buf_addc(b, '\n');
	if (got < len)
		aas_buf_printf(b, "(cut at %zu of %zu bytes)\n", got, len);
}

/* The task's Files field, under any capitalisation: a string, or a list
 * (a YAML plan's "files: [a, b]"); NULL when there is none. */
static json_t *
files_field(json_t *rec)
{
	json_t *fields = json_object_get(rec, "fields"), *v;
	const char *k;

	json_object_foreach(fields, k, v) {
		if (strcasecmp(k, "files") == 0 &&
		    (json_is_string(v) || json_is_array(v)))
			return v;
	}
	return NULL;
}

/* Each path of a list string ("a.c, b.c", "`a.c` b.c"); how many.  With
 * b NULL only counted. */
static int
add_list(struct aas_buf *b, const char *list, struct aas_context *ctx,
    size_t file_max)
{
	const char *s;
	char *path;
	size_t n;
	int any = 0;

	for (s = list; *s != '\0'; s += n) {
		s += strspn(s, ", \t`");
		n = strcspn(s, ", \t`");
		if (n == 0)
			continue;
		if (b != NULL) {
			path = aas_xstrndup(s, n);
			add_file(b, ctx, path, file_max);
			free(path);
		}
		any++;
	}
	return any;
}

/* The paths the task's Files field names (added to b unless NULL). */
static int
named_files(struct aas_buf *b, json_t *rec, struct aas_context *ctx,
    size_t file_max)
{
	json_t *list = files_field(rec), *v;
	size_t i;
	int any = 0;

	if (json_is_string(list))
		any = add_list(b, json_string_value(list), ctx, file_max);
	json_array_foreach(list, i, v)
		if (json_is_string(v))
			any += add_list(b, json_string_value(v), ctx,
			    file_max);
	return any;
}

/* The named files; when there are none, the files the title and body
 * mention. */
static void
add_files(struct aas_buf *b, json_t *rec, struct aas_context *ctx,
    size_t file_max)
{
	const char *title, *body;
	char *text, **list;
	size_t i;
	int any;

	any = named_files(b, rec, ctx, file_max);
	if (!any && ctx != NULL) {
		title = json_string_value(json_object_get(rec, "title"));
		body = json_string_value(json_object_get(rec, "body"));
		text = aas_xasprintf("%s\n%s", title ? title : "",
		    body ? body : "");
		list = aas_context_mentioned(ctx, text,
		    AAS_CONTEXT_MENTION_MAX);
		for (i = 0; list[i] != NULL; i++) {
			add_file(b, ctx, list[i], file_max);
			free(list[i]);
			any++;
		}
		free(list);
		free(text);
	}
	if (!any)
		aas_buf_adds(b, "(none)\n");
}

/* The repository map, for a task that names no files. */
static void
add_map(struct aas_buf *b, json_t *rec, struct aas_context *ctx)
{
	const char *map;

	if (ctx == NULL || named_files(NULL, rec, NULL, 0) > 0)
		return;
	map = aas_context_map(ctx);
	if (*map != '\0')
		aas_buf_printf(b, "\nRepository map (paths and top-level "
		    "definitions):\n%s", map);
}

static void
add_deps(struct aas_buf *b, json_t *rec)
{
	json_t *deps = json_object_get(rec, "deps"), *v;
	size_t i;

	if (json_is_string(deps)) {
		aas_buf_adds(b, json_string_value(deps));
		return;
	}
	if (json_array_size(deps) == 0) {
		aas_buf_adds(b, "none");
		return;
	}
	json_array_foreach(deps, i, v) {
		if (i > 0)
			aas_buf_adds(b, ", ");
		if (json_is_string(v))
			aas_buf_adds(b, json_string_value(v));
	}
}

static char *render(const char *, json_t *, struct aas_context *, size_t,
    json_t *);

char *
aas_template_render(const char *text, json_t *rec, struct aas_context *ctx,
    size_t file_max)
{
	return render(text, rec, ctx, file_max, NULL);
}

/* aas_template_render, and the names of fields (strings) besides. */
static char *
render(const char *text, json_t *rec, struct aas_context *ctx,
    size_t file_max, json_t *fields)
{
	struct aas_buf b = AAS_BUF_INIT;
	const char *p = text, *open, *close;
	json_t *v;
	char name[16];
	size_t n;

	if (file_max == 0)
		file_max = 64 * 1024;
	/* room for the text and short fields at once */
	aas_buf_grow(&b, strlen(text) + 512);
	while ((open = strstr(p, "{{")) != NULL) {
		aas_buf_add(&b, p, (size_t)(open - p));
		close = strstr(open + 2, "}}");
		n = close ? (size_t)(close - open - 2) : 0;
		if (close == NULL || n >= sizeof(name)) {
			aas_buf_add(&b, "{{", 2);
			p = open + 2;
			continue;
		}
		memcpy(name, open + 2, n);
		name[n] = '\0';
		if (strcmp(name, "id") == 0 || strcmp(name, "title") == 0 ||
		    strcmp(name, "body") == 0) {
			v = json_object_get(rec, name);
			if (json_is_string(v))
				aas_buf_adds(&b, json_string_value(v));
		} else if (strcmp(name, "deps") == 0)
			add_deps(&b, rec);
		else if (strcmp(name, "files") == 0)
			add_files(&b, rec, ctx, file_max);
		else if (strcmp(name, "map") == 0)
			add_map(&b, rec, ctx);
		else if (json_is_string(v = json_object_get(fields, name)))
			aas_buf_adds(&b, json_string_value(v));
		else {
			aas_buf_add(&b, open, n + 4);
		}
		p = close + 2;
	}
	aas_buf_adds(&b, p);
	if (b.s == NULL)
		aas_buf_adds(&b, "");
	return aas_buf_detach(&b, NULL);
}

int
aas_template_system_fixed(const struct aas_template *t, const char **sp)
{
	*sp = t->system;
	return t->system == NULL || strstr(t->system, "{{") == NULL;
}

char *
aas_template_user(const struct aas_template *t, json_t *rec,
    struct aas_context *ctx, const struct aas_template_opts *o)
{
	return render(t->user, rec, ctx, o->file_max, o->fields);
}

json_t *
aas_template_body_of(const struct aas_template *t, const char *system,
    const char *user, const struct aas_template_opts *o)
{
	json_t *body, *msgs;

	body = json_object();
	json_object_set_new(body, "model", json_string(o->model));
	msgs = json_array();
	if (t->system != NULL)
		json_array_append_new(msgs, json_pack("{s:s, s:s}", "role",
		    "system", "content", system));
	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user",
	    "content", user));
	json_object_set_new(body, "messages", msgs);
	if (o->max_tokens > 0)
		json_object_set_new(body, "max_completion_tokens",
		    json_integer(o->max_tokens));
	if (t->schema != NULL) {
		if (t->rf == NULL)
			((struct aas_template *)t)->rf = json_pack(
			    "{s:s, s:{s:s, s:b, s:o}}", "type", "json_schema",
			    "json_schema", "name", t->schema, "strict", 1,
			    "schema", aas_template_schema(t->schema));
		/* shared by every body: callers must not change it */
		json_object_set(body, "response_format", t->rf);
	}
	return body;
}

json_t *
aas_template_body(const struct aas_template *t, json_t *rec,
    struct aas_context *ctx, const struct aas_template_opts *o)
{
	json_t *body;
	char *sys = NULL, *user;

	if (t->system != NULL)
		sys = render(t->system, rec, ctx, o->file_max, o->fields);
	user = render(t->user, rec, ctx, o->file_max, o->fields);
	body = aas_template_body_of(t, sys, user, o);
	free(sys);
	free(user);
	return body;
}

void
aas_template_est_parts(json_t *body, long *tokp, size_t *bytesp)
{
	json_t *msgs, *m, *rf;
	size_t i, bytes = 0;
	long tok = 0;
	char *s;

	msgs = json_object_get(body, "messages");
	json_array_foreach(msgs, i, m) {
		bytes += strlen(json_string_value(json_object_get(m,
		    "content")) ? json_string_value(json_object_get(m,
		    "content")) : "");
		tok += 4;
	}
	rf = json_object_get(body, "response_format");
	if (rf != NULL) {
		/* the same schema object comes again and again: size it once */
		static json_t *last;
		static size_t last_len;

		if (rf != last) {
			s = json_dumps(rf, JSON_COMPACT);
			last_len = strlen(s);
			free(s);
			json_decref(last);
			last = json_incref(rf);
		}
		bytes += last_len;
	}
	*tokp = tok;
	*bytesp = bytes;
}

long
aas_template_est_tokens(json_t *body)
{
	size_t bytes;
	long tok;

	aas_template_est_parts(body, &tok, &bytes);
	return tok + (long)((bytes + 3) / 4);
}

size_t
aas_template_prompt_bytes(json_t *body)
{
	json_t *m;
	size_t i, bytes = 0;
	const char *s;

	json_array_foreach(json_object_get(body, "messages"), i, m)
		if ((s = json_string_value(json_object_get(m, "content"))) !=
		    NULL)
			bytes += strlen(s);
	if ((s = json_string_value(json_object_get(body, "system"))) != NULL)
		bytes += strlen(s);
	return bytes;
}
