/*
 * test_db.c - the SQLite store (mm(7), State; mm-records(5)): the
 * path, creating and migrating, the connection's settings, refusing files it must not
 * touch, transactions, and the tables with their constraints.  Each test
 * works in a fresh directory under $TMPDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "scratch.h"

struct fix {
	char top[256];		/* the scratch directory */
	char path[400];		/* top/data/metrics/metrics.db */
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (scratch_make(f->top, sizeof(f->top), "mm-db") < 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/data/metrics/metrics.db",
	    f->top);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	scratch_remove(f->top);
	free(f);
	return 0;
}

/* The whole file (malloc'd), its size in *n; NULL if unreadable. */
static char *
slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	char *p;
	long len;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	p = malloc(len > 0 ? (size_t)len : 1);
	assert_non_null(p);
	*n = fread(p, 1, (size_t)len, fp);
	fclose(fp);
	return p;
}

static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* path + suffix, in a static buffer. */
static const char *
plus(const char *path, const char *suffix)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", path, suffix);
	return buf;
}

/* The first column of the first row of sql, as an integer. */
static long long
q_int(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The rows of one text column joined with ' ' (static buffer). */
static const char *
q_text(sqlite3 *h, const char *sql)
{
	static char buf[1024];
	sqlite3_stmt *st;
	size_t n = 0;

	buf[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    n ? " " : "", s ? s : "NULL");
		assert_true(n < sizeof(buf));
	}
	sqlite3_finalize(st);
	return buf;
}

/* The query plan SQLite makes for sql: its steps joined with ' '. */
static const char *
plan(sqlite3 *h, const char *sql)
{
	static char buf[1024];
	char eqp[512];
	sqlite3_stmt *st;
	size_t n = 0;

	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	buf[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(h, eqp, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    n ? " " : "", (const char *)sqlite3_column_text(st, 3));
		assert_true(n < sizeof(buf));
	}
	sqlite3_finalize(st);
	return buf;
}

static void
test_path(void **state)
{
	(void)state;
	unsetenv("MM_DB");
	assert_string_equal(mm_db_path(NULL), "data/metrics/metrics.db");
	assert_string_equal(mm_db_path(""), "data/metrics/metrics.db");
	assert_string_equal(mm_db_path("x.db"), "x.db");
	setenv("MM_DB", "/var/mm/env.db", 1);
	assert_string_equal(mm_db_path(NULL), "/var/mm/env.db");
	assert_string_equal(mm_db_path(""), "/var/mm/env.db");
	/* --db wins over $MM_DB. */
	assert_string_equal(mm_db_path("x.db"), "x.db");
	/* An empty $MM_DB is no setting. */
	setenv("MM_DB", "", 1);
	assert_string_equal(mm_db_path(NULL), "data/metrics/metrics.db");
	unsetenv("MM_DB");
}

static void
test_open_fresh(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	char dir[320];
	struct stat st;

	/* Neither data/ nor data/metrics/ exists yet. */
	snprintf(dir, sizeof(dir), "%s/data/metrics", f->top);
	assert_false(exists(dir));
	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_int_equal(err.code, 0);
	assert_string_equal(db.path, f->path);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* One row per migration, 1 to the schema this mm writes. */
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM schema_version"),
	    MM_DB_SCHEMA);
	assert_int_equal(q_int(db.h, "SELECT max(version) FROM "
	    "schema_version"), MM_DB_SCHEMA);
	assert_string_equal(q_text(db.h, "PRAGMA journal_mode"), "wal");
	assert_int_equal(q_int(db.h, "PRAGMA foreign_keys"), 1);
	/* Writers wait for each other (seconds), never fail at once:
	 * test_busy_waits. */
	assert_int_equal(db.wait_ms, 10000);
	assert_int_equal(q_int(db.h, "PRAGMA synchronous"), 1);	/* NORMAL */
	/* Autocommit: open leaves no transaction behind. */
	assert_int_equal(sqlite3_get_autocommit(db.h), 1);
	mm_db_close(&db);
	assert_null(db.h);
	assert_null(db.path);
	/* The last close folds the log back into the file. */
	assert_false(exists(plus(f->path, "-wal")));
	assert_false(exists(plus(f->path, "-shm")));
}

static void
test_reopen(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db, db2;
	size_t n1, n2;
	char *b1, *b2;

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_int_equal(mm_db_exec(&db, "INSERT INTO metrics (batch_id, ts, "
	    "recorded_at) VALUES ('b1', 1, 2)", &err), 0);
	mm_db_close(&db);
	b1 = slurp(f->path, &n1);
	assert_non_null(b1);

	/* Opening again migrates nothing and writes nothing. */
	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM schema_version"),
	    MM_DB_SCHEMA);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM metrics"), 1);
	/* A second connection at the same time is no different. */
	assert_int_equal(mm_db_open(&db2, f->path, &err), 0);
	assert_int_equal(q_int(db2.h, "SELECT count(*) FROM schema_version"),
	    MM_DB_SCHEMA);
	mm_db_close(&db2);
	mm_db_close(&db);
	b2 = slurp(f->path, &n2);
	assert_non_null(b2);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	free(b1);
	free(b2);
	assert_int_equal(err.code, 0);
}

