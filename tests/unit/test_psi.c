/*
 * test_psi.c - drift against a reference (psi.h): quantile edges and
 * the bins of point masses, the three kinds of bins and the missing
 * bin, counting, smoothed PSI, psi_adj, the homogeneity test
 * (asymptotic, exact, Monte Carlo), the critical PSI,
 * Benjamini-Hochberg, the drift status rules, windows, the drift JSON,
 * and reference files (mm-reference/2, and /1 as older mm wrote them).
 *
 * Literals marked "numpy" or "scipy" were computed with /usr/bin/python3
 * (numpy 1.24, scipy 1.10) and pasted with repr(); "sha256" ids are
 * hashlib.sha256(text).hexdigest()[:16] of the text shown; the others
 * are worked by hand in the comments.  The statistical promises (false
 * alarms, calibration, power) are in test_drift_calibration.c.
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
#include <unistd.h>

#include "asserts.h"
#include "config.h"
#include "psi.h"
#include "ref.h"

#define assert_rel(got, want, rel) do {					\
	double g_ = (got), w_ = (want);					\
	if (!(fabs(g_ - w_) <= (rel) * fabs(w_)))			\
		fail_msg("%s = %.17g, want %.17g", #got, g_, w_);	\
} while (0)

#define assert_nan(got) do {						\
	double g_ = (got);						\
	if (!isnan(g_))							\
		fail_msg("%s = %.17g, want NaN", #got, g_);		\
} while (0)

static void
check_counts(const struct mm_ref_feat *f, int nbins, const long *counts,
    long n)
{
	int i;

	assert_int_equal(f->nbins, nbins);
	for (i = 0; i < nbins; i++)
		if (f->counts[i] != counts[i])
			fail_msg("%s count %d = %ld, want %ld", f->name, i,
			    f->counts[i], counts[i]);
	assert_int_equal(f->n, n);
}

/* A numeric feature: edges, then B value bins and the missing bin. */
static void
check_numeric(const struct mm_ref_feat *f, const char *name, int nedges,
    const double *edges, const long *counts, long n)
{
	int i;

	assert_string_equal(f->name, name);
	assert_int_equal(f->kind, MM_FEAT_NUMERIC);
	assert_int_equal(f->nedges, nedges);
	for (i = 0; i < nedges; i++)
		if (f->edges[i] != edges[i] || signbit(f->edges[i]) !=
		    signbit(edges[i]))
			fail_msg("%s edge %d = %.17g, want %.17g", name, i,
			    f->edges[i], edges[i]);
	assert_int_equal(MM_BIN_MISSING(f), nedges - 1);
	assert_int_equal(MM_BIN_OTHER(f), -1);
	check_counts(f, nedges, counts, n);
}

/* A discrete feature: its values, a bin each, other and missing. */
static void
check_discrete(const struct mm_ref_feat *f, const char *name, int nvals,
    const double *vals, const long *counts, long n)
{
	int i;

	assert_string_equal(f->name, name);
	assert_int_equal(f->kind, MM_FEAT_DISCRETE);
	assert_int_equal(f->nvals, nvals);
	for (i = 0; i < nvals; i++)
		if (f->vals[i] != vals[i] || signbit(f->vals[i]))
			fail_msg("%s value %d = %.17g, want %.17g", name, i,
			    f->vals[i], vals[i]);
	assert_int_equal(MM_BIN_OTHER(f), nvals);
	assert_int_equal(MM_BIN_MISSING(f), nvals + 1);
	check_counts(f, nvals + 2, counts, n);
}

/* numpy.quantile(x, q) for q in 0, .1, .25, 1/3, .5, .7, .9, .95, 1. */
static void
expect_quantiles(const double *x, size_t n, const double want[9])
{
	static const double q[9] = { 0.0, 0.1, 0.25, 1.0 / 3, 0.5, 0.7, 0.9,
	    0.95, 1.0 };
	int i;

	for (i = 0; i < 9; i++) {
		double got = mm_quantile_sorted(x, n, q[i]);

		/* Promised to the last bit (psi.c). */
		if (got != want[i])
			fail_msg("n %zu q %.17g: %.17g, want %.17g", n, q[i],
			    got, want[i]);
	}
}

static void
test_quantile(void **state)
{
	/* numpy: np.quantile(np.array(x), q), printed with repr(). */
	static const double x1[] = { 3.5 };
	static const double w1[9] = { 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5,
	    3.5 };
	static const double x2[] = { 1.0, 4.0 };
	static const double w2[9] = { 1.0, 1.3, 1.75, 2.0, 2.5,
	    3.0999999999999996, 3.7, 3.8499999999999996, 4.0 };
	static const double x5[] = { -2.0, 0.5, 1.0, 7.0, 10.0 };
	static const double w5[9] = { -2.0, -1.0, 0.5, 0.6666666666666666,
	    1.0, 5.799999999999999, 8.8, 9.399999999999999, 10.0 };
	static const double x7[] = { 0.1, 0.2, 0.2, 0.3, 1.7, 2.9, 100.0 };
	static const double w7[9] = { 0.1, 0.16000000000000003, 0.2, 0.2, 0.3,
	    1.939999999999999, 41.74000000000003, 70.86999999999993, 100.0 };
	static const double x10[] = { -3.25, -1.0, 0.0, 0.125, 0.3, 0.7, 1.1,
	    2.0, 5.5, 9.75 };
	static const double w10[9] = { -3.25, -1.2249999999999999, 0.03125,
	    0.125, 0.5, 1.3699999999999999, 5.924999999999999,
	    7.837499999999995, 9.75 };

	(void)state;
	expect_quantiles(x1, 1, w1);
	expect_quantiles(x2, 2, w2);
	expect_quantiles(x5, 5, w5);
	expect_quantiles(x7, 7, w7);
	expect_quantiles(x10, 10, w10);
}

static void
test_ref_numeric(void **state)
{
	/*
	 * numpy, for each: x without NaN, quantiles np.quantile(x, [k *
	 * (1.0 / B) for k < B] + [1.0]) made edges by the rule of
	 * test_edges_point_mass (scripts/verify_psi.py, quantile_edges),
	 * counts np.bincount(np.searchsorted(edges[1:-1], x,
	 * side='right')).
	 *
	 * By hand too: 1..8, B = 4, index (n - 1)q = 0, 1.75, 3.5, 5.25, 7
	 * gives edges 1, 2.75, 4.5, 6.25, 8; 1,2 | 3,4 | 5,6 | 7,8, and
	 * the NaN is missing.  Eight distinct values > B: numeric.
	 */
	static const double v1[] = { 5, 1, 8, 3, 2, NAN, 4, 7, 6 };
	static const double e1[] = { 1, 2.75, 4.5, 6.25, 8 };
	static const long c1[] = { 2, 2, 2, 2, 1 };
	/*
	 * Six ones and 2..6, B = 4: index 10q = 0, 2.5, 5 fall among the
	 * ones, 7.5 gives 3 + .5 (4 - 3) = 3.5, 10 gives 6: quantiles 1, 1,
	 * 1, 3.5, 6.  1 is a point mass: edges 1, 1 + 2^-52, 3.5, 6, three
	 * value bins, the six ones, 2 and 3, and 4, 5 and 6.
	 */
	static const double v2[] = { 1, 2, 1, 3, 1, 4, 1, 5, 1, 6, 1 };
	static const double e2[] = { 1, 0x1.0000000000001p+0, 3.5, 6 };
	static const long c2[] = { 6, 2, 3, 0 };
	/*
	 * B = 10, thirteen distinct values.  The quantiles at .4 and .5
	 * (index 16q = 6.4 and 8) both fall among the four 0.5s: 0.5 is a
	 * point mass, with edges 0.5 and 0.5 + 2^-53.  Bin 3 is empty: 0.5
	 * is an edge, so the four 0.5s go to the bin above, a bin of their
	 * own; 0.7 is in the next.
	 */
	static const double v4[] = { 0.5, 0.25, 3.0, 0.25, 0.75, 1.5, 0.5,
	    2.25, 0.5, 0.125, 10.0, 0.5, 0.3, 0.7, 0.9, 1.1, 0.05 };
	static const double e4[] = { 0.05, 0.2, 0.26, 0.46000000000000013,
	    0.5, 0x1.0000000000001p-1, 0.7300000000000001,
	    0.9400000000000003, 1.4200000000000004, 2.5500000000000003,
	    10.0 };
	static const long c4[] = { 2, 2, 1, 0, 4, 1, 2, 1, 2, 2, 0 };
	/* B + 1 distinct values: numeric, edges at the values themselves. */
	static const double v5[] = { 5, 4, 3, 2, 1 };
	static const double e5[] = { 1, 2, 3, 4, 5 };
	static const long c5[] = { 1, 1, 1, 2, 0 };
	struct mm_ref r;
	struct mm_err err;

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "f1", v1, 9, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "dup", v2, 11, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "ten", v4, 17, 10, &err), 0);
	assert_int_equal(mm_ref_add(&r, "five", v5, 5, 4, &err), 0);
	assert_int_equal(r.nfeat, 4);
	check_numeric(&r.f[0], "f1", 5, e1, c1, 9);
	check_numeric(&r.f[1], "dup", 4, e2, c2, 11);
	check_numeric(&r.f[2], "ten", 11, e4, c4, 17);
	check_numeric(&r.f[3], "five", 5, e5, c5, 5);
	/* bins as first asked for; rows the most values given. */
	assert_int_equal(r.bins, 4);
	assert_int_equal(r.rows, 17);
	assert_int_equal(mm_ref_find(&r, "f1"), 0);
	assert_int_equal(mm_ref_find(&r, "ten"), 2);
	assert_int_equal(mm_ref_find(&r, "f"), -1);
	assert_int_equal(mm_ref_find(&r, "f10"), -1);
	assert_string_equal(mm_feat_kind_names[MM_FEAT_NUMERIC], "numeric");
	/* A feature without values is refused and not added. */
	{
		static const double none[] = { NAN, NAN };

		memset(&err, 0, sizeof(err));
		assert_int_equal(mm_ref_add(&r, "z", none, 2, 4, &err), -1);
		assert_int_equal(err.code, MM_EINPUT);
		assert_string_equal(err.msg,
		    "feature 'z' has no values to fit");
		assert_int_equal(mm_ref_add(&r, "z0", none, 0, 4, &err), -1);
		assert_string_equal(err.msg,
		    "feature 'z0' has no values to fit");
		assert_int_equal(r.nfeat, 4);
		assert_int_equal(mm_ref_find(&r, "z"), -1);
	}
	mm_ref_release(&r);
	assert_int_equal(r.nfeat, 0);
	assert_null(r.f);
}

static void
test_ref_discrete(void **state)
{
	/*
	 * At most B distinct values: one bin per value, ascending, then
	 * other (empty in the reference) and missing.
	 */
	static const double v1[] = { 3, 1, 3, NAN, 2, 3, 1 };
	static const double d1[] = { 1, 2, 3 };
	static const long c1[] = { 2, 1, 3, 0, 1 };
	/* A constant column, with a missing value. */
	static const double v2[] = { 7, 7, NAN, 7 };
	static const double d2[] = { 7 };
	static const long c2[] = { 3, 0, 1 };
	/* Exactly B = 4 distinct values (five gives numeric bins). */
	static const double v3[] = { 5, 4, 3, 2, 4 };
	static const double d3[] = { 2, 3, 4, 5 };
	static const long c3[] = { 1, 1, 2, 1, 0, 0 };
	/* -0 and 0 are one value, kept as 0. */
	static const double v4[] = { -0.0, 1, 0.0, -0.0 };
	static const double d4[] = { 0, 1 };
	static const long c4[] = { 3, 1, 0, 0 };
	struct mm_ref r;
	struct mm_err err;
	const struct mm_ref_feat *f;

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "d", v1, 7, 10, &err), 0);
	assert_int_equal(mm_ref_add(&r, "const", v2, 4, 10, &err), 0);
	assert_int_equal(mm_ref_add(&r, "four", v3, 5, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "zero", v4, 4, 10, &err), 0);
	check_discrete(&r.f[0], "d", 3, d1, c1, 7);
	check_discrete(&r.f[1], "const", 1, d2, c2, 4);
	check_discrete(&r.f[2], "four", 4, d3, c3, 5);
	check_discrete(&r.f[3], "zero", 2, d4, c4, 4);
	assert_int_equal(r.bins, 10);
	assert_string_equal(mm_feat_kind_names[MM_FEAT_DISCRETE], "discrete");

	f = &r.f[0];
	assert_int_equal(mm_ref_bin(f, 1), 0);
	assert_int_equal(mm_ref_bin(f, 2), 1);
	assert_int_equal(mm_ref_bin(f, 3), 2);
	assert_int_equal(mm_ref_bin(f, NAN), 4);
	/* A value the reference never had is "other", however close. */
	assert_int_equal(mm_ref_bin(f, nextafter(2, 3)), 3);
	assert_int_equal(mm_ref_bin(f, nextafter(2, 1)), 3);
	assert_int_equal(mm_ref_bin(f, 0), 3);
	assert_int_equal(mm_ref_bin(f, 2.5), 3);
	assert_int_equal(mm_ref_bin(f, 4), 3);
	assert_int_equal(mm_ref_bin(f, -INFINITY), 3);
	assert_int_equal(mm_ref_bin(f, INFINITY), 3);
	/* A constant column that changes is seen. */
	f = &r.f[1];
	assert_int_equal(mm_ref_bin(f, 7), 0);
	assert_int_equal(mm_ref_bin(f, 8), 1);
	assert_int_equal(mm_ref_bin(f, nextafter(7, 0)), 1);
	assert_int_equal(mm_ref_bin(f, NAN), 2);
	f = &r.f[3];
	assert_int_equal(mm_ref_bin(f, -0.0), 0);
	assert_int_equal(mm_ref_bin(f, 0.0), 0);
	assert_int_equal(mm_ref_bin(f, 5e-324), 2);
	/* Counting adds to what is there. */
	{
		static const double prod[] = { 3, 3, 9, NAN, 1, 1.5, 3 };
		long c[5] = { 10, 0, 0, 0, 0 };

		mm_ref_count(&r.f[0], prod, 7, c);
		assert_int_equal(c[0], 11);
		assert_int_equal(c[1], 0);
		assert_int_equal(c[2], 3);
		assert_int_equal(c[3], 2);	/* 9, 1.5 */
		assert_int_equal(c[4], 1);
	}
	mm_ref_release(&r);
}

