/*
 * test_rng.c - the seeded generator: exact streams, ranges, rough
 * distribution checks and shuffles.
 *
 * Expected values come from an independent Python reference written from
 * the published algorithms (prng.di.unimi.it): splitmix64 (its first
 * output from state 0 is the well-known 0xe220a8397b1dcdaf) seeds the
 * four words of xoshiro256** from x = seed ^ (stream * 0xd1342543de82ef95)
 * mod 2^64; next() = rotl(s1 * 5, 7) * 9 with the usual state update.
 * uniform = (next() >> 11) * 2^-53; below(n) rejects x >= 2^64-1 -
 * (2^64-1) % n and returns x % n; normal is the polar method (Python's
 * math.sqrt and math.log); shuffle is Fisher-Yates from the top with
 * below(i).  Computed with python3, integers exactly.
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

#include "rng.h"

#define assert_rel(got, want, rel) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(fabs(g_ - w_) <= (rel) * fabs(w_)))			\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

static void
expect_stream(uint64_t seed, uint64_t stream, const uint64_t want[5])
{
	struct mm_rng r;
	int i;

	mm_rng_seed(&r, seed, stream);
	for (i = 0; i < 5; i++) {
		uint64_t v = mm_rng_u64(&r);

		if (v != want[i])
			fail_msg("seed %llu stream %llu draw %d: %#018llx, "
			    "want %#018llx", (unsigned long long)seed,
			    (unsigned long long)stream, i,
			    (unsigned long long)v,
			    (unsigned long long)want[i]);
	}
}

static void
test_streams_exact(void **state)
{
	static const uint64_t s42_0[5] = { 0x15780b2e0c2ec716ULL,
	    0x6104d9866d113a7eULL, 0xae17533239e499a1ULL,
	    0xecb8ad4703b360a1ULL, 0xfde6dc7fe2ec5e64ULL };
	static const uint64_t s42_1[5] = { 0x180247f2e3635182ULL,
	    0xccc3601b72c88777ULL, 0x9089cff698d1db80ULL,
	    0xa93cda9a18f0e97eULL, 0x17d8d54a8e3e6a71ULL };
	static const uint64_t s0_0[5] = { 0x99ec5f36cb75f2b4ULL,
	    0xbf6e1f784956452aULL, 0x1a5f849d4933e6e0ULL,
	    0x6aa594f1262d2d2cULL, 0xbba5ad4a1f842e59ULL };
	static const uint64_t s12345_7[5] = { 0x7f21c7053d56eec2ULL,
	    0x028411faabd65cb6ULL, 0xd88a2b84e28134e2ULL,
	    0xb9582f1f6a7382bbULL, 0xb0279cd7b3d21befULL };

	(void)state;
	expect_stream(42, 0, s42_0);
	expect_stream(42, 1, s42_1);
	expect_stream(0, 0, s0_0);
	expect_stream(12345, 7, s12345_7);
	/* Seeding again starts the same stream over. */
	expect_stream(42, 0, s42_0);
}

static void
test_state_words(void **state)
{
	struct mm_rng r;

	(void)state;
	/* Seed 0, stream 0: the state is splitmix64's first four outputs. */
	mm_rng_seed(&r, 0, 0);
	assert_true(r.s[0] == 0xe220a8397b1dcdafULL);
	assert_true(r.s[1] == 0x6e789e6aa1b965f4ULL);
	assert_true(r.s[2] == 0x06c45d188009454fULL);
	assert_true(r.s[3] == 0xf88bb8a8724c81ecULL);
	assert_int_equal(r.have_spare, 0);
}

static void
test_streams_differ(void **state)
{
	struct mm_rng a, b, c;
	int i, same_ab = 0, same_ac = 0;

	(void)state;
	mm_rng_seed(&a, 42, 0);
	mm_rng_seed(&b, 42, 1);
	mm_rng_seed(&c, 43, 0);
	for (i = 0; i < 1000; i++) {
		uint64_t x = mm_rng_u64(&a), y = mm_rng_u64(&b),
		    z = mm_rng_u64(&c);

		same_ab += x == y;
		same_ac += x == z;
	}
	assert_int_equal(same_ab, 0);
	assert_int_equal(same_ac, 0);
}

