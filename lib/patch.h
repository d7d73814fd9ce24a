/*
 * patch.h: apply a model's edits to the text of one file.  Pure string
 * functions: no git, no files, no globals, safe to call from any thread.
 *
 * Two kinds of edit: a search/replace block and a unified diff (one file;
 * with or without ---/+++ headers, line numbers or counts; Codex
 * apply_patch "@@ anchor" hunks too).  Both go through a matcher that
 * tries steps from strict to lenient and reports the step that matched:
 *
 *   exact       the text is there byte for byte (\r before \n ignored)
 *   whitespace  equal once trailing blanks and blank lines are ignored
 *   indent      equal but for one uniform indentation shift; the new
 *               text is re-indented by the same shift
 *   elision     the search text has "..." lines: each segment matched in
 *               order, the elided middle of the file kept
 *   offset      a diff hunk found away from its line numbers (or it had
 *               none)
 *   fuzzy-hunk  a diff hunk that needed outer context dropped, unmarked
 *               context lines, or was placed by its numbers alone
 *   already     the edit's result is already in the file
 *
 * Lines keep their own endings; new lines get the file's usual ending
 * (CRLF when most lines have it), and a missing final newline stays
 * missing.
 */
#ifndef AAS_PATCH_H
#define AAS_PATCH_H

#include <stddef.h>

#include "aas.h"

enum aas_match {
	AAS_MATCH_EXACT,
	AAS_MATCH_OFFSET,
	AAS_MATCH_WHITESPACE,
	AAS_MATCH_INDENT,
	AAS_MATCH_ELISION,
	AAS_MATCH_FUZZY,
	AAS_MATCH_ALREADY
};

/*
 * The most work one edit may cost the matcher, in line comparisons.  An
 * edit that needs more fails with "match_too_costly" rather than keep
 * aas-apply busy for minutes: a file of one repeated line against a long
 * hunk costs file lines times hunk lines.  This is about a second.
 */
#define AAS_PATCH_WORK_MAX	200000000ULL

/* "exact", "offset", ... as listed above. */
const char *aas_match_name(enum aas_match m);
/* The more lenient of two steps (already counts only when both are). */
enum aas_match aas_match_worse(enum aas_match a, enum aas_match b);

/*
 * The result of one edit: the new text (owned, NUL-terminated), the step
 * that matched, and an optional note (owned, may be NULL); [first, last)
 * the lines (from 0) of text that the replacement now holds.
 *
 * When the edit fails the rest says why, for the model to fix it:
 * "ambiguous": where[0..nwhere) every line (from 1) where the search
 * text matches (the first AAS_PATCH_WHERE_MAX of nmatch); "no_match": the region of
 * the file most like the search text, lines [near_first, near_last) from
 * 1 (near_last 0: nothing alike), near_same of the search text's
 * near_of lines equal there but for white space, and near_diff (owned,
 * may be NULL) the lines that differ, "-" the search text's and "+" the
 * file's, at most AAS_PATCH_NEAR_MAX bytes.
 */
#define AAS_PATCH_WHERE_MAX	50
#define AAS_PATCH_NEAR_MAX	2000
struct aas_patch_res {
	char	*text;
	size_t	 len;
	enum aas_match match;
	char	*detail;
	size_t	 first, last;
	size_t	*where;
	size_t	 nwhere, nmatch;
	size_t	 near_first, near_last, near_same, near_of;
	char	*near_diff;
};
void	aas_patch_res_free(struct aas_patch_res *r);

/*
 * Replace search by replace in text (len bytes).  block numbers the edit
 * in messages ("search block 2 ...").  Returns 0 and fills res, or -1 with
 * e set: "ambiguous" (the message names the
 * first two lines where it matches), "no_match", "bad_edit" (empty
 * search, elision counts differ).  The caller prefixes messages with the
 * path.  res holds nothing after a failure (aas_patch_replace_ctx keeps
 * the refusal fields: release res with aas_patch_res_free either way).
 */