static void
test_ref_categorical(void **state)
{
	/*
	 * Counts: a 3, b 3, c 5, d 1, e 3, f 0, two missing.  By count,
	 * ties by byte order: c 5, then a, b, e (3 each), d.  With
	 * max_categories 3 the reference keeps c, a, b; other is e + d = 4.
	 */
	static const char *const s[] = { "b", "a", "c", "d", "e", "f" };
	static const double codes[] = { 0, 1, 2, 2, 3, 4, NAN, 0, 2, 1, 4, 2,
	    0, 1, 4, 2, NAN };
	static const long c3[] = { 5, 3, 3, 4, 2 };
	/*
	 * With room for all: f, never seen, is not kept (it would be an
	 * empty bin), so c a b e d, other 0.
	 */
	static const long call[] = { 5, 3, 3, 3, 1, 0, 2 };
	/*
	 * Byte order, not locale: "B" (0x42) < "a" (0x61) < "\xc3\xa9"
	 * (é in UTF-8, whose bytes are above ASCII).  Two each.
	 */
	static const char *const u[] = { "a", "\xc3\xa9", "B" };
	static const double ucodes[] = { 1, 0, 2, 1, 0, 2 };
	static const long cu[] = { 2, 2, 2, 0, 0 };
	struct mm_ref r;
	struct mm_err err;
	const struct mm_ref_feat *f;
	int bins[6], i;

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add_cat(&r, "top3", codes, 17, s, 6, 3, &err),
	    0);
	assert_int_equal(mm_ref_add_cat(&r, "all", codes, 17, s, 6, 20, &err),
	    0);
	assert_int_equal(mm_ref_add_cat(&r, "u", ucodes, 6, u, 3, 20, &err),
	    0);
	assert_int_equal(r.max_categories, 3);	/* as first asked for */
	assert_int_equal(r.rows, 17);
	assert_string_equal(mm_feat_kind_names[MM_FEAT_CATEGORICAL],
	    "categorical");

	f = &r.f[0];
	assert_int_equal(f->kind, MM_FEAT_CATEGORICAL);
	assert_int_equal(f->ncats, 3);
	assert_string_equal(f->cats[0], "c");
	assert_string_equal(f->cats[1], "a");
	assert_string_equal(f->cats[2], "b");
	assert_int_equal(MM_BIN_OTHER(f), 3);
	assert_int_equal(MM_BIN_MISSING(f), 4);
	check_counts(f, 5, c3, 17);
	assert_int_equal(mm_ref_cat_bin(f, "c"), 0);
	assert_int_equal(mm_ref_cat_bin(f, "a"), 1);
	assert_int_equal(mm_ref_cat_bin(f, "b"), 2);
	assert_int_equal(mm_ref_cat_bin(f, "e"), 3);	/* not kept */
	assert_int_equal(mm_ref_cat_bin(f, "zz"), 3);	/* never seen */
	assert_int_equal(mm_ref_cat_bin(f, ""), 3);
	assert_int_equal(mm_ref_cat_bin(f, "A"), 3);
	assert_int_equal(mm_ref_cat_bin(f, "cc"), 3);
	/* A number in a categorical feature is "other"; NaN missing. */
	assert_int_equal(mm_ref_bin(f, 1), 3);
	assert_int_equal(mm_ref_bin(f, NAN), 4);
	/* Counting by codes adds to what is there; NaN is missing. */
	{
		static const double prod[] = { 5, 2, NAN, 3, 0, 2 };
		long c[5] = { 1, 1, 1, 1, 1 };

		for (i = 0; i < 6; i++)
			bins[i] = mm_ref_cat_bin(f, s[i]);
		mm_ref_count_codes(f, prod, 6, bins, c);
		/* f, c, missing, d, b, c */
		assert_int_equal(c[0], 3);
		assert_int_equal(c[1], 1);
		assert_int_equal(c[2], 2);
		assert_int_equal(c[3], 3);
		assert_int_equal(c[4], 2);
	}

	f = &r.f[1];
	assert_int_equal(f->ncats, 5);
	assert_string_equal(f->cats[0], "c");
	assert_string_equal(f->cats[1], "a");
	assert_string_equal(f->cats[2], "b");
	assert_string_equal(f->cats[3], "e");
	assert_string_equal(f->cats[4], "d");
	check_counts(f, 7, call, 17);
	for (i = 0; i < 5; i++)
		assert_int_equal(mm_ref_cat_bin(f, f->cats[i]), i);
	assert_int_equal(mm_ref_cat_bin(f, "f"), 5);

	f = &r.f[2];
	assert_int_equal(f->ncats, 3);
	assert_string_equal(f->cats[0], "B");
	assert_string_equal(f->cats[1], "a");
	assert_string_equal(f->cats[2], "\xc3\xa9");
	check_counts(f, 5, cu, 6);
	assert_int_equal(mm_ref_cat_bin(f, "\xc3\xa9"), 2);
	assert_int_equal(mm_ref_cat_bin(f, "b"), 3);

	/* Nothing but missing values: refused. */
	{
		static const double none[] = { NAN };

		memset(&err, 0, sizeof(err));
		assert_int_equal(mm_ref_add_cat(&r, "z", none, 1, s, 6, 3,
		    &err), -1);
		assert_int_equal(err.code, MM_EINPUT);
		assert_string_equal(err.msg,
		    "feature 'z' has no values to fit");
		assert_int_equal(r.nfeat, 3);
	}
	mm_ref_release(&r);
}

static void
test_ref_bin(void **state)
{
	static const double v[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct mm_ref r;
	struct mm_err err;
	const struct mm_ref_feat *f;
	long counts[5] = { 0 };
	static const double prod[] = { -1e300, 1, 2.7499999, 2.75, NAN, 4.5,
	    6.25, 8, 1e300, NAN, 3 };

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "x", v, 8, 4, &err), 0);
	f = &r.f[0];		/* edges 1, 2.75, 4.5, 6.25, 8 */
	/* On an edge: the bin above; one ulp below: the bin below. */
	assert_int_equal(mm_ref_bin(f, 2.75), 1);
	assert_int_equal(mm_ref_bin(f, 4.5), 2);
	assert_int_equal(mm_ref_bin(f, 6.25), 3);
	assert_int_equal(mm_ref_bin(f, nextafter(2.75, 0)), 0);
	assert_int_equal(mm_ref_bin(f, nextafter(4.5, 0)), 1);
	assert_int_equal(mm_ref_bin(f, nextafter(6.25, 0)), 2);
	assert_int_equal(mm_ref_bin(f, nextafter(2.75, 9)), 1);
	assert_int_equal(mm_ref_bin(f, nextafter(6.25, 9)), 3);
	/* The outer edges bound nothing: the outer bins are open. */
	assert_int_equal(mm_ref_bin(f, 1), 0);
	assert_int_equal(mm_ref_bin(f, nextafter(1, 0)), 0);
	assert_int_equal(mm_ref_bin(f, 0.5), 0);
	assert_int_equal(mm_ref_bin(f, -1e300), 0);
	assert_int_equal(mm_ref_bin(f, -INFINITY), 0);
	assert_int_equal(mm_ref_bin(f, 8), 3);
	assert_int_equal(mm_ref_bin(f, nextafter(8, 9)), 3);
	assert_int_equal(mm_ref_bin(f, INFINITY), 3);
	/* Missing: the last bin. */
	assert_int_equal(mm_ref_bin(f, NAN), 4);
	/* Counting adds to what is there; NaN counts as missing. */
	counts[2] = 10;
	mm_ref_count(f, prod, 11, counts);
	assert_int_equal(counts[0], 3);	/* -1e300, 1, 2.7499999 */
	assert_int_equal(counts[1], 2);	/* 2.75, 3 */
	assert_int_equal(counts[2], 11);	/* 4.5 */
	assert_int_equal(counts[3], 3);	/* 6.25, 8, 1e300 */
	assert_int_equal(counts[4], 2);
	mm_ref_release(&r);
}

/*
 * mm_ref_count counts with few edges in its own way (a branch-free count
 * of the edges at or below v) and with many by mm_ref_bin: both must
 * agree with mm_ref_bin on every edge and one ulp either side.
 */
static void
test_ref_count_paths(void **state)
{
	static const int bins[] = { 2, 10, 33, 34, 40 };
	struct mm_ref r;
	struct mm_err err;
	double v[200], *probe;
	int b, i, k;

	(void)state;
	for (i = 0; i < 200; i++)
		v[i] = (i * 37 % 200) * 0.01 - (i % 3 == 0 ? 0.5 : 0);
	mm_ref_init(&r);
	for (b = 0; b < 5; b++)
		assert_int_equal(mm_ref_add(&r, "x", v, 200, bins[b], &err), 0);
	for (b = 0; b < 5; b++) {
		const struct mm_ref_feat *f = &r.f[b];
		long *got, *want;
		int np = 0;

		assert_int_equal(f->kind, MM_FEAT_NUMERIC);
		probe = malloc((size_t)(3 * f->nedges + 4) * sizeof(double));
		got = calloc((size_t)f->nbins, sizeof(long));
		want = calloc((size_t)f->nbins, sizeof(long));
		assert_non_null(probe);
		assert_non_null(got);
		assert_non_null(want);
		for (k = 0; k < f->nedges; k++) {
			probe[np++] = f->edges[k];
			probe[np++] = nextafter(f->edges[k], -INFINITY);
			probe[np++] = nextafter(f->edges[k], INFINITY);
		}
		probe[np++] = NAN;
		probe[np++] = -INFINITY;
		probe[np++] = INFINITY;
		probe[np++] = -0.0;
		mm_ref_count(f, probe, (size_t)np, got);
		for (k = 0; k < np; k++)
			want[mm_ref_bin(f, probe[k])]++;
		for (k = 0; k < f->nbins; k++)
			if (got[k] != want[k])
				fail_msg("bins %d: count %d = %ld, want %ld",
				    bins[b], k, got[k], want[k]);
		free(probe);
		free(got);
		free(want);
	}
	mm_ref_release(&r);
}

/*
 * Probe f at each v[i]: mm_ref_bin and mm_ref_count must both give
 * want[i].
 */
static void
expect_bins(const struct mm_ref_feat *f, const double *v, const int *want,
    int n)
{
	long counts[32];
	int i, k;

	assert_true(f->nbins <= 32);
	for (i = 0; i < n; i++) {
		if (mm_ref_bin(f, v[i]) != want[i])
			fail_msg("%s: bin of %a = %d, want %d", f->name, v[i],
			    mm_ref_bin(f, v[i]), want[i]);
		memset(counts, 0, sizeof(counts));
		mm_ref_count(f, &v[i], 1, counts);
		for (k = 0; k < f->nbins; k++)
			if (counts[k] != (k == want[i]))
				fail_msg("%s: %a counted in bin %d, want %d",
				    f->name, v[i], k, want[i]);
	}
}

/*
 * The edges of a numeric feature, from its quantiles y_0 <= ... <= y_B
 * in order: y_k is an edge when above y_{k-1} (and the last edge); a
 * y_k equal to y_{k-1} is a point mass v, and nextafter(v, inf) follows
 * v once per run of equal quantiles, so v has the bin [v, v+) of its
 * own.  Every case has 9 or 17 values, so the quantiles (index (n-1)q =
 * 2k, exact) are sorted values, and numpy agrees (python:
 * scripts/verify_psi.py, quantile_edges; np.nextafter).  The next
 * doubles are written in hex: 0x1p-1074 is the least above 0, 2 + 2^-51
 * the least above 2.  Around each point mass v: one ulp below v, v, v+
 * and one ulp above v+.
 */
