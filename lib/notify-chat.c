/* notify-chat.c: Slack and Discord incoming webhooks, one message a run or
 * one a task, cut to each service's limits with a note. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "notify.h"
#include "state.h"
#include "banned.h"

enum chat { SLACK, DISCORD };

/* Slack: 50 blocks a message, 3000 characters a section.  Discord: 2000
 * characters of content; an embed's title 256, description 4096, 25
 * fields of 256 and 1024, footer 2048, all of its text 6000. */
#define SLACK_BLOCKS	50
#define SLACK_SECTION	3000
#define DC_CONTENT	2000
#define DC_DESC		4096
#define DC_FOOTER	2048
#define DC_EMBED	6000

struct aas_target {
	enum chat kind;
	const char *name;
	char	*url;		/* as given: a secret */
	char	*post;		/* where to POST (Discord: ?wait=true) */
	char	*shown;
	int	 per_task, dry_run;
	struct aas_state *st;
	struct aas_http *http;
	int64_t	 hold_until;	/* Discord: the bucket is empty until */
};

/* ---------------------------------------------------------------- */
/* text */

/* Bytes of the first max code points of s. */
static size_t
cut_at(const char *s, size_t max)
{
	size_t i = 0, n = 0;

	while (s[i] != '\0' && n < max) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		n++;
	}
	return i;
}

static size_t
cps(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* s cut to max code points, "…" last when it was cut; a new string. */
static char *
cut(const char *s, size_t max)
{
	size_t b;

	if (cps(s) <= max)
		return aas_xstrdup(s);
	b = cut_at(s, max - 1);
	return aas_xasprintf("%.*s\xe2\x80\xa6", (int)b, s);
}

/* Task text made inert: Slack's &, <, > as entities; Discord's markdown
 * characters escaped (mentions are off in allowed_mentions). */
static void
add_text(struct aas_buf *b, enum chat k, const char *s)
{
	for (; s != NULL && *s; s++) {
		if (*s == '\n' || *s == '\r') {
			aas_buf_addc(b, ' ');
			continue;
		}
		if (k == SLACK && *s == '&')
			aas_buf_adds(b, "&amp;");
		else if (k == SLACK && *s == '<')
			aas_buf_adds(b, "&lt;");
		else if (k == SLACK && *s == '>')
			aas_buf_adds(b, "&gt;");
		else {
			if (k == DISCORD && strchr("\\*_~`|[]", *s) != NULL)
				aas_buf_addc(b, '\\');
			aas_buf_addc(b, *s);
		}
	}
}

static void
add_link(struct aas_buf *b, enum chat k, const char *url, const char *label)
{
	if (k == SLACK) {
		aas_buf_printf(b, "<%s|", url);
		add_text(b, k, label);
		aas_buf_addc(b, '>');
	} else {
		aas_buf_addc(b, '[');
		add_text(b, k, label);
		aas_buf_printf(b, "](<%s>)", url);
	}
}

static const char *
dstr(json_t *data, const char *key)
{
	return json_string_value(json_object_get(data, key));
}

/* Why a task failed: its error, else the checks that failed. */
static char *
reason(json_t *data)
{
	json_t *err = json_object_get(data, "error"), *c;
	struct aas_buf b = AAS_BUF_INIT;
	const char *m;
	size_t i;

	if ((m = dstr(err, "message")) != NULL)
		return aas_xasprintf("failed%s%s: %s", dstr(err, "stage") ?
		    " in " : "", dstr(err, "stage") ? dstr(err, "stage") : "",
		    m);
	json_array_foreach(json_object_get(data, "checks"), i, c) {
		if (!json_is_false(json_object_get(c, "ok")))
			continue;
		aas_buf_printf(&b, "%s%s", b.len ? ", " : "failed checks: ",
		    dstr(c, "name") ? dstr(c, "name") : "?");
		if (json_is_integer(json_object_get(c, "exit")))
			aas_buf_printf(&b, " (exit %lld)", (long long)
			    json_integer_value(json_object_get(c, "exit")));
	}
	if (b.len == 0)
		aas_buf_adds(&b, "failed, no reason given");
	return aas_buf_detach(&b, NULL);
}

static int
is_failed(json_t *data)
{
	const char *s = dstr(data, "status");

	return s != NULL && strcmp(s, "Failed") == 0;
}

/* "ID Title" for a line. */
static void
add_task(struct aas_buf *b, enum chat k, json_t *data)
{
	const char *id = dstr(data, "id"), *title = dstr(data, "title");

	aas_buf_adds(b, k == SLACK ? "*" : "**");
	add_text(b, k, id != NULL ? id : "?");
	aas_buf_adds(b, k == SLACK ? "*" : "**");
	if (title != NULL && *title) {
		aas_buf_addc(b, ' ');
		add_text(b, k, title);
	}
}

/* Pull requests and branches of a task, as " · " items; 0 if none. */
static int
add_links(struct aas_buf *b, enum chat k, json_t *data)
{
	json_t *l;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(data, "links"), i, l) {
		if (dstr(l, "url") == NULL)
			continue;
		aas_buf_adds(b, n++ ? " \xc2\xb7 " : "");
		add_link(b, k, dstr(l, "url"), dstr(l, "kind") ?
		    dstr(l, "kind") : "link");
	}
	if (dstr(data, "branch") != NULL) {
		aas_buf_adds(b, n++ ? " \xc2\xb7 branch " : "branch ");
		aas_buf_adds(b, k == SLACK ? "`" : "`");
		aas_buf_adds(b, dstr(data, "branch"));
		aas_buf_adds(b, "`");
	}
	return n;
}

