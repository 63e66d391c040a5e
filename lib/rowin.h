/*
 * rowin.h - rows in: one input row, a JSON object or a line of CSV
 * under its header, as fields (mm-batch(1)).
 *
 * A field is a name and a raw value, spans into the line or the header
 * (valid until the next row or header).  Names are kept escaped as
 * mm_jw_strn() escapes them, without quotes, whichever way they came:
 * a JSON key "temp\u00e9rature" and a CSV column température are the
 * same name.  Each value is classified once, so that what the caller
 * says of a field (mm_rowin_not_number()) is the same from either.
 * A struct mm_rowin is reused from row to row.  No I/O.
 */
#ifndef MM_ROWIN_H
#define MM_ROWIN_H

#include <stddef.h>

#include "json.h"
#include "mm.h"
#include "rows.h"

enum mm_rowkind {
	MM_ROW_NUM,		/* a finite JSON number: num */
	MM_ROW_RANGE,		/* a JSON number out of range */
	MM_ROW_NULL,		/* null, or an empty cell */
	MM_ROW_STR,		/* a string, or a cell of text */
	MM_ROW_OTHER,		/* true, false, an object, an array */
	MM_ROW_LOOSE		/* a cell strtod(3) takes but JSON does not */
};

struct mm_rowfield {
	struct mm_span key;	/* name, JSON-escaped, without quotes */
	struct mm_span val;	/* raw JSON value, or the unquoted cell */
	enum mm_rowkind kind;
	double num;		/* MM_ROW_NUM */
	int named;		/* the caller's: 0 when read */
};

struct mm_rowin {
	struct mm_rowfield *f;	/* the row: nf fields, in row order */
	int nf, fcap;
	int csv;		/* the row came from CSV */

	struct mm_buf keys;	/* JSON: keys with escapes, canonical */
	struct mm_rec rec;
	struct mm_csv cells;

	/* The CSV header: nhcol column names. */
	struct mm_buf hdr;
	struct mm_span *hcol;
	size_t *hoff;
	int nhcol, hcap;
};

void mm_rowin_init(struct mm_rowin *r);
void mm_rowin_release(struct mm_rowin *r);

/*
 * A JSON object into r's fields.  0, or -1 with err (MM_EINPUT): not a
 * JSON object, or a key with a \u escape of a NUL.
 */
int mm_rowin_json(struct mm_rowin *r, const char *line, size_t len,
    struct mm_err *err);

/*
 * A CSV header: its column names, escaped, into r->hcol.  0, or -1 with
 * err (MM_EINPUT): bad CSV, or a column with no name.  Names that appear
 * twice are the caller's to refuse.
 */
int mm_rowin_csv_header(struct mm_rowin *r, const char *line, size_t len,
    struct mm_err *err);

/*
 * A CSV line under the header last read, into r's fields: one per
 * column.  0, or -1 with err (MM_EINPUT): bad CSV, or not as many cells
 * as the header has columns.
 */
int mm_rowin_csv(struct mm_rowin *r, const char *line, size_t len,
    struct mm_err *err);

/*
 * Fill err (MM_EINPUT) for field f, which should have been a number but
 * is not, or is out of range; what names it ("feature", "field").
 * Returns -1.
 */
int mm_rowin_not_number(struct mm_err *err, const struct mm_rowfield *f,
    const char *what);

/* The value of f as it was written, for messages: its length, up to 40. */
int mm_rowin_shown(const struct mm_rowfield *f);

/* Append the n bytes at s to b as a name is kept: escaped, no quotes. */
void mm_rowin_put_name(struct mm_buf *b, const char *s, size_t n);

/* The string s as a name is kept (allocated). */
char *mm_rowin_name(const char *s);

#endif
