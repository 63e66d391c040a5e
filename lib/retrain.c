#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "metrics.h"
#include "model.h"
#include "policy.h"
#include "retrain.h"
#include "rng.h"
#include "train.h"

static double
now(const struct mm_exec *x)
{
	return mm_clock(x->now);
}

static void __attribute__((format(printf, 3, 4)))
set(struct mm_exec_result *r, const char *status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* A decision refused as failed; with dry_run, one that would be. */
static void __attribute__((format(printf, 3, 4)))
refuse(const struct mm_exec *x, struct mm_exec_result *r, const char *fmt,
    ...)
{
	va_list ap;
	size_t n = 0;

	r->status = x->dry_run ? "dry_run" : "failed";
	if (x->dry_run)
		n = (size_t)snprintf(r->detail, sizeof(r->detail),
		    "would fail: ");
	va_start(ap, fmt);
	vsnprintf(r->detail + n, sizeof(r->detail) - n, fmt, ap);
	va_end(ap);
}

/* A decision not carried out; with dry_run, one that would not be. */
static void __attribute__((format(printf, 3, 4)))
skip(const struct mm_exec *x, struct mm_exec_result *r, const char *fmt, ...)
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

/*
 * A decision made while another version was live than a (NULL: none
 * is live now) is stale: acting on it could undo what was just done.
 */
static int
stale(const struct mm_exec *x, const struct mm_exec_decision *d,
    const struct mm_active *a, struct mm_exec_result *r)
{
	if (d->decided_for == NULL || a == NULL ||
	    strcmp(a->version, d->decided_for) == 0)
		return 0;
	skip(x, r, "stale: decided while %s was live, %s is live now",
	    d->decided_for, a->version);
	return 1;
}

/*
 * versions/<v> of the store holds model.json and card.json: 1; 0 when
 * one is missing; -1 with err when the store cannot be read.
 */
static int
complete(const char *models, const char *v, struct mm_err *err)
{
	static const char *const files[] = { "model.json", "card.json" };
	char path[4096];
	struct stat st;
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/versions/%s/%s", models, v,
		    files[i]);
		if (stat(path, &st) == 0)
			continue;
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		mm_errf(err, MM_ESYS, 0, "cannot check: %s", strerror(errno));
		mm_err_where(err, path);
		return -1;
	}
	return 1;
}

/*
 * Under the lock (or, dry, without): the active version into *a, NULL
 * when none is live.  0, or -1 with err (a corrupt active.json).
 */
static int
active(const struct mm_exec *x, struct mm_active *buf,
    const struct mm_active **a, struct mm_err *err)
{
	int rc = mm_store_read_active(x->models, buf, err);

	*a = rc == 0 ? buf : NULL;
	return rc < 0 ? -1 : 0;
}

static int
do_rollback(const struct mm_exec *x, const struct mm_exec_decision *d,
    struct mm_exec_result *r, struct mm_err *err)
{
	struct mm_store s;
	struct mm_active buf;
	const struct mm_active *a;
	int rc;

	if (active(x, &buf, &a, err) < 0)
		return -1;
	if (a == NULL) {
		skip(x, r, "no active version to roll back");
		return 0;
	}
	if (!x->dry_run && mm_store_open(&s, x->models, 0, 0, err) != 0)
		return -1;
	/* Under the lock, nothing changes between the check and the act. */
	if (!x->dry_run && (rc = active(x, &buf, &a, err)) < 0)
		goto out;
	rc = 0;
	if (a == NULL) {
		skip(x, r, "no active version to roll back");
		goto out;
	}
	if (stale(x, d, a, r))
		goto out;
	if (a->previous[0] == '\0') {
		skip(x, r, "no previous version to roll back to");
		goto out;
	}
	if ((rc = complete(x->models, a->previous, err)) <= 0) {
		if (rc == 0)
			skip(x, r, "previous version %s is not in the store",
			    a->previous);
		goto out;
	}
	rc = 0;
	if (mm_version_loads(x->models, a->previous, err) < 0) {
		/* Live, it would stop every mm-predict that follows. */
		refuse(x, r, "previous version %s does not load; not rolled "
		    "back: %s", a->previous, err->msg);
		memset(err, 0, sizeof(*err));
		goto out;
	}
	if (x->dry_run) {
		set(r, "dry_run", "would roll back from %s to %s", a->version,
		    a->previous);
		goto out;
	}
	rc = mm_store_rollback(&s, NULL, now(x), r->version,
	    sizeof(r->version), err);
	if (rc == 0)
		set(r, "executed", "rolled back from %s to %s", a->version,
		    r->version);
	else if (rc == 1) {
		set(r, "skipped", "no previous version to roll back to");
		rc = 0;
	}
out:
	if (!x->dry_run)
		mm_store_close(&s);
	return rc;
}

