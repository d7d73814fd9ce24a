/* path.c: which paths a plan may write (see path.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aas.h"
#include "config.h"
#include "path.h"
#include "banned.h"

struct range {
	uint32_t lo, hi;
};

static const struct range bidi[] = {
	{ 0x061c, 0x061c }, { 0x200e, 0x200f }, { 0x202a, 0x202e },
	{ 0x2066, 0x2069 }
};

/* Default-ignorable and blank code points (but the ASCII space). */
static const struct range invisible[] = {
	{ 0x00a0, 0x00a0 }, { 0x00ad, 0x00ad }, { 0x034f, 0x034f },
	{ 0x115f, 0x1160 }, { 0x1680, 0x1680 }, { 0x17b4, 0x17b5 },
	{ 0x180b, 0x180f }, { 0x2000, 0x200d }, { 0x202f, 0x202f },
	{ 0x205f, 0x2065 }, { 0x206a, 0x206f }, { 0x2800, 0x2800 },
	{ 0x3000, 0x3000 }, { 0x3164, 0x3164 }, { 0xfe00, 0xfe0f },
	{ 0xfeff, 0xfeff }, { 0xffa0, 0xffa0 }, { 0xfff0, 0xfffb },
	{ 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0000, 0xe0fff }
};

/* What HFS+ leaves out when it compares two names. */
static const struct range hfs_ignored[] = {
	{ 0x200c, 0x200f }, { 0x202a, 0x202e }, { 0x206a, 0x206f },
	{ 0xfeff, 0xfeff }
};

const char *const aas_path_protected_default[] = {
	".github/workflows", ".gitlab-ci.yml", ".gitmodules", ".gitattributes",
	".husky", NULL
};

/* Hook locations: protected whatever apply.protected_paths says. */
static const char *const hooks[] = {
	".githooks", ".pre-commit-config.yaml", "lefthook.yml", ".lefthook.yml",
	".lfsconfig", NULL
};

enum cls { C_OK, C_CONTROL, C_BIDI, C_INVISIBLE };

static int
in(uint32_t c, const struct range *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c >= r[i].lo && c <= r[i].hi)
			return 1;
	return 0;
}

#define IN(c, table)	in((c), (table), sizeof(table) / sizeof(table[0]))

static enum cls
classify(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
	    c == 0x2029)
		return C_CONTROL;
	if (IN(c, bidi))
		return C_BIDI;
	if (IN(c, invisible))
		return C_INVISIBLE;
	return C_OK;
}

/* One UTF-8 sequence at s (n bytes left): its length and *cp, or 0 when
 * the bytes are not UTF-8 (overlong forms and surrogates included). */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

char *
aas_path_quote(const char *path)
{
	struct aas_buf b = AAS_BUF_INIT;
	const unsigned char *s = (const unsigned char *)path;
	size_t n = strlen(path), i = 0, k;
	uint32_t c;

	aas_buf_grow(&b, n + 1);
	aas_buf_add(&b, "", 0);
	while (i < n) {
		if (b.len >= 200) {
			aas_buf_adds(&b, "...");
			break;
		}
		k = utf8_next(s + i, n - i, &c);
		if (k == 0) {
			aas_buf_printf(&b, "\\x%02x", s[i]);
			i++;
			continue;
		}
		if (classify(c) == C_OK)
			aas_buf_add(&b, path + i, k);
		else if (c <= 0xffff)
			aas_buf_printf(&b, "\\u%04x", (unsigned)c);
		else
			aas_buf_printf(&b, "\\U%08x", (unsigned)c);
		i += k;
	}
	return aas_buf_detach(&b, NULL);
}

/* What HFS+, NTFS or a case-insensitive file system make of a name. */
#define HOW_HFS		1	/* an ignored code point was dropped */
#define HOW_NTFS	2	/* a stream or trailing dots or spaces */
#define HOW_CASE	4	/* not the ASCII lowercase it folds to */

/*
 * The name component s (n bytes) has on a case-insensitive file system,
 * in ASCII lowercase: the code points HFS+ ignores dropped, the long s
 * and the Kelvin sign folded as Unicode case folding does, and what NTFS
 * drops (a ":stream" suffix, trailing dots and spaces) cut.  With look,
 * also what only looks alike: every invisible code point dropped, the
 * fullwidth forms, dotless and dotted i, Cyrillic i, script g and a few
 * dots taken as their ASCII letter (a small table, not Unicode's list of
 * confusables).  Any other non-ASCII code point becomes the byte 0x80,
 * which matches no ASCII name.  out needs n + 1 bytes.
 */