static const char *const order[] = {
	"Done", "Failed", "Review", "In Progress", "Blocked", "Queued", NULL
};

/*
 * The message as a headline and lines.  Per run: counts by status, the
 * cost, each failed task with its reason, then each other task that has a
 * link or a branch.  Per task: the task, its status, reason, checks,
 * links, cost.
 */
static void
compose(enum chat k, json_t *outcomes, char **headp, json_t *lines,
    json_t *counts)
{
	struct aas_buf b = AAS_BUF_INIT;
	json_t *o, *data, *c;
	double usd = 0;
	int have_usd = 0, pass;
	size_t i, j, n = json_array_size(outcomes), cnt;
	const char *s;

	json_array_foreach(outcomes, i, o) {
		data = json_object_get(o, "data");
		if (json_is_number(json_object_get(data, "usd"))) {
			usd += json_number_value(json_object_get(data, "usd"));
			have_usd = 1;
		}
	}
	if (n == 1) {
		data = json_object_get(json_array_get(outcomes, 0), "data");
		add_task(&b, k, data);
		aas_buf_printf(&b, ": %s", dstr(data, "status") ?
		    dstr(data, "status") : "no status");
	} else {
		aas_buf_printf(&b, "aas: %zu tasks", n);
		for (j = 0; order[j] != NULL; j++) {
			cnt = 0;
			json_array_foreach(outcomes, i, o)
				if ((s = dstr(json_object_get(o, "data"),
				    "status")) != NULL && strcmp(s, order[j]) == 0)
					cnt++;
			if (cnt > 0) {
				aas_buf_printf(&b, ", %zu %s", cnt, order[j]);
				json_object_set_new(counts, order[j],
				    json_integer((json_int_t)cnt));
			}
		}
		cnt = 0;
		json_array_foreach(outcomes, i, o) {
			s = dstr(json_object_get(o, "data"), "status");
			for (j = 0; s != NULL && order[j] != NULL; j++)
				if (strcmp(s, order[j]) == 0)
					break;
			if (s == NULL || order[j] == NULL)
				cnt++;
		}
		if (cnt > 0) {
			aas_buf_printf(&b, ", %zu other", cnt);
			json_object_set_new(counts, "other",
			    json_integer((json_int_t)cnt));
		}
	}
	if (have_usd)
		aas_buf_printf(&b, "; cost $%.4f", usd);
	*headp = aas_buf_detach(&b, NULL);
	/* failed tasks first, with their reasons; then the rest with links */
	for (pass = 0; pass < 2; pass++)
		json_array_foreach(outcomes, i, o) {
			data = json_object_get(o, "data");
			if (is_failed(data) != (pass == 0))
				continue;
			aas_buf_reset(&b);
			if (n > 1)
				add_task(&b, k, data);
			if (pass == 0) {
				char *r = reason(data);

				aas_buf_adds(&b, n > 1 ? ": " : "");
				add_text(&b, k, r);
				free(r);
			}
			if (n == 1) {
				json_array_foreach(json_object_get(data,
				    "checks"), j, c) {
					aas_buf_adds(&b, b.len && j == 0 ?
					    "\n" : j ? ", " : "");
					add_text(&b, k, dstr(c, "name"));
					aas_buf_adds(&b, json_is_true(
					    json_object_get(c, "ok")) ? " ok" :
					    " FAILED");
				}
				if (b.len > 0) {
					json_array_append_new(lines,
					    json_string(b.s));
					aas_buf_reset(&b);
				}
				add_links(&b, k, data);
			} else {
				struct aas_buf l = AAS_BUF_INIT;

				if (add_links(&l, k, data) > 0)
					aas_buf_printf(&b, "%s%s",
					    pass == 0 ? " \xc2\xb7 " : ": ",
					    l.s);
				else if (pass == 1)
					aas_buf_reset(&b);
				aas_buf_free(&l);
			}
			if (b.len > 0)
				json_array_append_new(lines, json_string(b.s));
		}
	aas_buf_free(&b);
}

