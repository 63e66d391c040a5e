#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_write.h"
#include "query.h"
#include "store.h"

/* Columns whose text is JSON that mm wrote, embedded as it is. */
static int
json_column(const char *name)
{
	static const char *const cols[] = { "drift", "confusion", "psi",
	    "p_value", "metadata", NULL };
	int i;

	for (i = 0; cols[i] != NULL; i++)
		if (strcmp(name, cols[i]) == 0)
			return 1;
	return 0;
}

/* Column i of st as a JSON number, string or text; null when NULL. */
static void
put_col(struct mm_stmt *st, int i, struct mm_buf *out)
{
	const char *text;

	switch (mm_col_type(st, i)) {
	case MM_INTEGER:
		mm_buf_printf(out, "%lld", (long long)mm_col_int64(st,
		    i));
		break;
	case MM_FLOAT:
		mm_jw_num(out, mm_col_double(st, i));
		break;
	case MM_TEXT:
		text = (const char *)mm_col_text(st, i);
		if (json_column(mm_col_name(st, i)) && *text != '\0')
			mm_buf_puts(out, text);
		else
			mm_jw_strn(out, text,
			    (size_t)mm_col_bytes(st, i));
		break;
	default:
		mm_buf_puts(out, "null");
	}
}

/* The current row of st as a JSON object, appended to out. */
static void
row_json(struct mm_stmt *st, struct mm_buf *out)
{
	int i, n = mm_col_count(st), first = 1;

	mm_buf_putc(out, '{');
	for (i = 0; i < n; i++) {
		mm_jw_key(out, &first, mm_col_name(st, i));
		put_col(st, i, out);
	}
	mm_buf_putc(out, '}');
}

/*
 * Run st (bound already) and write its rows as "items"; with page, the
 * cursor of the next page after them ("id" is the first column).
 */
static int
items(struct mm_db *db, struct mm_stmt *st, long limit, int page,
    struct mm_buf *out, struct mm_err *err)
{
	long n = 0;
	long long last = 0;
	int rc;

	mm_buf_puts(out, "{\"items\":[");
	while ((rc = mm_step(st)) == MM_ROW) {
		if (n++ > 0)
			mm_buf_putc(out, ',');
		row_json(st, out);
		last = mm_col_int64(st, 0);
	}
	mm_finalize(st);
	if (rc != MM_DONE)
		return mm_db_err(db, err, "cannot read");
	mm_buf_putc(out, ']');
	if (page) {
		if (n == limit && last > 1)
			mm_buf_printf(out, ",\"next_cursor\":%lld", last);
		else
			mm_buf_puts(out, ",\"next_cursor\":null");
	}
	mm_buf_putc(out, '}');
	return 0;
}

#define METRICS_COLS "id, batch_id, ts, model_version, n_samples, " \
	"n_labelled, accuracy, f1, avg_confidence, latency_ms, drift_score, " \
	"drift_status, trust_score, confusion, drift, recorded_at"

/* A page of table (its columns cols), newest first, where may be "". */
static int
page(struct mm_db *db, const char *cols, const char *table,
    const char *where, const char *arg, long limit, long cursor,
    struct mm_buf *out, struct mm_err *err)
{
	char sql[512];
	struct mm_stmt *st;
	int k = 1;

	if (limit < 1)
		limit = 1;
	if (limit > MM_QUERY_MAX_LIMIT)
		limit = MM_QUERY_MAX_LIMIT;
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE id < ?%s%s "
	    "ORDER BY id DESC LIMIT ?", cols, table, *where ? " AND " : "",
	    where);
	if ((st = mm_db_prepare(db, sql, err)) == NULL)
		return -1;
	mm_bind_int64(st, k++, cursor > 0 ? cursor : INT64_MAX);
	if (arg != NULL)
		mm_bind_text_copy(st, k++, arg, -1);
	mm_bind_int64(st, k, limit);
	return items(db, st, limit, 1, out, err);
}

