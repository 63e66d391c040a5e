/*
 * sql.h - statements on the store (db.h), whatever holds it.
 *
 * Every program reads and writes the database through these calls, never
 * through a driver's own, so that the store behind mm_db can change
 * without a program knowing.  They follow SQLite's statement interface:
 * prepare, bind (parameters from 1), step to MM_ROW after MM_ROW until
 * MM_DONE (any other value is an error, said by mm_db_err), read columns
 * (from 0) while on a row, reset to run again, finalize.
 *
 * Bound text and blobs are not copied (as SQLITE_STATIC): they must stay
 * until the statement is reset or bound again, except with
 * mm_bind_text_copy.
 */
#ifndef MM_SQL_H
#define MM_SQL_H

#include <stdint.h>

struct mm_db;
struct mm_stmt;

#define MM_ROW 100		/* as SQLITE_ROW */
#define MM_DONE 101		/* as SQLITE_DONE */

/* A column's type on the current row: as SQLite's fundamental types. */
enum mm_sql_type {
	MM_INTEGER = 1,
	MM_FLOAT = 2,
	MM_TEXT = 3,
	MM_BLOB = 4,
	MM_NULL = 5
};

int mm_step(struct mm_stmt *st);
void mm_reset(struct mm_stmt *st);
void mm_clear_bindings(struct mm_stmt *st);
void mm_finalize(struct mm_stmt *st);	/* NULL is nothing */

/* n < 0: up to the NUL. */
void mm_bind_text(struct mm_stmt *st, int i, const char *s, int n);
void mm_bind_text_copy(struct mm_stmt *st, int i, const char *s, int n);
void mm_bind_blob(struct mm_stmt *st, int i, const void *p, int n);
void mm_bind_int(struct mm_stmt *st, int i, int v);
void mm_bind_int64(struct mm_stmt *st, int i, int64_t v);
void mm_bind_double(struct mm_stmt *st, int i, double v);
void mm_bind_null(struct mm_stmt *st, int i);

/*
 * A column of values bound as one parameter, so that one statement
 * stores many rows: on a server only (mm_db_remote), as PostgreSQL's
 * binary array, which the SQL unnests (CAST(?N AS FLOAT8[])).  Built a
 * value at a time in the array's type (MM_TEXT, MM_FLOAT, MM_INTEGER,
 * MM_BLOB); bound, it must stay until the statement is reset.
 */
struct mm_arr {
	char *p;
	size_t n, cap;
	size_t last;		/* where the last bytes' value begins in p */
	long count;
	int type, nulls;
};

void mm_arr_init(struct mm_arr *a, int type);
void mm_arr_release(struct mm_arr *a);
void mm_arr_reset(struct mm_arr *a);
/* Values: text or bytes (n < 0: up to the NUL), numbers, NULL. */
void mm_arr_bytes(struct mm_arr *a, const void *p, int n);
void mm_arr_double(struct mm_arr *a, double v);
void mm_arr_int64(struct mm_arr *a, int64_t v);
void mm_arr_null(struct mm_arr *a);
void mm_bind_arr(struct mm_stmt *st, int i, struct mm_arr *a);

int mm_col_count(struct mm_stmt *st);
const char *mm_col_name(struct mm_stmt *st, int i);
int mm_col_type(struct mm_stmt *st, int i);
int mm_col_int(struct mm_stmt *st, int i);
int64_t mm_col_int64(struct mm_stmt *st, int i);
double mm_col_double(struct mm_stmt *st, int i);
/* NULL for a NULL value; valid until the next step, reset or finalize. */
const unsigned char *mm_col_text(struct mm_stmt *st, int i);
const void *mm_col_blob(struct mm_stmt *st, int i);
int mm_col_bytes(struct mm_stmt *st, int i);

#endif
