/*
 * report.h: the run reports of aas-notify (aas-notify(1), "Reports"): a
 * GitHub-flavoured Markdown summary, JUnit XML and one self-contained
 * HTML page.
 *
 * A report is fed every record as it passes (aas_report_add) and keeps a
 * bounded summary of its task, never the record: the id, title, status,
 * attempts, model, tokens, costs, branch, pull request, the failure, up
 * to AAS_REPORT_CHECKS checks with their output's tail (4 KiB of a
 * failed check, 1 KiB of a passed one, 12 KiB a task, 8 MiB a run: past
 * that a task keeps no output and says so), up to AAS_REPORT_FILES files
 * and AAS_REPORT_ATTEMPTS earlier attempts.  A task seen again (the same
 * id) is replaced where it stood: the last record of a task wins.
 *
 * Text from records (model output, check output) is made safe once, when
 * kept: bytes that are not UTF-8 and control characters become U+FFFD,
 * terminal escape sequences are dropped, "\r\n" becomes "\n".
 *
 * Costs: a task's cost is its answer's response.usd, or, when that is
 * null, its usage at the configured prices (aas_price_lookup; batch
 * answers, records with a batch key, at batch.discount), plus each
 * earlier attempt's history[].usd.  An answer with no price is counted
 * as unpriced, never as 0.  Every amount is printed by aas_usd_format
 * (price.h: two decimals, four significant digits below 1) with a "$"
 * before it, so the three reports show the same figures.
 *
 * Time: "now" is the environment's AAS_NOW (Unix seconds) when set, else
 * the clock, read once by aas_report_new.
 */
#ifndef AAS_REPORT_H
#define AAS_REPORT_H

#include <stddef.h>

#include "aas.h"

struct aas_config;
struct aas_rec;

#define AAS_REPORT_CHECKS	32
#define AAS_REPORT_FILES	200
#define AAS_REPORT_ATTEMPTS	20
#define AAS_REPORT_CANDIDATES	16
/* GitHub's limit on one step's job summary. */
#define AAS_REPORT_SUMMARY_MAX	(1024 * 1024)

struct aas_report;

/* A new report.  cf (borrowed, may be NULL) gives prices and
 * batch.discount; board names the testsuite of records without
 * source.path (borrowed, copied; NULL: "tasks").  -1 with e set on a
 * mistyped batch.discount. */
int	aas_report_new(struct aas_report **rp, const struct aas_config *cf,
	    const char *board, struct aas_err *e);
/* Keep the summary of rec's task (rec borrowed).  A bad line counts as
 * a failed task named "line N". */
void	aas_report_add(struct aas_report *r, const struct aas_rec *rec);
void	aas_report_free(struct aas_report *r);
/* The run stopped early (exit 75): the summary and the page say that
 * records not read are not in them. */
void	aas_report_stopped(struct aas_report *r);

/*
 * The reports as text, appended to b.  The summary stays within limit
 * bytes (at least its headline is written): task rows and failure
 * details that do not fit are left out and a note at the end says how
 * many.
 */
void	aas_report_markdown(struct aas_report *r, struct aas_buf *b,
	    size_t limit);
void	aas_report_junit(struct aas_report *r, struct aas_buf *b);
void	aas_report_html(struct aas_report *r, struct aas_buf *b);

/*
 * Write one report to path: whole, through a temporary file and a
 * rename (aas_write_atomic); or, with append (the Markdown summary into
 * GITHUB_STEP_SUMMARY), added to the end of the file in one write, the
 * limit then being what the file has left of AAS_REPORT_SUMMARY_MAX.
 * kind is "summary", "junit" or "html".  0, or -1 with e set ("io").
 */
int	aas_report_write(struct aas_report *r, const char *kind,
	    const char *path, int append, struct aas_err *e);

#endif
