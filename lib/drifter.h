/*
 * drifter.h - what mm-psi does to one batch record, for any program
 * that scores drift (mm-psi, mm-serve's ingest): the reference loaded
 * from a file or from a store's live version (followed as it changes),
 * the batch's features counted into its bins, and the record written
 * out with drift (or, in counts mode, the counts) added.  With a
 * window of N > 1, drift is of the last N batches' summed counts.
 *
 * A drifter is one thread's: it holds the reference and the counts.
 */
#ifndef MM_DRIFTER_H
#define MM_DRIFTER_H

#include <sys/stat.h>

#include "batchin.h"
#include "config.h"
#include "json.h"
#include "psi.h"
#include "ref.h"
#include "store.h"

struct mm_drifter {
	struct mm_drift_cfg cfg;
	struct mm_ref ref;
	long window;
	int worst;		/* worst status scored, -1 before any */
	struct mm_say say;
	int warned_extra;
	const char *models;	/* following this store's live version */
	char version[MM_VERSION_MAX];	/* ... whose reference is loaded */
	struct stat active_st;	/* active.json when last read */

	struct mm_batch batch;
	const struct mm_batch *cur;	/* the batch being counted */
	struct mm_rec rec;
	struct mm_buf out;	/* the last drift or counts object */
	int *colmap;		/* ref feature -> batch column */

	/* Counts of the current batch (the last bin is "missing"). */
	long **counts, rows;
	int *catbins;		/* string index -> bin, for one column */
	size_t ncatbins;
	/* The window: a ring of per-batch counts and their sums. */
	long ***ring, *ring_rows;
	long head;
	long **wsum, wrows;
};

void mm_drifter_init(struct mm_drifter *d, const struct mm_drift_cfg *cfg,
    long window, const struct mm_say *say);
void mm_drifter_release(struct mm_drifter *d);

/*
 * The reference: the file ref, or with ref NULL the live version's of
 * the store models (borrowed), followed from then on.  0, or -1 with err.
 */
int mm_drifter_load(struct mm_drifter *d, const char *ref,
    const char *models, struct mm_err *err);

/*
 * One batch record: the record with drift
 * added appended to out, or with counts set, the record without its
 * rows and with the bin counts added.  0, or -1 with err.
 */
int mm_drifter_line(struct mm_drifter *d, const char *line, size_t len,
    int counts, struct mm_buf *out, struct mm_err *err);

/*
 * The drift of a batch parsed already (with its id and features), as
 * JSON in d->out.  0, or -1 with err.
 */
int mm_drifter_batch(struct mm_drifter *d, const struct mm_batch *b,
    struct mm_err *err);

/* Drift of summed counts over rows, as JSON in d->out.  0, or -1. */
int mm_drifter_score(struct mm_drifter *d, long **counts, long rows,
    struct mm_err *err);

#endif
