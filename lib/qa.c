/* qa.c: configured and built-in checks, run in a scratch worktree. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "aas.h"
#include "config.h"
#include "qa.h"
#include "record.h"
#include "child.h"
#include "banned.h"

#define TIMEOUT_DEFAULT_MS	300000
#define TAIL_LINES_DEFAULT	40
#define GRACE_DEFAULT_MS	5000
#define BUILTIN_TIMEOUT_MS	120000
#define SYNTAX_FILE_MAX		(16 * 1024 * 1024)
/* Output of the C check kept whole, so every header it names is seen. */
#define CC_OUTPUT_MAX		(4 * 1024 * 1024)

/* The sandbox: no network, the system read-only, a private /tmp and
 * /run (host sockets live there), the worktree writable; --new-session
 * keeps the terminal out of reach.  Descriptor 3 holds the seccomp
 * program.  A private $HOME and the masked key file are added by
 * aas_qa_sandbox_probe. */
static const char *const sandbox_opts[] = {
	"--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid",
	"--unshare-ipc", "--unshare-uts", "--ro-bind", "/", "/",
	"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
	"--tmpfs", "/run", "--seccomp", "3", NULL
};

/* Secrets aas itself reads never reach a check. */
static char *const env_unset[] = {
	"OPENAI_API_KEY", "ANTHROPIC_API_KEY", NULL
};

int
aas_qa_env_clean(char *argv[])
{
	char self[PATH_MAX];
	ssize_t n;
	size_t i;
	int found = 0;

	for (i = 0; env_unset[i] != NULL; i++) {
		if (getenv(env_unset[i]) != NULL) {
			found = 1;
			unsetenv(env_unset[i]);
		}
	}
	if (!found)
		return 0;
	/* the path, not /proc/self/exe itself, so that a wrapper such as
	 * valgrind, which answers readlink for its client, runs it again */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		execv(self, argv);
	}
	execv("/proc/self/exe", argv);
	return -1;
}

#if defined(__x86_64__)
#define ARCH_NATIVE	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH_NATIVE	AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define ARCH_NATIVE	AUDIT_ARCH_I386
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCH_NATIVE	AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARCH_NATIVE	AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define ARCH_NATIVE	AUDIT_ARCH_S390X
#endif

#ifdef SECCOMP_RET_KILL_PROCESS
#define RET_KILL	SECCOMP_RET_KILL_PROCESS
#else
#define RET_KILL	SECCOMP_RET_KILL
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(n)	(offsetof(struct seccomp_data, args[n]))
#else
#define ARG_LO(n)	(offsetof(struct seccomp_data, args[n]) + 4)
#endif

#define LD(off)		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v)		BPF_STMT(BPF_RET | BPF_K, (v))
#define DENY(err)	RET(SECCOMP_RET_ERRNO | ((err) & SECCOMP_RET_DATA))
/* One self-contained block per rule: a rule that does not match falls
 * through to the next. */
#define REFUSE_NR(num, err) \
	LD(offsetof(struct seccomp_data, nr)), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (num), 0, 1), DENY(err)

#ifdef ARCH_NATIVE
/* AF_UNIX reaches host sockets through any bound folder (connect(2)
 * ignores a read-only mount), and a datagram socket, even one of a
 * socketpair, can sendto(2) any path: both are refused.  Stream
 * socketpairs stay (they connect nowhere; libuv uses them).  io_uring
 * could make sockets past this filter; other architectures' system
 * calls have other numbers. */
static const struct sock_filter sandbox_filter[] = {
	LD(offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NATIVE, 1, 0),
	RET(RET_KILL),
#ifdef __x86_64__
	LD(offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),	/* x32 */
	DENY(ENOSYS),
#endif
	LD(offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 3),
	LD(ARG_LO(0)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
	DENY(EACCES),
	LD(offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socketpair, 0, 4),
	LD(ARG_LO(1)),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_DGRAM, 0, 1),
	DENY(EACCES),
#ifdef __NR_socketcall
	REFUSE_NR(__NR_socketcall, ENOSYS),
#endif
#ifdef __NR_io_uring_setup
	REFUSE_NR(__NR_io_uring_setup, ENOSYS),
#endif
	RET(SECCOMP_RET_ALLOW),
};
#endif

/* A pipe holding the seccomp program, for bwrap --seccomp 3 (one per
 * sandbox: bwrap reads it to the end).  -1 with e set. */
