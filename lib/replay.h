/*
 * replay.h - mm-decide --replay: each decision in decision_history
 * recomputed from the inputs its metadata recorded, by this mm's
 * policy, to show where the policy now decides otherwise.
 *
 * The metadata is the decision object mm-decide writes (mm-records(5)).
 * Metadata without drift_status was written by an mm whose rule 1 was
 * drift_score >= psi_threshold, and is replayed by that rule.
 *
 * Reading decision_history back is here too: the recent actions a run
 * of mm-decide starts from (its cooldown and stable count).
 */
#ifndef MM_REPLAY_H
#define MM_REPLAY_H

#include <jansson.h>
#include <stdio.h>

#include "db.h"
#include "mm.h"
#include "policy.h"

/* The drift status named s (psi.h's mm_status_names), or -1. */
int mm_status_parse(const char *s);

/*
 * drifted: an array of feature names, or absent or null.  Sets
 * sig->drifted to the first name (borrowed from x) and sig->ndrifted.
 * 0, or -1 if not names.
 */
int mm_signal_drifted(json_t *x, struct mm_signal *sig);

/*
 * Recompute the decision whose metadata is meta.  0, or -1 with err
 * (MM_EINPUT) when the metadata is incomplete or out of range.
 */
int mm_replay_meta(json_t *meta, struct mm_decision *dec,
    struct mm_err *err);

/*
 * Replay the decisions of db whose ts is in [from, to], in order.  Each
 * that is recomputed otherwise, or cannot be, is written to out as a
 * line of JSON (id, ts, source, stored, and recomputed and reason, or
 * error).  *n counts the decisions, *differ those written.  0, or -1
 * with err when the database cannot be read.
 */
int mm_replay(struct mm_db *db, double from, double to, FILE *out,
    long *n, long *differ, struct mm_err *err);

/*
 * Push the newest MM_POLICY_HISTORY actions of db's decision_history
 * onto st, oldest first.  An action this mm does not know is skipped,
 * not counted as none.  0, or -1 with err.
 */
int mm_history_seed(struct mm_db *db, struct mm_policy_state *st,
    struct mm_err *err);

#endif
