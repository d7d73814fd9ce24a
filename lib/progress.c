/* progress.c: the progress line, the stop reason, the summary line. */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aas.h"
#include "price.h"
#include "progress.h"
#include "state.h"
#include "banned.h"

#define TTY_EVERY	250	/* ms between redraws on a terminal */
#define PLAIN_EVERY	1000	/* ms between plain lines */
#define QUIET_START	500	/* ms before the first line */
#define COUNT_MAX	((off_t)256 << 20)	/* the largest input counted */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int mode = AAS_PROGRESS_AUTO;
static int active;		/* between begin and end */
static int tty;			/* standard error is a terminal */
static int shown;		/* a line is on the terminal now */
static int64_t t0, next;
static long nin, nout, nfailed, total = -1;
static long sdone = -1, stotal = -1, sfailed;	/* aas_progress_set */
static char note[128];
static double usd;
static char stop_kind[16], stop_text[512];
static int own_summary;
static int summary_ok;		/* the mode allows the summary */
static pthread_t ticker;
static atomic_int ticking;	/* the ticker thread runs (read there) */
static pthread_t relayer;
static int relay_r = -1, relay_w = -1;
static atomic_int relaying;	/* read by the relay thread */

void
aas_progress_mode(int m)
{
	mode = m;
}

static int
effective_mode(void)
{
	const char *env = getenv("AAS_PROGRESS");

	if (env != NULL && strcmp(env, "0") == 0)
		return AAS_PROGRESS_OFF;
	if (env != NULL && strcmp(env, "1") == 0)
		return AAS_PROGRESS_ON;
	return mode;
}

static void
nap(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* On a terminal the line moves on while nothing is counted (the rate
 * and the ETA change with the clock). */
static void *
tick_main(void *arg)
{
	(void)arg;
	while (ticking) {
		nap(50);
		aas_progress_tick();
	}
	return NULL;
}

void
aas_progress_begin(void)
{
	int m = effective_mode();

	pthread_mutex_lock(&mu);
	tty = isatty(STDERR_FILENO);
	active = !aas_quiet && m != AAS_PROGRESS_OFF &&
	    (tty || m == AAS_PROGRESS_ON);
	summary_ok = !aas_quiet && m != AAS_PROGRESS_OFF &&
	    (tty || m == AAS_PROGRESS_ON);
	t0 = aas_now_ms();
	next = t0 + QUIET_START;
	pthread_mutex_unlock(&mu);
	if (active)
		aas_msg_hook(aas_progress_hide, aas_progress_show);
	if (active && tty) {
		ticking = 1;
		if (aas_thread_start(&ticker, tick_main, NULL) != 0)
			ticking = 0;
	}
}

int
aas_progress_on(void)
{
	int on;

	pthread_mutex_lock(&mu);
	on = active;
	pthread_mutex_unlock(&mu);
	return on;
}

static void
put_clear(void)
{
	if (shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		shown = 0;
	}
}

static void
fmt_secs(char *buf, size_t size, long s)
{
	if (s < 60)
		snprintf(buf, size, "%lds", s);
	else if (s < 3600)
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, size, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
}

/* With mu held: the line's text. */
static void
compose(struct aas_buf *b)
{
	long done = sdone >= 0 ? sdone : nout;
	long tot = sdone >= 0 ? stotal : total;
	long fail = sdone >= 0 ? sfailed : nfailed;
	double secs = (double)(aas_now_ms() - t0) / 1000.0, rate;
	char cost[32], eta[32];

	rate = secs > 0 ? (double)done / secs : 0;
	aas_buf_printf(b, "%s: %ld", aas_getprogname(), done);
	if (tot >= 0)
		aas_buf_printf(b, "/%ld", tot);
	aas_buf_printf(b, " done, %.*f/s", rate < 10 ? 1 : 0, rate);
	if (tot >= 0 && done > 0 && rate > 0) {
		fmt_secs(eta, sizeof(eta), (long)((double)(tot > done ?
		    tot - done : 0) / rate + 0.5));
		aas_buf_printf(b, ", ETA %s", eta);
	} else if (tot >= 0)
		aas_buf_adds(b, ", ETA ?");
	aas_buf_printf(b, ", %ld failed, $%s", fail,
	    aas_usd_format(usd, cost, sizeof(cost)));
	if (note[0] != '\0')
		aas_buf_printf(b, ", %s", note);
}

static size_t
width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return (size_t)ws.ws_col - 1;
	return 79;
}

