/*
 * progress.h: what a stage tells a person on standard error while it runs
 * and when it ends: the progress line, the reason for an early stop, the
 * summary line.
 *
 * The progress line.  One line, "<prog>: 3/8 done, 1.5/s, ETA 4s, 1
 * failed, $0.0012" (no "/8" and no ETA while the total is unknown),
 * drawn when
 *   - standard error is a terminal (redrawn in place with "\r" and
 *     clear-to-end, at most four times a second, cut to the terminal's
 *     width, cleared at the end), or
 *   - the command was given --progress, or AAS_PROGRESS=1 is set, off a
 *     terminal: then as plain lines, at most one a second;
 * never with -q or AAS_PROGRESS=0 (aas-run sets it for the stages it
 * starts, which would draw over its own line).  Nothing is drawn in the
 * first half second, so a quick stage shows no line at all.  Every other
 * line on standard error (aas_msg, so the -v HTTP trace too) clears the
 * line first and draws it again after.
 *
 * The counts are the stage's, for the whole process: records read (in),
 * written (out), written failed in this stage (failed), and the cost of
 * the calls the ledger recorded.  The record loop and aas_rec_write count
 * on their own; a stage with a total of its own (batch requests) sets it.
 * All functions may be called from any thread.
 *
 * The summary, "<prog>: 8 in, 8 out, 1 failed, $0.0012", is printed by
 * the command driver at the end of every command run while the progress
 * line is on (a terminal, --progress, AAS_PROGRESS=1) and -q is not
 * given: off a terminal standard error stays as it was (pipes, cron, the
 * test suite), aas(7).
 *
 * The stop reason.  A command that exits AAS_EXIT_STOPPED says why, once:
 * the driver calls aas_stop_report, which prints the reason a stage noted
 * with aas_stop_note, else the signal that arrived, else the STOP file
 * that exists.  A stage with a summary of its own calls it first, so the
 * reason comes before the summary there too.
 */
#ifndef AAS_PROGRESS_H
#define AAS_PROGRESS_H

#include <stdio.h>

struct aas_state;

#define AAS_PROGRESS_AUTO 0	/* a terminal only (the default) */
#define AAS_PROGRESS_ON	1	/* --progress: plain lines off a terminal */
#define AAS_PROGRESS_OFF 2	/* never */

/* Choose the mode (before aas_progress_begin); AAS_PROGRESS in the
 * environment ("0" or "1") overrides it. */
void	aas_progress_mode(int mode);
/* Start timing; from now on the line may be drawn.  Called by the
 * command driver. */
void	aas_progress_begin(void);
/* Clear the line for good (the driver calls it when the run ends). */
void	aas_progress_end(void);
/* 1 while the line is on: a terminal, or asked for, and not -q. */
int	aas_progress_on(void);

/* The counts; each may draw the line (when due). */
void	aas_progress_in(long n);
void	aas_progress_out(int failed);
void	aas_progress_cost(double usd);
/* The expected number of records out (-1: unknown). */
void	aas_progress_total(long total);
/* The expected total from a regular file's lines (from its current
 * offset, without moving it; not past 256 MiB): for the record loop, when
 * the line is on. */
void	aas_progress_total_of(FILE *in);
/* For a stage whose unit is not the record (aas-fetch --wait: batch
 * requests): set done, total and failed as they are now, and a word on
 * what is waited for ("2 batches pending"; NULL for none). */
void	aas_progress_set(long done, long total, long failed, const char *note);
/* Draw the line if it is due (for loops that wait without counting). */
void	aas_progress_tick(void);

/* Around any other line written to standard error: hide clears the
 * line and holds the lock, show draws it again and releases it. */
void	aas_progress_hide(void);
void	aas_progress_show(void);

/*
 * For a command that starts others (aas-run): with the line on a
 * terminal, a pipe to give them as standard error, whose lines are
 * written above the line (so theirs never land inside it); -1 otherwise
 * (let them inherit standard error).  aas_progress_relay_end (called by
 * aas_progress_end too) closes it and writes what is left.
 */
int	aas_progress_relay(void);
void	aas_progress_relay_end(void);

/* The counts so far (for the summary and tests). */
void	aas_progress_counts(long *in, long *out, long *failed, double *usd);
/* Print the summary line when aas_progress_on (see above), unless the
 * stage printed one of its own and said so with aas_progress_no_summary
 * (aas-qa's "N passed, N failed, N skipped"). */
void	aas_progress_summary(void);
void	aas_progress_no_summary(void);

/* Why the stage stops early: kind is "budget" or "pending" (the STOP
 * file and signals are found by aas_stop_report itself); the first note
 * wins.  The text follows "stopped: ". */
void	aas_stop_note(const char *kind, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The kind noted, or NULL. */
const char *aas_stop_kind(void);
/*
 * Print the reason, once: "<prog>: stopped: <note>", else "stopped: signal
 * SIGINT" (the signal that set aas_stop_flag), else "stopped: STOP file
 * PATH" (st may be NULL).  Nothing when none is known (the command said
 * why itself).
 */
void	aas_stop_report(const struct aas_state *st);

#endif
