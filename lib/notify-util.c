/*
 * notify-util.c: the helpers every target file shares (target hashes,
 * URL checks and redaction, HTTP error messages, HMAC-SHA256, base64,
 * Standard Webhooks signatures).  Below both notify.c, the registry, and
 * the target files, so that none calls back into another.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "http.h"
#include "notify.h"
#include "banned.h"
void
aas_notify_hash(const char *kind, const char *what, char hash[13])
{
	char *s = aas_xasprintf("%s\n%s", kind, what != NULL ? what : "");
	char hex[65];

	aas_sha256_hex(s, strlen(s), hex);
	memcpy(hash, hex, 12);
	hash[12] = '\0';
	free(s);
}

int
aas_notify_url_check(const char *what, const char *url, struct aas_err *e)
{
	const char *p;

	if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return aas_err_set(e, "config", "%s: not an http:// or https:// "
		    "URL", what);
	if (*p == '\0' || *p == '/' || *p == '?' || *p == '#')
		return aas_err_set(e, "config", "%s: the URL has no host", what);
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return aas_err_set(e, "config", "%s: a space or control "
			    "character in the URL", what);
	return 0;
}

char *
aas_notify_url_shown(const char *url, int keep_path)
{
	const char *s, *host, *end, *at, *q;
	struct aas_buf b = AAS_BUF_INIT;

	s = strstr(url, "://");
	host = s != NULL ? s + 3 : url;
	end = host + strcspn(host, "/?#");
	aas_buf_add(&b, url, host - url);
	at = memchr(host, '@', end - host);
	if (at != NULL) {
		aas_buf_adds(&b, "[redacted]@");
		host = at + 1;
	}
	aas_buf_add(&b, host, end - host);
	if (*end == '\0')
		return aas_buf_detach(&b, NULL);
	if (!keep_path) {
		aas_buf_adds(&b, "/[redacted]");
		return aas_buf_detach(&b, NULL);
	}
	q = end + strcspn(end, "?#");
	aas_buf_add(&b, end, q - end);
	if (*q != '\0')
		aas_buf_adds(&b, "?[redacted]");
	return aas_buf_detach(&b, NULL);
}

void
aas_notify_http_err(struct aas_err *e, const char *shown,
    const struct aas_http_resp *resp)
{
	char why[sizeof(e->msg)], code[sizeof(e->code)];
	const char *p;

	snprintf(code, sizeof(code), "%s", e->code);
	if (resp->status >= 300 && resp->status < 400)
		snprintf(why, sizeof(why), "http %ld: a redirect, not followed",
		    resp->status);
	else if (resp->status > 0) {
		const char *m = json_string_value(json_object_get(resp->json,
		    "message"));
		size_t n;

		if (m == NULL)
			m = resp->body != NULL ? resp->body : "";
		n = strcspn(m, "\r\n");
		if (n > 200)
			n = 200;
		snprintf(why, sizeof(why), "http %ld%s%.*s", resp->status,
		    n > 0 ? ": " : "", (int)n, m);
	} else {
		/* "POST /path: reason": the path may hold a secret */
		p = strstr(e->msg, ": ");
		snprintf(why, sizeof(why), "%s", p != NULL ? p + 2 : e->msg);
		if ((p = strstr(why, " (after ")) != NULL)
			why[p - why] = '\0';
	}
	if (resp->tries > 1)
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
		    " (after %d tries)", resp->tries);
	aas_err_set(e, code, "%s: %s", shown, why);
}

void
aas_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
    unsigned char out[32])
{
	unsigned char k[64], inner[32], *buf;
	size_t i;

	memset(k, 0, sizeof(k));
	if (klen > 64)
		aas_sha256(key, klen, k);
	else if (klen > 0)
		memcpy(k, key, klen);
	buf = aas_xmalloc(64 + (mlen > 32 ? mlen : 32));
	for (i = 0; i < 64; i++)
		buf[i] = k[i] ^ 0x36;
	if (mlen > 0)
		memcpy(buf + 64, msg, mlen);
	aas_sha256(buf, 64 + mlen, inner);
	for (i = 0; i < 64; i++)
		buf[i] = k[i] ^ 0x5c;
	memcpy(buf + 64, inner, 32);
	aas_sha256(buf, 64 + 32, out);
	free(buf);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
aas_base64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	struct aas_buf b = AAS_BUF_INIT;
	unsigned long v;
	size_t i;

	if (len == 0)
		return aas_xstrdup("");
	aas_buf_grow(&b, (len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		aas_buf_addc(&b, b64[v >> 18 & 63]);
		aas_buf_addc(&b, b64[v >> 12 & 63]);
		aas_buf_addc(&b, b64[v >> 6 & 63]);
		aas_buf_addc(&b, b64[v & 63]);
	}
	if (i < len) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)p[i + 1] << 8;
		aas_buf_addc(&b, b64[v >> 18 & 63]);
		aas_buf_addc(&b, b64[v >> 12 & 63]);
		aas_buf_addc(&b, i + 1 < len ? b64[v >> 6 & 63] : '=');
		aas_buf_addc(&b, '=');
	}
	return aas_buf_detach(&b, NULL);
}

unsigned char *
aas_base64_decode(const char *s, size_t *outlen)
{
	size_t n = strlen(s), i, o = 0, pad = 0;
	unsigned char *out;
	unsigned long v;
	const char *c;
	int k;

	if (n % 4 != 0)
		return NULL;
	if (n > 0 && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	out = aas_xmalloc(n / 4 * 3 + 1);
	for (i = 0; i < n; i += 4) {
		v = 0;
		for (k = 0; k < 4; k++) {
			v <<= 6;
			if (s[i + k] == '=' && i + 4 == n && k >= 4 - (int)pad)
				continue;
			if (s[i + k] == '\0' ||
			    (c = strchr(b64, s[i + k])) == NULL) {
				free(out);
				return NULL;
			}
			v |= (unsigned long)(c - b64);
		}
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	*outlen = o - pad;
	return out;
}

char *
aas_webhook_sign(const char *secret, const char *id, long long timestamp,
    const char *body, size_t blen)
{
	unsigned char *key, mac[32];
	struct aas_buf m = AAS_BUF_INIT;
	size_t klen;
	char *sig, *out;

	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	if ((key = aas_base64_decode(secret, &klen)) == NULL)
		return NULL;
	aas_buf_printf(&m, "%s.%lld.", id, timestamp);
	aas_buf_add(&m, body, blen);
	aas_hmac_sha256(key, klen, m.s, m.len, mac);
	free(key);
	aas_buf_free(&m);
	sig = aas_base64_encode(mac, sizeof(mac));
	out = aas_xasprintf("v1,%s", sig);
	free(sig);
	return out;
}
