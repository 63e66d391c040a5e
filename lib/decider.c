/*
 * decider.c - one record's decision (decider.h).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decider.h"
#include "evidence.h"
#include "metrics.h"
#include "psi.h"
#include "replay.h"

/* The database, opened on first use unless one was lent. */
static int
open_db(struct mm_decider *d, struct mm_err *err)
{
	if (d->db != NULL)
		return 0;
	if (mm_db_open(&d->own, d->dbpath, err) < 0)
		return -1;
	d->db = &d->own;
	return 0;
}

/*
 * The value of field f, named name, or NULL with err when jansson cannot
 * take it (a number out of the double range, a \u0000): say so, rather
 * than that it is not an object.
 */
static json_t *
load_field(const struct mm_field *f, const char *name, struct mm_err *err)
{
	json_error_t jerr;
	json_t *o;

	o = json_loadb(f->val.p, f->val.n, JSON_DECODE_ANY, &jerr);
	if (o == NULL)
		mm_errf(err, MM_EINPUT, 0, "'%s': %s", name, jerr.text);
	return o;
}

/*
 * The object at field obj of the record, scanned into sub (pointing into
 * the record): 1, 0 when absent or null, -1 with err when it is not an
 * object.
 */
static int
get_object(const struct mm_rec *rec, const char *obj, struct mm_rec *sub,
    struct mm_err *err)
{
	const struct mm_field *f = mm_rec_get(rec, obj);
	struct mm_err why;

	if (mm_field_null(f))
		return 0;
	if (f->val.p[0] != '{')
		return mm_errf(err, MM_EINPUT, 0, "'%s' is not an object",
		    obj);
	if (mm_rec_parse(sub, f->val.p, f->val.n, NULL, NULL, &why) < 0)
		return mm_errf(err, MM_EINPUT, 0, "'%s': %s", obj, why.msg);
	return 1;
}

/*
 * The number at key of sub, the object obj: 1 found, 0 absent or null,
 * -1 with err when it is something else.
 */
static int
sub_number(const struct mm_rec *sub, const char *obj, const char *key,
    double *v, struct mm_err *err)
{
	int rc = mm_field_number(mm_rec_get(sub, key), v);

	if (rc >= 0)
		return rc;
	return mm_errf(err, MM_EINPUT, 0, "'%s.%s' is %s", obj, key,
	    rc == -2 ? "out of range" : "not a number");
}

/* A number at the record's top level: 1 found, 0 absent or not one. */
static int
top_number(const struct mm_rec *rec, const char *key, double *v)
{
	const struct mm_field *f = mm_rec_get(rec, key);

	return f != NULL && mm_json_number(f->val.p, v) != NULL &&
	    isfinite(*v);
}

/*
 * The record's drift: drift_score, status and drifted, each optional.  A
 * drift object is left in *obj (NULL if none) for the caller to free:
 * sig->drifted borrows from it.
 */
static int
get_drift(struct mm_decider *d, struct mm_signal *sig, json_t **obj,
    struct mm_err *err)
{
	static const char *const keys[] = { "drift_score", "status",
	    "drifted", NULL };
	const struct mm_field *f = mm_rec_get(&d->rec, "drift"), *k;
	json_t *o, *x;
	int i;

