/* t-board.c: board parsing, statuses, splice edits, lint, locked update. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "board.h"
#include "tap.h"

static struct aas_board *
parse(const char *text)
{
	struct aas_board *b = NULL;
	struct aas_err e;

	if (aas_board_parse(&b, text, strlen(text), "t.md", NULL, &e) == -1)
		printf("# parse failed: %s\n", e.msg);
	return b;
}

static const char *
text_of(const struct aas_board *b)
{
	return aas_board_text(b, NULL);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static char *
read_back(const char *path)
{
	char *s;
	size_t n;

	if (aas_read_file(path, &s, &n, NULL) == -1)
		return aas_xstrdup("(unreadable)");
	return s;
}

static char lint_out[4096];

static void
lint_cb(const char *msg, void *arg)
{
	size_t n = strlen(lint_out);

	(void)arg;
	snprintf(lint_out + n, sizeof(lint_out) - n, "%s\n", msg);
}

/* The update callbacks. */
static int
set_done(struct aas_board *b, void *arg, struct aas_err *e)
{
	return aas_board_set_status(b, arg, AAS_ST_DONE, e);
}

static int
noop(struct aas_board *b, void *arg, struct aas_err *e)
{
	(void)b, (void)arg, (void)e;
	return 0;
}

static int runs;

/* Edits the file behind the lock's back on the first run. */
static int
sneaky(struct aas_board *b, void *arg, struct aas_err *e)
{
	if (runs++ == 0)
		write_file(arg, "| ID | Title | Status |\n|---|---|---|\n"
		    "| A-1 | one | Queued |\n| A-2 | two | Queued |\n"
		    "| A-3 | added by an editor | Queued |\n");
	return aas_board_set_status(b, "A-1", AAS_ST_DONE, e);
}

static void
statuses(void)
{
	static const struct {
		const char *in;
		enum aas_status want;
	} cases[] = {
		{ "Queued", AAS_ST_QUEUED }, { "queued", AAS_ST_QUEUED },
		{ "  QUEUED  ", AAS_ST_QUEUED }, { "todo", AAS_ST_QUEUED },
		{ "[ ]", AAS_ST_QUEUED }, { "[x]", AAS_ST_DONE },
		{ "[X] Done", AAS_ST_DONE }, { "\xe2\x9c\x85 Done", AAS_ST_DONE },
		{ "\xf0\x9f\x9a\xa7 In Progress", AAS_ST_IN_PROGRESS },
		{ "in_progress", AAS_ST_IN_PROGRESS },
		{ "In   progress", AAS_ST_IN_PROGRESS },
		{ "in-progress", AAS_ST_IN_PROGRESS },
		{ "Review", AAS_ST_REVIEW }, { "failed", AAS_ST_FAILED },
		{ "Blocked \xe2\x9b\x94", AAS_ST_BLOCKED },
		{ "**Done**", AAS_ST_DONE }, { "Frobbed", AAS_ST_UNKNOWN },
		{ "", AAS_ST_UNKNOWN }, { "done done", AAS_ST_UNKNOWN },
	};
	size_t i;
	char name[96];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "status '%s'", cases[i].in);
		is_int(aas_status_parse(cases[i].in), cases[i].want, name);
	}
	is_str(aas_status_name(AAS_ST_IN_PROGRESS), "In Progress",
	    "canonical name");
	ok(aas_status_name(AAS_ST_UNKNOWN) == NULL, "no name for unknown");
}

