/* t-notify: signatures (the Standard Webhooks and GitHub vectors, RFC 4231),
 * base64, URLs as shown, outcomes, and the driver's journal with a fake
 * target: once per delivery across runs, a changed outcome sent again, a
 * failed delivery sent by the next run, gone, per-run finish. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aas.h"
#include "notify.h"
#include "state.h"
#include "tap.h"
#include "banned.h"

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* a fake target: counts deliveries, fails on demand */
struct aas_target {
	int	 fail;		/* 1: -1 "http_500"; 2: -1 "gone" */
	int	 per_run;
	int	 sent, finished;
	size_t	 last_n;
	char	 last_id[64];
};
static struct aas_target fake;
static json_t *fake_seen;

static int
f_open(struct aas_target **tp, const struct aas_target_env *env,
    char hash[13], struct aas_err *e)
{
	(void)e;
	*tp = &fake;
	aas_notify_hash("fake", env->arg, hash);
	return 0;
}

static int
f_deliver(struct aas_target *t, json_t *o, const char *id, json_t **dp,
    struct aas_err *e)
{
	(void)o;
	snprintf(t->last_id, sizeof(t->last_id), "%s", id);
	if (t->fail == 1)
		return aas_err_set(e, "http_500", "http 500 at "
		    "https://x.invalid/SECRETPATH");
	if (t->fail == 2)
		return aas_err_set(e, "gone", "http 410");
	t->sent++;
	*dp = json_string("sent");
	return 0;
}

static int
f_finish(struct aas_target *t, json_t *os, const char *id, json_t **dp,
    struct aas_err *e)
{
	(void)e;
	snprintf(t->last_id, sizeof(t->last_id), "%s", id);
	t->finished++;
	t->last_n = json_array_size(os);
	json_decref(fake_seen);
	fake_seen = json_deep_copy(os);
	*dp = json_string("one message");
	return 0;
}

static int
f_per_run(const struct aas_target *t)
{
	return t->per_run;
}

static const struct aas_target_ops fake_ops = {
	.name = "fake", .open = f_open, .deliver = f_deliver,
	.finish = f_finish, .per_run = f_per_run,
};

/* a target whose detail is a link, as a pull request's is */
static int
l_deliver(struct aas_target *t, json_t *o, const char *id, json_t **dp,
    struct aas_err *e)
{
	(void)t;
	(void)o;
	(void)id;
	(void)e;
	*dp = json_pack("{s:s, s:i}", "url", "https://example.invalid/pull/1",
	    "number", 1);
	return 0;
}

static int
l_open(struct aas_target **tp, const struct aas_target_env *env,
    char hash[13], struct aas_err *e)
{
	(void)e;
	*tp = NULL;
	aas_notify_hash("linker", env->arg, hash);
	return 0;
}

static const struct aas_target_ops link_ops = {
	.name = "linker", .open = l_open, .deliver = l_deliver,
};

static struct aas_notify *
driver(struct aas_state *st)
{
	struct aas_target_env env;
	struct aas_notify *n;
	struct aas_err e;

	memset(&env, 0, sizeof(env));
	env.st = st;
	env.arg = "one";
	if (aas_notify_open(&n, st, 0, &e) == -1 ||
	    aas_notify_add(n, &fake_ops, &env, &e) == -1) {
		printf("# %s\n", e.msg);
		exit(1);
	}
	return n;
}

static json_t *
outcome(const char *id, int ok)
{
	json_t *rec = json_pack("{s:s, s:s, s:{s:b}}", "id", id, "title",
	    "A task", "qa", "ok", ok);
	json_t *o = aas_notify_outcome(rec, ok ? "Done" : "Failed");

	json_decref(rec);
	return o;
}

/* one record through a new driver: the entry's ok and detail */
static char *
one(struct aas_state *st, const char *id, int ok, int *failed)
{
	struct aas_notify *n = driver(st);
	json_t *o = outcome(id, ok), *l;
	char *s;

	l = aas_notify_record(n, o, failed);
	s = json_dumps(json_array_get(l, 0), JSON_COMPACT);
	json_decref(l);
	json_decref(o);
	aas_notify_close(n);
	return s;
}

