/* aas-emu: the test's script: scripted answers, faults, rate limits */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

static const char *kinds[] = {
	"429", "500", "502", "503", "reset", "slow", "truncate", "malformed",
	"commit_then_reset", "expire", "fail_batch", NULL
};

static int
batch_kind(const char *k)
{
	return strcmp(k, "expire") == 0 || strcmp(k, "fail_batch") == 0;
}

static void
faults_free(struct fault *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_decref(f[i].rule);
	free(f);
}

double
json_num(json_t *o, const char *k, double def)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : def;
}

long
script_int(json_t *o, const char *k, long def)
{
	return (long)json_num(o, k, (double)def);
}

/* Check a script and install it; takes the reference to s. */
int
script_set(json_t *s, char *err, size_t errlen)
{
	json_t *v, *r, *kind;
	struct fault *f = NULL;
	size_t i, j, n = 0;
	char kb[32];

	if (!json_is_object(s)) {
		snprintf(err, errlen, "script is not a JSON object");
		goto bad;
	}
	v = json_object_get(s, "answers");
	if (v != NULL && !json_is_array(v)) {
		snprintf(err, errlen, "answers is not an array");
		goto bad;
	}
	json_array_foreach(v, i, r) {
		if (!json_is_object(r) ||
		    !json_is_string(json_object_get(r, "match"))) {
			snprintf(err, errlen, "answers[%zu]: no match string",
			    i);
			goto bad;
		}
		if (json_object_get(r, "prompt") != NULL &&
		    !json_is_string(json_object_get(r, "prompt")) &&
		    !json_is_null(json_object_get(r, "prompt"))) {
			snprintf(err, errlen, "answers[%zu]: prompt is not a "
			    "string", i);
			goto bad;
		}
	}
	v = json_object_get(s, "default");
	if (v != NULL && !json_is_object(v) && !json_is_null(v)) {
		snprintf(err, errlen, "default is not an object");
		goto bad;
	}
	v = json_object_get(s, "faults");
	if (v != NULL && !json_is_array(v)) {
		snprintf(err, errlen, "faults is not an array");
		goto bad;
	}
	n = json_array_size(v);
	f = xcalloc(n ? n : 1, sizeof(*f));
	json_array_foreach(v, i, r) {
		if (!json_is_object(r)) {
			snprintf(err, errlen, "faults[%zu] is not an object", i);
			goto bad;
		}
		kind = json_object_get(r, "kind");
		if (json_is_integer(kind))
			snprintf(kb, sizeof(kb), "%lld",
			    (long long)json_integer_value(kind));
		else if (json_is_string(kind))
			snprintf(kb, sizeof(kb), "%s", json_string_value(kind));
		else {
			snprintf(err, errlen, "faults[%zu]: no kind", i);
			goto bad;
		}
		for (j = 0; kinds[j] != NULL; j++)
			if (strcmp(kinds[j], kb) == 0)
				break;
		if (kinds[j] == NULL) {
			snprintf(err, errlen, "faults[%zu]: unknown kind %s",
			    i, kb);
			goto bad;
		}
		json_object_set_new(r, "kind", json_string(kinds[j]));
		f[i].rule = json_incref(r);
		f[i].kind = (char *)kinds[j];
		f[i].path = json_str(json_object_get(r, "path"));
		if (f[i].path == NULL)
			f[i].path = batch_kind(kinds[j]) ?
			    "/v1/*batches" : "*";
		f[i].method = json_str(json_object_get(r, "method"));
		if (f[i].method == NULL)
			f[i].method = batch_kind(kinds[j]) ? "POST" : "*";
		f[i].count = script_int(r, "count", -1);
		f[i].every = script_int(r, "every", 1);
		if (f[i].every < 1)
			f[i].every = 1;
		f[i].after = script_int(r, "after", 0);
	}
	pthread_mutex_lock(&E.lock);
	json_decref(E.script);
	E.script = s;
	faults_free(E.faults, E.nfaults);
	E.faults = f;
	E.nfaults = n;
	pthread_mutex_unlock(&E.lock);
	return 0;
bad:
	faults_free(f, n);
	json_decref(s);
	return -1;
}

/*
 * A copy of the script in force, the caller's own: connection threads
 * share no value, as jansson's json_incref reads the count without an
 * atomic load beside another thread's atomic update (ThreadSanitizer).
 */
