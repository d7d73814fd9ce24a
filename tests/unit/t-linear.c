/*
 * t-linear.c: the Linear target (lib/notify-linear.c) through its
 * operations table, against tests/emu-linear: the exact calls Linear
 * gets, one issue across retries, a lost answer and a crash after the
 * create, the identifier written back to the board (heading and table),
 * state moves by type, rate limits and errors inside HTTP 200, and the
 * key in nothing written.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "http.h"
#include "notify.h"
#include "notify-linear.h"
#include "state.h"
#include "tap.h"

#define CF "board: board.md\nlinear:\n  team: eng\n"
#define KEY "lin_api_t_linear_SECRET_0123456789"

static pid_t emu_pid;
static char base[128], dir[] = "/tmp/t-linear.XXXXXX";
static struct aas_http *ctl_http;
static size_t log_mark;

static const char SCRIPT[] =
    "{\"teams\":[{\"id\":\"t-eng\",\"key\":\"ENG\",\"name\":\"Engineering\","
    "\"states\":["
    "{\"id\":\"s-back\",\"name\":\"Backlog\",\"type\":\"backlog\",\"position\":0},"
    "{\"id\":\"s-todo\",\"name\":\"Todo\",\"type\":\"unstarted\",\"position\":1},"
    "{\"id\":\"s-rev\",\"name\":\"In Review\",\"type\":\"started\",\"position\":3},"
    "{\"id\":\"s-prog\",\"name\":\"Doing\",\"type\":\"started\",\"position\":2},"
    "{\"id\":\"s-done\",\"name\":\"Shipped\",\"type\":\"completed\",\"position\":4},"
    "{\"id\":\"s-canc\",\"name\":\"Dropped\",\"type\":\"canceled\",\"position\":5}"
    "]}]}";

static void
emu_stop(void)
{
	int st;

	if (emu_pid > 0) {
		kill(emu_pid, SIGTERM);
		waitpid(emu_pid, &st, 0);
		emu_pid = 0;
	}
}

static int
emu_start(void)
{
	const char *src = getenv("AAS_SRC");
	char py[1024], pf[256], sp[256], lf[256];
	FILE *f;
	int port = 0, i;

	snprintf(py, sizeof(py), "%s/tests/emu-linear/linear-emu.py",
	    src ? src : ".");
	snprintf(pf, sizeof(pf), "%s/port", dir);
	snprintf(sp, sizeof(sp), "%s/script.json", dir);
	snprintf(lf, sizeof(lf), "%s/emu-log.ndjson", dir);
	if ((f = fopen(sp, "w")) == NULL)
		return 0;
	fputs(SCRIPT, f);
	fclose(f);
	if ((emu_pid = fork()) == 0) {
		execlp("python3", "python3", py, "--port-file", pf, "--script",
		    sp, "--log", lf, "--key", KEY, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 400 && port == 0; i++) {
		usleep(25000);
		if ((f = fopen(pf, "r")) != NULL) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	return port;
}

static char *
ctl(const char *path, const char *body)
{
	struct aas_http_req rq = { 0 };
	struct aas_http_resp rs;
	struct aas_err e;
	char *u = aas_xasprintf("%s%s", base, path), *out;

	rq.method = body != NULL ? NULL : "GET";
	rq.url = u;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	aas_http_do(ctl_http, &rq, &rs, &e);
	out = aas_xstrdup(rs.body);
	aas_http_resp_free(&rs);
	free(u);
	return out;
}

static void
fault(const char *json)
{
	free(ctl("/_emu/fault", json));
}

/* The requests since the last call, as "op:field[!fault]" words. */
static char *
calls(void)
{
	char *log = ctl("/_emu/log", NULL), *line, *save = NULL;
	struct aas_buf o = AAS_BUF_INIT;
	size_t n = 0;
	json_t *j;

	for (line = strtok_r(log, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (n++ < log_mark)
			continue;
		j = json_loads(line, 0, NULL);
		aas_buf_printf(&o, "%s%s:%s", o.len ? " " : "",
		    json_string_value(json_object_get(j, "op")),
		    json_string_value(json_array_get(json_object_get(j,
		    "fields"), 0)));
		if (json_object_get(j, "fault") != NULL)
			aas_buf_printf(&o, "!%s", json_string_value(
			    json_object_get(j, "fault")));
		json_decref(j);
	}
	log_mark = n;
	free(log);
	if (o.s == NULL)
		return aas_xstrdup("");
	return aas_buf_detach(&o, NULL);
}

/* The n-th request from the end's variables, compact, sorted keys. */
static char *
last_vars(int back)
{
	char *log = ctl("/_emu/log", NULL), *p, *end, *out;
	json_t *j;

	end = log + strlen(log);
	while (back-- >= 0) {
		if (end > log)
			end--;
		while (end > log && end[-1] != '\n')
			end--;
	}
	p = end;
	j = json_loads(p, JSON_DISABLE_EOF_CHECK, NULL);
	out = json_dumps(json_object_get(j, "variables"), JSON_COMPACT |
	    JSON_SORT_KEYS);
	json_decref(j);
	free(log);
	return out != NULL ? out : aas_xstrdup("null");
}

/* How many issues and comments the emulator holds. */
static void
counts(size_t *ni, size_t *nc)
{
	char *s = ctl("/_emu/issues", NULL);
	json_t *j = json_loads(s, 0, NULL);

	*ni = json_array_size(json_object_get(j, "issues"));
	*nc = json_array_size(json_object_get(j, "comments"));
	json_decref(j);
	free(s);
}

static char *
slurp(const char *path)
{
	char *d = NULL;
	size_t n;
	struct aas_err e;

	if (aas_read_file(path, &d, &n, &e) == -1)
		return aas_xstrdup("");
	return d;
}

static void
spit(const char *path, const char *s)
{
	struct aas_err e;

	aas_write_atomic(path, s, strlen(s), 0644, &e);
}

static json_t *
outcome(const char *id, const char *title, const char *status,
    const char *linear, int failed)
{
	json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s,"
	    " s:[s], s:[{s:s, s:b, s:i, s:i}], s:s, s:i, s:s,"
	    " s:{s:i, s:i}, s:f, s:{}}}",
	    "type", "task.x", "timestamp", "2026-12-01T10:00:00Z", "data",
	    "id", id, "title", title, "status", status, "branch",
	    "aas/T", "commit", "0123456789abcdef0123", "base", "main",
	    "files", "lib/a.c", "checks", "name", "build", "ok", !failed,
	    "exit", failed ? 2 : 0, "ms", 5, "summary", "Adds it.",
	    "attempts", 2, "model", "gpt-4.1-mini", "usage", "input", 100,
	    "output", 20, "usd", 0.0012, "fields");
	json_t *d = json_object_get(o, "data");

	if (linear != NULL)
		json_object_set_new(json_object_get(d, "fields"), "Linear",
		    json_string(linear));
	if (failed)
		json_object_set_new(d, "error", json_pack("{s:s, s:s, s:s}",
		    "stage", "qa", "code", "check_failed", "message",
		    "make failed"));
	return o;
}

