/*
 * pg.h - the store on PostgreSQL (db.h, sql.h), through libpq, which is
 * loaded (dlopen) when a program first opens such a database.
 *
 * The same tables and semantics as SQLite's file.  Statements are
 * written once, in the SQL both take, with SQLite's parameters (?1, ?);
 * mm_pg_prepare numbers them as PostgreSQL's ($1).  A statement runs at
 * its first step, with its parameters as text (blobs as binary), and its
 * result is read a row a step.
 *
 * Writers take one advisory lock on the database for their
 * transaction.  Recorders, which only add batches, take it shared and
 * run at once (mm_db_begin_append); every other writer takes it alone
 * (mm_db_begin), as under SQLite's BEGIN IMMEDIATE, and so waits for the
 * recorders in flight.  Evidence rows are numbered from a sequence
 * (mm_evidence_top), and a retrain waits for the recorders in flight
 * before it reads (mm_db_settle): every number at or below a horizon it
 * reads is then committed or never will be.
 */
#ifndef MM_PG_H
#define MM_PG_H

#include <libpq-fe.h>
#include <stdint.h>

#include "mm.h"

struct mm_db;
struct mm_stmt;

#define MM_PG_BYTEA 17
#define MM_PG_INT8 20
#define MM_PG_TEXT 25
#define MM_PG_FLOAT8 701
#define MM_PG_BYTEA_ARRAY 1001
#define MM_PG_TEXT_ARRAY 1009
#define MM_PG_INT8_ARRAY 1016
#define MM_PG_FLOAT8_ARRAY 1022

/* The URL is PostgreSQL's: postgresql:// or postgres://. */
int mm_pg_is_url(const char *path);

/*
 * The URL as it may be shown (in messages, logs): a password in it, as
 * user:password@ or password=, is ***.  Owned by the caller.
 */
char *mm_pg_redact(const char *url);

int mm_pg_open(struct mm_db *db, const char *url, struct mm_err *err);
void mm_pg_close(struct mm_db *db);
int mm_pg_exec(struct mm_db *db, const char *sql, struct mm_err *err);
int mm_pg_try_lock(struct mm_db *db, int which, struct mm_err *err);
void mm_pg_unlock(struct mm_db *db, int which);
int mm_pg_begin(struct mm_db *db, int shared, struct mm_err *err);
int mm_pg_settle(struct mm_db *db, struct mm_err *err);
void mm_pg_rollback(struct mm_db *db);
int mm_pg_err(struct mm_db *db, struct mm_err *err, const char *what);
struct mm_stmt *mm_pg_prepare(struct mm_db *db, const char *sql,
    struct mm_err *err);

int mm_pg_step(struct mm_stmt *st);
void mm_pg_reset(struct mm_stmt *st);
void mm_pg_clear_bindings(struct mm_stmt *st);
void mm_pg_finalize(struct mm_stmt *st);
/* type: PostgreSQL's type oid of the value (MM_PG_TEXT...). */
void mm_pg_bind(struct mm_stmt *st, int i, const char *p, int n, int fmt,
    int copy, unsigned type);
int mm_pg_col_count(struct mm_stmt *st);
const char *mm_pg_col_name(struct mm_stmt *st, int i);
int mm_pg_col_type(struct mm_stmt *st, int i);
const unsigned char *mm_pg_col_text(struct mm_stmt *st, int i);
int64_t mm_pg_col_int64(struct mm_stmt *st, int i);
double mm_pg_col_double(struct mm_stmt *st, int i);
const void *mm_pg_col_blob(struct mm_stmt *st, int i);
int mm_pg_col_bytes(struct mm_stmt *st, int i);

#endif