static int
do_promote(const struct mm_exec *x, const struct mm_exec_decision *d,
    struct mm_exec_result *r, struct mm_err *err)
{
	struct mm_store s;
	struct mm_active buf;
	const struct mm_active *a;
	char cand[MM_VERSION_MAX];
	int rc;

	if ((rc = mm_store_read_candidate(x->models, cand, sizeof(cand),
	    err)) < 0)
		return -1;
	if (rc == 1) {
		skip(x, r, "no staged candidate to promote");
		return 0;
	}
	if (!x->dry_run && mm_store_open(&s, x->models, 0, 0, err) != 0)
		return -1;
	/* Under the lock, nothing changes between the check and the act. */
	if ((rc = active(x, &buf, &a, err)) < 0 ||
	    (rc = mm_store_read_candidate(x->models, cand, sizeof(cand),
	    err)) < 0)
		goto out;
	if (stale(x, d, a, r)) {
		rc = 0;
		goto out;
	}
	if (rc == 1) {
		skip(x, r, "no staged candidate to promote");
		rc = 0;
		goto out;
	}
	if ((rc = complete(x->models, cand, err)) <= 0) {
		if (rc == 0)
			skip(x, r, "staged candidate %s is not in the store",
			    cand);
		goto out;
	}
	rc = 0;
	if (mm_version_loads(x->models, cand, err) < 0) {
		refuse(x, r, "staged candidate %s does not load; not "
		    "promoted: %s", cand, err->msg);
		memset(err, 0, sizeof(*err));
		goto out;
	}
	if (x->dry_run) {
		set(r, "dry_run", "would promote %s", cand);
		goto out;
	}
	rc = mm_store_promote(&s, now(x), r->version, sizeof(r->version),
	    err);
	if (rc == 0)
		set(r, "executed", "promoted %s", r->version);
	else if (rc == 1) {
		set(r, "skipped", "no staged candidate to promote");
		rc = 0;
	}
out:
	if (!x->dry_run)
		mm_store_close(&s);
	return rc;
}

int
mm_exec_horizon(const struct mm_exec *x, const struct mm_exec_decision *d,
    long *horizon, struct mm_err *err)
{
	if (d->has_horizon) {
		*horizon = d->horizon;
		return 0;
	}
	if (d->batch_id == NULL && !d->window) {
		*horizon = MM_HORIZON_ALL;
		return 0;
	}
	return mm_evidence_horizon(x->db, d->batch_id, d->ts, horizon,
	    err) < 0 ? -1 : 0;
}

/*
 * F1 of the live version (NULL: none) on rows idx of t into *f1: NaN
 * when none is live or it has other features.  0; 1 when it cannot be
 * loaded (err says why).
 */
static int
active_f1(const struct mm_exec *x, const struct mm_active *a,
    const struct mm_table *t, const size_t *idx, size_t n, double *f1,
    struct mm_err *err)
{
	struct mm_model m;
	struct mm_scores sc;
	const double **cols;
	double **all, *proba;
	int *y, *pred, j, k;

	*f1 = NAN;
	if (a == NULL)
		return 0;
	if (mm_model_load(&m, x->models, a->version, err) < 0)
		return 1;
	all = mm_gather(t, idx, n, &y);
	cols = mm_xcalloc((size_t)m.nfeat, sizeof(double *));
	for (j = 0; j < m.nfeat; j++) {
		for (k = 0; k < t->nfeat; k++)
			if (strcmp(t->names[k], m.features[j]) == 0)
				break;
		if (k == t->nfeat)
			break;		/* other features: not comparable */
		cols[j] = all[k];
	}
	if (j == m.nfeat) {
		proba = mm_xmalloc(n * (size_t)m.forest.nclass *
		    sizeof(double));
		pred = mm_xmalloc(n * sizeof(int));
		m.forest.params.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
		mm_forest_predict(&m.forest, cols, n, proba);
		mm_argmax(proba, n, m.forest.nclass, pred);
		mm_score(y, pred, n, m.forest.nclass, &sc);
		*f1 = sc.f1;
		free(proba);
		free(pred);
	}
	free(cols);
	mm_free_cols(all, t->nfeat);
	free(y);
	mm_model_release(&m);
	return 0;
}

