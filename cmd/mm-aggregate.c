/*
 * mm-aggregate - roll the batch metrics of one model version up into
 * time windows: accuracy and F1 from the batches' summed confusion
 * counts, the window's drift from their summed bin counts.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "json.h"
#include "metrics.h"
#include "mm.h"
#include "opt.h"
#include "psi.h"
#include "ref.h"
#include "store.h"
#include "timeparse.h"

static const char *prog = "mm-aggregate";

enum {
	O_DB, O_MODELS, O_CONFIG, O_NOW, O_WINDOW, O_VERSION
};

static const struct mm_opt opts[] = {
	[O_DB] = MM_OPT_DB,
	[O_MODELS] = MM_OPT_MODELS,
	[O_CONFIG] = MM_OPT_CONFIG,
	[O_NOW] = MM_OPT_NOW("end of the windows (default: the clock)"),
	[O_WINDOW] = { "window", 'w', "LEN", "one window such as 5m, 1h or "
	    "24h" },
	[O_VERSION] = { "model-version", 'V', "V", "windows of version V, not "
	    "of the live one" },
	MM_OPT_END
};

/*
 * The batches of a window: of one version, or (with no version to ask
 * for) every batch.  Each query is answered from an index alone, in
 * time order, so that the sums are added up in the same order from
 * either store (SQLite walks the index in that order anyway).
 */
static const char *const q_version = "SELECT id, n_samples, "
    "avg_confidence, latency_ms, confusion FROM metrics "
    "WHERE model_version = ?3 AND ts > ?1 AND ts <= ?2 ORDER BY ts";
static const char *const q_all = "SELECT id, n_samples, avg_confidence, "
    "latency_ms, confusion FROM metrics WHERE ts > ?1 AND ts <= ?2 "
    "ORDER BY ts";

struct agg {
	struct mm_db db;
	struct mm_config cfg;
	const char *version;	/* whose windows, or NULL for every batch */
	char live[MM_VERSION_MAX];
	struct mm_ref ref;	/* the version's, if have_ref */
	int have_ref;
	char why[512];		/* why there is no reference */
	long **counts;		/* a window's summed bin counts */
	double now, wall;
	struct mm_buf out;	/* the summary records */
	struct mm_buf drift;	/* a window's drift, with its counts */
	struct mm_buf stored;	/* ... and without, as stored */
	struct mm_buf nocounts;	/* windows left without drift */
	struct mm_buf confusion; /* a window's summed confusion counts */
	long *cells;		/* one batch's confusion counts */
	size_t ncells;
	int printed;		/* summary records so far */
};

/*
 * A window's metrics.  Counts add up; the means are weighted by the
 * batches' n_samples.  A batch without a value adds nothing to it.
 */
struct sums {
	long n;			/* batches */
	long long rows;		/* n_samples summed */
	int has_rows;
	double conf, conf_rows, lat, lat_rows;
	long *cm;		/* k x k summed confusion counts */
	int k;			/* 0: no batch had counts */
};

/*
 * Whose windows: the version asked for, else the live one; none when
 * there is no store or no live version (a->why says which).  The
 * version's reference, against which windows sum the bin counts of the
 * batches scored with it, is loaded when the store has it.  0, or -1
 * with err.
 */
static int
load_version(struct agg *a, const char *dir, const char *pinned,
    struct mm_err *err)
{
	struct mm_active act;
	char path[4096];
	struct stat st;
	int i, rc;

	a->version = pinned;
	if (stat(dir, &st) < 0 && errno == ENOENT) {
		snprintf(a->why, sizeof(a->why), "no model store '%s'", dir);
		return 0;
	}
	if (pinned == NULL) {
		if ((rc = mm_store_read_active(dir, &act, err)) < 0)
			return -1;
		if (rc == 1) {
			snprintf(a->why, sizeof(a->why), "no live model "
			    "version in '%s'", dir);
			return 0;
		}
		snprintf(a->live, sizeof(a->live), "%s", act.version);
		a->version = a->live;
	}
	snprintf(path, sizeof(path), "%s/versions/%s", dir, a->version);
	if (pinned != NULL && stat(path, &st) < 0 && errno == ENOENT) {
		snprintf(a->why, sizeof(a->why), "no version '%s' in '%s'",
		    pinned, dir);
		return 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/versions/%s/"
	    "reference.json", dir, a->version) >= sizeof(path))
		return mm_errf(err, MM_ESYS, 0, "path too long");
	if (mm_ref_load(&a->ref, path, err) < 0) {
		err->code = MM_ESYS;	/* the store is storage, not input */
		return -1;
	}
	a->have_ref = 1;
	a->counts = mm_xcalloc((size_t)a->ref.nfeat, sizeof(long *));
	for (i = 0; i < a->ref.nfeat; i++)
		a->counts[i] = mm_xcalloc((size_t)a->ref.f[i].nbins,
		    sizeof(long));
	return 0;
}

