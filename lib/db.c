#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "pg.h"
#include "json_write.h"
#include "store.h"

/* Migration N takes the schema from N-1 to N.  Never edit one; add. */
static const char *const migrations[] = {
	NULL,
	/* 1: the first schema. */
	"CREATE TABLE metrics ("
	"  id INTEGER PRIMARY KEY,"
	"  batch_id TEXT NOT NULL UNIQUE,"
	"  ts REAL NOT NULL,"
	"  model_version TEXT,"
	"  n_samples INTEGER,"
	"  n_labelled INTEGER,"
	"  accuracy REAL,"
	"  f1 REAL,"
	"  avg_confidence REAL,"
	"  latency_ms REAL,"
	"  drift_score REAL,"
	"  drift_status TEXT,"
	"  psi TEXT,"
	"  p_value TEXT,"
	"  trust_score REAL,"
	"  recorded_at REAL NOT NULL);"
	"CREATE INDEX metrics_ts ON metrics(ts, accuracy, f1, avg_confidence,"
	"  latency_ms, drift_score);"
	"CREATE TABLE evidence ("
	"  id INTEGER PRIMARY KEY,"
	"  batch_id TEXT NOT NULL,"
	"  row_index INTEGER NOT NULL,"
	"  ts REAL NOT NULL,"
	"  names TEXT NOT NULL,"
	"  features BLOB NOT NULL,"
	"  label INTEGER NOT NULL,"
	"  UNIQUE (batch_id, row_index));"
	"CREATE TABLE metrics_summary ("
	"  window TEXT PRIMARY KEY,"
	"  ts REAL NOT NULL,"
	"  n_batches INTEGER NOT NULL,"
	"  accuracy REAL, f1 REAL, avg_confidence REAL, latency_ms REAL,"
	"  drift_score REAL,"
	"  updated_at REAL NOT NULL);"
	"CREATE TABLE metrics_summary_history ("
	"  id INTEGER PRIMARY KEY,"
	"  window TEXT NOT NULL,"
	"  ts REAL NOT NULL,"
	"  n_batches INTEGER NOT NULL,"
	"  accuracy REAL, f1 REAL, avg_confidence REAL, latency_ms REAL,"
	"  drift_score REAL,"
	"  created_at REAL NOT NULL);"
	"CREATE INDEX metrics_summary_history_ts"
	"  ON metrics_summary_history(window, ts);"
	"CREATE TABLE decision_history ("
	"  id INTEGER PRIMARY KEY,"
	"  ts REAL NOT NULL,"
	"  source TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  metadata TEXT NOT NULL,"
	"  exec_status TEXT,"
	"  exec_detail TEXT,"
	"  model_version TEXT,"
	"  created_at REAL NOT NULL);"
	"CREATE INDEX decision_history_ts ON decision_history(ts);"
	"CREATE TABLE retrain_snapshots ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  status TEXT NOT NULL CHECK (status IN"
	"    ('pending', 'executed', 'skipped', 'failed')),"
	"  n_rows INTEGER NOT NULL,"
	"  max_evidence_id INTEGER NOT NULL,"
	"  version TEXT,"
	"  detail TEXT,"
	"  created_at REAL NOT NULL,"
	"  updated_at REAL NOT NULL);"
	"CREATE TABLE alert_state ("
	"  key TEXT PRIMARY KEY,"
	"  last_ts REAL NOT NULL);",
	/*
	 * 2: drift as mm-psi grades it (the drift object without its
	 * counts), and each batch's bin counts, which windows sum.
	 */
	"ALTER TABLE metrics ADD COLUMN drift TEXT;"
	"ALTER TABLE metrics_summary ADD COLUMN drift TEXT;"
	"ALTER TABLE metrics_summary_history ADD COLUMN drift TEXT;"
	"CREATE TABLE drift_counts ("
	"  id INTEGER PRIMARY KEY,"
	"  batch_id TEXT NOT NULL UNIQUE,"
	"  ts REAL NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  model_version TEXT,"
	"  n INTEGER NOT NULL,"
	"  counts TEXT NOT NULL);"
	"CREATE INDEX drift_counts_ref_ts ON drift_counts(ref, ts);",
	/*
	 * 3: each batch's confusion counts (the JSON text as it came),
	 * which windows sum, and windows of one model version: both window
	 * queries are answered from an index alone.  Summaries say whose
	 * batches they cover, and keep their summed counts.
	 */
	"ALTER TABLE metrics ADD COLUMN confusion TEXT;"
	"DROP INDEX metrics_ts;"
	"CREATE INDEX metrics_ts ON metrics(ts, n_samples, avg_confidence,"
	"  latency_ms, confusion);"
	"CREATE INDEX metrics_version_ts ON metrics(model_version, ts,"
	"  n_samples, avg_confidence, latency_ms, confusion);"
	"ALTER TABLE metrics_summary ADD COLUMN model_version TEXT;"
	"ALTER TABLE metrics_summary ADD COLUMN n_samples INTEGER;"
	"ALTER TABLE metrics_summary ADD COLUMN confusion TEXT;"
	"ALTER TABLE metrics_summary_history ADD COLUMN model_version TEXT;"
	"ALTER TABLE metrics_summary_history ADD COLUMN n_samples INTEGER;"
	"ALTER TABLE metrics_summary_history ADD COLUMN confusion TEXT;",
	/*
	 * 4: evidence as one row a batch (move_evidence below moves the
	 * rows of schema 3 into it).  id numbers rows: it is the number of
	 * the batch's last row in a count of every row ever kept, so a
	 * horizon, a cap and a retrain's max_evidence_id still count rows.
	 * The view evidence shows a row a labelled row, as schema 3 did.
	 */
	"CREATE TABLE evidence_batch ("
	"  id INTEGER PRIMARY KEY,"
	"  batch_id TEXT NOT NULL UNIQUE,"
	"  ts REAL NOT NULL,"
	"  names TEXT NOT NULL,"
	"  n_rows INTEGER NOT NULL,"
	"  rows TEXT NOT NULL,"
	"  labels TEXT NOT NULL,"
	"  features BLOB NOT NULL);",
};

