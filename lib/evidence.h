/*
 * evidence.h - the labelled rows a retrain learns from (the evidence
 * table that mm-record fills), up to a decision's horizon, and their
 * key.
 *
 * Evidence is kept a row a batch (evidence_batch, db.c's migration 4),
 * its rows numbered in the order they were recorded, without a gap: a
 * batch's id is the number of its last row.  Batches are only ever
 * deleted whole and oldest first (mm-record's cap, a retrain).
 *
 * The horizon of a decision is the newest row of evidence it could have
 * seen: the largest evidence id among the batches recorded up to and
 * including the batch it was made on (in metrics.id order), or, for a
 * window's decision, among the batches whose ts is at or before the
 * window's ts.  mm-decide writes it into decision.metadata as
 * "evidence_horizon"; mm-exec computes it the same way when it is
 * absent.  A retrain counts, keys, trains on and consumes only the
 * batches that end at or below its horizon, so a backlog piped through
 * mm-record | ... | mm-exec at once, where recording runs ahead of
 * execution, retrains on exactly the rows it would have had batch by
 * batch.
 *
 * The rows are, of those batches, the newest buffer_rows rows (as
 * mm-record trims them), then those with the newest batch's feature
 * names, oldest first.  The key is the SHA-256 of those rows in
 * canonical form: for each row its batch_id and a NUL byte, its
 * row_index (int64), the feature names (comma-separated) and a NUL byte,
 * the feature values (IEEE-754 doubles) and the label (int32), all
 * little-endian.  The same rows give the same key, kept a row a row (as
 * before schema 4) or a row a batch.
 *
 * A label is a class: an integer from 0 to MM_MAX_CLASSES - 1, as
 * mm-train takes them.  A row whose label is anything else (a negative,
 * too large or fractional number, text) was not written by mm-record;
 * it is left out (of the rows, the key and the count of usable rows)
 * and counted, so that one bad row neither blocks every retrain nor
 * asks for a forest of a million classes.  It still counts for the cap
 * and for max_id, so the retrain that executes consumes it with the
 * rows it came with.
 *
 * Every read is checked: a database that fails part-way is an error
 * (MM_ESYS), never a key over part of the evidence; so is a batch whose
 * features, rows or labels do not match its names and n_rows.
 */
#ifndef MM_EVIDENCE_H
#define MM_EVIDENCE_H

#include <limits.h>

#include "db.h"
#include "mm.h"
#include "model.h"
#include "sha.h"
#include "table.h"

/* No horizon: every row of evidence. */
#define MM_HORIZON_ALL LONG_MAX

/*
 * The horizon of a decision on batch_id, or with batch_id NULL of a
 * window's decision at ts.  0 with *horizon (0 when no row is at or
 * below it); 1 when batch_id was never recorded, with *horizon
 * MM_HORIZON_ALL; -1 with err (MM_ESYS).
 */
int mm_evidence_horizon(struct mm_db *db, const char *batch_id, double ts,
    long *horizon, struct mm_err *err);

struct mm_evidence {
	struct mm_table rows;	/* the rows, oldest first, with labels */
	char key[MM_SHA_HEX];	/* "" when there are no rows */
	long max_id;		/* the newest row read, left out or not;
				   0 when none */
	long bad;		/* rows left out: a label not a class */
	long bad_id;		/* the first of them, and its label */
	char bad_label[32];
};

void mm_evidence_init(struct mm_evidence *e);
void mm_evidence_release(struct mm_evidence *e);

/*
 * Load the rows at or below horizon into e (initialised, empty), at
 * most the newest cap of them (cap <= 0: all), and compute their key.
 * 0, or -1 with err (MM_ESYS); e is then empty.
 */
int mm_evidence_load(struct mm_db *db, long horizon, long cap,
    struct mm_evidence *e, struct mm_err *err);

/*
 * Delete the rows up to max_id: the evidence a retrain used.  Run inside
 * the caller's transaction.  0, or -1 with err.
 */
int mm_evidence_consume(struct mm_db *db, long max_id, struct mm_err *err);

#endif
