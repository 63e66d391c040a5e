/*
 * recorder.c - one record stored once (recorder.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Where a batch's values go: a statement's parameters, or (deferred) the
 * columns of the batches queued, value i in cols[i - 1].
 */
struct sink {
	struct mm_stmt *st;
	struct mm_arr *cols;
};

static void
put_text(const struct sink *k, int i, const char *p, int n)
{
	if (k->cols != NULL)
		mm_arr_bytes(&k->cols[i - 1], p, n);
	else
		mm_bind_text(k->st, i, p, n);
}

static void
put_blob(const struct sink *k, int i, const void *p, int n)
{
	if (k->cols != NULL)
		mm_arr_bytes(&k->cols[i - 1], p, n);
	else
		mm_bind_blob(k->st, i, p, n);
}

static void
put_double(const struct sink *k, int i, double v)
{
	if (k->cols != NULL)
		mm_arr_double(&k->cols[i - 1], v);
	else
		mm_bind_double(k->st, i, v);
}

static void
put_int64(const struct sink *k, int i, int64_t v)
{
	if (k->cols != NULL)
		mm_arr_int64(&k->cols[i - 1], v);
	else
		mm_bind_int64(k->st, i, v);
}

static void
put_null(const struct sink *k, int i)
{
	if (k->cols != NULL)
		mm_arr_null(&k->cols[i - 1]);
	else
		mm_bind_null(k->st, i);
}

/*
 * Put a field as the JSON text it came as, so the numbers stored are
 * the numbers read; absent or null is NULL.
 */
static void
put_raw(const struct sink *k, int i, const struct mm_field *f)
{
	if (mm_field_null(f))
		put_null(k, i);
	else
		put_text(k, i, f->val.p, (int)f->val.n);
}

/* Put a field that is a number as one; anything else is NULL. */
static void
put_raw_number(const struct sink *k, int i, const struct mm_field *f)
{
	double v;

	if (f != NULL && mm_json_number(f->val.p, &v) == f->val.p + f->val.n)
		put_double(k, i, v);
	else
		put_null(k, i);
}

/*
 * The record's trust.score into *score: 1, 0 when there is none (trust
 * absent, not an object, or its score not a number), -1 with err for a
 * score past the double range.
 */
static int
trust_score(struct mm_recorder *r, double *score, struct mm_err *err)
{
	const struct mm_field *f = mm_rec_get(&r->rec, "trust");
	struct mm_err why;

	if (f == NULL || f->val.p[0] != '{')
		return 0;
	if (mm_rec_parse(&r->tsub, f->val.p, f->val.n, NULL, NULL, &why) < 0)
		return mm_errf(err, MM_EINPUT, 0, "'trust': %s", why.msg);
	switch (mm_field_number(mm_rec_get(&r->tsub, "score"), score)) {
	case 1:
		return 1;
	case -2:
		return mm_errf(err, MM_EINPUT, 0, "'trust.score' is out of "
		    "range");
	default:
		return 0;
	}
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
		mm_buf_putc(&r->rows_json, n ? ',' : '[');
		mm_buf_long(&r->rows_json, (long)i);
		mm_buf_putc(&r->labels_json, n ? ',' : '[');
		mm_buf_long(&r->labels_json, (long)(int)b->labels[i]);
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
 * Put the batch's labelled rows as evidence at i to i + 4 (n_rows,
 * names, rows, labels, features), or NULLs when none is kept: the
 * number of rows.  say: a batch whose rows cannot be kept is said, once.
 */
static size_t
put_evidence(struct mm_recorder *r, const struct sink *k, int i, int say)
{
	size_t n = 0;
	int j;

	if (keeps_rows(r, say)) {
		put_names(r);
		n = pack_rows(r);
	}
	if (n == 0) {
		for (j = 0; j < 5; j++)
			put_null(k, i + j);
		return 0;
	}
	put_int64(k, i, (int64_t)n);
	put_text(k, i + 1, r->names.p, (int)r->names.n);
	put_text(k, i + 2, r->rows_json.p, (int)r->rows_json.n);
	put_text(k, i + 3, r->labels_json.p, (int)r->labels_json.n);
	put_blob(k, i + 4, r->rows_blob.p, (int)r->rows_blob.n);
	return n;
}

