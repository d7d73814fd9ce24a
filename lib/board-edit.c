/* board-edit.c: edits to a board by splicing its text: fields,
 * statuses, new tasks.  See board.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "board-int.h"
#include "banned.h"

/* Replace [from, to) with repl and parse again; b unchanged on failure. */
static int
board_splice(struct aas_board *b, size_t from, size_t to, const char *repl,
    size_t rlen, struct aas_err *e)
{
	struct aas_board nb;
	struct aas_buf o = AAS_BUF_INIT;
	char *oldtext = b->text;
	size_t oldlen = b->len;

	if (b->queue)	/* a status edit in a batch: see board-int.h */
		return aas_bd_queue(b, from, to, repl, rlen, e);
	aas_buf_grow(&o, b->len - (to - from) + rlen);
	aas_buf_add(&o, b->text, from);
	aas_buf_add(&o, repl, rlen);
	aas_buf_add(&o, b->text + to, b->len - to);
	if (aas_bd_parse_new(&nb, b, &o, e) == -1)
		return -1;
	b->text = oldtext;
	b->len = oldlen;
	aas_bd_board_reset(b);
	free(oldtext);
	*b = nb;
	return 0;
}

static int
writable(const struct aas_board *b, struct aas_err *e)
{
	if (b->yaml)
		return aas_err_set(e, "board", "%s: a YAML plan is read-only",
		    b->name);
	return 0;
}

static long
need_task(const struct aas_board *b, const char *id, struct aas_err *e)
{
	long i = aas_bd_find_index(b, id);

	if (i < 0)
		aas_err_set(e, "unknown_id", "%s: no task %s on the board",
		    b->name, id);
	return i;
}

static char *
one_line(const char *s)
{
	char *p = aas_xstrdup(s), *q;

	for (q = p; *q; q++)
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	return p;
}

/* Escape text for a table cell: line breaks -> spaces, every "|"
 * escaped with the backslashes before it (aas_bd_pipe_escape), so the
 * cell reads back as the same text. */
static char *
cell_escape(const char *s)
{
	struct aas_buf o = AAS_BUF_INIT;
	char *one = one_line(s);

	aas_buf_add(&o, "", 0);
	aas_bd_pipe_escape(&o, one, strlen(one));
	free(one);
	return aas_buf_detach(&o, NULL);
}

static int
field_index(const struct aas_board *b, const struct tinfo *in,
    const char *key)
{
	size_t k;
	int r = -1;

	for (k = 0; k < in->nflds; k++) {
		char *name = aas_xstrndup(b->text + in->flds[k].key.s,
		    in->flds[k].key.e - in->flds[k].key.s);

		if (aas_bd_ieq(name, key) ||
		    (aas_bd_name_role(key) != R_OTHER &&
		    aas_bd_name_role(name) == aas_bd_name_role(key)))
			r = (int)k;
		free(name);
		if (r >= 0)
			return r;
	}
	return -1;
}

/* Set a heading block's field, adding the line if it is missing. */
static int
head_set(struct aas_board *b, long i, const char *key, const char *value,
    struct aas_err *e)
{
	struct tinfo *in = &b->info[i];
	char *v = one_line(value), *line;
	int k = field_index(b, in, key), rc;

	if (k >= 0) {
		rc = board_splice(b, in->flds[k].val.s, in->flds[k].val.e, v,
		    strlen(v), e);
		free(v);
		return rc;
	}
	if (in->fend == b->len && (b->len == 0 ||
	    b->text[b->len - 1] != '\n'))
		line = aas_xasprintf("%s- %s: %s", b->eol, key, v);
	else
		line = aas_xasprintf("- %s: %s%s", key, v, b->eol);
	rc = board_splice(b, in->fend, in->fend, line, strlen(line), e);
	free(line);
	free(v);
	return rc;
}

