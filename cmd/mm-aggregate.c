/*
 * mm-aggregate - roll batch metrics up into time windows, and compute
 * each window's drift from its batches' summed bin counts.
 */
#include <errno.h>
#include <jansson.h>
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
#include "mm.h"
#include "opt.h"
#include "psi.h"
#include "store.h"

static const char *prog = "mm-aggregate";

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
	{ "now", 0, "TS", "end of the windows (default: the clock)" },
#define O_WINDOW 4
	{ "window", 'w', "LEN", "one window such as 5m, 1h or 24h" },
	{ NULL, 0, NULL, NULL }
};

/* The averages are columns 1..4 in this order. */
static const char *const cols[] = {
	"accuracy", "f1", "avg_confidence", "latency_ms"
};

struct agg {
	struct mm_db db;
	struct mm_config cfg;
	struct mm_ref ref;	/* the live version's, if have_ref */
	int have_ref;
	char why[512];		/* why there is no reference */
	long **counts;		/* a window's summed bin counts */
	double now, wall;
	struct mm_buf out;	/* the summary records */
	struct mm_buf drift;	/* a window's drift, with its counts */
	struct mm_buf stored;	/* ... and without, as stored */
	struct mm_buf nocounts;	/* windows left without drift */
	int printed;		/* summary records so far */
};

static void
put_avg(struct mm_buf *b, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		mm_buf_puts(b, "null");
	else
		mm_jw_num(b, sqlite3_column_double(st, col));
}

/*
 * The live version's reference, against which windows sum the counts
 * of the batches scored with it.  0 when loaded; 1 when there is no
 * store or no live version (a->why says which); -1 with err.
 */
static int
load_reference(struct agg *a, const char *dir, struct mm_err *err)
{
	char path[4096];
	struct stat st;
	int i;

	if (stat(dir, &st) < 0 && errno == ENOENT) {
		snprintf(a->why, sizeof(a->why), "no model store '%s'", dir);
		return 1;
	}
	if (mm_store_active_file(dir, "reference.json", path, sizeof(path),
	    err) < 0) {
		if (err->code != MM_EINPUT)
			return -1;
		memset(err, 0, sizeof(*err));
		snprintf(a->why, sizeof(a->why), "no live model version in "
		    "'%s'", dir);
		return 1;
	}
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
	sqlite3_stmt *q;
	long rows = 0;
	int i, rc = -1, step;

	for (i = 0; i < a->ref.nfeat; i++)
		memset(a->counts[i], 0, (size_t)a->ref.f[i].nbins *
		    sizeof(long));
	q = mm_db_prepare(&a->db, "SELECT batch_id, n, counts FROM "
	    "drift_counts WHERE ref = ?1 AND ts > ?2 AND ts <= ?3", err);
	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, a->ref.id, -1, SQLITE_STATIC);
	sqlite3_bind_double(q, 2, from);
	sqlite3_bind_double(q, 3, to);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		long n = (long)sqlite3_column_int64(q, 1);

		if (add_counts(a, (const char *)sqlite3_column_text(q, 0),
		    (const char *)sqlite3_column_text(q, 2),
		    (size_t)sqlite3_column_bytes(q, 2), n, err) < 0)
			goto out;
		rows += n;
	}
	if (step != SQLITE_DONE) {
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
	sqlite3_finalize(q);
	return rc;
}

/* Bind the window's values to an insert into a summary table. */
static void
bind_summary(sqlite3_stmt *st, const char *name, double now, long n,
    sqlite3_stmt *q, const struct mm_drift *d, const struct mm_buf *drift,
    double wall)
{
	int c;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, now);
	sqlite3_bind_int64(st, 3, n);
	for (c = 1; c <= 4; c++) {
		if (sqlite3_column_type(q, c) == SQLITE_NULL)
			sqlite3_bind_null(st, 3 + c);
		else
			sqlite3_bind_double(st, 3 + c,
			    sqlite3_column_double(q, c));
	}
	if (d != NULL && isfinite(d->score))
		sqlite3_bind_double(st, 8, d->score);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_double(st, 9, wall);
	if (d != NULL)
		sqlite3_bind_text(st, 10, drift->p, (int)drift->n,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 10);
}

/* 1 if some batch of the window (from, now] has drift counts, else 0. */
static int
any_counts(struct agg *a, double from, struct mm_err *err)
{
	sqlite3_stmt *q;
	int rc;

	q = mm_db_prepare(&a->db, "SELECT EXISTS (SELECT 1 FROM drift_counts "
	    "WHERE ts > ?1 AND ts <= ?2)", err);
	if (q == NULL)
		return -1;
	sqlite3_bind_double(q, 1, from);
	sqlite3_bind_double(q, 2, a->now);
	if (sqlite3_step(q) != SQLITE_ROW)
		rc = mm_db_err(&a->db, err, "cannot read drift counts");
	else
		rc = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return rc;
}

