/*
 * recorder.h - what mm-record does with one record, for any program
 * that stores batches (mm-record, mm-serve's ingest): a batch with
 * metrics or drift stored once under its batch_id (metrics, drift
 * counts, and its labelled rows as evidence unless its drift is
 * severe), in a transaction the caller commits.
 *
 * A batch_id stored before is not stored again: the same batch is a
 * replay; other content under that id is a conflict, said in why.
 */
#ifndef MM_RECORDER_H
#define MM_RECORDER_H

#define MM_RECORD_QUEUE 256	/* batches queued at most (defer) */
#define MM_RECORD_TRIES 5	/* tries at a queue after a deadlock */

#include "batchin.h"
#include "db.h"
#include "json.h"

enum mm_rec_outcome {
	MM_RECORD_STORED,	/* stored now */
	MM_RECORD_PASSED,	/* no batch_id, or neither metrics nor drift */
	MM_RECORD_REPLAY,	/* stored before, the same batch */
	MM_RECORD_CONFLICT,	/* stored before with other content: why */
	MM_RECORD_QUEUED	/* to be stored at the next commit (defer) */
};

/* A batch found stored before with other content, said at a commit. */
typedef void mm_recorder_conflict_fn(void *ctx, const char *where,
    long line, const char *batch_id, const char *why);

/* What of a queued batch is compared with what was stored before. */
struct mm_rec_pending;

struct mm_recorder {
	struct mm_db *db;	/* borrowed */
	long buffer_rows;	/* evidence kept at most (the newest) */
	const double *now;	/* --now, or NULL: the clock */
	struct mm_say say;
	int warned_str;		/* said once: strings, no evidence */
	int in_txn;
	long stored, duplicates, conflicts, passed, rows;
	char why[128];		/* of the last conflict */
	double ts;		/* the last batch's time, as stored */

	struct mm_stmt *ins_metrics, *ins_counts, *ins_evidence, *cap_evidence;
	struct mm_stmt *ins_batch;	/* all three at once, on a server */

	/*
	 * Deferred (mm_recorder_defer, on a server): batches queued and
	 * stored many in one statement, their columns as arrays.
	 */
	mm_recorder_conflict_fn *conflict;
	void *conflict_ctx;
	const char *where;	/* the caller's file and line of the next */
	long line;		/* record, for conflicts said later */
	struct mm_stmt *ins_chunk;
	struct mm_arr cols[25];
	struct mm_rec_pending *pend;
	size_t npend, pendcap;
	struct mm_buf arena;	/* the queued batches' ids, rows... */
	struct mm_stmt *sel_metrics, *sel_evidence;
	struct mm_batch batch;	/* the last record's */
	struct mm_rec rec, sub, msub, tsub;
	struct mm_buf names, rows_blob, rows_json, labels_json;
	size_t *idx, idxcap;	/* the batch's labelled rows */
	struct mm_buf drift;	/* the drift object without ref and counts */
	struct mm_buf status, ref, version;
};

/* Prepare the statements on db.  0, or -1 with err. */
int mm_recorder_open(struct mm_recorder *r, struct mm_db *db,
    long buffer_rows, const double *now, const struct mm_say *say,
    struct mm_err *err);
/* Finalize; an open transaction is rolled back. */
void mm_recorder_close(struct mm_recorder *r);

/*
 * Store the record in line, opening a transaction if
 * none is: an enum mm_rec_outcome, or -1 with err (MM_EINPUT for the
 * record, MM_ESYS for the database).
 */
int mm_recorder_line(struct mm_recorder *r, const char *line, size_t len,
    struct mm_err *err);

/*
 * On a server, queue batches and store them many in one statement, in a
 * transaction of their own, at the commit (or every MM_RECORD_QUEUE,
 * or before a batch_id queued already): mm_recorder_line then answers
 * MM_RECORD_QUEUED, and a conflict found when stored is said through
 * fn with r->where and r->line as they were for its record.  A queue
 * ended by a deadlock is tried again.  On SQLite, nothing changes.
 */
void mm_recorder_defer(struct mm_recorder *r, mm_recorder_conflict_fn *fn,
    void *ctx);

/* Trim evidence to buffer_rows and commit what is open.  0, or -1. */
int mm_recorder_commit(struct mm_recorder *r, struct mm_err *err);
void mm_recorder_rollback(struct mm_recorder *r);

#endif
