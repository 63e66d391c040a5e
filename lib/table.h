/*
 * table.h - rows of many batch records gathered into columns, for
 * fitting (mm-train, mm-psi --fit).  The first batch fixes the features
 * and their order; every later batch must have the same ones.
 */
#ifndef MM_TABLE_H
#define MM_TABLE_H

#include <stddef.h>

#include "batch.h"
#include "mm.h"

struct mm_table {
	int nfeat;
	char **names;		/* owned */
	double **cols;		/* owned, nfeat columns of n values */
	int *labels;		/* owned, n labels, -1 where unknown */
	size_t n, cap;
	size_t labelled;	/* rows with a known label */
};

void mm_table_init(struct mm_table *t);
void mm_table_release(struct mm_table *t);

/* Append b's rows.  0, or -1 with err (MM_EINPUT) on other features. */
int mm_table_add(struct mm_table *t, const struct mm_batch *b,
    struct mm_err *err);

/* Append one row from columns of n rows at index i of a column set. */
void mm_table_push(struct mm_table *t, const double *const *cols, size_t i,
    int label);

/* Set the features (before any row): names are copied. */
void mm_table_set_features(struct mm_table *t, int nfeat,
    const char *const *names);

#endif
