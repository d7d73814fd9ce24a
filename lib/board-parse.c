/* board-parse.c: the Markdown board read into tasks.  See board.h. */
#include <ctype.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "board-int.h"
#include "config.h"
#include "record.h"
#include "banned.h"

/* ---------------------------------------------------------------- */
/* parsing */


static int
fence_open(const char *t, size_t s, size_t e, char *ch, size_t *n)
{
	size_t i = s, k;

	while (i < e && i - s < 3 && t[i] == ' ')
		i++;
	if (i >= e || (t[i] != '`' && t[i] != '~'))
		return 0;
	for (k = i; k < e && t[k] == t[i]; k++)
		;
	if (k - i < 3)
		return 0;
	if (t[i] == '`' && memchr(t + k, '`', e - k) != NULL)
		return 0;
	*ch = t[i];
	*n = k - i;
	return 1;
}

static int
fence_close(const char *t, size_t s, size_t e, char ch, size_t n)
{
	size_t i = s, k;

	while (i < e && i - s < 3 && t[i] == ' ')
		i++;
	for (k = i; k < e && t[k] == ch; k++)
		;
	return k - i >= n && aas_bd_is_blank(t, k, e);
}

/* ATX heading level (1-6) or 0; *ts receives where its text starts. */
static int
heading_level(const char *t, size_t s, size_t e, size_t *ts)
{
	size_t i = s, k;

	while (i < e && i - s < 3 && t[i] == ' ')
		i++;
	for (k = i; k < e && t[k] == '#'; k++)
		;
	if (k == i || k - i > 6 || (k < e && t[k] != ' ' && t[k] != '\t'))
		return 0;
	*ts = k;
	return (int)(k - i);
}

/* Cell spans of a table-like line; 0 when it has no unescaped pipe. */
static size_t
split_cells(const char *t, size_t s, size_t e, struct span **cellsp,
    int *lead, int *trail)
{
	struct span *c = NULL;
	size_t n = 0, i, cs;
	int pipes = 0;

	aas_bd_trim(t, &s, &e);
	*lead = s < e && t[s] == '|';
	*trail = 0;
	if (*lead)
		s++;
	cs = s;
	for (i = s; i <= e; i++) {
		if (i < e && t[i] == '\\' && i + 1 < e) {
			i++;
			continue;
		}
		if (i < e && t[i] != '|')
			continue;
		if (i < e)
			pipes++;
		if (i == e && cs == e && n > 0 && t[e - 1] == '|' &&
		    (e < 2 || t[e - 2] != '\\')) {
			*trail = 1;
			break;
		}
		c = aas_xreallocarray(c, n + 1, sizeof(*c));
		c[n].s = cs;
		c[n].e = i;
		aas_bd_trim(t, &c[n].s, &c[n].e);
		n++;
		cs = i + 1;
	}
	if (pipes == 0 && !*lead) {
		free(c);
		*cellsp = NULL;
		return 0;
	}
	*cellsp = c;
	return n;
}

static int
is_separator(const char *t, const struct span *c, size_t n)
{
	size_t i, k;
	int dash;

	for (i = 0; i < n; i++) {
		k = c[i].s;
		dash = 0;
		if (k < c[i].e && t[k] == ':')
			k++;
		while (k < c[i].e && t[k] == '-')
			k++, dash = 1;
		if (k < c[i].e && t[k] == ':')
			k++;
		if (!dash || k != c[i].e)
			return 0;
	}
	return n > 0;
}

static void
task_clear(struct aas_task *t, struct tinfo *in)
{
	size_t i;

	free(t->id);
	free(t->title);
	free(t->status_raw);
	free(t->body);
	for (i = 0; i < t->ndeps; i++)
		free(t->deps[i]);
	free(t->deps);
	free(t->parent);
	json_decref(t->fields);
	free(in->cells);
	free(in->flds);
}

