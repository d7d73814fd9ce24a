/*
 * batch.h: making a journaled run (ledger.h) into the provider's batch
 * exactly once, and settling the runs a crash left as intents.  The only
 * place where the journal meets the network.
 */
#ifndef AAS_BATCH_H
#define AAS_BATCH_H

#include "aas.h"

struct aas_ledger;
struct aas_provider;

/*
 * Create the batch of intent run ri with provider p: upload and create
 * (the input file id is journaled as soon as it is known), then journal
 * the batch.  On failure the run is looked up at the provider
 * (aas_provider_find_own): found, it is journaled as created; surely
 * absent (aas_provider_create_refused, or not found), it is journaled
 * abandoned (with its estimate cancelled) and -1 returned with e set; if
 * even the lookup fails the run stays an intent for the next reconcile
 * and -1 is returned with e->code "submit_unknown".
 */
int	aas_batch_create(struct aas_ledger *l, size_t ri,
	    struct aas_provider *p, struct aas_err *e);
/*
 * Finish every intent left by a crash: a batch the provider has for the
 * run is journaled; otherwise the batch is created now.  get returns the
 * provider for a kind (NULL: a run journaled without one, the default
 * provider), or NULL with e set; aas_provider_pool_cb fits.
 * Returns the number of intents that could not be settled (they are
 * reported on stderr), or -1 on a journal error.
 */
int	aas_batch_reconcile(struct aas_ledger *l,
	    struct aas_provider *(*get)(const char *kind, void *arg,
	    struct aas_err *e), void *arg, struct aas_err *e);

#endif
