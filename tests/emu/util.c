/* aas-emu: small helpers: memory, buffers, ids, times, hashes, tokens */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL) {
		fputs("aas-emu: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p;

	if ((p = calloc(n ? n : 1, m ? m : 1)) == NULL) {
		fputs("aas-emu: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL) {
		fputs("aas-emu: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = b->cap ? b->cap : 256;
		while (b->len + n + 1 > b->cap)
			b->cap *= 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256], *big;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, n);
		return;
	}
	big = xmalloc(n + 1);
	va_start(ap, fmt);
	vsnprintf(big, n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, big, n);
	free(big);
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *
buf_take(struct buf *b)
{
	char *p;

	if (b->p == NULL)
		return xstrdup("");
	p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

static int
dump_add(const char *p, size_t n, void *cls)
{
	buf_add(cls, p, n);
	return 0;
}

int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

#define JSONL_BLOCK	(256 * 1024)

int
jsonl_open(struct jsonl *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	return w->fd < 0 ? -1 : 0;
}

static void
jsonl_flush(struct jsonl *w)
{
	if (w->b.len > 0 && write_all(w->fd, w->b.p, w->b.len) != 0)
		w->failed = 1;
	w->b.len = 0;
}

/* the line written into w->b so far is whole: end it */
void
jsonl_line(struct jsonl *w)
{
	buf_add(&w->b, "\n", 1);
	if (w->b.len >= JSONL_BLOCK)
		jsonl_flush(w);
}

/* takes the reference to o */
void
jsonl_put(struct jsonl *w, json_t *o)
{
	json_dump_callback(o, dump_add, &w->b, JSON_COMPACT);
	json_decref(o);
	jsonl_line(w);
}

int
jsonl_close(struct jsonl *w)
{
	jsonl_flush(w);
	buf_free(&w->b);
	if (close(w->fd) != 0)
		w->failed = 1;
	w->fd = -1;
	return w->failed ? -1 : 0;
}

/* the arena: a list of chunks, the newest first */
struct chunk {
	struct chunk	*next;
	size_t		 cap;
	size_t		 used;
	max_align_t	 data[];
};

#define CHUNK_SIZE	(256 * 1024)

static _Thread_local struct chunk *arena;
static _Thread_local int arena_active;

static int
in_arena(const void *p)
{
	const struct chunk *c;
	const char *d;

	for (c = arena; c != NULL; c = c->next) {
		d = (const char *)c->data;
		if ((const char *)p >= d && (const char *)p < d + c->cap)
			return 1;
	}
	return 0;
}

void *
emu_json_malloc(size_t n)
{
	struct chunk *c;
	size_t al = sizeof(max_align_t), sz;
	void *p;

	if (!arena_active)
		return malloc(n);
	n = (n + al - 1) / al * al;
	if (n == 0)
		n = al;
	if ((c = arena) == NULL || c->cap - c->used < n) {
		sz = n > CHUNK_SIZE ? n : CHUNK_SIZE;
		c = xmalloc(sizeof(*c) + sz);
		c->cap = sz;
		c->used = 0;
		c->next = arena;
		arena = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

void
emu_json_free(void *p)
{
	if (p != NULL && !in_arena(p))
		free(p);
}

void
arena_on(void)
{
	arena_active = 1;
}

void
arena_off(void)
{
	arena_active = 0;
}

/* empty the arena, keeping one chunk of the standard size */
void
arena_reset(void)
{
	struct chunk *c, *keep = NULL;

	while ((c = arena) != NULL) {
		arena = c->next;
		if (keep == NULL && c->cap == CHUNK_SIZE)
			keep = c;
		else
			free(c);
	}
	if (keep != NULL) {
		keep->used = 0;
		keep->next = NULL;
		arena = keep;
	}
}

void
arena_end(void)
{
	struct chunk *c;

	arena_active = 0;
	while ((c = arena) != NULL) {
		arena = c->next;
		free(c);
	}
}

/* json_dumps into memory of xmalloc's, whatever the arena's state */
char *
json_dump_str(json_t *v, size_t flags)
{
	struct buf b = { 0 };

	json_dump_callback(v, dump_add, &b, flags);
	return buf_take(&b);
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t
fnv1a64(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* prefix followed by n characters of [A-Za-z0-9] derived from seed */
char *
make_id(const char *prefix, uint64_t seed, size_t n)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t pl = strlen(prefix), i;
	uint64_t x = seed;
	char *p;

	p = xmalloc(pl + n + 1);
	memcpy(p, prefix, pl);
	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			x = splitmix64(x + i);
		p[pl + i] = al[x % 62];
		x /= 62;
	}
	p[pl + n] = '\0';
	return p;
}

char *
new_id(const char *prefix, size_t n)
{
	static uint64_t ctr;
	uint64_t c;

	c = __atomic_add_fetch(&ctr, 1, __ATOMIC_SEQ_CST);
	return make_id(prefix, fnv1a64(prefix, strlen(prefix)) ^ c, n);
}

void
fmt_rfc3339(char *s, size_t n, int64_t ms)
{
	struct tm tm;
	time_t t = ms / 1000;
	char tmp[32];

	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(s, n, "%s.%03dZ", tmp, (int)(ms % 1000));
}

/* Go-style duration as OpenAI's x-ratelimit-reset-* headers use it */
void
fmt_duration(char *s, size_t n, int64_t ms)
{
	int64_t h, m, sec, frac;
	char fs[8];
	int i;

	if (ms <= 0) {
		snprintf(s, n, "0s");
		return;
	}
	if (ms < 1000) {
		snprintf(s, n, "%lldms", (long long)ms);
		return;
	}
	h = ms / 3600000;
	m = ms / 60000 % 60;
	sec = ms / 1000 % 60;
	frac = ms % 1000;
	fs[0] = '\0';
	if (frac) {
		snprintf(fs, sizeof(fs), ".%03d", (int)frac);
		for (i = (int)strlen(fs) - 1; i > 0 && fs[i] == '0'; i--)
			fs[i] = '\0';
	}
	if (h)
		snprintf(s, n, "%lldh%lldm%lld%ss", (long long)h, (long long)m,
		    (long long)sec, fs);
	else if (m)
		snprintf(s, n, "%lldm%lld%ss", (long long)m, (long long)sec, fs);
	else
		snprintf(s, n, "%lld%ss", (long long)sec, fs);
}

long
tokens_of_len(size_t n)
{
	return (long)((n + 3) / 4);
}

static size_t
text_len(json_t *c)
{
	size_t i, n = 0;
	json_t *part, *t;

	if (json_is_string(c))
		return json_string_length(c);
	if (!json_is_array(c))
		return 0;
	json_array_foreach(c, i, part) {
		t = json_object_get(part, "text");
		if (json_is_string(t))
			n += json_string_length(t);
	}
	return n;
}

/* bytes of message and system text divided by four, rounded up */
long
prompt_tokens(json_t *body)
{
	json_t *msgs, *m;
	size_t i, n = 0;

	n += text_len(json_object_get(body, "system"));
	n += text_len(json_object_get(body, "instructions"));
	n += text_len(json_object_get(body, "input"));
	msgs = json_object_get(body, "messages");
	if (json_is_array(msgs))
		json_array_foreach(msgs, i, m)
			n += text_len(json_object_get(m, "content"));
	return tokens_of_len(n);
}

static char *
text_of(json_t *c)
{
	struct buf b = { 0 };
	size_t i;
	json_t *part, *t;

	if (json_is_string(c))
		return xstrdup(json_string_value(c));
	if (json_is_array(c))
		json_array_foreach(c, i, part) {
			t = json_object_get(part, "text");
			if (json_is_string(t))
				buf_addstr(&b, json_string_value(t));
		}
	return buf_take(&b);
}

/* text of the last user message of a chat or messages body */
char *
last_user_text(json_t *body)
{
	json_t *msgs, *m, *role;
	size_t i;

	msgs = json_object_get(body, "messages");
	if (!json_is_array(msgs))
		return text_of(json_object_get(body, "input"));
	for (i = json_array_size(msgs); i > 0; i--) {
		m = json_array_get(msgs, i - 1);
		role = json_object_get(m, "role");
		if (json_is_string(role) &&
		    strcmp(json_string_value(role), "user") == 0)
			return text_of(json_object_get(m, "content"));
	}
	return xstrdup("");
}

/* string value or NULL */
char *
json_str(json_t *v)
{
	return json_is_string(v) ? (char *)json_string_value(v) : NULL;
}

long *
hset_get(struct hset *h, const char *k, int create)
{
	size_t i, j, ncap;
	char **nk;
	long *nv;

	if (h->cap == 0) {
		if (!create)
			return NULL;
		h->cap = 64;
		h->keys = xcalloc(h->cap, sizeof(*h->keys));
		h->vals = xcalloc(h->cap, sizeof(*h->vals));
	}
	i = fnv1a64(k, strlen(k)) & (h->cap - 1);
	while (h->keys[i] != NULL) {
		if (strcmp(h->keys[i], k) == 0)
			return &h->vals[i];
		i = (i + 1) & (h->cap - 1);
	}
	if (!create)
		return NULL;
	if ((h->n + 1) * 2 > h->cap) {
		ncap = h->cap * 2;
		nk = xcalloc(ncap, sizeof(*nk));
		nv = xcalloc(ncap, sizeof(*nv));
		for (i = 0; i < h->cap; i++) {
			if (h->keys[i] == NULL)
				continue;
			j = fnv1a64(h->keys[i], strlen(h->keys[i])) &
			    (ncap - 1);
			while (nk[j] != NULL)
				j = (j + 1) & (ncap - 1);
			nk[j] = h->keys[i];
			nv[j] = h->vals[i];
		}
		free(h->keys);
		free(h->vals);
		h->keys = nk;
		h->vals = nv;
		h->cap = ncap;
		return hset_get(h, k, create);
	}
	h->keys[i] = xstrdup(k);
	h->vals[i] = 0;
	h->n++;
	return &h->vals[i];
}

void
hset_free(struct hset *h)
{
	size_t i;

	for (i = 0; i < h->cap; i++)
		free(h->keys[i]);
	free(h->keys);
	free(h->vals);
	memset(h, 0, sizeof(*h));
}

void
win_prune(struct window *w, int64_t now, int64_t len)
{
	while (w->n > 0 && w->t[w->head] <= now - len) {
		w->head++;
		w->n--;
	}
	if (w->n == 0)
		w->head = 0;
}

long
win_tokens(struct window *w)
{
	long s = 0;
	size_t i;

	for (i = 0; i < w->n; i++)
		s += w->tok[w->head + i];
	return s;
}

void
win_add(struct window *w, int64_t t, long tok)
{
	if (w->head > 0 && w->head + w->n == w->cap) {
		memmove(w->t, w->t + w->head, w->n * sizeof(*w->t));
		memmove(w->tok, w->tok + w->head, w->n * sizeof(*w->tok));
		w->head = 0;
	}
	if (w->head + w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->t = xrealloc(w->t, w->cap * sizeof(*w->t));
		w->tok = xrealloc(w->tok, w->cap * sizeof(*w->tok));
	}
	w->t[w->head + w->n] = t;
	w->tok[w->head + w->n] = tok;
	w->n++;
}

void
win_free(struct window *w)
{
	free(w->t);
	free(w->tok);
	memset(w, 0, sizeof(*w));
}
