/*
 * mm-record - store batch metrics and labelled rows in SQLite, passing
 * every record on unchanged.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"

static const char *prog = "mm-record";

static const struct mm_opt opts[] = {
#define O_DB 0
	{ "db", 0, "FILE", "database (default: $MM_DB or "
	    "data/metrics/metrics.db)" },
#define O_CONFIG 1
	{ "config", 0, "DIR", "config directory (default: $MM_CONFIG or "
	    "config)" },
#define O_NOW 2
	{ "now", 0, "TS", "time for records without ts (default: the "
	    "clock)" },
#define O_GROUP 3
	{ "group", 0, "N", "records per transaction at most (default 512)" },
#define O_SKIPBAD 4
	{ "skip-bad", 0, NULL, "skip bad records and count them" },
#define O_MAXREC 5
	{ "max-record", 0, "BYTES", "longest record accepted (default "
	    "256M)" },
	{ NULL, 0, NULL, NULL }
};

struct record {
	struct mm_db db;
	struct mm_config cfg;
	sqlite3_stmt *ins_metrics, *ins_evidence, *cap_evidence;
	double now;
	int have_now;
	long group;
	int skip_bad;
	size_t max_record;
	long stored, duplicates, passed, skipped, rows;

	struct mm_batch batch;
	struct mm_rec rec, sub;
	struct mm_buf pending;	/* lines waiting for their commit */
	long npending;
	int in_txn;
	struct mm_buf names, blob;
};

static double
clock_now(const struct record *r)
{
	return mm_clock(r->have_now ? &r->now : NULL);
}

static int
prepare(struct record *r, struct mm_err *err)
{
	r->ins_metrics = mm_db_prepare(&r->db, "INSERT OR IGNORE INTO metrics "
	    "(batch_id, ts, model_version, n_samples, n_labelled, accuracy, "
	    "f1, avg_confidence, latency_ms, drift_score, drift_status, psi, "
	    "p_value, trust_score, recorded_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	    err);
	if (r->ins_metrics == NULL)
		return -1;
	r->ins_evidence = mm_db_prepare(&r->db, "INSERT OR IGNORE INTO "
	    "evidence (batch_id, row_index, ts, names, features, label) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (r->ins_evidence == NULL)
		return -1;
	r->cap_evidence = mm_db_prepare(&r->db, "DELETE FROM evidence WHERE "
	    "id <= (SELECT id FROM evidence ORDER BY id DESC LIMIT 1 "
	    "OFFSET ?1)", err);
	return r->cap_evidence == NULL ? -1 : 0;
}

static void
bind_json_number(sqlite3_stmt *st, int i, json_t *o, const char *key)
{
	json_t *v = o ? json_object_get(o, key) : NULL;

	if (json_is_number(v))
		sqlite3_bind_double(st, i, json_number_value(v));
	else
		sqlite3_bind_null(st, i);
}

static void
bind_json_text(sqlite3_stmt *st, int i, json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v)) {
		sqlite3_bind_null(st, i);
		return;
	}
	if (json_is_string(v)) {
		sqlite3_bind_text(st, i, json_string_value(v), -1,
		    SQLITE_TRANSIENT);
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(17));
	sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	free(s);
}

/*
 * Bind drift.<key> as the JSON text it came as, so the numbers stored
 * are the numbers read.
 */
static void
bind_raw(struct record *r, sqlite3_stmt *st, int i, const char *key)
{
	const struct mm_field *d = mm_rec_get(&r->rec, "drift"), *f;

	if (d == NULL || mm_rec_parse(&r->sub, d->val.p, d->val.n, NULL, NULL,
	    NULL) < 0 || (f = mm_rec_get(&r->sub, key)) == NULL ||
	    (f->val.n == 4 && memcmp(f->val.p, "null", 4) == 0)) {
		sqlite3_bind_null(st, i);
		return;
	}
	sqlite3_bind_text(st, i, f->val.p, (int)f->val.n, SQLITE_TRANSIENT);
}

/* A field of the record as a JSON value (new reference), or NULL. */
static json_t *
field(const struct mm_rec *rec, const char *key, struct mm_err *err,
    int *bad)
{
	const struct mm_field *f = mm_rec_get(rec, key);
	json_error_t jerr;
	json_t *v;

	if (f == NULL)
		return NULL;
	v = json_loadb(f->val.p, f->val.n, JSON_DECODE_ANY, &jerr);
	if (v == NULL) {
		mm_errf(err, MM_EINPUT, 0, "'%s': %s", key, jerr.text);
		*bad = 1;
	}
	return v;
}

