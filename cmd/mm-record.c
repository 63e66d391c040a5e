/*
 * mm-record - store batch metrics and labelled rows in SQLite, passing
 * every record on unchanged.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
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
	sqlite3_stmt *ins_metrics, *ins_counts, *ins_evidence, *cap_evidence;
	int warned_str;		/* said once: string features, no evidence */
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
	struct mm_buf drift;	/* the drift object without ref and counts */
	struct mm_buf status, ref;
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
	    "p_value, trust_score, recorded_at, drift) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16)", err);
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
 * The fields of a record's drift object that mm-record reads, as spans
 * of the line (NULL when absent).  The drift object may carry a bin
 * count per feature and bin: it is scanned, never built as a tree.
 */
struct drift_in {
	const struct mm_field *score, *status, *psi, *p_value, *n, *ref,
	    *counts;
};

#define COUNT_MAX 9007199254740991LL	/* 2^53 - 1, exact as a double */

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

/*
 * The value of a field that is a string, NUL-terminated in b; NULL when
 * it is not a string.  Escapes are rare here, so jansson undoes them.
 */
static const char *
string_value(const struct mm_field *f, struct mm_buf *b)
{
	json_t *v;

	mm_buf_reset(b);
	if (f == NULL || f->val.p[0] != '"')
		return NULL;
	if (memchr(f->val.p, '\\', f->val.n) == NULL) {
		mm_buf_put(b, f->val.p + 1, f->val.n - 2);
		return b->p;
	}
	v = json_loadb(f->val.p, f->val.n, JSON_DECODE_ANY, NULL);
	if (!json_is_string(v)) {
		json_decref(v);
		return NULL;
	}
	mm_buf_puts(b, json_string_value(v));
	json_decref(v);
	return b->p;
}

/* A count at p (digits only, at most COUNT_MAX): the end, or NULL. */
static const char *
count_at(const char *p, long long *v)
{
	const char *q;

	*v = 0;
	for (q = p; *q >= '0' && *q <= '9'; q++) {
		if (*v > (COUNT_MAX - (*q - '0')) / 10)
			return NULL;
		*v = *v * 10 + (*q - '0');
	}
	return q > p ? q : NULL;
}

/*
 * drift.counts must be an object of arrays of counts, one per feature,
 * each adding up to drift.n: the rows of the batch, every one in some
 * bin.  The line is known to be valid JSON.
 */
static int
check_counts(const struct drift_in *d, struct mm_err *err)
{
	const char *p, *q, *key;
	char tok[64];
	long long n, v, sum;
	size_t klen;

	if (d->n == NULL)
		return mm_errf(err, MM_EINPUT, 0, "'drift.n' missing");
	if (count_at(d->n->val.p, &n) != d->n->val.p + d->n->val.n)
		return mm_errf(err, MM_EINPUT, 0, "'drift.n': %s is not a "
		    "count", mm_json_token(d->n->val.p, tok, sizeof(tok)));
	p = d->counts->val.p;
	if (*p != '{')
		return mm_errf(err, MM_EINPUT, 0, "'drift.counts' is not an "
		    "object");
	if (*(p = mm_json_ws(p + 1)) == '}')
		return mm_errf(err, MM_EINPUT, 0, "'drift.counts' is empty");
	for (;;) {
		p = mm_json_string(p, &key, &klen, NULL);
		p = mm_json_ws(mm_json_ws(p) + 1);
		if (*p != '[')
			return mm_errf(err, MM_EINPUT, 0, "'drift.counts.%.*s' "
			    "is not an array", (int)klen, key);
		sum = 0;
		for (p = mm_json_ws(p + 1); *p != ']';) {
			if ((q = count_at(p, &v)) == NULL ||
			    (*(q = mm_json_ws(q)) != ',' && *q != ']'))
				return mm_errf(err, MM_EINPUT, 0,
				    "'drift.counts.%.*s': %s is not a count",
				    (int)klen, key,
				    mm_json_token(p, tok, sizeof(tok)));
			sum = sum > LLONG_MAX - v ? LLONG_MAX : sum + v;
			p = *q == ',' ? mm_json_ws(q + 1) : q;
		}
		if (sum != n)
			return mm_errf(err, MM_EINPUT, 0, "'drift.counts.%.*s' "
			    "sums to %lld but 'drift.n' is %lld", (int)klen,
			    key, sum, n);
		if (*(p = mm_json_ws(p + 1)) == '}')
			return 0;
		p = mm_json_ws(p + 1);
	}
}

/*
 * The object o without the fields named in drop, into b: each kept
 * field with the separator that came before it, as mm_rec_write_kv()
 * copies fields, so what is kept stays byte for byte.
 */
static void
put_without(struct mm_buf *b, const struct mm_rec *o,
    const char *const *drop)
{
	const char *head_end, *tail, *start, *sep;
	const char *const *k;
	int i, kept = 0;

	mm_buf_reset(b);
	head_end = o->n > 0 ? o->f[0].key.p - 1 : o->close;
	mm_buf_put(b, o->line, (size_t)(head_end - o->line));
	for (i = 0; i < o->n; i++) {
		for (k = drop; *k != NULL; k++)
			if (mm_span_eq(&o->f[i].key, *k))
				break;
		if (*k != NULL)
			continue;
		start = o->f[i].key.p - 1;	/* the opening quote */
		if (kept++ > 0) {
			sep = o->f[i - 1].val.p + o->f[i - 1].val.n;
			mm_buf_put(b, sep, (size_t)(start - sep));
		}
		mm_buf_put(b, start, (size_t)(o->f[i].val.p + o->f[i].val.n -
		    start));
	}
	tail = o->n > 0 ? o->f[o->n - 1].val.p + o->f[o->n - 1].val.n :
	    o->close;
	mm_buf_put(b, tail, (size_t)(o->line + o->len - tail));
}