/*
 * The view of evidence_batch a row a labelled row: id (the row's
 * number), batch_id, row_index, ts, names, features, label.
 */
static const char evidence_view[] =
	"CREATE VIEW evidence AS SELECT"
	"  b.id - b.n_rows + 1 + j.key AS id,"
	"  b.batch_id AS batch_id,"
	"  json_extract(b.rows, '$[' || j.key || ']') AS row_index,"
	"  b.ts AS ts,"
	"  b.names AS names,"
	"  substr(b.features, j.key * (length(b.features) / b.n_rows) + 1,"
	"    length(b.features) / b.n_rows) AS features,"
	"  j.value AS label"
	"  FROM evidence_batch b, json_each(b.labels) j";

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])) - 1)
_Static_assert(NMIGRATIONS == MM_DB_SCHEMA, "MM_DB_SCHEMA is not the last "
    "migration");
#define WAIT_MS 10000		/* how long to wait for another writer */
#define WAIT_MAX 86400		/* MM_DB_TIMEOUT's largest, in seconds */

/* MM_DB_TIMEOUT in milliseconds, or WAIT_MS. */
static int
wait_ms(int *ms, struct mm_err *err)
{
	const char *env = getenv("MM_DB_TIMEOUT");
	char *end;
	double v;

	*ms = WAIT_MS;
	if (env == NULL || *env == '\0')
		return 0;
	errno = 0;
	v = strtod(env, &end);
	if (end == env || *end != '\0' || errno != 0 || !(v >= 0) ||
	    v > WAIT_MAX || strspn(env, "0123456789.") != strlen(env))
		return mm_errf(err, MM_EINPUT, 0, "MM_DB_TIMEOUT: '%s' is not "
		    "a number of seconds from 0 to %d", env, WAIT_MAX);
	*ms = (int)(v * 1000 + 0.5);
	return 0;
}