/* The rows a retrain trains on and scores on. */
struct split {
	size_t *train, *valid, ntrain, nvalid;
	int nclass;
};

static void
split_rows(const struct mm_exec *x, const struct mm_table *t,
    const size_t *rows, size_t n, struct split *sp)
{
	struct mm_rng rng;
	size_t *a, *b, i;
	int *y;

	sp->nclass = 0;
	for (i = 0; i < n; i++)
		if (t->labels[rows[i]] + 1 > sp->nclass)
			sp->nclass = t->labels[rows[i]] + 1;
	sp->train = mm_xmalloc((n ? n : 1) * sizeof(size_t));
	sp->valid = mm_xmalloc((n ? n : 1) * sizeof(size_t));
	if (n < 50) {
		/* Too few to hold rows out: train and score on all. */
		memcpy(sp->train, rows, n * sizeof(size_t));
		memcpy(sp->valid, rows, n * sizeof(size_t));
		sp->ntrain = sp->nvalid = n;
		return;
	}
	a = mm_xmalloc(n * sizeof(size_t));
	b = mm_xmalloc(n * sizeof(size_t));
	y = mm_xmalloc(n * sizeof(int));
	for (i = 0; i < n; i++)
		y[i] = t->labels[rows[i]];
	mm_rng_seed(&rng, (uint64_t)x->cfg->model.seed, 3);
	mm_stratified_split(y, n, sp->nclass, x->cfg->retrain.holdout, &rng,
	    a, &sp->ntrain, b, &sp->nvalid);
	for (i = 0; i < sp->ntrain; i++)
		sp->train[i] = rows[a[i]];
	for (i = 0; i < sp->nvalid; i++)
		sp->valid[i] = rows[b[i]];
	free(a);
	free(b);
	free(y);
}

/* A retrain in progress: what it holds, released by retrain_release. */
struct retrain {
	const struct mm_exec *x;
	const struct mm_exec_decision *d;
	struct mm_exec_result *r;
	struct mm_store s;
	int locked;
	int db_locked;			/* the database's retrain lock */
	struct mm_active abuf;
	const struct mm_active *a;	/* live under the lock, or NULL */
	struct mm_evidence ev;
	size_t *rows, n;
	struct split sp;
	struct mm_schema classes;	/* the live version's, kept */
	int keep;			/* classes are used */
	struct mm_train_out out;
	int recorded;			/* the history row went in */
};

static void
retrain_release(struct retrain *t)
{
	if (t->db_locked)
		mm_db_unlock(t->x->db, MM_DB_LOCK_RETRAIN);
	if (t->locked)
		mm_store_close(&t->s);
	mm_evidence_release(&t->ev);
	mm_train_release(&t->out);
	mm_schema_release(&t->classes);
	free(t->rows);
	free(t->sp.train);
	free(t->sp.valid);
}

/*
 * A retrain keeps the live version's classes and their order: a model
 * trained with --positive 0 has the classes [1,0], and its F1, the gate
 * and the baseline are class 0's.  Evidence labels become the class
 * numbers of that order; a row whose label is not one of its classes is
 * left out as a bad label.  A live version whose classes are 0 to K - 1
 * (or without a schema, mm-forest/1) needs nothing: evidence labels are
 * its class numbers already, and a new label adds a class.
 */
static void
keep_classes(struct retrain *t)
{
	struct mm_table *ev = &t->ev.rows;
	struct mm_err err = { 0 };
	size_t i, k;
	int c, y;

	t->keep = t->a != NULL && mm_schema_load(&t->classes, t->x->models,
	    &err) == 0 && t->classes.int_classes &&
	    !mm_schema_plain(&t->classes);
	for (i = k = 0; t->keep && i < t->n; i++) {
		y = ev->labels[t->rows[i]];
		if ((c = mm_encode_int_label(&t->classes, y)) < 0) {
			if (t->ev.bad++ == 0) {
				t->ev.bad_id = 0;	/* not known here */
				snprintf(t->ev.bad_label,
				    sizeof(t->ev.bad_label), "%d", y);
			}
			continue;
		}
		ev->labels[t->rows[i]] = c;
		t->rows[k++] = t->rows[i];
	}
	if (t->keep)
		t->n = k;
}

