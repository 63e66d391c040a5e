/*
 * sql.c - statements on the store (sql.h): SQLite's, or PostgreSQL's
 * (pg.c).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * PostgreSQL's binary array of one dimension: ndim, has-nulls, element
 * type, size, lower bound (a 32-bit big-endian number each), then each
 * value as its 32-bit length (-1 for NULL) and its bytes.
 */
#define ARR_HEAD 20

static void
put_be32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

static char *
arr_room(struct mm_arr *a, size_t n)
{
	if (a->n + n > a->cap) {
		a->cap = (a->n + n) * 2;
		a->p = mm_xrealloc(a->p, a->cap);
	}
	a->n += n;
	return a->p + a->n - n;
}

void
mm_arr_init(struct mm_arr *a, int type)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	mm_arr_reset(a);
}

void
mm_arr_release(struct mm_arr *a)
{
	free(a->p);
	memset(a, 0, sizeof(*a));
}

void
mm_arr_reset(struct mm_arr *a)
{
	a->n = 0;
	a->count = 0;
	a->nulls = 0;
	(void)arr_room(a, ARR_HEAD);
}

void
mm_arr_bytes(struct mm_arr *a, const void *p, int n)
{
	size_t k = n < 0 ? strlen(p) : (size_t)n;
	char *q = arr_room(a, 4 + k);

	put_be32(q, (uint32_t)k);
	memcpy(q + 4, p, k);
	a->last = (size_t)(q + 4 - a->p);
	a->count++;
}

void
mm_arr_int64(struct mm_arr *a, int64_t v)
{
	char *q = arr_room(a, 12);
	uint64_t u = (uint64_t)v;

	put_be32(q, 8);
	put_be32(q + 4, (uint32_t)(u >> 32));
	put_be32(q + 8, (uint32_t)u);
	a->count++;
}

void
mm_arr_double(struct mm_arr *a, double v)
{
	int64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	mm_arr_int64(a, bits);
}

void
mm_arr_null(struct mm_arr *a)
{
	put_be32(arr_room(a, 4), 0xffffffffu);
	a->count++;
	a->nulls = 1;
}

void
mm_bind_arr(struct mm_stmt *st, int i, struct mm_arr *a)
{
	unsigned elem, type;

	switch (a->type) {
	case MM_FLOAT: elem = MM_PG_FLOAT8; type = MM_PG_FLOAT8_ARRAY; break;
	case MM_INTEGER: elem = MM_PG_INT8; type = MM_PG_INT8_ARRAY; break;
	case MM_BLOB: elem = MM_PG_BYTEA; type = MM_PG_BYTEA_ARRAY; break;
	default: elem = MM_PG_TEXT; type = MM_PG_TEXT_ARRAY; break;
	}
	put_be32(a->p, 1);
	put_be32(a->p + 4, (uint32_t)a->nulls);
	put_be32(a->p + 8, elem);
	put_be32(a->p + 12, (uint32_t)a->count);
	put_be32(a->p + 16, 1);
	if (st->pg)
		mm_pg_bind(st, i, a->p, (int)a->n, 1, 0, type);
	else	/* SQLite has no arrays: no value. */
		sqlite3_bind_null(st->lite, i);
}
