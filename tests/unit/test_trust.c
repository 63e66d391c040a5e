/*
 * test_trust.c - the ramp and the trust score (mm(7), The trust
 * score): exact scores worked by hand, clamping, missing components,
 * zero weights.
 *
 * Most cases use dyadic weights and inputs (sums of powers of two), so
 * every product and sum is exact in binary and the scores compare with
 * ==; the default weights (0.30, 0.25, ...) are not, so those compare
 * within 1e-12.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "asserts.h"
#include "config.h"
#include "trust.h"

#define assert_close(got, want) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(fabs(g_ - w_) <= 1e-12))					\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

#define assert_nan(got) do {						\
	double g_ = (got);						\
	if (!isnan(g_))							\
		fail_msg("%s = %.17g, want NaN", #got, g_);		\
} while (0)

/* Weights 1/4, 1/4, 1/8, 1/4, 1/8; drift 0.25..0.75; latency 300..1500. */
static struct mm_trust_cfg
dyadic(void)
{
	struct mm_config c;

	mm_config_defaults(&c);
	c.trust.weight[MM_T_ACCURACY] = 0.25;
	c.trust.weight[MM_T_F1] = 0.25;
	c.trust.weight[MM_T_CONFIDENCE] = 0.125;
	c.trust.weight[MM_T_DRIFT] = 0.25;
	c.trust.weight[MM_T_LATENCY] = 0.125;
	c.trust.drift_ok = 0.25;
	c.trust.drift_bad = 0.75;
	return c.trust;
}

static struct mm_trust_in
input(double acc, double f1, double conf, double drift, double lat)
{
	struct mm_trust_in in;

	in.in[MM_T_ACCURACY] = acc;
	in.in[MM_T_F1] = f1;
	in.in[MM_T_CONFIDENCE] = conf;
	in.in[MM_T_DRIFT] = drift;
	in.in[MM_T_LATENCY] = lat;
	return in;
}

static void
test_ramp_bounds(void **state)
{
	(void)state;
	/* At or below ok: 1. */
	assert_exact(mm_ramp_down(0.1, 0.1, 0.3), 1);
	assert_exact(mm_ramp_down(0.0, 0.1, 0.3), 1);
	assert_exact(mm_ramp_down(-5, 0.1, 0.3), 1);
	assert_exact(mm_ramp_down(300, 300, 1500), 1);
	assert_exact(mm_ramp_down(0, 300, 1500), 1);
	/* At or above bad: 0. */
	assert_exact(mm_ramp_down(0.3, 0.1, 0.3), 0);
	assert_exact(mm_ramp_down(7, 0.1, 0.3), 0);
	assert_exact(mm_ramp_down(1500, 300, 1500), 0);
	assert_exact(mm_ramp_down(1e9, 300, 1500), 0);
	assert_exact(mm_ramp_down(INFINITY, 300, 1500), 0);
	/* Equal bounds: a step, no division by zero. */
	assert_exact(mm_ramp_down(1, 1, 1), 1);
	assert_exact(mm_ramp_down(1.5, 1, 1), 0);
}

static void
test_ramp_between(void **state)
{
	(void)state;
	/* (1500 - 900) / (1500 - 300) = 600 / 1200 = 0.5 */
	assert_exact(mm_ramp_down(900, 300, 1500), 0.5);
	/* (1500 - 600) / 1200 = 0.75; (1500 - 1200) / 1200 = 0.25 */
	assert_exact(mm_ramp_down(600, 300, 1500), 0.75);
	assert_exact(mm_ramp_down(1200, 300, 1500), 0.25);
	/* (0.75 - 0.375) / (0.75 - 0.25) = 0.375 / 0.5 = 0.75 */
	assert_exact(mm_ramp_down(0.375, 0.25, 0.75), 0.75);
	/* (0.3 - 0.2) / (0.3 - 0.1) = 0.5, to rounding */
	assert_close(mm_ramp_down(0.2, 0.1, 0.3), 0.5);
	/* (0.3 - 0.25) / 0.2 = 0.25 */
	assert_close(mm_ramp_down(0.25, 0.1, 0.3), 0.25);
	/* Just inside the bounds it is just inside (0, 1). */
	assert_true(mm_ramp_down(300.001, 300, 1500) < 1);
	assert_true(mm_ramp_down(1499.999, 300, 1500) > 0);
}