static size_t
fold(const char *s, size_t n, int look, char *out, int *how,
    uint32_t *ignored)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k, o = 0;
	uint32_t c;
	char *colon;

	*how = 0;
	*ignored = 0;
	while (i < n) {
		k = utf8_next(u + i, n - i, &c);
		if (k == 0) {
			out[o++] = (char)0x80;
			i++;
			continue;
		}
		i += k;
		if (IN(c, hfs_ignored)) {
			if (*ignored == 0)
				*ignored = c;
			*how |= HOW_HFS;
			continue;
		}
		if (look && classify(c) != C_OK)
			continue;
		if (look && c >= 0xff01 && c <= 0xff5e)
			c -= 0xfee0;
		if (look && (c == 0x0130 || c == 0x0131 || c == 0x0456 ||
		    c == 0x2170))
			c = 'i';
		else if (look && c == 0x0261)
			c = 'g';
		else if (look && (c == 0x2024 || c == 0xfe52))
			c = '.';
		else if (c == 0x017f)
			c = 's';
		else if (c == 0x212a)
			c = 'k';
		if (c >= 'A' && c <= 'Z') {
			c += 'a' - 'A';
			*how |= HOW_CASE;
		}
		out[o++] = c < 0x80 ? (char)c : (char)0x80;
	}
	out[o] = '\0';
	if ((colon = memchr(out, ':', o)) != NULL) {
		o = (size_t)(colon - out);
		*how |= HOW_NTFS;
	}
	while (o > 0 && (out[o - 1] == '.' || out[o - 1] == ' ')) {
		o--;
		*how |= HOW_NTFS;
	}
	out[o] = '\0';
	return o;
}

/* Why component s (n bytes) names .git, into why; or 0 when it does
 * not. */
static int
dotgit(const char *s, size_t n, char *why, size_t whylen)
{
	char *f = aas_xmalloc(n + 1);
	uint32_t ign;
	int how, hit = 1;

	fold(s, n, 0, f, &how, &ign);
	if (strcmp(f, ".git") == 0 && (how & (HOW_HFS | HOW_NTFS)) == 0)
		snprintf(why, whylen, "inside .git");
	else if (strcmp(f, ".git") == 0 && (how & HOW_HFS))
		snprintf(why, whylen, "HFS+ reads it as .git (it ignores "
		    "U+%04X)", (unsigned)ign);
	else if (strcmp(f, ".git") == 0)
		snprintf(why, whylen, "NTFS reads it as .git (it drops "
		    "trailing dots and spaces and a :stream)");
	else if (strcmp(f, "git~1") == 0)
		snprintf(why, whylen, "NTFS reads it as .git (its short "
		    "name GIT~1)");
	else {
		fold(s, n, 1, f, &how, &ign);
		if (strcmp(f, ".git") == 0 || strcmp(f, "git~1") == 0)
			snprintf(why, whylen, "looks like .git");
		else
			hit = 0;
	}
	free(f);
	return hit;
}

/*
 * Is component s (n bytes) one NTFS reads as another name?  1: an 8.3
 * short name (up to 8 characters, a "~" and digits ending the first
 * part, an extension of up to 3), which can stand for any long name
 * that happens to get it; 2: nothing left once NTFS drops trailing dots,
 * spaces and a ":stream".
 */