static int
store_evidence(struct mm_recorder *r, double ts, struct mm_err *err)
{
	struct mm_stmt *st = r->ins_evidence;
	struct sink k = { st, NULL };
	size_t n;

	if ((n = put_evidence(r, &k, 3, 1)) == 0)
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
 * Put the batch's bin counts, which mm-aggregate sums over windows, at
 * i to i + 2 (ref, n, counts), or NULLs when it has none: 1 or 0.
 */
static int
put_counts(struct mm_recorder *r, const struct sink *k, int i,
    const struct mm_drift_in *d)
{
	const char *ref;

	if (d->counts == NULL ||
	    (ref = mm_recin_string(d->ref, &r->ref)) == NULL) {
		put_null(k, i);
		put_null(k, i + 1);
		put_null(k, i + 2);
		return 0;
	}
	put_text(k, i, ref, -1);
	put_int64(k, i + 1, (int64_t)strtoll(d->n->val.p, NULL, 10));
	put_text(k, i + 2, d->counts->val.p, (int)d->counts->val.n);
	return 1;
}

static int
store_counts(struct mm_recorder *r, double ts, const struct mm_drift_in *d,
    const char *version, struct mm_err *err)
{
	struct mm_stmt *st = r->ins_counts;
	struct sink k = { st, NULL };

	if (!put_counts(r, &k, 3, d))
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
 * What of a batch is compared with what was stored under its id: its
 * ts and n_samples, when it has them, and its labelled rows as evidence
 * keeps them (n rows of width bytes; none when its rows are not kept).
 * Text and bytes point into the recorder's buffers or its arena.
 */
struct mm_rec_pending {
	size_t id, where;	/* offsets in the arena */
	long line;
	int has_ts, has_n;
	double ts;
	long long n_samples;
	size_t nrows, width;
	size_t names, names_n, rows, rows_n, labels, labels_n, feat, feat_n;
	size_t stored_rows;	/* rows put as evidence if it is new */
};

struct cmp {
	const char *id;
	int has_ts, has_n;
	double ts;
	long long n_samples;
	size_t nrows, width;
	const char *names, *rows, *labels, *feat;
	size_t names_n, feat_n;
};

/* What of the record at hand is compared (packing its rows). */
static void
cmp_record(struct mm_recorder *r, const struct mm_metrics_in *m,
    struct cmp *c)
{
	const struct mm_batch *b = &r->batch;

	memset(c, 0, sizeof(*c));
	c->id = b->id;
	c->has_ts = b->has_ts;
	c->ts = b->ts;
	c->has_n = m->n_samples != NULL &&
	    mm_recin_count(m->n_samples->val.p, &c->n_samples) != NULL;
	c->rows = c->labels = "";
	if (keeps_rows(r, 0)) {
		put_names(r);
		c->nrows = pack_rows(r);
		c->width = (size_t)b->nfeat * sizeof(double);
		c->names = r->names.p;
		c->names_n = r->names.n;
		c->rows = r->rows_json.p;
		c->labels = r->labels_json.p;
		c->feat = r->rows_blob.p;
		c->feat_n = r->rows_blob.n;
	}
}

/*
 * Whether the batch's evidence kept, in st (names, rows, labels,
 * features), is c's labelled rows: 1 with the first row that differs in
 * why, else 0.
 */
static int
rows_differ(const struct cmp *c, struct mm_stmt *st, char *why, size_t size)
{
	const char *srows = (const char *)mm_col_text(st, 1);
	const char *slabels = (const char *)mm_col_text(st, 2);
	const char *sfeat = mm_col_blob(st, 3);
	const char *crows = c->rows, *clabels = c->labels;
	size_t nfeat = (size_t)mm_col_bytes(st, 3), k, width = c->width;
	long long row = 0, label = 0, crow = 0, clabel = 0;
	int same_names, hr, hl, cr = 0;

	same_names = c->nrows > 0 && (size_t)mm_col_bytes(st, 0) ==
	    c->names_n && memcmp(mm_col_text(st, 0), c->names,
	    c->names_n) == 0;
	srows = srows ? srows : "";
	slabels = slabels ? slabels : "";
	for (k = 0;; k++) {
		hr = next_int(&srows, &row);
		hl = next_int(&slabels, &label);
		if (k < c->nrows) {
			cr = next_int(&crows, &crow);
			(void)next_int(&clabels, &clabel);
		}
		if (hr == 0 && k == c->nrows)
			return 0;
		if (hr == 1 && k < c->nrows && cr == 1 && row == crow &&
		    hl == 1 && label == clabel && same_names &&
		    nfeat >= (k + 1) * width && (width == 0 ||
		    memcmp(sfeat + k * width, c->feat + k * width,
		    width) == 0))
			continue;
		/* The first row either side has that the other lacks. */
		if (k < c->nrows && (hr != 1 || crow <= row))
			row = crow;
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
differs(struct mm_recorder *r, const struct cmp *c, char *why,
    size_t size, struct mm_err *err)
{
	struct mm_stmt *st = r->sel_metrics;
	char have[32], want[32];
	int rc, found = 0;

	mm_bind_text(st, 1, c->id, -1);
	rc = mm_step(st);
	if (rc == MM_ROW && c->has_ts &&
	    mm_col_double(st, 0) != c->ts) {
		mm_fmt_double(have, sizeof(have), c->ts);
		mm_fmt_double(want, sizeof(want),
		    mm_col_double(st, 0));
		snprintf(why, size, "ts %s, not %s", have, want);
		found = 1;
	} else if (rc == MM_ROW && c->has_n &&
	    mm_col_type(st, 1) != MM_NULL &&
	    c->n_samples != (long long)mm_col_int64(st, 1)) {
		snprintf(why, size, "n_samples %lld, not %lld", c->n_samples,
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
	mm_bind_text(st, 1, c->id, -1);
	rc = mm_step(st);
	if (rc == MM_ROW)
		found = rows_differ(c, st, why, size);
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

static int flush_queue(struct mm_recorder *r, struct mm_err *err);
static void queue(struct mm_recorder *r, const struct cmp *c, size_t rows);

/* Whether a batch of this id waits in the queue. */
static int
queued(const struct mm_recorder *r, const char *id)
{
	size_t k;

	for (k = 0; k < r->npend; k++)
		if (strcmp(r->arena.p + r->pend[k].id, id) == 0)
			return 1;
	return 0;
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
	struct sink k = { st, NULL };
	struct cmp c;
	const char *status, *version = NULL;
	double ts, score;
	size_t n = 0;
	int rc = 0, has_drift, has_metrics, has_score, step, stored, severe, i;

	memset(&d, 0, sizeof(d));
	memset(&m, 0, sizeof(m));
	if ((has_score = trust_score(r, &score, err)) < 0) {
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
	/* Queued batches are stored in a transaction of their own. */
	if (!r->in_txn && r->ins_chunk == NULL) {
		if ((rc = mm_db_begin_append(r->db, err)) < 0)
			goto out;
		r->in_txn = 1;
	}
	if (r->ins_chunk != NULL) {
		/* One batch_id once a statement: its first stores it. */
		if (queued(r, b->id) && (rc = flush_queue(r, err)) < 0)
			goto out;
		k.cols = r->cols;
	}
	put_text(&k, 1, b->id, -1);
	put_double(&k, 2, ts);
	if (version != NULL)
		put_text(&k, 3, version, -1);
	else
		put_null(&k, 3);
	put_raw_number(&k, 4, m.n_samples);
	put_raw_number(&k, 5, m.n_labelled);
	put_raw_number(&k, 6, m.accuracy);
	put_raw_number(&k, 7, m.f1);
	put_raw_number(&k, 8, m.confidence);
	put_raw_number(&k, 9, m.latency);
	put_raw_number(&k, 10, d.score);
	status = mm_recin_string(d.status, &r->status);
	if (status != NULL)
		put_text(&k, 11, status, -1);
	else
		put_null(&k, 11);
	put_raw(&k, 12, d.psi);
	put_raw(&k, 13, d.p_value);
	if (has_score)
		put_double(&k, 14, score);
	else
		put_null(&k, 14);
	put_double(&k, 15, mm_clock(r->now));
	if (has_drift)
		put_text(&k, 16, r->drift.p, (int)r->drift.n);
	else
		put_null(&k, 16);
	put_raw(&k, 17, m.confusion);
	/*
	 * Rows of a batch whose drift is severe are not kept as evidence:
	 * the policy rejects that data, so no model is retrained on it.
	 */
	severe = status != NULL && strcmp(status, "severe") == 0;
	if (r->ins_batch == NULL && r->ins_chunk == NULL) {
		step = mm_step(st);
		stored = step == MM_DONE && mm_db_changes(r->db) > 0;
		mm_reset(st);
		if (step != MM_DONE) {
			rc = mm_db_err(r->db, err, "cannot store metrics");
			goto out;
		}
	} else {
		put_counts(r, &k, 18, &d);
		if (severe)
			for (i = 21; i <= 25; i++)
				put_null(&k, i);
		else
			n = put_evidence(r, &k, 21, 1);
		if (r->ins_chunk != NULL) {
			cmp_record(r, &m, &c);
			queue(r, &c, n);
			rc = MM_RECORD_QUEUED;
			if (r->npend >= MM_RECORD_QUEUE)
				rc = flush_queue(r, err) < 0 ? -1 : rc;
			goto out;
		}
		step = mm_step(st);
		stored = step == MM_ROW && mm_col_int64(st, 0) > 0;
		mm_reset(st);
		if (step != MM_ROW) {
			rc = mm_db_err(r->db, err, "cannot store metrics");
			goto out;
		}
	}
	if (!stored) {
		/*
		 * Stored before: keep it once.  The same batch again is a
		 * replay, and silent; another batch under the same id
		 * would be lost here, so it is said and counted.
		 */
		r->duplicates++;
		cmp_record(r, &m, &c);
		if ((rc = differs(r, &c, r->why, sizeof(r->why), err)) > 0) {
			r->conflicts++;
			rc = MM_RECORD_CONFLICT;
		} else if (rc == 0) {
			rc = MM_RECORD_REPLAY;
		}
		goto out;
	}
	r->stored++;
	if (r->ins_batch != NULL) {
		/* Stored with the metrics. */
		r->rows += (long)n;
		goto out;
	}
	if ((rc = store_counts(r, ts, &d, version, err)) < 0)
		goto out;
	if (!severe && store_evidence(r, ts, err) < 0)
		rc = -1;
out:
	return rc;
}

/* Keep text in the arena: its offset. */
static size_t
keep(struct mm_recorder *r, const char *p, size_t n)
{
	size_t at = r->arena.n;

	mm_buf_put(&r->arena, p ? p : "", p ? n : 0);
	mm_buf_putc(&r->arena, '\0');
	return at;
}

/* Queue the batch c describes, its columns put already. */
static void
queue(struct mm_recorder *r, const struct cmp *c, size_t rows)
{
	struct mm_rec_pending *q;

	if (r->npend == r->pendcap) {
		r->pendcap = r->pendcap ? r->pendcap * 2 : 64;
		r->pend = mm_xrealloc(r->pend, r->pendcap * sizeof(*r->pend));
	}
	q = &r->pend[r->npend++];
	memset(q, 0, sizeof(*q));
	q->id = keep(r, c->id, strlen(c->id));
	q->where = keep(r, r->where, r->where ? strlen(r->where) : 0);
	q->line = r->line;
	q->has_ts = c->has_ts;
	q->ts = c->ts;
	q->has_n = c->has_n;
	q->n_samples = c->n_samples;
	q->nrows = c->nrows;
	q->width = c->width;
	q->names_n = c->names_n;
	q->names = keep(r, c->names, c->names_n);
	q->rows_n = c->nrows ? strlen(c->rows) : 0;
	q->rows = keep(r, c->rows, q->rows_n);
	q->labels_n = c->nrows ? strlen(c->labels) : 0;
	q->labels = keep(r, c->labels, q->labels_n);
	q->feat_n = c->feat_n;
	q->feat = keep(r, c->feat, c->feat_n);
	q->stored_rows = rows;
}

static void
drop_queue(struct mm_recorder *r)
{
	int i;

	for (i = 0; i < 25; i++)
		mm_arr_reset(&r->cols[i]);
	mm_buf_reset(&r->arena);
	r->npend = 0;
}

/*
 * One try at storing the batches queued: a transaction of its own, one
 * statement, the batches stored before compared with what was (the
 * why of each conflict kept in the arena, at why[k]), the cap, the
 * commit.  0, or -1 with err, rolled back.
 */
static int
try_queue(struct mm_recorder *r, char *isnew, size_t *why,
    struct mm_err *err)
{
	struct mm_stmt *st = r->ins_chunk;
	const struct mm_rec_pending *q;
	struct cmp c;
	size_t k;
	int64_t ord;
	int i, rc;

	if (mm_db_begin_append(r->db, err) < 0)
		return -1;
	for (i = 0; i < 25; i++)
		mm_bind_arr(st, i + 1, &r->cols[i]);
	while ((rc = mm_step(st)) == MM_ROW)
		if ((ord = mm_col_int64(st, 0)) >= 1 &&
		    (size_t)ord <= r->npend)
			isnew[ord - 1] = 1;
	mm_reset(st);
	if (rc != MM_DONE) {
		mm_db_err(r->db, err, "cannot store batches");
		goto fail;
	}
	for (k = 0; k < r->npend; k++) {
		if (isnew[k])
			continue;
		q = &r->pend[k];
		memset(&c, 0, sizeof(c));
		c.id = r->arena.p + q->id;
		c.has_ts = q->has_ts;
		c.ts = q->ts;
		c.has_n = q->has_n;
		c.n_samples = q->n_samples;
		c.nrows = q->nrows;
		c.width = q->width;
		c.names = r->arena.p + q->names;
		c.names_n = q->names_n;
		c.rows = r->arena.p + q->rows;
		c.labels = r->arena.p + q->labels;
		c.feat = r->arena.p + q->feat;
		c.feat_n = q->feat_n;
		if ((rc = differs(r, &c, r->why, sizeof(r->why), err)) < 0)
			goto fail;
		if (rc > 0)
			why[k] = keep(r, r->why, strlen(r->why));
	}
	mm_bind_int64(r->cap_evidence, 1, (int64_t)r->buffer_rows);
	rc = mm_step(r->cap_evidence);
	mm_reset(r->cap_evidence);
	if (rc != MM_DONE) {
		mm_db_err(r->db, err, "cannot trim evidence");
		goto fail;
	}
	mm_fault("record-before-commit");
	if (mm_db_commit(r->db, err) < 0)
		goto fail;
	return 0;
fail:
	mm_db_rollback(r->db);
	return -1;
}

/*
 * Store the batches queued, in a transaction of their own, then count
 * them and say each conflict.  Two recorders storing the same batches
 * in other orders at once can deadlock; the server ends one of them,
 * which tries again, a little later, a few times.  0, or -1 with err;
 * the queue is empty after either.
 */
static int
flush_queue(struct mm_recorder *r, struct mm_err *err)
{
	const struct mm_rec_pending *q;
	char *isnew;
	size_t *why, k;
	int tries, rc;

	if (r->npend == 0)
		return 0;
	isnew = mm_xcalloc(r->npend, 1);
	why = mm_xcalloc(r->npend, sizeof(*why));
	for (tries = 1;; tries++) {
		memset(isnew, 0, r->npend);
		memset(why, 0, r->npend * sizeof(*why));
		if ((rc = try_queue(r, isnew, why, err)) == 0 ||
		    tries == MM_RECORD_TRIES || !mm_db_retryable(r->db))
			break;
		/* Apart from the other, by a time that differs. */
		usleep((useconds_t)(tries * 20000 + (getpid() % 16) * 2000));
		memset(err, 0, sizeof(*err));
	}
	for (k = 0; rc == 0 && k < r->npend; k++) {
		q = &r->pend[k];
		if (isnew[k]) {
			r->stored++;
			r->rows += (long)q->stored_rows;
			continue;
		}
		r->duplicates++;
		if (why[k] == 0)
			continue;
		r->conflicts++;
		snprintf(r->why, sizeof(r->why), "%s", r->arena.p + why[k]);
		if (r->conflict != NULL)
			r->conflict(r->conflict_ctx, r->arena.p + q->where,
			    q->line, r->arena.p + q->id, r->why);
	}
	free(isnew);
	free(why);
	drop_queue(r);
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
	mm_rec_init(&r->tsub);
	mm_buf_init(&r->names);
	mm_buf_init(&r->rows_blob);
	mm_buf_init(&r->rows_json);
	mm_buf_init(&r->labels_json);
	mm_buf_init(&r->drift);
	mm_buf_init(&r->status);
	mm_buf_init(&r->ref);
	mm_buf_init(&r->version);
	mm_buf_init(&r->arena);
	return prepare(r, err);
}

void
mm_recorder_close(struct mm_recorder *r)
{
	int i;

	mm_recorder_rollback(r);
	mm_finalize(r->ins_metrics);
	mm_finalize(r->ins_counts);
	mm_finalize(r->ins_evidence);
	mm_finalize(r->ins_batch);
	mm_finalize(r->ins_chunk);
	for (i = 0; r->ins_chunk != NULL && i < 25; i++)
		mm_arr_release(&r->cols[i]);
	free(r->pend);
	mm_buf_release(&r->arena);
	mm_finalize(r->cap_evidence);
	mm_finalize(r->sel_metrics);
	mm_finalize(r->sel_evidence);
	mm_batch_release(&r->batch);
	mm_rec_release(&r->rec);
	mm_rec_release(&r->sub);
	mm_rec_release(&r->msub);
	mm_rec_release(&r->tsub);
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

/*
 * The statement of a queue of batches: each column an array (as put at
 * 1-25, store), unnested a row a batch in order.  The metrics new to the
 * store go in; the counts and evidence of those batches with them (a
 * batch's counts and evidence go in only with its metrics, so they are
 * new as well), the evidence numbered in one draw; it gives the new
 * batches' places.  The metrics go in batch_id's order: recorders that
 * store the same batches at once then wait for each other's in one
 * order, and none waits in a circle.
 */
static const char chunk_sql[] =
	"WITH v AS (SELECT * FROM unnest(CAST(?1 AS TEXT[]), "
	"CAST(?2 AS FLOAT8[]), CAST(?3 AS TEXT[]), CAST(?4 AS FLOAT8[]), "
	"CAST(?5 AS FLOAT8[]), CAST(?6 AS FLOAT8[]), CAST(?7 AS FLOAT8[]), "
	"CAST(?8 AS FLOAT8[]), CAST(?9 AS FLOAT8[]), CAST(?10 AS FLOAT8[]), "
	"CAST(?11 AS TEXT[]), CAST(?12 AS TEXT[]), CAST(?13 AS TEXT[]), "
	"CAST(?14 AS FLOAT8[]), CAST(?15 AS FLOAT8[]), CAST(?16 AS TEXT[]), "
	"CAST(?17 AS TEXT[]), CAST(?18 AS TEXT[]), CAST(?19 AS INT8[]), "
	"CAST(?20 AS TEXT[]), CAST(?21 AS INT8[]), CAST(?22 AS TEXT[]), "
	"CAST(?23 AS TEXT[]), CAST(?24 AS TEXT[]), CAST(?25 AS BYTEA[])) "
	"WITH ORDINALITY AS v(batch_id, ts, model_version, n_samples, "
	"n_labelled, accuracy, f1, avg_confidence, latency_ms, drift_score, "
	"drift_status, psi, p_value, trust_score, recorded_at, drift, "
	"confusion, ref, n, counts, n_rows, names, rows, labels, features, "
	"ord)), "
	"m AS (INSERT INTO metrics (batch_id, ts, model_version, n_samples, "
	"n_labelled, accuracy, f1, avg_confidence, latency_ms, drift_score, "
	"drift_status, psi, p_value, trust_score, recorded_at, drift, "
	"confusion) SELECT batch_id, ts, model_version, n_samples, "
	"n_labelled, accuracy, f1, avg_confidence, latency_ms, drift_score, "
	"drift_status, psi, p_value, trust_score, recorded_at, drift, "
	"confusion FROM v ORDER BY batch_id ON CONFLICT (batch_id) DO NOTHING "
	"RETURNING batch_id), "
	"c AS (INSERT INTO drift_counts (batch_id, ts, ref, model_version, n, "
	"counts) SELECT v.batch_id, v.ts, v.ref, v.model_version, v.n, "
	"v.counts FROM v JOIN m ON m.batch_id = v.batch_id WHERE v.ref IS "
	"NOT NULL ORDER BY v.ord), "
	"k AS (SELECT v.*, CAST(sum(v.n_rows) OVER (ORDER BY v.ord) AS "
	"BIGINT) AS upto FROM v JOIN m ON m.batch_id = v.batch_id WHERE "
	"v.n_rows IS NOT NULL), "
	"t AS (SELECT mm_evidence_top(max(upto)) AS top, max(upto) AS total "
	"FROM k HAVING max(upto) IS NOT NULL), "
	"e AS (INSERT INTO evidence_batch (id, batch_id, ts, n_rows, names, "
	"rows, labels, features) SELECT t.top - t.total + k.upto, k.batch_id, "
	"k.ts, k.n_rows, k.names, k.rows, k.labels, k.features FROM k CROSS "
	"JOIN t ORDER BY k.ord) "
	"SELECT v.ord FROM v JOIN m ON m.batch_id = v.batch_id";

void
mm_recorder_defer(struct mm_recorder *r, mm_recorder_conflict_fn *fn,
    void *ctx)
{
	static const int types[25] = {
		MM_TEXT, MM_FLOAT, MM_TEXT, MM_FLOAT, MM_FLOAT, MM_FLOAT,
		MM_FLOAT, MM_FLOAT, MM_FLOAT, MM_FLOAT, MM_TEXT, MM_TEXT,
		MM_TEXT, MM_FLOAT, MM_FLOAT, MM_TEXT, MM_TEXT, MM_TEXT,
		MM_INTEGER, MM_TEXT, MM_INTEGER, MM_TEXT, MM_TEXT, MM_TEXT,
		MM_BLOB
	};
	struct mm_err err = { 0 };
	int i;

	if (!mm_db_remote(r->db) || r->ins_chunk != NULL)
		return;
	/* Prepared on the server at its first step: nothing fails here. */
	if ((r->ins_chunk = mm_db_prepare(r->db, chunk_sql, &err)) == NULL)
		return;
	for (i = 0; i < 25; i++)
		mm_arr_init(&r->cols[i], types[i]);
	r->conflict = fn;
	r->conflict_ctx = ctx;
}

int
mm_recorder_commit(struct mm_recorder *r, struct mm_err *err)
{
	if (r->ins_chunk != NULL)
		return flush_queue(r, err);
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
	if (r->ins_chunk != NULL)
		drop_queue(r);
	if (r->in_txn)
		mm_db_rollback(r->db);
	r->in_txn = 0;
}
