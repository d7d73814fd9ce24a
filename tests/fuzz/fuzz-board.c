/* fuzz-board.c: aas_board_parse, an edit, lint, and the round trip; the
 * input as the text of a new task (a model's sub-task) on fixed boards. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "board.h"

static void
lint_cb(const char *msg, void *arg)
{
	(void)msg, (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Text from outside is data: as a body on a heading board and as a title
 * on a table board, valid UTF-8 is always inserted, and the board then
 * holds the old tasks and the new one, no more.
 */
static void
outside(const char *s)
{
	static const char *const boards[] = {
	    "## G-1: goal\n- Status: Blocked\n\n## O-1: other\n",
	    "| ID | Title | Status | Depends |\n|---|---|---|---|\n"
	    "| G-1 | goal | Blocked | |\n| O-1 | other | Queued | |\n" };
	struct aas_board *b;
	struct aas_newtask nt;
	json_t *j;
	size_t k;

	if ((j = json_string(s)) == NULL)
		return;
	json_decref(j);
	for (k = 0; k < 2; k++) {
		if (aas_board_parse(&b, boards[k], strlen(boards[k]), "o.md",
		    NULL, NULL) == -1)
			abort();
		memset(&nt, 0, sizeof(nt));
		nt.id = "G-1-1";
		nt.title = k == 0 ? "sub" : s;
		nt.body = k == 0 ? s : NULL;
		nt.status = AAS_ST_QUEUED;
		nt.parent = "G-1";
		if (aas_board_insert_after(b, "G-1", &nt, 1, NULL) == -1 ||
		    aas_board_count(b) != 3 ||
		    aas_board_find(b, "O-1") == NULL)
			abort();
		aas_board_free(b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aas_board *b, *b2;
	struct aas_newtask nt;
	const struct aas_task *t;
	const char *text;
	char *id, *sub;
	size_t len, i;
	json_t *r;

	sub = aas_xstrndup((const char *)data, size);
	outside(sub);
	free(sub);
	if (aas_board_parse(&b, (const char *)data, size, "fuzz.md", NULL,
	    NULL) == -1)
		return 0;
	/* unchanged: byte-identical */
	text = aas_board_text(b, &len);
	if (len != size || memcmp(text, data, size) != 0)
		abort();
	aas_board_check(b, lint_cb, NULL);
	for (i = 0; i < aas_board_count(b) && i < 8; i++) {
		t = aas_board_task(b, i);
		r = aas_task_record(b, t);
		if (r == NULL)
			abort();
		json_decref(r);
		(void)aas_board_ready(b, t);
	}
	if (aas_board_count(b) > 0) {
		t = aas_board_task(b, 0);
		id = aas_xstrdup(t->id);
		if (aas_board_set_status(b, id, AAS_ST_DONE, NULL) == 0 &&
		    (aas_board_find(b, id) == NULL ||
		    aas_board_find(b, id)->status != AAS_ST_DONE))
			abort();
		aas_board_set_field(b, id, "Owner", "fuzz | er", NULL);
		sub = aas_board_next_child_id(b, id, 0);
		memset(&nt, 0, sizeof(nt));
		nt.id = sub;
		nt.title = "sub\ntask";
		nt.status = AAS_ST_QUEUED;
		nt.parent = id;
		nt.body = "body";
		aas_board_insert_after(b, id, &nt, 1, NULL);
		free(sub);
		free(id);
	}
	if (aas_board_append(b, "appended", &id, NULL) == 0) {
		if (aas_board_find(b, id) == NULL)
			abort();
		free(id);
	}
	/* the edited text parses again to the same tasks */
	text = aas_board_text(b, &len);
	if (aas_board_parse(&b2, text, len, "fuzz.md", NULL, NULL) == -1)
		abort();
	if (aas_board_count(b2) != aas_board_count(b))
		abort();
	aas_board_free(b2);
	aas_board_free(b);
	return 0;
}