int
mm_query_metrics(struct mm_db *db, long limit, long cursor,
    struct mm_buf *out, struct mm_err *err)
{
	return page(db, METRICS_COLS, "metrics", "", NULL, limit, cursor,
	    out, err);
}

int
mm_query_tail(struct mm_db *db, long n, struct mm_buf *out,
    struct mm_err *err)
{
	struct mm_stmt *st;

	if (n < 1)
		n = 1;
	if (n > MM_QUERY_MAX_LIMIT)
		n = MM_QUERY_MAX_LIMIT;
	st = mm_db_prepare(db, "SELECT * FROM (SELECT " METRICS_COLS
	    " FROM metrics ORDER BY id DESC LIMIT ?) AS t ORDER BY id", err);
	if (st == NULL)
		return -1;
	mm_bind_int64(st, 1, n);
	return items(db, st, n, 0, out, err);
}

/* The one row of st as an object; 1 when there is none. */
static int
one(struct mm_db *db, struct mm_stmt *st, struct mm_buf *out,
    struct mm_err *err)
{
	int rc = mm_step(st);

	if (rc == MM_ROW)
		row_json(st, out);
	mm_finalize(st);
	if (rc != MM_ROW && rc != MM_DONE)
		return mm_db_err(db, err, "cannot read");
	return rc == MM_ROW ? 0 : 1;
}

int
mm_query_latest(struct mm_db *db, struct mm_buf *out, struct mm_err *err)
{
	struct mm_stmt *st = mm_db_prepare(db, "SELECT " METRICS_COLS
	    " FROM metrics ORDER BY id DESC LIMIT 1", err);

	return st == NULL ? -1 : one(db, st, out, err);
}

int
mm_query_latest_record(struct mm_db *db, struct mm_buf *out,
    struct mm_err *err)
{
	static const char *const keys[] = { "{\"batch_id\":", ",\"ts\":",
	    ",\"metrics\":{\"n_samples\":", ",\"n_labelled\":",
	    ",\"accuracy\":", ",\"f1\":", ",\"confusion\":",
	    ",\"avg_confidence\":", ",\"latency_ms\":",
	    ",\"model_version\":", "},\"drift\":",
	    ",\"trust\":{\"score\":" };
	struct mm_stmt *st = mm_db_prepare(db, "SELECT batch_id, ts, "
	    "n_samples, n_labelled, accuracy, f1, confusion, avg_confidence, "
	    "latency_ms, model_version, drift, trust_score FROM metrics ORDER "
	    "BY id DESC LIMIT 1", err);
	int rc, i;

	if (st == NULL)
		return -1;
	if ((rc = mm_step(st)) == MM_ROW) {
		for (i = 0; i < 12; i++) {
			mm_buf_puts(out, keys[i]);
			put_col(st, i, out);
		}
		mm_buf_puts(out, "}}");
	}
	mm_finalize(st);
	if (rc != MM_ROW && rc != MM_DONE)
		return mm_db_err(db, err, "cannot read metrics");
	return rc == MM_ROW ? 0 : 1;
}

#define SUMMARY_COLS "\"window\", ts, n_batches, model_version, " \
	"n_samples, accuracy, f1, avg_confidence, latency_ms, drift_score, " \
	"confusion, drift"

int
mm_query_summary(struct mm_db *db, const char *window, struct mm_buf *out,
    struct mm_err *err)
{
	struct mm_stmt *st = mm_db_prepare(db, "SELECT " SUMMARY_COLS
	    ", updated_at FROM metrics_summary WHERE \"window\" = ?", err);

	if (st == NULL)
		return -1;
	mm_bind_text_copy(st, 1, window, -1);
	return one(db, st, out, err);
}

int
mm_query_summary_history(struct mm_db *db, const char *window, long limit,
    long cursor, struct mm_buf *out, struct mm_err *err)
{
	return page(db, "id, " SUMMARY_COLS ", created_at",
	    "metrics_summary_history", "\"window\" = ?", window, limit,
	    cursor, out, err);
}

