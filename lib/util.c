/* util.c: errors, messages, allocation, buffers, files. */
#include <sys/stat.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aas.h"
#include "banned.h"

int aas_quiet;
int aas_verbose;
volatile sig_atomic_t aas_stop_flag;
volatile sig_atomic_t aas_stop_signal;

static const char *progname = "aas";
static char **secrets;
static size_t nsecrets;

static char *
vformat(const char *fmt, va_list ap)
{
	va_list cp;
	char *s;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return aas_xstrdup("");
	s = aas_xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

int
aas_err_set(struct aas_err *e, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
aas_err_prefix(struct aas_err *e, const char *fmt, ...)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t n;
	va_list ap;
	char *pre;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	pre = vformat(fmt, ap);
	va_end(ap);
	aas_buf_printf(&b, "%s: %s", pre, e->msg);
	n = b.len < sizeof(e->msg) - 1 ? b.len : sizeof(e->msg) - 1;
	memcpy(e->msg, b.s, n);
	e->msg[n] = '\0';
	aas_buf_free(&b);
	free(pre);
}

static void (*msg_before)(void), (*msg_after)(void);

void
aas_msg_hook(void (*before)(void), void (*after)(void))
{
	msg_before = before;
	msg_after = after;
}

const char *
aas_getprogname(void)
{
	return progname;
}

void
aas_setprogname(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	progname = p != NULL ? p + 1 : argv0;
}

void
aas_secret_add(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) < 4)
		return;
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0)
			return;
	secrets = aas_xreallocarray(secrets, nsecrets + 1, sizeof(*secrets));
	secrets[nsecrets++] = aas_xstrdup(s);
}

char *
aas_redact(const char *src)
{
	struct aas_buf b = AAS_BUF_INIT;
	const char *p = src;
	size_t i, best;
	const char *hit, *first;

	for (;;) {
		first = NULL;
		best = 0;
		for (i = 0; i < nsecrets; i++) {
			hit = strstr(p, secrets[i]);
			if (hit != NULL && (first == NULL || hit < first)) {
				first = hit;
				best = strlen(secrets[i]);
			}
		}
		if (first == NULL)
			break;
		aas_buf_add(&b, p, first - p);
		aas_buf_adds(&b, "[redacted]");
		p = first + best;
	}
	aas_buf_adds(&b, p);
	return aas_buf_detach(&b, NULL);
}

int
aas_redact_hit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < nsecrets; i++)
		if (memmem(s, n, secrets[i], strlen(secrets[i])) != NULL)
			return 1;
	return 0;
}

void
aas_vmsg(const char *fmt, va_list ap)
{
	char *line, *clean;

	line = vformat(fmt, ap);
	clean = aas_redact(line);
	if (msg_before != NULL)
		msg_before();
	fprintf(stderr, "%s: %s\n", progname, clean);
	if (msg_after != NULL)
		msg_after();
	free(clean);
	free(line);
}

void
aas_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	aas_vmsg(fmt, ap);
	va_end(ap);
}

void
aas_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	aas_msg("%s: %s", s, strerror(saved));
	free(s);
}

int
aas_progress_enabled(void)
{
	return aas_verbose || isatty(STDERR_FILENO);
}

static void
oom(void)
{
	static const char m[] = "aas: out of memory\n";

	(void)!write(STDERR_FILENO, m, sizeof(m) - 1);
	abort();
}

void *
aas_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
aas_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
aas_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
aas_xreallocarray(void *p, size_t n, size_t m)
{
	if (m != 0 && n > SIZE_MAX / m)
		oom();
	return aas_xrealloc(p, n * m);
}

char *
aas_xstrdup(const char *s)
{
	return aas_xstrndup(s, strlen(s));
}

char *
aas_xstrndup(const char *s, size_t n)
{
	char *p = aas_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
aas_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	return s;
}

void
aas_buf_grow(struct aas_buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		oom();
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	b->s = aas_xrealloc(b->s, b->cap);
}

