/* patch.c: the tolerant matcher, unified-diff parser and applier. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "patch.h"
#include "banned.h"

#define NOPOS	((size_t)-1)
#define MAXFUZZ	3

/*
 * The work one edit may cost, in line comparisons.  Finding a hunk is
 * file lines times hunk lines at worst (a file of one repeated line), so
 * without a bound a hostile answer could keep aas-apply busy for minutes;
 * this much takes about a second.
 */
#define WORK_MAX	AAS_PATCH_WORK_MAX

struct work {
	unsigned long long used, max;
	int	 over;
};

/* One line of a file: text without its ending, and the ending. */
struct ln {
	const char *s;
	size_t	 len;
	int	 eol;		/* 0 none, 1 "\n", 2 "\r\n" */
};

/* A file as lines.  Line text lives in bufs (owned). */
struct doc {
	struct ln *v;
	size_t	 n, cap;
	int	 eol;		/* ending for new lines */
	char	**bufs;
	size_t	 nbufs;
	struct work *w;		/* the budget searches in it count against */
};

static const char *match_names[] = {
	"exact", "offset", "whitespace", "indent", "elision", "fuzzy-hunk",
	"already"
};

const char *
aas_match_name(enum aas_match m)
{
	if ((unsigned)m >= sizeof(match_names) / sizeof(match_names[0]))
		return "unknown";
	return match_names[m];
}

enum aas_match
aas_match_worse(enum aas_match a, enum aas_match b)
{
	if (a == AAS_MATCH_ALREADY)
		return b;
	if (b == AAS_MATCH_ALREADY)
		return a;
	return a > b ? a : b;
}

void
aas_patch_res_free(struct aas_patch_res *r)
{
	if (r == NULL)
		return;
	free(r->text);
	free(r->detail);
	free(r->where);
	free(r->near_diff);
	memset(r, 0, sizeof(*r));
}

static char *
doc_keep(struct doc *d, char *buf)
{
	d->bufs = aas_xreallocarray(d->bufs, d->nbufs + 1, sizeof(*d->bufs));
	d->bufs[d->nbufs++] = buf;
	return buf;
}

static void
doc_push(struct doc *d, const char *s, size_t len, int eol)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->v = aas_xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	d->v[d->n].s = s;
	d->v[d->n].len = len;
	d->v[d->n].eol = eol;
	d->n++;
}

/* Split s into lines appended to d (pointing into s, which must live). */
static void
split_into(struct doc *d, const char *s, size_t len)
{
	size_t i = 0, j;

	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);

		if (nl == NULL) {
			doc_push(d, s + i, len - i, 0);
			break;
		}
		j = (size_t)(nl - s);
		if (j > i && s[j - 1] == '\r')
			doc_push(d, s + i, j - 1 - i, 2);
		else
			doc_push(d, s + i, j - i, 1);
		i = j + 1;
	}
}

static void
doc_load(struct doc *d, const char *text, size_t len)
{
	size_t i, crlf = 0, lf = 0;

	char *copy = aas_xmalloc(len + 1);

	memset(d, 0, sizeof(*d));
	if (len > 0)
		memcpy(copy, text, len);
	copy[len] = '\0';
	split_into(d, doc_keep(d, copy), len);
	for (i = 0; i < d->n; i++) {
		if (d->v[i].eol == 2)
			crlf++;
		else if (d->v[i].eol == 1)
			lf++;
	}
	d->eol = crlf > lf ? 2 : 1;
}

static void
doc_free(struct doc *d)
{
	size_t i;

	for (i = 0; i < d->nbufs; i++)
		free(d->bufs[i]);
	free(d->bufs);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* Replace lines [at, at + ndel) by add[0..nadd). */
static void
doc_splice(struct doc *d, size_t at, size_t ndel, const struct ln *add,
    size_t nadd)
{
	size_t newn = d->n - ndel + nadd;

	if (newn > d->cap) {
		d->cap = newn + 16;
		d->v = aas_xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	if (d->v == NULL)	/* an empty document: nothing to move */
		d->v = aas_xreallocarray(NULL, nadd + 1, sizeof(*d->v));
	memmove(d->v + at + nadd, d->v + at + ndel,
	    (d->n - at - ndel) * sizeof(*d->v));
	if (nadd > 0)
		memcpy(d->v + at, add, nadd * sizeof(*add));
	d->n = newn;
}

static char *
doc_text(const struct doc *d, size_t *lenp)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t i;
	int eol;

	aas_buf_add(&b, "", 0);
	for (i = 0; i < d->n; i++) {
		aas_buf_add(&b, d->v[i].s, d->v[i].len);
		eol = d->v[i].eol;
		if (eol == 0 && i + 1 < d->n)
			eol = d->eol;
		if (eol == 2)
			aas_buf_adds(&b, "\r\n");
		else if (eol == 1)
			aas_buf_addc(&b, '\n');
	}
	return aas_buf_detach(&b, lenp);
}

/* The text with every line ended by "\n" (or nothing for a last line
 * without an ending); offs[i] is where line i starts. */
static char *
doc_norm(const struct doc *d, size_t **offsp, size_t *lenp)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t *offs = aas_xcalloc(d->n + 1, sizeof(*offs)), i;

	aas_buf_add(&b, "", 0);
	for (i = 0; i < d->n; i++) {
		offs[i] = b.len;
		aas_buf_add(&b, d->v[i].s, d->v[i].len);
		if (d->v[i].eol != 0)
			aas_buf_addc(&b, '\n');
	}
	offs[d->n] = b.len;
	*offsp = offs;
	return aas_buf_detach(&b, lenp);
}

/* Copy s with every "\r\n" turned into "\n". */
static char *
unix_text(const char *s)
{
	size_t n = strlen(s), i, j = 0;
	char *o = aas_xmalloc(n + 1);

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		o[j++] = s[i];
	}
	o[j] = '\0';
	return o;
}