int
mm_query_decisions(struct mm_db *db, long limit, long cursor,
    struct mm_buf *out, struct mm_err *err)
{
	return page(db, "id, ts, source, action, reason, metadata, "
	    "exec_status, exec_detail, model_version, created_at",
	    "decision_history", "", NULL, limit, cursor, out, err);
}

int
mm_query_models(const char *dir, struct mm_buf *out, struct mm_err *err)
{
	char cand[MM_VERSION_MAX], path[MM_PATHMAX], **names = NULL;
	char *text, *card;
	size_t len;
	int n = 0, i, rc;

	mm_buf_puts(out, "{\"active\":");
	mm_fs_pathf(path, "%s/active.json", dir);
	if ((rc = mm_fs_slurp(path, &text, &len, err)) < 0)
		return -1;
	if (rc == 1)
		mm_buf_puts(out, "null");
	else {
		while (len > 0 && (text[len - 1] == '\n' ||
		    text[len - 1] == ' '))
			len--;
		mm_buf_put(out, text, len);
		free(text);
	}
	mm_buf_puts(out, ",\"candidate\":");
	if ((rc = mm_store_read_candidate(dir, cand, sizeof(cand), err)) < 0)
		return -1;
	if (rc == 1)
		mm_buf_puts(out, "null");
	else
		mm_jw_str(out, cand);
	if (mm_store_list(dir, &names, &n, err) < 0)
		return -1;
	mm_buf_puts(out, ",\"versions\":[");
	for (i = n - 1; i >= 0; i--) {
		mm_buf_puts(out, i < n - 1 ? ",{\"version\":" :
		    "{\"version\":");
		mm_jw_str(out, names[i]);
		mm_buf_puts(out, ",\"card\":");
		if (mm_store_read_file(dir, names[i], "card.json", &card,
		    &len, NULL) == 0) {
			while (len > 0 && (card[len - 1] == '\n' ||
			    card[len - 1] == ' '))
				len--;
			mm_buf_put(out, card, len);
			free(card);
		} else
			mm_buf_puts(out, "null");
		mm_buf_putc(out, '}');
	}
	mm_buf_puts(out, "]}");
	mm_store_list_free(names, n);
	return 0;
}

/* A label value as Prometheus' text format escapes it. */
static void
prom_label(struct mm_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			mm_buf_putc(out, '\\');
		if (*s == '\n') {
			mm_buf_puts(out, "\\n");
			continue;
		}
		mm_buf_putc(out, *s);
	}
}

static void
prom_num(struct mm_buf *out, double v)
{
	if (isnan(v))
		mm_buf_puts(out, "NaN");
	else
		mm_jw_num(out, v);
}

