/*
 * board-int.h: what the board files (lib/board*.c) share: the board's
 * own structure and the helpers of parsing.  Not for commands: use
 * board.h.
 */
#ifndef AAS_BOARD_INT_H
#define AAS_BOARD_INT_H

#include <regex.h>
#include <stddef.h>

#include <jansson.h>

#include "board.h"

#define DEFAULT_ID_PATTERN	"[A-Z][A-Z0-9]*-[0-9]+(-[0-9]+)*"

struct span {
	size_t	s, e;
};

/* A "- Key: value" line of a heading block. */
struct hfield {
	struct span key, val;
	size_t	 lstart, lnext;	/* the whole line, ending included */
};

struct table {
	char	**cols;		/* header names, unescaped and trimmed */
	size_t	 ncols;
	int	 idcol, titlecol, statuscol, depscol, parentcol;
	int	 lead, trail;	/* rows written with leading/trailing pipes */
	size_t	 hdr_line;
};

/* Where a task lives in the text; parallel to b->tasks. */
struct tinfo {
	int	 table;		/* index into b->tables, or -1 */
	size_t	 rstart, rend, rnext;	/* the row line */
	struct span *cells;
	size_t	 ncells;
	int	 has_head;
	int	 level;
	size_t	 hstart, hend;	/* heading block [hstart, hend) */
	size_t	 hline;		/* 1-based line of the heading */
	size_t	 hlnext;	/* just past the heading line */
	size_t	 fend;		/* just past the last field line */
	struct hfield *flds;
	size_t	 nflds;
	int	 dup;		/* another task has the same id */
	int	 queued;	/* a status edit of it waits in b->pend */
};

/* An edit waiting to be applied: [from, to) of the text as last parsed
 * becomes repl (see aas_bd_queue). */
struct pend {
	size_t	 from, to, seq;
	char	*repl;
	size_t	 rlen;
};

struct aas_board {
	char	*name;
	char	*text;
	size_t	 len;
	char	*pattern;
	json_t	*status_names;
	regex_t	 re;
	int	 yaml;		/* read from a YAML plan: read-only */
	int	 no_sha;	/* aas_board_opts no_sha */
	struct aas_task *tasks;
	struct tinfo *info;
	size_t	 ntasks, cap;
	struct table *tables;
	size_t	 ntables;
	size_t	*hash;		/* id -> index + 1 (first occurrence) */
	size_t	 hcap;
	size_t	 unclosed_fence;	/* line of a fence never closed, or 0 */
	const char *eol;	/* "\n" or "\r\n": the board's line ending */
	int	 batch;		/* inside aas_board_update: status edits wait */
	int	 queue;		/* board_splice hands its edit to aas_bd_queue */
	struct pend *pend;	/* waiting edits, in the order made */
	size_t	 npend, pcap;
};

enum role { R_OTHER, R_ID, R_TITLE, R_STATUS, R_DEPS, R_PARENT };

/* board.c: small helpers and statuses */
extern const char *const aas_bd_st_names[];	/* by enum aas_status */
extern const char *const aas_bd_st_emoji[];	/* the emoji of each */
/* Is [s, e) of t only white space? */
int	 aas_bd_is_blank(const char *t, size_t s, size_t e);
/* Narrow [*s, *e) of t to its non-space content. */
void	 aas_bd_trim(const char *t, size_t *s, size_t *e);
/* Content end of the line starting at i; *next gets the next line. */
size_t	 aas_bd_line_end(const char *t, size_t len, size_t i, size_t *next);
/* Equal ignoring ASCII case. */
int	 aas_bd_ieq(const char *a, const char *b);
/* (Re)build the id -> index hash of b's tasks. */
void	 aas_bd_hash_build(struct aas_board *b);
/* The index of the first task with id, or -1. */
long	 aas_bd_find_index(const struct aas_board *b, const char *id);
/* Does id match the board's id pattern? */
int	 aas_bd_id_ok(const struct aas_board *b, const char *id);
/* Copy [s, e) of t undoing pipe escapes (aas_bd_pipe_escape); cells. */
char	*aas_bd_cell_text(const char *t, size_t s, size_t e);
/* Strip decoration an id may wear in a cell: `AAS-1`, **AAS-1**. */
char	*aas_bd_bare_id(const char *s);
/* A status text read with the board's own status names. */
enum aas_status
	 aas_bd_status_read(const struct aas_board *b, const char *raw);
