/* repair.c: what a failed attempt leaves for the next one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "git.h"
#include "ids.h"
#include "qa.h"
#include "record.h"
#include "repair.h"
#include "state.h"
#include "banned.h"

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int
aas_repair_failed(json_t *rec)
{
	json_t *err = json_object_get(rec, "error");
	json_t *qa = json_object_get(rec, "qa");
	const char *stage = jstr(err, "stage"), *code = jstr(err, "code");

	if (err != NULL) {
		if (stage == NULL)
			return 0;
		if (strcmp(stage, "qa") == 0)
			return code == NULL || strcmp(code, "skipped") != 0;
		return strcmp(stage, "plan") == 0 ||
		    strcmp(stage, "apply") == 0;
	}
	return json_is_object(qa) && json_is_false(json_object_get(qa, "ok"));
}

long
aas_repair_attempt(json_t *rec)
{
	json_t *a = json_object_get(rec, "attempt");

	if (json_is_integer(a) && json_integer_value(a) >= 1 &&
	    json_integer_value(a) < 1000000)
		return (long)json_integer_value(a);
	return 1;
}

void
aas_repair_custom_id(const char *id, const char *sha, long k, char out[65])
{
	char *s;

	if (k <= 1) {
		aas_ledger_custom_id(id, sha, out);
		return;
	}
	s = aas_xasprintf("r%ld-%s", k, sha != NULL ? sha : "");
	aas_ledger_custom_id(id, s, out);
	free(s);
}

/* A check that ran and failed. */
static int
check_failed(json_t *c)
{
	return json_is_false(json_object_get(c, "ok")) &&
	    !json_is_true(json_object_get(c, "skipped"));
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
aas_repair_history_entry(json_t *rec)
{
	json_t *err = json_object_get(rec, "error");
	json_t *qa = json_object_get(rec, "qa");
	json_t *ap = json_object_get(rec, "apply");
	json_t *usd = json_object_get(json_object_get(rec, "response"), "usd");
	json_t *h, *checks = json_array(), *c;
	const char *msg = jstr(err, "message");
	char *why = NULL;
	size_t i;

	json_array_foreach(json_object_get(qa, "checks"), i, c)
		if (check_failed(c) && jstr(c, "name") != NULL)
			json_array_append_new(checks, json_string(jstr(c,
			    "name")));
	if (err == NULL && json_is_object(qa))
		msg = why = aas_qa_reason(qa);
	h = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "attempt", (json_int_t)aas_repair_attempt(rec),
	    "stage", str_or_null(err != NULL ? jstr(err, "stage") : "qa"),
	    "code", str_or_null(err != NULL ? jstr(err, "code") :
	    "qa_failed"),
	    "message", str_or_null(msg),
	    "checks", checks,
	    "branch", str_or_null(jstr(ap, "branch")),
	    "commit", str_or_null(jstr(ap, "commit")),
	    "model", str_or_null(jstr(json_object_get(rec, "request"),
	    "model")));
	json_object_set_new(h, "usd", json_is_number(usd) ?
	    json_real(json_number_value(usd)) : json_null());
	free(why);
	return h;
}

/* s (n bytes) and a newline when it has none. */
static void
add_text(struct aas_buf *b, const char *s, size_t n)
{
	aas_buf_add(b, s, n);
	if (n == 0 || s[n - 1] != '\n')
		aas_buf_addc(b, '\n');
}

