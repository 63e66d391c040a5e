/*
 * db.h - the store (mm(7), State and PostgreSQL; mm-records(5)).
 *
 * One SQLite file, default data/metrics/metrics.db ($MM_DB, --db), or a
 * PostgreSQL database at a postgresql:// URL (pg.h); programs use either
 * through sql.h.  Opening it creates it or migrates it forward inside
 * one transaction, recorded in schema_version; a store from a newer mm
 * is refused and left untouched.  SQLite: WAL mode, a busy timeout,
 * foreign keys on.  Every write is a transaction and every statement
 * prepared.
 */
#ifndef MM_DB_H
#define MM_DB_H

#include <sqlite3.h>

#include "mm.h"
#include "sql.h"

#define MM_DB_DEFAULT "data/metrics/metrics.db"
#define MM_DB_SCHEMA 4		/* the schema this mm writes */

#define MM_DB_CACHE 8

struct mm_db {
	sqlite3 *h;		/* SQLite's connection, or NULL */
	struct pg_conn *pg;	/* PostgreSQL's (pg.h), or NULL */
	char *path;
	int changes;		/* PostgreSQL: of the last statement */
	unsigned nstmt;		/* PostgreSQL: statements named so far */
	char msg[256];		/* PostgreSQL: the last error */
	char state[6];		/* PostgreSQL: its SQLSTATE */
	struct {
		const char *sql;
		struct mm_stmt *st;
	} cache[MM_DB_CACHE];	/* mm_db_cached's */
	struct mm_ckpt *ckpt;	/* mm_db_checkpoint_behind's, or NULL */
	int wait_ms;		/* for another writer's lock (MM_DB_TIMEOUT) */
	double busy_since;	/* SQLite: when the current wait began */
};

/* A statement of sql.h: SQLite's, or PostgreSQL's (pg.c). */
struct mm_stmt {
	sqlite3_stmt *lite;
	struct mm_pgstmt *pg;
	struct mm_db *db;
};

/*
 * The database: path if given, else $MM_DB, else the default.  A path
 * is an SQLite file; a URL postgresql://... (or postgres://) is a
 * PostgreSQL database (pg.h).
 */
const char *mm_db_path(const char *path);

/* Whether path is a PostgreSQL URL, not a file. */
int mm_db_is_url(const char *path);

/*
 * Whether the store is a server (PostgreSQL), where each statement is a
 * round trip: what is done often is done in fewer, larger statements.
 */
int mm_db_remote(const struct mm_db *db);

/* The database as it may be shown: a URL's password is ***.  Owned. */
char *mm_db_shown(const char *path);

/*
 * Open (creating the file and its directory if need be) and migrate.
 * 0, or -1 with err: MM_ESYS for anything the file system or SQLite
 * refuses (not a database, read-only, newer schema, disk full);
 * MM_EINPUT for an MM_DB_TIMEOUT that is not a number of seconds.
 * Another writer's lock is waited for MM_DB_TIMEOUT seconds, 10 if
 * unset (SQLite's busy timeout, PostgreSQL's lock_timeout).
 */
int mm_db_open(struct mm_db *db, const char *path, struct mm_err *err);
void mm_db_close(struct mm_db *db);

/*
 * SQLite: copy the write-ahead log back into the database in a thread
 * of its own, with a connection of its own, once a commit leaves it 1000
 * pages or more and then each time it has grown by 1000 more, in place
 * of SQLite's checkpoint in every commit past that size: the writer's
 * commits do not wait for the checkpoint's copy and fsync, and a log
 * kept long by another writer is not copied and synced at each commit.
 * A writer that never pauses leaves the log no moment to start over
 * in: at 4000 pages its commit finishes the copy itself.  For a program
 * that writes all the time and passes records on as it commits
 * (mm-record, mm-exec).  Nothing on PostgreSQL.  0, or -1 with err.
 */
int mm_db_checkpoint_behind(struct mm_db *db, struct mm_err *err);

/* How many times the thread of mm_db_checkpoint_behind was asked to run. */
long mm_db_checkpoints_asked(const struct mm_db *db);

/*
 * A writer's transaction, taking the store's write lock alone (SQLite's
 * BEGIN IMMEDIATE; PostgreSQL's advisory lock, pg.h) / COMMIT /
 * ROLLBACK.  0 or -1 with err (MM_ESYS).
 */
int mm_db_begin(struct mm_db *db, struct mm_err *err);

/*
 * A recorder's transaction, which only adds batches and their evidence:
 * on SQLite, mm_db_begin's; on PostgreSQL, many at once, and an
 * mm_db_begin waits for those in flight.  0 or -1 with err.
 */
int mm_db_begin_append(struct mm_db *db, struct mm_err *err);

/*
 * Whether the last error ended a transaction that, run again, may well
 * succeed: on PostgreSQL, a deadlock or a serialization failure.
 */
int mm_db_retryable(const struct mm_db *db);

/*
 * Wait until every recorder's transaction in flight has ended, so that
 * each evidence row numbered so far is committed or never will be
 * (PostgreSQL; on SQLite, where a writer is alone, nothing to wait
 * for).  0 or -1 with err.
 */
int mm_db_settle(struct mm_db *db, struct mm_err *err);

/*
 * Into sql, SQL for the number of the last of n (SQL: a parameter)
 * evidence rows a new batch adds, the id of its evidence_batch row: on
 * from the newest on SQLite, from PostgreSQL's sequence there.
 */
void mm_db_evidence_top(const struct mm_db *db, const char *n, char *sql,
    size_t size);
int mm_db_commit(struct mm_db *db, struct mm_err *err);
void mm_db_rollback(struct mm_db *db);

/*
 * A lock held by one connection of all that share the database, until
 * unlocked or the connection ends: PostgreSQL's advisory lock, so that
 * "retrain in progress" holds across machines.  On SQLite, one file on
 * one machine, it is always free (the store's flock does the work).
 * 0 when taken; 1 when another holds it; -1 with err.
 */
#define MM_DB_LOCK_RETRAIN 1
int mm_db_try_lock(struct mm_db *db, int which, struct mm_err *err);
void mm_db_unlock(struct mm_db *db, int which);

/* Run SQL without results.  0 or -1 with err. */
int mm_db_exec(struct mm_db *db, const char *sql, struct mm_err *err);

/* Prepare sql; NULL with err on failure. */
struct mm_stmt *mm_db_prepare(struct mm_db *db, const char *sql,
    struct mm_err *err);

/* Rows the last INSERT, UPDATE or DELETE changed. */
int mm_db_changes(struct mm_db *db);

/* Fill err from the connection's last error (MM_ESYS); returns -1. */
/*
 * A statement kept prepared for a query run again and again: sql is a
 * string constant (the cache knows it by its address).  The statement
 * is db's, reset and unbound; the caller resets it when done, and never
 * finalizes it.  NULL with err when it cannot be prepared.
 */
struct mm_stmt *mm_db_cached(struct mm_db *db, const char *sql,
    struct mm_err *err);

int mm_db_err(struct mm_db *db, struct mm_err *err, const char *what);

/* A store of schema v, newer than this mm knows: err says so; -1. */
int mm_db_newer(struct mm_db *db, int v, struct mm_err *err);

#endif
