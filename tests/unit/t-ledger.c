/* t-ledger: custom ids, prices, runs, task state, task index */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "ids.h"
#include "ledger.h"
#include "price.h"
#include "record.h"
#include "state.h"
#include "tasks.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/t-ledger.XXXXXX", cid[65], buf[32];
	char longid[100];
	struct aas_state *st;
	struct aas_ledger *l;
	struct aas_run_writer *w;
	struct aas_tasks *t;
	struct aas_price p;
	struct aas_err e;
	struct aas_rec rec;
	const char *text, *c;
	size_t len;
	ssize_t ri, slot;
	json_t *key;
	char *s;

	plan(48);
	if (mkdtemp(dir) == NULL)
		return 1;

	aas_ledger_custom_id("AAS-211", "0123456789abcdef", cid);
	is_str(cid, "AAS-211-0123456789ab", "custom_id: id-sha12");
	aas_ledger_custom_id("AAS-211", NULL, cid);
	is_str(cid, "AAS-211", "custom_id: no sha");
	aas_ledger_custom_id("a b/c", "0123456789abcdef", cid);
	is_str(cid, "a_b_c_539138d5-0123456789ab", "custom_id: sanitised, "
	    "hash added");
	aas_ledger_custom_id("a_b_c", "0123456789abcdef", cid);
	is_str(cid, "a_b_c-0123456789ab", "the sanitised form stays unique");
	memset(longid, 'X', 99);
	longid[99] = '\0';
	aas_ledger_custom_id(longid, "0123456789abcdef", cid);
	is_int(strlen(cid), 64, "custom_id: capped at 64");
	ok(strncmp(cid + 52, "0123456789ab", 12) == 0 &&
	    cid[42] == '_', "capped: hash and sha kept");

	ok(aas_price_lookup(NULL, "gpt-4.1-mini", &p, &e) == 0,
	    "built-in price");
	snprintf(buf, sizeof(buf), "%.4f", aas_price_usd(&p, 1000000, 1000000,
	    0, 0.5));
	is_str(buf, "1.0000", "usd: (0.40 + 1.60) / 2");
	snprintf(buf, sizeof(buf), "%.4f", aas_price_usd(&p, 1000000, 0,
	    1000000, 1));
	is_str(buf, "0.1000", "cached tokens at the cached price");
	is_int(aas_price_lookup(NULL, "my-model", &p, &e), 1, "unknown model");
	snprintf(buf, sizeof(buf), "%.8f", aas_usd_round(0.123456789));
	is_str(buf, "0.12345679", "round to 1e-8");
	is_str(aas_usd_format(0.0058, buf, sizeof(buf)), "0.0058",
	    "money: 0.0058 is not rounded to 0.01");
	is_str(aas_usd_format(0.001, buf, sizeof(buf)), "0.001",
	    "money: 0.001 is not 0.00");
	is_str(aas_usd_format(25, buf, sizeof(buf)), "25.00",
	    "money: two decimals");
	is_str(aas_usd_format(0.5, buf, sizeof(buf)), "0.50",
	    "money: two decimals under 1");
	is_str(aas_usd_format(0.123456, buf, sizeof(buf)), "0.1235",
	    "money: four significant digits");
	is_str(aas_usd_format(0.000000001, buf, sizeof(buf)), "0.000000001",
	    "money: never an exponent");
	is_str(aas_usd_format(0, buf, sizeof(buf)), "0.00", "money: zero");

	ok(aas_state_open(&st, dir, 1, &e) == 0, "state");
	ok(aas_ledger_open(&l, st, &e) == 0, "open empty");
	is_int(aas_ledger_count(l), 0, "no runs");
	ok(aas_ledger_run_begin(l, &w, "openai", "gpt-4.1-mini",
	    "/v1/chat/completions", "implement", NULL, &e) == 0, "begin");
	ok(aas_ledger_run_add(w, "A-1-x", "{\"id\":\"A-1\"}", 12,
	    "{\"custom_id\":\"A-1-x\"}", 21, 0.25, &e) == 0, "add 1");
	ok(aas_ledger_run_add(w, "A-2-x", "{\"id\":\"A-2\"}", 12,
	    "{\"custom_id\":\"A-2-x\"}", 21, 0.25, &e) == 0, "add 2");
	is_int(aas_ledger_run_count(w), 2, "count");
	is_int(aas_ledger_run_bytes(w), 44, "bytes");
	ri = aas_ledger_run_commit(l, w, &e);
	is_int(ri, 0, "commit: run 0");
	is_int(aas_ledger_run(l, 0)->state, AAS_RUN_INTENT, "an intent");
	is_int(aas_ledger_inflight(l, "A-2-x"), 0, "intent tasks in flight");
	snprintf(buf, sizeof(buf), "%.2f", aas_ledger_spent(l));
	is_str(buf, "0.50", "estimate counts as spent");
	is_int(aas_ledger_task_state(st, "A-1", "x"), AAS_TASK_IN_FLIGHT,
	    "task_state: in flight");
	is_int(aas_ledger_task_state(st, "B-1", "x"), AAS_TASK_NONE,
	    "task_state: none");

	ok(aas_tasks_open(&t, l, 0, &e) == 0, "task index");
	is_int(aas_tasks_count(t), 2, "two tasks");
	slot = aas_tasks_find(t, "A-2-x");
	text = aas_tasks_record(t, (size_t)slot, &len, &c, &e);
	is_str(text, "{\"id\":\"A-2\"}", "record by custom_id");
	is_int(aas_tasks_find(t, "A-3-x"), -1, "unknown custom_id");
	aas_tasks_close(t);

	ok(aas_ledger_mark_fetched(l, "A-1-x", aas_ledger_run(l, 0)->run, 1,
	    &e) == 0, "mark fetched");
	ok(aas_ledger_run_done(l, 0, 0.01, &e) == 0, "done");
	aas_ledger_sync(l, &e);
	{
		char *path = aas_xasprintf("%s/fetched.jsonl",
		    aas_state_dir(st)), *all, want[256];
		size_t n;

		if (aas_read_file(path, &all, &n, &e) == -1)
			all = NULL;
		snprintf(want, sizeof(want), "{\"c\":\"A-1-x\",\"r\":\"%s\","
		    "\"ok\":1,\"f\":\"", aas_ledger_run(l, 0)->run);
		ok(all != NULL && strncmp(all, want, strlen(want)) == 0 &&
		    n > strlen(want) + 3 && strcmp(all + n - 3, "\"}\n") == 0 &&
		    strchr(all, '\n') == all + n - 1,
		    "the fetched line: custom_id, run, ok, this session");
		free(all);
		free(path);
	}
	aas_ledger_close(l);
	ok(aas_ledger_open(&l, st, &e) == 0, "reopen");
	snprintf(buf, sizeof(buf), "%.2f", aas_ledger_spent(l));
	is_str(buf, "0.01", "the actual replaced the estimate");
	is_int(aas_ledger_task_state(st, "A-1", "x"), AAS_TASK_DONE,
	    "task_state: done");

	aas_rec_parse(&rec, "{\"a\":0.1}", 9, NULL);
	key = json_pack("{s:f}", "usd", 0.000123);
	aas_rec_set(&rec, "response", key);
	is_str(rec.line, "{\"a\":0.1,\"response\":{\"usd\":0.000123}}",
	    "money keys printed short");
	json_decref(key);
	aas_rec_free(&rec);
	key = aas_ledger_batch_key(aas_ledger_run(l, 0));
	s = json_dumps(key, JSON_COMPACT);
	is_str(s, "{\"provider\":\"openai\"}", "batch key of an unsent run");
	free(s);
	json_decref(key);

	aas_ledger_close(l);
	aas_state_close(st);
	aas_rmtree(dir, NULL);
	/* candidate ids */
	aas_ledger_candidate_id("T-1-000000000000", 1, cid);
	is_str(cid, "T-1-000000000000", "candidate 1: the task's own id");
	aas_ledger_candidate_id("T-1-000000000000", 12, cid);
	is_str(cid, "T-1-000000000000-c12", "candidate 12: -c12 added");
	memset(longid, 'A', 64);
	longid[64] = '\0';
	aas_ledger_candidate_id(longid, 3, cid);
	is_int(strlen(cid), 64, "a long id is cut to 64 characters");
	ok(strncmp(cid, longid, 52) == 0 && cid[52] == '-' &&
	    strcmp(cid + 61, "-c3") == 0, "... keeping its start, a hash and "
	    "the suffix");
	return done_testing();
}