static char *
dump(json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY) : NULL;

	return s != NULL ? s : aas_xstrdup("null");
}

/* deliver and return "rc detail" or "rc code: msg" */
static char *
deliver(struct aas_target *t, json_t *oc, const char *did)
{
	json_t *detail = NULL;
	struct aas_err e;
	char *d, *r;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = aas_target_linear.deliver(t, oc, did, &detail, &e);
	json_decref(oc);
	if (rc == 0) {
		d = dump(detail);
		r = aas_xasprintf("0 %s", d);
		free(d);
	} else
		r = aas_xasprintf("%d %s: %s", rc, e.code, e.msg);
	json_decref(detail);
	return r;
}

static void
is_free(char *got, const char *want, const char *name)
{
	is_str(got, want, name);
	free(got);
}

static int
open_target(struct aas_target **tp, struct aas_config *cf,
    struct aas_state *st, const char *arg, int dry, struct aas_err *e)
{
	struct aas_target_env env = { 0 };
	char hash[13];

	env.cf = cf;
	env.st = st;
	env.repo = dir;
	env.arg = arg;
	env.dry_run = dry;
	return aas_target_linear.open(tp, &env, hash, e);
}

static void
test_pure(void)
{
	char a[37], b[37], *md;
	json_t *oc;

	aas_linear_uuid("aas-linear-issue", "d1", a);
	aas_linear_uuid("aas-linear-issue", "d1", b);
	is_str(a, b, "uuid: the same delivery gives the same id");
	ok(strlen(a) == 36 && a[8] == '-' && a[13] == '-' && a[14] == '4' &&
	    strchr("89ab", a[19]) != NULL && a[23] == '-',
	    "uuid: a version 4, variant 1 UUID");
	aas_linear_uuid("aas-linear-issue", "d2", b);
	ok(strcmp(a, b) != 0, "uuid: another delivery, another id");
	oc = outcome("T-1", "Add it", "Done", NULL, 0);
	md = aas_linear_markdown(json_object_get(oc, "data"));
	is_str(md, "**T-1: Done** (aas)\n\nAdds it.\n\n"
	    "- Branch: `aas/T` at `0123456789ab` (base `main`)\n"
	    "- Files: `lib/a.c`\n- Checks: build passed\n- Attempts: 2\n"
	    "- Model: gpt-4.1-mini\n"
	    "- Cost: $0.0012 (100 input, 20 output tokens)",
	    "markdown of a done outcome");
	free(md);
	json_decref(oc);
	oc = outcome("T-1", "Add it", "Failed", NULL, 1);
	md = aas_linear_markdown(json_object_get(oc, "data"));
	ok(strstr(md, "- Checks: build failed (exit 2)\n") != NULL &&
	    strstr(md, "\n\n**Failed** at qa (check_failed): make failed") !=
	    NULL, "markdown of a failed outcome: the check and the failure");
	free(md);
	json_decref(oc);
}

