/*
 * metrics.h - classification metrics and a stratified split.  Pure.
 *
 * Labels are class numbers 0..; -1 marks an unknown label, which every
 * metric leaves out.  F1 is the binary F1 of class 1 when every label
 * and prediction is 0 or 1, else the macro F1 over the classes present
 * in the labels or the predictions (scikit-learn's defaults); a class
 * with no true or predicted row scores 0.
 */
#ifndef MM_METRICS_H
#define MM_METRICS_H

#include <stddef.h>

#include "rng.h"

struct mm_scores {
	size_t known;		/* rows with a known label */
	double accuracy;	/* NaN when known is 0 */
	double f1;		/* NaN when known is 0 */
};

/*
 * nclass is the model's number of classes: with more than two, F1 is
 * always macro, even on a batch that holds only classes 0 and 1.  0
 * judges from the labels and predictions alone.
 */
void mm_score(const int *y, const int *pred, size_t n, int nclass,
    struct mm_scores *s);

/*
 * Confusion counts: cm[t * k + p] rows of true class t predicted p, in
 * the model's class order; counts of any set of batches add up.
 * mm_confusion_add() counts n rows (label -1 left out).
 */
void mm_confusion_add(long *cm, int k, const int *y, const int *pred,
    size_t n);

/*
 * Accuracy and F1 from confusion counts, as mm_score() gives them on the
 * same rows with nclass k: F1 of class 1 for two classes, else macro
 * over the classes that occur as a label or a prediction.  NaN when no
 * row is counted.
 */
double mm_confusion_accuracy(const long *cm, int k);
double mm_confusion_f1(const long *cm, int k);
/* Rows counted. */
long mm_confusion_total(const long *cm, int k);

/*
 * An upper confidence bound at level 1 - alpha on the F1 of the process
 * that produced the counts: the 1 - alpha quantile of F1 under the
 * Dirichlet posterior of the cell shares with one pseudo-count on each
 * diagonal cell and none off it (so the bound leans high).  For two
 * classes the quantile is exact (a Beta's); for more it is the
 * empirical one of `draws` draws seeded by the counts.  Either way the
 * same counts give the same bound.  NaN when no row is counted or draws
 * is below 1.  A seeded simulation in the tests shows it holds its
 * level.
 */
double mm_f1_upper(const long *cm, int k, double alpha, int draws);

/*
 * Split n rows into train and validation, each class apart, a share
 * frac of each class (rounded, at least one row when the class has two
 * or more) to validation.  Rows come out in their original order.
 * train and valid have room for n; the counts go to *ntrain, *nvalid.
 * Rows whose label is -1 go to neither.
 */
void mm_stratified_split(const int *y, size_t n, int nclass, double frac,
    struct mm_rng *r, size_t *train, size_t *ntrain, size_t *valid,
    size_t *nvalid);

#endif
