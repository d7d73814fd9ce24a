/*
 * jscan.h: JSON text scanned in place, without building a tree.
 *
 * aas_jscan_check tells whether a text is one JSON document that
 * jansson's json_loadb(text, len, 0, ...) would accept, at a fraction of
 * its cost (no allocation).  The other functions walk text that has been
 * checked (or that aas wrote itself): they find members and items by
 * their byte offsets, so a caller can decode only the values it needs.
 */
#ifndef AAS_JSCAN_H
#define AAS_JSCAN_H

#include <stddef.h>

#include <jansson.h>

/*
 * 0 when s[0..n) is what json_loadb(s, n, 0, NULL) parses: an object or
 * an array, with nothing after it but white space, nested at most 2048
 * deep, strings of valid UTF-8 without control characters or \u0000,
 * surrogate escapes in pairs, integers within long long and reals that
 * do not overflow a double.  -1 otherwise.  *top (may be NULL) gets the
 * first byte of the value, '{' or '['.
 */
int	aas_jscan_check(const char *s, size_t n, char *top);

/* A value's bytes: s[start..end). */
struct aas_jspan {
	size_t	start, end;
};

/*
 * In the object at s[v.start..v.end), the value of the last member
 * named key (jansson keeps the last of duplicate keys); keys with escapes
 * are decoded before they are compared.  1 and *out when found, else 0.
 * The text must be checked (aas_jscan_check) or trusted.
 */
int	aas_jscan_member(const char *s, struct aas_jspan v, const char *key,
	    struct aas_jspan *out);

/* The items of the array at v: their number, and item i into *out when
 * i is below it (out may be NULL). */
size_t	aas_jscan_items(const char *s, struct aas_jspan v, size_t i,
	    struct aas_jspan *out);

/* The span of the whole document s[0..n) (white space left out). */
struct aas_jspan aas_jscan_doc(const char *s, size_t n);

/* What the value at v is: '{', '[', '"', 'n' (null), 't', 'f', or '0'
 * for a number. */
char	aas_jscan_kind(const char *s, struct aas_jspan v);

/* 1 when the string at v equals the NUL-ended plain text want (no
 * escapes in either), else 0. */
int	aas_jscan_is(const char *s, struct aas_jspan v, const char *want);

struct aas_buf;

/* The value of the string at v (checked text: escapes well formed,
 * surrogates in pairs, no \u0000) appended to out as UTF-8. */
void	aas_jscan_string(const char *s, struct aas_jspan v,
	    struct aas_buf *out);

/* The value at v (checked text) as jansson's tree of the text holds it,
 * a new reference (scalars are made directly, the rest parsed alone);
 * NULL when it does not parse. */
json_t	*aas_jscan_value(const char *s, struct aas_jspan v);

/*
 * The values of the members of the object at v named in keys (NULL-ended)
 * into spans[0..], in one pass: spans[i] is empty (start == end) when
 * there is no member keys[i].
 */
void	aas_jscan_spans(const char *s, struct aas_jspan v,
	    const char *const *keys, struct aas_jspan *spans);

/*
 * A new object of the members of the object at v that are named in keys
 * (NULL-ended, at most 16), each parsed alone: what jansson's tree of
 * the whole text holds under those names, for the cost of those values
 * only.
 */
json_t	*aas_jscan_pick(const char *s, struct aas_jspan v,
	    const char *const *keys);

/*
 * The object text s[0..n) (checked or trusted) with the members keys[i]
 * (NULL-ended, at most 16; plain ASCII that JSON does not escape) set to
 * the JSON texts vals[i] of vlens[i] bytes, a NULL vals[i] leaving its
 * key alone, into out (reset first), in one pass: the last member of a
 * name gets the new value where it stands, a new member goes at the end.
 * The text is what aas_rec_set makes of the same record, one key after
 * the other, byte for byte.
 */
void	aas_jscan_set(struct aas_buf *out, const char *s, size_t n,
	    const char *const *keys, const char *const *vals,
	    const size_t *vlens);

#endif
