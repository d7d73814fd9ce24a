/* t-report: the run reports from records made here: text that is not
 * UTF-8, pull request links, the caps on kept output (a check, a run),
 * earlier attempts past the kept ones, a task seen twice, prices for an
 * answer without usd, unpriced answers, the summary's limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "record.h"
#include "report.h"
#include "tap.h"
#include "banned.h"

static void
add(struct aas_report *r, json_t *o)
{
	struct aas_rec rec;

	aas_rec_from_json(&rec, o);
	aas_report_add(r, &rec);
	aas_rec_free(&rec);
	json_decref(o);
}

static struct aas_report *
fresh(void)
{
	struct aas_report *r;
	struct aas_err e;

	if (aas_report_new(&r, NULL, "b.md", &e) == -1)
		abort();
	return r;
}

static char *
junit(struct aas_report *r)
{
	struct aas_buf b = AAS_BUF_INIT;

	aas_report_junit(r, &b);
	return aas_buf_detach(&b, NULL);
}

static char *
md(struct aas_report *r, size_t limit)
{
	struct aas_buf b = AAS_BUF_INIT;

	aas_report_markdown(r, &b, limit);
	return aas_buf_detach(&b, NULL);
}

static char *
html(struct aas_report *r)
{
	struct aas_buf b = AAS_BUF_INIT;

	aas_report_html(r, &b);
	return aas_buf_detach(&b, NULL);
}

static json_t *
failed_check(const char *id, const char *tail)
{
	return json_pack("{s:s, s:{s:b, s:[{s:s, s:b, s:i, s:i, s:s}]}}",
	    "id", id, "qa", "ok", 0, "checks", "name", "tests", "ok", 0,
	    "exit", 1, "ms", 10, "tail", tail);
}

int
main(void)
{
	struct aas_report *r;
	json_t *o, *h;
	char *s, *big, id[32];
	const char *p;
	size_t i;

	plan(22);

	/* text that is not UTF-8 (jansson keeps what it is given unchecked) */
	r = fresh();
	o = json_pack("{s:s}", "id", "U-1");
	json_object_set_new(o, "title", json_stringn_nocheck("a\xff\xc3("
	    "\x01z\xed\xa0\x80.", 10));
	add(r, o);
	s = junit(r);
	ok(strstr(s, "name=\"U-1: a\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd"
	    "z\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.\"") != NULL,
	    "bad bytes, a surrogate and a control character become U+FFFD");
	ok(strchr(s, '\xff') == NULL && strchr(s, '\x01') == NULL,
	    "none of them is left in the XML");
	free(s);
	aas_report_free(r);

	/* the pull request a forge target opened */
	r = fresh();
	add(r, json_pack("{s:s, s:{s:s}, s:{s:[{s:s, s:b, s:s}]}}", "id", "P-1",
	    "apply", "branch", "aas/P-1", "notify", "targets", "kind", "github",
	    "ok", 1, "detail", "https://github.com/o/r/pull/12"));
	add(r, json_pack("{s:s, s:{s:[{s:s, s:b, s:s}]}}", "id", "P-2",
	    "notify", "targets", "kind", "gitlab", "ok", 1, "detail",
	    "https://gitlab.example/g/p/-/merge_requests/3"));
	add(r, json_pack("{s:s, s:{s:[{s:s, s:b, s:s}]}}", "id", "P-3",
	    "notify", "targets", "kind", "github", "ok", 0, "detail",
	    "http 500"));
	s = md(r, AAS_REPORT_SUMMARY_MAX);
	ok(strstr(s, "| [#12](https://github.com/o/r/pull/12) |\n") != NULL,
	    "a GitHub pull request: its link in the table, not the branch");
	ok(strstr(s, "| [!3](https://gitlab.example/g/p/-/merge_requests/3) "
	    "|\n") != NULL, "a GitLab merge request as !N");
	ok(strstr(s, "| **P-3** | \xe2\x8f\xb3 Queued | 1 | \xe2\x80\x94 | "
	    "\xe2\x80\x94 | \xe2\x80\x94 | \xe2\x80\x94 |\n") != NULL,
	    "a failed delivery is no link");
	free(s);
	s = html(r);
	ok(strstr(s, "<a href=\"https://github.com/o/r/pull/12\">#12</a>") !=
	    NULL, "the page links the pull request");
	free(s);
	aas_report_free(r);

	/* a failed check's output: its last 4 KiB, from a line */
	r = fresh();
	big = aas_xmalloc(100001);
	for (i = 0; i < 100000; i++)
		big[i] = i % 100 == 99 ? '\n' : 'a' + (char)(i / 100 % 26);
	big[100000] = '\0';
	add(r, failed_check("C-1", big));
	s = junit(r);
	p = strstr(s, "== tests (exit 1), the end of its output ==\n");
	ok(p != NULL, "the cut is said");
	p = p != NULL ? p + strlen("== tests (exit 1), the end of its "
	    "output ==\n") : "";
	ok(strlen(p) - strlen("</failure>\n    </testcase>\n  </testsuite>\n"
	    "</testsuites>\n") <= 4096 && p[99] == '\n' && strstr(p, big + 100000 - 100) != NULL,
	    "the end kept, at most 4 KiB, starting at a line");
	free(s);
	aas_report_free(r);

	/* past 8 MiB of output in a run, tasks keep none and say so */
	r = fresh();
	big[4000] = '\0';
	for (i = 0; i < 2100; i++) {
		snprintf(id, sizeof(id), "O-%zu", i);
		add(r, failed_check(id, big));
	}
	s = junit(r);
	ok(strstr(s, "(output not kept: a report keeps at most 8 MiB of check "
	    "output)") != NULL, "past the run's budget: output not kept, said");
	p = strstr(s, "name=\"O-2000\"");
	ok(p != NULL && strstr(p, "not kept") != NULL &&
	    strstr(strstr(s, "name=\"O-0\""), "not kept") > p,
	    "the first tasks keep theirs");
	free(s);
	aas_report_free(r);
	free(big);

	/* many attempts: the costs of those not kept still count */
	r = fresh();
	h = json_array();
	for (i = 0; i < 25; i++)
		json_array_append_new(h, json_pack("{s:i, s:s, s:s, s:s, s:f}",
		    "attempt", (int)i + 1, "stage", "qa", "code", "qa_failed",
		    "model", "m", "usd", 0.001));
	o = json_pack("{s:s, s:i, s:o, s:{s:s}, s:{s:{s:i, s:i}, s:f}}",
	    "id", "A-1", "attempt", 26, "history", h, "request", "model", "m",
	    "response", "usage", "input", 10, "output", 5, "usd", 0.0005);
	add(r, o);
	s = md(r, AAS_REPORT_SUMMARY_MAX);
	ok(strstr(s, "| **A-1** | \xe2\x8f\xb3 In Progress | 26 | m | "
	    "10 + 5 | $0.0255 |") != NULL,
	    "26 attempts, every one's cost in the task's");
	ok(strstr(s, "| m | 26 | 10 + 5 | $0.0255 |\n") != NULL,
	    "and in the model's");
	free(s);
	s = html(r);
	ok(strstr(s, "<li value=\"6\">qa: qa_failed <span class=\"muted\">"
	    "m \xc2\xb7 $0.001</span>") != NULL,
	    "an attempt listed shows its own cost");
	ok(strstr(s, "<li class=\"muted\">5 earlier attempts not shown</li>"
	    "<li value=\"6\">") != NULL && strstr(s, "<li value=\"5\">") ==
	    NULL, "the latest 20 earlier attempts are listed, the rest counted");
	free(s);
	aas_report_free(r);

	/* a task seen again is replaced where it stood */
	r = fresh();
	add(r, json_pack("{s:s}", "id", "R-1"));
	add(r, json_pack("{s:s}", "id", "R-2"));
	add(r, json_pack("{s:s, s:{s:b}}", "id", "R-1", "qa", "ok", 1));
	s = md(r, AAS_REPORT_SUMMARY_MAX);
	p = strstr(s, "| **R-1** | \xe2\x9c\x85 Done");
	ok(p != NULL && strstr(s, "| **R-2**") > p &&
	    strstr(s, "## aas run: 1 done, 0 failed, 1 left\n") != NULL,
	    "the last record of a task wins, in its first place");
	free(s);
	aas_report_free(r);

	/* usd null: priced from usage (batch: half); no price: unpriced */
	r = fresh();
	add(r, json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:{s:i, s:i}, s:n}}",
	    "id", "Q-1", "request", "model", "gpt-4.1-nano", "batch", "id",
	    "b", "response", "usage", "input", 10000, "output", 2000, "usd"));
	add(r, json_pack("{s:s, s:{s:s}, s:{s:{s:i, s:i}, s:n}}", "id", "Q-2",
	    "request", "model", "no-such-model", "response", "usage", "input",
	    1, "output", 1, "usd"));
	s = md(r, AAS_REPORT_SUMMARY_MAX);
	ok(strstr(s, "| 10,000 + 2,000 | $0.0009 |") != NULL,
	    "an answer without usd at the model's batch price");
	ok(strstr(s, "**$0.0009** spent (1 answer unpriced)") != NULL &&
	    strstr(s, "| $0.00 (1 unpriced) |") != NULL,
	    "an answer with no price is unpriced, not free");
	free(s);
	aas_report_free(r);

	/* the candidates aas-qa --pick chose from */
	r = fresh();
	add(r, json_pack("{s:s, s:{s:b}, s:[{s:i, s:b, s:s, s:s, s:[s]}, "
	    "{s:i, s:b, s:s, s:s, s:[]}]}", "id", "K-1", "qa", "ok", 0,
	    "candidates", "k", 1, "ok", 0, "stage", "qa", "code", "qa_failed",
	    "checks", "tests", "k", 2, "ok", 0, "stage", "apply", "code",
	    "no_match", "checks"));
	s = md(r, AAS_REPORT_SUMMARY_MAX);
	ok(strstr(s, "Candidates: 1 qa: qa\\_failed (tests), 2 apply: "
	    "no\\_match.\n") != NULL, "the summary lists a failure's candidates");
	free(s);
	s = html(r);
	ok(strstr(s, "<h4>Candidates (2)</h4>\n<ul class=\"files\"><li><span "
	    "class=\"op\">failed</span>candidate 1: qa: qa_failed <span "
	    "class=\"muted\">(checks: tests)</span></li>") != NULL,
	    "the page lists them");
	free(s);
	s = junit(r);
	ok(strstr(s, "<property name=\"candidates\" value=\"2\"/>\n        "
	    "<property name=\"candidates_passed\" value=\"0\"/>") != NULL,
	    "JUnit counts them");
	free(s);
	aas_report_free(r);

	/* the summary's limit */
	r = fresh();
	for (i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "L-%zu", i);
		add(r, failed_check(id, "boom\n"));
	}
	s = md(r, 4000);
	ok(strlen(s) <= 4000, "the summary stays within its limit");
	ok(strstr(s, "> **Cut to stay under 1 MiB** (GitHub's job summary "
	    "limit): ") != NULL && strstr(s, "of 60 task rows and 60 of 60 "
	    "failures are not shown.\n") != NULL,
	    "the note says what was left out");
	free(s);
	aas_report_free(r);
	return done_testing();
}
