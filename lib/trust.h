/*
 * trust.h - one explainable number in [0, 1] from five components
 * (mm(7), The trust score).  Pure.
 *
 *   trust = w_acc*accuracy + w_f1*f1 + w_conf*confidence
 *         + w_drift*drift_to_trust(drift_score) + w_lat*latency_score(ms)
 *
 * Every component is clamped to [0, 1].  A component whose input is
 * missing (NaN) is left out and the other weights are scaled to sum to 1.
 */
#ifndef MM_TRUST_H
#define MM_TRUST_H

#include "config.h"

struct mm_trust_in {
	double in[MM_T_N];	/* accuracy, f1, confidence, drift_score,
				   latency_ms; NaN where unknown */
};

struct mm_trust_out {
	double score;		/* NaN when no component could be used */
	double value[MM_T_N];	/* each component in [0, 1] */
	double weight[MM_T_N];	/* the weight it got (0 when not used) */
	int used[MM_T_N];
	int nused;
};

/* 1 at or below ok, 0 at or above bad, linear between. */
double mm_ramp_down(double x, double ok, double bad);

/* Returns 0, or -1 when no input is known (out->score is NaN). */
int mm_trust(const struct mm_trust_cfg *cfg, const struct mm_trust_in *in,
    struct mm_trust_out *out);

#endif
