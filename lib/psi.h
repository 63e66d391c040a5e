/*
 * psi.h - population stability index against a fitted reference.
 *
 * Pure: no I/O.  A reference holds, per feature, bin edges fixed at
 * training time (quantiles of the reference sample, numpy's default
 * linear method, duplicates removed) and the reference counts per bin.
 * A value v falls in bin #{ j in 1..B-1 : e_j <= v }, so the outer bins
 * are open.  Missing values (NaN) are counted apart.
 */
#ifndef MM_PSI_H
#define MM_PSI_H

#include <stddef.h>

#include "config.h"
#include "json.h"
#include "mm.h"

struct mm_ref_feat {
	char *name;		/* owned */
	int nedges;		/* B + 1, or 1 for a single distinct value */
	double *edges;		/* owned */
	int nbins;		/* B (1 when nedges is 1) */
	long *counts;		/* owned, reference count per bin */
	long n;			/* reference values but missing (M) */
	long missing;
};

struct mm_ref {
	int nfeat;
	struct mm_ref_feat *f;	/* owned */
	long bins;		/* bins asked for at fit time */
	long rows;
	char id[17];		/* hex digest prefix of names and edges */
};

void mm_ref_init(struct mm_ref *r);
void mm_ref_release(struct mm_ref *r);

/*
 * Fit one feature from n values (NaN = missing), appended to ref.
 * Returns 0, or -1 (MM_EINPUT) if the feature has no values.
 */
int mm_ref_add(struct mm_ref *r, const char *name, const double *v, size_t n,
    int bins, struct mm_err *err);
/* Compute ref->id once every feature is added. */
void mm_ref_finish(struct mm_ref *r);

/* Index of the feature named name, or -1. */
int mm_ref_find(const struct mm_ref *r, const char *name);

/* numpy.quantile(sorted[0..n), q) with the default linear method. */
double mm_quantile_sorted(const double *sorted, size_t n, double q);

/* The bin of v (not NaN). */
int mm_ref_bin(const struct mm_ref_feat *f, double v);

/* Add the values of one column to counts[nbins] and *missing. */
void mm_ref_count(const struct mm_ref_feat *f, const double *v, size_t n,
    long *counts, long *missing);

/* PSI of production counts (total n) against the reference feature. */
double mm_psi(const struct mm_ref_feat *f, const long *counts, long n,
    double eps);

/* Chi-square p-value of psi, and the PSI level alpha would flag. */
double mm_psi_pvalue(double psi, long m, long n, int nbins);
double mm_psi_crit(double alpha, long m, long n, int nbins);

/*
 * Benjamini-Hochberg at level alpha over k p-values (NaN ignored): sets
 * sig[i] to 1 for the discoveries.  Returns how many.
 */
int mm_bh(const double *p, int k, double alpha, int *sig);

enum mm_status { MM_STABLE, MM_MODERATE, MM_SEVERE };
extern const char *const mm_status_names[3];

struct mm_drift_feat {
	double psi, p_value, crit;	/* NaN when n is 0 */
	long n, missing;
	int significant;
};

struct mm_drift {
	int nfeat;
	struct mm_drift_feat *f;	/* owned, ref->nfeat entries */
	double score;		/* mean PSI over features with values */
	int status;			/* enum mm_status */
	long rows;
};

void mm_drift_init(struct mm_drift *d, int nfeat);
void mm_drift_release(struct mm_drift *d);

/*
 * Drift from per-feature counts (counts[i] has ref->f[i].nbins entries).
 * Returns 0, or -1 if no feature has a value.
 */
int mm_drift_compute(struct mm_drift *d, const struct mm_ref *ref,
    long *const *counts, const long *missing, long rows,
    const struct mm_drift_cfg *cfg);

/* The "drift" object as JSON, appended to b. */
void mm_drift_json(const struct mm_drift *d, const struct mm_ref *ref,
    struct mm_buf *b);

/* Reference file text (format "mm-reference/1"), appended to b. */
void mm_ref_json(const struct mm_ref *r, struct mm_buf *b);

/* Read a reference file.  0, or -1 with err (MM_EINPUT or MM_ESYS). */
int mm_ref_load(struct mm_ref *r, const char *path, struct mm_err *err);

#endif
