/*
 * record.h: NDJSON task records, read and written one line at a time.
 *
 * A stage never re-serialises a record.  It keeps the line as it came and
 * splices its own key into the text, so every key it does not own passes
 * through byte for byte (jansson would reprint numbers and drop duplicate
 * keys).  rec->obj is a parsed view for reading; it is kept in step with
 * the keys set through aas_rec_set.
 */
#ifndef AAS_RECORD_H
#define AAS_RECORD_H

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

#include <jansson.h>

#include "aas.h"

struct aas_state;

struct aas_rec {
	char	*line;		/* the record's text, no newline; owned */
	size_t	 len;
	json_t	*obj;		/* parsed object; owned */
	size_t	 lineno;	/* input line number, from 1 (0: made here) */
	int	 bad;		/* input was not a JSON object (bad_json) */
};

/*
 * Parse text (len bytes, need not be NUL-terminated) as a record.  A line
 * that is not a JSON object becomes an error record:
 *   {"error":{"stage":"input","code":"bad_json","message":...},"raw":text}
 * with rec->bad set and e filled; a line refused only for a NUL character
 * (\u0000) in a string keeps its "id" there.  Returns 0 for a good record, -1 for a bad
 * one; either way rec is initialised and must be released with
 * aas_rec_free.
 */
int	aas_rec_parse(struct aas_rec *rec, const char *text, size_t len,
	    struct aas_err *e);
/* The same, faster: a record jansson surely reads as it is written is
 * parsed without jansson's reader (the same tree comes out); any other
 * line goes to aas_rec_parse. */
int	aas_rec_parse_quick(struct aas_rec *rec, const char *text, size_t len,
	    struct aas_err *e);
/* Append s to b as valid UTF-8: each byte of an invalid sequence becomes
 * U+FFFD; a NUL byte becomes nul unless nul is 0. */
void	aas_utf8_lossy(struct aas_buf *b, const char *s, size_t n, int nul);
/* n bytes as a JSON string (a new reference): as they are when they are
 * UTF-8 without NUL, else with each bad byte as U+FFFD (aas_utf8_lossy). */
json_t	*aas_json_lossy(const char *s, size_t n);
/* Make a record from an object (serialised compactly); obj is borrowed. */
void	aas_rec_from_json(struct aas_rec *rec, json_t *obj);
void	aas_rec_free(struct aas_rec *rec);

/*
 * Set top-level key to val in both the text and rec->obj.  If the key is
 * present its (last) value's text is replaced in place; otherwise the
 * member is appended before the closing brace.  val is borrowed.
 */
void	aas_rec_set(struct aas_rec *rec, const char *key, json_t *val);
/*
 * The same for a key the record does not have (rec->obj has no such
 * key), its value given as text (val, vlen bytes: the compact JSON that
 * aas_json_text writes for it): the member is appended before the
 * closing brace, as aas_rec_set appends it, without the value being
 * parsed or serialised again.  Only the text gets the key, not rec->obj:
 * for a record that is written out from here on, not read through obj.
 */
void	aas_rec_add_text(struct aas_rec *rec, const char *key,
	    const char *val, size_t vlen);
/* aas_rec_put of rec with that member added as aas_rec_add_text adds
 * it, rec itself unchanged (its obj may be NULL). */
int	aas_rec_put_with(FILE *out, const struct aas_rec *rec,
	    const char *key, const char *val, size_t vlen);
/* Remove a top-level key (every occurrence) from the text and obj. */
void	aas_rec_del(struct aas_rec *rec, const char *key);

/* Accessors on rec->obj; NULL or the default when absent or mistyped. */
const char *aas_rec_str(const struct aas_rec *rec, const char *key);
json_t	*aas_rec_get(const struct aas_rec *rec, const char *key);
/* Dotted path lookup, e.g. "apply.branch"; NULL when absent. */
json_t	*aas_rec_path(const struct aas_rec *rec, const char *path);
/* The task id for messages: the id, or "line N" when there is none. */
const char *aas_rec_where(const struct aas_rec *rec);

/*
 * Mark the record failed in stage: sets
 *   "error": {"stage": stage, "code": code, "message": message}
 * and prints "<prog>: <id>: <message>" on stderr unless aas_quiet.
 */