/* A "- Key: value" line?  Keys are short words. */
static int
field_line(const char *t, size_t s, size_t e, struct hfield *f)
{
	size_t i = s, k;

	while (i < e && i - s < 3 && t[i] == ' ')
		i++;
	if (i + 1 >= e || (t[i] != '-' && t[i] != '*' && t[i] != '+') ||
	    (t[i + 1] != ' ' && t[i + 1] != '\t'))
		return 0;
	i += 2;
	while (i < e && (t[i] == ' ' || t[i] == '\t'))
		i++;
	for (k = i; k < e && k - i <= 32 && (isalnum((unsigned char)t[k]) ||
	    t[k] == ' ' || t[k] == '_' || t[k] == '-' || t[k] == '/'); k++)
		;
	if (k == i || k >= e || t[k] != ':' || !isalpha((unsigned char)t[i]))
		return 0;
	f->key.s = i;
	f->key.e = k;
	aas_bd_trim(t, &f->key.s, &f->key.e);
	f->val.s = k + 1;
	f->val.e = e;
	aas_bd_trim(t, &f->val.s, &f->val.e);
	return 1;
}

/*
 * Each run of k backslashes before a "|" in [s, s + n) written as 2k + 1
 * of them: every pipe escaped, and the backslashes before it kept.  The
 * board reads it back (split_cells, aas_bd_cell_text) as the same text.
 */
void
aas_bd_pipe_escape(struct aas_buf *o, const char *s, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < n; ) {
		for (k = 0; i + k < n && s[i + k] == '\\'; k++)
			;
		if (i + k < n && s[i + k] == '|') {
			for (j = 0; j < 2 * k + 1; j++)
				aas_buf_addc(o, '\\');
			aas_buf_addc(o, '|');
			i += k + 1;
		} else if (k > 0) {
			aas_buf_add(o, s + i, k);
			i += k;
		} else
			aas_buf_addc(o, s[i++]);
	}
}

void
aas_bd_text_line(struct aas_buf *o, const char *s, size_t n)
{
	struct aas_buf p = AAS_BUF_INIT;
	struct span *cells;
	struct hfield f;
	size_t i = 0, ts, fn;
	int lead, trail;
	char fc;

	aas_buf_add(&p, "", 0);
	if (split_cells(s, 0, n, &cells, &lead, &trail) > 0)
		aas_bd_pipe_escape(&p, s, n);
	else
		aas_buf_add(&p, s, n);
	free(cells);
	while (i < p.len && i < 3 && p.s[i] == ' ')
		i++;
	if (heading_level(p.s, 0, p.len, &ts) > 0 ||
	    fence_open(p.s, 0, p.len, &fc, &fn) ||
	    field_line(p.s, 0, p.len, &f)) {
		aas_buf_add(o, p.s, i);
		aas_buf_addc(o, '\\');
		aas_buf_add(o, p.s + i, p.len - i);
	} else
		aas_buf_add(o, p.s, p.len);
	aas_buf_free(&p);
}

struct pstate {
	struct aas_board *b;
	const char *t;
	size_t	 len;
	long	 cur;		/* open heading task, or -1 */
	int	 infields;
	struct aas_err *e;
};

static void
close_block(struct pstate *ps, size_t at)
{
	struct tinfo *in;

	if (ps->cur < 0)
		return;
	in = &ps->b->info[ps->cur];
	in->hend = at;
	ps->cur = -1;
	ps->infields = 0;
}