/* Width of a row's cell from pipe to pipe, or 0 when it has no pipes. */
static size_t
cell_box(const struct aas_board *b, const struct tinfo *in, size_t col)
{
	size_t s, en;

	if (col >= in->ncells)
		return 0;
	s = in->cells[col].s;
	en = in->cells[col].e;
	while (s > in->rstart && b->text[s - 1] != '|')
		s--;
	while (en < in->rend && b->text[en] != '|')
		en++;
	if (s == in->rstart || en >= in->rend)
		return 0;
	return en - s;
}

/*
 * Width between the pipes around column col of the table's separator row
 * (the line after the header), or 0.  Only tables written with a leading
 * pipe are considered.
 */
static size_t
sep_box(const struct aas_board *b, const struct table *tb, size_t col)
{
	size_t line = 1, i = 0, k, start;

	while (i < b->len && line < tb->hdr_line + 1)
		if (b->text[i++] == '\n')
			line++;
	while (i < b->len && b->text[i] == ' ')
		i++;
	if (i >= b->len || b->text[i] != '|')
		return 0;
	for (k = 0; k <= col; k++) {
		start = ++i;
		while (i < b->len && b->text[i] != '|' && b->text[i] != '\n')
			i++;
		if (i >= b->len || b->text[i] != '|')
			return 0;
	}
	return i - start;
}

/*
 * Keep an aligned table aligned.  A table counts as aligned when the
 * cell's width, pipe to pipe, is that of its column in the separator row.
 * Then a shorter value is padded to the old value's length, and a longer
 * one takes the spare blanks after the old value (all but one), so the
 * change stays inside the cell.  Elsewhere only the value changes.  *enp
 * may move past the blanks taken.
 */
static char *
keep_width(const struct aas_board *b, long i, size_t col, char *v,
    size_t *enp)
{
	const struct tinfo *in = &b->info[i];
	size_t en = in->cells[col].e, oldlen = en - in->cells[col].s;
	size_t box = cell_box(b, in, col), pad = 0, n = strlen(v);
	char *w;

	if (box == 0 || box != sep_box(b, &b->tables[in->table], col))
		return v;
	while (en + pad < in->rend && b->text[en + pad] == ' ')
		pad++;
	if (n < oldlen) {
		w = aas_xasprintf("%s%*s", v, (int)(oldlen - n), "");
		free(v);
		return w;
	}
	if (pad > 1)
		*enp = en + (n - oldlen < pad - 1 ? n - oldlen : pad - 1);
	return v;
}

static int
row_set(struct aas_board *b, long i, int col, const char *value,
    struct aas_err *e)
{
	struct tinfo *in = &b->info[i];
	char *v, *w;
	size_t s, en;
	int rc;

	if ((size_t)col >= in->ncells)
		return aas_err_set(e, "board", "%s:%zu: %s: the row has no "
		    "cell for column %s", b->name, b->tasks[i].line,
		    b->tasks[i].id, b->tables[in->table].cols[col]);
	v = cell_escape(value);
	s = in->cells[col].s;
	en = in->cells[col].e;
	if (s == en && *v != '\0') {
		/* an empty cell: fill it as " value " between its pipes */
		while (s > in->rstart && b->text[s - 1] != '|')
			s--;
		while (en < in->rend && b->text[en] != '|')
			en++;
		w = aas_xasprintf(" %s%s", v, en < in->rend ? " " : "");
		free(v);
		v = w;
	} else if (s < en)
		v = keep_width(b, i, (size_t)col, v, &en);
	rc = board_splice(b, s, en, v, strlen(v), e);
	free(v);
	return rc;
}

static int
column_of(const struct table *tb, const char *key)
{
	size_t c;
	enum role r = aas_bd_name_role(key);

	for (c = 0; c < tb->ncols; c++)
		if (aas_bd_ieq(tb->cols[c], key) || (r != R_OTHER &&
		    aas_bd_name_role(tb->cols[c]) == r))
			return (int)c;
	return -1;
}

