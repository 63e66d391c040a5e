/*
 * model.h - a forest with its feature names, as model.json.
 *
 * Format "mm-forest/2" (documented in mm-train(1)):
 *
 *   {"format":"mm-forest/2","features":["f0",...],"classes":2,
 *    "schema":{...schema.h...},
 *    "params":{"n_estimators":200,"max_depth":6,"min_samples_leaf":5,
 *              "max_features":3,"seed":42},
 *    "trees":[{"feature":[2,-1,...],"threshold":[0.13,0,...],
 *              "left":[1,-1,...],"right":[2,-1,...],
 *              "missing_right":[0,0,...],"counts":[0,0,17,3,...]}, ...]}
 *
 * A node is a leaf when its feature is -1; counts holds classes numbers
 * per node, a leaf's training rows per class (bootstrap weighted).  A
 * categorical feature's value is split on as its code in the schema (a
 * value it does not list is missing); missing_right says where a
 * missing value goes.  "mm-forest/1" is read too: every feature
 * numeric, classes 0 to classes - 1, missing values to the left.
 * Thresholds are written so that they read back exactly, so a model
 * written and read again predicts the same bits.
 */
#ifndef MM_MODEL_H
#define MM_MODEL_H

#include <stddef.h>

#include "forest.h"
#include "json.h"
#include "mm.h"
#include "schema.h"

#define MM_MODEL_FORMAT "mm-forest/2"
#define MM_MAX_CLASSES 1000

struct mm_model {
	struct mm_forest forest;
	int nfeat;
	char **features;	/* owned, forest.d names */
	struct mm_schema schema;
};

void mm_model_init(struct mm_model *m);
void mm_model_release(struct mm_model *m);

/*
 * model.json text for f, appended to b: its features and classes are
 * s's, or with s NULL the names in features, every one numeric, and the
 * classes 0 to f->nclass - 1.
 */
void mm_model_json(const struct mm_forest *f, const char *const *features,
    const struct mm_schema *s, struct mm_buf *b);

/* Parse model.json text.  0, or -1 with err (MM_EINPUT) saying what. */
int mm_model_parse(struct mm_model *m, const char *text, size_t len,
    struct mm_err *err);

/*
 * Load versions/<version>/model.json from the store in dir, checking it
 * against the SHA-256 in the version's card.json.  A file that is
 * missing, edited or truncated is an error naming it (MM_ESYS).
 */
int mm_model_load(struct mm_model *m, const char *dir, const char *version,
    struct mm_err *err);

#endif