/* ---------------------------------------------------------------- */
/* the two services' bodies */

static json_t *
slack_body(const char *head, json_t *lines, const char *id)
{
	json_t *blocks = json_array(), *l;
	struct aas_buf sec = AAS_BUF_INIT;
	char *h = cut(head, SLACK_SECTION), *one;
	size_t i, left, nb;

	/* the headline, the sections of lines, the note, the footer */
	json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}",
	    "type", "section", "text", "type", "mrkdwn", "text", h));
	left = json_array_size(lines);
	json_array_foreach(lines, i, l) {
		one = cut(json_string_value(l), SLACK_SECTION);
		if (sec.len > 0 && cps(sec.s) + 1 + cps(one) > SLACK_SECTION) {
			json_array_append_new(blocks, json_pack(
			    "{s:s, s:{s:s, s:s}}", "type", "section", "text",
			    "type", "mrkdwn", "text", sec.s));
			aas_buf_reset(&sec);
		}
		nb = json_array_size(blocks);
		if (nb >= SLACK_BLOCKS - 2) {
			free(one);
			break;
		}
		aas_buf_printf(&sec, "%s%s", sec.len ? "\n" : "", one);
		free(one);
		left--;
	}
	if (sec.len > 0 && json_array_size(blocks) < SLACK_BLOCKS - 2)
		json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}",
		    "type", "section", "text", "type", "mrkdwn", "text", sec.s));
	else if (sec.len > 0)
		left += 1 + (size_t)(strchr(sec.s, '\n') != NULL);
	aas_buf_reset(&sec);
	if (left > 0)
		aas_buf_printf(&sec, "%zu more lines cut to keep within "
		    "Slack's limits; the board has every task \xc2\xb7 ", left);
	aas_buf_printf(&sec, "aas delivery %s", id);
	json_array_append_new(blocks, json_pack("{s:s, s:[{s:s, s:s}]}",
	    "type", "context", "elements", "type", "mrkdwn", "text", sec.s));
	aas_buf_free(&sec);
	l = json_pack("{s:s, s:o}", "text", h, "blocks", blocks);
	free(h);
	return l;
}