/* Split a status text into decoration and word (see board.c). */
void	 aas_bd_status_split(const char *s, size_t *ws, size_t *we,
	    int *box);

/*
 * Status edits inside aas_board_update wait instead of re-parsing the
 * whole board each (which made N edits cost N parses): set_status turns
 * on b->queue around its splice, the splice lands in b->pend, and the
 * task's status and status_raw are set in place (aas_bd_queued_status).
 * Offsets stay those of the text as last parsed, so the edits of
 * different tasks never overlap; a second edit of a task already waiting
 * applies the waiting ones first (aas_bd_settle).  aas_bd_flush applies
 * all of them in one pass and parses once; every other edit, and every
 * accessor that shows text, lines or hashes, flushes first.
 */
/* Queue [from, to) -> repl; -1 (code "board") if repl is not UTF-8 text,
 * which the parse would refuse. */
int	 aas_bd_queue(struct aas_board *b, size_t from, size_t to,
	    const char *repl, size_t rlen, struct aas_err *e);
/* After a status edit of task i that was queued: status text written. */
void	 aas_bd_queued_status(struct aas_board *b, long i, const char *text);
/* Flush when task i already has an edit waiting. */
int	 aas_bd_settle(struct aas_board *b, long i, struct aas_err *e);
/* Apply every waiting edit in one pass and parse once (e may be NULL);
 * the tasks stay at their addresses.  On failure the board is as last
 * parsed, the edits dropped. */
int	 aas_bd_flush(struct aas_board *b, struct aas_err *e);

/* board-parse.c */
/* Is [s, s + n) valid UTF-8 without a NUL byte? */
int	 aas_bd_utf8_ok(const char *s, size_t n);
struct aas_board *aas_bd_board_new(const char *name,
	    const struct aas_board_opts *o, struct aas_err *e);
/* Drop the tasks and tables of b, keeping its text and options. */
void	 aas_bd_board_reset(struct aas_board *b);
/* Parse b->text (Markdown) into b's tasks. */
int	 aas_bd_parse_text(struct aas_board *b, struct aas_err *e);
/* Parse the text in o (which is emptied) into nb, a new board with b's
 * name and options; on failure nb holds nothing (b is never touched). */
int	 aas_bd_parse_new(struct aas_board *nb, const struct aas_board *b,
	    struct aas_buf *o, struct aas_err *e);
/* The body of a block [s, e) of t as a string. */
char	*aas_bd_block_body(const char *t, size_t s, size_t e);
/* Mark the tasks whose id another task has too. */
void	 aas_bd_mark_dups(struct aas_board *b);
/* A new zeroed task at the end of b; *ip gets its tinfo. */
struct aas_task *aas_bd_new_task(struct aas_board *b, struct tinfo **ip);
void	 aas_bd_parse_deps(struct aas_task *t, const char *s);
/* Set the field name of t to val (only when unset unless overwrite). */
void	 aas_bd_task_value(struct aas_task *t, const char *name,
	    const char *val, int overwrite);
/* Empty title, status text and body where missing; the status read. */
void	 aas_bd_task_defaults(const struct aas_board *b, struct aas_task *t);
/* The role of a table column or field named n. */
enum role aas_bd_name_role(const char *n);

/* Write a line [s, s + n) of text from outside (a model's description)
 * so that the board reads it as text: never a heading, a field line, a
 * table row or a fence.  Pipes are escaped (aas_bd_pipe_escape), and a
 * backslash goes before a line that would open a heading, a field or a
 * fence (after up to three spaces); Markdown shows the same text. */
void	 aas_bd_text_line(struct aas_buf *o, const char *s, size_t n);
/* Append [s, s + n) with every "|" escaped, a run of k backslashes
 * before one written as 2k + 1 (aas_bd_cell_text undoes it). */
void	 aas_bd_pipe_escape(struct aas_buf *o, const char *s, size_t n);

/* board-yaml.c */
/* Does path name a YAML plan (.yml, .yaml)? */
int	 aas_bd_is_yaml_name(const char *path);
/* Parse b->text as a YAML plan into b's tasks. */
int	 aas_bd_parse_yaml(struct aas_board *b, struct aas_err *e);

#endif