/* Make path a database that a future mm (schema 4) wrote. */
static void
make_newer(const char *path)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE TABLE schema_version ("
	    "version INTEGER NOT NULL, applied_at REAL NOT NULL);"
	    "INSERT INTO schema_version VALUES (1, 0), (2, 0), (3, 0), "
	    "(4, 0), (5, 0);"
	    "CREATE TABLE future (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void
test_newer_schema(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	size_t n1, n2;
	char *b1, *b2;

	/* In rollback-journal mode: switching it to WAL would show. */
	snprintf(f->path, sizeof(f->path), "%s/newer.db", f->top);
	make_newer(f->path);
	b1 = slurp(f->path, &n1);
	assert_non_null(b1);
	assert_int_equal(mm_db_open(&db, f->path, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.where, f->path);
	assert_string_equal(err.msg, "database schema 5 is newer than this mm "
	    "knows (4); upgrade mm");
	assert_null(db.h);
	assert_null(db.path);
	b2 = slurp(f->path, &n2);
	assert_non_null(b2);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	assert_false(exists(plus(f->path, "-wal")));
	assert_false(exists(plus(f->path, "-journal")));
	free(b1);
	free(b2);
}

static void
test_not_a_database(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	const char *text = "batch_id,ts,accuracy\nb1,1764140000,0.9\n"
	    "this is a CSV file, not SQLite, and long enough to have a "
	    "header of a hundred bytes or more.\n";
	size_t n;
	char *b;

	snprintf(f->path, sizeof(f->path), "%s/metrics.csv", f->top);
	put(f->path, text);
	assert_int_equal(mm_db_open(&db, f->path, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_string_equal(err.where, f->path);
	assert_string_equal(err.msg, "database error: not an SQLite database");
	assert_null(db.h);
	b = slurp(f->path, &n);
	assert_non_null(b);
	assert_int_equal(n, strlen(text));
	assert_memory_equal(b, text, n);
	free(b);
	assert_false(exists(plus(f->path, "-wal")));
	assert_false(exists(plus(f->path, "-shm")));
	assert_false(exists(plus(f->path, "-journal")));
}

static void
test_open_errors(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	char file[320], want[512];

	/* A directory cannot be made under a regular file. */
	snprintf(file, sizeof(file), "%s/file", f->top);
	put(file, "x\n");
	snprintf(f->path, sizeof(f->path), "%s/sub/m.db", file);
	assert_int_equal(mm_db_open(&db, f->path, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	snprintf(want, sizeof(want), "cannot create directory '%s/sub': "
	    "Not a directory", file);
	assert_string_equal(err.msg, want);
	assert_null(db.h);

	/* A directory is no database. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_db_open(&db, f->top, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_string_equal(err.where, f->top);
	assert_null(db.h);
}

static void
test_transactions(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db, db2;
	const char *ins = "INSERT INTO metrics (batch_id, ts, recorded_at) "
	    "VALUES ('b1', 1, 2)";

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);

	/* Rolled back: gone. */
	assert_int_equal(mm_db_begin(&db, &err), 0);
	assert_int_equal(sqlite3_get_autocommit(db.h), 0);
	assert_int_equal(mm_db_exec(&db, ins, &err), 0);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM metrics"), 1);
	mm_db_rollback(&db);
	assert_int_equal(sqlite3_get_autocommit(db.h), 1);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM metrics"), 0);
	/* Rollback outside a transaction does nothing. */
	mm_db_rollback(&db);

	/* Committed: there, for other connections too. */
	assert_int_equal(mm_db_begin(&db, &err), 0);
	assert_int_equal(mm_db_exec(&db, ins, &err), 0);
	assert_int_equal(mm_db_commit(&db, &err), 0);
	assert_int_equal(sqlite3_get_autocommit(db.h), 1);
	assert_int_equal(mm_db_open(&db2, f->path, &err), 0);
	assert_int_equal(q_int(db2.h, "SELECT count(*) FROM metrics"), 1);

	/* BEGIN IMMEDIATE takes the write lock at once. */
	assert_int_equal(mm_db_begin(&db, &err), 0);
	sqlite3_busy_timeout(db2.h, 0);
	assert_int_equal(mm_db_begin(&db2, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_string_equal(err.where, f->path);
	assert_string_equal(err.msg, "database error: database is locked");
	/* Readers still read. */
	assert_int_equal(q_int(db2.h, "SELECT count(*) FROM metrics"), 1);

	/* No nesting; no commit without a transaction. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_db_begin(&db, &err), -1);
	assert_string_equal(err.msg, "database error: cannot start a "
	    "transaction within a transaction");
	mm_db_rollback(&db);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_db_commit(&db, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_string_equal(err.msg, "database error: cannot commit - no "
	    "transaction is active");
	mm_db_close(&db2);
	mm_db_close(&db);
}

static void
test_exec_prepare(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	struct mm_stmt *st;

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	st = mm_db_prepare(&db, "SELECT count(*) FROM metrics", &err);
	assert_non_null(st);
	assert_int_equal(mm_step(st), MM_ROW);
	assert_int_equal(mm_col_int64(st, 0), 0);
	assert_int_equal(mm_step(st), MM_DONE);
	mm_finalize(st);
	assert_null(mm_db_prepare(&db, "SELECT * FROM nope", &err));
	assert_int_equal(err.code, MM_ESYS);
	assert_string_equal(err.where, f->path);
	assert_string_equal(err.msg, "database error: no such table: nope");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_db_exec(&db, "DELETE FROM nope", &err), -1);
	assert_string_equal(err.msg, "database error: no such table: nope");
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_db_err(&db, &err, "cannot frob"), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_string_equal(err.msg, "cannot frob: no such table: nope");
	mm_db_close(&db);
}

/* exec sql, which must fail with a constraint: its message. */
static const char *
violates(struct mm_db *db, const char *sql, int code)
{
	static struct mm_err err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_db_exec(db, sql, &err), -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_int_equal(sqlite3_extended_errcode(db->h), code);
	return err.msg;
}

static void
test_tables(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_string_equal(q_text(db.h, "SELECT name FROM sqlite_master "
	    "WHERE type = 'table' ORDER BY name"), "alert_state "
	    "decision_history drift_counts evidence_batch metrics "
	    "metrics_summary metrics_summary_history retrain_snapshots "
	    "schema_version");
	assert_string_equal(q_text(db.h, "SELECT name FROM sqlite_master "
	    "WHERE type = 'view'"), "evidence");
	assert_string_equal(q_text(db.h, "SELECT tbl_name || '.' || name "
	    "FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
	    "ORDER BY name"), "decision_history.decision_history_ts "
	    "drift_counts.drift_counts_ref_ts "
	    "metrics_summary_history.metrics_summary_history_ts "
	    "metrics.metrics_ts metrics.metrics_version_ts");
	/* Windows select counts by reference, then time. */
	assert_string_equal(q_text(db.h, "SELECT name FROM "
	    "pragma_index_info('drift_counts_ref_ts') ORDER BY seqno"),
	    "ref ts");
	/* The drift object as graded, beside the numbers. */
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM pragma_table_info"
	    "('metrics') WHERE name = 'drift' AND type = 'TEXT'"), 1);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM pragma_table_info"
	    "('metrics_summary') WHERE name = 'drift'"), 1);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM pragma_table_info"
	    "('metrics_summary_history') WHERE name = 'drift'"), 1);
	/* Each batch's confusion counts, as JSON text. */
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM pragma_table_info"
	    "('metrics') WHERE name = 'confusion' AND type = 'TEXT'"), 1);
	/* A summary says whose batches it covers, with their counts. */
	assert_string_equal(q_text(db.h, "SELECT name || ':' || type FROM "
	    "pragma_table_info('metrics_summary') WHERE name IN "
	    "('model_version', 'n_samples', 'confusion') ORDER BY cid"),
	    "model_version:TEXT n_samples:INTEGER confusion:TEXT");
	assert_string_equal(q_text(db.h, "SELECT name || ':' || type FROM "
	    "pragma_table_info('metrics_summary_history') WHERE name IN "
	    "('model_version', 'n_samples', 'confusion') ORDER BY cid"),
	    "model_version:TEXT n_samples:INTEGER confusion:TEXT");
	/*
	 * Windows select batches by time, or by version and then time; both
	 * indexes cover what a window sums.
	 */
	assert_string_equal(q_text(db.h, "SELECT name FROM "
	    "pragma_index_info('metrics_ts') ORDER BY seqno"), "ts n_samples "
	    "avg_confidence latency_ms confusion");
	assert_string_equal(q_text(db.h, "SELECT name FROM "
	    "pragma_index_info('metrics_version_ts') ORDER BY seqno"),
	    "model_version ts n_samples avg_confidence latency_ms confusion");
	assert_string_equal(plan(db.h, "SELECT id, n_samples, "
	    "avg_confidence, latency_ms, confusion FROM metrics WHERE "
	    "model_version = 'v' AND ts > 0 AND ts <= 1"),
	    "SEARCH metrics USING COVERING INDEX metrics_version_ts "
	    "(model_version=? AND ts>? AND ts<?)");
	assert_string_equal(plan(db.h, "SELECT id, n_samples, "
	    "avg_confidence, latency_ms, confusion FROM metrics WHERE "
	    "ts > 0 AND ts <= 1"),
	    "SEARCH metrics USING COVERING INDEX metrics_ts (ts>? AND ts<?)");

	/* metrics: one row per batch_id. */
	assert_int_equal(mm_db_exec(&db, "INSERT INTO metrics (batch_id, ts, "
	    "recorded_at) VALUES ('b1', 1, 2)", &err), 0);
	assert_string_equal(violates(&db, "INSERT INTO metrics (batch_id, ts, "
	    "recorded_at) VALUES ('b1', 3, 4)", SQLITE_CONSTRAINT_UNIQUE),
	    "database error: UNIQUE constraint failed: metrics.batch_id");
	assert_string_equal(violates(&db, "INSERT INTO metrics (batch_id, "
	    "recorded_at) VALUES ('b2', 4)", SQLITE_CONSTRAINT_NOTNULL),
	    "database error: NOT NULL constraint failed: metrics.ts");
	assert_int_equal(mm_db_exec(&db, "INSERT OR IGNORE INTO metrics "
	    "(batch_id, ts, recorded_at) VALUES ('b1', 5, 6)", &err), 0);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM metrics"), 1);
	assert_int_equal(q_int(db.h, "SELECT ts FROM metrics"), 1);

	/* evidence: one row per batch_id, seen a row a labelled row. */
	assert_int_equal(mm_db_exec(&db, "INSERT INTO evidence_batch (id, "
	    "batch_id, ts, names, n_rows, rows, labels, features) VALUES "
	    "(2, 'b1', 1, 'f0', 2, '[0,3]', '[1,0]', x'0102')", &err), 0);
	assert_string_equal(violates(&db, "INSERT INTO evidence_batch (id, "
	    "batch_id, ts, names, n_rows, rows, labels, features) VALUES "
	    "(3, 'b1', 1, 'f0', 1, '[0]', '[1]', x'00')",
	    SQLITE_CONSTRAINT_UNIQUE), "database error: UNIQUE constraint "
	    "failed: evidence_batch.batch_id");
	assert_string_equal(q_text(db.h, "SELECT id || ' ' || batch_id || ' ' "
	    "|| row_index || ' ' || ts || ' ' || names || ' ' || hex(features) "
	    "|| ' ' || label FROM evidence ORDER BY id"), "1 b1 0 1.0 f0 01 1 "
	    "2 b1 3 1.0 f0 02 0");

	/* metrics_summary: one row per window; the history appends. */
	assert_int_equal(mm_db_exec(&db, "INSERT INTO metrics_summary (window, "
	    "ts, n_batches, updated_at) VALUES ('5m', 1, 1, 1)", &err), 0);
	assert_string_equal(violates(&db, "INSERT INTO metrics_summary "
	    "(window, ts, n_batches, updated_at) VALUES ('5m', 2, 2, 2)",
	    SQLITE_CONSTRAINT_PRIMARYKEY), "database error: UNIQUE "
	    "constraint failed: metrics_summary.window");
	assert_int_equal(mm_db_exec(&db, "INSERT INTO metrics_summary_history "
	    "(window, ts, n_batches, created_at) VALUES ('5m', 1, 1, 1), "
	    "('5m', 1, 1, 1)", &err), 0);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM "
	    "metrics_summary_history"), 2);

	/* decision_history appends. */
	assert_int_equal(mm_db_exec(&db, "INSERT INTO decision_history (ts, "
	    "source, action, reason, metadata, created_at) VALUES "
	    "(1, 'b1', 'none', '', '{}', 1), (1, 'b1', 'none', '', '{}', 1)",
	    &err), 0);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM decision_history"),
	    2);

	/* retrain_snapshots: one row per key, a known status. */
	assert_int_equal(mm_db_exec(&db, "INSERT INTO retrain_snapshots (key, "
	    "status, n_rows, max_evidence_id, created_at, updated_at) VALUES "
	    "('k1', 'pending', 1000, 7, 1, 1)", &err), 0);
	assert_string_equal(violates(&db, "INSERT INTO retrain_snapshots (key, "
	    "status, n_rows, max_evidence_id, created_at, updated_at) VALUES "
	    "('k1', 'executed', 1000, 7, 2, 2)", SQLITE_CONSTRAINT_UNIQUE),
	    "database error: UNIQUE constraint failed: retrain_snapshots.key");
	violates(&db, "INSERT INTO retrain_snapshots (key, status, n_rows, "
	    "max_evidence_id, created_at, updated_at) VALUES "
	    "('k2', 'done', 1000, 7, 2, 2)", SQLITE_CONSTRAINT_CHECK);

	/* drift_counts: one row per batch_id, every column but the version. */
	assert_int_equal(mm_db_exec(&db, "INSERT INTO drift_counts (batch_id, "
	    "ts, ref, model_version, n, counts) VALUES "
	    "('b1', 1, 'r', NULL, 2, '{\"f0\":[1,1]}')", &err), 0);
	assert_string_equal(violates(&db, "INSERT INTO drift_counts (batch_id, "
	    "ts, ref, n, counts) VALUES ('b1', 2, 'r', 2, '{}')",
	    SQLITE_CONSTRAINT_UNIQUE), "database error: UNIQUE constraint "
	    "failed: drift_counts.batch_id");
	assert_string_equal(violates(&db, "INSERT INTO drift_counts (batch_id, "
	    "ts, n, counts) VALUES ('b2', 2, 2, '{}')",
	    SQLITE_CONSTRAINT_NOTNULL), "database error: NOT NULL "
	    "constraint failed: drift_counts.ref");
	violates(&db, "INSERT INTO drift_counts (batch_id, ts, ref, n) VALUES "
	    "('b2', 2, 'r', 2)", SQLITE_CONSTRAINT_NOTNULL);

	/* alert_state: one row per key. */
	assert_int_equal(mm_db_exec(&db, "INSERT INTO alert_state VALUES "
	    "('a', 1)", &err), 0);
	violates(&db, "INSERT INTO alert_state VALUES ('a', 2)",
	    SQLITE_CONSTRAINT_PRIMARYKEY);
	mm_db_close(&db);
}