int
aas_board_set_field(struct aas_board *b, const char *id, const char *key,
    const char *value, struct aas_err *e)
{
	long i;
	struct tinfo *in;
	int col;

	if (writable(b, e) == -1 || aas_bd_flush(b, e) == -1 ||
	    (i = need_task(b, id, e)) < 0)
		return -1;
	in = &b->info[i];
	if (in->table >= 0) {
		col = column_of(&b->tables[in->table], key);
		if (col >= 0)
			return row_set(b, i, col, value, e);
		if (!in->has_head || aas_bd_name_role(key) == R_ID)
			return aas_err_set(e, "board", "%s:%zu: %s: the table "
			    "has no %s column", b->name, b->tasks[i].line, id,
			    key);
	}
	return head_set(b, i, key, value, e);
}

/* Does raw use a decoration class: 2 emoji, 1 checkbox, 0 plain. */
static int
deco_class(const char *raw)
{
	size_t ws, we;
	int box;

	aas_bd_status_split(raw, &ws, &we, &box);
	if (box >= 0)
		return 1;
	if (ws > 0 || we < strlen(raw))
		return 2;
	return 0;
}

/*
 * The text for status st replacing raw.  Configured names win; else a
 * status text another task on the board already uses for st in the same
 * style; else raw's style (checkbox, emoji, letter case) on the new word.
 */
static char *
status_text(const struct aas_board *b, const char *raw, enum aas_status st)
{
	const char *name = aas_bd_st_names[st], *cfg;
	size_t ws, we, i;
	int box, cls = deco_class(raw), upper = 1, lower = 1;
	struct aas_buf o = AAS_BUF_INIT;
	char *word;

	cfg = json_string_value(json_object_get(b->status_names, name));
	if (cfg != NULL)
		return aas_xstrdup(cfg);
	if (*raw == '\0')
		return aas_xstrdup(name);
	if (cls != 0)
		for (i = 0; i < b->ntasks; i++)
			if (b->tasks[i].status == st &&
			    deco_class(b->tasks[i].status_raw) == cls)
				return aas_xstrdup(b->tasks[i].status_raw);
	aas_bd_status_split(raw, &ws, &we, &box);
	for (i = ws; i < we; i++) {
		if (islower((unsigned char)raw[i]))
			upper = 0;
		if (isupper((unsigned char)raw[i]))
			lower = 0;
	}
	word = aas_xstrdup(name);
	for (i = 0; word[i]; i++)
		word[i] = (char)(upper && ws < we ? toupper((unsigned char)
		    word[i]) : lower && ws < we ? tolower((unsigned char)
		    word[i]) : word[i]);
	if (box >= 0) {
		aas_buf_add(&o, raw, ws);
		/* flip the box in place, keeping what surrounds it */
		for (i = 0; i + 2 < o.len; i++)
			if (o.s[i] == '[' && o.s[i + 2] == ']') {
				o.s[i + 1] = st == AAS_ST_DONE ? (raw[i + 1] ==
				    ' ' ? 'x' : raw[i + 1]) : ' ';
				break;
			}
		if (ws < we)
			aas_buf_adds(&o, word);
	} else if (cls == 2) {
		aas_buf_adds(&o, aas_bd_st_emoji[st]);
		aas_buf_adds(&o, " ");
		aas_buf_adds(&o, word);
	} else
		aas_buf_adds(&o, word);
	free(word);
	return aas_buf_detach(&o, NULL);
}

/* Write st over the status text in [s, en) unless it already says st.
 * The first text written goes to *wrote (the caller frees it). */
static int
status_at(struct aas_board *b, long i, int col, size_t s, size_t en,
    enum aas_status st, char **wrote, struct aas_err *e)
{
	char *raw = aas_xstrndup(b->text + s, en - s), *text = NULL;
	int rc = 0;

	if (*raw == '\0' || aas_status_parse(raw) != st) {
		text = status_text(b, raw, st);
		rc = col >= 0 ? row_set(b, i, col, text, e) :
		    head_set(b, i, "Status", text, e);
	}
	free(raw);
	if (rc == 0 && text != NULL && *wrote == NULL)
		*wrote = text;
	else
		free(text);
	return rc;
}