/* The first n bytes of s, cut back to a character boundary. */
static size_t
head_len(const char *s, size_t len, size_t n)
{
	if (n >= len)
		return len;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static void
add_capped(struct aas_buf *b, const char *s, size_t len, size_t max)
{
	size_t n = max > 0 ? head_len(s, len, max) : len;

	add_text(b, s, n);
	if (n < len)
		aas_buf_printf(b, "(cut at %zu of %zu bytes)\n", n, len);
}

static void
add_previous(struct aas_buf *b, json_t *rec, struct aas_git *g,
    size_t max)
{
	json_t *ap = json_object_get(rec, "apply");
	json_t *edits = json_object_get(json_object_get(rec, "plan"), "edits");
	json_t *text = json_object_get(json_object_get(rec, "response"),
	    "text");
	const char *base = jstr(ap, "base"), *commit = jstr(ap, "commit");
	struct aas_err e;
	char *s;
	size_t len;

	if (g != NULL && base != NULL && commit != NULL &&
	    aas_git_diff(g, base, commit, &s, &len, &e) == 0) {
		if (len == 0)
			aas_buf_adds(b, "(no change)\n");
		else
			add_capped(b, s, len, max);
		free(s);
		return;
	}
	if (json_is_array(edits)) {
		s = json_dumps(edits, JSON_INDENT(2));
		add_capped(b, s, strlen(s), max);
		free(s);
		return;
	}
	if (json_string_length(text) > 0) {
		add_capped(b, json_string_value(text),
		    json_string_length(text), max);
		return;
	}
	aas_buf_adds(b, "(none)\n");
}

/* The last max bytes of s, from a character boundary. */
static const char *
tail_of(const char *s, size_t len, size_t max)
{
	const char *p = s + len - max;

	while (p < s + len && ((unsigned char)*p & 0xc0) == 0x80)
		p++;
	return p;
}

static void
add_check(struct aas_buf *b, json_t *c, size_t tail_max)
{
	json_t *ex = json_object_get(c, "exit");
	json_t *tail = json_object_get(c, "tail");
	const char *name = jstr(c, "name"), *cmd = jstr(c, "cmd"), *t, *p;
	size_t len;

	aas_buf_printf(b, "check %s ", name != NULL ? name : "(unnamed)");
	if (json_is_true(json_object_get(c, "timeout")))
		aas_buf_adds(b, "timed out\n");
	else if (json_is_integer(ex) && json_integer_value(ex) != 0)
		aas_buf_printf(b, "failed: exit %lld\n",
		    (long long)json_integer_value(ex));
	else if (json_integer_value(json_object_get(c, "signal")) != 0)
		aas_buf_printf(b, "failed: killed by signal %lld\n",
		    (long long)json_integer_value(json_object_get(c,
		    "signal")));
	else
		aas_buf_adds(b, "failed\n");
	if (cmd != NULL)
		aas_buf_printf(b, "command: %s\n", cmd);
	t = json_string_value(tail);
	len = json_string_length(tail);
	if (t == NULL || len == 0) {
		aas_buf_adds(b, "output: (none)\n");
		return;
	}
	if (len <= tail_max) {
		aas_buf_adds(b, "output:\n");
		add_text(b, t, len);
		return;
	}
	p = tail_of(t, len, tail_max);
	aas_buf_printf(b, "output (the last %zu of %zu bytes):\n",
	    (size_t)(t + len - p), len);
	add_text(b, p, (size_t)(t + len - p));
}

static void
add_failure(struct aas_buf *b, json_t *rec, size_t tail_max)
{
	json_t *err = json_object_get(rec, "error"), *rest, *c;
	json_t *qa = json_object_get(rec, "qa");
	const char *k;
	json_t *v;
	size_t i, nfailed = 0;
	char *s;

	json_array_foreach(json_object_get(qa, "checks"), i, c)
		if (check_failed(c))
			nfailed++;
	/* qa_failed says no more than its checks do */
	if (err != NULL && !(nfailed > 0 && jstr(err, "code") != NULL &&
	    strcmp(jstr(err, "code"), "qa_failed") == 0 &&
	    json_object_size(err) == 3)) {
		aas_buf_printf(b, "aas-%s: %s: %s\n", jstr(err, "stage") ?
		    jstr(err, "stage") : "?", jstr(err, "code") ?
		    jstr(err, "code") : "?", jstr(err, "message") ?
		    jstr(err, "message") : "");
		rest = json_object();
		json_object_foreach(err, k, v)
			if (strcmp(k, "stage") != 0 && strcmp(k, "code") != 0 &&
			    strcmp(k, "message") != 0)
				json_object_set(rest, k, v);
		if (json_object_size(rest) > 0) {
			s = json_dumps(rest, JSON_INDENT(2));
			add_text(b, s, strlen(s));
			free(s);
		}
		json_decref(rest);
	}
	json_array_foreach(json_object_get(qa, "checks"), i, c)
		if (check_failed(c))
			add_check(b, c, tail_max);
	if (b->len == 0)
		aas_buf_adds(b, "(not recorded)\n");
}

json_t *
aas_repair_fields(json_t *rec, struct aas_git *g, long next,
    long max_attempts, size_t tail_max, size_t prev_max)
{
	struct aas_buf b = AAS_BUF_INIT;
	json_t *f = json_object();
	char num[32];

	snprintf(num, sizeof(num), "%ld", next);
	json_object_set_new(f, "attempt", json_string(num));
	snprintf(num, sizeof(num), "%ld", max_attempts);
	json_object_set_new(f, "max_attempts", json_string(num));
	add_previous(&b, rec, g, prev_max);
	json_object_set_new(f, "previous", aas_json_lossy(b.s, b.len));
	aas_buf_reset(&b);
	add_failure(&b, rec, tail_max);
	json_object_set_new(f, "failure", aas_json_lossy(b.s, b.len));
	aas_buf_free(&b);
	return f;
}

void
aas_repair_begin(struct aas_rec *rec, long next)
{
	static const char *const stage_keys[] = { "request", "batch",
	    "response", "plan", "apply", "qa", "error" };
	json_t *h = json_object_get(rec->obj, "history"), *nh, *a;
	size_t i;

	nh = json_is_array(h) ? json_copy(h) : json_array();
	json_array_append_new(nh, aas_repair_history_entry(rec->obj));
	for (i = 0; i < sizeof(stage_keys) / sizeof(stage_keys[0]); i++)
		if (json_object_get(rec->obj, stage_keys[i]) != NULL)
			aas_rec_del(rec, stage_keys[i]);
	aas_rec_set(rec, "history", nh);
	json_decref(nh);
	a = json_integer((json_int_t)next);
	aas_rec_set(rec, "attempt", a);
	json_decref(a);
}

static char *
answer_path(struct aas_state *st, const char *custom_id)
{
	char *dir = aas_state_path(st, "repair"), *p;

	p = aas_xasprintf("%s/%s.json", dir, custom_id);
	free(dir);
	return p;
}

int
aas_repair_answer_save(struct aas_state *st, const char *custom_id,
    json_t *response, struct aas_err *e)
{
	char *dir = aas_state_path(st, "repair"), *p, *s;
	int rc;

	if (aas_mkdirs(dir, 0755, e) == -1) {
		free(dir);
		return -1;
	}
	free(dir);
	p = answer_path(st, custom_id);
	s = json_dumps(response, JSON_COMPACT);
	rc = aas_write_atomic(p, s, strlen(s), 0644, e);
	free(s);
	free(p);
	return rc;
}

json_t *
aas_repair_answer_load(struct aas_state *st, const char *custom_id)
{
	char *p = answer_path(st, custom_id);
	json_t *v = json_load_file(p, 0, NULL);

	free(p);
	if (!json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}