/* A stored row of drift_counts that mm-record could not have written. */
static int __attribute__((format(printf, 4, 5)))
bad_counts(struct agg *a, const char *batch, struct mm_err *err,
    const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	mm_errf(err, MM_ESYS, 0, "drift counts of batch '%s': %s", batch,
	    what);
	mm_err_where(err, a->db.path);
	return -1;
}

/* Add one batch's counts (JSON text) to a->counts. */
static int
add_counts(struct agg *a, const char *batch, const char *text, size_t len,
    long n, struct mm_err *err)
{
	const struct mm_ref_feat *f;
	json_t *root, *arr, *c;
	long sum;
	int i, k, rc = -1;

	root = json_loadb(text, len, 0, NULL);
	if (!json_is_object(root)) {
		bad_counts(a, batch, err, "not a JSON object");
		goto out;
	}
	for (i = 0; i < a->ref.nfeat; i++) {
		f = &a->ref.f[i];
		arr = json_object_get(root, f->name);
		if (!json_is_array(arr) ||
		    json_array_size(arr) != (size_t)f->nbins) {
			bad_counts(a, batch, err, "feature '%s' has %zu bins, "
			    "the reference %d", f->name, json_is_array(arr) ?
			    json_array_size(arr) : 0, f->nbins);
			goto out;
		}
		sum = 0;
		for (k = 0; k < f->nbins; k++) {
			c = json_array_get(arr, (size_t)k);
			if (!json_is_integer(c) || json_integer_value(c) < 0) {
				bad_counts(a, batch, err, "feature '%s': "
				    "bin %d is not a count", f->name, k);
				goto out;
			}
			sum += (long)json_integer_value(c);
		}
		if (sum != n) {
			bad_counts(a, batch, err, "feature '%s' sums to %ld, "
			    "not n %ld", f->name, sum, n);
			goto out;
		}
		for (k = 0; k < f->nbins; k++)
			a->counts[i][k] += (long)json_integer_value(
			    json_array_get(arr, (size_t)k));
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/*
 * The drift of the window (from, to]: from the summed counts of the
 * batches scored against the live reference, as mm-psi --merge would
 * say of them.  0 with d computed, 1 when there are no such counts, -1
 * with err.
 */
static int
window_drift(struct agg *a, double from, double to, struct mm_drift *d,
    struct mm_err *err)
{
	struct mm_stmt *q;
	long rows = 0;
	int i, rc = -1, step;

	for (i = 0; i < a->ref.nfeat; i++)
		memset(a->counts[i], 0, (size_t)a->ref.f[i].nbins *
		    sizeof(long));
	q = mm_db_prepare(&a->db, "SELECT batch_id, n, counts FROM "
	    "drift_counts WHERE ref = ?1 AND ts > ?2 AND ts <= ?3", err);
	if (q == NULL)
		return -1;
	mm_bind_text(q, 1, a->ref.id, -1);
	mm_bind_double(q, 2, from);
	mm_bind_double(q, 3, to);
	while ((step = mm_step(q)) == MM_ROW) {
		long n = (long)mm_col_int64(q, 1);

		if (add_counts(a, (const char *)mm_col_text(q, 0),
		    (const char *)mm_col_text(q, 2),
		    (size_t)mm_col_bytes(q, 2), n, err) < 0)
			goto out;
		rows += n;
	}
	if (step != MM_DONE) {
		mm_db_err(&a->db, err, "cannot read drift counts");
		goto out;
	}
	if (rows == 0 || mm_drift_compute(d, &a->ref, a->counts, rows,
	    &a->cfg.drift) < 0) {
		rc = 1;
		goto out;
	}
	rc = 0;
out:
	mm_finalize(q);
	return rc;
}

/* The batch_id of metrics row id, for messages. */
static void
batch_name(struct agg *a, int64_t id, char *buf, size_t size)
{
	struct mm_err err = { 0 };
	struct mm_stmt *q;

	snprintf(buf, size, "#%lld", (long long)id);
	q = mm_db_prepare(&a->db, "SELECT batch_id FROM metrics WHERE id = ?1",
	    &err);
	if (q == NULL)
		return;
	mm_bind_int64(q, 1, id);
	if (mm_step(q) == MM_ROW)
		snprintf(buf, size, "%s", mm_col_text(q, 0));
	mm_finalize(q);
}

/* A stored confusion matrix that mm-record could not have written. */
static int __attribute__((format(printf, 4, 5)))
bad_confusion(struct agg *a, int64_t id, struct mm_err *err,
    const char *fmt, ...)
{
	char what[256], name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	batch_name(a, id, name, sizeof(name));
	mm_errf(err, MM_ESYS, 0, "confusion counts of batch '%s': %s", name,
	    what);
	mm_err_where(err, a->db.path);
	return -1;
}

/*
 * The counts of confusion text as mm-record checked them, into
 * a->cells: k rows of k counts.  The window reads one per batch, so
 * they are scanned here, not built as a JSON tree.  k, or -1.
 */
static long
scan_confusion(struct agg *a, const char *p)
{
	long k = 0, row = 0, col, v;
	size_t n = 0;

	if (*(p = mm_json_ws(p)) != '[')
		return -1;
	for (p = mm_json_ws(p + 1); *p != ']'; row++) {
		if (*p != '[')
			return -1;
		for (col = 0, p = mm_json_ws(p + 1); *p != ']'; col++) {
			if (*p < '0' || *p > '9')
				return -1;
			for (v = 0; *p >= '0' && *p <= '9'; p++) {
				if (v > (LONG_MAX - 9) / 10)
					return -1;
				v = v * 10 + (*p - '0');
			}
			if (n == a->ncells) {
				a->ncells = a->ncells ? 2 * a->ncells : 64;
				a->cells = mm_xrealloc(a->cells, a->ncells *
				    sizeof(long));
			}
			a->cells[n++] = v;
			if (*(p = mm_json_ws(p)) == ',')
				p = mm_json_ws(p + 1);
			else if (*p != ']')
				return -1;
		}
		if (row == 0)
			k = col;
		else if (col != k)
			return -1;
		if (*(p = mm_json_ws(p + 1)) == ',')
			p = mm_json_ws(p + 1);
		else if (*p != ']')
			return -1;
	}
	if (*mm_json_ws(p + 1) != '\0' || row != k || k < 2)
		return -1;
	return k;
}

/* Add one batch's confusion counts (JSON text) to s->cm. */
static int
add_confusion(struct agg *a, struct sums *s, int64_t id,
    const char *text, struct mm_err *err)
{
	long k, i;

	if ((k = scan_confusion(a, text)) < 0)
		return bad_confusion(a, id, err, "not a square array of "
		    "counts");
	if (s->k == 0) {
		s->k = (int)k;
		s->cm = mm_xcalloc((size_t)(k * k), sizeof(long));
	} else if (s->k != k)
		return bad_confusion(a, id, err, "%ld classes, the window's "
		    "other batches %d", k, s->k);
	for (i = 0; i < k * k; i++)
		s->cm[i] += a->cells[i];
	return 0;
}

/*
 * Sum the window (from, now]: its batches, rows, confusion counts, and
 * the means weighted by rows.  0, or -1 with err.
 */
static int
window_sums(struct agg *a, double from, struct sums *s, struct mm_err *err)
{
	struct mm_stmt *q;
	int64_t rows;
	int rc = -1, step;

	q = mm_db_prepare(&a->db, a->version != NULL ? q_version : q_all,
	    err);
	if (q == NULL)
		return -1;
	mm_bind_double(q, 1, from);
	mm_bind_double(q, 2, a->now);
	if (a->version != NULL)
		mm_bind_text(q, 3, a->version, -1);
	while ((step = mm_step(q)) == MM_ROW) {
		s->n++;
		if (mm_col_type(q, 4) != MM_NULL &&
		    add_confusion(a, s, mm_col_int64(q, 0),
		    (const char *)mm_col_text(q, 4), err) < 0)
			goto out;
		if (mm_col_type(q, 1) == MM_NULL)
			continue;
		rows = mm_col_int64(q, 1);
		s->rows += rows;
		s->has_rows = 1;
		if (mm_col_type(q, 2) != MM_NULL) {
			s->conf += mm_col_double(q, 2) * (double)rows;
			s->conf_rows += (double)rows;
		}
		if (mm_col_type(q, 3) != MM_NULL) {
			s->lat += mm_col_double(q, 3) * (double)rows;
			s->lat_rows += (double)rows;
		}
	}
	if (step != MM_DONE) {
		mm_db_err(&a->db, err, "cannot read metrics");
		goto out;
	}
	rc = 0;
out:
	mm_finalize(q);
	return rc;
}

/* The mean of a weighted sum; NaN (null) with no weight. */
static double
mean(double sum, double weight)
{
	return weight > 0 ? sum / weight : NAN;
}

static void
bind_num(struct mm_stmt *st, int i, double v)
{
	if (isfinite(v))
		mm_bind_double(st, i, v);
	else
		mm_bind_null(st, i);
}

/* Bind the window's values to an insert into a summary table. */
static void
bind_summary(struct agg *a, struct mm_stmt *st, const char *name,
    const struct sums *s, const struct mm_drift *d)
{
	mm_bind_text(st, 1, name, -1);
	mm_bind_double(st, 2, a->now);
	mm_bind_int64(st, 3, s->n);
	bind_num(st, 4, s->k ? mm_confusion_accuracy(s->cm, s->k) : NAN);
	bind_num(st, 5, s->k ? mm_confusion_f1(s->cm, s->k) : NAN);
	bind_num(st, 6, mean(s->conf, s->conf_rows));
	bind_num(st, 7, mean(s->lat, s->lat_rows));
	bind_num(st, 8, d != NULL ? d->score : NAN);
	mm_bind_double(st, 9, a->wall);
	if (d != NULL)
		mm_bind_text(st, 10, a->stored.p, (int)a->stored.n);
	else
		mm_bind_null(st, 10);
	if (a->version != NULL)
		mm_bind_text(st, 11, a->version, -1);
	else
		mm_bind_null(st, 11);
	if (s->has_rows)
		mm_bind_int64(st, 12, s->rows);
	else
		mm_bind_null(st, 12);
	if (s->k)
		mm_bind_text(st, 13, a->confusion.p, (int)a->confusion.n);
	else
		mm_bind_null(st, 13);
}

/*
 * 1 if some batch of the window (from, now] has drift counts, else 0:
 * of the window's version when there is one.
 */
static int
any_counts(struct agg *a, double from, struct mm_err *err)
{
	struct mm_stmt *q;
	int rc;

	q = mm_db_prepare(&a->db, "SELECT EXISTS (SELECT 1 FROM drift_counts "
	    "WHERE ts > ?1 AND ts <= ?2 AND (?3 IS NULL OR "
	    "model_version = ?3))", err);
	if (q == NULL)
		return -1;
	mm_bind_double(q, 1, from);
	mm_bind_double(q, 2, a->now);
	if (a->version != NULL)
		mm_bind_text(q, 3, a->version, -1);
	else
		mm_bind_null(q, 3);
	if (mm_step(q) != MM_ROW)
		rc = mm_db_err(&a->db, err, "cannot read drift counts");
	else
		rc = mm_col_int(q, 0);
	mm_finalize(q);
	return rc;
}

/* The summed confusion counts as JSON, row = true class. */
static void
confusion_json(const struct sums *s, struct mm_buf *b)
{
	int t, p;

	mm_buf_reset(b);
	mm_buf_putc(b, '[');
	for (t = 0; t < s->k; t++) {
		mm_buf_puts(b, t ? ",[" : "[");
		for (p = 0; p < s->k; p++)
			mm_buf_printf(b, "%s%ld", p ? "," : "",
			    s->cm[t * s->k + p]);
		mm_buf_putc(b, ']');
	}
	mm_buf_putc(b, ']');
}

/* One window: query, store, print.  Returns 0, 1 if empty, -1 error. */
static int
window(struct agg *a, const char *name, long seconds, struct mm_err *err)
{
	struct mm_stmt *up = NULL, *hist = NULL;
	struct mm_buf *b = &a->out;
	struct mm_drift d;
	const struct mm_drift *dp = NULL;
	struct sums s;
	double from = a->now - (double)seconds;
	int i, rc = -1, r;

	memset(&s, 0, sizeof(s));
	mm_drift_init(&d, a->have_ref ? a->ref.nfeat : 0);
	up = mm_db_prepare(&a->db, "INSERT INTO metrics_summary "
	    "(\"window\", ts, n_batches, accuracy, f1, avg_confidence, "
	    "latency_ms, drift_score, updated_at, drift, model_version, "
	    "n_samples, confusion) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13) ON CONFLICT (\"window\") DO UPDATE SET "
	    "ts = excluded.ts, n_batches = excluded.n_batches, "
	    "accuracy = excluded.accuracy, f1 = excluded.f1, "
	    "avg_confidence = excluded.avg_confidence, "
	    "latency_ms = excluded.latency_ms, drift_score = "
	    "excluded.drift_score, updated_at = excluded.updated_at, "
	    "drift = excluded.drift, model_version = excluded.model_version, "
	    "n_samples = excluded.n_samples, confusion = excluded.confusion",
	    err);
	hist = mm_db_prepare(&a->db, "INSERT INTO metrics_summary_history "
	    "(\"window\", ts, n_batches, accuracy, f1, avg_confidence, "
	    "latency_ms, drift_score, created_at, drift, model_version, "
	    "n_samples, confusion) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13)", err);
	if (up == NULL || hist == NULL || window_sums(a, from, &s, err) < 0)
		goto out;
	if (s.n == 0) {
		rc = 1;		/* an empty window says nothing */
		goto out;
	}
	r = a->have_ref ? window_drift(a, from, a->now, &d, err) : 1;
	if (r < 0)
		goto out;
	if (r == 0) {
		dp = &d;
		mm_buf_reset(&a->drift);
		mm_drift_json(&d, &a->ref, a->counts, &a->drift);
		mm_buf_reset(&a->stored);
		mm_drift_json(&d, &a->ref, NULL, &a->stored);
	} else {
		/* Only drift that was measured can be missed. */
		if ((r = any_counts(a, from, err)) < 0)
			goto out;
		if (r > 0) {
			mm_buf_puts(&a->nocounts, a->nocounts.n ? ", " : "");
			mm_buf_puts(&a->nocounts, name);
		}
	}
	if (s.k)
		confusion_json(&s, &a->confusion);
	for (i = 0; i < 2; i++) {
		struct mm_stmt *st = i ? hist : up;

		bind_summary(a, st, name, &s, dp);
		if (mm_step(st) != MM_DONE) {
			mm_db_err(&a->db, err, "cannot store the summary");
			goto out;
		}
	}
	mm_buf_puts(b, "{\"window\":");
	mm_jw_str(b, name);
	mm_buf_puts(b, ",\"ts\":");
	mm_jw_num(b, a->now);
	mm_buf_printf(b, ",\"n_batches\":%ld", s.n);
	if (a->version != NULL) {
		mm_buf_puts(b, ",\"model_version\":");
		mm_jw_str(b, a->version);
	}
	mm_buf_puts(b, ",\"metrics\":{\"n_samples\":");
	if (s.has_rows)
		mm_buf_printf(b, "%lld", s.rows);
	else
		mm_buf_puts(b, "null");
	mm_buf_puts(b, ",\"accuracy\":");
	mm_jw_num(b, s.k ? mm_confusion_accuracy(s.cm, s.k) : NAN);
	mm_buf_puts(b, ",\"f1\":");
	mm_jw_num(b, s.k ? mm_confusion_f1(s.cm, s.k) : NAN);
	mm_buf_puts(b, ",\"confusion\":");
	if (s.k)
		mm_buf_put(b, a->confusion.p, a->confusion.n);
	else
		mm_buf_puts(b, "null");
	mm_buf_puts(b, ",\"avg_confidence\":");
	mm_jw_num(b, mean(s.conf, s.conf_rows));
	mm_buf_puts(b, ",\"latency_ms\":");
	mm_jw_num(b, mean(s.lat, s.lat_rows));
	mm_buf_putc(b, '}');
	if (dp != NULL) {
		mm_buf_puts(b, ",\"drift\":");
		mm_buf_put(b, a->drift.p, a->drift.n);
	}
	mm_buf_puts(b, "}\n");
	a->printed++;
	rc = 0;
out:
	free(s.cm);
	mm_drift_release(&d);
	mm_finalize(up);
	mm_finalize(hist);
	return rc;
}

/*
 * Say once why some summaries have no drift, when their batches had
 * some: windows of batches that mm-psi never saw have none to leave out.
 */
static void
say_why(const struct agg *a)
{
	if (a->printed == 0 || a->nocounts.n == 0)
		return;
	if (!a->have_ref)
		mm_warnx(prog, "%s: window drift left out", a->why);
	else if (a->nocounts.n > 0)
		mm_warnx(prog, "no drift counts of reference %s in %s: window "
		    "drift left out", a->ref.id, a->nocounts.p);
}

int
main(int argc, char **argv)
{
	struct mm_optstate st = { .prog = "mm-aggregate",
	    .synopsis = "[--db FILE] [--models DIR] [--model-version V] "
	    "[--config DIR]\n"
	    " [--now TS] [--window LEN]",
	    .about = "Roll the batch metrics and drift of the live model "
	    "version up over each time window ending now, store and print "
	    "one summary record per window." };
	struct agg a;
	struct mm_err err = { 0 };
	const double *now = NULL;	/* --now, or NULL: the clock */
	double at;
	const char *dbpath = NULL, *config = NULL, *one = NULL;
	const char *models = NULL, *pinned = NULL;
	long seconds;
	int o, i, rc = MM_OK;

	memset(&a, 0, sizeof(a));
	mm_ref_init(&a.ref);
	while ((o = mm_getopt(&st, argc, argv, opts)) != MM_GETOPT_DONE) {
		switch (o) {
		case O_DB: dbpath = st.arg; break;
		case O_MODELS: models = st.arg; break;
		case O_VERSION:
			pinned = st.arg;
			if (*pinned == '\0' || *pinned == '.' ||
			    strchr(pinned, '/') != NULL ||
			    strlen(pinned) >= MM_VERSION_MAX) {
				mm_warnx(prog, "--model-version: '%s' is not "
				    "a version name", pinned);
				return MM_EINPUT;
			}
			break;
		case O_CONFIG: config = st.arg; break;
		case O_NOW:
			if (mm_opt_now(&st, &at, &now) < 0)
				return MM_EINPUT;
			break;
		case O_WINDOW:
			one = st.arg;
			if (mm_parse_window(one, &seconds) < 0 ||
			    strlen(one) >= sizeof(a.cfg.aggregate.name[0])) {
				mm_warnx(prog, "--window: '%s' is not a window "
				    "length such as 5m, 1h or 24h", one);
				return MM_EINPUT;
			}
			break;
		default:
			return o == MM_GETOPT_EXIT ? MM_OK : MM_EINPUT;
		}
	}
	if (mm_opt_none_left(&st, argc, argv, opts) < 0)
		return MM_EINPUT;
	if (mm_config_load(&a.cfg, config, MM_CFG_AGGREGATE | MM_CFG_DRIFT,
	    &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	if (one != NULL) {
		a.cfg.aggregate.nwindows = 1;
		a.cfg.aggregate.seconds[0] = seconds;
		strcpy(a.cfg.aggregate.name[0], one);
	}
	if (load_version(&a, mm_models_dir(models), pinned, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
		goto done;
	}
	/* One reading: the windows end at the second it was computed in. */
	a.wall = mm_clock(NULL);
	a.now = now != NULL ? *now : floor(a.wall);
	if (mm_db_open(&a.db, mm_db_path(dbpath), &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
		goto done;
	}
	mm_buf_init(&a.out);
	mm_buf_init(&a.drift);
	mm_buf_init(&a.stored);
	mm_buf_init(&a.nocounts);
	mm_buf_init(&a.confusion);
	/* One transaction: the windows are one consistent snapshot. */
	if (mm_db_begin(&a.db, &err) < 0) {
		rc = err.code;
		mm_perr(prog, &err);
	}
	for (i = 0; i < a.cfg.aggregate.nwindows && rc == MM_OK; i++) {
		if (window(&a, a.cfg.aggregate.name[i],
		    a.cfg.aggregate.seconds[i], &err) < 0) {
			mm_perr(prog, &err);
			rc = err.code;
		}
	}
	if (rc == MM_OK && mm_db_commit(&a.db, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
	}
	if (rc != MM_OK)
		mm_db_rollback(&a.db);
	else {
		/* errno is the write's only here: check at once. */
		if (a.out.n > 0 && (fwrite(a.out.p, 1, a.out.n, stdout) !=
		    a.out.n || fflush(stdout) != 0)) {
			mm_warnx(prog, "write error: %s", strerror(errno));
			rc = MM_ESYS;
		}
		say_why(&a);
	}
	mm_buf_release(&a.out);
	mm_buf_release(&a.drift);
	mm_buf_release(&a.stored);
	mm_buf_release(&a.nocounts);
	mm_buf_release(&a.confusion);
	mm_db_close(&a.db);
done:
	if (a.counts != NULL)
		for (i = 0; i < a.ref.nfeat; i++)
			free(a.counts[i]);
	free(a.counts);
	free(a.cells);
	mm_ref_release(&a.ref);
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