static int
filter_fd(struct aas_err *e)
{
#ifdef ARCH_NATIVE
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return aas_err_set(e, "sandbox", "pipe: %s", strerror(errno));
	/* far below PIPE_BUF: one write, never blocks */
	if (write(p[1], sandbox_filter, sizeof(sandbox_filter)) !=
	    (ssize_t)sizeof(sandbox_filter)) {
		aas_err_set(e, "sandbox", "pipe: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
#else
	return aas_err_set(e, "sandbox", "--sandbox: no socket filter for "
	    "this architecture");
#endif
}

static void
free_list(char **l)
{
	size_t i;

	for (i = 0; l != NULL && l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

void
aas_qa_conf_free(struct aas_qa_conf *qc)
{
	size_t i;

	for (i = 0; i < qc->nchecks; i++) {
		free(qc->checks[i].name);
		free(qc->checks[i].run);
		free_list(qc->checks[i].argv);
		free_list(qc->checks[i].when);
	}
	free(qc->checks);
	free(qc->bwrap);
	free_list(qc->sandbox);
	free(qc->key_file);
	memset(qc, 0, sizeof(*qc));
}

static int
bad(const struct aas_config *cf, const char *path, const char *want,
    struct aas_err *e)
{
	return aas_err_set(e, "config", "%s: %s: %s",
	    aas_config_where(cf, path), path, want);
}

/* A string or a list of strings (non-empty with nonempty) as a list. */
static int
str_list(const struct aas_config *cf, const char *path, json_t *v,
    int nonempty, char ***out, struct aas_err *e)
{
	json_t *x;
	size_t i;
	char **l;

	if (json_is_string(v)) {
		l = aas_xcalloc(2, sizeof(*l));
		l[0] = aas_xstrdup(json_string_value(v));
		*out = l;
		return 0;
	}
	if (!json_is_array(v) || (nonempty && json_array_size(v) == 0))
		return bad(cf, path, nonempty ? "expected a non-empty list "
		    "of strings" : "expected a list of strings", e);
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return bad(cf, path, "expected a list of strings", e);
	l = aas_xcalloc(json_array_size(v) + 1, sizeof(*l));
	json_array_foreach(v, i, x)
		l[i] = aas_xstrdup(json_string_value(x));
	*out = l;
	return 0;
}

static int
load_check(const struct aas_config *cf, size_t i, json_t *c,
    struct aas_qa_check *k, struct aas_err *e)
{
	char *p = aas_xasprintf("qa.checks.%zu", i), *q = NULL;
	json_t *v;
	const char *key;
	int rc = -1;

	k->timeout_ms = TIMEOUT_DEFAULT_MS;
	k->required = 1;
	if (!json_is_object(c)) {
		bad(cf, p, "expected a mapping (name, run or argv, ...)", e);
		goto out;
	}
	json_object_foreach(c, key, v) {
		free(q);
		q = aas_xasprintf("%s.%s", p, key);
		if (strcmp(key, "name") == 0) {
			if (!json_is_string(v) || *json_string_value(v) == '\0') {
				bad(cf, q, "expected a name", e);
				goto out;
			}
			k->name = aas_xstrdup(json_string_value(v));
		} else if (strcmp(key, "run") == 0) {
			if (!json_is_string(v) || *json_string_value(v) == '\0') {
				bad(cf, q, "expected a command", e);
				goto out;
			}
			k->run = aas_xstrdup(json_string_value(v));
		} else if (strcmp(key, "argv") == 0) {
			if (json_is_string(v) || str_list(cf, q, v, 1, &k->argv,
			    e) == -1) {
				bad(cf, q, "expected a non-empty list of "
				    "strings", e);
				goto out;
			}
		} else if (strcmp(key, "timeout") == 0) {
			if (!json_is_number(v) || json_number_value(v) <= 0 ||
			    json_number_value(v) > 31536000) {
				bad(cf, q, "expected seconds, more than 0", e);
				goto out;
			}
			k->timeout_ms = (int64_t)(json_number_value(v) * 1000);
			if (k->timeout_ms < 1)
				k->timeout_ms = 1;
		} else if (strcmp(key, "when") == 0) {
			if (str_list(cf, q, v, 0, &k->when, e) == -1)
				goto out;
		} else if (strcmp(key, "required") == 0) {
			if (!json_is_boolean(v)) {
				bad(cf, q, "expected true or false", e);
				goto out;
			}
			k->required = json_is_true(v);
		} else if (strcmp(key, "fail_to_pass") == 0) {
			if (!json_is_boolean(v)) {
				bad(cf, q, "expected true or false", e);
				goto out;
			}
			k->fail_to_pass = json_is_true(v);
		} else {
			bad(cf, q, "unknown key", e);
			goto out;
		}
	}
	if (k->name == NULL)
		bad(cf, p, "a check needs a name", e);
	else if ((k->run == NULL) == (k->argv == NULL))
		bad(cf, p, "a check needs either run or argv", e);
	else
		rc = 0;
out:
	free(p);
	free(q);
	return rc;
}

static int
conf_count(const struct aas_config *cf, const char *path, double min,
    double max, double *out, struct aas_err *e)
{
	int r = aas_config_num(cf, path, out, e);

	if (r == 0 && (*out < min || *out > max))
		return aas_err_set(e, "config", "%s: %s: expected a number "
		    "from %g to %g", aas_config_where(cf, path), path, min,
		    max);
	return r;
}

int
aas_qa_conf_load(struct aas_qa_conf *qc, const struct aas_config *cf,
    struct aas_err *e)
{
	json_t *checks, *c;
	const char *kf = NULL;
	double d;
	size_t i;
	int r;

	memset(qc, 0, sizeof(*qc));
	qc->builtin = 1;
	qc->output_cap = AAS_SPAWN_CAP_DEFAULT;
	qc->tail_lines = TAIL_LINES_DEFAULT;
	qc->grace_ms = GRACE_DEFAULT_MS;
	qc->builtin_timeout_ms = BUILTIN_TIMEOUT_MS;
	if ((r = aas_config_bool(cf, "qa.builtin", &qc->builtin, e)) == -1)
		return -1;
	if ((r = conf_count(cf, "qa.output_cap", 256, 1 << 30, &d, e)) == -1)
		return -1;
	if (r == 0)
		qc->output_cap = (size_t)d;
	if ((r = conf_count(cf, "qa.tail_lines", 1, 100000, &d, e)) == -1)
		return -1;
	if (r == 0)
		qc->tail_lines = (size_t)d;
	if ((r = conf_count(cf, "qa.kill_grace", 0.1, 3600, &d, e)) == -1)
		return -1;
	if (r == 0)
		qc->grace_ms = (int64_t)(d * 1000);
	checks = aas_config_get(cf, "qa.checks");
	if (checks != NULL && !json_is_null(checks)) {
		if (!json_is_array(checks))
			return bad(cf, "qa.checks", "expected a list of checks",
			    e);
		qc->checks = aas_xcalloc(json_array_size(checks) + 1,
		    sizeof(*qc->checks));
		json_array_foreach(checks, i, c) {
			qc->nchecks++;
			if (load_check(cf, i, c, &qc->checks[i], e) == -1) {
				aas_qa_conf_free(qc);
				return -1;
			}
		}
	}
	if (aas_config_str(cf, "key_file", &kf, NULL) == 0 && kf != NULL &&
	    *kf != '\0')
		qc->key_file = aas_xstrdup(kf);
	return 0;
}

/* bwrap's options: the fixed ones, then a private $HOME and the key file
 * masked (both after the private /tmp, which may hold them). */
static char **
sandbox_list(const struct aas_qa_conf *qc)
{
	const char *home = getenv("HOME");
	char **l, *real;
	size_t n = 0, i;

	l = aas_xcalloc(sizeof(sandbox_opts) / sizeof(sandbox_opts[0]) + 8,
	    sizeof(*l));
	for (i = 0; sandbox_opts[i] != NULL; i++)
		l[n++] = aas_xstrdup(sandbox_opts[i]);
	if (home != NULL && *home == '/' && (real = realpath(home, NULL)) !=
	    NULL) {
		if (strcmp(real, "/") != 0) {
			l[n++] = aas_xstrdup("--tmpfs");
			l[n++] = real;
		} else
			free(real);
	}
	if (qc->key_file != NULL && (real = realpath(qc->key_file, NULL)) !=
	    NULL) {
		l[n++] = aas_xstrdup("--ro-bind");
		l[n++] = aas_xstrdup("/dev/null");
		l[n++] = real;
	}
	l[n] = NULL;
	return l;
}

int
aas_qa_sandbox_probe(struct aas_qa_conf *qc, struct aas_err *e)
{
	struct aas_spawn sp;
	struct aas_spawn_res r;
	char *argv[40], **opts, *w, *tail, *nl;
	size_t i, n = 0;
	int fd;

	if ((w = aas_spawn_which("bwrap")) == NULL)
		return aas_err_set(e, "sandbox", "--sandbox: bwrap not found "
		    "on PATH (install bubblewrap)");
	if ((fd = filter_fd(e)) == -1) {
		free(w);
		return -1;
	}
	opts = sandbox_list(qc);
	argv[n++] = w;
	for (i = 0; opts[i] != NULL; i++)
		argv[n++] = opts[i];
	argv[n++] = "--";
	argv[n++] = "true";
	argv[n] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout_ms = 30000;
	sp.cap = 4096;
	sp.pass_fd = fd;
	if (aas_spawn_run(&sp, &r, e) == -1) {
		close(fd);
		free_list(opts);
		free(w);
		return -1;
	}
	close(fd);
	if (r.exit != 0) {
		tail = aas_qa_tail(r.out, r.outlen, 1);
		if ((nl = strchr(tail, '\n')) != NULL)
			*nl = '\0';
		aas_err_set(e, "sandbox", "--sandbox: %s cannot make the "
		    "sandbox here: %s", w, *tail != '\0' ? tail :
		    r.sig != 0 ? strsignal(r.sig) : "it failed");
		free(tail);
		aas_spawn_res_free(&r);
		free_list(opts);
		free(w);
		return -1;
	}
	aas_spawn_res_free(&r);
	free(qc->bwrap);
	qc->bwrap = w;
	free_list(qc->sandbox);
	qc->sandbox = opts;
	return 0;
}

int
aas_qa_glob_match(const char *pattern, const char *path)
{
	const char *base = strrchr(path, '/');

	if (fnmatch(pattern, path, 0) == 0)
		return 1;
	return strchr(pattern, '/') == NULL && base != NULL &&
	    fnmatch(pattern, base + 1, 0) == 0;
}

static const struct {
	const char *ext, *lang;
} langs[] = {
	{ ".c", "c" }, { ".h", "c" },
	{ ".py", "python" },
	{ ".sh", "sh" },
	{ ".js", "js" }, { ".mjs", "js" }, { ".cjs", "js" },
	{ ".json", "json" },
	{ ".yml", "yaml" }, { ".yaml", "yaml" },
};

const char *
aas_qa_lang(const char *path)
{
	size_t i, n = strlen(path), k;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		k = strlen(langs[i].ext);
		if (n > k && strcmp(path + n - k, langs[i].ext) == 0 &&
		    path[n - k - 1] != '/')
			return langs[i].lang;
	}
	return NULL;
}

unsigned
aas_qa_shard(const char *id, unsigned n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)(id != NULL ? id : ""); *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return (unsigned)(h % n) + 1;
}

char *
aas_qa_tail(const char *s, size_t n, size_t lines)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t i, start = 0, seen = 0;

	/* a final newline does not start a line */
	for (i = n; i > 0; i--) {
		if (s[i - 1] == '\n' && i != n && ++seen == lines) {
			start = i;
			break;
		}
	}
	/* a cut inside a character: drop its continuation bytes */
	while (start < n && ((unsigned char)s[start] & 0xc0) == 0x80)
		start++;
	aas_utf8_lossy(&b, s + start, n - start, '?');
	if (b.s == NULL)
		return aas_xstrdup("");
	return aas_buf_detach(&b, NULL);
}

/* Per-task environment, "NAME=value" strings. */
static char **
task_env(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    const char *check)
{
	struct aas_buf files = AAS_BUF_INIT;
	char **env = aas_xcalloc(16, sizeof(*env)), *parent, *slash;
	size_t i, n = 0;

	for (i = 0; i < t->nfiles; i++) {
		aas_buf_adds(&files, t->files[i]);
		aas_buf_addc(&files, '\n');
	}
	env[n++] = aas_xasprintf("AAS_ID=%s", t->id != NULL ? t->id : "");
	env[n++] = aas_xasprintf("AAS_TITLE=%s",
	    t->title != NULL ? t->title : "");
	env[n++] = aas_xasprintf("AAS_REPO=%s", t->repo);
	env[n++] = aas_xasprintf("AAS_BASE=%s", t->base != NULL ? t->base :
	    "");
	env[n++] = aas_xasprintf("AAS_BRANCH=%s",
	    t->branch != NULL ? t->branch : "");
	env[n++] = aas_xasprintf("AAS_COMMIT=%s", t->commit);
	env[n++] = aas_xasprintf("AAS_WORKTREE=%s", t->worktree);
	env[n++] = aas_xasprintf("AAS_FILES=%s", files.s != NULL ? files.s :
	    "");
	env[n++] = aas_xasprintf("AAS_CHECK=%s", check);
	/* git in a check must not find the user's repository above the
	 * worktree (it lives under .aas/ there). */
	parent = aas_xstrdup(t->worktree);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent)
		*slash = '\0';
	env[n++] = aas_xasprintf("GIT_CEILING_DIRECTORIES=%s", parent);
	free(parent);
	if (qc->bwrap != NULL)
		env[n++] = aas_xstrdup("TMPDIR=/tmp");
	env[n] = NULL;
	aas_buf_free(&files);
	return env;
}

