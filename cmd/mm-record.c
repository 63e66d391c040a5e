/*
 * mm-record - store batch metrics and labelled rows in SQLite, passing
 * every record on unchanged.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batchin.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "mm.h"
#include "model.h"
#include "ndjson.h"
#include "opt.h"
#include "recordin.h"
#include "run.h"

static const char *prog = "mm-record";

enum {
	O_DB, O_CONFIG, O_NOW, O_GROUP, O_SKIPBAD, O_MAXREC, O_STRICT
};

static const struct mm_opt opts[] = {
	[O_DB] = MM_OPT_DB,
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_NOW] = MM_OPT_NOW("time for records without ts (default: the "
	    "clock)"),
	[O_GROUP] = { "group", 0, "N", "records per transaction at most "
	    "(default 512)" },
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	[O_STRICT] = { "strict", 0, NULL, "exit 1 if a batch_id came with "
	    "other content than the one stored" },
	MM_OPT_END
};

struct record {
	struct mm_db db;
	struct mm_config cfg;
	sqlite3_stmt *ins_metrics, *ins_counts, *ins_evidence, *cap_evidence;
	sqlite3_stmt *sel_metrics, *sel_evidence;
	int warned_str;		/* said once: string features, no evidence */
	double at;
	const double *now;	/* --now, or NULL: the clock */
	long group;
	int strict;
	long stored, duplicates, conflicts, passed, rows;
	struct mm_run run;	/* run.in: the line of a warning */

	struct mm_batch batch;
	struct mm_rec rec, sub, msub;
	struct mm_buf pending;	/* lines waiting for their commit */
	long npending;
	int in_txn;
	struct mm_buf names, blob;
	struct mm_buf drift;	/* the drift object without ref and counts */
	struct mm_buf status, ref, version;
};