static void
layouts(void)
{
	struct aas_board *b;
	const struct aas_task *t;
	const char *mixed =
	    "# Board\n\n"
	    "| ID | Title | Status | Depends | Owner |\n"
	    "|----|-------|--------|---------|-------|\n"
	    "| M-1 | First \\| pipe | Done | | ann |\n"
	    "| M-2 | Second | Queued | M-1 | |\n"
	    "\n"
	    "## M-2: ignored title\n"
	    "- Files: a.c\n"
	    "- Owner: bob\n"
	    "\n"
	    "Body of M-2.\n"
	    "\n"
	    "## M-3: Third\n"
	    "- Status: Review\n"
	    "- Depends: M-1, M-2\n"
	    "- Parent: M-1\n"
	    "\n"
	    "```\n"
	    "## M-4: inside a fence\n"
	    "```\n"
	    "tail\n";

	b = parse(mixed);
	is_int(aas_board_count(b), 3, "mixed: three tasks, fenced one ignored");
	t = aas_board_find(b, "M-1");
	is_str(t->title, "First | pipe", "escaped pipe in a cell");
	is_int(t->layout, AAS_LAYOUT_TABLE, "row layout");
	t = aas_board_find(b, "M-2");
	is_str(t->body, "Body of M-2.", "heading gives the row its body");
	is_str(t->title, "Second", "row title wins");
	is_str(json_string_value(json_object_get(t->fields, "Files")), "a.c",
	    "heading fields merged");
	is_str(json_string_value(json_object_get(t->fields, "Owner")), "",
	    "row cell wins over the heading field");
	is_int(t->line, 6, "row line");
	t = aas_board_find(b, "M-3");
	is_int(t->status, AAS_ST_REVIEW, "heading status");
	is_int(t->ndeps, 2, "two deps");
	is_str(t->parent, "M-1", "parent");
	is_str(t->body, "```\n## M-4: inside a fence\n```\ntail",
	    "fence kept in the body");
	ok(aas_board_find(b, "M-4") == NULL, "no task from a fence");
	aas_board_free(b);

	b = parse("## X-1: a\n- Status: Done\n### X-1-1: child\nbody\n"
	    "## Other\ntext\n");
	is_int(aas_board_count(b), 2, "nested heading tasks");
	is_str(aas_board_find(b, "X-1")->body, "", "block ends at a task "
	    "heading");
	is_str(aas_board_find(b, "X-1-1")->body, "body", "block ends at a "
	    "heading of a higher level");
	is_int(aas_board_find(b, "X-1-1")->status, AAS_ST_QUEUED, "no Status "
	    "line: Queued");
	aas_board_free(b);

	b = parse("## x-1: lowercase is no id\n# A-1: level 1 is not a task\n"
	    "##### A-2: level 5 is not a task\n");
	is_int(aas_board_count(b), 0, "ids anchored; levels 2-4 only");
	aas_board_free(b);
}

static void
yaml(void)
{
	struct aas_board *b;
	struct aas_err e;
	const char *plan = "- id: F-1\n  title: One\n  description: |\n"
	    "    Text.\n  files: [a.c]\n- id: 7\n  depends: F-1 X\n"
	    "  status: done\n";
	json_t *r;
	char *s;

	ok(aas_board_parse(&b, plan, strlen(plan), "p.yaml", NULL, &e) == 0,
	    "yaml plan parses");
	is_int(aas_board_count(b), 2, "two features");
	is_str(aas_board_find(b, "7")->deps[1], "X", "depends as a string");
	is_int(aas_board_find(b, "7")->status, AAS_ST_DONE, "status read");
	is_int(aas_board_find(b, "7")->line, 6, "line from the YAML");
	r = aas_task_record(b, aas_board_find(b, "F-1"));
	s = json_dumps(json_object_get(r, "fields"), JSON_COMPACT);
	is_str(s, "{\"files\":[\"a.c\"]}", "other keys kept as fields");
	free(s);
	json_decref(r);
	is_int(aas_board_set_status(b, "F-1", AAS_ST_DONE, &e), -1,
	    "a YAML plan is read-only");
	aas_board_free(b);
	ok(aas_board_parse(&b, "a: 1\n", 5, "p.yml", NULL, &e) == -1,
	    "mapping without features");
	is_str(e.msg, "p.yml:1: a plan is a list of features, or a mapping "
	    "with a features: list", "its message");
	ok(aas_board_parse(&b, "- title: x\n", 11, "p.yml", NULL, &e) == -1 &&
	    strcmp(e.msg, "p.yml:1: a feature needs an id") == 0,
	    "feature without id");
}

