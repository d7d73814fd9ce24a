/* t-record.c: record parse, splice, delete, error records, the loop. */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aas.h"
#include "record.h"
#include "state.h"
#include "tap.h"

static struct aas_loop emit_loop;

static void
set_check(const char *in, const char *key, const char *val, const char *want,
    const char *name)
{
	struct aas_rec r;
	json_t *v = json_loads(val, JSON_DECODE_ANY, NULL);

	aas_rec_parse(&r, in, strlen(in), NULL);
	aas_rec_set(&r, key, v);
	is_str(r.line, want, name);
	json_decref(v);
	aas_rec_free(&r);
}

static int
step_add(struct aas_rec *r, void *arg, struct aas_err *e)
{
	json_t *v = json_integer(1);

	(void)arg, (void)e;
	if (strcmp(aas_rec_where(r), "FAIL") == 0) {
		json_decref(v);
		aas_rec_fail(r, "test", "boom", "failed on purpose");
		return 1;
	}
	aas_rec_set(r, "plan", v);
	json_decref(v);
	return 0;
}

/* Emits "<id>.1" before the record.  With jobs (arg set) A sleeps
 * longest and B next, so their steps are likely to end out of order. */
static int
step_emit(struct aas_rec *r, void *arg, struct aas_err *e)
{
	struct timespec ts = { 0, 0 };
	struct aas_rec sub;
	const char *id = aas_rec_where(r);
	json_t *o;
	char buf[32];

	if (arg != NULL) {
		ts.tv_nsec = id[0] == 'A' ? 150000000L : id[0] == 'B' ?
		    50000000L : 0;
		nanosleep(&ts, NULL);
	}
	snprintf(buf, sizeof(buf), "%s.1", id);
	o = json_pack("{s:s}", "sub", buf);
	aas_rec_from_json(&sub, o);
	json_decref(o);
	if (aas_loop_emit(arg != NULL ? arg : &emit_loop, &sub, e) == -1)
		return -1;
	aas_rec_free(&sub);
	return step_add(r, NULL, e);
}

/* With jobs: P passes in the reading thread, Q fails there, the rest run
 * in threads. */
static int
dispatch_pq(struct aas_rec *r, void *arg, struct aas_err *e)
{
	const char *id = aas_rec_where(r);

	(void)arg, (void)e;
	if (strcmp(id, "P") == 0)
		return 0;
	if (strcmp(id, "Q") == 0) {
		aas_rec_fail(r, "test", "q", "refused inline");
		return 1;
	}
	return AAS_LOOP_ASYNC;
}

static char sizes[64];

/* Every record gets "n": the size of its batch. */
static int
batch_sizes(struct aas_rec **recs, int *rcs, size_t n, void *arg,
    struct aas_err *e)
{
	json_t *v = json_integer((json_int_t)n);
	size_t i;

	(void)arg, (void)e;
	snprintf(sizes + strlen(sizes), sizeof(sizes) - strlen(sizes), "%s%zu",
	    sizes[0] != '\0' ? "," : "", n);
	for (i = 0; i < n; i++) {
		if (recs[i]->bad)
			continue;
		aas_rec_set(recs[i], "n", v);
		rcs[i] = strcmp(aas_rec_where(recs[i]), "FAIL") == 0;
	}
	json_decref(v);
	return 0;
}

/* The loop's output for text as input, as a string the caller frees. */
static char *
loop_out(struct aas_loop *l, const char *text, int *rcp)
{
	char path[] = "/tmp/t-record.XXXXXX", *buf;
	FILE *in, *out;
	size_t len;
	int fd;

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		exit(1);
	close(fd);
	in = fopen(path, "r");
	unlink(path);
	out = open_memstream(&buf, &len);
	*rcp = aas_loop_run(l, in, "in", out);
	fclose(out);
	fclose(in);
	return buf;
}

/* text as a stream to read from. */
static FILE *
text_in(const char *text)
{
	FILE *in = tmpfile();

	if (in == NULL || fputs(text, in) == EOF || fseek(in, 0, SEEK_SET))
		exit(1);
	return in;
}

/* Pull mode: hand rec back with "done" set to a mark of the order. */
static void
pull_done(struct aas_loop *l, struct aas_rec *rec, int rc)
{
	json_t *v = json_true();

	aas_rec_set(rec, "done", v);
	aas_loop_done(l, rec, rc, NULL);
}

