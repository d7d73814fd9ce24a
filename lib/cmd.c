/* cmd.c: the command driver: common options, bootstrap, output check. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "cmd.h"
#include "config.h"
#include "git.h"
#include "progress.h"
#include "record.h"
#include "state.h"
#include "banned.h"

static const struct option common[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "progress", no_argument, NULL, AAS_OPT_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "state", required_argument, NULL, AAS_OPT_STATE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, AAS_OPT_VERSION },
};
#define NCOMMON (sizeof(common) / sizeof(common[0]))

static int
usage_fail(const struct aas_cmd *c, const char *msg)
{
	aas_msg("%s", msg);
	aas_print_usage(1, c->usage);
	return AAS_EXIT_USAGE;
}

/* How many long options have name (n bytes) as a prefix; *match is the
 * one named exactly, else the last that has the prefix. */
static size_t
long_matches(const struct option *lo, const char *name, size_t n,
    const struct option **match)
{
	const struct option *exact = NULL;
	size_t k = 0;

	*match = NULL;
	for (; lo->name != NULL; lo++) {
		if (strncmp(lo->name, name, n) != 0)
			continue;
		if (lo->name[n] == '\0')
			exact = lo;
		*match = lo;
		k++;
	}
	if (exact != NULL)
		*match = exact;
	return exact != NULL ? 1 : k;
}

/*
 * The message for what getopt_long refused (ch '?' or ':').  getopt_long
 * leaves optind inside a cluster of short options ("-qx"), so the element
 * before optind may be an earlier one: it is taken as the culprit only when
 * it is a long option that fits optopt.  A short option is named by optopt.
 */
static char *
bad_option(const struct option *lo, char **argv, int ch)
{
	const struct option *o = NULL;
	const char *el = optind > 0 ? argv[optind - 1] : "", *name;
	size_t n = 0, k = 0;
	int islong;

	islong = strncmp(el, "--", 2) == 0 && el[2] != '\0';
	name = el + 2;
	if (islong) {
		n = strcspn(name, "=");
		k = long_matches(lo, name, n, &o);
	}
	if (islong && optopt != 0)	/* an argument refused or missing */
		islong = k == 1 && o->val == optopt &&
		    (ch == ':' || name[n] == '=');
	if (!islong)
		return aas_xasprintf(ch == ':' ? "option -%c needs an argument" :
		    "unknown option -%c", optopt);
	if (ch == ':')
		return aas_xasprintf("option --%.*s needs an argument",
		    (int)n, name);
	if (optopt != 0)
		return aas_xasprintf("option --%.*s takes no argument",
		    (int)n, name);
	if (k > 1)
		return aas_xasprintf("ambiguous option --%.*s", (int)n, name);
	return aas_xasprintf("unknown option --%.*s", (int)n, name);
}

/* -1: go on; else the exit status. */
static int
parse(struct aas_cmd *c, int argc, char *argv[])
{
	struct option *lo;
	struct aas_err e;
	char *shortopts, *msg;
	size_t n = 0, i;
	int ch, rc;

	while (c->longopts != NULL && c->longopts[n].name != NULL)
		n++;
	lo = aas_xcalloc(n + NCOMMON + 1, sizeof(*lo));
	for (i = 0; i < n; i++)
		lo[i] = c->longopts[i];
	for (i = 0; i < NCOMMON; i++)
		lo[n + i] = common[i];
	shortopts = aas_xasprintf(":c:hqv%s",
	    c->shortopts != NULL ? c->shortopts : "");
	opterr = 0;
	rc = -1;
	memset(&e, 0, sizeof(e));
	while (rc == -1 &&
	    (ch = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->config_file = optarg;
			break;
		case 'h':
			aas_print_usage(0, c->usage);
			rc = aas_finish_output(stdout, AAS_EXIT_OK);
			break;
		case 'q':
			aas_quiet = 1;
			break;
		case 'v':
			aas_verbose = 1;
			break;
		case AAS_OPT_PROGRESS:
			aas_progress_mode(AAS_PROGRESS_ON);
			break;
		case AAS_OPT_STATE:
			c->state_dir = optarg;
			break;
		case AAS_OPT_VERSION:
			aas_print_version();
			rc = aas_finish_output(stdout, AAS_EXIT_OK);
			break;
		case '?':
		case ':':
			msg = bad_option(lo, argv, ch);
			rc = usage_fail(c, msg);
			free(msg);
			break;
		default:
			if (c->option == NULL ||
			    c->option(c, ch, optarg, &e) == -1)
				rc = usage_fail(c, e.msg);
			break;
		}
	}
	free(lo);
	free(shortopts);
	if (rc != -1)
		return rc;
	argc -= optind;
	argv += optind;
	if (!c->takes_operands && argc > 0) {
		msg = aas_xasprintf("unexpected operand: %s", argv[0]);
		rc = usage_fail(c, msg);
		free(msg);
		return rc;
	}
	if (c->operands != NULL && c->operands(c, argc, argv, &e) == -1)
		return usage_fail(c, e.msg);
	return -1;
}