/* With mu held: draw the line (force: even when not due). */
static void
draw(int force)
{
	struct aas_buf b = AAS_BUF_INIT;
	int64_t now;

	if (!active)
		return;
	now = aas_now_ms();
	if (now < t0 + QUIET_START || (!force && now < next))
		return;
	next = now + (tty ? TTY_EVERY : PLAIN_EVERY);
	compose(&b);
	if (tty) {
		if (b.len > width())
			b.s[width()] = '\0';
		fprintf(stderr, "\r%s\033[K", b.s);
		shown = 1;
	} else
		fprintf(stderr, "%s\n", b.s);
	fflush(stderr);
	aas_buf_free(&b);
}

void
aas_progress_end(void)
{
	aas_progress_relay_end();
	if (ticking) {
		ticking = 0;
		pthread_join(ticker, NULL);
	}
	pthread_mutex_lock(&mu);
	put_clear();
	active = 0;
	pthread_mutex_unlock(&mu);
}

void
aas_progress_in(long n)
{
	pthread_mutex_lock(&mu);
	nin += n;
	draw(0);
	pthread_mutex_unlock(&mu);
}

void
aas_progress_out(int failed)
{
	pthread_mutex_lock(&mu);
	nout++;
	if (failed)
		nfailed++;
	draw(0);
	pthread_mutex_unlock(&mu);
}

void
aas_progress_cost(double d)
{
	pthread_mutex_lock(&mu);
	usd += d;
	draw(0);
	pthread_mutex_unlock(&mu);
}

void
aas_progress_total(long t)
{
	pthread_mutex_lock(&mu);
	total = t;
	pthread_mutex_unlock(&mu);
}

void
aas_progress_total_of(FILE *in)
{
	struct stat sb;
	char buf[65536];
	off_t off;
	ssize_t n, i;
	long lines = 0;
	int fd = fileno(in), blank = 1;

	/* a count is not worth reading a huge file twice */
	if (!aas_progress_on() || fd < 0 || fstat(fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode) || sb.st_size > COUNT_MAX ||
	    (off = lseek(fd, 0, SEEK_CUR)) == -1)
		return;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				lines += !blank;
				blank = 1;
			} else if (buf[i] != '\r' && buf[i] != ' ' &&
			    buf[i] != '\t')
				blank = 0;
		}
		off += n;
	}
	if (n == 0)
		aas_progress_total(lines + !blank);
}

void
aas_progress_set(long done, long tot, long failed, const char *what)
{
	pthread_mutex_lock(&mu);
	sdone = done;
	stotal = tot;
	sfailed = failed;
	snprintf(note, sizeof(note), "%s", what != NULL ? what : "");
	draw(0);
	pthread_mutex_unlock(&mu);
}

void
aas_progress_tick(void)
{
	pthread_mutex_lock(&mu);
	draw(0);
	pthread_mutex_unlock(&mu);
}

void
aas_progress_hide(void)
{
	pthread_mutex_lock(&mu);
	put_clear();
}

void
aas_progress_show(void)
{
	/* at once, not when due: the line never stays away after a trace */
	if (active && tty)
		draw(1);
	pthread_mutex_unlock(&mu);
}

