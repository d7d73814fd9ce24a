/* board-lint.c: the lint of a board (aas-scan --check).  See board.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aas.h"
#include "board.h"
#include "board-int.h"
#include "banned.h"

struct lint {
	void	(*cb)(const char *, void *);
	void	*arg;
	size_t	 n;
};

static void
lint(struct lint *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
lint(struct lint *l, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = aas_xmalloc((size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	l->cb(s, l->arg);
	free(s);
	l->n++;
}

size_t
aas_board_check(const struct aas_board *b,
    void (*cb)(const char *msg, void *arg), void *arg)
{
	struct lint l = { cb, arg, 0 };
	const struct aas_task *t;
	unsigned char *color;
	size_t i, d, *stack, *edge, sp, k;
	long j;

	if (b->unclosed_fence)
		lint(&l, "%s:%zu: code fence is never closed: the rest of the "
		    "board is ignored", b->name, b->unclosed_fence);
	for (i = 0; i < b->ntasks; i++) {
		t = &b->tasks[i];
		j = aas_bd_find_index(b, t->id);
		if (j >= 0 && (size_t)j != i)
			lint(&l, "%s:%zu: duplicate id %s, first seen at line "
			    "%zu", b->name, t->line, t->id, b->tasks[j].line);
		/* an unescaped pipe in a cell: the cells after it are
		 * shifted, so their status and depends say nothing */
		if (b->info[i].table >= 0 && b->info[i].ncells >
		    b->tables[b->info[i].table].ncols) {
			lint(&l, "%s:%zu: %s: row has %zu cells, the header "
			    "%zu (a \"|\" in a cell is written \"\\|\")",
			    b->name, t->line, t->id, b->info[i].ncells,
			    b->tables[b->info[i].table].ncols);
			continue;
		}
		if (t->status == AAS_ST_UNKNOWN)
			lint(&l, "%s:%zu: %s: unknown status '%s'", b->name,
			    t->line, t->id, t->status_raw);
		for (d = 0; d < t->ndeps; d++) {
			if (strcmp(t->deps[d], t->id) == 0)
				lint(&l, "%s:%zu: %s: depends on itself",
				    b->name, t->line, t->id);
			else if (aas_bd_find_index(b, t->deps[d]) < 0)
				lint(&l, "%s:%zu: %s: unknown dependency %s",
				    b->name, t->line, t->id, t->deps[d]);
		}
	}
	/* cycles: iterative DFS, white 0 / grey 1 / black 2 */
	color = aas_xcalloc(b->ntasks + 1, 1);
	stack = aas_xcalloc(b->ntasks + 1, sizeof(*stack));
	edge = aas_xcalloc(b->ntasks + 1, sizeof(*edge));
	for (i = 0; i < b->ntasks; i++) {
		if (color[i] != 0 ||
		    aas_bd_find_index(b, b->tasks[i].id) != (long)i)
			continue;
		sp = 0;
		stack[sp] = i;
		edge[sp] = 0;
		color[i] = 1;
		sp++;
		while (sp > 0) {
			size_t v = stack[sp - 1];

			t = &b->tasks[v];
			if (edge[sp - 1] >= t->ndeps) {
				color[v] = 2;
				sp--;
				continue;
			}
			d = edge[sp - 1]++;
			j = aas_bd_find_index(b, t->deps[d]);
			if (j < 0 || (size_t)j == v)
				continue;
			if (color[j] == 0) {
				color[j] = 1;
				stack[sp] = (size_t)j;
				edge[sp] = 0;
				sp++;
			} else if (color[j] == 1) {
				struct aas_buf path = AAS_BUF_INIT;

				for (k = 0; k < sp && stack[k] != (size_t)j;
				    k++)
					;
				for (; k < sp; k++)
					aas_buf_printf(&path, "%s -> ",
					    b->tasks[stack[k]].id);
				aas_buf_adds(&path, b->tasks[j].id);
				lint(&l, "%s:%zu: dependency cycle %s",
				    b->name, b->tasks[j].line, path.s);
				aas_buf_free(&path);
			}
		}
	}
	free(color);
	free(stack);
	free(edge);
	return l.n;
}