static char **
wrap_argv(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    char *const *argv)
{
	size_t n = 0, i, k = 0;
	char **a;

	while (argv[n] != NULL)
		n++;
	for (i = 0; qc->sandbox != NULL && qc->sandbox[i] != NULL; i++)
		;
	a = aas_xcalloc(n + i + 8, sizeof(*a));
	if (qc->bwrap != NULL) {
		a[k++] = qc->bwrap;
		for (i = 0; qc->sandbox[i] != NULL; i++)
			a[k++] = qc->sandbox[i];
		a[k++] = "--bind";
		a[k++] = (char *)t->worktree;
		a[k++] = (char *)t->worktree;
		a[k++] = "--chdir";
		a[k++] = (char *)t->worktree;
		a[k++] = "--";
	}
	for (i = 0; i < n; i++)
		a[k++] = argv[i];
	a[k] = NULL;
	return a;
}

static void
set_num(json_t *o, const char *k, long long v)
{
	json_object_set_new(o, k, json_integer(v));
}

/* Is the header cc named (relative to the worktree) inside the worktree
 * or under /usr, once links are followed? */
static int
header_allowed(const char *wt_real, const char *name, const char *wt)
{
	char *full, *real;
	size_t n = strlen(wt_real);
	int good;

	full = *name == '/' ? aas_xstrdup(name) : aas_xasprintf("%s/%s", wt,
	    name);
	real = realpath(full, NULL);
	free(full);
	good = real != NULL && ((strncmp(real, wt_real, n) == 0 &&
	    real[n] == '/') || strncmp(real, "/usr/", 5) == 0);
	free(real);
	return good;
}