static json_t *
discord_body(const char *head, json_t *lines, json_t *counts, int red,
    const char *id)
{
	struct aas_buf d = AAS_BUF_INIT;
	json_t *embed, *fields = json_array(), *l, *v;
	char *content = cut(head, DC_CONTENT), *foot, *one, num[24];
	const char *key;
	size_t i, budget, used, left;

	foot = aas_xasprintf("aas delivery %s", id);
	used = cps(foot);
	json_object_foreach(counts, key, v) {
		if (json_array_size(fields) >= 25)
			break;
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		json_array_append_new(fields, json_pack("{s:s, s:s, s:b}",
		    "name", key, "value", num, "inline", 1));
		used += cps(key) + 12;
	}
	/* what is left for the description, keeping room for the note */
	budget = DC_EMBED > used + 120 ? DC_EMBED - used - 120 : 0;
	if (budget > DC_DESC - 120)
		budget = DC_DESC - 120;
	left = json_array_size(lines);
	json_array_foreach(lines, i, l) {
		one = cut(json_string_value(l), budget > 0 ? budget : 1);
		if (cps(d.s != NULL ? d.s : "") + 1 + cps(one) > budget) {
			free(one);
			break;
		}
		aas_buf_printf(&d, "%s%s", d.len ? "\n" : "", one);
		free(one);
		left--;
	}
	if (left > 0)
		aas_buf_printf(&d, "%s%zu more lines cut to keep within "
		    "Discord's limits; the board has every task",
		    d.len ? "\n" : "", left);
	embed = json_pack("{s:s, s:i, s:o, s:{s:s}}",
	    "description", d.s != NULL ? d.s : "", "color", red ? 0xd73a49 :
	    0x2ea44f, "fields", fields, "footer", "text", foot);
	if (json_array_size(fields) == 0)
		json_object_del(embed, "fields");
	if (d.len == 0)
		json_object_del(embed, "description");
	l = json_pack("{s:s, s:s, s:[o], s:{s:[]}}", "username", "aas",
	    "content", content, "embeds", embed, "allowed_mentions", "parse");
	aas_buf_free(&d);
	free(content);
	free(foot);
	return l;
}

/* ---------------------------------------------------------------- */

static void
on_response(void *arg, long status, json_t *headers)
{
	struct aas_target *t = arg;
	const char *rem = json_string_value(json_object_get(headers,
	    "x-ratelimit-remaining"));
	const char *ra = json_string_value(json_object_get(headers,
	    "x-ratelimit-reset-after"));

	(void)status;
	if (rem != NULL && strcmp(rem, "0") == 0 && ra != NULL)
		t->hold_until = aas_now_ms() + (int64_t)(strtod(ra, NULL) *
		    1000 + 0.5);
}

static int
chat_open(enum chat k, struct aas_target **tp,
    const struct aas_target_env *env, char hash[13], struct aas_err *e)
{
	const char *var = k == SLACK ? "SLACK_WEBHOOK_URL" :
	    "DISCORD_WEBHOOK_URL", *name = k == SLACK ? "slack" : "discord";
	const char *url = env->arg, *p;
	struct aas_http_opts ho;
	struct aas_target *t;
	char *what;

	if (url == NULL && ((url = getenv(var)) == NULL || *url == '\0'))
		return aas_err_set(e, "config", "no URL: set %s", var);
	aas_secret_add(url);
	what = aas_xasprintf("the %s webhook URL", name);
	if (aas_notify_url_check(what, url, e) == -1) {
		free(what);
		return -1;
	}
	free(what);
	/* the path is the secret part */
	p = strchr(strstr(url, "://") + 3, '/');
	if (p != NULL)
		aas_secret_add(p);
	t = aas_xcalloc(1, sizeof(*t));
	t->kind = k;
	t->name = name;
	t->url = aas_xstrdup(url);
	if (k == DISCORD)
		t->post = aas_xasprintf("%s%swait=true", url,
		    strchr(url, '?') != NULL ? "&" : "?");
	else
		t->post = aas_xstrdup(url);
	aas_secret_add(t->post);
	t->shown = aas_notify_url_shown(url, 0);
	t->per_task = env->per_task;
	t->dry_run = env->dry_run;
	t->st = env->st;
	memset(&ho, 0, sizeof(ho));
	ho.timeout_ms = 30000;
	ho.verbose = env->verbose;
	ho.only_429 = 1;
	ho.retry_after_body = k == DISCORD;
	ho.on_response = on_response;
	ho.on_response_arg = t;
	if (!t->dry_run)
		t->http = aas_http_new(&ho);
	aas_notify_hash(name, url, hash);
	*tp = t;
	return 0;
}

