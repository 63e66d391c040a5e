/*
 * psi.h - drift of production data against a reference fixed at fit
 * time: bins, counts, PSI, its effect size and a calibrated test.
 *
 * Pure: no I/O.  The reference file (its text, its id, reading it) is
 * ref.h's.
 *
 * Every feature has bins fixed when the reference is fitted, and the
 * last bin of every feature is "missing" (null, NaN):
 *
 *   numeric      edges e_0 < ... < e_B at the reference's quantiles
 *                (numpy's default linear method, duplicates removed); a
 *                value two quantiles share (a point mass, such as the
 *                zeros of a zero-inflated amount) is followed by the edge
 *                nextafter(v), so it has the bin [v, nextafter(v)) of its
 *                own.  v falls in bin #{ j in 1..B-1 : e_j <= v }, so the
 *                outer bins are open.  Bins: the value bins, missing.
 *   discrete     a numeric feature with at most B distinct reference
 *                values: one bin per value, "other" for values the
 *                reference never had, missing.
 *   categorical  strings: the max_categories most frequent reference
 *                values (ties by byte order), "other", missing.
 *
 * Counts are integers, so the counts of any set of batches are the sum
 * of theirs and a window's drift is computed from summed counts.
 *
 * For one feature with reference counts r (M rows) and production
 * counts c (N rows), over the K bins not empty in both:
 *
 *   PSI      = sum (a_i - e_i) ln(a_i / e_i), shares smoothed with a
 *              pseudo-count s: a_i = (c_i + s) / (N + sK)
 *   psi_adj  = max(0, PSI - (K - 1)(1/M + 1/N)), the drift beyond what
 *              sampling noise gives on average
 *   p_value  = chi-square test of homogeneity of r and c: asymptotic
 *              when every expected count is at least 5, else exact
 *              (Fisher, for two bins) or a seeded Monte Carlo p-value on
 *              tables with the same margins
 *
 * A feature is drifted when its p-value is significant at alpha after
 * Benjamini-Hochberg across the batch's features and its psi_adj
 * reaches `moderate`; the batch takes the band of its worst drifted
 * feature.
 */
#ifndef MM_PSI_H
#define MM_PSI_H

#include <stddef.h>

#include "config.h"
#include "homog.h"
#include "json.h"
#include "mm.h"

enum mm_feat_kind { MM_FEAT_NUMERIC, MM_FEAT_DISCRETE, MM_FEAT_CATEGORICAL };
extern const char *const mm_feat_kind_names[3];

struct mm_ref_feat {
	char *name;		/* owned */
	int kind;		/* enum mm_feat_kind */
	int nedges;		/* numeric: B + 1 edges */
	double *edges;		/* owned */
	int nvals;		/* discrete: distinct values, ascending */
	double *vals;		/* owned */
	int ncats;		/* categorical: most frequent first */
	char **cats;		/* owned */
	int *cat_order;		/* owned, cats indices in byte order */
	int nbins;		/* value bins, other (not numeric), missing */
	long *counts;		/* owned, nbins reference counts */
	long n;			/* reference rows, missing included */
};

struct mm_ref {
	int nfeat;
	struct mm_ref_feat *f;	/* owned */
	long bins;		/* bins asked for at fit time */
	long max_categories;
	long rows;
	char id[17];		/* digest of the features (ref.h) */
};

void mm_ref_init(struct mm_ref *r);
void mm_ref_release(struct mm_ref *r);

/* The missing bin, and the "other" bin (-1 for numeric features). */
#define MM_BIN_MISSING(f)	((f)->nbins - 1)
#define MM_BIN_OTHER(f)	((f)->kind == MM_FEAT_NUMERIC ? -1 : (f)->nbins - 2)

/*
 * Fit a numeric feature from n values (NaN = missing), appended to r:
 * quantile bins, or discrete bins if there are at most `bins` distinct
 * values.  Returns 0, or -1 (MM_EINPUT) if the feature has no values.
 */
int mm_ref_add(struct mm_ref *r, const char *name, const double *v, size_t n,
    int bins, struct mm_err *err);

/*
 * Fit a categorical feature: codes[0..n) index strs[0..nstrs) (NaN =
 * missing).  Returns 0, or -1 (MM_EINPUT) if it has no values.
 */
int mm_ref_add_cat(struct mm_ref *r, const char *name, const double *codes,
    size_t n, const char *const *strs, int nstrs, int max_categories,
    struct mm_err *err);

/* Index of the feature named name, or -1. */
int mm_ref_find(const struct mm_ref *r, const char *name);

/* numpy.quantile(sorted[0..n), q) with the default linear method. */
double mm_quantile_sorted(const double *sorted, size_t n, double q);

/* The bin of a number (NaN: missing) in a numeric or discrete feature. */
int mm_ref_bin(const struct mm_ref_feat *f, double v);

/* The bin of a string in a categorical feature ("other" if unknown). */
int mm_ref_cat_bin(const struct mm_ref_feat *f, const char *s);

/* Add n numbers (NaN = missing) to counts[nbins]. */
void mm_ref_count(const struct mm_ref_feat *f, const double *v, size_t n,
    long *counts);

/*
 * Add n string codes to counts[nbins]: bins[code] is the bin of string
 * number code (from mm_ref_cat_bin), NaN is missing.
 */
void mm_ref_count_codes(const struct mm_ref_feat *f, const double *codes,
    size_t n, const int *bins, long *counts);

/*
 * PSI of production counts c (N rows) against reference counts r (M
 * rows) over nbins bins, bins empty in both left out.  smoothing > 0:
 * pseudo-counts; 0: raw shares with eps in the logarithm (the older
 * formula).  *k (may be NULL) gets the number of bins used.
 */
double mm_psi_counts(const long *r, const long *c, int nbins,
    double smoothing, double eps, int *k);

/*
 * Benjamini-Hochberg at level alpha over k p-values (NaN ignored): sets
 * sig[i] to 1 for the discoveries.  Returns how many.
 */
int mm_bh(const double *p, int k, double alpha, int *sig);

enum mm_status { MM_STABLE, MM_MODERATE, MM_SEVERE };
extern const char *const mm_status_names[3];

struct mm_drift_feat {
	double psi, psi_adj, p_value, crit;	/* NaN when no rows */
	long n, missing;
	int k;			/* bins used */
	int significant;	/* after Benjamini-Hochberg */
	int drifted;
	int band;		/* enum mm_status of psi_adj (fixed: psi) */
};

struct mm_drift {
	int nfeat;
	struct mm_drift_feat *f;	/* owned, ref->nfeat entries */
	double score;		/* mean psi_adj (fixed: mean PSI) */
	int status;		/* enum mm_status */
	long rows;
	int ndrifted;
	int *drifted;		/* owned, feature indices, largest first */
};

void mm_drift_init(struct mm_drift *d, int nfeat);
void mm_drift_release(struct mm_drift *d);

/*
 * Drift from per-feature counts (counts[i] has ref->f[i].nbins entries
 * summing to rows).  Returns 0, or -1 if rows is 0.
 */
int mm_drift_compute(struct mm_drift *d, const struct mm_ref *ref,
    long *const *counts, long rows, const struct mm_drift_cfg *cfg);

/*
 * The "drift" object as JSON, appended to b; with counts (may be NULL)
 * it carries "ref" and "counts" so that it can be summed later.
 */
void mm_drift_json(const struct mm_drift *d, const struct mm_ref *ref,
    long *const *counts, struct mm_buf *b);

#endif
