/*
 * batcher.h - rows into batches (mm-batch(1)): each row, read by rowin.h,
 * is checked, put in the batch it belongs to (by id, every N rows, or by
 * time window), and each batch is written as a batch record to a FILE *
 * as soon as it is complete.
 *
 * The features and their kinds are featset.h's, fixed once for the
 * stream: the caller lists them (mm_batcher_feature(): a schema's, or
 * --features) or not, observes the first rows (mm_batcher_observe())
 * while it holds them back, then calls mm_batcher_decide() before the
 * first row.  A numeric feature's values are numbers, copied byte for
 * byte; a categorical feature's are strings, a JSON string as it came, a
 * number or a CSV cell as its text ("1").  null, an empty cell and an
 * absent field are null for either.  A label is an integer from 0 to
 * MM_LABEL_MAX or a string, or, with a schema, one of its classes.
 *
 * Errors are values: a bad row is -1 with an err (MM_EINPUT) about the
 * row, which the caller places; a failed write is MM_ESYS.  Warnings (a
 * field ignored, a feature without a value) go to the warn hook, once
 * each, for the caller to say and place.
 */
#ifndef MM_BATCHER_H
#define MM_BATCHER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "batchout.h"
#include "featset.h"
#include "json.h"
#include "mm.h"
#include "rowin.h"
#include "schema.h"
#include "strtab.h"

enum mm_group { MM_BY_ID, MM_BY_SIZE, MM_BY_TIME };

struct mm_batcher_conf {
	int group;		/* enum mm_group */
	long size;		/* MM_BY_SIZE: rows a batch */
	double every;		/* MM_BY_TIME: a window's length, seconds */
	const char *id, *ts, *label;	/* the fields that are no feature */
	const char *prefix;	/* of the ids MM_BY_SIZE, MM_BY_TIME make */
	int run_tag;		/* MM_BY_SIZE: the ids carry the run */
	const double *now;	/* a batch's ts when its rows have none, and
				   the run's start; NULL: the clock */
	const struct mm_schema *schema;	/* borrowed: the classes, or NULL */
	int skip_bad;		/* a bad row is skipped, the run goes on */
	FILE *out;		/* where batch records go */
	void (*warn)(void *ctx, const char *msg);
	void *ctx;
};

struct mm_ivec {
	int *v;
	int n, cap;
};

struct mm_batcher {
	struct mm_batcher_conf c;
	char *prefix;		/* escaped, as every name below */
	char *idname, *tsname, *labelname;
	size_t idlen, tslen, labellen;
	int run_tag;		/* the run's tag is still to add */
	uint64_t head;		/* hash of the lines up to it */

	struct mm_featset fs;
	unsigned long held;	/* rows the kinds were found from */
	struct mm_strtab seen;	/* ids of the batches written (MM_BY_ID) */

	/* The current batch. */
	struct mm_batchout b;
	unsigned long nbatches;
	double window;		/* MM_BY_TIME: floor(ts / every) */
	struct mm_buf tstext;	/* its ts as written */

	/* The current row. */
	unsigned long seq;
	struct mm_buf rowid, tsnum, val, label, text;
	struct mm_ivec warn;	/* names to say are ignored */
};

/* Set b up from c (copied; its names as given). */
void mm_batcher_init(struct mm_batcher *b, const struct mm_batcher_conf *c);
void mm_batcher_release(struct mm_batcher *b);

/*
 * A feature of the caller's list, named name (as given), of kind (enum
 * mm_kind, or MM_KIND_OPEN).  0, or -1 with err (MM_EINPUT): the id, ts
 * or label field, or a feature twice.
 */
int mm_batcher_feature(struct mm_batcher *b, const char *name, int kind,
    struct mm_err *err);

/* The features of schema s, all of them, in its order and kinds. */
int mm_batcher_schema(struct mm_batcher *b, const struct mm_schema *s,
    struct mm_err *err);

/* Whether name[0..n) (escaped) is the id, ts or label field. */
int mm_batcher_named(const struct mm_batcher *b, const char *name,
    size_t n);

/*
 * Fold a line read into the hash of the run's tag, until its first batch
 * begins (batchid.h): every line up to its first row, that row included.
 */
void mm_batcher_head(struct mm_batcher *b, const char *line, size_t len);

/* Look at a row held back while the kinds are open. */
void mm_batcher_observe(struct mm_batcher *b, struct mm_rowin *r);

/*
 * Fix the kinds from the rows observed (held is how many rows were
 * held, for messages), warning of each feature found without a value.
 */
void mm_batcher_decide(struct mm_batcher *b, unsigned long held);

/*
 * Take the row r (its fields' named marks are set here): into the
 * current batch, or the next, writing the one it ends.  0, or -1 with
 * err: MM_EINPUT about the row, MM_ESYS for a write that failed.
 */
int mm_batcher_row(struct mm_batcher *b, struct mm_rowin *r,
    struct mm_err *err);

/* Write the open batch, if any: the input has ended.  0, or -1 (err). */
int mm_batcher_end(struct mm_batcher *b, struct mm_err *err);

#endif