static int
is_blank_ch(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static size_t
rstrip_len(const char *s, size_t len)
{
	while (len > 0 && is_blank_ch(s[len - 1]))
		len--;
	return len;
}

static size_t
lead_len(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

static int
ln_blank(const struct ln *l)
{
	return rstrip_len(l->s, l->len) == 0;
}

int
aas_patch_is_elision(const char *s, size_t len)
{
	static const char *forms[] = {
		"...", "# ...", "// ...", "/* ... */", "\xe2\x80\xa6",
		"-- ...", "; ...", "<!-- ... -->"
	};
	size_t i, a, n, k;

	a = lead_len(s, len);
	n = rstrip_len(s, len);
	if (n <= a)
		return 0;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		k = strlen(forms[i]);
		if (n - a == k && memcmp(s + a, forms[i], k) == 0)
			return 1;
	}
	return 0;
}

/*
 * Compare a file line with a pattern line at a level: 0 exact, 1 equal
 * but for trailing blanks, 2 equal but for indentation (the shift, file
 * indent minus pattern indent, returned in *shift).
 */
static int
ln_eq(const struct ln *f, const struct ln *p, int level, long *shift)
{
	size_t fl, pl, fa, pa;

	if (level == 0)
		return f->len == p->len && memcmp(f->s, p->s, f->len) == 0;
	fl = rstrip_len(f->s, f->len);
	pl = rstrip_len(p->s, p->len);
	if (level == 1)
		return fl == pl && memcmp(f->s, p->s, fl) == 0;
	fa = lead_len(f->s, fl);
	pa = lead_len(p->s, pl);
	if (fl - fa != pl - pa || memcmp(f->s + fa, p->s + pa, fl - fa) != 0)
		return 0;
	*shift = (long)fa - (long)pa;
	return 1;
}

/*
 * Does pattern p (np lines) match the file at line pos?  At levels 1 and
 * 2 blank lines on either side are skipped.  On a match *end is the line
 * after the last one matched, align[k] the file line of pattern line k
 * (NOPOS for a skipped blank), *shift the indentation shift.
 */
static int
match_at(const struct doc *d, size_t pos, const struct ln *p, size_t np,
    int level, size_t *end, size_t *align, long *shift)
{
	size_t k, j = pos;
	long sh = 0, s1;
	int first = 1, rc = 0;

	if (level == 0) {
		if (np == 0 || pos + np > d->n)
			return 0;
		for (k = 0; k < np; k++) {
			if (!ln_eq(&d->v[pos + k], &p[k], 0, NULL))
				goto out;
			if (align != NULL)
				align[k] = pos + k;
		}
		*end = pos + np;
		*shift = 0;
		rc = 1;
		goto out;
	}
	for (k = 0; k < np; k++) {
		if (ln_blank(&p[k])) {
			if (align != NULL)
				align[k] = NOPOS;
			continue;
		}
		if (!first)
			while (j < d->n && ln_blank(&d->v[j]))
				j++;
		if (j >= d->n)
			goto out;
		s1 = 0;
		if (!ln_eq(&d->v[j], &p[k], level, &s1))
			goto out;
		if (first)
			sh = s1;
		else if (level == 2 && s1 != sh)
			goto out;
		if (align != NULL)
			align[k] = j;
		first = 0;
		j++;
	}
	if (first)
		goto out;	/* nothing but blank lines */
	*end = j;
	*shift = sh;
	rc = 1;
out:
	/* every pattern line looked at and every file line passed */
	if (d->w != NULL)
		d->w->used += (k < np ? k + 1 : np) + (j - pos);
	return rc;
}

/* Has the search run out of budget?  Then e is set. */
static int
over_budget(const struct doc *d, struct aas_err *e)
{
	if (d->w == NULL || !d->w->over)
		return 0;
	aas_err_set(e, "match_too_costly", "matching gave up after %llu "
	    "line comparisons (the limit for one edit is %llu)",
	    d->w->used, d->w->max);
	return 1;
}

/* Every line where p matches at level, from line from on. */
static size_t
find_all(const struct doc *d, size_t from, const struct ln *p, size_t np,
    int level, size_t **startsp)
{
	size_t i, n = 0, end, *v = NULL;
	long sh;

	for (i = from; i < d->n; i++) {
		if (d->w != NULL && d->w->used > d->w->max) {
			/* what was found so far is not the answer */
			d->w->over = 1;
			n = 0;
			break;
		}
		if (level > 0 && ln_blank(&d->v[i]))
			continue;
		if (match_at(d, i, p, np, level, &end, NULL, &sh)) {
			v = aas_xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = i;
		}
	}
	*startsp = v;
	return n;
}

/* A new line holding s re-indented by shift. */
static struct ln
reindent(struct doc *d, const struct ln *src, long shift, const struct ln *ref,
    int eol)
{
	struct ln l = { src->s, src->len, eol };
	size_t a, cut;
	char *buf;

	if (shift == 0 || ln_blank(src) || (shift > 0 && ref == NULL))
		return l;
	if (shift > 0) {
		a = lead_len(ref->s, ref->len);
		if ((size_t)shift > a)
			shift = (long)a;
		buf = aas_xmalloc((size_t)shift + src->len + 1);
		memcpy(buf, ref->s, (size_t)shift);
		memcpy(buf + shift, src->s, src->len);
		l.s = doc_keep(d, buf);
		l.len = (size_t)shift + src->len;
		return l;
	}
	a = lead_len(src->s, src->len);
	cut = (size_t)-shift < a ? (size_t)-shift : a;
	l.s = src->s + cut;
	l.len = src->len - cut;
	return l;
}

/* Lines of s (NUL-terminated, "\n" endings) as a pattern. */
static void
pattern(struct doc *pd, char *s)
{
	memset(pd, 0, sizeof(*pd));
	split_into(pd, doc_keep(pd, s), strlen(s));
}

/* Replace lines [start, end) of d by the lines r[0..nr), re-indented. */
static void
replace_lines(struct doc *d, size_t start, size_t end, const struct ln *r,
    size_t nr, long shift)
{
	struct ln *add = aas_xcalloc(nr + 1, sizeof(*add));
	size_t i;
	int lasteol = end >= d->n && end > 0 ? d->v[end - 1].eol : d->eol;

	for (i = 0; i < nr; i++)
		add[i] = reindent(d, &r[i], shift, &d->v[start],
		    i + 1 == nr && lasteol == 0 ? 0 : d->eol);
	doc_splice(d, start, end - start, add, nr);
	free(add);
}

static size_t
line_of(const size_t *offs, size_t n, size_t off)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (offs[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* One exact search of s in norm (exact_start, then exact_next). */
struct exact {
	const char *norm, *s, *p;
	size_t	 nlen, slen, lines;
	int	 whole;
};

static void
exact_start(struct exact *x, const char *norm, size_t nlen, const char *s,
    size_t slen, int whole)
{
	size_t i;

	x->norm = x->p = norm;
	x->nlen = nlen;
	x->s = s;
	x->slen = slen;
	x->whole = whole;
	x->lines = 1;
	for (i = 0; i < slen; i++)
		if (s[i] == '\n')
			x->lines++;
}

/*
 * The next position in norm where s occurs; when whole is set only one
 * that starts a line and ends at a line end.  Each occurrence costs w
 * the lines of s.  1 with *atp, 0 for no more (an empty s never
 * occurs), -1 when w's budget is spent (w->over set).
 */
static int
exact_next(struct exact *x, size_t *atp, struct work *w)
{
	const char *hit;
	size_t at;

	if (x->slen == 0)
		return 0;
	while ((size_t)(x->p - x->norm) < x->nlen && (hit = memmem(x->p,
	    x->nlen - (size_t)(x->p - x->norm), x->s, x->slen)) != NULL) {
		if (w->used > w->max) {
			w->over = 1;
			return -1;
		}
		w->used += x->lines;
		at = (size_t)(hit - x->norm);
		x->p = hit + 1;
		if (x->whole && ((at > 0 && x->norm[at - 1] != '\n') ||
		    (x->s[x->slen - 1] != '\n' && at + x->slen < x->nlen &&
		    x->norm[at + x->slen] != '\n')))
			continue;
		*atp = at;
		return 1;
	}
	return 0;
}

/*
 * Exact search: positions in norm where s occurs (see exact_next).
 * Counts to 2 (all the callers need to know); 0 when the budget ran out.
 */
static size_t
exact_find(const char *norm, size_t nlen, const char *s, size_t slen,
    int whole, size_t out[2], struct work *w)
{
	struct exact x;
	size_t n = 0;
	int r = 0;

	exact_start(&x, norm, nlen, s, slen, whole);
	while (n < 2 && (r = exact_next(&x, &out[n], w)) == 1)
		n++;
	return r == -1 ? 0 : n;
}

/* Splice text into d at the normalised offsets [from, to); *li, *lj
 * the first and past the last line replaced. */
static void
splice_chars(struct doc *d, const size_t *offs, size_t from, size_t to,
    const char *with, size_t *first, size_t *past)
{
	struct aas_buf b = AAS_BUF_INIT;
	struct doc tmp;
	size_t li, lj, i, cut, nblen;
	char *nb;
	int lasteol;

	li = line_of(offs, d->n, from);
	lj = to > from ? line_of(offs, d->n, to - 1) : li;
	aas_buf_grow(&b, 1);
	aas_buf_add(&b, d->v[li].s, from - offs[li]);
	aas_buf_adds(&b, with);
	cut = to - offs[lj];
	if (cut < d->v[lj].len)
		aas_buf_add(&b, d->v[lj].s + cut, d->v[lj].len - cut);
	lasteol = d->v[lj].eol;
	if (lasteol != 0 && cut <= d->v[lj].len)
		aas_buf_addc(&b, '\n');
	memset(&tmp, 0, sizeof(tmp));
	nb = aas_buf_detach(&b, &nblen);
	split_into(&tmp, doc_keep(d, nb), nblen);
	for (i = 0; i < tmp.n; i++)
		if (tmp.v[i].eol != 0)
			tmp.v[i].eol = d->eol;
	*first = li;
	*past = lj + 1;
	doc_splice(d, li, lj - li + 1, tmp.v, tmp.n);
	free(tmp.v);
}

static int
blank_text(const char *s)
{
	for (; *s != '\0'; s++)
		if (!is_blank_ch(*s) && *s != '\n')
			return 0;
	return 1;
}

/* Is the text of pattern p present in d at any level? */
static int
present(const struct doc *d, const struct ln *p, size_t np)
{
	size_t *v, n;
	int level;

	for (level = 0; level <= 2; level++) {
		n = find_all(d, 0, p, np, level, &v);
		free(v);
		if (n > 0)
			return 1;
	}
	return 0;
}

static void
finish(struct doc *d, struct aas_patch_res *res, enum aas_match m,
    char *detail)
{
	res->text = doc_text(d, &res->len);
	res->match = m;
	res->detail = detail;
}

static int
elision_count(const struct doc *p)
{
	size_t i;
	int n = 0;

	for (i = 0; i < p->n; i++)
		if (aas_patch_is_elision(p->v[i].s, p->v[i].len))
			n++;
	return n;
}

/* Segment k of pattern p (split at elision lines): [*a, *b). */
static void
segment(const struct doc *p, int k, size_t *a, size_t *b)
{
	size_t i;
	int seg = 0;

	*a = 0;
	for (i = 0; i <= p->n; i++) {
		if (i == p->n || aas_patch_is_elision(p->v[i].s, p->v[i].len)) {
			if (seg == k) {
				*b = i;
				return;
			}
			seg++;
			*a = i + 1;
		}
	}
	*b = p->n;
}

static int
all_blank(const struct ln *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ln_blank(&v[i]))
			return 0;
	return 1;
}

static int	refuse_ambiguous(struct aas_patch_res *, const size_t *, size_t,
		    int, struct aas_err *);

/* Search/replace with "..." elisions: 1 done, 0 no match, -1 error. */
static int
try_elision(struct doc *d, const struct doc *sp, const struct doc *rp,
    int block, size_t *first, size_t *past, struct aas_patch_res *res,
    struct aas_err *e)
{
	int nseg = elision_count(sp) + 1, k, level;
	size_t *st, *en, *v, n, a, b, ra, rb, from = 0, end;
	long *sh;
	int ok = 1;

	if (elision_count(rp) != nseg - 1)
		return aas_err_set(e, "no_match", "search block %d has %d "
		    "elision lines but its replacement has %d", block,
		    nseg - 1, elision_count(rp));
	st = aas_xcalloc((size_t)nseg, sizeof(*st));
	en = aas_xcalloc((size_t)nseg, sizeof(*en));
	sh = aas_xcalloc((size_t)nseg, sizeof(*sh));
	for (k = 0; k < nseg && ok; k++) {
		segment(sp, k, &a, &b);
		if (all_blank(sp->v + a, b - a)) {
			segment(rp, k, &ra, &rb);
			if (!all_blank(rp->v + ra, rb - ra))
				ok = 0;
			st[k] = en[k] = NOPOS;
			continue;
		}
		for (level = 0; level <= 2; level++) {
			n = find_all(d, from, sp->v + a, b - a, level, &v);
			if (over_budget(d, e)) {
				aas_err_prefix(e, "search block %d", block);
				free(v);
				free(st);
				free(en);
				free(sh);
				return -1;
			}
			if (n > 1 && from == 0) {
				refuse_ambiguous(res, v, n, block, e);
				free(v);
				free(st);
				free(en);
				free(sh);
				return -1;
			}
			if (n > 0) {
				st[k] = v[0];
				match_at(d, v[0], sp->v + a, b - a, level, &end,
				    NULL, &sh[k]);
				en[k] = end;
				from = end;
				free(v);
				break;
			}
			free(v);
		}
		if (level > 2)
			ok = 0;
	}
	if (ok) {
		*first = NOPOS;
		*past = 0;
		for (k = 0; k < nseg; k++) {
			if (st[k] == NOPOS)
				continue;
			if (*first == NOPOS)
				*first = st[k];
			*past = en[k];
		}
		if (*first == NOPOS)
			*first = 0;
		for (k = nseg - 1; k >= 0; k--) {
			if (st[k] == NOPOS)
				continue;
			segment(rp, k, &ra, &rb);
			replace_lines(d, st[k], en[k], rp->v + ra, rb - ra,
			    sh[k]);
		}
	}
	free(st);
	free(en);
	free(sh);
	return ok;
}

/*
 * Exact search of every place: positions in norm where s occurs, as in
 * exact_find, all of them (the budget permitting) in *outp (caller
 * frees).
 */
static size_t
exact_all(const char *norm, size_t nlen, const char *s, size_t slen,
    int whole, size_t **outp, struct work *w)
{
	struct exact x;
	size_t n = 0, at, *v = NULL;
	int r;

	*outp = NULL;
	exact_start(&x, norm, nlen, s, slen, whole);
	while ((r = exact_next(&x, &at, w)) == 1) {
		v = aas_xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = at;
	}
	if (r == -1) {
		free(v);
		return 0;
	}
	*outp = v;
	return n;
}

/*
 * Of n places (first lines, from 0, ascending) where a block matches,
 * the one the rules of struct aas_patch_ctx take: its index, or -1.
 * *why names the rule (static text).
 */
static long
pick(const size_t *lines, size_t n, const struct aas_patch_ctx *c,
    const char **why)
{
	size_t i, k = 0, at = 0;

	*why = NULL;
	if (n == 1)
		return 0;
	if (n == 0 || c == NULL)
		return -1;
	if (c->after > 0) {
		for (i = 0; i < n; i++)
			if (lines[i] + 1 >= c->after) {
				if (k++ == 0)
					at = i;
			}
		if (k == 1) {
			*why = "the only one after the file's previous block";
			return (long)at;
		}
	}
	if (c->alike > 1 && c->alike == n) {
		*why = "as many alike blocks as places";
		return 0;
	}
	return -1;
}

/* The ambiguous refusal: every place in res, e set. */
static int
refuse_ambiguous(struct aas_patch_res *res, const size_t *lines, size_t n,
    int block, struct aas_err *e)
{
	size_t i;

	res->nmatch = n;
	res->nwhere = n < AAS_PATCH_WHERE_MAX ? n : AAS_PATCH_WHERE_MAX;
	res->where = aas_xcalloc(res->nwhere + 1, sizeof(*res->where));
	for (i = 0; i < res->nwhere; i++)
		res->where[i] = lines[i] + 1;
	return aas_err_set(e, "ambiguous", "search block %d matches at lines "
	    "%zu and %zu", block, lines[0] + 1, lines[1] + 1);
}

/* Trimmed line equality, for the closest region. */
static int
ln_like(const struct ln *a, const struct ln *b)
{
	size_t al = rstrip_len(a->s, a->len), bl = rstrip_len(b->s, b->len);
	size_t aa = lead_len(a->s, al), ba = lead_len(b->s, bl);

	return al - aa == bl - ba && memcmp(a->s + aa, b->s + ba, al - aa) == 0;
}

/*
 * The no_match refusal: the region of d most like pattern p (the window
 * where most of p's non-blank lines equal the file's but for white
 * space), and its differing lines, into res.  Bounded by the budget.
 */
static void
closest(const struct doc *d, const struct doc *p, struct aas_patch_res *res)
{
	struct aas_buf b = AAS_BUF_INIT;
	size_t i, k, score, best = 0, at = 0, nb = 0, end;

	for (k = 0; k < p->n; k++)
		if (!ln_blank(&p->v[k]))
			nb++;
	res->near_of = nb;
	if (nb == 0 || d->n == 0)
		return;
	for (i = 0; i < d->n; i++) {
		if (d->w != NULL && d->w->used > d->w->max)
			break;
		score = 0;
		for (k = 0; k < p->n && i + k < d->n; k++)
			if (!ln_blank(&p->v[k]) && ln_like(&d->v[i + k],
			    &p->v[k]))
				score++;
		if (d->w != NULL)
			d->w->used += k;
		if (score > best) {
			best = score;
			at = i;
		}
	}
	if (best == 0)
		return;
	end = at + p->n < d->n ? at + p->n : d->n;
	res->near_first = at + 1;
	res->near_last = end + 1;
	res->near_same = best;
	aas_buf_add(&b, "", 0);
	for (k = 0; k < p->n && b.len < AAS_PATCH_NEAR_MAX; k++) {
		const struct ln *f = at + k < d->n ? &d->v[at + k] : NULL;

		if (f != NULL && f->len == p->v[k].len &&
		    memcmp(f->s, p->v[k].s, f->len) == 0)
			continue;
		aas_buf_addc(&b, '-');
		aas_buf_add(&b, p->v[k].s, p->v[k].len);
		aas_buf_addc(&b, '\n');
		if (f != NULL) {
			aas_buf_addc(&b, '+');
			aas_buf_add(&b, f->s, f->len);
			aas_buf_addc(&b, '\n');
		}
	}
	if (b.len > AAS_PATCH_NEAR_MAX) {
		size_t cut = AAS_PATCH_NEAR_MAX;

		while (cut > 0 && ((unsigned char)b.s[cut] & 0xc0) == 0x80)
			cut--;
		b.len = cut;
		b.s[cut] = '\0';
	}
	res->near_diff = aas_buf_detach(&b, NULL);
}

/* A decided place's note for res->detail. */
static char *
picked_note(int block, size_t n, size_t line, const char *why)
{
	return aas_xasprintf("search block %d matches at %zu places: took "
	    "line %zu, %s", block, n, line, why);
}

int
aas_patch_replace(const char *text, size_t len, const char *search,
    const char *replace, int block, struct aas_patch_res *res,
    struct aas_err *e)
{
	int rc = aas_patch_replace_ctx(text, len, search, replace, block,
	    NULL, res, e);

	if (rc == -1)
		aas_patch_res_free(res);
	return rc;
}

int
aas_patch_replace_ctx(const char *text, size_t len, const char *search,
    const char *replace, int block, const struct aas_patch_ctx *ctx,
    struct aas_patch_res *res, struct aas_err *e)
{
	struct doc d, sp, rp;
	struct work w = { 0, WORK_MAX, 0 };
	size_t *offs, nlen, slen, at[2], n, *v, end, i, nbefore, a = 0, b = 0;
	char *norm, *s, *r, *note = NULL;
	const char *why;
	int level, rc = -1, whole, already;
	long shift, k;

	memset(res, 0, sizeof(*res));
	if (search == NULL || blank_text(search))
		return aas_err_set(e, "bad_edit", "search block %d is empty",
		    block);
	s = unix_text(search);
	r = unix_text(replace != NULL ? replace : "");
	slen = strlen(s);
	if (s[slen - 1] == '\n' && *r != '\0' && r[strlen(r) - 1] != '\n') {
		char *r2 = aas_xasprintf("%s\n", r);

		free(r);
		r = r2;
	}
	doc_load(&d, text, len);
	d.w = &w;
	norm = doc_norm(&d, &offs, &nlen);
	whole = memchr(s, '\n', slen) != NULL;
	n = exact_all(norm, nlen, s, slen, whole, &v, &w);
	if (over_budget(&d, e)) {
		aas_err_prefix(e, "search block %d", block);
		goto out_norm;
	}
	if (n > 0) {
		size_t *lines = aas_xreallocarray(NULL, n, sizeof(*lines));

		for (i = 0; i < n; i++)
			lines[i] = line_of(offs, d.n, v[i]);
		if ((k = pick(lines, n, ctx, &why)) == -1) {
			refuse_ambiguous(res, lines, n, block, e);
			free(lines);
			free(v);
			goto out_norm;
		}
		if (why != NULL)
			note = picked_note(block, n, lines[k] + 1, why);
		free(lines);
		nbefore = d.n;
		splice_chars(&d, offs, v[k], v[k] + slen, r, &a, &b);
		free(v);
		res->first = a;
		res->last = d.n - (nbefore - b);
		finish(&d, res, AAS_MATCH_EXACT, note);
		rc = 0;
		goto out_norm;
	}
	free(v);
	pattern(&sp, aas_xstrdup(s));
	pattern(&rp, aas_xstrdup(r));
	for (level = 1; level <= 2; level++) {
		n = find_all(&d, 0, sp.v, sp.n, level, &v);
		if (over_budget(&d, e)) {
			aas_err_prefix(e, "search block %d", block);
			free(v);
			goto out;
		}
		if (n > 0 && (k = pick(v, n, ctx, &why)) == -1) {
			refuse_ambiguous(res, v, n, block, e);
			free(v);
			goto out;
		}
		if (n > 0) {
			if (why != NULL)
				note = picked_note(block, n, v[k] + 1, why);
			match_at(&d, v[k], sp.v, sp.n, level, &end, NULL,
			    &shift);
			nbefore = d.n;
			res->first = v[k];
			replace_lines(&d, v[k], end, rp.v, rp.n, shift);
			res->last = d.n - (nbefore - end);
			free(v);
			finish(&d, res, level == 1 ? AAS_MATCH_WHITESPACE :
			    AAS_MATCH_INDENT, note);
			rc = 0;
			goto out;
		}
		free(v);
	}
	if (elision_count(&sp) > 0) {
		int el;

		nbefore = d.n;
		el = try_elision(&d, &sp, &rp, block, &a, &b, res, e);
		if (el == -1)
			goto out;
		if (el == 1) {
			res->first = a;
			res->last = d.n - (nbefore - b);
			finish(&d, res, AAS_MATCH_ELISION, NULL);
			rc = 0;
			goto out;
		}
	}
	already = !blank_text(r) && (exact_find(norm, nlen, r, strlen(r),
	    strchr(r, '\n') != NULL, at, &w) > 0 || present(&d, rp.v, rp.n));
	if (over_budget(&d, e)) {
		aas_err_prefix(e, "search block %d", block);
		goto out;
	}
	if (already) {
		finish(&d, res, AAS_MATCH_ALREADY, aas_xasprintf("search "
		    "block %d already applied", block));
		rc = 0;
		goto out;
	}
	closest(&d, &sp, res);
	aas_err_set(e, "no_match", "search block %d does not match", block);
out:
	doc_free(&sp);
	doc_free(&rp);
out_norm:
	free(norm);
	free(offs);
	free(s);
	free(r);
	doc_free(&d);
	return rc;
}

/* ---- unified diffs ---- */

static int
starts(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);

	return len >= n && memcmp(s, pre, n) == 0;
}

static char *
header_path(const char *s, size_t len)
{
	size_t a = 4, b;

	while (a < len && (s[a] == ' ' || s[a] == '\t'))
		a++;
	b = a;
	while (b < len && s[b] != '\t')
		b++;
	b = rstrip_len(s + a, b - a) + a;
	if (b - a >= 2 && (s[a] == 'a' || s[a] == 'b') && s[a + 1] == '/')
		a += 2;
	return aas_xstrndup(s + a, b - a);
}

static int
parse_num(const char **pp, const char *end, long *out)
{
	const char *p = *pp;
	long v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > LONG_MAX / 10 - 10)
			return -1;
		v = v * 10 + (*p - '0');
		p++;
	}
	*out = v;
	*pp = p;
	return 0;
}

