/*
 * mm-aggregate - roll batch metrics up into time windows.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "json.h"
#include "mm.h"
#include "opt.h"

static const char *prog = "mm-aggregate";

static const struct mm_opt opts[] = {
#define O_DB 0
	{ "db", 0, "FILE", "database (default: $MM_DB or "
	    "data/metrics/metrics.db)" },
#define O_CONFIG 1
	{ "config", 0, "DIR", "config directory (default: $MM_CONFIG or "
	    "config)" },
#define O_NOW 2
	{ "now", 0, "TS", "end of the windows (default: the clock)" },
#define O_WINDOW 3
	{ "window", 'w', "LEN", "one window such as 5m, 1h or 24h" },
	{ NULL, 0, NULL, NULL }
};

/* The averages are columns 1..5 in this order. */
static const char *const cols[] = {
	"accuracy", "f1", "avg_confidence", "latency_ms", "drift_score"
};

static void
put_avg(struct mm_buf *b, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		mm_buf_puts(b, "null");
	else
		mm_jw_num(b, sqlite3_column_double(st, col));
}

/* One window: query, store, print.  Returns 0, 1 if empty, -1 error. */
static int
window(struct mm_db *db, const char *name, long seconds, double now,
    double wall, struct mm_buf *b, struct mm_err *err)
{
	sqlite3_stmt *q = NULL, *up = NULL, *hist = NULL;
	long n;
	int i, rc = -1;

	q = mm_db_prepare(db, "SELECT count(*), avg(accuracy), avg(f1), "
	    "avg(avg_confidence), avg(latency_ms), avg(drift_score) "
	    "FROM metrics WHERE ts > ?1 AND ts <= ?2", err);
	up = mm_db_prepare(db, "INSERT INTO metrics_summary (window, ts, "
	    "n_batches, accuracy, f1, avg_confidence, latency_ms, "
	    "drift_score, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9) ON CONFLICT (window) DO UPDATE SET ts = excluded.ts, "
	    "n_batches = excluded.n_batches, accuracy = excluded.accuracy, "
	    "f1 = excluded.f1, avg_confidence = excluded.avg_confidence, "
	    "latency_ms = excluded.latency_ms, drift_score = "
	    "excluded.drift_score, updated_at = excluded.updated_at", err);
	hist = mm_db_prepare(db, "INSERT INTO metrics_summary_history "
	    "(window, ts, n_batches, accuracy, f1, avg_confidence, "
	    "latency_ms, drift_score, created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9)", err);
	if (q == NULL || up == NULL || hist == NULL)
		goto out;
	sqlite3_bind_double(q, 1, now - (double)seconds);
	sqlite3_bind_double(q, 2, now);
	if (sqlite3_step(q) != SQLITE_ROW) {
		mm_db_err(db, err, "cannot read metrics");
		goto out;
	}
	n = (long)sqlite3_column_int64(q, 0);
	if (n == 0) {
		rc = 1;		/* an empty window says nothing */
		goto out;
	}
	for (i = 0; i < 2; i++) {
		sqlite3_stmt *st = i ? hist : up;
		int c;

		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, now);
		sqlite3_bind_int64(st, 3, n);
		for (c = 1; c <= 5; c++) {
			if (sqlite3_column_type(q, c) == SQLITE_NULL)
				sqlite3_bind_null(st, 3 + c);
			else
				sqlite3_bind_double(st, 3 + c,
				    sqlite3_column_double(q, c));
		}
		sqlite3_bind_double(st, 9, wall);
		if (sqlite3_step(st) != SQLITE_DONE) {
			mm_db_err(db, err, "cannot store the summary");
			goto out;
		}
	}
	mm_buf_puts(b, "{\"window\":");
	mm_jw_str(b, name);
	mm_buf_puts(b, ",\"ts\":");
	mm_jw_num(b, now);
	mm_buf_printf(b, ",\"n_batches\":%ld,\"metrics\":{", n);
	for (i = 0; i < 4; i++) {
		mm_buf_printf(b, "%s\"%s\":", i ? "," : "", cols[i]);
		put_avg(b, q, 1 + i);
	}
	mm_buf_puts(b, "},\"drift\":{\"drift_score\":");
	put_avg(b, q, 5);
	mm_buf_puts(b, "}}\n");
	rc = 0;
out:
	sqlite3_finalize(q);
	sqlite3_finalize(up);
	sqlite3_finalize(hist);
	return rc;
}

int
main(int argc, char **argv)
{
	struct mm_optstate st = { .prog = "mm-aggregate",
	    .synopsis = "[--db FILE] [--config DIR] [--now TS] [--window LEN]",
	    .about = "Average batch metrics over each time window ending now, "
	    "store and print one summary record per window." };
	struct mm_config cfg;
	struct mm_err err = { 0 };
	struct mm_db db;
	struct mm_buf out;
	struct timespec ts;
	const char *dbpath = NULL, *config = NULL, *one = NULL;
	double now = -1, wall;
	long seconds;
	int o, i, rc = MM_OK, r;

	while ((o = mm_getopt(&st, argc, argv, opts)) != -1) {
		switch (o) {
		case O_DB: dbpath = st.arg; break;
		case O_CONFIG: config = st.arg; break;
		case O_NOW:
			if (mm_opt_double(&st, "now", 0, 1e11, &now) < 0)
				return MM_EINPUT;
			break;
		case O_WINDOW:
			one = st.arg;
			if (mm_parse_window(one, &seconds) < 0 ||
			    strlen(one) >= sizeof(cfg.aggregate.name[0])) {
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
	if (mm_config_load(&cfg, config, MM_CFG_AGGREGATE, &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	if (one != NULL) {
		cfg.aggregate.nwindows = 1;
		cfg.aggregate.seconds[0] = seconds;
		strcpy(cfg.aggregate.name[0], one);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (now < 0)
		now = floor(wall);
	if (mm_db_open(&db, mm_db_path(dbpath), &err) < 0) {
		mm_perr(prog, &err);
		return err.code;
	}
	mm_buf_init(&out);
	/* One transaction: the windows are one consistent snapshot. */
	if (mm_db_begin(&db, &err) < 0) {
		rc = err.code;
		mm_perr(prog, &err);
	}
	for (i = 0; i < cfg.aggregate.nwindows && rc == MM_OK; i++) {
		r = window(&db, cfg.aggregate.name[i],
		    cfg.aggregate.seconds[i], now, wall, &out, &err);
		if (r < 0) {
			mm_perr(prog, &err);
			rc = err.code;
		}
	}
	if (rc == MM_OK && mm_db_commit(&db, &err) < 0) {
		mm_perr(prog, &err);
		rc = err.code;
	}
	if (rc != MM_OK)
		mm_db_rollback(&db);
	else if (out.n > 0)
		fwrite(out.p, 1, out.n, stdout);
	mm_buf_release(&out);
	mm_db_close(&db);
	if (fclose(stdout) != 0 && rc == MM_OK) {
		mm_warnx(prog, "write error: %s", strerror(errno));
		rc = MM_ESYS;
	}
	return rc;
}