/*
 * The C check runs cc -H, which names every header it opens (". path",
 * one dot per level) before reading past it.  A header outside the
 * worktree and /usr (an absolute or climbing #include, a computed one, a
 * link in the tree) could put a host file's lines into the diagnostics:
 * then the whole output is withheld and the check fails.  Otherwise the
 * header lines and cc's "Multiple include guards" lists are dropped and
 * the rest is the tail.  Returns 0, or -1 when the output was withheld
 * (*clean then holds the reason).
 */
static int
cc_vet(const struct aas_qa_task *t, const char *out, size_t len,
    int whole, struct aas_buf *clean)
{
	static const char guards[] = "Multiple include guards may be useful "
	    "for:";
	char **names = NULL, *wt_real, *line;
	const char *p, *end = out + len, *nl, *q, *next;
	size_t nnames = 0, i, n;
	int in_guards = 0, rc = 0, known;

	if (!whole) {
		aas_buf_printf(clean, "compiler output over %d MiB: withheld\n",
		    CC_OUTPUT_MAX >> 20);
		return -1;
	}
	if ((wt_real = realpath(t->worktree, NULL)) == NULL)
		wt_real = aas_xstrdup(t->worktree);
	for (p = out; p < end; p = next) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		next = nl < end ? nl + 1 : end;
		n = (size_t)(nl - p);
		for (q = p; q < nl && *q == '.'; q++)
			;
		if (q > p && q < nl && *q == ' ' && q + 1 < nl) {
			line = aas_xstrndup(q + 1, (size_t)(nl - q - 1));
			if (!header_allowed(wt_real, line, t->worktree)) {
				aas_buf_reset(clean);
				aas_buf_printf(clean, "a header outside the "
				    "worktree and /usr was included: %s: "
				    "compiler output withheld\n", line);
				free(line);
				rc = -1;
				break;
			}
			names = aas_xreallocarray(names, nnames + 1,
			    sizeof(*names));
			names[nnames++] = line;
			in_guards = 0;
			continue;
		}
		if (n == sizeof(guards) - 1 && memcmp(p, guards, n) == 0) {
			in_guards = 1;
			continue;
		}
		if (in_guards) {
			known = 0;
			for (i = 0; i < nnames && !known; i++)
				known = strlen(names[i]) == n &&
				    memcmp(names[i], p, n) == 0;
			if (known)
				continue;
			in_guards = 0;
		}
		aas_buf_add(clean, p, n);
		if (nl < end)
			aas_buf_addc(clean, '\n');
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(wt_real);
	return rc;
}