/* A "## ID: Title" heading: the id and the title span, or 0. */
static int
task_heading(const struct aas_board *b, const char *t, size_t ts, size_t e,
    char **idp, struct span *title)
{
	size_t i = ts, k;
	char *id, *bare;

	while (i < e && (t[i] == ' ' || t[i] == '\t'))
		i++;
	for (k = i; k < e && t[k] != ' ' && t[k] != '\t' && t[k] != ':'; k++)
		;
	if (k == i)
		return 0;
	id = aas_xstrndup(t + i, k - i);
	bare = aas_bd_bare_id(id);
	free(id);
	if (!aas_bd_id_ok(b, bare)) {
		free(bare);
		return 0;
	}
	i = k;
	while (i < e && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (i < e && t[i] == ':')
		i++;
	else if (i + 1 < e && t[i] == '-' && (t[i + 1] == ' ' ||
	    t[i + 1] == '\t'))
		i++;
	else if (e - i >= 3 && memcmp(t + i, "\xe2\x80\x94", 3) == 0)
		i += 3;
	title->s = i;
	title->e = e;
	aas_bd_trim(t, &title->s, &title->e);
	/* an optional closing run of '#' */
	k = title->e;
	while (k > title->s && t[k - 1] == '#')
		k--;
	if (k < title->e && (k == title->s || t[k - 1] == ' ' ||
	    t[k - 1] == '\t')) {
		title->e = k;
		aas_bd_trim(t, &title->s, &title->e);
	}
	*idp = bare;
	return 1;
}

static void
add_table_row(struct pstate *ps, int ti, size_t s, size_t e, size_t next,
    size_t lineno, struct span *cells, size_t n)
{
	struct aas_board *b = ps->b;
	struct table *tb = &b->tables[ti];
	struct aas_task *t;
	struct tinfo *in;
	char *raw, *id, *v;
	size_t c;

	if ((size_t)tb->idcol >= n) {
		free(cells);
		return;
	}
	raw = aas_bd_cell_text(ps->t, cells[tb->idcol].s, cells[tb->idcol].e);
	id = aas_bd_bare_id(raw);
	free(raw);
	if (!aas_bd_id_ok(b, id)) {
		free(id);
		free(cells);
		return;
	}
	t = aas_bd_new_task(b, &in);
	t->id = id;
	t->line = lineno;
	t->layout = AAS_LAYOUT_TABLE;
	in->table = ti;
	in->rstart = s;
	in->rend = e;
	in->rnext = next;
	in->cells = cells;
	in->ncells = n;
	for (c = 0; c < tb->ncols; c++) {
		v = c < n ? aas_bd_cell_text(ps->t, cells[c].s, cells[c].e) :
		    aas_xstrdup("");
		aas_bd_task_value(t, tb->cols[c], v, 0);
		free(v);
	}
}

/*
 * Is [s, s + n) UTF-8 text without NUL?  If not, *bad is the offset of
 * the first bad sequence.  aas_utf8_lossy judges: it copies valid text
 * byte for byte (a NUL made 0x01 here), so the first byte it changes
 * is in the first bad sequence, where it wrote U+FFFD (EF BF BD); step
 * back to where that replacement starts.  Good text (nearly every board)
 * is told by jansson in one pass.
 */
static int
utf8_check(const char *s, size_t n, size_t *bad)
{
	struct aas_buf o = AAS_BUF_INIT;
	size_t i, k;
	json_t *j;

	if (memchr(s, '\0', n) == NULL && (j = json_stringn(s, n)) != NULL) {
		json_decref(j);
		return 0;
	}
	aas_utf8_lossy(&o, s, n, 1);
	for (i = 0; i < n && i < o.len && o.s[i] == s[i]; i++)
		;
	if (i == n && o.len == n) {
		aas_buf_free(&o);
		return 0;
	}
	for (k = 1; k <= 2 && k <= i; k++)
		if (o.len - (i - k) >= 3 &&
		    memcmp(o.s + i - k, "\xef\xbf\xbd", 3) == 0) {
			i -= k;
			break;
		}
	aas_buf_free(&o);
	*bad = i;
	return -1;
}

int
aas_bd_utf8_ok(const char *s, size_t n)
{
	size_t bad;

	return utf8_check(s, n, &bad) == 0;
}

static size_t
line_of(const char *t, size_t off)
{
	size_t n = 1, i;

	for (i = 0; i < off; i++)
		if (t[i] == '\n')
			n++;
	return n;
}

/*
 * The hash of a task: its row line, its heading block, or both.  Blank
 * lines at the end of a heading block are what lies between tasks, not
 * what the task says: the block is hashed up to its last line that is
 * not blank, that line's end, and one blank line, however many blank
 * lines (or none) follow it on the board.  (A block followed by one
 * blank line hashes as its bytes on the board.)
 */
static void
sha_task(const struct aas_board *b, struct aas_task *t,
    const struct tinfo *in)
{
	struct aas_buf o = AAS_BUF_INIT;
	size_t i, next, le, end;

	if (in->table >= 0)
		aas_buf_add(&o, b->text + in->rstart, in->rend - in->rstart);
	if (in->has_head) {
		if (in->table >= 0)
			aas_buf_addc(&o, '\n');
		end = in->hstart;
		for (i = in->hstart; i < in->hend; i = next) {
			le = aas_bd_line_end(b->text, in->hend, i, &next);
			if (!aas_bd_is_blank(b->text, i, le))
				end = le;
		}
		aas_buf_add(&o, b->text + in->hstart, end - in->hstart);
		aas_buf_adds(&o, b->eol);
		aas_buf_adds(&o, b->eol);
	}
	aas_sha256_hex(o.s != NULL ? o.s : "", o.len, t->sha);
	aas_buf_free(&o);
}

/* Merge heading blocks into table rows of the same id; finish tasks. */
static void
finish(struct aas_board *b)
{
	size_t i, j, k;
	long r;
	char *v;
	struct aas_task *t;
	struct tinfo *in;

	aas_bd_hash_build(b);
	for (i = 0, j = 0; i < b->ntasks; i++) {
		t = &b->tasks[i];
		in = &b->info[i];
		if (in->table < 0 && (r = aas_bd_find_index(b, t->id)) >= 0 &&
		    (size_t)r != i && b->info[r].table >= 0 &&
		    !b->info[r].has_head) {
			struct aas_task *row = &b->tasks[r];
			struct tinfo *ri = &b->info[r];

			ri->has_head = 1;
			ri->level = in->level;
			ri->hstart = in->hstart;
			ri->hend = in->hend;
			ri->hline = in->hline;
			ri->hlnext = in->hlnext;
			ri->fend = in->fend;
			ri->flds = in->flds;
			ri->nflds = in->nflds;
			in->flds = NULL;
			free(row->body);
			row->body = t->body;
			t->body = NULL;
			for (k = 0; k < ri->nflds; k++) {
				char *key = aas_xstrndup(b->text +
				    ri->flds[k].key.s, ri->flds[k].key.e -
				    ri->flds[k].key.s);

				v = aas_xstrndup(b->text + ri->flds[k].val.s,
				    ri->flds[k].val.e - ri->flds[k].val.s);
				if (aas_bd_name_role(key) != R_STATUS ||
				    b->tables[ri->table].statuscol < 0)
					aas_bd_task_value(row, key, v, 0);
				free(key);
				free(v);
			}
			if ((row->title == NULL || *row->title == '\0') &&
			    t->title != NULL) {
				free(row->title);
				row->title = t->title;
				t->title = NULL;
			}
			task_clear(t, in);
			continue;
		}
		if (j != i) {
			b->tasks[j] = b->tasks[i];
			b->info[j] = b->info[i];
		}
		j++;
	}
	b->ntasks = j;
	for (i = 0; i < b->ntasks; i++) {
		t = &b->tasks[i];
		in = &b->info[i];
		aas_bd_task_defaults(b, t);
		if (!b->no_sha)
			sha_task(b, t, in);
	}
	aas_bd_hash_build(b);
	aas_bd_mark_dups(b);
}

int
aas_bd_parse_text(struct aas_board *b, struct aas_err *e)
{
	struct pstate ps;
	const char *t = b->text;
	size_t len = b->len, i, next, le, lineno, n, ts, fence_line = 0;
	size_t fence_n = 0;
	char fence_ch = 0, *id;
	struct span *cells, title;
	int intable = -1, level, lead, trail;
	size_t bad;

	if (utf8_check(t, len, &bad) == -1)
		return aas_err_set(e, "board", "%s:%zu: %s", b->name,
		    line_of(t, bad), t[bad] == '\0' ? "NUL byte: not a text "
		    "file" : "not valid UTF-8");
	memset(&ps, 0, sizeof(ps));
	ps.b = b;
	ps.t = t;
	ps.len = len;
	ps.cur = -1;
	ps.e = e;
	{
		const char *nl = memchr(t, '\n', len);

		b->eol = nl != NULL && nl > t && nl[-1] == '\r' ? "\r\n" :
		    "\n";
	}
	for (i = 0, lineno = 1; i < len; i = next, lineno++) {
		le = aas_bd_line_end(t, len, i, &next);
		if (fence_ch != 0) {
			if (fence_close(t, i, le, fence_ch, fence_n)) {
				fence_ch = 0;
				fence_line = 0;
			}
			continue;
		}
		if (fence_open(t, i, le, &fence_ch, &fence_n)) {
			fence_line = lineno;
			intable = -1;
			if (ps.cur >= 0)
				ps.infields = 0;
			continue;
		}
		if ((level = heading_level(t, i, le, &ts)) > 0) {
			intable = -1;
			if (ps.cur >= 0 && level <= b->info[ps.cur].level)
				close_block(&ps, i);
			if (level >= 2 && level <= 4 &&
			    task_heading(b, t, ts, le, &id, &title)) {
				struct aas_task *tk;
				struct tinfo *in;

				close_block(&ps, i);
				tk = aas_bd_new_task(b, &in);
				tk->id = id;
				tk->title = aas_xstrndup(t + title.s,
				    title.e - title.s);
				tk->line = lineno;
				tk->layout = AAS_LAYOUT_HEADING;
				in->has_head = 1;
				in->level = level;
				in->hstart = i;
				in->hline = lineno;
				in->hlnext = next;
				in->fend = next;
				ps.cur = (long)(b->ntasks - 1);
				ps.infields = 1;
			}
			continue;
		}
		if (ps.cur >= 0 && ps.infields) {
			struct tinfo *in = &b->info[ps.cur];
			struct hfield f;

			if (aas_bd_is_blank(t, i, le) && in->nflds == 0)
				continue;
			if (field_line(t, i, le, &f)) {
				char *k, *v;

				f.lstart = i;
				f.lnext = next;
				in->flds = aas_xreallocarray(in->flds,
				    in->nflds + 1, sizeof(*in->flds));
				in->flds[in->nflds++] = f;
				in->fend = next;
				k = aas_xstrndup(t + f.key.s, f.key.e - f.key.s);
				v = aas_xstrndup(t + f.val.s, f.val.e - f.val.s);
				aas_bd_task_value(&b->tasks[ps.cur], k, v, 0);
				free(k);
				free(v);
				continue;
			}
			ps.infields = 0;
		}
		if (aas_bd_is_blank(t, i, le)) {
			intable = -1;
			continue;
		}
		n = split_cells(t, i, le, &cells, &lead, &trail);
		if (n == 0) {
			intable = -1;
			continue;
		}
		if (intable >= 0) {
			add_table_row(&ps, intable, i, le, next, lineno, cells,
			    n);
			continue;
		}
		/* a header row?  look at the next line for the separator */
		{
			size_t n2, next2, le2, c;
			struct span *sep;
			int l2, t2;

			if (next >= len) {
				free(cells);
				continue;
			}
			le2 = aas_bd_line_end(t, len, next, &next2);
			n2 = split_cells(t, next, le2, &sep, &l2, &t2);
			if (n2 != n || !is_separator(t, sep, n2)) {
				free(sep);
				free(cells);
				continue;
			}
			free(sep);
			b->tables = aas_xreallocarray(b->tables,
			    b->ntables + 1, sizeof(*b->tables));
			{
				struct table *tb = &b->tables[b->ntables];

				memset(tb, 0, sizeof(*tb));
				tb->idcol = tb->titlecol = tb->statuscol = -1;
				tb->depscol = tb->parentcol = -1;
				tb->ncols = n;
				tb->cols = aas_xcalloc(n, sizeof(char *));
				tb->lead = lead;
				tb->trail = trail;
				tb->hdr_line = lineno;
				for (c = 0; c < n; c++) {
					int *slot = NULL;

					tb->cols[c] = aas_bd_cell_text(t, cells[c].s,
					    cells[c].e);
					switch (aas_bd_name_role(tb->cols[c])) {
					case R_ID: slot = &tb->idcol; break;
					case R_TITLE: slot = &tb->titlecol; break;
					case R_STATUS: slot = &tb->statuscol; break;
					case R_DEPS: slot = &tb->depscol; break;
					case R_PARENT: slot = &tb->parentcol; break;
					case R_OTHER: break;
					}
					if (slot != NULL && *slot < 0)
						*slot = (int)c;
				}
				free(cells);
				b->ntables++;
				if (tb->idcol >= 0)
					intable = (int)(b->ntables - 1);
			}
			next = next2;
			lineno++;
		}
	}
	close_block(&ps, len);
	b->unclosed_fence = fence_ch != 0 ? fence_line : 0;
	for (i = 0; i < b->ntasks; i++) {
		struct tinfo *in = &b->info[i];

		if (in->table < 0 && in->has_head)
			b->tasks[i].body = aas_bd_block_body(t, in->fend,
			    in->hend);
	}
	finish(b);
	return 0;
}

void
aas_bd_board_reset(struct aas_board *b)
{
	size_t i, c;

	for (i = 0; i < b->ntasks; i++)
		task_clear(&b->tasks[i], &b->info[i]);
	free(b->tasks);
	free(b->info);
	b->tasks = NULL;
	b->info = NULL;
	b->ntasks = b->cap = 0;
	for (i = 0; i < b->ntables; i++) {
		for (c = 0; c < b->tables[i].ncols; c++)
			free(b->tables[i].cols[c]);
		free(b->tables[i].cols);
	}
	free(b->tables);
	b->tables = NULL;
	b->ntables = 0;
	free(b->hash);
	b->hash = NULL;
	b->hcap = 0;
}

int
aas_bd_parse_new(struct aas_board *nb, const struct aas_board *b,
    struct aas_buf *o, struct aas_err *e)
{
	*nb = *b;
	nb->tasks = NULL;
	nb->info = NULL;
	nb->ntasks = nb->cap = 0;
	nb->tables = NULL;
	nb->ntables = 0;
	nb->hash = NULL;
	nb->hcap = 0;
	nb->text = aas_buf_detach(o, &nb->len);
	if (aas_bd_parse_text(nb, e) == -1) {
		aas_bd_board_reset(nb);
		free(nb->text);
		return -1;
	}
	return 0;
}

struct aas_board *
aas_bd_board_new(const char *name, const struct aas_board_opts *o,
    struct aas_err *e)
{
	struct aas_board *b = aas_xcalloc(1, sizeof(*b));
	char *re;
	int rc;

	b->name = aas_xstrdup(name != NULL ? name : "-");
	b->pattern = aas_xstrdup(o != NULL && o->id_pattern != NULL ?
	    o->id_pattern : DEFAULT_ID_PATTERN);
	if (o != NULL && json_is_object(o->status_names))
		b->status_names = json_incref(o->status_names);
	b->no_sha = o != NULL && o->no_sha;
	re = aas_xasprintf("^(%s)$", b->pattern);
	rc = regcomp(&b->re, re, REG_EXTENDED | REG_NOSUB);
	free(re);
	if (rc != 0) {
		char msg[256];

		regerror(rc, &b->re, msg, sizeof(msg));
		aas_err_set(e, "board", "id pattern '%s': %s", b->pattern,
		    msg);
		free(b->name);
		free(b->pattern);
		json_decref(b->status_names);
		free(b);
		return NULL;
	}
	return b;
}


int
aas_board_parse(struct aas_board **bp, const char *text, size_t len,
    const char *name, const struct aas_board_opts *o, struct aas_err *e)
{
	struct aas_board *b;

	*bp = NULL;
	if ((b = aas_bd_board_new(name, o, e)) == NULL)
		return -1;
	b->text = aas_xstrndup(text, len);
	b->len = len;
	if ((aas_bd_is_yaml_name(b->name) ? aas_bd_parse_yaml(b, e) :
	    aas_bd_parse_text(b, e)) == -1) {
		aas_board_free(b);
		return -1;
	}
	*bp = b;
	return 0;
}

void
aas_board_free(struct aas_board *b)
{
	if (b == NULL)
		return;
	aas_bd_board_reset(b);
	while (b->npend > 0)
		free(b->pend[--b->npend].repl);
	free(b->pend);
	regfree(&b->re);
	free(b->name);
	free(b->text);
	free(b->pattern);
	json_decref(b->status_names);
	free(b);
}