static int
store_evidence(struct record *r, double ts, struct mm_err *err)
{
	const struct mm_batch *b = &r->batch;
	sqlite3_stmt *st = r->ins_evidence;
	size_t i;
	int j;

	if (!b->has_labels || b->nfeat == 0)
		return 0;
	mm_buf_reset(&r->names);
	for (j = 0; j < b->nfeat; j++) {
		if (j > 0)
			mm_buf_putc(&r->names, ',');
		mm_buf_puts(&r->names, b->cols[j].name);
	}
	for (i = 0; i < b->n; i++) {
		if (b->labels[i] < 0)
			continue;
		mm_buf_reset(&r->blob);
		for (j = 0; j < b->nfeat; j++)
			mm_buf_put(&r->blob, (const char *)&b->cols[j].v[i],
			    sizeof(double));
		sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_double(st, 3, ts);
		sqlite3_bind_text(st, 4, r->names.p, (int)r->names.n,
		    SQLITE_STATIC);
		sqlite3_bind_blob(st, 5, r->blob.p, (int)r->blob.n,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 6, b->labels[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return mm_db_err(&r->db, err, "cannot store evidence");
		}
		sqlite3_reset(st);
		r->rows++;
	}
	return 0;
}

/* Store one record if it is a batch with metrics or drift. */
static int
store(struct record *r, struct mm_err *err)
{
	const struct mm_batch *b = &r->batch;
	sqlite3_stmt *st = r->ins_metrics;
	json_t *metrics, *drift, *trust, *v;
	double ts;
	int rc = 0, bad = 0;

	metrics = field(&r->rec, "metrics", err, &bad);
	drift = field(&r->rec, "drift", err, &bad);
	trust = field(&r->rec, "trust", err, &bad);
	if (bad) {
		json_decref(metrics);
		json_decref(drift);
		json_decref(trust);
		return -1;
	}
	if (b->id == NULL || (!json_is_object(metrics) &&
	    !json_is_object(drift))) {
		r->passed++;
		json_decref(metrics);
		json_decref(drift);
		json_decref(trust);
		return 0;
	}
	ts = b->has_ts ? b->ts : clock_now(r);
	if (!r->in_txn) {
		if ((rc = mm_db_begin(&r->db, err)) < 0)
			goto out;
		r->in_txn = 1;
	}
	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, ts);
	v = metrics ? json_object_get(metrics, "model_version") : NULL;
	bind_json_text(st, 3, json_is_string(v) ? v : NULL);
	bind_json_number(st, 4, metrics, "n_samples");
	bind_json_number(st, 5, metrics, "n_labelled");
	bind_json_number(st, 6, metrics, "accuracy");
	bind_json_number(st, 7, metrics, "f1");
	bind_json_number(st, 8, metrics, "avg_confidence");
	bind_json_number(st, 9, metrics, "latency_ms");
	bind_json_number(st, 10, drift, "drift_score");
	v = drift ? json_object_get(drift, "status") : NULL;
	bind_json_text(st, 11, json_is_string(v) ? v : NULL);
	bind_raw(r, st, 12, "psi");
	bind_raw(r, st, 13, "p_value");
	bind_json_number(st, 14, trust, "score");
	sqlite3_bind_double(st, 15, clock_now(r));
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		rc = mm_db_err(&r->db, err, "cannot store metrics");
		goto out;
	}
	sqlite3_reset(st);
	if (sqlite3_changes(r->db.h) == 0) {
		r->duplicates++;	/* stored before: keep it once */
		goto out;
	}
	r->stored++;
	/*
	 * Rows of a batch whose drift is severe are not kept as evidence:
	 * the policy rejects that data, so no model is retrained on it.
	 */
	v = drift ? json_object_get(drift, "status") : NULL;
	if (json_is_string(v) && strcmp(json_string_value(v), "severe") == 0)
		goto out;
	rc = store_evidence(r, ts, err);
out:
	json_decref(metrics);
	json_decref(drift);
	json_decref(trust);
	return rc;
}

/*
 * Commit the open group, then let its records go downstream: what the
 * next program sees is always stored.
 */
