/*
 * test_metrics.c - accuracy and F1 as scikit-learn computes them, and
 * the stratified train/validation split.
 *
 * Literals marked "sklearn" were computed with /usr/bin/python3
 * (scikit-learn 1.2) as accuracy_score(y, pred) and f1_score(y, pred,
 * average=...) and pasted with repr().
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

#include "metrics.h"
#include "rng.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

#define assert_rel(got, want, rel) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(fabs(g_ - w_) <= (rel) * fabs(w_)))			\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

#define assert_exact(got, want) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(g_ == w_))						\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

static void
test_binary(void **state)
{
	static const int y[] = { 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1 };
	static const int pred[] = { 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1 };
	struct mm_scores s;

	(void)state;
	mm_score(y, pred, LEN(y), 0, &s);
	assert_int_equal(s.known, 12);
	/* sklearn: accuracy 8/12; F1 of class 1 (tp 5, fp 2, fn 2) 10/14 */
	assert_rel(s.accuracy, 0.6666666666666666, 1e-15);
	assert_rel(s.f1, 0.7142857142857143, 1e-15);
}

static void
test_macro(void **state)
{
	static const int y[] = { 0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 2, 1, 0, 0 };
	static const int pred[] = { 0, 2, 2, 1, 1, 0, 2, 0, 0, 2, 1, 1, 2, 0 };
	/* Class 2 only among the predictions: macro over 0, 1 and 2. */
	static const int y2[] = { 0, 0, 1, 1, 0, 1 };
	static const int pred2[] = { 0, 2, 1, 1, 0, 0 };
	struct mm_scores s;

	(void)state;
	mm_score(y, pred, LEN(y), 0, &s);
	assert_int_equal(s.known, 14);
	/* sklearn, average="macro" */
	assert_rel(s.accuracy, 0.6428571428571429, 1e-15);
	assert_rel(s.f1, 0.6333333333333334, 1e-15);

	mm_score(y2, pred2, LEN(y2), 0, &s);
	assert_int_equal(s.known, 6);
	/* sklearn, average="macro": class 2 scores 0 */
	assert_rel(s.accuracy, 0.6666666666666666, 1e-15);
	assert_rel(s.f1, 0.48888888888888893, 1e-15);
}

static void
test_unknown_labels(void **state)
{
	/* The prediction 2 is on a row with no label: still binary. */
	static const int y[] = { 1, -1, 0, 1, -1, 0 };
	static const int pred[] = { 1, 2, 0, 0, 1, 1 };
	static const int none[] = { -1, -1, -1 };
	static const int zeros[] = { 0, 0, 0 };
	struct mm_scores s;

	(void)state;
	mm_score(y, pred, LEN(y), 0, &s);
	assert_int_equal(s.known, 4);
	/* sklearn on the 4 known rows, y [1,0,1,0], pred [1,0,0,1] */
	assert_exact(s.accuracy, 0.5);
	assert_exact(s.f1, 0.5);

	mm_score(none, zeros, LEN(none), 0, &s);
	assert_int_equal(s.known, 0);
	assert_true(isnan(s.accuracy));
	assert_true(isnan(s.f1));
	mm_score(none, zeros, 0, 0, &s);
	assert_int_equal(s.known, 0);
	assert_true(isnan(s.accuracy) && isnan(s.f1));

	/* A three-class model on a batch of classes 0 and 1 only: macro
	 * over 0 and 1 (sklearn average="macro"), not binary F1 of 1. */
	{
		static const int y3[] = { 0, 0, 1, 1 };
		static const int p3[] = { 0, 1, 1, 1 };

		mm_score(y3, p3, LEN(y3), 3, &s);
		/* class 0: tp 1, fn 1 -> 2/3; class 1: tp 2, fp 1 -> 4/5 */
		assert_rel(s.f1, (2.0 / 3 + 0.8) / 2, 1e-15);
		mm_score(y3, p3, LEN(y3), 2, &s);
		assert_rel(s.f1, 0.8, 1e-15);
	}

	/* No row of class 1 anywhere: sklearn says F1 0.0 (and warns). */
	mm_score(zeros, zeros, LEN(zeros), 0, &s);
	assert_int_equal(s.known, 3);
	assert_exact(s.accuracy, 1.0);
	assert_exact(s.f1, 0.0);
}

