#include <math.h>
#include <string.h>

#include "trust.h"

static double
clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

double
mm_ramp_down(double x, double ok, double bad)
{
	if (x <= ok)
		return 1;
	if (x >= bad)
		return 0;
	return (bad - x) / (bad - ok);
}

int
mm_trust(const struct mm_trust_cfg *cfg, const struct mm_trust_in *in,
    struct mm_trust_out *out)
{
	double wsum = 0, score = 0;
	int k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < MM_T_N; k++) {
		double x = in->in[k];

		if (isnan(x) || cfg->weight[k] <= 0)
			continue;
		if (k == MM_T_DRIFT)
			x = mm_ramp_down(x, cfg->drift_ok, cfg->drift_bad);
		else if (k == MM_T_LATENCY)
			x = mm_ramp_down(x, cfg->latency_ok_ms,
			    cfg->latency_bad_ms);
		out->value[k] = clamp01(x);
		out->used[k] = 1;
		out->nused++;
		wsum += cfg->weight[k];
	}
	if (out->nused == 0) {
		out->score = NAN;
		return -1;
	}
	for (k = 0; k < MM_T_N; k++) {
		if (!out->used[k])
			continue;
		/* Weights that sum to 1 (within rounding) stay as written. */
		out->weight[k] = fabs(wsum - 1) < 1e-9 ? cfg->weight[k] :
		    cfg->weight[k] / wsum;
		score += out->weight[k] * out->value[k];
	}
	out->score = clamp01(score);
	return 0;
}