static void
test_edges_point_mass(void **state)
{
	/* No mass: 3 twice, but only one quantile (index 2) falls on it. */
	static const double none[] = { 8, 3, 1, 7, 3, 5, 2, 6, 4 };
	static const double e_none[] = { 1, 3, 4, 6, 8 };
	static const long c_none[] = { 2, 2, 2, 3, 0 };
	/*
	 * At the bottom: 0 0 0 0 0 1 2 3 4, quantiles 0, 0, 0, 2, 4:
	 * edges 0, 0+, 2, 4; bins {0 x5} {1} {2 3 4}.
	 */
	static const double bottom[] = { 3, 0, 4, 0, 1, 0, 2, 0, 0 };
	static const double e_bottom[] = { 0, 0x1p-1074, 2, 4 };
	static const long c_bottom[] = { 5, 1, 3, 0 };
	static const double p_bottom[] = { -0x1p-1074, -0.0, 0, 0x1p-1074,
	    0x1p-1073, -1e300, 0x1.fffffffffffffp+0, 2 };
	static const int b_bottom[] = { 0, 0, 0, 1, 1, 0, 1, 2 };
	/*
	 * At the top: 0 1 2 3 4 4 4 4 4, quantiles 0, 2, 4, 4, 4: edges
	 * 0, 2, 4, 4+.  4+ is the outer edge: the last bin, [4, inf), holds
	 * the fours (and anything above them in production).
	 */
	static const double top[] = { 4, 0, 4, 1, 4, 2, 4, 3, 4 };
	static const double e_top[] = { 0, 2, 4, 0x1.0000000000001p+2 };
	static const long c_top[] = { 2, 2, 5, 0 };
	static const double p_top[] = { 0x1.fffffffffffffp+1, 4,
	    0x1.0000000000001p+2, 0x1.0000000000002p+2, 1e300 };
	static const int b_top[] = { 1, 2, 2, 2, 2 };
	/*
	 * In the middle: 0 1 2 2 2 2 2 3 4, quantiles 0, 2, 2, 2, 4: edges
	 * 0, 2, 2+, 4; bins {0 1} {2 x5} {3 4}.
	 */
	static const double mid[] = { 2, 0, 2, 1, 2, 4, 2, 3, 2 };
	static const double e_mid[] = { 0, 2, 0x1.0000000000001p+1, 4 };
	static const long c_mid[] = { 2, 5, 2, 0 };
	static const double p_mid[] = { 0x1.fffffffffffffp+0, 2,
	    0x1.0000000000001p+1, 0x1.0000000000002p+1 };
	static const int b_mid[] = { 0, 1, 2, 2 };
	/*
	 * Two masses, B = 8: 0 1 2 2 2 2.25 2.5 2.75 3 3 3 3.5 4 5 6 7 8,
	 * quantiles at index 0, 2, ..., 16: 0, 2, 2, 2.5, 3, 3, 4, 6, 8.
	 * Edges 0, 2, 2+, 2.5, 3, 3+, 4, 6, 8 (nine, as many as B + 1
	 * allows); bins {0 1} {2 x3} {2.25} {2.5 2.75} {3 x3} {3.5} {4 5}
	 * {6 7 8}.
	 */
	static const double two[] = { 3, 8, 2, 0, 2.75, 3, 5, 2.25, 2, 7, 1,
	    3.5, 3, 6, 2.5, 4, 2 };
	static const double e_two[] = { 0, 2, 0x1.0000000000001p+1, 2.5, 3,
	    0x1.8000000000001p+1, 4, 6, 8 };
	static const long c_two[] = { 2, 3, 1, 2, 3, 1, 2, 3, 0 };
	static const double p_two[] = { 0x1.fffffffffffffp+0, 2,
	    0x1.0000000000001p+1, 0x1.0000000000002p+1, 0x1.7ffffffffffffp+1,
	    3, 0x1.8000000000001p+1, 0x1.8000000000002p+1 };
	static const int b_two[] = { 0, 1, 2, 2, 3, 4, 5, 5 };
	/*
	 * A quantile one ulp above a mass: 0 .5 1 1 1 1+ 1+ 2 3, quantiles
	 * 0, 1, 1, 1+, 3.  1+ is above the quantile before it but is
	 * already the last edge: edges 0, 1, 1+, 3.
	 */
	static const double ulp[] = { 0, 0.5, 1, 1, 1, 0x1.0000000000001p+0,
	    0x1.0000000000001p+0, 2, 3 };
	static const double e_ulp[] = { 0, 1, 0x1.0000000000001p+0, 3 };
	static const long c_ulp[] = { 2, 3, 4, 0 };
	struct mm_ref r;
	struct mm_err err;

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "none", none, 9, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "bottom", bottom, 9, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "top", top, 9, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "mid", mid, 9, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "two", two, 17, 8, &err), 0);
	assert_int_equal(mm_ref_add(&r, "ulp", ulp, 9, 4, &err), 0);
	check_numeric(&r.f[0], "none", 5, e_none, c_none, 9);
	check_numeric(&r.f[1], "bottom", 4, e_bottom, c_bottom, 9);
	check_numeric(&r.f[2], "top", 4, e_top, c_top, 9);
	check_numeric(&r.f[3], "mid", 4, e_mid, c_mid, 9);
	check_numeric(&r.f[4], "two", 9, e_two, c_two, 17);
	check_numeric(&r.f[5], "ulp", 4, e_ulp, c_ulp, 9);
	expect_bins(&r.f[1], p_bottom, b_bottom, 8);
	expect_bins(&r.f[2], p_top, b_top, 5);
	expect_bins(&r.f[3], p_mid, b_mid, 4);
	expect_bins(&r.f[4], p_two, b_two, 8);
	mm_ref_release(&r);
}

/*
 * A zero-inflated feature: 190 zeros and 1..10 (11 distinct values,
 * numeric), B = 10.  The quantiles 0 to .9 are 0 (index 199q <= 179.1,
 * and the zeros fill indexes 0..189), 1 is 10: edges 0, 0x1p-1074, 10,
 * counts 190, 10.  Before, the edges were 0, 10: one value bin, and no
 * batch of numbers could move its PSI from 0.
 *
 * 100 rows, half of them zero: 50, 50 against 190, 10 (K = 2): every
 * expected count >= 5, so chi-square; scipy: chi2_contingency p
 * 4.0929062278261686e-20, PSI 1.2977359421208707, psi_adj
 * 1.2827359421208708 (minus 1/200 + 1/100): severe, and drifted.
 * 95 zeros and 5 others, the same share: PSI 9.730777779300768e-05,
 * psi_adj 0, p 1 (proportional counts): stable.
 */
static void
test_drift_point_mass(void **state)
{
	double x[200];
	long c[3], *counts[1] = { c };
	struct mm_ref r;
	struct mm_err err;
	struct mm_config cfg;
	struct mm_drift d;
	static const double e[] = { 0, 0x1p-1074, 10 };
	static const long rc[] = { 190, 10, 0 };
	int i;

	(void)state;
	mm_config_defaults(&cfg);
	for (i = 0; i < 200; i++)
		x[i] = i % 20 == 7 ? i / 20 + 1 : 0;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "spend", x, 200, 10, &err), 0);
	check_numeric(&r.f[0], "spend", 3, e, rc, 200);

	for (i = 0; i < 100; i++)
		x[i] = i % 2 ? i : 0;
	memset(c, 0, sizeof(c));
	mm_ref_count(&r.f[0], x, 100, c);
	assert_int_equal(c[0], 50);
	assert_int_equal(c[1], 50);
	mm_drift_init(&d, 1);
	assert_int_equal(mm_drift_compute(&d, &r, counts, 100, &cfg.drift), 0);
	assert_rel(d.f[0].psi, 1.2977359421208707, 1e-12);
	assert_rel(d.f[0].psi_adj, 1.2827359421208708, 1e-12);
	assert_rel(d.f[0].p_value, 4.0929062278261686e-20, 1e-9);
	assert_int_equal(d.status, MM_SEVERE);
	assert_int_equal(d.ndrifted, 1);
	assert_int_equal(d.drifted[0], 0);
	mm_drift_release(&d);

	for (i = 0; i < 100; i++)
		x[i] = i % 20 == 3 ? i : 0;
	memset(c, 0, sizeof(c));
	mm_ref_count(&r.f[0], x, 100, c);
	assert_int_equal(c[0], 95);
	assert_int_equal(c[1], 5);
	mm_drift_init(&d, 1);
	assert_int_equal(mm_drift_compute(&d, &r, counts, 100, &cfg.drift), 0);
	assert_rel(d.f[0].psi, 9.730777779300768e-05, 1e-9);
	assert_exact(d.f[0].psi_adj, 0);
	assert_rel(d.f[0].p_value, 1.0, 1e-12);
	assert_int_equal(d.status, MM_STABLE);
	assert_int_equal(d.ndrifted, 0);
	mm_drift_release(&d);
	mm_ref_release(&r);
}

static void
test_psi_counts(void **state)
{
	long r2[3] = { 6, 2, 0 }, p2[3] = { 1, 3, 0 };
	long r4[4] = { 2, 2, 2, 2 }, p4[4] = { 4, 0, 0, 0 };
	long r3[3] = { 3, 3, 2 }, p3[3] = { 1, 2, 5 }, prop[3] = { 6, 6, 4 };
	long one_r[2] = { 5, 0 }, one_c[2] = { 3, 0 }, zero[3] = { 0 };
	int k;

	(void)state;
	/*
	 * Smoothing 0.5: the third bin is empty in both, so K = 2, shares
	 * (1.5/5, 3.5/5) = (.3, .7) against (6.5/9, 2.5/9):
	 * (.3 - 6.5/9) ln(2.7/6.5) + (.7 - 2.5/9) ln(6.3/2.5).
	 */
	k = -1;
	assert_rel(mm_psi_counts(r2, p2, 3, 0.5, 1e-6, &k),
	    (0.3 - 6.5 / 9) * log(2.7 / 6.5) + (0.7 - 2.5 / 9) *
	    log(6.3 / 2.5), 1e-14);
	assert_rel(mm_psi_counts(r2, p2, 3, 0.5, 1e-6, NULL),
	    0.7611861511750702, 1e-14);
	assert_int_equal(k, 2);
	/*
	 * Smoothing 0, the older formula: shares .75, .25 against .25, .75;
	 * both terms are .5 ln(.750001 / .250001).
	 */
	assert_rel(mm_psi_counts(r2, p2, 3, 0, 1e-6, &k),
	    log(0.750001 / 0.250001), 1e-14);
	assert_int_equal(k, 2);
	/*
	 * Empty production bins.  Smoothed, K = 4: (4.5/6, .5/6, .5/6,
	 * .5/6) against .25 each: (.75 - .25) ln 3 + 3 (1/12 - 1/4) ln(1/3)
	 * = ln 3.  Unsmoothed: 1, 0, 0, 0 against .25 each gives .75
	 * ln(1.000001/.000001) = .75 ln 1000001 (python: 10.36163366847283):
	 * large and finite.
	 */
	assert_rel(mm_psi_counts(r4, p4, 4, 0.5, 1e-6, &k), log(3), 1e-14);
	assert_int_equal(k, 4);
	assert_rel(mm_psi_counts(r4, p4, 4, 0, 1e-6, NULL),
	    0.75 * log(1000001), 1e-12);
	/*
	 * Three bins; python, the same sums: smoothed 0.46278316194615066;
	 * sum((a-e) * log((a+eps)/(e+eps))) 0.6689428351435427 (eps 1e-6)
	 * and 0.6459161148253072 (eps .01).
	 */
	assert_rel(mm_psi_counts(r3, p3, 3, 0.5, 1e-6, NULL),
	    0.46278316194615066, 1e-14);
	assert_rel(mm_psi_counts(r3, p3, 3, 0, 1e-6, NULL),
	    0.6689428351435427, 1e-14);
	assert_rel(mm_psi_counts(r3, p3, 3, 0, 0.01, NULL),
	    0.6459161148253072, 1e-14);
	/*
	 * The same shares: exactly 0 without smoothing; smoothed, the
	 * pseudo-counts weigh more in the smaller sample, so a little
	 * above 0 (python: 0.0001879852240848403).  Equal counts: 0.
	 */
	assert_exact(mm_psi_counts(r3, prop, 3, 0, 1e-6, NULL), 0.0);
	assert_rel(mm_psi_counts(r3, prop, 3, 0.5, 1e-6, NULL),
	    0.0001879852240848403, 1e-12);
	assert_exact(mm_psi_counts(r3, r3, 3, 0.5, 1e-6, NULL), 0.0);
	/* One bin used: PSI 0, K 1. */
	assert_exact(mm_psi_counts(one_r, one_c, 2, 0.5, 1e-6, &k), 0.0);
	assert_int_equal(k, 1);
	/* No production (or no reference) rows: NaN; K still counted. */
	assert_nan(mm_psi_counts(r3, zero, 3, 0.5, 1e-6, &k));
	assert_int_equal(k, 3);
	assert_nan(mm_psi_counts(zero, r3, 3, 0, 1e-6, NULL));
	assert_nan(mm_psi_counts(zero, zero, 3, 0.5, 1e-6, &k));
	assert_int_equal(k, 0);
}