static void
parse_header(struct aas_hunk *h, const char *s, size_t len)
{
	const char *p = s + 2, *end = s + len, *close;
	size_t a;

	h->old_count = h->new_count = 1;
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '-') {
		const char *q = p + 1;

		if (parse_num(&q, end, &h->old_start) == 0 &&
		    (q >= end || *q != ',' || (q++, parse_num(&q, end,
		    &h->old_count) == 0)) && q < end && *q == ' ') {
			while (q < end && *q == ' ')
				q++;
			if (q < end && *q == '+' && (q++, parse_num(&q, end,
			    &h->new_start) == 0) && (q >= end || *q != ',' ||
			    (q++, parse_num(&q, end, &h->new_count) == 0)))
				h->numbered = 1;
			p = q;
		}
	}
	close = NULL;
	if (end - p >= 2) {
		const char *c = p;

		while (c + 1 < end && !(c[0] == '@' && c[1] == '@'))
			c++;
		if (c + 1 < end)
			close = c;
	}
	if (close != NULL) {
		h->header = aas_xstrndup(s, (size_t)(close + 2 - s));
		p = close + 2;
	} else {
		h->header = aas_xstrndup(s, rstrip_len(s, len));
		if (!h->numbered)
			p = s + 2;
		else
			p = end;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	a = rstrip_len(p, (size_t)(end - p));
	if (a > 0)
		h->anchor = aas_xstrndup(p, a);
	if (!h->numbered) {
		h->old_start = h->new_start = 0;
		h->old_count = h->new_count = 0;
	}
}