/* SQL that takes a database of schema 4 back to what 3 was. */
static const char undo_4[] =
    "DROP VIEW evidence;"
    "DROP TABLE evidence_batch;"
    "CREATE TABLE evidence ("
    "  id INTEGER PRIMARY KEY,"
    "  batch_id TEXT NOT NULL,"
    "  row_index INTEGER NOT NULL,"
    "  ts REAL NOT NULL,"
    "  names TEXT NOT NULL,"
    "  features BLOB NOT NULL,"
    "  label INTEGER NOT NULL,"
    "  UNIQUE (batch_id, row_index));"
    "DELETE FROM schema_version WHERE version = 4;";

/* SQL that takes a database of schema 3 back to what 2 was. */
static const char undo_3[] =
    "DROP INDEX metrics_version_ts;"
    "DROP INDEX metrics_ts;"
    "CREATE INDEX metrics_ts ON metrics(ts, accuracy, f1, avg_confidence,"
    "  latency_ms, drift_score);"
    "ALTER TABLE metrics DROP COLUMN confusion;"
    "ALTER TABLE metrics_summary DROP COLUMN model_version;"
    "ALTER TABLE metrics_summary DROP COLUMN n_samples;"
    "ALTER TABLE metrics_summary DROP COLUMN confusion;"
    "ALTER TABLE metrics_summary_history DROP COLUMN model_version;"
    "ALTER TABLE metrics_summary_history DROP COLUMN n_samples;"
    "ALTER TABLE metrics_summary_history DROP COLUMN confusion;"
    "DELETE FROM schema_version WHERE version = 3;";