json_t *
script_get(void)
{
	json_t *s;

	pthread_mutex_lock(&E.lock);
	s = json_deep_copy(E.script);
	pthread_mutex_unlock(&E.lock);
	return s;
}

/* s matched as *glob* */
static int
glob_in(const char *glob, const char *s)
{
	char *pat;
	int hit;

	pat = xmalloc(strlen(glob) + 3);
	snprintf(pat, strlen(glob) + 3, "*%s*", glob);
	hit = fnmatch(pat, s ? s : "", 0) == 0;
	free(pat);
	return hit;
}

static void
add_content(struct buf *b, json_t *c)
{
	json_t *part, *t;
	size_t i;

	if (json_is_string(c)) {
		buf_addstr(b, json_string_value(c));
		buf_addstr(b, "\n");
	}
	json_array_foreach(c, i, part) {
		t = json_object_get(part, "text");
		if (json_is_string(t)) {
			buf_addstr(b, json_string_value(t));
			buf_addstr(b, "\n");
		}
	}
}

/*
 * The whole prompt of a chat or messages body, for "prompt": system,
 * instructions, input and every message's text, each followed by a
 * newline.  The caller frees.
 */
char *
prompt_text(json_t *body)
{
	struct buf b = { 0 };
	json_t *m;
	size_t i;

	add_content(&b, json_object_get(body, "system"));
	add_content(&b, json_object_get(body, "instructions"));
	add_content(&b, json_object_get(body, "input"));
	json_array_foreach(json_object_get(body, "messages"), i, m)
		add_content(&b, json_object_get(m, "content"));
	return buf_take(&b);
}

/* Does an answer of the script in force match on "prompt"?  Batch lines
 * keep their prompt text only then. */
int
script_has_prompt(void)
{
	json_t *s = script_get(), *a;
	size_t i;
	int any = 0;

	json_array_foreach(json_object_get(s, "answers"), i, a)
		if (json_is_string(json_object_get(a, "prompt")))
			any = 1;
	json_decref(s);
	return any;
}

/*
 * The answer for a batch line (custom_id) or a sync call (custom_id from
 * metadata, else the last user text, matched as *glob*), and, for an
 * answer with "prompt", the whole prompt (prompt_text) matched as
 * *prompt*.  Borrowed from the script; NULL means the built-in default.
 */
json_t *
answer_for(json_t *s, const char *custom_id, const char *text,
    const char *prompt)
{
	json_t *v, *a;
	size_t i;
	const char *m, *p;
	int hit;

	v = json_object_get(s, "answers");
	json_array_foreach(v, i, a) {
		m = json_string_value(json_object_get(a, "match"));
		p = json_string_value(json_object_get(a, "prompt"));
		if (custom_id != NULL)
			hit = fnmatch(m, custom_id, 0) == 0;
		else
			hit = glob_in(m, text);
		if (hit && p != NULL)
			hit = glob_in(p, prompt);
		if (hit)
			return a;
	}
	a = json_object_get(s, "default");
	return json_is_object(a) ? a : NULL;
}

const char *
fault_kind(json_t *rule)
{
	return json_string_value(json_object_get(rule, "kind"));
}

/*
 * Count this request against every rule whose path and method match and
 * return a copy of the first rule that fires, or NULL.
 * Transport faults and batch-level faults are picked separately.
 */
json_t *
fault_pick(const char *method, const char *path, int batchlevel)
{
	json_t *hit = NULL;
	struct fault *f;
	size_t i;
	long k;

	pthread_mutex_lock(&E.lock);
	for (i = 0; i < E.nfaults; i++) {
		f = &E.faults[i];
		if (batch_kind(f->kind) != batchlevel)
			continue;
		if (strcmp(f->method, "*") != 0 &&
		    strcasecmp(f->method, method) != 0)
			continue;
		if (fnmatch(f->path, path, 0) != 0)
			continue;
		f->seen++;
		if (hit != NULL || f->seen <= f->after)
			continue;
		k = f->seen - f->after;
		if (k % f->every != 0)
			continue;
		if (f->count >= 0 && f->fired >= f->count)
			continue;
		f->fired++;
		E.faults_fired++;
		hit = json_deep_copy(f->rule);	/* as script_get */
	}
	pthread_mutex_unlock(&E.lock);
	return hit;
}

/*
 * Apply the script's rpm/tpm to a sync call of prov that costs tok tokens
 * over a sliding window of E.window_ms (--rate-window, default 60 s).
 * Always sets the rate-limit headers.
 * Returns 1 (and fills a 429) when over the limit.
 */
