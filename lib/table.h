/*
 * table.h - rows of many batch records gathered into columns, for
 * fitting (mm-train, mm-psi --fit).  The first batch fixes the features
 * and their order; every later batch must have the same ones.
 *
 * A column's kind (enum mm_col_kind in batchin.h) is MM_COL_NONE until a
 * batch brings a value, then fixed: a later batch holding the other kind
 * is an error.  A column of strings holds, for each row, the index of
 * its string in the column's own strtab (the table's, not the batch's),
 * as a double; NaN where null.
 */
#ifndef MM_TABLE_H
#define MM_TABLE_H

#include <stddef.h>

#include "batchin.h"
#include "mm.h"
#include "strtab.h"

struct mm_table {
	int nfeat;
	char **names;		/* owned */
	double **cols;		/* owned, nfeat columns of n values */
	int *kinds;		/* owned, nfeat kinds (enum mm_col_kind) */
	struct mm_strtab *strs;	/* owned, nfeat string tables */
	int *labels;		/* owned, n labels, -1 where unknown; a
				   string label is MM_LABEL_STR(k) of
				   lstrs (batchin.h) until encode.h maps
				   labels to classes */
	struct mm_strtab lstrs;	/* owned, the string labels */
	size_t n, cap;
	size_t labelled;	/* rows with a known label */
};

void mm_table_init(struct mm_table *t);
void mm_table_release(struct mm_table *t);

/*
 * Append b's rows, its strings interned into t's tables.  0, or -1 with
 * err (MM_EINPUT) on other features or a kind that differs from the
 * column's; t is then unchanged.
 */
int mm_table_add(struct mm_table *t, const struct mm_batch *b,
    struct mm_err *err);

/*
 * Append one row from columns of n rows at index i of a column set.  The
 * values are numbers, or for a column of strings indices into t's own
 * tables; a number makes a column of kind MM_COL_NONE one of numbers.
 */
void mm_table_push(struct mm_table *t, const double *const *cols, size_t i,
    int label);

/* Set the features (before any row): names are copied. */
void mm_table_set_features(struct mm_table *t, int nfeat,
    const char *const *names);

#endif