static int
ntfs_alias(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *dot, *tilde;
	size_t base, i;

	if (colon != NULL)
		n = (size_t)(colon - s);
	while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ' '))
		n--;
	if (n == 0)
		return 2;
	dot = memrchr(s, '.', n);
	base = dot != NULL ? (size_t)(dot - s) : n;
	if (dot != NULL && (n - base - 1 == 0 || n - base - 1 > 3))
		return 0;
	if (base < 3 || base > 8 || memchr(s, '.', base) != NULL)
		return 0;
	tilde = memrchr(s, '~', base);
	if (tilde == NULL || tilde == s || (size_t)(tilde - s) + 1 == base)
		return 0;
	for (i = (size_t)(tilde - s) + 1; i < base; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
refuse(struct aas_err *e, const char *code, const char *path,
    const char *why)
{
	char *q = aas_path_quote(path);

	aas_err_set(e, code, "refusing path '%s': %s", q, why);
	free(q);
	return -1;
}

static int
check_chars(const char *path, const char *p, size_t n, struct aas_err *e)
{
	const unsigned char *u = (const unsigned char *)p;
	static const char *what[] = { "", "a control character",
	    "a bidirectional formatting character", "an invisible character" };
	static const char *codes[] = { "", "path_control", "path_bidi",
	    "path_invisible" };
	char d[64];
	size_t i = 0, k;
	uint32_t c;
	enum cls cl;

	while (i < n) {
		k = utf8_next(u + i, n - i, &c);
		if (k == 0)
			return refuse(e, "path_encoding", path, "not UTF-8");
		cl = classify(c);
		if (cl != C_OK) {
			snprintf(d, sizeof(d), "%s (U+%04X)", what[cl],
			    (unsigned)c);
			return refuse(e, codes[cl], path, d);
		}
		i += k;
	}
	return 0;
}

int
aas_path_check(const char *path, struct aas_err *e)
{
	const char *p, *c;
	char why[160], *q, *comp;
	size_t n, len;
	int r;

	if (path == NULL || *path == '\0')
		return aas_err_set(e, "path_escape", "empty path");
	if (*path == '/')
		return refuse(e, "path_escape", path, "absolute");
	if (strchr(path, '\\') != NULL)
		return refuse(e, "path_escape", path, "backslash");
	len = strlen(path);
	if (len > AAS_PATH_MAX) {
		snprintf(why, sizeof(why), "%zu bytes, over %d", len,
		    AAS_PATH_MAX);
		return refuse(e, "path_too_long", path, why);
	}
	for (p = path; ; p = c + 1) {
		c = strchr(p, '/');
		n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return refuse(e, "path_escape", path,
			    "outside the repository");
		if (n > AAS_PATH_COMPONENT_MAX) {
			snprintf(why, sizeof(why), "a component of %zu bytes, "
			    "over %d", n, AAS_PATH_COMPONENT_MAX);
			return refuse(e, "path_too_long", path, why);
		}
		if (dotgit(p, n, why, sizeof(why)))
			return refuse(e, "path_git", path, why);
		if (check_chars(path, p, n, e) == -1)
			return -1;
		if ((r = ntfs_alias(p, n)) != 0) {
			comp = aas_xstrndup(p, n);
			q = aas_path_quote(comp);
			if (r == 1)
				snprintf(why, sizeof(why), "'%.40s' is an NTFS "
				    "short name, which can stand for another "
				    "file", q);
			else
				snprintf(why, sizeof(why), "NTFS reads '%.40s' "
				    "as an empty name", q);
			free(q);
			free(comp);
			return refuse(e, "path_ntfs", path, why);
		}
		if (c == NULL)
			break;
	}
	return 0;
}

/* ---- protected paths ---- */

struct entry {
	char	*orig;		/* as configured, for messages */
	char	*norm;		/* folded components joined by "/" */
	int	 anydepth;	/* one component: matches at any depth */
	int	 hook;		/* from the fixed list of hook locations */
};

struct aas_path_guard {
	struct entry *v;
	size_t	 n;
};

/*
 * s (n bytes) as folded components joined by "/": empty and "."
 * components dropped, and with globs a final "*" or "**" too.  NULL when
 * nothing is left.
 */
static char *
normalize(const char *s, size_t n, int globs)
{
	struct aas_buf b = AAS_BUF_INIT;
	const char *p = s, *end = s + n, *c;
	char *f;
	size_t k, fl, keep;
	uint32_t ign;
	int how;

	while (p < end) {
		c = memchr(p, '/', (size_t)(end - p));
		k = c != NULL ? (size_t)(c - p) : (size_t)(end - p);
		if (k > 0 && !(k == 1 && p[0] == '.')) {
			f = aas_xmalloc(k + 1);
			fl = fold(p, k, 0, f, &how, &ign);
			keep = b.len;
			if (b.len > 0)
				aas_buf_addc(&b, '/');
			aas_buf_add(&b, f, fl);
			free(f);
			if (globs && c == NULL && (strcmp(b.s + keep +
			    (keep > 0), "*") == 0 || strcmp(b.s + keep +
			    (keep > 0), "**") == 0))
				b.len = keep;
		}
		if (c == NULL)
			break;
		p = c + 1;
	}
	if (b.len == 0) {
		aas_buf_free(&b);
		return NULL;
	}
	b.s[b.len] = '\0';
	return aas_buf_detach(&b, NULL);
}

/* Is norm (folded) prefix, or inside the folder prefix? */
static int
under(const char *norm, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(norm, prefix, n) == 0 && (norm[n] == '\0' ||
	    norm[n] == '/');
}

static int
entry_matches(const struct entry *en, const char *norm)
{
	const char *p;
	size_t n = strlen(en->norm);

	if (!en->anydepth)
		return under(norm, en->norm);
	for (p = norm; ; p++) {
		if (strncmp(p, en->norm, n) == 0 && (p[n] == '\0' ||
		    p[n] == '/'))
			return 1;
		if ((p = strchr(p, '/')) == NULL)
			return 0;
	}
}

static void
add_entry(struct aas_path_guard *g, const char *s, int hook)
{
	struct entry *en;

	g->v = aas_xreallocarray(g->v, g->n + 1, sizeof(*g->v));
	en = &g->v[g->n++];
	en->orig = aas_xstrdup(s);
	en->norm = normalize(s, strlen(s), 0);
	en->anydepth = strchr(en->norm, '/') == NULL;
	en->hook = hook;
}

/* Is s a relative path of plain components?  Else why not. */
static const char *
bad_entry(const char *s)
{
	const char *p, *c;
	char *norm;
	size_t n;

	if (*s == '\0')
		return "empty";
	if (*s == '/')
		return "absolute";
	if (strchr(s, '\\') != NULL)
		return "a backslash";
	for (p = s; ; p = c + 1) {
		c = strchr(p, '/');
		n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "outside the repository";
		if (c == NULL)
			break;
	}
	if ((norm = normalize(s, strlen(s), 0)) == NULL)
		return "no name in it";
	free(norm);
	return NULL;
}

int
aas_path_guard_new(json_t *list, struct aas_path_guard **gp,
    struct aas_err *e)
{
	struct aas_path_guard *g;
	const char *s, *why;
	json_t *v;
	size_t i;

	*gp = NULL;
	if (list != NULL && !json_is_array(list))
		return aas_err_set(e, "config", "expected a list of paths");
	json_array_foreach(list, i, v) {
		if (!json_is_string(v))
			return aas_err_set(e, "config", "entry %zu: not a "
			    "string", i + 1);
		s = json_string_value(v);
		if ((why = bad_entry(s)) != NULL) {
			char *q = aas_path_quote(s);

			aas_err_set(e, "config", "entry %zu '%s': %s", i + 1,
			    q, why);
			free(q);
			return -1;
		}
	}
	g = aas_xcalloc(1, sizeof(*g));
	if (list == NULL)
		for (i = 0; aas_path_protected_default[i] != NULL; i++)
			add_entry(g, aas_path_protected_default[i], 0);
	else
		json_array_foreach(list, i, v)
			add_entry(g, json_string_value(v), 0);
	for (i = 0; hooks[i] != NULL; i++)
		add_entry(g, hooks[i], 1);
	*gp = g;
	return 0;
}

int
aas_path_guard_load(const struct aas_config *cf, struct aas_path_guard **gp,
    struct aas_err *e)
{
	json_t *v = cf != NULL ? aas_config_get(cf, "apply.protected_paths") :
	    NULL;

	if (aas_path_guard_new(v, gp, e) == -1) {
		aas_err_prefix(e, "%s: apply.protected_paths",
		    aas_config_where(cf, "apply.protected_paths"));
		return -1;
	}
	return 0;
}

void
aas_path_guard_free(struct aas_path_guard *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->v[i].orig);
		free(g->v[i].norm);
	}
	free(g->v);
	free(g);
}

