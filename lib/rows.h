/*
 * rows.h - split CSV lines and classify cells and tokens of input rows.
 *
 * Pure: no I/O.  mm_csv_split() reads one line of RFC 4180 CSV: cells
 * are separated by commas; a cell in double quotes may hold commas and
 * doubled quotes ("a ""b"",c"), but not a line break, so a line is a
 * row.  The cells are copied unquoted and NUL-terminated into the
 * struct's own buffer; they stay valid until the next call.
 */
#ifndef MM_ROWS_H
#define MM_ROWS_H

#include <stddef.h>

#include "json.h"
#include "mm.h"

/* The largest class label a batch record may carry: one below
 * MM_MAX_CLASSES (policy.h), as mm-train and mm-record take. */
#define MM_LABEL_MAX 999

struct mm_csv {
	char *buf;		/* owned: the cells, each NUL-terminated */
	size_t cap;
	struct mm_span *cell;	/* owned: n cells, pointing into buf */
	int n, ncap;
};

void mm_csv_init(struct mm_csv *c);
void mm_csv_release(struct mm_csv *c);

/*
 * Split line (len bytes) into c->cell.  0, or -1 with err (MM_EINPUT),
 * as for a NUL byte or invalid UTF-8 ("invalid UTF-8 at byte N", N from
 * 1 at line[0]).
 */
int mm_csv_split(struct mm_csv *c, const char *line, size_t len,
    struct mm_err *err);

enum mm_cell {
	MM_CELL_EMPTY,		/* no bytes */
	MM_CELL_NUMBER,		/* a JSON number, to be copied as it is */
	MM_CELL_LOOSE,		/* a number to strtod(3) but not to JSON: */
				/* "+1", ".5", "1.", "01", " 1", "0x1f" */
	MM_CELL_TEXT		/* anything else, such as "abc" or "nan" */
};

/*
 * What the cell s (n bytes, NUL at s[n]) holds.  For MM_CELL_NUMBER,
 * *v (if v is not NULL) gets its value, which is infinite when the
 * number is out of range.
 */
enum mm_cell mm_cell_kind(const char *s, size_t n, double *v);

/*
 * A class label: the n bytes at p are a JSON integer from 0 to
 * MM_LABEL_MAX, digits only ("1.0", "1e0" and "-0" are not).  Returns
 * 0 with *out set, or -1.
 */
int mm_label_parse(const char *p, size_t n, int *out);

#endif