/* Drop the edits queued since npend (a status edit that failed half way). */
static void
unqueue(struct aas_board *b, size_t npend)
{
	while (b->npend > npend)
		free(b->pend[--b->npend].repl);
}

/*
 * The status goes everywhere the task shows one: its row's Status cell
 * and its heading block's Status line (a heading-only task gets the line
 * when it has none).  A task written both ways keeps no stale copy.
 * Inside aas_board_update the splices wait in b->pend (see board-int.h);
 * outside it each one re-parses, so the text is kept to undo a row edit
 * whose heading edit failed.
 */
int
aas_board_set_status(struct aas_board *b, const char *id,
    enum aas_status st, struct aas_err *e)
{
	long i;
	struct tinfo *in;
	char *orig = NULL, *wrote = NULL;
	size_t olen = 0, npend;
	int col = -1, k, rc = 0;

	if (st <= AAS_ST_UNKNOWN || st > AAS_ST_BLOCKED)
		return aas_err_set(e, "board", "unknown status");
	if (writable(b, e) == -1 || (i = need_task(b, id, e)) < 0 ||
	    aas_bd_settle(b, i, e) == -1)
		return -1;
	npend = b->npend;
	in = &b->info[i];
	if (in->table >= 0)
		col = b->tables[in->table].statuscol;
	if (col < 0 && !in->has_head)
		return aas_err_set(e, "board", "%s:%zu: %s: the table has no "
		    "Status column", b->name, b->tasks[i].line, id);
	b->queue = b->batch;
	if (!b->queue) {
		orig = aas_xstrndup(b->text, b->len);
		olen = b->len;
	}
	if (col >= 0 && (size_t)col < in->ncells)
		rc = status_at(b, i, col, in->cells[col].s, in->cells[col].e,
		    st, &wrote, e);
	else if (col >= 0 && (rc = row_set(b, i, col, aas_status_name(st),
	    e)) == 0)
		wrote = aas_xstrdup(aas_status_name(st));
	if (rc == 0 && (i = need_task(b, id, e)) < 0)
		rc = -1;
	if (rc == 0 && b->info[i].has_head) {
		in = &b->info[i];
		k = field_index(b, in, "Status");
		if (k >= 0)
			rc = status_at(b, i, -1, in->flds[k].val.s,
			    in->flds[k].val.e, st, &wrote, e);
		else if (col < 0)
			rc = status_at(b, i, -1, 0, 0, st, &wrote, e);
	}
	b->queue = 0;
	if (rc == -1 && orig == NULL)
		unqueue(b, npend);
	else if (rc == -1 && (b->len != olen || memcmp(b->text, orig,
	    olen) != 0))
		/* the row changed and the heading failed: undo the row */
		(void)board_splice(b, 0, b->len, orig, olen, NULL);
	else if (rc == 0 && b->npend > npend)
		aas_bd_queued_status(b, i, wrote);
	free(orig);
	free(wrote);
	return rc;
}

/* Is id a descendant of anc ("AAS-1-2" of "AAS-1") or parented by it? */
static int
descends(const struct aas_board *b, const struct aas_task *t,
    const char *anc, int depth)
{
	size_t n = strlen(anc);
	long p;

	if (strncmp(t->id, anc, n) == 0 && t->id[n] == '-')
		return 1;
	if (t->parent == NULL || depth > 64)
		return 0;
	if (strcmp(t->parent, anc) == 0)
		return 1;
	p = aas_bd_find_index(b, t->parent);
	return p >= 0 && descends(b, &b->tasks[p], anc, depth + 1);
}