json_t *
aas_path_files_field(json_t *fields)
{
	const char *k;
	json_t *v;

	json_object_foreach(fields, k, v) {
		if (strcasecmp(k, "files") == 0)
			return v;
	}
	return NULL;
}

/* Does one Files entry (n bytes at s) name norm? */
static int
names(const char *s, size_t n, const char *norm)
{
	char *f = normalize(s, n, 1);
	int hit = f != NULL && under(norm, f);

	free(f);
	return hit;
}

static int
files_name(json_t *files, const char *norm)
{
	static const char sep[] = ", \t\r\n`";
	const char *s;
	json_t *v;
	size_t i, n;

	if (json_is_string(files)) {
		for (s = json_string_value(files); *s != '\0'; s += n) {
			s += strspn(s, sep);
			n = strcspn(s, sep);
			if (n > 0 && names(s, n, norm))
				return 1;
		}
		return 0;
	}
	json_array_foreach(files, i, v) {
		if (json_is_string(v) && names(json_string_value(v),
		    json_string_length(v), norm))
			return 1;
	}
	return 0;
}

int
aas_path_guard_check(const struct aas_path_guard *g, json_t *files,
    const char *path, struct aas_err *e)
{
	char *norm = normalize(path, strlen(path), 0), *q, *oq;
	const struct entry *en = NULL;
	size_t i;

	if (g == NULL || norm == NULL) {
		free(norm);
		return 0;
	}
	for (i = 0; i < g->n && en == NULL; i++)
		if (entry_matches(&g->v[i], norm))
			en = &g->v[i];
	if (en == NULL || files_name(files, norm)) {
		free(norm);
		return 0;
	}
	free(norm);
	q = aas_path_quote(path);
	if (en->hook)
		aas_err_set(e, "path_protected", "refusing path '%s': a hook "
		    "location (%s), always protected; the task's Files field "
		    "must name it", q, en->orig);
	else {
		oq = aas_path_quote(en->orig);
		aas_err_set(e, "path_protected", "refusing path '%s': "
		    "protected by apply.protected_paths (%s); the task's Files "
		    "field must name it", q, oq);
		free(oq);
	}
	free(q);
	return -1;
}