/*
 * The asymptotic test: every expected count at least 5.  scipy:
 * chi2_contingency(np.array([r, c]), correction=False)[1], bins empty
 * in both left out.
 */
static void
test_homogeneity_asymptotic(void **state)
{
	long r1[3] = { 50, 30, 20 }, c1[3] = { 40, 35, 25 };
	long r1e[5] = { 0, 50, 30, 0, 20 }, c1e[5] = { 0, 40, 35, 0, 25 };
	/* Expected counts 50.9, 29.1, 14.7, 5.27: all above 5. */
	long r2[4] = { 500, 300, 150, 50 }, c2[4] = { 60, 20, 12, 8 };
	/* The same two-bin tables as test_drift_status. */
	long r3[2] = { 500, 500 }, c3[2] = { 41, 19 };
	long r4[2] = { 500, 500 }, c4[2] = { 720, 280 };

	(void)state;
	assert_rel(mm_homogeneity_p(r1, c1, 3, 0.001), 0.3585665413731905,
	    1e-12);
	assert_rel(mm_homogeneity_p(r1e, c1e, 5, 0.001), 0.3585665413731905,
	    1e-12);
	assert_rel(mm_homogeneity_p(r2, c2, 4, 0.001), 0.07132644927605453,
	    1e-12);
	assert_rel(mm_homogeneity_p(r3, c3, 2, 0.001), 0.005793799205053326,
	    1e-12);
	assert_rel(mm_homogeneity_p(r4, c4, 2, 0.001), 6.384132367195464e-24,
	    1e-12);
	/* One bin used: nothing to test, p 1.  No rows on a side: NaN. */
	{
		long a[3] = { 5, 0, 0 }, b[3] = { 0, 0, 0 }, c[3] = { 2, 0, 0 };

		assert_exact(mm_homogeneity_p(a, c, 3, 0.001), 1.0);
		assert_nan(mm_homogeneity_p(a, b, 3, 0.001));
		assert_nan(mm_homogeneity_p(b, c, 3, 0.001));
		assert_nan(mm_homogeneity_p(r1, b, 3, 0.001));
	}
	/* Identical counts: Pearson's statistic 0, p 1. */
	assert_exact(mm_homogeneity_p(r1, r1, 3, 0.001), 1.0);
}

/*
 * Two bins with a small expected count: the exact conditional test.
 * Given the margins the production count X of bin 0 is hypergeometric
 * (population r0 + r1 + c0 + c1, r0 + c0 of them in bin 0, c0 + c1
 * drawn); the p-value is P(X as far from its mean as c0, either side).
 */
static void
test_homogeneity_exact(void **state)
{
	/*
	 * 16 rows, 8 in bin 0, 4 drawn: mean 2, c0 = 1, so X <= 1 or X >= 3:
	 * (C(8,0)C(8,4) + C(8,1)C(8,3)) * 2 / C(16,4) = 1036/1820
	 * (scipy: hypergeom.cdf(1, 16, 8, 4) + hypergeom.sf(2, 16, 8, 4)).
	 */
	long r1[2] = { 7, 5 }, c1[2] = { 1, 3 };
	/*
	 * 16 rows, 7 in bin 0, 4 drawn: mean 1.75, c0 = 4 is 2.25 above, and
	 * nothing is 2.25 below: P(X = 4) = C(7,4) / C(16,4) = 35/1820.
	 */
	long r2[2] = { 3, 9 }, c2[2] = { 4, 0 };
	/*
	 * 14 rows, 6 in bin 0, 4 drawn: mean 12/7, c0 = 1: X <= 1 or X >= 3
	 * (3 - 12/7 = 1.29 > 12/7 - 1): scipy 0.5804195804195805.
	 */
	long r3[4] = { 0, 5, 5, 0 }, c3[4] = { 0, 1, 3, 0 };
	/* c0 at its mean: every table is as far, p 1. */
	long r4[2] = { 6, 6 }, c4[2] = { 2, 2 };
	/*
	 * 1010 rows, 509 in bin 0, 10 drawn: mean 5.04, c0 = 9: X >= 9 or
	 * X <= 1; scipy: hypergeom.cdf(1, 1010, 509, 10) +
	 * hypergeom.sf(8, 1010, 509, 10) (test_drift_status, feature "n").
	 */
	long r5[2] = { 500, 500 }, c5[2] = { 9, 1 };

	(void)state;
	assert_rel(mm_homogeneity_p(r1, c1, 2, 0.001), 1036.0 / 1820, 1e-12);
	assert_rel(mm_homogeneity_p(r2, c2, 2, 0.001), 35.0 / 1820, 1e-12);
	assert_rel(mm_homogeneity_p(r3, c3, 4, 0.001), 0.5804195804195805,
	    1e-12);
	assert_exact(mm_homogeneity_p(r4, c4, 2, 0.001), 1.0);
	assert_rel(mm_homogeneity_p(r5, c5, 2, 0.001), 0.020916447815364225,
	    1e-12);
}

/*
 * More than two bins with small expected counts: a Monte Carlo p-value
 * over tables with the same margins, seeded by the counts.  The exact
 * conditional p-values were computed in python by enumerating every
 * production table with these margins (multivariate hypergeometric
 * weights, Pearson's statistic at least the observed one less 1e-9 of
 * it).  The estimate stops after 20 tables as extreme (p ~ 20 / tables),
 * so its standard error is about p sqrt((1 - p) / 20); when fewer are
 * found in 2 / p_min tables it is (hits + 1) / (tables + 1).
 */
static void
test_homogeneity_monte_carlo(void **state)
{
	static const struct {
		long r[4], c[4];
		int k;
		double p;	/* exact, python */
	} t[] = {
		{ { 30, 15, 5 }, { 2, 5, 3 }, 3, 0.05680065225658832 },
		{ { 100, 50, 20, 10 }, { 3, 2, 3, 2 }, 4,
		    0.06325060102505127 },
		{ { 40, 40, 20 }, { 1, 2, 7 }, 3, 0.003126646552291718 },
	};
	long r[6] = { 30, 0, 15, 5, 0, 0 }, c[6] = { 2, 0, 5, 3, 0, 0 };
	long far_r[3] = { 200, 200, 5 }, far_c[3] = { 0, 0, 10 };
	double p, q, se;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = mm_homogeneity_p(t[i].r, t[i].c, t[i].k, 1e-5);
		se = t[i].p * sqrt((1 - t[i].p) / 20);
		if (!(fabs(p - t[i].p) <= 3 * se))
			fail_msg("table %zu: p %.6g, exact %.6g (se %.3g)", i,
			    p, t[i].p, se);
		/* The same counts, the same p-value, bit for bit. */
		q = mm_homogeneity_p(t[i].r, t[i].c, t[i].k, 1e-5);
		assert_memory_equal(&p, &q, sizeof(p));
	}
	/* Bins empty in both change nothing, not even the seed. */
	p = mm_homogeneity_p(t[0].r, t[0].c, 3, 0.001);
	q = mm_homogeneity_p(r, c, 6, 0.001);
	assert_memory_equal(&p, &q, sizeof(p));
	/*
	 * With p_min .001, 2000 tables at most: p = .0031 is resolved
	 * ((hits + 1) / 2001, standard error sqrt(p (1 - p) / 2000) =
	 * .00125), and far beyond it (exact p 8.0e-17, no table as
	 * extreme) the p-value is 1 / 2001, below p_min.
	 */
	p = mm_homogeneity_p(t[2].r, t[2].c, 3, 0.001);
	assert_true(fabs(p - t[2].p) <= 3 * 0.00125);
	assert_exact(mm_homogeneity_p(far_r, far_c, 3, 0.001), 1.0 / 2001);
	assert_exact(mm_homogeneity_p(far_r, far_c, 3, 0.01), 1.0 / 201);
}

/*
 * The Monte Carlo sampler over many tables: forty tables drawn at random
 * in python (numpy seed 20261130; 3 to 5 bins, 20 to 80 reference and 6
 * to 15 production rows, some expected count below 5, exact p between
 * .02 and .6 by enumeration as above).  Each p-value here stops at its
 * 20th table as extreme, after r tables, so p = 20 / r, and r - 20 is
 * negative binomial: mean 20 (1 - p) / p, variance 20 (1 - p) / p^2 for
 * the exact p.  A sampler that drew tables from the wrong distribution
 * (with replacement, say, or a bin off by one) moves the sum of the forty
 * z-scores; it must be within 3 of 0 (its standard deviation is 1), and
 * no table more than 4 from it.
 */
static void
test_homogeneity_monte_carlo_many(void **state)
{
	static const struct {
		long r[5], c[5];
		int k;
		double p;	/* exact, python */
	} t[] = {
		{ { 4, 10, 21, 13, 11 }, { 1, 0, 4, 1, 4 },
		    5, 0.3660591535425273 },
		{ { 29, 7, 25, 15, 0 }, { 3, 1, 0, 3, 0 },
		    4, 0.23735508238385447 },
		{ { 6, 18, 3, 0, 0 }, { 1, 6, 0, 0, 0 },
		    3, 0.5437209644703265 },
		{ { 9, 15, 22, 34, 0 }, { 0, 1, 5, 0, 0 },
		    4, 0.035632613194135514 },
		{ { 19, 32, 12, 14, 0 }, { 0, 8, 3, 3, 0 },
		    4, 0.23709353344721326 },
		{ { 20, 12, 17, 0, 0 }, { 2, 3, 5, 0, 0 },
		    3, 0.5603361149398448 },
		{ { 1, 17, 28, 16, 6 }, { 0, 4, 5, 0, 2 },
		    5, 0.3908223028026764 },
		{ { 9, 19, 40, 0, 0 }, { 4, 5, 2, 0, 0 },
		    3, 0.03646396323648083 },
		{ { 9, 5, 12, 1, 6 }, { 5, 3, 0, 1, 1 },
		    5, 0.14534071486669525 },
		{ { 25, 5, 15, 0, 0 }, { 6, 0, 1, 0, 0 },
		    3, 0.3790942691742605 },
		{ { 2, 31, 16, 13, 0 }, { 3, 5, 1, 2, 0 },
		    4, 0.03431883364150746 },
		{ { 26, 18, 11, 0, 0 }, { 4, 3, 5, 0, 0 },
		    3, 0.3065811276502029 },
		{ { 18, 4, 19, 16, 0 }, { 8, 3, 4, 0, 0 },
		    4, 0.04099115035649875 },
		{ { 13, 0, 2, 2, 7 }, { 2, 1, 3, 2, 2 },
		    5, 0.09378095350090378 },
		{ { 1, 4, 10, 7, 0 }, { 0, 0, 8, 2, 0 },
		    4, 0.28516783791726963 },
		{ { 20, 6, 6, 0, 0 }, { 4, 3, 3, 0, 0 },
		    3, 0.41602551524774584 },
		{ { 8, 5, 6, 6, 6 }, { 5, 0, 3, 0, 3 },
		    5, 0.26471809103199273 },
		{ { 11, 13, 3, 10, 3 }, { 3, 1, 1, 2, 3 },
		    5, 0.28791821133091455 },
		{ { 13, 17, 6, 8, 9 }, { 0, 1, 1, 1, 5 },
		    5, 0.05233629546412539 },
		{ { 40, 11, 16, 0, 0 }, { 5, 2, 7, 0, 0 },
		    3, 0.14424592325852612 },
		{ { 30, 14, 9, 5, 9 }, { 2, 3, 5, 2, 0 },
		    5, 0.04854724865596248 },
		{ { 11, 24, 4, 7, 2 }, { 4, 2, 1, 6, 1 },
		    5, 0.08696108214529763 },
		{ { 15, 1, 1, 19, 0 }, { 4, 1, 1, 4, 0 },
		    4, 0.5790109233104128 },
		{ { 17, 26, 32, 0, 0 }, { 0, 2, 5, 0, 0 },
		    3, 0.22701867051771993 },
		{ { 9, 4, 7, 9, 9 }, { 1, 5, 0, 3, 1 },
		    5, 0.03268925839306933 },
		{ { 15, 12, 14, 22, 0 }, { 3, 0, 4, 3, 0 },
		    4, 0.3877264701033798 },
		{ { 44, 17, 9, 10, 0 }, { 3, 2, 3, 1, 0 },
		    4, 0.295068181496275 },
		{ { 0, 13, 7, 15, 17 }, { 1, 4, 5, 3, 1 },
		    5, 0.042131248374355834 },
		{ { 8, 14, 11, 0, 0 }, { 1, 2, 10, 0, 0 },
		    3, 0.03231864454906378 },
		{ { 4, 8, 1, 1, 6 }, { 1, 3, 1, 4, 4 },
		    5, 0.3382041698044987 },
		{ { 6, 9, 15, 14, 10 }, { 4, 0, 0, 3, 1 },
		    5, 0.02388518640470445 },
		{ { 3, 10, 6, 8, 6 }, { 1, 4, 1, 0, 3 },
		    5, 0.49110493866213867 },
		{ { 15, 6, 3, 0, 0 }, { 6, 5, 1, 0, 0 },
		    3, 0.5922649097287584 },
		{ { 11, 3, 2, 10, 3 }, { 3, 0, 0, 3, 4 },
		    5, 0.24114353633478772 },
		{ { 4, 24, 7, 6, 10 }, { 0, 4, 4, 0, 4 },
		    5, 0.2108592223314798 },
		{ { 31, 10, 29, 0, 0 }, { 3, 5, 2, 0, 0 },
		    3, 0.02871846176933929 },
		{ { 13, 8, 23, 11, 0 }, { 1, 3, 2, 2, 0 },
		    4, 0.43763344206412336 },
		{ { 18, 8, 22, 19, 2 }, { 0, 2, 1, 4, 0 },
		    5, 0.23920001350294717 },
		{ { 14, 5, 4, 0, 0 }, { 3, 7, 2, 0, 0 },
		    3, 0.07554991912055316 },
		{ { 48, 10, 1, 0, 0 }, { 5, 0, 1, 0, 0 },
		    3, 0.144202015814258 },
	};
	size_t i, n = sizeof(t) / sizeof(t[0]);
	double z, sum = 0, p, r;

	(void)state;
	for (i = 0; i < n; i++) {
		p = mm_homogeneity_p(t[i].r, t[i].c, t[i].k, 1e-5);
		r = round(20 / p);
		assert_exact(p, 20 / r);
		z = (r - 20 / t[i].p) / (sqrt(20 * (1 - t[i].p)) / t[i].p);
		if (!(fabs(z) <= 4))
			fail_msg("table %zu: p %.6g, exact %.6g, z %.2f", i,
			    p, t[i].p, z);
		sum += z;
	}
	z = sum / sqrt((double)n);
	if (!(fabs(z) <= 3))
		fail_msg("forty tables: z %.2f", z);
}