const char *
mm_db_path(const char *path)
{
	const char *env;

	if (path != NULL && *path != '\0')
		return path;
	env = getenv("MM_DB");
	return env != NULL && *env != '\0' ? env : MM_DB_DEFAULT;
}

int
mm_db_is_url(const char *path)
{
	return mm_pg_is_url(path);
}

int
mm_db_remote(const struct mm_db *db)
{
	return db->pg != NULL;
}

char *
mm_db_shown(const char *path)
{
	return mm_pg_is_url(path) ? mm_pg_redact(path) : mm_xstrdup(path);
}

int
mm_db_err(struct mm_db *db, struct mm_err *err, const char *what)
{
	int code;
	const char *msg;

	if (db->pg != NULL)
		return mm_pg_err(db, err, what);
	code = db->h ? sqlite3_extended_errcode(db->h) : SQLITE_ERROR;
	msg = db->h ? sqlite3_errmsg(db->h) : "cannot open";
	if ((code & 0xff) == SQLITE_NOTADB)
		msg = "not an SQLite database";
	/* SQLite's words for these are generic; the system's say why. */
	if (db->h != NULL && sqlite3_system_errno(db->h) != 0 &&
	    ((code & 0xff) == SQLITE_IOERR || (code & 0xff) == SQLITE_FULL)) {
		mm_errf(err, MM_ESYS, 0, "%s: %s (%s)", what, msg,
		    strerror(sqlite3_system_errno(db->h)));
		mm_err_where(err, db->path ? db->path : "");
		return -1;
	}
	mm_errf(err, MM_ESYS, 0, "%s: %s", what, msg);
	mm_err_where(err, db->path ? db->path : "");
	return -1;
}

int
mm_db_exec(struct mm_db *db, const char *sql, struct mm_err *err)
{
	if (db->pg != NULL)
		return mm_pg_exec(db, sql, err);
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return mm_db_err(db, err, "database error");
	return 0;
}

int
mm_db_try_lock(struct mm_db *db, int which, struct mm_err *err)
{
	return db->pg != NULL ? mm_pg_try_lock(db, which, err) : 0;
}

void
mm_db_unlock(struct mm_db *db, int which)
{
	if (db->pg != NULL)
		mm_pg_unlock(db, which);
}

int
mm_db_begin(struct mm_db *db, struct mm_err *err)
{
	if (db->pg != NULL)
		return mm_pg_begin(db, 0, err);
	return mm_db_exec(db, "BEGIN IMMEDIATE", err);
}

int
mm_db_begin_append(struct mm_db *db, struct mm_err *err)
{
	if (db->pg != NULL)
		return mm_pg_begin(db, 1, err);
	return mm_db_exec(db, "BEGIN IMMEDIATE", err);
}

int
mm_db_retryable(const struct mm_db *db)
{
	/* 40P01 deadlock_detected, 40001 serialization_failure. */
	return db->pg != NULL && (strcmp(db->state, "40P01") == 0 ||
	    strcmp(db->state, "40001") == 0);
}

int
mm_db_settle(struct mm_db *db, struct mm_err *err)
{
	return db->pg != NULL ? mm_pg_settle(db, err) : 0;
}

void
mm_db_evidence_top(const struct mm_db *db, const char *n, char *sql,
    size_t size)
{
	if (db->pg != NULL)
		snprintf(sql, size, "mm_evidence_top(%s)", n);
	else	/* One writer at a time: on from the last row kept. */
		snprintf(sql, size, "(SELECT coalesce(max(id), 0) FROM "
		    "evidence_batch) + %s", n);
}

int
mm_db_commit(struct mm_db *db, struct mm_err *err)
{
	return mm_db_exec(db, "COMMIT", err);
}

void
mm_db_rollback(struct mm_db *db)
{
	if (db->pg != NULL) {
		mm_pg_rollback(db);
		return;
	}
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/* Prepare sql on SQLite itself: NULL with err on failure. */
static sqlite3_stmt *
lite_prepare(struct mm_db *db, const char *sql, unsigned flags,
    struct mm_err *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(db->h, sql, -1, flags, &st, NULL) !=
	    SQLITE_OK) {
		mm_db_err(db, err, "database error");
		return NULL;
	}
	return st;
}