static void
row_text(struct aas_buf *o, const struct aas_board *b, const struct table *tb,
    const struct aas_newtask *nt)
{
	size_t c, k;
	char *v;

	if (tb->lead)
		aas_buf_adds(o, "| ");
	for (c = 0; c < tb->ncols; c++) {
		struct aas_buf cell = AAS_BUF_INIT;

		switch (aas_bd_name_role(tb->cols[c])) {
		case R_ID:
			aas_buf_adds(&cell, nt->id);
			break;
		case R_TITLE:
			aas_buf_adds(&cell, nt->title);
			break;
		case R_STATUS:
			v = status_text(b, "", nt->status);
			aas_buf_adds(&cell, v);
			free(v);
			break;
		case R_DEPS:
			for (k = 0; k < nt->ndeps; k++)
				aas_buf_printf(&cell, "%s%s", k ? ", " : "",
				    nt->deps[k]);
			break;
		case R_PARENT:
			if (nt->parent != NULL)
				aas_buf_adds(&cell, nt->parent);
			break;
		case R_OTHER:
			break;
		}
		v = cell_escape(cell.s != NULL ? cell.s : "");
		if (c > 0)
			aas_buf_adds(o, " | ");
		aas_buf_adds(o, v);
		free(v);
		aas_buf_free(&cell);
	}
	if (tb->trail)
		aas_buf_adds(o, " |");
}

static void
block_text(struct aas_buf *o, const struct aas_board *b, int level,
    const struct aas_newtask *nt)
{
	size_t k;
	char *v, *title = one_line(nt->title);
	const char *eol = b->eol, *p, *q;

	for (k = 0; k < (size_t)level; k++)
		aas_buf_addc(o, '#');
	aas_buf_printf(o, " %s: %s%s", nt->id, title, eol);
	free(title);
	v = status_text(b, "", nt->status);
	aas_buf_printf(o, "- Status: %s%s", v, eol);
	free(v);
	if (nt->ndeps > 0) {
		aas_buf_adds(o, "- Depends: ");
		for (k = 0; k < nt->ndeps; k++)
			aas_buf_printf(o, "%s%s", k ? ", " : "", nt->deps[k]);
		aas_buf_adds(o, eol);
	}
	if (nt->parent != NULL)
		aas_buf_printf(o, "- Parent: %s%s", nt->parent, eol);
	if (nt->body != NULL && *nt->body != '\0') {
		/* text from outside: each line escaped so that it can
		 * start no heading, field, table row or fence */
		aas_buf_adds(o, eol);
		for (p = nt->body; *p; p = *q != '\0' ? q + 1 : q) {
			struct aas_buf ln = AAS_BUF_INIT;
			const char *c;

			q = strchr(p, '\n');
			if (q == NULL)
				q = p + strlen(p);
			aas_buf_add(&ln, "", 0);
			for (c = p; c < q; c++)
				if (*c != '\r')
					aas_buf_addc(&ln, *c);
			aas_bd_text_line(o, ln.s, ln.len);
			aas_buf_free(&ln);
			aas_buf_adds(o, eol);
		}
	}
	aas_buf_adds(o, eol);
}

static int
check_new(const struct aas_board *b, const struct aas_newtask *t, size_t n,
    struct aas_err *e)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (t[i].id == NULL || !aas_bd_id_ok(b, t[i].id))
			return aas_err_set(e, "board", "%s: bad new id '%s'",
			    b->name, t[i].id != NULL ? t[i].id : "");
		if (aas_bd_find_index(b, t[i].id) >= 0)
			return aas_err_set(e, "board", "%s: id %s is already "
			    "on the board", b->name, t[i].id);
		for (j = 0; j < i; j++)
			if (strcmp(t[i].id, t[j].id) == 0)
				return aas_err_set(e, "board", "%s: new id %s "
				    "given twice", b->name, t[i].id);
		if (t[i].status <= AAS_ST_UNKNOWN || t[i].status >
		    AAS_ST_BLOCKED)
			return aas_err_set(e, "board", "%s: %s: bad status",
			    b->name, t[i].id);
	}
	return 0;
}

/* Insert text at pos, the start of a line (or the end of the text). */
static int
insert_lines(struct aas_board *b, size_t pos, const char *s, size_t n,
    struct aas_err *e)
{
	struct aas_buf o = AAS_BUF_INIT;
	int rc;