	*obj = NULL;
	if (mm_field_null(f))
		return 0;
	if (f->val.p[0] != '{')
		return mm_errf(err, MM_EINPUT, 0, "'drift' is not an object");
	/*
	 * A drift object holds numbers by feature and bin: the scanner
	 * finds the three fields read, and only they are built.
	 */
	if (mm_rec_sub(&d->sub, &d->sub_text, f, err) < 0)
		return -1;
	*obj = o = json_object();
	for (i = 0; keys[i] != NULL; i++) {
		if ((k = mm_rec_get(&d->sub, keys[i])) == NULL)
			continue;
		if ((x = load_field(k, "drift", err)) == NULL)
			return -1;
		json_object_set_new(o, keys[i], x);
	}
	x = json_object_get(o, "drift_score");
	if (json_is_number(x)) {
		sig->has_drift = 1;
		sig->drift_score = json_number_value(x);
	} else if (x != NULL && !json_is_null(x))
		return mm_errf(err, MM_EINPUT, 0, "'drift.drift_score' is "
		    "not a number");
	x = json_object_get(o, "status");
	if (json_is_string(x) &&
	    (sig->drift_status = mm_status_parse(json_string_value(x))) >= 0)
		sig->has_drift_status = 1;
	else if (x != NULL && !json_is_null(x))
		return mm_errf(err, MM_EINPUT, 0, "'drift.status' is not "
		    "'stable', 'moderate' or 'severe'");
	if (mm_signal_drifted(json_object_get(o, "drifted"), sig) < 0)
		return mm_errf(err, MM_EINPUT, 0, "'drift.drifted' is not an "
		    "array of feature names");
	return 0;
}

/*
 * Refresh baseline and staged from the store: its two small files read
 * again only when one has been replaced (mm-models and mm-exec rename a
 * new one into place) since they were last read.
 */
static int
follow(struct mm_decider *d, struct mm_err *err)
{
	struct mm_active a;
	struct stat ast, cst;
	char path[MM_PATHMAX], cand[MM_VERSION_MAX];
	int rc;

	if (d->models == NULL)
		return 0;
	mm_fs_pathf(path, "%s/active.json", d->models);
	mm_stat_or_zero(path, &ast);
	mm_fs_pathf(path, "%s/candidate.json", d->models);
	mm_stat_or_zero(path, &cst);
	if (d->followed && mm_same_file(&ast, &d->active_st) &&
	    mm_same_file(&cst, &d->cand_st))
		return 0;
	if ((rc = mm_store_read_active(d->models, &a, err)) < 0)
		return -1;
	snprintf(d->active, sizeof(d->active), "%s", rc == 0 ? a.version :
	    "");
	d->st.no_previous = rc == 0 && a.previous[0] == '\0';
	d->know_previous = rc == 0;
	if (!d->have_baseline) {
		d->st.has_baseline = rc == 0 && !isnan(a.baseline_f1);
		d->st.baseline_f1 = d->st.has_baseline ? a.baseline_f1 : 0;
	}
	if (!d->have_staged) {
		if ((rc = mm_store_read_candidate(d->models, cand,
		    sizeof(cand), err)) < 0)
			return -1;
		d->st.staged = rc == 0;
	}
	d->followed = 1;
	d->active_st = ast;
	d->cand_st = cst;
	return 0;
}

/*
 * Seed the pool from the database, once: the counts of the batches the
 * live version served before this record's batch.
 */
static int
pool_seed(struct mm_decider *d, const char *batch_id, struct mm_err *err)
{
	d->seeded = 1;
	if ((d->dbpath == NULL && d->db == NULL) || d->active[0] == '\0')
		return 0;
	if (open_db(d, err) < 0)
		return -1;
	return mm_pool_seed(&d->pool, d->db, d->active, batch_id, err);
}

static void
num_or_null(struct mm_buf *b, int has, double v)
{
	if (has)
		mm_jw_num(b, v);
	else
		mm_buf_puts(b, "null");
}