static struct mm_stmt *
wrap(sqlite3_stmt *lite)
{
	struct mm_stmt *st;

	if (lite == NULL)
		return NULL;
	st = mm_xcalloc(1, sizeof(*st));
	st->lite = lite;
	return st;
}

struct mm_stmt *
mm_db_prepare(struct mm_db *db, const char *sql, struct mm_err *err)
{
	if (db->pg != NULL)
		return mm_pg_prepare(db, sql, err);
	return wrap(lite_prepare(db, sql, 0, err));
}

struct mm_stmt *
mm_db_cached(struct mm_db *db, const char *sql, struct mm_err *err)
{
	struct mm_stmt *st;
	int i;

	for (i = 0; i < MM_DB_CACHE && db->cache[i].sql != NULL; i++)
		if (db->cache[i].sql == sql) {
			st = db->cache[i].st;
			mm_reset(st);
			mm_clear_bindings(st);
			return st;
		}
	if (i == MM_DB_CACHE) {
		/* Full: the last one makes room (the cache is small). */
		i = MM_DB_CACHE - 1;
		mm_finalize(db->cache[i].st);
		db->cache[i].sql = NULL;
	}
	st = db->pg != NULL ? mm_pg_prepare(db, sql, err) :
	    wrap(lite_prepare(db, sql, SQLITE_PREPARE_PERSISTENT, err));
	if (st == NULL)
		return NULL;
	db->cache[i].sql = sql;
	db->cache[i].st = st;
	return st;
}

int
mm_db_changes(struct mm_db *db)
{
	if (db->pg != NULL)
		return db->changes;
	return sqlite3_changes(db->h);
}