static void
edits(void)
{
	struct aas_board *b;
	struct aas_err e;
	struct aas_newtask nt[2];
	const char *deps[] = { "T-1" };
	char *id;
	const char *table = "| ID | Title | Status | Depends |\n"
	    "|---|---|---|---|\n| T-1 | one | Queued | |\n"
	    "| T-1-1 | kid | Queued | |\n| T-2 | two | queued | |\n";
	const char *heads = "## H-1: one\n- Status: Queued\n\nbody\n\n"
	    "### H-1-1: kid\n- Parent: H-1\n\n## H-2: two\n";

	b = parse(table);
	is_int(aas_board_set_status(b, "T-1", AAS_ST_FAILED, &e), 0,
	    "set status");
	is_str(text_of(b), "| ID | Title | Status | Depends |\n"
	    "|---|---|---|---|\n| T-1 | one | Failed | |\n"
	    "| T-1-1 | kid | Queued | |\n| T-2 | two | queued | |\n",
	    "only the status cell changed");
	aas_board_set_status(b, "T-2", AAS_ST_IN_PROGRESS, &e);
	ok(strstr(text_of(b), "| T-2 | two | in progress |") != NULL,
	    "lowercase kept");
	is_int(aas_board_set_status(b, "T-9", AAS_ST_DONE, &e), -1,
	    "unknown id");
	is_str(e.code, "unknown_id", "unknown_id code");
	is_int(aas_board_set_field(b, "T-1", "Depends", "T-2 | x", &e), 0,
	    "set a column");
	ok(strstr(text_of(b), "| T-1 | one | Failed | T-2 \\| x |") != NULL,
	    "pipe escaped in a cell");
	is_int(aas_board_set_field(b, "T-1", "Owner", "x", &e), -1,
	    "no such column");
	memset(nt, 0, sizeof(nt));
	nt[0].id = "T-1-2";
	nt[0].title = "new kid";
	nt[0].status = AAS_ST_QUEUED;
	nt[0].deps = deps;
	nt[0].ndeps = 1;
	nt[1].id = "T-1-3";
	nt[1].title = "another";
	nt[1].status = AAS_ST_QUEUED;
	id = aas_board_next_child_id(b, "T-1", 0);
	is_str(id, "T-1-2", "next child id");
	free(id);
	id = aas_board_next_child_id(b, "T-1", 1);
	is_str(id, "T-1-3", "next child id, one skipped");
	free(id);
	is_int(aas_board_insert_after(b, "T-1", nt, 2, &e), 0, "insert rows");
	is_str(text_of(b), "| ID | Title | Status | Depends |\n"
	    "|---|---|---|---|\n| T-1 | one | Failed | T-2 \\| x |\n"
	    "| T-1-1 | kid | Queued | |\n| T-1-2 | new kid | Queued | T-1 |\n"
	    "| T-1-3 | another | Queued |  |\n"
	    "| T-2 | two | in progress | |\n", "rows after the children");
	is_int(aas_board_insert_after(b, "T-1", nt, 1, &e), -1,
	    "an id already on the board");
	is_int(aas_board_append(b, "appended", &id, &e), 0, "append");
	is_str(id, "T-3", "next free id");
	free(id);
	ok(strstr(text_of(b), "| T-3 | appended | Queued |  |\n") != NULL,
	    "appended row");
	aas_board_free(b);

	b = parse(heads);
	is_int(aas_board_set_status(b, "H-1-1", AAS_ST_DONE, &e), 0,
	    "status line added");
	is_int(aas_board_set_field(b, "H-2", "Owner", "me", &e), 0,
	    "field added to the last block");
	nt[0].id = "H-1-2";
	nt[0].body = "Line one.\nLine two.";
	nt[0].parent = "H-1";
	is_int(aas_board_insert_after(b, "H-1", nt, 1, &e), 0,
	    "insert heading block");
	is_str(text_of(b), "## H-1: one\n- Status: Queued\n\nbody\n\n"
	    "### H-1-1: kid\n- Parent: H-1\n- Status: Done\n\n"
	    "## H-1-2: new kid\n- Status: Queued\n- Depends: T-1\n"
	    "- Parent: H-1\n\nLine one.\nLine two.\n\n"
	    "## H-2: two\n- Owner: me\n", "heading edits");
	aas_board_free(b);

	/* CRLF and no final newline are kept */
	b = parse("## C-1: a\r\n- Status: Queued\r\n\r\ntext");
	is_int(aas_board_append(b, "b", &id, &e), 0, "append, CRLF board");
	free(id);
	is_str(text_of(b), "## C-1: a\r\n- Status: Queued\r\n\r\ntext\r\n"
	    "\r\n## C-2: b\r\n- Status: Queued", "CRLF kept, no final newline");
	aas_board_free(b);
	b = parse("| ID | Title | Status |\n|-|-|-|\n| N-1 | a | Done |");
	is_int(aas_board_append(b, "b", &id, &e), 0, "append, no newline");
	free(id);
	is_str(text_of(b), "| ID | Title | Status |\n|-|-|-|\n"
	    "| N-1 | a | Done |\n| N-2 | b | Queued |", "still no final newline");
	aas_board_free(b);

	/* decorated statuses keep their style */
	b = parse("| ID | Title | Status |\n|-|-|-|\n"
	    "| D-1 | a | \xe2\x9c\x85 Done |\n| D-2 | b | \xf0\x9f\x9a\xa7 WIP |\n"
	    "| D-3 | c | [ ] |\n| D-4 | d | [ ] Queued |\n");
	aas_board_set_status(b, "D-2", AAS_ST_DONE, &e);
	aas_board_set_status(b, "D-3", AAS_ST_DONE, &e);
	aas_board_set_status(b, "D-4", AAS_ST_FAILED, &e);
	is_str(text_of(b), "| ID | Title | Status |\n|-|-|-|\n"
	    "| D-1 | a | \xe2\x9c\x85 Done |\n| D-2 | b | \xe2\x9c\x85 Done |\n"
	    "| D-3 | c | [x] |\n| D-4 | d | [ ] Failed |\n",
	    "emoji copied from the board, checkbox ticked");
	aas_board_set_status(b, "D-1", AAS_ST_BLOCKED, &e);
	ok(strstr(text_of(b), "| D-1 | a | \xe2\x9b\x94 Blocked |") != NULL,
	    "emoji swapped");
	aas_board_free(b);

	/* insert into an unclosed fence is refused */
	b = parse("## U-1: a\n```\n");
	is_int(aas_board_append(b, "x", &id, &e), -1, "insert inside an "
	    "unclosed fence refused (fuzz find)");
	is_str(text_of(b), "## U-1: a\n```\n", "board unchanged");
	aas_board_free(b);
}