/* The detail says how many rows were left out for their label. */
static void
left_out(const struct retrain *t)
{
	char *p = t->r->detail;
	size_t n = strlen(p);

	if (t->ev.bad == 0)
		return;
	if (t->keep)
		snprintf(p + n, sizeof(t->r->detail) - n, "; left out %ld "
		    "row%s of evidence whose label is not one of the live "
		    "version's classes (label %s)", t->ev.bad,
		    t->ev.bad == 1 ? "" : "s", t->ev.bad_label);
	else
		snprintf(p + n, sizeof(t->r->detail) - n, "; left out %ld "
		    "row%s of evidence whose label is not a class from 0 to "
		    "%d (evidence id %ld: %s)", t->ev.bad,
		    t->ev.bad == 1 ? "" : "s", MM_MAX_CLASSES - 1,
		    t->ev.bad_id, t->ev.bad_label);
}

/* Step 9: the snapshot finished, the history row, in one transaction. */
static int
finish(struct retrain *t, int status, struct mm_err *err)
{
	const struct mm_exec_decision *d = t->d;
	struct mm_history h = { d->ts, d->source, "retrain", d->reason,
	    d->meta, d->meta_len, t->r->status, t->r->detail, t->r->version };

	left_out(t);
	if (mm_snapshot_finish(t->x->db, t->r->key, status, t->r->version,
	    t->r->detail, &h, now(t->x), err) < 0)
		return -1;
	t->recorded = 1;
	mm_fault("exec-snapshot-done");
	return 0;
}

/* Steps 1 to 3; 1 when the retrain stops there (r says why). */
static int
gather(struct retrain *t, struct mm_err *err)
{
	const struct mm_exec *x = t->x;
	long horizon, cap = x->cfg->retrain.buffer_rows;
	int rc;

	if (!x->dry_run) {
		if ((rc = mm_store_open(&t->s, x->models, 1, 1, err)) < 0)
			return -1;
		if (rc == 1) {
			set(t->r, "skipped", "retrain in progress");
			return 1;
		}
		t->locked = 1;
		/* And on every machine that shares the database. */
		if ((rc = mm_db_try_lock(x->db, MM_DB_LOCK_RETRAIN, err)) < 0)
			return -1;
		if (rc == 1) {
			set(t->r, "skipped", "retrain in progress");
			return 1;
		}
		t->db_locked = 1;
	}
	if (active(x, &t->abuf, &t->a, err) < 0 ||
	    mm_exec_horizon(x, t->d, &horizon, err) < 0 ||
	    mm_evidence_load(x->db, horizon, cap, &t->ev, err) < 0)
		return -1;
	if (t->locked) {
		if ((rc = mm_retrain_settle(x, &t->s, t->ev.key, err)) < 0)
			return -1;
		if (rc > 0) {
			/* Rows were consumed, the live version changed. */
			mm_evidence_release(&t->ev);
			mm_evidence_init(&t->ev);
			if (active(x, &t->abuf, &t->a, err) < 0 ||
			    mm_evidence_load(x->db, horizon, cap, &t->ev,
			    err) < 0)
				return -1;
		}
	}
	snprintf(t->r->key, sizeof(t->r->key), "%s", t->ev.key);
	t->rows = mm_train_usable(&t->ev.rows, &t->n);
	return 0;
}

/*
 * Step 4: the key's snapshot.  1 when the retrain stops there (used
 * already, or completed), 0 to go on, -1 with err.
 */
