/*
 * bh.h - Benjamini-Hochberg over the p-values of a batch's features,
 * both ways mm asks it: which features are discoveries at level alpha
 * (mm-psi's threshold: test), and the smallest adjusted p-value, the
 * level at which there would first be one (mm-report's p-value chart).
 * One sort, one place, so the chart and the grading cannot disagree.
 */
#ifndef MM_BH_H
#define MM_BH_H

/*
 * Benjamini-Hochberg at level alpha over k p-values (NaN ignored): sets
 * sig[i] to 1 for the discoveries.  Returns how many.  (psi.h declares
 * it too, for mm-psi.)
 */
int mm_bh(const double *p, int k, double alpha, int *sig);

/*
 * The smallest of n p-values (NaN ignored) adjusted for their number
 * by Benjamini-Hochberg: min over i of p_(i) n' / i, at most 1, where
 * n' is the number of p-values.  At or below alpha exactly when BH at
 * level alpha finds at least one.  NaN when there is none.
 */
double mm_bh_min(const double *p, int n);

#endif
