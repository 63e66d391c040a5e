/*
 * encode.h - rows as a model takes them (schema.h): a column of a batch
 * or table as the forest's numbers, labels as class numbers, and the
 * classes and category codes a model learns from its training rows.
 * Pure: no I/O.
 *
 * A categorical value is its code in the schema; a value the schema
 * does not list (a category unseen at fit time) is missing, and goes
 * down each split's default branch.  A number in a categorical feature
 * is the category of its text, as a CSV cell would be.  A label is the
 * class whose text it has: the integer 1 and the string "1" are one
 * class.
 */
#ifndef MM_ENCODE_H
#define MM_ENCODE_H

#include <stddef.h>

#include "mm.h"
#include "schema.h"
#include "strtab.h"

/*
 * Feature f's column of n values into out: numbers as they are, or for
 * a categorical feature codes (NaN where missing or unseen).  strs holds
 * the strings of a column of strings (v[i] an index into it), or is NULL
 * for a column of numbers.
 */
void mm_encode_col(const struct mm_schema_feat *f, const double *v, size_t n,
    const struct mm_strtab *strs, double *out);

/*
 * Labels (batchin.h: integers, -1, or string labels of lstrs) as class
 * numbers of s, in place.  0, or -1 with err (MM_EINPUT) naming the
 * first row whose label is not a class; labels are then unchanged.
 */
int mm_encode_labels(const struct mm_schema *s, int *labels, size_t n,
    const struct mm_strtab *lstrs, struct mm_err *err);

/* The class of the integer label y (by its text), or -1. */
int mm_encode_int_label(const struct mm_schema *s, int y);

/*
 * The classes of labels (as for mm_encode_labels) into s: integers 0 to
 * the largest when every label is an integer, else every label's text
 * in byte order.  positive (may be NULL) is made the second class of
 * two.  0, or -1 with err (MM_EINPUT): no label, one class only, more
 * than 1000, or a positive class that is not a label.
 */
int mm_encode_classes(struct mm_schema *s, const int *labels, size_t n,
    const struct mm_strtab *lstrs, const char *positive,
    struct mm_err *err);

/*
 * Learn the codes of categorical feature f from n training rows: v[i]
 * indexes strs (NaN: missing), y[i] is its class (0 to nclass - 1).
 * Categories are ordered by their share of class 1 with two classes
 * (so that a threshold on the code is the best split of the values
 * into two sets), else by frequency, ties in byte order.  A category of
 * strs that no training row has is not kept (it is unseen, so missing).
 * out[i] gets row i's code.
 */
void mm_encode_fit_cats(struct mm_schema_feat *f, const double *v,
    const int *y, size_t n, const struct mm_strtab *strs, int nclass,
    double *out);

#endif
