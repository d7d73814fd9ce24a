/*
 * notify-linear.c: the Linear target of aas-notify (GraphQL).
 *
 * A task that names its issue (a Linear field) gets a comment and its
 * state moved by type; a task without one gets an issue created with a
 * client-chosen id, so that a retry, a re-run or a crash in between never
 * makes a second.  The identifier is kept in the state folder
 * (linear.jsonl) and written back to the board.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "config.h"
#include "http.h"
#include "notify.h"
#include "notify-linear.h"
#include "state.h"
#include "banned.h"

#define LINEAR_URL	"https://api.linear.app/graphql"
#define RL_TRIES	5		/* RATELIMITED answers waited out */
#define RL_WAIT_MAX	60000		/* the longest wait for a reset, ms */
#define JOURNAL		"linear"

struct aas_target {
	struct aas_http *http;
	struct aas_state *st;
	char	*url;
	char	*auth;		/* "Authorization: <key>" */
	char	*team_key;
	char	*team_id;	/* looked up once */
	char	*board;
	struct aas_board_opts bopts;
	int	 dry_run;
	int64_t	 hold_until;	/* unix ms: no request before */
	json_t	*states;	/* "teamid/type" -> state object */
};

static const char Q_TEAM[] =
    "query($key: String!) { teams(filter: {key: {eq: $key}}) "
    "{ nodes { id key name } } }";
static const char Q_STATES[] =
    "query($team: ID!, $type: String!) { workflowStates(filter: "
    "{team: {id: {eq: $team}}, type: {eq: $type}}) "
    "{ nodes { id name type position } } }";
static const char Q_ISSUE[] =
    "query($id: String!) { issue(id: $id) "
    "{ id identifier url team { id key } state { id name type } } }";
static const char Q_ISSUE_UUID[] =
    "query($id: ID!) { issues(filter: {id: {eq: $id}}) "
    "{ nodes { id identifier url team { id key } state { id name type } } } }";
static const char Q_COMMENT[] =
    "query($id: String!) { comment(id: $id) { id } }";
static const char M_CREATE[] =
    "mutation($input: IssueCreateInput!) { issueCreate(input: $input) "
    "{ success issue { id identifier url team { id key } "
    "state { id name type } } } }";
static const char M_COMMENT[] =
    "mutation($input: CommentCreateInput!) { commentCreate(input: $input) "
    "{ success comment { id } } }";
static const char M_UPDATE[] =
    "mutation($id: String!, $input: IssueUpdateInput!) "
    "{ issueUpdate(id: $id, input: $input) "
    "{ success issue { id state { id name type } } } }";

/* A header's value as a number, or -1. */
static int64_t
hnum(json_t *headers, const char *name)
{
	const char *s = json_string_value(json_object_get(headers, name));
	char *end;
	long long v;

	if (s == NULL)
		return -1;
	v = strtoll(s, &end, 10);
	return end == s || v < 0 ? -1 : (int64_t)v;
}

/*
 * One GraphQL call.  0 and *datap (a new reference to "data"), or -1:
 * "ratelimited" when Linear kept refusing, "gone" for an authentication
 * error (no later call can do better this run), "linear" for an error
 * inside the answer (first message), else lib/http's code.
 */
static int
gql(struct aas_target *t, const char *query, json_t *vars, json_t **datap,
    struct aas_err *e)
{
	const char *hdrs[4] = { t->auth, "Content-Type: application/json",
	    "Accept: application/json", NULL };
	struct aas_http_req rq;
	struct aas_http_resp resp;
	json_t *req, *errs, *ext, *data;
	const char *code, *type, *msg, *um;
	char *body;
	int64_t wait, reset;
	int rc, round;

