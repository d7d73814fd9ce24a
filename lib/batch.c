/*
 * batch.c: a journaled run made into the provider's batch exactly once,
 * and the intents a crash left settled (batch.h).  The network half of
 * the ledger: ledger.c only reads and writes the state folder.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "batch.h"
#include "ledger.h"
#include "provider.h"
#include "banned.h"

struct file_ctx {
	struct aas_ledger *l;
	size_t	 ri;
};

static void
on_file(const char *file_id, void *arg)
{
	struct file_ctx *c = arg;

	aas_ledger_note_file(c->l, c->ri, file_id);
}

/* Does a run in the journal already hold batch id? */
static int
known_batch(const char *id, void *arg)
{
	const struct aas_ledger *l = arg;
	const struct aas_run *r;
	size_t i;

	for (i = 0; i < aas_ledger_count(l); i++) {
		r = aas_ledger_run(l, i);
		if (r->batch_id != NULL && strcmp(r->batch_id, id) == 0)
			return 1;
	}
	return 0;
}

static int
find_batch(struct aas_ledger *l, size_t ri, struct aas_provider *p,
    json_t **batchp, struct aas_err *e)
{
	const struct aas_run *r = aas_ledger_run(l, ri);

	return aas_provider_find_own(p, r->run, r->t, r->n, known_batch, l,
	    batchp, e);
}

int
aas_batch_create(struct aas_ledger *l, size_t ri, struct aas_provider *p,
    struct aas_err *e)
{
	const struct aas_run *r = aas_ledger_run(l, ri);
	struct file_ctx ctx = { l, ri };
	struct aas_err e2;
	json_t *md, *batch = NULL;
	char *path;
	int rc;

	path = aas_ledger_input_path(l, ri);
	md = json_pack("{s:s}", "aas_run", r->run);
	/* what a clone with no journal needs to find and read the batch */
	if (r->project != NULL)
		json_object_set_new(md, "aas_project", json_string(r->project));
	if (r->template != NULL && strlen(r->template) <= 200)
		json_object_set_new(md, "aas_template",
		    json_string(r->template));
	rc = aas_provider_submit(p, path, r->endpoint, md, on_file, &ctx,
	    &batch, e);
	free(path);
	json_decref(md);
	if (rc == 0) {
		rc = aas_ledger_note_batch(l, ri, batch, e);
		json_decref(batch);
		return rc;
	}
	memset(&e2, 0, sizeof(e2));
	/* surely no batch: abandon the run */
	r = aas_ledger_run(l, ri);
	if (aas_provider_create_refused(p, e->code, r->input_file_id !=
	    NULL)) {
		if (aas_ledger_abandon(l, ri, e->msg, &e2) == -1)
			aas_msg("%s", e2.msg);
		return -1;
	}
	if (find_batch(l, ri, p, &batch, &e2) == -1) {
		aas_err_set(e, "submit_unknown", "%s: %s; could not check "
		    "whether the batch was created (%s): the next aas-submit "
		    "or aas-fetch settles it", r->run, e->msg, e2.msg);
		return -1;
	}
	if (batch != NULL) {
		rc = aas_ledger_note_batch(l, ri, batch, e);
		json_decref(batch);
		return rc;
	}
	if (aas_ledger_abandon(l, ri, e->msg, &e2) == -1)
		aas_msg("%s", e2.msg);
	return -1;
}

int
aas_batch_reconcile(struct aas_ledger *l,
    struct aas_provider *(*get)(const char *, void *, struct aas_err *),
    void *arg, struct aas_err *e)
{
	const struct aas_run *r;
	struct aas_provider *p;
	struct aas_err pe;
	json_t *batch;
	size_t i;
	int bad = 0;

	(void)e;
	for (i = 0; i < aas_ledger_count(l); i++) {
		r = aas_ledger_run(l, i);
		if (r->state != AAS_RUN_INTENT)
			continue;
		memset(&pe, 0, sizeof(pe));
		p = get(r->provider, arg, &pe);
		if (p == NULL) {
			aas_msg("%s: %s", r->run, pe.msg);
			bad++;
			continue;
		}
		batch = NULL;
		if (find_batch(l, i, p, &batch, &pe) == -1) {
			aas_msg("%s: cannot settle an interrupted submission: "
			    "%s", r->run, pe.msg);
			bad++;
			continue;
		}
		if (batch != NULL) {
			if (aas_ledger_note_batch(l, i, batch, &pe) == -1) {
				aas_msg("%s", pe.msg);
				bad++;
			}
			json_decref(batch);
			continue;
		}
		if (aas_batch_create(l, i, p, &pe) == -1) {
			aas_msg("%s", pe.msg);
			if (strcmp(pe.code, "submit_unknown") == 0)
				bad++;
		}
	}
	return bad;
}