static void
test_open(struct aas_config *cf, struct aas_config *bare,
    struct aas_state *st)
{
	struct aas_target *t;
	struct aas_err e;

	unsetenv("LINEAR_API_KEY");
	ok(open_target(&t, cf, st, NULL, 0, &e) == -1 &&
	    strcmp(e.code, "config") == 0, "open: no key is a config error");
	is_str(e.msg, "LINEAR_API_KEY is not set", "its message");
	setenv("LINEAR_API_KEY", KEY, 1);
	ok(open_target(&t, bare, st, NULL, 0, &e) == -1, "open: no team");
	is_str(e.msg, "no team: give --linear=TEAM or set "
	    "linear.team", "its message");
	ok(open_target(&t, bare, st, "EN G", 0, &e) == -1 &&
	    strcmp(e.msg, "'EN G' is not a team key (letters and "
	    "digits, e.g. ENG)") == 0, "open: a bad team key");
	setenv("LINEAR_API_URL", "ftp://x", 1);
	ok(open_target(&t, cf, st, NULL, 0, &e) == -1 &&
	    strcmp(e.msg, "LINEAR_API_URL: not an http or https "
	    "URL") == 0, "open: a bad URL");
}

int
main(void)
{
	struct aas_config *cf, *bare;
	struct aas_state *st;
	struct aas_target *t;
	struct aas_err e;
	char *s, *url, *board, *jr, uuid[37];
	size_t ni, nc;
	int rc;

	plan(57);
	aas_init();
	if (mkdtemp(dir) == NULL || chdir(dir) == -1)
		return 1;
	setenv("AAS_HTTP_BACKOFF_MS", "1", 1);
	ctl_http = aas_http_new(NULL);
	test_pure();
	s = aas_xasprintf("%s/.aas", dir);
	rc = aas_state_open(&st, s, 1, &e);
	free(s);
	rc |= aas_config_load_text(&cf, CF, strlen(CF), "c.yml", &e);
	rc |= aas_config_load_text(&bare, CF, 16, "b.yml", &e);
	if (rc != 0 || emu_start() == 0) {
		printf("Bail out! setup: %s\n", e.msg);
		return 1;
	}
	test_open(cf, bare, st);
	url = aas_xasprintf("%s/graphql", base);
	setenv("LINEAR_API_URL", url, 1);
	board = aas_xasprintf("%s/board.md", dir);

	/* a heading task without an issue: created once, written back */
	spit(board, "# Board\n\n## T-1: Add it\n- Status: Queued\n\nBody.\n\n"
	    "| ID | Title | Status | Linear |\n|----|----|----|----|\n"
	    "| T-2 | Two | Queued | |\n| T-3 | Three | Queued | |\n");
	ok(open_target(&t, cf, st, NULL, 0, &e) == 0, "open");
	is_free(deliver(t, outcome("T-1", "Add it", "Done", NULL, 0), "d1"),
	    "0 {\"action\":\"created\",\"issue\":\"ENG-1\",\"state\":"
	    "\"Shipped\",\"url\":\"https://linear.app/emu/issue/eng-1\"}",
	    "create: the issue, its URL, a completed-type state");
	is_free(calls(), "query:issues query:teams query:workflowStates "
	    "mutation:issueCreate", "create: looked up by id first, then made");
	aas_linear_uuid("aas-linear-issue", "d1", uuid);
	s = last_vars(0);
	{
		json_t *oc = outcome("T-1", "Add it", "Done", NULL, 0);

		jr = aas_linear_markdown(json_object_get(oc, "data"));
		json_decref(oc);
	}
	{
		json_t *want = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}}",
		    "input", "description", jr, "id", uuid, "stateId",
		    "s-done", "teamId", "t-eng", "title", "T-1: Add it");
		char *w = dump(want);

		is_str(s, w, "create: exactly the input Linear got");
		free(w);
		json_decref(want);
	}
	free(jr);
	free(s);
	s = slurp(board);
	is_str(s, "# Board\n\n## T-1: Add it\n- Status: Queued\n- Linear: "
	    "ENG-1\n\nBody.\n\n| ID | Title | Status | Linear |\n"
	    "|----|----|----|----|\n| T-2 | Two | Queued | |\n"
	    "| T-3 | Three | Queued | |\n",
	    "board: the Linear field added to the heading block");
	free(s);
	s = aas_xasprintf("%s/.aas/linear.jsonl", dir);
	jr = slurp(s);
	free(s);
	s = aas_xasprintf("{\"task\":\"T-1\",\"team\":\"ENG\",\"uuid\":\"%s\"}\n"
	    "{\"task\":\"T-1\",\"team\":\"ENG\",\"uuid\":\"%s\","
	    "\"identifier\":\"ENG-1\",\"url\":"
	    "\"https://linear.app/emu/issue/eng-1\"}\n", uuid, uuid);
	is_str(jr, s, "state folder: the intent, then the identifier");
	free(s);
	free(jr);

	/* the same delivery again (a re-run): no second issue */
	is_free(deliver(t, outcome("T-1", "Add it", "Done", NULL, 0), "d1"),
	    "0 {\"action\":\"adopted\",\"issue\":\"ENG-1\",\"state\":"
	    "\"Shipped\",\"url\":\"https://linear.app/emu/issue/eng-1\"}",
	    "re-run: the issue this delivery made, from the state folder");
	is_free(calls(), "query:issues",
	    "re-run: looked up by its id; no create, no comment, no move");
	counts(&ni, &nc);
	is_int(ni, 1, "re-run: still one issue");

	/* a table row with a Linear column; In Progress is started-type */
	is_free(deliver(t, outcome("T-2", "Two", "In Progress", NULL, 0),
	    "d2"), "0 {\"action\":\"created\",\"issue\":\"ENG-2\",\"state\":"
	    "\"Doing\",\"url\":\"https://linear.app/emu/issue/eng-2\"}",
	    "table: created in the first started state by position");
	is_free(calls(), "query:issues query:workflowStates "
	    "mutation:issueCreate", "table: team id and states cached");
	s = slurp(board);
	ok(strstr(s, "| T-2 | Two | Queued | ENG-2 |\n| T-3 | Three | Queued"
	    " | |\n") != NULL, "board: the identifier in the Linear column");
	free(s);

	/* the create's answer lost (connection reset after it was made):
	 * the retry is refused, the id finds the issue */
	fault("{\"match\":\"issueCreate\",\"action\":\"reset_after\"}");
	is_free(deliver(t, outcome("T-3", "Three", "Queued", NULL, 0), "d3"),
	    "0 {\"action\":\"adopted\",\"issue\":\"ENG-3\",\"state\":"
	    "\"Backlog\",\"url\":\"https://linear.app/emu/issue/eng-3\"}",
	    "lost answer: the issue made by the first try adopted");
	is_free(calls(), "query:issues mutation:issueCreate!reset_after "
	    "mutation:issueCreate query:issues",
	    "lost answer: retried, refused by id, looked up");
	counts(&ni, &nc);
	is_int(ni, 3, "lost answer: one issue for T-3");

	/* a crash right after the create: the state folder holds the
	 * intent only; the re-run finds the issue by its id */
	aas_linear_uuid("aas-linear-issue", "d4", uuid);
	s = aas_xasprintf("{\"query\":\"mutation($i: IssueCreateInput!) { "
	    "issueCreate(input: $i) { success } }\",\"variables\":{\"i\":"
	    "{\"id\":\"%s\",\"teamId\":\"t-eng\",\"title\":\"T-4: Four\"}}}",
	    uuid);
	{
		const char *h[] = { "Authorization: " KEY,
		    "Content-Type: application/json", NULL };
		struct aas_http_req rq = { 0 };
		struct aas_http_resp rs;

		rq.url = url;
		rq.headers = h;
		rq.body = s;
		rq.body_len = strlen(s);
		aas_http_do(ctl_http, &rq, &rs, &e);
		aas_http_resp_free(&rs);
	}
	free(s);
	{
		json_t *o = json_pack("{s:s, s:s, s:s}", "task", "T-4", "team",
		    "ENG", "uuid", uuid);

		aas_journal_append(st, "linear", o, &e);
		json_decref(o);
	}
	free(calls());
	is_free(deliver(t, outcome("T-4", "Four", "Done", NULL, 0), "d4"),
	    "0 {\"action\":\"adopted\",\"board\":\"no task T-4 on the "
	    "board board.md\",\"issue\":\"ENG-4\",\"state\":\"Shipped\","
	    "\"url\":\"https://linear.app/emu/issue/eng-4\"}",
	    "crash after create: adopted, moved, the board miss noted");
	is_free(calls(), "query:issues mutation:issueUpdate",
	    "crash after create: no second create");
	counts(&ni, &nc);
	is_int(ni, 4, "crash after create: one issue for T-4");

	/* a task that names its issue: Failed comments and stays open */
	is_free(deliver(t, outcome("T-9", "Nine", "Failed", "ENG-2", 1), "d5"),
	    "0 {\"action\":\"commented\",\"issue\":\"ENG-2\",\"state\":"
	    "\"Doing\",\"url\":\"https://linear.app/emu/issue/eng-2\"}",
	    "failed: commented, the state kept");
	is_free(calls(), "query:issue mutation:commentCreate",
	    "failed: no issueUpdate");
	s = last_vars(0);
	ok(strstr(s, "**Failed** at qa (check_failed): make failed") != NULL &&
	    strstr(s, "\"issueId\":\"") != NULL, "failed: the failure in the "
	    "comment body");
	free(s);
	is_free(deliver(t, outcome("T-9", "Nine", "Done", "ENG-2", 0), "d6"),
	    "0 {\"action\":\"commented\",\"issue\":\"ENG-2\",\"state\":"
	    "\"Shipped\",\"url\":\"https://linear.app/emu/issue/eng-2\"}",
	    "done: moved to the completed-type state");
	is_free(calls(), "query:issue mutation:commentCreate "
	    "mutation:issueUpdate", "done: comment, then the move");
	aas_linear_uuid("aas-linear-issue", "d2", uuid);
	s = aas_xasprintf("{\"id\":\"%s\",\"input\":{\"stateId\":"
	    "\"s-done\"}}", uuid);
	is_free(last_vars(0), s, "done: issueUpdate's variables, by the "
	    "issue's id");
	free(s);
	is_free(deliver(t, outcome("T-9", "Nine", "Done",
	    "https://linear.app/emu/issue/ENG-2/two-things", 0), "d6u"),
	    "0 {\"action\":\"commented\",\"issue\":\"ENG-2\",\"state\":"
	    "\"Shipped\",\"url\":\"https://linear.app/emu/issue/eng-2\"}",
	    "the field as the issue's URL: its identifier used");
	is_free(calls(), "query:issue mutation:commentCreate",
	    "the URL: a comment, already completed");
	is_free(deliver(t, outcome("T-9", "Nine", "Canceled", "ENG-2", 0),
	    "d7"), "0 {\"action\":\"commented\",\"issue\":\"ENG-2\",\"state\":"
	    "\"Dropped\",\"url\":\"https://linear.app/emu/issue/eng-2\"}",
	    "canceled: the canceled-type state");
	is_free(calls(), "query:issue mutation:commentCreate "
	    "query:workflowStates mutation:issueUpdate",
	    "canceled: looked up by type");

	/* a lost comment answer: the retry is refused, the id shows it */
	fault("{\"match\":\"commentCreate\",\"action\":\"reset_after\"}");
	is_free(deliver(t, outcome("T-9", "Nine", "Canceled", "ENG-2", 0),
	    "d8"), "0 {\"action\":\"commented\",\"issue\":\"ENG-2\",\"state\":"
	    "\"Dropped\",\"url\":\"https://linear.app/emu/issue/eng-2\"}",
	    "lost comment answer: delivered");
	is_free(calls(), "query:issue mutation:commentCreate!reset_after "
	    "mutation:commentCreate query:comment",
	    "lost comment answer: one comment, found by its id");
	counts(&ni, &nc);
	is_int(nc, 5, "five comments in all, none twice");

	/* rate limits: HTTP 400 RATELIMITED, waited out */
	fault("{\"match\":\"issue\",\"action\":\"ratelimit\",\"reset_ms\":200}");
	is_free(deliver(t, outcome("T-9", "Nine", "Canceled", "ENG-2", 0),
	    "d9"), "0 {\"action\":\"commented\",\"issue\":\"ENG-2\",\"state\":"
	    "\"Dropped\",\"url\":\"https://linear.app/emu/issue/eng-2\"}",
	    "rate limited once: waited and delivered");
	is_free(calls(), "query:issue!ratelimit query:issue "
	    "mutation:commentCreate", "rate limited: the call made again");
	fault("{\"match\":\"issue\",\"action\":\"ratelimit\",\"times\":9,"
	    "\"reset_ms\":100000}");
	is_free(deliver(t, outcome("T-9", "Nine", "Done", "ENG-2", 0), "d10"),
	    "-1 ratelimited: linear: ENG-2: rate limited (RATELIMITED), the limit "
	    "resets in more than 60 s",
	    "rate limited past the longest wait: an error at once");
	free(calls());
	is_free(deliver(t, outcome("T-9", "Nine", "Done", "ENG-2", 0), "d11"),
	    "-1 ratelimited: linear: ENG-2: rate limited: no request left "
	    "until the limit resets in more than 60 s",
	    "no request left (remaining 0): the next one fails at once");
	is_free(calls(), "", "no request left: nothing sent");
	aas_target_linear.close(t);
	ok(open_target(&t, cf, st, NULL, 0, &e) == 0, "open again");
	free(ctl("/_emu/script", SCRIPT));
	log_mark = 0;

	/* errors inside HTTP 200, 5xx retried */
	fault("{\"match\":\"issue\",\"action\":\"error200\",\"message\":"
	    "\"boom\"}");
	is_free(deliver(t, outcome("T-9", "Nine", "Done", "ENG-1", 0), "e1"),
	    "-1 linear: linear: ENG-1: boom", "an error inside HTTP 200");
	is_free(deliver(t, outcome("T-9", "Nine", "Done", "ENG-1", 0), "e2"),
	    "-1 linear: linear: ENG-1: Entity not found: Issue (Could not find "
	    "referenced Issue.)", "an unknown issue: Linear's message");
	fault("{\"match\":\"issues\",\"action\":\"status\",\"status\":502,"
	    "\"times\":2}");
	is_free(deliver(t, outcome("T-5", "Five", "Review", NULL, 0), "e3"),
	    "0 {\"action\":\"created\",\"board\":\"no task T-5 on the "
	    "board board.md\",\"issue\":\"ENG-1\",\"state\":\"Doing\","
	    "\"url\":\"https://linear.app/emu/issue/eng-1\"}",
	    "502 twice: retried, then created");
	aas_target_linear.close(t);

	/* a wrong key: Linear's authentication error, the target gone */
	setenv("LINEAR_API_KEY", "lin_api_wrong_wrong_wrong", 1);
	ok(open_target(&t, cf, st, "ENG", 0, &e) == 0, "open with a wrong key");
	is_free(deliver(t, outcome("T-9", "Nine", "Done", "ENG-1", 0), "e4"),
	    "-1 gone: linear: ENG-1: authentication failed (HTTP 400): "
	    "Authentication required, not authenticated",
	    "a wrong key: gone, Linear's message");
	aas_target_linear.close(t);
	setenv("LINEAR_API_KEY", KEY, 1);

	/* --dry-run sends nothing */
	free(calls());
	ok(open_target(&t, cf, st, NULL, 1, &e) == 0, "open --dry-run");
	is_free(deliver(t, outcome("T-7", "Seven", "Done", NULL, 0), "f1"),
	    "0 {\"dry_run\":true,\"issue\":null}", "dry run: what it would do");
	is_free(calls(), "", "dry run: no request");
	aas_target_linear.close(t);

	/* the key is in nothing written */
	{
		char *lf = aas_xasprintf("%s/emu-log.ndjson", dir);
		char *j = aas_xasprintf("%s/.aas/linear.jsonl", dir);
		char *a = slurp(lf), *b = slurp(j), *c = slurp(board);

		ok(strlen(a) > 0 && strstr(a, KEY) == NULL &&
		    strstr(b, KEY) == NULL && strstr(c, KEY) == NULL,
		    "the key is in no log, journal or board");
		free(a);
		free(b);
		free(c);
		free(lf);
		free(j);
	}

	emu_stop();
	aas_config_free(cf);
	aas_config_free(bare);
	aas_state_close(st);
	aas_http_free(ctl_http);
	free(url);
	free(board);
	{
		struct aas_err e2;

		aas_rmtree(dir, &e2);
	}
	aas_fini();
	return done_testing();
}