static void
hunk_add(struct aas_hunk *h, char kind, const char *s, size_t len,
    int unmarked)
{
	struct aas_hunk_line *l;

	h->lines = aas_xreallocarray(h->lines, h->n + 1, sizeof(*h->lines));
	l = &h->lines[h->n++];
	l->kind = kind;
	l->unmarked = unmarked;
	l->noeol = 0;
	l->s = s;
	l->len = len;
	if (kind != '+')
		h->nold++;
	if (kind != '-')
		h->nnew++;
	if (unmarked)
		h->unmarked++;
}

/* Lines made from an empty diff line ("" where " " was meant) at the end
 * of a hunk are most likely not part of it. */
static void
hunk_trim(struct aas_hunk *h)
{
	while (h->n > 0 && h->lines[h->n - 1].kind == ' ' &&
	    h->lines[h->n - 1].len == 0 && h->lines[h->n - 1].unmarked == 2) {
		h->n--;
		h->nold--;
		h->nnew--;
	}
}

static void
hunk_free(struct aas_hunk *h)
{
	free(h->header);
	free(h->anchor);
	free(h->lines);
}

void
aas_diff_free(struct aas_diff *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nhunks; i++)
		hunk_free(&d->hunks[i]);
	free(d->hunks);
	free(d->text);
	free(d->old_path);
	free(d->new_path);
	memset(d, 0, sizeof(*d));
}