/* 70 rows of class 0, 30 of class 1 and 3 unknown, interleaved. */
static size_t
labels(int *y)
{
	size_t i, n = 0;

	for (i = 0; i < 100; i++) {
		y[n++] = i % 10 < 3 ? 1 : 0;
		if (i == 0 || i == 50 || i == 99)
			y[n++] = -1;
	}
	return n;
}

static void
split(const int *y, size_t n, int nclass, double frac, uint64_t seed,
    size_t *tr, size_t *ntr, size_t *va, size_t *nva)
{
	struct mm_rng r;

	mm_rng_seed(&r, seed, 1);
	mm_stratified_split(y, n, nclass, frac, &r, tr, ntr, va, nva);
}

static void
test_split_counts(void **state)
{
	int y[103];
	size_t n = labels(y), tr[103], va[103], ntr, nva, i, j;
	size_t vcls[2] = { 0, 0 }, tcls[2] = { 0, 0 };
	unsigned char seen[103];

	(void)state;
	assert_int_equal(n, 103);
	split(y, n, 2, 0.25, 42, tr, &ntr, va, &nva);
	/* round(0.25 * 70) = 18 and round(0.25 * 30) = 8 to validation. */
	assert_int_equal(nva, 26);
	assert_int_equal(ntr, 74);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < ntr; i++) {
		assert_true(i == 0 || tr[i] > tr[i - 1]);
		assert_in_range(y[tr[i]], 0, 1);
		tcls[y[tr[i]]]++;
		seen[tr[i]]++;
	}
	for (i = 0; i < nva; i++) {
		assert_true(i == 0 || va[i] > va[i - 1]);
		assert_in_range(y[va[i]], 0, 1);
		vcls[y[va[i]]]++;
		seen[va[i]]++;
	}
	assert_int_equal(vcls[0], 18);
	assert_int_equal(vcls[1], 8);
	assert_int_equal(tcls[0], 52);
	assert_int_equal(tcls[1], 22);
	/* Each known row in exactly one part; unknown ones in neither. */
	for (j = 0; j < n; j++)
		assert_int_equal(seen[j], y[j] < 0 ? 0 : 1);
}

static void
test_split_deterministic(void **state)
{
	int y[103];
	size_t n = labels(y), a[103], b[103], c[103], d[103];
	size_t na, nb, nc, nd, e[103], f[103], ne, nf;

	(void)state;
	split(y, n, 2, 0.25, 42, a, &na, b, &nb);
	split(y, n, 2, 0.25, 42, c, &nc, d, &nd);
	assert_int_equal(na, nc);
	assert_int_equal(nb, nd);
	assert_memory_equal(a, c, na * sizeof(size_t));
	assert_memory_equal(b, d, nb * sizeof(size_t));
	/* Another seed draws other rows, in the same numbers. */
	split(y, n, 2, 0.25, 43, c, &nc, d, &nd);
	assert_int_equal(nb, nd);
	assert_true(memcmp(b, d, nb * sizeof(size_t)) != 0);
	/* A larger share takes more rows of each class. */
	split(y, n, 2, 0.5, 42, e, &ne, f, &nf);
	assert_int_equal(nf, 50);
	assert_int_equal(ne, 50);
}

static void
test_split_small_classes(void **state)
{
	/* Class 1 has one row (stays in train), class 2 two (one each). */
	static const int y[] = { 0, 0, 2, 0, 0, 1, 0, 0, 2, 0 };
	size_t tr[10], va[10], ntr, nva, i, v2 = 0, v1 = 0;

	(void)state;
	split(y, LEN(y), 3, 0.25, 7, tr, &ntr, va, &nva);
	/* Class 0: round(0.25 * 7) = 2. */
	assert_int_equal(nva, 3);
	assert_int_equal(ntr, 7);
	for (i = 0; i < nva; i++) {
		v1 += y[va[i]] == 1;
		v2 += y[va[i]] == 2;
	}
	assert_int_equal(v1, 0);
	assert_int_equal(v2, 1);
	/* A share near 1 still leaves one row of each class to train on. */
	split(y, LEN(y), 3, 0.99, 7, tr, &ntr, va, &nva);
	assert_int_equal(ntr, 3);
	assert_int_equal(nva, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_macro),
		cmocka_unit_test(test_unknown_labels),
		cmocka_unit_test(test_split_counts),
		cmocka_unit_test(test_split_deterministic),
		cmocka_unit_test(test_split_small_classes),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