/* Run one external check; fill c.  With cc set, the output is vetted
 * (cc_vet) and the memory limited.  Returns 1 when canceled. */
static int
run_one(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    const char *name, char *const *argv, int64_t timeout_ms,
    atomic_int *cancel, int cc, json_t *c)
{
	struct aas_buf clean = AAS_BUF_INIT;
	struct aas_spawn sp;
	struct aas_spawn_res r;
	struct aas_err e;
	char **env, **a, *tail;
	int canceled, fd = -1, good;

	memset(&e, 0, sizeof(e));
	env = task_env(qc, t, name);
	a = wrap_argv(qc, t, argv);
	memset(&sp, 0, sizeof(sp));
	sp.argv = a;
	sp.cwd = t->worktree;
	sp.env_set = env;
	sp.env_unset = env_unset;
	sp.timeout_ms = timeout_ms;
	sp.grace_ms = qc->grace_ms;
	sp.cap = cc ? CC_OUTPUT_MAX : qc->output_cap;
	sp.cancel = cancel;
	if (cc)
		sp.mem_limit = AAS_QA_CC_MEM_MAX;
	if ((qc->bwrap != NULL && (fd = sp.pass_fd = filter_fd(&e)) == -1) ||
	    aas_spawn_run(&sp, &r, &e) == -1) {
		/* as a shell reports a missing program */
		json_object_set_new(c, "ok", json_false());
		set_num(c, "exit", 127);
		set_num(c, "signal", 0);
		set_num(c, "ms", 0);
		set_num(c, "bytes", 0);
		json_object_set_new(c, "tail", json_string(e.msg));
		if (fd != -1)
			close(fd);
		free(a);
		free_list(env);
		return 0;
	}
	if (fd != -1)
		close(fd);
	good = r.exit == 0 && !r.timed_out && !r.canceled;
	if (cc) {
		if (cc_vet(t, r.out, r.outlen, r.outlen == r.total, &clean) ==
		    -1) {
			good = 0;
			if (r.exit == 0)
				r.exit = 1;
		}
		tail = aas_qa_tail(clean.s != NULL ? clean.s : "", clean.len,
		    qc->tail_lines);
	} else
		tail = aas_qa_tail(r.out, r.outlen, qc->tail_lines);
	json_object_set_new(c, "ok", json_boolean(good));
	if (r.exit >= 0)
		set_num(c, "exit", r.exit);
	else
		json_object_set_new(c, "exit", json_null());
	set_num(c, "signal", r.sig);
	set_num(c, "ms", r.ms);
	set_num(c, "bytes", (long long)r.total);
	if (r.timed_out)
		json_object_set_new(c, "timeout", json_true());
	json_object_set_new(c, "tail", json_string(tail));
	canceled = r.canceled;
	free(tail);
	aas_buf_free(&clean);
	aas_spawn_res_free(&r);
	free(a);
	free_list(env);
	return canceled;
}

static char *
join_argv(char *const *argv)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			aas_buf_addc(&b, ' ');
		aas_buf_adds(&b, argv[i]);
	}
	return aas_buf_detach(&b, NULL);
}

