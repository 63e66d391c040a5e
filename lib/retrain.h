/*
 * retrain.h - the executor (mm(7), The executor): carry out one decision
 * on the model store and the database, a retrain exactly once per piece
 * of evidence.  cmd/mm-exec.c reads records and writes them; every
 * effect is here.
 *
 * Stale decisions.  A decision names in its metadata the version live
 * when it was made ("model_version"); a rollback, promote or retrain
 * decided while another version was live is skipped.  The check is made
 * under models/.lock, where no other executor can change what is live
 * between the check and the act.
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
 * No version that does not load as mm-predict loads it
 * (mm_version_loads) is ever made live: not by a retrain, nor by one
 * completed after a crash, nor by a promote or rollback.
 *
 * A retrain, each step that leaves something behind a named fault point
 * (MM_FAULT; lib/store.c names the points inside the store's writes):
 *
 *   1. take models/.lock without waiting; held: skipped, "retrain in
 *      progress"; read active.json (corrupt: an error)
 *   2. load the evidence up to the decision's horizon, and its key
 *   3. settle the pending snapshots of other keys; if that consumed
 *      rows, load the evidence again
 *   4. the key's snapshot: executed or skipped: skipped, "already
 *      used"; failed (not interrupted): skipped, it is not tried again;
 *      pending or interrupted, and a version's card holds the key: make
 *      it live if it loads, else finish failed; finish (step 9)
 *   5. a stale decision: skipped
 *   6. fewer than min_samples usable rows: skipped
 *   7. begin: the snapshot pending, committed      exec-snapshot-pending
 *      (its tries used up: finish failed)
 *   8. split, score the live model, train          exec-trained
 *      the gate says no: finish skipped
 *      write the version (store.h)                 exec-version-written
 *      it does not load: finish failed
 *      make it live                                exec-activated
 *   9. finish, in one transaction: the snapshot's status, the evidence
 *      used consumed (when executed), the decision's history row
 *                                                  exec-snapshot-done
 *
 * Until the version is renamed into place nothing in the store holds
 * the key and a rerun starts again, with the same result; from then on
 * a rerun finds the version (step 4) and completes the retrain.
 */
#ifndef MM_RETRAIN_H
#define MM_RETRAIN_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "evidence.h"
#include "mm.h"
#include "sha.h"
#include "store.h"

/* Where and how decisions are carried out; everything borrowed. */
struct mm_exec {
	struct mm_db *db;
	const char *models;		/* the store's directory */
	const struct mm_config *cfg;	/* retrain, model and drift */
	const double *now;		/* --now, or NULL: the clock */
	int dry_run;			/* change nothing, say what */
};

/* One decision, as read from a record; strings borrowed. */
struct mm_exec_decision {
	int action;			/* enum mm_action */
	const char *reason;		/* "" when none */
	const char *source;		/* batch_id, window or "record" */
	const char *batch_id;		/* the batch decided on, or NULL */
	int window;			/* a window's decision (at ts) */
	double ts;			/* the record's, else now */
	const char *meta;		/* metadata as JSON text, or NULL */
	size_t meta_len;
	const char *decided_for;	/* metadata.model_version, or NULL */
	int has_horizon;		/* metadata.evidence_horizon given */
	long horizon;
};

#define MM_DETAIL_MAX 512

/* What became of a decision: the "exec" object. */
struct mm_exec_result {
	const char *status;		/* executed, skipped, failed, dry_run */
	char detail[MM_DETAIL_MAX];
	char version[MM_VERSION_MAX];	/* made live; "" when none */
	char key[MM_SHA_HEX];		/* of the evidence; "" when none */
};

/*
 * Carry out d and record it in decision_history (not with dry_run).
 * 0 with r filled, whatever became of it; -1 with err when the store or
 * the database failed (the decision is then not recorded).
 */
int mm_exec_decision(const struct mm_exec *x, const struct mm_exec_decision *d,
    struct mm_exec_result *r, struct mm_err *err);

/* The horizon d's retrain uses: its own, else mm_evidence_horizon(). */
int mm_exec_horizon(const struct mm_exec *x, const struct mm_exec_decision *d,
    long *horizon, struct mm_err *err);

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
 * Settle the pending snapshots other than mine (NULL: all), under the
 * lock s: one whose version was written is made live and finished
 * executed (its evidence consumed), or failed when that version does
 * not load; one without is finished failed, "interrupted".
 * Returns how many were finished executed, or -1 with err.
 */
int mm_retrain_settle(const struct mm_exec *x, struct mm_store *s,
    const char *mine, struct mm_err *err);

#endif
