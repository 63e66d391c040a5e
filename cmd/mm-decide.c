/*
 * mm-decide - turn metrics, drift and trust into a decision.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "db.h"
#include "evidence.h"
#include "json.h"
#include "mm.h"
#include "ndjson.h"
#include "opt.h"
#include "run.h"
#include "metrics.h"
#include "policy.h"
#include "pool.h"
#include "psi.h"
#include "replay.h"
#include "store.h"

static const char *prog = "mm-decide";

enum {
	O_CONFIG, O_DB, O_MODELS, O_BASELINE, O_STAGED, O_FAILON, O_REPLAY,
	O_FROM, O_TO, O_SKIPBAD, O_MAXREC
};

static const struct mm_opt opts[] = {
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_DB] = { "db", 0, "FILE", "seed recent decisions from this "
	    "database" },
	[O_MODELS] = { "models", 0, "DIR", "baseline F1 and staged candidate "
	    "from this store" },
	[O_BASELINE] = { "baseline-f1", 0, "X", "baseline F1 (instead of the "
	    "store's)" },
	[O_STAGED] = { "staged", 0, NULL, "a candidate is staged (instead of "
	    "the store's)" },
	[O_FAILON] = { "fail-on", 0, "LIST", "exit 1 if any of these actions "
	    "was decided" },
	[O_REPLAY] = { "replay", 0, NULL, "recompute the decisions stored in "
	    "--db" },
	[O_FROM] = { "from", 0, "TS", "with --replay: decisions at or after "
	    "TS" },
	[O_TO] = { "to", 0, "TS", "with --replay: decisions at or before TS" },
	[O_SKIPBAD] = MM_OPT_SKIP_BAD,
	[O_MAXREC] = MM_OPT_MAX_RECORD,
	MM_OPT_END
};

struct decide {
	struct mm_config cfg;
	struct mm_policy_state st;
	const char *models;	/* follow this store, or NULL */
	int have_baseline, have_staged;
	char active[MM_VERSION_MAX];	/* live version when deciding */
	int know_previous;
	double f1s[1000];		/* recent batch F1, a ring */
	long nf1;
	struct mm_pool pool;		/* rule 3's, of the live version */
	const char *dbpath;		/* seed the pool from it, or NULL */
	int seeded;
	struct mm_db db;		/* for evidence horizons, once open */
	int db_open;
	double baseline;
	long horizon;			/* of the record at hand, -1 unknown */
	unsigned fail_mask, decided_mask;
	struct mm_run run;
	struct mm_rec rec;
	struct mm_buf out;
};

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

