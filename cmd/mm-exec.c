/*
 * mm-exec - carry out decisions: the only program that changes the model
 * store unasked.  Retrains happen exactly once per piece of evidence,
 * even across crashes.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "json.h"
#include "metrics.h"
#include "mm.h"
#include "model.h"
#include "ndjson.h"
#include "opt.h"
#include "run.h"
#include "policy.h"
#include "sha.h"
#include "store.h"
#include "table.h"
#include "train.h"

static const char *prog = "mm-exec";

static const struct mm_opt opts[] = {
#define O_DB 0
	{ "db", 0, "FILE", "database (default: $MM_DB or "
	    "data/metrics/metrics.db)" },
#define O_MODELS 1
	{ "models", 0, "DIR", "model store (default: $MM_MODELS or models)" },
#define O_CONFIG 2
	{ "config", 0, "DIR", "config directory (default: $MM_CONFIG or "
	    "config)" },
#define O_NOW 3
	{ "now", 0, "TS", "time of the changes (default: the clock)" },
#define O_DRYRUN 4
	{ "dry-run", 'n', NULL, "change nothing; say what would be done" },
#define O_SKIPBAD 5
	{ "skip-bad", 0, NULL, "skip bad records and count them" },
#define O_MAXREC 6
	{ "max-record", 0, "BYTES", "longest record accepted (default "
	    "256M)" },
	{ NULL, 0, NULL, NULL }
};

struct exec {
	struct mm_db db;
	struct mm_config cfg;
	const char *models;
	double now;
	int have_now, dry_run;
	long passed;
	struct mm_run run;
	struct mm_rec rec, dec;
	struct mm_buf out;
};

struct result {
	const char *status;	/* executed, skipped, failed, dry_run */
	char detail[512];
	char version[MM_VERSION_MAX];
	char key[MM_SHA_HEX];
};

static double
clock_now(const struct exec *x)
{
	return mm_clock(x->have_now ? &x->now : NULL);
}