/*
 * Every record of text read with the cap max, each line followed by
 * "\n".  fd mode reads a pipe that a child fills 5 bytes at a time, so an
 * over-long line is passed across many reads.
 */
static char *
read_capped(const char *text, size_t max, int fdmode)
{
	struct aas_reader rd;
	struct aas_rec r;
	struct aas_buf o = AAS_BUF_INIT;
	size_t n = strlen(text), i;
	FILE *f = NULL;
	pid_t pid = -1;
	int p[2], st;
	ssize_t w;

	aas_record_set_max(max);
	if (fdmode) {
		if (pipe(p) == -1)
			return NULL;
		if ((pid = fork()) == 0) {
			close(p[0]);
			for (i = 0; i < n; i += 5) {
				w = write(p[1], text + i, n - i < 5 ? n - i : 5);
				if (w < 0)
					_exit(1);
			}
			_exit(0);
		}
		close(p[1]);
		aas_reader_init_fd(&rd, p[0], "in");
	} else {
		f = fmemopen((char *)text, n, "r");
		aas_reader_init(&rd, f, "in");
	}
	while (aas_reader_next(&rd, &r) == 1) {
		aas_buf_add(&o, r.line, r.len);
		aas_buf_addc(&o, '\n');
		aas_rec_free(&r);
	}
	aas_reader_free(&rd);
	if (fdmode) {
		close(p[0]);
		waitpid(pid, &st, 0);
	} else
		fclose(f);
	aas_record_set_max(0);
	return aas_buf_detach(&o, NULL);
}