/* The decision object, with every input the policy used. */
static void
decision_json(struct mm_decider *d, const struct mm_signal *sig,
    json_t *drifted, const struct mm_decision *dec, struct mm_buf *b)
{
	const struct mm_retrain_cfg *c = &d->cfg;
	json_t *v;
	size_t k, meta;
	int i, from;

	mm_buf_printf(b, "{\"action\":\"%s\",\"reason\":",
	    mm_action_names[dec->action]);
	mm_jw_str(b, dec->reason);
	mm_buf_puts(b, ",\"metadata\":");
	meta = b->n;
	mm_buf_puts(b, "{\"drift_score\":");
	num_or_null(b, sig->has_drift, sig->drift_score);
	mm_buf_puts(b, ",\"drift_status\":");
	if (sig->has_drift_status)
		mm_jw_str(b, mm_status_names[sig->drift_status]);
	else
		mm_buf_puts(b, "null");
	mm_buf_puts(b, ",\"drifted\":");
	if (json_is_array(drifted)) {
		mm_buf_putc(b, '[');
		json_array_foreach(drifted, k, v) {
			if (k > 0)
				mm_buf_putc(b, ',');
			mm_jw_str(b, json_string_value(v));
		}
		mm_buf_putc(b, ']');
	} else
		mm_buf_puts(b, "null");
	mm_buf_puts(b, ",\"f1\":");
	num_or_null(b, sig->has_f1, sig->f1);
	mm_buf_puts(b, ",\"f1_sustained\":");
	num_or_null(b, sig->has_f1_sustained, sig->f1_sustained);
	if (sig->nclass > 0) {
		mm_buf_puts(b, ",\"confusion\":");
		mm_confusion_json(b, sig->confusion, sig->nclass);
		mm_buf_puts(b, ",\"pooled\":");
		mm_confusion_json(b, sig->pooled, sig->nclass);
		mm_buf_printf(b, ",\"rows\":%ld,\"f1_upper\":", dec->rows);
		mm_jw_num(b, dec->f1_upper);
		mm_buf_printf(b, ",\"pooled_rows\":%ld,\"pooled_f1\":",
		    dec->pooled_rows);
		mm_jw_num(b, dec->pooled_f1);
		mm_buf_puts(b, ",\"pooled_upper\":");
		mm_jw_num(b, dec->pooled_upper);
	}
	mm_buf_puts(b, ",\"trust\":");
	num_or_null(b, sig->has_trust, sig->trust);
	mm_buf_puts(b, ",\"baseline_f1\":");
	num_or_null(b, d->st.has_baseline, d->st.baseline_f1);
	mm_buf_printf(b, ",\"staged\":%s,\"model_version\":",
	    d->st.staged ? "true" : "false");
	if (d->active[0] != '\0')
		mm_jw_str(b, d->active);
	else
		mm_buf_puts(b, "null");
	if (d->know_previous)
		mm_buf_printf(b, ",\"has_previous\":%s",
		    d->st.no_previous ? "false" : "true");
	/* Where the evidence stood at this record: mm-exec trains to it. */
	if (d->horizon >= 0)
		mm_buf_printf(b, ",\"evidence_horizon\":%ld", d->horizon);
	mm_buf_puts(b, ",\"recent\":[");
	from = d->st.nrecent - (int)(c->cooldown_batches >
	    c->min_stable_batches ? c->cooldown_batches :
	    c->min_stable_batches);
	for (i = from < 0 ? 0 : from; i < d->st.nrecent; i++)
		mm_buf_printf(b, "%s\"%s\"", i > (from < 0 ? 0 : from) ?
		    "," : "", mm_action_names[d->st.recent[i]]);
	mm_buf_puts(b, "],\"policy\":{\"max_f1_drop\":");
	mm_jw_num(b, c->max_f1_drop);
	mm_buf_puts(b, ",\"min_f1_gain\":");
	mm_jw_num(b, c->min_f1_gain);
	mm_buf_puts(b, ",\"alpha_f1\":");
	mm_jw_num(b, c->alpha_f1);
	mm_buf_printf(b, ",\"f1_window_rows\":%ld,\"cooldown_batches\":%ld,"
	    "\"min_stable_batches\":%ld}}", c->f1_window_rows,
	    c->cooldown_batches, c->min_stable_batches);
	d->meta_off = meta;
	d->meta_len = b->n - meta;
	mm_buf_putc(b, '}');
}

/*
 * The record's metrics: its F1 (sig), confusion counts (*cm, NULL when
 * absent) and the version that served it (model_version, or "").
 */
