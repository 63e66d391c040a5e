/*
 * policy.h - the decision policy (mm(7), Decisions).  Pure: no I/O, no
 * clock, no globals.  (policy config, signal, state) -> decision.
 *
 * Rules, first match wins:
 *   1. drift_status is severe                            -> reject
 *   2. F1 has collapsed beyond doubt: the upper bound (level
 *      1 - alpha_f1) of F1 on the rows at hand is below
 *      baseline_f1 - max_f1_drop                         -> rollback
 *   3. F1 has degraded beyond doubt: the upper bound of F1 on the
 *      pooled recent rows of the live version is below
 *      baseline_f1 - min_f1_gain                         -> retrain,
 *      unless one of the last cooldown_batches actions was retrain
 *                                                        -> none
 *   4. a candidate is staged and the last min_stable_batches actions
 *      were all none                                     -> promote
 *   5. otherwise                                         -> none
 * Rule 1 needs a drift status (graded by mm-psi from a calibrated test
 * and the effect size); a drift_score without one is not graded here.
 * Replaying a decision that an older mm made (drift_by_score), rule 1 is
 * drift_score >= psi_threshold instead, as it was then.
 * Rules 2 and 3 need f1 and a baseline; without them they are skipped.
 * When the state knows there is no previous version, a collapse (rule
 * 2's bound on rows the live version served) is a retrain instead, with
 * rule 3's cooldown.
 * The bounds come from confusion counts (mm_f1_upper in metrics.h), so
 * a large collapse is seen in one batch and a small degradation once
 * enough rows prove it, while noise in small batches moves nothing.  A
 * signal without counts (a hand-made record, a decision an older mm
 * made) is judged as older mm did: on its F1 as given, and for rule 3
 * on f1_sustained, the F1 averaged over recent batches (f1 if absent).
 */
#ifndef MM_POLICY_H
#define MM_POLICY_H

#include "config.h"
#include "mm.h"
#include "psi.h"

enum mm_action { MM_NONE, MM_REJECT, MM_ROLLBACK, MM_RETRAIN, MM_PROMOTE,
	MM_NACTIONS };
extern const char *const mm_action_names[MM_NACTIONS];

/* The action named s, or -1. */
int mm_action_parse(const char *s);

/*
 * drifted is borrowed: the first of the batch's drifted features, named
 * in the reason, or NULL; ndrifted counts them all.
 */
struct mm_signal {
	int has_drift, has_f1, has_trust, has_f1_sustained;
	double drift_score, f1, trust, f1_sustained;
	int has_drift_status;
	int drift_status;		/* enum mm_status */
	const char *drifted;
	int ndrifted;
	int drift_by_score;		/* rule 1 of an older mm */
	/*
	 * Confusion counts (borrowed, nclass x nclass, row = true class):
	 * the rows at hand, and the recent rows of the live version pooled
	 * (at most f1_window_rows of them).  nclass 0: no counts.
	 */
	int nclass;
	const long *confusion, *pooled;
};

/* The most classes a confusion matrix may have. */
#define MM_MAX_CLASSES 1000

/* Posterior draws behind each F1 bound. */
#define MM_F1_DRAWS 4000

#define MM_POLICY_HISTORY 64

struct mm_policy_state {
	int has_baseline;
	double baseline_f1;
	int staged;
	int no_previous;		/* known: no version to roll back to */
	int nrecent;			/* actions in recent, oldest first */
	int recent[MM_POLICY_HISTORY];
};

struct mm_decision {
	int action;			/* enum mm_action */
	char reason[256];
	/* From the counts, for the record (NaN without them). */
	double f1_upper;		/* rows at hand */
	double pooled_f1, pooled_upper;	/* pooled rows */
	long rows, pooled_rows;
};

/*
 * Decide.  Returns 0, or -1 with err (MM_EINPUT) for inputs out of range:
 * a NaN or infinite value, drift_score < 0, f1 or trust or baseline_f1
 * outside [0, 1], a drift_status that is not a status, fewer drifted
 * features than drifted names.
 */
int mm_policy_decide(const struct mm_retrain_cfg *cfg,
    const struct mm_signal *sig, const struct mm_policy_state *st,
    struct mm_decision *out, struct mm_err *err);

/* Append an action to the state's history (dropping the oldest). */
void mm_policy_push(struct mm_policy_state *st, int action);

#endif