static int
same_path(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 1;
	return strcmp(a, b) == 0;
}

int
aas_diff_parse(const char *text, size_t len, struct aas_diff *d,
    struct aas_err *e)
{
	struct aas_hunk *h = NULL;
	char *s, *line, *nl;
	size_t ll, i, keep;
	char *next;

	memset(d, 0, sizeof(*d));
	d->text = s = aas_xstrndup(text, len);
	len = strlen(s);	/* a NUL ends the diff */
	for (line = s; line < s + len; line = next) {
		nl = memchr(line, '\n', (size_t)(s + len - line));
		next = nl != NULL ? nl + 1 : s + len;
		ll = (size_t)((nl != NULL ? nl : s + len) - line);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (starts(line, ll, "--- ") && next < s + len &&
		    starts(next, strcspn(next, "\n"), "+++ ")) {
			char *op = header_path(line, ll);
			size_t nll = strcspn(next, "\n");
			char *np;

			if (nll > 0 && next[nll - 1] == '\r')
				nll--;
			np = header_path(next, nll);
			if (d->nhunks > 0 && (!same_path(d->old_path, op) ||
			    !same_path(d->new_path, np))) {
				free(op);
				free(np);
				return aas_err_set(e, "bad_diff", "diff names "
				    "more than one file");
			}
			if (strcmp(op, "/dev/null") == 0)
				d->creates = 1;
			if (strcmp(np, "/dev/null") == 0)
				d->deletes = 1;
			free(d->old_path);
			free(d->new_path);
			d->old_path = op;
			d->new_path = np;
			h = NULL;
			next = next + strcspn(next, "\n");
			if (*next == '\n')
				next++;
			continue;
		}
		if (starts(line, ll, "@@")) {
			d->hunks = aas_xreallocarray(d->hunks, d->nhunks + 1,
			    sizeof(*d->hunks));
			h = &d->hunks[d->nhunks++];
			memset(h, 0, sizeof(*h));
			parse_header(h, line, ll);
			continue;
		}
		if (starts(line, ll, "diff --git ") ||
		    starts(line, ll, "*** ")) {
			if (h != NULL)
				hunk_trim(h);
			h = NULL;
			continue;
		}
		if (h == NULL) {
			if (starts(line, ll, "new file mode"))
				d->creates = 1;
			else if (starts(line, ll, "deleted file mode"))
				d->deletes = 1;
			continue;
		}
		if (line[0] == '\\' && ll > 0) {
			if (h->n > 0)
				h->lines[h->n - 1].noeol = 1;
			continue;
		}
		if (ll == 0)
			hunk_add(h, ' ', line, 0, 2);
		else if (line[0] == ' ' || line[0] == '-' || line[0] == '+')
			hunk_add(h, line[0], line + 1, ll - 1, 0);
		else
			hunk_add(h, ' ', line, ll, 1);
	}
	for (i = 0, keep = 0; i < d->nhunks; i++) {
		hunk_trim(&d->hunks[i]);
		if (d->hunks[i].n == 0) {
			hunk_free(&d->hunks[i]);
			continue;
		}
		d->hunks[keep++] = d->hunks[i];
	}
	d->nhunks = keep;
	for (i = 0; i < d->nhunks; i++) {
		size_t k;

		h = &d->hunks[i];
		h->unmarked = 0;
		for (k = 0; k < h->n; k++)
			if (h->lines[k].unmarked == 1)
				h->unmarked++;
			else
				h->lines[k].unmarked = 0;
	}
	if (d->nhunks == 0)
		return aas_err_set(e, "bad_diff", "no hunk in diff");
	return 0;
}