static int
get_metrics(struct mm_decider *d, struct mm_signal *sig, long **cm, int *k,
    char *version, size_t vsize, struct mm_err *err)
{
	const struct mm_field *f;
	json_t *o;
	char *s;
	int rc;

	*cm = NULL;
	version[0] = '\0';
	if ((rc = get_object(&d->rec, "metrics", &d->sub, err)) <= 0)
		return rc;
	if ((sig->has_f1 = sub_number(&d->sub, "metrics", "f1", &sig->f1,
	    err)) < 0)
		return -1;
	if ((f = mm_rec_get(&d->sub, "confusion")) != NULL) {
		o = json_loadb(f->val.p, f->val.n, JSON_DECODE_ANY, NULL);
		rc = o != NULL ? mm_confusion_parse(o, cm, k) : -1;
		json_decref(o);
		if (rc < 0)
			return mm_errf(err, MM_EINPUT, 0, "'metrics.confusion' "
			    "is not a square array of counts");
	}
	if ((s = mm_rec_get_string(&d->sub, "model_version")) != NULL) {
		snprintf(version, vsize, "%s", s);
		free(s);
	}
	return 0;
}

/* The record's trust.score: 1 found, 0 absent or null, -1 bad. */
static int
get_trust(struct mm_decider *d, double *score, struct mm_err *err)
{
	int rc;

	if ((rc = get_object(&d->rec, "trust", &d->sub, err)) <= 0)
		return rc;
	return sub_number(&d->sub, "trust", "score", score, err);
}

/*
 * The evidence horizon of the record at hand (d->horizon, -1 when not
 * known): the newest evidence row recorded with its batch, or for a
 * window by its ts.  0, or -1 with err.
 */
static int
horizon(struct mm_decider *d, int window, struct mm_err *err)
{
	const struct mm_field *f;
	char *bid = NULL;
	double ts = 0;
	int rc;

	d->horizon = -1;
	if (d->dbpath == NULL && d->db == NULL)
		return 0;
	if (open_db(d, err) < 0)
		return -1;
	if (window) {
		if (!top_number(&d->rec, "ts", &ts))
			return 0;
	} else if ((bid = mm_rec_get_string(&d->rec, "batch_id")) == NULL) {
		/* Absent is a record without a batch; not a string, bad. */
		if ((f = mm_rec_get(&d->rec, "batch_id")) == NULL)
			return 0;
		return mm_errf(err, MM_EINPUT, 0, *f->val.p == '"' ?
		    "'batch_id' has a \\u escape of a NUL" :
		    "'batch_id' is not a string");
	}
	rc = mm_evidence_horizon(d->db, bid, ts, &d->horizon, err);
	free(bid);
	if (rc < 0)
		return -1;
	if (rc == 1)
		d->horizon = -1;
	return 0;
}

int
mm_decider_line(struct mm_decider *d, const char *line, size_t len,
    struct mm_buf *out, struct mm_err *err)
{
	struct mm_signal sig = { 0 };
	struct mm_decision *dec = &d->dec;
	json_t *drift = NULL;
	char served[MM_VERSION_MAX], *bid = NULL;
	const char *pv;
	long *cm = NULL, w;
	int rc = -1, k = 0, window;