void
aas_buf_add(struct aas_buf *b, const void *p, size_t n)
{
	aas_buf_grow(b, n);
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
aas_buf_adds(struct aas_buf *b, const char *s)
{
	aas_buf_add(b, s, strlen(s));
}

void
aas_buf_addc(struct aas_buf *b, int c)
{
	char ch = (char)c;

	aas_buf_add(b, &ch, 1);
}

void
aas_buf_printf(struct aas_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	aas_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
aas_buf_reset(struct aas_buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

char *
aas_buf_detach(struct aas_buf *b, size_t *lenp)
{
	char *s;

	if (b->s == NULL)
		aas_buf_grow(b, 0), b->s[0] = '\0';
	s = b->s;
	if (lenp != NULL)
		*lenp = b->len;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
aas_buf_free(struct aas_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

size_t
aas_lead_len(const char *s, size_t n, const char *const *list)
{
	size_t k;

	for (; *list != NULL; list++) {
		k = strlen(*list);
		if (n > k && memcmp(s, *list, k) == 0)
			return k;
	}
	return 0;
}

int
aas_read_file(const char *path, char **datap, size_t *lenp, struct aas_err *e)
{
	struct aas_buf b = AAS_BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return aas_err_set(e, "io", "%s: %s", path, strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int saved = errno;

			close(fd);
			aas_buf_free(&b);
			return aas_err_set(e, "io", "%s: %s", path,
			    strerror(saved));
		}
		if (n == 0)
			break;
		aas_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	*datap = aas_buf_detach(&b, lenp);
	return 0;
}

int
aas_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
aas_fsync_dir_of(const char *path)
{
	char *copy = aas_xstrdup(path);
	int fd, rc = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fsync(fd) == -1)
		rc = -1;
	if (fd != -1)
		close(fd);
	free(copy);
	return rc;
}

int
aas_write_atomic(const char *path, const void *data, size_t len, int mode,
    struct aas_err *e)
{
	return aas_write_atomic_if(path, data, len, mode, NULL, NULL, e);
}

struct atomic_data {
	const void *data;
	size_t	 len;
};

static int
write_data(int fd, void *arg)
{
	struct atomic_data *d = arg;

	return aas_write_all(fd, d->data, d->len);
}

int
aas_write_atomic_if(const char *path, const void *data, size_t len, int mode,
    int (*ok)(void *), void *arg, struct aas_err *e)
{
	struct atomic_data d = { data, len };

	return aas_write_atomic_fill(path, mode, write_data, &d, ok, arg, e);
}

int
aas_write_atomic_fill(const char *path, int mode, int (*fill)(int, void *),
    void *farg, int (*ok)(void *), void *arg, struct aas_err *e)
{
	struct stat st;
	char *tmp;
	int fd, saved;

	if (mode < 0)
		mode = stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : 0644;
	tmp = aas_xasprintf("%s.tmp.XXXXXX", path);
	/* The temporary file is in the target's folder, so rename is atomic;
	 * close-on-exec, so a child started meanwhile cannot hold it. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		saved = errno;
		free(tmp);
		return aas_err_set(e, "io", "%s: cannot create temporary file: "
		    "%s", path, strerror(saved));
	}
	if (fchmod(fd, (mode_t)mode) == -1 || fill(fd, farg) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		return aas_err_set(e, "io", "%s: %s", path, strerror(saved));
	}
	if (close(fd) == -1) {
		saved = errno;
		unlink(tmp);
		free(tmp);
		return aas_err_set(e, "io", "%s: %s", path, strerror(saved));
	}
	if (ok != NULL && ok(arg) != 0) {
		unlink(tmp);
		free(tmp);
		return 1;
	}
	if (rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		free(tmp);
		return aas_err_set(e, "io", "%s: %s", path, strerror(saved));
	}
	free(tmp);
	if (aas_fsync_dir_of(path) == -1)
		return aas_err_set(e, "io", "%s: fsync of folder: %s", path,
		    strerror(errno));
	return 0;
}

int
aas_mkdirs(const char *path, int mode, struct aas_err *e)
{
	char *p = aas_xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, (mode_t)mode) == -1 && errno != EEXIST) {
				rc = aas_err_set(e, "io", "%s: %s", p,
				    strerror(errno));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int
aas_rmtree(const char *path, struct aas_err *e)
{
	struct stat st;

	if (lstat(path, &st) == -1 && errno == ENOENT)
		return 0;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		return aas_err_set(e, "io", "%s: cannot remove: %s", path,
		    strerror(errno));
	return 0;
}

int64_t
aas_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
aas_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
aas_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	git_libgit2_init();
}

void
aas_fini(void)
{
	size_t i;

	git_libgit2_shutdown();
	curl_global_cleanup();
	for (i = 0; i < nsecrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
}

static void
on_stop(int sig)
{
	aas_stop_signal = sig;
	aas_stop_flag = 1;
}

int
aas_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void
aas_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
}

void
aas_print_version(void)
{
	printf("%s %s\n", progname, AAS_VERSION);
}

void
aas_print_usage(int tostderr, const char *usage)
{
	FILE *f = tostderr ? stderr : stdout;
	const char *p = usage, *nl;
	int first = 1;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		fprintf(f, "%s %s %.*s\n", first ? "usage:" : "      ",
		    progname, (int)(nl - p), p);
		first = 0;
		p = *nl ? nl + 1 : nl;
	}
}
