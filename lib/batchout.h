/*
 * batchout.h - batches out: the batch mm-batch(1) is building, a column
 * of values per feature and a label per row, and the batch record it is
 * written as:
 *
 *   {"batch_id":"b1","ts":1764140000,"features":{"f0":[0.1,null]},
 *    "labels":[1,null]}
 *
 * Values, labels and ts are JSON text, copied as they came; names are
 * escaped already (rowin.h), so nothing is decoded or encoded again.
 * "labels" is written when some row had a label.  A struct mm_batchout
 * is reused from batch to batch: a zeroed one is empty.
 */
#ifndef MM_BATCHOUT_H
#define MM_BATCHOUT_H

#include <stddef.h>
#include <stdio.h>

#include "json.h"
#include "mm.h"
#include "strtab.h"

struct mm_outcol {
	int name;		/* index of its name in the caller's strtab */
	int field;		/* the caller's: its field in the current row */
	struct mm_buf v;	/* the batch's values, comma separated */
};

struct mm_batchout {
	struct mm_buf id;	/* a quoted JSON string */
	struct mm_buf ts;	/* ts of its last row that had one */
	struct mm_outcol *cols;
	int ncols, colcap;
	struct mm_buf labels;	/* comma separated, null where none */
	int has_label;
	size_t rows;
};

void mm_batchout_release(struct mm_batchout *o);

/* A column more (its name and field for the caller to set). */
struct mm_outcol *mm_batchout_add_col(struct mm_batchout *o);

/* Empty the batch for the next one: its id, ts, values and labels. */
void mm_batchout_clear(struct mm_batchout *o);

/*
 * Column c's value in the row being added: the JSON number v, or null
 * when v is NULL.  Every column gets one, then mm_batchout_row().
 */
void mm_batchout_value(struct mm_batchout *o, int c,
    const struct mm_span *v);

/* End the row being added: its label and ts, NULL when it has none. */
void mm_batchout_row(struct mm_batchout *o, const struct mm_span *label,
    const struct mm_span *ts);

/*
 * Write the batch to out as one line, with ts (tslen bytes of JSON) and
 * its columns' names from names, and flush it.  0, or -1 with err
 * (MM_ESYS) when the write fails.
 */
int mm_batchout_write(const struct mm_batchout *o,
    const struct mm_strtab *names, const char *ts, size_t tslen,
    FILE *out, struct mm_err *err);

#endif
