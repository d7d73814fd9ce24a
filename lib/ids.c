/* ids.c: task custom_ids, run ids and ISO 8601 time stamps. */
#include <sys/random.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aas.h"
#include "ids.h"
#include "banned.h"

void
aas_ledger_custom_id(const char *id, const char *sha, char out[65])
{
	char clean[65], hex[65];
	size_t i, n, room;
	int changed = 0;
	const char *s = sha ? sha : "";

	n = strlen(id);
	room = 64 - (*s ? 13 : 0);
	for (i = 0; i < n && i < room; i++) {
		unsigned char c = (unsigned char)id[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-')
			clean[i] = (char)c;
		else {
			clean[i] = '_';
			changed = 1;
		}
	}
	clean[i] = '\0';
	if (n > room || n == 0)
		changed = 1;
	if (changed) {
		aas_sha256_hex(id, n, hex);
		if (i > room - 9)
			i = room - 9;
		clean[i] = '\0';
		snprintf(clean + i, sizeof(clean) - i, "_%.8s", hex);
	}
	{
		char full[96];
		int len;

		len = snprintf(full, sizeof(full), *s ? "%s-%.12s" : "%s",
		    clean, s);
		if (len > 64)
			len = 64;
		memcpy(out, full, (size_t)len);
		out[len] = '\0';
	}
	/* the sha part must be sanitised too */
	for (i = 0; out[i] != '\0'; i++) {
		unsigned char c = (unsigned char)out[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			out[i] = '_';
	}
}

char *
aas_ledger_new_run_id(void)
{
	unsigned char r[4];
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uint64_t x = (uint64_t)aas_now_ms() ^ ((uint64_t)getpid() << 32);

		memcpy(r, &x, sizeof(r));
	}
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%S", &tm);
	return aas_xasprintf("%s-%ld-%02x%02x%02x%02x", ts, (long)getpid(),
	    r[0], r[1], r[2], r[3]);
}

void
aas_iso8601(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