static int
flush(struct record *r, struct mm_err *err)
{
	if (r->in_txn) {
		sqlite3_bind_int64(r->cap_evidence, 1,
		    (sqlite3_int64)r->cfg.retrain.buffer_rows);
		if (sqlite3_step(r->cap_evidence) != SQLITE_DONE) {
			sqlite3_reset(r->cap_evidence);
			mm_db_err(&r->db, err, "cannot trim evidence");
			mm_db_rollback(&r->db);
			r->in_txn = 0;
			return -1;
		}
		sqlite3_reset(r->cap_evidence);
		mm_fault("record-before-commit");
		if (mm_db_commit(&r->db, err) < 0) {
			mm_db_rollback(&r->db);
			r->in_txn = 0;
			return -1;
		}
		r->in_txn = 0;
	}
	if (r->pending.n > 0) {
		fwrite(r->pending.p, 1, r->pending.n, stdout);
		mm_buf_reset(&r->pending);
		r->npending = 0;
	}
	if (fflush(stdout) != 0)
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

static int
do_record(struct record *r, char *line, size_t len, struct mm_err *err)
{
	if (mm_batch_parse(&r->batch, &r->rec, line, len,
	    MM_BATCH_ANY_FEATURES | MM_BATCH_LABELS, err) < 0)
		return -1;
	if (store(r, err) < 0)
		return -1;
	mm_buf_put(&r->pending, line, len);
	mm_buf_putc(&r->pending, '\n');
	r->npending++;
	return 0;
}

static int
run_input(struct record *r, const char *path)
{
	struct mm_reader rd;
	struct mm_err err = { 0 };
	char *line;
	size_t len;
	int rc;

	if (mm_reader_open(&rd, path, r->max_record, &err) < 0) {
		mm_perr(prog, &err);
		return MM_ESYS;
	}
	for (;;) {
		if (r->npending > 0 && (r->npending >= r->group ||
		    !mm_reader_ready(&rd)) && flush(r, &err) < 0)
			break;
		if ((rc = mm_reader_next(&rd, &line, &len, &err)) == 0)
			break;
		if (rc > 0 && do_record(r, line, len, &err) == 0)
			continue;
		if (err.code != MM_EINPUT)
			break;
		err.line = rd.lineno;
		mm_err_where(&err, rd.name);
		if (!r->skip_bad)
			break;
		r->skipped++;
		memset(&err, 0, sizeof(err));
	}
	mm_reader_release(&rd);
	if (err.code == 0)
		return flush(r, &err) < 0 ? (mm_perr(prog, &err), err.code) :
		    MM_OK;
	/* Keep every good record before the bad one, stored and passed. */
	{
		struct mm_err e2 = { 0 };

		if (err.code == MM_EINPUT && flush(r, &e2) < 0) {
			mm_perr(prog, &e2);
			return e2.code;
		}
		if (err.code != MM_EINPUT)
			mm_db_rollback(&r->db);
	}
	mm_perr(prog, &err);
	return err.code;
}

int
main(int argc, char **argv)
{
	struct record r;
	struct mm_optstate st = { .prog = "mm-record",
	    .synopsis = "[--db FILE] [--config DIR] [--now TS] [--group N] "
	    "[--skip-bad]\n"
	    " [--max-record BYTES] [FILE ...]",
	    .about = "Store each batch's metrics and labelled rows in SQLite "
	    "and pass every record on unchanged." };
	struct mm_err err = { 0 };
	const char *dbpath = NULL, *config = NULL;
	int o, i, rc = MM_OK;

	memset(&r, 0, sizeof(r));
	r.group = 512;
	while ((o = mm_getopt(&st, argc, argv, opts)) != -1) {
		switch (o) {
		case O_DB: dbpath = st.arg; break;
		case O_CONFIG: config = st.arg; break;
		case O_NOW:
			if (mm_opt_double(&st, "now", 0, 1e11, &r.now) < 0)
				return MM_EINPUT;
			r.have_now = 1;
			break;
		case O_GROUP:
			if (mm_opt_long(&st, "group", 1, 100000, &r.group) < 0)
				return MM_EINPUT;
			break;
		case O_SKIPBAD: r.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record", &r.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == -3 ? MM_OK : MM_EINPUT;
		}
	}
	if (mm_config_load(&r.cfg, config, MM_CFG_RETRAIN, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	if (mm_db_open(&r.db, mm_db_path(dbpath), &err) < 0 ||
	    prepare(&r, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
		goto out;
	}
	mm_batch_init(&r.batch);
	mm_rec_init(&r.rec);
	mm_rec_init(&r.sub);
	mm_buf_init(&r.pending);
	mm_buf_init(&r.names);
	mm_buf_init(&r.blob);
	if (st.ind >= argc)
		rc = run_input(&r, NULL);
	for (i = st.ind; i < argc && rc == MM_OK; i++)
		rc = run_input(&r, argv[i]);
	if (r.skipped > 0)
		mm_warnx(prog, "skipped %ld bad record%s", r.skipped,
		    r.skipped == 1 ? "" : "s");
	mm_batch_release(&r.batch);
	mm_rec_release(&r.rec);
	mm_rec_release(&r.sub);
	mm_buf_release(&r.pending);
	mm_buf_release(&r.names);
	mm_buf_release(&r.blob);
out:
	sqlite3_finalize(r.ins_metrics);
	sqlite3_finalize(r.ins_evidence);
	sqlite3_finalize(r.cap_evidence);
	mm_db_close(&r.db);
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