static void __attribute__((format(printf, 3, 4)))
set(struct result *r, const char *status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* A decision not carried out; with --dry-run, one that would not be. */
static void __attribute__((format(printf, 3, 4)))
skip(const struct exec *x, struct result *r, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;

	r->status = x->dry_run ? "dry_run" : "skipped";
	if (x->dry_run)
		n = (size_t)snprintf(r->detail, sizeof(r->detail),
		    "would skip: ");
	va_start(ap, fmt);
	vsnprintf(r->detail + n, sizeof(r->detail) - n, fmt, ap);
	va_end(ap);
}

/* decision_history gets every decision, with what became of it. */
static int
history(struct exec *x, double ts, const char *source, const char *action,
    const char *reason, const struct mm_span *meta, const struct result *r,
    struct mm_err *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	st = mm_db_prepare(&x->db, "INSERT INTO decision_history (ts, "
	    "source, action, reason, metadata, exec_status, exec_detail, "
	    "model_version, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9)", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_double(st, 1, ts);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	if (meta != NULL)
		sqlite3_bind_text(st, 5, meta->p, (int)meta->n, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, 5, "{}", 2, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->detail, -1, SQLITE_STATIC);
	if (r->version[0] != '\0')
		sqlite3_bind_text(st, 8, r->version, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_double(st, 9, clock_now(x));
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = mm_db_err(&x->db, err, "cannot record the decision");
	sqlite3_finalize(st);
	return rc;
}

static int
do_rollback(struct exec *x, struct result *r, struct mm_err *err)
{
	struct mm_store s;
	struct mm_active a;
	int rc;

	if ((rc = mm_store_read_active(x->models, &a, err)) < 0)
		return -1;
	if (rc == 1) {
		skip(x, r, "no active version to roll back");
		return 0;
	}
	if (x->dry_run) {
		if (a.previous[0] == '\0')
			skip(x, r, "no previous version to roll back to");
		else
			set(r, "dry_run", "would roll back from %s to %s",
			    a.version, a.previous);
		return 0;
	}
	if (mm_store_open(&s, x->models, 0, 0, err) != 0)
		return -1;
	rc = mm_store_rollback(&s, NULL, clock_now(x), r->version,
	    sizeof(r->version), err);
	mm_store_close(&s);
	if (rc < 0)
		return -1;
	if (rc == 1)
		set(r, "skipped", "no previous version to roll back to");
	else
		set(r, "executed", "rolled back from %s to %s", a.version,
		    r->version);
	return 0;
}

static int
do_promote(struct exec *x, struct result *r, struct mm_err *err)
{
	struct mm_store s;
	char cand[MM_VERSION_MAX];
	int rc;

	if ((rc = mm_store_read_candidate(x->models, cand, sizeof(cand),
	    err)) < 0)
		return -1;
	if (rc == 1) {
		skip(x, r, "no staged candidate to promote");
		return 0;
	}
	if (x->dry_run) {
		set(r, "dry_run", "would promote %s", cand);
		return 0;
	}
	if (mm_store_open(&s, x->models, 0, 0, err) != 0)
		return -1;
	rc = mm_store_promote(&s, clock_now(x), r->version,
	    sizeof(r->version), err);
	mm_store_close(&s);
	if (rc < 0)
		return -1;
	if (rc == 1)
		set(r, "skipped", "no staged candidate to promote");
	else
		set(r, "executed", "promoted %s", r->version);
	return 0;
}

/*
 * The evidence: labelled rows, oldest first, all with the newest row's
 * features.  The key is the SHA-256 of those rows in canonical form:
 * for each row its batch_id, row index, feature names, feature values
 * (IEEE-754 little-endian) and label.
 */
static int
load_evidence(struct exec *x, struct mm_table *t, char *key,
    long long *max_id, struct mm_err *err)
{
	sqlite3_stmt *st;
	struct mm_sha sha;
	char *names = NULL, *tok, *save, *copy;
	const char *nm[256];
	double row[256];
	int nf = 0, j;
	int64_t ix;
	int32_t label;

	st = mm_db_prepare(&x->db, "SELECT names FROM evidence ORDER BY id "
	    "DESC LIMIT 1", err);
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		names = mm_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	*max_id = 0;
	if (names == NULL)
		return 0;
	copy = mm_xstrdup(names);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && nf < 256;
	    tok = strtok_r(NULL, ",", &save))
		nm[nf++] = tok;
	mm_table_set_features(t, nf, nm);
	st = mm_db_prepare(&x->db, "SELECT id, batch_id, row_index, "
	    "features, label FROM evidence WHERE names = ?1 ORDER BY id", err);
	if (st == NULL) {
		free(copy);
		free(names);
		return -1;
	}
	sqlite3_bind_text(st, 1, names, -1, SQLITE_STATIC);
	mm_sha_init(&sha);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *bid = (const char *)sqlite3_column_text(st, 1);
		const void *blob = sqlite3_column_blob(st, 3);
		const double *cols[256];

		if (sqlite3_column_bytes(st, 3) != nf * (int)sizeof(double))
			continue;
		memcpy(row, blob, (size_t)nf * sizeof(double));
		for (j = 0; j < nf; j++)
			cols[j] = &row[j];
		ix = sqlite3_column_int64(st, 2);
		label = sqlite3_column_int(st, 4);
		mm_table_push(t, cols, 0, label);
		*max_id = sqlite3_column_int64(st, 0);
		mm_sha_update(&sha, bid, strlen(bid) + 1);
		mm_sha_update(&sha, &ix, sizeof(ix));
		mm_sha_update(&sha, names, strlen(names) + 1);
		mm_sha_update(&sha, row, (size_t)nf * sizeof(double));
		mm_sha_update(&sha, &label, sizeof(label));
	}
	sqlite3_finalize(st);
	mm_sha_final(&sha, key);
	free(copy);
	free(names);
	return 0;
}

/* The snapshot's status for key: 0 found (status copied), 1 none. */
static int
snapshot(struct exec *x, const char *key, char *status, size_t size,
    struct mm_err *err)
{
	sqlite3_stmt *st;
	int rc = 1;

	st = mm_db_prepare(&x->db, "SELECT status FROM retrain_snapshots "
	    "WHERE key = ?1", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(status, size, "%s", sqlite3_column_text(st, 0));
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
exec_sql(struct exec *x, const char *sql, const char *key, const char *s1,
    const char *s2, long long n, long long m, struct mm_err *err)
{
	sqlite3_stmt *st = mm_db_prepare(&x->db, sql, err);
	int rc = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (s1 != NULL)
		sqlite3_bind_text(st, 2, s1, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	if (s2 != NULL)
		sqlite3_bind_text(st, 3, s2, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, n);
	sqlite3_bind_double(st, 5, clock_now(x));
	sqlite3_bind_int64(st, 6, m);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = mm_db_err(&x->db, err, "cannot update retrain_snapshots");
	sqlite3_finalize(st);
	return rc;
}

/* The version whose card holds key, into version: 0 found, 1 none. */
static int
version_with_key(struct exec *x, const char *key, char *version,
    size_t size, struct mm_err *err)
{
	char **names, *card, needle[MM_SHA_HEX + 20];
	size_t len;
	int n, i, rc = 1;

	if (mm_store_list(x->models, &names, &n, err) < 0)
		return -1;
	snprintf(needle, sizeof(needle), "\"retrain_key\":\"%s\"", key);
	for (i = n - 1; i >= 0 && rc == 1; i--) {
		if (mm_store_read_file(x->models, names[i], "card.json", &card,
		    &len, err) < 0)
			continue;
		if (strstr(card, needle) != NULL) {
			snprintf(version, size, "%s", names[i]);
			rc = 0;
		}
		free(card);
	}
	mm_store_list_free(names, n);
	return rc;
}

/* F1 of the active model on rows idx of t; NaN when there is none. */
static double
active_f1(struct exec *x, const struct mm_table *t, const size_t *idx,
    size_t n, struct mm_err *err)
{
	struct mm_model m;
	char v[MM_VERSION_MAX];
	struct mm_scores sc;
	const double **cols;
	double **all, *proba;
	int *y, *pred, j, k;

	if (mm_store_active(x->models, v, sizeof(v), err) < 0) {
		memset(err, 0, sizeof(*err));
		return NAN;	/* nothing live */
	}
	if (mm_model_load(&m, x->models, v, err) < 0)
		return -1;	/* err says why: the retrain fails */
	all = mm_gather(t, idx, n, &y);
	cols = mm_xcalloc((size_t)m.nfeat, sizeof(double *));
	for (j = 0; j < m.nfeat; j++) {
		for (k = 0; k < t->nfeat; k++)
			if (strcmp(t->names[k], m.features[j]) == 0)
				break;
		if (k == t->nfeat) {
			free(cols);
			mm_free_cols(all, t->nfeat);
			free(y);
			mm_model_release(&m);
			return NAN;	/* other features: not comparable */
		}
		cols[j] = all[k];
	}
	proba = mm_xmalloc(n * (size_t)m.forest.nclass * sizeof(double));
	pred = mm_xmalloc(n * sizeof(int));
	mm_forest_predict(&m.forest, cols, n, proba);
	mm_argmax(proba, n, m.forest.nclass, pred);
	mm_score(y, pred, n, m.forest.nclass, &sc);
	free(proba);
	free(pred);
	free(cols);
	mm_free_cols(all, t->nfeat);
	free(y);
	mm_model_release(&m);
	return sc.f1;
}

/*
 * Finish a retrain in one transaction: the snapshot's status, the
 * evidence consumed (on success), and the decision's history row.
 */
static int
finish(struct exec *x, const char *key, const char *status,
    long long max_id, double ts, const char *source, const char *reason,
    const struct mm_span *meta, const struct result *r, struct mm_err *err)
{
	sqlite3_stmt *st;

	if (mm_db_begin(&x->db, err) < 0)
		return -1;
	st = mm_db_prepare(&x->db, "UPDATE retrain_snapshots SET status = ?2, "
	    "version = ?3, detail = ?4, updated_at = ?5 WHERE key = ?1", err);
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	if (r->version[0] != '\0')
		sqlite3_bind_text(st, 3, r->version, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_text(st, 4, r->detail, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, clock_now(x));
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		mm_db_err(&x->db, err, "cannot update retrain_snapshots");
		goto fail;
	}
	sqlite3_finalize(st);
	if (strcmp(status, "executed") == 0) {
		st = mm_db_prepare(&x->db, "DELETE FROM evidence WHERE id <= "
		    "?1", err);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, max_id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			mm_db_err(&x->db, err, "cannot consume evidence");
			goto fail;
		}
		sqlite3_finalize(st);
	}
	if (history(x, ts, source, "retrain", reason, meta, r, err) < 0)
		goto fail;
	if (mm_db_commit(&x->db, err) < 0)
		goto fail;
	mm_fault("exec-snapshot-done");
	return 0;
fail:
	mm_db_rollback(&x->db);
	return -1;
}

/*
 * A decision made for another live version than the one live now is
 * stale (a pipeline's decider runs ahead of its executor): acting on it
 * could undo what was just done, so it is skipped.
 */
static int
stale(struct exec *x, const struct mm_span *meta, struct result *r,
    struct mm_err *err)
{
	struct mm_active a;
	json_t *m, *v;
	int rc, out = 0;

	if (meta == NULL)
		return 0;
	m = json_loadb(meta->p, meta->n, 0, NULL);
	v = json_is_object(m) ? json_object_get(m, "model_version") : NULL;
	if (json_is_string(v)) {
		rc = mm_store_read_active(x->models, &a, err);
		if (rc == 0 && strcmp(a.version, json_string_value(v)) != 0) {
			skip(x, r, "stale: decided while %s was live, %s is "
			    "live now", json_string_value(v), a.version);
			out = 1;
		}
	}
	json_decref(m);
	return out;
}

/*
 * Settle retrains that a crash left pending on other evidence (rows
 * arrived before the rerun, so the key changed): one whose version was
 * written is completed (made live, its evidence consumed); one that died
 * before is marked failed.  Under the store lock.
 */
static int
settle(struct exec *x, struct mm_store *s, const char *mine,
    struct mm_err *err)
{
	sqlite3_stmt *st, *up;
	char key[MM_SHA_HEX], version[MM_VERSION_MAX];
	long long max_id;
	double f1;
	int found, rc = -1, n = 0;

	for (;;) {
		st = mm_db_prepare(&x->db, "SELECT key, max_evidence_id FROM "
		    "retrain_snapshots WHERE status = 'pending' AND key != ?1 "
		    "ORDER BY id LIMIT 1", err);
		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, mine, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return n;
		}
		snprintf(key, sizeof(key), "%s", sqlite3_column_text(st, 0));
		max_id = sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
		if ((found = version_with_key(x, key, version, sizeof(version),
		    err)) < 0)
			return -1;
		if (found == 0 && (mm_store_card_f1(x->models, version, &f1,
		    err) < 0 || mm_store_activate(s, version, f1, clock_now(x),
		    err) < 0))
			return -1;
		if (mm_db_begin(&x->db, err) < 0)
			return -1;
		up = mm_db_prepare(&x->db, found == 0 ? "UPDATE "
		    "retrain_snapshots SET status = 'executed', version = ?2, "
		    "detail = 'completed after an interruption', updated_at = "
		    "?3 WHERE key = ?1" : "UPDATE retrain_snapshots SET status "
		    "= 'failed', detail = 'interrupted before a version was "
		    "written', updated_at = ?3 WHERE key = ?1", err);
		if (up == NULL)
			goto fail;
		sqlite3_bind_text(up, 1, key, -1, SQLITE_STATIC);
		if (found == 0)
			sqlite3_bind_text(up, 2, version, -1, SQLITE_STATIC);
		sqlite3_bind_double(up, 3, clock_now(x));
		rc = sqlite3_step(up) == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(up);
		if (rc < 0) {
			mm_db_err(&x->db, err, "cannot settle a retrain");
			goto fail;
		}
		if (found == 0) {
			up = mm_db_prepare(&x->db, "DELETE FROM evidence WHERE "
			    "id <= ?1", err);
			if (up == NULL)
				goto fail;
			sqlite3_bind_int64(up, 1, max_id);
			rc = sqlite3_step(up) == SQLITE_DONE ? 0 : -1;
			sqlite3_finalize(up);
			if (rc < 0) {
				mm_db_err(&x->db, err, "cannot consume evidence");
				goto fail;
			}
		}
		if (mm_db_commit(&x->db, err) < 0)
			goto fail;
		n++;
	}
fail:
	mm_db_rollback(&x->db);
	return -1;
}

static int
do_retrain(struct exec *x, double ts, const char *source, const char *reason,
    const struct mm_span *meta, struct result *r, int *recorded,
    struct mm_err *err)
{
	const struct mm_retrain_cfg *rc = &x->cfg.retrain;
	struct mm_table t;
	struct mm_store s;
	struct mm_train_job job = { 0 };
	struct mm_train_out out;
	struct mm_rng rng;
	char status[32], extra[200];
	long long max_id;
	size_t *rows, n, incomplete = 0, *tri, *vai, ntr = 0, nva = 0, i;
	double cand, act;
	int nclass = 0, ret = -1, locked = 0, found, have, *y;

	mm_table_init(&t);
	mm_train_init(&out);
	rows = NULL;
	tri = vai = NULL;
	if (!x->dry_run) {
		if ((ret = mm_store_open(&s, x->models, 1, 1, err)) != 0) {
			if (ret == 1) {
				set(r, "skipped", "retrain in progress");
				ret = 0;
			}
			goto out;
		}
		locked = 1;
		ret = -1;
	}
	if (load_evidence(x, &t, r->key, &max_id, err) < 0)
		goto out;
	if (locked) {
		if ((found = settle(x, &s, r->key, err)) < 0)
			goto out;
		if (found > 0) {
			/* Rows were consumed: what is left is the evidence. */
			mm_table_release(&t);
			mm_table_init(&t);
			if (load_evidence(x, &t, r->key, &max_id, err) < 0)
				goto out;
		}
	}
	rows = mm_train_usable(&t, &n, &incomplete);
	if ((long)n < rc->min_samples) {
		skip(x, r, "%zu labelled rows of evidence, min_samples is %ld",
		    n, rc->min_samples);
		r->key[0] = '\0';
		ret = 0;
		goto out;
	}
	if (x->dry_run) {
		if ((ret = snapshot(x, r->key, status, sizeof(status),
		    err)) < 0)
			goto out;
		if (ret == 0 && (strcmp(status, "executed") == 0 ||
		    strcmp(status, "skipped") == 0))
			skip(x, r, "this evidence was already used (snapshot "
			    "%s)", status);
		else if (!stale(x, meta, r, err))
			set(r, "dry_run", "would retrain on %zu labelled rows",
			    n);
		ret = 0;
		goto out;
	}
	if ((found = snapshot(x, r->key, status, sizeof(status), err)) < 0)
		goto out;
	if (found == 0) {
		if (strcmp(status, "executed") == 0 ||
		    strcmp(status, "skipped") == 0) {
			set(r, "skipped", "this evidence was already used "
			    "(snapshot %s)", status);
			ret = 0;
			goto out;
		}
		/* pending: a run died; finish what it did, redo the rest. */
		if ((have = version_with_key(x, r->key, r->version,
		    sizeof(r->version), err)) < 0)
			goto out;
		if (have == 0) {
			double f1;

			if (mm_store_card_f1(x->models, r->version, &f1,
			    err) < 0 || mm_store_activate(&s, r->version, f1,
			    clock_now(x), err) < 0)
				goto out;
			set(r, "executed", "completed an interrupted retrain: "
			    "%s active", r->version);
			if (finish(x, r->key, "executed", max_id, ts, source,
			    reason, meta, r, err) < 0)
				goto out;
			*recorded = 1;
			ret = 0;
			goto out;
		}
	}
	/*
	 * Only now: an interrupted retrain is completed above even though
	 * the version it made live has made its decision stale.
	 */
	if (stale(x, meta, r, err)) {
		ret = 0;
		goto out;
	}
	if (found == 1) {
		if (exec_sql(x, "INSERT INTO retrain_snapshots (key, status, "
		    "n_rows, max_evidence_id, created_at, updated_at) VALUES "
		    "(?1, 'pending', ?4, ?6, ?5, ?5)", r->key, NULL, NULL,
		    (long long)n, max_id, err) < 0)
			goto out;
		mm_fault("exec-snapshot-pending");
	}
	for (i = 0; i < n; i++)
		if (t.labels[rows[i]] + 1 > nclass)
			nclass = t.labels[rows[i]] + 1;
	tri = mm_xmalloc(n * sizeof(size_t));
	vai = mm_xmalloc(n * sizeof(size_t));
	if (n < 50) {
		/* Too few to hold rows out: train and score on all. */
		memcpy(tri, rows, n * sizeof(size_t));
		memcpy(vai, rows, n * sizeof(size_t));
		ntr = nva = n;
	} else {
		size_t *a = mm_xmalloc(n * sizeof(size_t));
		size_t *b = mm_xmalloc(n * sizeof(size_t));

		y = mm_xmalloc(n * sizeof(int));
		for (i = 0; i < n; i++)
			y[i] = t.labels[rows[i]];
		mm_rng_seed(&rng, (uint64_t)x->cfg.model.seed, 3);
		mm_stratified_split(y, n, nclass, rc->holdout, &rng, a, &ntr,
		    b, &nva);
		for (i = 0; i < ntr; i++)
			tri[i] = rows[a[i]];
		for (i = 0; i < nva; i++)
			vai[i] = rows[b[i]];
		free(a);
		free(b);
		free(y);
	}
	act = active_f1(x, &t, vai, nva, err);
	if (act == -1) {
		/* The live model cannot be scored: no fair gate, no retrain. */
		set(r, "failed", "cannot score the live model: %s", err->msg);
		memset(err, 0, sizeof(*err));
		if (finish(x, r->key, "failed", max_id, ts, source, reason,
		    meta, r, err) < 0)
			goto out;
		*recorded = 1;
		ret = 0;
		goto out;
	}
	snprintf(extra, sizeof(extra), "\"retrain_key\":\"%s\"", r->key);
	job.data = &t;
	job.train = tri;
	job.valid = vai;
	job.ntrain = ntr;
	job.nvalid = nva;
	job.nclass = nclass < 2 ? 2 : nclass;
	job.model = &x->cfg.model;
	job.bins = x->cfg.drift.bins;
	job.now = clock_now(x);
	job.source = "retrain on evidence";
	job.validation = "holdout";
	job.incomplete = incomplete;
	job.extra = extra;
	if (mm_train_run(&job, &out, err) < 0) {
		set(r, "failed", "%s", err->msg);
		if (finish(x, r->key, "failed", max_id, ts, source, reason,
		    meta, r, err) < 0)
			goto out;
		*recorded = 1;
		ret = 0;
		goto out;
	}
	mm_fault("exec-trained");
	cand = out.scores.f1;
	if (isnan(act))
		act = 0;	/* nothing live to beat */
	if (!(cand - act >= rc->min_f1_gain - 1e-9)) {
		set(r, "skipped", "candidate F1 %.4f does not beat the active "
		    "model's %.4f by min_f1_gain %.4g on %zu held-out rows",
		    cand, act, rc->min_f1_gain, nva);
		if (finish(x, r->key, "skipped", max_id, ts, source, reason,
		    meta, r, err) < 0)
			goto out;
		*recorded = 1;
		ret = 0;
		goto out;
	}
	{
		struct mm_store_file files[3] = {
			{ "model.json", out.model.p, out.model.n },
			{ "reference.json", out.reference.p,
			    out.reference.n },
			{ "card.json", out.card.p, out.card.n },
		};

		if (mm_store_write_version(&s, clock_now(x), files, 3,
		    r->version, sizeof(r->version), err) < 0)
			goto out;
	}
	mm_fault("exec-version-written");
	if (mm_store_activate(&s, r->version, cand, clock_now(x), err) < 0)
		goto out;
	mm_fault("exec-activated");
	set(r, "executed", "retrained on %zu rows: %s active, F1 %.4f against "
	    "%.4f on %zu held-out rows", n, r->version, cand, act, nva);
	if (finish(x, r->key, "executed", max_id, ts, source, reason, meta, r,
	    err) < 0)
		goto out;
	*recorded = 1;
	ret = 0;
out:
	if (locked)
		mm_store_close(&s);
	mm_train_release(&out);
	mm_table_release(&t);
	free(rows);
	free(tri);
	free(vai);
	return ret;
}

static void
exec_json(const struct result *r, struct mm_buf *b)
{
	mm_buf_printf(b, "{\"status\":\"%s\",\"detail\":", r->status);
	mm_jw_str(b, r->detail);
	mm_buf_puts(b, ",\"model_version\":");
	if (r->version[0] != '\0')
		mm_jw_str(b, r->version);
	else
		mm_buf_puts(b, "null");
	mm_buf_puts(b, ",\"retrain_key\":");
	if (r->key[0] != '\0')
		mm_jw_str(b, r->key);
	else
		mm_buf_puts(b, "null");
	mm_buf_putc(b, '}');
}

static char *
span_string(const struct mm_rec *rec, const char *key)
{
	const struct mm_field *f = mm_rec_get(rec, key);
	json_t *v;
	char *s = NULL;

	if (f == NULL)
		return NULL;
	v = json_loadb(f->val.p, f->val.n, JSON_DECODE_ANY, NULL);
	if (json_is_string(v))
		s = mm_xstrdup(json_string_value(v));
	json_decref(v);
	return s;
}

static int
do_record(struct exec *x, char *line, size_t len, struct mm_err *err)
{
	const struct mm_field *d, *f;
	const struct mm_span *meta = NULL;
	struct result r;
	char *action = NULL, *reason = NULL, *source;
	double ts;
	int a, recorded = 0, rc = -1;

	memset(&r, 0, sizeof(r));
	if (mm_rec_parse(&x->rec, line, len, NULL, NULL, err) < 0)
		return -1;
	if ((d = mm_rec_get(&x->rec, "decision")) == NULL) {
		x->passed++;
		fwrite(line, 1, len, stdout);
		putchar('\n');
		return 0;
	}
	if (mm_rec_parse(&x->dec, d->val.p, d->val.n, NULL, NULL, err) < 0)
		return mm_errf(err, MM_EINPUT, 0, "'decision' is not an "
		    "object");
	action = span_string(&x->dec, "action");
	reason = span_string(&x->dec, "reason");
	if ((f = mm_rec_get(&x->dec, "metadata")) != NULL)
		meta = &f->val;
	if (action == NULL || (a = mm_action_parse(action)) < 0) {
		mm_errf(err, MM_EINPUT, 0, "'decision.action' is not one of "
		    "none, reject, rollback, retrain, promote");
		goto out;
	}
	source = span_string(&x->rec, "batch_id");
	if (source == NULL)
		source = span_string(&x->rec, "window");
	f = mm_rec_get(&x->rec, "ts");
	if (f == NULL || mm_json_number(f->val.p, &ts) == NULL)
		ts = clock_now(x);
	/* A retrain checks under the store's lock (see do_retrain). */
	if ((a == MM_ROLLBACK || a == MM_PROMOTE) && stale(x, meta, &r,
	    err)) {
		rc = 0;
		goto record;
	}
	switch (a) {
	case MM_ROLLBACK:
		rc = do_rollback(x, &r, err);
		break;
	case MM_PROMOTE:
		rc = do_promote(x, &r, err);
		break;
	case MM_RETRAIN:
		rc = do_retrain(x, ts, source ? source : "record", reason ?
		    reason : "", meta, &r, &recorded, err);
		break;
	default:
		if (x->dry_run)
			set(&r, "dry_run", "would record");
		else
			set(&r, "executed", "recorded");
		rc = 0;
	}
record:
	if (rc < 0) {
		/* The store or database failed: say so, and stop. */
		free(source);
		goto out;
	}
	if (!x->dry_run && !recorded && history(x, ts, source ? source :
	    "record", action, reason ? reason : "", meta, &r, err) < 0) {
		free(source);
		rc = -1;
		goto out;
	}
	free(source);
	mm_buf_reset(&x->out);
	exec_json(&r, &x->out);
	if (mm_rec_write(stdout, &x->rec, NULL, "exec", x->out.p,
	    x->out.n) < 0 || fflush(stdout) != 0)
		rc = mm_errf(err, MM_ESYS, 0, "write error: %s",
		    strerror(errno));
out:
	free(action);
	free(reason);
	return rc;
}

static int
on_line(void *ctx, char *line, size_t len, struct mm_err *err)
{
	return do_record(ctx, line, len, err);
}

int
main(int argc, char **argv)
{
	struct exec x;
	struct mm_optstate st = { .prog = "mm-exec",
	    .synopsis = "[--db FILE] [--models DIR] [--config DIR] [--now TS] "
	    "[--dry-run]\n"
	    " [--skip-bad] [--max-record BYTES] [FILE ...]",
	    .about = "Carry out each record's decision (rollback, promote, "
	    "retrain) and record it." };
	struct mm_err err = { 0 };
	const char *dbpath = NULL, *config = NULL;
	int o, rc = MM_OK;

	memset(&x, 0, sizeof(x));
	x.run.prog = prog;
	while ((o = mm_getopt(&st, argc, argv, opts)) != -1) {
		switch (o) {
		case O_DB: dbpath = st.arg; break;
		case O_MODELS: x.models = st.arg; break;
		case O_CONFIG: config = st.arg; break;
		case O_NOW:
			if (mm_opt_double(&st, "now", 0, 1e11, &x.now) < 0)
				return MM_EINPUT;
			x.have_now = 1;
			break;
		case O_DRYRUN: x.dry_run = 1; break;
		case O_SKIPBAD: x.run.skip_bad = 1; break;
		case O_MAXREC:
			if (mm_opt_size(&st, "max-record",
			    &x.run.max_record) < 0)
				return MM_EINPUT;
			break;
		default:
			return o == -3 ? MM_OK : MM_EINPUT;
		}
	}
	x.models = mm_models_dir(x.models);
	if (mm_config_load(&x.cfg, config, MM_CFG_RETRAIN | MM_CFG_MODEL |
	    MM_CFG_DRIFT, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	if (mm_db_open(&x.db, mm_db_path(dbpath), &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	mm_rec_init(&x.rec);
	mm_rec_init(&x.dec);
	mm_buf_init(&x.out);
	rc = mm_run(&x.run, argc - st.ind, argv + st.ind, on_line, &x);
	mm_rec_release(&x.rec);
	mm_rec_release(&x.dec);
	mm_buf_release(&x.out);
	mm_db_close(&x.db);
	return mm_run_finish(&x.run, rc);
}