/*
 * Schema 3 kept a row of evidence a labelled row.  Each batch's rows
 * become one row of evidence_batch numbered by its last row, and the
 * view shows every row as it was: its id, index, values and label, a
 * label that is not a class among them, and a batch the cap had cut.
 */
static void
test_migrate_from_3(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	static const char rows[] = "SELECT id || ' ' || batch_id || ' ' || "
	    "row_index || ' ' || ts || ' ' || names || ' ' || hex(features) || "
	    "' ' || quote(label) FROM evidence ORDER BY id";
	char *before;

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_int_equal(mm_db_exec(&db, undo_4, &err), 0);
	assert_int_equal(mm_db_exec(&db, "INSERT INTO evidence (id, batch_id, "
	    "row_index, ts, names, features, label) VALUES "
	    "(3, 'b1', 2, 10, 'a,b', x'0102', 1),"
	    "(4, 'b1', 5, 10, 'a,b', x'0304', 'one'),"
	    "(5, 'b2', 0, 20, 'a,b', x'0506', 0),"
	    "(6, 'b2', 1, 20, 'a,b', x'0708', 1.5),"
	    "(7, 'b2', 2, 20, 'a,b', x'090a', 2),"
	    "(8, 'b3', 0, 30, 'c', x'0b', 999)", &err), 0);
	before = mm_xstrdup(q_text(db.h, rows));
	mm_db_close(&db);
	assert_string_equal(before, "3 b1 2 10.0 a,b 0102 1 4 b1 5 10.0 a,b "
	    "0304 'one' 5 b2 0 20.0 a,b 0506 0 6 b2 1 20.0 a,b 0708 1.5 "
	    "7 b2 2 20.0 a,b 090A 2 8 b3 0 30.0 c 0B 999");

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_string_equal(q_text(db.h, "SELECT version FROM schema_version "
	    "ORDER BY version"), "1 2 3 4");
	assert_string_equal(q_text(db.h, "SELECT id || ' ' || batch_id || ' ' "
	    "|| ts || ' ' || names || ' ' || n_rows || ' ' || rows || ' ' || "
	    "labels || ' ' || hex(features) FROM evidence_batch ORDER BY id"),
	    "4 b1 10.0 a,b 2 [2,5] [1,\"one\"] 01020304 "
	    "7 b2 20.0 a,b 3 [0,1,2] [0,1.5,2] 05060708090A "
	    "8 b3 30.0 c 1 [0] [999] 0B");
	assert_string_equal(q_text(db.h, rows), before);
	assert_int_equal(sqlite3_get_autocommit(db.h), 1);
	mm_db_close(&db);
	free(before);
	assert_int_equal(err.code, 0);
}

