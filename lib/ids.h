/*
 * ids.h: the names the journal gives things: a task's custom_id, a run
 * id, and the ISO 8601 UTC time stamps of batch keys.
 */
#ifndef AAS_IDS_H
#define AAS_IDS_H

#include <stddef.h>

/*
 * custom_id for a task: id "-" the first 12 hex digits of sha, with every
 * byte outside [A-Za-z0-9_-] made '_' and the whole capped at 64
 * characters.  When the id had to be changed (or cut), 8 hex digits of
 * its SHA-256 are added so two ids never share a custom_id.
 */
void	aas_ledger_custom_id(const char *id, const char *sha, char out[65]);
/* A run id "YYYYmmddTHHMMSS-PID-RANDOM"; caller frees. */
char	*aas_ledger_new_run_id(void);
/* "YYYY-mm-ddTHH:MM:SSZ" for unix seconds t into buf (at least 21). */
void	aas_iso8601(long long t, char *buf, size_t size);

#endif
