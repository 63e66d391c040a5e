/*
 * test_bh.c - Benjamini-Hochberg both ways: the smallest adjusted
 * p-value (mm_bh_min, mm-report's chart) by hand, and against the
 * discoveries (mm_bh, mm-psi's grading) on seeded random p-values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asserts.h"
#include "bh.h"
#include "rng.h"

static void
test_bh_min(void **state)
{
	/* Sorted 0.01 0.03 0.04 0.5: 0.04, 0.06, 0.0533.., 0.5. */
	const double p[] = { 0.03, 0.5, NAN, 0.01, 0.04 };
	const double big[] = { 0.9, 0.8 };
	const double none[] = { NAN };

	(void)state;
	assert_near(mm_bh_min(p, 5), 0.04);
	assert_exact(mm_bh_min(p + 1, 1), 0.5);
	/* 0.8 * 2 / 1 and 0.9 * 2 / 2: 0.9. */
	assert_near(mm_bh_min(big, 2), 0.9);
	assert_true(isnan(mm_bh_min(none, 1)));
	assert_true(isnan(mm_bh_min(none, 0)));
	/* Three of 0.02: BH finds all three at 0.05, and 0.02 <= 0.05. */
	{
		const double three[] = { 0.02, 0.02, 0.02 };

		assert_near(mm_bh_min(three, 3), 0.02);
	}
	/* Never above 1. */
	{
		const double one[] = { 1, 1, 0.7 };

		assert_exact(mm_bh_min(one, 3), 1);
	}
}

/*
 * A p-value as a batch's features give them: mostly noise (uniform),
 * some drifted (very small), some not tested (NaN), and repeats of the
 * one before (ties, as equal counts give).
 */
static double
draw(struct mm_rng *g, const double *p, int i)
{
	double u = mm_rng_uniform(g);

	if (u < 0.1)
		return NAN;
	if (u < 0.2 && i > 0)
		return p[i - 1];
	if (u < 0.4)
		return pow(mm_rng_uniform(g), 6) * 1e-3;
	return mm_rng_uniform(g);
}

/*
 * mm_bh_min() is the level at which BH first finds something: at or
 * below alpha exactly when mm_bh() at alpha finds at least one.  Random
 * levels, and levels a hair either side of mm_bh_min() itself, where a
 * difference between the two would show.
 */
static void
test_bh_agree(void **state)
{
	double p[64], q, alpha;
	int sig[64], trial, i, k, n;
	struct mm_rng g;

	(void)state;
	mm_rng_seed(&g, 20251126, 0);
	for (trial = 0; trial < 20000; trial++) {
		k = 1 + (int)mm_rng_below(&g, 64);
		for (i = 0; i < k; i++)
			p[i] = draw(&g, p, i);
		q = mm_bh_min(p, k);
		alpha = pow(10, -6 * mm_rng_uniform(&g));
		n = mm_bh(p, k, alpha, sig);
		if ((n > 0) != (q <= alpha))
			fail_msg("trial %d: mm_bh %d at alpha %.17g, mm_bh_min "
			    "%.17g", trial, n, alpha, q);
		if (isnan(q) || q >= 1)
			continue;
		assert_true(mm_bh(p, k, q * (1 + 1e-12), sig) > 0);
		if (q > 0)
			assert_int_equal(mm_bh(p, k, q * (1 - 1e-12), sig), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bh_min),
		cmocka_unit_test(test_bh_agree),
	};

	return cmocka_run_group_tests_name("bh", tests, NULL, NULL);
}
