/*
 * homog.h - the test of homogeneity of two sets of counts over the same
 * bins, which gives drift its p-values (psi.h), and the PSI at which it
 * would flag.
 *
 * Pure: no I/O.  psi.h includes this header, so its callers see both.
 */
#ifndef MM_HOMOG_H
#define MM_HOMOG_H

/*
 * p-value of the test of homogeneity of r and c (bins empty in both
 * left out); 1 when fewer than two bins are used.  Monte Carlo p-values
 * are seeded by the counts, so equal counts give equal p-values, and
 * run until they can resolve p_min.
 */
double mm_homogeneity_p(const long *r, const long *c, int nbins,
    double p_min);

/* The PSI at which a K-bin test at level alpha would flag (display). */
double mm_psi_crit(double alpha, long m, long n, int k);

#endif
