/*
 * pool.h - rule 3's pool (mm-decide(1)): the confusion counts of the
 * recent batches one model version served, summed.
 *
 * The pool keeps batches oldest first, at most cap rows of them (the
 * config's f1_window_rows) but always the newest batch; adding one
 * drops the oldest past the cap.  It can be seeded from the database:
 * the counts mm-record stored for the batches the version served
 * before a given batch.  Confusion counts travel as JSON arrays of
 * arrays; reading and writing them is here too.
 */
#ifndef MM_POOL_H
#define MM_POOL_H

#include <jansson.h>

#include "db.h"
#include "json.h"
#include "mm.h"
#include "store.h"

struct mm_pool {
	long cap;			/* rows kept, at most */
	int k;				/* classes, 0 before any counts */
	long *sum;			/* k x k, the sum of the ring */
	long **ring;			/* owned, nring batches of k x k */
	long *ring_rows;
	int nring, ringcap;
	char version[MM_VERSION_MAX];	/* whose batches these are */
};

void mm_pool_init(struct mm_pool *p, long cap);
void mm_pool_release(struct mm_pool *p);

/* Empty it for k classes (0: none) of version's batches. */
void mm_pool_reset(struct mm_pool *p, int k, const char *version);

/* Add a batch's counts (k x k) as the newest. */
void mm_pool_add(struct mm_pool *p, const long *cm);

/*
 * Seed the pool from db: the counts of the batches version served
 * before batch_id's (all of them when batch_id is NULL or not stored),
 * newest first until the cap or a batch of another class count, added
 * oldest first.  An empty pool takes their class count and version.  0,
 * or -1 with err.
 */
int mm_pool_seed(struct mm_pool *p, struct mm_db *db, const char *version,
    const char *batch_id, struct mm_err *err);

/*
 * Confusion counts from JSON: a k x k array of arrays of counts.  Sets
 * *k and fills *cm (allocated, k x k).  0, 1 if absent or null (*cm
 * NULL), -1 if not counts.
 */
int mm_confusion_parse(json_t *a, long **cm, int *k);

/* Counts (k x k, or NULL: null) as JSON, appended to b. */
void mm_confusion_json(struct mm_buf *b, const long *cm, int k);

#endif