static void
test_trust_exact(void **state)
{
	struct mm_trust_cfg cfg = dyadic();
	struct mm_trust_in in = input(0.75, 0.5, 0.875, 0.5, 900);
	struct mm_trust_out out;
	int k;

	(void)state;
	assert_int_equal(mm_trust(&cfg, &in, &out), 0);
	/*
	 * drift: (0.75 - 0.5) / (0.75 - 0.25) = 0.5
	 * latency: (1500 - 900) / (1500 - 300) = 0.5
	 * 0.25*0.75 + 0.25*0.5 + 0.125*0.875 + 0.25*0.5 + 0.125*0.5
	 * = 0.1875 + 0.125 + 0.109375 + 0.125 + 0.0625 = 0.609375
	 */
	assert_exact(out.score, 0.609375);
	assert_exact(out.value[MM_T_ACCURACY], 0.75);
	assert_exact(out.value[MM_T_F1], 0.5);
	assert_exact(out.value[MM_T_CONFIDENCE], 0.875);
	assert_exact(out.value[MM_T_DRIFT], 0.5);
	assert_exact(out.value[MM_T_LATENCY], 0.5);
	assert_int_equal(out.nused, 5);
	for (k = 0; k < MM_T_N; k++) {
		assert_int_equal(out.used[k], 1);
		assert_exact(out.weight[k], cfg.weight[k]);
	}
}

static void
test_trust_defaults(void **state)
{
	struct mm_config c;
	struct mm_trust_in in = input(0.9, 0.8, 0.7, 0.2, 900);
	struct mm_trust_out out;

	(void)state;
	mm_config_defaults(&c);
	assert_int_equal(mm_trust(&c.trust, &in, &out), 0);
	/*
	 * drift: (0.3 - 0.2) / (0.3 - 0.1) = 0.5; latency: 600 / 1200 = 0.5
	 * 0.30*0.9 + 0.25*0.8 + 0.15*0.7 + 0.20*0.5 + 0.10*0.5
	 * = 0.27 + 0.20 + 0.105 + 0.10 + 0.05 = 0.725
	 */
	assert_close(out.score, 0.725);
	assert_close(out.value[MM_T_DRIFT], 0.5);
	assert_exact(out.value[MM_T_LATENCY], 0.5);
	/* They sum to 1 within rounding, so they stay as written. */
	assert_exact(out.weight[MM_T_ACCURACY], 0.30);
	assert_exact(out.weight[MM_T_LATENCY], 0.10);

	/* A perfect batch scores 1, a hopeless one 0. */
	in = input(1, 1, 1, 0, 0);
	assert_int_equal(mm_trust(&c.trust, &in, &out), 0);
	assert_close(out.score, 1);
	in = input(0, 0, 0, 0.3, 1500);
	assert_int_equal(mm_trust(&c.trust, &in, &out), 0);
	assert_exact(out.score, 0);
}

static void
test_trust_clamp(void **state)
{
	struct mm_trust_cfg cfg = dyadic();
	struct mm_trust_in in = input(1.2, -0.5, 3, -1, -20);
	struct mm_trust_out out;

	(void)state;
	assert_int_equal(mm_trust(&cfg, &in, &out), 0);
	/*
	 * accuracy 1.2 -> 1, f1 -0.5 -> 0, confidence 3 -> 1,
	 * drift -1 (below ok) -> 1, latency -20 ms (below ok) -> 1:
	 * 0.25*1 + 0.25*0 + 0.125*1 + 0.25*1 + 0.125*1 = 0.75
	 */
	assert_exact(out.value[MM_T_ACCURACY], 1);
	assert_exact(out.value[MM_T_F1], 0);
	assert_exact(out.value[MM_T_CONFIDENCE], 1);
	assert_exact(out.value[MM_T_DRIFT], 1);
	assert_exact(out.value[MM_T_LATENCY], 1);
	assert_exact(out.score, 0.75);

	/* Negative everything that is a share: 0; beyond bad: 0. */
	in = input(-0.1, -1, -2, 9, 1e6);
	assert_int_equal(mm_trust(&cfg, &in, &out), 0);
	assert_exact(out.score, 0);
	/* Infinite inputs clamp too. */
	in = input(INFINITY, INFINITY, -INFINITY, -INFINITY, INFINITY);
	assert_int_equal(mm_trust(&cfg, &in, &out), 0);
	/* 0.25*1 + 0.25*1 + 0.125*0 + 0.25*1 + 0.125*0 = 0.75 */
	assert_exact(out.score, 0.75);
}

