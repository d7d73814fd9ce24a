/*
 * t-results: the response key, the error of a failed result, why a task
 * has no result, and a results file matched against task indexes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "price.h"
#include "provider.h"
#include "results.h"
#include "jscan.h"
#include "record.h"
#include "tasks.h"
#include "tap.h"

static char dir[] = "/tmp/t-results.XXXXXX";

static json_t *
load(const char *s)
{
	return json_loads(s, 0, NULL);
}

static void
is_json(json_t *j, const char *want, const char *name)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_REAL_PRECISION(10));

	is_str(s, want, name);
	free(s);
}

struct seen {
	char	 got[512];
	int	 n;
	int	 stop_at;
};

static int
seen_cb(void *arg, size_t j, size_t slot, struct aas_result_line *l)
{
	json_t *res = aas_result_line_res(l);

	struct seen *s = arg;
	size_t len = strlen(s->got);

	(void)slot;
	snprintf(s->got + len, sizeof(s->got) - len, "%s%zu:%s", len ? " " :
	    "", j, json_string_value(json_object_get(res, "custom_id")));
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

#define BODY(x)	"{\"custom_id\":\"T-1\",\"response\":{\"status_code\":200," \
	"\"request_id\":\"req_1\",\"body\":{\"object\":\"chat.completion\"," \
	"\"model\":\"gpt-x\"," x "}},\"error\":null}"
#define CHOICE(m, f)	"\"choices\":[{\"index\":0,\"message\":{\"role\":" \
	"\"assistant\"," m "},\"finish_reason\":" f "}]"
#define USAGE	"\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5," \
	"\"prompt_tokens_details\":{\"cached_tokens\":4}}"
#define PLAIN(m)	BODY(CHOICE(m, "\"stop\"") "," USAGE)

/*
 * Lines read as plain answers (no tree) make what the tree makes of
 * them: the same result, the same response key text, the same cost;
 * lines of any other shape are left to the tree.
 */
