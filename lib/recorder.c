/*
 * recorder.c - one record stored once (recorder.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "recordin.h"
#include "recorder.h"

static int
prepare(struct mm_recorder *r, struct mm_err *err)
{
	struct mm_buf sql;
	char top[96];

	r->ins_metrics = mm_db_prepare(r->db, "INSERT INTO metrics (batch_id, "
	    "ts, model_version, n_samples, n_labelled, accuracy, f1, "
	    "avg_confidence, latency_ms, drift_score, drift_status, psi, "
	    "p_value, trust_score, recorded_at, drift, confusion) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17) ON CONFLICT DO NOTHING", err);
	if (r->ins_metrics == NULL)
		return -1;
	r->ins_counts = mm_db_prepare(r->db, "INSERT INTO drift_counts "
	    "(batch_id, ts, ref, model_version, n, counts) VALUES (?1, ?2, "
	    "?3, ?6, ?4, ?5) ON CONFLICT DO NOTHING", err);
	if (r->ins_counts == NULL)
		return -1;
	/*
	 * A batch's rows are numbered on from the last row numbered: its id
	 * is its last row's number (db.c, migration 4).
	 */
	mm_db_evidence_top(r->db, "?3", top, sizeof(top));
	mm_buf_init(&sql);
	mm_buf_printf(&sql, "INSERT INTO evidence_batch (id, batch_id, ts, "
	    "n_rows, names, rows, labels, features) VALUES (%s, ?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING", top);
	r->ins_evidence = mm_db_prepare(r->db, sql.p, err);
	mm_buf_release(&sql);
	if (r->ins_evidence == NULL)
		return -1;
	/*
	 * Evidence is only ever deleted oldest first, so its rows are
	 * numbered without a gap: the batches all of whose rows are past
	 * the newest n go.  (A batch with some rows among the newest n is
	 * kept whole; a retrain reads only the newest n.)
	 */
	r->cap_evidence = mm_db_prepare(r->db, "DELETE FROM evidence_batch "
	    "WHERE id <= (SELECT max(id) FROM evidence_batch) - ?1", err);
	if (r->cap_evidence == NULL)
		return -1;
	/*
	 * On a server, a batch's metrics, counts and evidence go in one
	 * statement, one round trip: the counts (?18-?20, as ins_counts'
	 * ?3-?5) and the evidence (?21-?25, as ins_evidence's ?3-?7) only
	 * when the metrics are new, and each only when given.  It gives 1
	 * when the batch is new, 0 when it was stored before.
	 */
	if (mm_db_remote(r->db)) {
		mm_db_evidence_top(r->db, "CAST(?21 AS BIGINT)", top,
		    sizeof(top));
		mm_buf_init(&sql);
		mm_buf_printf(&sql, "WITH m AS (INSERT INTO metrics (batch_id, "
		    "ts, model_version, n_samples, n_labelled, accuracy, f1, "
		    "avg_confidence, latency_ms, drift_score, drift_status, "
		    "psi, p_value, trust_score, recorded_at, drift, confusion) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
		    "?12, ?13, ?14, ?15, ?16, ?17) ON CONFLICT DO NOTHING "
		    "RETURNING 1), c AS (INSERT INTO drift_counts (batch_id, "
		    "ts, ref, model_version, n, counts) SELECT ?1, ?2, "
		    "CAST(?18 AS TEXT), ?3, CAST(?19 AS BIGINT), "
		    "CAST(?20 AS TEXT) FROM m WHERE ?18 IS NOT NULL ON "
		    "CONFLICT DO NOTHING), e AS (INSERT INTO evidence_batch "
		    "(id, batch_id, ts, n_rows, names, rows, labels, features) "
		    "SELECT %s, ?1, ?2, CAST(?21 AS BIGINT), "
		    "CAST(?22 AS TEXT), CAST(?23 AS TEXT), CAST(?24 AS TEXT), "
		    "CAST(?25 AS BYTEA) FROM m WHERE ?21 IS NOT NULL ON "
		    "CONFLICT DO NOTHING) SELECT count(*) FROM m", top);
		r->ins_batch = mm_db_prepare(r->db, sql.p, err);
		mm_buf_release(&sql);
		if (r->ins_batch == NULL)
			return -1;
	}
	r->sel_metrics = mm_db_prepare(r->db, "SELECT ts, n_samples FROM "
	    "metrics WHERE batch_id = ?1", err);
	if (r->sel_metrics == NULL)
		return -1;
	r->sel_evidence = mm_db_prepare(r->db, "SELECT names, rows, labels, "
	    "features FROM evidence_batch WHERE batch_id = ?1", err);
	return r->sel_evidence == NULL ? -1 : 0;
}

