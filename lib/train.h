/*
 * train.h - from labelled rows to the three files of a model version:
 * fit a forest, score it on validation rows, fit the PSI reference on
 * the training rows, and write model.json, reference.json, card.json.
 * Shared by mm-train and mm-exec.  Pure: no I/O and no clock; the
 * caller gives the time (now) and a clock to time the fit with.
 */
#ifndef MM_TRAIN_H
#define MM_TRAIN_H

#include <stddef.h>

#include "config.h"
#include "forest.h"
#include "model.h"
#include "schema.h"
#include "json.h"
#include "metrics.h"
#include "mm.h"
#include "sha.h"
#include "table.h"

struct mm_train_job {
	const struct mm_table *data;	/* rows and feature names */
	const size_t *train, *valid;	/* row indices into data */
	size_t ntrain, nvalid;
	size_t min_valid;		/* fewer validation rows cannot
					   judge the model (0: 1) */
	const struct mm_table *vdata;	/* valid's rows, if not data */
	int nclass;
	const struct mm_schema *classes;	/* the classes (labels are
					   class numbers: encode.h), or
					   NULL: 0 to nclass - 1 */
	long max_categories;		/* PSI reference (0: 20) */
	const struct mm_model_cfg *model;
	long bins;			/* PSI reference bins */
	int threads;			/* as struct mm_forest_params */
	int shuffle;			/* shuffle the training labels */
	double now;			/* created_at */
	double (*clock)(void);		/* monotonic seconds, to time the
					   fit (card "fit_seconds"); NULL:
					   0 */
	const char *source;		/* card "source" */
	const char *validation;		/* card "validation": how */
	const char *extra;		/* more card fields as JSON text
					   ("\"retrain_key\":\"...\""), or
					   NULL */
};

struct mm_train_out {
	struct mm_forest forest;
	struct mm_schema schema;	/* features and classes */
	struct mm_scores scores;	/* on the validation rows */
	struct mm_buf model, reference, card;
	char model_sha[MM_SHA_HEX];
	double fit_s;
};

void mm_train_init(struct mm_train_out *o);
void mm_train_release(struct mm_train_out *o);

/* Rows with a known label: their indices (the forest takes missing
   values). */
size_t *mm_train_usable(const struct mm_table *t, size_t *n);

/* Columns (and labels) of rows idx[0..n) of t, freshly allocated. */
double **mm_gather(const struct mm_table *t, const size_t *idx, size_t n,
    int **y);
void mm_free_cols(double **cols, int nfeat);

/* Class predictions from forest probabilities: argmax, first on ties. */
void mm_argmax(const double *proba, size_t n, int nclass, int *pred);

/*
 * Train, score and write the three files into out.  A feature whose
 * column holds strings is categorical: its codes are learned from the
 * training rows (encode.h) and kept in out->schema.  nclass must be 2
 * to MM_MAX_CLASSES and every label of the rows used a class below it:
 * else -1 with err (MM_EINPUT) before anything is sized by them.
 */
int mm_train_run(const struct mm_train_job *job, struct mm_train_out *out,
    struct mm_err *err);

#endif