/*
 * A database of schema 1 (made by taking a new one back) is migrated
 * forward on open, in one step, keeping its rows.
 */
static void
test_migrate_from_1(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_int_equal(mm_db_exec(&db, "INSERT INTO metrics (batch_id, ts, "
	    "drift_score, recorded_at) VALUES ('b1', 1, 0.25, 2);"
	    "INSERT INTO metrics_summary (window, ts, n_batches, updated_at) "
	    "VALUES ('5m', 1, 1, 1);", &err), 0);
	assert_int_equal(mm_db_exec(&db, undo_4, &err), 0);
	assert_int_equal(mm_db_exec(&db, undo_3, &err), 0);
	assert_int_equal(mm_db_exec(&db, "DROP TABLE drift_counts;"
	    "ALTER TABLE metrics DROP COLUMN drift;"
	    "ALTER TABLE metrics_summary DROP COLUMN drift;"
	    "ALTER TABLE metrics_summary_history DROP COLUMN drift;"
	    "DELETE FROM schema_version WHERE version = 2", &err), 0);
	mm_db_close(&db);

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_string_equal(q_text(db.h, "SELECT version FROM schema_version "
	    "ORDER BY version"), "1 2 3 4");
	assert_string_equal(q_text(db.h, "SELECT batch_id || ' ' || "
	    "drift_score || ' ' || coalesce(drift, 'NULL') || ' ' || "
	    "coalesce(confusion, 'NULL') FROM metrics"), "b1 0.25 NULL NULL");
	assert_string_equal(q_text(db.h, "SELECT window || ' ' || "
	    "coalesce(drift, 'NULL') FROM metrics_summary"), "5m NULL");
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM drift_counts"), 0);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 'drift_counts_ref_ts'"), 1);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 'metrics_version_ts'"), 1);
	assert_int_equal(sqlite3_get_autocommit(db.h), 1);
	mm_db_close(&db);
	assert_int_equal(err.code, 0);
}

