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
 * Retrain snapshots, the bookkeeping that makes a retrain happen once
 * per piece of evidence, are snapshot.h's (this header includes it).
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
#include "snapshot.h"
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

#endif