static void
test_trust_missing(void **state)
{
	struct mm_trust_cfg cfg = dyadic();
	struct mm_trust_in in = input(NAN, NAN, 0.875, 0.5, 900);
	struct mm_trust_out out;
	struct mm_config c;

	(void)state;
	/*
	 * No labels: accuracy and f1 left out.  The others weigh
	 * 0.125 + 0.25 + 0.125 = 0.5, scaled to 0.25, 0.5, 0.25:
	 * 0.25*0.875 + 0.5*0.5 + 0.25*0.5 = 0.21875 + 0.25 + 0.125 = 0.59375
	 */
	assert_int_equal(mm_trust(&cfg, &in, &out), 0);
	assert_exact(out.score, 0.59375);
	assert_int_equal(out.nused, 3);
	assert_int_equal(out.used[MM_T_ACCURACY], 0);
	assert_int_equal(out.used[MM_T_F1], 0);
	assert_int_equal(out.used[MM_T_CONFIDENCE], 1);
	assert_exact(out.weight[MM_T_ACCURACY], 0);
	assert_exact(out.weight[MM_T_F1], 0);
	assert_exact(out.weight[MM_T_CONFIDENCE], 0.25);
	assert_exact(out.weight[MM_T_DRIFT], 0.5);
	assert_exact(out.weight[MM_T_LATENCY], 0.25);

	/* One component known: it is the score. */
	in = input(NAN, NAN, NAN, NAN, 600);
	assert_int_equal(mm_trust(&cfg, &in, &out), 0);
	assert_exact(out.score, 0.75);
	assert_exact(out.weight[MM_T_LATENCY], 1);
	assert_int_equal(out.nused, 1);

	/*
	 * Default weights without labels: 0.15 + 0.20 + 0.10 = 0.45, so
	 * 1/3, 4/9, 2/9; confidence 0.7, drift 0.2 -> 0.5, latency 900 ->
	 * 0.5: 0.7/3 + 0.5*4/9 + 0.5*2/9 = 0.7/3 + 1/3 = 1.7/3
	 */
	mm_config_defaults(&c);
	in = input(NAN, NAN, 0.7, 0.2, 900);
	assert_int_equal(mm_trust(&c.trust, &in, &out), 0);
	assert_close(out.score, 1.7 / 3);
	assert_close(out.weight[MM_T_CONFIDENCE], 1.0 / 3);
	assert_close(out.weight[MM_T_DRIFT], 4.0 / 9);
	assert_close(out.weight[MM_T_LATENCY], 2.0 / 9);
}

static void
test_trust_none(void **state)
{
	struct mm_trust_cfg cfg = dyadic();
	struct mm_trust_in in = input(NAN, NAN, NAN, NAN, NAN);
	struct mm_trust_out out;
	int k;

	(void)state;
	assert_int_equal(mm_trust(&cfg, &in, &out), -1);
	assert_nan(out.score);
	assert_int_equal(out.nused, 0);
	for (k = 0; k < MM_T_N; k++) {
		assert_int_equal(out.used[k], 0);
		assert_exact(out.weight[k], 0);
	}
}

static void
test_trust_zero_weight(void **state)
{
	struct mm_trust_cfg cfg = dyadic();
	struct mm_trust_in in = input(0.75, 0.5, 0.875, 0.5, 900);
	struct mm_trust_out out;

	(void)state;
	/* Only accuracy and f1 count: 0.5*0.75 + 0.5*0.5 = 0.625. */
	cfg.weight[MM_T_ACCURACY] = 0.5;
	cfg.weight[MM_T_F1] = 0.5;
	cfg.weight[MM_T_CONFIDENCE] = 0;
	cfg.weight[MM_T_DRIFT] = 0;
	cfg.weight[MM_T_LATENCY] = 0;
	assert_int_equal(mm_trust(&cfg, &in, &out), 0);
	assert_exact(out.score, 0.625);
	assert_int_equal(out.nused, 2);
	assert_int_equal(out.used[MM_T_CONFIDENCE], 0);
	assert_int_equal(out.used[MM_T_DRIFT], 0);
	assert_int_equal(out.used[MM_T_LATENCY], 0);
	assert_exact(out.weight[MM_T_DRIFT], 0);

	/* f1 unknown: accuracy alone, weight 1. */
	in.in[MM_T_F1] = NAN;
	assert_int_equal(mm_trust(&cfg, &in, &out), 0);
	assert_exact(out.score, 0.75);
	assert_exact(out.weight[MM_T_ACCURACY], 1);

	/* Known inputs all have weight 0: nothing to score. */
	in.in[MM_T_ACCURACY] = NAN;
	assert_int_equal(mm_trust(&cfg, &in, &out), -1);
	assert_nan(out.score);
	assert_int_equal(out.nused, 0);
}

static void
test_trust_unnormalised(void **state)
{
	struct mm_trust_cfg cfg = dyadic();
	struct mm_trust_in in = input(0.75, 0.5, 0.875, 0.5, 900);
	struct mm_trust_out out;
	int k;

	(void)state;
	/* Every weight doubled (sum 2): scaled back, the same score. */
	for (k = 0; k < MM_T_N; k++)
		cfg.weight[k] *= 2;
	assert_int_equal(mm_trust(&cfg, &in, &out), 0);
	assert_exact(out.score, 0.609375);
	assert_exact(out.weight[MM_T_CONFIDENCE], 0.125);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ramp_bounds),
		cmocka_unit_test(test_ramp_between),
		cmocka_unit_test(test_trust_exact),
		cmocka_unit_test(test_trust_defaults),
		cmocka_unit_test(test_trust_clamp),
		cmocka_unit_test(test_trust_missing),
		cmocka_unit_test(test_trust_none),
		cmocka_unit_test(test_trust_zero_weight),
		cmocka_unit_test(test_trust_unnormalised),
	};

	return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
