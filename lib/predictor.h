/*
 * predictor.h - what mm-predict does to one batch record, for any
 * program that predicts (mm-predict, mm-serve's ingest): the model
 * loaded from a store (following its live version, or one pinned), the
 * batch's features mapped to the model's, and the record written out
 * with pred, proba and metrics added.
 *
 * A predictor is one thread's: it holds the model and its buffers.
 */
#ifndef MM_PREDICTOR_H
#define MM_PREDICTOR_H

#include <sys/stat.h>

#include "batchin.h"
#include "json.h"
#include "model.h"
#include "store.h"

struct mm_predictor {
	const char *dir;	/* the store */
	const char *pinned;	/* a version, or NULL to follow the store */
	int threads;		/* cores a large batch is shared among */
	const char *hint;	/* how else a version is given, or NULL */
	struct mm_say say;
	int warned_extra;

	struct mm_model model;
	char version[MM_VERSION_MAX];
	int loaded;
	struct stat active_st;	/* active.json when last read */

	struct mm_batch batch;
	struct mm_rec rec;
	struct mm_buf pred, proba, metrics;
	const double **cols;
	double **enc;		/* categorical features' codes, by feature */
	size_t enccap;
	struct mm_buf *cls;	/* each class as pred writes it */
	int plain;		/* classes 0 to K - 1: pred as numbers */
	double *p;
	int *yhat;
	size_t cap;
	long *cm;		/* the batch's confusion counts, K x K */
};

/* dir and pinned are borrowed; nothing is loaded until the first batch. */
void mm_predictor_init(struct mm_predictor *pr, const char *dir,
    const char *pinned, int threads, const struct mm_say *say);
void mm_predictor_release(struct mm_predictor *pr);

/*
 * One batch record: the record with pred,
 * proba and metrics appended to out.  0, or -1 with err: MM_EINPUT for
 * the record, MM_ESYS when the store names a version it cannot load.
 */
int mm_predictor_line(struct mm_predictor *pr, const char *line, size_t len,
    struct mm_buf *out, struct mm_err *err);

/*
 * The same without the record: pred, proba and metrics left in their
 * buffers, the batch in pr->batch and the record read in pr->rec.
 */
int mm_predictor_batch(struct mm_predictor *pr, const char *line, size_t len,
    struct mm_err *err);

#endif