	*datap = NULL;
	req = json_pack("{s:s, s:O}", "query", query, "variables", vars);
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	memset(&rq, 0, sizeof(rq));
	rq.url = t->url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.json = 1;
	for (round = 0;; round++) {
		if (t->hold_until > 0 && (wait = t->hold_until - aas_unix_ms()) > 0) {
			if (wait > RL_WAIT_MAX) {
				free(body);
				return aas_err_set(e, "ratelimited", "linear: "
				    "rate limited: no request left until the "
				    "limit resets in more than %d s",
				    RL_WAIT_MAX / 1000);
			}
			if (aas_state_sleep(t->st, wait) == -1) {
				free(body);
				return aas_err_set(e, "stopped", "stopped while "
				    "waiting for linear's rate limit");
			}
		}
		t->hold_until = 0;
		rc = aas_http_do(t->http, &rq, &resp, e);
		errs = json_object_get(resp.json, "errors");
		reset = hnum(resp.headers, "x-ratelimit-requests-reset");
		if (hnum(resp.headers, "x-ratelimit-requests-remaining") == 0 &&
		    reset > 0)
			t->hold_until = reset;
		if (json_array_size(errs) > 0) {
			ext = json_object_get(json_array_get(errs, 0),
			    "extensions");
			code = json_string_value(json_object_get(ext, "code"));
			type = json_string_value(json_object_get(ext, "type"));
			msg = json_string_value(json_object_get(
			    json_array_get(errs, 0), "message"));
			um = json_string_value(json_object_get(ext,
			    "userPresentableMessage"));
			if ((code != NULL && strcmp(code, "RATELIMITED") == 0) ||
			    (type != NULL && strcmp(type, "ratelimited") == 0)) {
				wait = reset > 0 ? reset - aas_unix_ms() : 0;
				if (wait < 1000 * (1 << round) / 4)
					wait = 1000 * (1 << round) / 4;
				aas_http_resp_free(&resp);
				if (wait > RL_WAIT_MAX || round + 1 >= RL_TRIES) {
					free(body);
					if (wait > RL_WAIT_MAX)
						return aas_err_set(e,
						    "ratelimited", "linear: "
						    "rate limited (RATELIMITED),"
						    " the limit resets in more "
						    "than %d s",
						    RL_WAIT_MAX / 1000);
					return aas_err_set(e, "ratelimited",
					    "linear: rate limited "
					    "(RATELIMITED) %d times",
					    round + 1);
				}
				t->hold_until = aas_unix_ms() + wait;
				continue;
			}
			if ((code != NULL && strcmp(code,
			    "AUTHENTICATION_ERROR") == 0) || (type != NULL &&
			    strcmp(type, "authentication error") == 0))
				aas_err_set(e, "gone", "linear: authentication "
				    "failed (HTTP %ld): %s", resp.status,
				    msg != NULL ? msg : "no message");
			else
				aas_err_set(e, "linear", "linear: %s%s%s%s",
				    msg != NULL ? msg : "error",
				    um != NULL && (msg == NULL || strcmp(um,
				    msg) != 0) ? " (" : "",
				    um != NULL && (msg == NULL || strcmp(um,
				    msg) != 0) ? um : "",
				    um != NULL && (msg == NULL || strcmp(um,
				    msg) != 0) ? ")" : "");
			aas_http_resp_free(&resp);
			free(body);
			return -1;
		}
		break;
	}
	free(body);
	if (rc == -1) {
		aas_err_prefix(e, "linear");
		aas_http_resp_free(&resp);
		return -1;
	}
	data = json_object_get(resp.json, "data");
	if (!json_is_object(data)) {
		aas_http_resp_free(&resp);
		return aas_err_set(e, "bad_response", "linear: an answer "
		    "without data");
	}
	*datap = json_incref(data);
	aas_http_resp_free(&resp);
	return 0;
}

/* ---------------------------------------------------------------- */