/* A number at obj.key of the record: 1 found, 0 absent or null, -1 bad. */
static int
get_number(const struct mm_rec *rec, const char *obj, const char *key,
    double *v, struct mm_err *err)
{
	const struct mm_field *f = mm_rec_get(rec, obj);
	json_t *o, *x;
	int rc = 0;

	if (f == NULL)
		return 0;
	if ((o = load_field(f, obj, err)) == NULL)
		return -1;
	if (!json_is_object(o) && !json_is_null(o)) {
		json_decref(o);
		return mm_errf(err, MM_EINPUT, 0, "'%s' is not an object",
		    obj);
	}
	x = json_is_object(o) ? json_object_get(o, key) : NULL;
	if (json_is_number(x)) {
		*v = json_number_value(x);
		rc = 1;
	} else if (x != NULL && !json_is_null(x)) {
		rc = mm_errf(err, MM_EINPUT, 0, "'%s.%s' is not a number",
		    obj, key);
	}
	json_decref(o);
	return rc;
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
get_drift(const struct mm_rec *rec, struct mm_signal *sig, json_t **obj,
    struct mm_err *err)
{
	const struct mm_field *f = mm_rec_get(rec, "drift");
	json_t *o, *x;

	*obj = NULL;
	if (f == NULL)
		return 0;
	if ((o = load_field(f, "drift", err)) == NULL)
		return -1;
	if (json_is_null(o)) {
		json_decref(o);
		return 0;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return mm_errf(err, MM_EINPUT, 0, "'drift' is not an object");
	}
	*obj = o;
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

/* Refresh baseline and staged from the store (cheap: two small files). */
static int
follow(struct decide *d, struct mm_err *err)
{
	struct mm_active a;
	char cand[MM_VERSION_MAX];
	int rc;

	if (d->models == NULL)
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
	return 0;
}

/*
 * Seed the pool from the database, once: the counts of the batches the
 * live version served before this record's batch.
 */
static int
pool_seed(struct decide *d, const char *batch_id, struct mm_err *err)
{
	struct mm_db db;
	int rc;

	d->seeded = 1;
	if (d->dbpath == NULL || d->active[0] == '\0')
		return 0;
	if (mm_db_open(&db, d->dbpath, err) < 0)
		return -1;
	rc = mm_pool_seed(&d->pool, &db, d->active, batch_id, err);
	mm_db_close(&db);
	return rc;
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
decision_json(const struct decide *d, const struct mm_signal *sig,
    json_t *drifted, const struct mm_decision *dec, struct mm_buf *b)
{
	const struct mm_retrain_cfg *c = &d->cfg.retrain;
	json_t *v;
	size_t k;
	int i, from;

	mm_buf_printf(b, "{\"action\":\"%s\",\"reason\":",
	    mm_action_names[dec->action]);
	mm_jw_str(b, dec->reason);
	mm_buf_puts(b, ",\"metadata\":{\"drift_score\":");
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
	    "\"min_stable_batches\":%ld}}}", c->f1_window_rows,
	    c->cooldown_batches, c->min_stable_batches);
}

/*
 * The record's confusion counts (metrics.confusion) and the version that
 * served it (metrics.model_version, or NULL).  *cm NULL when absent.
 */
static int
get_counts(const struct mm_rec *rec, long **cm, int *k, char *version,
    size_t vsize, struct mm_err *err)
{
	const struct mm_field *f = mm_rec_get(rec, "metrics");
	json_t *o, *v;
	int rc;

	*cm = NULL;
	version[0] = '\0';
	if (f == NULL)
		return 0;
	o = json_loadb(f->val.p, f->val.n, JSON_DECODE_ANY, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return 0;	/* get_number says what is wrong */
	}
	if ((rc = mm_confusion_parse(json_object_get(o, "confusion"), cm,
	    k)) < 0) {
		json_decref(o);
		return mm_errf(err, MM_EINPUT, 0, "'metrics.confusion' is not "
		    "a square array of counts");
	}
	v = json_object_get(o, "model_version");
	if (json_is_string(v))
		snprintf(version, vsize, "%s", json_string_value(v));
	json_decref(o);
	return 0;
}

/*
 * The evidence horizon of the record at hand (d->horizon, -1 when not
 * known): the newest evidence row recorded with its batch, or for a
 * window by its ts.  0, or -1 with err.
 */
static int
horizon(struct decide *d, int window, struct mm_err *err)
{
	const struct mm_field *f;
	char *bid = NULL;
	double ts = 0;
	int rc;

	d->horizon = -1;
	if (d->dbpath == NULL)
		return 0;
	if (!d->db_open) {
		if (mm_db_open(&d->db, d->dbpath, err) < 0)
			return -1;
		d->db_open = 1;
	}
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
	rc = mm_evidence_horizon(&d->db, bid, ts, &d->horizon, err);
	free(bid);
	if (rc < 0)
		return -1;
	if (rc == 1)
		d->horizon = -1;
	return 0;
}

static int
do_record(struct decide *d, char *line, size_t len, struct mm_err *err)
{
	struct mm_signal sig = { 0 };
	struct mm_decision dec;
	json_t *drift = NULL;
	char served[MM_VERSION_MAX], *bid = NULL;
	const char *pv;
	long *cm = NULL, w;
	int rc = -1, k = 0, window;

	if (mm_rec_parse(&d->rec, line, len, NULL, NULL, err) < 0 ||
	    get_drift(&d->rec, &sig, &drift, err) < 0)
		goto out;
	if ((sig.has_f1 = get_number(&d->rec, "metrics", "f1", &sig.f1,
	    err)) < 0 || (sig.has_trust = get_number(&d->rec, "trust",
	    "score", &sig.trust, err)) < 0 ||
	    get_counts(&d->rec, &cm, &k, served, sizeof(served), err) < 0)
		goto out;
	window = mm_rec_get(&d->rec, "window") != NULL;
	/*
	 * Without counts, a batch's F1 is judged as older mm did: a sustained
	 * drop (rule 3) on the mean of the last f1_window batches.  A summary
	 * record's F1 is a mean already.
	 */
	w = d->cfg.retrain.f1_window;
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
	if (mm_policy_decide(&d->cfg.retrain, &sig, &d->st, &dec, err) < 0 ||
	    horizon(d, window, err) < 0)
		goto out;
	if (sig.has_f1_sustained)
		d->f1s[d->nf1++ % w] = sig.f1;
	mm_buf_reset(&d->out);
	decision_json(d, &sig, json_object_get(drift, "drifted"), &dec,
	    &d->out);
	mm_policy_push(&d->st, dec.action);
	d->decided_mask |= 1u << dec.action;
	if (mm_rec_write(stdout, &d->rec, NULL, "decision", d->out.p,
	    d->out.n) < 0 || fflush(stdout) != 0) {
		mm_errf(err, MM_ESYS, 0, "write error: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(bid);
	free(cm);
	json_decref(drift);
	return rc;
}

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	return do_record(ctx, line, len, err);
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int
replay(const char *dbpath, double from, double to)
{
	struct mm_err err = { 0 };
	struct mm_db db;
	long n = 0, differ = 0;
	int rc = MM_OK;

	if (!exists(mm_db_path(dbpath))) {
		mm_warnx(prog, "%s: no such database to replay",
		    mm_db_path(dbpath));
		return MM_EINPUT;
	}
	if (mm_db_open(&db, mm_db_path(dbpath), &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	rc = mm_replay(&db, from, to, stdout, &n, &differ, &err);
	mm_db_close(&db);
	if (rc < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	mm_warnx(prog, "replayed %ld decision%s, %ld differ%s", n,
	    n == 1 ? "" : "s", differ, differ == 1 ? "s" : "");
	if (differ > 0)
		rc = MM_ECHECK;
	return rc;
}

static int
parse_failon(struct decide *d, const char *list)
{
	char *copy = mm_xstrdup(list), *tok, *save = NULL;
	int a;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((a = mm_action_parse(tok)) < 0) {
			mm_warnx(prog, "--fail-on: '%s' is not an action "
			    "(none, reject, rollback, retrain, promote)", tok);
			free(copy);
			return -1;
		}
		d->fail_mask |= 1u << a;
	}
	free(copy);
	return 0;
}


int
main(int argc, char **argv)
{
	struct decide d;
	struct mm_optstate st = { .prog = "mm-decide",
	    .synopsis = "[--config DIR] [--db FILE] [--models DIR] "
	    "[--baseline-f1 X] [--staged]\n"
	    " [--fail-on LIST] [--skip-bad] [--max-record BYTES] [FILE ...]\n"
	    "--replay [--db FILE] [--from TS] [--to TS]",
	    .about = "Add a decision (none, reject, rollback, retrain, "
	    "promote) to each record, by a pure policy." };
	struct mm_err err = { 0 };
	const char *config = NULL, *dbpath = NULL, *models = NULL;
	double from = -INFINITY, to = INFINITY;
	int o, rc = MM_OK, do_replay = 0;

	memset(&d, 0, sizeof(d));
	d.run.prog = prog;
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_CONFIG: config = st.arg; break;
		case O_DB: dbpath = st.arg; break;
		case O_MODELS: models = st.arg; break;
		case O_BASELINE:
			if (mm_opt_double(&st, "baseline-f1", 0, 1,
			    &d.baseline) < 0)
				return MM_EINPUT;
			d.have_baseline = 1;
			break;
		case O_STAGED: d.have_staged = 1; break;
		case O_FAILON:
			if (parse_failon(&d, st.arg) < 0)
				return MM_EINPUT;
			break;
		case O_REPLAY: do_replay = 1; break;
		case O_FROM:
			if (mm_opt_double(&st, "from", -1e12, 1e12, &from) < 0)
				return MM_EINPUT;
			break;
		case O_TO:
			if (mm_opt_double(&st, "to", -1e12, 1e12, &to) < 0)
				return MM_EINPUT;
			break;
		case O_SKIPBAD: d.run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &d.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (do_replay) {
		if (st.ind < argc) {
			mm_warnx(prog, "--replay reads the database, not "
			    "files");
			return MM_EINPUT;
		}
		rc = replay(dbpath, from, to);
		goto out;
	}
	if (mm_config_load(&d.cfg, config, MM_CFG_RETRAIN, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	mm_pool_init(&d.pool, d.cfg.retrain.f1_window_rows);
	/* The store and the database are used when given or present. */
	if (models == NULL && exists(mm_models_dir(NULL)))
		models = mm_models_dir(NULL);
	d.models = models;
	if (d.have_baseline) {
		d.st.has_baseline = 1;
		d.st.baseline_f1 = d.baseline;
	}
	d.st.staged = d.have_staged;
	if (dbpath != NULL || exists(mm_db_path(NULL))) {
		struct mm_db db;

		d.dbpath = mm_db_path(dbpath);
		if (mm_db_open(&db, mm_db_path(dbpath), &err) < 0 ||
		    mm_history_seed(&db, &d.st, &err) < 0) {
			mm_perr(prog, &err);
			mm_db_close(&db);
			return err.code;
		}
		mm_db_close(&db);
	}
	mm_rec_init(&d.rec);
	mm_buf_init(&d.out);
	rc = mm_run(&d.run, argc - st.ind, argv + st.ind, on_line, &d);
	if (rc == MM_OK && (d.fail_mask & d.decided_mask))
		rc = MM_ECHECK;
	mm_rec_release(&d.rec);
	mm_buf_release(&d.out);
	mm_pool_release(&d.pool);
	if (d.db_open)
		mm_db_close(&d.db);
out:
	return mm_run_finish(&d.run, rc);
}