/* The git repository, the state folder and the configuration. */
static int
bootstrap(struct aas_cmd *c, char **sdirp, struct aas_err *e)
{
	const char *sdir = c->state_dir, *env = getenv("AAS_STATE");

	if ((c->need & AAS_NEED_GIT) != 0) {
		if (aas_git_open(&c->git, c->repo, e) == -1)
			return -1;
		c->root = aas_git_root(c->git);
		/* the state of the repository worked on, not of here (but
		 * --state and $AAS_STATE, as state.h orders them) */
		if (sdir == NULL && c->repo != NULL && (env == NULL ||
		    *env == '\0'))
			sdir = *sdirp = aas_xasprintf("%s/.aas", c->root);
	}
	/* the configuration needs the root the state folder finds */
	if ((c->need & (AAS_NEED_STATE | AAS_NEED_MKSTATE | AAS_NEED_LOCK |
	    AAS_NEED_CONFIG)) != 0) {
		if (aas_state_open(&c->st, sdir,
		    (c->need & AAS_NEED_MKSTATE) != 0, e) == -1)
			return -1;
		if (c->root == NULL)
			c->root = aas_state_root(c->st);
	}
	if ((c->need & AAS_NEED_CONFIG) != 0 &&
	    (aas_config_load(&c->cf, c->root, c->config_file, e) == -1 ||
	    aas_record_config(c->cf, e) == -1))
		return -1;
	return 0;
}

int
aas_cmd_lock(struct aas_cmd *c, struct aas_err *e)
{
	char *lock;

	if (c->lockfd != -1 || (c->need & AAS_NEED_LOCK) == 0 ||
	    c->lock == NULL)
		return 0;
	lock = aas_state_path(c->st, c->lock);
	c->lockfd = aas_lock(lock, 1, e);
	free(lock);
	return c->lockfd == -1 ? -1 : 0;
}

int
aas_cmd_main(struct aas_cmd *c, int argc, char *argv[])
{
	struct aas_err e;
	char *sdir = NULL;
	int status;

	aas_setprogname(argv[0]);
	c->lockfd = -1;
	if ((status = parse(c, argc, argv)) != -1) {
		if (c->cleanup != NULL)
			c->cleanup(c);
		return status;
	}
	memset(&e, 0, sizeof(e));
	aas_init();
	if (bootstrap(c, &sdir, &e) == -1 ||
	    (c->setup != NULL && c->setup(c, &e) == -1)) {
		aas_msg("%s", e.msg);
		status = AAS_EXIT_USAGE;
		goto out;
	}
	if (!c->lock_late && aas_cmd_lock(c, &e) == -1) {
		aas_msg("%s", e.msg);
		status = AAS_EXIT_USAGE;
		goto out;
	}
	aas_signals_install();
	aas_progress_begin();
	if (c->run != NULL)
		status = c->run(c);
	else {
		c->loop->state = c->st;
		status = aas_loop_run(c->loop, stdin, "stdin", stdout);
	}
	aas_progress_end();
	status = aas_finish_output(stdout, status);
	if (status == AAS_EXIT_STOPPED)
		aas_stop_report(c->st);
	aas_progress_summary();
out:
	if (c->cleanup != NULL)
		c->cleanup(c);
	aas_unlock(c->lockfd);
	aas_config_free(c->cf);
	aas_state_close(c->st);
	aas_git_close(c->git);
	free(sdir);
	aas_fini();
	return status;
}