void
aas_linear_uuid(const char *salt, const char *s, char out[37])
{
	char hex[65], *in = aas_xasprintf("%s:%s", salt, s);
	unsigned char b[16];
	size_t i;
	unsigned v;

	aas_sha256_hex(in, strlen(in), hex);
	free(in);
	for (i = 0; i < 16; i++) {
		sscanf(hex + 2 * i, "%2x", &v);
		b[i] = (unsigned char)v;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* The task's Linear field (any letter case), or NULL. */
static const char *
linear_field(json_t *fields)
{
	const char *k, *s;
	json_t *v;

	json_object_foreach(fields, k, v) {
		if (strcasecmp(k, "linear") != 0)
			continue;
		s = json_string_value(v);
		if (s != NULL && *s != '\0')
			return s;
	}
	return NULL;
}

/* The workflow state type a status moves the issue to, or NULL. */
static const char *
state_type(const char *status)
{
	if (status == NULL)
		return NULL;
	if (strcasecmp(status, "done") == 0)
		return "completed";
	if (strcasecmp(status, "in progress") == 0 ||
	    strcasecmp(status, "review") == 0)
		return "started";
	if (strcasecmp(status, "canceled") == 0 ||
	    strcasecmp(status, "cancelled") == 0)
		return "canceled";
	return NULL;
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

char *
aas_linear_markdown(json_t *data)
{
	struct aas_buf o = AAS_BUF_INIT;
	json_t *checks = json_object_get(data, "checks"), *c, *err;
	json_t *files = json_object_get(data, "files"), *usage, *v;
	const char *s, *id = jstr(data, "id"), *st = jstr(data, "status");
	size_t i;

	aas_buf_printf(&o, "**%s: %s** (aas)\n", id != NULL ? id : "task",
	    st != NULL ? st : "no status");
	if ((s = jstr(data, "summary")) != NULL && *s != '\0')
		aas_buf_printf(&o, "\n%s\n", s);
	aas_buf_adds(&o, "\n");
	if ((s = jstr(data, "branch")) != NULL) {
		aas_buf_printf(&o, "- Branch: `%s`", s);
		if ((s = jstr(data, "commit")) != NULL)
			aas_buf_printf(&o, " at `%.12s`", s);
		if ((s = jstr(data, "base")) != NULL)
			aas_buf_printf(&o, " (base `%s`)", s);
		aas_buf_adds(&o, "\n");
	}
	if (json_array_size(files) > 0) {
		aas_buf_adds(&o, "- Files:");
		json_array_foreach(files, i, v)
			if (json_is_string(v))
				aas_buf_printf(&o, "%s `%s`", i ? "," : "",
				    json_string_value(v));
		aas_buf_adds(&o, "\n");
	}
	if (json_array_size(checks) > 0) {
		aas_buf_adds(&o, "- Checks:");
		json_array_foreach(checks, i, c) {
			s = jstr(c, "name");
			aas_buf_printf(&o, "%s %s ", i ? "," : "",
			    s != NULL ? s : "?");
			if (json_is_true(json_object_get(c, "ok")))
				aas_buf_adds(&o, "passed");
			else if (json_is_integer(json_object_get(c, "exit")))
				aas_buf_printf(&o, "failed (exit %lld)",
				    json_integer_value(json_object_get(c,
				    "exit")));
			else
				aas_buf_adds(&o, "failed");
		}
		aas_buf_adds(&o, "\n");
	}
	if ((v = json_object_get(data, "attempts")) != NULL &&
	    json_is_integer(v) && json_integer_value(v) > 1)	/* repaired */
		aas_buf_printf(&o, "- Attempts: %lld\n", json_integer_value(v));
	if ((s = jstr(data, "model")) != NULL)
		aas_buf_printf(&o, "- Model: %s\n", s);
	usage = json_object_get(data, "usage");
	if ((v = json_object_get(data, "usd")) != NULL && json_is_number(v)) {
		aas_buf_printf(&o, "- Cost: $%.4f", json_number_value(v));
		if (json_is_integer(json_object_get(usage, "input")))
			aas_buf_printf(&o, " (%lld input, %lld output tokens)",
			    json_integer_value(json_object_get(usage, "input")),
			    json_integer_value(json_object_get(usage,
			    "output")));
		aas_buf_adds(&o, "\n");
	}
	if ((err = json_object_get(data, "error")) != NULL &&
	    json_is_object(err)) {
		/* one blank line before it, whether a list came or not */
		if (o.len < 2 || o.s[o.len - 2] != '\n')
			aas_buf_adds(&o, "\n");
		aas_buf_printf(&o, "**Failed** at %s (%s): %s\n",
		    (s = jstr(err, "stage")) != NULL ? s : "?",
		    jstr(err, "code") != NULL ? jstr(err, "code") : "?",
		    jstr(err, "message") != NULL ? jstr(err, "message") : "");
	}
	/* no trailing blank line */
	while (o.len > 0 && o.s[o.len - 1] == '\n')
		o.s[--o.len] = '\0';
	return aas_buf_detach(&o, NULL);
}

/* ---------------------------------------------------------------- */

static int
team_id(struct aas_target *t, struct aas_err *e)
{
	json_t *data, *vars, *node;

	if (t->team_id != NULL)
		return 0;
	vars = json_pack("{s:s}", "key", t->team_key);
	if (gql(t, Q_TEAM, vars, &data, e) == -1) {
		json_decref(vars);
		return -1;
	}
	json_decref(vars);
	node = json_array_get(json_object_get(json_object_get(data, "teams"),
	    "nodes"), 0);
	if (jstr(node, "id") == NULL) {
		json_decref(data);
		return aas_err_set(e, "gone", "linear: no team with the key "
		    "%s", t->team_key);
	}
	t->team_id = aas_xstrdup(jstr(node, "id"));
	json_decref(data);
	return 0;
}

/* The first state of a type in a team (lowest position), borrowed from
 * the cache, or NULL with e set. */
static json_t *
find_state(struct aas_target *t, const char *team, const char *type,
    struct aas_err *e)
{
	char *key = aas_xasprintf("%s/%s", team, type);
	json_t *st = json_object_get(t->states, key), *data, *vars, *nodes;
	json_t *n, *best = NULL;
	size_t i;

	if (st != NULL) {
		free(key);
		return st;
	}
	vars = json_pack("{s:s, s:s}", "team", team, "type", type);
	if (gql(t, Q_STATES, vars, &data, e) == -1) {
		json_decref(vars);
		free(key);
		return NULL;
	}
	json_decref(vars);
	nodes = json_object_get(json_object_get(data, "workflowStates"),
	    "nodes");
	json_array_foreach(nodes, i, n) {
		if (jstr(n, "id") == NULL)
			continue;
		if (best == NULL || json_number_value(json_object_get(n,
		    "position")) < json_number_value(json_object_get(best,
		    "position")))
			best = n;
	}
	if (best == NULL) {
		json_decref(data);
		aas_err_set(e, "linear", "linear: the team has no workflow "
		    "state of type %s", type);
		free(key);
		return NULL;
	}
	json_object_set(t->states, key, best);
	free(key);
	json_decref(data);
	return best;
}

/* The issue with this client-chosen id, a new reference, or NULL (none:
 * e->code ""; an error: -1 in *rcp). */
static json_t *
issue_by_uuid(struct aas_target *t, const char *uuid, int *rcp,
    struct aas_err *e)
{
	json_t *vars = json_pack("{s:s}", "id", uuid), *data, *n;

	*rcp = 0;
	if (gql(t, Q_ISSUE_UUID, vars, &data, e) == -1) {
		json_decref(vars);
		*rcp = -1;
		return NULL;
	}
	json_decref(vars);
	n = json_array_get(json_object_get(json_object_get(data, "issues"),
	    "nodes"), 0);
	if (jstr(n, "identifier") != NULL)
		json_incref(n);
	else
		n = NULL;
	json_decref(data);
	return n;
}

/* ---------------------------------------------------------------- */
/* the state folder's record of the issues made: linear.jsonl */

struct mapfind {
	const char *task, *team;
	json_t	*found;		/* the last matching line */
};

static int
map_cb(json_t *obj, void *arg)
{
	struct mapfind *m = arg;
	const char *task = jstr(obj, "task"), *team = jstr(obj, "team");

	if (task != NULL && team != NULL && strcmp(task, m->task) == 0 &&
	    strcmp(team, m->team) == 0 && jstr(obj, "uuid") != NULL) {
		json_decref(m->found);
		m->found = json_incref(obj);
	}
	return 0;
}

static json_t *
map_find(struct aas_target *t, const char *task, struct aas_err *e,
    int *rcp)
{
	struct mapfind m = { task, t->team_key, NULL };

	*rcp = 0;
	if (t->st == NULL)
		return NULL;
	if (aas_journal_read(t->st, JOURNAL, map_cb, &m, e) == -1) {
		json_decref(m.found);
		*rcp = -1;
		return NULL;
	}
	return m.found;
}

static int
map_add(struct aas_target *t, const char *task, const char *uuid,
    json_t *issue, struct aas_err *e)
{
	json_t *o;
	int rc;

	if (t->st == NULL)
		return 0;
	o = json_pack("{s:s, s:s, s:s}", "task", task, "team", t->team_key,
	    "uuid", uuid);
	if (issue != NULL) {
		json_object_set_new(o, "identifier",
		    json_string(jstr(issue, "identifier")));
		if (jstr(issue, "url") != NULL)
			json_object_set_new(o, "url",
			    json_string(jstr(issue, "url")));
	}
	rc = aas_journal_append(t->st, JOURNAL, o, e);
	json_decref(o);
	return rc;
}

/* ---------------------------------------------------------------- */
/* the identifier written back to the board */

struct wb {
	const char *task, *ident;
};

static int
wb_fn(struct aas_board *b, void *arg, struct aas_err *e)
{
	struct wb *w = arg;
	const struct aas_task *tk = aas_board_find(b, w->task);
	const char *cur;

	if (tk == NULL)
		return aas_err_set(e, "unknown_id", "no task %s on the board "
		    "%s", w->task, aas_board_name(b));
	cur = linear_field(tk->fields);
	if (cur != NULL && strcmp(cur, w->ident) == 0)
		return 0;
	return aas_board_set_field(b, w->task, "Linear", w->ident, e);
}

/* 0 written (or already there), -1 with e set. */
static int
write_back(struct aas_target *t, const char *task, const char *ident,
    struct aas_err *e)
{
	struct wb w = { task, ident };

	if (t->board == NULL)
		return aas_err_set(e, "board", "no board");
	return aas_board_update(t->board, &t->bopts, wb_fn, &w, e);
}

/* ---------------------------------------------------------------- */

static int
move_state(struct aas_target *t, json_t *issue, const char *type,
    const char **namep, struct aas_err *e)
{
	json_t *cur = json_object_get(issue, "state"), *st, *vars, *data;
	const char *team = jstr(json_object_get(issue, "team"), "id");

	*namep = jstr(cur, "name");
	if (type == NULL)
		return 0;
	if (jstr(cur, "type") != NULL && strcmp(jstr(cur, "type"), type) == 0)
		return 0;
	if (team == NULL)
		return aas_err_set(e, "bad_response", "linear: an issue "
		    "without its team");
	if ((st = find_state(t, team, type, e)) == NULL)
		return -1;
	vars = json_pack("{s:s, s:{s:s}}", "id", jstr(issue, "id"), "input",
	    "stateId", jstr(st, "id"));
	if (gql(t, M_UPDATE, vars, &data, e) == -1) {
		json_decref(vars);
		return -1;
	}
	json_decref(vars);
	json_decref(data);
	*namep = jstr(st, "name");
	return 0;
}

static json_t *
make_detail(json_t *issue, const char *action, const char *state,
    const char *note)
{
	json_t *d = json_pack("{s:s?, s:s?, s:s, s:s?}", "issue",
	    jstr(issue, "identifier"), "url", jstr(issue, "url"), "action",
	    action, "state", state);

	if (note != NULL)
		json_object_set_new(d, "board", json_string(note));
	return d;
}

/* "linear: MSG" becomes "linear: WHAT: MSG". */
static void
err_at(struct aas_err *e, const char *what)
{
	char *rest, code[sizeof(e->code)];

	if (strncmp(e->msg, "linear: ", 8) == 0) {
		rest = aas_xstrdup(e->msg + 8);
		memcpy(code, e->code, sizeof(code));
		aas_err_set(e, code, "linear: %s: %.900s", what, rest);
		free(rest);
	} else
		aas_err_prefix(e, "linear: %s", what);
}

/* A task that names its issue: a comment, then the state moved. */
static int
update_issue(struct aas_target *t, const char *ident, json_t *data,
    const char *delivery_id, json_t **detailp, struct aas_err *e)
{
	json_t *vars, *res, *issue, *got;
	const char *type = state_type(jstr(data, "status")), *sname;
	char cid[37], *md;
	int rc;

	vars = json_pack("{s:s}", "id", ident);
	rc = gql(t, Q_ISSUE, vars, &res, e);
	json_decref(vars);
	if (rc == -1) {
		err_at(e, ident);
		return -1;
	}
	issue = json_incref(json_object_get(res, "issue"));
	json_decref(res);
	if (jstr(issue, "id") == NULL) {
		json_decref(issue);
		return aas_err_set(e, "linear", "linear: %s: no such issue",
		    ident);
	}
	aas_linear_uuid("aas-linear-comment", delivery_id, cid);
	md = aas_linear_markdown(data);
	vars = json_pack("{s:{s:s, s:s, s:s}}", "input", "id", cid, "issueId",
	    jstr(issue, "id"), "body", md);
	free(md);
	rc = gql(t, M_COMMENT, vars, &res, e);
	json_decref(vars);
	json_decref(res);
	if (rc == -1 && strcmp(e->code, "ratelimited") != 0 &&
	    strcmp(e->code, "gone") != 0 && strcmp(e->code, "stopped") != 0) {
		/* made by an earlier try whose answer was lost? */
		struct aas_err e2;

		vars = json_pack("{s:s}", "id", cid);
		if (gql(t, Q_COMMENT, vars, &got, &e2) == 0) {
			if (jstr(json_object_get(got, "comment"), "id") != NULL)
				rc = 0;
			json_decref(got);
		}
		json_decref(vars);
	}
	if (rc == -1 || move_state(t, issue, type, &sname, e) == -1) {
		err_at(e, ident);
		json_decref(issue);
		return -1;
	}
	*detailp = make_detail(issue, "commented", sname, NULL);
	json_decref(issue);
	return 0;
}

/* A task without an issue: create it once. */
static int
create_issue(struct aas_target *t, const char *task, json_t *data,
    json_t *known, const char *delivery_id, json_t **detailp,
    struct aas_err *e)
{
	const char *type = state_type(jstr(data, "status")), *title, *sname;
	json_t *issue, *vars, *input, *res, *st;
	struct aas_err e2, ew;
	char uuid[37], *md, *full;
	const char *note = NULL, *action = "created";
	int rc;

	if (known != NULL)
		snprintf(uuid, sizeof(uuid), "%s", jstr(known, "uuid"));
	else {
		aas_linear_uuid("aas-linear-issue", delivery_id, uuid);
		if (map_add(t, task, uuid, NULL, e) == -1)
			return -1;
	}
	if ((issue = issue_by_uuid(t, uuid, &rc, e)) == NULL && rc == -1)
		return -1;
	if (issue != NULL)
		action = "adopted";
	else {
		if (team_id(t, e) == -1)
			return -1;
		title = jstr(data, "title");
		full = aas_xasprintf("%s: %s", task, title != NULL ? title :
		    "");
		md = aas_linear_markdown(data);
		input = json_pack("{s:s, s:s, s:s, s:s}", "id", uuid, "teamId",
		    t->team_id, "title", full, "description", md);
		free(full);
		free(md);
		if (type != NULL) {
			if ((st = find_state(t, t->team_id, type, e)) == NULL) {
				json_decref(input);
				return -1;
			}
			json_object_set_new(input, "stateId",
			    json_string(jstr(st, "id")));
		}
		vars = json_pack("{s:o}", "input", input);
		rc = gql(t, M_CREATE, vars, &res, e);
		json_decref(vars);
		if (rc == 0) {
			issue = json_incref(json_object_get(json_object_get(res,
			    "issueCreate"), "issue"));
			json_decref(res);
			if (jstr(issue, "identifier") == NULL) {
				json_decref(issue);
				issue = NULL;
				rc = aas_err_set(e, "bad_response", "linear: "
				    "issueCreate gave no issue");
			}
		}
		/* an earlier try may have made it: the id says */
		if (rc == -1 && strcmp(e->code, "gone") != 0 &&
		    strcmp(e->code, "stopped") != 0 &&
		    (issue = issue_by_uuid(t, uuid, &rc, &e2)) != NULL)
			action = "adopted";
		if (issue == NULL)
			return -1;
	}
	if ((known == NULL || jstr(known, "identifier") == NULL) &&
	    map_add(t, task, uuid, issue, e) == -1) {
		json_decref(issue);
		return -1;
	}
	sname = jstr(json_object_get(issue, "state"), "name");
	if (strcmp(action, "adopted") == 0 &&
	    move_state(t, issue, type, &sname, e) == -1) {
		json_decref(issue);
		return -1;
	}
	if (write_back(t, task, jstr(issue, "identifier"), &ew) == -1) {
		aas_msg("linear: %s: %s not written to the board: %s", task,
		    jstr(issue, "identifier"), ew.msg);
		note = ew.msg;
	}
	*detailp = make_detail(issue, action, sname, note);
	json_decref(issue);
	return 0;
}

/* ---------------------------------------------------------------- */

static int
linear_open(struct aas_target **tp, const struct aas_target_env *env,
    char hash[13], struct aas_err *e)
{
	struct aas_target *t;
	struct aas_http_opts ho;
	const char *key = getenv("LINEAR_API_KEY"), *url, *team = env->arg;
	const char *root;
	char hex[65], *s;
	size_t i;

	*tp = NULL;
	if (key == NULL || *key == '\0')
		return aas_err_set(e, "config", "LINEAR_API_KEY is not set");
	for (i = 0; key[i]; i++)
		if ((unsigned char)key[i] < 0x21 || key[i] == 0x7f)
			return aas_err_set(e, "config", "LINEAR_API_KEY "
			    "holds a blank or a control character");
	aas_secret_add(key);
	if (team == NULL && env->cf != NULL && aas_config_str(env->cf,
	    "linear.team", &team, e) == -1)
		return -1;
	if (team == NULL || *team == '\0')
		return aas_err_set(e, "config", "no team: give "
		    "--linear=TEAM or set linear.team");
	for (i = 0; team[i]; i++)
		if (!isalnum((unsigned char)team[i]))
			return aas_err_set(e, "config", "'%s' is not "
			    "a team key (letters and digits, e.g. ENG)", team);
	url = getenv("LINEAR_API_URL");
	if (url == NULL || *url == '\0')
		url = LINEAR_URL;
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return aas_err_set(e, "config", "LINEAR_API_URL: not "
		    "an http or https URL");
	t = aas_xcalloc(1, sizeof(*t));
	t->st = env->st;
	t->dry_run = env->dry_run;
	t->url = aas_xstrdup(url);
	t->auth = aas_xasprintf("Authorization: %s", key);
	t->team_key = aas_xstrdup(team);
	for (s = t->team_key; *s; s++)
		*s = (char)toupper((unsigned char)*s);
	t->states = json_object();
	root = env->repo != NULL ? env->repo : env->st != NULL ?
	    aas_state_root(env->st) : ".";
	if (aas_board_config(env->cf, root, &t->bopts, &t->board, e) == -1) {
		aas_target_linear.close(t);
		return -1;
	}
	if (env->st != NULL)
		t->bopts.state_dir = aas_state_dir(env->st);
	memset(&ho, 0, sizeof(ho));
	ho.verbose = env->verbose;
	ho.timeout_ms = 60000;
	t->http = aas_http_new(&ho);
	s = aas_xasprintf("linear\n%s\n%s", t->url, t->team_key);
	aas_sha256_hex(s, strlen(s), hex);
	free(s);
	memcpy(hash, hex, 12);
	hash[12] = '\0';
	*tp = t;
	return 0;
}

static int
linear_deliver(struct aas_target *t, json_t *outcome, const char *delivery_id,
    json_t **detailp, struct aas_err *e)
{
	json_t *data = json_object_get(outcome, "data"), *known = NULL;
	const char *task = jstr(data, "id"), *ident, *type, *slash;
	char uuid[37], idbuf[64];
	int rc;

	*detailp = NULL;
	if (task == NULL || *task == '\0')
		return aas_err_set(e, "unknown_id", "linear: the outcome has "
		    "no task id");
	ident = linear_field(json_object_get(data, "fields"));
	if (ident != NULL && (strncmp(ident, "https://", 8) == 0 ||
	    strncmp(ident, "http://", 7) == 0) &&
	    (slash = strstr(ident, "/issue/")) != NULL) {
		/* an issue's URL: .../issue/ENG-123/slug */
		slash += 7;
		snprintf(idbuf, sizeof(idbuf), "%.*s",
		    (int)strcspn(slash, "/?#"), slash);
		ident = idbuf;
	}
	if (ident == NULL) {
		known = map_find(t, task, e, &rc);
		if (rc == -1)
			return -1;
		ident = jstr(known, "identifier");
	}
	type = state_type(jstr(data, "status"));
	if (t->dry_run) {
		if (ident != NULL)
			aas_msg("linear: %s: would comment on %s%s%s", task,
			    ident, type != NULL ? " and move it to a state of "
			    "type " : "", type != NULL ? type : "");
		else {
			if (known != NULL)
				snprintf(uuid, sizeof(uuid), "%s",
				    jstr(known, "uuid"));
			else
				aas_linear_uuid("aas-linear-issue", delivery_id,
				    uuid);
			aas_msg("linear: %s: would create an issue in team %s "
			    "(id %s)%s%s", task, t->team_key, uuid,
			    type != NULL ? " in a state of type " : "",
			    type != NULL ? type : "");
		}
		*detailp = json_pack("{s:b, s:s?}", "dry_run", 1, "issue",
		    ident);
		json_decref(known);
		return 0;
	}
	if (known != NULL && ident != NULL) {
		aas_linear_uuid("aas-linear-issue", delivery_id, uuid);
		if (strcmp(uuid, jstr(known, "uuid")) == 0) {
			/* this very delivery made it, and was cut short after */
			rc = create_issue(t, task, data, known, delivery_id,
			    detailp, e);
			json_decref(known);
			return rc;
		}
	}
	if (ident != NULL) {
		rc = update_issue(t, ident, data, delivery_id, detailp, e);
		if (rc == 0 && known != NULL)
			/* the board may have missed it: try again */
			(void)write_back(t, task, ident, &(struct aas_err){0});
	} else
		rc = create_issue(t, task, data, known, delivery_id, detailp,
		    e);
	json_decref(known);
	return rc;
}

static void
linear_close(struct aas_target *t)
{
	if (t == NULL)
		return;
	if (t->http != NULL)
		aas_http_free(t->http);
	free(t->url);
	if (t->auth != NULL) {
		memset(t->auth, 0, strlen(t->auth));
		free(t->auth);
	}
	free(t->team_key);
	free(t->team_id);
	free(t->board);
	json_decref(t->states);
	free(t);
}

const struct aas_target_ops aas_target_linear = {
	"linear", linear_open, linear_deliver, NULL, linear_close
};
