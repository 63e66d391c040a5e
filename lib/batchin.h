/*
 * batchin.h - decode a batch record, on its way in, into column arrays.
 *
 *   {"batch_id":"b1","ts":1764140000.0,
 *    "features":{"f0":[0.1,null],"f1":[2,3]},"labels":[1,null]}
 *
 * Feature arrays are read straight into doubles (NaN for null) without
 * building a JSON tree; labels into ints (-1 for null).  A feature may
 * instead hold strings (categorical values, "region":["north",null]):
 * its column then interns the decoded strings and holds each one's index
 * as a double.  A column holds numbers or strings, never both.  Feature
 * names, the batch id and the top-level keys are decoded too.  A struct
 * mm_batch is reused from record to record, so memory stays at the size
 * of the largest batch.  The record's top-level field spans are left in
 * the caller's struct mm_rec for pass-through.
 */
#ifndef MM_BATCHIN_H
#define MM_BATCHIN_H

#include <stddef.h>

#include "json.h"
#include "mm.h"
#include "strtab.h"

enum mm_col_kind {
	MM_COL_NONE,		/* every value null (or no values) */
	MM_COL_NUM,		/* numbers */
	MM_COL_STR		/* strings: v[i] is an index into strs */
};

struct mm_col {
	char *name;		/* owned, decoded */
	double *v;		/* owned, n values, NaN where null */
	size_t cap;
	int kind;		/* enum mm_col_kind */
	struct mm_strtab strs;	/* MM_COL_STR: the decoded strings */
};

struct mm_batch {
	char *id;		/* batch_id, decoded */
	double ts;
	int has_ts;
	size_t n;		/* rows */
	int nfeat;
	struct mm_col *cols;	/* nfeat columns, in record order */
	int ncap;
	int *labels;		/* n labels: an integer label, -1 where
				   null, or a string (MM_LABEL_STR) */
	struct mm_strtab lstrs;	/* the string labels, decoded */
	size_t lcap;
	int has_labels;
	size_t nlabels;		/* labels read; equals n once parsed */
	unsigned flags;
	struct mm_buf tmp;	/* decoding scratch */
};

/*
 * A string label: labels[i] = MM_LABEL_STR(k) for string k of lstrs,
 * which MM_LABEL_STR_INDEX() gives back.  Labels are the model's class
 * numbers only once mapped through its classes (encode.h).
 */
#define MM_LABEL_STR(k)		(-2 - (k))
#define MM_LABEL_STR_INDEX(y)	(-2 - (y))
#define MM_LABEL_IS_STR(y)	((y) <= -2)

/* What mm_batch_parse() must find. */
#define MM_BATCH_ID		0x01	/* batch_id required */
#define MM_BATCH_FEATURES	0x02	/* features required and decoded */
#define MM_BATCH_LABELS		0x04	/* decode labels if present */
#define MM_BATCH_ANY_FEATURES	0x08	/* decode features if present */

void mm_batch_init(struct mm_batch *b);
void mm_batch_release(struct mm_batch *b);

/*
 * Parse line (NUL-terminated) into b and rec.  Returns 0, or -1 with err
 * (MM_EINPUT) naming what is wrong; err->line is left 0 for the caller.
 */
int mm_batch_parse(struct mm_batch *b, struct mm_rec *rec, const char *line,
    size_t len, unsigned flags, struct mm_err *err);

/*
 * Fail unless every feature holds numbers (or nulls only), with the
 * message a string value got before strings were allowed:
 * feature 'f0' value 3 is not a number: "abc".  0, or -1 with err.
 */
int mm_batch_require_numeric(const struct mm_batch *b, struct mm_err *err);

/* The column named name, or NULL. */
const struct mm_col *mm_batch_col(const struct mm_batch *b, const char *name);

#endif