void	aas_rec_fail(struct aas_rec *rec, const char *stage, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same from an aas_err. */
void	aas_rec_fail_err(struct aas_rec *rec, const char *stage,
	    const struct aas_err *e);

/* Reading: the buffer reused.  Blank lines are skipped; "\r\n" endings
 * are accepted.  A line longer than the cap (max_record_bytes, the bytes
 * before its newline) becomes the error record
 *   {"id":...,"error":{"stage":"input","code":"too_long","message":
 *   "NAME:LINE: a record of N bytes, over max_record_bytes (CAP): not read"}}
 * (rec->bad set; the id when a top-level "id" string is in its first CAP
 * bytes), the message also on stderr unless aas_quiet; the rest of the
 * line is read past in chunks, so a reader holds at most CAP bytes of a
 * line and one read more. */
#define AAS_RECORD_MAX	67108864	/* 64 MiB */
struct aas_reader {
	FILE	*f;
	const char *name;	/* for messages */
	char	*buf;
	size_t	 cap;
	size_t	 lineno;
	int	 eof;
	int	 fd;		/* aas_reader_init_fd: read(2), not stdio */
	size_t	 len, off;	/* fd mode: bytes in buf, bytes used */
	size_t	 max;		/* the cap, aas_record_max() at init */
	size_t	 skip;		/* fd mode: bytes of an over-long line passed */
	json_t	*long_id;	/* the id of that line, if found */
	int	 quick;		/* 1: records through aas_rec_parse_quick */
};
struct aas_config;
/* The cap of readers made from now on (0: the default). */
void	aas_record_set_max(size_t n);
size_t	aas_record_max(void);
/* Set the cap from the configuration's max_record_bytes (absent: the
 * default).  -1 with e set on a mistyped value. */
int	aas_record_config(const struct aas_config *cf, struct aas_err *e);
void	aas_reader_init(struct aas_reader *r, FILE *f, const char *name);
/* The same on a descriptor, which aas_reader_try needs; nothing else may
 * read from fd meanwhile. */
void	aas_reader_init_fd(struct aas_reader *r, int fd, const char *name);
/* 1: a record in rec (good or bad); 0: end of input; -1: read error or
 * interrupted by a signal (errno set).  */
int	aas_reader_next(struct aas_reader *r, struct aas_rec *rec);
/* fd mode only: the next record if one can be had without blocking (1),
 * else 0 (none ready, or end of input) or -1 (read error). */
int	aas_reader_try(struct aas_reader *r, struct aas_rec *rec);
void	aas_reader_free(struct aas_reader *r);

/*
 * Write the record as one line and flush.  On EPIPE the process dies of
 * SIGPIPE quietly; any other failure returns -1 with errno set (fatal:
 * exit AAS_EXIT_FATAL).
 */
int	aas_rec_write(FILE *out, const struct aas_rec *rec);

/*
 * The same without the flush: the line waits in out's buffer (stdio
 * writes it when the buffer fills).  The caller flushes with
 * aas_out_flush before it waits (for input, a poll, a sleep) and before
 * it journals what depends on the lines having gone out.  -1 as
 * aas_rec_write.
 */
int	aas_rec_put(FILE *out, const struct aas_rec *rec);
/* Flush out; EPIPE and errors as aas_rec_write. */
int	aas_out_flush(FILE *out);

/*
 * The text json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
 * JSON_REAL_PRECISION(prec)) makes, byte for byte (jansson's own order
 * of members, escapes and number forms), made without jansson's
 * callbacks; NULL where json_dumps gives NULL.  *lenp (may be NULL) gets
 * its length.  Free with free().
 */
char	*aas_json_text(const json_t *v, int prec, size_t *lenp);
/* The same text appended to b; a string of n bytes as a JSON string.
 * -1 (b then holds part of it) where aas_json_text would ask jansson. */
int	aas_json_add(struct aas_buf *b, const json_t *v, int prec);
int	aas_json_add_string(struct aas_buf *b, const char *s, size_t n);
/* A real as aas_json_text writes it with precision prec (finite). */
void	aas_json_add_real(struct aas_buf *b, double d, int prec);
/* A line of text (no newline in it) as aas_rec_put writes a record. */
int	aas_line_put(FILE *out, const char *line, size_t len);

/*
 * The record loop every stage runs on.  For each input record: a bad line
 * is written as its error record; a record that already has "error" is
 * written untouched unless see_errors is set; otherwise step runs and the
 * record is written.  step returns 0 (done), 1 (the record now carries an
 * error), AAS_LOOP_DROP (the step keeps it: not written) or -1 (fatal:
 * e filled, the record is not written, the loop ends).  Between records the stop flag and the STOP file are checked.
 * A record reaches out no later than the loop blocks reading the next one.
 *
 * Three variations, chosen by the fields below:
 *   - emit: a step may write records of its own with aas_loop_emit; they
 *     go out just before the record in hand.
 *   - jobs > 1: dispatch (when set) runs first, in the reading thread, and
 *     returns 0, 1 or -1 as step does, or AAS_LOOP_ASYNC to have step run
 *     in a thread of its own, up to jobs at once (without dispatch every
 *     record goes to a thread).  Records are written as their steps end,
 *     or in input order with keep_order.  SIGPIPE is held off while steps
 *     run: on a closed stdout the loop sets cancel, waits for the steps,
 *     then dies of SIGPIPE.  A signal also sets cancel; steps that run
 *     children pass &cancel on so they are killed.
 *   - batch: instead of step, batch gets every record that can be read
 *     without blocking (at least one, at most batch_max) at once, in
 *     input order, bad ones and ones with "error" included (it must leave
 *     bad ones, rec->bad, alone), and sets rcs[i] as step would return;
 *     -1 from batch itself is fatal.  in must not have been read from.
 * Returns the exit status (AAS_EXIT_*).
 */
#define AAS_LOOP_ASYNC	2
/* From step (or batch, in rcs): the step took the record over; it is not
 * written (what the step emitted is), nor counted as failed. */
#define AAS_LOOP_DROP	3

struct aas_loop {
	const char *stage;
	int	(*step)(struct aas_rec *rec, void *arg, struct aas_err *e);
	void	*arg;
	int	 see_errors;	/* 1: step also gets records carrying error */
	int	 see_bad;	/* 1: step also gets bad lines (rec->bad, to
				   keep or pass on as they are; not in
				   batch mode) */
	int	 hold;		/* 1 (in this thread only, not with jobs or
				   batch): in is read through its descriptor
				   (it must not have been read from), records
				   wait in out's buffer until the reader
				   would block, and the STOP file is looked
				   for as aas_state_stop_poll does (every
				   200 ms), not before every record */
	int	 quick;		/* 1: records are parsed with
				   aas_rec_parse_quick */
	struct aas_state *state;	/* for the STOP file; may be NULL */
	long	 jobs;		/* steps at once; 0 or 1: in this thread */
	int	 keep_order;	/* with jobs > 1: write in input order */
	int	(*dispatch)(struct aas_rec *rec, void *arg, struct aas_err *e);
	int	(*batch)(struct aas_rec **recs, int *rcs, size_t n, void *arg,
		    struct aas_err *e);
	size_t	 batch_max;	/* 0: 256 */
	atomic_int cancel;	/* set by the loop, read by steps */
	size_t	 nin, nout, nfailed;	/* filled in */
	void	*priv;		/* the loop's own */
};
int	aas_loop_run(struct aas_loop *l, FILE *in, const char *inname,
	    FILE *out);
/*
 * The loop in pull mode, for a stage whose own machinery runs the work
 * (aas-submit --sync: one curl multi handle pulling records as it has
 * room).  Set the fields as for aas_loop_run (step, jobs, dispatch and
 * batch are not used) and call aas_loop_begin.  aas_loop_next returns 1
 * with *recp set to the next record that needs the stage's work, 0 when
 * there is no more (end of input, a read error, the stop flag or the STOP
 * file, a fatal error).  On the way it does what aas_loop_run does with
 * bad lines and records that carry "error" (see_bad, see_errors), and
 * counts nin.  Every record it returns must come back, once, through
 * aas_loop_done with rc as a step returns it (0, 1, AAS_LOOP_DROP, or -1
 * with e filled; e is not used otherwise and may be NULL); the loop
 * writes it at once, or with keep_order in input order (records from
 * aas_loop_next that are still out hold back the ones after them).
 * aas_loop_end writes what is held and can be written (with keep_order,
 * records that never came back are dropped, not written), and returns the
 * exit status as aas_loop_run does.
 * All in one thread; aas_loop_emit is not available.
 */
void	aas_loop_begin(struct aas_loop *l, FILE *in, const char *inname,
	    FILE *out);
int	aas_loop_next(struct aas_loop *l, struct aas_rec **recp);
void	aas_loop_done(struct aas_loop *l, struct aas_rec *rec, int rc,
	    const struct aas_err *e);
int	aas_loop_end(struct aas_loop *l);

/*
 * From inside step (or batch): write rec ahead of the record in hand.
 * rec is borrowed.  0, or -1 with e set (a write error: return -1 from
 * the step).
 */
int	aas_loop_emit(struct aas_loop *l, const struct aas_rec *rec,
	    struct aas_err *e);

/*
 * Finish writing: flush and close stdout, check for errors.  Returns
 * status unchanged when all is well, else AAS_EXIT_FATAL after a message
 * (none when status is already AAS_EXIT_FATAL: that error was reported).
 */
int	aas_finish_output(FILE *out, int status);

/*
 * Scan the top-level members of the JSON object in text.  For each member
 * cb gets the decoded key and the byte offsets of the member's key start,
 * value start and value end.  Returns 0, or -1 if text is not an object.
 * Exposed for the fuzz target and tests.
 */
int	aas_json_members(const char *text, size_t len,
	    int (*cb)(const char *key, size_t kstart, size_t vstart,
	    size_t vend, void *arg), void *arg);

#endif