/* Read a changed file of the worktree (a regular file, not through a
 * link); NULL with why set otherwise. */
static char *
read_changed(const struct aas_qa_task *t, const char *path, size_t *lenp,
    char *why, size_t whylen)
{
	struct aas_buf b = AAS_BUF_INIT;
	char *full = aas_xasprintf("%s/%s", t->worktree, path), chunk[8192];
	struct stat sb;
	ssize_t n;
	int fd;

	fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(full);
	if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > SYNTAX_FILE_MAX) {
		snprintf(why, whylen, "%s", fd == -1 ? strerror(errno) :
		    "not a regular file of at most 16 MiB");
		if (fd != -1)
			close(fd);
		return NULL;
	}
	/* a read error is not an end of file: half a file is no syntax
	 * verdict */
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || b.len + (size_t)n > SYNTAX_FILE_MAX) {
			snprintf(why, whylen, "%s", n == -1 ? strerror(errno) :
			    "not a regular file of at most 16 MiB");
			close(fd);
			aas_buf_free(&b);
			return NULL;
		}
		aas_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (b.s == NULL)
		aas_buf_adds(&b, "");
	return aas_buf_detach(&b, lenp);
}

/* Events between looks at the clock and the cancel flag. */
#define INPROC_TICK	1024

struct inproc {
	int64_t			 deadline;
	atomic_int		*cancel;
	int			 timed_out, canceled;
};

/* Time and cancel: 1 when the check must stop now. */
static int
inproc_stop(struct inproc *ip)
{
	if (ip->cancel != NULL && *ip->cancel)
		ip->canceled = 1;
	else if (ip->deadline > 0 && aas_now_ms() >= ip->deadline)
		ip->timed_out = 1;
	return ip->canceled || ip->timed_out;
}

/* Parse every document; nesting past AAS_QA_YAML_DEPTH_MAX is refused
 * (libyaml's scanner is quadratic in it).  -1 on a bad file, -2 when
 * stopped. */