int	aas_patch_replace(const char *text, size_t len, const char *search,
	    const char *replace, int block, struct aas_patch_res *res,
	    struct aas_err *e);

/*
 * What the rest of the answer says about a block whose search text
 * matches in more than one place (aas-apply(1), AMBIGUITY):
 *   after  the earlier block of the same file ended before this line
 *          (from 1; 0: no earlier block): when exactly one of the places
 *          starts at or after it, that one is taken;
 *   alike  this block and the blocks of the same file after it that have
 *          the same search and the same replacement text (1 or more;
 *          0 as 1): when the file holds the search text exactly that many
 *          times, the first place is taken (the others follow, and the
 *          result is the same whichever block takes which place).
 * Otherwise, and at the elision step, the block is refused as before.
 * The rule that decided is named in res->detail.
 */
struct aas_patch_ctx {
	size_t	 after;
	size_t	 alike;
};
int	aas_patch_replace_ctx(const char *text, size_t len, const char *search,
	    const char *replace, int block, const struct aas_patch_ctx *ctx,
	    struct aas_patch_res *res, struct aas_err *e);

/* One parsed hunk.  Lines point into the diff's own copy of the text. */
struct aas_hunk_line {
	char	 kind;		/* ' ', '-' or '+' */
	int	 unmarked;	/* context line that lacked its leading space */
	int	 noeol;		/* followed by "\ No newline at end of file" */
	const char *s;
	size_t	 len;
};
struct aas_hunk {
	int	 numbered;	/* header had -a,b +c,d */
	long	 old_start, old_count, new_start, new_count;
	char	*header;	/* "@@ -10,4 +10,5 @@" as written, for messages */
	char	*anchor;	/* text after the header (a hint), or NULL */
	struct aas_hunk_line *lines;
	size_t	 n;
	size_t	 nold, nnew, unmarked;
};
struct aas_diff {
	char	*text;		/* owned copy the lines point into */
	char	*old_path, *new_path;	/* from ---/+++ (a/ b/ stripped), or NULL */
	int	 creates;	/* --- /dev/null or new file mode */
	int	 deletes;	/* +++ /dev/null or deleted file mode */
	struct aas_hunk *hunks;
	size_t	 nhunks;
};

/*
 * Parse a single-file unified diff.  Tolerant: declared counts are not
 * trusted, headers are optional, "*** Begin Patch" style lines are
 * skipped.  -1 with e set ("bad_diff") when there is no hunk, or when the
 * diff names a second file.  Release with aas_diff_free in either case.
 */
int	aas_diff_parse(const char *text, size_t len, struct aas_diff *d,
	    struct aas_err *e);
void	aas_diff_free(struct aas_diff *d);

/*
 * Apply diff to text.  Hunks are applied in order.  Returns 0 and fills
 * res, or -1 with e set: "no_match" ("hunk 2 (@@ -10,4 +10,5 @@) does
 * not fit"), "ambiguous", "bad_diff".  A hunk already applied is skipped
 * and noted; when every hunk is, res->match is AAS_MATCH_ALREADY.
 */
int	aas_patch_diff(const char *text, size_t len, const char *diff,
	    size_t dlen, struct aas_patch_res *res, struct aas_err *e);
/* The same with a parsed diff. */
int	aas_patch_apply_diff(const char *text, size_t len,
	    const struct aas_diff *d, struct aas_patch_res *res,
	    struct aas_err *e);

/*
 * New text for a file being rewritten whole: when most lines of old end
 * in CRLF and text has no CR, text with CRLF endings; else a copy.  The
 * result is NUL-terminated, its length in *outlen; the caller frees.
 */
char	*aas_patch_like_eol(const char *old, size_t olen, const char *text,
	    size_t len, size_t *outlen);

/* True when the line (len bytes) is an elision marker: "...", "# ...",
 * "// ...", a C comment holding only "...", or "…"; blanks around. */
int	aas_patch_is_elision(const char *s, size_t len);

#endif
