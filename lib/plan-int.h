/*
 * plan-int.h: what the answer-format parsers (lib/plan*.c) share: the
 * answer as an array of lines, fences and path lines.  Not for commands:
 * use plan.h.
 */
#ifndef AAS_PLAN_INT_H
#define AAS_PLAN_INT_H

#include <stddef.h>

#include <jansson.h>

struct ln {
	const char *s;
	size_t	 n;		/* without "\n" and a "\r" before it */
};

struct lines {
	struct ln *v;
	size_t	 n;
};

/*
 * A fence line (CommonMark): up to three spaces, then three or more
 * backticks or tildes; a backtick fence's info string has no backtick.
 * Also the <source> tags older models wrote instead: "<source>python"
 * opens (ch '<', tag 1, the info string what follows the tag) and
 * "</source>" closes (tag 2, never an opening).
 */
struct fence {
	char	 ch;
	int	 tag;
	size_t	 count;
	const char *info;
	size_t	 infolen;
};

/* The markers of a block: "<<<<<<< SEARCH", "<<<<<<< ORIGINAL" or
 * "<<<<<<< HEAD" opens, "=======" divides, "<<<<<<< REPLACE" or
 * ">>>>>>> UPDATED" (any case) closes. */
#define IS_SEARCH(l)	aas_pl_is_start(l)
#define IS_DIVIDER(l)	aas_pl_is_marker((l), '=', NULL)
#define IS_REPLACE(l)	aas_pl_is_end(l)
enum { K_FENCE = 1, K_SEARCH, K_REPLACE };

/* plan-lines.c */
/* Split text into L (CR of a CRLF end dropped); free with lines_free. */
void	 aas_pl_lines_split(struct lines *L, const char *text, size_t len);
void	 aas_pl_lines_free(struct lines *L);
/* A JSON string from bytes that should be UTF-8, invalid bytes replaced. */
int	 aas_pl_is_blank(const struct ln *l);
/* Does l start with p? */
int	 aas_pl_starts(const struct ln *l, const char *p);
/* Trim spaces at both ends of [*s, *s + *n). */
void	 aas_pl_trim(const char **s, size_t *n);
/* A marker line: 5 to 9 copies of c, optionally a space and word, then
 * only white space. */
int	 aas_pl_is_marker(const struct ln *l, char c, const char *word);
int	 aas_pl_is_start(const struct ln *l);
int	 aas_pl_is_end(const struct ln *l);
/* Is l a fence line?  Fills *f. */
int	 aas_pl_is_fence(const struct ln *l, struct fence *f);
/* Does l close a fence opened by open? */
int	 aas_pl_closes(const struct ln *l, const struct fence *open);
/* A line that names a file ("path", "### path", "**path**", "File: x"). */
int	 aas_pl_path_line(const struct ln *l, const char **ps, size_t *pn);
/* A path with a "/" or a "." in it (looks_like_path and more). */
int	 aas_pl_pathish(const char *s, size_t n);
/*
 * Prose that names one file before a fence: "Here is the updated
 * `src/util.py`:", "In src/x.py:", "### Changes to src/x.py".  The line
 * must end in ":" or be a heading; the candidates are the spans in
 * backticks, the words with a "/", and the last word before the ":";
 * exactly one distinct path among them, or none is taken.
 */
int	 aas_pl_prose_path(const struct ln *l, const char **ps, size_t *pn);
/* A path in a fence's info string ("python x.py", "path=x.py"). */
int	 aas_pl_info_path(const struct fence *f, const char **ps, size_t *pn);
/* Lines [a, b) joined, "\n" after each, as a JSON string. */
json_t	*aas_pl_join(const struct lines *L, size_t a, size_t b);
/* A new edit object {path, op}. */
json_t	*aas_pl_edit_new(const char *path, size_t pn, const char *op);

/* plan-json.c */
/* The first JSON object in text that has key, loaded leniently, or NULL. */
json_t	*aas_pl_find_object(const char *text, size_t len, const char *key);

#endif