static void
config_names(void)
{
	struct aas_board *b;
	struct aas_board_opts o;
	struct aas_err e;
	const char *t = "| ID | Title | Status |\n|-|-|-|\n| S-1 | a | Ready |\n";
	char *id;

	memset(&o, 0, sizeof(o));
	o.status_names = json_pack("{s:s, s:s}", "Queued", "Ready", "Done",
	    "Shipped");
	o.id_pattern = "S-[0-9]+";
	aas_board_parse(&b, t, strlen(t), "c.md", &o, &e);
	is_int(aas_board_find(b, "S-1")->status, AAS_ST_QUEUED,
	    "configured name read");
	aas_board_set_status(b, "S-1", AAS_ST_DONE, &e);
	ok(strstr(text_of(b), "| S-1 | a | Shipped |") != NULL,
	    "configured name written");
	aas_board_free(b);
	o.id_pattern = "S-[";
	ok(aas_board_parse(&b, t, strlen(t), "c.md", &o, &e) == -1,
	    "bad id pattern");
	json_decref(o.status_names);
	(void)id;
}

static void
lint(void)
{
	struct aas_board *b;
	const char *t = "| ID | Title | Status | Depends |\n|-|-|-|-|\n"
	    "| L-1 | a | Queued | L-3 |\n| L-2 | b | Queued | L-1 |\n"
	    "| L-3 | c | Queued | L-2 |\n| L-4 | d | Queued | L-4 |\n"
	    "| L-5 | e | Queued | L-404 |\n| L-2 | f | Done | |\n"
	    "| L-6 | g | Sleeping | |\n| L-7 | h | Queued | L-6 |\n";

	b = parse(t);
	lint_out[0] = '\0';
	is_int(aas_board_check(b, lint_cb, NULL), 5, "five problems");
	is_str(lint_out,
	    "t.md:6: L-4: depends on itself\n"
	    "t.md:7: L-5: unknown dependency L-404\n"
	    "t.md:8: duplicate id L-2, first seen at line 4\n"
	    "t.md:9: L-6: unknown status 'Sleeping'\n"
	    "t.md:3: dependency cycle L-1 -> L-3 -> L-2 -> L-1\n",
	    "lint messages");
	ok(!aas_board_ready(b, aas_board_find(b, "L-3")), "a duplicated dep "
	    "blocks");
	ok(!aas_board_ready(b, aas_board_find(b, "L-5")), "a missing dep "
	    "blocks");
	aas_board_free(b);
	b = parse("## R-1: a\n- Status: Done\n## R-2: b\n- Depends: R-1\n");
	ok(aas_board_ready(b, aas_board_find(b, "R-2")), "ready");
	lint_out[0] = '\0';
	is_int(aas_board_check(b, lint_cb, NULL), 0, "clean board");
	aas_board_free(b);
}

