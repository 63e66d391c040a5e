#include <math.h>
#include <stdlib.h>

#include "report.h"
#include "reportdb.h"
#include "store.h"

static const char *
col_text(struct mm_stmt *st, int i)
{
	return (const char *)mm_col_text(st, i);
}

static double
col_num(struct mm_stmt *st, int i)
{
	if (mm_col_type(st, i) == MM_NULL)
		return NAN;
	return mm_col_double(st, i);
}

/* The newest ts of any batch or decision, or NaN when there is none. */
static int
newest(struct mm_db *db, double to, double *out, struct mm_err *err)
{
	struct mm_stmt *st;
	int rc;

	st = mm_db_prepare(db, "SELECT max(m) FROM (SELECT max(ts) AS m FROM "
	    "metrics WHERE ts <= ?1 UNION ALL SELECT max(ts) FROM "
	    "decision_history WHERE ts <= ?1) AS t", err);
	if (st == NULL)
		return -1;
	mm_bind_double(st, 1, isnan(to) ? 1e300 : to);
	rc = mm_step(st);
	if (rc == MM_ROW)
		*out = col_num(st, 0);
	mm_finalize(st);
	if (rc != MM_ROW)
		return mm_db_err(db, err, "cannot read metrics");
	return 0;
}

static int
read_batches(struct mm_db *db, struct mm_report *r, struct mm_err *err)
{
	struct mm_report_batch b;
	struct mm_stmt *st;
	int rc;

	/* drift is NULL in rows recorded before it: psi and p_value stand. */
	st = mm_db_prepare(db, "SELECT batch_id, ts, model_version, f1, "
	    "accuracy, trust_score, drift_score, drift_status, psi, p_value, "
	    "drift FROM metrics WHERE ts >= ?1 AND ts <= ?2 ORDER BY ts, id",
	    err);
	if (st == NULL)
		return -1;
	mm_bind_double(st, 1, isnan(r->from) ? -1e300 : r->from);
	mm_bind_double(st, 2, isnan(r->to) ? 1e300 : r->to);
	while ((rc = mm_step(st)) == MM_ROW) {
		b.id = (char *)col_text(st, 0);
		b.ts = mm_col_double(st, 1);
		b.version = (char *)col_text(st, 2);
		b.f1 = col_num(st, 3);
		b.accuracy = col_num(st, 4);
		b.trust = col_num(st, 5);
		b.drift_score = col_num(st, 6);
		b.status = (char *)col_text(st, 7);
		mm_report_add_batch(r, &b, col_text(st, 8), col_text(st, 9),
		    col_text(st, 10));
	}
	mm_finalize(st);
	if (rc != MM_DONE)
		return mm_db_err(db, err, "cannot read metrics");
	return 0;
}

static int
read_decisions(struct mm_db *db, struct mm_report *r, struct mm_err *err)
{
	struct mm_report_decision d;
	struct mm_stmt *st;
	int rc;

	st = mm_db_prepare(db, "SELECT ts, source, action, reason, "
	    "exec_status, exec_detail, model_version FROM decision_history "
	    "WHERE ts >= ?1 AND ts <= ?2 ORDER BY ts, id", err);
	if (st == NULL)
		return -1;
	mm_bind_double(st, 1, isnan(r->from) ? -1e300 : r->from);
	mm_bind_double(st, 2, isnan(r->to) ? 1e300 : r->to);
	while ((rc = mm_step(st)) == MM_ROW) {
		d.ts = mm_col_double(st, 0);
		d.source = (char *)col_text(st, 1);
		d.action = (char *)col_text(st, 2);
		d.reason = (char *)col_text(st, 3);
		d.exec_status = (char *)col_text(st, 4);
		d.exec_detail = (char *)col_text(st, 5);
		d.version = (char *)col_text(st, 6);
		mm_report_add_decision(r, &d);
	}
	mm_finalize(st);
	if (rc != MM_DONE)
		return mm_db_err(db, err, "cannot read decisions");
	return 0;
}

int
mm_report_read_db(struct mm_report *r, struct mm_db *db, long window,
    struct mm_err *err)
{
	double end = NAN;
	int rc = -1;

	if (mm_db_exec(db, "BEGIN", err) < 0)
		return -1;
	if (window > 0) {
		if (newest(db, r->to, &end, err) < 0)
			goto out;
		if (!isnan(end)) {
			r->to = isnan(r->to) ? end : r->to;
			r->from = r->to - (double)window;
		} else if (!isnan(r->to))
			r->from = r->to - (double)window;
	}
	if (read_batches(db, r, err) < 0 || read_decisions(db, r, err) < 0)
		goto out;
	rc = 0;
out:
	mm_db_rollback(db);
	return rc;
}

int
mm_report_read_store(struct mm_report *r, const char *dir, struct mm_err *err)
{
	struct mm_err cerr;
	char **names;
	char *card;
	size_t len;
	int rc, i, n;

	if ((rc = mm_store_read_active(dir, &r->active, err)) < 0)
		return -1;
	r->has_active = rc == 0;
	if (mm_store_read_candidate(dir, r->staged, sizeof(r->staged),
	    err) < 0)
		return -1;
	if (mm_store_list(dir, &names, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		/* A card that cannot be read is shown as such. */
		if (mm_store_read_file(dir, names[i], "card.json", &card, &len,
		    &cerr) < 0)
			card = NULL;
		mm_report_add_version(r, names[i], card);
		free(card);
	}
	mm_store_list_free(names, n);
	return 0;
}