/*
 * A database of schema 2 gets the confusion column, the window indexes
 * and the summaries' new columns, all NULL in the rows it had.
 */
static void
test_migrate_from_2(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_int_equal(mm_db_exec(&db, undo_4, &err), 0);
	assert_int_equal(mm_db_exec(&db, undo_3, &err), 0);
	assert_int_equal(mm_db_exec(&db, "INSERT INTO metrics (batch_id, ts, "
	    "model_version, n_samples, accuracy, f1, recorded_at, drift) "
	    "VALUES ('b1', 1, 'v1', 8, 0.5, 0.25, 2, '{}');"
	    "INSERT INTO metrics_summary (window, ts, n_batches, accuracy, "
	    "updated_at) VALUES ('5m', 1, 1, 0.5, 1);"
	    "INSERT INTO metrics_summary_history (window, ts, n_batches, "
	    "accuracy, created_at) VALUES ('5m', 1, 1, 0.5, 1);", &err), 0);
	assert_string_equal(q_text(db.h, "SELECT version FROM schema_version "
	    "ORDER BY version"), "1 2");
	mm_db_close(&db);

	assert_int_equal(mm_db_open(&db, f->path, &err), 0);
	assert_string_equal(q_text(db.h, "SELECT version FROM schema_version "
	    "ORDER BY version"), "1 2 3 4");
	assert_string_equal(q_text(db.h, "SELECT batch_id || ' ' || "
	    "model_version || ' ' || n_samples || ' ' || accuracy || ' ' || "
	    "f1 || ' ' || drift || ' ' || coalesce(confusion, 'NULL') FROM "
	    "metrics"), "b1 v1 8 0.5 0.25 {} NULL");
	assert_string_equal(q_text(db.h, "SELECT window || ' ' || accuracy || "
	    "' ' || coalesce(model_version, 'NULL') || ' ' || "
	    "coalesce(n_samples, 'NULL') || ' ' || coalesce(confusion, "
	    "'NULL') FROM metrics_summary UNION ALL SELECT window || ' ' || "
	    "accuracy || ' ' || coalesce(model_version, 'NULL') || ' ' || "
	    "coalesce(n_samples, 'NULL') || ' ' || coalesce(confusion, "
	    "'NULL') FROM metrics_summary_history"),
	    "5m 0.5 NULL NULL NULL 5m 0.5 NULL NULL NULL");
	/* The indexes are those of a new database. */
	assert_string_equal(q_text(db.h, "SELECT name FROM "
	    "pragma_index_info('metrics_ts') ORDER BY seqno"), "ts n_samples "
	    "avg_confidence latency_ms confusion");
	assert_string_equal(q_text(db.h, "SELECT name FROM "
	    "pragma_index_info('metrics_version_ts') ORDER BY seqno"),
	    "model_version ts n_samples avg_confidence latency_ms confusion");
	/* The row it had is found by version. */
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM metrics WHERE "
	    "model_version = 'v1' AND ts > 0 AND ts <= 1"), 1);
	assert_int_equal(sqlite3_get_autocommit(db.h), 1);
	mm_db_close(&db);
	assert_int_equal(err.code, 0);
}

