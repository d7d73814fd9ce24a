/*
 * report-int.h: what the report files share (report.c keeps the tasks,
 * report-md.c, report-junit.c and report-html.c write them).  Every
 * string here is already clean UTF-8 (report.h) and owned by its task.
 */
#ifndef AAS_REPORT_INT_H
#define AAS_REPORT_INT_H

#include <stddef.h>

#include "aas.h"
#include "report.h"

enum rpt_state { RPT_DONE, RPT_FAILED, RPT_LEFT };

struct rpt_check {
	char	*name;
	int	 ok, skipped, timeout;
	int	 has_exit;
	long long exit;
	long long sig;
	long long ms;
	char	*tail;		/* NULL: none kept */
	int	 tail_cut;	/* the start of tail was cut off here */
};

struct rpt_file {
	char	*path;
	char	*op;
};

/* One earlier attempt (history[]). */
struct rpt_attempt {
	long long attempt;
	char	*stage, *code, *message, *checks, *branch, *commit, *model;
	double	 usd;
	int	 priced;	/* usd known */
};

/* One of the candidates aas-qa --pick chose from. */
struct rpt_cand {
	long long k;
	int	 ok;
	char	*stage, *code, *checks;
};

/* Earlier attempts past the kept ones, summed per model. */
struct rpt_old {
	char	*model;
	long long n, unpriced;
	double	 usd;
};

struct rpt_task {
	char	*id, *title, *board;
	enum rpt_state state;
	const char *status;	/* "Done", "Failed", "Review", ... */
	long long attempt;	/* this attempt, from 1 */
	char	*model;
	long long in, out;	/* this attempt's tokens */
	int	 has_usage;
	double	 usd;		/* this attempt's cost, when priced */
	int	 cost;		/* 0 nothing spent, 1 priced, 2 unpriced */
	char	*branch, *commit, *pr, *integrated;
	char	*stage, *code, *message;	/* the failure */
	long long ms;		/* the checks' time */
	struct rpt_check *checks;
	size_t	 nchecks, more_checks;
	struct rpt_file *files;
	size_t	 nfiles, more_files;
	struct rpt_attempt *hist;
	size_t	 nhist, more_hist;
	struct rpt_old *old;
	size_t	 nold;
	struct rpt_cand *cands;
	size_t	 ncands, more_cands;
	size_t	 tail_bytes;
	int	 tails_dropped;	/* the run's output budget was spent */
};

/* Per model, over every attempt. */
struct rpt_model {
	const char *model;	/* borrowed from a task; "" unknown */
	long long attempts, in, out;
	double	 usd;
	long long unpriced;
};

/* A board's totals (one JUnit testsuite). */
struct rpt_totals {
	size_t	 tasks, done, failed, left, unpriced;
	long long attempts, in, out, ms, checks;
	double	 usd;
};

struct aas_report {
	const struct aas_config *cf;
	double	 discount;
	char	*board;
	struct rpt_task **t;
	size_t	 n, cap;
	void	*index;		/* json_t: id -> position */
	long long now;		/* unix seconds */
	long long first;	/* the earliest batch.submitted_at, 0: none */
	size_t	 tail_total;
	int	 stopped;
	int	 sink;		/* aas_report_write's file, or -1 */
	int	 sink_errno;	/* a write to it failed */
};

/* Between tasks: with a sink, write out what b holds once it is big,
 * so a report of many tasks is never whole in memory. */
void	rpt_flush(struct aas_report *r, struct aas_buf *b);
/* Sums over tasks (board NULL: all of them). */
void	rpt_totals(const struct aas_report *r, const char *board,
	    struct rpt_totals *tt);
/* A task's cost over all its attempts, and the unpriced attempts. */
double	rpt_task_usd(const struct rpt_task *t, size_t *unpriced);
long long rpt_task_attempts(const struct rpt_task *t);
/* The models in order of first use; *np entries, caller frees. */
struct rpt_model *rpt_models(const struct aas_report *r, size_t *np);
/* "$0.0000456" into buf. */
const char *rpt_usd(double usd, char *buf, size_t size);
/* "1.2s", "1m 03s", "2h 05m", "0s" */
const char *rpt_duration(long long ms, char *buf, size_t size);
/* 12345 as "12,345" */
const char *rpt_count(long long n, char *buf, size_t size);
/* "2026-12-01 18:00 UTC" (human) or "2026-12-01T18:00:00" (iso) */
const char *rpt_when(long long t, int iso, char *buf, size_t size);
/* The failure in one line: "qa: qa_failed: message". New string. */
char	*rpt_reason(const struct rpt_task *t);
/* "checks: 1m 03s · since the first batch: 2h 05m", as plain text. */
char	*rpt_time_line(const struct aas_report *r, const struct rpt_totals *tt);
/* The pull request's short name: "#12", "!3" or "pull request". */
const char *rpt_pr_name(const char *url, char *buf, size_t size);

/* s with & < > " ' as character references; attr also \t and \n. */
void	rpt_esc(struct aas_buf *b, const char *s, int attr);
/* The longest run of c in s. */
size_t	rpt_run(const char *s, char c);

#endif
