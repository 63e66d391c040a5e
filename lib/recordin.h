/*
 * recordin.h - a batch record's metrics and drift objects, read and
 * checked on their way into the store (mm-record(1)).
 *
 * Both are read as spans of the record's line, never built as a tree:
 * a drift object may carry a bin count per feature and bin.  What is
 * stored must be what it says, so each check fails with err (MM_EINPUT)
 * naming the field: counts are counts, shares are in [0, 1], confusion
 * counts fit the batch, bin counts add up to drift.n.  Every line given
 * is known to be valid JSON (mm_rec_parse() has read it).
 */
#ifndef MM_RECORDIN_H
#define MM_RECORDIN_H

#include "json.h"
#include "mm.h"

#define MM_COUNT_MAX 9007199254740991LL	/* 2^53 - 1, exact as a double */

/*
 * The fields of a drift object that mm-record reads, as spans of the
 * line (NULL when absent).
 */
struct mm_drift_in {
	const struct mm_field *score, *status, *psi, *p_value, *n, *ref,
	    *counts;
};

/*
 * The fields of a metrics object that mm-record stores, as spans of the
 * line: NULL when absent or null.
 */
struct mm_metrics_in {
	const struct mm_field *n_samples, *n_labelled, *accuracy, *f1,
	    *confidence, *latency, *version, *confusion;
};

/* A count at p (digits only, at most MM_COUNT_MAX): its end, or NULL. */
const char *mm_recin_count(const char *p, long long *v);

/*
 * The value of f when it is a string, NUL-terminated in b; NULL when f
 * is NULL or not a string.
 */
const char *mm_recin_string(const struct mm_field *f, struct mm_buf *b);

/*
 * Read the drift object at f (parsed into sub) into d, and the text to
 * store of it, without the reference id and the counts, into stored:
 * each kept field byte for byte.  drift.ref must be a string; drift.counts,
 * when there, an object of arrays of counts, each adding up to drift.n.
 * 0, or -1 with err.
 */
int mm_recin_drift(struct mm_rec *sub, const struct mm_field *f,
    struct mm_drift_in *d, struct mm_buf *stored, struct mm_err *err);

/*
 * Read and check the metrics object at f (parsed into o) into m, and
 * model_version, NUL-terminated, into version.  Counts are counts; shares
 * in [0, 1]; latency_ms from 0; model_version a string; confusion k
 * arrays of k counts (k from 2 to MM_MAX_CLASSES) that add up to
 * n_labelled and to known, the batch's labels that are not null (-1: it
 * has no labels), with accuracy the share on the diagonal.  0, or -1
 * with err.
 */
int mm_recin_metrics(struct mm_rec *o, const struct mm_field *f,
    long long known, struct mm_metrics_in *m, struct mm_buf *version,
    struct mm_err *err);

#endif