struct holder {
	sqlite3 *h;
	int ms;			/* how long release_later holds on */
};

static void *
release_later(void *arg)
{
	struct holder *hd = arg;

	usleep((useconds_t)hd->ms * 1000);
	/*
	 * The opener may hold a read lock just then: wait for it, as a
	 * writer would, rather than leave the transaction open for good.
	 */
	sqlite3_busy_timeout(hd->h, 10000);
	sqlite3_exec(hd->h, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

static void
test_wal_waits(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	struct holder hd;
	pthread_t t;

	/*
	 * An empty file under another connection's first write
	 * transaction, as while another process creates the schema: the
	 * switch to WAL waits for it instead of failing "database is
	 * locked".
	 */
	snprintf(f->path, sizeof(f->path), "%s/new.db", f->top);
	put(f->path, "");
	assert_int_equal(sqlite3_open(f->path, &hd.h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(hd.h, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	hd.ms = 300;
	assert_int_equal(pthread_create(&t, NULL, release_later, &hd), 0);
	if (mm_db_open(&db, f->path, &err) < 0)
		fail_msg("mm_db_open: %s", err.msg);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_string_equal(q_text(db.h, "PRAGMA journal_mode"), "wal");
	assert_int_equal(q_int(db.h, "SELECT max(version) FROM "
	    "schema_version"), MM_DB_SCHEMA);
	mm_db_close(&db);
	sqlite3_close(hd.h);
}

/*
 * Another writer's lock is waited for until it is let go, and for
 * MM_DB_TIMEOUT at most, by the clock.
 */
static void
test_busy_waits(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	struct holder hd;
	pthread_t t;
	double took, t0;

	if (mm_db_open(&db, f->path, &err) < 0)
		fail_msg("mm_db_open: %s", err.msg);
	assert_int_equal(sqlite3_open(f->path, &hd.h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(hd.h, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	hd.ms = 200;
	assert_int_equal(pthread_create(&t, NULL, release_later, &hd), 0);
	t0 = mm_monotonic();
	assert_int_equal(sqlite3_exec(db.h, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	took = mm_monotonic() - t0;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(took >= 0.19);
	assert_true(took < 5);
	assert_int_equal(sqlite3_exec(db.h, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	mm_db_close(&db);

	/* Held for good: MM_DB_TIMEOUT's 0.3 s, then "database is locked". */
	setenv("MM_DB_TIMEOUT", "0.3", 1);
	if (mm_db_open(&db, f->path, &err) < 0)
		fail_msg("mm_db_open: %s", err.msg);
	unsetenv("MM_DB_TIMEOUT");
	assert_int_equal(db.wait_ms, 300);
	assert_int_equal(sqlite3_exec(hd.h, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	t0 = mm_monotonic();
	assert_int_equal(sqlite3_exec(db.h, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_BUSY);
	took = mm_monotonic() - t0;
	assert_true(took >= 0.29);
	assert_true(took < 5);
	assert_int_equal(sqlite3_exec(hd.h, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	mm_db_close(&db);
	sqlite3_close(hd.h);
}

/*
 * mm_db_checkpoint_behind: commits that fill the WAL past 1000 pages
 * are copied into the database by the thread, the connection still
 * open and idle; every row is there after, and the file sound.
 */
static void
test_checkpoint_behind(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	struct stat st;
	int i, waited;

	if (mm_db_open(&db, f->path, &err) < 0)
		fail_msg("mm_db_open: %s", err.msg);
	assert_int_equal(mm_db_checkpoint_behind(&db, &err), 0);
	assert_non_null(db.ckpt);
	/* A second call changes nothing. */
	assert_int_equal(mm_db_checkpoint_behind(&db, &err), 0);
	assert_int_equal(sqlite3_exec(db.h, "CREATE TABLE b (x BLOB)", NULL,
	    NULL, NULL), SQLITE_OK);
	for (i = 0; i < 400; i++)
		assert_int_equal(sqlite3_exec(db.h, "INSERT INTO b VALUES "
		    "(randomblob(12000))", NULL, NULL, NULL), SQLITE_OK);
	/* 400 rows of 3 pages: at least 1000 pages copied back. */
	for (waited = 0; waited < 10000; waited += 10) {
		assert_int_equal(stat(f->path, &st), 0);
		if (st.st_size >= 1000 * 4096)
			break;
		usleep(10 * 1000);
	}
	assert_true(st.st_size >= 1000 * 4096);
	mm_db_close(&db);
	assert_null(db.ckpt);
	if (mm_db_open(&db, f->path, &err) < 0)
		fail_msg("mm_db_open: %s", err.msg);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM b"), 400);
	assert_string_equal(q_text(db.h, "PRAGMA integrity_check"), "ok");
	mm_db_close(&db);
}

/*
 * Past 1000 pages the thread is asked once each 1000 pages the log
 * grows by, not at each commit: 300 commits of a row each, behind a log
 * of some 1200 pages, ask it a few times at most.
 */
static void
test_checkpoint_paced(void **state)
{
	struct fix *f = *state;
	struct mm_err err = { 0 };
	struct mm_db db;
	long before;
	int i;

	if (mm_db_open(&db, f->path, &err) < 0)
		fail_msg("mm_db_open: %s", err.msg);
	assert_int_equal(mm_db_checkpoint_behind(&db, &err), 0);
	assert_int_equal(mm_db_checkpoints_asked(&db), 0);
	assert_int_equal(sqlite3_exec(db.h, "CREATE TABLE b (x BLOB); "
	    "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	    "FROM n WHERE i < 400) INSERT INTO b SELECT randomblob(12000) "
	    "FROM n; COMMIT", NULL, NULL, NULL), SQLITE_OK);
	before = mm_db_checkpoints_asked(&db);
	assert_int_equal(before, 1);
	for (i = 0; i < 300; i++)
		assert_int_equal(sqlite3_exec(db.h, "INSERT INTO b VALUES "
		    "(randomblob(100))", NULL, NULL, NULL), SQLITE_OK);
	assert_true(mm_db_checkpoints_asked(&db) - before <= 3);
	mm_db_close(&db);
	if (mm_db_open(&db, f->path, &err) < 0)
		fail_msg("mm_db_open: %s", err.msg);
	assert_int_equal(q_int(db.h, "SELECT count(*) FROM b"), 700);
	assert_string_equal(q_text(db.h, "PRAGMA integrity_check"), "ok");
	mm_db_close(&db);
}

/*
 * A column bound as one parameter (sql.h): PostgreSQL's binary array,
 * byte for byte; SQLite, which has none, gets NULL.
 */
static void
test_array_bytes(void **state)
{
	static const unsigned char want[] = {
		0, 0, 0, 1,	0, 0, 0, 1,	0, 0, 0, 20,	/* int8 */
		0, 0, 0, 3,	0, 0, 0, 1,
		0, 0, 0, 8,	0, 0, 0, 0, 0, 0, 1, 2,
		0xff, 0xff, 0xff, 0xff,
		0, 0, 0, 8,	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	};
	static const unsigned char text[] = {
		0, 0, 0, 1,	0, 0, 0, 0,	0, 0, 0, 25,
		0, 0, 0, 2,	0, 0, 0, 1,
		0, 0, 0, 2,	'a', 'b',	0, 0, 0, 0,
	};
	struct mm_arr a;
	double one = 1.0;
	unsigned char be[8];
	uint64_t bits;
	int i;

	(void)state;
	mm_arr_init(&a, MM_INTEGER);
	mm_arr_int64(&a, 7);
	assert_int_equal(a.count, 1);
	/* Reset, it holds nothing but the room for its header. */
	mm_arr_reset(&a);
	assert_int_equal(a.count, 0);
	assert_int_equal(a.n, 20);
	mm_arr_int64(&a, 258);
	mm_arr_null(&a);
	mm_arr_int64(&a, -2);
	assert_int_equal(a.n, sizeof(want));
	{
		/* As mm_bind_arr writes it. */
		struct mm_db db;
		struct mm_err err = { 0 };
		struct mm_stmt *st;
		char path[] = "/tmp/mm-test-arr.XXXXXX";
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		close(fd);
		unlink(path);
		assert_int_equal(mm_db_open(&db, path, &err), 0);
		st = mm_db_prepare(&db, "SELECT ?1 IS NULL", &err);
		assert_non_null(st);
		mm_bind_arr(st, 1, &a);
		assert_memory_equal(a.p, want, sizeof(want));
		assert_int_equal(mm_step(st), MM_ROW);
		assert_int_equal(mm_col_int(st, 0), 1);
		mm_finalize(st);
		mm_db_close(&db);
		unlink(path);
	}
	mm_arr_release(&a);

	mm_arr_init(&a, MM_TEXT);
	mm_arr_bytes(&a, "ab", -1);
	assert_int_equal(a.last, 24);
	mm_arr_bytes(&a, "", 0);
	assert_int_equal(a.n, sizeof(text));
	assert_memory_equal(a.p + 20, text + 20, sizeof(text) - 20);
	mm_arr_release(&a);

	/* A double goes as its bits, most significant byte first. */
	mm_arr_init(&a, MM_FLOAT);
	mm_arr_double(&a, one);
	memcpy(&bits, &one, sizeof(bits));
	for (i = 0; i < 8; i++)
		be[i] = (unsigned char)(bits >> (56 - 8 * i));
	assert_memory_equal(a.p + 24, be, 8);
	mm_arr_release(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_array_bytes),
		cmocka_unit_test_setup_teardown(test_open_fresh, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_prepare, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_1, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_2, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_3, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_paced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_busy_waits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_waits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_behind, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