static int
slack_open(struct aas_target **tp, const struct aas_target_env *env,
    char hash[13], struct aas_err *e)
{
	return chat_open(SLACK, tp, env, hash, e);
}

static int
discord_open(struct aas_target **tp, const struct aas_target_env *env,
    char hash[13], struct aas_err *e)
{
	return chat_open(DISCORD, tp, env, hash, e);
}

static int
post(struct aas_target *t, json_t *body, json_t **detailp, struct aas_err *e)
{
	static const char *const hdr[] = {
		"Content-Type: application/json", NULL
	};
	struct aas_http_req rq;
	struct aas_http_resp resp;
	char *s = json_dumps(body, JSON_COMPACT);
	const char *mid;
	int64_t wait;
	int rc;

	if (t->dry_run) {
		aas_msg("dry run: %s: POST %s: %s", t->name, t->shown, s);
		*detailp = json_string("dry run: not sent");
		free(s);
		return 0;
	}
	if ((wait = t->hold_until - aas_now_ms()) > 0 &&
	    aas_state_sleep(t->st, wait) == -1) {
		free(s);
		return aas_err_set(e, "stopped", "%s: stopped while waiting "
		    "for the rate limit", t->shown);
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = t->post;
	rq.headers = hdr;
	rq.body = s;
	rq.body_len = strlen(s);
	memset(&resp, 0, sizeof(resp));
	rc = aas_http_do(t->http, &rq, &resp, e);
	if (rc == 0) {
		mid = json_string_value(json_object_get(resp.json, "id"));
		*detailp = mid != NULL ? json_sprintf("http %ld, message %s",
		    resp.status, mid) : json_sprintf("http %ld", resp.status);
	} else {
		aas_notify_http_err(e, t->shown, &resp);
		if (resp.status == 401 || resp.status == 403 ||
		    resp.status == 404 || resp.status == 410) {
			char *m = aas_xstrdup(e->msg);

			aas_err_set(e, "gone", "%s; nothing more is sent to it "
			    "in this run", m);
			free(m);
		}
	}
	aas_http_resp_free(&resp);
	free(s);
	return rc;
}

static int
send_outcomes(struct aas_target *t, json_t *outcomes, const char *id,
    json_t **detailp, struct aas_err *e)
{
	json_t *lines = json_array(), *counts = json_object(), *body, *o;
	char *head;
	size_t i;
	int rc, red = 0;

	compose(t->kind, outcomes, &head, lines, counts);
	json_array_foreach(outcomes, i, o)
		red |= is_failed(json_object_get(o, "data"));
	body = t->kind == SLACK ? slack_body(head, lines, id) :
	    discord_body(head, lines, counts, red, id);
	rc = post(t, body, detailp, e);
	json_decref(body);
	json_decref(lines);
	json_decref(counts);
	free(head);
	return rc;
}

static int
chat_deliver(struct aas_target *t, json_t *outcome, const char *id,
    json_t **detailp, struct aas_err *e)
{
	json_t *one = json_pack("[O]", outcome);
	int rc = send_outcomes(t, one, id, detailp, e);

	json_decref(one);
	return rc;
}

static int
chat_per_run(const struct aas_target *t)
{
	return !t->per_task;
}

static void
chat_close(struct aas_target *t)
{
	if (t == NULL)
		return;
	aas_http_free(t->http);
	free(t->url);
	free(t->post);
	free(t->shown);
	free(t);
}

const struct aas_target_ops aas_target_slack = {
	.name = "slack",
	.open = slack_open,
	.deliver = chat_deliver,
	.finish = send_outcomes,
	.close = chat_close,
	.per_run = chat_per_run,
};

const struct aas_target_ops aas_target_discord = {
	.name = "discord",
	.open = discord_open,
	.deliver = chat_deliver,
	.finish = send_outcomes,
	.close = chat_close,
	.per_run = chat_per_run,
};