/*
 * Too many rows for Monte Carlo (rows x bins x tables above its budget)
 * and a small bin: neighbouring bins are merged until every expected
 * count is at least 5, here the last into the one before, and the
 * asymptotic test runs on {100000, 100003} against {100500, 99500}
 * (scipy chi2_contingency, correction=False).
 */
static void
test_homogeneity_merged(void **state)
{
	long r[3] = { 100000, 100000, 3 }, c[3] = { 100500, 99500, 0 };

	(void)state;
	assert_rel(mm_homogeneity_p(r, c, 3, 0.001), 0.11276357298505536,
	    1e-12);
}

static void
test_crit(void **state)
{
	(void)state;
	/* scipy: chi2.isf(alpha, K - 1) * (1/m + 1/n). */
	assert_rel(mm_psi_crit(0.05, 1000, 100, 10), 0.18610875365082497,
	    1e-9);
	assert_rel(mm_psi_crit(0.01, 50, 50, 2), 0.2653958640408487, 1e-9);
	assert_rel(mm_psi_crit(0.05, 5000, 64, 5), 0.1501433120070618, 1e-9);
	assert_rel(mm_psi_crit(0.001, 2000, 1000, 20), 0.06573029394677629,
	    1e-9);
	assert_nan(mm_psi_crit(0.05, 100, 100, 1));
	assert_nan(mm_psi_crit(0.05, 100, 0, 10));
	assert_nan(mm_psi_crit(0.05, 0, 100, 10));
}

static void
test_bh(void **state)
{
	int sig[6];

	(void)state;
	/*
	 * Four p-values (the NaN is ignored), alpha .05: sorted .01, .03,
	 * .04, .2 against i/4 * .05 = .0125, .025, .0375, .05.  Only .01
	 * passes, and no larger one: one discovery.
	 */
	{
		const double p[5] = { 0.01, 0.04, 0.03, 0.2, NAN };
		const int want[5] = { 1, 0, 0, 0, 0 };

		memset(sig, 0x55, sizeof(sig));
		assert_int_equal(mm_bh(p, 5, 0.05, sig), 1);
		assert_memory_equal(sig, want, sizeof(want));
	}
	/*
	 * Step-up: sorted .001, .03, .04, .045 against .0125, .025, .0375,
	 * .05.  .03 and .04 miss their own line, but .045 <= .05 is the
	 * largest that passes, so all four are discoveries.
	 */
	{
		const double p[4] = { 0.04, 0.001, 0.03, 0.045 };
		const int want[4] = { 1, 1, 1, 1 };

		assert_int_equal(mm_bh(p, 4, 0.05, sig), 4);
		assert_memory_equal(sig, want, sizeof(want));
	}
	/*
	 * Three, alpha .1: sorted .02, .05, .5 against .0333, .0667, .1:
	 * .02 and .05 pass, .5 does not: two.
	 */
	{
		const double p[3] = { 0.5, 0.05, 0.02 };
		const int want[3] = { 0, 1, 1 };

		assert_int_equal(mm_bh(p, 3, 0.1, sig), 2);
		assert_memory_equal(sig, want, sizeof(want));
	}
	/* Nothing small enough; all NaN; none at all. */
	{
		const double p[3] = { 0.2, 0.9, 0.06 };
		const double n[2] = { NAN, NAN };
		const int want[3] = { 0, 0, 0 };

		assert_int_equal(mm_bh(p, 3, 0.05, sig), 0);
		assert_memory_equal(sig, want, sizeof(want));
		sig[0] = sig[1] = 7;
		assert_int_equal(mm_bh(n, 2, 0.05, sig), 0);
		assert_int_equal(sig[0], 0);
		assert_int_equal(sig[1], 0);
		assert_int_equal(mm_bh(p, 0, 0.05, sig), 0);
	}
	/* Ties at the line: p == i/m * alpha counts. */
	{
		const double p[2] = { 0.05, 0.05 };

		assert_int_equal(mm_bh(p, 2, 0.05, sig), 2);
		assert_int_equal(sig[0], 1);
		assert_int_equal(sig[1], 1);
	}
}

/*
 * Add a discrete feature whose reference has counts[j] rows of value j
 * (all above 0) and `missing` missing ones: bins 0..k-1, other, missing.
 */
static void
add_counts(struct mm_ref *r, const char *name, const long *counts, int k,
    long missing)
{
	struct mm_err err;
	double *v;
	long i, n = missing, at = 0;
	int j;

	for (j = 0; j < k; j++)
		n += counts[j];
	v = malloc((size_t)n * sizeof(double));
	assert_non_null(v);
	for (j = 0; j < k; j++)
		for (i = 0; i < counts[j]; i++)
			v[at++] = j;
	while (at < n)
		v[at++] = NAN;
	assert_int_equal(mm_ref_add(r, name, v, (size_t)n, 1000, &err), 0);
	assert_int_equal(r->f[r->nfeat - 1].kind, MM_FEAT_DISCRETE);
	assert_int_equal(r->f[r->nfeat - 1].nbins, k + 2);
	free(v);
}

/* A reference of nf two-value features, each with counts {m0, m1}. */
static void
ref_pairs(struct mm_ref *r, int nf, long m0, long m1)
{
	long c[2] = { m0, m1 };
	char name[8];
	int i;

	mm_ref_init(r);
	for (i = 0; i < nf; i++) {
		snprintf(name, sizeof(name), "%c", 'a' + i);
		add_counts(r, name, c, 2, 0);
	}
}

/* Drift of production counts {c[i][0], c[i][1]} for two-value features. */
static void
drift_pairs(struct mm_drift *d, const struct mm_ref *r, const long (*c)[2],
    const struct mm_drift_cfg *cfg)
{
	long *counts[8], buf[8][4];
	int i;

	for (i = 0; i < r->nfeat; i++) {
		buf[i][0] = c[i][0];
		buf[i][1] = c[i][1];
		buf[i][2] = buf[i][3] = 0;
		counts[i] = buf[i];
	}
	mm_drift_init(d, r->nfeat);
	assert_int_equal(mm_drift_compute(d, r, counts, c[0][0] + c[0][1],
	    cfg), 0);
}

static struct mm_drift_cfg
defaults(void)
{
	struct mm_config c;

	mm_config_defaults(&c);
	assert_int_equal(c.drift.threshold, MM_THRESHOLD_TEST);
	assert_exact(c.drift.alpha, 0.01);
	assert_exact(c.drift.moderate, 0.1);
	assert_exact(c.drift.severe, 0.2);
	assert_exact(c.drift.smoothing, 0.5);
	return c.drift;
}

/*
 * psi_adj = max(0, PSI - (K - 1)(1/M + 1/N)), K the bins not empty in
 * both, M the reference rows and N the batch rows, missing included.
 */
static void
test_drift_psi_adj(void **state)
{
	/*
	 * Values 0, 1, 2 in {500, 300, 200}; batch of 10: {5, 3, 0}, one
	 * value never seen (other) and one missing.  K = 5: three values,
	 * other and missing (empty in the reference, not in the batch).
	 * python, smoothed PSI over the five: 1.57682506807427, so psi_adj
	 * = that - 4 (1/1000 + 1/10).  The second reference also has 100
	 * missing values: M = 1100, PSI 0.8902482201723319.
	 */
	static const long rc[3] = { 500, 300, 200 };
	long c[5] = { 5, 3, 0, 1, 1 }, c2[5] = { 5, 3, 0, 1, 1 };
	long same[5] = { 5, 3, 2, 0, 0 }, *counts[3] = { c, c2, same };
	struct mm_drift_cfg cfg = defaults();
	struct mm_ref r;
	struct mm_drift d;

	(void)state;
	mm_ref_init(&r);
	add_counts(&r, "x", rc, 3, 0);
	add_counts(&r, "y", rc, 3, 100);
	add_counts(&r, "z", rc, 3, 0);
	mm_drift_init(&d, 3);
	assert_int_equal(mm_drift_compute(&d, &r, counts, 10, &cfg), 0);
	assert_int_equal(d.f[0].k, 5);
	assert_rel(d.f[0].psi, 1.57682506807427, 1e-13);
	assert_rel(d.f[0].psi_adj, 1.57682506807427 - 4 * (1 / 1000.0 +
	    1 / 10.0), 1e-13);
	assert_int_equal(d.f[0].n, 10);
	assert_int_equal(d.f[0].missing, 1);
	assert_int_equal(d.f[1].k, 5);
	assert_rel(d.f[1].psi, 0.8902482201723319, 1e-13);
	assert_rel(d.f[1].psi_adj, 0.8902482201723319 - 4 * (1 / 1100.0 +
	    1 / 10.0), 1e-13);
	/* scipy: chi2.isf(.01, 4) * (1/M + 1/10). */
	assert_rel(d.f[0].crit, 1.3409471177347503, 1e-9);
	assert_rel(d.f[1].crit, 1.3397401446314787, 1e-9);
	/*
	 * The reference's own shares, {5, 3, 2} (K = 3): a smoothed PSI
	 * far below the noise 2 (1/1000 + 1/10), so psi_adj is 0, not
	 * negative.
	 */
	assert_int_equal(d.f[2].k, 3);
	assert_true(d.f[2].psi > 0 && d.f[2].psi < 0.01);
	assert_exact(d.f[2].psi_adj, 0.0);
	mm_drift_release(&d);
	mm_ref_release(&r);
}

/*
 * The status rules.  Two-value features with reference {500, 500}; PSI,
 * psi_adj and p-values from python (smoothed PSI as in psi.h; scipy
 * chi2_contingency without correction, or the exact test).
 */