int
main(void)
{
	unsigned char mac[32], *d;
	char h[65], *s, tmpl[] = "/tmp/t-notify.XXXXXX", first[64];
	struct aas_state *st;
	struct aas_notify *n;
	struct aas_err e;
	json_t *rec, *o, *l;
	size_t len;
	int failed;
	static const char *const b64[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	size_t i;

	plan(43);

	s = aas_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	    "{\"test\": 2432232314}", 20);
	is_str(s, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	    "the Standard Webhooks test vector");
	free(s);
	s = aas_webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	    "{\"test\": 2432232314}", 20);
	is_str(s, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	    "the same without the whsec_ prefix");
	free(s);
	ok(aas_webhook_sign("whsec_not*base64", "i", 1, "", 0) == NULL,
	    "a secret that is not base64: NULL");
	aas_hmac_sha256("It's a Secret to Everybody", 26, "Hello, World!", 13,
	    mac);
	hex(mac, 32, h);
	is_str(h, "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b"
	    "043e17", "GitHub's X-Hub-Signature-256 test vector");
	aas_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	hex(mac, 32, h);
	is_str(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964"
	    "ec3843", "RFC 4231 case 2");
	{
		unsigned char key[131];
		const char *m = "Test Using Larger Than Block-Size Key - "
		    "Hash Key First";

		memset(key, 0xaa, sizeof(key));
		aas_hmac_sha256(key, sizeof(key), m, strlen(m), mac);
		hex(mac, 32, h);
		is_str(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c51405"
		    "46040f0ee37f54", "RFC 4231 case 6: a key longer than a "
		    "block");
	}
	for (i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
		s = aas_base64_encode(b64[i][0], strlen(b64[i][0]));
		is_str(s, b64[i][1], "base64 of an RFC 4648 vector");
		free(s);
	}
	d = aas_base64_decode("Zm9vYmE=", &len);
	ok(d != NULL && len == 5 && memcmp(d, "fooba", 5) == 0,
	    "base64 decoded");
	free(d);
	ok(aas_base64_decode("Zm9", &len) == NULL, "a length not of four: "
	    "refused");
	ok(aas_base64_decode("Zm=v", &len) == NULL, "padding inside: refused");

	s = aas_notify_url_shown("https://hooks.slack.com/services/T/B/x", 0);
	is_str(s, "https://hooks.slack.com/[redacted]", "a chat URL shown");
	free(s);
	s = aas_notify_url_shown("http://u:pw@127.0.0.1:8080/hook?token=z", 1);
	is_str(s, "http://[redacted]@127.0.0.1:8080/hook?[redacted]",
	    "a webhook URL shown: its user and query hidden");
	free(s);
	ok(aas_notify_url_check("u", "ftp://x", &e) == -1 &&
	    strcmp(e.msg, "u: not an http:// or https:// URL") == 0,
	    "a URL of another scheme refused");
	ok(aas_notify_url_check("u", "https:///x", &e) == -1,
	    "a URL without a host refused");
	ok(aas_notify_url_check("u", "http://127.0.0.1:1/a", &e) == 0,
	    "plain http to a local server taken");

	ok(aas_target_find("webhook") != NULL && aas_target_find("slack") !=
	    NULL && aas_target_find("discord") != NULL &&
	    aas_target_find("board") == NULL, "the registry");
	is_str(aas_target_at(0)->name, "webhook", "the first kind");

	rec = json_loads("{\"id\":\"T-1\",\"title\":\"x\",\"apply\":{\"branch\":"
	    "\"aas/T-1\",\"commit\":\"abc\",\"files\":[\"a.c\"]},\"qa\":{\"ok\":"
	    "false,\"checks\":[{\"name\":\"build\",\"cmd\":\"make\",\"ok\":false,"
	    "\"exit\":2,\"ms\":7,\"tail\":\"x\"}]},\"request\":{\"model\":\"m\"},"
	    "\"response\":{\"usage\":{\"input\":3,\"output\":4,\"cached\":0},"
	    "\"usd\":0.5},\"error\":{\"stage\":\"qa\",\"code\":\"c\",\"message\":"
	    "\"m\"},\"fields\":{\"linear\":\"ENG-1\"}}", 0, NULL);
	o = aas_notify_outcome(rec, "In Progress");
	is_str(json_string_value(json_object_get(o, "type")),
	    "task.in_progress", "the outcome's type");
	json_object_del(o, "timestamp");
	s = json_dumps(o, JSON_COMPACT);
	is_str(s, "{\"type\":\"task.in_progress\",\"data\":{\"id\":\"T-1\","
	    "\"title\":\"x\",\"status\":\"In Progress\",\"branch\":\"aas/T-1\","
	    "\"commit\":\"abc\",\"base\":null,\"files\":[\"a.c\"],\"checks\":"
	    "[{\"name\":\"build\",\"ok\":false,\"exit\":2,\"ms\":7}],"
	    "\"summary\":null,\"attempts\":1,\"model\":\"m\",\"usage\":"
	    "{\"input\":3,\"output\":4},\"usd\":0.5,\"error\":{\"stage\":"
	    "\"qa\",\"code\":\"c\",\"message\":\"m\"},\"fields\":{\"linear\":"
	    "\"ENG-1\"}}}", "the outcome of a record");
	free(s);
	json_decref(o);
	json_decref(rec);

	/* the driver and its journal */
	if (mkdtemp(tmpl) == NULL || aas_state_open(&st, tmpl, 1, &e) == -1) {
		printf("# no state folder\n");
		return 1;
	}
	s = one(st, "T-1", 1, &failed);
	is_str(s, "{\"kind\":\"fake\",\"ok\":true,\"detail\":\"sent\","
	    "\"hash\":\"de8c9077d625\"}", "delivered: its entry");
	free(s);
	snprintf(first, sizeof(first), "%s", fake.last_id);
	ok(strncmp(first, "msg_", 4) == 0 && strlen(first) == 28 &&
	    strchr(first, '.') == NULL, "a delivery id: msg_ and 24 digits");
	s = one(st, "T-1", 1, &failed);
	is_str(s, "{\"kind\":\"fake\",\"ok\":true,\"detail\":\"already "
	    "delivered\",\"hash\":\"de8c9077d625\"}", "the same outcome again: "
	    "not sent");
	free(s);
	is_int(fake.sent, 1, "one delivery in two runs");
	s = one(st, "T-1", 0, &failed);
	free(s);
	is_int(fake.sent, 2, "a changed outcome is a new delivery");
	ok(strcmp(first, fake.last_id) != 0, "with a new id");

	fake.fail = 1;
	s = one(st, "T-2", 1, &failed);
	is_str(s, "{\"kind\":\"fake\",\"ok\":false,\"detail\":\"http 500 at "
	    "https://x.invalid/SECRETPATH\",\"hash\":\"de8c9077d625\"}",
	    "a failure: ok false with the reason");
	free(s);
	is_int(failed, 1, "failed is set");
	snprintf(first, sizeof(first), "%s", fake.last_id);
	fake.fail = 0;
	s = one(st, "T-2", 1, &failed);
	free(s);
	is_int(fake.sent * 10 + failed, 30, "the next run delivers it");
	is_str(fake.last_id, first, "with the id of the failed try");
	aas_secret_add("/SECRETPATH");
	fake.fail = 1;
	s = one(st, "T-3", 1, &failed);
	is_str(s, "{\"kind\":\"fake\",\"ok\":false,\"detail\":\"http 500 at "
	    "https://x.invalid[redacted]\",\"hash\":\"de8c9077d625\"}",
	    "a registered secret is taken out of the detail");
	free(s);

	/* gone: the rest of the run is not sent */
	fake.fail = 2;
	n = driver(st);
	o = outcome("G-1", 1);
	l = aas_notify_record(n, o, &failed);
	json_decref(l);
	json_decref(o);
	fake.fail = 0;
	o = outcome("G-2", 1);
	l = aas_notify_record(n, o, &failed);
	s = json_dumps(json_array_get(l, 0), JSON_COMPACT);
	is_str(s, "{\"kind\":\"fake\",\"ok\":false,\"detail\":\"not sent: "
	    "stopped after http 410\",\"hash\":\"de8c9077d625\"}",
	    "after gone nothing more is sent in the run");
	free(s);
	json_decref(l);
	json_decref(o);
	aas_notify_close(n);
	is_int(fake.sent, 3, "not even tried");

	/* per run: one finish with what was not yet reported */
	fake.per_run = 1;
	n = driver(st);
	for (i = 0; i < 3; i++) {
		char id[8];

		snprintf(id, sizeof(id), "R-%zu", i);
		o = outcome(i == 2 ? "T-1" : id, i == 2 ? 0 : 1);
		l = aas_notify_record(n, o, &failed);
		if (i == 0) {
			s = json_dumps(json_array_get(l, 0), JSON_COMPACT);
			is_str(s, "{\"kind\":\"fake\",\"ok\":null,\"detail\":"
			    "\"in the run's message\",\"hash\":"
			    "\"de8c9077d625\"}", "per run: the entry says so");
			free(s);
		}
		json_decref(l);
		json_decref(o);
	}
	is_int(aas_notify_finish(n), 0, "finish: no target failed");
	is_int(fake.finished * 10 + (int)fake.last_n, 12, "one message of the "
	    "two not yet reported");
	aas_notify_close(n);
	n = driver(st);
	o = outcome("R-1", 1);
	l = aas_notify_record(n, o, &failed);
	json_decref(l);
	json_decref(o);
	aas_notify_finish(n);
	aas_notify_close(n);
	is_int(fake.finished, 1, "reported in a run's message: not again");

	/* a link another target made reaches the per-run target */
	{
		struct aas_target_env env;

		n = driver(st);
		memset(&env, 0, sizeof(env));
		env.st = st;
		env.arg = "linker";
		if (aas_notify_add(n, &link_ops, &env, &e) == -1)
			return 1;
		o = outcome("L-1", 1);
		l = aas_notify_record(n, o, &failed);
		json_decref(l);
		json_decref(o);
		aas_notify_finish(n);
		s = json_dumps(json_object_get(json_object_get(json_array_get(
		    fake_seen, 0), "data"), "links"), JSON_COMPACT);
		is_str(s, "[{\"kind\":\"linker\",\"url\":"
		    "\"https://example.invalid/pull/1\"}]",
		    "the pull request's URL is in the run's outcomes");
		free(s);
		aas_notify_close(n);
		json_decref(fake_seen);
	}
	aas_state_close(st);
	{
		struct aas_err re;

		aas_rmtree(tmpl, &re);
	}
	return done_testing();
}