static void
plain_lines(struct aas_provider *p)
{
	static const struct {
		const char *line;
		int plain;
	} t[] = {
		{ PLAIN("\"content\":\"hi\""), 1 },
		{ PLAIN("\"content\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d"
		    "\\ude00 \xc3\xa9\x7f\\u001f\""), 1 },
		{ PLAIN("\"content\":\"\",\"refusal\":null"), 1 },
		{ BODY(CHOICE("\"content\":\"x\"", "null") "," USAGE), 1 },
		{ BODY(CHOICE("\"content\":\"x\"", "\"length\"") ","
		    "\"usage\":{}"), 1 },
		{ "{\"custom_id\":\"T-2\",\"response\":{\"status_code\":201,"
		    "\"body\":{\"object\":\"chat.completion\",\"choices\":"
		    "[{\"message\":{\"content\":\"y\"}}],\"usage\":"
		    "{\"completion_tokens\":-3}}}}", 1 },
		{ "{\"custom_id\":\"T-3\",\"response\":{\"status_code\":200,"
		    "\"request_id\":\"\",\"body\":{\"object\":\"chat.completion\","
		    "\"choices\":[{\"message\":{\"content\":\"z\"}}],\"usage\":"
		    "{\"prompt_tokens\":1,\"prompt_tokens\":7}}},\"custom_id\":"
		    "\"T-4\"}\r", 1 },
		{ PLAIN("\"content\":\"no\",\"refusal\":\"I won't\""), 0 },
		{ PLAIN("\"content\":null"), 0 },
		{ PLAIN("\"content\":[{\"type\":\"text\",\"text\":\"p\"}]"), 0 },
		{ BODY(CHOICE("\"content\":\"x\"", "\"stop\"") ","
		    "\"usage\":{\"input_tokens\":3}"), 0 },
		{ BODY(CHOICE("\"content\":\"x\"", "\"stop\"") ","
		    "\"usage\":{\"prompt_tokens\":3.0}"), 0 },
		{ BODY(CHOICE("\"content\":\"x\"", "\"st\\u006fp\"") "," USAGE),
		    0 },
		{ BODY(CHOICE("\"content\":\"x\"", "7") "," USAGE), 0 },
		{ BODY("\"choices\":[{\"message\":{\"content\":\"a\"}},"
		    "{\"message\":{\"content\":\"b\"}}]," USAGE), 0 },
		{ BODY(CHOICE("\"content\":\"x\"", "\"stop\"")), 0 },
		{ "{\"custom_id\":\"T-1\",\"response\":{\"status_code\":400,"
		    "\"body\":{\"error\":{\"message\":\"bad\"}}},\"error\":null}",
		    0 },
		{ "{\"custom_id\":\"T-1\",\"response\":null,\"error\":{\"code\":"
		    "\"batch_expired\",\"message\":\"late\"}}", 0 },
		{ "{\"custom_id\":\"T\\u002d1\",\"response\":{\"status_code\":"
		    "200,\"body\":{\"object\":\"chat.completion\",\"choices\":"
		    "[{\"message\":{\"content\":\"x\"}}]," USAGE "}}}", 0 },
		{ "{\"custom_id\":\"T-1\",\"response\":{\"status_code\":200,"
		    "\"body\":{\"object\":\"response\",\"output\":[]}}}", 0 },
		{ "{\"custom_id\":\"T-1\",\"result\":{\"type\":\"succeeded\"}}",
		    0 },
		{ PLAIN("\"content\":\"the key is sk-t-results-secret\""), 0 },
	};
	/* a price whose costs have more digits than 15 show */
	struct aas_price price = { 1.1, 4.4, 0.3 };
	struct aas_buf v = AAS_BUF_INIT, k = AAS_BUF_INIT;
	struct aas_result_line l;
	struct aas_err e;
	json_t *tree, *key;
	size_t i, n, keylen;
	char *want, name[64];
	double usd;
	int got, same;

	aas_secret_add("sk-t-results-secret");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].line);
		while (n > 0 && t[i].line[n - 1] == '\r')
			n--;
		if (aas_jscan_check(t[i].line, n, NULL) != 0) {
			snprintf(name, sizeof(name), "line %zu checks", i + 1);
			ok(0, name);
			continue;
		}
		got = aas_result_line_plain(p, t[i].line, n, i % 2 ? &price :
		    NULL, 0.5, &v, &k, &l);
		snprintf(name, sizeof(name), "line %zu is %splain", i + 1,
		    t[i].plain ? "" : "not ");
		if (!t[i].plain || got != 1) {
			is_int(got, t[i].plain, name);
			aas_result_line_free(&l);
			continue;
		}
		memset(&e, 0, sizeof(e));
		same = aas_provider_parse_result_tree(p, t[i].line, n, &tree,
		    &e) == 0 && json_equal(tree, aas_result_line_res(&l));
		key = aas_response_key(tree, i % 2 ? &price : NULL, 0.5, &usd);
		want = aas_json_text(key, 15, &keylen);
		same = same && keylen == l.keylen && memcmp(want, l.key,
		    keylen) == 0 && usd == l.usd &&
		    strcmp(l.cid, json_string_value(json_object_get(tree,
		    "custom_id"))) == 0;
		if (!ok(same, name))
			printf("#   key  %.*s\n#   want %s\n", (int)l.keylen,
			    l.key, want);
		free(want);
		json_decref(key);
		json_decref(tree);
		aas_result_line_free(&l);
	}
	aas_buf_free(&v);
	aas_buf_free(&k);
}

/* aas_results_whole on a file of n lines (over 1 MiB: two halves) and
 * blank ones (CRLF too), with line bad (from 1; 0 for none) replaced by
 * what; nl 0 leaves the last newline out. */
static int
whole(long n, long bad, const char *what, int nl, int *secret)
{
	char path[256];
	FILE *f;
	long i;

	snprintf(path, sizeof(path), "%s/whole.jsonl", dir);
	f = fopen(path, "w");
	for (i = 1; i <= n; i++) {
		if (i == bad)
			fputs(what, f);
		else
			fprintf(f, "{\"custom_id\":\"T-%ld\",\"response\":"
			    "{\"status_code\":200,\"body\":{\"pad\":\"%0200d\"}}}",
			    i, 0);
		if (i < n || nl)
			fputc('\n', f);
		if (i % 1000 == 0 && i < n)
			fputs("\r\n\n", f);
	}
	fclose(f);
	return aas_results_whole(path, secret);
}