static void
test_drift_status(void **state)
{
	struct mm_drift_cfg cfg = defaults();
	struct mm_ref r;
	struct mm_drift d;

	(void)state;
	/*
	 * Five features, 1000 rows:
	 *   a {700, 300}  psi_adj 0.16710022213822168   p 6.9e-20  moderate
	 *   b {520, 480}  psi_adj 0 (PSI .0016)          p .371     stable
	 *   c {720, 280}  psi_adj 0.2053344374674342    p 6.4e-24  severe
	 *   d {650, 350}  psi_adj 0.09066442429738988   p 1.2e-11  stable
	 *   e {680, 320}  psi_adj 0.1333948034281152    p 2.8e-16  moderate
	 * Drifted: significant and psi_adj >= .1: c, a, e by psi_adj;
	 * status severe (c); d is significant but below moderate.
	 */
	{
		static const long c[5][2] = { { 700, 300 }, { 520, 480 },
		    { 720, 280 }, { 650, 350 }, { 680, 320 } };
		static const double adj[5] = { 0.16710022213822168, 0,
		    0.2053344374674342, 0.09066442429738988,
		    0.1333948034281152 };
		static const double psi[5] = { 0.16910022213822168,
		    0.0015976555373561699, 0.2073344374674342,
		    0.09266442429738989, 0.1353948034281152 };
		static const double p[5] = { 6.932079668133659e-20,
		    0.37099767373660864, 6.384132367195464e-24,
		    1.1611136377897712e-11, 2.7569530097668517e-16 };
		static const int sig[5] = { 1, 0, 1, 1, 1 };
		static const int drifted[5] = { 1, 0, 1, 0, 1 };
		static const int band[5] = { MM_MODERATE, MM_STABLE,
		    MM_SEVERE, MM_STABLE, MM_MODERATE };
		long c2[5][2];
		int i;

		ref_pairs(&r, 5, 500, 500);
		drift_pairs(&d, &r, c, &cfg);
		for (i = 0; i < 5; i++) {
			assert_rel(d.f[i].psi, psi[i], 1e-13);
			if (adj[i] == 0)
				assert_exact(d.f[i].psi_adj, 0.0);
			else
				assert_rel(d.f[i].psi_adj, adj[i], 1e-13);
			assert_rel(d.f[i].p_value, p[i], 1e-12);
			assert_int_equal(d.f[i].k, 2);
			assert_int_equal(d.f[i].significant, sig[i]);
			assert_int_equal(d.f[i].drifted, drifted[i]);
			assert_int_equal(d.f[i].band, band[i]);
		}
		assert_int_equal(d.status, MM_SEVERE);
		assert_int_equal(d.ndrifted, 3);
		assert_int_equal(d.drifted[0], 2);
		assert_int_equal(d.drifted[1], 0);
		assert_int_equal(d.drifted[2], 4);
		assert_int_equal(d.rows, 1000);
		/* drift_score: mean psi_adj (python: 0.11929877746623219). */
		assert_rel(d.score, 0.11929877746623219, 1e-13);
		mm_drift_release(&d);
		/* Without c, the worst drifted band is moderate. */
		memcpy(c2, c, sizeof(c2));
		c2[2][0] = c2[2][1] = 500;
		drift_pairs(&d, &r, (const long (*)[2])c2, &cfg);
		assert_int_equal(d.status, MM_MODERATE);
		assert_int_equal(d.ndrifted, 2);
		assert_int_equal(d.drifted[0], 0);
		assert_int_equal(d.drifted[1], 4);
		mm_drift_release(&d);
		/*
		 * threshold fixed: the bands grade the mean raw PSI
		 * (python: 0.12121830857370341, moderate), and a feature is
		 * drifted when its PSI reaches moderate, test or not.
		 */
		cfg.threshold = MM_THRESHOLD_FIXED;
		drift_pairs(&d, &r, c, &cfg);
		assert_rel(d.score, 0.12121830857370341, 1e-13);
		assert_int_equal(d.status, MM_MODERATE);
		assert_int_equal(d.ndrifted, 3);
		assert_int_equal(d.drifted[0], 2);
		assert_int_equal(d.f[3].band, MM_STABLE);
		mm_drift_release(&d);
		cfg = defaults();
		mm_ref_release(&r);
	}
	/*
	 * Ten rows {9, 1}: PSI 0.6712097056357567, psi_adj
	 * 0.5702097056357567, severe by its size; but the exact p-value is
	 * 0.020916447815364225: not significant, so stable.  By the fixed
	 * rule it is severe.
	 */
	{
		static const long c[1][2] = { { 9, 1 } };

		ref_pairs(&r, 1, 500, 500);
		drift_pairs(&d, &r, c, &cfg);
		assert_rel(d.f[0].psi_adj, 0.5702097056357567, 1e-13);
		assert_rel(d.f[0].p_value, 0.020916447815364225, 1e-12);
		assert_int_equal(d.f[0].band, MM_SEVERE);
		assert_int_equal(d.f[0].significant, 0);
		assert_int_equal(d.f[0].drifted, 0);
		assert_int_equal(d.status, MM_STABLE);
		assert_int_equal(d.ndrifted, 0);
		mm_drift_release(&d);
		cfg.threshold = MM_THRESHOLD_FIXED;
		drift_pairs(&d, &r, c, &cfg);
		assert_int_equal(d.status, MM_SEVERE);
		assert_rel(d.score, 0.6712097056357567, 1e-13);
		mm_drift_release(&d);
		cfg = defaults();
		mm_ref_release(&r);
	}
	/*
	 * Benjamini-Hochberg across features.  Sixty rows {41, 19}: p
	 * 0.005793799205053326 <= .01, psi_adj 0.11853117887983275: alone,
	 * drifted.  Next to a feature with p 1 ({30, 30}), BH asks p <=
	 * .01/2 for the smallest: nothing is.  Next to another at the same
	 * p, both pass the second line (.01 * 2/2): both drifted.
	 */
	{
		static const long one[1][2] = { { 41, 19 } };
		static const long with_null[2][2] = { { 41, 19 }, { 30, 30 } };
		static const long two[2][2] = { { 41, 19 }, { 41, 19 } };

		ref_pairs(&r, 1, 500, 500);
		drift_pairs(&d, &r, one, &cfg);
		assert_rel(d.f[0].p_value, 0.005793799205053326, 1e-12);
		assert_rel(d.f[0].psi_adj, 0.11853117887983275, 1e-13);
		assert_int_equal(d.status, MM_MODERATE);
		mm_drift_release(&d);
		mm_ref_release(&r);
		ref_pairs(&r, 2, 500, 500);
		drift_pairs(&d, &r, with_null, &cfg);
		assert_exact(d.f[1].p_value, 1.0);
		assert_int_equal(d.f[0].significant, 0);
		assert_int_equal(d.status, MM_STABLE);
		mm_drift_release(&d);
		drift_pairs(&d, &r, two, &cfg);
		assert_int_equal(d.f[0].significant, 1);
		assert_int_equal(d.f[1].significant, 1);
		assert_int_equal(d.ndrifted, 2);
		assert_int_equal(d.drifted[0], 0);	/* ties: first first */
		assert_int_equal(d.drifted[1], 1);
		assert_int_equal(d.status, MM_MODERATE);
		mm_drift_release(&d);
		mm_ref_release(&r);
	}
	/*
	 * A huge batch notices a change too small to matter: reference
	 * {50000, 50000}, batch {52000, 48000}: p 3.68e-19, PSI
	 * 0.001600822119769015, psi_adj 0.001580822119769015: stable.
	 */
	{
		static const long c[1][2] = { { 52000, 48000 } };

		ref_pairs(&r, 1, 50000, 50000);
		drift_pairs(&d, &r, c, &cfg);
		assert_rel(d.f[0].p_value, 3.6839252947240146e-19, 1e-12);
		assert_rel(d.f[0].psi_adj, 0.001580822119769015, 1e-12);
		assert_int_equal(d.f[0].significant, 1);
		assert_int_equal(d.f[0].drifted, 0);
		assert_int_equal(d.status, MM_STABLE);
		mm_drift_release(&d);
		mm_ref_release(&r);
	}
	assert_string_equal(mm_status_names[MM_STABLE], "stable");
	assert_string_equal(mm_status_names[MM_MODERATE], "moderate");
	assert_string_equal(mm_status_names[MM_SEVERE], "severe");
}

/* The value of a band's lower end belongs to that band. */
static void
test_drift_bands(void **state)
{
	static const long c[1][2] = { { 700, 300 } };
	static const long s[1][2] = { { 720, 280 } };
	struct mm_drift_cfg cfg = defaults();
	struct mm_ref r;
	struct mm_drift d;
	double v;

	(void)state;
	ref_pairs(&r, 1, 500, 500);
	drift_pairs(&d, &r, c, &cfg);
	v = d.f[0].psi_adj;
	mm_drift_release(&d);
	cfg.moderate = v;
	drift_pairs(&d, &r, c, &cfg);
	assert_int_equal(d.status, MM_MODERATE);
	mm_drift_release(&d);
	cfg.moderate = nextafter(v, 1);
	drift_pairs(&d, &r, c, &cfg);
	assert_int_equal(d.status, MM_STABLE);
	assert_int_equal(d.f[0].significant, 1);
	mm_drift_release(&d);
	cfg = defaults();
	drift_pairs(&d, &r, s, &cfg);
	v = d.f[0].psi_adj;
	mm_drift_release(&d);
	cfg.severe = v;
	drift_pairs(&d, &r, s, &cfg);
	assert_int_equal(d.status, MM_SEVERE);
	mm_drift_release(&d);
	cfg.severe = nextafter(v, 1);
	drift_pairs(&d, &r, s, &cfg);
	assert_int_equal(d.status, MM_MODERATE);
	mm_drift_release(&d);
	/*
	 * The fixed rule with the older PSI (smoothing 0, eps 1e-6), on
	 * {k, 10000 - k} against {500, 500}; python: sum((a - e) * log((a +
	 * 1e-6) / (e + 1e-6))) over both bins.
	 */
	cfg = defaults();
	cfg.threshold = MM_THRESHOLD_FIXED;
	cfg.smoothing = 0;
	{
		static const struct {
			long a;
			double psi;
			int st;
		} t[] = {
			{ 5000, 0.0, MM_STABLE },
			{ 6554, 0.09990044960130706, MM_STABLE },
			{ 6555, 0.10003359092778925, MM_MODERATE },
			{ 7161, 0.19993477621030054, MM_MODERATE },
			{ 7162, 0.20013365165968972, MM_SEVERE },
		};
		size_t i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			long cc[1][2] = { { t[i].a, 10000 - t[i].a } };

			drift_pairs(&d, &r, (const long (*)[2])cc, &cfg);
			if (t[i].psi == 0)
				assert_exact(d.score, 0.0);
			else
				assert_rel(d.score, t[i].psi, 1e-9);
			assert_int_equal(d.status, t[i].st);
			mm_drift_release(&d);
		}
	}
	mm_ref_release(&r);
}

static void
test_drift_edge_cases(void **state)
{
	static const double one[] = { 7, 7, 7 };
	static const long rc[2] = { 20, 20 };
	struct mm_drift_cfg cfg = defaults();
	struct mm_ref r;
	struct mm_drift d;
	long a[4] = { 10, 30, 0, 0 }, b[3] = { 40, 0, 0 };
	long c[4] = { 0, 0, 0, 40 }, *counts[3] = { a, b, c };
	struct mm_err err;

	(void)state;
	mm_ref_init(&r);
	add_counts(&r, "a", rc, 2, 0);
	assert_int_equal(mm_ref_add(&r, "one", one, 3, 10, &err), 0);
	add_counts(&r, "gone", rc, 2, 0);
	mm_drift_init(&d, r.nfeat);
	assert_int_equal(mm_drift_compute(&d, &r, counts, 40, &cfg), 0);
	/* a: {20, 20} against {10, 30}; scipy 0.020921335337794004. */
	assert_rel(d.f[0].p_value, 0.020921335337794004, 1e-12);
	assert_int_equal(d.f[0].significant, 0);
	/*
	 * one: a constant that stays constant: K 1, PSI 0, p 1, no
	 * critical value, and no test (left out of BH).
	 */
	assert_int_equal(d.f[1].k, 1);
	assert_exact(d.f[1].psi, 0.0);
	assert_exact(d.f[1].psi_adj, 0.0);
	assert_exact(d.f[1].p_value, 1.0);
	assert_nan(d.f[1].crit);
	/*
	 * gone: every value missing.  The missing bin is a bin like any
	 * other: K = 3, {20, 20, 0} against {0, 0, 40}; python: PSI
	 * 7.814960213375178, scipy p 4.248354255291595e-18.
	 */
	assert_int_equal(d.f[2].k, 3);
	assert_int_equal(d.f[2].missing, 40);
	assert_int_equal(d.f[2].n, 40);
	assert_rel(d.f[2].psi, 7.814960213375178, 1e-13);
	assert_rel(d.f[2].p_value, 4.248354255291595e-18, 1e-12);
	assert_int_equal(d.f[2].drifted, 1);
	assert_int_equal(d.status, MM_SEVERE);
	assert_int_equal(d.ndrifted, 1);
	assert_int_equal(d.drifted[0], 2);
	assert_int_equal(d.rows, 40);
	mm_drift_release(&d);
	/* No rows: an error. */
	mm_drift_init(&d, r.nfeat);
	assert_int_equal(mm_drift_compute(&d, &r, counts, 0, &cfg), -1);
	mm_drift_release(&d);
	mm_ref_release(&r);
}

/*
 * Windows: counts are integers, so the counts of several batches are
 * their sum, and the drift of a window is the drift of its rows counted
 * at once, to the bit.
 */