static int
yaml_check(const char *text, size_t len, const char *path,
    struct aas_buf *out, struct inproc *ip)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t depth = 0, nev = 0;
	int done = 0, rc = 0;

	if (!yaml_parser_initialize(&p)) {
		aas_buf_printf(out, "%s: cannot start the YAML parser\n", path);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (++nev % INPROC_TICK == 0 && inproc_stop(ip)) {
			rc = -2;
			break;
		}
		if (!yaml_parser_parse(&p, &ev)) {
			aas_buf_printf(out, "%s:%zu:%zu: %s%s%s\n", path,
			    p.problem_mark.line + 1, p.problem_mark.column + 1,
			    p.problem != NULL ? p.problem : "syntax error",
			    p.context != NULL ? " " : "",
			    p.context != NULL ? p.context : "");
			rc = -1;
			break;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > AAS_QA_YAML_DEPTH_MAX) {
				aas_buf_printf(out, "%s:%zu:%zu: nesting deeper "
				    "than %d levels\n", path,
				    ev.start_mark.line + 1,
				    ev.start_mark.column + 1,
				    AAS_QA_YAML_DEPTH_MAX);
				yaml_event_delete(&ev);
				rc = -1;
				break;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
		    ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

/* The in-process checks: JSON through jansson, YAML through libyaml,
 * under the built-ins' time limit.  Returns 1 when canceled. */
static int
run_inproc(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    const char *lang, const char **files, size_t n,
    atomic_int *cancel, json_t *c)
{
	struct aas_buf out = AAS_BUF_INIT;
	struct inproc ip;
	json_error_t je;
	json_t *j;
	char *text, *tail, why[128];
	size_t i, len;
	int64_t t0 = aas_now_ms();
	int good = 1;

	memset(&ip, 0, sizeof(ip));
	ip.cancel = cancel;
	if (qc->builtin_timeout_ms > 0)
		ip.deadline = t0 + qc->builtin_timeout_ms;
	for (i = 0; i < n; i++) {
		if (inproc_stop(&ip))
			break;
		text = read_changed(t, files[i], &len, why, sizeof(why));
		if (text == NULL) {
			aas_buf_printf(&out, "%s: %s\n", files[i], why);
			good = 0;
			continue;
		}
		if (strcmp(lang, "json") == 0) {
			j = json_loadb(text, len, JSON_DECODE_ANY |
			    JSON_ALLOW_NUL, &je);
			if (j == NULL) {
				aas_buf_printf(&out, "%s:%d:%d: %s\n", files[i],
				    je.line, je.column, je.text);
				good = 0;
			}
			json_decref(j);
		} else if (yaml_check(text, len, files[i], &out, &ip) != 0)
			good = 0;
		free(text);
	}
	if (ip.timed_out)
		aas_buf_printf(&out, "stopped: the time limit of %.3g s "
		    "passed\n", (double)qc->builtin_timeout_ms / 1000.0);
	tail = aas_qa_tail(out.s != NULL ? out.s : "", out.len,
	    qc->tail_lines);
	json_object_set_new(c, "ok", json_boolean(good && !ip.timed_out &&
	    !ip.canceled));
	if (ip.timed_out || ip.canceled)
		json_object_set_new(c, "exit", json_null());
	else
		set_num(c, "exit", good ? 0 : 1);
	set_num(c, "signal", 0);
	set_num(c, "ms", aas_now_ms() - t0);
	set_num(c, "bytes", (long long)out.len);
	if (ip.timed_out)
		json_object_set_new(c, "timeout", json_true());
	json_object_set_new(c, "tail", json_string(tail));
	free(tail);
	aas_buf_free(&out);
	return ip.canceled;
}

static const struct {
	const char *lang, *tool, *cmd;
	const char *const argv[8];
} builtins[] = {
	{ "c", "cc", "cc -fsyntax-only -H -I. FILE...",
	    { "cc", "-fsyntax-only", "-H", "-I.", NULL } },
	/* -I: the worktree is not on sys.path, so no file of the tree is
	 * imported in place of py_compile or what it imports */
	{ "python", "python3", "python3 -I -m py_compile FILE...",
	    { "python3", "-I", "-m", "py_compile", NULL } },
	/* one file per run, the names as positional parameters, never
	 * pasted into the script */
	{ "sh", "sh", "sh -n FILE",
	    { "/bin/sh", "-c", "st=0; for f; do sh -n \"$f\" || st=1; "
	    "done; exit $st", "sh", NULL } },
	{ "js", "node", "node --check FILE",
	    { "/bin/sh", "-c", "st=0; for f; do node --check \"$f\" || "
	    "st=1; done; exit $st", "sh", NULL } },
	{ "json", NULL, "(built-in JSON parser)", { NULL } },
	{ "yaml", NULL, "(built-in YAML parser)", { NULL } },
};

static json_t *
new_check(const char *name, const char *cmd, int required)
{
	json_t *c = json_object();

	json_object_set_new(c, "name", json_string(name));
	json_object_set_new(c, "cmd", json_string(cmd));
	json_object_set_new(c, "required", json_boolean(required));
	return c;
}

static void
skip(json_t *c, const char *why)
{
	json_object_set_new(c, "ok", json_true());
	json_object_set_new(c, "skipped", json_true());
	json_object_set_new(c, "reason", json_string(why));
}

/* Is a changed path a regular file in the worktree (not a link)? */
static int
regular(const struct aas_qa_task *t, const char *path)
{
	char *full = aas_xasprintf("%s/%s", t->worktree, path);
	struct stat sb;
	int r = lstat(full, &sb) == 0 && S_ISREG(sb.st_mode);

	free(full);
	return r;
}

static int
run_builtins(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    atomic_int *cancel, json_t *list)
{
	const char **files = aas_xcalloc(t->nfiles + 1, sizeof(*files));
	char **argv, *name, *tool, *why;
	size_t b, i, n, k;
	json_t *c;
	int canceled = 0;

	for (b = 0; b < sizeof(builtins) / sizeof(builtins[0]); b++) {
		n = 0;
		for (i = 0; i < t->nfiles; i++) {
			const char *l = aas_qa_lang(t->files[i]);

			if (l != NULL && strcmp(l, builtins[b].lang) == 0 &&
			    regular(t, t->files[i]))
				files[n++] = t->files[i];
		}
		if (n == 0)
			continue;
		if (cancel != NULL && *cancel) {
			canceled = 1;
			break;
		}
		name = aas_xasprintf("syntax-%s", builtins[b].lang);
		c = new_check(name, builtins[b].cmd, 1);
		if (builtins[b].tool == NULL) {
			canceled = run_inproc(qc, t, builtins[b].lang, files,
			    n, cancel, c);
		} else if ((tool = aas_spawn_which(builtins[b].tool)) == NULL) {
			why = aas_xasprintf("%s not found", builtins[b].tool);
			skip(c, why);
			free(why);
		} else {
			free(tool);
			argv = aas_xcalloc(n + 8, sizeof(*argv));
			for (k = 0; builtins[b].argv[k] != NULL; k++)
				argv[k] = aas_xstrdup(builtins[b].argv[k]);
			/* "./" keeps a name like "-x.c" from being an
			 * option */
			for (i = 0; i < n; i++)
				argv[k++] = aas_xasprintf("./%s", files[i]);
			argv[k] = NULL;
			canceled = run_one(qc, t, name, argv,
			    qc->builtin_timeout_ms, cancel,
			    strcmp(builtins[b].lang, "c") == 0, c);
			free_list(argv);
		}
		json_array_append_new(list, c);
		free(name);
		if (canceled)
			break;
	}
	free(files);
	return canceled;
}

static int
wanted(const struct aas_qa_check *k, const struct aas_qa_task *t)
{
	size_t i, j;

	if (k->when == NULL)
		return 1;
	for (i = 0; k->when[i] != NULL; i++)
		for (j = 0; j < t->nfiles; j++)
			if (aas_qa_glob_match(k->when[i], t->files[j]))
				return 1;
	return 0;
}

int
aas_qa_wants_base(const struct aas_qa_conf *qc, const struct aas_qa_task *t)
{
	size_t i;

	for (i = 0; i < qc->nchecks; i++)
		if (qc->checks[i].fail_to_pass && wanted(&qc->checks[i], t))
			return 1;
	return 0;
}

/* Run a configured check in t->worktree; fill c.  1 when canceled. */
static int
run_configured(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    const struct aas_qa_check *k, atomic_int *cancel, json_t *c)
{
	char *shv[4];

	if (k->run == NULL)
		return run_one(qc, t, k->name, k->argv, k->timeout_ms, cancel,
		    0, c);
	shv[0] = "/bin/sh";
	shv[1] = "-c";
	shv[2] = k->run;
	shv[3] = NULL;
	return run_one(qc, t, k->name, shv, k->timeout_ms, cancel, 0, c);
}

/* A fail_to_pass check: on the base with the tests (it must fail), then
 * on the commit (t->worktree).  1 when canceled. */
static int
run_f2p(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    const struct aas_qa_check *k, atomic_int *cancel, json_t *c)
{
	struct aas_qa_task bt = *t;
	json_t *base;
	int canceled;

	if (t->base_worktree == NULL) {
		json_object_set_new(c, "ok", json_false());
		json_object_set_new(c, "fail_to_pass", json_true());
		json_object_set_new(c, "code", json_string("f2p_no_tests"));
		json_object_set_new(c, "reason", json_string("the plan names "
		    "no test file of the commit"));
		return 0;
	}
	bt.worktree = t->base_worktree;
	base = json_object();
	if (run_configured(qc, &bt, k, cancel, base) != 0) {
		json_object_update(c, base);	/* not to be trusted */
		json_decref(base);
		return 1;
	}
	if (json_is_true(json_object_get(base, "ok"))) {
		json_object_update(c, base);
		json_object_set_new(c, "ok", json_false());
		json_object_set_new(c, "fail_to_pass", json_true());
		json_object_set_new(c, "code",
		    json_string("f2p_passed_on_base"));
		json_decref(base);
		return 0;
	}
	json_object_del(base, "ok");
	canceled = run_configured(qc, t, k, cancel, c);
	json_object_set_new(c, "fail_to_pass", json_true());
	json_object_set_new(c, "base", base);
	return canceled;
}

json_t *
aas_qa_run(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    atomic_int *cancel, int *canceled)
{
	json_t *qa = json_object(), *list = json_array(), *c, *x;
	char *cmd;
	size_t i;
	int good = 1;

	*canceled = 0;
	if (qc->builtin)
		*canceled = run_builtins(qc, t, cancel, list);
	for (i = 0; i < qc->nchecks && !*canceled; i++) {
		const struct aas_qa_check *k = &qc->checks[i];

		if (cancel != NULL && *cancel) {
			*canceled = 1;
			break;
		}
		cmd = k->run != NULL ? aas_xstrdup(k->run) : join_argv(k->argv);
		c = new_check(k->name, cmd, k->required);
		free(cmd);
		if (!wanted(k, t))
			skip(c, "no changed file matches");
		else if (k->fail_to_pass)
			*canceled = run_f2p(qc, t, k, cancel, c);
		else
			*canceled = run_configured(qc, t, k, cancel, c);
		json_array_append_new(list, c);
	}
	json_array_foreach(list, i, x)
		if (json_is_true(json_object_get(x, "required")) &&
		    !json_is_true(json_object_get(x, "ok")))
			good = 0;
	json_object_set_new(qa, "ok", json_boolean(good));
	json_object_set_new(qa, "checks", list);
	return qa;
}

const char *
aas_qa_code(json_t *qa)
{
	json_t *x;
	const char *code;
	size_t i;

	json_array_foreach(json_object_get(qa, "checks"), i, x) {
		if (!json_is_true(json_object_get(x, "required")) ||
		    json_is_true(json_object_get(x, "ok")))
			continue;
		code = json_string_value(json_object_get(x, "code"));
		return code != NULL ? code : "qa_failed";
	}
	return "qa_failed";
}

char *
aas_qa_reason(json_t *qa)
{
	json_t *x, *ex;
	const char *code;
	size_t i;
	int sig;

	json_array_foreach(json_object_get(qa, "checks"), i, x) {
		const char *name = json_string_value(json_object_get(x,
		    "name"));

		if (!json_is_true(json_object_get(x, "required")) ||
		    json_is_true(json_object_get(x, "ok")))
			continue;
		code = json_string_value(json_object_get(x, "code"));
		if (code != NULL && strcmp(code, "f2p_passed_on_base") == 0)
			return aas_xasprintf("check %s passed on the base with "
			    "only the plan's tests (fail_to_pass)", name);
		if (code != NULL && strcmp(code, "f2p_no_tests") == 0)
			return aas_xasprintf("check %s is fail_to_pass, but the "
			    "plan names no test file of the commit", name);
		ex = json_object_get(x, "exit");
		sig = (int)json_integer_value(json_object_get(x, "signal"));
		if (json_is_true(json_object_get(x, "timeout")))
			return aas_xasprintf("check %s timed out", name);
		if (json_is_integer(ex))
			return aas_xasprintf("check %s failed: exit %lld", name,
			    (long long)json_integer_value(ex));
		return aas_xasprintf("check %s failed: killed by signal %d",
		    name, sig);
	}
	return NULL;
}