static void
whole_files(void)
{
	int sec;

	ok(whole(20000, 0, "", 1, &sec) == 1 && sec == 0,
	    "a whole file of 20,000 lines (two halves)");
	ok(whole(20000, 15000, "{\"custom_id\":", 1, &sec) == 0,
	    "a cut line in the second half");
	ok(whole(20000, 2, "[1]", 1, &sec) == 0,
	    "an array in the first half");
	ok(whole(20000, 0, "", 0, &sec) == 0, "no newline at the end");
	ok(whole(20000, 19999, "{\"x\":\"sk-t-results-secret\"}", 1, &sec) ==
	    1 && sec == 1, "a secret in the second half is seen");
	ok(whole(20000, 3, "{\"x\":\"sk-t-results-secret\"}", 1, &sec) ==
	    1 && sec == 1, "and in the first");
	ok(whole(30, 0, "", 1, &sec) == 1 && sec == 0 &&
	    whole(30, 30, "{", 1, &sec) == 0, "a small file, in one");
}

int
main(void)
{
	struct aas_provider_opts o = { 0 };
	struct aas_provider *p;
	struct aas_tasks *idx[2];
	struct aas_price price = { 2.0, 8.0, 0.5 };
	struct aas_err e;
	struct seen sn;
	json_t *res, *key, *b;
	const char *code, *msg;
	char buf[32], path[256], t1[256], t2[256], why[128];
	double usd;
	FILE *f;

	aas_setprogname("t-results");
	plan(53);
	if (mkdtemp(dir) == NULL)
		return 1;

	res = load("{\"custom_id\":\"A\",\"ok\":true,\"status_code\":200,"
	    "\"text\":\"hi\",\"finish_reason\":\"stop\",\"usage\":{\"input\":"
	    "1000000,\"output\":1000000,\"cached\":500000},\"request_id\":"
	    "\"req-1\",\"model\":\"m\"}");
	key = aas_response_key(res, &price, 0.5, &usd);
	is_json(key, "{\"finish_reason\":\"stop\",\"request_id\":\"req-1\","
	    "\"status\":200,\"text\":\"hi\",\"usage\":{\"cached\":500000,"
	    "\"input\":1000000,\"output\":1000000},\"usd\":4.625}",
	    "response key: usage and cost");
	ok(usd == 4.625, "response key: *usdp is the cost");
	json_decref(key);
	key = aas_response_key(res, NULL, 1, &usd);
	ok(json_is_null(json_object_get(key, "usd")), "no price: usd null");
	ok(usd == 0, "no price: *usdp 0");
	json_decref(key);
	json_decref(res);

	res = load("{\"ok\":false,\"status_code\":0,\"error\":{\"code\":"
	    "\"batch_expired\",\"message\":\"late\"}}");
	aas_result_error(res, 1, buf, &code, &msg);
	is_str(code, "expired", "batch words: batch_expired is expired");
	is_str(msg, "late", "the message kept");
	aas_result_error(res, 0, buf, &code, &msg);
	is_str(code, "batch_expired", "without batch words: kept");
	json_decref(res);
	res = load("{\"ok\":false,\"status_code\":0,\"error\":{\"code\":"
	    "\"batch_cancelled\"}}");
	aas_result_error(res, 1, buf, &code, &msg);
	is_str(code, "cancelled", "batch_cancelled is cancelled");
	is_str(msg, "request failed", "no message: request failed");
	json_decref(res);
	res = load("{\"ok\":false,\"status_code\":503}");
	aas_result_error(res, 1, buf, &code, &msg);
	is_str(code, "http_503", "no code: http_<status>");
	json_decref(res);

	b = load("{\"id\":\"b1\",\"status\":\"failed\",\"errors\":"
	    "[{\"message\":\"too big\"}]}");
	aas_results_missing(b, &code, why, sizeof(why));
	ok(strcmp(code, "batch_failed") == 0 &&
	    strcmp(why, "batch failed: too big") == 0,
	    "missing: a failed batch gives its first error");
	json_decref(b);
	b = load("{\"id\":\"b2\",\"status\":\"completed\"}");
	aas_results_missing(b, &code, why, sizeof(why));
	ok(strcmp(code, "missing_result") == 0 &&
	    strcmp(why, "no result for this task in batch b2") == 0,
	    "missing: a completed batch without the line");
	json_decref(b);

	/* matching: two indexes, an unknown id, a repeat, a bad line */
	snprintf(t1, sizeof(t1), "%s/1.tasks", dir);
	snprintf(t2, sizeof(t2), "%s/2.tasks", dir);
	write_file(t1, "A-1\t{\"id\":\"A\"}\nA-2\t{\"id\":\"A2\"}\n");
	write_file(t2, "B-1\t{\"id\":\"B\"}\n");
	ok(aas_tasks_open_path(&idx[0], t1, &e) == 0 &&
	    aas_tasks_open_path(&idx[1], t2, &e) == 0, "two task indexes");
	o.key = "sk-t-results-0000";
	ok(aas_provider_open(&p, &o, &e) == 0, "provider (no network)");
	snprintf(path, sizeof(path), "%s/out.jsonl", dir);
	write_file(path,
	    "{\"custom_id\":\"B-1\",\"response\":null,\"error\":"
	    "{\"code\":\"batch_expired\",\"message\":\"x\"}}\n"
	    "\n"
	    "not json\n"
	    "{\"custom_id\":\"Z-9\",\"response\":null,\"error\":\"gone\"}\n"
	    "{\"custom_id\":\"A-2\",\"response\":null,\"error\":\"e\"}\n"
	    "{\"custom_id\":\"B-1\",\"response\":null,\"error\":\"again\"}\n"
	    "{\"custom_id\":\"A-1\",\"result\":{\"type\":\"expired\"}}\n");
	memset(&sn, 0, sizeof(sn));
	aas_quiet = 1;
	f = fopen(path, "r");
	is_int(aas_results_match(p, f, path, idx, 2, NULL, seen_cb, &sn), 0,
	    "match: to the end");
	fclose(f);
	is_str(sn.got, "1:B-1 0:A-2 0:A-1", "match: each task once, in "
	    "file order, foreign (Anthropic) lines read too");
	ok(aas_tasks_marked(idx[0], (size_t)aas_tasks_find(idx[0], "A-1")) &&
	    aas_tasks_marked(idx[1], 0), "matched tasks are marked");
	aas_tasks_close(idx[0]);
	aas_tasks_open_path(&idx[0], t1, &e);
	memset(&sn, 0, sizeof(sn));
	sn.stop_at = 1;
	f = fopen(path, "r");
	is_int(aas_results_match(p, f, path, idx, 1, NULL, seen_cb, &sn), 7,
	    "match: the callback's nonzero ends the read");
	fclose(f);
	is_str(sn.got, "0:A-2", "match: nothing after the stop");

	/* candidates: one request's choices, one result each */
	{
		struct aas_price pr = { 1.0, 2.0, 1.0 };
		json_t *cr, *ch, *ck;
		double cu;

		cr = load("{\"ok\":true,\"status_code\":200,\"text\":\"a\","
		    "\"finish_reason\":\"stop\",\"usage\":{\"input\":100,"
		    "\"output\":30,\"cached\":0},\"choices\":[{\"ok\":true,"
		    "\"text\":\"a\",\"finish_reason\":\"stop\"},{\"ok\":"
		    "false,\"text\":\"\",\"finish_reason\":\"refusal\","
		    "\"error\":{\"code\":\"refusal\",\"message\":\"no\"}}]}");
		ch = aas_result_choice(cr, 2);
		is_json(ch, "{\"error\":{\"code\":\"refusal\",\"message\":"
		    "\"no\"},\"finish_reason\":\"refusal\",\"ok\":false,"
		    "\"status_code\":200,\"text\":\"\",\"usage\":{\"cached\":0,"
		    "\"input\":100,\"output\":30}}", "choice 2: its own text "
		    "and error, the request's usage");
		json_decref(ch);
		ok(aas_result_choice(cr, 3) == NULL, "no choice 3");
		ch = aas_result_choice(cr, 1);
		ck = aas_response_key_n(ch, &pr, 1, 2, &cu);
		ok(json_number_value(json_object_get(ck, "usd")) > 7.9999e-05 &&
		    json_number_value(json_object_get(ck, "usd")) < 8.0001e-05,
		    "a candidate's usd: half the request's");
		ok(cu > 0.00015999 && cu < 0.00016001, "*usdp: the whole "
		    "request's cost");
		json_decref(ck);
		json_decref(ch);
		json_decref(cr);
		cr = load("{\"ok\":true,\"text\":\"x\"}");
		ch = aas_result_choice(cr, 1);
		ok(ch == cr && aas_result_choice(cr, 2) == NULL,
		    "no choices: the result is candidate 1 only");
		json_decref(ch);
		json_decref(cr);
	}

	aas_tasks_close(idx[0]);
	aas_tasks_close(idx[1]);
	plain_lines(p);
	whole_files();
	aas_provider_close(p);
	aas_rmtree(dir, &e);
	return done_testing();
}