	if (pos == b->len && b->len > 0 && b->text[b->len - 1] != '\n') {
		/* no final newline: keep it that way */
		aas_buf_adds(&o, b->eol);
		aas_buf_add(&o, s, n - strlen(b->eol));
	} else
		aas_buf_add(&o, s, n);
	rc = board_splice(b, pos, pos, o.s, o.len, e);
	aas_buf_free(&o);
	return rc;
}

/* Heading blocks (each ending in a blank line) at the end of the text:
 * a blank line before them, none after, the final newline kept or not. */
static int
insert_at_end(struct aas_board *b, struct aas_buf *blocks,
    struct aas_err *e)
{
	struct aas_buf o = AAS_BUF_INIT;
	size_t el = strlen(b->eol), n = blocks->len - el;
	int rc, nofinal = b->len > 0 && b->text[b->len - 1] != '\n';

	if (nofinal)
		aas_buf_adds(&o, b->eol);
	if (b->len > 0 && !(b->len >= 2 && b->text[b->len - 1] == '\n' &&
	    (b->text[b->len - 2] == '\n' || (b->len >= 3 &&
	    b->text[b->len - 2] == '\r' && b->text[b->len - 3] == '\n'))))
		aas_buf_adds(&o, b->eol);
	aas_buf_add(&o, blocks->s, nofinal ? n - el : n);
	rc = board_splice(b, b->len, b->len, o.s, o.len, e);
	aas_buf_free(&o);
	aas_buf_free(blocks);
	return rc;
}

static int
insert_raw(struct aas_board *b, const char *after_id,
    const struct aas_newtask *t, size_t n, struct aas_err *e)
{
	struct aas_buf o = AAS_BUF_INIT;
	struct tinfo *in;
	long i;
	size_t j, pos, k;
	int rc;

	if (writable(b, e) == -1 || check_new(b, t, n, e) == -1)
		return -1;
	if (after_id == NULL) {
		/* a board with no task yet: heading blocks at the end */
		for (k = 0; k < n; k++)
			block_text(&o, b, 2, &t[k]);
		return n > 0 ? insert_at_end(b, &o, e) : 0;
	}
	if ((i = need_task(b, after_id, e)) < 0)
		return -1;
	if (n == 0)
		return 0;
	in = &b->info[i];
	if (in->table >= 0) {
		const struct table *tb = &b->tables[in->table];

		if (tb->titlecol < 0)
			return aas_err_set(e, "board", "%s:%zu: the table has "
			    "no Title column", b->name, tb->hdr_line);
		pos = in->rnext;
		for (j = (size_t)i + 1; j < b->ntasks; j++) {
			if (b->info[j].table != in->table ||
			    !descends(b, &b->tasks[j], after_id, 0))
				break;
			pos = b->info[j].rnext;
		}
		for (k = 0; k < n; k++) {
			row_text(&o, b, tb, &t[k]);
			aas_buf_adds(&o, b->eol);
		}
	} else {
		pos = in->hend;
		for (j = (size_t)i + 1; j < b->ntasks; j++) {
			if (b->info[j].table >= 0 || !b->info[j].has_head ||
			    b->info[j].level < in->level ||
			    !descends(b, &b->tasks[j], after_id, 0))
				break;
			pos = b->info[j].hend;
		}
		for (k = 0; k < n; k++)
			block_text(&o, b, in->level, &t[k]);
		if (pos == b->len)
			return insert_at_end(b, &o, e);
	}
	rc = insert_lines(b, pos, o.s, o.len, e);
	aas_buf_free(&o);
	return rc;
}

/* What a task said before an insert, to compare with after it. */
struct was {
	char	*id, *title, sha[65];
	enum aas_status st;
};

/* Is task t (at index i) what the new task nt was to be?  A table
 * without a Status, Depends or Parent column holds no such value. */
