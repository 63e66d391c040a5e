#include <math.h>
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
		mm_strtab_release(&t->strs[j]);
	}
	free(t->names);
	free(t->cols);
	free(t->kinds);
	free(t->strs);
	free(t->labels);
	mm_strtab_release(&t->lstrs);
	memset(t, 0, sizeof(*t));
}

void
mm_table_set_features(struct mm_table *t, int nfeat, const char *const *names)
{
	int j;

	t->nfeat = nfeat;
	t->names = mm_xcalloc((size_t)nfeat, sizeof(char *));
	t->cols = mm_xcalloc((size_t)nfeat, sizeof(double *));
	t->kinds = mm_xcalloc((size_t)nfeat, sizeof(int));
	t->strs = mm_xcalloc((size_t)nfeat, sizeof(struct mm_strtab));
	for (j = 0; j < nfeat; j++) {
		t->names[j] = mm_xstrdup(names[j]);
		t->kinds[j] = MM_COL_NONE;
		mm_strtab_init(&t->strs[j]);
	}
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

static const char *
kind_name(int kind)
{
	return kind == MM_COL_STR ? "strings" : "numbers";
}

/* Intern c's strings into column j of t and append their indices. */
static void
add_strings(struct mm_table *t, int j, const struct mm_col *c, size_t n)
{
	double *dst = t->cols[j] + t->n;
	int *map, k, m = mm_strtab_count(&c->strs);
	size_t i;

	map = mm_xmalloc((size_t)m * sizeof(int));
	for (k = 0; k < m; k++)
		map[k] = mm_strtab_intern(&t->strs[j],
		    mm_strtab_str(&c->strs, k), mm_strtab_len(&c->strs, k));
	for (i = 0; i < n; i++)
		dst[i] = isnan(c->v[i]) ? NAN : map[(int)c->v[i]];
	free(map);
}

int
mm_table_add(struct mm_table *t, const struct mm_batch *b, struct mm_err *err)
{
	const struct mm_col *c;
	size_t i;
	int j;

	if (t->names == NULL) {
		const char **names = mm_xcalloc((size_t)b->nfeat,
		    sizeof(char *));

		for (j = 0; j < b->nfeat; j++)
			names[j] = b->cols[j].name;
		mm_table_set_features(t, b->nfeat, names);
		free(names);
	}
	if (b->nfeat != t->nfeat)
		return mm_errf(err, MM_EINPUT, 0, "batch has %d features, the "
		    "first had %d", b->nfeat, t->nfeat);
	for (j = 0; j < t->nfeat; j++) {
		if ((c = mm_batch_col(b, t->names[j])) == NULL)
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' "
			    "missing", t->names[j]);
		if (c->kind != MM_COL_NONE && t->kinds[j] != MM_COL_NONE &&
		    c->kind != t->kinds[j])
			return mm_errf(err, MM_EINPUT, 0, "feature '%s' holds "
			    "%s here, %s in earlier batches", t->names[j],
			    kind_name(c->kind), kind_name(t->kinds[j]));
	}
	reserve(t, b->n);
	for (j = 0; j < t->nfeat; j++) {
		c = mm_batch_col(b, t->names[j]);
		if (c->kind == MM_COL_STR)
			add_strings(t, j, c, b->n);
		else
			memcpy(t->cols[j] + t->n, c->v, b->n * sizeof(double));
		if (c->kind != MM_COL_NONE)
			t->kinds[j] = c->kind;
	}
	for (i = 0; i < b->n; i++) {
		int y = b->has_labels ? b->labels[i] : -1;

		if (MM_LABEL_IS_STR(y)) {
			int k = MM_LABEL_STR_INDEX(y);

			y = MM_LABEL_STR(mm_strtab_intern(&t->lstrs,
			    mm_strtab_str(&b->lstrs, k),
			    mm_strtab_len(&b->lstrs, k)));
		}
		t->labels[t->n + i] = y;
		t->labelled += y != -1;
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
	for (j = 0; j < t->nfeat; j++) {
		t->cols[j][t->n] = cols[j][i];
		if (t->kinds[j] == MM_COL_NONE && !isnan(cols[j][i]))
			t->kinds[j] = MM_COL_NUM;
	}
	t->labels[t->n] = label;
	t->labelled += label != -1;
	t->n++;
}