/* The old (ctx and '-') or new (ctx and '+') side of hunk lines. */
static size_t
side(const struct aas_hunk_line *hl, size_t n, int new, struct ln *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (hl[i].kind == (new ? '-' : '+'))
			continue;
		out[k].s = hl[i].s;
		out[k].len = hl[i].len;
		out[k].eol = 1;
		k++;
	}
	return k;
}

struct place {
	size_t	 pos, end;
	int	 level;
	long	 shift;
};

/*
 * Find where old (nold lines) goes: 1 found (pl filled), 0 not found, -1
 * ambiguous (e set).
 */
static int
locate(const struct doc *d, const struct aas_hunk *h, const struct ln *old,
    size_t nold, size_t expected, size_t floor, int hno, struct place *pl,
    struct aas_err *e)
{
	size_t *v, n, i, best, bestdist, dist, from, a;
	int level;

	for (level = 0; level <= 2; level++) {
		n = find_all(d, 0, old, nold, level, &v);
		if (over_budget(d, e)) {
			aas_err_prefix(e, "hunk %d (%s)", hno, h->header);
			free(v);
			return -1;
		}
		if (n == 0) {
			free(v);
			continue;
		}
		if (h->numbered) {
			best = v[0];
			bestdist = (size_t)-1;
			for (i = 0; i < n; i++) {
				dist = v[i] > expected ? v[i] - expected :
				    expected - v[i];
				if (dist < bestdist) {
					best = v[i];
					bestdist = dist;
				}
			}
		} else {
			from = floor;
			if (h->anchor != NULL) {
				for (a = floor; a < d->n; a++)
					if (memmem(d->v[a].s, d->v[a].len,
					    h->anchor, strlen(h->anchor)) !=
					    NULL)
						break;
				if (a < d->n)
					from = a;
			}
			for (i = 0; i < n && v[i] < from; i++)
				;
			if (i == n)
				i = 0;	/* out of order: all of the file */
			if (h->anchor == NULL && n - i > 1) {
				aas_err_set(e, "ambiguous", "hunk %d (%s) "
				    "matches at lines %zu and %zu", hno,
				    h->header, v[i] + 1, v[i + 1] + 1);
				free(v);
				return -1;
			}
			best = v[i];
		}
		free(v);
		pl->pos = best;
		pl->level = level;
		match_at(d, best, old, nold, level, &pl->end, NULL, &pl->shift);
		return 1;
	}
	return 0;
}