/* Make the directories that will hold path, as mkdir -p does. */
static int
make_parent(const char *path, mode_t mode, struct mm_err *err)
{
	char *dir = mm_xstrdup(path), *p;
	struct stat st;
	int rc = 0;

	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (stat(dir, &st) < 0 && mkdir(dir, mode) < 0 &&
		    errno != EEXIST) {
			mm_errf(err, MM_ESYS, 0, "cannot create directory "
			    "'%s': %s", dir, strerror(errno));
			rc = -1;
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

static int
schema_version(struct mm_db *db, int *v, struct mm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	st = lite_prepare(db, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name = 'schema_version'", 0, err);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return mm_db_err(db, err, "cannot read the schema");
	if (*v == 0)
		return 0;
	st = lite_prepare(db, "SELECT max(version) FROM schema_version", 0,
	    err);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return mm_db_err(db, err, "cannot read the schema");
	return 0;
}

int
mm_db_newer(struct mm_db *db, int v, struct mm_err *err)
{
	mm_errf(err, MM_ESYS, 0, "database schema %d is newer than this mm "
	    "knows (%d); upgrade mm", v, NMIGRATIONS);
	mm_err_where(err, db->path);
	return -1;
}

/* One group of schema 3's evidence rows (a batch's) into evidence_batch. */
static int
put_batch(struct mm_db *db, sqlite3_stmt *ins, sqlite3_int64 id,
    const char *batch_id, double ts, const char *names, json_t *rows,
    json_t *labels, const struct mm_buf *features, struct mm_err *err)
{
	char *r = json_dumps(rows, JSON_COMPACT);
	char *l = json_dumps(labels, JSON_COMPACT);
	int rc;

	if (r == NULL || l == NULL)
		abort();
	sqlite3_bind_int64(ins, 1, id);
	sqlite3_bind_text(ins, 2, batch_id, -1, SQLITE_STATIC);
	sqlite3_bind_double(ins, 3, ts);
	sqlite3_bind_text(ins, 4, names, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 5, (sqlite3_int64)json_array_size(labels));
	sqlite3_bind_text(ins, 6, r, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 7, l, -1, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 8, features->n ? features->p : "",
	    (int)features->n, SQLITE_STATIC);
	rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	free(r);
	free(l);
	return rc == SQLITE_DONE ? 0 : mm_db_err(db, err, "cannot migrate "
	    "evidence");
}

/* A label of schema 3 as the JSON value it is. */
static json_t *
label_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return json_null();
	default:
		return json_stringn_nocheck(
		    (const char *)sqlite3_column_text(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
	}
}

/*
 * Migration 4's moving: schema 3 kept a row of evidence a labelled row,
 * numbered by id, a batch's rows inserted together and so numbered one
 * after another.  Each batch becomes one row of evidence_batch whose id
 * is its last row's, so every row keeps its number.
 */
static int
move_evidence(struct mm_db *db, struct mm_err *err)
{
	sqlite3_stmt *st, *ins = NULL;
	struct mm_buf features;
	json_t *rows = NULL, *labels = NULL;
	char *batch = NULL, *names = NULL;
	sqlite3_int64 last = 0;
	double ts = 0;
	int rc = -1, step;

	st = lite_prepare(db, "SELECT id, batch_id, row_index, ts, names, "
	    "features, label FROM evidence ORDER BY id", 0, err);
	if (st == NULL)
		return -1;
	ins = lite_prepare(db, "INSERT INTO evidence_batch (id, batch_id, "
	    "ts, names, n_rows, rows, labels, features) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8)", 0, err);
	if (ins == NULL)
		goto out;
	mm_buf_init(&features);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *b = (const char *)sqlite3_column_text(st, 1);
		const char *n = (const char *)sqlite3_column_text(st, 4);

		b = b ? b : "";
		n = n ? n : "";
		if (batch != NULL && (strcmp(b, batch) != 0 ||
		    strcmp(n, names) != 0)) {
			if (put_batch(db, ins, last, batch, ts, names, rows,
			    labels, &features, err) < 0)
				goto done;
			free(batch);
			free(names);
			json_decref(rows);
			json_decref(labels);
			batch = NULL;
		}
		if (batch == NULL) {
			batch = mm_xstrdup(b);
			names = mm_xstrdup(n);
			ts = sqlite3_column_double(st, 3);
			rows = json_array();
			labels = json_array();
			mm_buf_reset(&features);
		}
		last = sqlite3_column_int64(st, 0);
		json_array_append_new(rows,
		    json_integer(sqlite3_column_int64(st, 2)));
		json_array_append_new(labels, label_json(st, 6));
		mm_buf_put(&features, sqlite3_column_blob(st, 5),
		    (size_t)sqlite3_column_bytes(st, 5));
	}
	if (step != SQLITE_DONE) {
		mm_db_err(db, err, "cannot migrate evidence");
		goto done;
	}
	if (batch != NULL && put_batch(db, ins, last, batch, ts, names, rows,
	    labels, &features, err) < 0)
		goto done;
	rc = mm_db_exec(db, "DROP TABLE evidence", err);
	if (rc == 0)
		rc = mm_db_exec(db, evidence_view, err);
done:
	mm_buf_release(&features);
	free(batch);
	free(names);
	json_decref(rows);
	json_decref(labels);
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(st);
	return rc;
}

static int
migrate(struct mm_db *db, struct mm_err *err)
{
	sqlite3_stmt *st;
	int v, i;

	if (schema_version(db, &v, err) < 0)
		return -1;
	if (v > NMIGRATIONS)
		return mm_db_newer(db, v, err);
	if (v == NMIGRATIONS)
		return 0;
	if (mm_db_begin(db, err) < 0)
		return -1;
	/* Another process may have migrated while we waited. */
	if (schema_version(db, &v, err) < 0)
		goto fail;
	if (v == 0 && mm_db_exec(db, "CREATE TABLE schema_version ("
	    "version INTEGER NOT NULL, applied_at REAL NOT NULL)", err) < 0)
		goto fail;
	for (i = v + 1; i <= NMIGRATIONS; i++) {
		if (mm_db_exec(db, migrations[i], err) < 0)
			goto fail;
		if (i == 4 && move_evidence(db, err) < 0)
			goto fail;
		st = lite_prepare(db, "INSERT INTO schema_version VALUES "
		    "(?, ?)", 0, err);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int(st, 1, i);
		sqlite3_bind_double(st, 2, (double)time(NULL));
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			mm_db_err(db, err, "cannot migrate");
			goto fail;
		}
		sqlite3_finalize(st);
	}
	return mm_db_commit(db, err);
fail:
	mm_db_rollback(db);
	return -1;
}

/*
 * SQLite's busy handler, for a lock another connection holds: up to
 * wait_ms by the clock, in sleeps that start at 20 us and double to 1 ms.
 * SQLite's own (sqlite3_busy_timeout) sleeps 1 ms at first and then
 * longer, where mm's transactions hold the lock for a tenth of that: in
 * a chain of programs on one file each wait idled the pipeline.
 */
static int
busy_wait(void *arg, int n)
{
	struct mm_db *db = arg;
	double now = mm_monotonic(), left;
	long us = n < 6 ? 20L << n : 1000;

	if (n == 0)
		db->busy_since = now;
	left = db->busy_since + db->wait_ms / 1000.0 - now;
	if (left <= 0)
		return 0;
	if (us > (long)(left * 1e6) + 1)
		us = (long)(left * 1e6) + 1;
	usleep((useconds_t)us);
	return 1;
}

/*
 * Switching a new file to WAL takes an exclusive lock, mostly without
 * calling the busy handler: wait for it here, as long as the busy
 * timeout in all.  The time is the clock's, not the sleeps counted: a
 * try that did call the busy handler has waited already.
 */
static int
set_wal(struct mm_db *db, struct mm_err *err)
{
	double until = mm_monotonic() + db->wait_ms / 1000.0;
	int rc;

	for (;;) {
		rc = sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL,
		    NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || mm_monotonic() >= until)
			break;
		sqlite3_sleep(10);
	}
	return rc == SQLITE_OK ? 0 : mm_db_err(db, err, "database error");
}