int
main(void)
{
	struct aas_rec r;
	struct aas_err e;
	struct aas_loop l;
	FILE *in, *out;
	char *buf;
	size_t len;
	int rc;

	aas_setprogname("t-record");
	aas_quiet = 1;
	plan(50);

	set_check("{\"id\":\"A-1\",\"n\":0.1}", "plan", "{\"a\":[1,2]}",
	    "{\"id\":\"A-1\",\"n\":0.1,\"plan\":{\"a\":[1,2]}}",
	    "new key appended, other bytes kept");
	set_check("{}", "k", "true", "{\"k\":true}", "key into empty object");
	set_check("  { }  ", "k", "1", "  { \"k\":1}  ", "spaces kept");
	set_check("{\"a\":1,\"k\":{\"x\":\"}\"},\"b\":2}", "k", "null",
	    "{\"a\":1,\"k\":null,\"b\":2}", "existing value replaced in place");
	set_check("{\"k\":1,\"k\":2}", "k", "3", "{\"k\":1,\"k\":3}",
	    "duplicate key: last one replaced, first kept");
	set_check("{\"big\":123456789012345678901234567890}", "x", "1",
	    "{\"big\":123456789012345678901234567890,\"x\":1}",
	    "integer past 64 bits passes through");
	set_check("{\"s\":\"a\\\"b\\\\\",\"t\":[\"]\"]}", "s", "\"z\"",
	    "{\"s\":\"z\",\"t\":[\"]\"]}", "escaped quotes skipped");
	set_check("{\"k\\u0065y\":1}", "key", "2", "{\"k\\u0065y\":2}",
	    "escaped key matched by its decoded name");
	set_check("{}", "usd", "0.004356", "{\"usd\":0.004356}",
	    "a real is written as short as it round-trips");

	rc = aas_rec_parse(&r, "[1,2]", 5, &e);
	is_int(rc, -1, "array is not a record");
	is_str(r.line, "{\"error\":{\"stage\":\"input\",\"code\":\"bad_json\","
	    "\"message\":\"not a JSON object\"},\"raw\":\"[1,2]\"}",
	    "bad line becomes an error record with the raw text");
	aas_rec_free(&r);

	rc = aas_rec_parse(&r, "{\"a\":\xff}", 7, &e);
	is_str(e.code, "bad_json", "invalid UTF-8 is bad_json");
	ok(strstr(r.line, "\"raw\":\"{\\\"a\\\":\xef\xbf\xbd}\"") != NULL,
	    "invalid byte replaced by U+FFFD in raw");
	aas_rec_free(&r);

	buf = "{\"a\":1, \"b\":2 ,\"c\":3}";
	aas_rec_parse(&r, buf, strlen(buf), NULL);
	aas_rec_del(&r, "b");
	is_str(r.line, "{\"a\":1, \"c\":3}", "delete a middle key");
	aas_rec_del(&r, "c");
	is_str(r.line, "{\"a\":1}", "delete the last key");
	aas_rec_del(&r, "a");
	is_str(r.line, "{}", "delete the only key");
	aas_rec_free(&r);

	aas_rec_parse(&r, "{\"id\":\"X-1\"}", 12, NULL);
	aas_rec_fail(&r, "plan", "empty_plan", "no edits");
	is_str(r.line, "{\"id\":\"X-1\",\"error\":{\"stage\":\"plan\","
	    "\"code\":\"empty_plan\",\"message\":\"no edits\"}}", "fail sets error");
	aas_rec_free(&r);

	in = fmemopen((char *)"{\"id\":\"A\"}\r\n\n  \nnot json\n"
	    "{\"id\":\"B\",\"error\":{}}\n{\"id\":\"FAIL\"}\n{\"id\":\"C\"}",
	    strlen("{\"id\":\"A\"}\r\n\n  \nnot json\n"
	    "{\"id\":\"B\",\"error\":{}}\n{\"id\":\"FAIL\"}\n{\"id\":\"C\"}"), "r");
	out = open_memstream(&buf, &len);
	memset(&l, 0, sizeof(l));
	l.stage = "test";
	l.step = step_add;
	rc = aas_loop_run(&l, in, "in", out);
	fclose(out);
	fclose(in);
	is_int(rc, AAS_EXIT_RECORD, "loop status 1 when a record failed");
	is_int(l.nin, 5, "blank lines skipped, five records in");
	is_int(l.nout, 5, "five records out");
	is_str(buf, "{\"id\":\"A\",\"plan\":1}\n"
	    "{\"error\":{\"stage\":\"input\",\"code\":\"bad_json\",\"message\":"
	    "\"'[' or '{' expected near 'not' at column 3\"},\"raw\":\"not json\"}\n"
	    "{\"id\":\"B\",\"error\":{}}\n"
	    "{\"id\":\"FAIL\",\"error\":{\"stage\":\"test\",\"code\":\"boom\","
	    "\"message\":\"failed on purpose\"}}\n"
	    "{\"id\":\"C\",\"plan\":1}\n", "loop output exact");
	free(buf);

	/* emit: records written ahead of the one in hand */
	emit_loop.stage = "test";
	emit_loop.step = step_emit;
	buf = loop_out(&emit_loop, "{\"id\":\"A\"}\nnope\n{\"id\":\"B\"}\n", &rc);
	is_int(rc, AAS_EXIT_RECORD, "emit: status 1 for the bad line");
	is_str(buf, "{\"sub\":\"A.1\"}\n{\"id\":\"A\",\"plan\":1}\n"
	    "{\"error\":{\"stage\":\"input\",\"code\":\"bad_json\",\"message\":"
	    "\"'[' or '{' expected near 'nope' at column 4\"},\"raw\":\"nope\"}\n"
	    "{\"sub\":\"B.1\"}\n{\"id\":\"B\",\"plan\":1}\n",
	    "emit: the emitted records come first, in order");
	free(buf);

	/* jobs with keep_order: input order whatever order the steps end in */
	memset(&l, 0, sizeof(l));
	l.stage = "test";
	l.step = step_emit;
	l.arg = &l;
	l.jobs = 3;
	l.keep_order = 1;
	l.dispatch = dispatch_pq;
	buf = loop_out(&l, "{\"id\":\"A\"}\n{\"id\":\"P\"}\n{\"id\":\"B\"}\n"
	    "{\"id\":\"Q\"}\n{\"id\":\"C\"}\n", &rc);
	is_int(rc, AAS_EXIT_RECORD, "jobs: status 1 for the inline failure");
	is_str(buf, "{\"sub\":\"A.1\"}\n{\"id\":\"A\",\"plan\":1}\n"
	    "{\"id\":\"P\"}\n"
	    "{\"sub\":\"B.1\"}\n{\"id\":\"B\",\"plan\":1}\n"
	    "{\"id\":\"Q\",\"error\":{\"stage\":\"test\",\"code\":\"q\","
	    "\"message\":\"refused inline\"}}\n"
	    "{\"sub\":\"C.1\"}\n{\"id\":\"C\",\"plan\":1}\n",
	    "jobs, keep_order: input order, emitted records with theirs");
	free(buf);
	/* batch: what is ready at once, up to batch_max */
	memset(&l, 0, sizeof(l));
	l.stage = "test";
	l.batch = batch_sizes;
	l.batch_max = 2;
	buf = loop_out(&l, "{\"id\":\"A\"}\n{\"id\":\"FAIL\"}\n\nx\n"
	    "{\"id\":\"B\"}\n{\"id\":\"C\"}\n", &rc);
	is_str(sizes, "2,2,1", "batch: batches of at most batch_max");
	is_str(buf, "{\"id\":\"A\",\"n\":2}\n{\"id\":\"FAIL\",\"n\":2}\n"
	    "{\"error\":{\"stage\":\"input\",\"code\":\"bad_json\",\"message\":"
	    "\"'[' or '{' expected near 'x' at column 1\"},\"raw\":\"x\"}\n"
	    "{\"id\":\"B\",\"n\":2}\n{\"id\":\"C\",\"n\":1}\n"
	    , "batch: every record written in input order");
	free(buf);

	/* pull mode, keep_order: handed back out of order, written in
	 * input order; bad lines and error records in their places */
	{
		struct aas_rec *ra, *rb, *rc_, *rd, *rx;
		memset(&l, 0, sizeof(l));
		l.stage = "test";
		l.keep_order = 1;
		in = text_in("{\"id\":\"A\"}\nnope\n{\"id\":\"B\"}\n"
		    "{\"id\":\"E\",\"error\":{}}\n\n{\"id\":\"C\"}\n"
		    "{\"id\":\"D\"}\n");
		out = open_memstream(&buf, &len);
		aas_loop_begin(&l, in, "in", out);
		ok(aas_loop_next(&l, &ra) == 1 && aas_loop_next(&l, &rb) == 1 &&
		    aas_loop_next(&l, &rc_) == 1 && aas_loop_next(&l, &rd) == 1,
		    "pull: four records need work");
		is_str(aas_rec_where(ra), "A", "pull: the first is A");
		is_str(aas_rec_where(rd), "D", "pull: the last is D");
		is_int(aas_loop_next(&l, &rx), 0, "pull: then the end");
		ok(rx == NULL, "pull: no record at the end");
		pull_done(&l, rd, 0);
		pull_done(&l, rc_, AAS_LOOP_DROP);
		pull_done(&l, rb, 1);
		fflush(out);
		is_int((int)len, 0, "pull: nothing written while A is out");
		pull_done(&l, ra, 0);
		rc = aas_loop_end(&l);
		fclose(out);
		fclose(in);
		is_int(rc, AAS_EXIT_RECORD, "pull: status 1 (a bad line, B)");
		is_str(buf, "{\"id\":\"A\",\"done\":true}\n"
		    "{\"error\":{\"stage\":\"input\",\"code\":\"bad_json\","
		    "\"message\":\"'[' or '{' expected near 'nope' at "
		    "column 4\"},\"raw\":\"nope\"}\n"
		    "{\"id\":\"B\",\"done\":true}\n"
		    "{\"id\":\"E\",\"error\":{}}\n"
		    "{\"id\":\"D\",\"done\":true}\n",
		    "pull, keep_order: input order, error passed, C dropped");
		ok(l.nin == 6 && l.nout == 5 && l.nfailed == 2,
		    "pull: counted 6 in, 5 out, 2 failed");
		free(buf);
	}
	/* pull mode without keep_order: written as handed back */
	{
		struct aas_rec *ra, *rb;
		memset(&l, 0, sizeof(l));
		l.stage = "test";
		in = text_in("{\"id\":\"A\"}\n{\"id\":\"E\",\"error\":1}\n"
		    "{\"id\":\"B\"}\n");
		out = open_memstream(&buf, &len);
		aas_loop_begin(&l, in, "in", out);
		ok(aas_loop_next(&l, &ra) == 1 && aas_loop_next(&l, &rb) == 1,
		    "pull: two records need work");
		pull_done(&l, rb, 0);
		pull_done(&l, ra, 0);
		is_int(aas_loop_next(&l, &ra), 0, "pull: then the end");
		rc = aas_loop_end(&l);
		fclose(out);
		fclose(in);
		is_int(rc, AAS_EXIT_OK, "pull: status 0");
		is_str(buf, "{\"id\":\"E\",\"error\":1}\n"
		    "{\"id\":\"B\",\"done\":true}\n"
		    "{\"id\":\"A\",\"done\":true}\n",
		    "pull: written at once, in the order handed back");
		free(buf);
	}
	/* pull mode: the STOP file ends the reading */
	{
		char dir[] = "/tmp/t-record-st.XXXXXX", *stop;
		struct aas_state *st = NULL;
		struct aas_rec *ra, *rb;
		FILE *f;

		memset(&e, 0, sizeof(e));
		if (mkdtemp(dir) == NULL || aas_state_open(&st, dir, 1,
		    &e) == -1)
			exit(1);
		memset(&l, 0, sizeof(l));
		l.stage = "test";
		l.keep_order = 1;
		l.state = st;
		in = text_in("{\"id\":\"A\"}\n{\"id\":\"B\"}\n");
		out = open_memstream(&buf, &len);
		aas_loop_begin(&l, in, "in", out);
		ok(aas_loop_next(&l, &ra) == 1, "pull: A before STOP");
		stop = aas_state_path(st, "STOP");
		if ((f = fopen(stop, "w")) == NULL)
			exit(1);
		fclose(f);
		is_int(aas_loop_next(&l, &rb), 0, "pull: STOP: no more records");
		pull_done(&l, ra, 0);
		rc = aas_loop_end(&l);
		fclose(out);
		fclose(in);
		is_int(rc, AAS_EXIT_STOPPED, "pull: STOP: status stopped");
		is_str(buf, "{\"id\":\"A\",\"done\":true}\n",
		    "pull: STOP: the record out is still written, B not read");
		is_int((int)l.nin, 1, "pull: STOP: one record read");
		free(buf);
		unlink(stop);
		free(stop);
		aas_state_close(st);
		stop = aas_xasprintf("%s/.gitignore", dir);
		unlink(stop);
		free(stop);
		rmdir(dir);
	}

	aas_rec_parse(&r, "{\"a\":{\"b\":{\"c\":\"d\"}}}", 21, NULL);
	is_str(json_string_value(aas_rec_path(&r, "a.b.c")), "d",
	    "dotted path lookup");
	aas_rec_free(&r);
	{
		const char *in_cap =
		    "{\"id\":\"A-1\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n"
		    "{\"id\":\"B-1\"}\n"
		    "{\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"id\":\"C-1\"}\r\n"
		    "{\"id\":\"D-1\",\"p\":\"yyyyyyyyyyy\"}\n"
		    "\n"
		    "{\"id\":\"E-1\",\"q\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"}";
		const char *want_cap =
		    "{\"id\":\"A-1\",\"error\":{\"stage\":\"input\",\"code\":\"too_long\",\"message\":\"in:1: a record of 61 bytes, over max_record_bytes (30): not read\"}}\n"
		    "{\"id\":\"B-1\"}\n"
		    "{\"error\":{\"stage\":\"input\",\"code\":\"too_long\",\"message\":\"in:3: a record of 52 bytes, over max_record_bytes (30): not read\"}}\n"
		    "{\"id\":\"D-1\",\"p\":\"yyyyyyyyyyy\"}\n"
		    "{\"id\":\"E-1\",\"error\":{\"stage\":\"input\",\"code\":\"too_long\",\"message\":\"in:6: a record of 69 bytes, over max_record_bytes (30): not read\"}}\n";

		buf = read_capped(in_cap, 30, 0);
		is_str(buf, want_cap, "max_record_bytes, stdio: a longer line "
		    "is an error record with its line and id, a line at the "
		    "cap is read, reading goes on");
		free(buf);
		buf = read_capped(in_cap, 30, 1);
		is_str(buf, want_cap, "the same through a pipe, 5 bytes a read");
		free(buf);
		buf = read_capped("{\"id\":\"LONG-1\",\"x\":1}\n{}\n", 8, 1);
		is_str(buf, "{\"error\":{\"stage\":\"input\",\"code\":\"too_long\","
		    "\"message\":\"in:1: a record of 21 bytes, over "
		    "max_record_bytes (8): not read\"}}\n{}\n",
		    "an id cut by the cap is not guessed");
		free(buf);
	}
	is_int((int)aas_record_max(), AAS_RECORD_MAX, "the default cap is back");
	return done_testing();
}
