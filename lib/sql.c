/*
 * sql.c - statements on the store (sql.h): SQLite's, or PostgreSQL's
 * (pg.c).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "pg.h"
#include "sql.h"

int
mm_step(struct mm_stmt *st)
{
	if (st->pg)
		return mm_pg_step(st);
	return sqlite3_step(st->lite);
}

void
mm_reset(struct mm_stmt *st)
{
	if (st->pg) {
		mm_pg_reset(st);
		return;
	}
	sqlite3_reset(st->lite);
}

void
mm_clear_bindings(struct mm_stmt *st)
{
	if (st->pg) {
		mm_pg_clear_bindings(st);
		return;
	}
	sqlite3_clear_bindings(st->lite);
}

void
mm_finalize(struct mm_stmt *st)
{
	if (st == NULL)
		return;
	if (st->pg)
		mm_pg_finalize(st);
	else
		sqlite3_finalize(st->lite);
	free(st);
}

void
mm_bind_text(struct mm_stmt *st, int i, const char *s, int n)
{
	if (st->pg) {
		mm_pg_bind(st, i, s, n, 0, n >= 0, MM_PG_TEXT);
		return;
	}
	sqlite3_bind_text(st->lite, i, s, n, SQLITE_STATIC);
}

void
mm_bind_text_copy(struct mm_stmt *st, int i, const char *s, int n)
{
	if (st->pg) {
		mm_pg_bind(st, i, s, n, 0, 1, MM_PG_TEXT);
		return;
	}
	sqlite3_bind_text(st->lite, i, s, n, SQLITE_TRANSIENT);
}

void
mm_bind_blob(struct mm_stmt *st, int i, const void *p, int n)
{
	if (st->pg) {
		mm_pg_bind(st, i, p ? p : "", n, 1, 0, MM_PG_BYTEA);
		return;
	}
	sqlite3_bind_blob(st->lite, i, p, n, SQLITE_STATIC);
}

void
mm_bind_int(struct mm_stmt *st, int i, int v)
{
	if (st->pg) {
		mm_bind_int64(st, i, v);
		return;
	}
	sqlite3_bind_int(st->lite, i, v);
}

void
mm_bind_int64(struct mm_stmt *st, int i, int64_t v)
{
	char b[24];

	if (st->pg) {
		snprintf(b, sizeof(b), "%" PRId64, v);
		mm_pg_bind(st, i, b, -1, 0, 1, MM_PG_INT8);
		return;
	}
	sqlite3_bind_int64(st->lite, i, (sqlite3_int64)v);
}

void
mm_bind_double(struct mm_stmt *st, int i, double v)
{
	char b[32];

	if (st->pg) {
		if (isnan(v))
			snprintf(b, sizeof(b), "NaN");
		else if (isinf(v))
			snprintf(b, sizeof(b), "%sInfinity", v < 0 ? "-" : "");
		else
			snprintf(b, sizeof(b), "%.17g", v);
		mm_pg_bind(st, i, b, -1, 0, 1, MM_PG_FLOAT8);
		return;
	}
	sqlite3_bind_double(st->lite, i, v);
}

void
mm_bind_null(struct mm_stmt *st, int i)
{
	if (st->pg) {
		mm_pg_bind(st, i, NULL, 0, 0, 0, 0);
		return;
	}
	sqlite3_bind_null(st->lite, i);
}

int
mm_col_count(struct mm_stmt *st)
{
	if (st->pg)
		return mm_pg_col_count(st);
	return sqlite3_column_count(st->lite);
}

const char *
mm_col_name(struct mm_stmt *st, int i)
{
	if (st->pg)
		return mm_pg_col_name(st, i);
	return sqlite3_column_name(st->lite, i);
}

int
mm_col_type(struct mm_stmt *st, int i)
{
	if (st->pg)
		return mm_pg_col_type(st, i);
	return sqlite3_column_type(st->lite, i);
}

int
mm_col_int(struct mm_stmt *st, int i)
{
	if (st->pg)
		return (int)mm_col_int64(st, i);
	return sqlite3_column_int(st->lite, i);
}

int64_t
mm_col_int64(struct mm_stmt *st, int i)
{
	if (st->pg)
		return mm_pg_col_int64(st, i);
	return (int64_t)sqlite3_column_int64(st->lite, i);
}

double
mm_col_double(struct mm_stmt *st, int i)
{
	if (st->pg)
		return mm_pg_col_double(st, i);
	return sqlite3_column_double(st->lite, i);
}

const unsigned char *
mm_col_text(struct mm_stmt *st, int i)
{
	if (st->pg)
		return mm_pg_col_text(st, i);
	return sqlite3_column_text(st->lite, i);
}

const void *
mm_col_blob(struct mm_stmt *st, int i)
{
	if (st->pg)
		return mm_pg_col_blob(st, i);
	return sqlite3_column_blob(st->lite, i);
}

int
mm_col_bytes(struct mm_stmt *st, int i)
{
	if (st->pg)
		return mm_pg_col_bytes(st, i);
	return sqlite3_column_bytes(st->lite, i);
}

_Static_assert(MM_ROW == SQLITE_ROW && MM_DONE == SQLITE_DONE, "steps");
_Static_assert(MM_INTEGER == SQLITE_INTEGER && MM_FLOAT == SQLITE_FLOAT &&
    MM_TEXT == SQLITE_TEXT && MM_BLOB == SQLITE_BLOB &&
    MM_NULL == SQLITE_NULL, "column types");