/*
 * Create the file, if it is not there, with mm's mode: SQLite would make
 * it 0644, and its -wal and -shm files take the mode of the database.
 * Any failure is left to sqlite3_open_v2 to meet and report.
 */
static void
create_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd >= 0)
		close(fd);
}

int
mm_db_open(struct mm_db *db, const char *path, struct mm_err *err)
{
	mode_t fmode, dmode;
	int v;

	memset(db, 0, sizeof(*db));
	if (wait_ms(&db->wait_ms, err) < 0)
		return -1;
	if (mm_pg_is_url(path)) {
		db->path = mm_pg_redact(path);
		if (mm_pg_open(db, path, err) < 0) {
			mm_db_close(db);
			return -1;
		}
		return 0;
	}
	if (mm_file_mode(&fmode, &dmode, err) < 0)
		return -1;
	db->path = mm_xstrdup(path);
	if (make_parent(path, dmode, err) < 0) {
		mm_db_close(db);
		return -1;
	}
	create_file(path, fmode);
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		mm_db_err(db, err, "cannot open database");
		mm_db_close(db);
		return -1;
	}
	sqlite3_busy_handler(db->h, busy_wait, db);
	sqlite3_extended_result_codes(db->h, 1);
	/* Refuse a newer schema before anything could write to the file. */
	if (schema_version(db, &v, err) < 0 || (v > NMIGRATIONS &&
	    mm_db_newer(db, v, err) < 0)) {
		mm_db_close(db);
		return -1;
	}
	if (set_wal(db, err) < 0 ||
	    mm_db_exec(db, "PRAGMA synchronous = NORMAL", err) < 0 ||
	    mm_db_exec(db, "PRAGMA foreign_keys = ON", err) < 0 ||
	    migrate(db, err) < 0) {
		mm_db_close(db);
		return -1;
	}
	return 0;
}

/* The WAL's size, in pages, from which a checkpoint is run. */
#define CKPT_PAGES 1000