static void
test_uniform(void **state)
{
	struct mm_rng r;
	double v, sum = 0, lo = 1, hi = 0;
	long i, n = 1000000, below_half = 0;

	(void)state;
	mm_rng_seed(&r, 42, 0);
	/* Exact: 53 bits of each draw. */
	assert_true(mm_rng_uniform(&r) == 0.08386297105988216);
	assert_true(mm_rng_uniform(&r) == 0.3789802506626686);
	assert_true(mm_rng_uniform(&r) == 0.6800434110281394);
	mm_rng_seed(&r, 9, 9);
	for (i = 0; i < n; i++) {
		v = mm_rng_uniform(&r);
		if (!(v >= 0 && v < 1))
			fail_msg("draw %ld = %.17g outside [0, 1)", i, v);
		sum += v;
		below_half += v < 0.5;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	/* Mean 1/2, sd of the mean 0.2887/1000: 0.002 is 7 sd. */
	assert_true(fabs(sum / n - 0.5) < 0.002);
	/* Binomial(1e6, 1/2): sd 500, 3500 is 7 sd. */
	assert_true(labs(below_half - n / 2) < 3500);
	assert_true(lo < 1e-5);
	assert_true(hi > 1 - 1e-5);
}

static void
test_below(void **state)
{
	struct mm_rng r;
	long counts[10] = { 0 };
	double chi2 = 0;
	int i;

	(void)state;
	mm_rng_seed(&r, 42, 0);
	assert_true(mm_rng_below(&r, 1000) == 742);
	assert_true(mm_rng_below(&r, 1000) == 102);
	assert_true(mm_rng_below(&r, 1000) == 9);
	assert_true(mm_rng_below(&r, 1000) == 193);
	assert_true(mm_rng_below(&r, 1000) == 476);
	/* n = 2^63 + 1 rejects almost half the draws: 21 for these 5. */
	mm_rng_seed(&r, 42, 0);
	assert_true(mm_rng_below(&r, (1ULL << 63) + 1) ==
	    1546998764402558742ULL);
	assert_true(mm_rng_below(&r, (1ULL << 63) + 1) ==
	    6990951692964543102ULL);
	assert_true(mm_rng_below(&r, (1ULL << 63) + 1) ==
	    5362058279183681893ULL);
	assert_true(mm_rng_below(&r, (1ULL << 63) + 1) ==
	    5928998142081247042ULL);
	assert_true(mm_rng_below(&r, (1ULL << 63) + 1) ==
	    1712965807924549849ULL);
	{
		struct mm_rng s;

		mm_rng_seed(&s, 42, 0);
		for (i = 0; i < 21; i++)
			mm_rng_u64(&s);
		assert_true(mm_rng_u64(&s) == mm_rng_u64(&r));
	}
	mm_rng_seed(&r, 5, 0);
	for (i = 0; i < 1000; i++)
		assert_true(mm_rng_below(&r, 1) == 0);
	for (i = 0; i < 1000; i++)
		assert_true(mm_rng_below(&r, 3) < 3);
	for (i = 0; i < 1000; i++)
		assert_true(mm_rng_below(&r, UINT64_MAX) < UINT64_MAX);
	for (i = 0; i < 100000; i++) {
		uint64_t v = mm_rng_below(&r, 10);

		assert_true(v < 10);
		counts[v]++;
	}
	/* Pearson chi-square, 9 df: P(X > 40) is about 7e-6. */
	for (i = 0; i < 10; i++)
		chi2 += (counts[i] - 10000.0) * (counts[i] - 10000.0) / 10000;
	if (!(chi2 < 40))
		fail_msg("chi-square %g for 10 equal cells", chi2);
}

static void
test_normal(void **state)
{
	struct mm_rng r;
	double v, sum = 0, sq = 0, mean, var;
	long i, n = 100000, tail = 0;

	(void)state;
	/* Two polar pairs: u*m first, then the spare v*m. */
	mm_rng_seed(&r, 7, 3);
	assert_rel(mm_rng_normal(&r), 0.0158262560614197, 1e-12);
	assert_int_equal(r.have_spare, 1);
	assert_rel(mm_rng_normal(&r), 0.8048021804816445, 1e-12);
	assert_int_equal(r.have_spare, 0);
	assert_rel(mm_rng_normal(&r), 0.5385820801079267, 1e-12);
	assert_rel(mm_rng_normal(&r), 1.5606209933172033, 1e-12);
	/* Seeding drops a pending spare. */
	mm_rng_seed(&r, 7, 3);
	(void)mm_rng_normal(&r);
	mm_rng_seed(&r, 7, 3);
	assert_int_equal(r.have_spare, 0);
	assert_rel(mm_rng_normal(&r), 0.0158262560614197, 1e-12);

	mm_rng_seed(&r, 2024, 1);
	for (i = 0; i < n; i++) {
		v = mm_rng_normal(&r);
		sum += v;
		sq += v * v;
		tail += fabs(v) > 1.959963984540054;
	}
	mean = sum / n;
	var = sq / n - mean * mean;
	/* sd of the mean 1/sqrt(n) = 0.0032; of the variance 0.0045. */
	if (!(fabs(mean) < 0.02))
		fail_msg("mean %g", mean);
	if (!(fabs(var - 1) < 0.03))
		fail_msg("variance %g", var);
	/* 5% beyond +-1.96: binomial sd 69, so 4400..5600 is 8 sd. */
	if (!(tail > 4400 && tail < 5600))
		fail_msg("%ld of %ld beyond 1.96", tail, n);
}

static void
test_shuffle(void **state)
{
	static const int want[10] = { 8, 5, 7, 2, 1, 6, 9, 0, 3, 4 };
	struct mm_rng r, ref;
	int a[100], seen[100], i, moved = 0;

	(void)state;
	for (i = 0; i < 10; i++)
		a[i] = i;
	mm_rng_seed(&r, 1, 2);
	mm_rng_shuffle(&r, a, 10);
	assert_memory_equal(a, want, sizeof(want));

	for (i = 0; i < 100; i++)
		a[i] = i;
	mm_rng_seed(&r, 3, 0);
	mm_rng_shuffle(&r, a, 100);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 100; i++) {
		assert_true(a[i] >= 0 && a[i] < 100);
		seen[a[i]]++;
		moved += a[i] != i;
	}
	for (i = 0; i < 100; i++)
		assert_int_equal(seen[i], 1);
	assert_true(moved > 80);

	/* Zero or one element: nothing moves and no draw is used. */
	mm_rng_seed(&r, 4, 4);
	mm_rng_seed(&ref, 4, 4);
	a[0] = 17;
	mm_rng_shuffle(&r, a, 0);
	mm_rng_shuffle(&r, a, 1);
	assert_int_equal(a[0], 17);
	assert_true(mm_rng_u64(&r) == mm_rng_u64(&ref));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streams_exact),
		cmocka_unit_test(test_state_words),
		cmocka_unit_test(test_streams_differ),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_below),
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_shuffle),
	};

	return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