	if (mm_rec_parse(&d->rec, line, len, NULL, NULL, err) < 0 ||
	    get_drift(d, &sig, &drift, err) < 0)
		goto out;
	if (get_metrics(d, &sig, &cm, &k, served, sizeof(served), err) < 0 ||
	    (sig.has_trust = get_trust(d, &sig.trust, err)) < 0)
		goto out;
	window = mm_rec_get(&d->rec, "window") != NULL;
	/*
	 * Without counts, a batch's F1 is judged as older mm did: a sustained
	 * drop (rule 3) on the mean of the last f1_window batches.  A summary
	 * record's F1 is a mean already.
	 */
	w = d->cfg.f1_window;
	if (cm == NULL && sig.has_f1 && w > 1 && !window) {
		long j, n = d->nf1 < w ? d->nf1 + 1 : w;
		double sum = 0;

		/* The ring with this F1 in; kept only if the record is. */
		for (j = 0; j < n; j++)
			sum += j == d->nf1 % w ? sig.f1 : d->f1s[j];
		sig.has_f1_sustained = 1;
		sig.f1_sustained = sum / (double)n;
	}
	if (follow(d, err) < 0)
		goto out;
	if (cm != NULL) {
		sig.nclass = k;
		sig.confusion = cm;
		if (window) {
			/* A window of the live version is a pool already. */
			if (served[0] == '\0' || strcmp(served, d->active) == 0)
				sig.pooled = cm;
		} else if (sig.has_drift_status &&
		    sig.drift_status == MM_SEVERE) {
			/* Rejected rows are no evidence of the model's F1. */
			sig.pooled = d->pool.k == k ? d->pool.sum : NULL;
		} else if (served[0] == '\0' || d->active[0] == '\0' ||
		    strcmp(served, d->active) == 0) {
			if (!d->seeded) {
				/* Decoded, as mm-record stores it. */
				bid = mm_rec_get_string(&d->rec, "batch_id");
				if (pool_seed(d, bid, err) < 0)
					goto out;
			}
			/* Without a store, the pool follows the records. */
			pv = d->active[0] != '\0' ? d->active : served;
			if (d->pool.k != k || strcmp(d->pool.version, pv) != 0)
				mm_pool_reset(&d->pool, k, pv);
			mm_pool_add(&d->pool, cm);
			sig.pooled = d->pool.sum;
		}
	}
	if (mm_policy_decide(&d->cfg, &sig, &d->st, dec, err) < 0 ||
	    horizon(d, window, err) < 0)
		goto out;
	if (sig.has_f1_sustained)
		d->f1s[d->nf1++ % w] = sig.f1;
	mm_buf_reset(&d->out);
	decision_json(d, &sig, json_object_get(drift, "drifted"), dec,
	    &d->out);
	mm_policy_push(&d->st, dec->action);
	mm_rec_put(out, &d->rec, NULL, "decision", d->out.p, d->out.n);
	rc = 0;
out:
	free(bid);
	free(cm);
	json_decref(drift);
	return rc;
}

int
mm_decider_open(struct mm_decider *d, const struct mm_retrain_cfg *cfg,
    const char *models, const char *dbpath, struct mm_err *err)
{
	struct mm_db db;
	int rc;

	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->models = models;
	d->dbpath = dbpath;
	mm_pool_init(&d->pool, cfg->f1_window_rows);
	mm_rec_init(&d->rec);
	mm_rec_init(&d->sub);
	mm_buf_init(&d->sub_text);
	mm_buf_init(&d->out);
	if (dbpath == NULL)
		return 0;
	if (mm_db_open(&db, dbpath, err) < 0)
		return -1;
	rc = mm_history_seed(&db, &d->st, err);
	mm_db_close(&db);
	return rc;
}

void
mm_decider_release(struct mm_decider *d)
{
	if (d->db == &d->own)
		mm_db_close(&d->own);
	d->db = NULL;
	mm_rec_release(&d->rec);
	mm_rec_release(&d->sub);
	mm_buf_release(&d->sub_text);
	mm_buf_release(&d->out);
	mm_pool_release(&d->pool);
}

void
mm_decider_baseline(struct mm_decider *d, double f1)
{
	d->have_baseline = 1;
	d->st.has_baseline = 1;
	d->st.baseline_f1 = f1;
}

void
mm_decider_staged(struct mm_decider *d)
{
	d->have_staged = 1;
	d->st.staged = 1;
}

void
mm_decider_use_db(struct mm_decider *d, struct mm_db *db)
{
	if (d->db == &d->own)
		mm_db_close(&d->own);
	d->db = db;
}