/* An aligned table stays aligned; a compact one changes only the value. */
static void
aligned(void)
{
	struct aas_board *b;
	struct aas_err e;
	const char *t = "| ID  | Status      |\n|-----|-------------|\n"
	    "| A-1 | Queued      |\n| A-2 | In Progress |\n"
	    "| A-3 | Done        |\n", *got;

	aas_board_parse(&b, t, strlen(t), "a.md", NULL, &e);
	aas_board_set_status(b, "A-1", AAS_ST_IN_PROGRESS, &e);
	aas_board_set_status(b, "A-2", AAS_ST_DONE, &e);
	aas_board_set_status(b, "A-3", AAS_ST_QUEUED, &e);
	got = aas_board_text(b, NULL);
	is_str(got, "| ID  | Status      |\n|-----|-------------|\n"
	    "| A-1 | In Progress |\n| A-2 | Done        |\n"
	    "| A-3 | Queued      |\n", "aligned cells keep their width");
	ok(strlen(got) == strlen(t), "aligned: same length");
	aas_board_free(b);
}

static void
update(const char *dir)
{
	struct aas_err e;
	struct stat st;
	char *p = aas_xasprintf("%s/b.md", dir), *s, *link;
	const char *t = "| ID | Title | Status |\n|---|---|---|\n"
	    "| A-1 | one | Queued |\n| A-2 | two | Queued |\n";

	write_file(p, t);
	chmod(p, 0600);
	is_int(aas_board_update(p, NULL, noop, NULL, &e), 0, "no-op update");
	s = read_back(p);
	is_str(s, t, "no-op leaves the bytes");
	free(s);
	is_int(aas_board_update(p, NULL, set_done, "A-2", &e), 0, "update");
	s = read_back(p);
	is_str(s, "| ID | Title | Status |\n|---|---|---|\n"
	    "| A-1 | one | Queued |\n| A-2 | two | Done |\n", "written");
	free(s);
	stat(p, &st);
	is_int(st.st_mode & 0777, 0600, "mode kept");
	runs = 0;
	is_int(aas_board_update(p, NULL, sneaky, p, &e), 0, "update while an "
	    "editor writes");
	is_int(runs, 2, "the edit ran again on the new text");
	s = read_back(p);
	is_str(s, "| ID | Title | Status |\n|---|---|---|\n"
	    "| A-1 | one | Done |\n| A-2 | two | Queued |\n"
	    "| A-3 | added by an editor | Queued |\n", "no edit lost");
	free(s);
	write_file(p, "## A-1: x\n\xff\n");
	is_int(aas_board_update(p, NULL, set_done, "A-1", &e), -1,
	    "unparseable board");
	is_str(e.msg, s = aas_xasprintf("%s:2: not valid UTF-8", p),
	    "its message");
	free(s);
	s = read_back(p);
	is_str(s, "## A-1: x\n\xff\n", "never written after a failed parse");
	free(s);
	/* a symbolic link: the target is edited, the link stays */
	link = aas_xasprintf("%s/link.md", dir);
	write_file(p, t);
	if (symlink("b.md", link) == -1)
		diag("symlink failed");
	is_int(aas_board_update(link, NULL, set_done, "A-1", &e), 0,
	    "update through a link");
	ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "link kept");
	s = read_back(p);
	ok(strstr(s, "| A-1 | one | Done |") != NULL, "target edited");
	free(s);
	free(link);
	free(p);
}

/* Where a board that is not UTF-8 text is bad: the line of the first bad
 * sequence, and NUL told apart from invalid bytes. */