static int
reads_as(const struct aas_board *b, size_t i, const struct aas_newtask *nt)
{
	const struct aas_task *t = &b->tasks[i];
	const struct table *tb = b->info[i].table >= 0 ?
	    &b->tables[b->info[i].table] : NULL;
	char *title = one_line(nt->title);
	size_t s = 0, e = strlen(title), k;
	int same;

	aas_bd_trim(title, &s, &e);
	same = strlen(t->title) == e - s &&
	    memcmp(t->title, title + s, e - s) == 0;
	free(title);
	if (same && (tb == NULL || tb->statuscol >= 0))
		same = t->status == nt->status;
	if (same && (tb == NULL || tb->parentcol >= 0))
		same = nt->parent == NULL ? t->parent == NULL :
		    t->parent != NULL && strcmp(t->parent, nt->parent) == 0;
	if (same && (tb == NULL || tb->depscol >= 0)) {
		same = t->ndeps == nt->ndeps;
		for (k = 0; same && k < nt->ndeps; k++)
			same = strcmp(t->deps[k], nt->deps[k]) == 0;
	}
	return same;
}

/*
 * After an insert the board must read as exactly the tasks it had, in
 * their order and each with the same id, title, status and text (sha),
 * plus the new ones, each as given.  Else *e says which task differs.
 */
static int
same_plus(const struct aas_board *b, const struct was *old, size_t nold,
    const struct aas_newtask *t, size_t n, struct aas_err *e)
{
	size_t i, j = 0, k;
	const struct aas_task *bt;

	if (b->ntasks != nold + n)
		return aas_err_set(e, "board", "%s: after the insert the board "
		    "would hold %zu tasks, not %zu", b->name, b->ntasks,
		    nold + n);
	for (i = 0; i < b->ntasks; i++) {
		bt = &b->tasks[i];
		for (k = 0; k < n && strcmp(bt->id, t[k].id) != 0; k++)
			;
		if (k < n) {
			if (b->info[i].dup || !reads_as(b, i, &t[k]))
				return aas_err_set(e, "board", "%s: new task %s "
				    "would not read back as given", b->name,
				    t[k].id);
			continue;
		}
		if (j == nold || strcmp(bt->id, old[j].id) != 0 ||
		    strcmp(bt->title, old[j].title) != 0 ||
		    bt->status != old[j].st || strcmp(bt->sha, old[j].sha) != 0)
			return aas_err_set(e, "board", "%s: the insert would "
			    "change task %s", b->name,
			    j < nold ? old[j].id : bt->id);
		j++;
	}
	return 0;
}

/*
 * Insert, then make sure the board reads back as before plus exactly the
 * new tasks (an unclosed code fence above would swallow them, text that
 * looked like a heading would add more); undo and fail when not.  With
 * after_id NULL the tasks go at the end as heading blocks (a board with
 * no task yet).
 */
static int
insert_checked(struct aas_board *b, const char *after_id,
    const struct aas_newtask *t, size_t n, struct aas_err *e)
{
	char *old = aas_xstrndup(b->text, b->len);
	size_t oldlen = b->len, nold = b->ntasks, k;
	struct was *was = aas_xcalloc(nold + 1, sizeof(*was));
	int rc;

	for (k = 0; k < nold; k++) {
		was[k].id = aas_xstrdup(b->tasks[k].id);
		was[k].title = aas_xstrdup(b->tasks[k].title);
		memcpy(was[k].sha, b->tasks[k].sha, sizeof(was[k].sha));
		was[k].st = b->tasks[k].status;
	}
	rc = insert_raw(b, after_id, t, n, e);
	for (k = 0; rc == 0 && k < n; k++) {
		if (aas_bd_find_index(b, t[k].id) < 0)
			rc = aas_err_set(e, "board", "%s: new task %s would "
			    "not be read back (inside a code fence?)",
			    b->name, t[k].id);
	}
	if (rc == 0)
		rc = same_plus(b, was, nold, t, n, e);
	if (rc == -1 && (b->len != oldlen || memcmp(b->text, old, oldlen)))
		board_splice(b, 0, b->len, old, oldlen, NULL);
	for (k = 0; k < nold; k++) {
		free(was[k].id);
		free(was[k].title);
	}
	free(was);
	free(old);
	return rc;
}