/* With mu held: write n bytes of a child's line, then a newline. */
static void
relay_line(const char *p, size_t n)
{
	put_clear();
	fwrite(p, 1, n, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	if (active && tty)
		draw(1);
}

static void *
relay_main(void *arg)
{
	struct aas_buf b = AAS_BUF_INIT;
	struct pollfd pf;
	char buf[4096], *nl;
	ssize_t n;
	size_t k;

	(void)arg;
	pf.fd = relay_r;
	pf.events = POLLIN;
	for (;;) {
		/* after relay_end only what is there already is read */
		if (poll(&pf, 1, relaying ? 100 : 0) <= 0) {
			if (!relaying)
				break;
			continue;
		}
		if ((n = read(relay_r, buf, sizeof(buf))) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		aas_buf_add(&b, buf, (size_t)n);
		pthread_mutex_lock(&mu);
		while ((nl = memchr(b.s, '\n', b.len)) != NULL) {
			k = (size_t)(nl - b.s);
			relay_line(b.s, k);
			memmove(b.s, nl + 1, b.len - k - 1);
			b.len -= k + 1;
			b.s[b.len] = '\0';
		}
		pthread_mutex_unlock(&mu);
	}
	if (b.len > 0) {
		pthread_mutex_lock(&mu);
		relay_line(b.s, b.len);
		pthread_mutex_unlock(&mu);
	}
	aas_buf_free(&b);
	return NULL;
}

int
aas_progress_relay(void)
{
	int p[2];

	if (relaying)
		return relay_w;
	if (!aas_progress_on() || !tty || pipe2(p, O_CLOEXEC) == -1)
		return -1;
	relay_r = p[0];
	relay_w = p[1];
	relaying = 1;
	if (aas_thread_start(&relayer, relay_main, NULL) != 0) {
		relaying = 0;
		close(relay_r);
		close(relay_w);
		relay_r = relay_w = -1;
	}
	return relay_w;
}

void
aas_progress_relay_end(void)
{
	if (!relaying)
		return;
	close(relay_w);
	relay_w = -1;
	relaying = 0;
	pthread_join(relayer, NULL);
	close(relay_r);
	relay_r = -1;
}

void
aas_progress_counts(long *in, long *out, long *failed, double *d)
{
	pthread_mutex_lock(&mu);
	*in = nin;
	*out = nout;
	*failed = nfailed;
	*d = usd;
	pthread_mutex_unlock(&mu);
}

void
aas_progress_summary(void)
{
	long in, out, failed;
	double d;
	char cost[32];

	if (own_summary || !summary_ok)
		return;
	aas_progress_counts(&in, &out, &failed, &d);
	aas_msg("%ld in, %ld out, %ld failed, $%s", in, out, failed,
	    aas_usd_format(d, cost, sizeof(cost)));
}

void
aas_progress_no_summary(void)
{
	own_summary = 1;
}

void
aas_stop_note(const char *kind, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&mu);
	if (stop_kind[0] == '\0') {
		snprintf(stop_kind, sizeof(stop_kind), "%s", kind);
		va_start(ap, fmt);
		vsnprintf(stop_text, sizeof(stop_text), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&mu);
}

const char *
aas_stop_kind(void)
{
	return stop_kind[0] != '\0' ? stop_kind : NULL;
}

static const char *
signame(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	default:
		return NULL;
	}
}

void
aas_stop_report(const struct aas_state *st)
{
	static int said;
	char *path;
	const char *name;

	if (said)
		return;
	said = 1;
	if (stop_kind[0] != '\0') {
		aas_msg("stopped: %s", stop_text);
		return;
	}
	if (aas_stop_flag) {
		name = signame((int)aas_stop_signal);
		if (name != NULL)
			aas_msg("stopped: signal %s", name);
		else
			aas_msg("stopped: signal %d", (int)aas_stop_signal);
		return;
	}
	if (st == NULL)
		return;
	path = aas_state_path(st, "STOP");
	if (access(path, F_OK) == 0)
		aas_msg("stopped: STOP file %s", path);
	free(path);
}
