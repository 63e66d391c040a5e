/*
 * snapshot.h - the executor's exactly-once bookkeeping (mm(7), The
 * executor; retrain.h carries out the decisions).
 *
 * Retrain snapshots: one row of retrain_snapshots per key (evidence.h).
 *
 *   (none)  --begin-->   pending            attempt 1
 *   pending --begin-->   pending            a dead run's: attempt n + 1
 *   pending --finish-->  executed | skipped | failed
 *   pending --settle-->  executed       a dead run's version is there
 *   pending --settle-->  failed         a dead run wrote no version
 *                                       ("interrupted ...")
 *   failed  --begin-->   pending        only one failed "interrupted":
 *                                       the same evidence, attempt n + 1
 *
 * executed, skipped and failed are final, but for a failed that says a
 * run was interrupted: that evidence is never used again.  A failure
 * of the retrain itself (training refused, the live model cannot be
 * scored, the new version does not load) is the same each time on the
 * same evidence; trying again would only fail again, or, had it crashed
 * the run, crash every run after it.  A crash is taken up again, since
 * the next try may well succeed, but not without end: while pending,
 * the snapshot's detail counts its attempts ("attempt 2"), and the run
 * that would begin attempt MM_RETRAIN_TRIES + 1 finishes it failed
 * instead ("gave up: ...").  Snapshots change only under models/.lock,
 * which a retrain holds from start to end, so a pending snapshot found
 * under the lock is a run that died.
 *
 * A row of decision_history records what became of each decision; a
 * retrain's is added in the transaction that finishes its snapshot.
 */
#ifndef MM_SNAPSHOT_H
#define MM_SNAPSHOT_H

#include <stddef.h>

#include "db.h"
#include "mm.h"
#include "store.h"

struct mm_exec;		/* retrain.h */

#define MM_DETAIL_MAX 512

/* A row of decision_history; strings borrowed, version NULL or "". */
struct mm_history {
	double ts;
	const char *source, *action, *reason;
	const char *meta;		/* NULL: "{}" */
	size_t meta_len;
	const char *status, *detail, *version;
};

/* Append h, created at now.  0, or -1 with err. */
int mm_history_add(struct mm_db *db, const struct mm_history *h, double now,
    struct mm_err *err);

enum mm_snap { MM_SNAP_PENDING, MM_SNAP_EXECUTED, MM_SNAP_SKIPPED,
	MM_SNAP_FAILED, MM_SNAP_N };
extern const char *const mm_snap_names[MM_SNAP_N];

struct mm_snapshot {
	int status;			/* enum mm_snap */
	long n_rows;			/* usable rows */
	long max_id;			/* the newest row of evidence */
	char version[MM_VERSION_MAX];	/* "" when none */
	char detail[MM_DETAIL_MAX];
};

/* The snapshot of key: 0, 1 when there is none, -1 with err. */
int mm_snapshot_get(struct mm_db *db, const char *key, struct mm_snapshot *s,
    struct mm_err *err);

/* How many times a retrain on the same evidence is begun. */
#define MM_RETRAIN_TRIES 5

/*
 * Begin a retrain of key on n_rows rows up to max_id, committed: a new
 * snapshot becomes pending, its attempt 1; a pending one (a run died)
 * or one failed "interrupted", pending, its next attempt.  0; 1 when
 * the snapshot is final (executed, skipped, failed otherwise): nothing
 * changes; 2 when it was begun MM_RETRAIN_TRIES times already: it is
 * then pending, for the caller to finish failed; -1 with err.
 */
int mm_snapshot_begin(struct mm_db *db, const char *key, long n_rows,
    long max_id, double now, struct mm_err *err);

/*
 * Finish the pending snapshot of key, in one transaction: status
 * (executed, skipped or failed), version (or NULL) and detail; when
 * executed, the evidence up to its max_id consumed; h, if not NULL,
 * added to decision_history.  0, or -1 with err (MM_ESYS; also when the
 * snapshot is not pending): then nothing changed.
 */
int mm_snapshot_finish(struct mm_db *db, const char *key, int status,
    const char *version, const char *detail, const struct mm_history *h,
    double now, struct mm_err *err);

/*
 * The newest version in the store whose card holds key as its
 * "retrain_key", into version: 0, 1 when none, -1 with err.
 */
int mm_retrain_find_version(const char *models, const char *key,
    char *version, size_t size, struct mm_err *err);

/*
 * Does version of the store in models load, as mm-predict loads it
 * (mm_model_load: its checksum, then the parse)?  0; -1 with err, its
 * message naming the file and saying why: MM_EINPUT when version is not
 * in the store, MM_ESYS when it is there but does not load.
 */
int mm_version_loads(const char *models, const char *version,
    struct mm_err *err);

/*
 * Whether s is failed as "interrupted": a run died before it wrote a
 * version, the one failure mm_snapshot_begin takes up again.
 */
int mm_snapshot_interrupted(const struct mm_snapshot *s);

/*
 * Make version, a retrain's, live with its card's F1 as the baseline,
 * under the lock s: 0; 1 when it does not load (err says why), and it
 * is not made live; -1 with err.
 */
int mm_retrain_make_live(const struct mm_exec *x, struct mm_store *s,
    const char *version, struct mm_err *err);

/*
 * Settle the pending snapshots other than mine (NULL: all), under the
 * lock s: one whose version was written is made live and finished
 * executed (its evidence consumed), or failed when that version does
 * not load; one without is finished failed, "interrupted".
 * Returns how many were finished executed, or -1 with err.
 */
int mm_retrain_settle(const struct mm_exec *x, struct mm_store *s,
    const char *mine, struct mm_err *err);

#endif