static void
test_window(void **state)
{
	static const double ref[] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8,
	    0.9, 1.0, 1.1, 1.2, NAN, 1.3, 1.4 };
	static const double b1[] = { 0.15, 0.9, NAN, 2.0 };
	static const double b2[] = { -1, 0.45, 0.45, 0.45, 1.35 };
	static const double b3[] = { 0.7, 0.8, NAN };
	static const double all[] = { 0.15, 0.9, NAN, 2.0, -1, 0.45, 0.45,
	    0.45, 1.35, 0.7, 0.8, NAN };
	struct mm_drift_cfg cfg = defaults();
	struct mm_ref r;
	struct mm_err err;
	struct mm_drift dw, da;
	long w[8] = { 0 }, u[8] = { 0 }, *cw[1] = { w }, *cu[1] = { u };

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "x", ref, 15, 6, &err), 0);
	assert_int_equal(r.f[0].nbins, 7);
	mm_ref_count(&r.f[0], b1, 4, w);
	mm_ref_count(&r.f[0], b2, 5, w);
	mm_ref_count(&r.f[0], b3, 3, w);
	mm_ref_count(&r.f[0], all, 12, u);
	assert_memory_equal(w, u, sizeof(w));
	mm_drift_init(&dw, 1);
	mm_drift_init(&da, 1);
	assert_int_equal(mm_drift_compute(&dw, &r, cw, 12, &cfg), 0);
	assert_int_equal(mm_drift_compute(&da, &r, cu, 12, &cfg), 0);
	assert_memory_equal(&dw.f[0].psi, &da.f[0].psi, sizeof(double));
	assert_memory_equal(&dw.f[0].p_value, &da.f[0].p_value,
	    sizeof(double));
	assert_int_equal(dw.f[0].missing, 2);
	mm_drift_release(&dw);
	mm_drift_release(&da);
	mm_ref_release(&r);
}

/* The drift object's text, from a drift filled by hand. */
static void
test_drift_json(void **state)
{
	static const double v[] = { 1, 2, 3 };
	static const double codes[] = { 0, 1, 1 };
	static const char *const s[] = { "p", "q" };
	struct mm_ref r;
	struct mm_drift d;
	struct mm_err err;
	struct mm_buf b;
	long c0[3] = { 1, 2, 0 }, c1[5] = { 0, 0, 1, 0, 2 };
	long c2[4] = { 7, 0, 3, 54 };
	long *counts[3] = { c0, c1, c2 };
	const char *body = "{\"psi\":{\"f0\":0.012,\"f\\\"1\":0.5,"
	    "\"f2\":null},\"psi_adj\":{\"f0\":0,\"f\\\"1\":0.25,"
	    "\"f2\":1.5},\"p_value\":{\"f0\":0.93,\"f\\\"1\":1e-07,"
	    "\"f2\":null},\"psi_crit\":{\"f0\":0.17,\"f\\\"1\":0.0625,"
	    "\"f2\":null},\"drifted\":[\"f2\",\"f\\\"1\"],"
	    "\"drift_score\":0.256,\"status\":\"severe\",\"n\":64,"
	    "\"missing\":{\"f0\":0,\"f\\\"1\":2,\"f2\":54}";

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "f0", v, 3, 2, &err), 0);
	assert_int_equal(mm_ref_add(&r, "f\"1", v, 3, 10, &err), 0);
	assert_int_equal(mm_ref_add_cat(&r, "f2", codes, 3, s, 2, 20, &err),
	    0);
	strcpy(r.id, "0123456789abcdef");
	mm_drift_init(&d, 3);
	d.f[0].psi = 0.012;
	d.f[0].psi_adj = 0;
	d.f[0].p_value = 0.93;
	d.f[0].crit = 0.17;
	d.f[1].psi = 0.5;
	d.f[1].psi_adj = 0.25;
	d.f[1].p_value = 1e-7;
	d.f[1].crit = 0.0625;
	d.f[1].missing = 2;
	d.f[2].psi = NAN;
	d.f[2].psi_adj = 1.5;
	d.f[2].p_value = NAN;
	d.f[2].crit = INFINITY;
	d.f[2].missing = 54;
	d.ndrifted = 2;
	d.drifted[0] = 2;
	d.drifted[1] = 1;
	d.score = 0.256;
	d.status = MM_SEVERE;
	d.rows = 64;
	mm_buf_init(&b);
	mm_buf_puts(&b, "x");	/* appended, not overwritten */
	mm_drift_json(&d, &r, NULL, &b);
	assert_int_equal(b.p[0], 'x');
	assert_int_equal(strncmp(b.p + 1, body, strlen(body)), 0);
	assert_string_equal(b.p + 1 + strlen(body), "}");
	/* With counts: the reference id and every bin, in order. */
	mm_buf_reset(&b);
	mm_drift_json(&d, &r, counts, &b);
	assert_int_equal(strncmp(b.p, body, strlen(body)), 0);
	assert_string_equal(b.p + strlen(body), ",\"ref\":\"0123456789abcdef\","
	    "\"counts\":{\"f0\":[1,2,0],\"f\\\"1\":[0,0,1,0,2],"
	    "\"f2\":[7,0,3,54]}}");
	mm_buf_release(&b);
	mm_drift_release(&d);
	mm_ref_release(&r);
}

/*
 * Computed, for a constant column that stays constant: PSI 0, psi_adj
 * 0, p 1, no critical value.  The id: sha256 of
 * [{"name":"c","kind":"discrete","n":2,"values":[7],"counts":[2,0,0]}].
 */
static void
test_drift_json_computed(void **state)
{
	static const double one[] = { 7, 7 };
	struct mm_drift_cfg cfg = defaults();
	struct mm_ref r;
	struct mm_drift d;
	struct mm_err err;
	struct mm_buf b;
	long c0[3] = { 5, 0, 0 }, *counts[1] = { c0 };
	const char *body = "{\"psi\":{\"c\":0},\"psi_adj\":{\"c\":0},"
	    "\"p_value\":{\"c\":1},\"psi_crit\":{\"c\":null},\"drifted\":[],"
	    "\"drift_score\":0,\"status\":\"stable\",\"n\":5,"
	    "\"missing\":{\"c\":0}";
	char want[512];

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "c", one, 2, 10, &err), 0);
	mm_ref_finish(&r);
	assert_string_equal(r.id, "f04b146229447f6a");
	mm_drift_init(&d, 1);
	assert_int_equal(mm_drift_compute(&d, &r, counts, 5, &cfg), 0);
	mm_buf_init(&b);
	mm_drift_json(&d, &r, NULL, &b);
	snprintf(want, sizeof(want), "%s}", body);
	assert_string_equal(b.p, want);
	mm_buf_reset(&b);
	mm_drift_json(&d, &r, counts, &b);
	snprintf(want, sizeof(want), "%s,\"ref\":\"f04b146229447f6a\","
	    "\"counts\":{\"c\":[5,0,0]}}", body);
	assert_string_equal(b.p, want);
	mm_buf_release(&b);
	mm_drift_release(&d);
	mm_ref_release(&r);
}

/* Write text to a new temporary file; its name goes to path. */
static void
temp_file(char *path, size_t size, const char *text)
{
	const char *dir = getenv("TMPDIR");
	size_t n = strlen(text);
	int fd;

	snprintf(path, size, "%s/mm-test-ref.XXXXXX",
	    dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

/* A small reference of each kind, as the exact text of its file. */
static void
test_ref_json(void **state)
{
	static const double a[] = { 4, 1, 3, 2 };
	static const double bv[] = { 7, NAN, 7 };
	static const char *const s[] = { "x", "y", "z" };
	static const double codes[] = { 1, 0, 1, NAN, 2 };
	struct mm_ref r;
	struct mm_err err;
	struct mm_buf b;
	/*
	 * a: 4 distinct values > B = 2: quantiles 1, 2.5, 4.  b: one value
	 * and a missing one.  c: y 2, x 1, z 1, a missing one; two kept
	 * (y, then x before z by byte order), z in other.
	 */
	const char *features = "[{\"name\":\"a\",\"kind\":\"numeric\","
	    "\"n\":4,\"edges\":[1,2.5,4],\"counts\":[2,2,0]},{\"name\":\"b\","
	    "\"kind\":\"discrete\",\"n\":3,\"values\":[7],"
	    "\"counts\":[2,0,1]},{\"name\":\"c\",\"kind\":\"categorical\","
	    "\"n\":5,\"categories\":[\"y\",\"x\"],\"counts\":[2,1,1,1]}]";
	char want[1024];

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "a", a, 4, 2, &err), 0);
	assert_int_equal(mm_ref_add(&r, "b", bv, 3, 2, &err), 0);
	assert_int_equal(mm_ref_add_cat(&r, "c", codes, 5, s, 3, 2, &err), 0);
	mm_ref_finish(&r);
	/* sha256 of the features array. */
	assert_string_equal(r.id, "166e0004cb8737ab");
	snprintf(want, sizeof(want), "{\"format\":\"mm-reference/2\","
	    "\"id\":\"166e0004cb8737ab\",\"bins\":2,\"max_categories\":2,"
	    "\"rows\":5,\"features\":%s}\n", features);
	mm_buf_init(&b);
	mm_ref_json(&r, &b);
	assert_string_equal(b.p, want);
	mm_buf_release(&b);
	mm_ref_release(&r);
}

static void
check_same_ref(const struct mm_ref *l, const struct mm_ref *r)
{
	int i, k;

	assert_string_equal(l->id, r->id);
	assert_int_equal(l->nfeat, r->nfeat);
	assert_int_equal(l->bins, r->bins);
	assert_int_equal(l->max_categories, r->max_categories);
	assert_int_equal(l->rows, r->rows);
	for (i = 0; i < r->nfeat; i++) {
		const struct mm_ref_feat *f = &r->f[i], *g = &l->f[i];

		assert_string_equal(g->name, f->name);
		assert_int_equal(g->kind, f->kind);
		assert_int_equal(g->nedges, f->nedges);
		assert_int_equal(g->nvals, f->nvals);
		assert_int_equal(g->ncats, f->ncats);
		for (k = 0; k < f->nedges; k++)
			assert_memory_equal(&g->edges[k], &f->edges[k],
			    sizeof(double));
		for (k = 0; k < f->nvals; k++)
			assert_memory_equal(&g->vals[k], &f->vals[k],
			    sizeof(double));
		for (k = 0; k < f->ncats; k++) {
			assert_string_equal(g->cats[k], f->cats[k]);
			assert_int_equal(mm_ref_cat_bin(g, f->cats[k]), k);
		}
		check_counts(g, f->nbins, f->counts, f->n);
	}
}

static void
test_ref_roundtrip(void **state)
{
	static const double v1[] = { 0.5, 0.25, 3.0, 0.25, 0.75, 1.5, 0.5,
	    2.25, 0.5, 0.125, 10.0, 0.5, 0.3, 0.7, 0.9, 1.1, 0.05, NAN };
	double v2[200];
	static const double v3[] = { -0.0, 0.0, 1e-300, 123456789012345680.0,
	    -1e-7, 0.1 };
	static const double v4[] = { 0.1, 1e300, -2.5, 0.1 };
	static const char *const s[] = { "a\"b", "tab\there",
	    "\xc3\xa9t\xc3\xa9", "back\\slash", "", "new\nline" };
	static const double codes[] = { 0, 1, 2, 3, 4, 5, 5, 4, 3, NAN, 0 };
	struct mm_ref r, l;
	struct mm_err err;
	struct mm_buf b, b2;
	char path[512];
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		v2[i] = 1.0 / (i + 3) - (i % 7) / 3.0;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "ten", v1, 18, 10, &err), 0);
	assert_int_equal(mm_ref_add(&r, "thirds", v2, 200, 10, &err), 0);
	assert_int_equal(mm_ref_add(&r, "odd \"name\"", v3, 6, 4, &err), 0);
	assert_int_equal(mm_ref_add(&r, "disc", v4, 4, 10, &err), 0);
	assert_int_equal(mm_ref_add_cat(&r, "cat\\", codes, 11, s, 6, 4, &err),
	    0);
	assert_int_equal(r.f[2].kind, MM_FEAT_NUMERIC);
	assert_int_equal(r.f[3].kind, MM_FEAT_DISCRETE);
	mm_ref_finish(&r);
	assert_int_equal(strlen(r.id), 16);
	mm_buf_init(&b);
	mm_ref_json(&r, &b);
	temp_file(path, sizeof(path), b.p);
	memset(&l, 0x5a, sizeof(l));
	if (mm_ref_load(&l, path, &err) != 0)
		fail_msg("load: %s", err.msg);
	check_same_ref(&l, &r);
	/* Written again, the same bytes. */
	mm_buf_init(&b2);
	mm_ref_json(&l, &b2);
	assert_string_equal(b2.p, b.p);
	mm_buf_release(&b2);
	/* And parsed from memory, the same. */
	mm_ref_release(&l);
	if (mm_ref_parse(&l, b.p, b.n, &err) != 0)
		fail_msg("parse: %s", err.msg);
	check_same_ref(&l, &r);
	mm_buf_release(&b);
	mm_ref_release(&l);
	mm_ref_release(&r);
	assert_int_equal(unlink(path), 0);
}