static void
prom_head(struct mm_buf *out, const char *name, const char *type,
    const char *help)
{
	mm_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* A gauge without labels, with its help. */
static void
prom_gauge(struct mm_buf *out, const char *name, const char *help, double v)
{
	prom_head(out, name, "gauge", help);
	mm_buf_printf(out, "%s ", name);
	prom_num(out, v);
	mm_buf_putc(out, '\n');
}

/* The newest batch's drift: per-feature psi_adj and p-value. */
static void
prom_features(struct mm_buf *out, const char *drift)
{
	static const char *const keys[2] = { "psi_adj", "p_value" };
	static const char *const names[2] = { "mm_feature_psi_adj",
	    "mm_feature_p_value" };
	static const char *const help[2] = { "PSI beyond sampling noise of "
	    "each feature in the newest batch", "p-value of the test of "
	    "each feature in the newest batch" };
	json_t *root, *obj, *v;
	const char *k;
	int i;

	if (drift == NULL || (root = json_loads(drift, 0, NULL)) == NULL)
		return;
	for (i = 0; i < 2; i++) {
		obj = json_object_get(root, keys[i]);
		if (!json_is_object(obj))
			continue;
		prom_head(out, names[i], "gauge", help[i]);
		json_object_foreach(obj, k, v) {
			mm_buf_printf(out, "%s{feature=\"", names[i]);
			prom_label(out, k);
			mm_buf_puts(out, "\"} ");
			prom_num(out, json_is_number(v) ? json_number_value(v) :
			    NAN);
			mm_buf_putc(out, '\n');
		}
	}
	json_decref(root);
}

static double
column_num(struct mm_stmt *st, int i)
{
	return mm_col_type(st, i) == MM_NULL ? NAN :
	    mm_col_double(st, i);
}

int
mm_query_prometheus(struct mm_db *db, struct mm_buf *out, struct mm_err *err)
{
	struct mm_stmt *st;
	int rc;

	st = mm_db_prepare(db, "SELECT trust_score, drift_score, drift, ts "
	    "FROM metrics ORDER BY id DESC LIMIT 1", err);
	if (st == NULL)
		return -1;
	if ((rc = mm_step(st)) == MM_ROW) {
		prom_gauge(out, "mm_trust_score", "trust score of the newest "
		    "batch, 0 to 1", column_num(st, 0));
		prom_gauge(out, "mm_drift_score", "mean psi_adj of the newest "
		    "batch", column_num(st, 1));
		prom_gauge(out, "mm_last_batch_timestamp_seconds", "time of "
		    "the newest batch, Unix seconds", column_num(st, 3));
		prom_features(out, (const char *)mm_col_text(st, 2));
	}
	mm_finalize(st);
	if (rc != MM_ROW && rc != MM_DONE)
		return mm_db_err(db, err, "cannot read");

	st = mm_db_prepare(db, "SELECT \"window\", f1, accuracy, "
	    "n_batches, drift_score FROM metrics_summary ORDER BY \"window\"",
	    err);
	if (st == NULL)
		return -1;
	{
		static const char *const names[4] = { "mm_window_f1",
		    "mm_window_accuracy", "mm_window_batches",
		    "mm_window_drift_score" };
		static const char *const help[4] = {
			"F1 of each window's summed confusion counts",
			"accuracy of each window",
			"batches in each window",
			"drift score of each window",
		};
		struct mm_buf lines[4];
		int i;

		for (i = 0; i < 4; i++)
			mm_buf_init(&lines[i]);
		while ((rc = mm_step(st)) == MM_ROW)
			for (i = 0; i < 4; i++) {
				mm_buf_printf(&lines[i], "%s{window=\"",
				    names[i]);
				prom_label(&lines[i], (const char *)
				    mm_col_text(st, 0));
				mm_buf_puts(&lines[i], "\"} ");
				prom_num(&lines[i], column_num(st, i + 1));
				mm_buf_putc(&lines[i], '\n');
			}
		for (i = 0; i < 4; i++) {
			if (lines[i].n > 0) {
				prom_head(out, names[i], "gauge", help[i]);
				mm_buf_put(out, lines[i].p, lines[i].n);
			}
			mm_buf_release(&lines[i]);
		}
	}
	mm_finalize(st);
	if (rc != MM_DONE)
		return mm_db_err(db, err, "cannot read");

	st = mm_db_prepare(db, "SELECT action, count(*) FROM decision_history "
	    "GROUP BY action ORDER BY action", err);
	if (st == NULL)
		return -1;
	prom_head(out, "mm_decisions_total", "counter", "decisions recorded, "
	    "by action");
	while ((rc = mm_step(st)) == MM_ROW) {
		mm_buf_puts(out, "mm_decisions_total{action=\"");
		prom_label(out, (const char *)mm_col_text(st, 0));
		mm_buf_printf(out, "\"} %lld\n",
		    (long long)mm_col_int64(st, 1));
	}
	mm_finalize(st);
	if (rc != MM_DONE)
		return mm_db_err(db, err, "cannot read");
	return 0;
}