static int
prepare(struct record *r, struct mm_err *err)
{
	r->ins_metrics = mm_db_prepare(&r->db, "INSERT OR IGNORE INTO metrics "
	    "(batch_id, ts, model_version, n_samples, n_labelled, accuracy, "
	    "f1, avg_confidence, latency_ms, drift_score, drift_status, psi, "
	    "p_value, trust_score, recorded_at, drift, confusion) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17)", err);
	if (r->ins_metrics == NULL)
		return -1;
	r->ins_counts = mm_db_prepare(&r->db, "INSERT OR IGNORE INTO "
	    "drift_counts (batch_id, ts, ref, model_version, n, counts) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (r->ins_counts == NULL)
		return -1;
	r->ins_evidence = mm_db_prepare(&r->db, "INSERT OR IGNORE INTO "
	    "evidence (batch_id, row_index, ts, names, features, label) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (r->ins_evidence == NULL)
		return -1;
	r->cap_evidence = mm_db_prepare(&r->db, "DELETE FROM evidence WHERE "
	    "id <= (SELECT id FROM evidence ORDER BY id DESC LIMIT 1 "
	    "OFFSET ?1)", err);
	if (r->cap_evidence == NULL)
		return -1;
	r->sel_metrics = mm_db_prepare(&r->db, "SELECT ts, n_samples FROM "
	    "metrics WHERE batch_id = ?1", err);
	if (r->sel_metrics == NULL)
		return -1;
	r->sel_evidence = mm_db_prepare(&r->db, "SELECT row_index, names, "
	    "features, label FROM evidence WHERE batch_id = ?1 ORDER BY "
	    "row_index", err);
	return r->sel_evidence == NULL ? -1 : 0;
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
/*
 * Bind a field as the JSON text it came as, so the numbers stored are
 * the numbers read; absent or null is NULL.
 */
static void
bind_raw(sqlite3_stmt *st, int i, const struct mm_field *f)
{
	if (f == NULL || (f->val.n == 4 && memcmp(f->val.p, "null", 4) == 0))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, f->val.p, (int)f->val.n,
		    SQLITE_STATIC);
}

/* Bind a field that is a number as one; anything else is NULL. */
static void
bind_raw_number(sqlite3_stmt *st, int i, const struct mm_field *f)
{
	double v;

	if (f != NULL && mm_json_number(f->val.p, &v) == f->val.p + f->val.n)
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
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

/* The feature column holding strings, or -1. */
static int
string_feature(const struct mm_batch *b)
{
	int j;

	for (j = 0; j < b->nfeat; j++)
		if (b->cols[j].kind == MM_COL_STR)
			return j;
	return -1;
}

/* The index of a string label, or -1. */
static long
string_label(const struct mm_batch *b)
{
	size_t i;

	for (i = 0; b->has_labels && i < b->nlabels; i++)
		if (MM_LABEL_IS_STR(b->labels[i]))
			return (long)i;
	return -1;
}

/* The feature names as evidence keeps them: comma-separated. */
static void
put_names(struct record *r)
{
	const struct mm_batch *b = &r->batch;
	int j;

	mm_buf_reset(&r->names);
	for (j = 0; j < b->nfeat; j++) {
		if (j > 0)
			mm_buf_putc(&r->names, ',');
		mm_buf_puts(&r->names, b->cols[j].name);
	}
}

/* Row i's feature values as evidence keeps them: a double each. */
static void
put_row(struct record *r, size_t i)
{
	const struct mm_batch *b = &r->batch;
	int j;

	mm_buf_reset(&r->blob);
	for (j = 0; j < b->nfeat; j++)
		mm_buf_put(&r->blob, (const char *)&b->cols[j].v[i],
		    sizeof(double));
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
	/* Evidence holds numbers and integer labels: strings are not
	   kept (a retrain takes numeric features and integer classes). */
	if ((j = string_feature(b)) >= 0) {
		if (!r->warned_str)
			mm_warnx(prog, "batch '%s': feature '%s' holds "
			    "strings; its rows are not kept as evidence",
			    b->id, b->cols[j].name);
		r->warned_str = 1;
		return 0;
	}
	if (string_label(b) >= 0) {
		if (!r->warned_str)
			mm_warnx(prog, "batch '%s': its labels are strings; "
			    "its rows are not kept as evidence", b->id);
		r->warned_str = 1;
		return 0;
	}
	put_names(r);
	for (i = 0; i < b->n; i++) {
		if (b->labels[i] < 0)
			continue;
		put_row(r, i);
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

/* The batch's bin counts, which mm-aggregate sums over windows. */
static int
store_counts(struct record *r, double ts, const struct mm_drift_in *d,
    const char *version, struct mm_err *err)
{
	sqlite3_stmt *st = r->ins_counts;
	const char *ref;

	if (d->counts == NULL ||
	    (ref = mm_recin_string(d->ref, &r->ref)) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, r->batch.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, ts);
	sqlite3_bind_text(st, 3, ref, -1, SQLITE_STATIC);
	if (version != NULL)
		sqlite3_bind_text(st, 4, version, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)strtoll(d->n->val.p, NULL,
	    10));
	sqlite3_bind_text(st, 6, d->counts->val.p, (int)d->counts->val.n,
	    SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return mm_db_err(&r->db, err, "cannot store drift counts");
	}
	sqlite3_reset(st);
	return 0;
}

/*
 * A labelled row of the record from row *k up to (not with) row end,
 * which evidence does not have: 1 with it in why, else 0.
 */
static int
extra_row(const struct mm_batch *b, int rows, size_t *k,
    sqlite3_int64 end, char *why, size_t size)
{
	for (; rows && (sqlite3_int64)*k < end && *k < b->n; (*k)++)
		if (b->labels[*k] >= 0) {
			snprintf(why, size, "row %zu differs from the "
			    "evidence kept", *k);
			return 1;
		}
	return 0;
}

/*
 * A batch_id stored before has come again.  It is the same batch when
 * what is stored of its data is what this record holds: its ts, when
 * the record has one; its n_samples, when both have one; and each of
 * its rows still kept as evidence (feature names, values, label).
 * Metrics, drift and trust are not compared: a run again over the same
 * batch measures them again (latency_ms) or with another model.
 * (Rows not kept, or consumed by a retrain, cannot be compared.)
 * Returns 1 with what differs in why, 0 when the same, or -1.
 */
static int
differs(struct record *r, const struct mm_metrics_in *m, char *why,
    size_t size, struct mm_err *err)
{
	const struct mm_batch *b = &r->batch;
	sqlite3_stmt *st = r->sel_metrics;
	char have[32], want[32];
	long long n;
	sqlite3_int64 i;
	const void *blob;
	size_t k = (size_t)-1;	/* the record's next row to match */
	int rc, found = 0, rows;

	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && b->has_ts &&
	    sqlite3_column_double(st, 0) != b->ts) {
		mm_fmt_double(have, sizeof(have), b->ts);
		mm_fmt_double(want, sizeof(want),
		    sqlite3_column_double(st, 0));
		snprintf(why, size, "ts %s, not %s", have, want);
		found = 1;
	} else if (rc == SQLITE_ROW && m->n_samples != NULL &&
	    sqlite3_column_type(st, 1) != SQLITE_NULL &&
	    mm_recin_count(m->n_samples->val.p, &n) != NULL &&
	    n != (long long)sqlite3_column_int64(st, 1)) {
		snprintf(why, size, "n_samples %lld, not %lld", n,
		    (long long)sqlite3_column_int64(st, 1));
		found = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return mm_db_err(&r->db, err, "cannot read metrics");
	if (found)
		return 1;
	st = r->sel_evidence;
	rows = b->has_labels && b->nfeat > 0 && string_feature(b) < 0 &&
	    string_label(b) < 0;
	if (rows)
		put_names(r);
	/*
	 * Evidence is only ever deleted oldest first (the cap, a retrain),
	 * and a batch's rows were inserted in order: what is left of it is
	 * its labelled rows from some row on.  The record's labelled rows
	 * from the first one left must be those rows, none more.
	 */
	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		i = sqlite3_column_int64(st, 0);
		if (k == (size_t)-1)
			k = i < 0 ? 0 : (size_t)i;
		if ((found = extra_row(b, rows, &k, i, why, size)))
			break;
		if (rows && i >= 0 && (size_t)i < b->n && b->labels[i] >= 0)
			put_row(r, (size_t)i);
		blob = sqlite3_column_blob(st, 2);
		if (!rows || i < 0 || (size_t)i >= b->n ||
		    b->labels[i] != sqlite3_column_int(st, 3) ||
		    (size_t)sqlite3_column_bytes(st, 1) != r->names.n ||
		    memcmp(sqlite3_column_text(st, 1), r->names.p,
		    r->names.n) != 0 ||
		    (size_t)sqlite3_column_bytes(st, 2) != r->blob.n ||
		    (r->blob.n > 0 &&
		    memcmp(blob, r->blob.p, r->blob.n) != 0)) {
			snprintf(why, size, "row %lld differs from the "
			    "evidence kept", (long long)i);
			found = 1;
			break;
		}
		k = (size_t)i + 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return mm_db_err(&r->db, err, "cannot read evidence");
	if (!found && k != (size_t)-1)
		found = extra_row(b, rows, &k, (sqlite3_int64)b->n, why, size);
	return found;
}

/* The batch's labels that are not null, or -1 when it has none. */
static long long
known_labels(const struct mm_batch *b)
{
	long long known = 0;
	size_t i;

	if (!b->has_labels)
		return -1;
	for (i = 0; i < b->nlabels; i++)
		known += b->labels[i] != -1;
	return known;
}

/* Say which batch conflicts with the stored one, on which line. */
static void
warn_conflict(const struct record *r, const char *why)
{
	struct mm_err w = { 0 };

	if (r->run.in != NULL)
		mm_err_where(&w, r->run.in->name);
	mm_errf(&w, MM_OK, r->run.in != NULL ? r->run.in->lineno : 0,
	    "batch '%s' "
	    "is stored already with other content (%s): not stored again",
	    r->batch.id, why);
	mm_perr(prog, &w);
}

/* Store one record if it is a batch with metrics or drift. */
static int
store(struct record *r, struct mm_err *err)
{
	const struct mm_batch *b = &r->batch;
	const struct mm_field *df, *mf;
	struct mm_drift_in d;
	struct mm_metrics_in m;
	sqlite3_stmt *st = r->ins_metrics;
	json_t *trust;
	const char *status, *version = NULL;
	char why[128];
	double ts;
	int rc = 0, bad = 0, has_drift, has_metrics;

	memset(&d, 0, sizeof(d));
	memset(&m, 0, sizeof(m));
	trust = field(&r->rec, "trust", err, &bad);
	if (bad) {
		rc = -1;
		goto out;
	}
	df = mm_rec_get(&r->rec, "drift");
	has_drift = df != NULL && df->val.p[0] == '{';
	mf = mm_rec_get(&r->rec, "metrics");
	has_metrics = mf != NULL && mf->val.p[0] == '{';
	if (b->id == NULL || (!has_metrics && !has_drift)) {
		r->passed++;
		goto out;
	}
	if (has_metrics && (rc = mm_recin_metrics(&r->msub, mf,
	    known_labels(b), &m, &r->version, err)) < 0)
		goto out;
	if (m.version != NULL)
		version = r->version.p;
	if (has_drift && (rc = mm_recin_drift(&r->sub, df, &d, &r->drift,
	    err)) < 0)
		goto out;
	ts = b->has_ts ? b->ts : mm_clock(r->now);
	if (!r->in_txn) {
		if ((rc = mm_db_begin(&r->db, err)) < 0)
			goto out;
		r->in_txn = 1;
	}
	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, ts);
	if (version != NULL)
		sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	bind_raw_number(st, 4, m.n_samples);
	bind_raw_number(st, 5, m.n_labelled);
	bind_raw_number(st, 6, m.accuracy);
	bind_raw_number(st, 7, m.f1);
	bind_raw_number(st, 8, m.confidence);
	bind_raw_number(st, 9, m.latency);
	bind_raw_number(st, 10, d.score);
	status = mm_recin_string(d.status, &r->status);
	if (status != NULL)
		sqlite3_bind_text(st, 11, status, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 11);
	bind_raw(st, 12, d.psi);
	bind_raw(st, 13, d.p_value);
	bind_json_number(st, 14, trust, "score");
	sqlite3_bind_double(st, 15, mm_clock(r->now));
	if (has_drift)
		sqlite3_bind_text(st, 16, r->drift.p, (int)r->drift.n,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 16);
	bind_raw(st, 17, m.confusion);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		rc = mm_db_err(&r->db, err, "cannot store metrics");
		goto out;
	}
	sqlite3_reset(st);
	if (sqlite3_changes(r->db.h) == 0) {
		/*
		 * Stored before: keep it once.  The same batch again is a
		 * replay, and silent; another batch under the same id
		 * would be lost here, so it is said and counted.
		 */
		r->duplicates++;
		if ((rc = differs(r, &m, why, sizeof(why), err)) > 0) {
			r->conflicts++;
			warn_conflict(r, why);
			rc = 0;
		}
		goto out;
	}
	r->stored++;
	if ((rc = store_counts(r, ts, &d, version, err)) < 0)
		goto out;
	/*
	 * Rows of a batch whose drift is severe are not kept as evidence:
	 * the policy rejects that data, so no model is retrained on it.
	 */
	if (status != NULL && strcmp(status, "severe") == 0)
		goto out;
	rc = store_evidence(r, ts, err);
out:
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
	/*
	 * A record larger than stdio's buffer is written at once, and a
	 * failed write then leaves nothing for fflush to report: check both.
	 */
	if (r->pending.n > 0) {
		if (fwrite(r->pending.p, 1, r->pending.n, stdout) !=
		    r->pending.n)
			return mm_errf(err, MM_ESYS, 0, "write error: %s",
			    strerror(errno));
		mm_buf_reset(&r->pending);
		r->npending = 0;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		return mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
	return 0;
}

/*
 * Labels are classes as mm-train takes them, 0 to MM_MAX_CLASSES - 1:
 * a larger one kept as evidence would make every retrain fail, or ask
 * for a forest of that many classes.
 */
static int
check_labels(const struct mm_batch *b, struct mm_err *err)
{
	size_t i;

	for (i = 0; b->has_labels && i < b->nlabels; i++)
		if (b->labels[i] >= MM_MAX_CLASSES)
			return mm_errf(err, MM_EINPUT, 0, "label %zu is %d, "
			    "above the largest class mm supports (%d)", i,
			    b->labels[i], MM_MAX_CLASSES - 1);
	return 0;
}

static int
do_record(struct record *r, char *line, size_t len, struct mm_err *err)
{
	if (mm_batch_parse(&r->batch, &r->rec, line, len,
	    MM_BATCH_ANY_FEATURES | MM_BATCH_LABELS, err) < 0 ||
	    check_labels(&r->batch, err) < 0)
		return -1;
	if (store(r, err) < 0)
		return -1;
	mm_buf_put(&r->pending, line, len);
	mm_buf_putc(&r->pending, '\n');
	r->npending++;
	return 0;
}

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	struct record *r = ctx;

	if (do_record(r, line, len, err) < 0)
		return -1;
	return r->npending >= r->group ? flush(r, err) : 0;
}

/* Input would block: what is read is stored and passed on now. */
static int
on_idle(void *ctx, struct mm_err *err)
{
	struct record *r = ctx;

	return r->npending > 0 ? flush(r, err) : 0;
}

/*
 * Keep every good record before a bad one, stored and passed; after a
 * storage error, nothing of the open group.
 */
static int
on_end(void *ctx, int rc, struct mm_err *err)
{
	struct record *r = ctx;

	if (rc == MM_OK || rc == MM_EINPUT)
		return flush(r, err);
	mm_db_rollback(&r->db);
	return 0;
}

int
main(int argc, char **argv)
{
	struct record r;
	struct mm_optstate st = { .prog = "mm-record",
	    .synopsis = "[--db FILE] [--config DIR] [--now TS] [--group N] "
	    "[--skip-bad]\n"
	    " [--strict] [--max-record BYTES] [FILE ...]",
	    .about = "Store each batch's metrics and labelled rows in SQLite "
	    "and pass every record on unchanged." };
	struct mm_err err = { 0 };
	const char *dbpath = NULL, *config = NULL;
	int o, rc = MM_OK;

	memset(&r, 0, sizeof(r));
	r.run.prog = prog;
	r.run.idle = on_idle;
	r.run.end = on_end;
	r.group = 512;
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_DB: dbpath = st.arg; break;
		case O_CONFIG: config = st.arg; break;
		case O_NOW:
			if (mm_opt_now(&st, &r.at, &r.now) < 0)
				return MM_EINPUT;
			break;
		case O_GROUP:
			if (mm_opt_long(&st, "group", 1, 100000, &r.group) < 0)
				return MM_EINPUT;
			break;
		case O_SKIPBAD: r.run.skip_bad = 1; break;
		case O_STRICT: r.strict = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &r.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
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
	mm_rec_init(&r.msub);
	mm_buf_init(&r.pending);
	mm_buf_init(&r.names);
	mm_buf_init(&r.blob);
	mm_buf_init(&r.drift);
	mm_buf_init(&r.status);
	mm_buf_init(&r.ref);
	mm_buf_init(&r.version);
	rc = mm_run(&r.run, argc - st.ind, argv + st.ind, on_line, &r);
	mm_run_skipped(&r.run);
	/* Replays are silent: only a conflict makes the count worth saying. */
	if (r.conflicts > 0)
		mm_warnx(prog, "%ld duplicate batch%s not stored again, %ld of "
		    "them conflicting", r.duplicates, r.duplicates == 1 ? "" :
		    "es", r.conflicts);
	if (rc == MM_OK && r.strict && r.conflicts > 0)
		rc = MM_ECHECK;
	mm_batch_release(&r.batch);
	mm_rec_release(&r.rec);
	mm_rec_release(&r.sub);
	mm_rec_release(&r.msub);
	mm_buf_release(&r.pending);
	mm_buf_release(&r.names);
	mm_buf_release(&r.blob);
	mm_buf_release(&r.drift);
	mm_buf_release(&r.status);
	mm_buf_release(&r.ref);
	mm_buf_release(&r.version);
out:
	sqlite3_finalize(r.ins_metrics);
	sqlite3_finalize(r.ins_counts);
	sqlite3_finalize(r.ins_evidence);
	sqlite3_finalize(r.cap_evidence);
	sqlite3_finalize(r.sel_metrics);
	sqlite3_finalize(r.sel_evidence);
	mm_db_close(&r.db);
	return mm_run_finish(&r.run, rc);
}