/*
 * -0 is kept as 0 (the same for binning): written as "-0" it would read
 * back as the integer 0, the id would no longer match, and the fresh
 * reference would not load.  numpy: np.quantile([-1, 0, 0, 2, 3, 5],
 * [0, .25, .5, .75, 1]) is -1, 0, 1, 2.75, 5.
 */
static void
test_ref_negative_zero(void **state)
{
	static const double v[] = { -1, -0.0, 5, -0.0, 2, 3 };
	static const double e[] = { -1, 0, 1, 2.75, 5 };
	static const long c[] = { 1, 2, 1, 2, 0 };
	struct mm_ref r, l;
	struct mm_err err;
	struct mm_buf b;
	char path[512];

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "x", v, 6, 4, &err), 0);
	check_numeric(&r.f[0], "x", 5, e, c, 6);
	mm_ref_finish(&r);
	mm_buf_init(&b);
	mm_ref_json(&r, &b);
	assert_non_null(strstr(b.p, "\"edges\":[-1,0,1,2.75,5]"));
	temp_file(path, sizeof(path), b.p);
	memset(&err, 0, sizeof(err));
	if (mm_ref_load(&l, path, &err) != 0)
		fail_msg("load: %s", err.msg);
	assert_string_equal(l.id, r.id);
	check_numeric(&l.f[0], "x", 5, e, c, 6);
	mm_ref_release(&l);
	mm_buf_release(&b);
	mm_ref_release(&r);
	assert_int_equal(unlink(path), 0);
}

/*
 * A reference as mm 0.1 wrote it (mm-reference/1): numeric edges only,
 * "n" the values, "missing" apart, "shares" = counts / n, and the id the
 * sha256 of the features array as written here (9ef546314f0107b9, also
 * the id older mm gave this reference).  It loads as mm-reference/2
 * would have it: a numeric feature with a missing bin, a one-edge
 * feature as a discrete one with a single value, and the id of the
 * new form: sha256 of
 * [{"name":"a","kind":"numeric","n":4,"edges":[1,2.5,4],"counts":[2,2,0]},
 *  {"name":"b","kind":"discrete","n":3,"values":[7],"counts":[2,0,1]}]
 * (no space after the comma) = bfb72bec9f287d72.
 */
static const char ref_v1[] = "{\"format\":\"mm-reference/1\","
    "\"id\":\"9ef546314f0107b9\",\"bins\":2,\"rows\":4,\"features\":"
    "[{\"name\":\"a\",\"n\":4,\"missing\":0,\"edges\":[1,2.5,4],"
    "\"counts\":[2,2],\"shares\":[0.5,0.5]},{\"name\":\"b\",\"n\":2,"
    "\"missing\":1,\"edges\":[7],\"counts\":[2],\"shares\":[1]}]}\n";

static void
test_ref_v1(void **state)
{
	static const double e[] = { 1, 2.5, 4 };
	static const long ca[] = { 2, 2, 0 };
	static const double vb[] = { 7 };
	static const long cb[] = { 2, 0, 1 };
	/*
	 * A numeric one with missing values: n 6 + 2 missing, so 8 rows;
	 * v1 id sha256 of its features array d7c155c3f993f1ed, v2 id of
	 * [{"name":"x","kind":"numeric","n":8,"edges":[-1,0.5,2,9],
	 * "counts":[1,3,2,2]}] d40bb42b08706702.
	 */
	static const char v1b[] = "{\"format\":\"mm-reference/1\","
	    "\"id\":\"d7c155c3f993f1ed\",\"bins\":3,\"rows\":8,\"features\":"
	    "[{\"name\":\"x\",\"n\":6,\"missing\":2,\"edges\":[-1,0.5,2,9],"
	    "\"counts\":[1,3,2],\"shares\":[0.16666666666666666,0.5,"
	    "0.3333333333333333]}]}";
	static const double eb[] = { -1, 0.5, 2, 9 };
	static const long cx[] = { 1, 3, 2, 2 };
	struct mm_ref l;
	struct mm_err err;
	struct mm_buf b;
	char path[512];

	(void)state;
	temp_file(path, sizeof(path), ref_v1);
	memset(&err, 0, sizeof(err));
	if (mm_ref_load(&l, path, &err) != 0)
		fail_msg("load: %s", err.msg);
	assert_int_equal(l.nfeat, 2);
	check_numeric(&l.f[0], "a", 3, e, ca, 4);
	check_discrete(&l.f[1], "b", 1, vb, cb, 3);
	assert_string_equal(l.id, "bfb72bec9f287d72");
	assert_int_equal(l.bins, 2);
	assert_int_equal(l.rows, 4);
	assert_int_equal(l.max_categories, 0);
	/* A value never seen in b is "other" now. */
	assert_int_equal(mm_ref_bin(&l.f[1], 8), 1);
	/* Written, it is an mm-reference/2 with the new id. */
	mm_buf_init(&b);
	mm_ref_json(&l, &b);
	assert_string_equal(b.p, "{\"format\":\"mm-reference/2\","
	    "\"id\":\"bfb72bec9f287d72\",\"bins\":2,\"max_categories\":0,"
	    "\"rows\":4,\"features\":[{\"name\":\"a\",\"kind\":\"numeric\","
	    "\"n\":4,\"edges\":[1,2.5,4],\"counts\":[2,2,0]},{\"name\":\"b\","
	    "\"kind\":\"discrete\",\"n\":3,\"values\":[7],"
	    "\"counts\":[2,0,1]}]}\n");
	mm_buf_release(&b);
	mm_ref_release(&l);
	assert_int_equal(unlink(path), 0);

	if (mm_ref_parse(&l, v1b, strlen(v1b), &err) != 0)
		fail_msg("parse: %s", err.msg);
	check_numeric(&l.f[0], "x", 4, eb, cx, 8);
	assert_string_equal(l.id, "d40bb42b08706702");
	mm_ref_release(&l);
}

/* Loading text fails with code and exactly msg, naming the file. */
static void
expect_load_error(const char *text, int code, long line, const char *msg)
{
	struct mm_ref l;
	struct mm_err err;
	char path[512];

	temp_file(path, sizeof(path), text);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_ref_load(&l, path, &err), -1);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
	assert_int_equal(err.line, line);
	assert_string_equal(err.where, path);
	assert_int_equal(l.nfeat, 0);
	assert_null(l.f);
	assert_int_equal(unlink(path), 0);
}

/* text with the first `from` replaced by `to` (one of each). */
static char *
edit(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	char *out;

	assert_non_null(p);
	out = malloc(strlen(text) + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, text, (size_t)(p - text));
	strcpy(out + (p - text), to);
	strcat(out, p + strlen(from));
	return out;
}

#define EDITED "not an mm reference: its id does not match its contents " \
	"(edited?)"
#define MALFORMED "not an mm reference: feature 0 is malformed"

static void
expect_edit(const char *text, const char *from, const char *to,
    const char *msg)
{
	char *t = edit(text, from, to);

	expect_load_error(t, MM_EINPUT, 0, msg);
	free(t);
}

static void
test_ref_load_errors(void **state)
{
	static const double a[] = { 4, 1, 3, 2 };
	static const double d[] = { 1, 2, 2 };
	static const char *const s[] = { "x", "y" };
	static const double codes[] = { 0, 1, 1 };
	struct mm_ref r, l;
	struct mm_err err;
	struct mm_buf b;

	(void)state;
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "a", a, 4, 2, &err), 0);
	mm_ref_finish(&r);
	mm_buf_init(&b);
	mm_ref_json(&r, &b);

	/* An edited edge, still in order: the id no longer matches. */
	expect_edit(b.p, "\"edges\":[1,2.5,4]", "\"edges\":[1,2.4,4]", EDITED);
	expect_edit(b.p, "\"id\":\"", "\"id\":\"0", EDITED);
	/* Edges out of order, counts that do not add up to n. */
	expect_edit(b.p, "\"edges\":[1,2.5,4]", "\"edges\":[1,5,4]",
	    MALFORMED);
	expect_edit(b.p, "\"edges\":[1,2.5,4]", "\"edges\":[1]", MALFORMED);
	expect_edit(b.p, "\"counts\":[2,2,0]", "\"counts\":[2,3,0]",
	    MALFORMED);
	expect_edit(b.p, "\"counts\":[2,2,0]", "\"counts\":[2,2]", MALFORMED);
	expect_edit(b.p, "\"counts\":[2,2,0]", "\"counts\":[2,3,-1]",
	    MALFORMED);
	expect_edit(b.p, "\"kind\":\"numeric\"", "\"kind\":\"ordinal\"",
	    MALFORMED);
	/* The wrong format. */
	expect_edit(b.p, "mm-reference/2", "mm-reference/3",
	    "not an mm reference: no \"format\":\"mm-reference/2\"");
	expect_load_error("[1,2]\n", MM_EINPUT, 0, "not an mm reference: no "
	    "\"format\":\"mm-reference/2\"");
	expect_load_error("{\"format\":\"mm-reference/2\",\"features\":[]}",
	    MM_EINPUT, 0, "not an mm reference: no features");
	expect_load_error("{\n\"format\":\n}\n", MM_EINPUT, 3,
	    "invalid reference JSON: unexpected token near '}'");
	/* A feature twice. */
	assert_int_equal(mm_ref_add(&r, "a", a, 4, 2, &err), 0);
	mm_ref_finish(&r);
	mm_buf_reset(&b);
	mm_ref_json(&r, &b);
	expect_load_error(b.p, MM_EINPUT, 0,
	    "not an mm reference: a feature appears twice");
	mm_ref_release(&r);

	/* Discrete values out of order; a category twice. */
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add(&r, "d", d, 3, 10, &err), 0);
	mm_ref_finish(&r);
	mm_buf_reset(&b);
	mm_ref_json(&r, &b);
	expect_edit(b.p, "\"values\":[1,2]", "\"values\":[2,1]", MALFORMED);
	expect_edit(b.p, "\"values\":[1,2]", "\"values\":[1,1]", MALFORMED);
	expect_edit(b.p, "\"values\":[1,2]", "\"values\":[1,2.5]", EDITED);
	mm_ref_release(&r);
	mm_ref_init(&r);
	assert_int_equal(mm_ref_add_cat(&r, "c", codes, 3, s, 2, 20, &err), 0);
	mm_ref_finish(&r);
	mm_buf_reset(&b);
	mm_ref_json(&r, &b);
	expect_edit(b.p, "[\"y\",\"x\"]", "[\"y\",\"y\"]", MALFORMED);
	expect_edit(b.p, "[\"y\",\"x\"]", "[\"y\",\"z\"]", EDITED);
	expect_edit(b.p, "[\"y\",\"x\"]", "[\"y\",1]", MALFORMED);
	mm_ref_release(&r);
	mm_buf_release(&b);

	/* An edited mm-reference/1 is refused as well. */
	expect_edit(ref_v1, "\"edges\":[1,2.5,4]", "\"edges\":[1,2.4,4]",
	    EDITED);
	expect_edit(ref_v1, "\"counts\":[2,2]", "\"counts\":[2,3]", MALFORMED);
	expect_edit(ref_v1, "\"counts\":[2,2]", "\"counts\":[2,2,0]",
	    MALFORMED);

	/* A missing file is a system error. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(mm_ref_load(&l, "/nonexistent/mm/ref.json", &err),
	    -1);
	assert_int_equal(err.code, MM_ESYS);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.where, "/nonexistent/mm/ref.json");
	assert_string_equal(err.msg,
	    "cannot read reference: No such file or directory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_ref_numeric),
		cmocka_unit_test(test_ref_discrete),
		cmocka_unit_test(test_ref_categorical),
		cmocka_unit_test(test_ref_bin),
		cmocka_unit_test(test_ref_count_paths),
		cmocka_unit_test(test_edges_point_mass),
		cmocka_unit_test(test_drift_point_mass),
		cmocka_unit_test(test_psi_counts),
		cmocka_unit_test(test_homogeneity_asymptotic),
		cmocka_unit_test(test_homogeneity_exact),
		cmocka_unit_test(test_homogeneity_monte_carlo),
		cmocka_unit_test(test_homogeneity_monte_carlo_many),
		cmocka_unit_test(test_homogeneity_merged),
		cmocka_unit_test(test_crit),
		cmocka_unit_test(test_bh),
		cmocka_unit_test(test_drift_psi_adj),
		cmocka_unit_test(test_drift_status),
		cmocka_unit_test(test_drift_bands),
		cmocka_unit_test(test_drift_edge_cases),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_drift_json),
		cmocka_unit_test(test_drift_json_computed),
		cmocka_unit_test(test_ref_json),
		cmocka_unit_test(test_ref_roundtrip),
		cmocka_unit_test(test_ref_negative_zero),
		cmocka_unit_test(test_ref_v1),
		cmocka_unit_test(test_ref_load_errors),
	};

	return cmocka_run_group_tests_name("psi", tests, NULL, NULL);
}