#define C(s)	(s), sizeof(s) - 1
static void
utf8_lines(void)
{
	static const struct {
		const char *text;
		size_t	 len;
		const char *msg;
	} c[] = {
		{ C("## A-1: x\n\xc3\n"), "t.md:2: not valid UTF-8" },
		{ C("a\nb\n\xef\xbf\xbd ok\n\xe2\x82\n"),
		    "t.md:4: not valid UTF-8" },
		{ C("x\n\xed\xa0\x80\n"), "t.md:2: not valid UTF-8" },
		{ C("x\ny\n\xc0\xaf\n"), "t.md:3: not valid UTF-8" },
		{ C("x\ny\n\xf4\x90\x80\x80\n"), "t.md:3: not valid UTF-8" },
		{ C("a\n\xef\x00"), "t.md:2: not valid UTF-8" },
		{ C("\xef\xbf\xbd\n\xef\xbf\n"), "t.md:2: not valid UTF-8" },
		{ C("\xef\xbf\xbd\xef\n"), "t.md:1: not valid UTF-8" },
		{ C("\n\xef\xbf\x00"), "t.md:2: not valid UTF-8" },
		{ C("a\nb\x00"), "t.md:2: NUL byte: not a text file" },
		{ C("\xc3\xa9\n\xe2\x82\xac\n\x00\xc3"),
		    "t.md:3: NUL byte: not a text file" },
	};
	struct aas_board *b;
	struct aas_err e;
	size_t i;
	char name[64];

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		b = NULL;
		e.msg[0] = '\0';
		snprintf(name, sizeof(name), "bad text %zu refused", i);
		is_int(aas_board_parse(&b, c[i].text, c[i].len, "t.md", NULL,
		    &e), -1, name);
		snprintf(name, sizeof(name), "bad text %zu: its line", i);
		is_str(e.msg, c[i].msg, name);
		aas_board_free(b);
	}
	b = NULL;
	ok(aas_board_parse(&b, C("## A-1: \xc3\xa9 \xef\xbf\xbd\n"), "t.md",
	    NULL, &e) == 0 && aas_board_count(b) == 1, "valid UTF-8 read");
	aas_board_free(b);
}
#undef C

/* Text from outside reads back as given: cells with backslashes and
 * pipes, body lines that look like structure (issue 10, items 17-19). */
static void
outside_text(void)
{
	static const char *const titles[] = { "a \\| b", "a \\\\| b", "a\\",
	    "|", "\\\\\\|x|", "x | y" };
	struct aas_board *b;
	struct aas_err e;
	struct aas_newtask nt;
	const struct aas_task *t;
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
		b = parse("| ID | Title | Status |\n|---|---|---|\n"
		    "| T-1 | one | Queued |\n");
		memset(&nt, 0, sizeof(nt));
		nt.id = "T-2";
		nt.title = titles[i];
		nt.status = AAS_ST_QUEUED;
		snprintf(name, sizeof(name), "title %zu inserted", i);
		is_int(aas_board_insert_after(b, "T-1", &nt, 1, &e), 0, name);
		t = aas_board_find(b, "T-2");
		snprintf(name, sizeof(name), "title %zu reads back", i);
		is_str(t != NULL ? t->title : "(none)", titles[i], name);
		aas_board_free(b);
	}
	b = parse("## H-1: one\n- Status: Queued\n\n## H-2: two\n");
	memset(&nt, 0, sizeof(nt));
	nt.id = "H-1-1";
	nt.title = "kid";
	nt.status = AAS_ST_QUEUED;
	nt.body = "   ## H-9: x\n    ## H-8: indented\n~~~\n* Key: v\n"
	    "|a|b|\n|-|-|\n#hashtag\n- not a field\n";
	is_int(aas_board_insert_after(b, "H-1", &nt, 1, &e), 0, "body inserted");
	is_str(text_of(b), "## H-1: one\n- Status: Queued\n\n"
	    "## H-1-1: kid\n- Status: Queued\n\n"
	    "   \\## H-9: x\n    ## H-8: indented\n\\~~~\n\\* Key: v\n"
	    "\\|a\\|b\\|\n\\|-\\|-\\|\n#hashtag\n- not a field\n\n"
	    "## H-2: two\n", "only lines that would be structure escaped");
	is_int(aas_board_count(b), 3, "no task, row or fence from the body");
	aas_board_free(b);
}

int
main(void)
{
	char dir[] = "/tmp/t-board.XXXXXX";

	aas_setprogname("t-board");
	if (mkdtemp(dir) == NULL)
		return 1;
	statuses();
	layouts();
	yaml();
	edits();
	config_names();
	lint();
	update(dir);
	aligned();
	utf8_lines();
	outside_text();
	aas_rmtree(dir, NULL);
	return done_testing();
}