/* Apply hunk lines hl[0..n) at pl: context kept from the file, '-'
 * dropped, '+' inserted (re-indented). */
static size_t
apply_at(struct doc *d, const struct aas_hunk_line *hl, size_t n,
    const struct ln *old, size_t nold, const struct place *pl)
{
	size_t *align = aas_xcalloc(nold + 1, sizeof(*align));
	struct ln *out = aas_xcalloc(n + (pl->end - pl->pos) + 1, sizeof(*out));
	size_t i, k = 0, no = 0, cur = pl->pos, a, end;
	long sh;
	struct ln src;

	for (i = 0; i <= nold; i++)
		align[i] = NOPOS;
	if (nold > 0)
		match_at(d, pl->pos, old, nold, pl->level, &end, align, &sh);
	for (i = 0; i < n; i++) {
		if (hl[i].kind == '+') {
			src.s = hl[i].s;
			src.len = hl[i].len;
			src.eol = 1;
			out[no++] = reindent(d, &src, pl->shift,
			    d->n > 0 ? &d->v[pl->pos] : NULL,
			    hl[i].noeol ? 0 : d->eol);
			continue;
		}
		a = align[k++];
		if (a == NOPOS) {
			if (cur < pl->end && ln_blank(&d->v[cur])) {
				if (hl[i].kind == ' ')
					out[no++] = d->v[cur];
				cur++;
			}
			continue;
		}
		while (cur < a)
			out[no++] = d->v[cur++];
		if (hl[i].kind == ' ')
			out[no++] = d->v[a];
		cur = a + 1;
	}
	while (cur < pl->end)
		out[no++] = d->v[cur++];
	doc_splice(d, pl->pos, pl->end - pl->pos, out, no);
	free(out);
	free(align);
	return no;
}

/* Are the lines of a '+'-only hunk there already: at its line number, or
 * (without one) anywhere, when they are long enough to tell? */
static int
plus_present(const struct doc *d, const struct aas_hunk *h,
    const struct ln *new, size_t nnew, long delta)
{
	size_t i, chars = 0, end;
	long pos, sh;

	if (nnew == 0 || d->n == 0 || all_blank(new, nnew))
		return 0;
	if (h->numbered) {
		pos = h->old_start + delta - (h->old_count != 0) - 1;
		for (i = 0; i < 3; i++, pos++)
			if (pos >= 0 && match_at(d, (size_t)pos, new, nnew, 1,
			    &end, NULL, &sh))
				return 1;
		return 0;
	}
	for (i = 0; i < nnew; i++)
		chars += rstrip_len(new[i].s, new[i].len) -
		    lead_len(new[i].s, new[i].len);
	return chars >= 10 && present(d, new, nnew);
}

int
aas_patch_apply_diff(const char *text, size_t len, const struct aas_diff *df,
    struct aas_patch_res *res, struct aas_err *e)
{
	struct aas_buf notes = AAS_BUF_INIT;
	struct work w = { 0, WORK_MAX, 0 };
	struct doc d;
	struct ln *old, *new;
	struct place pl;
	size_t k, nold, nnew, floor = 0, expected, nout, a, b, f;
	long delta = 0, pos;
	enum aas_match worst = AAS_MATCH_EXACT, m;
	int found, nalready = 0, rc = -1;
	const struct aas_hunk *h;