/*
 * Read the drift object at f: its fields into d, the text to store
 * (without the reference id and the counts) into r->drift.  Counts are
 * checked here, before anything of the record is written.
 */
static int
read_drift(struct record *r, const struct mm_field *f, struct drift_in *d,
    struct mm_err *err)
{
	static const char *const not_stored[] = { "ref", "counts", NULL };

	if (mm_rec_parse(&r->sub, f->val.p, f->val.n, NULL, NULL, err) < 0)
		return -1;
	d->score = mm_rec_get(&r->sub, "drift_score");
	d->status = mm_rec_get(&r->sub, "status");
	d->psi = mm_rec_get(&r->sub, "psi");
	d->p_value = mm_rec_get(&r->sub, "p_value");
	d->n = mm_rec_get(&r->sub, "n");
	d->ref = mm_rec_get(&r->sub, "ref");
	d->counts = mm_rec_get(&r->sub, "counts");
	if (d->ref != NULL && d->ref->val.p[0] != '"')
		return mm_errf(err, MM_EINPUT, 0, "'drift.ref' is not a "
		    "string");
	if (d->counts != NULL && check_counts(d, err) < 0)
		return -1;
	put_without(&r->drift, &r->sub, not_stored);
	return 0;
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
	/* The forest takes numbers only: strings would be stored as codes. */
	for (j = 0; j < b->nfeat; j++)
		if (b->cols[j].kind == MM_COL_STR) {
			if (!r->warned_str)
				mm_warnx(prog, "batch '%s': feature '%s' holds "
				    "strings; its rows are not kept as "
				    "evidence", b->id, b->cols[j].name);
			r->warned_str = 1;
			return 0;
		}
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

/* The batch's bin counts, which mm-aggregate sums over windows. */
static int
store_counts(struct record *r, double ts, const struct drift_in *d,
    json_t *version, struct mm_err *err)
{
	sqlite3_stmt *st = r->ins_counts;
	const char *ref;

	if (d->counts == NULL ||
	    (ref = string_value(d->ref, &r->ref)) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, r->batch.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, ts);
	sqlite3_bind_text(st, 3, ref, -1, SQLITE_STATIC);
	bind_json_text(st, 4, version);
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

/* Store one record if it is a batch with metrics or drift. */
static int
store(struct record *r, struct mm_err *err)
{
	const struct mm_batch *b = &r->batch;
	const struct mm_field *df;
	struct drift_in d;
	sqlite3_stmt *st = r->ins_metrics;
	json_t *metrics, *trust, *v;
	const char *status;
	double ts;
	int rc = 0, bad = 0, has_drift;

	memset(&d, 0, sizeof(d));
	metrics = field(&r->rec, "metrics", err, &bad);
	trust = field(&r->rec, "trust", err, &bad);
	if (bad) {
		rc = -1;
		goto out;
	}
	df = mm_rec_get(&r->rec, "drift");
	has_drift = df != NULL && df->val.p[0] == '{';
	if (b->id == NULL || (!json_is_object(metrics) && !has_drift)) {
		r->passed++;
		goto out;
	}
	if (has_drift && (rc = read_drift(r, df, &d, err)) < 0)
		goto out;
	ts = b->has_ts ? b->ts : clock_now(r);
	if (!r->in_txn) {
		if ((rc = mm_db_begin(&r->db, err)) < 0)
			goto out;
		r->in_txn = 1;
	}
	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, ts);
	v = metrics ? json_object_get(metrics, "model_version") : NULL;
	if (!json_is_string(v))
		v = NULL;
	bind_json_text(st, 3, v);
	bind_json_number(st, 4, metrics, "n_samples");
	bind_json_number(st, 5, metrics, "n_labelled");
	bind_json_number(st, 6, metrics, "accuracy");
	bind_json_number(st, 7, metrics, "f1");
	bind_json_number(st, 8, metrics, "avg_confidence");
	bind_json_number(st, 9, metrics, "latency_ms");
	bind_raw_number(st, 10, d.score);
	status = string_value(d.status, &r->status);
	if (status != NULL)
		sqlite3_bind_text(st, 11, status, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 11);
	bind_raw(st, 12, d.psi);
	bind_raw(st, 13, d.p_value);
	bind_json_number(st, 14, trust, "score");
	sqlite3_bind_double(st, 15, clock_now(r));
	if (has_drift)
		sqlite3_bind_text(st, 16, r->drift.p, (int)r->drift.n,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 16);
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
	if ((rc = store_counts(r, ts, &d, v, err)) < 0)
		goto out;
	/*
	 * Rows of a batch whose drift is severe are not kept as evidence:
	 * the policy rejects that data, so no model is retrained on it.
	 */
	if (status != NULL && strcmp(status, "severe") == 0)
		goto out;
	rc = store_evidence(r, ts, err);
out:
	json_decref(metrics);
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
	mm_buf_init(&r.drift);
	mm_buf_init(&r.status);
	mm_buf_init(&r.ref);
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
	mm_buf_release(&r.drift);
	mm_buf_release(&r.status);
	mm_buf_release(&r.ref);
out:
	sqlite3_finalize(r.ins_metrics);
	sqlite3_finalize(r.ins_counts);
	sqlite3_finalize(r.ins_evidence);
	sqlite3_finalize(r.cap_evidence);
	mm_db_close(&r.db);
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
