/* qa.c: configured and built-in checks, run in a scratch worktree. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
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

/* The sandbox: no network, the system read-only, a private /tmp, the
 * worktree writable; --new-session keeps the terminal out of reach. */
static const char *const sandbox_opts[] = {
	"--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid",
	"--unshare-ipc", "--unshare-uts", "--ro-bind", "/", "/",
	"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", NULL
};

/* Secrets aas itself reads never reach a check. */
static char *const env_unset[] = {
	"OPENAI_API_KEY", "ANTHROPIC_API_KEY", NULL
};

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
	if (checks == NULL || json_is_null(checks))
		return 0;
	if (!json_is_array(checks))
		return bad(cf, "qa.checks", "expected a list of checks", e);
	qc->checks = aas_xcalloc(json_array_size(checks) + 1,
	    sizeof(*qc->checks));
	json_array_foreach(checks, i, c) {
		qc->nchecks++;
		if (load_check(cf, i, c, &qc->checks[i], e) == -1) {
			aas_qa_conf_free(qc);
			return -1;
		}
	}
	return 0;
}

int
aas_qa_sandbox_probe(struct aas_qa_conf *qc, struct aas_err *e)
{
	struct aas_spawn sp;
	struct aas_spawn_res r;
	char *argv[32], *w, *tail, *nl;
	size_t i, n = 0;

	if ((w = aas_spawn_which("bwrap")) == NULL)
		return aas_err_set(e, "sandbox", "--sandbox: bwrap not found "
		    "on PATH (install bubblewrap)");
	argv[n++] = w;
	for (i = 0; sandbox_opts[i] != NULL; i++)
		argv[n++] = (char *)sandbox_opts[i];
	argv[n++] = "--";
	argv[n++] = "true";
	argv[n] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout_ms = 30000;
	sp.cap = 4096;
	if (aas_spawn_run(&sp, &r, e) == -1) {
		free(w);
		return -1;
	}
	if (r.exit != 0) {
		tail = aas_qa_tail(r.out, r.outlen, 1);
		if ((nl = strchr(tail, '\n')) != NULL)
			*nl = '\0';
		aas_err_set(e, "sandbox", "--sandbox: %s cannot make the "
		    "sandbox here: %s", w, *tail != '\0' ? tail :
		    r.sig != 0 ? strsignal(r.sig) : "it failed");
		free(tail);
		aas_spawn_res_free(&r);
		free(w);
		return -1;
	}
	aas_spawn_res_free(&r);
	free(qc->bwrap);
	qc->bwrap = w;
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
	a = aas_xcalloc(n + 32, sizeof(*a));
	if (qc->bwrap != NULL) {
		a[k++] = qc->bwrap;
		for (i = 0; sandbox_opts[i] != NULL; i++)
			a[k++] = (char *)sandbox_opts[i];
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

/* Run one external check; fill c.  Returns 1 when canceled. */
static int
run_one(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    const char *name, char *const *argv, int64_t timeout_ms,
    volatile sig_atomic_t *cancel, json_t *c)
{
	struct aas_spawn sp;
	struct aas_spawn_res r;
	struct aas_err e;
	char **env, **a, *tail;
	int canceled;

	env = task_env(qc, t, name);
	a = wrap_argv(qc, t, argv);
	memset(&sp, 0, sizeof(sp));
	sp.argv = a;
	sp.cwd = t->worktree;
	sp.env_set = env;
	sp.env_unset = env_unset;
	sp.timeout_ms = timeout_ms;
	sp.grace_ms = qc->grace_ms;
	sp.cap = qc->output_cap;
	sp.cancel = cancel;
	if (aas_spawn_run(&sp, &r, &e) == -1) {
		/* as a shell reports a missing program */
		json_object_set_new(c, "ok", json_false());
		set_num(c, "exit", 127);
		set_num(c, "signal", 0);
		set_num(c, "ms", 0);
		set_num(c, "bytes", 0);
		json_object_set_new(c, "tail", json_string(e.msg));
		free(a);
		free_list(env);
		return 0;
	}
	tail = aas_qa_tail(r.out, r.outlen, qc->tail_lines);
	json_object_set_new(c, "ok", json_boolean(r.exit == 0 &&
	    !r.timed_out && !r.canceled));
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
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		aas_buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (b.s == NULL)
		aas_buf_adds(&b, "");
	return aas_buf_detach(&b, lenp);
}

static int
yaml_check(const char *text, size_t len, const char *path,
    struct aas_buf *out)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int done = 0, rc = 0;

	if (!yaml_parser_initialize(&p)) {
		aas_buf_printf(out, "%s: cannot start the YAML parser\n", path);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			aas_buf_printf(out, "%s:%zu:%zu: %s%s%s\n", path,
			    p.problem_mark.line + 1, p.problem_mark.column + 1,
			    p.problem != NULL ? p.problem : "syntax error",
			    p.context != NULL ? " " : "",
			    p.context != NULL ? p.context : "");
			rc = -1;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

/* The in-process checks: JSON through jansson, YAML through libyaml. */
static void
run_inproc(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    const char *lang, const char **files, size_t n, json_t *c)
{
	struct aas_buf out = AAS_BUF_INIT;
	json_error_t je;
	json_t *j;
	char *text, *tail, why[128];
	size_t i, len;
	int64_t t0 = aas_now_ms();
	int good = 1;

	for (i = 0; i < n; i++) {
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
		} else if (yaml_check(text, len, files[i], &out) == -1)
			good = 0;
		free(text);
	}
	tail = aas_qa_tail(out.s != NULL ? out.s : "", out.len,
	    qc->tail_lines);
	json_object_set_new(c, "ok", json_boolean(good));
	set_num(c, "exit", good ? 0 : 1);
	set_num(c, "signal", 0);
	set_num(c, "ms", aas_now_ms() - t0);
	set_num(c, "bytes", (long long)out.len);
	json_object_set_new(c, "tail", json_string(tail));
	free(tail);
	aas_buf_free(&out);
}

static const struct {
	const char *lang, *tool, *cmd;
	const char *const argv[8];
} builtins[] = {
	{ "c", "cc", "cc -fsyntax-only -I. FILE...",
	    { "cc", "-fsyntax-only", "-I.", NULL } },
	{ "python", "python3", "python3 -m py_compile FILE...",
	    { "python3", "-m", "py_compile", NULL } },
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
    volatile sig_atomic_t *cancel, json_t *list)
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
			run_inproc(qc, t, builtins[b].lang, files, n, c);
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
			    qc->builtin_timeout_ms, cancel, c);
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

json_t *
aas_qa_run(const struct aas_qa_conf *qc, const struct aas_qa_task *t,
    volatile sig_atomic_t *cancel, int *canceled)
{
	json_t *qa = json_object(), *list = json_array(), *c, *x;
	char *shv[4], *cmd;
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
		if (!wanted(k, t)) {
			skip(c, "no changed file matches");
		} else if (k->run != NULL) {
			shv[0] = "/bin/sh";
			shv[1] = "-c";
			shv[2] = k->run;
			shv[3] = NULL;
			*canceled = run_one(qc, t, k->name, shv, k->timeout_ms,
			    cancel, c);
		} else
			*canceled = run_one(qc, t, k->name, k->argv,
			    k->timeout_ms, cancel, c);
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

char *
aas_qa_reason(json_t *qa)
{
	json_t *x, *ex;
	size_t i;
	int sig;

	json_array_foreach(json_object_get(qa, "checks"), i, x) {
		const char *name = json_string_value(json_object_get(x,
		    "name"));

		if (!json_is_true(json_object_get(x, "required")) ||
		    json_is_true(json_object_get(x, "ok")))
			continue;
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