static int
resume(struct retrain *t, struct mm_err *err)
{
	struct mm_snapshot sn;
	int rc;

	if ((rc = mm_snapshot_get(t->x->db, t->r->key, &sn, err)) != 0)
		return rc < 0 ? -1 : 0;
	if (sn.status == MM_SNAP_EXECUTED || sn.status == MM_SNAP_SKIPPED) {
		skip(t->x, t->r, "this evidence was already used (snapshot "
		    "%s)", mm_snap_names[sn.status]);
		return 1;
	}
	if (sn.status == MM_SNAP_FAILED && !mm_snapshot_interrupted(&sn)) {
		/* It would fail the same way: once is enough. */
		skip(t->x, t->r, "a retrain on this evidence failed, and is "
		    "not tried again: %s", sn.detail);
		return 1;
	}
	if (t->x->dry_run)
		return 0;
	/* Pending (a run died) or interrupted: finish what it did. */
	if ((rc = mm_retrain_find_version(t->x->models, t->r->key,
	    t->r->version, sizeof(t->r->version), err)) != 0)
		return rc < 0 ? -1 : 0;
	if ((rc = mm_retrain_make_live(t->x, &t->s, t->r->version, err)) < 0)
		return -1;
	if (rc == 1) {
		set(t->r, "failed", "version %s of an interrupted retrain does "
		    "not load; not made live: %s", t->r->version, err->msg);
		t->r->version[0] = '\0';
		memset(err, 0, sizeof(*err));
	} else
		set(t->r, "executed", "completed an interrupted retrain: %s "
		    "active", t->r->version);
	if (mm_snapshot_begin(t->x->db, t->r->key, (long)t->n, t->ev.max_id,
	    now(t->x), err) < 0)
		return -1;
	return finish(t, rc == 0 ? MM_SNAP_EXECUTED : MM_SNAP_FAILED,
	    err) < 0 ? -1 : 1;
}

/* Steps 7 to 9, under the lock. */
static int
train(struct retrain *t, struct mm_err *err)
{
	const struct mm_exec *x = t->x;
	const struct mm_retrain_cfg *c = &x->cfg->retrain;
	struct mm_train_job job = { 0 };
	char extra[MM_SHA_HEX + 64];
	double cand, act;
	int rc;

	if ((rc = mm_snapshot_begin(x->db, t->r->key, (long)t->n,
	    t->ev.max_id, now(x), err)) < 0)
		return -1;
	if (rc == 1)	/* resume() saw it otherwise, under the lock */
		return mm_errf(err, MM_ESYS, 0, "retrain snapshot %.16s was "
		    "finished by another run", t->r->key);
	if (rc == 2) {
		/* Runs that died on it, again and again: likely the same
		   cause each time, so no more. */
		set(t->r, "failed", "gave up: %d attempts at this retrain were "
		    "interrupted before a version was written",
		    MM_RETRAIN_TRIES);
		return finish(t, MM_SNAP_FAILED, err);
	}
	mm_fault("exec-snapshot-pending");
	keep_classes(t);
	split_rows(x, &t->ev.rows, t->rows, t->n, &t->sp);
	if (active_f1(x, t->a, &t->ev.rows, t->sp.valid, t->sp.nvalid, &act,
	    err) == 1) {
		/* The live model cannot be scored: no fair gate, no retrain. */
		set(t->r, "failed", "cannot score the live model: %s",
		    err->msg);
		memset(err, 0, sizeof(*err));
		return finish(t, MM_SNAP_FAILED, err);
	}
	snprintf(extra, sizeof(extra), "\"retrain_key\":\"%s\"", t->r->key);
	if (t->ev.bad > 0)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		    ",\"skipped_bad_label\":%ld", t->ev.bad);
	job.data = &t->ev.rows;
	job.train = t->sp.train;
	job.valid = t->sp.valid;
	job.ntrain = t->sp.ntrain;
	job.nvalid = t->sp.nvalid;
	job.nclass = t->sp.nclass < 2 ? 2 : t->sp.nclass;
	if (t->keep) {
		job.classes = &t->classes;
		job.nclass = t->classes.nclass;
	}
	job.model = &x->cfg->model;
	job.bins = x->cfg->drift.bins;
	job.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	job.now = now(x);
	job.clock = mm_monotonic;	/* train.c reads no clock */
	job.source = "retrain on evidence";
	job.validation = "holdout";
	job.extra = extra;
	if (mm_train_run(&job, &t->out, err) < 0) {
		set(t->r, "failed", "%s", err->msg);
		memset(err, 0, sizeof(*err));
		return finish(t, MM_SNAP_FAILED, err);
	}
	mm_fault("exec-trained");
	cand = t->out.scores.f1;
	if (isnan(act))
		act = 0;	/* nothing live to beat */
	if (!(cand - act >= c->min_f1_gain - 1e-9)) {
		set(t->r, "skipped", "candidate F1 %.4f does not beat the "
		    "active model's %.4f by min_f1_gain %.4g on %zu held-out "
		    "rows", cand, act, c->min_f1_gain, t->sp.nvalid);
		return finish(t, MM_SNAP_SKIPPED, err);
	}
	{
		struct mm_store_file files[3] = {
			{ "model.json", t->out.model.p, t->out.model.n },
			{ "reference.json", t->out.reference.p,
			    t->out.reference.n },
			{ "card.json", t->out.card.p, t->out.card.n },
		};

		if (mm_store_write_version(&t->s, now(x), files, 3,
		    t->r->version, sizeof(t->r->version), err) < 0)
			return -1;
	}
	mm_fault("exec-version-written");
	if (mm_version_loads(x->models, t->r->version, err) < 0) {
		/* Written, but mm-predict would refuse it: never live. */
		set(t->r, "failed", "version %s does not load; not made live: "
		    "%s", t->r->version, err->msg);
		t->r->version[0] = '\0';
		memset(err, 0, sizeof(*err));
		return finish(t, MM_SNAP_FAILED, err);
	}
	if (mm_store_activate(&t->s, t->r->version, cand, now(x), err) < 0)
		return -1;
	mm_fault("exec-activated");
	set(t->r, "executed", "retrained on %zu rows: %s active, F1 %.4f "
	    "against %.4f on %zu held-out rows", t->n, t->r->version, cand,
	    act, t->sp.nvalid);
	return finish(t, MM_SNAP_EXECUTED, err);
}

