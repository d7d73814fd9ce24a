/*
 * aas.h: what every aas command and library module needs.
 *
 * The library never exits and never writes to stdout.  Functions that can
 * fail return -1 (or NULL) and fill a caller-supplied struct aas_err with a
 * short machine code (the same string a record's error.code carries) and a
 * human message.  Allocation failure is the one exception: aas_xmalloc and
 * friends print "out of memory" and abort.
 */
#ifndef AAS_H
#define AAS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define AAS_VERSION "0.1.0"

/* Exit statuses, DESIGN.md section 5. */
enum aas_exit {
	AAS_EXIT_OK = 0,	/* every record done */
	AAS_EXIT_RECORD = 1,	/* at least one record errored; all written */
	AAS_EXIT_USAGE = 2,	/* usage or configuration error; nothing done */
	AAS_EXIT_FATAL = 3,	/* fatal after output began; output is whole */
	AAS_EXIT_STOPPED = 75	/* stopped early, safe to re-run */
};

/* An error value filled by library calls.  code is a short token such as
 * "bad_json" or "path_escape"; msg is one lowercase line with no period. */
struct aas_err {
	char	code[32];
	char	msg[1024];
};

/* Fill e (which may be NULL) and return -1. */
int	aas_err_set(struct aas_err *e, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Prefix e->msg with "<prefix>: ", e.g. a file name or a task id. */
void	aas_err_prefix(struct aas_err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Messages on stderr: "<progname>: <message>".  aas_warn appends
 * ": strerror(errno)".  Every registered secret is replaced by "[redacted]"
 * before a line is written, so callers need not care.
 */
void	aas_setprogname(const char *argv0);
const char *aas_getprogname(void);
void	aas_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	aas_vmsg(const char *fmt, va_list ap);
void	aas_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Called right before and right after each message line is written (the
 * progress line, progress.h, clears itself and comes back); NULL: none. */
void	aas_msg_hook(void (*before)(void), void (*after)(void));
/* Register a string (an API key, a webhook URL) that must never be printed.
 * The string is copied.  Strings shorter than 4 bytes are ignored. */
void	aas_secret_add(const char *s);
/* Copy src into a new string with every secret replaced; caller frees. */
char	*aas_redact(const char *src);
/* 1 when s[0..n) holds a registered secret, else 0 (no copy made). */
int	aas_redact_hit(const char *s, size_t n);
/* -q sets this; per-record messages are then suppressed. */
extern int aas_quiet;
/* -v sets this; progress and traces are printed even off a terminal. */
extern int aas_verbose;
/* True when progress lines should be printed (stderr is a tty, or -v). */
int	aas_progress_enabled(void);

/* Allocation that cannot fail (it aborts with a message instead). */
void	*aas_xmalloc(size_t n);
void	*aas_xcalloc(size_t n, size_t m);
void	*aas_xrealloc(void *p, size_t n);
void	*aas_xreallocarray(void *p, size_t n, size_t m);
char	*aas_xstrdup(const char *s);
char	*aas_xstrndup(const char *s, size_t n);
char	*aas_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The length of the first string of list (NULL-terminated) that the n
 * bytes at s begin with and go on past, or 0 when none does. */
size_t	aas_lead_len(const char *s, size_t n, const char *const *list);

/* A growable byte buffer, always NUL-terminated.  Zero-initialise it, or
 * use AAS_BUF_INIT; release with aas_buf_free. */
struct aas_buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};
#define AAS_BUF_INIT { NULL, 0, 0 }
void	aas_buf_grow(struct aas_buf *b, size_t extra);
void	aas_buf_add(struct aas_buf *b, const void *p, size_t n);
void	aas_buf_adds(struct aas_buf *b, const char *s);
void	aas_buf_addc(struct aas_buf *b, int c);
void	aas_buf_printf(struct aas_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	aas_buf_reset(struct aas_buf *b);
/* Hand the string to the caller (who frees it) and reset b. */
char	*aas_buf_detach(struct aas_buf *b, size_t *lenp);
void	aas_buf_free(struct aas_buf *b);

/* Read a whole file.  The result is NUL-terminated (the length excludes
 * the NUL); the caller frees it.  -1 with e set ("io") on failure. */
int	aas_read_file(const char *path, char **datap, size_t *lenp,
	    struct aas_err *e);
/* fsync(2) the folder holding path, so a rename into it lasts: 0, or -1
 * with errno set. */
int	aas_fsync_dir_of(const char *path);
/*
 * Replace path atomically: write a temporary file in the same directory,
 * fsync it, rename it over path, fsync the directory.  mode is applied to
 * the new file (pass -1 to keep the old file's mode, or 0644 if none).
 * A crash leaves either the old or the new contents.
 */
int	aas_write_atomic(const char *path, const void *data, size_t len,
	    int mode, struct aas_err *e);
/* The same with a last look: right before the rename ok(arg) is called,
 * and unless it returns 0 the temporary file is removed and 1 returned
 * with nothing written (the board uses it to see whether the file changed
 * underneath). */
int	aas_write_atomic_if(const char *path, const void *data, size_t len,
	    int mode, int (*ok)(void *arg), void *arg, struct aas_err *e);
/* The same with the contents written by fill(fd, farg) into the
 * temporary file (0, or -1 with errno set), for a writer that streams. */
int	aas_write_atomic_fill(const char *path, int mode,
	    int (*fill)(int fd, void *farg), void *farg, int (*ok)(void *arg),
	    void *arg, struct aas_err *e);
/* Write all len bytes of data to fd, again after EINTR and short writes;
 * 0, or -1 with errno set. */
int	aas_write_all(int fd, const void *data, size_t len);
/* mkdir -p; 0 or -1 with e set. */
int	aas_mkdirs(const char *path, int mode, struct aas_err *e);

/* rm -rf: remove path and everything below it, not following symbolic
 * links.  A missing path is not an error. */
int	aas_rmtree(const char *path, struct aas_err *e);

/* SHA-256 of data as 64 lowercase hex digits plus NUL in out. */
void	aas_sha256_hex(const void *data, size_t len, char out[65]);
/* The same as 32 raw bytes. */
void	aas_sha256(const void *data, size_t len, unsigned char out[32]);

/* Milliseconds of CLOCK_MONOTONIC, for timing: not the time of day, only
 * the difference of two calls means anything. */
int64_t	aas_now_ms(void);
/* Milliseconds since the Unix epoch (CLOCK_REALTIME): the time of day, to
 * compare with times a server sends (Retry-After dates, rate-limit resets). */
int64_t	aas_unix_ms(void);

/*
 * Library-wide setup: curl_global_init, git_libgit2_init.  Call once at
 * the start of main and aas_fini at the end.
 */
void	aas_init(void);
void	aas_fini(void);

/*
 * Signals.  aas_signals_install makes SIGINT and SIGTERM set aas_stop_flag
 * (and aas_stop_signal); SIGPIPE keeps its default action.
 */
#include <signal.h>
extern volatile sig_atomic_t aas_stop_flag;
/* The signal that set it (0 when none did). */
extern volatile sig_atomic_t aas_stop_signal;
void	aas_signals_install(void);
/* pthread_create(th, NULL, fn, arg) for a thread that takes no signal:
 * they stay the caller's thread's (whose reads and waits they
 * interrupt).  pthread_create's return. */
#include <pthread.h>
int	aas_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

/* Standard handling of --version and the usage lines.  usage is the text
 * after "usage: "; several lines separated by "\n". */
void	aas_print_version(void);
void	aas_print_usage(int tostderr, const char *usage);

#endif