struct mm_ckpt {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want, stop;
	int asked;		/* the log's pages when last asked for one */
	long runs;		/* checkpoints asked for, in all */
	sqlite3 *h;		/* the thread's own connection */
};

/* After each commit, in the writer's thread: pages the WAL holds. */
static int
wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	struct mm_ckpt *c = arg;

	/*
	 * The thread's checkpoint copies what was committed when it began;
	 * the log starts over only after one that left nothing behind,
	 * which a writer that never stops never lets it have.  Four times
	 * the size, the writer finishes the copy itself (most of it done),
	 * as SQLite would, and the log starts over.
	 */
	if (pages >= 4 * CKPT_PAGES) {
		sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
		return SQLITE_OK;
	}
	/*
	 * The thread, each CKPT_PAGES pages the log has grown by, not each
	 * commit while it is past that size: it stays past it as long as
	 * another program writes too, and each checkpoint syncs the file.
	 */
	if (pages < c->asked)
		c->asked = 0;	/* the log started over */
	if (pages < CKPT_PAGES || pages - c->asked < CKPT_PAGES)
		return SQLITE_OK;
	c->asked = pages;
	c->runs++;
	pthread_mutex_lock(&c->mu);
	c->want = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return SQLITE_OK;
}

static void *
ckpt_main(void *arg)
{
	struct mm_ckpt *c = arg;

	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->want && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (!c->want) {
			pthread_mutex_unlock(&c->mu);
			return NULL;
		}
		c->want = 0;
		pthread_mutex_unlock(&c->mu);
		/*
		 * Passive: what no reader still needs is copied, and the
		 * writer goes on meanwhile.  A checkpoint that cannot finish
		 * (busy, a reader) is taken up again by the next.
		 */
		sqlite3_wal_checkpoint_v2(c->h, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
}

int
mm_db_checkpoint_behind(struct mm_db *db, struct mm_err *err)
{
	struct mm_ckpt *c;
	int rc = -1;

	if (db->h == NULL || db->ckpt != NULL)
		return 0;
	c = mm_xcalloc(1, sizeof(*c));
	if (sqlite3_open_v2(db->path, &c->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		mm_errf(err, MM_ESYS, 0, "%s: cannot open database: %s",
		    db->path, c->h ? sqlite3_errmsg(c->h) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(c->h, db->wait_ms);
	/*
	 * A connection knows the file is in WAL mode only once it has read
	 * it: until then a checkpoint does nothing.
	 */
	if (sqlite3_exec(c->h, "SELECT count(*) FROM sqlite_master", NULL,
	    NULL, NULL) != SQLITE_OK) {
		mm_errf(err, MM_ESYS, 0, "%s: cannot read database: %s",
		    db->path, sqlite3_errmsg(c->h));
		goto fail;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->th, NULL, ckpt_main, c) != 0) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		/* No thread: SQLite checkpoints in the commits, as before. */
		rc = 0;
		goto fail;
	}
	db->ckpt = c;
	sqlite3_wal_hook(db->h, wal_hook, c);
	return 0;
fail:
	sqlite3_close_v2(c->h);
	free(c);
	return rc;
}

long
mm_db_checkpoints_asked(const struct mm_db *db)
{
	return db->ckpt != NULL ? db->ckpt->runs : 0;
}

static void
ckpt_stop(struct mm_db *db)
{
	struct mm_ckpt *c = db->ckpt;

	if (c == NULL)
		return;
	/* SQLite's own checkpoints again, for whatever commits are left. */
	if (db->h != NULL)
		sqlite3_wal_autocheckpoint(db->h, CKPT_PAGES);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->th, NULL);
	sqlite3_close_v2(c->h);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	db->ckpt = NULL;
}

void
mm_db_close(struct mm_db *db)
{
	int i;

	ckpt_stop(db);
	for (i = 0; i < MM_DB_CACHE; i++)
		mm_finalize(db->cache[i].st);
	if (db->h != NULL)
		sqlite3_close_v2(db->h);
	mm_pg_close(db);
	free(db->path);
	memset(db, 0, sizeof(*db));
}