	memset(res, 0, sizeof(*res));
	doc_load(&d, text, len);
	d.w = &w;
	for (k = 0; k < df->nhunks; k++) {
		h = &df->hunks[k];
		old = aas_xcalloc(h->n + 1, sizeof(*old));
		new = aas_xcalloc(h->n + 1, sizeof(*new));
		nold = side(h->lines, h->n, 0, old);
		nnew = side(h->lines, h->n, 1, new);
		m = AAS_MATCH_EXACT;
		found = 0;
		if (all_blank(old, nold)) {
			/* '+' lines only: placed by number, or at the start
			 * of an empty file */
			if (plus_present(&d, h, new, nnew, delta)) {
				found = 2;
			} else if (over_budget(&d, e)) {
				aas_err_prefix(e, "hunk %zu (%s)", k + 1,
				    h->header);
				goto fail;
			} else if (d.n == 0 || h->numbered) {
				pos = h->numbered ? h->old_start + delta : 0;
				if (h->numbered && h->old_count != 0)
					pos--;
				if (pos < 0)
					pos = 0;
				if ((size_t)pos <= d.n) {
					pl.pos = pl.end = (size_t)pos;
					pl.level = 0;
					pl.shift = 0;
					found = 1;
					if (d.n > 0 && (nold > 0 ||
					    h->old_count != 0))
						m = AAS_MATCH_FUZZY;
				}
			}
		} else {
			if (h->numbered) {
				pos = (h->old_start > 0 ? h->old_start - 1 :
				    0) + delta;
				expected = pos < 0 ? 0 : (size_t)pos;
			} else
				expected = floor;
			found = locate(&d, h, old, nold, expected, floor,
			    (int)k + 1, &pl, e);
			if (found == -1)
				goto fail;
			if (found == 1)
				m = pl.level == 1 ? AAS_MATCH_WHITESPACE :
				    pl.level == 2 ? AAS_MATCH_INDENT :
				    h->numbered && pl.pos == expected ?
				    AAS_MATCH_EXACT : AAS_MATCH_OFFSET;
			/* fuzz: drop outer context lines, as patch(1) does */
			for (f = 1; !found && f <= MAXFUZZ; f++) {
				for (a = 0; !found && a <= f; a++) {
					for (b = 0; !found && b <= f; b++) {
						size_t i, n2 = h->n, lo = 0;
						struct aas_hunk h2;
						struct ln *o2;
						size_t no2;

						if (a != f && b != f)
							continue;
						for (i = 0; i < a; i++)
							if (lo < n2 &&
							    h->lines[lo].kind ==
							    ' ')
								lo++;
						for (i = 0; i < b; i++)
							if (n2 > lo &&
							    h->lines[n2 - 1].kind
							    == ' ')
								n2--;
						if (lo != a || h->n - n2 != b)
							continue;
						h2 = *h;
						h2.lines = h->lines + lo;
						h2.n = n2 - lo;
						o2 = aas_xcalloc(h2.n + 1,
						    sizeof(*o2));
						no2 = side(h2.lines, h2.n, 0,
						    o2);
						if (all_blank(o2, no2)) {
							free(o2);
							continue;
						}
						found = locate(&d, &h2, o2, no2,
						    expected + a, floor,
						    (int)k + 1, &pl, e);
						if (found == -1) {
							free(o2);
							goto fail;
						}
						if (found == 1) {
							nout = apply_at(&d,
							    h2.lines, h2.n,
							    o2, no2, &pl);
							delta += (long)nout -
							    (long)(pl.end -
							    pl.pos);
							floor = pl.pos + nout;
							m = AAS_MATCH_FUZZY;
							found = 3;
						}
						free(o2);
					}
				}
			}
			if (!found && present(&d, new, nnew))
				found = 2;
			if (over_budget(&d, e)) {
				aas_err_prefix(e, "hunk %zu (%s)", k + 1,
				    h->header);
				goto fail;
			}
		}
		if (found == 0) {
			aas_err_set(e, "no_match", "hunk %zu (%s) does not fit",
			    k + 1, h->header);
			goto fail;
		}
		if (found == 2) {
			nalready++;
			aas_buf_printf(&notes, "%shunk %zu already applied",
			    notes.len ? "; " : "", k + 1);
		} else {
			if (found == 1 && all_blank(old, nold)) {
				/* placed by number: only the '+' lines */
				struct aas_hunk_line *plus;
				size_t i, np = 0;

				plus = aas_xcalloc(h->n + 1, sizeof(*plus));
				for (i = 0; i < h->n; i++)
					if (h->lines[i].kind == '+')
						plus[np++] = h->lines[i];
				nout = apply_at(&d, plus, np, old, 0, &pl);
				free(plus);
				delta += (long)nout - (long)(pl.end - pl.pos);
				floor = pl.pos + nout;
			} else if (found == 1) {
				nout = apply_at(&d, h->lines, h->n, old, nold,
				    &pl);
				delta += (long)nout - (long)(pl.end - pl.pos);
				floor = pl.pos + nout;
			}
			if (h->unmarked > 0) {
				m = aas_match_worse(m, AAS_MATCH_FUZZY);
				aas_buf_printf(&notes, "%shunk %zu had %zu "
				    "unmarked context lines", notes.len ? "; " :
				    "", k + 1, h->unmarked);
			} else if (m != AAS_MATCH_EXACT)
				aas_buf_printf(&notes, "%shunk %zu: %s at "
				    "line %zu", notes.len ? "; " : "", k + 1,
				    aas_match_name(m), pl.pos + 1);
			worst = aas_match_worse(worst, m);
		}
		free(old);
		free(new);
		continue;
fail:
		free(old);
		free(new);
		aas_buf_free(&notes);
		doc_free(&d);
		return rc;
	}
	if ((size_t)nalready == df->nhunks)
		worst = AAS_MATCH_ALREADY;
	finish(&d, res, worst, notes.len ? aas_buf_detach(&notes, NULL) :
	    NULL);
	aas_buf_free(&notes);
	doc_free(&d);
	return 0;
}

int
aas_patch_diff(const char *text, size_t len, const char *diff, size_t dlen,
    struct aas_patch_res *res, struct aas_err *e)
{
	struct aas_diff d;
	int rc;

	memset(res, 0, sizeof(*res));
	if (aas_diff_parse(diff, dlen, &d, e) == -1) {
		aas_diff_free(&d);
		return -1;
	}
	rc = aas_patch_apply_diff(text, len, &d, res, e);
	aas_diff_free(&d);
	return rc;
}

char *
aas_patch_like_eol(const char *old, size_t olen, const char *text, size_t len,
    size_t *outlen)
{
	struct aas_buf b = AAS_BUF_INIT;
	struct doc d;
	size_t i;
	int crlf;

	doc_load(&d, old, olen);
	crlf = d.eol == 2;
	doc_free(&d);
	aas_buf_grow(&b, len + 1);
	if (!crlf || memchr(text, '\r', len) != NULL)
		aas_buf_add(&b, text, len);
	else
		for (i = 0; i < len; i++) {
			if (text[i] == '\n')
				aas_buf_addc(&b, '\r');
			aas_buf_addc(&b, text[i]);
		}
	return aas_buf_detach(&b, outlen);
}