int
aas_board_insert_after(struct aas_board *b, const char *after_id,
    const struct aas_newtask *t, size_t n, struct aas_err *e)
{
	if (aas_bd_flush(b, e) == -1)
		return -1;
	return insert_checked(b, after_id, t, n, e);
}

/* Split an id into the text before its first number and that number. */
static int
id_number(const char *id, size_t *plen, unsigned long *num)
{
	size_t i;

	for (i = 0; id[i] && !isdigit((unsigned char)id[i]); i++)
		;
	if (id[i] == '\0')
		return -1;
	*plen = i;
	*num = strtoul(id + i, NULL, 10);
	return 0;
}

int
aas_board_append(struct aas_board *b, const char *title, char **idp,
    struct aas_err *e)
{
	struct aas_newtask nt;
	const struct aas_task *last;
	unsigned long max = 0, num;
	size_t plen, lp, i;
	char *prefix, *id;
	int rc;

	if (writable(b, e) == -1 || aas_bd_flush(b, e) == -1)
		return -1;
	if (b->ntasks == 0)
		prefix = aas_xstrdup("AAS-");
	else {
		last = &b->tasks[b->ntasks - 1];
		if (id_number(last->id, &lp, &num) == -1)
			return aas_err_set(e, "board", "%s: cannot number a "
			    "task after %s", b->name, last->id);
		prefix = aas_xstrndup(last->id, lp);
	}
	for (i = 0; i < b->ntasks; i++)
		if (id_number(b->tasks[i].id, &plen, &num) == 0 &&
		    plen == strlen(prefix) &&
		    strncmp(b->tasks[i].id, prefix, plen) == 0 && num > max)
			max = num;
	id = aas_xasprintf("%s%lu", prefix, max + 1);
	free(prefix);
	memset(&nt, 0, sizeof(nt));
	nt.id = id;
	nt.title = title;
	nt.status = AAS_ST_QUEUED;
	if (b->ntasks == 0) {
		if (!aas_bd_id_ok(b, id)) {
			free(id);
			return aas_err_set(e, "board", "%s: cannot number a "
			    "task on an empty board with this id pattern",
			    b->name);
		}
		rc = insert_checked(b, NULL, &nt, 1, e);
	} else {
		/* after the last task, and after its whole table */
		long li = (long)b->ntasks - 1;
		struct tinfo *in = &b->info[li];

		if (in->table >= 0) {
			size_t j;

			for (j = 0; j < b->ntasks; j++)
				if (b->info[j].table == in->table)
					li = (long)j;
		} else {
			for (i = 0; i < b->ntasks; i++)
				if (b->info[i].table < 0 && b->info[i].hend >=
				    in->hend)
					li = (long)i, in = &b->info[i];
		}
		rc = aas_board_insert_after(b, b->tasks[li].id, &nt, 1, e);
	}
	if (rc == -1) {
		free(id);
		return -1;
	}
	*idp = id;
	return 0;
}

char *
aas_board_next_child_id(const struct aas_board *b, const char *parent,
    size_t skip)
{
	size_t n = strlen(parent), i;
	unsigned long max = 0, k;
	char *end, *id;

	for (i = 0; i < b->ntasks; i++) {
		const char *t = b->tasks[i].id;

		if (strncmp(t, parent, n) != 0 || t[n] != '-' ||
		    !isdigit((unsigned char)t[n + 1]))
			continue;
		k = strtoul(t + n + 1, &end, 10);
		if ((*end == '\0' || *end == '-') && k > max)
			max = k;
	}
	for (k = max + 1; ; k++) {
		id = aas_xasprintf("%s-%lu", parent, k);
		if (aas_bd_find_index(b, id) < 0) {
			if (skip == 0)
				return id;
			skip--;
		}
		free(id);
	}
}
