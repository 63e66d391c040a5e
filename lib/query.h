/*
 * query.h - what the database and the model store hold, as the JSON and
 * Prometheus text mm-serve(1) answers with.  The SQL of the read API
 * lives here, so the server has none of its own.
 *
 * Lists are newest first, in pages: a page holds at most limit rows and
 * "next_cursor", the id to pass as cursor for the next (older) page, or
 * null after the last.  Rows are found by id below the cursor, so a page
 * is the same whatever is written meanwhile: new rows only ever come
 * before the first page.
 *
 *   {"items":[{"id":7,"batch_id":"b1","ts":1764140000,...}, ...],
 *    "next_cursor":5}
 */
#ifndef MM_QUERY_H
#define MM_QUERY_H

#include "db.h"
#include "json.h"
#include "mm.h"

#define MM_QUERY_MAX_LIMIT 1000	/* the largest page */

/* Batches recorded (metrics): a page, newest first. */
int mm_query_metrics(struct mm_db *db, long limit, long cursor,
    struct mm_buf *out, struct mm_err *err);

/* The newest n batches, oldest first (for a chart): {"items":[...]}. */
int mm_query_tail(struct mm_db *db, long n, struct mm_buf *out,
    struct mm_err *err);

/* The newest batch as one object; 1 when there is none. */
int mm_query_latest(struct mm_db *db, struct mm_buf *out, struct mm_err *err);

/*
 * The newest batch as the record the programs passed on, as far as it
 * was stored: batch_id, ts, metrics, drift and trust.  1 when none.
 */
int mm_query_latest_record(struct mm_db *db, struct mm_buf *out,
    struct mm_err *err);

/* The summary of window ("5m"); 1 when there is none. */
int mm_query_summary(struct mm_db *db, const char *window, struct mm_buf *out,
    struct mm_err *err);

/* Earlier summaries of window: a page, newest first. */
int mm_query_summary_history(struct mm_db *db, const char *window,
    long limit, long cursor, struct mm_buf *out, struct mm_err *err);

/* Decisions recorded: a page, newest first. */
int mm_query_decisions(struct mm_db *db, long limit, long cursor,
    struct mm_buf *out, struct mm_err *err);

/*
 * The model store in dir: {"active":{...active.json...}|null,
 * "candidate":"V"|null,"versions":[{"version":"V","card":{...}}, ...]},
 * versions newest first.  0, or -1 with err.
 */
int mm_query_models(const char *dir, struct mm_buf *out, struct mm_err *err);

/*
 * Prometheus text for what the database holds: the newest batch's trust
 * score, drift score and per-feature psi_adj and p-value, each window's
 * F1, accuracy and batch count, and decisions by action.
 */
int mm_query_prometheus(struct mm_db *db, struct mm_buf *out,
    struct mm_err *err);

#endif