static void
bind_json_number(struct mm_stmt *st, int i, json_t *o, const char *key)
{
	json_t *v = o ? json_object_get(o, key) : NULL;

	if (json_is_number(v))
		mm_bind_double(st, i, json_number_value(v));
	else
		mm_bind_null(st, i);
}
/*
 * Bind a field as the JSON text it came as, so the numbers stored are
 * the numbers read; absent or null is NULL.
 */
static void
bind_raw(struct mm_stmt *st, int i, const struct mm_field *f)
{
	if (f == NULL || (f->val.n == 4 && memcmp(f->val.p, "null", 4) == 0))
		mm_bind_null(st, i);
	else
		mm_bind_text(st, i, f->val.p, (int)f->val.n);
}

/* Bind a field that is a number as one; anything else is NULL. */
static void
bind_raw_number(struct mm_stmt *st, int i, const struct mm_field *f)
{
	double v;

	if (f != NULL && mm_json_number(f->val.p, &v) == f->val.p + f->val.n)
		mm_bind_double(st, i, v);
	else
		mm_bind_null(st, i);
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
put_names(struct mm_recorder *r)
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
put_row(const struct mm_batch *b, size_t i, struct mm_buf *to)
{
	int j;

	for (j = 0; j < b->nfeat; j++)
		mm_buf_put(to, (const char *)&b->cols[j].v[i], sizeof(double));
}

/*
 * The batch's labelled rows as evidence keeps them: their indexes and
 * labels as JSON arrays, their values a double each, row after row.
 * The number of rows.
 */
static size_t
pack_rows(struct mm_recorder *r)
{
	const struct mm_batch *b = &r->batch;
	char num[24];
	size_t i, n = 0;

	mm_buf_reset(&r->rows_json);
	mm_buf_reset(&r->labels_json);
	mm_buf_reset(&r->rows_blob);
	if (b->n > r->idxcap) {
		r->idxcap = b->n;
		r->idx = mm_xrealloc(r->idx, b->n * sizeof(*r->idx));
	}
	for (i = 0; i < b->n; i++) {
		if (b->labels[i] < 0)
			continue;
		r->idx[n] = i;
		snprintf(num, sizeof(num), "%c%zu", n ? ',' : '[', i);
		mm_buf_puts(&r->rows_json, num);
		snprintf(num, sizeof(num), "%c%d", n ? ',' : '[',
		    (int)b->labels[i]);
		mm_buf_puts(&r->labels_json, num);
		put_row(b, i, &r->rows_blob);
		n++;
	}
	mm_buf_puts(&r->rows_json, n ? "]" : "[]");
	mm_buf_puts(&r->labels_json, n ? "]" : "[]");
	return n;
}

/* Rows with numbers and integer labels, kept as evidence: 1, or 0. */
static int
keeps_rows(struct mm_recorder *r, int say)
{
	const struct mm_batch *b = &r->batch;
	int j;

	if (!b->has_labels || b->nfeat == 0)
		return 0;
	/* Evidence holds numbers and integer labels: strings are not
	   kept (a retrain takes numeric features and integer classes). */
	if ((j = string_feature(b)) >= 0) {
		if (say && !r->warned_str)
			mm_say(&r->say, "batch '%s': feature '%s' holds "
			    "strings; its rows are not kept as evidence",
			    b->id, b->cols[j].name);
		r->warned_str |= say;
		return 0;
	}
	if (string_label(b) >= 0) {
		if (say && !r->warned_str)
			mm_say(&r->say, "batch '%s': its labels are strings; "
			    "its rows are not kept as evidence", b->id);
		r->warned_str |= say;
		return 0;
	}
	return 1;
}

/*
 * Bind the batch's labelled rows as evidence at i to i + 4 (n_rows,
 * names, rows, labels, features), or NULLs when none is kept: the
 * number of rows.  say: a batch whose rows cannot be kept is said, once.
 */
static size_t
bind_evidence(struct mm_recorder *r, struct mm_stmt *st, int i, int say)
{
	size_t n = 0;
	int k;

	if (keeps_rows(r, say)) {
		put_names(r);
		n = pack_rows(r);
	}
	if (n == 0) {
		for (k = 0; k < 5; k++)
			mm_bind_null(st, i + k);
		return 0;
	}
	mm_bind_int64(st, i, (int64_t)n);
	mm_bind_text(st, i + 1, r->names.p, (int)r->names.n);
	mm_bind_text(st, i + 2, r->rows_json.p, (int)r->rows_json.n);
	mm_bind_text(st, i + 3, r->labels_json.p, (int)r->labels_json.n);
	mm_bind_blob(st, i + 4, r->rows_blob.p, (int)r->rows_blob.n);
	return n;
}

static int
store_evidence(struct mm_recorder *r, double ts, struct mm_err *err)
{
	struct mm_stmt *st = r->ins_evidence;
	size_t n;

	if ((n = bind_evidence(r, st, 3, 1)) == 0)
		return 0;
	mm_bind_text(st, 1, r->batch.id, -1);
	mm_bind_double(st, 2, ts);
	if (mm_step(st) != MM_DONE) {
		mm_reset(st);
		return mm_db_err(r->db, err, "cannot store evidence");
	}
	mm_reset(st);
	r->rows += (long)n;
	return 0;
}

/*
 * Bind the batch's bin counts, which mm-aggregate sums over windows, at
 * i to i + 2 (ref, n, counts), or NULLs when it has none: 1 or 0.
 */
static int
bind_counts(struct mm_recorder *r, struct mm_stmt *st, int i,
    const struct mm_drift_in *d)
{
	const char *ref;

	if (d->counts == NULL ||
	    (ref = mm_recin_string(d->ref, &r->ref)) == NULL) {
		mm_bind_null(st, i);
		mm_bind_null(st, i + 1);
		mm_bind_null(st, i + 2);
		return 0;
	}
	mm_bind_text(st, i, ref, -1);
	mm_bind_int64(st, i + 1, (int64_t)strtoll(d->n->val.p, NULL, 10));
	mm_bind_text(st, i + 2, d->counts->val.p, (int)d->counts->val.n);
	return 1;
}

static int
store_counts(struct mm_recorder *r, double ts, const struct mm_drift_in *d,
    const char *version, struct mm_err *err)
{
	struct mm_stmt *st = r->ins_counts;

	if (!bind_counts(r, st, 3, d))
		return 0;
	mm_bind_text(st, 1, r->batch.id, -1);
	mm_bind_double(st, 2, ts);
	if (version != NULL)
		mm_bind_text(st, 6, version, -1);
	else
		mm_bind_null(st, 6);
	if (mm_step(st) != MM_DONE) {
		mm_reset(st);
		return mm_db_err(r->db, err, "cannot store drift counts");
	}
	mm_reset(st);
	return 0;
}

/*
 * The next integer of a JSON array of integers at *p: 1 with it in *v,
 * 0 at the array's end, -1 at anything else (a hand-edited label).
 */
static int
next_int(const char **p, long long *v)
{
	char *end;

	if (**p == '[' || **p == ',')
		(*p)++;
	if (**p == ']' || **p == '\0')
		return 0;
	*v = strtoll(*p, &end, 10);
	if (end == *p || (*end != ',' && *end != ']'))
		return -1;
	*p = end;
	return 1;
}

/*
 * Whether the batch's evidence kept, in st (names, rows, labels,
 * features), is the record's labelled rows: 1 with the first row that
 * differs in why, else 0.
 */
static int
rows_differ(struct mm_recorder *r, struct mm_stmt *st, char *why, size_t size)
{
	const struct mm_batch *b = &r->batch;
	const char *srows = (const char *)mm_col_text(st, 1);
	const char *slabels = (const char *)mm_col_text(st, 2);
	const char *sfeat = mm_col_blob(st, 3);
	size_t nfeat = (size_t)mm_col_bytes(st, 3);
	size_t n = 0, k, width = 0;
	long long row = 0, label = 0;
	int same_names = 0, hr, hl;

	if (keeps_rows(r, 0)) {
		put_names(r);
		n = pack_rows(r);
		width = (size_t)b->nfeat * sizeof(double);
		same_names = (size_t)mm_col_bytes(st, 0) ==
		    r->names.n && memcmp(mm_col_text(st, 0),
		    r->names.p, r->names.n) == 0;
	}
	srows = srows ? srows : "";
	slabels = slabels ? slabels : "";
	for (k = 0;; k++) {
		hr = next_int(&srows, &row);
		hl = next_int(&slabels, &label);
		if (hr == 0 && k == n)
			return 0;
		if (hr == 1 && k < n && (size_t)row == r->idx[k] && hl == 1 &&
		    label == b->labels[r->idx[k]] && same_names &&
		    nfeat >= (k + 1) * width && (width == 0 ||
		    memcmp(sfeat + k * width, r->rows_blob.p + k * width,
		    width) == 0))
			continue;
		/* The first row either side has that the other lacks. */
		if (k < n && (hr != 1 || r->idx[k] <= (size_t)row))
			row = (long long)r->idx[k];
		else if (hr != 1)
			row = (long long)k;
		snprintf(why, size, "row %lld differs from the evidence kept",
		    row);
		return 1;
	}
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
differs(struct mm_recorder *r, const struct mm_metrics_in *m, char *why,
    size_t size, struct mm_err *err)
{
	const struct mm_batch *b = &r->batch;
	struct mm_stmt *st = r->sel_metrics;
	char have[32], want[32];
	long long n;
	int rc, found = 0;

	mm_bind_text(st, 1, b->id, -1);
	rc = mm_step(st);
	if (rc == MM_ROW && b->has_ts &&
	    mm_col_double(st, 0) != b->ts) {
		mm_fmt_double(have, sizeof(have), b->ts);
		mm_fmt_double(want, sizeof(want),
		    mm_col_double(st, 0));
		snprintf(why, size, "ts %s, not %s", have, want);
		found = 1;
	} else if (rc == MM_ROW && m->n_samples != NULL &&
	    mm_col_type(st, 1) != MM_NULL &&
	    mm_recin_count(m->n_samples->val.p, &n) != NULL &&
	    n != (long long)mm_col_int64(st, 1)) {
		snprintf(why, size, "n_samples %lld, not %lld", n,
		    (long long)mm_col_int64(st, 1));
		found = 1;
	}
	mm_reset(st);
	if (rc != MM_ROW && rc != MM_DONE)
		return mm_db_err(r->db, err, "cannot read metrics");
	if (found)
		return 1;
	/*
	 * The rows kept, if any are (a retrain or the cap may have taken
	 * them): the record's labelled rows must be those rows, none more.
	 */
	st = r->sel_evidence;
	mm_bind_text(st, 1, b->id, -1);
	rc = mm_step(st);
	if (rc == MM_ROW)
		found = rows_differ(r, st, why, size);
	mm_reset(st);
	if (rc != MM_ROW && rc != MM_DONE)
		return mm_db_err(r->db, err, "cannot read evidence");
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

/* Store one record if it is a batch with metrics or drift. */
static int
store(struct mm_recorder *r, struct mm_err *err)
{
	const struct mm_batch *b = &r->batch;
	const struct mm_field *df, *mf;
	struct mm_drift_in d;
	struct mm_metrics_in m;
	/* On a server, the one statement of all three (prepare). */
	struct mm_stmt *st = r->ins_batch ? r->ins_batch : r->ins_metrics;
	json_t *trust;
	const char *status, *version = NULL;
	double ts;
	size_t n = 0;
	int rc = 0, bad = 0, has_drift, has_metrics, step, stored, i;

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
		rc = MM_RECORD_PASSED;
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
	r->ts = ts;
	if (!r->in_txn) {
		if ((rc = mm_db_begin_append(r->db, err)) < 0)
			goto out;
		r->in_txn = 1;
	}
	mm_bind_text(st, 1, b->id, -1);
	mm_bind_double(st, 2, ts);
	if (version != NULL)
		mm_bind_text(st, 3, version, -1);
	else
		mm_bind_null(st, 3);
	bind_raw_number(st, 4, m.n_samples);
	bind_raw_number(st, 5, m.n_labelled);
	bind_raw_number(st, 6, m.accuracy);
	bind_raw_number(st, 7, m.f1);
	bind_raw_number(st, 8, m.confidence);
	bind_raw_number(st, 9, m.latency);
	bind_raw_number(st, 10, d.score);
	status = mm_recin_string(d.status, &r->status);
	if (status != NULL)
		mm_bind_text(st, 11, status, -1);
	else
		mm_bind_null(st, 11);
	bind_raw(st, 12, d.psi);
	bind_raw(st, 13, d.p_value);
	bind_json_number(st, 14, trust, "score");
	mm_bind_double(st, 15, mm_clock(r->now));
	if (has_drift)
		mm_bind_text(st, 16, r->drift.p, (int)r->drift.n);
	else
		mm_bind_null(st, 16);
	bind_raw(st, 17, m.confusion);
	if (r->ins_batch != NULL) {
		/* Rows of a severe batch are not kept (below). */
		bind_counts(r, st, 18, &d);
		if (status != NULL && strcmp(status, "severe") == 0)
			for (i = 21; i <= 25; i++)
				mm_bind_null(st, i);
		else
			n = bind_evidence(r, st, 21, 0);
		step = mm_step(st);
		stored = step == MM_ROW && mm_col_int64(st, 0) > 0;
	} else {
		step = mm_step(st);
		stored = step == MM_DONE && mm_db_changes(r->db) > 0;
	}
	mm_reset(st);
	if (step != (r->ins_batch != NULL ? MM_ROW : MM_DONE)) {
		rc = mm_db_err(r->db, err, "cannot store metrics");
		goto out;
	}
	if (!stored) {
		/*
		 * Stored before: keep it once.  The same batch again is a
		 * replay, and silent; another batch under the same id
		 * would be lost here, so it is said and counted.
		 */
		r->duplicates++;
		if ((rc = differs(r, &m, r->why, sizeof(r->why), err)) > 0) {
			r->conflicts++;
			rc = MM_RECORD_CONFLICT;
		} else if (rc == 0) {
			rc = MM_RECORD_REPLAY;
		}
		goto out;
	}
	r->stored++;
	if (r->ins_batch != NULL) {
		/* Stored with the metrics; a batch not kept is said now. */
		r->rows += (long)n;
		if (n == 0 && (status == NULL || strcmp(status, "severe") != 0))
			(void)keeps_rows(r, 1);
		goto out;
	}
	if ((rc = store_counts(r, ts, &d, version, err)) < 0)
		goto out;
	/*
	 * Rows of a batch whose drift is severe are not kept as evidence:
	 * the policy rejects that data, so no model is retrained on it.
	 */
	if (status != NULL && strcmp(status, "severe") == 0)
		goto out;
	if (store_evidence(r, ts, err) < 0)
		rc = -1;
out:
	json_decref(trust);
	return rc;
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

int
mm_recorder_open(struct mm_recorder *r, struct mm_db *db, long buffer_rows,
    const double *now, const struct mm_say *say, struct mm_err *err)
{
	memset(r, 0, sizeof(*r));
	r->db = db;
	r->buffer_rows = buffer_rows;
	r->now = now;
	if (say != NULL)
		r->say = *say;
	mm_batch_init(&r->batch);
	mm_rec_init(&r->rec);
	mm_rec_init(&r->sub);
	mm_rec_init(&r->msub);
	mm_buf_init(&r->names);
	mm_buf_init(&r->rows_blob);
	mm_buf_init(&r->rows_json);
	mm_buf_init(&r->labels_json);
	mm_buf_init(&r->drift);
	mm_buf_init(&r->status);
	mm_buf_init(&r->ref);
	mm_buf_init(&r->version);
	return prepare(r, err);
}

void
mm_recorder_close(struct mm_recorder *r)
{
	mm_recorder_rollback(r);
	mm_finalize(r->ins_metrics);
	mm_finalize(r->ins_counts);
	mm_finalize(r->ins_evidence);
	mm_finalize(r->ins_batch);
	mm_finalize(r->cap_evidence);
	mm_finalize(r->sel_metrics);
	mm_finalize(r->sel_evidence);
	mm_batch_release(&r->batch);
	mm_rec_release(&r->rec);
	mm_rec_release(&r->sub);
	mm_rec_release(&r->msub);
	mm_buf_release(&r->names);
	mm_buf_release(&r->rows_blob);
	mm_buf_release(&r->rows_json);
	mm_buf_release(&r->labels_json);
	free(r->idx);
	mm_buf_release(&r->drift);
	mm_buf_release(&r->status);
	mm_buf_release(&r->ref);
	mm_buf_release(&r->version);
}

int
mm_recorder_line(struct mm_recorder *r, const char *line, size_t len,
    struct mm_err *err)
{
	if (mm_batch_parse(&r->batch, &r->rec, line, len,
	    MM_BATCH_ANY_FEATURES | MM_BATCH_LABELS, err) < 0 ||
	    check_labels(&r->batch, err) < 0)
		return -1;
	return store(r, err);
}

int
mm_recorder_commit(struct mm_recorder *r, struct mm_err *err)
{
	if (!r->in_txn)
		return 0;
	mm_bind_int64(r->cap_evidence, 1,
	    (int64_t)r->buffer_rows);
	if (mm_step(r->cap_evidence) != MM_DONE) {
		mm_reset(r->cap_evidence);
		mm_db_err(r->db, err, "cannot trim evidence");
		mm_recorder_rollback(r);
		return -1;
	}
	mm_reset(r->cap_evidence);
	mm_fault("record-before-commit");
	if (mm_db_commit(r->db, err) < 0) {
		mm_recorder_rollback(r);
		return -1;
	}
	r->in_txn = 0;
	return 0;
}

void
mm_recorder_rollback(struct mm_recorder *r)
{
	if (r->in_txn)
		mm_db_rollback(r->db);
	r->in_txn = 0;
}