/* One window: query, store, print.  Returns 0, 1 if empty, -1 error. */
static int
window(struct agg *a, const char *name, long seconds, struct mm_err *err)
{
	sqlite3_stmt *q = NULL, *up = NULL, *hist = NULL;
	struct mm_buf *b = &a->out;
	struct mm_drift d;
	const struct mm_drift *dp = NULL;
	long n;
	int i, rc = -1, r;

	mm_drift_init(&d, a->have_ref ? a->ref.nfeat : 0);
	q = mm_db_prepare(&a->db, "SELECT count(*), avg(accuracy), avg(f1), "
	    "avg(avg_confidence), avg(latency_ms) "
	    "FROM metrics WHERE ts > ?1 AND ts <= ?2", err);
	up = mm_db_prepare(&a->db, "INSERT INTO metrics_summary (window, ts, "
	    "n_batches, accuracy, f1, avg_confidence, latency_ms, "
	    "drift_score, updated_at, drift) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7, ?8, ?9, ?10) ON CONFLICT (window) DO UPDATE SET "
	    "ts = excluded.ts, n_batches = excluded.n_batches, "
	    "accuracy = excluded.accuracy, f1 = excluded.f1, "
	    "avg_confidence = excluded.avg_confidence, "
	    "latency_ms = excluded.latency_ms, drift_score = "
	    "excluded.drift_score, updated_at = excluded.updated_at, "
	    "drift = excluded.drift", err);
	hist = mm_db_prepare(&a->db, "INSERT INTO metrics_summary_history "
	    "(window, ts, n_batches, accuracy, f1, avg_confidence, "
	    "latency_ms, drift_score, created_at, drift) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9, ?10)", err);
	if (q == NULL || up == NULL || hist == NULL)
		goto out;
	sqlite3_bind_double(q, 1, a->now - (double)seconds);
	sqlite3_bind_double(q, 2, a->now);
	if (sqlite3_step(q) != SQLITE_ROW) {
		mm_db_err(&a->db, err, "cannot read metrics");
		goto out;
	}
	n = (long)sqlite3_column_int64(q, 0);
	if (n == 0) {
		rc = 1;		/* an empty window says nothing */
		goto out;
	}
	r = a->have_ref ? window_drift(a, a->now - (double)seconds, a->now,
	    &d, err) : 1;
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
		if ((r = any_counts(a, a->now - (double)seconds, err)) < 0)
			goto out;
		if (r > 0) {
			mm_buf_puts(&a->nocounts, a->nocounts.n ? ", " : "");
			mm_buf_puts(&a->nocounts, name);
		}
	}
	for (i = 0; i < 2; i++) {
		sqlite3_stmt *st = i ? hist : up;

		bind_summary(st, name, a->now, n, q, dp, &a->stored, a->wall);
		if (sqlite3_step(st) != SQLITE_DONE) {
			mm_db_err(&a->db, err, "cannot store the summary");
			goto out;
		}
	}
	mm_buf_puts(b, "{\"window\":");
	mm_jw_str(b, name);
	mm_buf_puts(b, ",\"ts\":");
	mm_jw_num(b, a->now);
	mm_buf_printf(b, ",\"n_batches\":%ld,\"metrics\":{", n);
	for (i = 0; i < 4; i++) {
		mm_buf_printf(b, "%s\"%s\":", i ? "," : "", cols[i]);
		put_avg(b, q, 1 + i);
	}
	mm_buf_putc(b, '}');
	if (dp != NULL) {
		mm_buf_puts(b, ",\"drift\":");
		mm_buf_put(b, a->drift.p, a->drift.n);
	}
	mm_buf_puts(b, "}\n");
	a->printed++;
	rc = 0;
out:
	mm_drift_release(&d);
	sqlite3_finalize(q);
	sqlite3_finalize(up);
	sqlite3_finalize(hist);
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
	    .synopsis = "[--db FILE] [--models DIR] [--config DIR] [--now TS] "
	    "[--window LEN]",
	    .about = "Roll batch metrics and drift up over each time window "
	    "ending now, store and print one summary record per window." };
	struct agg a;
	struct mm_err err = { 0 };
	struct timespec ts;
	const char *dbpath = NULL, *config = NULL, *one = NULL;
	const char *models = NULL;
	long seconds;
	int o, i, rc = MM_OK;

	memset(&a, 0, sizeof(a));
	a.now = -1;
	mm_ref_init(&a.ref);
	while ((o = mm_getopt(&st, argc, argv, opts)) != -1) {
		switch (o) {
		case O_DB: dbpath = st.arg; break;
		case O_MODELS: models = st.arg; break;
		case O_CONFIG: config = st.arg; break;
		case O_NOW:
			if (mm_opt_double(&st, "now", 0, 1e11, &a.now) < 0)
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
			return o == -3 ? MM_OK : MM_EINPUT;
		}
	}
	if (st.ind < argc) {
		mm_warnx(prog, "unexpected argument '%s'", argv[st.ind]);
		mm_usage(&st, opts, 0);
		return MM_EINPUT;
	}
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
	if (load_reference(&a, mm_models_dir(models), &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
		goto done;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	a.wall = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (a.now < 0)
		a.now = floor(a.wall);
	if (mm_db_open(&a.db, mm_db_path(dbpath), &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
		goto done;
	}
	mm_buf_init(&a.out);
	mm_buf_init(&a.drift);
	mm_buf_init(&a.stored);
	mm_buf_init(&a.nocounts);
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
		if (a.out.n > 0)
			fwrite(a.out.p, 1, a.out.n, stdout);
		say_why(&a);
	}
	mm_buf_release(&a.out);
	mm_buf_release(&a.drift);
	mm_buf_release(&a.stored);
	mm_buf_release(&a.nocounts);
	mm_db_close(&a.db);
done:
	if (a.counts != NULL)
		for (i = 0; i < a.ref.nfeat; i++)
			free(a.counts[i]);
	free(a.counts);
	mm_ref_release(&a.ref);
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