/*
 * A retrain.  *recorded is set when its history row went in with the
 * snapshot (step 9).
 */
static int
do_retrain(const struct mm_exec *x, const struct mm_exec_decision *d,
    struct mm_exec_result *r, int *recorded, struct mm_err *err)
{
	struct retrain t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.x = x;
	t.d = d;
	t.r = r;
	mm_evidence_init(&t.ev);
	mm_train_init(&t.out);
	if ((rc = gather(&t, err)) != 0 || (rc = resume(&t, err)) != 0)
		goto out;
	/*
	 * Only now: an interrupted retrain is completed above even though
	 * the version it made live has made its decision stale.
	 */
	if (stale(x, d, t.a, r))
		goto out;
	if ((long)t.n < x->cfg->retrain.min_samples) {
		skip(x, r, "%zu labelled rows of evidence, min_samples is %ld",
		    t.n, x->cfg->retrain.min_samples);
		left_out(&t);
		r->key[0] = '\0';
		goto out;
	}
	if (x->dry_run) {
		set(r, "dry_run", "would retrain on %zu labelled rows", t.n);
		left_out(&t);
		goto out;
	}
	rc = train(&t, err);
out:
	*recorded = t.recorded;
	retrain_release(&t);
	return rc < 0 ? -1 : 0;
}

int
mm_exec_decision(const struct mm_exec *x, const struct mm_exec_decision *d,
    struct mm_exec_result *r, struct mm_err *err)
{
	struct mm_history h;
	int rc = 0, recorded = 0;

	memset(r, 0, sizeof(*r));
	switch (d->action) {
	case MM_ROLLBACK:
		rc = do_rollback(x, d, r, err);
		break;
	case MM_PROMOTE:
		rc = do_promote(x, d, r, err);
		break;
	case MM_RETRAIN:
		rc = do_retrain(x, d, r, &recorded, err);
		break;
	default:
		set(r, x->dry_run ? "dry_run" : "executed", x->dry_run ?
		    "would record" : "recorded");
	}
	if (rc == 0 && !x->dry_run && !recorded) {
		h.ts = d->ts;
		h.source = d->source;
		h.action = mm_action_names[d->action];
		h.reason = d->reason;
		h.meta = d->meta;
		h.meta_len = d->meta_len;
		h.status = r->status;
		h.detail = r->detail;
		h.version = r->version;
		rc = mm_history_add(x->db, &h, now(x), err);
	}
	/* Nothing here is about the input line: the store or database. */
	if (rc < 0)
		err->code = MM_ESYS;
	return rc < 0 ? -1 : 0;
}