int
ratelimit_check(struct reply *r, int prov, long tok)
{
	struct window *w = &E.win[prov];
	long rpm, tpm, lr, lt, used, remr, remt, need;
	int64_t now = now_ms(), wait = 0, rr = 0, rt = 0;
	size_t i;
	int over = 0;
	char b1[64], b2[64], b3[64], b4[64], msg[256];

	pthread_mutex_lock(&E.lock);
	rpm = script_int(E.script, "rpm", 0);
	tpm = script_int(E.script, "tpm", 0);
	win_prune(w, now, E.window_ms);
	used = win_tokens(w);
	if (rpm > 0 && (long)w->n + 1 > rpm) {
		over = 1;
		wait = w->t[w->head + w->n - rpm] + E.window_ms - now;
	}
	if (tpm > 0 && w->n > 0 && used + tok > tpm) {
		over = 1;
		need = used + tok - tpm;
		for (i = 0; i < w->n && need > 0; i++) {
			need -= w->tok[w->head + i];
			if (need <= 0 && w->t[w->head + i] + E.window_ms - now > wait)
				wait = w->t[w->head + i] + E.window_ms - now;
		}
	}
	if (!over) {
		win_add(w, now, tok);
		used += tok;
	} else
		E.rate_limited++;
	lr = rpm > 0 ? rpm : 10000;
	lt = tpm > 0 ? tpm : 10000000;
	remr = lr - (long)w->n;
	remt = lt - used;
	if (w->n > 0)
		rr = rt = w->t[w->head + w->n - 1] + E.window_ms - now;
	pthread_mutex_unlock(&E.lock);
	if (remr < 0)
		remr = 0;
	if (remt < 0)
		remt = 0;
	if (prov == EMU_OPENAI) {
		snprintf(b1, sizeof(b1), "%ld", lr);
		reply_header(r, "x-ratelimit-limit-requests", b1);
		snprintf(b1, sizeof(b1), "%ld", remr);
		reply_header(r, "x-ratelimit-remaining-requests", b1);
		fmt_duration(b1, sizeof(b1), rr);
		reply_header(r, "x-ratelimit-reset-requests", b1);
		snprintf(b1, sizeof(b1), "%ld", lt);
		reply_header(r, "x-ratelimit-limit-tokens", b1);
		snprintf(b1, sizeof(b1), "%ld", remt);
		reply_header(r, "x-ratelimit-remaining-tokens", b1);
		fmt_duration(b1, sizeof(b1), rt);
		reply_header(r, "x-ratelimit-reset-tokens", b1);
	} else {
		snprintf(b1, sizeof(b1), "%ld", lr);
		snprintf(b2, sizeof(b2), "%ld", remr);
		fmt_rfc3339(b3, sizeof(b3), now + rr);
		reply_header(r, "anthropic-ratelimit-requests-limit", b1);
		reply_header(r, "anthropic-ratelimit-requests-remaining", b2);
		reply_header(r, "anthropic-ratelimit-requests-reset", b3);
		snprintf(b1, sizeof(b1), "%ld", lt);
		snprintf(b2, sizeof(b2), "%ld", remt);
		fmt_rfc3339(b4, sizeof(b4), now + rt);
		reply_header(r, "anthropic-ratelimit-tokens-limit", b1);
		reply_header(r, "anthropic-ratelimit-tokens-remaining", b2);
		reply_header(r, "anthropic-ratelimit-tokens-reset", b4);
	}
	if (!over)
		return 0;
	if (wait < 1)
		wait = 1;
	snprintf(b1, sizeof(b1), "%lld", (long long)((wait + 999) / 1000));
	reply_header(r, "retry-after", b1);
	r->ratelimited = 1;
	fmt_duration(b2, sizeof(b2), wait);
	if (prov == EMU_OPENAI) {
		snprintf(msg, sizeof(msg), "Rate limit reached for requests "
		    "(emulated): Limit %ld RPM, %ld TPM. Please try again in "
		    "%s.", lr, lt, b2);
		reply_error(r, prov, 429, msg, "requests", NULL,
		    "rate_limit_exceeded");
	} else {
		snprintf(msg, sizeof(msg), "This request would exceed the "
		    "rate limit (emulated): %ld requests and %ld tokens per "
		    "minute.", lr, lt);
		reply_error(r, prov, 429, msg, "rate_limit_error", NULL, NULL);
	}
	return 1;
}
