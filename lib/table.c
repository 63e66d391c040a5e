#include <stdlib.h>
#include <string.h>

#include "table.h"

void
mm_table_init(struct mm_table *t)
{
	memset(t, 0, sizeof(*t));
}

void
mm_table_release(struct mm_table *t)
{
	int j;

	for (j = 0; j < t->nfeat; j++) {
		free(t->names[j]);
		free(t->cols[j]);
	}
	free(t->names);
	free(t->cols);
	free(t->labels);
	memset(t, 0, sizeof(*t));
}

void
mm_table_set_features(struct mm_table *t, int nfeat, const char *const *names)
{
	int j;

	t->nfeat = nfeat;
	t->names = mm_xcalloc((size_t)nfeat, sizeof(char *));
	t->cols = mm_xcalloc((size_t)nfeat, sizeof(double *));
	for (j = 0; j < nfeat; j++)
		t->names[j] = mm_xstrdup(names[j]);
}

static void
reserve(struct mm_table *t, size_t more)
{
	int j;

	if (t->n + more <= t->cap)
		return;
	t->cap = 2 * (t->n + more);
	for (j = 0; j < t->nfeat; j++)
		t->cols[j] = mm_xrealloc(t->cols[j], t->cap * sizeof(double));
	t->labels = mm_xrealloc(t->labels, t->cap * sizeof(int));
}

int
mm_table_add(struct mm_table *t, const struct mm_batch *b, struct mm_err *err)
{
	const struct mm_col *c;
	size_t i;
	int j;

	if (t->names == NULL) {
		t->nfeat = b->nfeat;
		t->names = mm_xcalloc((size_t)b->nfeat, sizeof(char *));
		t->cols = mm_xcalloc((size_t)b->nfeat, sizeof(double *));
		for (j = 0; j < b->nfeat; j++)
			t->names[j] = mm_xstrdup(b->cols[j].name);
	}
	if (b->nfeat != t->nfeat)
		return mm_errf(err, MM_EINPUT, 0, "batch has %d features, the "
		    "first had %d", b->nfeat, t->nfeat);
	reserve(t, b->n);
	for (j = 0; j < t->nfeat; j++) {
		if ((c = mm_batch_col(b, t->names[j])) == NULL)
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' "
			    "missing", t->names[j]);
		memcpy(t->cols[j] + t->n, c->v, b->n * sizeof(double));
	}
	for (i = 0; i < b->n; i++) {
		int y = b->has_labels ? b->labels[i] : -1;

		t->labels[t->n + i] = y;
		t->labelled += y >= 0;
	}
	t->n += b->n;
	return 0;
}

void
mm_table_push(struct mm_table *t, const double *const *cols, size_t i,
    int label)
{
	int j;

	reserve(t, 1);
	for (j = 0; j < t->nfeat; j++)
		t->cols[j][t->n] = cols[j][i];
	t->labels[t->n] = label;
	t->labelled += label >= 0;
	t->n++;
}
